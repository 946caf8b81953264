// Package postmark is reclaim's adapter for Postmark's API
// (../shared/reference/providers.md §5; the official OpenAPI documents in
// ../shared/specs/postmark/), hand-written on the shared transport
// (provider.HTTPClient): the community SDK (mrz1836/postmark) is not
// Postmark's own.
//
// Postmark has two kinds of token, both plain UUIDs:
//
//   - the account token (X-Postmark-Account-Token) reads the servers with
//     their API tokens, the sender signatures and the domains;
//   - a server token (X-Postmark-Server-Token) reads one server: its hook
//     URLs and inbound settings (/server), its webhooks, its outbound
//     messages, bounces and statistics.
//
// With the account token reclaim reaches every server, each through one of
// the server's own tokens, which /servers returns; those values live in
// memory for the session only, are never shown, stored or logged, and are
// listed (ListSecrets) by fingerprint. With a server token alone it reads
// that server only.
//
// Postmark's API cannot create, rotate or revoke tokens: rotation is a
// guided console step (a server holds up to three tokens: add the new one,
// deploy it, delete the old one), and VerifyKey proves the old token dead
// (a harmless GET /server, then GET /servers, both refused with 401).
// Users, 2FA, the password and billing are console-only too.
package postmark

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// Environment and endpoints.
const (
	DefaultBaseURL = "https://api.postmarkapp.com"
	// BaseURLEnv overrides the base URL (https, or http to loopback).
	BaseURLEnv = "RECLAIM_POSTMARK_BASE_URL"
	// AccountTokenEnv and ServerTokenEnv hold the tokens; either may be
	// "-" (not given) when the owner has only the other.
	AccountTokenEnv = "POSTMARK_ACCOUNT_TOKEN"
	ServerTokenEnv  = "POSTMARK_SERVER_TOKEN"
)

// Console pages. Deep links are from third-party material (see
// providers.md §5): the servers list and a server's API Tokens tab
// (/servers/{id}/credentials), the account's API Tokens page, and the
// account details screen (/account/edit), whose Account section holds the
// users, the "require 2FA for all users" switch and the emergency
// contacts.
const (
	console         = "https://account.postmarkapp.com"
	ServersPage     = console + "/servers"
	AccountTokens   = console + "/api_tokens"
	AccountPage     = console + "/account/edit"
	SupportPage     = "https://postmarkapp.com/support"
	SupportEmail    = "support@postmarkapp.com"
	securityArticle = "https://postmarkapp.com/support/article/1183-best-practices-for-user-account-security"
)

// ServerTokensPage is the console page where a server's API tokens are
// added and deleted ("API Tokens" tab).
func ServerTokensPage(serverID string) string {
	if !isID(serverID) {
		return ServersPage
	}
	return ServersPage + "/" + serverID + "/credentials"
}

// ProcedureSteps are Postmark's published account-security practices
// ("Best Practices for Account Security", recorded in providers.md §5),
// turned into the steps the completion report states for a compromised
// account.
var ProcedureSteps = []string{
	"1. Give every person their own Postmark user (no shared logins) and remove users nobody recognises (Account, Users).",
	"2. Set a unique, strong password for each user.",
	"3. Enable two-factor authentication for every user, turn on \"require 2FA for all users\" in the Account section, and keep the backup codes safe; the Users page shows who lacks 2FA.",
	"4. Rotate the account API token and every server's API tokens (a server holds up to three: add the new token, deploy it, delete the old one).",
	"5. List emergency contacts in the Account settings so Postmark can reach the team if sending is paused.",
	"6. Email Postmark support with what happened and what was done.",
}

// GraceWindow is a precaution, not a documented figure. The reference
// (providers.md §5) records no period in which a deleted token keeps
// working, and Postmark documents none (a third-party runbook: "no
// grace-period setting"); but nothing verified that a token dies at once
// either, and a server token is also the SMTP relay's login (Mailjet's
// relay outlives a reset by over an hour). So reclaim proves an old token
// dead right after the console deletes it (VerifyKey) and once more after
// 10 minutes. The checklist also offers its console-reset-and-prove step
// (StepDeadCheck) only to providers with a grace window: Postmark, whose
// tokens are only ever deleted in the console, needs that step.
const GraceWindow = 10 * time.Minute

