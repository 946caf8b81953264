// Package twilio is reclaim's adapter for a Twilio account (Twilio's own
// REST APIs, not SendGrid's), and declares the leak-scanner detectors for
// Twilio credentials (Twilio also owns SendGrid, whose keys are in
// reclaim/provider/sendgrid).
//
// What the API covers (../shared/reference/providers.md §3, the official
// OpenAPI documents in ../shared/specs/twilio/):
//
//   - the account and its subaccounts (2010 API /Accounts.json): list,
//     suspend, reactivate;
//   - API keys (IAM v1 /v1/Keys): list with their flags and, for restricted
//     keys, their policy; create restricted keys (least privilege first) or
//     standard keys; revoke; verify a key or token with a harmless read;
//   - the auth token (Accounts v1 /v1/AuthTokens): create a secondary
//     token, prove it works, promote it (the old token dies at once);
//   - Monitor events of the last 30 days (/v1/Events): logins, key
//     creation and the addresses they came from;
//   - incoming phone numbers' webhook URLs (SMS, voice, fallbacks, status
//     callbacks), so that URLs pointing off-domain can be reviewed.
//
// Password, two-factor authentication, IP access, users, payment, TwiML
// apps and Messaging Services stay guided console steps (Info.Console), as
// for SendGrid accounts on Twilio unified login. Messaging Services (their
// inbound request URLs override the numbers' own) live in the Messaging v1
// API, whose official document is not among ../shared/specs/twilio/: with no
// spec the fake and the Prism contract test cannot check the adapter against,
// they are a guided step.
//
// Twilio serves each product from its own host (api., iam., accounts.,
// monitor.twilio.com). RECLAIM_TWILIO_BASE_URL (Config.BaseURL) points all of
// them at one base URL: their paths do not collide, and the fake
// (twiliofake) serves them all on one loopback server.
//
// # twilio-go
//
// twilio-go (the official, generated SDK) is deliberately not used, not even
// its typed rest/... sub-packages. Every request must go through the shared
// transport, provider.HTTPClient (loopback-only plain http, body caps, no
// redirects, retries only where safe, sanitized typed errors, the shared rate
// limiter), which twilio-go's own client does not provide; what would remain
// are its model structs, and those are pointer-per-field types whose
// packages also import twilio-go's client and its dependencies (23 modules in
// the graph, providers.md §10). The twenty-odd fields reclaim reads are
// declared here in about sixty lines (types.go), which also lets the
// decoders skip what must never be held: the account resource's auth_token,
// which Twilio returns for every subaccount.
package twilio

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// Hosts (each spec's "servers").
const (
	APIBaseURL      = "https://api.twilio.com"      // 2010-04-01: accounts, keys, phone numbers
	IAMBaseURL      = "https://iam.twilio.com"      // IAM v1: keys with policies
	AccountsBaseURL = "https://accounts.twilio.com" // Accounts v1: auth tokens
	MonitorBaseURL  = "https://monitor.twilio.com"  // Monitor v1: events
)

// Environment.
const (
	// BaseURLEnv points every Twilio host at one base URL (tests, a fake).
	BaseURLEnv = "RECLAIM_TWILIO_BASE_URL"
	// AccountSIDEnv holds the Account SID (AC + 32 hex), always needed.
	AccountSIDEnv = "TWILIO_ACCOUNT_SID"
	// AuthTokenEnv holds the auth token, or an API key as "SK…:secret".
	AuthTokenEnv = "TWILIO_AUTH_TOKEN"
	// APIKeyEnv and APISecretEnv hold an API key pair instead (Twilio's
	// own SDKs read these names); they stand for the auth token field.
	APIKeyEnv    = "TWILIO_API_KEY"
	APISecretEnv = "TWILIO_API_SECRET"
)

// Console pages. Twilio documents none of these deep links
// (providers.md §11.3): the API keys page was seen in third-party material,
// the www.twilio.com/console/... pages are the legacy paths Twilio's help
// articles link to, which redirect into the current Console.
const (
	console          = "https://console.twilio.com"
	APIKeysPage      = console + "/us1/account/keys-credentials/api-keys"
	UserSettingsPage = "https://www.twilio.com/console/user/settings"
	ProjectPage      = "https://www.twilio.com/console/project/settings"
	NumbersPage      = console + "/us1/develop/phone-numbers/manage/incoming"
	ServicesPage     = console + "/us1/develop/sms/services"
	SubaccountsPage  = "https://www.twilio.com/console/project/subaccounts"
	EventsPage       = "https://www.twilio.com/console/events"
	HelpCenter       = "https://help.twilio.com"
)

