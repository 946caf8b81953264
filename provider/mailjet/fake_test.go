package mailjet_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fake is an in-memory Mailjet v3 REST API: Basic auth against the active
// key pairs, the {Count, Total, Data} envelope, Limit (max 1000) and Offset
// paging, the {ErrorInfo, ErrorMessage, StatusCode} error body, and injected
// faults.
type fake struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	user       map[string]any
	profile    map[string]any
	keys       []*fakeKey
	access     []map[string]any
	callbacks  []map[string]any
	parse      []map[string]any
	senders    []map[string]any
	metas      []map[string]any
	dns        []map[string]any
	messages   []map[string]any
	nextID     int64
	faults     map[string][]string // "METHOD resource" -> queue of fault names
	requests   []string            // "METHOD /path?query"
	slow       time.Duration
	retryAfter string
}

type fakeKey struct {
	ID        int64
	APIKey    string
	Secret    string
	Name      string
	IsActive  bool
	IsMaster  bool
	CreatedAt time.Time
}

// Realistic-shaped test credentials (32 hex each). Not real keys.
const (
	masterKey    = "3f1c9a7e5b2d4f608e1a9c3b5d7f0e2a"
	masterSecret = "a8d2f4c6e0b1937f5e2c4a6d8b0f1e3c"
	subKey       = "6b0e2d4f8a1c3e5079d2b4f6a8c0e1d3"
	subSecret    = "c1e3a5f7092b4d6f8e0a2c4e6b8d0f1a"
	attackerKey  = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
	attackerSec  = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
)