// Info describes the Postmark adapter.
var Info = provider.Info{
	ID:   "postmark",
	Name: "Postmark",
	Console: map[provider.Item]string{
		provider.ItemAPIKeys:      ServersPage, // each server's API Tokens tab; the account token at AccountTokens
		provider.ItemPassword:     AccountPage,
		provider.ItemTwoFactor:    AccountPage,
		provider.ItemAccount:      AccountPage,
		provider.ItemPayment:      AccountPage,
		provider.ItemTeammates:    AccountPage,
		provider.ItemWebhooks:     ServersPage,
		provider.ItemParse:        ServersPage,
		provider.ItemSubusers:     ServersPage,
		provider.ItemMailSettings: ServersPage,
		provider.ItemSenders:      console + "/signature_domains",
		provider.ItemMessages:     ServersPage,
		provider.ItemSupport:      SupportPage,
	},
	Support: provider.Support{
		Checklist: ProcedureSteps,
		URL:       SupportPage,
		Email:     SupportEmail,
		Instructions: "Email " + SupportEmail + " from the account owner's address (the support centre is " + SupportPage + "): " +
			"say the account was compromised, attach the completion report, and state each step of Postmark's account-security practices (" +
			securityArticle + ") as done.",
	},
	Quirks: []string{
		"Postmark has two kinds of token: the account token (servers, sender signatures, domains) and one to three tokens per server (sending, messages, webhooks). Both are plain UUIDs and cannot be told apart by shape.",
		"Tokens cannot be created, rotated or deleted through the API: add a new token on the server's API Tokens tab (" + ServersPage + "/<id>/credentials), deploy it, then delete the old one; the account token is reset at " + AccountTokens + ". reclaim then proves the old token dead, and again 10 minutes later (Postmark documents no grace window; the second check is a precaution).",
		"A server token is also the server's SMTP user name and password: rotating it changes the SMTP login too.",
		"Servers are the unit of isolation: an attacker may add a server to send from; deleting one deletes its message history, so reclaim only lists them and the console deletes.",
		"Users, 2FA, passwords and billing are in the console only; the Users page shows who lacks 2FA.",
		"The 2019 OpenAPI documents lack /webhooks and /message-streams: reclaim reads webhooks as Postmark's current documentation describes them; message streams other than the default are reviewed in the console.",
		"Postmark serves at most 10,000 messages per search: reclaim reads busy servers a day at a time, and a day over 10,000 messages is marked incomplete.",
		"Without the account token reclaim sees only the one server whose token it has, and no sender signatures or domains.",
	},
	GraceWindow: GraceWindow,
	Credentials: []provider.CredentialField{
		{Env: AccountTokenEnv, Prompt: "Postmark account API token", Optional: true,
			Help: "From " + AccountTokens + " (account owners and admins): it lets reclaim read every server. Leave it out to use a server token only."},
		{Env: ServerTokenEnv, Prompt: "Postmark server API token", Optional: true,
			Help: "From a server's API Tokens tab (" + ServersPage + "); optional with the account token."},
	},
	BaseURLEnv: BaseURLEnv,
	KeyHint:    "a UUID (8-4-4-4-12 hex digits) with no prefix; account and server tokens look alike",
	KeyIDHint:  "",
	LeakSearch: "X-Postmark-Server-Token OR POSTMARK_SERVER_TOKEN OR POSTMARK_API_TOKEN",
}

func init() {
	provider.Register(provider.Factory{Info: Info, New: func(cfg provider.Config) (provider.Provider, error) {
		return New(cfg)
	}})
}

// ErrNoCredential says no usable token was given. It never carries one.
var ErrNoCredential = errors.New("postmark needs the account token (" + AccountTokenEnv + ") and/or a server token (" + ServerTokenEnv + "); give - for the one you do not have")

