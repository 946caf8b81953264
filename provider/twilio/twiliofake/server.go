package twiliofake

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

// Fault is an injected misbehaviour for requests matching Method and Path
// ("" matches any; a Path ending in "*" is a prefix of the URL path). Times
// is how many matching requests it hits (0: one).
type Fault struct {
	Method, Path string
	Times        int
	// Status answers with this status and Twilio's error body (429 carries
	// Retry-After: RetryAfter, rounded up to whole seconds).
	Status     int
	RetryAfter time.Duration
	// Message replaces the error body's message (hostile text, an echoed
	// credential).
	Message string
	// Delay holds the whole answer back (a slow first byte); the request is
	// not carried out when the client gives up first.
	Delay time.Duration
	// Hold carries the request out, then holds its answer back this long
	// (an answer lost on the way: the change happened).
	Hold time.Duration
	// Trickle sends the start of the real answer at once, then one byte
	// every Trickle.
	Trickle time.Duration
	// Truncate cuts the real answer's JSON in half (malformed JSON).
	Truncate bool
	// Huge answers 200 with a JSON body of this many bytes.
	Huge int64
	// RepeatNext makes a list's next-page link point at the page itself.
	RepeatNext bool
	// ForeignNext makes a list's next-page link point at another host.
	ForeignNext bool
}

// Server is the fake. Lock Mu to read or change St while it serves.
type Server struct {
	*httptest.Server
	Mu sync.Mutex
	St State
	// NoTypeFlags leaves the key type out of IAM v1 key flags (only the
	// spec example's "rest_api" and "signing"): whether Twilio lists the
	// type there is not documented.
	NoTypeFlags bool
	// Latency delays every answer.
	Latency time.Duration

	faults    []Fault
	requests  atomic.Int64
	routeHits map[string]int
	bodies    map[string][]url.Values // "METHOD pattern" -> form bodies received
}

// New starts a fake serving a copy of st on a loopback port.
func New(st State) *Server {
	st.Keys, st.Subaccounts = slices.Clone(st.Keys), slices.Clone(st.Subaccounts)
	st.Numbers, st.Events = slices.Clone(st.Numbers), slices.Clone(st.Events)
	s := &Server{St: st, routeHits: map[string]int{}, bodies: map[string][]url.Values{}}
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

// Hits is how many authenticated requests reached "METHOD /route/template".
func (s *Server) Hits(route string) int {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return s.routeHits[route]
}

// Forms returns the form bodies "METHOD /route/template" received.
func (s *Server) Forms(route string) []url.Values {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return slices.Clone(s.bodies[route])
}

// ---- routing ----

// access classes
const (
	// classMain: the auth token or a Main key (Accounts, Keys, AuthTokens).
	classMain = iota
	// classAny: any key; a restricted key needs the route's permission.
	classAny
)

type route struct {
	method, pattern string
	class           int
	perm            string // restricted-key permission (classAny)
	handle          func(s *Server, q *req)
}

var routes []route

func handle(method, pattern string, class int, perm string, h func(s *Server, q *req)) {
	routes = append(routes, route{method, pattern, class, perm, h})
}

// match matches a path against a pattern whose segments may be
// "{Name}" or "{Name}.json".
func match(pattern, path string) (map[string]string, bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := map[string]string{}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			name, suffix, _ := strings.Cut(strings.TrimPrefix(ps[i], "{"), "}")
			v, ok := strings.CutSuffix(xs[i], suffix)
			if !ok || v == "" {
				return nil, false
			}
			if u, err := url.PathUnescape(v); err == nil {
				v = u
			}
			params[name] = v
			continue
		}
		if ps[i] != xs[i] {
			return nil, false
		}
	}
	return params, true
}

// caller is who a request authenticated as.
type caller struct {
	account string // the account SID it acts for
	main    bool   // the account's auth token or a Main key
	keyType string // "" for an auth token
	allow   []string
}

type req struct {
	w      http.ResponseWriter
	r      *http.Request
	params map[string]string
	who    caller
	form   url.Values
	fault  *Fault
}

// ErrorBody is Twilio's error body (twilio-go TwilioRestError).
type ErrorBody struct {
	Code     int            `json:"code"`
	Message  string         `json:"message"`
	MoreInfo string         `json:"more_info"`
	Status   int            `json:"status"`
	Details  map[string]any `json:"details,omitempty"`
}

