// Package brevo is reclaim's adapter for Brevo's (formerly Sendinblue) v3
// API, and declares the leak-scanner detectors for Brevo credentials.
//
// Brevo authenticates with an API key in the "api-key" header. Its API reads
// the account and plan, the organisation's users and their permissions (and
// revokes users and cancels invitations), senders and domains, webhooks
// (transactional, marketing and inbound parsing; deletes them), the
// transactional events of the last 30 days with their subjects, the
// organisation's activity log (Enterprise plan only) and sub-accounts
// (master accounts only). It cannot list, create or delete the account's own
// API keys or SMTP keys, nor read or change the authorised IPs: those are
// guided console steps, as are the password, 2FA, billing and the report to
// support.
//
// The adapter is hand-written on the shared transport (provider.HTTPClient)
// rather than built on getbrevo/brevo-go: about a dozen calls do not need a
// generated SDK of 233 operations, and the shared transport gives Brevo the
// same error, retry and rate-limit model as every other adapter (typed
// errors, body caps, no redirects, 429 handling from Brevo's
// x-sib-ratelimit-* headers), with every list bounded by provider.Limits.
package brevo

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// DefaultBaseURL is Brevo's API root: paths such as /account are joined to
// its path (/v3). An override (RECLAIM_BREVO_BASE_URL) names the root the
// same way: a Prism mock of the Swagger 2.0 spec serves the paths without
// /v3, so its root is the bare http://127.0.0.1:PORT.
const DefaultBaseURL = "https://api.brevo.com/v3"

// Console pages (links seen in third-party material, see
// ../shared/reference/providers.md §4; Brevo documents none of them).
const (
	APIKeysPage       = "https://app.brevo.com/settings/keys/api"
	SMTPKeysPage      = "https://app.brevo.com/settings/keys/smtp"
	AuthorisedIPsPage = "https://app.brevo.com/security/authorised_ips"
	PasswordPage      = "https://app.brevo.com/profile/password"
	ProfilePage       = "https://app.brevo.com/profile/information"
	BillingPage       = "https://app.brevo.com/billing/plan"
	WebhooksPage      = "https://app.brevo.com/settings/webhooks"
	SendersPage       = "https://app.brevo.com/senders/list"
	ConsoleHome       = "https://app.brevo.com/"
	SupportPage       = "https://account.brevo.com/support"
	SupportEmail      = "contact@brevo.com"
	// CompromisedHelp is Brevo's help article for a compromised account.
	CompromisedHelp = "https://help.brevo.com/hc/en-us/articles/4409685261714-My-account-has-been-compromised-what-should-I-do"
)

// GraceWindow is how long an old key may keep working after it is deleted
// in the console. Neither the reference (providers.md §4) nor Brevo's help
// pages state one (a third-party page says Brevo invalidates a deleted key
// at once; not verified), and Brevo says nothing of how soon its SMTP relay
// drops a deleted SMTP key. reclaim assumes up to 10 minutes: Brevo's keys
// are deleted in the console only, so the dead-credential check (VerifyKey,
// VerifySMTP) is what proves the deletion, and it runs once after it and
// once more after this window. A refused first check is recorded as proof
// at once; the second only confirms it.
const GraceWindow = 10 * time.Minute

// ProcedureSteps is the checklist for Brevo's support, in the order of
// Brevo's help article "My account has been compromised, what should I
// do?" (CompromisedHelp): its first two steps (change the password;
// investigate) are Brevo's own; the rest are the security steps its help
// centre documents separately (API keys, SMTP keys, two-factor
// authentication, authorised IPs) and the reply on the ticket Brevo opens
// when it suspends a compromised account. The report states each one.
var ProcedureSteps = []string{
	"1. Change the login password (\"I forgot my password\" on the login page, or the My Profile page).",
	"2. Investigate how it happened and report the findings: no script planted on your website; no API key or script published on a public git platform; no malware on your computers (antivirus scan), including those whose mail client uses Brevo's SMTP; plugins, applications and CMS up to date.",
	"3. Delete every API key you did not create and replace the ones in use (Settings > SMTP & API > API Keys).",
	"4. Delete or deactivate every SMTP key you did not create and replace the ones in use (Settings > SMTP & API > SMTP).",
	"5. Enable two-factor authentication (Settings > Security) and remove users and invitations you do not know.",
	"6. Restrict API and SMTP access to your own IP addresses (Settings > Security > Authorised IPs).",
	"7. Answer the ticket Brevo opened (Support & tickets), stating that each step above is done, so Brevo can revalidate the account.",
}

