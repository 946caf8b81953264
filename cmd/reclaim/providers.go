package main

// Every provider adapter this build knows registers itself on import. Add one
// line per adapter package.
import (
	_ "reclaim/provider/drill"
	_ "reclaim/provider/mailjet"
)
