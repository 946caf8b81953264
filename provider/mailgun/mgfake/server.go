package mgfake

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
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
	// Status answers with this status and Body (default: the spec's
	// {"message":…} body with the status text).
	Status int
	// RetryAfter is the Retry-After header of a 429 ("" none).
	RetryAfter string
	// Body replaces the answer's body (with Status, or 200).
	Body string
	// Delay holds the whole answer back (a slow first byte).
	Delay time.Duration
	// Trickle sends the real answer one byte every Trickle.
	Trickle time.Duration
	// Malformed cuts the real answer's JSON in half.
	Malformed bool
	// Huge answers 200 with a body of this many bytes.
	Huge int64
	// Lost carries the request out, then answers 502: the change is made
	// and its answer lost.
	Lost bool
}

// Server is the fake. Lock Mu to read or change St while it serves.
type Server struct {
	*httptest.Server
	Mu sync.Mutex
	St State

	// RepeatPages makes every list answer its first page whatever skip,
	// token or link asks for (a broken or hostile paginator).
	RepeatPages bool
	// LyingTotal is added to every total_count / total the lists claim.
	LyingTotal int
	// ForeignNext makes the Events API's paging.next links (and nothing
	// else) point at this host instead of the fake.
	ForeignNext string
	// NoLogs answers 404 for the Logs API (an account without it): the
	// Events API is the only way to the messages.
	NoLogs bool
	// ClientIP overrides the address the allow list checks ("" the real
	// peer address, 127.0.0.1).
	ClientIP string

	faults   []Fault
	requests atomic.Int64
	hits     map[string]int
	seenOBO  map[string]int
	seq      int
}

// New starts a fake serving st on a loopback port.
func New(st State) *Server {
	s := &Server{St: st, hits: map[string]int{}, seenOBO: map[string]int{}}
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

// Requests is how many requests arrived.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Hits is how many requests reached "METHOD /route/{template}".
func (s *Server) Hits(route string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return s.hits[route]
}

// OnBehalfOf is how many requests carried X-Mailgun-On-Behalf-Of: id.
func (s *Server) OnBehalfOf(id string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return s.seenOBO[id]
}

// Key returns the key with this id (false when gone).
func (s *Server) Key(id string) (Key, bool) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	for _, k := range s.St.Keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// ---- routing ----

type req struct {
	w      http.ResponseWriter
	r      *http.Request
	params map[string]string
	caller Key
	obo    string // X-Mailgun-On-Behalf-Of
	form   url.Values
	body   []byte
}

type route struct {
	method, pattern string
	handle          func(s *Server, q *req)
}

var routes []route

func handle(method, pattern string, h func(s *Server, q *req)) {
	routes = append(routes, route{method, pattern, h})
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
			if err != nil || v == "" {
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

func msgBody(msg string) []byte {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return b
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
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
		writeRaw(w, http.StatusNotFound, msgBody("Not Found"))
		return
	}
	user, pass, ok := r.BasicAuth()
	s.Mu.Lock()
	var caller *Key
	for i := range s.St.Keys {
		if ok && user == "api" && pass != "" && s.St.Keys[i].Secret == pass && !s.St.Keys[i].Disabled {
			k := s.St.Keys[i]
			caller = &k
		}
	}
	allowed := s.allowedLocked(r)
	s.Mu.Unlock()
	if caller == nil {
		writeRaw(w, http.StatusUnauthorized, msgBody("Invalid private key"))
		return
	}
	if !allowed && caller.Kind != "web" {
		// The allow list applies to every key but web keys.
		writeRaw(w, http.StatusUnauthorized, msgBody("Forbidden: IP address is not allowlisted"))
		return
	}
	if !roleAllows(*caller, rt, params) {
		// Sending keys only send, for their own domain: anything else
		// answers as if the key were unknown.
		writeRaw(w, http.StatusUnauthorized, msgBody("Invalid private key"))
		return
	}
	q := &req{w: w, r: r, params: params, caller: *caller, obo: r.Header.Get("X-Mailgun-On-Behalf-Of")}
	if r.Body != nil {
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20))
		q.body = buf.Bytes()
		ct := r.Header.Get("Content-Type")
		switch {
		case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
			q.form, _ = url.ParseQuery(string(q.body))
		case strings.HasPrefix(ct, "multipart/form-data"):
			r.Body = http.NoBody
			rr := r.Clone(r.Context())
			rr.Body = readCloser{bytes.NewReader(q.body)}
			if err := rr.ParseMultipartForm(1 << 20); err == nil {
				q.form = url.Values(rr.MultipartForm.Value)
			}
		}
	}
	if q.form == nil {
		q.form = url.Values{}
	}
	s.Mu.Lock()
	s.hits[rt.method+" "+rt.pattern]++
	if q.obo != "" {
		s.seenOBO[q.obo]++
	}
	f := s.takeFault(r.Method, r.URL.Path)
	s.Mu.Unlock()
	if f == nil {
		rt.handle(s, q)
		return
	}
	if f.Delay > 0 {
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case f.Lost:
		rec := httptest.NewRecorder()
		q.w = rec
		rt.handle(s, q)
		writeRaw(w, http.StatusBadGateway, msgBody("Bad Gateway"))
	case f.Status != 0:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		body := msgBody(http.StatusText(f.Status))
		if f.Body != "" {
			body = []byte(f.Body)
		}
		writeRaw(w, f.Status, body)
	case f.Huge > 0:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		_, _ = w.Write([]byte(`{"items":[`))
		for n := int64(0); n < f.Huge; n += int64(len(chunk)) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte(`]}`))
	case f.Body != "":
		writeRaw(w, http.StatusOK, []byte(f.Body))
	default:
		rec := httptest.NewRecorder()
		q.w = rec
		rt.handle(s, q)
		b := rec.Body.Bytes()
		if f.Malformed {
			b = b[:len(b)/2]
		}
		if f.Trickle <= 0 {
			writeRaw(w, rec.Code, b)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rec.Code)
		fl, _ := w.(http.Flusher)
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
	}
}

