package sgfake

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is an injected failure for requests matching Method and Path (""
// matches any; a Path ending in "*" is a prefix). Times is how many matching
// requests it hits (0: one).
type Fault struct {
	Method, Path string
	Times        int
	// Status answers with this status and an error body (e.g. 500, 429).
	Status int
	// Reset is, for a 429, how far ahead X-RateLimit-Reset lies.
	Reset time.Duration
	// Delay holds the answer back (a slow response).
	Delay time.Duration
	// Truncate cuts the real answer's JSON in half.
	Truncate bool
	// Huge answers 200 with a body of this many bytes.
	Huge int64
}

// Server is the fake. Lock Mu to read or change St while it serves.
type Server struct {
	*httptest.Server
	Mu sync.Mutex
	St State

	// RateLimit requests per RateWindow (whole seconds), counted across
	// all endpoints; 0: no limit. Latency delays every answer.
	RateLimit  int
	RateWindow time.Duration
	Latency    time.Duration

	faults    []Fault
	winStart  int64
	winCount  int
	requests  atomic.Int64
	limited   atomic.Int64
	routeHits map[string]int
	obo       map[string]int
	now       func() time.Time
}

// New starts a fake serving st on a loopback port.
func New(st State) *Server {
	s := &Server{St: st, RateWindow: time.Second, routeHits: map[string]int{}, obo: map[string]int{}, now: time.Now}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, f)
}

// Requests is how many requests arrived; Limited how many got a 429.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Limited is how many requests were refused with 429.
func (s *Server) Limited() int64 { return s.limited.Load() }

// Hits is how many requests reached "METHOD /route/template".
func (s *Server) Hits(route string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return s.routeHits[route]
}

// OnBehalfOf is how many requests carried on-behalf-of: user.
func (s *Server) OnBehalfOf(user string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return s.obo[user]
}

// ---- routing ----

type req struct {
	w      http.ResponseWriter
	r      *http.Request
	params map[string]string
	caller *Key
	user   string // "" parent, else the subuser acted for
	body   []byte
}

type route struct {
	method, pattern string
	scope           string
	handle          func(s *Server, q *req)
}

var routes []route

func handle(method, pattern, scope string, h func(s *Server, q *req)) {
	routes = append(routes, route{method, pattern, scope, h})
}

func match(pattern, path string) (map[string]string, bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := map[string]string{}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			params[strings.Trim(ps[i], "{}")] = xs[i]
			continue
		}
		if ps[i] != xs[i] {
			return nil, false
		}
	}
	return params, true
}

