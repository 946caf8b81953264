// Package sgfake is a fake Twilio SendGrid v3 API for tests: an httptest
// server that follows the official OpenAPI files in ../shared/specs/sendgrid
// (paths, Bearer auth, on-behalf-of, each endpoint's pagination, the
// {"errors":[…]} body, X-RateLimit-* headers) and lets a test inject faults:
// 429 with a reset time, 5xx, slow answers, truncated JSON, huge bodies.
//
// Key secrets are generated at run time; no key-shaped literal lives here.
package sgfake

import (
	"crypto/rand"
	"fmt"
	"time"
)

// Key is an API key. Token is the whole SG.<id>.<secret> string.
type Key struct {
	ID     string
	Name   string
	Scopes []string
	Token  string
}

// Teammate is a teammate (user_type owner, admin or teammate).
type Teammate struct {
	Username, Email, FirstName, LastName string
	UserType                             string
	IsAdmin                              bool
}

// Invite is a pending teammate invite.
type Invite struct {
	Email      string
	Token      string
	IsAdmin    bool
	Expiration int64
}

// Subuser is a subuser with its own keys.
type Subuser struct {
	ID       int64
	Username string
	Email    string
	Disabled bool
	Keys     []Key
}

// Webhook is an event webhook.
type Webhook struct {
	ID      string
	URL     string
	Enabled bool
	Created time.Time
}

// Parse is an inbound-parse setting.
type Parse struct{ Hostname, URL string }

// MailSetting is one mail setting with its detail fields.
type MailSetting struct {
	Name, Title, Description string
	Enabled                  bool
	Email                    string   // forward_bounce, forward_spam
	List                     []string // address_whitelist
	HTML, Plain              string   // footer, template
}

// Sender is a verified, legacy or marketing sender identity.
type Sender struct {
	ID        int64
	Email     string
	Verified  bool
	CreatedAt int64
}

// Domain is an authenticated domain.
type Domain struct {
	ID     int64
	Domain string
	Valid  bool
}

// AllowRule is an IP allow-list entry.
type AllowRule struct {
	ID        int64
	IP        string
	CreatedAt int64
}

// Access is one access-activity row.
type Access struct {
	IP, Location, AuthMethod string
	Allowed                  bool
	FirstAt, LastAt          int64
}

// Mail describes the sent mail, generated on demand (never stored): Count
// messages spread evenly over [Since, Until).
type Mail struct {
	Count        int
	Since, Until time.Time
	From         string
	Subjects     []string
	// Extra are more batches sent besides (a sending spike: a few thousand
	// messages within hours), generated the same way.
	Extra []Mail
}

