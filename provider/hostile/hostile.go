// Package hostile is a provider API that fights back: a test fake serving
// SendGrid-shaped (v3) or Mailjet-shaped (v3 REST) answers in one of several
// hostile modes, to prove that reclaim's adapters end every read with a
// bounded result or a clear error, in bounded memory, with nothing raw
// reaching a terminal.
//
// It accepts any credential. SendGrid's GET /v3/scopes always answers
// normally (a full read key), so `reclaim audit` gets past its first call to
// the inventory; every other endpoint behaves as the mode says.
//
//	srv := hostile.New(hostile.SendGrid, hostile.EndlessPages)
//	defer srv.Close()
//	c, _ := sendgrid.New(provider.Config{Credential: srv.Credential(), BaseURL: srv.URL})
package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Flavor is the API the fake imitates.
type Flavor string

const (
	SendGrid Flavor = "sendgrid"
	Mailjet  Flavor = "mailjet"
)

// Mode is how the fake misbehaves.
type Mode string

const (
	// EndlessPages: every list answers a full page of fresh items, forever
	// (Mailjet claims a constant Total of a billion).
	EndlessPages Mode = "endless-pages"
	// RepeatPage: every list answers the same full page whatever the offset.
	RepeatPage Mode = "repeat-page"
	// GrowingTotal: full pages of fresh items, and Mailjet's claimed Total
	// stays two pages ahead of the offset. SendGrid's lists claim no total:
	// for them this is EndlessPages.
	GrowingTotal Mode = "growing-total"
	// HugeBody: 200 with a body that never ends (HugeSize bytes at most).
	HugeBody Mode = "huge-body"
	// TrickleBody: 200 and the start of a valid body at once, then one byte
	// every Trickle, for as long as the client listens.
	TrickleBody Mode = "trickle-body"
	// SlowFirstByte: nothing at all (not even headers) for Hold, then a
	// normal answer.
	SlowFirstByte Mode = "slow-first-byte"
	// HugeRetryAfter: 429 with Retry-After: 99999999999 (and, for SendGrid,
	// an X-RateLimit-Reset thousands of years ahead).
	HugeRetryAfter Mode = "huge-retry-after"
	// Redirect: 307 to the same path on another host (Other), which counts
	// what reaches it and whether it carried a credential.
	Redirect Mode = "redirect"
	// EscapeErrors: 400 or 403 with an error body whose every text field
	// is Escapes (terminal escapes, BEL, CR, newlines, bidi overrides, C1
	// controls, zero-width characters).
	EscapeErrors Mode = "escape-errors"
)

// Modes lists every mode.
var Modes = []Mode{EndlessPages, RepeatPage, GrowingTotal, HugeBody, TrickleBody, SlowFirstByte, HugeRetryAfter, Redirect, EscapeErrors}

// ListModes are the modes that answer 200 with well-formed pages.
var ListModes = []Mode{EndlessPages, RepeatPage, GrowingTotal}

// Escapes is the attacker text the fake puts in error messages and names:
// an OSC title change, a screen clear, BEL, CR and LF, a right-to-left
// override, a CSI in its C1 form, a zero-width space and DEL.
const Escapes = "\x1b]0;owned\x07\x1b[2J\rforged line\n\u202eexe.gnp\u009b31m\u200b\x7f\x1b[8m"

// Server is the hostile fake.
type Server struct {
	*httptest.Server
	Flavor Flavor
	Mode   Mode
	// Other is the host redirects point to (as "localhost", a different
	// host from the fake's 127.0.0.1).
	Other *httptest.Server
	// Trickle is the pause between the bytes of a trickling body (default
	// 50ms); Hold how long a slow first byte is held back (default an hour:
	// the client gives up first). HugeSize bounds a huge body (default 4
	// GiB).
	Trickle  time.Duration
	Hold     time.Duration
	HugeSize int64
	// Delay holds back every answer (but SendGrid's /v3/scopes) this long
	// before the mode's own answer: with EndlessPages and a Delay just
	// under the client's per-request deadline, a provider that answers
	// every page, slowly, forever. Zero: no delay. Set it before the first
	// request.
	Delay time.Duration

	quit       chan struct{}
	seq        atomic.Int64
	requests   atomic.Int64
	hitsMu     sync.Mutex
	hits       map[string]int
	otherHits  atomic.Int64
	otherCreds atomic.Int64
}

