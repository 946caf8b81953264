// Package mailjet is reclaim's adapter for Mailjet's v3 REST API.
//
// Mailjet authenticates with a key pair (public API key and secret key) over
// HTTP Basic auth. Its API lists and creates keys, deactivates sub-account
// keys (there is no delete, and the master key cannot be deactivated: its
// secret is reset in the console), lists who can access which key, the user's
// last login, senders and domains, event callback URLs, parse routes and
// messages with their subjects. Everything else (password, 2FA, users,
// billing, support) is a guided console step.
package mailjet

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// DefaultBaseURL is Mailjet's API host.
const DefaultBaseURL = "https://api.mailjet.com"

// APIKeysPage is the console page where the master secret is reset.
const APIKeysPage = "https://app.mailjet.com/account/apikeys"

// GraceWindow is how long Mailjet's SMTP relay may keep accepting an old
// secret after a reset ("more than an hour"; the API refuses it at once).
const GraceWindow = 75 * time.Minute

// ProcedureSteps are Mailjet's published steps for a compromised account, in
// its order; the completion report states each one as done.
var ProcedureSteps = []string{
	"1. Investigate how the credentials leaked (leaked credentials, vulnerable WordPress sites, exposed PHP environment configurations of Apache, Laravel or Node apps; public repositories; ask the hosting provider) and report the findings.",
	"2. Reset the secret API keys: the master secret in the console, and every sub-account key.",
	"3. Reset the account password.",
	"4. Enable two-factor authentication.",
	"5. Tell Mailjet support that all of the above is done, so they can verify and re-enable the account.",
}

// Info is the adapter's description.
var Info = provider.Info{
	ID:   "mailjet",
	Name: "Mailjet",
	Console: map[provider.Item]string{
		provider.ItemAPIKeys:   APIKeysPage,
		provider.ItemPassword:  "https://app.mailjet.com/account",
		provider.ItemTwoFactor: "https://app.mailjet.com/account",
		provider.ItemAccount:   "https://app.mailjet.com/account",
		provider.ItemPayment:   "https://app.mailjet.com/account/billing",
		provider.ItemTeammates: "https://app.mailjet.com/account",
		provider.ItemWebhooks:  "https://app.mailjet.com/account/triggers",
		provider.ItemSenders:   "https://app.mailjet.com/account/sender",
		provider.ItemMessages:  "https://app.mailjet.com/stats",
		provider.ItemSupport:   "https://documentation.mailjet.com/hc/en-us",
	},
	Support: provider.Support{
		Checklist:  ProcedureSteps,
		URL:        "https://documentation.mailjet.com/hc/en-us",
		TicketOnly: true,
		Instructions: "Log in to Mailjet and open a support ticket from the app (Help, then Contact support); no ticket API exists. " +
			"Mailjet re-enables the account once you state that each of its five steps is done, with your findings: " +
			strings.Join(ProcedureSteps, " "),
	},
	Quirks: []string{
		"A Mailjet credential is a pair: the API key (public) and the secret key. reclaim needs both.",
		"The master key cannot be deactivated or deleted through the API: its secret is reset in the console (" + APIKeysPage + "). If reclaim is using the master key, restart it with the new secret after the reset; progress is saved.",
		"Sub-account keys are deactivated (IsActive false), never deleted: Mailjet has no delete for keys. Deactivated keys stay listed as evidence.",
		"After a secret reset the API refuses the old secret at once, but the SMTP relay (in-v3.mailjet.com) keeps accepting it for more than an hour: re-check after the grace window.",
		"Mailjet has no IP allow list, no mail-forwarding settings and no subusers; users who share the account are listed (apikeyaccess) but invited and removed in the console only.",
		"Only the first and last login address and the last login time are available: there is no login history.",
		"Mail sent under sub-account keys is billed to the main account.",
		"Console pages for password, 2FA and users are under Account settings; their deep links are not documented.",
	},
	GraceWindow: GraceWindow,
	Credentials: []provider.CredentialField{
		{Env: "MJ_APIKEY_PUBLIC", Prompt: "Mailjet API key", Help: "the public half of a key pair (32 hex characters), from " + APIKeysPage},
		{Env: "MJ_APIKEY_PRIVATE", Prompt: "Mailjet secret key", Help: "the secret half of the same pair"},
	},
	BaseURLEnv: "RECLAIM_MAILJET_BASE_URL",
	KeyHint:    "apikey:secret (32 hex characters each), or the secret alone",
	KeyIDHint:  "the API key itself: the public half of the pair (MJ_APIKEY_PUBLIC)",
	LeakSearch: "MJ_APIKEY_PRIVATE",
}