func newFake(t *testing.T) *fake {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Second)
	f := &fake{t: t, nextID: 1000, faults: map[string][]string{}, retryAfter: "0"}
	f.user = map[string]any{"ID": 42, "Username": "acme-mj", "Email": "ops@acme.example", "CreatedAt": now.Add(-900 * 24 * time.Hour).Format(time.RFC3339), "FirstIp": "198.51.100.23", "LastIp": "203.0.113.99", "LastLoginAt": now.Add(-3 * time.Hour).Format(time.RFC3339)}
	f.profile = map[string]any{"ID": 42, "CompanyName": "Acme Widgets Ltd", "BillingEmail": "billing@acme.example"}
	f.keys = []*fakeKey{
		{ID: 1, APIKey: masterKey, Secret: masterSecret, Name: "Master", IsActive: true, IsMaster: true, CreatedAt: now.Add(-900 * 24 * time.Hour)},
		{ID: 2, APIKey: subKey, Secret: subSecret, Name: "newsletter", IsActive: true, CreatedAt: now.Add(-400 * 24 * time.Hour)},
		{ID: 3, APIKey: attackerKey, Secret: attackerSec, Name: "sync\x1b[2J\u202eexe.gnp", IsActive: true, CreatedAt: now.Add(-24 * time.Hour)},
	}
	f.access = []map[string]any{
		{"ID": 1, "AllowedAccess": "campaigns,contacts,stats,account,reports", "APIKeyID": 1, "CreatedAt": now.Add(-900 * 24 * time.Hour).Format(time.RFC3339), "IsActive": true, "RealUserID": 42, "RealUserALT": "ops@acme.example", "UserID": 42},
		{"ID": 2, "AllowedAccess": "campaigns,contacts,stats,account", "APIKeyID": 1, "CreatedAt": now.Add(-2 * 24 * time.Hour).Format(time.RFC3339), "IsActive": true, "RealUserID": 77, "RealUserALT": "helpdesk@mj-support.example", "UserID": 42, "CustomName": "Mailjet \u202eSupport", "Subaccount": map[string]any{"Email": "helpdesk@mj-support.example"}},
		{"ID": 3, "AllowedAccess": "stats", "APIKeyID": 2, "CreatedAt": now.Add(-1 * 24 * time.Hour).Format(time.RFC3339), "IsActive": true, "RealUserID": 77, "RealUserALT": "helpdesk@mj-support.example", "UserID": 42},
		{"ID": 4, "AllowedAccess": "stats", "APIKeyID": 2, "IsActive": false, "RealUserID": 88, "RealUserALT": "old@acme.example", "UserID": 42},
	}
	f.callbacks = []map[string]any{
		{"ID": 11, "EventType": "sent", "Url": "https://hooks.acme.example/mj", "Status": "alive", "APIKeyID": 1},
		{"ID": 12, "EventType": "open", "Url": "https://collect.evt-stats.example/c\x07?x=\u200b1", "Status": "alive", "APIKeyID": 1},
	}
	f.parse = []map[string]any{{"ID": 21, "Email": "parse@parse-in1.mailjet.com", "Url": "https://inbox.mail-harvest.example/in"}}
	f.senders = []map[string]any{
		{"ID": 31, "Email": "*@acme.example", "Status": "Active", "DNSID": 51, "CreatedAt": now.Add(-800 * 24 * time.Hour).Format(time.RFC3339)},
		{"ID": 32, "Email": "news@acme.example", "Status": "Active", "DNSID": 51, "CreatedAt": now.Add(-700 * 24 * time.Hour).Format(time.RFC3339)},
		{"ID": 33, "Email": "security@acme-support.example", "Status": "Active", "CreatedAt": now.Add(-2 * 24 * time.Hour).Format(time.RFC3339)},
	}
	f.metas = []map[string]any{{"ID": 41, "Email": "*@acme.example", "IsEnabled": true, "CreatedAt": now.Add(-800 * 24 * time.Hour).Format(time.RFC3339)}}
	f.dns = []map[string]any{{"ID": 51, "Domain": "acme.example", "DKIMStatus": "OK", "SPFStatus": "OK"}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// addMessages adds n messages, one every step back from now.
func (f *fake) addMessages(n int, senderID int, subject string, step time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now().UTC()
	for i := 0; i < n; i++ {
		f.nextID++
		f.messages = append(f.messages, map[string]any{"ID": f.nextID, "ArrivedAt": now.Add(-time.Duration(i+1) * step).Format(time.RFC3339), "Subject": subject, "Status": "sent", "ContactAlt": fmt.Sprintf("r%d@example.net", i), "SenderID": senderID})
	}
}

func (f *fake) fail(methodResource string, faults ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[methodResource] = append(f.faults[methodResource], faults...)
}

func (f *fake) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

func (f *fake) key(apiKey string) *fakeKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range f.keys {
		if k.APIKey == apiKey {
			return k
		}
	}
	return nil
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ErrorInfo": "", "ErrorMessage": msg, "StatusCode": status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v3/REST/")
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery)
	resource, idStr, _ := strings.Cut(rest, "/")
	fk := r.Method + " " + resource
	var fault string
	if q := f.faults[fk]; len(q) > 0 {
		fault, f.faults[fk] = q[0], q[1:]
	}
	slow := f.slow
	retryAfter := f.retryAfter
	f.mu.Unlock()
	if !ok {
		writeErr(w, 404, "Object not found")
		return
	}
	switch fault {
	case "429":
		w.Header().Set("Retry-After", retryAfter)
		writeErr(w, 429, "Too many requests")
		return
	case "500":
		writeErr(w, 500, "Internal server error")
		return
	case "503-html":
		w.WriteHeader(503)
		_, _ = w.Write([]byte("<html>bad gateway</html>"))
		return
	case "slow":
		select {
		case <-time.After(slow):
		case <-r.Context().Done():
			return
		}
	case "truncated":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Count":1,"Total":1,"Data":[{"ID":1,"APIKey":"3f1c`))
		return
	case "huge":
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Count":1,"Total":1,"Data":["` + strings.Repeat("x", 2<<20) + `"]}`))
		return
	case "403":
		writeErr(w, 403, "API key lacks\x1b[31m permission")
		return
	}
	// Basic auth against active key pairs.
	user, pass, hasAuth := r.BasicAuth()
	k := f.key(user)
	if !hasAuth || k == nil || k.Secret != pass || !k.IsActive {
		writeErr(w, 401, "API key authentication/authorization failure. You may be unauthorized to access the API or your API key may be expired. Visit API keys management section to check your keys.")
		return
	}
	q := r.URL.Query()
	switch r.Method {
	case http.MethodGet:
		if idStr != "" {
			writeErr(w, 404, "Object not found")
			return
		}
		var all []map[string]any
		f.mu.Lock()
		switch resource {
		case "user":
			all = []map[string]any{f.user}
		case "myprofile":
			all = []map[string]any{f.profile}
		case "apikey":
			for _, k := range f.keys {
				all = append(all, map[string]any{"ID": k.ID, "APIKey": k.APIKey, "Name": k.Name, "IsActive": k.IsActive, "IsMaster": k.IsMaster, "CreatedAt": k.CreatedAt.Format(time.RFC3339), "ACL": "", "Runlevel": "Normal"})
			}
		case "apikeyaccess":
			all = f.access
		case "eventcallbackurl":
			all = f.callbacks
		case "parseroute":
			all = f.parse
		case "sender":
			all = f.senders
		case "metasender":
			all = f.metas
		case "dns":
			all = f.dns
		case "message":
			from, _ := parseTS(q.Get("FromTS"))
			to, hasTo := parseTS(q.Get("ToTS"))
			for _, m := range f.messages {
				at, _ := time.Parse(time.RFC3339, m["ArrivedAt"].(string))
				if at.Before(from) || (hasTo && at.After(to)) {
					continue
				}
				c := map[string]any{}
				for k, v := range m {
					c[k] = v
				}
				if q.Get("ShowSubject") != "true" {
					delete(c, "Subject")
				}
				all = append(all, c)
			}
		default:
			f.mu.Unlock()
			writeErr(w, 404, "Object not found")
			return
		}
		f.mu.Unlock()
		limit, offset := 10, 0
		if s := q.Get("Limit"); s != "" {
			limit, _ = strconv.Atoi(s)
		}
		if s := q.Get("Offset"); s != "" {
			offset, _ = strconv.Atoi(s)
		}
		if limit > 1000 || limit < 0 {
			writeErr(w, 400, "Limit must be at most 1000")
			return
		}
		page := []map[string]any{}
		if offset < len(all) {
			page = all[offset:min(offset+limit, len(all))]
		}
		writeJSON(w, 200, map[string]any{"Count": len(page), "Total": len(all), "Data": page})
	case http.MethodPost:
		if resource != "apikey" {
			writeErr(w, 405, "Method not allowed")
			return
		}
		var body struct{ Name string }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" {
			writeErr(w, 400, "Name is required")
			return
		}
		f.mu.Lock()
		f.nextID++
		nk := &fakeKey{ID: f.nextID, APIKey: fmt.Sprintf("%032x", f.nextID*7919), Secret: fmt.Sprintf("%032x", f.nextID*104729), Name: body.Name, IsActive: true, CreatedAt: time.Now().UTC().Truncate(time.Second)}
		f.keys = append(f.keys, nk)
		f.mu.Unlock()
		writeJSON(w, 201, map[string]any{"Count": 1, "Total": 1, "Data": []any{map[string]any{"ID": nk.ID, "APIKey": nk.APIKey, "SecretKey": nk.Secret, "Name": nk.Name, "IsActive": true, "IsMaster": false, "CreatedAt": nk.CreatedAt.Format(time.RFC3339)}}})
	case http.MethodPut:
		if resource != "apikey" {
			writeErr(w, 405, "Method not allowed")
			return
		}
		n, _ := strconv.ParseInt(idStr, 10, 64)
		var body struct{ IsActive *bool }
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.IsActive == nil {
			writeErr(w, 400, "IsActive is required")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, k := range f.keys {
			if k.ID == n {
				if k.IsMaster && !*body.IsActive {
					writeErr(w, 400, "The master API key cannot be deactivated")
					return
				}
				k.IsActive = *body.IsActive
				writeJSON(w, 200, map[string]any{"Count": 1, "Total": 1, "Data": []any{map[string]any{"ID": k.ID, "APIKey": k.APIKey, "IsActive": k.IsActive}}})
				return
			}
		}
		writeErr(w, 404, "Object not found")
	case http.MethodDelete:
		n, _ := strconv.ParseInt(idStr, 10, 64)
		f.mu.Lock()
		defer f.mu.Unlock()
		var list *[]map[string]any
		switch resource {
		case "eventcallbackurl":
			list = &f.callbacks
		case "parseroute":
			list = &f.parse
		default:
			writeErr(w, 405, "Method not allowed")
			return
		}
		for i, x := range *list {
			if toInt64(x["ID"]) == n {
				*list = append((*list)[:i], (*list)[i+1:]...)
				w.WriteHeader(204)
				return
			}
		}
		writeErr(w, 404, "Object not found")
	default:
		writeErr(w, 405, "Method not allowed")
	}
}

func toInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return -1
}

func parseTS(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}
