package checklist

import "time"

// ScanRecord is one leak scan of the Investigate step: when it ran, each
// root with what was read from it, and how it ended.
type ScanRecord struct {
	At       time.Time  `json:"at"`
	Roots    []ScanRoot `json:"roots"`
	Findings int        `json:"findings"`
	// Partial is set when the scan was cancelled or stopped early.
	Partial bool   `json:"partial,omitempty"`
	Error   string `json:"error,omitempty"`
}

// ScanRoot is one folder (or file) a scan was asked to read.
type ScanRoot struct {
	Path string `json:"path"`
	// Target is where a root that is a symbolic link points.
	Target string `json:"target,omitempty"`
	Files  int64  `json:"files"`
	Bytes  int64  `json:"bytes"`
	// Error says why nothing (or not everything) was read from it.
	Error string `json:"error,omitempty"`
}
