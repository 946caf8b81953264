// Package mailgun is reclaim's adapter for Mailgun (US and EU regions), a
// small client hand-written on the shared transport (provider.HTTPClient)
// from Mailgun's own OpenAPI document (../shared/specs/mailgun/openapi.yaml)
// and ../shared/reference/providers.md §2. mailgun-go is not used: it lacks
// the IP allow list, users and signing-key endpoints, and its v5 pulls a
// heavy module graph (providers.md §10).
//
// What the API allows, the adapter does: API keys (list, create by role,
// delete, verify), users with their 2FA state (read only), the IP allow
// list (read, add), domains, event webhooks per domain, each domain's
// archive_to URL and inbound routes (list, delete what forwards mail
// elsewhere), subaccounts (list, disable, enable), SMTP credentials and the
// webhook signing key (list, reset), and the last 30 days of mail with
// subjects (the Logs API, else the Events API). Everything else (password,
// 2FA enrolment, removing users, billing, support) is a guided console step.
//
// Every list is bounded by provider.Limits; next-page links pass through
// HTTPClient.SameOrigin, so a link to another host never receives the key;
// every string from the server is clipped here and sanitized where it is
// shown; key secrets and passwords are never stored.
package mailgun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// Base URLs (spec "servers") and the environment.
const (
	USBaseURL = "https://api.mailgun.net"
	EUBaseURL = "https://api.eu.mailgun.net"
	// BaseURLEnv overrides the base URL: a URL (https, or http to
	// loopback), or "us" / "eu". It wins over RegionEnv.
	BaseURLEnv = "RECLAIM_MAILGUN_BASE_URL"
	// RegionEnv picks the region: "eu" for accounts created in Mailgun's EU
	// region, "us" (the default) otherwise. A key works only in its own
	// region: the other one refuses it as an invalid key.
	RegionEnv = "MAILGUN_REGION"
	// CredentialEnv holds the API key.
	CredentialEnv = "MAILGUN_API_KEY"
)

const console = "https://app.mailgun.com"

// ProcedureSteps are Mailgun's published steps for a compromised account
// (help.mailgun.com, "What do I do if my Mailgun account has been
// compromised?", the support channel of providers.md §7), in its order; the
// completion report states each one.
var ProcedureSteps = []string{
	"1. Investigate how the credentials leaked (vulnerable WordPress sites, exposed PHP environment configurations of Apache, Laravel, Node.js or similar frameworks, public repositories, the hosting provider) and report the findings to Mailgun.",
	"2. Delete the impacted API keys and replace them with new keys.",
	"3. Reset the postmaster and custom SMTP credentials of every domain.",
	"4. Reset the password of every user with access to the account.",
	"5. Enable two-factor authentication for every user with access to the account.",
	"6. Tell Mailgun support that all of the above is done, so they can re-enable the account.",
}

// Roles a new key can take (spec POST /v1/keys "role"), least privileged
// first for what a replacement key is for: "sending" keys only send, for
// one domain (kind "domain"); "basic" (analyst) only reads; "developer"
// manages sending setup; "admin" can do everything, and is never a default.
const (
	RoleSending   = "sending"
	RoleBasic     = "basic"
	RoleDeveloper = "developer"
	RoleAdmin     = "admin"
)

// DomainScope, followed by a domain name, names the domain of a sending key
// among CreateKey's scopes ("domain:mg.example.com").
const DomainScope = "domain:"