// New starts a fake on a loopback port.
func New(f Flavor, m Mode) *Server {
	s := &Server{Flavor: f, Mode: m, Trickle: 50 * time.Millisecond, Hold: time.Hour, HugeSize: 4 << 30, quit: make(chan struct{})}
	s.Other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.otherHits.Add(1)
		if r.Header.Get("Authorization") != "" || r.Header.Get("on-behalf-of") != "" {
			s.otherCreds.Add(1)
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Close stops both hosts, ending the answers still being held back.
func (s *Server) Close() {
	close(s.quit)
	s.Server.CloseClientConnections()
	s.Server.Close()
	s.Other.Close()
}

// Requests is how many requests reached the fake.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Hits is how many requests reached a path ("/v3/teammates/pending"), so
// that a test can tell a sibling list was read, or a request retried.
func (s *Server) Hits(path string) int {
	s.hitsMu.Lock()
	defer s.hitsMu.Unlock()
	return s.hits[path]
}

// OtherHits is how many requests reached the redirect target; OtherCreds
// how many of them carried a credential (Authorization).
func (s *Server) OtherHits() int64 { return s.otherHits.Load() }

// OtherCreds is how many requests carried a credential to the other host.
func (s *Server) OtherCreds() int64 { return s.otherCreds.Load() }

// Credential is a credential of the right shape (not a real one).
func (s *Server) Credential() string {
	if s.Flavor == Mailjet {
		return "3f1c9a7e5b2d4f608e1a9c3b5d7f0e2a:a8d2f4c6e0b1937f5e2c4a6d8b0f1e3c"
	}
	return "SG.hostilehostilehostile.hostilehostilehostilehostilehostilehostile1"
}

// Env is the environment `reclaim audit --provider <flavor>` needs to
// read this fake: the credential and the base URL.
func (s *Server) Env() []string {
	if s.Flavor == Mailjet {
		k, sec, _ := strings.Cut(s.Credential(), ":")
		return []string{"MJ_APIKEY_PUBLIC=" + k, "MJ_APIKEY_PRIVATE=" + sec, "RECLAIM_MAILJET_BASE_URL=" + s.URL}
	}
	return []string{"SENDGRID_API_KEY=" + s.Credential(), "RECLAIM_SENDGRID_BASE_URL=" + s.URL}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.hitsMu.Lock()
	if s.hits == nil {
		s.hits = map[string]int{}
	}
	s.hits[r.URL.Path]++
	s.hitsMu.Unlock()
	// Read the request body first: only then does net/http notice a client
	// that hangs up (r.Context() is cancelled).
	body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	r = r.WithContext(ctx)
	if s.Flavor == SendGrid && r.URL.Path == "/v3/scopes" {
		writeJSON(w, 200, map[string]any{"scopes": sendGridScopes})
		return
	}
	if s.Delay > 0 {
		select {
		case <-time.After(s.Delay):
		case <-r.Context().Done():
			return
		}
	}
	switch s.Mode {
	case HugeBody:
		s.huge(w, r)
	case TrickleBody:
		s.trickle(w, r)
	case SlowFirstByte:
		select {
		case <-time.After(s.Hold):
			s.answer(w, r)
		case <-r.Context().Done():
		}
	case HugeRetryAfter:
		h := w.Header()
		h.Set("Retry-After", "99999999999")
		if s.Flavor == SendGrid {
			h.Set("X-RateLimit-Limit", "600")
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Unix()+99999999999, 10))
		}
		s.writeError(w, http.StatusTooManyRequests, "too many requests "+Escapes)
	case Redirect:
		target := strings.Replace(s.Other.URL, "127.0.0.1", "localhost", 1) + r.URL.RequestURI()
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusTemporaryRedirect)
	case EscapeErrors:
		status := http.StatusBadRequest
		if len(r.URL.Path)%2 == 1 {
			status = http.StatusForbidden
		}
		s.writeError(w, status, Escapes)
	default:
		s.answer(w, r)
	}
}

// writeError writes the flavor's error body with msg in every text field.
func (s *Server) writeError(w http.ResponseWriter, status int, msg string) {
	if s.Flavor == Mailjet {
		writeJSON(w, status, map[string]any{"ErrorInfo": msg, "ErrorMessage": msg, "StatusCode": status, "ErrorIdentifier": msg})
		return
	}
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"field": msg, "message": msg}, {"field": nil, "message": msg}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// opening is the start of a valid list body of the flavor.
func (s *Server) opening() string {
	if s.Flavor == Mailjet {
		return `{"Count":1000,"Total":1000000000,"Data":[`
	}
	return `{"result":[`
}