// GraceWindow is 0: promoting a secondary auth token makes "all requests
// using the old primary Auth Token … result in an error" (Twilio's Accounts
// v1 docs, providers.md §3), and a deleted API key is refused at once (the
// docs give no grace period for keys).
const GraceWindow = 0

// ProcedureSteps are Twilio's published steps for an account takeover, from
// its help article "Proactive Steps for Customers Experiencing Account
// Takeover" (help.twilio.com, formerly support.twilio.com article
// 360021347073) and the "Contain: ATO - Account Sanitization" section of its
// fraud response guide (twilio.com/docs/usage/fraud-response-guide/contain).
var ProcedureSteps = []string{
	"1. Search public code and paste sites for your Account SID and credentials, and remove what you find.",
	"2. Rotate the auth token: request a secondary token, promote it to primary (the old one stops working), and update every app that used it, including webhook signature validation.",
	"3. Delete the API keys you do not recognise, and replace every key that was exposed.",
	"4. Change the password of every user of the account and turn on two-factor authentication.",
	"5. Remove users you did not invite.",
	"6. Check the webhook URLs of your phone numbers, Messaging Services and TwiML apps, and restore your own.",
	"7. Suspend or close subaccounts you did not create; each has its own auth token and API keys.",
	"8. Review Monitor events, message and call logs and geo permissions, then tell Twilio Support what you did.",
}

// Scopes a new key can be given: restricted-key permissions, least
// privileged first, and "standard" (Twilio's Standard key type: every API
// except accounts and keys).
const (
	PermSendMessages = "/twilio/messaging/messages/create"
	PermReadMessages = "/twilio/messaging/messages/read"
	PermListMessages = "/twilio/messaging/messages/list"
	PermCreateCalls  = "/twilio/voice/calls/create"
	PermReadCalls    = "/twilio/voice/calls/read"
	ScopeStandard    = "standard"
)

// DefaultPolicy is what a key created without scopes may do: send messages,
// nothing else.
var DefaultPolicy = []string{PermSendMessages}

// Info describes the Twilio adapter.
var Info = provider.Info{
	ID:   "twilio",
	Name: "Twilio",
	Console: map[provider.Item]string{
		provider.ItemAPIKeys:     APIKeysPage,
		provider.ItemPassword:    UserSettingsPage,
		provider.ItemTwoFactor:   UserSettingsPage,
		provider.ItemAccount:     ProjectPage,
		provider.ItemPayment:     "https://www.twilio.com/console/billing",
		provider.ItemTeammates:   "https://www.twilio.com/console/project/users",
		provider.ItemIPAccess:    console,
		provider.ItemWebhooks:    NumbersPage,
		provider.ItemSubusers:    SubaccountsPage,
		provider.ItemActivity:    EventsPage,
		provider.ItemSecurityLog: EventsPage,
		provider.ItemMessages:    console + "/us1/monitor/logs/sms",
		provider.ItemSupport:     HelpCenter,
	},
	Support: provider.Support{
		Checklist:  ProcedureSteps,
		URL:        HelpCenter,
		TicketOnly: true,
		Instructions: "Log in to the Twilio Console and open a ticket from " + HelpCenter + " (Help, then Contact support); " +
			"support.twilio.com was retired in February 2024 and no ticket API exists. If Twilio suspended the account, reply to its " +
			"suspension email instead. Say the account was taken over, list what you did, and paste the completion report.",
	},
	Quirks: []string{
		"reclaim needs the Account SID (TWILIO_ACCOUNT_SID) and the auth token (TWILIO_AUTH_TOKEN), or a Main API key given as SK…:secret in TWILIO_AUTH_TOKEN. Standard and restricted keys cannot read keys or subaccounts.",
		"Main API keys can only be created in the Console (" + APIKeysPage + "); reclaim creates restricted keys (send messages only, unless you choose more) or, when you ask, a standard key.",
		"Restricted keys cannot mint Access Tokens for Twilio's client SDKs (Voice, Video, Conversations): such apps need a standard key.",
		"Rotating the auth token ends the old token at once: every app using it, and every check of the X-Twilio-Signature webhook header, must switch to the new token. API keys are not affected.",
		"Each subaccount has its own auth token, rotated in the Console while switched to that subaccount; reclaim suspends subaccounts you do not recognise instead.",
		"Messaging Services (" + ServicesPage + ") and TwiML apps can override a number's webhook URLs; reclaim lists the numbers' own URLs, review those two in the Console.",
		"Password, two-factor authentication, IP access and users are managed in the Twilio Console, as for SendGrid accounts on Twilio unified login.",
		"Monitor events keep 30 days on the free tier (13 months with the Security or Enterprise editions). Whether Console logins are recorded there is not documented.",
	},
	GraceWindow: GraceWindow,
	Credentials: []provider.CredentialField{
		{Env: AccountSIDEnv, Prompt: "Twilio Account SID", Help: "AC followed by 32 hex characters, on the Console's home page and at " + APIKeysPage},
		{Env: AuthTokenEnv, Alt: []string{APIKeyEnv, APISecretEnv}, Prompt: "Twilio auth token (or a Main API key as SK…:secret)", Help: "the account's auth token (32 hex characters) from " + APIKeysPage + ", or a Main API key's SID and secret joined by a colon (" + APIKeyEnv + " and " + APISecretEnv + " in the environment)"},
	},
	BaseURLEnv: BaseURLEnv,
	KeyScopes:  []string{PermSendMessages, PermReadMessages, PermListMessages, PermCreateCalls, PermReadCalls, ScopeStandard},
	ScopePresets: []provider.ScopePreset{
		{Value: PermSendMessages, Label: "Send messages only (restricted key, recommended)"},
		{Value: PermSendMessages + "," + PermReadMessages, Label: "Send messages and read their status (restricted key)"},
		{Value: PermSendMessages + "," + PermReadMessages + "," + PermCreateCalls + "," + PermReadCalls, Label: "Messages and voice calls (restricted key)"},
		{Value: ScopeStandard, Label: "Standard key: every API except accounts and keys (apps that mint Access Tokens)"},
	},
	KeyHint:    "an API key SID (SK + 32 hex) with its 32-character secret, or the Account SID (AC + 32 hex) with its auth token (32 hex)",
	KeyIDHint:  "a leaked API key secret sits next to its key SID (SK…); a leaked auth token sits next to the Account SID (AC…), and then the auth token is what to rotate",
	LeakSearch: "your Account SID (AC…), TWILIO_AUTH_TOKEN, TWILIO_API_SECRET",
}