func errBody(field any, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"field": field, "message": msg}}})
	return b
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.Latency > 0 {
		time.Sleep(s.Latency / 2)
	}
	if ok := s.rate(w); !ok {
		s.limited.Add(1)
		time.Sleep(s.Latency / 2)
		writeRaw(w, http.StatusTooManyRequests, errBody(nil, "too many requests"))
		return
	}
	if s.Latency > 0 {
		time.Sleep(s.Latency / 2)
	}
	// Route by the escaped path so that ids with "/" stay one segment.
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
		writeRaw(w, http.StatusNotFound, errBody(nil, "not found"))
		return
	}
	for k, v := range params {
		params[k] = unescape(v)
	}
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	s.Mu.Lock()
	caller, subOwner := s.findKey(tok)
	s.Mu.Unlock()
	if !ok || caller == nil {
		writeRaw(w, http.StatusUnauthorized, errBody(nil, "authorization required"))
		return
	}
	q := &req{w: w, r: r, params: params, caller: caller, user: subOwner}
	if obo := r.Header.Get("on-behalf-of"); obo != "" {
		s.Mu.Lock()
		known := subOwner == "" && slices.ContainsFunc(s.St.Subusers, func(x Subuser) bool { return x.Username == obo })
		s.obo[obo]++
		s.Mu.Unlock()
		if !known {
			writeRaw(w, http.StatusForbidden, errBody(nil, "access forbidden: cannot act on behalf of that user"))
			return
		}
		q.user = obo
	}
	if rt.scope != "" && !slices.Contains(caller.Scopes, rt.scope) {
		writeRaw(w, http.StatusForbidden, errBody(nil, "access forbidden"))
		return
	}
	if r.Body != nil {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20))
		q.body = buf.Bytes()
	}
	s.Mu.Lock()
	s.routeHits[rt.method+" "+rt.pattern]++
	f := s.takeFault(r.Method, r.URL.Path)
	s.Mu.Unlock()
	if f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case f.Status == http.StatusTooManyRequests:
			w.Header().Set("X-RateLimit-Limit", "1")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(s.now().Add(f.Reset).Unix(), 10))
			s.limited.Add(1)
			writeRaw(w, f.Status, errBody(nil, "too many requests"))
			return
		case f.Status != 0:
			writeRaw(w, f.Status, errBody(nil, http.StatusText(f.Status)))
			return
		case f.Huge > 0:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			chunk := bytes.Repeat([]byte(" "), 64<<10)
			_, _ = w.Write([]byte(`{"result":[`))
			for n := int64(0); n < f.Huge; n += int64(len(chunk)) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			_, _ = w.Write([]byte(`]}`))
			return
		case f.Truncate:
			rec := httptest.NewRecorder()
			q.w = rec
			rt.handle(s, q)
			b := rec.Body.Bytes()
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			writeRaw(w, rec.Code, b[:len(b)/2])
			return
		}
	}
	rt.handle(s, q)
}

func unescape(v string) string {
	if u, err := urlUnescape(v); err == nil {
		return u
	}
	return v
}

func (s *Server) takeFault(method, path string) *Fault {
	for i := range s.faults {
		f := &s.faults[i]
		if f.Method != "" && f.Method != method {
			continue
		}
		if p, prefix := strings.CutSuffix(f.Path, "*"); f.Path != "" && !(prefix && strings.HasPrefix(path, p) || path == f.Path) {
			continue
		}
		out := *f
		f.Times--
		if f.Times <= 0 {
			s.faults = slices.Delete(s.faults, i, i+1)
		}
		return &out
	}
	return nil
}

// rate counts the request in a fixed window aligned to whole seconds and
// sets the X-RateLimit-* headers; false means over the limit.
func (s *Server) rate(w http.ResponseWriter) bool {
	if s.RateLimit <= 0 {
		return true
	}
	win := max(int64(s.RateWindow/time.Second), 1)
	now := s.now().Unix()
	start := now - now%win
	s.Mu.Lock()
	defer s.Mu.Unlock()
	if start != s.winStart {
		s.winStart, s.winCount = start, 0
	}
	over := s.winCount >= s.RateLimit
	if !over {
		s.winCount++
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(s.RateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(s.RateLimit-s.winCount, 0)))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(start+win, 10))
	return !over
}

// findKey finds the key a token belongs to, and its subuser ("" parent).
func (s *Server) findKey(tok string) (*Key, string) {
	if tok == "" {
		return nil, ""
	}
	for i := range s.St.Keys {
		if s.St.Keys[i].Token == tok {
			k := s.St.Keys[i]
			return &k, ""
		}
	}
	for _, su := range s.St.Subusers {
		for _, k := range su.Keys {
			if k.Token == tok {
				return &k, su.Username
			}
		}
	}
	return nil, ""
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	if body != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (q *req) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeRaw(q.w, 500, errBody(nil, err.Error()))
		return
	}
	writeRaw(q.w, status, b)
}

func (q *req) fail(status int, field any, msg string) { writeRaw(q.w, status, errBody(field, msg)) }

// intParam reads a non-negative integer query parameter (def when absent);
// ok false (after answering 400) when malformed or above max.
func (q *req) intParam(name string, def, maxV int) (int, bool) {
	v := q.r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || (maxV > 0 && n > maxV) {
		q.fail(http.StatusBadRequest, name, fmt.Sprintf("%s must be an integer between 0 and %d", name, maxV))
		return 0, false
	}
	return n, true
}