func (s *Server) huge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte(s.opening())); err != nil {
		return
	}
	item := []byte(`{"username":"` + strings.Repeat("x", 4000) + `","ID":1},`)
	chunk := []byte(strings.Repeat(string(item), 16))
	for n := int64(0); n < s.HugeSize; n += int64(len(chunk)) {
		if _, err := w.Write(chunk); err != nil || r.Context().Err() != nil {
			return
		}
	}
}

func (s *Server) trickle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if _, err := w.Write([]byte(s.opening())); err != nil {
		return
	}
	if fl != nil {
		fl.Flush()
	}
	t := time.NewTicker(s.Trickle)
	defer t.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-t.C:
			if _, err := w.Write([]byte(" ")); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
	}
}

// answer is a 200 of the right shape: the list modes' pages for lists,
// plain records for single objects.
func (s *Server) answer(w http.ResponseWriter, r *http.Request) {
	if s.Flavor == Mailjet {
		s.mailjet(w, r)
		return
	}
	s.sendgrid(w, r)
}

// ---- item generation ----

// ids returns the page's item numbers: fresh ones, or in RepeatPage mode
// the same ones every time (and for the other modes outside the list
// modes, a single page).
func (s *Server) ids(n int) []int64 {
	out := make([]int64, n)
	if s.Mode == RepeatPage {
		for i := range out {
			out[i] = int64(i + 1)
		}
		return out
	}
	base := s.seq.Add(int64(n)) - int64(n)
	for i := range out {
		out[i] = base + int64(i) + 1
	}
	return out
}

// listing reports whether lists should answer full pages (the list modes);
// otherwise (a slow first byte's eventual answer) they answer one item.
func (s *Server) listing() bool {
	return s.Mode == EndlessPages || s.Mode == RepeatPage || s.Mode == GrowingTotal
}

func (s *Server) pageLen(limit, max int) int {
	if !s.listing() {
		return 1
	}
	if limit <= 0 || limit > max {
		limit = max
	}
	return limit
}

func name(kind string, id int64) string {
	// Every tenth name carries the attacker's escapes.
	if id%10 == 0 {
		return fmt.Sprintf("%s-%d%s", kind, id, Escapes)
	}
	return fmt.Sprintf("%s-%d", kind, id)
}

func intParam(q url.Values, k string, def int) int {
	if n, err := strconv.Atoi(q.Get(k)); err == nil {
		return n
	}
	return def
}

// ---- SendGrid ----

var sendGridScopes = []string{
	"user.profile.read", "user.account.read", "user.email.read", "user.username.read",
	"api_keys.read", "teammates.read", "subusers.read",
	"user.webhooks.event.settings.read", "user.webhooks.parse.settings.read",
	"mail_settings.read", "mail_settings.forward_bounce.read", "mail_settings.forward_spam.read",
	"mail_settings.address_whitelist.read", "mail_settings.footer.read", "mail_settings.template.read",
	"marketing.read", "marketing_campaigns.read", "whitelabel.read",
	"access_settings.whitelist.read", "access_settings.activity.read", "messages.read",
}

var tsRE = regexp.MustCompile(`TIMESTAMP\s*"([^"]+)"`)

