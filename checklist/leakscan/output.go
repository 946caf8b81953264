package leakscan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strings"

	"reclaim/provider"
)

// Everything a report holds about the server (paths, link targets, log
// fields, errors naming paths) may be the attacker's: the text output
// passes each through provider.Sanitize, as the UI does, and the JSON and
// SARIF outputs escape what Sanitize would remove (provider.TerminalSafeJSON,
// as `reclaim audit --json` does).

// san is provider.Sanitize; sanN caps too (log fields).
func san(s string) string         { return provider.Sanitize(s) }
func sanN(s string, n int) string { return provider.SanitizeN(s, n) }

// writeSafeJSON writes v as indented JSON that is safe to print.
func writeSafeJSON(w io.Writer, v any) error { return writeSafeJSONStream(w, v) }

// stream is a list in a JSON document that is written an element at a
// time: the document is marshalled with the list empty, and the elements
// go in where `"key": []` stands, at the given indentation.
type stream struct {
	key, indent string
	n           int
	at          func(i int) any
}

// writeSafeJSONStream writes v as indented JSON that is safe to print,
// with the streams' elements in place of their empty lists: a report with
// 20,000 findings is never held as one buffer (nor twice, escaped).
func writeSafeJSONStream(w io.Writer, v any, streams ...stream) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for _, st := range streams {
		// a newline never stands in a JSON string: the key at its
		// indentation is the list's own
		needle := "\n" + st.indent + `"` + st.key + `": []`
		i := bytes.Index(b, []byte(needle))
		if i < 0 {
			return fmt.Errorf("json output: no list %q", st.key)
		}
		bw.Write(provider.TerminalSafeJSON(b[:i+len(needle)-1]))
		b = b[i+len(needle)-1:] // "]…"
		for j := range st.n {
			e, err := json.MarshalIndent(st.at(j), st.indent+"  ", "  ")
			if err != nil {
				return err
			}
			if j > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString("\n" + st.indent + "  ")
			bw.Write(provider.TerminalSafeJSON(e))
		}
		if st.n > 0 {
			bw.WriteString("\n" + st.indent)
		}
	}
	bw.Write(provider.TerminalSafeJSON(b))
	bw.WriteByte('\n')
	return bw.Flush()
}

// providerNames are display names for the text report.
var providerNames = map[string]string{
	"sendgrid": "SendGrid", "mailjet": "Mailjet", "mailgun": "Mailgun", "postmark": "Postmark", "brevo": "Brevo",
	"twilio": "Twilio", "mailchimp": "Mailchimp", "mandrill": "Mandrill", "git": "Git remote",
}

// DisplayName is a provider id's name for people ("sendgrid" ->
// "SendGrid"); an unknown id is returned as it is.
func DisplayName(p string) string { return displayName(p) }

func displayName(p string) string {
	if n, ok := providerNames[p]; ok {
		return n
	}
	return p
}

// WriteJSON writes the report as one JSON document. Its "findings" array is
// what `evalrecall -format reclaim` scores.
func WriteJSON(w io.Writer, r *Report) error {
	doc := *r
	doc.Findings, doc.AlsoExposed = []Finding{}, []Finding{}
	return writeSafeJSONStream(w, &doc,
		stream{"findings", "  ", len(r.Findings), func(i int) any { return &r.Findings[i] }},
		stream{"also_exposed", "  ", len(r.AlsoExposed), func(i int) any { return &r.AlsoExposed[i] }})
}

// partialNote opens the text report of a scan that was stopped.
const partialNote = "PARTIAL RESULT: the scan was interrupted before it read everything; this report covers only what was read."

