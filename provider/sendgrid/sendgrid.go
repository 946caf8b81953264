// Package sendgrid is the Twilio SendGrid (v3 API) adapter: a small net/http
// client that implements every provider capability SendGrid's API supports
// (see ../shared/reference/providers.md §1 and the official OpenAPI files in
// ../shared/specs/sendgrid/).
//
// All requests share one bounded pool of connections and one rate limiter
// fed by the X-RateLimit-* headers, so a large account is read as fast as
// SendGrid allows and no faster. Every list is paginated in the endpoint's
// own style, to its end or to the caps of provider.Limits (pages, items and
// bytes per section; a repeated page also stops it), and a list stopped
// early returns what it read with a *provider.Truncation; every body,
// success or error, is capped and read within the request's deadline;
// redirects are never followed; passwords and key secrets are never stored
// or logged.
package sendgrid

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// Base URLs (spec "servers").
const (
	GlobalBaseURL = "https://api.sendgrid.com"
	EUBaseURL     = "https://api.eu.sendgrid.com"
	// BaseURLEnv overrides the base URL: a URL (https, or http to loopback),
	// or "global" / "eu".
	BaseURLEnv = "RECLAIM_SENDGRID_BASE_URL"
	// CredentialEnv holds the API key.
	CredentialEnv = "SENDGRID_API_KEY"
)

const console = "https://app.sendgrid.com"

// Info describes the SendGrid adapter.
var Info = provider.Info{
	ID:   "sendgrid",
	Name: "Twilio SendGrid",
	Console: map[provider.Item]string{
		provider.ItemAPIKeys:      console + "/settings/api_keys",
		provider.ItemPassword:     console + "/settings/account",
		provider.ItemTwoFactor:    console + "/settings/auth",
		provider.ItemAccount:      console + "/settings/account",
		provider.ItemPayment:      console + "/settings/billing",
		provider.ItemTeammates:    console + "/settings/teammates",
		provider.ItemIPAccess:     console + "/settings/access",
		provider.ItemWebhooks:     console + "/settings/mail_settings/webhook_settings",
		provider.ItemParse:        console + "/settings/parse",
		provider.ItemSubusers:     console + "/settings/subusers",
		provider.ItemMailSettings: console + "/settings/mail_settings",
		provider.ItemSenders:      console + "/settings/sender_auth",
		provider.ItemActivity:     console + "/settings/access",
		provider.ItemSecurityLog:  console + "/settings/access",
		provider.ItemMessages:     console + "/email_activity",
		provider.ItemSupport:      "https://support.sendgrid.com/hc/en-us",
	},
	Support: provider.Support{
		// The areas SendGrid's forced-reset FAQ asks to audit, plus the
		// password and 2FA.
		Checklist: []string{
			"Investigate where the credentials leaked",
			"Rotate secret API keys",
			"Reset the password",
			"Enrol two-factor authentication",
			"Audit account settings",
			"Audit payment methods",
			"Audit 2FA settings of every user",
			"Audit teammates",
			"Audit IP access management",
			"Audit webhooks",
			"Audit subusers",
			"Review mail sent in the last 30 days",
		},
		URL:        "https://support.sendgrid.com/hc/en-us",
		TicketOnly: true,
		Instructions: "Log in at support.sendgrid.com, choose \"Login & Contact Support\" and open a ticket " +
			"(if you cannot log in, use the \"Trouble Logging In\" path). Account takeovers and exposed " +
			"credentials are handled by SendGrid's Consumer Trust team, by ticket only (not chat): say the " +
			"account was compromised, and paste the completion report.",
	},
	Quirks: []string{
		"The very first API key of an account must be created in the web console (" + console + "/settings/api_keys); after that a key with the api_keys scopes can create more.",
		"A key created without scopes gets Full Access: reclaim always names the scopes it asks for.",
		"Accounts on Twilio unified login change the password, two-factor authentication and IP access in the Twilio Console (" + TwilioConsole + "), not in SendGrid.",
		"Each subuser has its own API keys, read through the on-behalf-of header; EU regional subusers use " + EUBaseURL + ".",
		"The Email Activity feed needs a paid add-on; Email Logs (POST /v3/logs) is newer. Without either, review the last 30 days of mail in the console.",
	},
	GraceWindow: 0,
	Credentials: []provider.CredentialField{{
		Env:    CredentialEnv,
		Prompt: "SendGrid API key",
		Help:   "An API key (SG.…) from " + console + "/settings/api_keys; the more scopes it has, the more reclaim can do for you.",
	}},
	BaseURLEnv:     BaseURLEnv,
	AltConsole:     UnifiedLoginConsole,
	AltConsoleName: "Twilio unified login",
	KeyScopes:      []string{"mail.send", "stats.read", "suppression.read", "templates.read", "marketing.read", "user.webhooks.event.settings.read", "api_keys.read", "mail_settings.read"},
	KeyHint:        "SG.<key id>.<secret>",
	KeyIDHint:      "the middle part of SG.<id>.<secret>",
	LeakSearch:     `"SG."`,
	ScopePresets: []provider.ScopePreset{
		{Value: "mail.send", Label: "Mail send only (recommended)"},
		{Value: "mail.send,stats.read", Label: "Mail send + stats"},
	},
}

