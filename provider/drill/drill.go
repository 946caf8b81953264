// Package drill is a simulated compromised account built from an embedded
// scenario. It implements every provider capability, its writes really change
// the simulated account, and its state is saved with the incident so that a
// killed process resumes with the account as it was.
package drill

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// Info is the drill's registry entry. A drill account describes itself
// with the Info of the provider its scenario imitates (Account.Info).
var Info = provider.Info{
	ID:   "drill",
	Name: "Drill account (simulated)",
	Quirks: []string{
		"This is a drill: a simulated account. Nothing you do here touches a real provider.",
	},
}

func init() {
	provider.Register(provider.Factory{Info: Info, Simulated: true, New: func(cfg provider.Config) (provider.Provider, error) {
		if len(cfg.State) > 0 {
			return Restore(cfg.State)
		}
		name := cfg.Scenario
		if name == "" {
			name = DefaultScenario
		}
		sc, err := LoadScenario(name)
		if err != nil {
			return nil, err
		}
		return New(sc, time.Now().UTC()), nil
	}})
}

// state is the simulated account; it is what Snapshot saves.
type state struct {
	Scenario     string                 `json:"scenario"`
	Epoch        time.Time              `json:"epoch"`
	Account      provider.Account       `json:"account"`
	Keys         []provider.APIKey      `json:"keys"`
	KeyHashes    map[string]string      `json:"key_hashes"` // key id -> sha256 of the secret (drill-made keys)
	Teammates    []provider.Teammate    `json:"teammates"`
	Subusers     []provider.Subuser     `json:"subusers"`
	Webhooks     []provider.Webhook     `json:"webhooks"`
	MailSettings []provider.MailSetting `json:"mail_settings"`
	Senders      []provider.Sender      `json:"senders"`
	AllowList    []provider.AllowRule   `json:"allow_list"`
	Activity     []provider.AccessEvent `json:"activity"`
	PasswordSet  time.Time              `json:"password_set,omitzero"`
	ConsoleDone  map[string]bool        `json:"console_done"`
	NextID       int                    `json:"next_id"`
	// MasterReset is when the (Mailjet-style) master secret was reset in
	// the simulated console.
	MasterReset time.Time `json:"master_reset,omitzero"`
	// PasswordHash is the password the player set (salted PBKDF2-SHA256,
	// never the password); empty while the starting one is current.
	PasswordHash string `json:"password_hash,omitempty"`

	// ScenarioYAML is a scenario file's text, so that a drill started from
	// a file resumes without it (built-ins are found by name).
	ScenarioYAML string `json:"scenario_yaml,omitempty"`
	ScenarioFile string `json:"scenario_file,omitempty"`
	// Attacker is what counts as the attacker's access (injects add to it).
	Attacker *attackerSet `json:"attacker,omitempty"`
	// Fired are the injects that struck; Notices what the player was told.
	Fired   []firedInject `json:"fired,omitempty"`
	Notices []Notice      `json:"notices,omitempty"`
	Contain Containment   `json:"containment"`
	// Bursts are mail spikes sent during the drill (volume_spike injects).
	Bursts []burst `json:"bursts,omitempty"`
	// Leaks are files added to the server during the drill.
	Leaks []LeakSpec `json:"leaks,omitempty"`
	// Secrets are the account secrets that are not API keys; Rotated says
	// when each was rotated (never a value).
	Secrets []provider.AccountSecret `json:"secrets,omitempty"`
	Rotated map[string]time.Time     `json:"rotated,omitempty"`
}

// attackerSet names the attacker's footholds in the account.
type attackerSet struct {
	Keys         []string `json:"keys,omitempty"`    // keys the attacker made
	Leaked       []string `json:"leaked,omitempty"`  // the owner's keys whose secret the attacker holds
	Secrets      []string `json:"secrets,omitempty"` // the owner's account secrets the attacker holds
	Teammates    []string `json:"teammates,omitempty"`
	Invites      []string `json:"invites,omitempty"` // invite tokens
	Subusers     []string `json:"subusers,omitempty"`
	WebhookURLs  []string `json:"webhook_urls,omitempty"`
	MailSettings []string `json:"mail_settings,omitempty"`
	Password     bool     `json:"password,omitempty"`
}