func errBody(status, code int, msg string) []byte {
	b, _ := json.Marshal(ErrorBody{Code: code, Message: msg, MoreInfo: "https://www.twilio.com/docs/errors/" + strconv.Itoa(code), Status: status})
	return b
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if s.Latency > 0 {
		time.Sleep(s.Latency)
	}
	path := r.URL.EscapedPath()
	var rt *route
	var params map[string]string
	known := false
	for i := range routes {
		if p, ok := match(routes[i].pattern, path); ok {
			known = true
			if routes[i].method == r.Method {
				rt, params = &routes[i], p
				break
			}
		}
	}
	if rt == nil {
		if known {
			writeRaw(w, http.StatusMethodNotAllowed, errBody(405, 20004, "Method not allowed"))
			return
		}
		writeRaw(w, http.StatusNotFound, errBody(404, 20404, "The requested resource "+r.URL.Path+" was not found"))
		return
	}
	s.Mu.Lock()
	who, ok := s.authenticate(r)
	s.Mu.Unlock()
	if !ok {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		writeRaw(w, http.StatusUnauthorized, errBody(401, 20003, "Authenticate"))
		return
	}
	switch {
	case rt.class == classMain && !who.main:
		writeRaw(w, http.StatusForbidden, errBody(403, 20003, "Permission Denied: this resource needs the auth token or a Main API key"))
		return
	case who.keyType == KeyRestricted && !slices.Contains(who.allow, rt.perm):
		writeRaw(w, http.StatusForbidden, errBody(403, 70051, "Authorization Error: the API key lacks the permission "+rt.perm))
		return
	}
	q := &req{w: w, r: r, params: params, who: who}
	if r.Method == http.MethodPost {
		ct := r.Header.Get("Content-Type")
		body, _ := readAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if len(body) > 0 && !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			writeRaw(w, http.StatusUnsupportedMediaType, errBody(415, 20001, "Twilio takes form-encoded bodies"))
			return
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			writeRaw(w, http.StatusBadRequest, errBody(400, 20001, "malformed form body"))
			return
		}
		q.form = form
	}
	s.Mu.Lock()
	key := rt.method + " " + rt.pattern
	s.routeHits[key]++
	if q.form != nil {
		s.bodies[key] = append(s.bodies[key], q.form)
	}
	q.fault = s.takeFault(r.Method, r.URL.Path)
	s.Mu.Unlock()
	if f := q.fault; f != nil {
		if f.Delay > 0 {
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		}
		switch {
		case f.Status == http.StatusTooManyRequests:
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
			}
			writeRaw(w, f.Status, errBody(429, 20429, "Too Many Requests"))
			return
		case f.Status != 0:
			msg := f.Message
			if msg == "" {
				msg = http.StatusText(f.Status)
			}
			writeRaw(w, f.Status, errBody(f.Status, 20500, msg))
			return
		case f.Huge > 0:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			chunk := bytes.Repeat([]byte(" "), 64<<10)
			_, _ = w.Write([]byte(`{"keys":[`))
			for n := int64(0); n < f.Huge; n += int64(len(chunk)) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			_, _ = w.Write([]byte(`]}`))
			return
		case f.Hold > 0:
			rec := httptest.NewRecorder()
			q.w = rec
			rt.handle(s, q)
			select {
			case <-time.After(f.Hold):
			case <-r.Context().Done():
				return
			}
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		case f.Truncate || f.Trickle > 0:
			rec := httptest.NewRecorder()
			q.w = rec
			rt.handle(s, q)
			b := rec.Body.Bytes()
			for k, v := range rec.Header() {
				if k != "Content-Length" {
					w.Header()[k] = v
				}
			}
			if f.Truncate {
				writeRaw(w, rec.Code, b[:len(b)/2])
				return
			}
			w.WriteHeader(rec.Code)
			fl, _ := w.(http.Flusher)
			half := len(b) / 2
			_, _ = w.Write(b[:half])
			for _, c := range b[half:] {
				if fl != nil {
					fl.Flush()
				}
				select {
				case <-time.After(f.Trickle):
				case <-r.Context().Done():
					return
				}
				if _, err := w.Write([]byte{c}); err != nil {
					return
				}
			}
			return
		}
	}
	rt.handle(s, q)
}

func readAll(r interface{ Read([]byte) (int, error) }) ([]byte, error) {
	var buf bytes.Buffer
	_, err := buf.ReadFrom(r)
	return buf.Bytes(), err
}

// authenticate checks the Basic credential: an account SID with its
// primary (or secondary) auth token, or a key SID with its secret. Called
// with Mu held.
func (s *Server) authenticate(r *http.Request) (caller, bool) {
	user, pass, ok := r.BasicAuth()
	if !ok || user == "" || pass == "" {
		return caller{}, false
	}
	st := &s.St
	if user == st.Account.SID && (pass == st.Account.Token || st.Secondary != "" && pass == st.Secondary) {
		return caller{account: user, main: true}, true
	}
	for _, a := range st.Subaccounts {
		if user == a.SID && pass == a.Token && a.Status == "active" {
			return caller{account: user, main: true}, true
		}
	}
	for _, k := range st.Keys {
		if user == k.SID && pass == k.Secret {
			owner := st.owner(k.Owner)
			if a := st.account(owner); a == nil || a.Status != "active" {
				return caller{}, false
			}
			return caller{account: owner, main: k.Type == KeyMain, keyType: k.Type, allow: k.Allow}, true
		}
	}
	return caller{}, false
}

