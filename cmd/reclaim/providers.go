package main

// Every provider adapter this build knows registers itself on import; the
// list is provider/all (one line per adapter package).
import _ "reclaim/provider/all"