// burst is mail sent in a spike during the drill.
type burst struct {
	At       time.Time `json:"at"`
	From     string    `json:"from"`
	Count    int       `json:"count"`
	Subjects []string  `json:"subjects"`
}

// Account is a simulated compromised account.
type Account struct {
	mu    sync.Mutex
	sc    *Scenario
	st    state
	style *style
	info  provider.Info
	// Latency is added to every call, so the UI's spinners are exercised.
	Latency time.Duration
	faults  map[string][]error

	now     func() time.Time // the drill clock's source (nil: time.Now)
	calls   int              // API calls, for the occasional rate limit
	subs    map[int]chan Notice
	nextSub int
	onRate  func(time.Duration)
	treeDir string
}

// New builds a drill account from a scenario; epoch is "now" in the story.
func New(sc *Scenario, epoch time.Time) *Account {
	epoch = epoch.UTC().Truncate(time.Second)
	a := &Account{sc: sc}
	a.setStyle()
	st := state{Scenario: sc.ID, Epoch: epoch, KeyHashes: map[string]string{}, ConsoleDone: map[string]bool{}, NextID: 1}
	if sc.Source != "built-in" && len(sc.raw) > 0 {
		st.ScenarioYAML, st.ScenarioFile = string(sc.raw), sc.Source
	}
	ac := sc.Account
	st.Account = provider.Account{Username: ac.Username, Email: ac.Email, Company: ac.Company, Type: ac.Type, Created: ac.Created.at(epoch)}
	kg, at := sc.KnownGood, sc.Attacker
	for _, k := range sc.Keys {
		st.Keys = append(st.Keys, k.key(epoch))
	}
	for _, t := range append(slices.Clone(kg.Teammates), at.Teammates...) {
		st.Teammates = append(st.Teammates, t.teammate(epoch))
	}
	for _, s := range append(slices.Clone(kg.Subusers), at.Subusers...) {
		st.Subusers = append(st.Subusers, provider.Subuser{Username: s.Username, Email: s.Email, Created: s.Created.at(epoch)})
	}
	for _, w := range append(slices.Clone(kg.Webhooks), at.Webhooks...) {
		st.Webhooks = append(st.Webhooks, provider.Webhook{ID: w.ID, Kind: w.Kind, URL: w.URL, Hostname: w.Hostname, Enabled: !w.Disabled, Created: w.Created.at(epoch)})
	}
	for _, m := range kg.MailSettings {
		st.MailSettings = append(st.MailSettings, provider.MailSetting{Name: m.Name, Enabled: m.Enabled, Forwards: m.Forwards, Value: m.Value})
	}
	for _, m := range at.MailSettings {
		ms := provider.MailSetting{Name: m.Name, Enabled: m.Enabled, Forwards: m.Forwards, Value: m.Value}
		if i := slices.IndexFunc(st.MailSettings, func(x provider.MailSetting) bool { return x.Name == m.Name }); i >= 0 {
			st.MailSettings[i] = ms // the attacker changed the owner's setting
		} else {
			st.MailSettings = append(st.MailSettings, ms)
		}
	}
	for _, s := range append(slices.Clone(kg.Senders), at.Senders...) {
		st.Senders = append(st.Senders, provider.Sender{ID: s.ID, Kind: s.Kind, Address: s.Address, Verified: !s.Unverified, Created: s.Created.at(epoch)})
	}
	for i, c := range kg.AllowList {
		st.AllowList = append(st.AllowList, provider.AllowRule{ID: fmt.Sprint(i + 1), CIDR: c})
	}
	for _, e := range append(slices.Clone(kg.Activity), at.Activity...) {
		st.Activity = append(st.Activity, e.event(epoch))
	}
	for _, x := range kg.Secrets {
		st.Secrets = append(st.Secrets, provider.AccountSecret{ID: x.ID, Kind: x.Kind, Name: x.Name, Domain: x.Domain, Created: x.Created.at(epoch)})
	}
	st.Attacker = sc.attackerSet()
	a.st = st
	a.mu.Lock()
	a.trackLocked("")
	a.mu.Unlock()
	return a
}

