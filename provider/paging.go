package provider

import (
	"bytes"
	"context"
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
// through; where a section reads several lists (SendGrid's senders: verified
// senders, sender identities, marketing senders and authenticated domains)
// each is a part of it (Section.Parts) with a guaranteed share of its caps,
// and one list cut short never stops the others.
//
// Defaults, per section:
//
//   - DefaultMaxPages (200) pages: 200 pages of SendGrid's 500 subusers or
//     teammates, or of Mailjet's 1,000 records, is far beyond any real
//     account (the benchmark's 2,000 subusers are 4 pages).
//   - DefaultMaxItems (5,000) items: the benchmark account (2,000 subusers,
//     100 keys, 500 teammates) reads whole with room to spare. The cap is
//     kept this low because an inventory is held in memory, saved into the
//     incident's state file and rendered into reports: 20,000 items in each
//     of nine sections took 347 MB of memory and a 38 MB state.json.
//   - DefaultMaxBytes (8 MiB) of response bodies. The cap is kept this low
//     because nine sections read at once: together they stay far below the
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
// that keeps changing; and a read still going when its context's deadline
// passes (the audit's --timeout) keeps what it read (Section.Failed). All
// are reported as truncation too.
const (
	DefaultMaxPages        = 200
	DefaultMaxItems        = 5_000
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
	return newSection(what, "", l.MaxPages, l.MaxItems, l.MaxBytes)
}

// MessageSection starts the budget of the messages section.
func (l Limits) MessageSection(what string) *Section {
	l = l.WithDefaults()
	return newSection(what, "messages", l.MaxMessagePages, l.MaxMessages, l.MaxMessageBytes)
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
	CauseTime   = "time limit"        // the read's deadline (the audit's --timeout) passed
	CauseParts  = "parts cut"         // some of a section's parts (Section.Parts) stopped early
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

// Reason is the human reason, e.g. "truncated at 5000 items (item cap)".
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
//
// A section that reads several lists (SendGrid's teammates and pending
// invites; its verified senders, sender identities, marketing senders and
// domains) gives each its own part (Parts): a part cut short (a repeated
// page, a changing total, the time limit) stops only itself, never its
// siblings, and every part is guaranteed an equal share of the section's
// caps (a part may use more while its siblings do not need their share).
// The section's Err then names every part that was cut or not read.
type Section struct {
	what     string
	unit     string
	maxPages int
	maxItems int
	maxBytes int64

	mu    *sync.Mutex // the section's, shared by its parts
	pages int
	items int
	bytes int64
	trunc *Truncation

	parent *Section   // a part's section
	parts  []*Section // a section's parts
	done   bool       // a part that reads no more: its share is released
}

func newSection(what, unit string, pages, items int, bytes int64) *Section {
	return &Section{what: what, unit: unit, maxPages: pages, maxItems: items, maxBytes: bytes, mu: &sync.Mutex{}}
}

// What names the section.
func (s *Section) What() string { return s.what }

// Parts splits the section into parts read as separate lists, one per name
// ("teammates", "pending invites"), in the order their truncations are
// named. Use the parts (not the section) for the reads, call Done on each
// part when its list ends, and return the section's Err.
func (s *Section) Parts(names ...string) []*Section {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Section, len(names))
	for i, n := range names {
		out[i] = &Section{what: n, unit: s.unit, maxPages: s.maxPages, maxItems: s.maxItems, maxBytes: s.maxBytes, mu: s.mu, parent: s}
	}
	s.parts = append(s.parts, out...)
	return out
}

// Done says a part's list ended: the share of the caps kept for it goes
// to its siblings. (A truncated part is done already.)
func (s *Section) Done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
}

// room is what the section (or part) may still take: for a part, what its
// section has left less the unused shares of its unfinished siblings.
// Negative when over. Called with mu held.
func (s *Section) room() (pages, items int, bytes int64) {
	t := s
	if s.parent != nil {
		t = s.parent
	}
	pages, items, bytes = t.maxPages-t.pages, t.maxItems-t.items, t.maxBytes-t.bytes
	if s.parent == nil {
		return pages, items, bytes
	}
	k := len(t.parts)
	for _, q := range t.parts {
		if q == s || q.done {
			continue
		}
		pages -= max(0, t.maxPages/k-q.pages)
		items -= max(0, t.maxItems/k-q.items)
		bytes -= max(0, t.maxBytes/int64(k)-q.bytes)
	}
	return pages, items, bytes
}

// add counts pages, items and bytes in the section and, for a part, in its
// section too. Called with mu held.
func (s *Section) add(pages, items int, bytes int64) {
	for x := s; x != nil; x = x.parent {
		x.pages += pages
		x.items += items
		x.bytes += bytes
	}
}

// stopped reports whether the section, or a part's section, was stopped.
func (s *Section) stopped() bool {
	return s.trunc != nil || (s.parent != nil && s.parent.trunc != nil)
}

func (s *Section) stopLocked(cause, detail string) {
	if s.trunc != nil {
		return
	}
	s.trunc = &Truncation{What: s.what, Cause: cause, Items: s.items, Pages: s.pages, Bytes: s.bytes, Detail: detail, unit: s.unit}
	s.done = true
}

// Stop marks the section truncated (the first cause wins).
func (s *Section) Stop(cause, detail string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopLocked(cause, detail)
}