func (s *Server) sendgrid(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p := r.URL.Path
	switch {
	case p == "/v3/user/profile":
		writeJSON(w, 200, map[string]any{"company": "Hostile " + Escapes, "first_name": "H", "last_name": "F"})
	case p == "/v3/user/account":
		writeJSON(w, 200, map[string]any{"type": "paid", "reputation": 99})
	case p == "/v3/user/email":
		writeJSON(w, 200, map[string]any{"email": "owner@hostile.example"})
	case p == "/v3/user/username":
		writeJSON(w, 200, map[string]any{"username": "hostile", "user_id": 1})
	case p == "/v3/api_keys":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(50, 50)) {
			out = append(out, map[string]any{"api_key_id": fmt.Sprintf("key%08d", id), "name": name("key", id)})
		}
		writeJSON(w, 200, map[string]any{"result": out})
	case strings.HasPrefix(p, "/v3/api_keys/"):
		id := strings.TrimPrefix(p, "/v3/api_keys/")
		writeJSON(w, 200, map[string]any{"result": []map[string]any{{"api_key_id": id, "name": "k", "scopes": []string{"mail.send"}}}})
	case p == "/v3/teammates":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(intParam(q, "limit", 500), 500)) {
			out = append(out, map[string]any{"username": name("mate", id), "email": fmt.Sprintf("mate%d@hostile.example", id), "first_name": "T", "last_name": "M", "user_type": "teammate", "is_admin": id%7 == 0})
		}
		writeJSON(w, 200, map[string]any{"result": out})
	case p == "/v3/teammates/pending":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(1000, 1000)) {
			out = append(out, map[string]any{"email": fmt.Sprintf("invite%d@hostile.example", id), "is_admin": true, "token": fmt.Sprintf("tok%d", id), "expiration_date": time.Now().Add(48 * time.Hour).Unix()})
		}
		writeJSON(w, 200, map[string]any{"result": out})
	case p == "/v3/subusers":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(intParam(q, "limit", 500), 500)) {
			// Subuser names go out again in the on-behalf-of header: kept
			// plain so that the keys section is read (SendGrid allows only
			// plain names).
			out = append(out, map[string]any{"id": id, "username": fmt.Sprintf("sub-%d", id), "email": fmt.Sprintf("sub%d@hostile.example%s", id, Escapes), "disabled": false})
		}
		writeJSON(w, 200, out)
	case p == "/v3/user/webhooks/event/settings/all":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(1000, 1000)) {
			out = append(out, map[string]any{"id": fmt.Sprintf("wh%d", id), "url": fmt.Sprintf("https://collect%d.hostile.example/e", id), "enabled": true})
		}
		writeJSON(w, 200, map[string]any{"webhooks": out})
	case p == "/v3/user/webhooks/parse/settings":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(1000, 1000)) {
			out = append(out, map[string]any{"url": fmt.Sprintf("https://parse%d.hostile.example/in", id), "hostname": fmt.Sprintf("in%d.hostile.example", id)})
		}
		writeJSON(w, 200, map[string]any{"result": out})
	case p == "/v3/mail_settings":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(intParam(q, "limit", 100), 100)) {
			out = append(out, map[string]any{"name": name("setting", id), "enabled": true})
		}
		writeJSON(w, 200, map[string]any{"result": out})
	case strings.HasPrefix(p, "/v3/mail_settings/"):
		writeJSON(w, 200, map[string]any{"enabled": true, "email": "bounce@hostile.example" + Escapes, "list": []string{"a@hostile.example"}})
	case p == "/v3/verified_senders":
		last := intParam(q, "lastSeenID", 0)
		n := s.pageLen(intParam(q, "limit", 100), 100)
		var out []map[string]any
		for i, id := range s.ids(n) {
			if s.Mode != RepeatPage {
				id = int64(last + i + 1)
			}
			out = append(out, map[string]any{"id": id, "from_email": fmt.Sprintf("sender%d@hostile.example", id), "verified": true})
		}
		writeJSON(w, 200, map[string]any{"results": out})
	case p == "/v3/senders", p == "/v3/marketing/senders":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(1000, 1000)) {
			out = append(out, map[string]any{"id": id, "from": map[string]string{"email": fmt.Sprintf("s%d@hostile.example", id)}, "verified": true, "created_at": 1700000000})
		}
		key := "result"
		if p == "/v3/marketing/senders" {
			key = "results"
		}
		writeJSON(w, 200, map[string]any{key: out})
	case p == "/v3/whitelabel/domains":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(intParam(q, "limit", 100), 100)) {
			out = append(out, map[string]any{"id": id, "domain": fmt.Sprintf("d%d.hostile.example", id), "valid": true})
		}
		writeJSON(w, 200, out)
	case p == "/v3/access_settings/whitelist":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(1000, 1000)) {
			out = append(out, map[string]any{"id": id, "ip": fmt.Sprintf("10.%d.%d.0/24", id/256%256, id%256), "created_at": 1700000000})
		}
		writeJSON(w, 200, map[string]any{"result": out})
	case p == "/v3/access_settings/activity":
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(intParam(q, "limit", 1000), 1000)) {
			out = append(out, map[string]any{"allowed": false, "auth_method": "basic", "first_at": 1700000000, "last_at": 1700000000 + id, "ip": fmt.Sprintf("192.0.2.%d", id%256), "location": "Nowhere " + Escapes})
		}
		writeJSON(w, 200, map[string]any{"result": out})
	case p == "/v3/logs" || p == "/v3/messages":
		query, limit := q.Get("query"), intParam(q, "limit", 10)
		if r.Method == http.MethodPost {
			var b struct {
				Query string `json:"query"`
				Limit int    `json:"limit"`
			}
			_ = json.NewDecoder(r.Body).Decode(&b)
			query, limit = b.Query, b.Limit
		}
		at := time.Now().UTC().Add(-time.Hour)
		if m := tsRE.FindStringSubmatch(query); m != nil {
			if t, err := time.Parse(time.RFC3339, m[1]); err == nil {
				at = t
			}
		}
		var out []map[string]any
		for _, id := range s.ids(s.pageLen(limit, 1000)) {
			out = append(out, map[string]any{"from_email": "news@hostile.example", "sg_message_id": fmt.Sprintf("m%d", id), "msg_id": fmt.Sprintf("m%d", id),
				"subject": fmt.Sprintf("Invoice %d %s", id%50, Escapes), "to_email": fmt.Sprintf("r%d@example.net", id), "status": "delivered",
				"sg_message_id_created_at": at.Format(time.RFC3339), "last_event_time": at.Format(time.RFC3339)})
		}
		writeJSON(w, 200, map[string]any{"messages": out})
	default:
		s.writeError(w, http.StatusNotFound, "not found")
	}
}