func (k KeySpec) key(epoch time.Time) provider.APIKey {
	return provider.APIKey{ID: k.ID, Name: k.Name, Scopes: slices.Clone(k.Scopes), FullAccess: k.FullAccess, Created: k.Created.at(epoch), Subuser: k.Subuser, Master: k.Master, Inactive: k.Inactive}
}

func (t TeammateSpec) teammate(epoch time.Time) provider.Teammate {
	return provider.Teammate{Username: t.Username, Email: t.Email, Name: t.Name, Admin: t.Admin, Owner: t.Owner, Pending: t.Pending, Token: t.Token, Created: t.Created.at(epoch)}
}

func (e ActivitySpec) event(epoch time.Time) provider.AccessEvent {
	return provider.AccessEvent{IP: e.IP, Location: e.Location, Method: e.Method, Allowed: !e.Refused, First: e.First.at(epoch), Last: e.Last.at(epoch), Count: e.Count}
}

// attackerSet is the scenario's attacker footholds at the start.
func (sc *Scenario) attackerSet() *attackerSet {
	at := sc.Attacker
	s := &attackerSet{Leaked: slices.Clone(at.LeakedKeys), Secrets: slices.Clone(at.LeakedSecrets), Password: at.KnowsPassword}
	for _, k := range at.Keys {
		s.Keys = append(s.Keys, k.ID)
	}
	for _, t := range at.Teammates {
		if t.Pending {
			s.Invites = append(s.Invites, t.Token)
		} else {
			s.Teammates = append(s.Teammates, t.Username)
		}
	}
	for _, u := range at.Subusers {
		s.Subusers = append(s.Subusers, u.Username)
	}
	for _, w := range at.Webhooks {
		s.WebhookURLs = append(s.WebhookURLs, w.URL)
	}
	for _, m := range at.MailSettings {
		if m.Enabled {
			s.MailSettings = append(s.MailSettings, m.Name)
		}
	}
	return s
}

// Restore rebuilds a drill account from a Snapshot.
func Restore(b []byte) (*Account, error) {
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("drill state: %w", err)
	}
	var sc *Scenario
	var err error
	if st.ScenarioYAML != "" {
		sc, err = ParseScenario(firstNonEmpty(st.ScenarioFile, "saved scenario"), []byte(st.ScenarioYAML))
		if sc != nil {
			sc.Source = firstNonEmpty(st.ScenarioFile, "saved scenario")
		}
	} else {
		sc, err = LoadScenario(st.Scenario)
	}
	if err != nil {
		return nil, err
	}
	if st.KeyHashes == nil {
		st.KeyHashes = map[string]string{}
	}
	if st.ConsoleDone == nil {
		st.ConsoleDone = map[string]bool{}
	}
	if st.Attacker == nil { // saved before the drill tracked the attacker
		st.Attacker = sc.attackerSet()
	}
	a := &Account{sc: sc, st: st}
	a.setStyle()
	return a, nil
}

// setStyle resolves the scenario's provider style (validated with the
// scenario, so it is known to the registry).
func (a *Account) setStyle() {
	st := a.sc.style
	if st == nil {
		var err error
		if st, err = lookupStyle(a.sc.Style); err != nil {
			panic("drill: scenario " + a.sc.ID + " was not validated: " + err.Error())
		}
		a.sc.style = st
	}
	a.style, a.info = st, st.drillInfo()
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Scenario returns the scenario the account was built from.
func (a *Account) Scenario() *Scenario { return a.sc }

// Epoch is the drill's "now" at its start.
func (a *Account) Epoch() time.Time { return a.st.Epoch }

// Snapshot implements provider.Snapshotter. It holds no secret: drill-made
// keys are kept as hashes.
func (a *Account) Snapshot() ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return json.Marshal(a.st)
}

