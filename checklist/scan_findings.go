package checklist

// The leak scanner's glue: checklist/leakscan knows nothing of checklist;
// its Report becomes findings here, and a leaked credential becomes an
// account key through the provider's LeakMatcher, never by provider name.

import (
	"fmt"
	"slices"
	"strings"

	"reclaim/checklist/leakscan"
	"reclaim/provider"
)

// ScanFindings turns a leak scan's report into findings (Source "scan"),
// every string from the server (paths, log fields, redacted values)
// sanitized. A credential's finding carries the detector's provider.Leak
// and targets the leak (Target.Kind "leak", no Fix: rotate it); the engine
// turns it into a finding on the account key it is, to revoke first, when
// the provider's LeakMatcher recognises it (matchLeaksLocked). A report
// that left something out adds a "scan-incomplete" finding: it is never an
// all-clear. A nil report gives none.
func ScanFindings(r *leakscan.Report) []Finding {
	if r == nil {
		return nil
	}
	var out []Finding
	for _, f := range r.Findings {
		id, where := scanWhere(f.File, f.Line)
		in := "in "
		if f.Member != "" || f.Layer != "" || f.InHistory() {
			// issue 16: an archive member, an image layer, a commit
			id, where = provider.Sanitize(leakscan.Where(f)), provider.SanitizeN(leakscan.Where(f), 240)
		}
		if f.InHistory() {
			in = inHistory + ": "
			if f.Public {
				in = inHistory + " (PUBLIC remote): "
			}
		}
		cf := Finding{
			ID:       "leak:" + f.Provider + ":" + f.Kind + ":" + fpShort(f.Fingerprint) + "@" + id,
			Severity: High,
			Title:    fmt.Sprintf("%s %s found %s%s%s%s", leakscan.DisplayName(f.Provider), f.Kind, in, where, historyTitleNote(f), encodingNote(f)),
			Detail:   fmt.Sprintf("Value %s (%s). Revoke or rotate it.", provider.SanitizeN(f.Redacted, 80), f.Fingerprint),
			Evidence: "scan: " + where,
			Target:   Target{Kind: "leak", ID: f.Fingerprint, Name: provider.SanitizeN(f.Redacted, 80)},
			Source:   "scan",
			// a key found only in the history is as live as one in a file:
			// it is matched to the account's key and revoked first all the same
			Leak: &provider.Leak{Provider: f.Provider, Kind: f.Kind, KeyID: f.KeyID},
		}
		if f.InWebRoot {
			cf.Detail += " The file is in a web root: anyone could download it."
		}
		cf.Detail += historyDetail(f)
		out = append(out, cf)
	}
	for _, f := range r.AlsoExposed {
		id, where := scanWhere(f.File, f.Line)
		out = append(out, Finding{
			ID: "leak-also:" + fpShort(f.Fingerprint) + "@" + id, Severity: Medium,
			Title:    fmt.Sprintf("Also exposed — rotate too: %s %s in %s", f.Provider, f.Kind, where),
			Detail:   "Value " + provider.SanitizeN(f.Redacted, 80) + " (" + f.Fingerprint + "). A leaked file never holds just one secret.",
			Evidence: "scan: " + where, Target: Target{Kind: "leak", ID: f.Fingerprint, Name: provider.SanitizeN(f.Redacted, 80)}, Source: "scan",
		})
	}
	for _, x := range r.Exposures {
		sev := Medium
		if x.Severity == "high" || x.Severity == "critical" {
			sev = High
		}
		p := provider.SanitizeN(x.Path, 240)
		out = append(out, Finding{
			ID: "exposure:" + x.Kind + "@" + provider.Sanitize(x.Path), Severity: sev, Title: fmt.Sprintf("Exposed: %s (%s)", p, x.Kind),
			Detail: provider.SanitizeN(x.Detail, 400), Evidence: "scan: " + p, Target: Target{Kind: "leak", ID: provider.Sanitize(x.Path)}, Source: "scan",
		})
	}
	// a scan that left something out is never an all-clear
	if why := r.IncompleteReasons(); len(why) > 0 {
		w := provider.Sanitize(strings.Join(why, "; "))
		out = append(out, Finding{
			ID: "scan-incomplete", Severity: Medium,
			Title:    "The file scan is incomplete: " + w,
			Detail:   "A key may be in what was not read or not listed. Check those files and folders by hand (the scan's summary names the first of each), or raise the cap and scan again.",
			Evidence: "scan: " + w, Target: Target{Kind: "leak", ID: "scan-incomplete"}, Source: "scan",
		})
	}
	for _, t := range r.Traces {
		sev, served := Medium, "never answered 200"
		if t.Served > 0 {
			sev, served = High, fmt.Sprintf("answered 200 %d times: the file was served", t.Served)
		}
		probe := provider.SanitizeN(t.Probe, 120)
		out = append(out, Finding{
			ID: "attack:" + provider.Sanitize(t.Probe) + "@" + provider.Sanitize(t.File), Severity: sev,
			Title:    fmt.Sprintf("%d requests for %s from %d addresses (%s to %s)", t.Requests, probe, t.IPCount, t.First.Format("2006-01-02"), t.Last.Format("2006-01-02")),
			Detail:   "The server " + served + ".",
			Evidence: fmt.Sprintf("scan: %s:%d", provider.SanitizeN(t.File, 240), t.FirstLn), Target: Target{Kind: "ip", ID: provider.SanitizeN(firstIP(t.IPs), 64)}, Source: "scan",
		})
	}
	return out
}