// Info is the adapter's description.
var Info = provider.Info{
	ID:   "brevo",
	Name: "Brevo",
	Console: map[provider.Item]string{
		provider.ItemAPIKeys:   APIKeysPage,
		provider.ItemPassword:  PasswordPage,
		provider.ItemTwoFactor: AuthorisedIPsPage, // the Security page; 2FA is its own tab
		provider.ItemAccount:   ProfilePage,
		provider.ItemPayment:   BillingPage,
		provider.ItemTeammates: ConsoleHome,
		provider.ItemIPAccess:  AuthorisedIPsPage,
		provider.ItemWebhooks:  WebhooksPage,
		provider.ItemParse:     WebhooksPage,
		provider.ItemSenders:   SendersPage,
		provider.ItemActivity:  AuthorisedIPsPage, // lists the IPs that used your keys
		provider.ItemSupport:   SupportPage,
	},
	Support: provider.Support{
		Checklist: ProcedureSteps,
		URL:       SupportPage,
		Email:     SupportEmail,
		Instructions: "Brevo suspends an account it believes compromised and opens a support ticket itself: answer that ticket " +
			"(account menu > Support & tickets, " + SupportPage + "), or open one, or write to " + SupportEmail + ". " +
			"No ticket API exists. State that each step is done, with your findings (Brevo's help article: " + CompromisedHelp + "): " +
			strings.Join(ProcedureSteps, " "),
	},
	Quirks: []string{
		"Brevo's API cannot list, create, rotate or delete the account's API keys (only sub-accounts' keys): every key is reviewed and replaced in the console (" + APIKeysPage + "). reclaim proves an old key dead by calling GET /account with it (401).",
		"SMTP keys are not in the API either: create, deactivate and delete them in the console (" + SMTPKeysPage + "). The SMTP login itself is read from GET /account.",
		"Authorised IPs have no API endpoint in Brevo's spec: they are set in the console (" + AuthorisedIPsPage + "). One list serves API and SMTP keys. Add the address reclaim runs from BEFORE switching blocking on, or Brevo refuses reclaim's own calls with 401 \"unrecognised IP address\" (reclaim reports that as an IP block, never as a dead key). Brevo switches blocking on by itself after 30 days without a new IP.",
		"Brevo's API does not say which users have two-factor authentication: check each user in the console (Settings > Users) and enable 2FA under Settings > Security (Two-factor authentication tab); the deep links of those pages are not documented.",
		"The organisation activity log (logins and changes by IP) is available on the Enterprise plan only: on other plans it is reported as not available, and the Authorised IPs page shows the addresses that used your keys.",
		"Sub-accounts and admin users of a master account are read only on Enterprise master accounts; elsewhere Brevo refuses those calls and they are reported as not available.",
		"Webhooks are read for all three types (transactional, marketing and inbound parsing): Brevo's GET /webhooks returns only transactional ones unless asked.",
		"The last 30 days of mail come from the transactional events report (\"requests\" events, with subjects); marketing campaigns are not included. /smtp/emails is not used: it needs a recipient, template or message id.",
		"A deleted key's grace window is not documented: reclaim checks the old key right after you delete it in the console (one harmless GET /account, or an SMTP login for an SMTP key, that must be refused) and once more after 10 minutes.",
		"Removing a user revokes an active user's access or cancels a pending invitation; the account owner and the login email of the account are never removed.",
	},
	GraceWindow: GraceWindow,
	Credentials: []provider.CredentialField{
		{Env: "BREVO_API_KEY", Prompt: "Brevo API key", Help: "an API v3 key (xkeysib-…) from " + APIKeysPage},
	},
	BaseURLEnv: "RECLAIM_BREVO_BASE_URL",
	KeyHint:    "xkeysib-<64 hex>-<16 letters and digits> (SMTP keys: xsmtpsib-…)",
	// A leaked Brevo key names no key id: the console shows key names only.
	KeyIDHint:  "",
	LeakSearch: `"xkeysib-"`,
	// Brevo's API keys carry no scopes in the API (KeyScopes empty).
}

