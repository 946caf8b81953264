package bvfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FaultKind is how an injected fault misbehaves.
type FaultKind int

const (
	// RateLimit answers 429 with Retry-After (Fault.RetryAfter, default 1 s)
	// and x-sib-ratelimit-reset.
	RateLimit FaultKind = iota + 1
	// ServerError answers 500 with an errorModel body.
	ServerError
	// Slow holds everything back (no headers) for Fault.Delay, then answers.
	Slow
	// Trickle answers 200 and the start of a body, then one byte every
	// Fault.Delay for as long as the client listens.
	Trickle
	// Huge answers 200 with Fault.Size bytes of a JSON string.
	Huge
	// Malformed answers 200 with the real answer cut in half.
	Malformed
	// RepeatPage answers every page of a paged list as if offset were 0.
	RepeatPage
	// GrowingCount answers paged lists with a count that grows with the
	// offset (and a full page of fresh items, forever).
	GrowingCount
	// IPBlock answers Brevo's 401 "unrecognised IP address".
	IPBlock
	// HostileError answers 400 with an errorModel whose code and message
	// are attacker text (Escapes and 5,000 more characters).
	HostileError
)

// Fault is an injected failure for requests whose path matches Path ("":
// any; a trailing "*" is a prefix) and Method ("": any). Times is how many
// matching requests it hits (0: every one).
type Fault struct {
	Method, Path string
	Kind         FaultKind
	Times        int
	RetryAfter   time.Duration
	// ResetOnly leaves Retry-After out of a 429: the wait is in
	// x-sib-ratelimit-reset alone.
	ResetOnly bool
	Delay     time.Duration
	Size      int64
}

// Server is the fake. Lock Mu to read or change St while it serves.
type Server struct {
	*httptest.Server
	Mu sync.Mutex
	St *State
	// Now is the fake's clock (default time.Now).
	Now func() time.Time

	faults   []*Fault
	requests atomic.Int64
	log      []string // "METHOD /path?query" of every request
}

// New starts a fake serving st on a loopback port.
func New(st *State) *Server {
	s := &Server{St: st, Now: time.Now}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.faults = nil
}

// Requests is how many requests arrived.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Log returns "METHOD /path?query" of every request so far.
func (s *Server) Log() []string {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	return slices.Clone(s.log)
}

// Hits counts the requests whose "METHOD /path" (query left out) is
// method+" "+path.
func (s *Server) Hits(method, path string) int {
	n := 0
	for _, l := range s.Log() {
		p, _, _ := strings.Cut(l, "?")
		if p == method+" "+path {
			n++
		}
	}
	return n
}

func (s *Server) takeFault(method, path string) *Fault {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	for i, f := range s.faults {
		if f.Method != "" && f.Method != method {
			continue
		}
		if f.Path != "" && f.Path != path && !(strings.HasSuffix(f.Path, "*") && strings.HasPrefix(path, strings.TrimSuffix(f.Path, "*"))) {
			continue
		}
		c := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				s.faults = slices.Delete(s.faults, i, i+1)
			}
		}
		return &c
	}
	return nil
}

// errBody is the spec's errorModel.
func errBody(code, msg string) []byte {
	b, _ := json.Marshal(map[string]string{"code": code, "message": msg})
	return b
}

func rateHeaders(w http.ResponseWriter) {
	w.Header().Set("x-sib-ratelimit-limit", "1000")
	w.Header().Set("x-sib-ratelimit-remaining", "990")
	w.Header().Set("x-sib-ratelimit-reset", "1")
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ipBlockMessage is Brevo's text for a valid key used from an address that
// is not authorised.
const ipBlockMessage = "We have detected you are using an unrecognised IP address 203.0.113.9. If you performed this action make sure to add the new IP address in this link: https://app.brevo.com/security/authorised_ips"

// req is one request being served.
type req struct {
	w      http.ResponseWriter
	r      *http.Request
	q      url.Values
	params map[string]string
	fault  *Fault
}

func (q *req) fail(status int, code, msg string) { writeRaw(q.w, status, errBody(code, msg)) }

func (q *req) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		q.fail(500, "bad_request", err.Error())
		return
	}
	if q.fault != nil && q.fault.Kind == Malformed {
		b = b[:len(b)/2]
	}
	writeRaw(q.w, status, b)
}