// Info describes the Mailgun adapter.
//
// Console links: the API keys page (providers.md §2, Mailgun's help
// centre), the domains page (where each domain's webhooks and SMTP
// credentials are) and the routes page are seen in public material; the
// settings pages for the profile (password, 2FA), users, billing, the
// account and subaccounts, and the logs page are unverified deep links,
// like the reference's password and payment pages.
var Info = provider.Info{
	ID:   "mailgun",
	Name: "Mailgun",
	Console: map[provider.Item]string{
		provider.ItemAPIKeys:     console + "/settings/api_security",
		provider.ItemPassword:    console + "/settings/profile",
		provider.ItemTwoFactor:   console + "/settings/profile",
		provider.ItemAccount:     console + "/settings/account",
		provider.ItemPayment:     console + "/settings/billing",
		provider.ItemTeammates:   console + "/settings/users",
		provider.ItemIPAccess:    console + "/settings/api_security",
		provider.ItemWebhooks:    console + "/mg/sending/domains",
		provider.ItemParse:       console + "/mg/receiving/routes",
		provider.ItemSubusers:    console + "/settings/subaccounts",
		provider.ItemSenders:     console + "/mg/sending/domains",
		provider.ItemMessages:    console + "/mg/reporting/logs",
		provider.ItemSecurityLog: console + "/mg/reporting/logs",
		provider.ItemSupport:     "https://help.mailgun.com/hc/en-us",
	},
	Support: provider.Support{
		Checklist:  ProcedureSteps,
		URL:        "https://help.mailgun.com/hc/en-us",
		TicketOnly: true,
		Instructions: "Open a ticket from the Support option of the Mailgun control panel (" + console + "); no ticket API exists. " +
			"Say the account was compromised and paste the completion report: Mailgun re-enables the account once it can confirm each of its steps is done: " +
			strings.Join(ProcedureSteps, " "),
	},
	Quirks: []string{
		"Accounts in Mailgun's EU region use " + EUBaseURL + ": set " + RegionEnv + "=eu (or " + BaseURLEnv + "=eu). A key sent to the other region is refused as an invalid key.",
		"Mailgun's API has no account endpoint, no login history and no way to invite or remove users, change a password or enrol 2FA: those are console steps. reclaim reads each user's 2FA state (GET /v5/users).",
		"Access activity is not available: the Logs API records which key and address sent each message (api-key-id, originating-ip), not logins or other API calls.",
		"Which key reclaim itself uses cannot be read from the API; reclaim recognises it only when a newer-format key's last two parts equal a listed key id (unverified: providers.md §8), and then never deletes it. Legacy key-… keys name no id.",
		"SMTP credentials are per domain and separate from API keys: resetting one sets a new password reclaim generates and shows once; the old password stops at once.",
		"Event webhooks are per domain; inbound routes are per account. A route that forward()s mail to an outside address or URL, or store(notify=…) to an outside URL, and a domain's archive_to URL (a copy of every delivered message) are findings.",
		"Web keys (kind \"web\") are created by console logins, expire within a day and bypass the IP allow list.",
		"The IP allow list, once it has entries, refuses API calls from every other address (web keys excepted): add your own address first.",
		"Rate-limit headers are not documented: reclaim waits out a 429's Retry-After.",
		"The Logs API keeps mail for your plan's retention (the Events API at least 3 days): older mail is not listed.",
	},
	// The reference gives no grace window for Mailgun: a deleted key and a
	// reset SMTP password stop working at once, as far as it records.
	GraceWindow: 0,
	Credentials: []provider.CredentialField{{
		Env:    CredentialEnv,
		Prompt: "Mailgun API key",
		Help:   "An account API key with the admin role, from " + console + "/settings/api_security (US) or the EU control panel; set " + RegionEnv + "=eu for an EU account.",
	}},
	BaseURLEnv: BaseURLEnv,
	KeyScopes:  []string{RoleSending, RoleBasic, RoleDeveloper, RoleAdmin},
	ScopePresets: []provider.ScopePreset{
		{Value: RoleSending, Label: "Sending only: a domain sending key (least privilege; for apps that only send)"},
		{Value: RoleDeveloper, Label: "Developer: sending and domain setup, no account administration"},
	},
	KeyHint:    "key-<32 hex> (legacy) or <32 hex>-<8 hex>-<8 hex>",
	KeyIDHint:  "",
	LeakSearch: `MAILGUN_API_KEY OR "api.mailgun.net" OR "key-"`,
}

func init() {
	provider.Register(provider.Factory{Info: Info, New: func(cfg provider.Config) (provider.Provider, error) {
		return New(cfg)
	}})
}

