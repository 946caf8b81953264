// Package provider defines what reclaim needs from an email-sending provider:
// a small Provider interface, one capability interface per thing a provider's
// API can do, the records those calls return, typed errors, and a registry.
//
// An adapter implements Provider plus whichever capabilities its API offers.
// The checklist engine asks for a capability with a type assertion (see Has)
// and falls back to a guided console step when the provider lacks it.
package provider

import (
	"context"
	"strings"
	"time"
)

// Provider is the one interface every adapter implements.
type Provider interface {
	// Info describes the provider: names, console links, support channel,
	// key formats and quirks. It is static and needs no network.
	Info() Info
}

// Item names one thing the recovery procedure looks at or changes. Console
// links, capabilities and checklist steps are keyed by it.
type Item string

const (
	ItemAPIKeys      Item = "api_keys"
	ItemPassword     Item = "password"
	ItemTwoFactor    Item = "two_factor"
	ItemAccount      Item = "account"
	ItemPayment      Item = "payment"
	ItemTeammates    Item = "teammates"
	ItemIPAccess     Item = "ip_access"
	ItemWebhooks     Item = "webhooks"
	ItemParse        Item = "inbound_parse"
	ItemSubusers     Item = "subusers"
	ItemMailSettings Item = "mail_settings"
	ItemSenders      Item = "senders"
	ItemActivity     Item = "access_activity"
	ItemMessages     Item = "messages"
	ItemSupport      Item = "support"
	ItemSecurityLog  Item = "security_log"
)

// Info is an adapter's static description.
type Info struct {
	ID      string // registry key, e.g. "sendgrid"
	Name    string // display name, e.g. "Twilio SendGrid"
	Console map[Item]string
	Support Support
	Quirks  []string
	// GraceWindow is how long an old secret may keep working after it is
	// revoked or reset (0: it dies at once).
	GraceWindow time.Duration
	// Credentials lists what the adapter needs to connect, in order; their
	// values are joined with ":" into Config.Credential.
	Credentials []CredentialField
	// AltConsole replaces Console links for accounts that sign in another
	// way (SendGrid accounts on Twilio unified login manage the password,
	// 2FA and IP access in the Twilio Console); AltConsoleName names that
	// way, and the triage asks about it. Items listed here are guided, not
	// automated, for such accounts.
	AltConsole     map[Item]string
	AltConsoleName string
	// KeyScopes are the permissions a new key can be given (empty: the
	// provider's keys carry no scopes), least privileged first.
	KeyScopes []string
	// BaseURLEnv names the environment variable that overrides the API base
	// URL (tests, regional endpoints).
	BaseURLEnv string
	// KeyHint says what the provider's secret key looks like, for prompts
	// and help ("SG.<key id>.<secret>"); KeyIDHint says where a leaked key's
	// id is found in it ("the middle part of SG.<id>.<secret>"; "" when a
	// leaked secret does not name its key).
	KeyHint   string
	KeyIDHint string
	// LeakSearch is what to search public code for to find this provider's
	// leaked keys (e.g. `"SG."`, `MAILGUN_API_KEY`).
	LeakSearch string
	// ScopePresets are the permission sets offered for a new key, least
	// privileged first (empty: the provider's keys carry no scopes, or
	// KeyScopes alone are offered). A preset's Value is a comma-separated
	// list of KeyScopes, or a role name for providers whose keys take one.
	ScopePresets []ScopePreset
}

// ScopePreset is one permission set offered for a new key.
type ScopePreset struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// CredentialField is one credential input: read from Env, else the OS
// keyring, else a masked prompt. Never from a flag.
type CredentialField struct {
	Env    string // e.g. "SENDGRID_API_KEY"
	Prompt string // e.g. "SendGrid API key"
	Help   string
	// Alt names environment variables whose values, joined with ":",
	// stand for this field when Env is not set (Twilio: TWILIO_API_KEY and
	// TWILIO_API_SECRET for TWILIO_AUTH_TOKEN). All of them must be set.
	Alt []string
	// Optional fields may be left out: their part of Config.Credential is
	// then CredentialAbsent (Postmark: an account token, a server token,
	// or both).
	Optional bool
}

