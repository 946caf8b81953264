package provider

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Caps on what one inventory section may read. An account's API is the
// attacker's to shape (a hijacked account, a hostile proxy, a broken
// endpoint): every list read stops at whichever cap it reaches first, and a
// section stopped early says so (see Truncation) instead of passing for
// complete.
//
// A section is what one list call reads (provider.KeyLister's ListKeys,
// TeammateLister's ListTeammates, …), across every endpoint it pages
// through; the SendGrid senders section, for instance, shares one budget
// between verified senders, sender identities, marketing senders and
// authenticated domains.
//
// Defaults, per section:
//
//   - DefaultMaxPages (200) pages: 200 pages of SendGrid's 500 subusers or
//     teammates, or of Mailjet's 1,000 records, is far beyond any real
//     account (the benchmark's 2,000 subusers are 4 pages).
//   - DefaultMaxItems (20,000) items.
//   - DefaultMaxBytes (8 MiB) of response bodies. 20,000 records of 400
//     bytes fit; the cap is kept this low because sections hold what they
//     read and nine of them run at once: together they stay far below the
//     150 MB an audit may take.
//
// Messages (the last 30 days of mail) are streamed and summarised, never
// held, so their caps are larger: DefaultMaxMessagePages (2,000 requests),
// DefaultMaxMessages (250,000 messages; the benchmark's account sends
// 100,000) and DefaultMaxMessageBytes (512 MiB).
//
// `reclaim audit --max-pages N --max-items N --max-bytes MiB
// --max-messages N` raise (or lower) them; the UI uses the defaults.
//
// Besides the caps, a listing stops when a page repeats one it already
// returned (same item ids, in the same order), and, where the provider
// claims a total (Mailjet's Total), when the offset passes a claimed total
// that keeps changing. Both are reported as truncation too.
const (
	DefaultMaxPages        = 200
	DefaultMaxItems        = 20_000
	DefaultMaxBytes        = 8 << 20
	DefaultMaxMessagePages = 2_000
	DefaultMaxMessages     = 250_000
	DefaultMaxMessageBytes = 512 << 20
)

// Limits carries the caps to an adapter (Config.Limits). A zero field takes
// its default.
type Limits struct {
	MaxPages int   // pages (list requests) per section
	MaxItems int   // items kept per section
	MaxBytes int64 // response bytes read per section

	MaxMessagePages int   // requests for the last 30 days of mail
	MaxMessages     int   // messages read
	MaxMessageBytes int64 // response bytes read for them
}

// WithDefaults fills the zero fields with the defaults.
func (l Limits) WithDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxPages, DefaultMaxPages)
	def(&l.MaxItems, DefaultMaxItems)
	def64(&l.MaxBytes, DefaultMaxBytes)
	def(&l.MaxMessagePages, DefaultMaxMessagePages)
	def(&l.MaxMessages, DefaultMaxMessages)
	def64(&l.MaxMessageBytes, DefaultMaxMessageBytes)
	return l
}

// Section starts the budget of one section (what names it in messages:
// "subusers", "API keys").
func (l Limits) Section(what string) *Section {
	l = l.WithDefaults()
	return &Section{what: what, maxPages: l.MaxPages, maxItems: l.MaxItems, maxBytes: l.MaxBytes}
}

// MessageSection starts the budget of the messages section.
func (l Limits) MessageSection(what string) *Section {
	l = l.WithDefaults()
	return &Section{what: what, maxPages: l.MaxMessagePages, maxItems: l.MaxMessages, maxBytes: l.MaxMessageBytes, unit: "messages"}
}

// ErrTruncated matches every *Truncation (errors.Is).
var ErrTruncated = errors.New("the listing was truncated")

// Why a section stopped early.
const (
	CauseItems  = "item cap"
	CausePages  = "page cap"
	CauseBytes  = "byte cap"
	CauseRepeat = "repeated page"
	CauseTotal  = "changing total"
	CauseSource = "incomplete source" // read from a list that was itself truncated
)

// Truncation says a list read stopped before the provider said it ended.
// Adapters return it as the error alongside what they did read (the partial
// list is valid and kept); checklist.TakeInventory records it in
// Inventory.Truncated, the section still counting as read.
type Truncation struct {
	What  string // the section: "subusers"
	Cause string // one of the Cause constants
	Items int    // items kept
	Pages int    // pages read
	Bytes int64  // response bytes read
	// Detail adds what the cause alone does not say ("page 3 repeated page
	// 2", the claimed totals, the cap's size).
	Detail string
	unit   string // "items" (default) or "messages"
}