// Options tune the client; the zero value gives the defaults.
type Options struct {
	// Retries, RateRetries, Backoff, AttemptTimeout, MaxRateWait, MaxBody
	// and Conns go to the shared transport (provider.HTTPOptions).
	Retries        int
	RateRetries    int
	Backoff        time.Duration
	AttemptTimeout time.Duration
	MaxRateWait    time.Duration
	MaxBody        int64
	Conns          int
	// Limits caps each list read (zero: Config.Limits, else the defaults).
	Limits provider.Limits
	// Region is "us" or "eu" ("" reads RegionEnv).
	Region string
	// Now is the clock (tests).
	Now func() time.Time
	// DomainsTTL is how long a domain list read for per-domain calls is
	// reused (default 30s).
	DomainsTTL time.Duration
}

// Client is a Mailgun account seen through one API key. It is safe for
// concurrent use.
type Client struct {
	http   *provider.HTTPClient
	key    string
	opts   Options
	region string

	fetchMu   sync.Mutex // one domain listing at a time
	mu        sync.Mutex
	domains   []domain
	domainsE  error // the cached listing's truncation, if any
	domainsAt time.Time
	listed    map[string]bool   // key ids seen in the last key listing
	keySub    map[string]string // key id -> the subaccount it was listed for
	// sendingKeys maps the SHA-256 of a sending key created here to its
	// domain (VerifyKey), never the key itself.
	sendingKeys map[[32]byte]string
	no2FA       []string // users the last listing showed without 2FA
}

// New builds a client: cfg.Credential is the API key; cfg.BaseURL (from
// RECLAIM_MAILGUN_BASE_URL) overrides the base URL, else MAILGUN_REGION
// picks US or EU.
func New(cfg provider.Config) (*Client, error) { return NewWithOptions(cfg, Options{}) }

// NewWithOptions is New with tuning.
func NewWithOptions(cfg provider.Config, o Options) (*Client, error) {
	key := strings.TrimSpace(cfg.Credential)
	if key == "" {
		return nil, fmt.Errorf("mailgun: no API key (set %s)", CredentialEnv)
	}
	if strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, fmt.Errorf("mailgun: the API key contains white space or control characters; paste it whole")
	}
	region := strings.ToLower(strings.TrimSpace(o.Region))
	if region == "" {
		region = strings.ToLower(strings.TrimSpace(os.Getenv(RegionEnv)))
	}
	raw := strings.TrimSpace(cfg.BaseURL)
	switch strings.ToLower(raw) {
	case "us":
		raw, region = "", "us"
	case "eu":
		raw, region = "", "eu"
	}
	switch region {
	case "", "us":
		region = "us"
		if raw == "" {
			raw = USBaseURL
		}
	case "eu":
		if raw == "" {
			raw = EUBaseURL
		}
	default:
		return nil, fmt.Errorf("mailgun: %s must be \"us\" or \"eu\", not %q", RegionEnv, provider.SanitizeN(region, 20))
	}
	if o.Limits == (provider.Limits{}) {
		o.Limits = cfg.Limits
	}
	o.Limits = o.Limits.WithDefaults()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.DomainsTTL <= 0 {
		o.DomainsTTL = 30 * time.Second
	}
	c := &Client{key: key, opts: o, region: region, listed: map[string]bool{}, keySub: map[string]string{}}
	hc, err := provider.NewHTTPClient(provider.HTTPOptions{
		Name:           "Mailgun",
		BaseURL:        raw,
		Auth:           basicAuth(key),
		ErrorMessage:   errorMessage,
		Retries:        o.Retries,
		RateRetries:    o.RateRetries,
		Backoff:        o.Backoff,
		AttemptTimeout: o.AttemptTimeout,
		MaxRateWait:    o.MaxRateWait,
		MaxBody:        o.MaxBody,
		Conns:          o.Conns,
		Now:            o.Now,
		Refine:         c.refine,
	})
	if err != nil {
		return nil, fmt.Errorf("mailgun: %w", err)
	}
	c.http = hc
	return c, nil
}

// basicAuth is Mailgun's scheme: HTTP Basic, user "api", the key as the
// password.
func basicAuth(key string) func(*http.Request) {
	return func(r *http.Request) { r.SetBasicAuth("api", key) }
}