// limitOffset reads the limit and offset query parameters (a bad one has
// already been answered with a 400 when ok is false).
func (q *req) limitOffset(defLimit, maxLimit int) (limit, offset int, ok bool) {
	if limit, ok = q.intParam("limit", defLimit, maxLimit); !ok {
		return 0, 0, false
	}
	offset, ok = q.intParam("offset", 0, 0)
	return limit, offset, ok
}

func page[T any](xs []T, offset, limit int) []T {
	if offset >= len(xs) {
		return []T{}
	}
	return xs[offset:min(len(xs), offset+limit)]
}

var tsRE = regexp.MustCompile(`(sg_message_id_created_at|last_event_time)\s*(>=|<=|>|<|BETWEEN)\s*TIMESTAMP\s*"([^"]+)"(?:\s*AND\s*TIMESTAMP\s*"([^"]+)")?`)

// messagesIn returns the generated messages with times in the query's
// bounds, newest first, at most limit.
func (m Mail) messagesIn(query string, limit int) ([]genMsg, error) {
	lo, hi := m.Since.Add(-time.Second), m.Until.Add(time.Second) // inclusive bounds
	matches := tsRE.FindAllStringSubmatch(query, -1)
	if len(matches) == 0 {
		return nil, fmt.Errorf("query must bound the time")
	}
	for _, x := range matches {
		t, err := time.Parse(time.RFC3339, x[3])
		if err != nil {
			return nil, fmt.Errorf("bad TIMESTAMP %q", x[3])
		}
		switch x[2] {
		case ">=":
			lo = later(lo, t)
		case ">":
			lo = later(lo, t.Add(time.Second))
		case "<=":
			hi = earlier(hi, t)
		case "<":
			hi = earlier(hi, t.Add(-time.Second))
		case "BETWEEN":
			t2, err := time.Parse(time.RFC3339, x[4])
			if err != nil {
				return nil, fmt.Errorf("bad TIMESTAMP %q", x[4])
			}
			lo, hi = later(lo, t), earlier(hi, t2)
		}
	}
	// Each batch (the mail itself, then each Extra) is generated on its
	// own; the answer merges them, newest first.
	var out []genMsg
	for b, x := range append([]Mail{m}, m.Extra...) {
		out = append(out, x.batchIn(b, lo, hi, limit)...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.After(out[j].at) })
	return out[:min(len(out), limit)], nil
}

// batchIn returns one batch's messages in [lo, hi], newest first, at most
// limit. Message i is sent at Since + i*span/Count (whole seconds).
func (m Mail) batchIn(b int, lo, hi time.Time, limit int) []genMsg {
	n := m.Count
	if n <= 0 || len(m.Subjects) == 0 {
		return nil
	}
	at := func(i int) time.Time {
		span := m.Until.Sub(m.Since)
		return m.Since.Add(time.Duration(int64(span) / int64(max(n, 1)) * int64(i))).Truncate(time.Second)
	}
	first := sort.Search(n, func(i int) bool { return !at(i).Before(lo) })
	last := sort.Search(n, func(i int) bool { return at(i).After(hi) }) // exclusive
	var out []genMsg
	for i := last - 1; i >= first && len(out) < limit; i-- {
		out = append(out, genMsg{i: i, b: b, at: at(i), from: m.From, subject: m.Subjects[i%len(m.Subjects)]})
	}
	return out
}

// genMsg is one generated message: the i-th of batch b (0: the mail
// itself, k: Extra[k-1]).
type genMsg struct {
	i, b          int
	at            time.Time
	from, subject string
}

// id is the message's id, unique across batches.
func (g genMsg) id() string {
	if g.b == 0 {
		return strconv.Itoa(g.i)
	}
	return fmt.Sprintf("x%d-%d", g.b, g.i)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
