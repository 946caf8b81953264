package leakscan

import (
	"context"
	"fmt"
	"strings"

	"reclaim/checklist"
)

// Adapter runs the scan for the checklist engine's Investigate step: it
// implements checklist.LeakScanner.
type Adapter struct {
	Roots   []string // nil: DefaultRoots()
	Options Options
	// Last is the full report of the last scan (for display and evidence).
	Last *Report
}

var (
	_ checklist.LeakScanner      = (*Adapter)(nil)
	_ checklist.ScanRootReporter = (*Adapter)(nil)
)

// NewLeakScanner returns a checklist.LeakScanner that scans roots (nil or
// empty: the web roots of the local nginx/Apache configs, else the current
// directory) with opt (opt.Progress is replaced by the progress callback the
// engine passes to Scan).
func NewLeakScanner(roots []string, opt Options) *Adapter {
	return &Adapter{Roots: roots, Options: opt}
}

// Scan implements checklist.LeakScanner: credentials become findings with
// Source "scan"; SendGrid keys target their key id (Target{Kind: "key"}), so
// the audit marks that key leaked and the rotation step revokes it first;
// leakedKeyIDs lists those ids.
func (a *Adapter) Scan(ctx context.Context, progress func(files, bytes int64, findings int)) ([]checklist.Finding, []string, error) {
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
	if rep == nil {
		return nil, nil, err
	}
	fs, ids := ToChecklist(rep)
	return fs, ids, err
}

// ToChecklist converts a report into checklist findings and the SendGrid key
// ids seen in leaked material.
func ToChecklist(r *Report) ([]checklist.Finding, []string) {
	var out []checklist.Finding
	var ids []string
	seenID := map[string]bool{}
	for _, f := range r.Findings {
		where := fmt.Sprintf("%s:%d", f.File, f.Line)
		cf := checklist.Finding{
			ID:       "leak:" + f.Provider + ":" + f.Kind + ":" + short(f.Fingerprint) + "@" + where,
			Severity: checklist.High,
			Title:    fmt.Sprintf("%s %s found in %s", displayName(f.Provider), f.Kind, where),
			Detail:   fmt.Sprintf("Value %s (%s). Revoke or rotate it.", f.Redacted, f.Fingerprint),
			Evidence: "scan: " + where,
			Target:   checklist.Target{Kind: "leak", ID: f.Fingerprint, Name: f.Redacted},
			Source:   "scan",
		}
		if f.InWebRoot {
			cf.Detail += " The file is in a web root: anyone could download it."
		}
		if f.Provider == "sendgrid" && f.KeyID != "" {
			cf.Target = checklist.Target{Kind: "key", ID: f.KeyID, Name: f.Redacted}
			cf.Fix = checklist.ActRevokeKey
			cf.Detail = fmt.Sprintf("Key id %s (%s). Revoke it once a replacement works.", f.KeyID, f.Fingerprint)
			if !seenID[f.KeyID] {
				seenID[f.KeyID] = true
				ids = append(ids, f.KeyID)
			}
		}
		out = append(out, cf)
	}
	for _, f := range r.AlsoExposed {
		where := fmt.Sprintf("%s:%d", f.File, f.Line)
		out = append(out, checklist.Finding{
			ID: "leak-also:" + short(f.Fingerprint) + "@" + where, Severity: checklist.Medium,
			Title:    fmt.Sprintf("Also exposed — rotate too: %s %s in %s", f.Provider, f.Kind, where),
			Detail:   "Value " + f.Redacted + " (" + f.Fingerprint + "). A leaked file never holds just one secret.",
			Evidence: "scan: " + where, Target: checklist.Target{Kind: "leak", ID: f.Fingerprint, Name: f.Redacted}, Source: "scan",
		})
	}
	for _, x := range r.Exposures {
		sev := checklist.Medium
		if x.Severity == "high" || x.Severity == "critical" {
			sev = checklist.High
		}
		out = append(out, checklist.Finding{
			ID: "exposure:" + x.Kind + "@" + x.Path, Severity: sev, Title: fmt.Sprintf("Exposed: %s (%s)", x.Path, x.Kind),
			Detail: x.Detail, Evidence: "scan: " + x.Path, Target: checklist.Target{Kind: "leak", ID: x.Path}, Source: "scan",
		})
	}
	// a scan that left something out is never an all-clear
	if why := r.IncompleteReasons(); len(why) > 0 {
		out = append(out, checklist.Finding{
			ID: "scan-incomplete", Severity: checklist.Medium,
			Title:    "The file scan is incomplete: " + strings.Join(why, "; "),
			Detail:   "A key may be in what was not read or not listed. Check those files and folders by hand (the scan's summary names the first of each), or raise the cap and scan again.",
			Evidence: "scan: " + strings.Join(why, "; "), Target: checklist.Target{Kind: "leak", ID: "scan-incomplete"}, Source: "scan",
		})
	}
	for _, t := range r.Traces {
		sev, served := checklist.Medium, "never answered 200"
		if t.Served > 0 {
			sev, served = checklist.High, fmt.Sprintf("answered 200 %d times: the file was served", t.Served)
		}
		out = append(out, checklist.Finding{
			ID: "attack:" + t.Probe + "@" + t.File, Severity: sev,
			Title:    fmt.Sprintf("%d requests for %s from %d addresses (%s to %s)", t.Requests, t.Probe, t.IPCount, t.First.Format("2006-01-02"), t.Last.Format("2006-01-02")),
			Detail:   "The server " + served + ".",
			Evidence: fmt.Sprintf("scan: %s:%d", t.File, t.FirstLn), Target: checklist.Target{Kind: "ip", ID: firstIP(t.IPs)}, Source: "scan",
		})
	}
	return out, ids
}

func firstIP(ips []string) string {
	if len(ips) > 0 {
		return ips[0]
	}
	return ""
}

// ScanRoots implements checklist.ScanRootReporter: what the last Scan read
// from each root (nil before the first, or when it could not start).
func (a *Adapter) ScanRoots() []checklist.ScanRoot {
	if a.Last == nil {
		return nil
	}
	out := make([]checklist.ScanRoot, 0, len(a.Last.RootStats))
	for _, s := range a.Last.RootStats {
		out = append(out, checklist.ScanRoot{Path: s.Path, Target: s.Target, Files: s.Files, Bytes: s.Bytes, Skipped: s.Skipped, Unreadable: s.Unreadable, Error: s.Error})
	}
	return out
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