// IncompleteReasons says what the scan left unread or unlisted because of
// a cap, a limit or an error, one reason each (nil: nothing): files cut at
// the per-file cap, files over the size limit, folders too deep,
// unreadable files and folders, findings not listed. A report with a
// reason is never an all-clear: the text opens with incompleteNote and
// `reclaim scan` exits 1. (An interrupted scan, or a root not read at all,
// is said apart: Partial, RootsError.)
func (r *Report) IncompleteReasons() []string {
	var out []string
	if r.Capped > 0 {
		out = append(out, fmt.Sprintf("%d %s read only up to the per-file cap", r.Capped, plural(r.Capped, "file", "files")))
	}
	if r.TooBig > 0 {
		out = append(out, fmt.Sprintf("%d %s over the size limit not read", r.TooBig, plural(r.TooBig, "file", "files")))
	}
	if r.TooDeep > 0 {
		out = append(out, fmt.Sprintf("%d %s deeper than the %d-byte path limit not read", r.TooDeep, plural(r.TooDeep, "folder", "folders"), MaxPathLen))
	}
	if r.Unreadable > 0 {
		out = append(out, fmt.Sprintf("%d %s unreadable", r.Unreadable, plural(r.Unreadable, "file or folder", "files or folders")))
	}
	if r.KeysNotListed > 0 {
		out = append(out, fmt.Sprintf("%d distinct %s not listed (over %d)", r.KeysNotListed, plural(r.KeysNotListed, "credential", "credentials"), MaxKeys))
	}
	if n := r.NotListed - r.KeysNotListed; n > 0 {
		out = append(out, fmt.Sprintf("%d more %s not listed (over the caps)", n, plural(n, "finding", "findings")))
	}
	out = append(out, r.Archives.incompleteReasons()...) // archive.go
	return append(out, r.repoIncomplete()...)            // issue 16: git history (gitout.go)
}

// incompleteNote opens the text report of a scan that left something out
// (IncompleteReasons).
func incompleteNote(why []string) string {
	return "INCOMPLETE RESULT: not everything was read or listed (" + strings.Join(why, "; ") + "); a key may be in what was left out."
}

// abbrev shortens a long path for a summary line: its start and end.
func abbrev(p string) string {
	const keep = 80
	if len(p) <= 2*keep+40 {
		return p
	}
	return strings.ToValidUTF8(p[:keep], "") + fmt.Sprintf("…(%d bytes)…", len(p)-2*keep) + strings.ToValidUTF8(p[len(p)-keep:], "")
}