func init() {
	provider.Register(provider.Factory{Info: Info, New: func(cfg provider.Config) (provider.Provider, error) {
		return New(cfg)
	}})
}

// Options tune the client; the zero value gives the transport's defaults
// (provider.HTTPOptions).
type Options struct {
	Retries, RateRetries int
	Backoff              time.Duration
	AttemptTimeout       time.Duration
	MaxRateWait          time.Duration
	MaxBody              int64
	// PageSize is the PageSize of every list call (1..1000, default 1000).
	PageSize int
	// HTTPClient replaces the transport's (tests only).
	HTTPClient *http.Client
	// Now is the clock (tests).
	Now func() time.Time
}

// Client is a Twilio account reached through its REST APIs. Its methods are
// safe for concurrent use.
type Client struct {
	account string // the Account SID
	keySID  string // the API key SID reclaim connects with ("" for the auth token)

	credMu sync.RWMutex
	secret string     // the auth token or the key's secret
	rotMu  sync.Mutex // one auth-token rotation at a time

	api, iam, accounts, monitor *provider.HTTPClient

	limits   provider.Limits
	pageSize int
	now      func() time.Time

	fanMu    sync.Mutex // one subaccount listing at a time for the fan-out
	mu       sync.Mutex
	keyOwner map[string]string // key SID -> owning account SID, from ListKeys
	subs     []subaccount      // cached subaccount listing (fan-out)
	subsAt   time.Time
}

// ErrNoCredential says the credential is missing or malformed. It never
// carries the credential itself.
var ErrNoCredential = errors.New("twilio needs the Account SID (" + AccountSIDEnv + ", AC + 32 hex) and the auth token (" + AuthTokenEnv + "), or a Main API key as SK…:secret in " + AuthTokenEnv)

// New builds a client from the config: Credential is "AccountSid:AuthToken"
// or "AccountSid:KeySid:KeySecret"; BaseURL (else RECLAIM_TWILIO_BASE_URL)
// replaces every Twilio host.
func New(cfg provider.Config) (*Client, error) { return NewWithOptions(cfg, Options{}) }

