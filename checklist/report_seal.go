package checklist

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"reclaim/provider"
)

// ReportHTML is the HTML report's file name in the incident folder.
const ReportHTML = "report.html"

// SealVersion is the version of the seal line format.
const SealVersion = 1

// Seal binds a rendered report to the incident journal: the number of
// journal entries the report covers, the chain's hash after the last of
// them, and a digest of the report's own text before the seal.
//
// The digest catches an edited report; the journal head ties it to the
// incident. Anyone can recompute a digest, so the journal (which a forger
// would have to rewrite along with every later hash) is the authority:
// VerifyReport always checks the report against it.
type Seal struct {
	Version  int    `json:"version"`
	Incident string `json:"incident"`
	Entries  int    `json:"entries"`
	Head     string `json:"head"`
	Digest   string `json:"digest"` // sha256 of the report body, hex
}

// Line renders the seal as the last line of a Markdown report.
func (s Seal) Line() string {
	return fmt.Sprintf("reclaim-seal: v%d incident=%s entries=%d head=%s digest=%s", s.Version, s.Incident, s.Entries, s.Head, s.Digest)
}

func (r *Report) seal(digest string) Seal {
	return Seal{Version: SealVersion, Incident: r.Incident, Entries: r.JournalEntries, Head: r.JournalHash, Digest: digest}
}

var sealRE = regexp.MustCompile(`reclaim-seal: v(\d+) incident=([A-Za-z0-9._-]+) entries=(\d+) head=([0-9a-f]*) digest=([0-9a-f]{64})`)

func digestOf(body []byte) string {
	body = bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n"))
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// JSON renders the report as indented JSON, sealed.
func (r *Report) JSON() ([]byte, error) {
	c := sanitizedCopy(*r)
	c.Seal = nil
	b, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	b = []byte(ScrubSecrets(string(b)))
	canon, err := canonicalJSON(b)
	if err != nil {
		return nil, err
	}
	seal := r.seal(digestOf(canon))
	c.Seal = &seal
	b, err = json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(ScrubSecrets(string(b))), '\n'), nil
}

// canonicalJSON re-encodes a JSON report with sorted keys and without its
// seal, so the digest survives re-indentation.
func canonicalJSON(b []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	delete(m, "seal")
	return json.Marshal(m)
}

// Errors from CheckReport and VerifyReport.
var (
	ErrNoSeal         = errors.New("no reclaim seal found: this is not a reclaim report, or its last lines were cut")
	ErrReportAltered  = errors.New("the report was altered after it was written (its digest does not match its text)")
	ErrJournalAltered = errors.New("the incident journal does not match the report")
)