// Reason is the human reason, e.g. "truncated at 20000 items (item cap)".
// It carries no provider-supplied text.
func (t *Truncation) Reason() string {
	unit := t.unit
	if unit == "" {
		unit = "items"
	}
	at := fmt.Sprintf("truncated at %d %s", t.Items, unit)
	switch t.Cause {
	case CauseItems:
		return at + " (item cap)"
	case CausePages:
		return fmt.Sprintf("%s after %d pages (page cap)", at, t.Pages)
	case CauseBytes:
		return fmt.Sprintf("%s after %s of answers (byte cap)", at, mib(t.Bytes))
	}
	if t.Detail != "" {
		return at + ": " + t.Detail
	}
	return at + " (" + t.Cause + ")"
}

func (t *Truncation) Error() string { return t.What + ": " + t.Reason() }

// Is makes errors.Is(err, ErrTruncated) true.
func (t *Truncation) Is(target error) bool { return target == ErrTruncated }

func mib(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", (n+1023)>>10)
}

// SplitTruncated separates the truncations in err (a *Truncation, or
// errors.Join trees holding some) from the real failures, which come back
// joined in rest (nil when there are none).
func SplitTruncated(err error) (truncs []*Truncation, rest error) {
	var others []error
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if t, ok := e.(*Truncation); ok {
			truncs = append(truncs, t)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var t *Truncation
		if errors.As(e, &t) && errors.Unwrap(e) != nil && !hasOther(e) {
			truncs = append(truncs, t)
			return
		}
		others = append(others, e)
	}
	walk(err)
	return truncs, errors.Join(others...)
}

// hasOther reports whether a single-wrap chain holds a *provider.Error (a
// real failure) besides a truncation.
func hasOther(e error) bool {
	var pe *Error
	return errors.As(e, &pe)
}

// TruncationReason joins truncations into one line for Inventory.Truncated:
// a single one gives its Reason, several their Error()s.
func TruncationReason(ts []*Truncation) string {
	switch len(ts) {
	case 0:
		return ""
	case 1:
		return ts[0].Reason()
	}
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.Error()
	}
	return strings.Join(parts, "; ")
}

// Section is one section's budget; safe for concurrent use by the listings
// that share it.
type Section struct {
	what     string
	unit     string
	maxPages int
	maxItems int
	maxBytes int64

	mu    sync.Mutex
	pages int
	items int
	bytes int64
	trunc *Truncation
}

// What names the section.
func (s *Section) What() string { return s.what }

func (s *Section) stopLocked(cause, detail string) {
	if s.trunc != nil {
		return
	}
	s.trunc = &Truncation{What: s.what, Cause: cause, Items: s.items, Pages: s.pages, Bytes: s.bytes, Detail: detail, unit: s.unit}
}

// Stop marks the section truncated (the first cause wins).
func (s *Section) Stop(cause, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(cause, detail)
}

// Room reports whether the section can take more items, without counting a
// page (for fan-out reads such as one key list per subuser). It marks the
// section truncated when the item cap is reached.
func (s *Section) Room() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.trunc != nil {
		return false
	}
	if s.items >= s.maxItems {
		s.stopLocked(CauseItems, "")
		return false
	}
	return true
}

// Next reports whether one more page may be requested, and counts it. It is
// called only when the listing would go on, so reaching a cap here means
// there was more: the section is marked truncated.
func (s *Section) Next() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.trunc != nil {
		return false
	}
	if s.items >= s.maxItems {
		s.stopLocked(CauseItems, "")
		return false
	}
	if s.pages >= s.maxPages {
		s.stopLocked(CausePages, "")
		return false
	}
	s.pages++
	return true
}

// Remaining is how many more items the section may keep (decode no more).
func (s *Section) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.trunc != nil && s.trunc.Cause != CauseBytes {
		return 0
	}
	return max(s.maxItems-s.items, 0)
}

// Read counts n bytes of answers; false (and the section truncated) once
// the byte cap is passed. The page that passes it is still kept.
func (s *Section) Read(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.bytes += int64(n)
	if s.bytes > s.maxBytes {
		s.stopLocked(CauseBytes, "")
		return false
	}
	return s.trunc == nil
}

// Keep counts a page of n items and returns how many of them (a prefix) to
// keep; fewer than n marks the section truncated at the item cap.
func (s *Section) Keep(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	room := max(s.maxItems-s.items, 0)
	if s.trunc != nil && s.trunc.Cause != CauseBytes {
		room = 0
	}
	k := min(n, room)
	s.items += k
	if k < n {
		s.stopLocked(CauseItems, "")
		s.trunc.Items = s.items
	}
	return k
}

