package leakscan

// The detectors register themselves from their provider packages.
import _ "reclaim/provider/all" // every adapter's detectors