// WriteText writes a human report.
func WriteText(w io.Writer, r *Report) error {
	inc := r.IncompleteReasons()
	if r.Partial {
		fmt.Fprintln(w, partialNote)
	}
	if len(inc) > 0 {
		fmt.Fprintln(w, incompleteNote(inc))
	}
	roots := make([]string, len(r.Roots))
	for i, p := range r.Roots {
		roots[i] = san(p)
	}
	under := strings.Join(roots, ", ")
	if len(roots) == 0 {
		under = "no folder"
		if len(r.Repos) > 0 {
			under = "git history" // issue 16: --git only
		}
	}
	fmt.Fprintf(w, "Scanned %d files (%s) in %s under %s\n", r.Files, humanBytes(r.Bytes), r.Elapsed.Round(1e6), under)
	for _, s := range r.RootStats {
		fmt.Fprintf(w, "  %s\n", s.Summary())
	}
	for _, l := range r.repoLines() { // issue 16: git history
		fmt.Fprintf(w, "  %s\n", l)
	}
	for _, n := range r.Notes() {
		fmt.Fprintf(w, "  %s\n", n)
	}
	failed := len(r.Failed())
	switch {
	case r.Files == 0 && len(r.Findings) == 0:
		fmt.Fprintln(w, "\nNothing was read: no result.")
	case len(r.Findings) == 0 && r.Partial:
		fmt.Fprintln(w, "\nNo provider credentials found in what was read before the scan was interrupted (a partial result, not an all-clear).")
	case len(r.Findings) == 0 && failed > 0:
		fmt.Fprintf(w, "\nNo provider credentials found in what was read (%d of %d roots not read).\n", failed, len(r.RootStats))
	case len(r.Findings) == 0 && len(inc) > 0:
		fmt.Fprintf(w, "\nNo provider credentials found in what was read, but the result is incomplete (%s): not an all-clear.\n", strings.Join(inc, "; "))
	case len(r.Findings) == 0:
		fmt.Fprintln(w, "\nNo provider credentials found.")
	default:
		fmt.Fprintf(w, "\nProvider credentials found (%d):\n", len(r.Findings))
		for _, f := range r.Findings {
			fmt.Fprintln(w, findingText(f)) // gitout.go: history, member and layer locations
		}
		if n := r.publicNote(); n != "" {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	if len(r.AlsoExposed) > 0 {
		fmt.Fprintf(w, "\nAlso exposed — rotate too (%d):\n", len(r.AlsoExposed))
		for _, f := range r.AlsoExposed {
			fmt.Fprintf(w, "  %s:%d  %s %s  %s  %s\n", san(f.Place()), f.Line, san(f.Provider), san(f.Kind), san(f.Redacted), short(f.Fingerprint))
		}
	}
	if len(r.Exposures) > 0 {
		fmt.Fprintf(w, "\nExposed configuration (%d):\n", len(r.Exposures))
		for _, x := range r.Exposures {
			fmt.Fprintf(w, "  [%s] %s  %s: %s\n", x.Severity, san(x.Path), x.Kind, x.Detail)
		}
	}
	if len(r.Traces) > 0 {
		fmt.Fprintf(w, "\nAttack traces in web logs (%d):\n", len(r.Traces))
		for _, t := range r.Traces {
			served := "never served"
			if t.Served > 0 {
				served = fmt.Sprintf("SERVED (200) %d times", t.Served)
			}
			ips := make([]string, 0, 5)
			for _, ip := range t.IPs[:min(5, len(t.IPs))] {
				ips = append(ips, sanN(ip, 46))
			}
			from := strings.Join(ips, ", ")
			if t.IPCount > 5 {
				from += fmt.Sprintf(" and %d more", t.IPCount-5)
			}
			fmt.Fprintf(w, "  %s  %s: %d requests from %s, %s to %s, %s\n", san(t.File), sanN(t.Probe, 40), t.Requests, from,
				t.First.Format("2006-01-02 15:04"), t.Last.Format("2006-01-02 15:04"), served)
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(w, "\nUnreadable (%d), first: %s\n", max(r.Unreadable, int64(len(r.Errors))), san(abbrev(r.Errors[0])))
	}
	return nil
}

// Notes are the summary lines about what was not read, or not all read:
// binaries skipped by type, binary-looking files read anyway, symbolic
// links not followed, special files, files cut at the cap, kernel file
// systems not walked into, findings not listed. Sanitized.
func (r *Report) Notes() []string {
	var out []string
	if n := len(r.HistoryNotRead); n > 0 {
		names := make([]string, 0, 3)
		for _, p := range r.HistoryNotRead[:min(n, 3)] {
			names = append(names, san(p))
		}
		l := fmt.Sprintf("Found %d git %s whose history was not read (a key deleted from the files may still be in it; --history reads it): %s", n, plural(int64(n), "repository", "repositories"), strings.Join(names, ", "))
		if n > 3 {
			l += fmt.Sprintf(" and %d more", n-3)
		}
		out = append(out, l)
	}
	if r.Binary > 0 {
		n := fmt.Sprintf("Skipped %d binary %s by type (media, fonts, executables, archives)", r.Binary, plural(r.Binary, "file", "files"))
		if r.BinaryFirst != "" {
			n += ", first: " + san(r.BinaryFirst)
		}
		out = append(out, n)
	}
	if r.BinaryScanned > 0 {
		out = append(out, fmt.Sprintf("Read %d binary-looking %s for the text in %s (UTF-16 decoded, or printable runs)", r.BinaryScanned, plural(r.BinaryScanned, "file", "files"), plural(r.BinaryScanned, "it", "them")))
	}
	if r.Symlinks > 0 {
		links := make([]string, 0, len(r.SymlinksFirst))
		for _, l := range r.SymlinksFirst {
			s := san(l.Path)
			if l.Target != "" {
				s += " -> " + san(l.Target)
			}
			links = append(links, s)
		}
		n := fmt.Sprintf("Did not follow %d symbolic %s (name one as a PATH to scan its target)", r.Symlinks, plural(r.Symlinks, "link", "links"))
		if len(links) > 0 {
			n += ": " + strings.Join(links, ", ")
			if more := r.Symlinks - int64(len(links)); more > 0 {
				n += fmt.Sprintf(" and %d more", more)
			}
		}
		out = append(out, n)
	}
	if r.Special > 0 {
		out = append(out, fmt.Sprintf("Skipped %d named %s, sockets or devices (not regular files)", r.Special, plural(r.Special, "pipe", "pipes")))
	}
	if r.Capped > 0 {
		cp := humanBytes(r.FileCap)
		switch {
		case r.PseudoFileCap > 0 && r.PseudoFileCap == r.FileCap:
		case r.PseudoFileCap > 0 && r.FileCap == 0:
			cp = humanBytes(r.PseudoFileCap) + " (kernel file systems; no cap elsewhere)"
		case r.PseudoFileCap > 0:
			cp += " (" + humanBytes(r.PseudoFileCap) + " in kernel file systems)"
		}
		n := fmt.Sprintf("Read only the first %s of %d %s over the per-file cap", cp, r.Capped, plural(r.Capped, "file", "files"))
		if r.CappedFirst != "" {
			n += ", first: " + san(r.CappedFirst)
		}
		out = append(out, n)
	}
	if len(r.PseudoSkipped) > 0 {
		ps := make([]string, len(r.PseudoSkipped))
		for i, p := range r.PseudoSkipped {
			ps[i] = san(p)
		}
		out = append(out, "Did not walk into "+strings.Join(ps, ", ")+" (kernel file systems; name one as a PATH to scan it)")
	}
	if r.TooDeep > 0 {
		n := fmt.Sprintf("Did not walk into %d %s deeper than the %d-byte path limit (PATH_MAX)", r.TooDeep, plural(r.TooDeep, "folder", "folders"), MaxPathLen)
		if r.TooDeepFirst != "" {
			n += ", first: " + san(abbrev(r.TooDeepFirst))
		}
		out = append(out, n)
	}
	if r.TooBig > 0 {
		out = append(out, fmt.Sprintf("Did not read %d %s over the size limit", r.TooBig, plural(r.TooBig, "file", "files")))
	}
	out = append(out, r.Archives.notes()...) // archive.go
	if r.NotListed > 0 {
		out = append(out, fmt.Sprintf("%d more findings not listed (over the caps: %d distinct credentials, %d more places of listed ones, %d other secrets in one file or %d in all); every distinct credential found is listed up to %d",
			r.NotListed, MaxKeys, MaxFindings, MaxFindingsPerFile, MaxFindings, MaxKeys))
	}
	return out
}

// Summary is one line for the root: "/srv/www: 412 files, 3.1 MiB",
// "/srv/site -> /data/site: …" for a link, "/srv/old: NOT READ: no such
// file or folder" when nothing was read.
func (s RootStat) Summary() string {
	p := san(s.Path)
	if s.Target != "" {
		p += " -> " + san(s.Target)
	}
	if s.Error != "" {
		return p + ": NOT READ: " + san(s.Error)
	}
	out := fmt.Sprintf("%s: %d %s, %s", p, s.Files, plural(s.Files, "file", "files"), humanBytes(s.Bytes))
	if s.Skipped > 0 {
		out += fmt.Sprintf(", %d skipped (binary or too big)", s.Skipped)
	}
	if s.Unreadable > 0 {
		out += fmt.Sprintf(", %d unreadable", s.Unreadable)
	}
	return out
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func short(fp string) string {
	if len(fp) > 19 {
		return fp[:19]
	}
	return fp
}

// humanBytes renders a byte count for people: "3.1 MiB" (the same as
// checklist.HumanBytes, which this package does not import).
func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// ---- SARIF 2.1.0 ----

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// Invocations carries what was read from each root (properties.roots)
	// and a notification for each root that was not.
	Invocations []sarifInvocation `json:"invocations,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	Properties                 sarifInvProps       `json:"properties"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifMessage    `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifInvProps struct {
	Roots                []RootStat `json:"roots"`
	Partial              bool       `json:"partial"`
	BinarySkipped        int64      `json:"binarySkipped"`
	BinarySkippedFirst   string     `json:"binarySkippedFirst,omitempty"`
	BinaryScanned        int64      `json:"binaryScanned"`
	SymlinksSkipped      int64      `json:"symlinksSkipped"`
	SymlinksSkippedFirst []Link     `json:"symlinksSkippedFirst,omitempty"`
	SpecialSkipped       int64      `json:"specialSkipped,omitempty"`
	FileCap              int64      `json:"fileCap,omitempty"`
	PseudoFileCap        int64      `json:"pseudoFileCap,omitempty"`
	Capped               int64      `json:"capped,omitempty"`
	CappedFirst          string     `json:"cappedFirst,omitempty"`
	PseudoSkipped        []string   `json:"pseudoSkipped,omitempty"`
	FindingsNotListed    int64      `json:"findingsNotListed,omitempty"`
	KeysNotListed        int64      `json:"keysNotListed,omitempty"`
	TooDeep              int64      `json:"tooDeep,omitempty"`
	TooDeepFirst         string     `json:"tooDeepFirst,omitempty"`
	TooBig               int64      `json:"tooBig,omitempty"`
	Unreadable           int64      `json:"unreadable,omitempty"`
	Incomplete           bool       `json:"incomplete"`
	IncompleteWhy        []string   `json:"incompleteWhy,omitempty"`
	// Notes are the text summary's lines about what was not read.
	Notes []string `json:"notes,omitempty"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version,omitempty"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints,omitempty"`
	Properties          map[string]any    `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// fileURI is path as a SARIF artifactLocation.uri: "file://" and the
// absolute path, or a relative reference, with each segment
// percent-encoded (url.PathEscape: '%', '#', '?', spaces, control and
// non-ASCII bytes among others), so that a reader that parses it gets the
// exact path back, byte for byte: a file named "x%2f..%2fetc" or "a#b"
// does not turn into another path.
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	if vol := filepath.VolumeName(path); vol != "" && len(vol) == 2 && vol[1] == ':' {
		// C:/x: file:///C:/x, the drive letter as written
		segs[0] = vol
		return "file:///" + strings.Join(segs, "/")
	}
	if strings.HasPrefix(p, "/") {
		return "file://" + strings.Join(segs, "/")
	}
	// a relative reference: a colon in its first segment would read as a
	// scheme
	segs[0] = strings.ReplaceAll(segs[0], ":", "%3A")
	return strings.Join(segs, "/")
}

// sarifLoc is a SARIF location of a line in a file (no line: the file).
func sarifLoc(path string, line int) []sarifLocation {
	l := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: fileURI(path)}}}
	if line > 0 {
		l.PhysicalLocation.Region = &sarifRegion{StartLine: line}
	}
	return []sarifLocation{l}
}