// Options tune the client; the zero value gives the defaults.
type Options struct {
	// PageSize is the count of every list call (1–500; default 500).
	PageSize int
	// Retries, Backoff, AttemptTimeout, MaxRateWait and MaxBody go to the
	// shared transport (provider.HTTPOptions; zero: its defaults).
	Retries        int
	Backoff        time.Duration
	AttemptTimeout time.Duration
	MaxRateWait    time.Duration
	MaxBody        int64
	// Now is the clock (tests).
	Now func() time.Time
	// HTTPClient is for tests only.
	HTTPClient *http.Client
}

// Client is a Postmark account (or one server) reached through its
// tokens. Its methods are safe for concurrent use.
type Client struct {
	hc       *provider.HTTPClient
	acct     string // account token ("" without one)
	srv      string // server token ("" without one)
	limits   provider.Limits
	pageSize int
	now      func() time.Time

	// mu guards the cached server list; it is held while the list is read,
	// so sections that start together share one read.
	mu      sync.Mutex
	cache   *serverList
	cacheAt time.Time
}

// New builds a client from a config: Credential is
// "accounttoken:servertoken", either part empty or "-".
func New(cfg provider.Config) (*Client, error) {
	return NewWithOptions(cfg, Options{})
}

// NewWithOptions is New with tuning.
func NewWithOptions(cfg provider.Config, o Options) (*Client, error) {
	acct, srv, err := splitTokens(cfg.Credential)
	if err != nil {
		return nil, err
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	c := &Client{acct: acct, srv: srv, limits: cfg.Limits, pageSize: o.PageSize, now: o.Now}
	if c.pageSize <= 0 || c.pageSize > 500 {
		c.pageSize = 500
	}
	if c.now == nil {
		c.now = time.Now
	}
	auth := serverAuth(srv)
	if acct != "" {
		auth = accountAuth(acct)
	}
	c.hc, err = provider.NewHTTPClient(provider.HTTPOptions{
		Name:           "Postmark",
		BaseURL:        raw,
		Auth:           auth,
		ErrorMessage:   errorMessage,
		Refine:         refine,
		Retries:        o.Retries,
		Backoff:        o.Backoff,
		AttemptTimeout: o.AttemptTimeout,
		MaxRateWait:    o.MaxRateWait,
		MaxBody:        o.MaxBody,
		Now:            o.Now,
		HTTPClient:     o.HTTPClient,
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// splitTokens reads "account:server". A token must look like one a header
// can carry: printable ASCII without spaces, at most 128 bytes.
func splitTokens(s string) (acct, srv string, err error) {
	a, b, _ := strings.Cut(strings.TrimSpace(s), ":")
	norm := func(v string) string {
		v = strings.TrimSpace(v)
		if v == "-" {
			return ""
		}
		return v
	}
	acct, srv = norm(a), norm(b)
	if acct == "" && srv == "" {
		return "", "", ErrNoCredential
	}
	for _, t := range []string{acct, srv} {
		if t != "" && !validToken(t) {
			return "", "", fmt.Errorf("a Postmark token is a UUID of printable characters; the one given is not (%d bytes)", len(t))
		}
	}
	return acct, srv, nil
}

// validToken reports whether t can travel in a header: 1–128 bytes of
// printable ASCII without spaces. Tokens a hostile /servers answer lists are
// held to it too: a value with CR LF must never reach a header.
func validToken(t string) bool {
	if t == "" || len(t) > 128 {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] >= 0x7f {
			return false
		}
	}
	return true
}

func accountAuth(tok string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("X-Postmark-Account-Token", tok)
		r.Header.Set("Accept", "application/json")
	}
}

func serverAuth(tok string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("X-Postmark-Server-Token", tok)
		r.Header.Set("Accept", "application/json")
	}
}

// Info implements provider.Provider.
func (c *Client) Info() provider.Info { return Info }

// OnRateLimit implements provider.RateLimitNotifier.
func (c *Client) OnRateLimit(fn func(wait time.Duration)) { c.hc.OnRateLimit(fn) }

// HasAccountToken reports whether the client holds the account token (it
// reads every server, the sender signatures and the domains).
func (c *Client) HasAccountToken() bool { return c.acct != "" }