// inHistory is what the title of a finding in a git history says (after
// "found "): keyPlaces tells such findings apart by it.
const inHistory = "in the git history"

// historyTitleNote is what a history finding's title adds: when the key
// was committed and whether HEAD still holds it, for the findings screen
// and the report, which show titles ("" for a finding in a file).
func historyTitleNote(f leakscan.Finding) string {
	if !f.InHistory() {
		return ""
	}
	var parts []string
	if !f.AuthorDate.IsZero() {
		parts = append(parts, "committed "+f.AuthorDate.Format("2006-01-02"))
	}
	if f.InHead != nil {
		if *f.InHead {
			parts = append(parts, "still in HEAD")
		} else {
			parts = append(parts, "no longer in HEAD")
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// encodingNote names how the value was encoded where it was found (a
// search of the file for the key's text would not find it).
func encodingNote(f leakscan.Finding) string {
	if f.Encoding == "" {
		return ""
	}
	return " (" + provider.SanitizeN(f.Encoding, 20) + "-encoded)"
}

// historyDetail says when a key found in a repository's history was
// committed, whether HEAD still holds it, and for a public repository that
// the key is public ("" for a finding in a file).
func historyDetail(f leakscan.Finding) string {
	if !f.InHistory() {
		return ""
	}
	var b strings.Builder
	switch {
	case f.Commit != "" && !f.AuthorDate.IsZero():
		fmt.Fprintf(&b, " Committed %s in %s", f.AuthorDate.Format("2006-01-02"), provider.SanitizeN(f.Commit, 64))
	case f.Blob != "":
		fmt.Fprintf(&b, " In object %s", provider.SanitizeN(f.Blob, 64))
	}
	if f.Ref != "" {
		fmt.Fprintf(&b, " (reached through %s)", provider.SanitizeN(f.Ref, 120))
	}
	b.WriteString(".")
	if f.InHead != nil && !*f.InHead {
		b.WriteString(" HEAD no longer holds it, but the history does: deleting it from the files did not un-leak it.")
	}
	if f.Public {
		b.WriteString(" " + leakscan.PublicAdvice)
	}
	return b.String()
}

// scanWhere is a finding's place, "file:line": sanitized whole for its ID,
// sanitized and capped for people.
func scanWhere(file string, line int) (id, shown string) {
	return fmt.Sprintf("%s:%d", provider.Sanitize(file), line), fmt.Sprintf("%s:%d", provider.SanitizeN(file, 240), line)
}

// fpShort is the start of a fingerprint ("sha256:" and 12 hex digits).
func fpShort(fp string) string {
	if len(fp) > 19 {
		return fp[:19]
	}
	return fp
}

func firstIP(ips []string) string {
	if len(ips) > 0 {
		return ips[0]
	}
	return ""
}

// scanRoots is what the scan read from each of its roots, from the
// report's RootStats (nil when there is no report).
func scanRoots(r *leakscan.Report) []ScanRoot {
	if r == nil {
		return nil
	}
	out := make([]ScanRoot, 0, len(r.RootStats))
	for _, s := range r.RootStats {
		out = append(out, ScanRoot{Path: s.Path, Target: s.Target, Files: s.Files, Bytes: s.Bytes, Skipped: s.Skipped, Unreadable: s.Unreadable, Error: s.Error})
	}
	return out
}

// leakKeyIDs counts the distinct key ids the detectors read from leaked
// credentials (of any provider).
func leakKeyIDs(fs []Finding) int {
	seen := map[provider.Leak]bool{}
	for _, f := range fs {
		if f.Leak != nil && f.Leak.KeyID != "" {
			seen[provider.Leak{Provider: f.Leak.Provider, KeyID: f.Leak.KeyID}] = true
		}
	}
	return len(seen)
}

// matchLeaksLocked asks the provider which account key each leaked
// credential is (provider.LeakMatcher), among the keys of the current
// inventory that are a threat (not deactivated, not made by reclaim). A
// matched scan finding targets that key: the key counts as leaked
// (leakedKeyIDsLocked), the analysis flags it and the rotation revokes it
// first. A provider without a matcher, or a leak it does not recognise,
// leaves the finding on the leak: rotate it, as the detector says.
func (e *Engine) matchLeaksLocked() {
	m, ok := e.prov.(provider.LeakMatcher)
	if !ok {
		return
	}
	a := e.acct()
	inv := e.analysisViewLocked(a.Current())
	if inv == nil || len(inv.Keys) == 0 {
		return
	}
	for i := range a.Findings {
		f := &a.Findings[i]
		if f.Source != "scan" || f.Leak == nil || f.Resolved || f.Target.Kind != "leak" {
			continue
		}
		id, ok := m.MatchLeak(*f.Leak, inv.Keys)
		if !ok {
			continue
		}
		j := slices.IndexFunc(inv.Keys, func(k provider.APIKey) bool { return k.ID == id })
		if j < 0 {
			continue // not a listed key: the matcher cannot vouch for it
		}
		matchedLeak(f, inv.Keys[j])
	}
}

// matchedLeak turns a leak finding into one on the account key k it is.
func matchedLeak(f *Finding, k provider.APIKey) {
	value := fmt.Sprintf("Value %s (%s).", f.Target.Name, f.Target.ID)
	// what ScanFindings said after "Revoke or rotate it." (a web root; when
	// and where in a git history, and whether public) still holds
	if _, extra, ok := strings.Cut(f.Detail, " Revoke or rotate it."); ok {
		value += extra
	}
	f.Target = Target{Kind: "key", ID: k.ID, Name: k.Name}
	if k.Master {
		// a master key is never revoked, only reset (the dead-credential step)
		f.Fix = ""
		f.Detail = fmt.Sprintf("It is this account's master key %s (%s…): it cannot be revoked, only reset in the console: reset it first. %s", quote(k.Name), short(k.ID), value)
		return
	}
	f.Fix = ActRevokeKey
	f.Detail = fmt.Sprintf("It is this account's key %s (%s…): revoke it first, once a replacement works. %s", quote(k.Name), short(k.ID), value)
}
