// Package pmfake is a fake Postmark API for tests: an httptest server that
// follows the official OpenAPI documents in ../shared/specs/postmark
// (account-api.openapi.json: /servers with ApiTokens, /senders, /domains
// under X-Postmark-Account-Token; server-api.openapi.json: /server with its
// hook URLs and inbound settings, /messages/outbound, /bounces and
// /stats/outbound/* under X-Postmark-Server-Token): exact paths, the two
// token headers (401 with Postmark's ErrorCode 10 body on a missing or
// wrong token), count (1–500) + offset paging with TotalCount, the
// {"ErrorCode","Message"} error body with 422, and injectable faults (429
// with Retry-After, 5xx, an HTML 403 from the network layer, slow and
// trickling answers, huge bodies, malformed JSON, repeating pages, a
// claimed TotalCount that keeps growing).
//
// The 2019 spec lacks /webhooks and /message-streams; the fake serves
// GET /webhooks and DELETE /webhooks/{id} as Postmark's current
// documentation describes them (../shared/reference/providers.md §5).
//
// Postmark pages by offset and sends no next-page links, so a "next link
// to another host" cannot be injected; hostile strings (escapes, bidi
// overrides, control characters, 5,000-character names) are data: see
// Hostile.
//
// Tokens are generated at run time; no token-shaped literal lives here.
package pmfake

import (
	"crypto/rand"
	"fmt"
	"strings"
	"time"
)

// Webhook is a server's webhook (GET /webhooks; outside the 2019 spec).
type Webhook struct {
	ID            int64
	URL           string
	MessageStream string
	// HTTPAuthUser/Pass and Headers are credentials the provider returns:
	// the adapter must never keep or show them.
	HTTPAuthUser, HTTPAuthPass string
	Headers                    map[string]string
	// Triggers that are enabled: "Open", "Click", "Delivery", "Bounce",
	// "SpamComplaint", "SubscriptionChange".
	Triggers []string
}

// Mail describes a server's outbound mail, generated on demand (never
// stored): Count messages spread evenly over [Since, Until), newest
// first. Every BounceEvery-th message (0: none) hard-bounced, every
// SpamEvery-th drew a spam complaint.
type Mail struct {
	Count        int
	Since, Until time.Time
	From, To     string
	Subjects     []string
	BounceEvery  int
	SpamEvery    int
}

// Server is a Postmark server: the unit of isolation, with its own tokens,
// hooks, inbound settings and mail.
type Server struct {
	ID                   int64
	Name                 string
	Color                string
	ApiTokens            []string
	SmtpApiActivated     bool
	RawEmailEnabled      bool
	TrackOpens           bool
	TrackLinks           string
	PostFirstOpenOnly    bool
	BounceHookUrl        string
	OpenHookUrl          string
	DeliveryHookUrl      string
	ClickHookUrl         string
	InboundAddress       string
	InboundDomain        string
	InboundHash          string
	InboundHookUrl       string
	InboundSpamThreshold int
	Webhooks             []Webhook
	Mail                 Mail
	// WebhooksStatus: 0 when GET /webhooks works, else the status it
	// answers with (e.g. 404 on a deployment without the endpoint).
	WebhooksStatus int
}

// Signature is a sender signature (GET /senders).
type Signature struct {
	ID                  int64
	Name, EmailAddress  string
	ReplyToEmailAddress string
	Domain              string
	Confirmed           bool
}

// Domain is a sending domain (GET /domains).
type Domain struct {
	ID                                                      int64
	Name                                                    string
	DKIMVerified, ReturnPathVerified, SPFVerified, WeakDKIM bool
}

// State is the fake account.
type State struct {
	AccountTokens []string
	Servers       []Server
	Senders       []Signature
	Domains       []Domain
	NextID        int64
}

// NewToken is a fresh random token (a UUID, as Postmark's are).
func NewToken() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Session is what a test connects with.
type Session struct {
	AccountToken string
	ServerToken  string // a token of the first server
}

