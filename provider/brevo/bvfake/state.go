// Package bvfake is a fake Brevo API v3 built from the official Swagger 2.0
// spec (../shared/specs/brevo/swagger.yaml): the same paths (served at the
// root, as Prism serves Swagger 2.0 paths, so a client's base URL is the
// fake's URL), the api-key header (401 {"code":"unauthorized"} for an
// unknown key, and Brevo's "unrecognised IP address" 401 for a key marked
// IP-blocked), limit/offset paging with the spec's bounds, the spec's
// errorModel bodies, Brevo's x-sib-ratelimit-* headers, plan gating (the
// activity log needs Enterprise, /corporate a master account), and
// injectable faults: 429 with Retry-After, 500, a slow first byte, a
// trickling body, a huge body, malformed JSON, pages that repeat whatever
// the offset, a claimed count that keeps growing. Hostile returns an
// account whose every string is attacker text. Relay is a fake SMTP relay
// for the SMTP-key login check.
//
// Brevo pages with offsets only: it never sends next-page links, so there
// is no foreign next link to inject.
package bvfake

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Privilege is one feature's permissions (GET
// /organization/user/{email}/permissions).
type Privilege struct {
	Feature     string
	Permissions []string
}

// User is an organisation user or invitation (Status "active" or
// "pending"), or an admin user of a master account.
type User struct {
	Email      string
	Owner      bool
	Status     string
	Access     map[string]any // feature_access
	Privileges []Privilege
}

// Webhook is a webhook of Type "transactional", "marketing" or "inbound".
type Webhook struct {
	ID          int64
	URL         string
	Description string
	Type        string
	Events      []string
	Domain      string // inbound
	Created     time.Time
}

// Sender is a sender identity.
type Sender struct {
	ID     int64
	Name   string
	Email  string
	Active bool
}

// Domain is a sending domain.
type Domain struct {
	ID                      int64
	Name                    string
	Authenticated, Verified bool
}

// SubAccount is a master account's sub-account.
type SubAccount struct {
	ID      int64
	Company string
	Active  bool
	Created time.Time
}

// Activity is one entry of the organisation's activity log.
type Activity struct {
	Action string
	Date   time.Time
	Email  string
	IP     string
	Agent  string
}

// Event is one transactional email event.
type Event struct {
	Email, Subject, MessageID, Event, From string
	Date                                   time.Time
}

// State is the fake account.
type State struct {
	Email, FirstName, LastName, Company string
	Plans                               []string
	SMTPLogin, SMTPRelay                string

	// Keys are the API keys Brevo accepts; BlockedKeys are valid keys used
	// from an address that is not authorised (401 "unrecognised IP
	// address"); SMTPKeys the keys the relay accepts.
	Keys, BlockedKeys, SMTPKeys []string

	// Enterprise enables the activity log; Master the /corporate endpoints.
	Enterprise, Master bool

	Users       []User
	AdminUsers  []User
	Senders     []Sender
	Domains     []Domain
	Webhooks    []Webhook
	SubAccounts []SubAccount
	Activity    []Activity
	Events      []Event
}

// NewKey returns an API key of Brevo's shape (xkeysib-<64 hex>-<16
// alnum>), derived from seed.
func NewKey(seed uint64) string { return shaped("xkey"+"sib-", seed) }

// NewSMTPKey returns an SMTP key of Brevo's shape (xsmtpsib-…).
func NewSMTPKey(seed uint64) string { return shaped("xsmtp"+"sib-", seed) }

func shaped(prefix string, seed uint64) string {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	const hex, an = "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	var b strings.Builder
	b.WriteString(prefix)
	for range 64 {
		b.WriteByte(hex[r.IntN(16)])
	}
	b.WriteByte('-')
	for range 16 {
		b.WriteByte(an[r.IntN(len(an))])
	}
	return b.String()
}

// ownerPrivileges is what an owner or full user holds.
var ownerPrivileges = []Privilege{
	{"Email campaign", []string{"Create / edit / delete", "Send / schedule / suspend"}},
	{"SMTP & API", []string{"SMTP", "API Keys", "Authorized IPs"}},
	{"User management", []string{"All"}},
}