// Info implements provider.Provider: the imitated provider's Info, as a
// drill (see style.drillInfo).
func (a *Account) Info() provider.Info { return a.info }

// FailNext makes the next n calls of op fail with err (tests, fault drills).
func (a *Account) FailNext(op string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.faults == nil {
		a.faults = map[string][]error{}
	}
	a.faults[op] = append(a.faults[op], err)
}

// call waits the simulated latency and returns an injected fault, if any.
// It is called without the lock held.
func (a *Account) call(ctx context.Context, op string) error {
	if a.Latency > 0 {
		t := time.NewTimer(a.Latency)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Err: ctx.Err()}
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return &provider.Error{Kind: provider.ErrUnavailable, Op: op, Err: err}
	}
	if err := a.rateLimit(ctx, op); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fireDueLocked()
	if q := a.faults[op]; len(q) > 0 {
		a.faults[op] = q[1:]
		return q[0]
	}
	return nil
}

// rateLimit makes every Nth call wait as the real adapter does when the
// provider answers 429: it tells OnRateLimit's listener and waits (a
// fraction of the scenario's wait, and only in a drill with latency: tests
// and the autopilot do not sleep).
func (a *Account) rateLimit(ctx context.Context, op string) error {
	rl := a.sc.RateLimit
	if rl == nil || rl.Every < 2 {
		return nil
	}
	a.mu.Lock()
	a.calls++
	hit := a.calls%rl.Every == 0
	fn := a.onRate
	a.mu.Unlock()
	if !hit {
		return nil
	}
	if fn != nil {
		fn(rl.wait)
	}
	wait := min(rl.wait, 4*a.Latency)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return &provider.Error{Kind: provider.ErrRateLimited, Op: op, Status: 429, RetryAfter: rl.wait, Err: ctx.Err()}
	case <-t.C:
	}
	return nil
}

// OnRateLimit implements provider.RateLimitNotifier.
func (a *Account) OnRateLimit(fn func(wait time.Duration)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onRate = fn
}

func notFound(op, what string) error {
	return &provider.Error{Kind: provider.ErrNotFound, Op: op, Status: 404, Message: what + " does not exist"}
}