// Failed takes the failure of a read: once ctx is past its deadline (the
// audit's --timeout) the failure is the time limit's doing, so the section
// is marked "truncated at N (time limit)", keeping what it read, and Failed
// returns nil (the caller ends the read and returns Err); any other err
// comes back as it is.
func (s *Section) Failed(ctx context.Context, err error) error {
	if err == nil || !TimedOut(ctx) {
		return err
	}
	s.Stop(CauseTime, "")
	return nil
}

// TimedOut reports whether ctx ended at its deadline (not cancelled).
func TimedOut(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(context.Cause(ctx), context.DeadlineExceeded)
}

// TimeLimit is the truncation of a section stopped by the time limit after
// n items (unit "items" or "messages").
func TimeLimit(what string, n int, unit string) *Truncation {
	if unit == "items" {
		unit = ""
	}
	return &Truncation{What: what, Cause: CauseTime, Items: n, unit: unit}
}

// Room reports whether the section can take more items, without counting a
// page (for fan-out reads such as one key list per subuser). It marks the
// section truncated when the item cap is reached.
func (s *Section) Room() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped() {
		return false
	}
	if _, items, _ := s.room(); items <= 0 {
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
	if s.stopped() {
		return false
	}
	pages, items, _ := s.room()
	if items <= 0 {
		s.stopLocked(CauseItems, "")
		return false
	}
	if pages <= 0 {
		s.stopLocked(CausePages, "")
		return false
	}
	s.add(1, 0, 0)
	return true
}

// Remaining is how many more items the section may keep (decode no more).
func (s *Section) Remaining() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped() && (s.trunc == nil || s.trunc.Cause != CauseBytes) {
		return 0
	}
	_, items, _ := s.room()
	return max(items, 0)
}

// Read counts n bytes of answers; false (and the section truncated) once
// the byte cap is passed. The page that passes it is still kept.
func (s *Section) Read(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(0, 0, int64(n))
	if _, _, bytes := s.room(); bytes < 0 {
		s.stopLocked(CauseBytes, "")
		return false
	}
	return !s.stopped()
}

// Keep counts a page of n items and returns how many of them (a prefix) to
// keep; fewer than n marks the section truncated at the item cap.
func (s *Section) Keep(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, room, _ := s.room()
	room = max(room, 0)
	if s.stopped() && (s.trunc == nil || s.trunc.Cause != CauseBytes) {
		room = 0
	}
	k := min(n, room)
	s.add(0, k, 0)
	if k < n {
		s.stopLocked(CauseItems, "")
		s.trunc.Items = s.items
	}
	return k
}

// Err is nil, or the *Truncation that stopped the section. A section with
// parts reports every part that was cut or not read, in one truncation.
func (s *Section) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.parts) > 0 {
		return s.partsErrLocked()
	}
	if s.trunc == nil {
		return nil
	}
	t := *s.trunc
	t.Items = s.items
	return &t
}

func (s *Section) partsErrLocked() error {
	var why []string
	if s.trunc != nil {
		t := *s.trunc
		t.Items = s.items
		why = append(why, t.Reason())
	}
	for _, q := range s.parts {
		if q.trunc != nil {
			t := *q.trunc
			t.Items = q.items
			why = append(why, t.partReason())
		}
	}
	if len(why) == 0 {
		return nil
	}
	return &Truncation{What: s.what, Cause: CauseParts, Items: s.items, Pages: s.pages, Bytes: s.bytes, Detail: strings.Join(why, "; "), unit: s.unit}
}

// partReason names a part and why it stopped: "teammates truncated at 500
// items (repeated page: page 2 repeated page 1)", "pending invites not read
// (time limit)".
func (t *Truncation) partReason() string {
	unit := t.unit
	if unit == "" {
		unit = "items"
	}
	if t.Items == 0 {
		return t.What + " not read (" + t.Cause + ")"
	}
	at := fmt.Sprintf("%s truncated at %d %s", t.What, t.Items, unit)
	switch t.Cause {
	case CauseItems:
		return at + " (item cap)"
	case CausePages:
		return fmt.Sprintf("%s after %d pages (page cap)", at, t.Pages)
	case CauseBytes:
		return fmt.Sprintf("%s after %s of answers (byte cap)", at, mib(t.Bytes))
	case CauseTotal:
		if t.Detail != "" {
			return at + " (" + t.Detail + ")"
		}
	}
	if t.Detail != "" {
		return at + " (" + t.Cause + ": " + t.Detail + ")"
	}
	return at + " (" + t.Cause + ")"
}

// Truncated reports whether the section was stopped early (for a section
// with parts: whether any part was).
func (s *Section) Truncated() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.trunc != nil {
		return true
	}
	for _, q := range s.parts {
		if q.trunc != nil {
			return true
		}
	}
	return false
}

// repeatIDs is how many of a page's first ids identify it (Listing.Page).
const repeatIDs = 64

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
// (as many items, the same first repeatIDs ids in the same order) keeps
// nothing and stops the listing.
func (l *Listing) Page(size, n, decoded int, id func(int) string) (keep int, more bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.page++
	more = l.s.Read(size)
	if n > 0 && id != nil && decoded > 0 {
		// Only a prefix is compared: a page that comes back with fewer
		// items decoded (less room left in the section) is still seen
		// to repeat; pages of a real listing never share their first items.
		h := fnv.New64a()
		fmt.Fprintf(h, "%d\x00", n)
		for i := range min(decoded, repeatIDs) {
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