// CheckReport reads a report (Markdown, JSON or HTML), finds its seal and
// checks the report's digest. It does not look at the journal.
func CheckReport(data []byte) (Seal, string, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		// A key given twice shows one value to a reader and hashes another:
		// refused anywhere in the report.
		if err := noDuplicateKeys(trimmed); err != nil {
			return Seal{}, "json", fmt.Errorf("%w: %v", ErrReportAltered, err)
		}
		var r struct {
			Seal *Seal `json:"seal"`
		}
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if err := dec.Decode(&r); err != nil {
			return Seal{}, "json", fmt.Errorf("the JSON report is damaged: %w", err)
		}
		if dec.More() {
			return Seal{}, "json", fmt.Errorf("%w: data after the JSON report", ErrReportAltered)
		}
		if r.Seal == nil {
			return Seal{}, "json", ErrNoSeal
		}
		// The seal holds exactly its own fields: anything added to it is
		// outside the digest.
		var raw struct {
			Seal map[string]json.RawMessage `json:"seal"`
		}
		_ = json.Unmarshal(trimmed, &raw)
		for k := range raw.Seal {
			switch k {
			case "version", "incident", "entries", "head", "digest":
			default:
				return *r.Seal, "json", fmt.Errorf("%w: an unknown field %q in the seal", ErrReportAltered, provider.SanitizeN(k, 40))
			}
		}
		canon, err := canonicalJSON(trimmed)
		if err != nil {
			return *r.Seal, "json", err
		}
		if digestOf(canon) != r.Seal.Digest {
			return *r.Seal, "json", ErrReportAltered
		}
		return *r.Seal, "json", nil
	}
	format := "md"
	if bytes.Contains(data, []byte("<html")) {
		format = "html"
	}
	locs := sealRE.FindAllSubmatchIndex(data, -1)
	if len(locs) == 0 {
		return Seal{}, format, ErrNoSeal
	}
	loc := locs[len(locs)-1]
	start := bytes.LastIndexByte(data[:loc[0]], '\n') + 1
	// The seal line holds the seal and nothing else (in HTML, inside its
	// comment): text before it on that line is outside the sealed part.
	prefix := string(data[start:loc[0]])
	if (format == "md" && prefix != "") || (format == "html" && prefix != "<!-- ") {
		return Seal{}, format, fmt.Errorf("%w: text on the seal line, outside the sealed part", ErrReportAltered)
	}
	// Nothing may stand outside the sealed part: after the seal only the
	// line end (and, in HTML, the comment's end).
	tail := string(data[loc[1]:])
	if format == "html" {
		tail = strings.TrimPrefix(tail, " -->")
		if bytes.Contains(bytes.ToLower(data), []byte("<script")) {
			return Seal{}, format, fmt.Errorf("%w: the HTML report holds a script, which reclaim never writes", ErrReportAltered)
		}
		if !bytes.HasSuffix(bytes.TrimRight(data[:start], "\n"), []byte("</html>")) {
			return Seal{}, format, fmt.Errorf("%w: text between the end of the document and the seal", ErrReportAltered)
		}
	}
	if tail != "\n" && tail != "\r\n" && tail != "" {
		return Seal{}, format, fmt.Errorf("%w: text after the seal line", ErrReportAltered)
	}
	m := func(i int) string { return string(data[loc[2*i]:loc[2*i+1]]) }
	v, _ := strconv.Atoi(m(1))
	n, _ := strconv.Atoi(m(3))
	s := Seal{Version: v, Incident: m(2), Entries: n, Head: m(4), Digest: m(5)}
	if v != SealVersion {
		return s, format, fmt.Errorf("seal version %d: this reclaim reads version %d", v, SealVersion)
	}
	if digestOf(data[:start]) != s.Digest {
		return s, format, ErrReportAltered
	}
	return s, format, nil
}

// maxJSONDepth bounds the nesting of a JSON document reclaim reads back.
const maxJSONDepth = 10000