// Account implements provider.AccountReader.
func (a *Account) Account(ctx context.Context) (provider.Account, error) {
	if err := a.call(ctx, "account"); err != nil {
		return provider.Account{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.st.Account, nil
}

// ListKeys implements provider.KeyLister.
func (a *Account) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	if err := a.call(ctx, "list_keys"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.st.Keys), nil
}

func randomString(n int) string { return randomOf(provider.AlphabetBase64URL, n) }

// CreateKey implements provider.KeyCreator. The secret is returned once
// and kept only as a hash. A key created without scopes, where the
// imitated provider's keys carry scopes, gets its least-privileged preset.
func (a *Account) CreateKey(ctx context.Context, name string, scopes []string) (provider.NewKey, error) {
	if err := a.call(ctx, "create_key"); err != nil {
		return provider.NewKey{}, err
	}
	if strings.TrimSpace(name) == "" {
		return provider.NewKey{}, &provider.Error{Kind: provider.ErrInvalid, Op: "create key", Status: 400, Message: "name is required"}
	}
	if len(a.info.KeyScopes) == 0 {
		scopes = nil
	} else if len(scopes) == 0 {
		scopes = []string{a.info.KeyScopes[0]}
		if ps := a.info.ScopePresets; len(ps) > 0 {
			scopes = strings.Split(ps[0].Value, ",")
		}
	}
	id, secret := a.style.newKey()
	a.mu.Lock()
	defer a.mu.Unlock()
	k := provider.APIKey{ID: id, Name: name, Scopes: slices.Clone(scopes), Created: time.Now().UTC().Truncate(time.Second)}
	a.st.Keys = append(a.st.Keys, k)
	a.st.KeyHashes[id] = hashSecret(secret)
	return provider.NewKey{APIKey: k, Secret: secret}, nil
}

// RevokeKey implements provider.KeyRevoker: deleted, or deactivated where
// the imitated API has no delete (DrillStyle.DeactivateKeys).
func (a *Account) RevokeKey(ctx context.Context, id string) error {
	if err := a.call(ctx, "revoke_key"); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.revokeLocked(id)
}

// VerifyKey implements provider.KeyVerifier: the credential works when it
// is a drill-made key that is still listed and active, or the leaked
// master credential before the reset.
func (a *Account) VerifyKey(ctx context.Context, secret string) error {
	if err := a.call(ctx, "verify_key"); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.verifyLocked(secret)
}

// ListTeammates implements provider.TeammateLister.
func (a *Account) ListTeammates(ctx context.Context) ([]provider.Teammate, error) {
	if err := a.call(ctx, "list_teammates"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.st.Teammates), nil
}

// RemoveTeammate implements provider.TeammateRemover.
func (a *Account) RemoveTeammate(ctx context.Context, t provider.Teammate) error {
	if err := a.call(ctx, "remove_teammate"); err != nil {
		return err
	}
	if !offers[provider.TeammateRemover](a.style) {
		return a.unsupported("remove teammate")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.st.Teammates, func(x provider.Teammate) bool {
		if t.Pending {
			return x.Pending && x.Token == t.Token
		}
		return !x.Pending && x.Username == t.Username
	})
	if i < 0 {
		return notFound("remove teammate", "teammate")
	}
	if a.st.Teammates[i].Owner {
		return &provider.Error{Kind: provider.ErrInvalid, Op: "remove teammate", Status: 400, Message: "the account owner cannot be removed"}
	}
	a.st.Teammates = slices.Delete(a.st.Teammates, i, i+1)
	a.trackLocked("")
	return nil
}

// ListSubusers implements provider.SubuserLister.
func (a *Account) ListSubusers(ctx context.Context) ([]provider.Subuser, error) {
	if err := a.call(ctx, "list_subusers"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.st.Subusers), nil
}

// DisableSubuser implements provider.SubuserDisabler.
func (a *Account) DisableSubuser(ctx context.Context, username string) error {
	if err := a.call(ctx, "disable_subuser"); err != nil {
		return err
	}
	if !offers[provider.SubuserDisabler](a.style) {
		return a.unsupported("disable subuser")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.st.Subusers {
		if a.st.Subusers[i].Username == username {
			a.st.Subusers[i].Disabled = true
			a.trackLocked("")
			return nil
		}
	}
	return notFound("disable subuser", "subuser "+username)
}

// EnableSubuser implements provider.SubuserEnabler: the undo of
// DisableSubuser.
func (a *Account) EnableSubuser(ctx context.Context, username string) error {
	if err := a.call(ctx, "enable_subuser"); err != nil {
		return err
	}
	if !offers[provider.SubuserEnabler](a.style) {
		return a.unsupported("enable subuser")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.st.Subusers {
		if a.st.Subusers[i].Username == username {
			a.st.Subusers[i].Disabled = false
			a.trackLocked("")
			return nil
		}
	}
	return notFound("enable subuser", "subuser "+username)
}

// ListWebhooks implements provider.WebhookLister.
func (a *Account) ListWebhooks(ctx context.Context) ([]provider.Webhook, error) {
	if err := a.call(ctx, "list_webhooks"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.st.Webhooks), nil
}

// DeleteWebhook implements provider.WebhookDeleter.
func (a *Account) DeleteWebhook(ctx context.Context, w provider.Webhook) error {
	if err := a.call(ctx, "delete_webhook"); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.st.Webhooks, func(x provider.Webhook) bool { return x.ID == w.ID && x.Kind == w.Kind })
	if i < 0 {
		return notFound("delete webhook", "webhook "+w.ID)
	}
	a.st.Webhooks = slices.Delete(a.st.Webhooks, i, i+1)
	a.trackLocked("")
	return nil
}

// ListMailSettings implements provider.MailSettingsLister.
func (a *Account) ListMailSettings(ctx context.Context) ([]provider.MailSetting, error) {
	if err := a.call(ctx, "list_mail_settings"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.st.MailSettings), nil
}

// DisableMailSetting implements provider.MailSettingDisabler.
func (a *Account) DisableMailSetting(ctx context.Context, name string) error {
	if err := a.call(ctx, "disable_mail_setting"); err != nil {
		return err
	}
	if !offers[provider.MailSettingDisabler](a.style) {
		return a.unsupported("disable mail setting")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := range a.st.MailSettings {
		if a.st.MailSettings[i].Name == name {
			a.st.MailSettings[i].Enabled = false
			return nil
		}
	}
	return notFound("disable mail setting", "mail setting "+name)
}

// ListSenders implements provider.SenderLister.
func (a *Account) ListSenders(ctx context.Context) ([]provider.Sender, error) {
	if err := a.call(ctx, "list_senders"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.st.Senders), nil
}

// ListAllowRules implements provider.AllowListReader.
func (a *Account) ListAllowRules(ctx context.Context) ([]provider.AllowRule, error) {
	if err := a.call(ctx, "list_allow_rules"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.st.AllowList), nil
}

// AddAllowRules implements provider.AllowListWriter.
func (a *Account) AddAllowRules(ctx context.Context, cidrs []string) ([]provider.AllowRule, error) {
	if err := a.call(ctx, "add_allow_rules"); err != nil {
		return nil, err
	}
	if !offers[provider.AllowListWriter](a.style) {
		return nil, a.unsupported("add IP allow-list entries")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	var added []provider.AllowRule
	for _, c := range cidrs {
		if slices.ContainsFunc(a.st.AllowList, func(r provider.AllowRule) bool { return r.CIDR == c }) {
			continue
		}
		r := provider.AllowRule{ID: fmt.Sprintf("rule-%d", a.st.NextID), CIDR: c, Created: time.Now().UTC().Truncate(time.Second)}
		a.st.NextID++
		a.st.AllowList = append(a.st.AllowList, r)
		added = append(added, r)
	}
	return added, nil
}

// ListActivity implements provider.ActivityLister.
func (a *Account) ListActivity(ctx context.Context) ([]provider.AccessEvent, error) {
	if err := a.call(ctx, "list_activity"); err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := slices.Clone(a.st.Activity)
	sort.Slice(out, func(i, j int) bool { return out[i].Last.After(out[j].Last) })
	return out, nil
}

// ListMessages implements provider.MessageLister: a deterministic 30-day
// history with the scenario's spike, generated page by page.
func (a *Account) ListMessages(ctx context.Context, since time.Time, fn func([]provider.Message) error) error {
	if err := a.call(ctx, "list_messages"); err != nil {
		return err
	}
	m, spike := a.sc.KnownGood.Mail, a.sc.Attacker.Mail
	spikeDay := map[int]bool{}
	for _, d := range spike.Days {
		spikeDay[d] = true
	}
	a.mu.Lock()
	epoch, bursts := a.st.Epoch, slices.Clone(a.st.Bursts)
	a.mu.Unlock()
	const pageSize = 1000
	page := make([]provider.Message, 0, pageSize)
	n := 0
	emit := func(at time.Time, from, subject string) error {
		n++
		page = append(page, provider.Message{
			ID: fmt.Sprintf("msg-%06d", n), From: from, To: fmt.Sprintf("recipient%d@example.net", n%997),
			Subject: subject, Sent: at, Status: "delivered",
		})
		if len(page) == pageSize {
			if err := fn(page); err != nil {
				return err
			}
			page = page[:0]
		}
		return nil
	}
	for day := -29; day <= 0; day++ {
		start := epoch.Add(time.Duration(day) * 24 * time.Hour).Truncate(24 * time.Hour)
		if start.Before(since.Truncate(24 * time.Hour)) {
			continue
		}
		count, from, subjects := m.PerDay+(day*7+31)%23, m.From, m.Subjects
		if spikeDay[day] && spike.PerDay > 0 {
			count, from, subjects = spike.PerDay, spike.From, spike.Subjects
		}
		if len(subjects) == 0 {
			continue
		}
		for i := 0; i < count; i++ {
			at := start.Add(time.Duration(i) * (24 * time.Hour / time.Duration(count+1)))
			if at.After(epoch) {
				at = epoch.Add(-time.Duration(count-i) * time.Second)
			}
			if err := emit(at, from, subjects[i%len(subjects)]); err != nil {
				return err
			}
		}
	}
	// Spikes sent during the drill (injects).
	for _, b := range bursts {
		if b.At.Before(since) || len(b.Subjects) == 0 {
			continue
		}
		for i := 0; i < b.Count; i++ {
			if err := emit(b.At.Add(time.Duration(i)*time.Second/10), b.From, b.Subjects[i%len(b.Subjects)]); err != nil {
				return err
			}
		}
	}
	if len(page) > 0 {
		return fn(page)
	}
	return nil
}

// ChangePassword implements provider.PasswordChanger as SendGrid's
// PUT /v3/user/password does: a wrong current password is refused (400,
// "old_password: old password is incorrect", which the SendGrid adapter maps
// to provider.ErrInvalid) and changes nothing. The current password is the
// starting one (DrillAnswers' "password.reset.old") until the player
// changes it; then it is the new one, kept only as a salted hash.
func (a *Account) ChangePassword(ctx context.Context, oldPassword, newPassword string) error {
	if err := a.call(ctx, "change_password"); err != nil {
		return err
	}
	if !offers[provider.PasswordChanger](a.style) {
		return a.unsupported("change password")
	}
	if oldPassword == "" {
		return &provider.Error{Kind: provider.ErrInvalid, Op: "change password", Status: 400, Message: "old_password is required"}
	}
	if len(newPassword) < 8 {
		return &provider.Error{Kind: provider.ErrInvalid, Op: "change password", Status: 400, Message: "new_password must be at least 8 characters"}
	}
	a.mu.Lock()
	cur := a.st.PasswordHash
	a.mu.Unlock()
	wrong := &provider.Error{Kind: provider.ErrInvalid, Op: "change password", Status: 400, Message: "old_password: old password is incorrect"}
	if !a.passwordIs(cur, oldPassword) {
		return wrong
	}
	h, err := hashDrillPassword(newPassword)
	if err != nil {
		return &provider.Error{Kind: provider.ErrUnavailable, Op: "change password", Err: err}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.st.PasswordHash != cur { // changed meanwhile by another call
		return wrong
	}
	a.st.PasswordHash = h
	a.st.PasswordSet = time.Now().UTC()
	a.trackLocked("")
	return nil
}

// startPassword is the drill account's password before the player changes
// it: the kind of reused, breached password credential stuffing opens
// ("Acme2019!" for Acme Widgets Ltd).
func (a *Account) startPassword() string {
	word := ""
	for _, src := range []string{a.sc.Account.Company, a.sc.Account.Username} {
		if f := strings.FieldsFunc(src, func(r rune) bool { return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') }); len(f) > 0 {
			word = f[0]
			break
		}
	}
	if word == "" {
		word = "drill"
	}
	return strings.ToUpper(word[:1]) + word[1:] + "2019!"
}

// passwordIs reports whether pw is the current password (hash: the
// PasswordHash read, "" for the starting password).
func (a *Account) passwordIs(hash, pw string) bool {
	if hash == "" {
		return subtle.ConstantTimeCompare([]byte(pw), []byte(a.startPassword())) == 1
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err := strconv.Atoi(parts[1])
	if err != nil || iter < 1 || iter > 10*drillPasswordIter {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[2])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[3])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got, err := pbkdf2.Key(sha256.New, pw, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(got, want) == 1
}

// drillPasswordIter is PBKDF2-SHA256's work factor for the drill's stored
// password hash (the player may type a real password out of habit).
const drillPasswordIter = 600_000

func hashDrillPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key, err := pbkdf2.Key(sha256.New, pw, salt, drillPasswordIter, 32)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pbkdf2-sha256$%d$%s$%s", drillPasswordIter, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// ConsoleView implements provider.Simulator.
func (a *Account) ConsoleView(item provider.Item) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	lines := slices.Clone(a.sc.Console[item])
	if m := a.masterLocked(); item == provider.ItemAPIKeys && m != "" && !a.st.MasterReset.IsZero() {
		lines = append(lines, fmt.Sprintf("Master key %s…: secret reset at %s (the old secret no longer works for the API)", short(m), a.st.MasterReset.Format("15:04:05Z")))
	}
	if a.st.ConsoleDone[string(item)] && item == provider.ItemPayment && len(lines) > 1 {
		lines = []string{lines[0], "(the unknown card was removed and the plan change reverted)"}
	}
	return lines
}

// ConsoleDo implements provider.Simulator: what the owner says they did in
// the imitated provider's console.
func (a *Account) ConsoleDo(item provider.Item, action provider.ConsoleAction) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.st.ConsoleDone[string(item)] = true
	switch {
	case item == provider.ItemAPIKeys && action == provider.ConsoleResetMaster:
		if a.masterLocked() != "" && a.st.MasterReset.IsZero() {
			a.st.MasterReset = time.Now().UTC().Truncate(time.Second)
		}
	case item == provider.ItemAPIKeys && kindOf(action) == provider.ConsoleRotateSecret:
		// The owner rotated the secret in the console: the old value dies.
		_, id := action.Split()
		if i := slices.IndexFunc(a.st.Secrets, func(x provider.AccountSecret) bool { return x.ID == id }); i >= 0 {
			a.rotateLocked(i)
		}
	case item == provider.ItemTeammates && action == provider.ConsoleRemoveUnknown && !offers[provider.TeammateRemover](a.style):
		// The owner removed, in the console, the users added recently
		// (where the API cannot remove them).
		a.st.Teammates = slices.DeleteFunc(a.st.Teammates, func(t provider.Teammate) bool {
			return !t.Owner && a.st.Epoch.Sub(t.Created) < 30*24*time.Hour
		})
	}
	a.trackLocked("")
	return nil
}

// Styled implements provider.Simulator: the account narrowed to the
// capabilities of the provider it imitates.
func (a *Account) Styled() provider.Provider {
	if v := a.style.s.View; v != nil {
		return v(a)
	}
	return a
}

// Unstyled implements provider.Simulator.
func (a *Account) Unstyled() provider.Simulator { return a }

// String names the account in test failures.
func (a *Account) String() string { return "drill account (" + a.style.id + " style)" }

// YourIP is the address the drill's user connects from.
func (a *Account) YourIP() string { return a.sc.Account.YourIP }

// SessionKeyID implements provider.SessionKeyReporter: the id of the key
// reclaim is using in the drill.
func (a *Account) SessionKeyID() string { return a.sc.Account.SessionKey }

// DrillAnswers implements provider.Simulator: the scenario's answers to the
// procedure's questions (what a well-prepared owner would answer), shown
// as hints, never preselected. While the player has not changed the
// password, and the imitated API can change it, "password.reset.old" is
// the drill account's current password (a made-up one), so the password
// step can be prefilled.
func (a *Account) DrillAnswers() map[string]string {
	a.mu.Lock()
	changed := a.st.PasswordHash != ""
	a.mu.Unlock()
	if changed || !offers[provider.PasswordChanger](a.style) {
		return a.sc.Answers
	}
	out := make(map[string]string, len(a.sc.Answers)+1)
	maps.Copy(out, a.sc.Answers)
	out[HintOldPassword] = a.startPassword()
	return out
}

// HintOldPassword is the DrillAnswers key holding the drill account's
// current password while it is the starting one.
const HintOldPassword = "password.reset.old"

// Briefing implements provider.Simulator: the scenario's story, shown
// before the drill starts.
func (a *Account) Briefing() string { return a.sc.Briefing }

var _ provider.Simulator = (*Account)(nil)