// CredentialAbsent is an optional credential field's value when the owner
// left it out.
const CredentialAbsent = "-"

// FromEnv reads field c from getenv: Env, else every Alt joined
// with ":"; "" when neither is set.
func (c CredentialField) FromEnv(getenv func(string) string) string {
	if v := strings.TrimSpace(getenv(c.Env)); v != "" {
		return v
	}
	if len(c.Alt) == 0 {
		return ""
	}
	parts := make([]string, 0, len(c.Alt))
	for _, e := range c.Alt {
		v := strings.TrimSpace(getenv(e))
		if v == "" {
			return ""
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, ":")
}

// EnvHint names the environment variables that set field c, for prompts:
// "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)".
func (c CredentialField) EnvHint() string {
	if len(c.Alt) == 0 {
		return c.Env
	}
	return c.Env + " (or " + strings.Join(c.Alt, " and ") + ")"
}

// Support is where the completion report goes.
type Support struct {
	// Checklist is the list of steps this provider's support asks the owner
	// to confirm before re-enabling (e.g. Mailjet's five steps); the report
	// states each one with its status.
	Checklist    []string
	URL          string
	Email        string // empty when the provider takes tickets only in its console
	TicketOnly   bool   // a logged-in console ticket is the only channel
	Instructions string
}

// ConsoleLink returns the console deep link for an item, or "".
func (i Info) ConsoleLink(it Item) string { return i.Console[it] }

// ---- records returned by the read capabilities ----

// Account is the account's identity and settings as the API reports them.
type Account struct {
	Username string    `json:"username,omitempty"`
	Email    string    `json:"email,omitempty"`
	Company  string    `json:"company,omitempty"`
	Type     string    `json:"type,omitempty"`
	Created  time.Time `json:"created,omitzero"`
}

// APIKey is an API key's metadata. The secret is never part of it.
type APIKey struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Scopes     []string  `json:"scopes,omitempty"`
	FullAccess bool      `json:"full_access,omitempty"`
	Created    time.Time `json:"created,omitzero"`
	Subuser    string    `json:"subuser,omitempty"` // owner when it belongs to a subuser
	Inactive   bool      `json:"inactive,omitempty"`
	Master     bool      `json:"master,omitempty"`
}

// Two-factor states of a teammate (TwoFactor; "" when the API does not say).
const (
	TwoFactorOn  = "on"
	TwoFactorOff = "off"
)

// Teammate is a user with access to the account, or a pending invite.
type Teammate struct {
	TwoFactor string    `json:"two_factor,omitempty"` // TwoFactorOn, TwoFactorOff or ""
	Role      string    `json:"role,omitempty"`
	Username  string    `json:"username"`
	Email     string    `json:"email,omitempty"`
	Name      string    `json:"name,omitempty"`
	Admin     bool      `json:"admin,omitempty"`
	Owner     bool      `json:"owner,omitempty"`
	Pending   bool      `json:"pending,omitempty"`
	Token     string    `json:"token,omitempty"` // id of a pending invite (not a credential)
	Created   time.Time `json:"created,omitzero"`
}

// Subuser is a sub-account.
type Subuser struct {
	Username string    `json:"username"`
	Email    string    `json:"email,omitempty"`
	Disabled bool      `json:"disabled,omitempty"`
	Created  time.Time `json:"created,omitzero"`
}

// Webhook kinds.
const (
	WebhookEvent = "event"
	WebhookParse = "parse"
	// WebhookRoute is an inbound route that forwards mail (Mailgun routes,
	// Postmark inbound forwarding): URL holds the target, an http(s) URL or
	// "mailto:address"; Filter holds the route's match expression.
	WebhookRoute = "route"
)

// Webhook is an event webhook or an inbound-parse route.
type Webhook struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"` // WebhookEvent or WebhookParse
	URL      string    `json:"url"`
	Hostname string    `json:"hostname,omitempty"` // parse routes: the receiving hostname
	Domain   string    `json:"domain,omitempty"`   // the sending domain it belongs to, where webhooks are per domain
	Filter   string    `json:"filter,omitempty"`   // routes: the match expression
	Enabled  bool      `json:"enabled"`
	Created  time.Time `json:"created,omitzero"`
}