// NewWithOptions is New with tuning.
func NewWithOptions(cfg provider.Config, o Options) (*Client, error) {
	account, keySID, secret, err := parseCredential(cfg.Credential)
	if err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PageSize <= 0 || o.PageSize > 1000 {
		o.PageSize = 1000
	}
	c := &Client{account: account, keySID: keySID, secret: secret, limits: cfg.Limits, pageSize: o.PageSize, now: o.Now, keyOwner: map[string]string{}}
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = strings.TrimSpace(os.Getenv(BaseURLEnv))
	}
	hosts := []struct {
		dst *(*provider.HTTPClient)
		url string
	}{{&c.api, APIBaseURL}, {&c.iam, IAMBaseURL}, {&c.accounts, AccountsBaseURL}, {&c.monitor, MonitorBaseURL}}
	for _, h := range hosts {
		u := h.url
		if base != "" {
			u = base
		}
		hc, err := provider.NewHTTPClient(provider.HTTPOptions{
			Name: "Twilio", BaseURL: u, Auth: c.auth, ErrorMessage: errorMessage, Refine: refine,
			Retries: o.Retries, RateRetries: o.RateRetries, Backoff: o.Backoff, AttemptTimeout: o.AttemptTimeout,
			MaxRateWait: o.MaxRateWait, MaxBody: o.MaxBody, HTTPClient: o.HTTPClient, Now: o.Now,
		})
		if err != nil {
			return nil, fmt.Errorf("twilio: %w", err)
		}
		*h.dst = hc
	}
	return c, nil
}

// parseCredential splits "AC…:token" or "AC…:SK…:secret".
func parseCredential(s string) (account, keySID, secret string, err error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	switch {
	case len(parts) == 2 && isSID(parts[0], "AC") && parts[1] != "":
		account, secret = parts[0], parts[1]
	case len(parts) == 3 && isSID(parts[0], "AC") && isSID(parts[1], "SK") && parts[2] != "":
		account, keySID, secret = parts[0], parts[1], parts[2]
	case len(parts) >= 1 && parts[0] != "" && !isSID(parts[0], "AC"):
		return "", "", "", fmt.Errorf("%w: the Account SID is not AC followed by 32 hex characters", ErrNoCredential)
	default:
		return "", "", "", ErrNoCredential
	}
	if strings.ContainsAny(secret, " \t\r\n") {
		return "", "", "", fmt.Errorf("%w: the token contains white space; paste it whole", ErrNoCredential)
	}
	return account, keySID, secret, nil
}

// isSID reports whether s is prefix + 32 hex characters.
func isSID(s, prefix string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := 2; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// auth sets the session's Basic credential (read under the lock: a rotated
// auth token replaces it).
func (c *Client) auth(r *http.Request) {
	c.credMu.RLock()
	user, pass := c.account, c.secret
	if c.keySID != "" {
		user = c.keySID
	}
	c.credMu.RUnlock()
	r.SetBasicAuth(user, pass)
}

// basic is an Auth func for another credential.
func basic(user, pass string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth(user, pass) }
}

// Info implements provider.Provider.
func (c *Client) Info() provider.Info { return Info }

// AccountSID is the Account SID reclaim is connected to.
func (c *Client) AccountSID() string { return c.account }

// SessionKeyID is the API key SID reclaim is connected with ("" when it
// uses the auth token): the engine never proposes to revoke it.
func (c *Client) SessionKeyID() string { return c.keySID }

// OnRateLimit implements provider.RateLimitNotifier.
func (c *Client) OnRateLimit(fn func(wait time.Duration)) {
	for _, hc := range []*provider.HTTPClient{c.api, c.iam, c.accounts, c.monitor} {
		hc.OnRateLimit(fn)
	}
}

// Compile-time checks: every capability Twilio's API supports.
var (
	_ provider.Provider           = (*Client)(nil)
	_ provider.AccountReader      = (*Client)(nil)
	_ provider.KeyLister          = (*Client)(nil)
	_ provider.KeyCreator         = (*Client)(nil)
	_ provider.KeyRevoker         = (*Client)(nil)
	_ provider.KeyVerifier        = (*Client)(nil)
	_ provider.SubuserLister      = (*Client)(nil)
	_ provider.SubuserDisabler    = (*Client)(nil)
	_ provider.SubuserEnabler     = (*Client)(nil)
	_ provider.WebhookLister      = (*Client)(nil)
	_ provider.ActivityLister     = (*Client)(nil)
	_ provider.SecretLister       = (*Client)(nil)
	_ provider.SecretRotator      = (*Client)(nil)
	_ provider.LeakMatcher        = (*Client)(nil)
	_ provider.RateLimitNotifier  = (*Client)(nil)
	_ provider.SessionKeyReporter = (*Client)(nil)
)
