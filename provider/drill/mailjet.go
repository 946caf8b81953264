package drill

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"reclaim/provider"
	"reclaim/provider/mailjet"
)

// Scenario styles: which provider the drill account behaves like.
const (
	StyleSendGrid = "sendgrid"
	StyleMailjet  = "mailjet"
)

// ConsoleResetMaster is the simulated console action that resets a
// Mailjet-style master secret (ConsoleDo(ItemAPIKeys, ConsoleResetMaster)).
const ConsoleResetMaster = "reset-master-secret"

// MailjetInfo describes a Mailjet-style drill account: Mailjet's console
// links, support channel and checklist, key formats, quirks and grace window.
var MailjetInfo = func() provider.Info {
	i := mailjet.Info
	i.ID = Info.ID // the registry key stays "drill": a saved drill resumes as one
	i.Name = "Drill account (simulated Mailjet)"
	i.Drill = true
	i.Credentials, i.BaseURLEnv = nil, ""
	i.Support.Instructions = "Drill: in a real incident you would log in to Mailjet and open a support ticket from the app, stating each of Mailjet's five steps as done: " + strings.Join(mailjet.ProcedureSteps, " ")
	i.Quirks = append([]string{"This is a drill: a simulated Mailjet account. Nothing you do here touches a real provider."}, mailjet.Info.Quirks...)
	return i
}()

func (a *Account) mailjet() bool { return a.sc.Style == StyleMailjet }

// Style is the provider the account behaves like.
func (a *Account) Style() string {
	if a.sc.Style == "" {
		return StyleSendGrid
	}
	return a.sc.Style
}

func (a *Account) unsupported(op string) error {
	return &provider.Error{Kind: provider.ErrUnsupported, Op: op, Message: "Mailjet's API cannot do this: use the console"}
}

func short(id string) string {
	if len(id) > 6 {
		return id[:6]
	}
	return id
}

// masterLocked returns the master key's id, or "".
func (a *Account) masterLocked() string {
	for _, k := range a.st.Keys {
		if k.Master {
			return k.ID
		}
	}
	return ""
}

// leakedMasterSecret is the drill's simulated leaked master secret. It is
// derived from the drill's start time, so it survives a resume without ever
// being written down, and it is not in any real provider's key format.
func (a *Account) leakedMasterSecret() string {
	h := sha256.Sum256([]byte("reclaim drill leaked secret " + a.st.Scenario + " " + a.st.Epoch.Format(time.RFC3339)))
	return "drill-secret-" + hex.EncodeToString(h[:8])
}