func init() {
	provider.Register(provider.Factory{Info: Info, New: func(cfg provider.Config) (provider.Provider, error) {
		return New(cfg)
	}})
}

// Client is a Mailjet account reached through its API. Its methods are safe
// for concurrent use.
type Client struct {
	base   *url.URL
	key    string // public API key
	secret string

	// The tuning below is read once, at the first call: set it before.

	// PageSize is the Limit of every list call (at most 1000).
	PageSize int
	// MaxAttempts bounds tries per call (retries only where safe).
	MaxAttempts int
	// Backoff is the first pause between retries; it doubles each time.
	Backoff time.Duration
	// MaxRetryAfter is the longest Retry-After reclaim waits out by itself
	// (default 20s, never more than provider.MaxRetryWait); a longer one,
	// however large, is returned at once as ErrRateLimited for the user to
	// decide, its RetryAfter capped at a day.
	MaxRetryAfter time.Duration
	// AttemptTimeout bounds each HTTP attempt.
	AttemptTimeout time.Duration
	// MaxBody caps a response body, success or error, in bytes (default 8
	// MiB, provider.DefaultMaxBody). Bodies over 512 KiB are read one at a
	// time (provider.BodyGate).
	MaxBody int64
	// Limits caps each list read (Config.Limits; zero fields take the
	// defaults, see provider.DefaultMaxPages).
	Limits provider.Limits

	hcOnce sync.Once
	hc     *provider.HTTPClient
	hcErr  error

	mu    sync.Mutex
	keyNo map[string]int64 // public API key -> numeric ID, from the last listing
}

// ErrNoCredential says the key pair is missing or malformed. It never
// carries the credential itself.
var ErrNoCredential = errors.New("mailjet needs the API key and the secret key (MJ_APIKEY_PUBLIC and MJ_APIKEY_PRIVATE)")

// New builds a client from a config: Credential is "apikey:secret".
func New(cfg provider.Config) (*Client, error) {
	key, secret, ok := splitPair(cfg.Credential)
	if !ok {
		return nil, ErrNoCredential
	}
	raw := cfg.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := provider.CheckBaseURL(raw)
	if err != nil {
		return nil, err
	}
	return &Client{
		base: base, key: key, secret: secret,
		PageSize:       1000,
		MaxAttempts:    3,
		Backoff:        500 * time.Millisecond,
		MaxRetryAfter:  20 * time.Second,
		AttemptTimeout: 30 * time.Second,
		MaxBody:        provider.DefaultMaxBody,
		Limits:         cfg.Limits,
		keyNo:          map[string]int64{},
	}, nil
}

// transport is the client's shared HTTP transport, built at the first call
// from the tuning fields.
func (c *Client) transport() (*provider.HTTPClient, error) {
	c.hcOnce.Do(func() {
		attempts := max(c.MaxAttempts, 1)
		retries := attempts - 1
		if retries == 0 {
			retries = -1 // the transport's "none"
		}
		wait := c.MaxRetryAfter
		if wait <= 0 || wait > provider.MaxRetryWait {
			wait = provider.MaxRetryWait
		}
		key, secret := c.key, c.secret
		c.hc, c.hcErr = provider.NewHTTPClient(provider.HTTPOptions{
			Name:         "Mailjet",
			BaseURL:      c.base.String(),
			Auth:         func(r *http.Request) { r.SetBasicAuth(key, secret) },
			ErrorMessage: errorMessage,
			// Mailjet sends no rate-limit headers: the limiter learns from
			// 429s and their Retry-After only.
			Retries:        retries,
			RateRetries:    retries,
			Backoff:        c.Backoff,
			AttemptTimeout: c.AttemptTimeout,
			MaxRateWait:    wait,
			MaxBody:        c.MaxBody,
			Conns:          8,
		})
	})
	return c.hc, c.hcErr
}

// section starts the budget of one list read.
func (c *Client) section(what string) *provider.Section { return c.Limits.Section(what) }

func splitPair(s string) (key, secret string, ok bool) {
	key, secret, ok = strings.Cut(strings.TrimSpace(s), ":")
	key, secret = strings.TrimSpace(key), strings.TrimSpace(secret)
	return key, secret, ok && key != "" && secret != ""
}

// Info implements provider.Provider.
func (c *Client) Info() provider.Info { return Info }

// SessionKeyID is the public API key reclaim is connected with: the engine
// never proposes to deactivate it.
func (c *Client) SessionKeyID() string { return c.key }