// MailSetting is one account-wide mail setting.
type MailSetting struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	// Forwards is true for settings that copy or forward mail elsewhere.
	Forwards bool   `json:"forwards,omitempty"`
	Value    string `json:"value,omitempty"` // e.g. the forwarding address
}

// Sender is a verified sender identity or an authenticated domain.
type Sender struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"` // "single" or "domain"
	Address  string    `json:"address"`
	Verified bool      `json:"verified"`
	Created  time.Time `json:"created,omitzero"`
}

// AllowRule is one IP allow-list entry.
type AllowRule struct {
	ID      string    `json:"id"`
	CIDR    string    `json:"cidr"`
	Created time.Time `json:"created,omitzero"`
}

// AccessEvent is a login or API access attempt, aggregated by IP.
type AccessEvent struct {
	IP       string    `json:"ip"`
	Location string    `json:"location,omitempty"`
	Method   string    `json:"method,omitempty"`
	Allowed  bool      `json:"allowed"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	Count    int       `json:"count,omitempty"`
}

// Message is one sent message.
type Message struct {
	ID      string    `json:"id"`
	From    string    `json:"from,omitempty"`
	To      string    `json:"to,omitempty"`
	Subject string    `json:"subject"`
	Sent    time.Time `json:"sent"`
	Status  string    `json:"status,omitempty"`
}

// NewKey is a freshly created key. Secret is shown once and never persisted.
type NewKey struct {
	APIKey
	Secret string `json:"-"`
}

// Secret kinds: account-level secrets that are not API keys.
const (
	SecretAuthToken      = "auth_token"      // Twilio's account auth token
	SecretSMTP           = "smtp_credential" // a per-domain SMTP login (Mailgun), a server's SMTP token
	SecretSigningKey     = "signing_key"     // the key that signs webhooks (Mailgun)
	SecretServerToken    = "server_token"    // Postmark server API token
	SecretAccountToken   = "account_token"   // Postmark account token
	SecretMasterPassword = "master_password"
)

// AccountSecret is an account-level secret that is not an API key: an auth
// token, an SMTP credential, a webhook signing key. The value is never part
// of it.
type AccountSecret struct {
	ID      string    `json:"id"`
	Kind    string    `json:"kind"`
	Name    string    `json:"name"`             // e.g. "postmaster@mg.example.com", "primary auth token"
	Domain  string    `json:"domain,omitempty"` // where it is per domain or per server
	Created time.Time `json:"created,omitzero"`
	// Session is true when reclaim itself is connected with this secret:
	// rotating it ends the session's credential (the adapter then switches
	// to the new value itself, or says so).
	Session bool `json:"session,omitempty"`
}

// RotatedSecret is a secret's new value, shown once and never persisted.
type RotatedSecret struct {
	AccountSecret
	Value string `json:"-"`
	// Note says what the owner must do with it (update the app's config,
	// the old value's grace window), sanitized by the adapter.
	Note string `json:"note,omitempty"`
}

// Leak is a credential the leak scanner found, as its detector described
// it: the provider ID that owns the shape, the kind ("api_key", "smtp",
// ...), and the public key id the secret names, when it names one.
type Leak struct {
	Provider string `json:"provider"`
	Kind     string `json:"kind"`
	KeyID    string `json:"key_id,omitempty"`
}

// ---- capabilities ----

// Lists are bounded. An HTTP adapter reads each list within the caps of
// Config.Limits (pages, items and bytes per section; see DefaultMaxPages)
// and stops on a page that repeats or a claimed total that keeps changing.
// A list stopped early returns what it read together with a *Truncation
// (errors.Is(err, ErrTruncated)), possibly joined with real failures:
// SplitTruncated separates them. The partial list is valid; it is only
// incomplete, and must be shown as such.

// AccountReader reads the account's identity and settings.
type AccountReader interface {
	Account(ctx context.Context) (Account, error)
}

// KeyLister lists API keys (including subusers' keys where it can).
type KeyLister interface {
	ListKeys(ctx context.Context) ([]APIKey, error)
}

// KeyCreator creates a key with the given scopes (nil scopes: the
// provider's least-privilege default, never full access).
type KeyCreator interface {
	CreateKey(ctx context.Context, name string, scopes []string) (NewKey, error)
}

// KeyRevoker revokes (deletes or deactivates) a key by id.
type KeyRevoker interface {
	RevokeKey(ctx context.Context, id string) error
}

// KeyVerifier makes a harmless read call with the given secret: nil when the
// credential works, ErrBadCredentials when it is dead.
type KeyVerifier interface {
	VerifyKey(ctx context.Context, secret string) error
}

// TeammateLister lists teammates and pending invites.
type TeammateLister interface {
	ListTeammates(ctx context.Context) ([]Teammate, error)
}

// TeammateRemover removes a teammate or cancels a pending invite.
type TeammateRemover interface {
	RemoveTeammate(ctx context.Context, t Teammate) error
}

// SubuserLister lists subusers.
type SubuserLister interface {
	ListSubusers(ctx context.Context) ([]Subuser, error)
}

// SubuserDisabler disables a subuser (keeps it for the record).
type SubuserDisabler interface {
	DisableSubuser(ctx context.Context, username string) error
}

// WebhookLister lists event webhooks and inbound-parse routes.
type WebhookLister interface {
	ListWebhooks(ctx context.Context) ([]Webhook, error)
}

// WebhookDeleter deletes a webhook or parse route.
type WebhookDeleter interface {
	DeleteWebhook(ctx context.Context, w Webhook) error
}

// MailSettingsLister lists mail settings.
type MailSettingsLister interface {
	ListMailSettings(ctx context.Context) ([]MailSetting, error)
}

// MailSettingDisabler switches a mail setting off.
type MailSettingDisabler interface {
	DisableMailSetting(ctx context.Context, name string) error
}

// SenderLister lists sender identities and authenticated domains.
type SenderLister interface {
	ListSenders(ctx context.Context) ([]Sender, error)
}

// AllowListReader reads the IP allow list.
type AllowListReader interface {
	ListAllowRules(ctx context.Context) ([]AllowRule, error)
}

// AllowListWriter adds IP allow-list entries.
type AllowListWriter interface {
	AddAllowRules(ctx context.Context, cidrs []string) ([]AllowRule, error)
}

// ActivityLister lists recent access activity (logins and API calls by IP).
type ActivityLister interface {
	ListActivity(ctx context.Context) ([]AccessEvent, error)
}

// MessageLister lists messages sent since a time, calling fn for each page so
// that a large account never sits in memory whole.
type MessageLister interface {
	ListMessages(ctx context.Context, since time.Time, fn func([]Message) error) error
}

// SubuserEnabler re-enables a subuser (undo of DisableSubuser).
type SubuserEnabler interface {
	EnableSubuser(ctx context.Context, username string) error
}

// SecretLister lists account-level secrets other than API keys (auth
// tokens, SMTP credentials, webhook signing keys).
type SecretLister interface {
	ListSecrets(ctx context.Context) ([]AccountSecret, error)
}

// SecretRotator replaces one such secret with a new value, and proves the
// new value works before it returns where the API allows (Twilio: create a
// secondary auth token, verify it, promote it). The old value is dead
// afterwards, or dies within Info.GraceWindow.
type SecretRotator interface {
	RotateSecret(ctx context.Context, s AccountSecret) (RotatedSecret, error)
}

// LeakMatcher matches a credential the leak scanner found to the account
// key it is, so the engine revokes that key first. ok is false when the leak
// is not one of this account's keys as far as the provider can tell.
type LeakMatcher interface {
	MatchLeak(l Leak, keys []APIKey) (keyID string, ok bool)
}

// PasswordChanger changes the account password. Passwords are never stored.
type PasswordChanger interface {
	ChangePassword(ctx context.Context, oldPassword, newPassword string) error
}

// SMTPVerifier logs in to the provider's SMTP relay with a credential and
// logs out without sending: nil when the relay accepts it, ErrBadCredentials
// when it refuses it. It proves an old secret dead where the relay outlives
// the API (Mailjet accepts an old secret for over an hour after a reset).
type SMTPVerifier interface {
	VerifySMTP(ctx context.Context, credential string) error
}

// SessionKeyReporter is implemented by adapters that know which key reclaim
// itself is connected with: it is never flagged as unknown, never revoked
// by the procedure, and the report asks the owner to revoke it at the end.
type SessionKeyReporter interface {
	SessionKeyID() string
}

// StepObserver is a provider that wants to know when a step of the
// procedure is finished (a drill sets off its "after step" injects). It
// reports whether its state changed, so the engine saves it.
type StepObserver interface {
	StepFinished(step, status string) bool
}

// ConsoleAction is what the owner says they did on a page of the
// provider's web console. A real account is re-read instead; a simulated
// one carries it out (Simulator.ConsoleDo), so the drill's account changes
// as the real one would.
type ConsoleAction string

const (
	// ConsoleRemoveUnknown: the owner removed what they do not know from
	// the page (users, a payment method, a plan change).
	ConsoleRemoveUnknown ConsoleAction = "remove-unknown"
	// ConsoleResetMaster: the owner reset the master secret on the API
	// keys page (DrillStyle.MasterKey).
	ConsoleResetMaster ConsoleAction = "reset-master-secret"
	// ConsoleRotateSecret: the owner rotated, on the page, the account
	// secret the action names (ConsoleRotateSecret.On(id)): the guided
	// form of SecretRotator.
	ConsoleRotateSecret ConsoleAction = "rotate-secret"
)

// On returns the action on one target (an account secret's id).
func (a ConsoleAction) On(target string) ConsoleAction {
	return a + ":" + ConsoleAction(target)
}

// Split returns the action and its target ("" when it names none).
func (a ConsoleAction) Split() (ConsoleAction, string) {
	k, t, _ := strings.Cut(string(a), ":")
	return ConsoleAction(k), t
}

// Simulator is a simulated account: the drill. Nothing it does reaches a
// real provider. The engine, the UI and the commands know a drill by this
// interface alone; the registry's Factory.Simulated says so before one is
// built. A simulated account imitates a provider's style (DrillStyle, from
// the registry): Styled returns it narrowed to that provider's
// capabilities, and that view is what the engine works on.
type Simulator interface {
	Provider
	Snapshotter
	SessionKeyReporter
	StepObserver
	TwoFactorReporter
	RateLimitNotifier
	// Briefing is the scenario's story, shown before the drill starts.
	Briefing() string
	// ConsoleView is what the provider's web console would show for a
	// console-only item.
	ConsoleView(item Item) []string
	// ConsoleDo carries out what the owner says they did in the console.
	ConsoleDo(item Item, action ConsoleAction) error
	// DrillAnswers are the scenario's answers to the procedure's questions,
	// keyed "STEP.QUESTION": shown as hints (never preselected) and given
	// by the autopilot.
	DrillAnswers() map[string]string
	// LeakedCredential is the credential the scenario's attacker holds, in
	// the provider's credential form, so the dead-credential check can try
	// it after the reset ("" when the scenario has none).
	LeakedCredential() string
	// Styled is the account as the engine sees it: narrowed to the
	// capabilities of the provider it imitates (DrillStyle.View).
	Styled() Provider
	// Unstyled is the whole simulated account behind a styled view (the
	// account itself when it is not a view).
	Unstyled() Simulator
}

// TwoFactorReporter is implemented by providers whose data shows which
// users lack 2FA (the drill's simulated console); the 2FA audit holds it
// against the owner's answer.
type TwoFactorReporter interface {
	UsersWithout2FA() []string
}

// Snapshotter is implemented by providers that hold state reclaim must save
// with the incident (the drill account), so a killed process resumes with the
// account as it was.
type Snapshotter interface {
	Snapshot() ([]byte, error)
}

// Has reports whether p implements capability T.
func Has[T any](p Provider) bool {
	_, ok := p.(T)
	return ok
}
