// Package mgfake is a fake Mailgun API for tests: an httptest server that
// follows Mailgun's own OpenAPI document (../shared/specs/mailgun/openapi.yaml):
// its paths, HTTP Basic auth as "api:<key>" (401 {"message":"Invalid private
// key"} otherwise), each endpoint's pagination (limit/skip with total_count
// or total, the Logs API's pagination tokens, the Events API's absolute
// paging.next links), the {"message":"…"} error body, the IP allow list
// (enforced: a request from an address the list does not hold is refused
// once the list has entries), subaccounts reached with
// X-Mailgun-On-Behalf-Of, and injectable faults: 429 with Retry-After, 5xx,
// slow and trickling answers, huge bodies, malformed JSON, repeating pages,
// lying totals, next-page links to another host, hostile strings.
//
// Key secrets are generated at run time; no key-shaped literal lives here.
package mgfake

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Key is an API key. Secret is the whole key as a client sends it.
type Key struct {
	ID          string
	Description string
	Kind        string // user, domain, web
	Role        string // admin, basic, sending, developer
	Domain      string // for domain keys
	Requestor   string
	UserName    string
	Subaccount  string // the subaccount that owns it ("" the account)
	Disabled    bool
	Created     time.Time
	Secret      string
}

// User is a user of the account (GET /v5/users).
type User struct {
	ID, Name, Email, Role string
	IsMaster              bool
	TFAEnabled, TFAActive bool
	OpenedIP              string
}

// Allow is an IP allow-list entry.
type Allow struct{ IP, Description string }

// Credential is a domain's SMTP login.
type Credential struct {
	Login    string
	Created  time.Time
	Password string
}

// Domain is a sending domain with its webhooks (event -> URLs) and SMTP
// credentials. Subaccount is the id of the subaccount that owns it ("" for
// the account itself).
type Domain struct {
	ID, Name    string
	State       string // active, unverified, disabled
	Type        string // custom, sandbox
	Created     time.Time
	Subaccount  string
	ArchiveTo   string
	Webhooks    map[string][]string
	Credentials []Credential
}

// Route is an inbound route.
type Route struct {
	ID, Description, Expression string
	Priority                    int
	Actions                     []string
	Created                     time.Time
}

// Subaccount is a subaccount (status open, disabled or closed).
type Subaccount struct {
	ID, Name, Status string
	Created          time.Time
}

// Mail generates the account's sent messages: Count messages spread evenly
// from Since to Until, subject Subjects[i%len], from From on Domain.
type Mail struct {
	Count        int
	Since, Until time.Time
	Subjects     []string
	From         string
	Domain       string
}

// State is the account.
type State struct {
	Keys        []Key
	Users       []User
	AllowList   []Allow
	Domains     []Domain
	Routes      []Route
	Subaccounts []Subaccount
	Mail        Mail
	SigningKey  string
	// MaxKeys refuses key creation beyond this many keys (403 "could not
	// create key, account limit reached"); 0: no limit.
	MaxKeys int
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)[:n]
}

// NewKey makes a user key with a secret in the newer format, 32 hex "-" 8
// hex "-" 8 hex. The fake makes the last two parts the key's id, as the
// reference's unverified guess has it (providers.md §8), so tests can tell
// which key a secret is; the adapter trusts that only when the account's
// key list confirms it.
func NewKey(description, role string) Key {
	id := randomHex(8) + "-" + randomHex(8)
	return Key{ID: id, Description: description, Kind: "user", Role: role, Secret: randomHex(32) + "-" + id}
}

// NewLegacyKey makes a key in the legacy "key-" + 32 hex format, whose
// secret names no id.
func NewLegacyKey(description, role string) Key {
	return Key{ID: randomHex(8) + "-" + randomHex(8), Description: description, Kind: "user", Role: role, Secret: "key" + "-" + randomHex(32)}
}

// Hostile strings: terminal escapes, bidi overrides, control characters.
const (
	EscName     = "deploy\x1b[2J\x1b[31m-prod\u202egpj.exe"
	EscUser     = "mallory\x07\x1b]0;pwned\x07"
	EscSubject  = "Invoice\x1b[8m hidden\u2066 overdue\r\nBcc: x"
	EscSubName  = "spam\x00bot\u200b"
	EscRouteURL = "https://collector.evil.example/hook?\x1b[1mx"
)