// intParam reads an integer query parameter within [lo, hi] (hi 0: no
// upper bound); a bad one answers 400 and returns false.
func (q *req) intParam(name string, def, lo, hi int, required bool) (int, bool) {
	v := q.q.Get(name)
	if v == "" {
		if required {
			q.fail(400, "missing_parameter", name+" is required")
			return 0, false
		}
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || (hi > 0 && n > hi) {
		q.fail(400, "out_of_range", fmt.Sprintf("%s must be an integer between %d and %d", name, lo, hi))
		return 0, false
	}
	return n, true
}

// route is one endpoint: its method and path pattern ("{x}" segments).
type route struct {
	method, pattern string
	h               func(s *Server, q *req)
}

var routes []route

func handle(method, pattern string, h func(s *Server, q *req)) {
	routes = append(routes, route{method, pattern, h})
}

func match(pattern, path string) (map[string]string, bool) {
	ps, xs := strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return nil, false
	}
	params := map[string]string{}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") {
			v, err := url.PathUnescape(xs[i])
			if err != nil || v == "" {
				return nil, false
			}
			params[strings.Trim(p, "{}")] = v
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return params, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	path := r.URL.EscapedPath()
	s.Mu.Lock()
	entry := r.Method + " " + path
	if r.URL.RawQuery != "" {
		entry += "?" + r.URL.RawQuery
	}
	s.log = append(s.log, entry)
	s.Mu.Unlock()
	rateHeaders(w)

	key := r.Header.Get("api-key")
	s.Mu.Lock()
	valid, blocked := slices.Contains(s.St.Keys, key), slices.Contains(s.St.BlockedKeys, key)
	s.Mu.Unlock()
	switch {
	case blocked:
		writeRaw(w, 401, errBody("unauthorized", ipBlockMessage))
		return
	case key == "" || !valid:
		writeRaw(w, 401, errBody("unauthorized", "Key not found"))
		return
	}

	f := s.takeFault(r.Method, path)
	if f != nil {
		switch f.Kind {
		case RateLimit:
			ra := f.RetryAfter
			if ra <= 0 {
				ra = time.Second
			}
			secs := strconv.Itoa(int((ra + time.Second - 1) / time.Second))
			if !f.ResetOnly {
				w.Header().Set("Retry-After", secs)
			}
			w.Header().Set("x-sib-ratelimit-remaining", "0")
			w.Header().Set("x-sib-ratelimit-reset", secs)
			writeRaw(w, 429, errBody("too_many_requests", "The expected rate limit is exceeded."))
			return
		case ServerError:
			writeRaw(w, 500, errBody("internal_error", "Internal server error"))
			return
		case IPBlock:
			writeRaw(w, 401, errBody("unauthorized", ipBlockMessage))
			return
		case HostileError:
			writeRaw(w, 400, errBody("invalid_parameter"+Escapes, Escapes+strings.Repeat("B\x1b[31m", 600)))
			return
		case Slow:
			select {
			case <-time.After(f.Delay):
			case <-r.Context().Done():
				return
			}
		case Trickle:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"users":[`))
			fl, _ := w.(http.Flusher)
			for {
				if fl != nil {
					fl.Flush()
				}
				select {
				case <-time.After(max(f.Delay, 10*time.Millisecond)):
				case <-r.Context().Done():
					return
				}
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
			}
		case Huge:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"x":"`))
			chunk := []byte(strings.Repeat("a", 64<<10))
			for n := int64(0); n < f.Size; n += int64(len(chunk)) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			_, _ = w.Write([]byte(`"}`))
			return
		}
	}
	for _, rt := range routes {
		params, ok := match(rt.pattern, path)
		if !ok {
			continue
		}
		if rt.method != r.Method {
			continue
		}
		rt.h(s, &req{w: w, r: r, q: r.URL.Query(), params: params, fault: f})
		return
	}
	for _, rt := range routes {
		if _, ok := match(rt.pattern, path); ok {
			writeRaw(w, 405, errBody("method_not_allowed", r.Method+" Method is not allowed on this path"))
			return
		}
	}
	writeRaw(w, 404, errBody("document_not_found", "Not found"))
}

