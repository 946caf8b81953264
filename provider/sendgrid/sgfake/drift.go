package sgfake

import "time"

// Healthy is a small account with nothing suspicious in it, as its owner
// would record a baseline of it. session is the key the tests use.
func Healthy(now time.Time) (st State, session Key) {
	session = NewKey("reclaim session", AllScopes...)
	day := 24 * time.Hour
	st = State{
		Username: "acme", Email: "ops@acme.example", Company: "Acme", Type: "paid", UserID: 1, Password: "correct horse battery",
		Keys: []Key{session, NewKey("newsletter", "mail.send"), NewKey("stats", "stats.read")},
		Teammates: []Teammate{
			{Username: "acme", Email: "ops@acme.example", UserType: "owner", IsAdmin: true},
			{Username: "dana", Email: "dana@acme.example", FirstName: "Dana", UserType: "teammate"},
		},
		Subusers: []Subuser{{ID: 11, Username: "marketing", Email: "mk@acme.example"}},
		Webhooks: []Webhook{{ID: "wh-1", URL: "https://hooks.acme.example/events", Enabled: true, Created: now.Add(-300 * day)}},
		MailSettings: []MailSetting{
			{Name: "forward_bounce", Title: "Forward Bounce"},
			{Name: "forward_spam", Title: "Forward Spam"},
			{Name: "footer", Title: "Footer", Enabled: true, Plain: "Acme, 1 High St"},
		},
		Verified:  []Sender{{ID: 1, Email: "news@acme.example", Verified: true, CreatedAt: now.Add(-400 * day).Unix()}},
		Domains:   []Domain{{ID: 3, Domain: "acme.example", Valid: true}},
		AllowList: []AllowRule{{ID: 1, IP: "192.0.2.10", CreatedAt: now.Add(-100 * day).Unix()}},
		Mail:      Mail{Count: 2500, Since: now.Add(-29 * day), Until: now, From: "news@acme.example", Subjects: []string{"Weekly news", "Your invoice"}},
		NextID:    1000,
	}
	return st, session
}

// DriftChanges are what Drift changes, as a drift check names them
// ("change kind"), in the order Drift makes them.
var DriftChanges = []string{"added key", "changed key", "added teammate", "added webhook", "changed mail_setting", "spike mail"}

// Drift makes the changes an attacker makes in an account it took over,
// one of each: a new key (its name carries terminal escapes), wider
// scopes on an existing key, a new admin teammate, a new event webhook,
// forwarding turned on, and a sending spike of 3,000 messages within one
// day. It returns the new key. Lock s.Mu around it while the fake serves.
func (st *State) Drift(now time.Time) Key {
	k := NewKey("ci-deploy\x1b[31m\u202e", "mail.send", "mail_settings.read")
	st.Keys = append(st.Keys, k)
	for i := range st.Keys {
		if st.Keys[i].Name == "newsletter" {
			st.Keys[i].Scopes = append(append([]string{}, st.Keys[i].Scopes...), "api_keys.create", "teammates.create")
		}
	}
	st.Teammates = append(st.Teammates, Teammate{Username: "helper\x07", Email: "helper@evil.example", FirstName: "Help\u202edesk", UserType: "admin", IsAdmin: true})
	st.Webhooks = append(st.Webhooks, Webhook{ID: "wh-2", URL: "https://collect.evil.example/h?\x1b]0;pwned\x07", Enabled: true, Created: now.Add(-time.Hour)})
	for i := range st.MailSettings {
		if st.MailSettings[i].Name == "forward_spam" {
			st.MailSettings[i].Enabled, st.MailSettings[i].Email = true, "copies@evil.example"
		}
	}
	// The spike falls on one UTC day: today when enough of it has gone by,
	// else yesterday.
	start := now.UTC().Truncate(24 * time.Hour)
	end := now
	if now.Sub(start) < 20*time.Minute {
		start, end = start.Add(-4*time.Hour), start.Add(-time.Hour)
	}
	st.Mail.Extra = append(st.Mail.Extra, Mail{Count: 3000, Since: start, Until: end, From: st.Mail.From, Subjects: st.Mail.Subjects[:1]})
	return k
}