// ---- Mailjet ----

func (s *Server) mailjet(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v3/REST/")
	if !ok {
		s.writeError(w, http.StatusNotFound, "Object not found")
		return
	}
	q := r.URL.Query()
	resource, _, _ := strings.Cut(rest, "/")
	envelope := func(data []map[string]any, total int) {
		writeJSON(w, 200, map[string]any{"Count": len(data), "Total": total, "Data": data})
	}
	switch resource {
	case "user":
		envelope([]map[string]any{{"ID": 42, "Username": "hostile", "Email": "owner@hostile.example", "CreatedAt": "2020-01-01T00:00:00Z", "FirstIp": "198.51.100.1", "LastIp": "203.0.113.9", "LastLoginAt": time.Now().UTC().Format(time.RFC3339)}}, 1)
		return
	case "myprofile":
		envelope([]map[string]any{{"ID": 42, "CompanyName": "Hostile " + Escapes}}, 1)
		return
	}
	limit := s.pageLen(intParam(q, "Limit", 10), 1000)
	offset := intParam(q, "Offset", 0)
	total := 1_000_000_000
	switch {
	case s.Mode == GrowingTotal:
		total = offset + 2*limit + 1
	case !s.listing():
		total = 1
	}
	now := time.Now().UTC()
	var data []map[string]any
	for _, id := range s.ids(limit) {
		var x map[string]any
		switch resource {
		case "apikey":
			x = map[string]any{"ID": id, "APIKey": fmt.Sprintf("%032x", id), "Name": name("key", id), "IsActive": true, "IsMaster": id == 1, "CreatedAt": "2024-01-01T00:00:00Z", "ACL": ""}
		case "apikeyaccess":
			x = map[string]any{"ID": id, "AllowedAccess": "account,api", "APIKeyID": 1, "IsActive": true, "RealUserID": id, "RealUserALT": fmt.Sprintf("user%d@hostile.example", id), "UserID": 42, "CustomName": name("user", id)}
		case "eventcallbackurl":
			x = map[string]any{"ID": id, "EventType": "open", "Url": fmt.Sprintf("https://collect%d.hostile.example/e", id), "Status": "alive"}
		case "parseroute":
			x = map[string]any{"ID": id, "Email": fmt.Sprintf("in%d@parse.hostile.example", id), "Url": fmt.Sprintf("https://parse%d.hostile.example/in", id)}
		case "sender":
			x = map[string]any{"ID": id, "Email": fmt.Sprintf("s%d@hostile.example", id), "Status": "Active", "CreatedAt": "2024-01-01T00:00:00Z"}
		case "metasender":
			x = map[string]any{"ID": id, "Email": fmt.Sprintf("m%d@hostile.example", id), "IsEnabled": true}
		case "dns":
			x = map[string]any{"ID": id, "Domain": fmt.Sprintf("d%d.hostile.example", id), "DKIMStatus": "OK", "SPFStatus": "OK"}
		case "message":
			x = map[string]any{"ID": id, "ArrivedAt": now.Add(-time.Duration(id%(29*24)) * time.Hour).Format(time.RFC3339), "Subject": fmt.Sprintf("Invoice %d %s", id%50, Escapes), "Status": "sent", "ContactAlt": fmt.Sprintf("r%d@example.net", id), "SenderID": 1}
		default:
			s.writeError(w, http.StatusNotFound, "Object not found")
			return
		}
		data = append(data, x)
	}
	envelope(data, total)
}