// TwilioConsole is where accounts on Twilio unified login manage their
// password, two-factor authentication and IP access.
const TwilioConsole = "https://console.twilio.com"

// UnifiedLoginConsole replaces Info.Console entries for accounts on Twilio
// unified login: these items live in the Twilio Console there.
var UnifiedLoginConsole = map[provider.Item]string{
	provider.ItemPassword:  TwilioConsole,
	provider.ItemTwoFactor: TwilioConsole,
	provider.ItemIPAccess:  TwilioConsole,
	provider.ItemSupport:   "https://help.twilio.com",
}

func init() {
	provider.Register(provider.Factory{Info: Info, New: func(cfg provider.Config) (provider.Provider, error) {
		return New(cfg)
	}})
}

// Options tune the client; the zero value gives the defaults.
type Options struct {
	// Concurrency bounds the requests in flight (default 24).
	Concurrency int
	// RequestTimeout bounds one attempt (default 30s).
	RequestTimeout time.Duration
	// MaxRateWait caps the rate-limit waits of one call, together
	// (default provider.MaxRetryWait, 60s: SendGrid's windows are a
	// minute); a longer reset, X-RateLimit-Reset or Retry-After, however
	// large, fails the call at once with ErrRateLimited and its RetryAfter
	// (reported up to a day); a
	// longer reset fails with ErrRateLimited and its RetryAfter.
	MaxRateWait time.Duration
	// Retries is how many times an idempotent call is retried after a 5xx
	// or a failed connection (default 3). An attempt that times out
	// (RequestTimeout) is never retried.
	Retries int
	// RateRetries is how many 429s one call waits out (default 20).
	RateRetries int
	// Backoff is the first retry delay after a 5xx (default 250ms, doubled
	// each time, jittered).
	Backoff time.Duration
	// MaxBody caps a response body, success or error (default 8 MiB,
	// provider.DefaultMaxBody). Bodies over 512 KiB are read two at a time
	// (provider.BodyGate).
	MaxBody int64
	// Limits caps each list read (zero: Config.Limits, else the defaults;
	// see provider.DefaultMaxPages).
	Limits provider.Limits
	// Now is the clock (tests).
	Now func() time.Time
}

// Client is a SendGrid account seen through one API key.
type Client struct {
	base  string
	keyID string
	opts  Options
	hc    *provider.HTTPClient // auth, pool, rate limiter, retries, caps

	mu        sync.Mutex
	scopes    []string // cached GET /v3/scopes
	subusers  []provider.Subuser
	subusersE error // the cached listing's truncation, if any
	subusersT time.Time
	keyOwner  map[string]string // key id -> subuser ("" for the parent)
}

// New builds a client from the config: cfg.Credential is the API key,
// cfg.BaseURL (or RECLAIM_SENDGRID_BASE_URL) overrides the base URL.
func New(cfg provider.Config) (*Client, error) { return NewWithOptions(cfg, Options{}) }

