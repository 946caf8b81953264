package provider

import (
	"bytes"
	"math/rand/v2"
	"sort"
	"sync"
)

// Detector finds one provider's credentials in raw bytes. The leak scanner
// runs one case-insensitive multi-literal pass over every buffer and calls
// Find only in a window around each hit of one of the detector's anchors, so
// a detector costs nothing on text that holds none of its literals.
//
// Each provider package declares its detectors from init with
// RegisterDetectors, so a new adapter brings its patterns with it.
type Detector struct {
	// Name is unique, e.g. "sendgrid/api_key".
	Name     string
	Provider string // provider id, e.g. "sendgrid" (Mandrill: "mandrill")
	// Anchors are literals (matched case-insensitively) that a credential or
	// its context always contains: a fixed prefix such as "SG." or
	// "xkeysib-", or a context word such as "postmark". Lower case.
	Anchors []string
	// Before and After bound the window handed to Find, in bytes around the
	// anchor hit (0: 256).
	Before, After int
	// Find looks for credentials in w and reports each with emit. It must
	// not retain w.Buf, must not allocate per byte, and must stay inside
	// [w.Lo, w.Hi).
	Find func(w *Window, emit func(Match))
	// Samples builds texts the detector must find credentials in, from r so
	// no key-shaped literal sits in the source. Every detector has some:
	// the registry's tests check that Find reports each sample's secrets
	// and that ScrubSecrets removes them from everything an owner types.
	Samples func(r *rand.Rand) []Sample
}

// Window is the part of a buffer a detector may look at.
type Window struct {
	Buf              []byte // the buffer being scanned (read only)
	Lo, Hi           int    // window bounds in Buf
	HitStart, HitEnd int    // the anchor occurrence in Buf
	Anchor           string // the anchor that hit (lower case)
	// Scrub is set when the caller is the scrubber (FindSecrets): a shape
	// that looks like a placeholder is reported too, since masking one
	// too many costs nothing and missing a key leaks it.
	Scrub bool
}

// Placeholder is LooksPlaceholder for the scanner, and false for the
// scrubber (Window.Scrub). Detectors call it instead of LooksPlaceholder.
func (w *Window) Placeholder(s []byte) bool { return !w.Scrub && LooksPlaceholder(s) }

// Match is one credential a detector found: the secret is
// w.Buf[Start:End]. It never leaves the scanner except redacted and hashed.
type Match struct {
	Provider string // provider id (defaults to the detector's)
	Kind     string // e.g. "api_key", "secret_key", "auth_token"
	Start    int
	End      int
	// KeyID is a public identifier of the credential, when it has one (the
	// SendGrid key id): safe to show and to match against the
	// provider's key list.
	KeyID string
	// Pair names the credential this one pairs with, when the provider issues
	// pairs (Twilio SID + token, Mailjet key + secret): "" or the partner's
	// kind, and PairID the partner's identifier when known (internal: the
	// scanner only shows it redacted).
	Pair   string
	PairID string
	// Public marks an identifier that is not a secret (a Twilio account or
	// key SID): the scanner reports it, the scrubber leaves it readable.
	Public bool
}

var (
	detMu     sync.RWMutex
	detectors []Detector
)

// RegisterDetectors adds detectors; provider packages call it from init.
func RegisterDetectors(ds ...Detector) {
	detMu.Lock()
	defer detMu.Unlock()
	for _, d := range ds {
		if d.Find == nil || len(d.Anchors) == 0 {
			panic("provider: detector " + d.Name + " has no anchors or Find")
		}
		if d.Samples == nil {
			panic("provider: detector " + d.Name + " has no Samples")
		}
		for _, x := range detectors {
			if x.Name == d.Name {
				panic("provider: duplicate detector " + d.Name)
			}
		}
		detectors = append(detectors, d)
	}
}