// Default is a compromised-looking account at now: an owner, an active user
// at an outside address who may manage API keys and users, a pending invite
// to another outside address, a marketing webhook and an inbound-parsing
// webhook posting to hosts the owner does not run, a look-alike sender,
// logins from an unknown address, and 30 days of mail with a phishing
// subject. It returns the state and the session's API key.
func Default(now time.Time) (*State, string) {
	key := NewKey(1)
	st := &State{
		Email: "owner@acme.example", FirstName: "Ada", LastName: "Owner", Company: "Acme",
		Plans:     []string{"free"},
		SMTPLogin: "owner@acme.example", SMTPRelay: "smtp-relay.brevo.com",
		Keys:       []string{key},
		SMTPKeys:   []string{NewSMTPKey(1)},
		Enterprise: true,
		Users: []User{
			{Email: "owner@acme.example", Owner: true, Status: "active", Access: map[string]any{"marketing": "owner", "conversations": "owner", "crm": "owner"}, Privileges: ownerPrivileges},
			{Email: "dev@acme.example", Status: "active", Access: map[string]any{"marketing": "custom", "conversations": "none", "crm": "none"},
				Privileges: []Privilege{{"Email campaign", []string{"Create / edit / delete"}}, {"User management", []string{"None"}}}},
			{Email: "mallory@evil.example", Status: "active", Access: map[string]any{"marketing": "full", "conversations": "none", "crm": "full"},
				Privileges: []Privilege{{"SMTP & API", []string{"SMTP", "API Keys", "Authorized IPs"}}, {"User management", []string{"All"}}}},
			{Email: "trent@evil.example", Status: "pending", Access: map[string]any{"marketing": "full", "conversations": "none", "crm": "none"}},
		},
		Senders: []Sender{
			{ID: 1, Name: "Acme", Email: "news@acme.example", Active: true},
			{ID: 2, Name: "Acme Billing", Email: "billing@acme-payments.example", Active: true},
		},
		Domains: []Domain{{ID: 1, Name: "acme.example", Authenticated: true, Verified: true}},
		Webhooks: []Webhook{
			{ID: 101, URL: "https://hooks.acme.example/brevo", Description: "delivery events", Type: "transactional", Events: []string{"delivered", "hardBounce"}, Created: now.AddDate(0, -6, 0)},
			{ID: 102, URL: "https://collector.evil.example/hook", Description: "opens", Type: "marketing", Events: []string{"opened", "click"}, Created: now.AddDate(0, 0, -3)},
			{ID: 103, URL: "https://parse.evil.example/inbound", Description: "inbound", Type: "inbound", Events: []string{"inboundEmailProcessed"}, Domain: "reply.acme.example", Created: now.AddDate(0, 0, -2)},
		},
		Activity: []Activity{
			{Action: "login-success", Date: now.AddDate(0, 0, -20), Email: "owner@acme.example", IP: "198.51.100.10", Agent: "Mozilla/5.0"},
			{Action: "login-success", Date: now.AddDate(0, 0, -4), Email: "owner@acme.example", IP: "203.0.113.66", Agent: "python-requests/2.31"},
			{Action: "invite-user", Date: now.AddDate(0, 0, -4), Email: "owner@acme.example", IP: "203.0.113.66", Agent: "python-requests/2.31"},
			{Action: "login-success", Date: now.AddDate(0, 0, -1), Email: "mallory@evil.example", IP: "203.0.113.66", Agent: "curl/8.0"},
		},
	}
	for d := 0; d < 30; d++ {
		day := now.AddDate(0, 0, -d).Add(-time.Hour)
		st.Events = append(st.Events, Event{Email: fmt.Sprintf("customer%d@example.com", d), Subject: "Your Acme order", MessageID: fmt.Sprintf("<order-%d@acme.example>", d), Event: "requests", From: "news@acme.example", Date: day})
		if d < 3 {
			for i := 0; i < 40; i++ {
				st.Events = append(st.Events, Event{Email: fmt.Sprintf("victim%d-%d@example.net", d, i), Subject: "Verify your account now", MessageID: fmt.Sprintf("<phish-%d-%d@acme.example>", d, i), Event: "requests", From: "billing@acme-payments.example", Date: day.Add(-time.Duration(i) * time.Minute)})
			}
		}
		// Other events of the same message, which the adapter must not count.
		st.Events = append(st.Events, Event{Email: fmt.Sprintf("customer%d@example.com", d), Subject: "Your Acme order", MessageID: fmt.Sprintf("<order-%d@acme.example>", d), Event: "delivered", From: "news@acme.example", Date: day.Add(time.Minute)})
	}
	return st, key
}

// Escapes is the attacker text Hostile puts in every string: terminal
// escapes (CSI, OSC with BEL), carriage return and newline, a bidi
// override, a C1 control, zero-width and DEL characters.
const Escapes = "\x1b]0;owned\x07\x1b[2J\rforged\n\u202eexe.gnp\u009b31m\u200b\x7f\x1b[8m"

