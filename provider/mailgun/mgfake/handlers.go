package mgfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

func init() {
	handle("GET", "/v1/keys", listKeys)
	handle("POST", "/v1/keys", createKey)
	handle("DELETE", "/v1/keys/{key_id}", deleteKey)
	handle("GET", "/v5/users", listUsers)
	handle("GET", "/v2/ip_whitelist", listAllow)
	handle("POST", "/v2/ip_whitelist", addAllow)
	handle("DELETE", "/v2/ip_whitelist", deleteAllow)
	handle("GET", "/v4/domains", listDomains)
	handle("GET", "/v4/domains/{name}", getDomain)
	handle("PUT", "/v4/domains/{name}", updateDomain)
	handle("GET", "/v3/domains/{domain}/webhooks", listWebhooks)
	handle("DELETE", "/v4/domains/{domain}/webhooks", deleteWebhooks)
	handle("PUT", "/v3/domains/{domain_name}/webhooks/{webhook_name}", putEventWebhook)
	handle("DELETE", "/v3/domains/{domain_name}/webhooks/{webhook_name}", deleteEventWebhook)
	handle("POST", "/v3/{domain_name}/messages", sendMessage)
	handle("GET", "/v3/routes", listRoutes)
	handle("GET", "/v3/routes/{id}", getRoute)
	handle("PUT", "/v3/routes/{id}", updateRoute)
	handle("DELETE", "/v3/routes/{id}", deleteRoute)
	handle("GET", "/v5/accounts/subaccounts", listSubaccounts)
	handle("GET", "/v5/accounts/subaccounts/{subaccount_id}", getSubaccount)
	handle("POST", "/v5/accounts/subaccounts/{subaccount_id}/disable", disableSubaccount)
	handle("POST", "/v5/accounts/subaccounts/{subaccount_id}/enable", enableSubaccount)
	handle("GET", "/v3/domains/{domain_name}/credentials", listCredentials)
	handle("PUT", "/v3/domains/{domain_name}/credentials/{spec}", updateCredential)
	handle("GET", "/v5/accounts/http_signing_key", getSigningKey)
	handle("POST", "/v5/accounts/http_signing_key", rotateSigningKey)
	handle("POST", "/v1/analytics/logs", listLogs)
	handle("GET", "/v3/{domain_name}/events", listEvents)
	handle("GET", "/v3/{domain_name}/events/{page}", listEvents)
}

// ---- keys ----

func keyJSON(k Key) map[string]any {
	m := map[string]any{
		"id": k.ID, "description": k.Description, "kind": k.Kind, "role": k.Role,
		"created_at": k.Created.UTC().Format("2006-01-02T15:04:05"), "updated_at": k.Created.UTC().Format("2006-01-02T15:04:05"),
		"is_disabled": k.Disabled, "domain_name": nil, "requestor": nil, "user_name": nil,
	}
	if k.Domain != "" {
		m["domain_name"] = k.Domain
	}
	if k.Requestor != "" {
		m["requestor"] = k.Requestor
	}
	if k.UserName != "" {
		m["user_name"] = k.UserName
	}
	return m
}

func listKeys(s *Server, q *req) {
	kind, dom := q.r.URL.Query().Get("kind"), q.r.URL.Query().Get("domain_name")
	if kind != "" && kind != "domain" && kind != "user" && kind != "web" {
		q.fail(http.StatusBadRequest, "expected `kind` param to be one of [domain user web] or absent")
		return
	}
	s.Mu.Lock()
	items := []map[string]any{}
	for _, k := range s.St.Keys {
		if k.Subaccount == q.obo && (kind == "" || k.Kind == kind) && (dom == "" || k.Domain == dom) {
			items = append(items, keyJSON(k))
		}
	}
	s.Mu.Unlock()
	q.json(http.StatusOK, map[string]any{"total_count": len(items) + s.LyingTotal, "items": items})
}