// pageOf is xs[offset:offset+limit], with the paging faults applied.
func pageOf[T any](q *req, xs []T, offset, limit int, fresh func(i int) T) ([]T, int) {
	total := len(xs)
	if q.fault != nil {
		switch q.fault.Kind {
		case RepeatPage:
			offset = 0
		case GrowingCount:
			out := make([]T, limit)
			for i := range out {
				out[i] = fresh(offset + i)
			}
			return out, offset + 2*limit
		}
	}
	if offset >= len(xs) {
		return []T{}, total
	}
	return xs[offset:min(len(xs), offset+limit)], total
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func init() {
	handle("GET", "/account", func(s *Server, q *req) {
		s.Mu.Lock()
		st := s.St
		plans := []map[string]any{}
		for _, p := range st.Plans {
			plans = append(plans, map[string]any{"type": p, "credits": 300, "creditsType": "sendLimit"})
		}
		body := map[string]any{
			"email": st.Email, "firstName": st.FirstName, "lastName": st.LastName, "companyName": st.Company,
			"address": map[string]string{"city": "Springfield", "street": "1 Main St", "zipCode": "9000", "country": "US"},
			"plan":    plans,
			"relay":   map[string]any{"enabled": st.SMTPLogin != "", "data": map[string]any{"userName": st.SMTPLogin, "relay": st.SMTPRelay, "port": 587}},
		}
		s.Mu.Unlock()
		q.json(200, body)
	})

	users := func(us []User, corporate bool) []map[string]any {
		out := []map[string]any{}
		for _, u := range us {
			m := map[string]any{"email": u.Email, "is_owner": u.Owner, "status": u.Status, "feature_access": u.Access}
			if u.Access == nil {
				m["feature_access"] = map[string]any{}
			}
			if corporate {
				m["is_owner"] = strconv.FormatBool(u.Owner)
				m["groups"] = []any{}
			}
			out = append(out, m)
		}
		return out
	}
	handle("GET", "/organization/invited/users", func(s *Server, q *req) {
		s.Mu.Lock()
		body := map[string]any{"users": users(s.St.Users, false)}
		s.Mu.Unlock()
		q.json(200, body)
	})
	handle("GET", "/organization/user/{email}/permissions", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.Users, func(u User) bool { return strings.EqualFold(u.Email, q.params["email"]) })
		if i < 0 {
			q.fail(400, "document_not_found", "User not found")
			return
		}
		u := s.St.Users[i]
		privs := []map[string]any{}
		for _, p := range u.Privileges {
			privs = append(privs, map[string]any{"feature": p.Feature, "permissions": p.Permissions})
		}
		q.json(200, map[string]any{"email": u.Email, "status": u.Status, "privileges": privs})
	})
	remove := func(s *Server, q *req, pending bool) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.Users, func(u User) bool {
			return strings.EqualFold(u.Email, q.params["email"]) && (u.Status == "pending") == pending && !u.Owner
		})
		if i < 0 {
			q.fail(403, "permission_denied", "No such user")
			return
		}
		s.St.Users = slices.Delete(s.St.Users, i, i+1)
		q.json(200, map[string]any{"status": "OK", "credit_notes": []string{}})
	}
	handle("PUT", "/organization/user/invitation/revoke/{email}", func(s *Server, q *req) { remove(s, q, false) })
	handle("PUT", "/organization/user/invitation/{action}/{email}", func(s *Server, q *req) {
		switch q.params["action"] {
		case "cancel":
			remove(s, q, true)
		case "resend":
			q.json(200, map[string]any{"status": "OK"})
		default:
			q.fail(400, "invalid_parameter", "action must be resend or cancel")
		}
	})

	master := func(s *Server, q *req) bool {
		s.Mu.Lock()
		ok := s.St.Master
		s.Mu.Unlock()
		if !ok {
			q.fail(403, "permission_denied", "You do not have access to this resource: it needs an Enterprise master account")
		}
		return ok
	}
	handle("GET", "/corporate/invited/users", func(s *Server, q *req) {
		if !master(s, q) {
			return
		}
		s.Mu.Lock()
		body := map[string]any{"users": users(s.St.AdminUsers, true)}
		s.Mu.Unlock()
		q.json(200, body)
	})
	handle("DELETE", "/corporate/user/revoke/{email}", func(s *Server, q *req) {
		if !master(s, q) {
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.AdminUsers, func(u User) bool { return strings.EqualFold(u.Email, q.params["email"]) })
		if i < 0 {
			q.fail(400, "invalid_parameter", "Invalid request")
			return
		}
		s.St.AdminUsers = slices.Delete(s.St.AdminUsers, i, i+1)
		q.w.WriteHeader(204)
	})
	handle("GET", "/corporate/subAccount", func(s *Server, q *req) {
		offset, ok := q.intParam("offset", 0, 0, 0, true)
		if !ok {
			return
		}
		limit, ok := q.intParam("limit", 0, 1, 0, true)
		if !ok || !master(s, q) {
			return
		}
		s.Mu.Lock()
		pg, total := pageOf(q, s.St.SubAccounts, offset, limit, func(i int) SubAccount {
			return SubAccount{ID: int64(900000 + i), Company: fmt.Sprintf("grown%d", i), Active: true}
		})
		out := []map[string]any{}
		for _, a := range pg {
			out = append(out, map[string]any{"id": a.ID, "companyName": a.Company, "active": a.Active, "createdAt": a.Created.Unix(), "groups": []any{}})
		}
		s.Mu.Unlock()
		q.json(200, map[string]any{"count": total, "subAccounts": out})
	})

	handle("GET", "/senders", func(s *Server, q *req) {
		s.Mu.Lock()
		out := []map[string]any{}
		for _, x := range s.St.Senders {
			out = append(out, map[string]any{"id": x.ID, "name": x.Name, "email": x.Email, "active": x.Active})
		}
		s.Mu.Unlock()
		q.json(200, map[string]any{"senders": out})
	})
	handle("GET", "/senders/domains", func(s *Server, q *req) {
		s.Mu.Lock()
		out := []map[string]any{}
		for _, d := range s.St.Domains {
			out = append(out, map[string]any{"id": d.ID, "domain_name": d.Name, "authenticated": d.Authenticated, "verified": d.Verified})
		}
		s.Mu.Unlock()
		q.json(200, map[string]any{"domains": out})
	})

	handle("GET", "/webhooks", func(s *Server, q *req) {
		typ := q.q.Get("type")
		if typ == "" {
			typ = "transactional"
		}
		if typ != "transactional" && typ != "marketing" && typ != "inbound" {
			q.fail(400, "invalid_parameter", "type must be marketing, transactional or inbound")
			return
		}
		if srt := q.q.Get("sort"); srt != "" && srt != "asc" && srt != "desc" {
			q.fail(400, "invalid_parameter", "sort must be asc or desc")
			return
		}
		s.Mu.Lock()
		out := []map[string]any{}
		for _, h := range s.St.Webhooks {
			if h.Type != typ {
				continue
			}
			m := map[string]any{"id": h.ID, "url": h.URL, "description": h.Description, "events": h.Events, "type": h.Type,
				"createdAt": h.Created.UTC().Format("2006-01-02T15:04:05.000Z"), "modifiedAt": h.Created.UTC().Format("2006-01-02T15:04:05.000Z")}
			if h.Domain != "" {
				m["domain"] = h.Domain
			}
			out = append(out, m)
		}
		s.Mu.Unlock()
		q.json(200, map[string]any{"webhooks": out})
	})
	handle("DELETE", "/webhooks/{webhookId}", func(s *Server, q *req) {
		id, err := strconv.ParseInt(q.params["webhookId"], 10, 64)
		if err != nil {
			q.fail(400, "invalid_parameter", "webhookId must be an integer")
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.Webhooks, func(h Webhook) bool { return h.ID == id })
		if i < 0 {
			q.fail(404, "document_not_found", "Webhook ID not found")
			return
		}
		s.St.Webhooks = slices.Delete(s.St.Webhooks, i, i+1)
		q.w.WriteHeader(204)
	})

	handle("GET", "/organization/activities", func(s *Server, q *req) {
		limit, ok := q.intParam("limit", 10, 1, 100, false)
		if !ok {
			return
		}
		offset, ok := q.intParam("offset", 0, 0, 0, false)
		if !ok {
			return
		}
		sd, ed := q.q.Get("startDate"), q.q.Get("endDate")
		if (sd == "") != (ed == "") {
			q.fail(400, "missing_parameter", "startDate and endDate go together")
			return
		}
		var from, to time.Time
		if sd != "" {
			var err1, err2 error
			from, err1 = time.Parse("2006-01-02", sd)
			to, err2 = time.Parse("2006-01-02", ed)
			if err1 != nil || err2 != nil || to.Before(from) || to.Sub(from) > 31*24*time.Hour {
				q.fail(400, "invalid_parameter", "the date range must be valid and one month at most")
				return
			}
			to = to.Add(24*time.Hour - time.Nanosecond)
		}
		s.Mu.Lock()
		if !s.St.Enterprise {
			s.Mu.Unlock()
			q.fail(403, "permission_denied", "The activity log is available on the Enterprise plan only")
			return
		}
		var logs []Activity
		for _, a := range s.St.Activity {
			if sd != "" && (a.Date.Before(from) || a.Date.After(to)) {
				continue
			}
			logs = append(logs, a)
		}
		s.Mu.Unlock()
		sort.SliceStable(logs, func(i, j int) bool { return logs[i].Date.After(logs[j].Date) })
		pg, total := pageOf(q, logs, offset, limit, func(i int) Activity {
			return Activity{Action: "login-success", Date: s.Now().Add(-time.Duration(i) * time.Second), Email: "grown@example.com", IP: fmt.Sprintf("192.0.2.%d", i%250)}
		})
		out := []map[string]any{}
		for _, a := range pg {
			out = append(out, map[string]any{"action": a.Action, "date": a.Date.Format(time.RFC3339), "user_email": a.Email, "user_ip": a.IP, "user_agent": a.Agent})
		}
		q.json(200, map[string]any{"logs": out, "count": total})
	})

	handle("GET", "/smtp/statistics/events", func(s *Server, q *req) {
		limit, ok := q.intParam("limit", 2500, 0, 5000, false)
		if !ok {
			return
		}
		offset, ok := q.intParam("offset", 0, 0, 0, false)
		if !ok {
			return
		}
		days, ok := q.intParam("days", 0, 1, 90, false)
		if !ok {
			return
		}
		if days > 0 && (q.q.Get("startDate") != "" || q.q.Get("endDate") != "") {
			q.fail(400, "invalid_parameter", "days is not compatible with startDate and endDate")
			return
		}
		if days == 0 {
			days = 30
		}
		event := q.q.Get("event")
		srt := q.q.Get("sort")
		if srt != "" && srt != "asc" && srt != "desc" {
			q.fail(400, "invalid_parameter", "sort must be asc or desc")
			return
		}
		now := s.Now().UTC()
		first := now.Truncate(24*time.Hour).AddDate(0, 0, -(days - 1))
		s.Mu.Lock()
		var evs []Event
		for _, e := range s.St.Events {
			if e.Date.Before(first) || (event != "" && e.Event != event) {
				continue
			}
			evs = append(evs, e)
		}
		s.Mu.Unlock()
		sort.SliceStable(evs, func(i, j int) bool {
			if srt == "asc" {
				return evs[i].Date.Before(evs[j].Date)
			}
			return evs[i].Date.After(evs[j].Date)
		})
		pg, _ := pageOf(q, evs, offset, limit, func(i int) Event {
			return Event{Email: "grown@example.com", Subject: "grown", MessageID: fmt.Sprintf("<grown%d@example.com>", i), Event: "requests", Date: now.Add(-time.Duration(i) * time.Second)}
		})
		out := []map[string]any{}
		for _, e := range pg {
			m := map[string]any{"email": e.Email, "date": e.Date.UTC().Format("2006-01-02T15:04:05.000Z"), "messageId": e.MessageID, "event": e.Event, "from": e.From}
			if e.Subject != "" {
				m["subject"] = e.Subject
			}
			out = append(out, m)
		}
		q.json(200, map[string]any{"events": out})
	})
}

// Day formats t as Brevo's query dates do (YYYY-MM-DD, UTC).
func Day(t time.Time) string { return day(t) }
