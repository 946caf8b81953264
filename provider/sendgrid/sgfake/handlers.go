package sgfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"time"
)

var urlUnescape = url.PathUnescape

func init() {
	handle("GET", "/v3/scopes", "", func(s *Server, q *req) {
		q.json(200, map[string]any{"scopes": orEmpty(q.caller.Scopes)})
	})
	handle("GET", "/v3/user/profile", "user.profile.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		q.json(200, map[string]string{"address": "1 Main St", "address2": "", "city": "Springfield", "company": s.St.Company, "country": "US",
			"first_name": "Ada", "last_name": "Owner", "phone": "555", "state": "CA", "website": "https://acme.example", "zip": "90000"})
	})
	handle("GET", "/v3/user/account", "user.account.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		q.json(200, map[string]any{"type": s.St.Type, "reputation": 99.5})
	})
	handle("GET", "/v3/user/email", "user.email.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		q.json(200, map[string]any{"email": s.St.Email})
	})
	handle("GET", "/v3/user/username", "user.username.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		q.json(200, map[string]any{"username": s.St.Username, "user_id": s.St.UserID})
	})
	handle("PUT", "/v3/user/password", "user.password.update", func(s *Server, q *req) {
		var b struct {
			Old *string `json:"old_password"`
			New *string `json:"new_password"`
		}
		if json.Unmarshal(q.body, &b) != nil || b.Old == nil || b.New == nil {
			q.fail(400, "new_password", "old_password and new_password are required")
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		if *b.Old != s.St.Password {
			q.fail(400, "old_password", "old password is incorrect")
			return
		}
		s.St.Password = *b.New
		q.json(200, map[string]any{})
	})

	// API keys: the caller's user (or the subuser named by on-behalf-of).
	handle("GET", "/v3/api_keys", "api_keys.read", func(s *Server, q *req) {
		limit, ok := q.intParam("limit", 0, 0)
		if !ok {
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		keys := *s.keysOf(q.user)
		if limit > 0 {
			keys = page(keys, 0, limit)
		}
		out := []map[string]string{}
		for _, k := range keys {
			out = append(out, map[string]string{"api_key_id": k.ID, "name": k.Name})
		}
		q.json(200, map[string]any{"result": out})
	})
	handle("GET", "/v3/api_keys/{api_key_id}", "api_keys.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		keys := *s.keysOf(q.user)
		i := slices.IndexFunc(keys, func(k Key) bool { return k.ID == q.params["api_key_id"] })
		if i < 0 {
			q.fail(404, nil, "unable to find API Key")
			return
		}
		k := keys[i]
		q.json(200, map[string]any{"result": []map[string]any{{"api_key_id": k.ID, "name": k.Name, "scopes": orEmpty(k.Scopes)}}})
	})
	handle("POST", "/v3/api_keys", "api_keys.create", func(s *Server, q *req) {
		var b struct {
			Name   string    `json:"name"`
			Scopes *[]string `json:"scopes"`
		}
		if err := json.Unmarshal(q.body, &b); err != nil || b.Name == "" {
			q.fail(400, "name", "missing required argument")
			return
		}
		scopes := q.caller.Scopes // omitted scopes: Full Access
		if b.Scopes != nil {
			scopes = *b.Scopes
			for _, sc := range scopes {
				if !slices.Contains(q.caller.Scopes, sc) {
					q.fail(400, "scopes", "cannot grant a scope the calling key lacks: "+sc)
					return
				}
			}
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		keys := s.keysOf(q.user)
		if len(*keys) >= 100 {
			q.fail(403, nil, "cannot create more than 100 API keys")
			return
		}
		k := NewKey(b.Name, scopes...)
		*keys = append(*keys, k)
		q.json(201, map[string]any{"api_key": k.Token, "api_key_id": k.ID, "name": k.Name, "scopes": orEmpty(k.Scopes)})
	})
	handle("DELETE", "/v3/api_keys/{api_key_id}", "api_keys.delete", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		keys := s.keysOf(q.user)
		i := slices.IndexFunc(*keys, func(k Key) bool { return k.ID == q.params["api_key_id"] })
		if i < 0 {
			q.fail(404, nil, "unable to find API Key")
			return
		}
		*keys = slices.Delete(*keys, i, i+1)
		q.w.WriteHeader(204)
	})

	// Teammates: limit (max 500) and offset.
	handle("GET", "/v3/teammates", "teammates.read", func(s *Server, q *req) {
		limit, offset, ok := q.limitOffset(500, 500)
		if !ok {
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		out := []map[string]any{}
		for _, t := range page(s.St.Teammates, offset, limit) {
			out = append(out, map[string]any{"username": t.Username, "email": t.Email, "first_name": t.FirstName, "last_name": t.LastName, "user_type": t.UserType, "is_admin": t.IsAdmin})
		}
		q.json(200, map[string]any{"result": out})
	})
	handle("GET", "/v3/teammates/pending", "teammates.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		out := []map[string]any{}
		for _, t := range s.St.Invites {
			out = append(out, map[string]any{"email": t.Email, "scopes": []string{"mail.send"}, "is_admin": t.IsAdmin, "token": t.Token, "expiration_date": t.Expiration})
		}
		q.json(200, map[string]any{"result": out})
	})
	handle("DELETE", "/v3/teammates/pending/{token}", "teammates.delete", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.Invites, func(t Invite) bool { return t.Token == q.params["token"] })
		if i < 0 {
			q.fail(404, "token", "invite not found")
			return
		}
		s.St.Invites = slices.Delete(s.St.Invites, i, i+1)
		q.w.WriteHeader(204)
	})
	handle("DELETE", "/v3/teammates/{username}", "teammates.delete", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.Teammates, func(t Teammate) bool { return t.Username == q.params["username"] })
		if i < 0 {
			q.fail(404, "username", "teammate not found")
			return
		}
		if s.St.Teammates[i].UserType == "owner" {
			q.fail(400, "username", "the account owner cannot be deleted")
			return
		}
		s.St.Teammates = slices.Delete(s.St.Teammates, i, i+1)
		q.w.WriteHeader(204)
	})

	// Subusers: limit and offset.
	handle("GET", "/v3/subusers", "subusers.read", func(s *Server, q *req) {
		limit, offset, ok := q.limitOffset(100, 0)
		if !ok {
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		out := []map[string]any{}
		for _, su := range page(s.St.Subusers, offset, limit) {
			out = append(out, map[string]any{"disabled": su.Disabled, "id": su.ID, "username": su.Username, "email": su.Email})
		}
		q.json(200, out)
	})
	handle("PATCH", "/v3/subusers/{subuser_name}", "subusers.update", func(s *Server, q *req) {
		var b struct {
			Disabled *bool `json:"disabled"`
		}
		if json.Unmarshal(q.body, &b) != nil || b.Disabled == nil {
			q.fail(400, "disabled", "disabled is required")
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.Subusers, func(x Subuser) bool { return x.Username == q.params["subuser_name"] })
		if i < 0 {
			q.fail(404, nil, "subuser not found")
			return
		}
		s.St.Subusers[i].Disabled = *b.Disabled
		q.w.WriteHeader(204)
	})

	// Webhooks.
	handle("GET", "/v3/user/webhooks/event/settings/all", "user.webhooks.event.settings.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		out := []map[string]any{}
		for _, h := range s.St.Webhooks {
			out = append(out, map[string]any{"enabled": h.Enabled, "url": h.URL, "id": h.ID, "delivered": true, "bounce": true,
				"created_date": h.Created.UTC().Format(time.RFC3339), "updated_date": h.Created.UTC().Format(time.RFC3339), "friendly_name": nil})
		}
		q.json(200, map[string]any{"max_allowed": 5, "webhooks": out})
	})
	handle("DELETE", "/v3/user/webhooks/event/settings/{id}", "user.webhooks.event.settings.delete", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.Webhooks, func(h Webhook) bool { return h.ID == q.params["id"] })
		if i < 0 {
			q.fail(404, nil, "webhook not found")
			return
		}
		s.St.Webhooks = slices.Delete(s.St.Webhooks, i, i+1)
		q.w.WriteHeader(204)
	})
	handle("GET", "/v3/user/webhooks/parse/settings", "user.webhooks.parse.settings.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		out := []map[string]any{}
		for _, p := range s.St.Parse {
			out = append(out, map[string]any{"url": p.URL, "hostname": p.Hostname, "spam_check": false, "send_raw": false})
		}
		q.json(200, map[string]any{"result": out})
	})
	handle("DELETE", "/v3/user/webhooks/parse/settings/{hostname}", "user.webhooks.parse.settings.delete", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		i := slices.IndexFunc(s.St.Parse, func(p Parse) bool { return p.Hostname == q.params["hostname"] })
		if i < 0 {
			q.fail(404, nil, "parse setting not found")
			return
		}
		s.St.Parse = slices.Delete(s.St.Parse, i, i+1)
		q.w.WriteHeader(204)
	})

	// Mail settings: list (limit, offset) and the per-setting endpoints.
	handle("GET", "/v3/mail_settings", "mail_settings.read", func(s *Server, q *req) {
		limit, offset, ok := q.limitOffset(20, 0)
		if !ok {
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		out := []map[string]any{}
		for _, m := range page(s.St.MailSettings, offset, limit) {
			out = append(out, map[string]any{"title": m.Title, "enabled": m.Enabled, "name": m.Name, "description": m.Description})
		}
		q.json(200, map[string]any{"result": out})
	})
	for _, name := range []string{"forward_bounce", "forward_spam", "address_whitelist", "footer", "template"} {
		handle("GET", "/v3/mail_settings/"+name, "mail_settings."+name+".read", func(s *Server, q *req) {
			s.Mu.Lock()
			defer s.Mu.Unlock()
			m, _ := s.setting(name)
			q.json(200, settingJSON(m))
		})
		handle("PATCH", "/v3/mail_settings/"+name, "mail_settings."+name+".update", func(s *Server, q *req) {
			var b struct {
				Enabled *bool `json:"enabled"`
			}
			if json.Unmarshal(q.body, &b) != nil {
				q.fail(400, nil, "invalid JSON")
				return
			}
			s.Mu.Lock()
			defer s.Mu.Unlock()
			m, i := s.setting(name)
			if b.Enabled != nil {
				m.Enabled = *b.Enabled
			}
			if i >= 0 {
				s.St.MailSettings[i] = m
			}
			q.json(200, settingJSON(m))
		})
	}

	// Senders and domains.
	handle("GET", "/v3/verified_senders", "", func(s *Server, q *req) {
		limit, ok := q.intParam("limit", 100, 0)
		if !ok {
			return
		}
		last, ok := q.intParam("lastSeenID", -1, 0)
		if !ok {
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		xs := slices.Clone(s.St.Verified)
		slices.SortFunc(xs, func(a, b Sender) int { return int(a.ID - b.ID) })
		out := []map[string]any{}
		for _, x := range xs {
			if x.ID > int64(last) && len(out) < limit {
				out = append(out, map[string]any{"id": x.ID, "nickname": "n", "from_email": x.Email, "from_name": "n", "reply_to": x.Email, "verified": x.Verified, "locked": false})
			}
		}
		q.json(200, map[string]any{"results": out})
	})
	senders := func(xs []Sender) []map[string]any {
		out := []map[string]any{}
		for _, x := range xs {
			out = append(out, map[string]any{"id": x.ID, "nickname": "n", "from": map[string]string{"email": x.Email, "name": "n"},
				"reply_to": map[string]string{"email": x.Email, "name": "n"}, "address": "1 Main St", "city": "Springfield", "country": "US",
				"verified": x.Verified, "locked": false, "created_at": x.CreatedAt, "updated_at": x.CreatedAt})
		}
		return out
	}
	handle("GET", "/v3/senders", "", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		q.json(200, map[string]any{"result": senders(s.St.Legacy)})
	})
	handle("GET", "/v3/marketing/senders", "", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		q.json(200, map[string]any{"results": senders(s.St.Marketing)})
	})
	handle("GET", "/v3/whitelabel/domains", "whitelabel.read", func(s *Server, q *req) {
		limit, offset, ok := q.limitOffset(50, 0)
		if !ok {
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		out := []map[string]any{}
		for _, d := range page(s.St.Domains, offset, limit) {
			out = append(out, map[string]any{"id": d.ID, "user_id": s.St.UserID, "subdomain": "em", "domain": d.Domain, "username": s.St.Username,
				"ips": []string{}, "custom_spf": false, "default": true, "legacy": false, "automatic_security": true, "valid": d.Valid})
		}
		q.json(200, out)
	})

	// IP access management.
	handle("GET", "/v3/access_settings/whitelist", "access_settings.whitelist.read", func(s *Server, q *req) {
		s.Mu.Lock()
		defer s.Mu.Unlock()
		q.json(200, map[string]any{"result": rules(s.St.AllowList)})
	})
	handle("POST", "/v3/access_settings/whitelist", "access_settings.whitelist.create", func(s *Server, q *req) {
		var b struct {
			IPs []struct {
				IP string `json:"ip"`
			} `json:"ips"`
		}
		if json.Unmarshal(q.body, &b) != nil || len(b.IPs) == 0 {
			q.fail(400, "ips", "ips is required")
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		var added []AllowRule
		for _, x := range b.IPs {
			s.St.NextID++
			r := AllowRule{ID: s.St.NextID, IP: x.IP, CreatedAt: s.now().Unix()}
			s.St.AllowList = append(s.St.AllowList, r)
			added = append(added, r)
		}
		q.json(201, map[string]any{"result": rules(added)})
	})
	handle("GET", "/v3/access_settings/activity", "access_settings.activity.read", func(s *Server, q *req) {
		limit, ok := q.intParam("limit", 20, 0)
		if !ok {
			return
		}
		s.Mu.Lock()
		defer s.Mu.Unlock()
		out := []map[string]any{}
		for _, a := range page(s.St.Activity, 0, limit) {
			out = append(out, map[string]any{"allowed": a.Allowed, "auth_method": a.AuthMethod, "first_at": a.FirstAt, "last_at": a.LastAt, "ip": a.IP, "location": a.Location})
		}
		q.json(200, map[string]any{"result": out})
	})

	// Mail history.
	handle("POST", "/v3/logs", "messages.read", func(s *Server, q *req) {
		s.Mu.Lock()
		st, m := s.St.LogsStatus, s.St.Mail
		s.Mu.Unlock()
		if st != 0 {
			q.fail(st, nil, "Email Logs is not available for this account")
			return
		}
		var b struct {
			Query string `json:"query"`
			Limit *int   `json:"limit"`
		}
		if json.Unmarshal(q.body, &b) != nil {
			q.fail(400, nil, "invalid JSON")
			return
		}
		limit := 10
		if b.Limit != nil {
			limit = *b.Limit
		}
		if limit < 1 || limit > 1000 {
			q.fail(400, "limit", "limit must be between 1 and 1000")
			return
		}
		msgs, err := m.messagesIn(b.Query, limit)
		if err != nil {
			q.fail(400, "query", err.Error())
			return
		}
		out := make([]map[string]any, 0, len(msgs))
		for _, g := range msgs {
			out = append(out, map[string]any{"from_email": g.from, "sg_message_id": "msg-" + g.id(), "subject": g.subject,
				"to_email": fmt.Sprintf("r%d@example.net", g.i%997), "status": "delivered", "sg_message_id_created_at": g.at.UTC().Format(time.RFC3339)})
		}
		q.json(200, map[string]any{"messages": out})
	})
	handle("GET", "/v3/messages", "messages.read", func(s *Server, q *req) {
		s.Mu.Lock()
		st, m := s.St.ActivityStatus, s.St.Mail
		s.Mu.Unlock()
		if st != 0 {
			q.fail(st, nil, "Email Activity history requires the add-on")
			return
		}
		limit, ok := q.intParam("limit", 10, 1000)
		if !ok {
			return
		}
		msgs, err := m.messagesIn(q.r.URL.Query().Get("query"), max(limit, 1))
		if err != nil {
			q.fail(400, "query", err.Error())
			return
		}
		out := make([]map[string]any, 0, len(msgs))
		for _, g := range msgs {
			out = append(out, map[string]any{"from_email": g.from, "msg_id": "act-" + g.id(), "subject": g.subject,
				"to_email": fmt.Sprintf("r%d@example.net", g.i%997), "status": "delivered", "opens_count": 0, "clicks_count": 0, "last_event_time": g.at.UTC().Format(time.RFC3339)})
		}
		q.json(200, map[string]any{"messages": out})
	})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// keysOf returns the key list of the parent ("") or a subuser. Mu held.
func (s *Server) keysOf(user string) *[]Key {
	if user == "" {
		return &s.St.Keys
	}
	for i := range s.St.Subusers {
		if s.St.Subusers[i].Username == user {
			return &s.St.Subusers[i].Keys
		}
	}
	var none []Key
	return &none
}

func (s *Server) setting(name string) (MailSetting, int) {
	i := slices.IndexFunc(s.St.MailSettings, func(m MailSetting) bool { return m.Name == name })
	if i < 0 {
		return MailSetting{Name: name}, -1
	}
	return s.St.MailSettings[i], i
}

func settingJSON(m MailSetting) map[string]any {
	switch m.Name {
	case "forward_bounce", "forward_spam":
		return map[string]any{"enabled": m.Enabled, "email": m.Email}
	case "address_whitelist":
		return map[string]any{"enabled": m.Enabled, "list": orEmpty(m.List)}
	case "footer":
		return map[string]any{"enabled": m.Enabled, "html_content": m.HTML, "plain_content": m.Plain}
	default:
		return map[string]any{"enabled": m.Enabled, "html_content": m.HTML}
	}
}

func rules(rs []AllowRule) []map[string]any {
	out := []map[string]any{}
	for _, r := range rs {
		out = append(out, map[string]any{"id": r.ID, "ip": r.IP, "created_at": r.CreatedAt, "updated_at": r.CreatedAt})
	}
	return out
}