// Hostile is an account whose every string carries Escapes, with names of
// 5,000 characters, on a master Enterprise account so that every section
// is read.
func Hostile(now time.Time) (*State, string) {
	st, key := Default(now)
	long := strings.Repeat("A\x1b[31m", 5000/6)
	h := func(s string) string { return s + Escapes }
	st.Company = h("Acme") + long
	st.FirstName = h("Ada")
	st.Master = true
	st.SMTPRelay = h("relay.evil.example")
	for i := range st.Users {
		if !st.Users[i].Owner {
			st.Users[i].Email = h(st.Users[i].Email)
		}
		st.Users[i].Access = map[string]any{h("marketing"): h("full"), "crm": []any{h("all")}}
		for j := range st.Users[i].Privileges {
			st.Users[i].Privileges[j].Feature = h(st.Users[i].Privileges[j].Feature)
			st.Users[i].Privileges[j].Permissions = append(st.Users[i].Privileges[j].Permissions, h("API Keys"), long)
		}
	}
	st.AdminUsers = []User{{Email: h("admin@evil.example") + long, Status: "active", Access: map[string]any{"user_management": []any{"all"}, "api_keys": []any{h("all")}}}}
	for i := range st.Senders {
		st.Senders[i].Email = h(st.Senders[i].Email)
		st.Senders[i].Name = h(st.Senders[i].Name) + long
	}
	for i := range st.Domains {
		st.Domains[i].Name = h(st.Domains[i].Name)
	}
	for i := range st.Webhooks {
		st.Webhooks[i].URL = st.Webhooks[i].URL + "?" + Escapes + long
		st.Webhooks[i].Description = h(st.Webhooks[i].Description)
		st.Webhooks[i].Domain = h(st.Webhooks[i].Domain)
		st.Webhooks[i].Events = append(st.Webhooks[i].Events, h("opened"))
	}
	st.SubAccounts = []SubAccount{{ID: 7, Company: h("spam") + long, Active: true, Created: now.AddDate(0, 0, -1)}}
	for i := range st.Activity {
		st.Activity[i].Action = h(st.Activity[i].Action)
		st.Activity[i].Email = h(st.Activity[i].Email)
		st.Activity[i].IP = h(st.Activity[i].IP)
		st.Activity[i].Agent = h(st.Activity[i].Agent)
	}
	for i := range st.Events {
		st.Events[i].Subject = h(st.Events[i].Subject) + long
		st.Events[i].From = h(st.Events[i].From)
		st.Events[i].Email = h(st.Events[i].Email)
		st.Events[i].MessageID = h(st.Events[i].MessageID)
	}
	return st, key
}

// Big is a clean account with many sub-accounts, activity entries and
// messages at now (pages across every paged list); its users, senders and
// webhooks are the owner's own.
func Big(now time.Time, subs, activity, messages int) (*State, string) {
	key := NewKey(2)
	st := &State{
		Email: "owner@big.example", FirstName: "Bo", LastName: "Big", Company: "Big", Plans: []string{"subscription"},
		SMTPLogin: "owner@big.example", SMTPRelay: "smtp-relay.brevo.com",
		Keys: []string{key}, Enterprise: true, Master: true,
		Users:    []User{{Email: "owner@big.example", Owner: true, Status: "active", Privileges: ownerPrivileges}},
		Senders:  []Sender{{ID: 1, Name: "Big", Email: "news@big.example", Active: true}},
		Domains:  []Domain{{ID: 1, Name: "big.example", Authenticated: true, Verified: true}},
		Webhooks: []Webhook{{ID: 1, URL: "https://hooks.big.example/b", Type: "transactional", Events: []string{"delivered"}, Created: now.AddDate(-1, 0, 0)}},
	}
	for i := range subs {
		st.SubAccounts = append(st.SubAccounts, SubAccount{ID: int64(1000 + i), Company: fmt.Sprintf("sub%04d", i), Active: true, Created: now.AddDate(-1, 0, 0)})
	}
	for i := range activity {
		st.Activity = append(st.Activity, Activity{Action: "login-success", Date: now.Add(-time.Duration(i) * 29 * 24 * time.Hour / time.Duration(max(activity, 1))), Email: "owner@big.example", IP: "198.51.100.10", Agent: "Mozilla/5.0"})
	}
	for i := range messages {
		st.Events = append(st.Events, Event{Email: fmt.Sprintf("c%d@example.com", i), Subject: fmt.Sprintf("Receipt %d", i%7), MessageID: fmt.Sprintf("<m%d@big.example>", i), Event: "requests", From: "news@big.example",
			Date: now.Add(-time.Duration(i) * 29 * 24 * time.Hour / time.Duration(max(messages, 1)))})
	}
	return st, key
}