// noDuplicateKeys walks a JSON document and fails on an object that names
// a key twice.
func noDuplicateKeys(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	depth := 0
	var walk func() error
	walk = func() error {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if t == json.Delim('{') || t == json.Delim('[') {
			// One call per level: unbounded, hostile nesting would
			// overflow the stack (encoding/json stops at the same depth).
			if depth++; depth > maxJSONDepth {
				return fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
			}
			defer func() { depth-- }()
		}
		switch t {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if seen[key] {
					return fmt.Errorf("the key %q appears twice in one object", provider.SanitizeN(key, 40))
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
			return err
		}
		return nil
	}
	return walk()
}

// Verification is what VerifyReport found.
type Verification struct {
	Seal   Seal
	Format string // "md", "json" or "html"
	// Later is how many journal entries were recorded after the report
	// (sending or filing it adds one).
	Later int
}

// VerifyReport checks a report against its incident's journal: the report's
// own digest, the journal's hash chain, and that the chain's hash after the
// report's last entry is the one the report names.
func VerifyReport(data []byte, inc *Incident) (Verification, error) {
	s, format, err := CheckReport(data)
	v := Verification{Seal: s, Format: format}
	if err != nil {
		return v, err
	}
	if s.Incident != inc.ID {
		return v, fmt.Errorf("%w: the report is for incident %s, not %s", ErrJournalAltered, provider.SanitizeN(s.Incident, 80), provider.SanitizeN(inc.ID, 80))
	}
	if _, err := VerifyJournal(inc.Journal); err != nil {
		return v, fmt.Errorf("%w: %v", ErrJournalAltered, err)
	}
	if s.Entries > len(inc.Journal) {
		return v, fmt.Errorf("%w: the report covers %d journal entries but the journal has only %d (entries were removed)", ErrJournalAltered, s.Entries, len(inc.Journal))
	}
	head := ""
	if s.Entries > 0 {
		head = inc.Journal[s.Entries-1].Hash
	}
	if head != s.Head {
		return v, fmt.Errorf("%w: after %d entries the journal's hash is %s, the report names %s", ErrJournalAltered, s.Entries, shortHex(head), shortHex(s.Head))
	}
	v.Later = len(inc.Journal) - s.Entries
	// The state must be backed by the journal (no step done without an
	// entry, no entries lost).
	if gaps := JournalGaps(inc); len(gaps) > 0 {
		return v, fmt.Errorf("%w: the journal is incomplete: %s", ErrJournalAltered, strings.Join(gaps, "; "))
	}
	// Every fact the report states about the steps and the journal is
	// re-derived from the journal's first Entries entries.
	covered := inc.Journal[:s.Entries]
	if err := checkFacts(data, format, covered); err != nil {
		return v, err
	}
	// The journal recorded this report's digest when it was written or
	// sent: a body edited with its digest recomputed matches no entry.
	if !digestRecorded(inc.Journal[s.Entries:], s.Digest) {
		return v, fmt.Errorf("%w: the journal has no record of a report with digest %s (it was edited, or written while the incident was open in another reclaim: write it again)", ErrReportAltered, shortHex(s.Digest))
	}
	return v, nil
}

// checkFacts re-renders the claims and the journal appendix from journal
// entries and checks the report states exactly those.
func checkFacts(data []byte, format string, covered []JournalEntry) error {
	claims := ClaimsFromJournal(covered)
	switch format {
	case "json":
		var r struct {
			Claims   []Claim        `json:"claims"`
			Timeline []JournalEntry `json:"timeline"`
		}
		if err := json.Unmarshal(data, &r); err != nil {
			return err
		}
		got, _ := json.Marshal(r.Claims)
		want, _ := json.Marshal(sanitizedCopy(claims))
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%w: the report's step claims differ from what the journal records", ErrReportAltered)
		}
		got, _ = json.Marshal(r.Timeline)
		want, _ = json.Marshal(sanitizedCopy(covered))
		if !bytes.Equal(got, want) {
			return fmt.Errorf("%w: the report's timeline differs from the journal", ErrReportAltered)
		}
		return nil
	case "html":
		for _, part := range []string{string(claimsHTML(claims)), string(journalHTML(covered))} {
			if !bytes.Contains(data, []byte(ScrubSecrets(part))) {
				return fmt.Errorf("%w: the report's steps or journal differ from what the journal records", ErrReportAltered)
			}
		}
		return nil
	}
	for _, part := range []string{ClaimsMarkdown(claims), JournalMarkdown(covered)} {
		if !bytes.Contains(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte(ScrubSecrets(part))) {
			return fmt.Errorf("%w: the report's steps or journal differ from what the journal records", ErrReportAltered)
		}
	}
	return nil
}

func digestRecorded(later []JournalEntry, digest string) bool {
	for _, j := range later {
		if strings.Contains(j.Detail, "sha256:"+digest) {
			return true
		}
	}
	return false
}

// Digests returns the sealed digest of each rendering of the report, as the
// journal records them ("md sha256:…").
func (r *Report) Digests() (string, error) {
	md := r.Markdown()
	js, err := r.JSON()
	if err != nil {
		return "", err
	}
	html, err := r.HTML()
	if err != nil {
		return "", err
	}
	var parts []string
	for _, f := range []struct {
		name string
		data []byte
	}{{"md", []byte(md)}, {"json", js}, {"html", html}} {
		s, _, err := CheckReport(f.data)
		if err != nil {
			return "", err
		}
		parts = append(parts, f.name+" sha256:"+s.Digest)
	}
	return strings.Join(parts, ", "), nil
}

func shortHex(h string) string {
	if h == "" {
		return "(empty)"
	}
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