func init() {
	provider.Register(provider.Factory{Info: Info, New: func(cfg provider.Config) (provider.Provider, error) {
		return New(cfg)
	}})
}

// ErrNoCredential says the key is missing. It never carries the key.
var ErrNoCredential = errors.New("brevo needs an API key (BREVO_API_KEY)")

// Client is a Brevo account reached through its API. Its methods are safe
// for concurrent use.
type Client struct {
	http   *provider.HTTPClient
	key    string
	limits provider.Limits
	now    func() time.Time

	mu sync.Mutex
	// users remembers where each listed user came from (the organisation or
	// the master account's admin users), for RemoveTeammate.
	users map[string]userSource
	login string // the account's login email, from GET /account
}

// Options tunes a client (tests).
type Options struct {
	// Retries overrides the transport's retries (negative: none).
	Retries int
	// Backoff overrides the first retry wait.
	Backoff time.Duration
	// AttemptTimeout overrides the per-attempt timeout.
	AttemptTimeout time.Duration
	// MaxRateWait overrides the longest rate-limit wait.
	MaxRateWait time.Duration
	// MaxBody overrides the body cap.
	MaxBody int64
	// Now is the clock (default time.Now).
	Now func() time.Time
	// HTTPClient replaces the transport's http.Client (tests).
	HTTPClient *http.Client
}

// New builds a client from a config: Credential is the API key.
func New(cfg provider.Config) (*Client, error) { return NewWithOptions(cfg, Options{}) }

// NewWithOptions builds a client with tuning options.
func NewWithOptions(cfg provider.Config, o Options) (*Client, error) {
	key := strings.TrimSpace(cfg.Credential)
	if key == "" {
		return nil, ErrNoCredential
	}
	if strings.ContainsAny(key, "\r\n\t ") {
		return nil, errors.New("the Brevo API key holds spaces or line breaks: paste the key alone")
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	hc, err := provider.NewHTTPClient(provider.HTTPOptions{
		Name:           "Brevo",
		BaseURL:        raw,
		Auth:           keyAuth(key),
		ErrorMessage:   errorMessage,
		Rate:           RateHeaders,
		Retries:        o.Retries,
		Backoff:        o.Backoff,
		AttemptTimeout: o.AttemptTimeout,
		MaxRateWait:    o.MaxRateWait,
		MaxBody:        o.MaxBody,
		Now:            now,
		HTTPClient:     o.HTTPClient,
		Refine:         refine,
	})
	if err != nil {
		return nil, err
	}
	return &Client{http: hc, key: key, limits: cfg.Limits, now: now, users: map[string]userSource{}}, nil
}

// RateHeaders are Brevo's rate-limit headers (developers.brevo.com "Rate
// limit headers"): the reset is in seconds from now.
var RateHeaders = provider.RateHeaders{Limit: "x-sib-ratelimit-limit", Remaining: "x-sib-ratelimit-remaining", Reset: "x-sib-ratelimit-reset"}

// keyAuth sets the api-key header.
func keyAuth(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("api-key", key) }
}

// Info implements provider.Provider.
func (c *Client) Info() provider.Info { return Info }

// OnRateLimit implements provider.RateLimitNotifier.
func (c *Client) OnRateLimit(fn func(wait time.Duration)) { c.http.OnRateLimit(fn) }