// NewWithOptions is New with tuning.
func NewWithOptions(cfg provider.Config, o Options) (*Client, error) {
	key := strings.TrimSpace(cfg.Credential)
	if key == "" {
		return nil, fmt.Errorf("sendgrid: no API key (set %s)", CredentialEnv)
	}
	if strings.ContainsAny(key, "\r\n\t ") {
		return nil, fmt.Errorf("sendgrid: the API key contains white space; paste it whole")
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = os.Getenv(BaseURLEnv)
	}
	switch strings.ToLower(raw) {
	case "", "global", "us":
		raw = GlobalBaseURL
	case "eu":
		raw = EUBaseURL
	}
	u, err := provider.CheckBaseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("sendgrid: %w", err)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 24
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	if o.MaxRateWait <= 0 {
		o.MaxRateWait = provider.MaxRetryWait
	}
	if o.Retries == 0 {
		o.Retries = 3
	}
	if o.Retries < 0 {
		o.Retries = 0
	}
	if o.RateRetries <= 0 {
		o.RateRetries = 20
	}
	if o.Backoff <= 0 {
		o.Backoff = 250 * time.Millisecond
	}
	if o.MaxBody <= 0 {
		o.MaxBody = provider.DefaultMaxBody
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Limits == (provider.Limits{}) {
		o.Limits = cfg.Limits
	}
	o.Limits = o.Limits.WithDefaults()
	retries := o.Retries
	if retries == 0 {
		retries = -1 // the transport's "none"
	}
	hc, err := provider.NewHTTPClient(provider.HTTPOptions{
		Name:           "SendGrid",
		BaseURL:        u.String(),
		Auth:           bearer(key),
		ErrorMessage:   errorMessage,
		Rate:           rateHeaders,
		Retries:        retries,
		RateRetries:    o.RateRetries,
		Backoff:        o.Backoff,
		AttemptTimeout: o.RequestTimeout,
		MaxRateWait:    o.MaxRateWait,
		MaxBody:        o.MaxBody,
		Conns:          o.Concurrency,
		Now:            o.Now,
		Refine:         refine,
	})
	if err != nil {
		return nil, fmt.Errorf("sendgrid: %w", err)
	}
	c := &Client{
		base:     strings.TrimRight(u.String(), "/"),
		keyID:    KeyID(key),
		opts:     o,
		hc:       hc,
		keyOwner: map[string]string{},
	}
	return c, nil
}

// Info implements provider.Provider.
func (c *Client) Info() provider.Info { return Info }

// BaseURL is the API base URL in use.
func (c *Client) BaseURL() string { return c.base }

// KeyID returns the id (middle part) of an SG.<id>.<secret> key, or "".
func KeyID(key string) string {
	parts := strings.Split(strings.TrimSpace(key), ".")
	if len(parts) != 3 || parts[0] != "SG" || parts[1] == "" {
		return ""
	}
	return parts[1]
}

// SessionKeyID is the id of the key reclaim itself uses (never flagged as
// unknown, never revoked before its replacement works).
func (c *Client) SessionKeyID() string { return c.keyID }

// OnRateLimit implements provider.RateLimitNotifier.
func (c *Client) OnRateLimit(fn func(wait time.Duration)) { c.hc.OnRateLimit(fn) }

// RateWaited is how long rate limits have made this client's calls wait.
func (c *Client) RateWaited() time.Duration { return c.hc.RateWaited() }

// Compile-time checks: every capability SendGrid's API supports.
var (
	_ provider.Provider            = (*Client)(nil)
	_ provider.AccountReader       = (*Client)(nil)
	_ provider.KeyLister           = (*Client)(nil)
	_ provider.KeyCreator          = (*Client)(nil)
	_ provider.KeyRevoker          = (*Client)(nil)
	_ provider.KeyVerifier         = (*Client)(nil)
	_ provider.TeammateLister      = (*Client)(nil)
	_ provider.TeammateRemover     = (*Client)(nil)
	_ provider.SubuserLister       = (*Client)(nil)
	_ provider.SubuserDisabler     = (*Client)(nil)
	_ provider.WebhookLister       = (*Client)(nil)
	_ provider.WebhookDeleter      = (*Client)(nil)
	_ provider.MailSettingsLister  = (*Client)(nil)
	_ provider.MailSettingDisabler = (*Client)(nil)
	_ provider.SenderLister        = (*Client)(nil)
	_ provider.AllowListReader     = (*Client)(nil)
	_ provider.AllowListWriter     = (*Client)(nil)
	_ provider.ActivityLister      = (*Client)(nil)
	_ provider.MessageLister       = (*Client)(nil)
	_ provider.PasswordChanger     = (*Client)(nil)
	_ provider.PermissionReporter  = (*Client)(nil)
	_ provider.RateLimitNotifier   = (*Client)(nil)
)