// errorMessage extracts Mailgun's error text: {"message": …} in every
// error the spec lists, {"Reason": …} or {"Description": …} for some
// webhook answers; a plain-text body ("Forbidden") as it is.
func errorMessage(body []byte) string {
	var m struct {
		Message     string `json:"message"`
		Reason      string `json:"Reason"`
		Description string `json:"Description"`
		Field       string `json:"Field"`
	}
	if json.Unmarshal(body, &m) == nil {
		for _, s := range []string{m.Message, m.Reason, m.Description} {
			if s != "" {
				return s
			}
		}
		if m.Field != "" {
			return "invalid " + m.Field
		}
		return ""
	}
	if b := bytes.TrimSpace(body); len(b) > 0 && len(b) < 300 && !bytes.ContainsAny(b, "<{") {
		return string(b)
	}
	return ""
}

// refine adds the region hint to a refused key: the commonest cause of a
// 401 with a key that works in the console is the other region.
func (c *Client) refine(r *provider.Request, status int, _ http.Header, _ []byte, e *provider.Error) {
	if status != http.StatusUnauthorized || r.Auth != nil {
		return
	}
	other := "eu"
	if c.region == "eu" {
		other = "us"
	}
	hint := fmt.Sprintf("the key is refused in the %s region; if the account is in the %s region, set %s=%s",
		strings.ToUpper(c.region), strings.ToUpper(other), RegionEnv, other)
	if e.Message != "" {
		e.Message += " (" + hint + ")"
	} else {
		e.Message = hint
	}
}

// Info implements provider.Provider.
func (c *Client) Info() provider.Info { return Info }

// BaseURL is the API base URL in use.
func (c *Client) BaseURL() string { return c.http.Base().String() }

// Region is "us" or "eu".
func (c *Client) Region() string { return c.region }

// OnRateLimit implements provider.RateLimitNotifier.
func (c *Client) OnRateLimit(fn func(wait time.Duration)) { c.http.OnRateLimit(fn) }

// section starts the budget of one list read.
func (c *Client) section(what string) *provider.Section { return c.opts.Limits.Section(what) }

// get reads path into out.
func (c *Client) get(ctx context.Context, op, path string, q url.Values, hdr http.Header, out any) error {
	return c.http.Do(ctx, provider.Request{Op: op, Method: http.MethodGet, Path: path, Query: q, Header: hdr}, func(_ int, body []byte) error {
		return provider.DecodeJSON(op, "Mailgun", body, out)
	})
}

// onBehalfOf is the header that makes a call act for a subaccount ("" the
// account itself).
func onBehalfOf(sub string) http.Header {
	if sub == "" {
		return nil
	}
	return http.Header{"X-Mailgun-On-Behalf-Of": {sub}}
}

// seg escapes one path segment (a domain, a login, an id).
func seg(s string) string { return url.PathEscape(s) }

// Compile-time checks: every capability Mailgun's API supports.
var (
	_ provider.Provider          = (*Client)(nil)
	_ provider.KeyLister         = (*Client)(nil)
	_ provider.KeyCreator        = (*Client)(nil)
	_ provider.KeyRevoker        = (*Client)(nil)
	_ provider.KeyVerifier       = (*Client)(nil)
	_ provider.TeammateLister    = (*Client)(nil)
	_ provider.TwoFactorReporter = (*Client)(nil)
	_ provider.SubuserLister     = (*Client)(nil)
	_ provider.SubuserDisabler   = (*Client)(nil)
	_ provider.SubuserEnabler    = (*Client)(nil)
	_ provider.WebhookLister     = (*Client)(nil)
	_ provider.WebhookDeleter    = (*Client)(nil)
	_ provider.SenderLister      = (*Client)(nil)
	_ provider.AllowListReader   = (*Client)(nil)
	_ provider.AllowListWriter   = (*Client)(nil)
	_ provider.MessageLister     = (*Client)(nil)
	_ provider.SecretLister      = (*Client)(nil)
	_ provider.SecretRotator     = (*Client)(nil)
	_ provider.LeakMatcher       = (*Client)(nil)
	_ provider.RateLimitNotifier = (*Client)(nil)
)