// LeakedCredential is the credential the scenario's attacker holds, in the
// provider's credential form ("apikey:secret" for Mailjet style), so a drill
// can prove it dead after the reset. "" when the scenario has none.
func (a *Account) LeakedCredential() string {
	if !a.mailjet() {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	m := a.masterLocked()
	if m == "" {
		return ""
	}
	return m + ":" + a.leakedMasterSecret()
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// createMailjetKey makes a sub-account key; the secret "apikey:secret" is
// returned once and kept only as a hash.
func (a *Account) createMailjetKey(name string) provider.NewKey {
	pub, sec := randomHex(32), randomHex(32)
	a.mu.Lock()
	defer a.mu.Unlock()
	k := provider.APIKey{ID: pub, Name: name, Created: time.Now().UTC().Truncate(time.Second)}
	a.st.Keys = append(a.st.Keys, k)
	a.st.KeyHashes[pub] = hashSecret(pub + ":" + sec)
	return provider.NewKey{APIKey: k, Secret: pub + ":" + sec}
}

// deactivateMailjetKey sets IsActive false: Mailjet has no delete, and the
// master key cannot be deactivated at all.
func (a *Account) deactivateMailjetKey(id string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.st.Keys, func(k provider.APIKey) bool { return k.ID == id })
	if i < 0 {
		return notFound("deactivate API key", "key "+id)
	}
	if a.st.Keys[i].Master {
		return &provider.Error{Kind: provider.ErrUnsupported, Op: "deactivate API key", Err: mailjet.ErrMasterKey}
	}
	a.st.Keys[i].Inactive = true
	a.trackLocked("")
	return nil
}

// verifyMailjetKey accepts "apikey:secret" (or a secret alone, paired with
// the master key): the leaked master pair works until the console reset;
// drill-made sub-keys work while active.
func (a *Account) verifyMailjetKey(cred string) error {
	bad := &provider.Error{Kind: provider.ErrBadCredentials, Op: "verify a credential", Status: 401, Message: "API key authentication/authorization failure"}
	a.mu.Lock()
	defer a.mu.Unlock()
	pub, sec, ok := strings.Cut(strings.TrimSpace(cred), ":")
	if !ok {
		pub, sec = a.masterLocked(), pub
	}
	i := slices.IndexFunc(a.st.Keys, func(k provider.APIKey) bool { return k.ID == pub })
	if i < 0 || a.st.Keys[i].Inactive {
		return bad
	}
	if a.st.Keys[i].Master {
		if a.st.MasterReset.IsZero() && sec == a.leakedMasterSecret() {
			return nil
		}
		return bad
	}
	if h, ok := a.st.KeyHashes[pub]; ok && h == hashSecret(pub+":"+sec) {
		return nil
	}
	return bad
}

// Styled returns the account as the engine should see it: a SendGrid-style
// drill is the account itself; a Mailjet-style drill is a view with only
// the capabilities Mailjet's API has (no teammate removal, subusers, IP
// allow list, mail settings or password change).
func (a *Account) Styled() provider.Provider {
	if a.mailjet() {
		return &mailjetView{a: a}
	}
	return a
}

// mailjetView narrows a drill account to Mailjet's capabilities.
type mailjetView struct{ a *Account }

func (v *mailjetView) Info() provider.Info { return v.a.Info() }
func (v *mailjetView) Account(ctx context.Context) (provider.Account, error) {
	return v.a.Account(ctx)
}
func (v *mailjetView) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	return v.a.ListKeys(ctx)
}
func (v *mailjetView) CreateKey(ctx context.Context, name string, scopes []string) (provider.NewKey, error) {
	return v.a.CreateKey(ctx, name, scopes)
}
func (v *mailjetView) RevokeKey(ctx context.Context, id string) error { return v.a.RevokeKey(ctx, id) }
func (v *mailjetView) VerifyKey(ctx context.Context, secret string) error {
	return v.a.VerifyKey(ctx, secret)
}
func (v *mailjetView) ListTeammates(ctx context.Context) ([]provider.Teammate, error) {
	return v.a.ListTeammates(ctx)
}
func (v *mailjetView) ListWebhooks(ctx context.Context) ([]provider.Webhook, error) {
	return v.a.ListWebhooks(ctx)
}
func (v *mailjetView) DeleteWebhook(ctx context.Context, w provider.Webhook) error {
	return v.a.DeleteWebhook(ctx, w)
}
func (v *mailjetView) ListSenders(ctx context.Context) ([]provider.Sender, error) {
	return v.a.ListSenders(ctx)
}
func (v *mailjetView) ListActivity(ctx context.Context) ([]provider.AccessEvent, error) {
	return v.a.ListActivity(ctx)
}
func (v *mailjetView) ListMessages(ctx context.Context, since time.Time, fn func([]provider.Message) error) error {
	return v.a.ListMessages(ctx, since, fn)
}
func (v *mailjetView) ConsoleView(item provider.Item) []string { return v.a.ConsoleView(item) }
func (v *mailjetView) ConsoleDo(item provider.Item, action string) error {
	return v.a.ConsoleDo(item, action)
}
func (v *mailjetView) Snapshot() ([]byte, error)       { return v.a.Snapshot() }
func (v *mailjetView) SessionKeyID() string            { return v.a.SessionKeyID() }
func (v *mailjetView) DrillAnswers() map[string]string { return v.a.DrillAnswers() }
func (v *mailjetView) YourIP() string                  { return v.a.YourIP() }
func (v *mailjetView) LeakedCredential() string        { return v.a.LeakedCredential() }
func (v *mailjetView) Scenario() *Scenario             { return v.a.Scenario() }
func (v *mailjetView) Epoch() time.Time                { return v.a.Epoch() }
func (v *mailjetView) Drill() *Account                 { return v.a }
func (v *mailjetView) FailNext(op string, err error)   { v.a.FailNext(op, err) }
func (v *mailjetView) Styled() provider.Provider       { return v }
func (v *mailjetView) String() string                  { return "drill account (Mailjet style)" }
func (v *mailjetView) Briefing() string                { return v.a.sc.Briefing }
func (v *mailjetView) StepFinished(step, status string) bool {
	return v.a.StepFinished(step, status)
}
func (v *mailjetView) OnRateLimit(fn func(wait time.Duration)) { v.a.OnRateLimit(fn) }