// roleAllows applies a key's role: a sending key may only POST its domain's
// messages.
func roleAllows(k Key, rt *route, params map[string]string) bool {
	if k.Role != "sending" {
		return true
	}
	return rt.method == "POST" && rt.pattern == "/v3/{domain_name}/messages" && params["domain_name"] == k.Domain
}

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// allowedLocked applies the IP allow list: an empty list allows everyone.
func (s *Server) allowedLocked(r *http.Request) bool {
	if len(s.St.AllowList) == 0 {
		return true
	}
	ip := s.ClientIP
	if ip == "" {
		ip, _, _ = net.SplitHostPort(r.RemoteAddr)
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, a := range s.St.AllowList {
		if p, err := netip.ParsePrefix(a.IP); err == nil && p.Contains(addr) {
			return true
		}
		if x, err := netip.ParseAddr(a.IP); err == nil && x == addr {
			return true
		}
	}
	return false
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
		writeRaw(q.w, http.StatusInternalServerError, msgBody(err.Error()))
		return
	}
	writeRaw(q.w, status, b)
}

func (q *req) fail(status int, msg string) { writeRaw(q.w, status, msgBody(msg)) }

// limitSkip reads limit and skip (a bad one has been answered with 400 when
// ok is false).
func (q *req) limitSkip(def, maxLimit int) (limit, skip int, ok bool) {
	limit, skip = def, 0
	if v := q.r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			q.fail(http.StatusBadRequest, "Invalid limit parameter")
			return 0, 0, false
		}
		if n > maxLimit {
			q.fail(http.StatusBadRequest, "Limit parameter can't be larger than "+strconv.Itoa(maxLimit))
			return 0, 0, false
		}
		limit = n
	}
	if v := q.r.URL.Query().Get("skip"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			q.fail(http.StatusBadRequest, "Invalid skip parameter")
			return 0, 0, false
		}
		skip = n
	}
	return limit, skip, true
}

func page[T any](s *Server, xs []T, skip, limit int) []T {
	if s.RepeatPages {
		skip = 0
	}
	if skip >= len(xs) {
		return []T{}
	}
	return xs[skip:min(len(xs), skip+limit)]
}

func rfc1123(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

func token(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }

func untoken(t string) string {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil {
		return ""
	}
	return string(b)
}