// sarifResultAt is the i-th SARIF result of r (findings, also exposed,
// exposures, traces, in that order) and its rule's description; made one at
// a time, so that they are never all held at once.
func sarifResultAt(r *Report, i int) (sarifResult, string) {
	if i < len(r.Findings) {
		f := &r.Findings[i]
		id := "leak/" + f.Provider + "/" + f.Kind
		// issue 16: history, member and layer locations (gitout.go)
		uri, line, props := sarifWhere(*f)
		l := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}}
		if line > 0 {
			l.PhysicalLocation.Region = &sarifRegion{StartLine: line}
		}
		return sarifResult{RuleID: id, Level: "error", Message: sarifMessage{sarifFindingMessage(*f)}, Locations: []sarifLocation{l},
			PartialFingerprints: map[string]string{"secretSha256/v1": strings.TrimPrefix(f.Fingerprint, "sha256:"), "location/v1": locationHash(*f)},
			Properties:          props}, displayName(f.Provider) + " " + f.Kind + " in a file"
	}
	i -= len(r.Findings)
	if i < len(r.AlsoExposed) {
		f := &r.AlsoExposed[i]
		return sarifResult{RuleID: "also-exposed/" + f.Provider + "/" + f.Kind, Level: "warning", Message: sarifMessage{fmt.Sprintf("also exposed, rotate too: %s %s %s", f.Provider, f.Kind, f.Redacted)}, Locations: sarifLoc(f.File, f.Line),
			PartialFingerprints: map[string]string{"secretSha256/v1": strings.TrimPrefix(f.Fingerprint, "sha256:")}}, "another secret in a file with leaked credentials: rotate it too"
	}
	i -= len(r.AlsoExposed)
	if i < len(r.Exposures) {
		x := &r.Exposures[i]
		lvl := "warning"
		if x.Severity == "high" || x.Severity == "critical" {
			lvl = "error"
		}
		return sarifResult{RuleID: "exposure/" + x.Kind, Level: lvl, Message: sarifMessage{x.Kind + ": " + x.Detail}, Locations: sarifLoc(x.Path, x.Line)}, x.Detail
	}
	t := &r.Traces[i-len(r.Exposures)]
	lvl := "warning"
	if t.Served > 0 {
		lvl = "error"
	}
	return sarifResult{RuleID: "attack/" + strings.Trim(strings.ReplaceAll(t.Probe, "/", "-"), "-."), Level: lvl, Message: sarifMessage{fmt.Sprintf("%d requests for %s from %d addresses, %d served with 200", t.Requests, t.Probe, t.IPCount, t.Served)}, Locations: sarifLoc(t.File, t.FirstLn)},
		"requests probing for " + t.Probe
}