// Err is nil, or the *Truncation that stopped the section.
func (s *Section) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.trunc == nil {
		return nil
	}
	t := *s.trunc
	t.Items = s.items
	return &t
}

// Truncated reports whether the section was stopped early.
func (s *Section) Truncated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trunc != nil
}

// Listing is one paged listing within a section: it remembers the pages it
// saw (to stop on a repeat) and the totals the provider claimed. It is safe
// for concurrent use (SendGrid's message lanes share one).
type Listing struct {
	mu     sync.Mutex
	s      *Section
	seen   map[uint64]int // page hash -> page number
	page   int
	first  int // first claimed total
	least  int // smallest claimed total
	last   int
	change bool
}

// Listing starts a paged listing in the section.
func (s *Section) Listing() *Listing { return &Listing{s: s, seen: map[uint64]int{}} }

// More reports whether another page may be requested (Section.Next).
func (l *Listing) More() bool { return l.s.Next() }

// Page accounts one fetched page: its body size, how many items it holds
// (n, counting any not decoded) and their ids (id(i) for the decoded ones,
// i < decoded). It returns how many items to keep (a prefix of the decoded
// ones) and whether paging may go on. A page identical to one seen before
// keeps nothing and stops the listing.
func (l *Listing) Page(size, n, decoded int, id func(int) string) (keep int, more bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.page++
	more = l.s.Read(size)
	if n > 0 && id != nil && decoded > 0 {
		h := fnv.New64a()
		fmt.Fprintf(h, "%d\x00", n)
		for i := range decoded {
			h.Write([]byte(id(i)))
			h.Write([]byte{0})
		}
		sum := h.Sum64()
		if p, dup := l.seen[sum]; dup {
			l.s.Stop(CauseRepeat, fmt.Sprintf("page %d repeated page %d", l.page, p))
			return 0, false
		}
		if len(l.seen) < 4096 {
			l.seen[sum] = l.page
		}
	}
	keep = min(l.s.Keep(n), decoded)
	return keep, more && keep == n
}

// Total checks a claimed total after a page: offset is how many items the
// listing has passed. It returns false when the listing must stop: the
// offset reached the claimed total (the normal end), or the total keeps
// changing and the offset passed the smallest one claimed (truncation).
func (l *Listing) Total(offset, total int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if total <= 0 {
		return true
	}
	if l.first == 0 {
		l.first = total
	}
	if l.least == 0 || total < l.least {
		l.least = total
	}
	if l.last != 0 && total != l.last {
		l.change = true
	}
	l.last = total
	if offset >= total {
		return false
	}
	if l.change && offset >= l.least {
		l.s.Stop(CauseTotal, fmt.Sprintf("the claimed total kept changing (first %d, last %d)", l.first, total))
		return false
	}
	return true
}

// ---- decoding ----

// DecodeList decodes the JSON array at key in the top-level object of data
// (key "": data is the array itself), keeping at most max elements: the rest
// are counted in n but never decoded, so an answer of a million tiny
// elements costs no memory. A missing key or a null is an empty list.
func DecodeList[T any](data []byte, key string, max int) (items []T, n int, err error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if key != "" {
		tok, err := dec.Token()
		if err != nil {
			return nil, 0, err
		}
		if tok == nil {
			return nil, 0, nil
		}
		if d, ok := tok.(json.Delim); !ok || d != '{' {
			return nil, 0, fmt.Errorf("expected a JSON object, found %s", tokenKind(tok))
		}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return nil, 0, err
			}
			if k, _ := kt.(string); k == key {
				return decodeArray[T](dec, max)
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, 0, err
			}
		}
		return nil, 0, nil
	}
	return decodeArray[T](dec, max)
}

func decodeArray[T any](dec *json.Decoder, max int) ([]T, int, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, 0, err
	}
	if tok == nil {
		return nil, 0, nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, 0, fmt.Errorf("expected a JSON array, found %s", tokenKind(tok))
	}
	var out []T
	n := 0
	for dec.More() {
		if len(out) < max {
			var v T
			if err := dec.Decode(&v); err != nil {
				return out, n, err
			}
			out = append(out, v)
		} else {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return out, n, err
			}
		}
		n++
	}
	if _, err := dec.Token(); err != nil {
		return out, n, err
	}
	return out, n, nil
}

func tokenKind(t json.Token) string {
	switch v := t.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "something else"
}

// Clip bounds a provider string kept in memory: at most n bytes, cut at a
// rune boundary and marked with "…", copied so the long original can be
// freed. Sanitizing stays the job of whoever prints it.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut]) + "…"
}
