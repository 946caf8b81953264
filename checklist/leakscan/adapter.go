package leakscan

import (
	"context"
)

// Adapter runs the scan for the checklist engine's Investigate step: it
// implements checklist.LeakScanner (the engine turns the Report into
// findings itself, so this package does not import checklist).
type Adapter struct {
	Roots   []string // nil: DefaultRoots()
	Options Options
	// Last is the full report of the last scan (for display and evidence).
	Last *Report
}

// NewLeakScanner returns a scanner for the checklist engine that scans
// roots (nil or empty: the web roots of the local nginx/Apache configs,
// else the current directory) with opt (opt.Progress is replaced by the
// progress callback the engine passes to Scan).
func NewLeakScanner(roots []string, opt Options) *Adapter {
	return &Adapter{Roots: roots, Options: opt}
}

// Scan scans the roots and returns the report (nil only when the scan could
// not start), with the scan's error: a stopped scan returns what it read,
// marked Partial, and ctx's error.
func (a *Adapter) Scan(ctx context.Context, progress func(files, bytes int64, findings int)) (*Report, error) {
	roots := a.Roots
	if len(roots) == 0 {
		// stopped by ctx: Scan then returns at once, marked partial
		roots, _ = DefaultRootsContext(ctx, a.Options.ConfigRoot)
	}
	opt := a.Options
	if progress != nil {
		opt.Progress = func(p Progress) { progress(p.Files, p.Bytes, p.Findings) }
	}
	rep, err := Scan(ctx, roots, opt)
	a.Last = rep
	return rep, err
}

// SetRoots sets the folders the next Scan looks at.
func (a *Adapter) SetRoots(roots []string) { a.Roots = roots }

// DefaultRoots is what Scan looks at when no folder is given.
func (a *Adapter) DefaultRoots() []string {
	if len(a.Roots) > 0 {
		return a.Roots
	}
	out, _ := DefaultRootsContext(context.Background(), a.Options.ConfigRoot)
	return out
}