// Default is a small compromised account: an attacker-added server token,
// a webhook and an inbound hook posting to outside hosts, a server the
// attacker created that sends phishing from a foreign address (a spike,
// with bounces and spam complaints), and a foreign sender signature.
// Postmark's API has no users, so a user without 2FA is a console finding.
func Default(now time.Time) (State, Session) {
	acct, prod := NewToken(), NewToken()
	day := 24 * time.Hour
	st := State{
		AccountTokens: []string{acct},
		Servers: []Server{
			{
				ID: 101, Name: "Production", Color: "green", ApiTokens: []string{prod, NewToken()},
				SmtpApiActivated: true, TrackOpens: true, TrackLinks: "None",
				BounceHookUrl:  "https://hooks.acme.example/postmark/bounce",
				InboundAddress: "0123abcd@inbound.postmarkapp.com", InboundHash: "0123abcd",
				InboundDomain: "in.acme.example", InboundHookUrl: "https://inbound.evil.example/steal",
				Webhooks: []Webhook{
					{ID: 1, URL: "https://hooks.acme.example/postmark", MessageStream: "outbound", Triggers: []string{"Bounce", "Delivery"}},
					{ID: 2, URL: "https://collector:hunter2@collector.evil.example/pm", MessageStream: "outbound",
						HTTPAuthUser: "attacker", HTTPAuthPass: "s3cret-pass", Headers: map[string]string{"X-Auth": "header-secret"},
						Triggers: []string{"Open", "Click", "Delivery"}},
				},
				Mail: Mail{Count: 2500, Since: now.Add(-29 * day), Until: now, From: "news@acme.example", To: "customer@example.com",
					Subjects: []string{"Your receipt", "Weekly news"}, BounceEvery: 100},
			},
			{ID: 102, Name: "Staging", Color: "blue", ApiTokens: []string{NewToken()}, TrackLinks: "None"},
			{
				ID: 103, Name: "mailer\x1b[31m\u202eloot", Color: "red", ApiTokens: []string{NewToken()}, SmtpApiActivated: true, TrackLinks: "HtmlAndText",
				Mail: Mail{Count: 3000, Since: now.Add(-2 * day), Until: now, From: "billing@evil.example", To: "victim@example.com",
					Subjects: []string{"Payment failed: update your billing\x1b]0;owned\x07"}, BounceEvery: 4, SpamEvery: 20},
			},
		},
		Senders: []Signature{
			{ID: 11, Name: "Acme News", EmailAddress: "news@acme.example", Domain: "acme.example", Confirmed: true},
			{ID: 12, Name: "CEO", EmailAddress: "ceo@evil.example", Domain: "evil.example", Confirmed: true},
		},
		Domains: []Domain{
			{ID: 21, Name: "acme.example", DKIMVerified: true, ReturnPathVerified: true, SPFVerified: true},
			{ID: 22, Name: "evil-acme.example"},
		},
		NextID: 1000,
	}
	return st, Session{AccountToken: acct, ServerToken: prod}
}

// Escapes is the attacker text of Hostile: an OSC title change, a screen
// clear, BEL, CR and LF, a right-to-left override, a CSI in its C1 form, a
// zero-width space and DEL.
const Escapes = "\x1b]0;owned\x07\x1b[2J\rforged line\n\u202eexe.gnp\u009b31m\u200b\x7f\x1b[8m"

// Hostile is an account whose every string carries Escapes, with a
// 5,000-character server name, and a server whose ApiTokens hold values no
// header may carry (CR LF, far too long): the adapter must skip those.
func Hostile(now time.Time) (State, Session) {
	st, s := Default(now)
	long := strings.Repeat("A\u202e", 2500)
	for i := range st.Servers {
		sv := &st.Servers[i]
		sv.Name = sv.Name + Escapes
		sv.InboundHookUrl = "https://in" + Escapes + ".evil.example/"
		sv.BounceHookUrl = "https://b.evil.example/" + Escapes
		sv.InboundAddress = "x" + Escapes + "@inbound.postmarkapp.com"
		for j := range sv.Webhooks {
			sv.Webhooks[j].URL += Escapes
			sv.Webhooks[j].MessageStream += Escapes
		}
		sv.Mail.Subjects = append(sv.Mail.Subjects, "Hi"+Escapes)
		sv.Mail.From = "x" + Escapes + "@evil.example"
	}
	st.Servers[1].Name = long
	st.Servers[1].ApiTokens = append(st.Servers[1].ApiTokens, "bad\r\nX-Injected: 1", strings.Repeat("f", 4096))
	for i := range st.Senders {
		st.Senders[i].EmailAddress += Escapes
		st.Senders[i].Name += Escapes
	}
	for i := range st.Domains {
		st.Domains[i].Name += Escapes
	}
	return st, s
}

// Big is a large clean account: servers servers, the first of them
// sending messages over 30 days.
func Big(now time.Time, servers, messages int) (State, Session) {
	acct := NewToken()
	st := State{AccountTokens: []string{acct}, NextID: 1_000_000,
		Domains: []Domain{{ID: 1, Name: "big.example", DKIMVerified: true, ReturnPathVerified: true}},
		Senders: []Signature{{ID: 2, Name: "News", EmailAddress: "news@big.example", Domain: "big.example", Confirmed: true}},
	}
	for i := range servers {
		sv := Server{ID: int64(100 + i), Name: fmt.Sprintf("server %04d", i), Color: "blue", ApiTokens: []string{NewToken()}, SmtpApiActivated: true, TrackLinks: "None"}
		if i == 0 {
			sv.Mail = Mail{Count: messages, Since: now.Add(-29 * 24 * time.Hour), Until: now, From: "news@big.example", To: "c@example.com",
				Subjects: []string{"Weekly news", "Invoice", "Welcome"}}
		}
		st.Servers = append(st.Servers, sv)
	}
	return st, Session{AccountToken: acct, ServerToken: st.Servers[0].ApiTokens[0]}
}