// Default is a small compromised account: the owner's old verified domain
// acme.example with a legitimate webhook and SMTP login, and an attacker's
// key (a disguised name, admin) and another in a fresh subaccount, a user without 2FA, a route forwarding
// mail to an outside address and one to an outside URL, an event webhook
// to an outside host, a fresh domain and subaccount, and phishing mail.
// Names carry terminal escapes, control characters and bidi overrides.
// session is the key the tests use (admin).
func Default(now time.Time) (st State, session Key) {
	session = NewKey("reclaim session", "admin")
	session.Created = now.AddDate(-1, 0, 0)
	session.Requestor, session.UserName = "owner@acme.example", "Olivia Owner"
	primary := NewLegacyKey("primary key", "admin")
	primary.Created = now.AddDate(-3, 0, 0)
	app := NewKey("app sending key", "sending")
	app.Kind, app.Domain, app.Created = "domain", "acme.example", now.AddDate(0, -8, 0)
	attacker := NewKey(EscName, "admin")
	attacker.Created = now.Add(-36 * time.Hour)
	attacker.Requestor, attacker.UserName = "m4llory@evil.example", "Mallory"
	subKey := NewKey("relay", "admin")
	subKey.Created, subKey.Subaccount = now.Add(-25*time.Hour), "sa1"
	st = State{
		Keys: []Key{session, primary, app, attacker, subKey},
		Users: []User{
			{ID: "u1", Name: "Olivia Owner", Email: "owner@acme.example", Role: "admin", IsMaster: true, TFAEnabled: true, TFAActive: true, OpenedIP: "198.51.100.7"},
			{ID: "u2", Name: "Dev Eloper", Email: "dev@acme.example", Role: "developer", TFAEnabled: false, TFAActive: false},
			{ID: "u3", Name: EscUser, Email: "m4llory@evil.example", Role: "admin", TFAEnabled: false},
		},
		Domains: []Domain{
			{ID: "d1", Name: "acme.example", State: "active", Type: "custom", Created: now.AddDate(-2, 0, 0),
				Webhooks: map[string][]string{
					"delivered": {"https://hooks.acme.example/mailgun"},
					"opened":    {"https://hooks.acme.example/mailgun", "https://collector.evil.example/track"},
				},
				Credentials: []Credential{
					{Login: "postmaster@acme.example", Created: now.AddDate(-2, 0, 0), Password: randomHex(20)},
					{Login: "bulk@acme.example", Created: now.Add(-40 * time.Hour), Password: randomHex(20)},
				}},
			{ID: "d2", Name: "acme-billing.example", State: "active", Type: "custom", Created: now.Add(-30 * time.Hour),
				ArchiveTo: "https://archive.evil.example/store"},
			{ID: "d3", Name: "sub.promo.example", State: "unverified", Type: "custom", Created: now.Add(-20 * time.Hour), Subaccount: "sa1",
				Webhooks: map[string][]string{"accepted": {EscRouteURL}}},
		},
		Routes: []Route{
			{ID: "r1", Priority: 0, Description: "support inbox", Expression: `match_recipient("support@acme.example")`,
				Actions: []string{`forward("helpdesk@acme.example")`, `stop()`}, Created: now.AddDate(-1, 0, 0)},
			{ID: "r2", Priority: 0, Description: "\u202ebackup", Expression: `catch_all()`,
				Actions: []string{`forward("m4llory@evil.example")`, `forward("https://inbound.evil.example/mime")`}, Created: now.Add(-30 * time.Hour)},
		},
		Subaccounts: []Subaccount{
			{ID: "sa1", Name: EscSubName, Status: "open", Created: now.Add(-26 * time.Hour)},
			{ID: "sa2", Name: "EU team", Status: "open", Created: now.AddDate(-1, 0, 0)},
		},
		Mail: Mail{Count: 1200, Since: now.Add(-29 * 24 * time.Hour), Until: now.Add(-time.Hour),
			Subjects: []string{"Your order has shipped", "Verify your account now", EscSubject}, From: "noreply@acme.example", Domain: "acme.example"},
		SigningKey: "key" + "-" + randomHex(32),
	}
	return st, session
}

// Clean is an account with nothing suspicious: the owner's domain, keys
// and users with 2FA; session is the key the tests use.
func Clean(now time.Time, messages int) (st State, session Key) {
	session = NewKey("reclaim session", "admin")
	session.Created = now.AddDate(-1, 0, 0)
	st = State{
		Keys:    []Key{session},
		Users:   []User{{ID: "u1", Name: "Olivia Owner", Email: "owner@acme.example", Role: "admin", IsMaster: true, TFAEnabled: true, TFAActive: true}},
		Domains: []Domain{{ID: "d1", Name: "acme.example", State: "active", Type: "custom", Created: now.AddDate(-2, 0, 0), Credentials: []Credential{{Login: "postmaster@acme.example", Created: now.AddDate(-2, 0, 0), Password: randomHex(20)}}}},
		Mail:    Mail{Count: messages, Since: now.Add(-20 * 24 * time.Hour), Until: now.Add(-time.Hour), Subjects: []string{"Your order has shipped"}, From: "noreply@acme.example", Domain: "acme.example"},
	}
	return st, session
}

// Big is a large account: n of each list (users, domains, routes,
// subaccounts) and the given number of messages.
func Big(now time.Time, n, messages int) (st State, session Key) {
	st, session = Clean(now, messages)
	for i := range n {
		st.Users = append(st.Users, User{ID: fmt.Sprintf("u%d", i+2), Name: fmt.Sprintf("user %d", i), Email: fmt.Sprintf("user%d@acme.example", i), Role: "basic", TFAEnabled: true, TFAActive: true})
		st.Domains = append(st.Domains, Domain{ID: fmt.Sprintf("d%d", i+2), Name: fmt.Sprintf("m%d.acme.example", i), State: "active", Type: "custom", Created: now.AddDate(-1, 0, 0)})
		st.Routes = append(st.Routes, Route{ID: fmt.Sprintf("r%d", i), Expression: fmt.Sprintf(`match_recipient("r%d@acme.example")`, i), Actions: []string{fmt.Sprintf(`forward("team%d@acme.example")`, i)}, Created: now.AddDate(-1, 0, 0)})
		st.Subaccounts = append(st.Subaccounts, Subaccount{ID: fmt.Sprintf("sa%d", i), Name: fmt.Sprintf("team %d", i), Status: "open", Created: now.AddDate(-1, 0, 0)})
	}
	return st, session
}

// LongName is a 5,000-character name.
var LongName = strings.Repeat("A\u202e", 2500)
