package twiliofake

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Permissions the fake asks of a restricted key (the names follow Twilio's
// /twilio/<product>/<resource>/<action> pattern; these two are the fake's).
const (
	PermNumbersList = "/twilio/phone-numbers/incoming-phone-numbers/list"
	PermEventsList  = "/twilio/monitor/events/list"
)

func init() {
	handle("GET", "/2010-04-01/Accounts.json", classMain, "", listAccounts)
	handle("GET", "/2010-04-01/Accounts/{Sid}.json", classMain, "", fetchAccount)
	handle("POST", "/2010-04-01/Accounts/{Sid}.json", classMain, "", updateAccount)
	handle("GET", "/2010-04-01/Accounts/{AccountSid}/Keys.json", classMain, "", listKeys2010)
	handle("POST", "/2010-04-01/Accounts/{AccountSid}/Keys.json", classMain, "", createKey2010)
	handle("GET", "/2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json", classMain, "", fetchKey2010)
	handle("DELETE", "/2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json", classMain, "", deleteKey2010)
	handle("GET", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json", classAny, PermNumbersList, listNumbers)
	handle("POST", "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json", classAny, "/twilio/phone-numbers/incoming-phone-numbers/update", updateNumber)
	handle("GET", "/v1/Keys", classMain, "", listKeysV1)
	handle("POST", "/v1/Keys", classMain, "", createKeyV1)
	handle("GET", "/v1/Keys/{Sid}", classMain, "", fetchKeyV1)
	handle("DELETE", "/v1/Keys/{Sid}", classMain, "", deleteKeyV1)
	handle("POST", "/v1/AuthTokens/Secondary", classMain, "", createSecondary)
	handle("DELETE", "/v1/AuthTokens/Secondary", classMain, "", deleteSecondary)
	handle("POST", "/v1/AuthTokens/Promote", classMain, "", promote)
	handle("GET", "/v1/Events", classAny, PermEventsList, listEvents)
}

// rfc2822 is the 2010 API's date format.
func rfc2822(t time.Time) string { return t.UTC().Format("Mon, 02 Jan 2006 15:04:05 -0700") }

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ---- accounts ----

func (s *Server) accountJSON(a Account) map[string]any {
	base := "/2010-04-01/Accounts/" + a.SID
	return map[string]any{
		"auth_token": a.Token, "date_created": rfc2822(a.Created), "date_updated": rfc2822(a.Created),
		"friendly_name": a.Name, "owner_account_sid": s.St.Account.SID, "sid": a.SID, "status": a.Status,
		"type": a.Type, "uri": base + ".json",
		"subresource_uris": map[string]string{"keys": base + "/Keys.json", "incoming_phone_numbers": base + "/IncomingPhoneNumbers.json"},
	}
}

func listAccounts(s *Server, q *req) {
	s.Mu.Lock()
	var all []map[string]any
	cands := []Account{s.St.Account}
	if q.who.account == s.St.Account.SID {
		cands = append(cands, s.St.Subaccounts...)
	} else if a := s.St.account(q.who.account); a != nil {
		cands = []Account{*a}
	}
	name, status := q.r.URL.Query().Get("FriendlyName"), q.r.URL.Query().Get("Status")
	if status != "" && !slices.Contains([]string{"active", "suspended", "closed"}, status) {
		s.Mu.Unlock()
		q.fail(400, 20001, "Status must be active, suspended or closed")
		return
	}
	for _, a := range cands {
		if (name == "" || a.Name == name) && (status == "" || a.Status == status) {
			all = append(all, s.accountJSON(a))
		}
	}
	s.Mu.Unlock()
	list2010(q, "accounts", all)
}

func fetchAccount(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	sid := q.params["Sid"]
	a := s.St.account(sid)
	if a == nil || !s.mayAct(q.who, sid) {
		q.fail(404, 20404, "The requested resource /2010-04-01/Accounts/"+sid+".json was not found")
		return
	}
	q.json(200, s.accountJSON(*a))
}

func updateAccount(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	sid := q.params["Sid"]
	a := s.St.account(sid)
	if a == nil || !s.mayAct(q.who, sid) {
		q.fail(404, 20404, "The requested resource /2010-04-01/Accounts/"+sid+".json was not found")
		return
	}
	if st := q.form.Get("Status"); st != "" {
		switch {
		case !slices.Contains([]string{"active", "suspended", "closed"}, st):
			q.fail(400, 20001, "Status must be active, suspended or closed")
			return
		case sid == s.St.Account.SID:
			q.fail(403, 20005, "An account cannot change its own status")
			return
		case a.Status == "closed" && st != "closed":
			q.fail(400, 20001, "A closed account cannot be reopened")
			return
		}
		a.Status = st
	}
	if n, ok := q.form["FriendlyName"]; ok {
		a.Name = n[0]
	}
	q.json(200, s.accountJSON(*a))
}

// ---- keys ----

func key2010(k Key) map[string]any {
	return map[string]any{"sid": k.SID, "friendly_name": k.Name, "date_created": rfc2822(k.Created), "date_updated": rfc2822(k.Created)}
}

func (s *Server) keysOf(account string) []Key {
	var out []Key
	for _, k := range s.St.Keys {
		if s.St.owner(k.Owner) == account {
			out = append(out, k)
		}
	}
	return out
}

func listKeys2010(s *Server, q *req) {
	s.Mu.Lock()
	sid := q.params["AccountSid"]
	if s.St.account(sid) == nil || !s.mayAct(q.who, sid) {
		s.Mu.Unlock()
		q.fail(404, 20404, "account not found")
		return
	}
	var all []map[string]any
	for _, k := range s.keysOf(sid) {
		all = append(all, key2010(k))
	}
	s.Mu.Unlock()
	list2010(q, "keys", all)
}

func createKey2010(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	sid := q.params["AccountSid"]
	if s.St.account(sid) == nil || !s.mayAct(q.who, sid) {
		q.fail(404, 20404, "account not found")
		return
	}
	name := q.form.Get("FriendlyName")
	if utf8.RuneCountInString(name) > 64 {
		q.fail(400, 20001, "FriendlyName is longer than 64 characters")
		return
	}
	k := NewKey(name, KeyStandard, time.Now())
	if sid != s.St.Account.SID {
		k.Owner = sid
	}
	s.St.Keys = append(s.St.Keys, k)
	m := key2010(k)
	m["secret"] = k.Secret
	q.json(201, m)
}

func (s *Server) deleteKey(q *req, account, sid string) {
	i := slices.IndexFunc(s.St.Keys, func(k Key) bool { return k.SID == sid })
	if i < 0 || !s.mayAct(q.who, s.St.owner(s.St.Keys[i].Owner)) || (account != "" && s.St.owner(s.St.Keys[i].Owner) != account) {
		q.fail(404, 20404, "The requested resource was not found")
		return
	}
	s.St.Keys = slices.Delete(s.St.Keys, i, i+1)
	writeRaw(q.w, http.StatusNoContent, nil)
}

func fetchKey2010(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	sid := q.params["AccountSid"]
	i := slices.IndexFunc(s.St.Keys, func(k Key) bool { return k.SID == q.params["Sid"] && s.St.owner(k.Owner) == sid })
	if i < 0 || !s.mayAct(q.who, sid) {
		q.fail(404, 20404, "The requested resource was not found")
		return
	}
	q.json(200, key2010(s.St.Keys[i]))
}

func deleteKey2010(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.deleteKey(q, q.params["AccountSid"], q.params["Sid"])
}

func deleteKeyV1(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	s.deleteKey(q, "", q.params["Sid"])
}

func (s *Server) keyV1(k Key) map[string]any {
	flags := []string{"rest_api", "signing"}
	if !s.NoTypeFlags {
		flags = append(flags, k.Type)
	}
	return map[string]any{"sid": k.SID, "friendly_name": k.Name, "date_created": rfc2822(k.Created), "date_updated": rfc2822(k.Created), "flags": flags}
}

func policyJSON(k Key) any {
	if k.Type != KeyRestricted {
		return nil
	}
	return map[string]any{"allow": k.Allow}
}

func listKeysV1(s *Server, q *req) {
	s.Mu.Lock()
	sid := q.r.URL.Query().Get("AccountSid")
	if !validSID(sid, "AC") {
		s.Mu.Unlock()
		q.fail(400, 20001, "AccountSid is required and must be an account SID")
		return
	}
	if s.St.account(sid) == nil || !s.mayAct(q.who, sid) {
		s.Mu.Unlock()
		q.fail(404, 20404, "account not found")
		return
	}
	var all []map[string]any
	for _, k := range s.keysOf(sid) {
		all = append(all, s.keyV1(k))
	}
	s.Mu.Unlock()
	listV1(q, "keys", all)
}

func fetchKeyV1(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	i := slices.IndexFunc(s.St.Keys, func(k Key) bool { return k.SID == q.params["Sid"] })
	if i < 0 || !s.mayAct(q.who, s.St.owner(s.St.Keys[i].Owner)) {
		q.fail(404, 20404, "The requested resource was not found")
		return
	}
	k := s.St.Keys[i]
	q.json(200, map[string]any{"sid": k.SID, "friendly_name": k.Name, "date_created": rfc2822(k.Created), "date_updated": rfc2822(k.Created), "policy": policyJSON(k)})
}

func createKeyV1(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	sid := q.form.Get("AccountSid")
	if !validSID(sid, "AC") {
		q.fail(400, 20001, "AccountSid is required and must be an account SID")
		return
	}
	if s.St.account(sid) == nil || !s.mayAct(q.who, sid) {
		q.fail(404, 20404, "account not found")
		return
	}
	name := q.form.Get("FriendlyName")
	if utf8.RuneCountInString(name) > 64 {
		q.fail(400, 20001, "FriendlyName is longer than 64 characters")
		return
	}
	typ := KeyStandard
	var allow []string
	switch kt := q.form.Get("KeyType"); kt {
	case "":
		if q.form.Get("Policy") != "" {
			q.fail(400, 20001, "Policy is only accepted with KeyType=restricted")
			return
		}
	case "restricted":
		typ = KeyRestricted
		var p struct {
			Allow []string `json:"allow"`
		}
		if err := json.Unmarshal([]byte(q.form.Get("Policy")), &p); err != nil || len(p.Allow) == 0 {
			q.fail(400, 70001, "A restricted key needs a Policy with at least one allowed permission")
			return
		}
		if len(p.Allow) > 100 {
			q.fail(400, 70003, "A restricted key has at most 100 permissions")
			return
		}
		for _, a := range p.Allow {
			if !strings.HasPrefix(a, "/twilio/") || strings.ContainsAny(a, " ,") {
				q.fail(400, 70002, "assertion '"+a+"' is invalid")
				return
			}
		}
		allow = p.Allow
	default:
		q.fail(400, 20001, "KeyType must be restricted")
		return
	}
	k := NewKey(name, typ, time.Now(), allow...)
	if sid != s.St.Account.SID {
		k.Owner = sid
	}
	s.St.Keys = append(s.St.Keys, k)
	q.json(201, map[string]any{"sid": k.SID, "friendly_name": k.Name, "date_created": rfc2822(k.Created), "date_updated": rfc2822(k.Created), "secret": k.Secret, "policy": policyJSON(k)})
}

func validSID(s, prefix string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for _, c := range s[2:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// ---- auth tokens ----

func createSecondary(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	if q.who.account != s.St.Account.SID {
		q.fail(400, 20001, "this fake keeps secondary tokens for the main account only")
		return
	}
	s.St.Secondary, s.St.SecondaryCreated = Token(), time.Now()
	q.json(201, map[string]any{"account_sid": s.St.Account.SID, "date_created": iso(s.St.SecondaryCreated), "date_updated": iso(s.St.SecondaryCreated), "secondary_auth_token": s.St.Secondary, "url": "https://accounts.twilio.com/v1/AuthTokens/Secondary"})
}

func deleteSecondary(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	if s.St.Secondary == "" || q.who.account != s.St.Account.SID {
		q.fail(404, 20404, "There is no secondary auth token")
		return
	}
	s.St.Secondary = ""
	writeRaw(q.w, http.StatusNoContent, nil)
}

func promote(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	if s.St.Secondary == "" || q.who.account != s.St.Account.SID {
		q.fail(404, 20404, "There is no secondary auth token to promote")
		return
	}
	s.St.Account.Token, s.St.Secondary = s.St.Secondary, ""
	now := time.Now()
	q.json(200, map[string]any{"account_sid": s.St.Account.SID, "auth_token": s.St.Account.Token, "date_created": iso(s.St.SecondaryCreated), "date_updated": iso(now), "url": "https://accounts.twilio.com/v1/AuthTokens"})
}

// ---- phone numbers ----

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func numberJSON(n Number, account string) map[string]any {
	return map[string]any{
		"account_sid": account, "address_sid": nil, "address_requirements": "none", "api_version": "2010-04-01", "beta": false,
		"capabilities": map[string]bool{"voice": true, "sms": true, "mms": true, "fax": false},
		"date_created": rfc2822(n.Created), "date_updated": rfc2822(n.Created), "friendly_name": n.Name, "identity_sid": nil,
		"phone_number": n.Phone, "origin": "twilio", "sid": n.SID, "sms_application_sid": nullable(n.SmsApplicationSID),
		"sms_fallback_method": "POST", "sms_fallback_url": nullable(n.SmsFallbackURL), "sms_method": "POST", "sms_url": nullable(n.SmsURL),
		"status_callback": nullable(n.StatusCallback), "status_callback_method": "POST", "trunk_sid": nil,
		"uri": "/2010-04-01/Accounts/" + account + "/IncomingPhoneNumbers/" + n.SID + ".json", "voice_receive_mode": "voice",
		"voice_application_sid": nil, "voice_caller_id_lookup": false, "voice_fallback_method": "POST", "voice_fallback_url": nullable(n.VoiceFallbackURL),
		"voice_method": "POST", "voice_url": nullable(n.VoiceURL), "emergency_status": "Inactive", "emergency_address_sid": nil,
		"emergency_address_status": "unregistered", "bundle_sid": nil, "status": "in-use", "type": "local",
	}
}

func listNumbers(s *Server, q *req) {
	s.Mu.Lock()
	sid := q.params["AccountSid"]
	if s.St.account(sid) == nil || !s.mayAct(q.who, sid) {
		s.Mu.Unlock()
		q.fail(404, 20404, "account not found")
		return
	}
	var all []map[string]any
	for _, n := range s.St.Numbers {
		if s.St.owner(n.Owner) == sid {
			all = append(all, numberJSON(n, sid))
		}
	}
	s.Mu.Unlock()
	list2010(q, "incoming_phone_numbers", all)
}

func updateNumber(s *Server, q *req) {
	s.Mu.Lock()
	defer s.Mu.Unlock()
	sid := q.params["AccountSid"]
	i := slices.IndexFunc(s.St.Numbers, func(n Number) bool { return n.SID == q.params["Sid"] && s.St.owner(n.Owner) == sid })
	if i < 0 || !s.mayAct(q.who, sid) {
		q.fail(404, 20404, "phone number not found")
		return
	}
	n := &s.St.Numbers[i]
	for field, p := range map[string]*string{"SmsUrl": &n.SmsURL, "SmsFallbackUrl": &n.SmsFallbackURL, "VoiceUrl": &n.VoiceURL, "VoiceFallbackUrl": &n.VoiceFallbackURL, "StatusCallback": &n.StatusCallback, "FriendlyName": &n.Name} {
		if v, ok := q.form[field]; ok {
			*p = v[0]
		}
	}
	q.json(200, numberJSON(*n, sid))
}

// ---- monitor events ----

func eventJSON(e Event, account string) map[string]any {
	return map[string]any{
		"account_sid": account, "actor_sid": nullable(e.ActorSID), "actor_type": nullable(e.ActorType), "description": nullable(e.Description),
		"event_data": map[string]any{}, "event_date": iso(e.Date), "event_type": e.Type, "resource_sid": nullable(e.ResourceSID),
		"resource_type": nullable(e.ResourceType), "sid": e.SID, "source": e.Source, "source_ip_address": nullable(e.IP),
		"url": "https://monitor.twilio.com/v1/Events/" + e.SID, "links": map[string]string{},
	}
}

func listEvents(s *Server, q *req) {
	v := q.r.URL.Query()
	var start, end time.Time
	for _, x := range []struct {
		name string
		t    *time.Time
	}{{"StartDate", &start}, {"EndDate", &end}} {
		if raw := v.Get(x.name); raw != "" {
			t, err := time.Parse(time.RFC3339, raw)
			if err != nil {
				q.fail(400, 20001, x.name+" must be an ISO 8601 date-time")
				return
			}
			*x.t = t
		}
	}
	s.Mu.Lock()
	evs := slices.Clone(s.St.Events)
	account := s.St.Account.SID
	mine := q.who.account == account
	s.Mu.Unlock()
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Date.After(evs[j].Date) })
	var all []map[string]any
	for _, e := range evs {
		switch {
		case !mine,
			!start.IsZero() && e.Date.Before(start),
			!end.IsZero() && e.Date.After(end),
			v.Get("ActorSid") != "" && e.ActorSID != v.Get("ActorSid"),
			v.Get("EventType") != "" && e.Type != v.Get("EventType"),
			v.Get("ResourceSid") != "" && e.ResourceSID != v.Get("ResourceSid"),
			v.Get("SourceIpAddress") != "" && e.IP != v.Get("SourceIpAddress"):
			continue
		}
		all = append(all, eventJSON(e, account))
	}
	listV1(q, "events", all)
}
