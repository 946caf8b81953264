package pmfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is an injected failure for requests matching Method and Path (""
// matches any; a Path ending in "*" is a prefix). Times is how many
// matching requests it hits (0: one; -1: every one).
type Fault struct {
	Method, Path string
	Times        int
	// Status answers with this status and Postmark's error body (429 also
	// sends Retry-After).
	Status int
	// RetryAfter is a 429's Retry-After value (default "1").
	RetryAfter string
	// HTML answers Status (default 403) with an HTML page, as Postmark's
	// network layer does.
	HTML bool
	// Delay holds the answer back (a slow first byte).
	Delay time.Duration
	// Trickle sends the real answer one byte per Trickle.
	Trickle time.Duration
	// Malformed cuts the real answer's JSON in half.
	Malformed bool
	// Huge answers 200 with a body of this many bytes (a list of spaces).
	Huge int64
	// Repeat answers the first page of a list whatever the offset.
	Repeat bool
	// GrowTotal claims a TotalCount two pages ahead of the offset, and
	// fresh items on every page, forever.
	GrowTotal bool
	// Message replaces the error body's Message (hostile error text).
	Message string
}

// Fake is the fake. Lock Mu to read or change St while it serves.
type Fake struct {
	*httptest.Server
	Mu sync.Mutex
	St State

	faults    []Fault
	requests  atomic.Int64
	routeHits map[string]int
	tokens    map[string]int // token -> requests that carried it
}

// New starts a fake serving st on a loopback port.
func New(st State) *Fake {
	s := &Fake{St: st, routeHits: map[string]int{}, tokens: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Inject queues a fault.
func (s *Fake) Inject(f Fault) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	if f.Times == 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, f)
}

// ClearFaults drops every queued fault.
func (s *Fake) ClearFaults() {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.faults = nil
}

// Requests is how many requests arrived.
func (s *Fake) Requests() int64 { return s.requests.Load() }

// Hits is how many requests reached "METHOD /route/template" (counted
// before the token is checked).
func (s *Fake) Hits(route string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return s.routeHits[route]
}

// TokenUses is how many requests carried tok in a token header.
func (s *Fake) TokenUses(tok string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return s.tokens[tok]
}

// Token kinds a route takes.
const (
	account = "account"
	server  = "server"
)

type req struct {
	w      http.ResponseWriter
	r      *http.Request
	params map[string]string
	srv    *Fake // the fake
	server int   // index of the server a server token belongs to
	body   []byte
	fault  *Fault
}

type route struct {
	method, pattern, auth string
	handle                func(q *req)
}

var routes []route

func handle(method, pattern, auth string, h func(q *req)) {
	routes = append(routes, route{method, pattern, auth, h})
}

func match(pattern, path string) (map[string]string, bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := map[string]string{}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			v, err := url.PathUnescape(xs[i])
			if err != nil {
				return nil, false
			}
			params[strings.Trim(ps[i], "{}")] = v
			continue
		}
		if ps[i] != xs[i] {
			return nil, false
		}
	}
	return params, true
}

// ErrBody is Postmark's error body (spec StandardPostmarkResponse).
func ErrBody(code int, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"ErrorCode": code, "Message": msg})
	return b
}

// Postmark's error codes used here. 10 is documented for a bad or missing
// token; the others are the fake's own choice (the 2019 spec lists none).
const (
	CodeBadToken   = 10
	CodeInvalid    = 701
	CodeNotFound   = 702
	codeRateLimit  = 429
	codeServerDown = 500
)

func (s *Fake) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	path := r.URL.EscapedPath()
	var rt *route
	var params map[string]string
	for i := range routes {
		if p, ok := match(routes[i].pattern, path); ok && routes[i].method == r.Method {
			rt, params = &routes[i], p
			break
		}
	}
	if rt == nil {
		writeRaw(w, http.StatusNotFound, ErrBody(CodeNotFound, "Not found."))
		return
	}
	s.Mu.Lock()
	s.routeHits[rt.method+" "+rt.pattern]++
	f := s.takeFault(r.Method, r.URL.Path)
	s.Mu.Unlock()
	// Faults of the network or the provider's front (a delay, a status, an
	// HTML page, a huge body) strike before the token is checked; those
	// that shape a real answer (malformed, trickling, repeated or growing
	// pages) after.
	if f != nil && f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	if f != nil && s.early(w, f) {
		return
	}
	q := &req{w: w, r: r, params: params, srv: s, server: -1}
	at, st := r.Header.Get("X-Postmark-Account-Token"), r.Header.Get("X-Postmark-Server-Token")
	s.Mu.Lock()
	if at != "" {
		s.tokens[at]++
	}
	if st != "" {
		s.tokens[st]++
	}
	ok := false
	switch rt.auth {
	case account:
		ok = at != "" && slices.Contains(s.St.AccountTokens, at)
	case server:
		for i, sv := range s.St.Servers {
			if st != "" && slices.Contains(sv.ApiTokens, st) {
				q.server, ok = i, true
				break
			}
		}
	}
	s.Mu.Unlock()
	if !ok {
		msg := "Request does not contain a valid Server token."
		if rt.auth == account {
			msg = "Request does not contain a valid Account token."
		}
		if at == "" && st == "" {
			msg = "No Account or Server API tokens were supplied in the HTTP headers. Please add a header for either X-Postmark-Server-Token or X-Postmark-Account-Token."
		}
		writeRaw(w, http.StatusUnauthorized, ErrBody(CodeBadToken, msg))
		return
	}
	if r.Body != nil {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20))
		q.body = buf.Bytes()
	}
	q.fault = f
	if f == nil {
		rt.handle(q)
		return
	}
	switch {
	case f.Malformed || f.Trickle > 0:
		rec := httptest.NewRecorder()
		q.w = rec
		rt.handle(q)
		b := rec.Body.Bytes()
		if f.Malformed {
			b = b[:len(b)/2]
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		fl, _ := w.(http.Flusher)
		if f.Trickle <= 0 {
			_, _ = w.Write(b)
			return
		}
		for i := range b {
			if _, err := w.Write(b[i : i+1]); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			select {
			case <-time.After(f.Trickle):
			case <-r.Context().Done():
				return
			}
		}
	default: // Repeat, GrowTotal: the handler reads q.fault
		rt.handle(q)
	}
}

