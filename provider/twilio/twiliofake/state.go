// Package twiliofake is a fake Twilio REST API for tests, built from the
// official OpenAPI documents in ../shared/specs/twilio/: the 2010-04-01 API
// (accounts and subaccounts, keys, incoming phone numbers), IAM v1 (keys with
// restricted policies), Accounts v1 (secondary auth token, promotion) and
// Monitor v1 (events). Twilio serves these from different hosts; the fake
// serves them all on one loopback server (their paths do not collide), which
// is what RECLAIM_TWILIO_BASE_URL does for the adapter.
//
// It follows the spec's paths, form bodies, field names, date formats (RFC
// 2822 in the 2010 API and on keys, ISO 8601 on events and auth tokens) and
// pagination (2010: next_page_uri, a relative URI; v1: meta.next_page_url,
// an absolute URL), answers 401 with Twilio's error body to a bad credential,
// and can be made to misbehave (Fault): 429 with Retry-After, 500, slow or
// trickling answers, huge bodies, malformed JSON, repeating pages and
// next-page links to another host. Default builds a compromised-looking
// account whose names and URLs carry escape codes, control characters,
// bidi overrides and 5,000-character names.
package twiliofake

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Key types (Twilio's Main, Standard and Restricted API keys).
const (
	KeyMain       = "main"
	KeyStandard   = "standard"
	KeyRestricted = "restricted"
)

// Key is an API key. Secret is the key's secret (its Basic-auth password).
type Key struct {
	SID, Secret, Name string
	Type              string   // KeyMain, KeyStandard, KeyRestricted
	Allow             []string // a restricted key's policy
	Owner             string   // account SID ("" = the main account)
	Created           time.Time
}

// Account is the main account or a subaccount. Token is its primary auth
// token.
type Account struct {
	SID, Name, Status, Type, Token string
	Created                        time.Time
}

// Number is an incoming phone number and its webhook URLs.
type Number struct {
	SID, Phone, Name                  string
	Owner                             string // account SID ("" = the main account)
	SmsURL, SmsFallbackURL            string
	VoiceURL, VoiceFallbackURL        string
	StatusCallback, SmsApplicationSID string
	Created                           time.Time
}

// Event is a Monitor event.
type Event struct {
	SID, Type, ActorSID, ActorType, ResourceSID, ResourceType string
	Source, IP, Description                                   string
	Date                                                      time.Time
}

// State is the fake account.
type State struct {
	Account Account
	// Secondary is the secondary auth token ("" when there is none).
	Secondary        string
	SecondaryCreated time.Time
	Keys             []Key
	Subaccounts      []Account
	Numbers          []Number
	Events           []Event
}

const hexDigits = "0123456789abcdef"
const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func random(alphabet string, n int) string {
	var b strings.Builder
	for range n {
		i, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		b.WriteByte(alphabet[i.Int64()])
	}
	return b.String()
}

// SID returns a fresh SID with the prefix ("AC", "SK", "PN", "AE").
func SID(prefix string) string { return prefix + random(hexDigits, 32) }

// Token returns a fresh auth token (32 hex).
func Token() string { return random(hexDigits, 32) }

// Secret returns a fresh API key secret (32 alphanumerics).
func Secret() string { return random(alnum, 32) }

// NewAccount is a fresh active full account.
func NewAccount(name string, created time.Time) Account {
	return Account{SID: SID("AC"), Name: name, Status: "active", Type: "Full", Token: Token(), Created: created}
}

// NewKey is a fresh key of the given type.
func NewKey(name, typ string, created time.Time, allow ...string) Key {
	return Key{SID: SID("SK"), Secret: Secret(), Name: name, Type: typ, Allow: allow, Created: created}
}

// Credential is "AccountSid:AuthToken" for the account.
func (a Account) Credential() string { return a.SID + ":" + a.Token }

// Credential is "AccountSid:KeySid:Secret" for a key of account.
func (k Key) Credential(account string) string { return account + ":" + k.SID + ":" + k.Secret }

// Hostile strings the Default account carries.
const (
	HostileKeyName     = "deploy\x1b[2J\x1b[31m-prod\u202egpj.exe"
	HostileSubName     = "sp\x1b]0;pwned\x07am\u200bbot"
	HostileWebhook     = "https://collector.evil.example/sms?\x1b[1mx"
	HostileVoiceURL    = "https://voice.evil.example/\u202einbound"
	HostileDescription = "key created \x1b[5mby\x00 \u2066admin\u2069"
)

// Default is a compromised-looking account: the owner's main key and
// numbers from long ago, and an attacker's recent standard key, subaccount,
// SMS webhook and logins from a new address. Names and URLs carry escape
// codes, control characters, bidi overrides and one 5,000-character name.
func Default(now time.Time) State {
	old := now.Add(-400 * 24 * time.Hour)
	acct := NewAccount("Acme Notifications", old)
	main := NewKey("prod-sms", KeyMain, old)
	status := NewKey("status reader", KeyRestricted, now.Add(-200*24*time.Hour), "/twilio/messaging/messages/read")
	attacker := NewKey(HostileKeyName, KeyStandard, now.Add(-2*24*time.Hour))
	long := NewKey(strings.Repeat("A", 5000), KeyStandard, now.Add(-300*24*time.Hour))
	sub := NewAccount("marketing", old)
	spam := NewAccount(HostileSubName, now.Add(-3*24*time.Hour))
	closed := NewAccount("old project", old)
	closed.Status = "closed"
	st := State{
		Account:     acct,
		Keys:        []Key{main, status, attacker, long},
		Subaccounts: []Account{sub, spam, closed},
		Numbers: []Number{
			{SID: SID("PN"), Phone: "+15005550006", Name: "support line", SmsURL: "https://hooks.acme.example/sms", VoiceURL: "https://hooks.acme.example/voice", StatusCallback: "https://hooks.acme.example/status", Created: old},
			{SID: SID("PN"), Phone: "+15005550007", Name: "alerts", SmsURL: HostileWebhook, VoiceURL: HostileVoiceURL, Created: old},
		},
	}
	spamKey := NewKey("spam sender", KeyStandard, now.Add(-3*24*time.Hour))
	spamKey.Owner = spam.SID
	st.Keys = append(st.Keys, spamKey)
	user := SID("US")
	st.Events = []Event{
		{SID: SID("AE"), Type: "user.login", ActorSID: user, ActorType: "user", ResourceSID: user, ResourceType: "user", Source: "web", IP: "203.0.113.5", Date: now.Add(-20 * 24 * time.Hour)},
		{SID: SID("AE"), Type: "user.login", ActorSID: user, ActorType: "user", ResourceSID: user, ResourceType: "user", Source: "web", IP: "198.51.100.23", Date: now.Add(-2*24*time.Hour - time.Hour)},
		{SID: SID("AE"), Type: "api-key.created", ActorSID: user, ActorType: "user", ResourceSID: attacker.SID, ResourceType: "api-key", Source: "web", IP: "198.51.100.23", Description: HostileDescription, Date: now.Add(-2 * 24 * time.Hour)},
		{SID: SID("AE"), Type: "account.created", ActorSID: user, ActorType: "account", ResourceSID: spam.SID, ResourceType: "account", Source: "api", IP: "198.51.100.23", Date: now.Add(-3 * 24 * time.Hour)},
		{SID: SID("AE"), Type: "phone-number.updated", ActorSID: user, ActorType: "account", ResourceSID: st.Numbers[1].SID, ResourceType: "phone-number", Source: "api", IP: "198.51.100.23\x1b[0m", Date: now.Add(-2 * 24 * time.Hour)},
		{SID: SID("AE"), Type: "account.updated", ActorType: "twilio-admin", ResourceSID: acct.SID, ResourceType: "account", Source: "twilio", Date: now.Add(-10 * 24 * time.Hour)},
	}
	return st
}

// Clean is an account with nothing suspicious: one old restricted key, one
// old number without webhooks (its messages go to a Messaging Service), no
// subaccounts, no events. (A Main key has full access, and a webhook URL
// cannot be judged by its domain: either is a finding.)
func Clean(now time.Time) State {
	old := now.Add(-400 * 24 * time.Hour)
	return State{
		Account: NewAccount("Acme", old),
		Keys:    []Key{NewKey("prod", KeyRestricted, old, "/twilio/messaging/messages/create")},
		Numbers: []Number{{SID: SID("PN"), Phone: "+15005550006", Name: "main", Created: old}},
	}
}

// Big is a clean account with many keys, subaccounts, numbers and events.
func Big(now time.Time, keys, subs, numbers, events int) State {
	old := now.Add(-400 * 24 * time.Hour)
	st := State{Account: NewAccount("Big", old)}
	for i := range keys {
		st.Keys = append(st.Keys, NewKey(fmt.Sprintf("key %d", i), KeyStandard, old))
	}
	for i := range subs {
		st.Subaccounts = append(st.Subaccounts, NewAccount(fmt.Sprintf("sub %d", i), old))
	}
	for i := range numbers {
		st.Numbers = append(st.Numbers, Number{SID: SID("PN"), Phone: fmt.Sprintf("+1500555%04d", i), SmsURL: "https://hooks.acme.example/sms", Created: old})
	}
	for i := range events {
		st.Events = append(st.Events, Event{SID: SID("AE"), Type: "phone-number.updated", ActorType: "account", Source: "api", IP: fmt.Sprintf("192.0.2.%d", i%200), Date: now.Add(-time.Duration(i) * time.Minute)})
	}
	return st
}

// account finds the main account or a subaccount by SID.
func (st *State) account(sid string) *Account {
	if sid == st.Account.SID {
		return &st.Account
	}
	for i := range st.Subaccounts {
		if st.Subaccounts[i].SID == sid {
			return &st.Subaccounts[i]
		}
	}
	return nil
}

// owner is the account SID a key or number belongs to.
func (st *State) owner(o string) string {
	if o == "" {
		return st.Account.SID
	}
	return o
}