// State is the fake account.
type State struct {
	Username, Email, Company, Type string
	UserID                         int64
	Password                       string
	Keys                           []Key
	Teammates                      []Teammate
	Invites                        []Invite
	Subusers                       []Subuser
	Webhooks                       []Webhook
	Parse                          []Parse
	MailSettings                   []MailSetting
	Verified, Legacy, Marketing    []Sender
	Domains                        []Domain
	AllowList                      []AllowRule
	Activity                       []Access
	Mail                           Mail
	// LogsStatus / ActivityStatus: 0 when Email Logs (POST /v3/logs) and
	// the Email Activity feed (GET /v3/messages) work, else the status they
	// answer with (e.g. 403 without the add-on).
	LogsStatus, ActivityStatus int
	NextID                     int64
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// NewKey makes a key with a fresh id and secret.
func NewKey(name string, scopes ...string) Key {
	id := randomString(22)
	return Key{ID: id, Name: name, Scopes: scopes, Token: "SG" + "." + id + "." + randomString(43)}
}

// AllScopes is a Full Access key's scope list (a representative subset of
// the 270 names in the spec, enough to look like full access).
var AllScopes = func() []string {
	var s []string
	for _, area := range []string{"api_keys", "access_settings.whitelist", "teammates", "subusers", "user.profile", "user.email",
		"user.username", "user.password", "user.webhooks.event.settings", "user.webhooks.parse.settings", "whitelabel", "marketing",
		"mail_settings", "mail_settings.forward_bounce", "mail_settings.forward_spam", "mail_settings.address_whitelist",
		"mail_settings.footer", "mail_settings.template", "templates", "suppression", "stats", "alerts", "categories"} {
		for _, verb := range []string{"create", "read", "update", "delete"} {
			s = append(s, area+"."+verb)
		}
	}
	return append(s, "access_settings.activity.read", "user.account.read", "messages.read", "mail.send", "mail.batch.read")
}()

// Default is a small compromised account whose strings carry terminal
// escapes, control characters and bidi overrides, for sanitization tests.
// session is the key the tests use.
func Default(now time.Time) (st State, session Key) {
	session = NewKey("reclaim session", AllScopes...)
	attacker := NewKey("deploy\x1b[2J\x1b[31m-prod\u202egpj.exe", AllScopes...)
	attacker.Scopes = append([]string{}, AllScopes...)
	st = State{
		Username: "acme", Email: "ops@acme.example", Company: "Acme", Type: "paid", UserID: 1, Password: "correct horse battery",
		Keys: []Key{session, NewKey("newsletter", "mail.send"), attacker},
		Teammates: []Teammate{
			{Username: "acme", Email: "ops@acme.example", UserType: "owner", IsAdmin: true},
			{Username: "mallory\x07\x1b]0;pwned\x07", Email: "m@evil.example", FirstName: "Mal\u202elory", UserType: "admin", IsAdmin: true},
		},
		Invites:  []Invite{{Email: "helper@evil.example", Token: "tok-1", IsAdmin: true, Expiration: now.Add(5 * 24 * time.Hour).Unix()}},
		Subusers: []Subuser{{ID: 11, Username: "marketing", Email: "mk@acme.example", Keys: []Key{NewKey("sub key", "mail.send")}}, {ID: 12, Username: "spam\u2066bot", Email: "x@evil.example"}},
		Webhooks: []Webhook{{ID: "wh-1", URL: "https://collector.evil.example/hook?\x1b[1mx\x1b[0m", Enabled: true, Created: now.Add(-2 * 24 * time.Hour)}},
		Parse:    []Parse{{Hostname: "in.acme.example", URL: "https://parse.evil.example/\u202einbound"}},
		MailSettings: []MailSetting{
			{Name: "forward_bounce", Title: "Forward Bounce", Enabled: true, Email: "bounces@evil.example"},
			{Name: "forward_spam", Title: "Forward Spam", Enabled: false},
			{Name: "address_whitelist", Title: "Allow List", Enabled: false, List: []string{"acme.example"}},
			{Name: "footer", Title: "Footer", Enabled: true, Plain: "Visit https://evil.example/\x1b[8m"},
			{Name: "template", Title: "Legacy Template", Enabled: false},
			{Name: "bounce_purge", Title: "Bounce Purge", Enabled: false},
		},
		Verified:  []Sender{{ID: 1, Email: "news@acme.example", Verified: true}, {ID: 2, Email: "ceo@evil.example", Verified: true}},
		Legacy:    []Sender{{ID: 5, Email: "old@acme.example", Verified: true, CreatedAt: now.Add(-400 * 24 * time.Hour).Unix()}},
		Marketing: []Sender{{ID: 7, Email: "promo@acme.example", Verified: true, CreatedAt: now.Add(-300 * 24 * time.Hour).Unix()}},
		Domains:   []Domain{{ID: 3, Domain: "acme.example", Valid: true}},
		AllowList: []AllowRule{{ID: 1, IP: "192.0.2.10", CreatedAt: now.Add(-100 * 24 * time.Hour).Unix()}},
		Activity: []Access{
			{IP: "192.0.2.10", Location: "Home", AuthMethod: "basic", Allowed: true, FirstAt: now.Add(-90 * 24 * time.Hour).Unix(), LastAt: now.Add(-time.Hour).Unix()},
			{IP: "203.0.113.66", Location: "Elsewhere\x1b[5m", AuthMethod: "api_key", Allowed: true, FirstAt: now.Add(-3 * 24 * time.Hour).Unix(), LastAt: now.Add(-2 * time.Hour).Unix()},
		},
		Mail:   Mail{Count: 2500, Since: now.Add(-29 * 24 * time.Hour), Until: now, From: "news@acme.example", Subjects: []string{"Weekly news", "Verify your account\x1b[31m now"}},
		NextID: 1000,
	}
	return st, session
}

// Big is the benchmark account: subusers (the first keysOnSubusers of them
// with one key each), keys in all, teammates and messages over 30 days.
func Big(now time.Time, subusers, keys, teammates, messages int) (st State, session Key) {
	session = NewKey("reclaim session", AllScopes...)
	st = State{Username: "big", Email: "ops@big.example", Company: "Big", Type: "paid", UserID: 1, Password: "pw", NextID: 1_000_000}
	st.Keys = append(st.Keys, session)
	onSubs := min(keys/5, subusers)
	for i := len(st.Keys); i < keys-onSubs; i++ {
		st.Keys = append(st.Keys, NewKey(fmt.Sprintf("key %d", i), "mail.send", "stats.read"))
	}
	for i := range subusers {
		s := Subuser{ID: int64(100 + i), Username: fmt.Sprintf("sub%04d", i), Email: fmt.Sprintf("sub%04d@big.example", i)}
		if i < onSubs {
			s.Keys = []Key{NewKey("sub key", "mail.send")}
		}
		st.Subusers = append(st.Subusers, s)
	}
	for i := range teammates {
		st.Teammates = append(st.Teammates, Teammate{Username: fmt.Sprintf("user%03d", i), Email: fmt.Sprintf("user%03d@big.example", i), UserType: "teammate"})
	}
	st.MailSettings = []MailSetting{{Name: "forward_bounce", Title: "Forward Bounce"}, {Name: "forward_spam", Title: "Forward Spam"},
		{Name: "address_whitelist", Title: "Allow List"}, {Name: "footer", Title: "Footer"}, {Name: "template", Title: "Template"}}
	st.Domains = []Domain{{ID: 1, Domain: "big.example", Valid: true}}
	st.Mail = Mail{Count: messages, Since: now.Add(-29 * 24 * time.Hour), Until: now, From: "news@big.example", Subjects: []string{"Weekly news", "Invoice", "Welcome"}}
	return st, session
}