// early answers the faults that strike before the token is checked; false
// when f is not one of them.
func (s *Fake) early(w http.ResponseWriter, f *Fault) bool {
	msg := func(def string) string {
		if f.Message != "" {
			return f.Message
		}
		return def
	}
	switch {
	case f.HTML:
		st := f.Status
		if st == 0 {
			st = http.StatusForbidden
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(st)
		_, _ = w.Write([]byte("<html><body><h1>403 Forbidden</h1>" + msg("") + "</body></html>"))
	case f.Status == http.StatusTooManyRequests:
		ra := f.RetryAfter
		if ra == "" {
			ra = "1"
		}
		w.Header().Set("Retry-After", ra)
		writeRaw(w, f.Status, ErrBody(codeRateLimit, msg("Too many requests.")))
	case f.Status != 0:
		code := codeServerDown
		if f.Status == http.StatusUnprocessableEntity {
			code = CodeInvalid
		}
		writeRaw(w, f.Status, ErrBody(code, msg(http.StatusText(f.Status))))
	case f.Huge > 0:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		_, _ = w.Write([]byte(`{"TotalCount":1,"Servers":[`))
		for n := int64(0); n < f.Huge; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return true
			}
		}
		_, _ = w.Write([]byte(`]}`))
	default:
		return false
	}
	return true
}

func (s *Fake) takeFault(method, path string) *Fault {
	for i := range s.faults {
		f := &s.faults[i]
		if f.Method != "" && f.Method != method {
			continue
		}
		if p, prefix := strings.CutSuffix(f.Path, "*"); f.Path != "" && !(prefix && strings.HasPrefix(path, p) || path == f.Path) {
			continue
		}
		out := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return &out
	}
	return nil
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (q *req) json(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeRaw(q.w, 500, ErrBody(codeServerDown, err.Error()))
		return
	}
	writeRaw(q.w, http.StatusOK, b)
}

func (q *req) fail(status, code int, msg string) { writeRaw(q.w, status, ErrBody(code, msg)) }

// paging reads the required count (1–500) and offset; with capped, count
// + offset may not pass 10,000 (messages and bounces). ok false after a
// 422 was sent.
func (q *req) paging(capped bool) (count, offset int, ok bool) {
	v := q.r.URL.Query()
	count, err1 := strconv.Atoi(v.Get("count"))
	offset, err2 := strconv.Atoi(v.Get("offset"))
	switch {
	case err1 != nil || err2 != nil:
		q.fail(http.StatusUnprocessableEntity, CodeInvalid, "The 'count' and 'offset' parameters are required and must be integers.")
		return 0, 0, false
	case count < 1 || count > 500:
		q.fail(http.StatusUnprocessableEntity, CodeInvalid, "The 'count' parameter must be between 1 and 500.")
		return 0, 0, false
	case offset < 0:
		q.fail(http.StatusUnprocessableEntity, CodeInvalid, "The 'offset' parameter must not be negative.")
		return 0, 0, false
	case capped && count+offset > 10000:
		q.fail(http.StatusUnprocessableEntity, CodeInvalid, "Count + Offset cannot exceed 10000 messages.")
		return 0, 0, false
	}
	if q.fault != nil && q.fault.Repeat {
		offset = 0
	}
	return count, offset, true
}

// total is the TotalCount to claim for a list of n items read at offset.
func (q *req) total(n, offset, count int) int {
	if q.fault != nil && q.fault.GrowTotal {
		return offset + 2*count + 1
	}
	return n
}

func page[T any](xs []T, offset, count int) []T {
	if offset >= len(xs) {
		return []T{}
	}
	return xs[offset:min(len(xs), offset+count)]
}

// dateRange reads fromdate and todate (YYYY-MM-DD, or with a time):
// inclusive days in UTC. (Postmark reads them in its own time zone; the
// fake keeps UTC.)
func (q *req) dateRange() (lo, hi time.Time, ok bool) {
	v := q.r.URL.Query()
	lo, hi = time.Unix(0, 0).UTC(), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	parse := func(s string, end bool) (time.Time, bool) {
		if t, err := time.Parse("2006-01-02", s); err == nil {
			if end {
				t = t.Add(24*time.Hour - time.Nanosecond)
			}
			return t, true
		}
		t, err := time.Parse("2006-01-02T15:04:05", s)
		return t, err == nil
	}
	if s := v.Get("fromdate"); s != "" {
		t, good := parse(s, false)
		if !good {
			q.fail(http.StatusUnprocessableEntity, CodeInvalid, "The 'fromdate' parameter is not a date.")
			return lo, hi, false
		}
		lo = t
	}
	if s := v.Get("todate"); s != "" {
		t, good := parse(s, true)
		if !good {
			q.fail(http.StatusUnprocessableEntity, CodeInvalid, "The 'todate' parameter is not a date.")
			return lo, hi, false
		}
		hi = t
	}
	return lo, hi, true
}