func createKey(s *Server, q *req) {
	role, kind := q.form.Get("role"), q.form.Get("kind")
	if kind == "" {
		kind = "user"
	}
	switch {
	case !slices.Contains([]string{"admin", "basic", "sending", "developer"}, role):
		q.fail(http.StatusBadRequest, "expected `role` param to be one of [admin basic sending developer]")
		return
	case !slices.Contains([]string{"domain", "user", "web"}, kind):
		q.fail(http.StatusBadRequest, "expected `kind` param to be one of [domain user web]")
		return
	case role == "sending" && kind != "domain":
		q.fail(http.StatusBadRequest, "keys of role 'sending' must be of kind 'domain'")
		return
	case kind == "domain" && q.form.Get("domain_name") == "":
		q.fail(http.StatusBadRequest, "domain_name is required for keys of kind 'domain'")
		return
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	if s.St.MaxKeys > 0 && len(s.St.Keys) >= s.St.MaxKeys {
		writeRaw(q.w, http.StatusForbidden, msgBody("could not create key, account limit reached"))
		return
	}
	if kind == "domain" && !slices.ContainsFunc(s.St.Domains, func(d Domain) bool { return d.Name == q.form.Get("domain_name") }) {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	k := NewKey(q.form.Get("description"), role)
	k.Kind, k.Domain, k.Created, k.Subaccount = kind, q.form.Get("domain_name"), time.Now(), q.obo
	s.St.Keys = append(s.St.Keys, k)
	m := keyJSON(k)
	m["secret"] = k.Secret
	q.json(http.StatusOK, map[string]any{"message": "great success", "key": m})
}

func deleteKey(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	i := slices.IndexFunc(s.St.Keys, func(k Key) bool { return k.ID == q.params["key_id"] && k.Subaccount == q.obo })
	if i < 0 {
		writeRaw(q.w, http.StatusNotFound, msgBody("no key matching id"))
		return
	}
	s.St.Keys = slices.Delete(s.St.Keys, i, i+1)
	writeRaw(q.w, http.StatusOK, msgBody("key deleted"))
}

// ---- users ----

func listUsers(s *Server, q *req) {
	limit, skip, ok := q.limitSkip(100, 1000)
	if !ok {
		return
	}
	role := q.r.URL.Query().Get("role")
	s.Mu.Lock()
	var all []User
	for _, u := range s.St.Users {
		if role == "" || u.Role == role {
			all = append(all, u)
		}
	}
	out := []map[string]any{}
	for _, u := range page(s, all, skip, limit) {
		m := map[string]any{
			"id": u.ID, "name": u.Name, "activated": true, "is_disabled": false, "email": u.Email,
			"role": u.Role, "account_id": "567", "opened_ip": u.OpenedIP, "is_master": u.IsMaster,
			"metadata": map[string]any{}, "tfa_enabled": u.TFAEnabled, "tfa_active": u.TFAActive,
			"auth": map[string]any{"method": "mailgun", "prior_details": map[string]any{}, "prior_method": ""},
		}
		if u.TFAEnabled {
			m["tfa_created_at"] = "2022-12-20T16:52:01.892000"
		}
		out = append(out, m)
	}
	total := len(all) + s.LyingTotal
	s.Mu.Unlock()
	q.json(http.StatusOK, map[string]any{"users": out, "total": total})
}

// ---- IP allow list ----

func (s *Server) allowJSONLocked() map[string]any {
	out := []map[string]string{}
	for _, a := range s.St.AllowList {
		out = append(out, map[string]string{"ip_address": a.IP, "description": a.Description})
	}
	return map[string]any{"addresses": out}
}

func listAllow(s *Server, q *req) {
	s.Mu.Lock()
	v := s.allowJSONLocked()
	s.Mu.Unlock()
	q.json(http.StatusOK, v)
}

func addAllow(s *Server, q *req) {
	addr := strings.TrimSpace(q.form.Get("address"))
	if _, err := netip.ParsePrefix(addr); err != nil {
		if _, err := netip.ParseAddr(addr); err != nil {
			q.fail(http.StatusBadRequest, "Invalid IP Address or CIDR")
			return
		}
	}
	s.Mu.Lock()
	if !slices.ContainsFunc(s.St.AllowList, func(a Allow) bool { return a.IP == addr }) {
		s.St.AllowList = append(s.St.AllowList, Allow{IP: addr, Description: q.form.Get("description")})
	}
	v := s.allowJSONLocked()
	s.Mu.Unlock()
	q.json(http.StatusOK, v)
}

func deleteAllow(s *Server, q *req) {
	addr := q.r.URL.Query().Get("address")
	if addr == "" {
		q.fail(http.StatusBadRequest, "IP address can not be blank")
		return
	}
	s.Mu.Lock()
	s.St.AllowList = slices.DeleteFunc(s.St.AllowList, func(a Allow) bool { return a.IP == addr })
	v := s.allowJSONLocked()
	s.Mu.Unlock()
	q.json(http.StatusOK, v)
}

// ---- domains and webhooks ----

func domainJSON(d Domain, withSub bool) map[string]any {
	m := map[string]any{
		"created_at": rfc1123(d.Created), "id": d.ID, "is_disabled": d.State == "disabled", "name": d.Name,
		"require_tls": false, "skip_verification": false, "smtp_login": "postmaster@" + d.Name, "spam_action": "disabled",
		"state": d.State, "type": d.Type, "use_automatic_sender_security": true, "web_prefix": "email", "web_scheme": "https",
		"wildcard": false, "encrypt_incoming_message": false, "message_ttl": 259200,
	}
	if d.ArchiveTo != "" {
		m["archive_to"] = d.ArchiveTo
	}
	if withSub && d.Subaccount != "" {
		m["subaccount_id"] = d.Subaccount
	}
	return m
}

func listDomains(s *Server, q *req) {
	limit, skip, ok := q.limitSkip(100, 1000)
	if !ok {
		return
	}
	inclSub := q.r.URL.Query().Get("include_subaccounts") == "true"
	s.Mu.Lock()
	var all []Domain
	for _, d := range s.St.Domains {
		if d.Subaccount == q.obo || inclSub {
			all = append(all, d)
		}
	}
	items := []map[string]any{}
	for _, d := range page(s, all, skip, limit) {
		items = append(items, domainJSON(d, inclSub))
	}
	total := len(all) + s.LyingTotal
	s.Mu.Unlock()
	q.json(http.StatusOK, map[string]any{"total_count": total, "items": items})
}

// domainLocked finds a domain the caller (or the subaccount it acts for)
// owns.
func (s *Server) domainLocked(q *req, name string) *Domain {
	for i := range s.St.Domains {
		if d := &s.St.Domains[i]; d.Name == name && d.Subaccount == q.obo {
			return d
		}
	}
	return nil
}

func getDomain(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	d := s.domainLocked(q, q.params["name"])
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	q.json(http.StatusOK, map[string]any{"domain": domainJSON(*d, false), "receiving_dns_records": []any{}, "sending_dns_records": []any{}})
}

func updateDomain(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	d := s.domainLocked(q, q.params["name"])
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	if v, ok := q.form["archive_to"]; ok {
		d.ArchiveTo = strings.Join(v, "")
	}
	q.json(http.StatusOK, map[string]any{"message": "Domain has been updated", "domain": domainJSON(*d, false), "receiving_dns_records": []any{}, "sending_dns_records": []any{}})
}

var webhookEvents = []string{"accepted", "delivered", "opened", "clicked", "unsubscribed", "complained", "temporary_fail", "permanent_fail"}

func webhooksJSON(d *Domain) map[string]any {
	hooks := map[string]any{}
	for _, ev := range webhookEvents {
		if urls := d.Webhooks[ev]; len(urls) > 0 {
			hooks[ev] = map[string]any{"urls": urls}
		}
	}
	return map[string]any{"webhooks": hooks}
}

func listWebhooks(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	d := s.domainLocked(q, q.params["domain"])
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	q.json(http.StatusOK, webhooksJSON(d))
}

func deleteWebhooks(s *Server, q *req) {
	raw := q.r.URL.Query().Get("url")
	if raw == "" {
		q.json(http.StatusBadRequest, map[string]string{"Field": "url"})
		return
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	d := s.domainLocked(q, q.params["domain"])
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	gone := strings.Split(raw, ",")
	found := false
	for ev, urls := range d.Webhooks {
		keep := slices.DeleteFunc(slices.Clone(urls), func(u string) bool { return slices.Contains(gone, u) })
		found = found || len(keep) != len(urls)
		d.Webhooks[ev] = keep
	}
	if !found {
		q.json(http.StatusNotFound, map[string]string{"Description": "Webhook not found"})
		return
	}
	q.json(http.StatusOK, webhooksJSON(d))
}

func putEventWebhook(s *Server, q *req) {
	ev := q.params["webhook_name"]
	if !slices.Contains(webhookEvents, ev) {
		q.json(http.StatusBadRequest, map[string]string{"Reason": "unknown webhook type"})
		return
	}
	urls := q.form["url"]
	if len(urls) == 0 {
		q.json(http.StatusBadRequest, map[string]string{"Reason": "url is required"})
		return
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	d := s.domainLocked(q, q.params["domain_name"])
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	if d.Webhooks == nil {
		d.Webhooks = map[string][]string{}
	}
	d.Webhooks[ev] = slices.Clone(urls)
	q.json(http.StatusOK, map[string]any{"message": "Webhook has been updated", "webhook": map[string]any{"urls": urls}})
}

func deleteEventWebhook(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	d := s.domainLocked(q, q.params["domain_name"])
	if d == nil || len(d.Webhooks[q.params["webhook_name"]]) == 0 {
		writeRaw(q.w, http.StatusNotFound, msgBody("Webhook not found"))
		return
	}
	urls := d.Webhooks[q.params["webhook_name"]]
	delete(d.Webhooks, q.params["webhook_name"])
	q.json(http.StatusOK, map[string]any{"message": "Webhook has been deleted", "webhook": map[string]any{"urls": urls}})
}

// sendMessage checks the request and refuses it (the fake sends nothing):
// a message needs from, to and text or html.
func sendMessage(s *Server, q *req) {
	s.Mu.Lock()
	d := s.domainLocked(q, q.params["domain_name"])
	s.Mu.Unlock()
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	if q.form.Get("from") == "" {
		q.fail(http.StatusBadRequest, "from parameter is missing")
		return
	}
	q.fail(http.StatusBadRequest, "the fake sends no mail")
}

// ---- routes ----

func routeJSON(r Route) map[string]any {
	return map[string]any{"id": r.ID, "priority": r.Priority, "description": r.Description, "expression": r.Expression, "actions": r.Actions, "created_at": rfc1123(r.Created)}
}

func listRoutes(s *Server, q *req) {
	limit, skip, ok := q.limitSkip(100, 1000)
	if !ok {
		return
	}
	s.Mu.Lock()
	items := []map[string]any{}
	for _, r := range page(s, s.St.Routes, skip, limit) {
		items = append(items, routeJSON(r))
	}
	total := len(s.St.Routes) + s.LyingTotal
	s.Mu.Unlock()
	q.json(http.StatusOK, map[string]any{"total_count": total, "items": items})
}

func (s *Server) routeLocked(id string) int {
	return slices.IndexFunc(s.St.Routes, func(r Route) bool { return r.ID == id })
}

func getRoute(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	i := s.routeLocked(q.params["id"])
	if i < 0 {
		writeRaw(q.w, http.StatusNotFound, msgBody("Route not found"))
		return
	}
	q.json(http.StatusOK, map[string]any{"route": routeJSON(s.St.Routes[i])})
}

func updateRoute(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	i := s.routeLocked(q.params["id"])
	if i < 0 {
		writeRaw(q.w, http.StatusNotFound, msgBody("Route not found"))
		return
	}
	r := &s.St.Routes[i]
	if v, ok := q.form["action"]; ok {
		r.Actions = v
	}
	if v, ok := q.form["expression"]; ok {
		r.Expression = strings.Join(v, "")
	}
	if v, ok := q.form["description"]; ok {
		r.Description = strings.Join(v, "")
	}
	q.json(http.StatusOK, map[string]any{"message": "Route has been updated", "route": routeJSON(*r)})
}

func deleteRoute(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	i := s.routeLocked(q.params["id"])
	if i < 0 {
		writeRaw(q.w, http.StatusNotFound, msgBody("Route not found"))
		return
	}
	s.St.Routes = slices.Delete(s.St.Routes, i, i+1)
	q.json(http.StatusOK, map[string]string{"message": "Route has been deleted", "id": q.params["id"]})
}

// ---- subaccounts ----

func subJSON(a Subaccount) map[string]any {
	return map[string]any{"id": a.ID, "name": a.Name, "status": a.Status, "created_at": rfc1123(a.Created), "updated_at": rfc1123(a.Created)}
}

func listSubaccounts(s *Server, q *req) {
	limit, skip, ok := q.limitSkip(10, 1000)
	if !ok {
		return
	}
	s.Mu.Lock()
	items := []map[string]any{}
	for _, a := range page(s, s.St.Subaccounts, skip, limit) {
		items = append(items, subJSON(a))
	}
	total := len(s.St.Subaccounts) + s.LyingTotal
	s.Mu.Unlock()
	q.json(http.StatusOK, map[string]any{"subaccounts": items, "total": total})
}

func getSubaccount(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	i := slices.IndexFunc(s.St.Subaccounts, func(a Subaccount) bool { return a.ID == q.params["subaccount_id"] })
	if i < 0 {
		writeRaw(q.w, http.StatusNotFound, msgBody("Not Found"))
		return
	}
	q.json(http.StatusOK, map[string]any{"subaccount": subJSON(s.St.Subaccounts[i])})
}

func setSubStatus(s *Server, q *req, status, already string) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	i := slices.IndexFunc(s.St.Subaccounts, func(a Subaccount) bool { return a.ID == q.params["subaccount_id"] })
	if i < 0 {
		writeRaw(q.w, http.StatusNotFound, msgBody("Not Found"))
		return
	}
	if s.St.Subaccounts[i].Status == status {
		writeRaw(q.w, http.StatusBadRequest, msgBody(already))
		return
	}
	s.St.Subaccounts[i].Status = status
	q.json(http.StatusOK, map[string]any{"subaccount": subJSON(s.St.Subaccounts[i])})
}

func disableSubaccount(s *Server, q *req) {
	setSubStatus(s, q, "disabled", "subaccount is already disabled")
}

func enableSubaccount(s *Server, q *req) { setSubStatus(s, q, "open", "subaccount is already enabled") }

// ---- SMTP credentials and the signing key ----

func listCredentials(s *Server, q *req) {
	limit, skip, ok := q.limitSkip(100, 1000)
	if !ok {
		return
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	d := s.domainLocked(q, q.params["domain_name"])
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	items := []map[string]any{}
	for _, c := range page(s, d.Credentials, skip, limit) {
		items = append(items, map[string]any{"mailbox": c.Login, "login": c.Login, "created_at": c.Created.UTC().Format(time.RFC1123Z), "size_bytes": nil})
	}
	q.json(http.StatusOK, map[string]any{"items": items, "total_count": len(d.Credentials) + s.LyingTotal})
}

func updateCredential(s *Server, q *req) {
	pw := q.form.Get("password")
	if pw != "" && (len(pw) < 5 || len(pw) > 32) {
		q.fail(http.StatusBadRequest, "Password is too short. It must be between 5 and 32 characters.")
		return
	}
	s.Mu.Lock()
	defer s.Mu.Unlock()
	d := s.domainLocked(q, q.params["domain_name"])
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Credentials not found"))
		return
	}
	for i := range d.Credentials {
		if d.Credentials[i].Login == q.params["spec"] {
			if pw == "" {
				pw = randomHex(16)
			}
			d.Credentials[i].Password = pw
			writeRaw(q.w, http.StatusOK, msgBody("Password changed"))
			return
		}
	}
	writeRaw(q.w, http.StatusNotFound, msgBody("Credentials not found"))
}

// Credential returns a domain's SMTP login (false when gone).
func (s *Server) Credential(domain, login string) (Credential, bool) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	for _, d := range s.St.Domains {
		for _, c := range d.Credentials {
			if d.Name == domain && c.Login == login {
				return c, true
			}
		}
	}
	return Credential{}, false
}

func getSigningKey(s *Server, q *req) {
	s.Mu.Lock()
	k := s.St.SigningKey
	s.Mu.Unlock()
	if k == "" {
		q.fail(http.StatusBadRequest, "could not get HSK for account")
		return
	}
	q.json(http.StatusOK, map[string]string{"http_signing_key": k})
}

func rotateSigningKey(s *Server, q *req) {
	s.Mu.Lock()
	s.St.SigningKey = "key" + "-" + randomHex(32)
	k := s.St.SigningKey
	s.Mu.Unlock()
	q.json(http.StatusOK, map[string]string{"message": "regenerated HTTP signing key for account", "http_signing_key": k})
}

// ---- messages: the Logs API and the (deprecated) Events API ----

type genMsg struct {
	i  int
	at time.Time
}

// messages returns the generated messages in [lo, hi], oldest first.
func (m Mail) messages(lo, hi time.Time) []genMsg {
	n := m.Count
	span := m.Until.Sub(m.Since)
	at := func(i int) time.Time {
		return m.Since.Add(time.Duration(int64(span) / int64(max(n, 1)) * int64(i))).Truncate(time.Millisecond)
	}
	first := sort.Search(n, func(i int) bool { return !at(i).Before(lo) })
	last := sort.Search(n, func(i int) bool { return at(i).After(hi) })
	out := make([]genMsg, 0, max(last-first, 0))
	for i := first; i < last; i++ {
		out = append(out, genMsg{i: i, at: at(i)})
	}
	return out
}

func (m Mail) subject(i int) string {
	if len(m.Subjects) == 0 {
		return ""
	}
	return m.Subjects[i%len(m.Subjects)]
}

func (m Mail) headers(g genMsg) map[string]any {
	return map[string]any{"to": fmt.Sprintf("customer%d@example.net", g.i), "message-id": fmt.Sprintf("%d.%d@%s", g.at.Unix(), g.i, m.Domain), "from": m.From, "subject": m.subject(g.i)}
}

const logsPageMax = 100

func listLogs(s *Server, q *req) {
	if s.NoLogs {
		writeRaw(q.w, http.StatusNotFound, msgBody("Not Found"))
		return
	}
	var in struct {
		Start, End string
		Events     []string
		Pagination struct {
			Sort, Token string
			Limit       int
		}
	}
	if err := json.Unmarshal(q.body, &in); err != nil {
		q.fail(http.StatusBadRequest, "invalid JSON body")
		return
	}
	now := time.Now()
	lo, hi := now.Add(-24*time.Hour), now
	for _, x := range []struct {
		v string
		t *time.Time
	}{{in.Start, &lo}, {in.End, &hi}} {
		if x.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC1123Z, x.v)
		if err != nil {
			q.fail(http.StatusBadRequest, "start and end must be RFC 2822 dates")
			return
		}
		*x.t = t
	}
	limit := in.Pagination.Limit
	if limit <= 0 {
		limit = 10
	}
	if limit > logsPageMax {
		q.fail(http.StatusBadRequest, "pagination limit can't be larger than 100")
		return
	}
	off := 0
	if in.Pagination.Token != "" && !s.RepeatPages {
		n, err := strconv.Atoi(untoken(in.Pagination.Token))
		if err != nil || n < 0 {
			q.fail(http.StatusBadRequest, "invalid pagination token")
			return
		}
		off = n
	}
	s.Mu.Lock()
	m := s.St.Mail
	s.Mu.Unlock()
	all := m.messages(lo, hi)
	if len(in.Events) > 0 && !slices.Contains(in.Events, "accepted") {
		all = nil
	}
	pg := all[min(off, len(all)):min(off+limit, len(all))]
	items := []map[string]any{}
	for _, g := range pg {
		h := m.headers(g)
		items = append(items, map[string]any{
			"id": fmt.Sprintf("ev%07d", g.i), "event": "accepted", "@timestamp": g.at.UTC().Format("2006-01-02T15:04:05.000Z"),
			"account": map[string]any{"id": "567"}, "domain": map[string]any{"name": m.Domain},
			"recipient": h["to"], "method": "HTTP", "originating-ip": "203.0.113.9",
			"envelope": map[string]any{"sender": m.From, "transport": "smtp", "targets": h["to"]},
			"message":  map[string]any{"headers": h, "size": 1024},
			"flags":    map[string]any{"is-authenticated": true, "is-system-test": false, "is-routed": false, "is-test-mode": false, "is-delayed-bounce": false, "is-callback": false},
		})
	}
	pag := map[string]any{"total": len(all) + s.LyingTotal}
	if off+limit < len(all) {
		pag["next"] = token(strconv.Itoa(off + limit))
	}
	q.json(http.StatusOK, map[string]any{"start": lo.UTC().Format(time.RFC1123Z), "end": hi.UTC().Format(time.RFC1123Z), "items": items, "pagination": pag})
}

const eventsPageMax = 300

func listEvents(s *Server, q *req) {
	s.Mu.Lock()
	d := s.domainLocked(q, q.params["domain_name"])
	m := s.St.Mail
	s.Mu.Unlock()
	if d == nil {
		writeRaw(q.w, http.StatusNotFound, msgBody("Domain not found"))
		return
	}
	qs := q.r.URL.Query()
	if p := q.params["page"]; p != "" {
		// A page link carries the first query, and the offset, in its token.
		var err error
		if qs, err = url.ParseQuery(untoken(p)); err != nil || qs.Get("o") == "" {
			q.fail(http.StatusBadRequest, "invalid page")
			return
		}
	}
	limit := 100
	if v := qs.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > eventsPageMax {
			q.fail(http.StatusBadRequest, "limit must be between 1 and 300")
			return
		}
		limit = n
	}
	epoch := func(v string, def time.Time) (time.Time, bool) {
		if v == "" {
			return def, true
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(0, int64(f*1e9)), true
	}
	lo, ok1 := epoch(qs.Get("begin"), time.Now().Add(-30*24*time.Hour))
	hi, ok2 := epoch(qs.Get("end"), time.Now())
	if !ok1 || !ok2 {
		q.fail(http.StatusBadRequest, "begin and end must be epoch seconds")
		return
	}
	off, _ := strconv.Atoi(qs.Get("o"))
	if s.RepeatPages {
		off = 0
	}
	all := []genMsg{}
	if d.Name == m.Domain && (qs.Get("event") == "" || qs.Get("event") == "accepted") {
		all = m.messages(lo, hi)
	}
	pg := all[min(off, len(all)):min(off+limit, len(all))]
	items := []map[string]any{}
	for _, g := range pg {
		h := m.headers(g)
		items = append(items, map[string]any{
			"event": "accepted", "id": fmt.Sprintf("ev%07d", g.i), "timestamp": float64(g.at.UnixMilli()) / 1000, "log-level": "info",
			"recipient": h["to"], "message": map[string]any{"headers": h, "attachments": []any{}, "size": 1024}, "tags": []any{}, "user-variables": map[string]any{},
		})
	}
	base := s.URL
	if s.ForeignNext != "" {
		base = s.ForeignNext
	}
	next, prev := url.Values{}, url.Values{}
	for k, v := range qs {
		next[k], prev[k] = v, v
	}
	next.Set("o", strconv.Itoa(off+len(pg)))
	prev.Set("o", strconv.Itoa(max(off-limit, 0)))
	q.json(http.StatusOK, map[string]any{"items": items, "paging": map[string]string{
		"next":     base + "/v3/" + d.Name + "/events/" + token(next.Encode()),
		"previous": base + "/v3/" + d.Name + "/events/" + token(prev.Encode()),
	}})
}