// Detectors returns every registered detector, sorted by name.
func Detectors() []Detector {
	detMu.RLock()
	defer detMu.RUnlock()
	out := append([]Detector(nil), detectors...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ---- small helpers for detectors: byte classes, runs, names ----

// ByteClass is a set of bytes.
type ByteClass [256]bool

func classOf(sets ...string) (c ByteClass) {
	for _, s := range sets {
		for i := 0; i < len(s); i++ {
			if i+2 < len(s) && s[i+1] == '-' {
				for b := int(s[i]); b <= int(s[i+2]); b++ {
					c[b] = true
				}
				i += 2
				continue
			}
			c[s[i]] = true
		}
	}
	return c
}

// Common byte classes.
var (
	HexLower  = classOf("0-9a-f")
	Hex       = classOf("0-9a-fA-F")
	Alnum     = classOf("0-9a-zA-Z")
	Word      = classOf("0-9a-zA-Z_")
	TokenChar = classOf("0-9a-zA-Z_-")  // base64url and key alphabets
	Base64    = classOf("0-9a-zA-Z+/=") // standard base64
	NameChar  = classOf("0-9a-zA-Z_.-") // identifiers in configs
	upperCase = classOf("A-Z")
	lowerCase = classOf("a-z")
	digits    = classOf("0-9")
)

// RunEnd returns the end of the run of class c that starts at i, not past hi.
func RunEnd(b []byte, i, hi int, c *ByteClass) int {
	if hi > len(b) {
		hi = len(b)
	}
	for i < hi && c[b[i]] {
		i++
	}
	return i
}

// RunStart returns the start of the run of class c that ends at i, not
// before lo.
func RunStart(b []byte, i, lo int, c *ByteClass) int {
	if lo < 0 {
		lo = 0
	}
	for i > lo && c[b[i-1]] {
		i--
	}
	return i
}

// BoundaryBefore reports whether position i starts a token: the byte before
// it (if any, at or after lo) is not in c.
func BoundaryBefore(b []byte, i, lo int, c *ByteClass) bool {
	return i <= lo || i <= 0 || !c[b[i-1]]
}

// BoundaryAfter reports whether position i ends a token: b[i] (if i < hi) is
// not in c.
func BoundaryAfter(b []byte, i, hi int, c *ByteClass) bool {
	return i >= hi || i >= len(b) || !c[b[i]]
}

// Exact reports whether b[i:] starts with exactly n bytes of class c
// followed by a byte outside tail (or the end of the window).
func Exact(b []byte, i, hi, n int, c, tail *ByteClass) bool {
	if i+n > hi || i+n > len(b) {
		return false
	}
	for k := i; k < i+n; k++ {
		if !c[b[k]] {
			return false
		}
	}
	return BoundaryAfter(b, i+n, hi, tail)
}

// HasPrefixFold reports whether b[i:] starts with lower (lower case ASCII),
// ignoring case.
func HasPrefixFold(b []byte, i int, lower string) bool {
	if i < 0 || i+len(lower) > len(b) {
		return false
	}
	for k := 0; k < len(lower); k++ {
		c := b[i+k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[k] {
			return false
		}
	}
	return true
}

// IndexFold returns the first index of lower (lower case ASCII) in b[lo:hi]
// ignoring case, or -1.
func IndexFold(b []byte, lo, hi int, lower string) int {
	if hi > len(b) {
		hi = len(b)
	}
	if lo < 0 {
		lo = 0
	}
	for i := lo; i+len(lower) <= hi; i++ {
		if HasPrefixFold(b, i, lower) {
			return i
		}
	}
	return -1
}

// ContainsFold reports whether b contains lower (lower case), ignoring case.
func ContainsFold(b []byte, lower string) bool {
	return IndexFold(b, 0, len(b), lower) >= 0
}

// NameBefore returns the identifier a value at start is assigned to: it
// skips back over up to 6 separator bytes (quotes, spaces, '=', ':', '>',
// '(', ',', '[') and returns the run of identifier bytes before them, not
// before lo. "FOO_TOKEN=v", "'token' => 'v'", "token: 'v'", "(token v)".
func NameBefore(b []byte, start, lo int) []byte {
	if lo < 0 {
		lo = 0
	}
	i := start
	for n := 0; i > lo && n < 7; n++ {
		c := b[i-1]
		if c == '\'' || c == '"' || c == ' ' || c == '\t' || c == '=' || c == ':' || c == '>' || c == '(' || c == ',' || c == '[' || c == '`' || c == ']' {
			i--
			continue
		}
		break
	}
	end := i
	i = RunStart(b, end, lo, &NameChar)
	return b[i:end]
}

// LooksPlaceholder reports whether a candidate secret is a placeholder or a
// documentation example rather than a real credential: too few distinct
// characters ("xxxx", "0000", "XXXX…"), or words such as "your", "example".
func LooksPlaceholder(s []byte) bool {
	var seen [256]bool
	distinct := 0
	for _, c := range s {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if distinct < 6 || (len(s) >= 20 && distinct < 8) {
		return true
	}
	for _, w := range []string{"your", "example", "xxxx", "placeholder", "change_me", "changeme", "replace", "dummy", "redacted", "abcdef0123", "1234567890"} {
		if ContainsFold(s, w) {
			return true
		}
	}
	return false
}

// Mixed reports whether s has at least two of: upper case, lower case,
// digits (random keys almost always do).
func Mixed(s []byte) bool {
	var u, l, d bool
	for _, c := range s {
		u = u || upperCase[c]
		l = l || lowerCase[c]
		d = d || digits[c]
	}
	n := 0
	for _, x := range []bool{u, l, d} {
		if x {
			n++
		}
	}
	return n >= 2
}

// Run runs d over b the simple way (every anchor occurrence, no prefilter)
// and returns what it finds, deduplicated by span. For tests and tools; the
// leak scanner uses its own multi-literal pass.
func (d Detector) Run(b []byte) []Match {
	before, after := d.Before, d.After
	if before == 0 && after == 0 {
		before, after = 256, 256
	}
	var out []Match
	seen := map[[2]int]bool{}
	for _, a := range d.Anchors {
		for i := 0; ; {
			j := IndexFold(b, i, len(b), a)
			if j < 0 {
				break
			}
			w := Window{Buf: b, Lo: max(0, j-before), Hi: min(len(b), j+len(a)+after), HitStart: j, HitEnd: j + len(a), Anchor: a}
			d.Find(&w, func(m Match) {
				if m.Provider == "" {
					m.Provider = d.Provider
				}
				if !seen[[2]int{m.Start, m.End}] {
					seen[[2]int{m.Start, m.End}] = true
					out = append(out, m)
				}
			})
			i = j + 1
		}
	}
	return out
}

// Sample is text in which a detector must find credentials: the shared
// tests type it into every field an owner can fill and check that
// ScrubSecrets leaves none of Secrets on disk.
type Sample struct {
	Text    string
	Secrets []string // the secret values Find must report in Text
}

// FindSecrets runs every registered detector over b and returns the spans
// of the credentials found, sorted and merged where they overlap; public
// identifiers (Match.Public) are left out. It is the scrubber's pass: one
// case-folded copy of b, then a substring search per anchor, so text with
// no anchor costs a few microseconds per kilobyte.
func FindSecrets(b []byte) [][2]int {
	ds := scrubDetectors()
	if len(ds) == 0 || len(b) == 0 {
		return nil
	}
	lower := foldPool.Get().(*[]byte)
	defer foldPool.Put(lower)
	*lower = append((*lower)[:0], b...)
	lb := *lower
	for i, c := range lb {
		if 'A' <= c && c <= 'Z' {
			lb[i] = c + 'a' - 'A'
		}
	}
	var spans [][2]int
	for di := range ds {
		d := &ds[di]
		before, after := d.Before, d.After
		if before == 0 && after == 0 {
			before, after = 256, 256
		}
		for _, a := range d.Anchors {
			for off := 0; off < len(lb); {
				k := bytes.Index(lb[off:], []byte(a))
				if k < 0 {
					break
				}
				j := off + k
				w := Window{Buf: b, Lo: max(0, j-before), Hi: min(len(b), j+len(a)+after), HitStart: j, HitEnd: j + len(a), Anchor: a, Scrub: true}
				d.Find(&w, func(m Match) {
					if !m.Public && m.Start < m.End {
						spans = append(spans, [2]int{m.Start, m.End})
					}
				})
				off = j + 1
			}
		}
	}
	if len(spans) < 2 {
		return spans
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i][0] < spans[j][0] })
	out := spans[:1]
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		if s[0] < last[1] {
			last[1] = max(last[1], s[1])
			continue
		}
		out = append(out, s)
	}
	return out
}

var foldPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// scrubDetectors is the registry as of the last registration (a copy the
// scrubber reads without locking on every call).
func scrubDetectors() []Detector {
	detMu.RLock()
	defer detMu.RUnlock()
	return detectors
}

// SampleString returns n characters drawn from alpha, for Samples.
func SampleString(r *rand.Rand, alpha string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[r.IntN(len(alpha))]
	}
	return string(b)
}

// Alphabets for Samples.
const (
	SampleHex    = "0123456789abcdef"
	SampleAlnum  = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	SampleB64URL = SampleAlnum + "_-"
)