// WriteSARIF writes the report as SARIF 2.1.0 for code-scanning dashboards.
func WriteSARIF(w io.Writer, r *Report, version string) error {
	loc := sarifLoc
	n := len(r.Findings) + len(r.AlsoExposed) + len(r.Exposures) + len(r.Traces)
	rules := map[string]string{}
	for i := range n {
		res, rule := sarifResultAt(r, i)
		rules[res.RuleID] = rule
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	drv := sarifDriver{Name: "reclaim", InformationURI: "https://github.com/reclaim/reclaim", Version: version, Rules: []sarifRule{}}
	for _, id := range ids {
		drv.Rules = append(drv.Rules, sarifRule{ID: id, ShortDescription: sarifMessage{rules[id]}})
	}
	inc := r.IncompleteReasons()
	inv := sarifInvocation{ExecutionSuccessful: r.RootsError() == nil && !r.Partial && len(inc) == 0, Properties: sarifInvProps{
		Roots: r.RootStats, Partial: r.Partial,
		BinarySkipped: r.Binary, BinarySkippedFirst: r.BinaryFirst, BinaryScanned: r.BinaryScanned,
		SymlinksSkipped: r.Symlinks, SymlinksSkippedFirst: r.SymlinksFirst, SpecialSkipped: r.Special,
		FileCap: r.FileCap, PseudoFileCap: r.PseudoFileCap, Capped: r.Capped, CappedFirst: r.CappedFirst, PseudoSkipped: r.PseudoSkipped, FindingsNotListed: r.NotListed,
		KeysNotListed: r.KeysNotListed, TooDeep: r.TooDeep, TooDeepFirst: r.TooDeepFirst, TooBig: r.TooBig, Unreadable: r.Unreadable,
		Incomplete: len(inc) > 0, IncompleteWhy: inc,
		Notes: r.Notes(),
	}}
	if inv.Properties.Roots == nil {
		inv.Properties.Roots = []RootStat{}
	}
	if r.Partial {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "error", Message: sarifMessage{partialNote}})
	}
	if len(inc) > 0 {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "error", Message: sarifMessage{incompleteNote(inc)}})
	}
	for _, s := range r.Failed() {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "error", Message: sarifMessage{s.describe()}, Locations: loc(s.Path, 0)})
	}
	doc := sarifLog{Schema: "https://json.schemastore.org/sarif-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{{Tool: sarifTool{Driver: drv}, Results: []sarifResult{}, Invocations: []sarifInvocation{inv}}}}
	return writeSafeJSONStream(w, doc, stream{"results", "      ", n, func(i int) any { res, _ := sarifResultAt(r, i); return res }})
}