// mayAct reports whether the caller may act on account sid: its own, or a
// subaccount of the main account it authenticates for.
func (s *Server) mayAct(who caller, sid string) bool {
	if sid == who.account {
		return true
	}
	if who.account != s.St.Account.SID {
		return false
	}
	return slices.ContainsFunc(s.St.Subaccounts, func(a Account) bool { return a.SID == sid })
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
		writeRaw(q.w, 500, errBody(500, 20500, err.Error()))
		return
	}
	writeRaw(q.w, status, b)
}

func (q *req) fail(status, code int, msg string) { writeRaw(q.w, status, errBody(status, code, msg)) }

// ---- pagination ----

// pageArgs reads PageSize (1..1000, default 50), Page and PageToken; the
// token ("PA" + the offset) is what places the page. ok is false after a 400.
func (q *req) pageArgs() (size, page, offset int, ok bool) {
	v := q.r.URL.Query()
	size = 50
	if x := v.Get("PageSize"); x != "" {
		n, err := strconv.Atoi(x)
		if err != nil || n < 1 || n > 1000 {
			q.fail(400, 20001, "PageSize must be an integer between 1 and 1000")
			return 0, 0, 0, false
		}
		size = n
	}
	if x := v.Get("Page"); x != "" {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 {
			q.fail(400, 20001, "Page must be a non-negative integer")
			return 0, 0, 0, false
		}
		page = n
	}
	offset = page * size
	if t := v.Get("PageToken"); t != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(t, "PA"))
		if !strings.HasPrefix(t, "PA") || err != nil || n < 0 {
			q.fail(400, 20001, "Invalid PageToken")
			return 0, 0, 0, false
		}
		offset = n
	}
	return size, page, offset, true
}

// link builds the URI of the page at offset (relative for the 2010 API,
// absolute for v1) keeping the request's filters; the request's own page
// when the fault says RepeatNext, another host's when ForeignNext.
func (q *req) link(page, size, offset int, absolute bool) string {
	v := url.Values{}
	for k, xs := range q.r.URL.Query() {
		if k != "Page" && k != "PageSize" && k != "PageToken" {
			v[k] = xs
		}
	}
	v.Set("PageSize", strconv.Itoa(size))
	v.Set("Page", strconv.Itoa(page))
	if offset > 0 {
		v.Set("PageToken", "PA"+strconv.Itoa(offset))
	}
	u := q.r.URL.Path + "?" + v.Encode()
	if absolute {
		u = "http://" + q.r.Host + u
	}
	return u
}

func (q *req) next(page, size, offset, total int, absolute bool) *string {
	var u string
	switch {
	case q.fault != nil && q.fault.ForeignNext:
		u = "https://evil.example" + q.link(page+1, size, offset+size, false)
	case q.fault != nil && q.fault.RepeatNext:
		u = q.link(page, size, offset, absolute)
	case offset+size < total:
		u = q.link(page+1, size, offset+size, absolute)
	default:
		return nil
	}
	return &u
}

func window[T any](xs []T, offset, size int) []T {
	if offset >= len(xs) {
		return []T{}
	}
	return xs[offset:min(len(xs), offset+size)]
}

// list2010 answers a 2010-API list page under key.
func list2010[T any](q *req, key string, all []T) {
	size, page, offset, ok := q.pageArgs()
	if !ok {
		return
	}
	items := window(all, offset, size)
	first := q.link(0, size, 0, false)
	var prev *string
	if page > 0 {
		p := q.link(page-1, size, max(offset-size, 0), false)
		prev = &p
	}
	q.json(200, map[string]any{
		"end": offset + len(items) - 1, "first_page_uri": first, "next_page_uri": q.next(page, size, offset, len(all), false),
		"page": page, "page_size": size, "previous_page_uri": prev, "start": offset, "uri": q.link(page, size, offset, false),
		key: items,
	})
}

// listV1 answers a v1 list page under key, with its meta.
func listV1[T any](q *req, key string, all []T) {
	size, page, offset, ok := q.pageArgs()
	if !ok {
		return
	}
	items := window(all, offset, size)
	var prev *string
	if page > 0 {
		p := q.link(page-1, size, max(offset-size, 0), true)
		prev = &p
	}
	q.json(200, map[string]any{
		key: items,
		"meta": map[string]any{
			"first_page_url": q.link(0, size, 0, true), "key": key, "next_page_url": q.next(page, size, offset, len(all), true),
			"page": page, "page_size": size, "previous_page_url": prev, "url": q.link(page, size, offset, true),
		},
	})
}
