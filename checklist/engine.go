package checklist

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"reclaim/checklist/leakscan"
	"reclaim/provider"
)

// ActionKind names a change (or a read) the engine can make on a provider.
type ActionKind string

const (
	ActTakeInventory      ActionKind = "take-inventory"
	ActCreateKey          ActionKind = "create-key"
	ActVerifyKey          ActionKind = "verify-key"
	ActRevokeKey          ActionKind = "revoke-key"
	ActRemoveTeammate     ActionKind = "remove-teammate"
	ActRemoveInvite       ActionKind = "remove-invite"
	ActDisableSubuser     ActionKind = "disable-subuser"
	ActDeleteWebhook      ActionKind = "delete-webhook"
	ActDisableMailSetting ActionKind = "disable-mail-setting"
	ActAddAllowRule       ActionKind = "add-allow-rule"
	ActChangePassword     ActionKind = "change-password"
	ActVerifyTOTP         ActionKind = "verify-2fa-codes"
	// ActVerifyDead makes one harmless read call with an old credential
	// (pasted by the user, used once, never stored) and succeeds when the
	// provider refuses it.
	ActVerifyDead ActionKind = "verify-dead"
)

// Action is one proposed change. Destructive actions need the caller's
// explicit confirmation before Apply.
type Action struct {
	Key         string            `json:"key"` // unique: kind:target
	Kind        ActionKind        `json:"kind"`
	Target      Target            `json:"target"`
	Label       string            `json:"label"` // "Revoke key "temp-migration" (Zx8C…)…"
	Reason      string            `json:"reason,omitempty"`
	Destructive bool              `json:"destructive"`
	Recommended bool              `json:"recommended"`
	Params      map[string]string `json:"params,omitempty"` // never secrets
}

// Result is what Apply did.
type Result struct {
	Action  Action
	Outcome string // "ok", "already done", "dry-run"
	Detail  string
	// NewKey is set by ActCreateKey: show it once, then drop it.
	NewKey *provider.NewKey
	// Rotated is set by ActRotateSecret: show its new value once, then
	// drop it.
	Rotated *provider.RotatedSecret
}

// LeakScanner is the file scanner (checklist/leakscan's Adapter): the
// Investigate phase runs it when one is set, and turns its report into
// findings here (ScanFindings), so the scanner does not import checklist.
type LeakScanner interface {
	// Scan looks for leaked credentials in the roots. A scan stopped part
	// way returns what it read (marked Partial) with the error; the report
	// is nil only when the scan could not start.
	Scan(ctx context.Context, progress func(files, bytes int64, findings int)) (*leakscan.Report, error)
	// DefaultRoots is what Scan looks at when no folder is given.
	DefaultRoots() []string
	// SetRoots sets the folders the next Scan looks at.
	SetRoots(roots []string)
}

// Engine runs the procedure for one incident. Its methods are safe to call
// from several goroutines (the UI calls them from commands).
type Engine struct {
	mu      sync.Mutex
	inc     *Incident
	h       *Handle
	prov    provider.Provider
	secrets *Secrets
	// Now is the clock (tests set it).
	Now func() time.Time
	// DryRun makes every change a journal entry saying what would be done.
	DryRun bool
	// Scanner is the leak scanner, when one is available.
	Scanner LeakScanner
	// SessionKeyID is the id of the key reclaim itself uses, when known.
	SessionKeyID string
	// Perms is what the credential may do, when the provider can tell
	// (SendGrid's scopes); steps it does not allow become guided.
	Perms *provider.PermissionReport
	// Timeout bounds every provider call.
	Timeout time.Duration
	// Attester names who answers the questions ("" is the owner); the
	// autopilot answers with the drill's script, and the report says so.
	Attester string
	pwSeen   map[[32]byte]bool
	// Baselines is where the account's baselines are kept: the first
	// inventory is compared with the newest (a drill uses its scenario's
	// known-good state instead).
	Baselines *BaselineStore
	// observers are told when a step is finished (OnStep).
	observers []func(StepID, Status) bool
	// verifyLevel, when a step's Verify sets it, is the level its claim
	// rests on when that is less than a read-back (outcomeLocked resets
	// it before each Verify).
	verifyLevel Level
}

// StepObserver is a provider that wants to know when a step is finished
// (provider.StepObserver).
type StepObserver = provider.StepObserver

// OnStep adds fn to what is called, without the engine's lock, after a step
// is finished (done, open or skipped); fn reports whether the provider's
// state changed, so the engine saves it.
func (e *Engine) OnStep(fn func(id StepID, status Status) bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.observers = append(e.observers, fn)
}

// stepFinished tells the observers that a step was finished.
func (e *Engine) stepFinished(id StepID) {
	e.mu.Lock()
	obs := e.observers
	status := e.acct().Step(id).Status
	e.mu.Unlock()
	changed := false
	for _, fn := range obs {
		changed = fn(id, status) || changed
	}
	if changed {
		_ = e.Save()
	}
}

// NewEngine binds an incident, its storage handle (nil: not saved) and a
// provider. secrets may be nil (memory only).
func NewEngine(inc *Incident, h *Handle, p provider.Provider, secrets *Secrets) *Engine {
	if secrets == nil {
		secrets = NewSecrets(nil)
	}
	// A drill account works through the view of the provider it imitates:
	// only the capabilities that provider's API has.
	if s, ok := p.(provider.Simulator); ok {
		p = s.Styled()
	}
	e := &Engine{inc: inc, h: h, prov: p, secrets: secrets, Now: func() time.Time { return time.Now().UTC() }, Timeout: 60 * time.Second}
	if s, ok := p.(provider.SessionKeyReporter); ok {
		e.SessionKeyID = s.SessionKeyID()
	}
	if o, ok := p.(StepObserver); ok {
		e.observers = append(e.observers, func(id StepID, st Status) bool { return o.StepFinished(string(id), string(st)) })
	}
	return e
}

// Provider returns the provider the engine works on.
func (e *Engine) Provider() provider.Provider { return e.prov }

// IsDryRun reports whether this run (or the incident) is a dry run.
func (e *Engine) IsDryRun() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.DryRun || e.inc.DryRun
}

// Secrets returns the session's secret store.
func (e *Engine) Secrets() *Secrets { return e.secrets }

// Snapshot returns a deep copy of the incident for display.
func (e *Engine) Snapshot() *Incident {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.inc.Clone()
}

func (e *Engine) acct() *AccountState { return e.inc.Account() }

// StepView is what a UI needs to show one step.
type StepView struct {
	Def     *StepDef
	Mode    Mode
	NAWhy   string
	State   StepState
	Console string
	// Guide is what to look for and record in the console, for this
	// provider.
	Guide Guide
}

// Views returns every step with its mode and state.
func (e *Engine) Views() []StepView {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.viewsLocked()
}

func (e *Engine) viewsLocked() []StepView {
	a := e.acct()
	out := make([]StepView, 0, len(procedure))
	for _, d := range procedure {
		m, why := e.ModeOf(d)
		st := *a.Step(d.ID)
		if m == ModeNA && st.Status == StatusTodo {
			st.Status, st.Reason = StatusNA, why
		}
		g := d.Guide
		if d.GuideFor != nil {
			g = d.GuideFor(e.prov.Info())
		}
		out = append(out, StepView{Def: d, Mode: m, NAWhy: why, State: st, Console: e.consoleLink(d.Item), Guide: g})
	}
	return out
}

// View returns one step's view.
func (e *Engine) View(id StepID) StepView {
	for _, v := range e.Views() {
		if v.Def.ID == id {
			return v
		}
	}
	return StepView{}
}

// Next returns the first step still to do, or "" when all are finished.
func (e *Engine) Next() StepID {
	for _, v := range e.Views() {
		if v.State.Status == StatusTodo {
			return v.Def.ID
		}
	}
	return ""
}

// Cursor is the step the user was last on (for resume), else Next.
func (e *Engine) Cursor() StepID {
	e.mu.Lock()
	c := e.acct().Cursor
	e.mu.Unlock()
	if c != "" && StepByID(c) != nil {
		return c
	}
	return e.Next()
}

// SetCursor records the step the user is on and saves.
func (e *Engine) SetCursor(id StepID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.acct().Cursor == id {
		return nil
	}
	e.acct().Cursor = id
	st := e.acct().Step(id)
	if st.Started.IsZero() {
		st.Started = e.Now()
	}
	return e.saveLocked()
}

// Questions returns the questions of a step, with defaults filled in.
func (e *Engine) Questions(id StepID) []Question {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := StepByID(id)
	if d == nil || d.Questions == nil {
		return nil
	}
	m, _ := e.ModeOf(d)
	qs := d.Questions(e, e.acct(), m)
	if d.Contradicts != nil {
		if c := d.Contradicts(e, e.acct()); len(c) > 0 {
			if i := slices.IndexFunc(qs, func(q Question) bool { return q.Attest != nil }); i >= 0 {
				// Asked only after a Yes the data contradicts.
				o := overrideQuestion(c)
				o.When, o.WhenIn = [2]string{qs[i].ID, ""}, qs[i].Attest.Yes
				qs = append(qs, o)
			}
		}
	}
	hints := e.drillAnswers()
	prev := e.acct().Step(id).Answers
	for i := range qs {
		if v, ok := prev[qs[i].ID]; ok && !qs[i].Kind.Secret() {
			qs[i].Default = v
		} else if v, ok := hints[string(id)+"."+qs[i].ID]; ok {
			if qs[i].Kind == QOTPSetup {
				// What the simulated console shows: not an answer.
				qs[i].Default = v
			} else {
				// A drill's scripted answer is shown, never preselected:
				// the player picks.
				qs[i].Hint = qs[i].LabelOf(v)
			}
		}
	}
	return qs
}

// DrillAnswer is a drill's scripted answer to a question ("" when none):
// what the autopilot answers, as the drill's owner.
func (e *Engine) DrillAnswer(id StepID, q string) string {
	return e.drillAnswers()[string(id)+"."+q]
}

func (e *Engine) drillAnswers() map[string]string {
	if s, ok := e.prov.(provider.Simulator); ok {
		return s.DrillAnswers()
	}
	return nil
}

// Simulator returns the drill account the engine works on, or nil when the
// account is a real one.
func (e *Engine) Simulator() provider.Simulator {
	s, _ := e.prov.(provider.Simulator)
	return s
}

// Plan returns the changes a step proposes, recommended ones first.
func (e *Engine) Plan(id StepID) []Action {
	e.mu.Lock()
	defer e.mu.Unlock()
	d := StepByID(id)
	if d == nil || d.Plan == nil {
		return nil
	}
	if m, _ := e.ModeOf(d); m != ModeAuto && !(d.PlanGuided && m == ModeGuided) {
		return nil
	}
	acts := d.Plan(e, e.acct())
	// Drop what the journal shows as already done: repeating is harmless,
	// but proposing it again would confuse.
	acts = slices.DeleteFunc(acts, func(a Action) bool { return e.doneLocked(a.Key) })
	return acts
}

func (e *Engine) doneLocked(key string) bool {
	for _, j := range e.inc.Journal {
		if j.Target == key && (j.Outcome == "ok" || j.Outcome == "already done") {
			return true
		}
	}
	return false
}

// Refresh re-reads the sections a step looks at (the first run of the
// inventory step takes the full "before" inventory).
func (e *Engine) Refresh(ctx context.Context, id StepID) error {
	d := StepByID(id)
	if d == nil {
		return fmt.Errorf("no step %q", id)
	}
	e.mu.Lock()
	m, _ := e.ModeOf(d)
	e.mu.Unlock()
	if m == ModeNA || len(d.Sections) == 0 {
		return nil
	}
	if id == StepInventory {
		if m != ModeAuto {
			return nil
		}
		return e.TakeInventory(ctx)
	}
	// A guided step re-reads what the provider can read too: what the
	// owner did in the console shows there (or contradicts them).
	ctx, cancel := e.ctx(ctx)
	defer cancel()
	inv, err := TakeInventory(ctx, e.prov, e.Now(), d.Sections...)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.acct()
	if a.After == nil {
		if a.Before == nil {
			return errors.New("take the inventory first (Preserve evidence)")
		}
		c := *a.Before
		a.After = &c
	}
	mergeSections(a.After, inv, d.Sections)
	e.reanalyzeLocked()
	return e.saveLocked()
}

// TakeInventory records the "before" inventory. It never overwrites one
// already taken: that is the evidence.
func (e *Engine) TakeInventory(ctx context.Context) error {
	e.mu.Lock()
	taken := e.acct().Before != nil
	e.mu.Unlock()
	if taken {
		return nil
	}
	ctx, cancel := e.ctx(ctx)
	defer cancel()
	inv, err := TakeInventory(ctx, e.prov, e.Now())
	var base *BaselineUse
	if err == nil {
		base = e.findBaseline(ctx, inv)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err != nil {
		e.journalLocked(StepInventory, string(ActTakeInventory), "", "failed", provider.Sanitize(err.Error()))
		_ = e.saveLocked()
		return err
	}
	a := e.acct()
	a.Before = inv
	e.adoptBaselineLocked(base)
	e.reanalyzeLocked()
	detail := fmt.Sprintf("%d keys, %d teammates, %d subusers, %d webhooks, %d mail settings, %d senders, %d allow-list entries, %d access records", len(inv.Keys), len(inv.Teammates), len(inv.Subusers), len(inv.Webhooks), len(inv.MailSettings), len(inv.Senders), len(inv.AllowList), len(inv.Activity))
	if inv.Mail != nil {
		detail += fmt.Sprintf(", %d messages in 30 days", inv.Mail.Total)
	}
	if len(inv.Errors) > 0 {
		detail += fmt.Sprintf("; %d sections unreadable", len(inv.Errors))
	}
	e.journalLocked(StepInventory, string(ActTakeInventory), "", "ok", detail)
	st := a.Step(StepInventory)
	st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "inventory", Summary: detail})
	return e.saveLocked()
}

func (e *Engine) reanalyzeLocked() {
	// Some providers confirm the key reclaim is connected with only once a
	// key listing shows it (Mailgun): ask again after every read.
	if s, ok := e.prov.(provider.SessionKeyReporter); ok {
		if id := s.SessionKeyID(); id != "" {
			e.SessionKeyID = id
		}
	}
	e.matchLeaksLocked() // scan_findings.go: leaked credentials -> account keys
	a := e.acct()
	in := AnalysisInput{SessionKeyID: e.SessionKeyID, Recognised: a.Recognised, Vouched: a.Vouched, LeakedKeyIDs: e.leakedKeyIDsLocked(), KnownIPs: e.knownIPsLocked(), Baseline: a.Baseline}
	inv := a.Before
	if a.After != nil {
		inv = a.After
	}
	fresh := Analyze(e.analysisViewLocked(inv), in)
	if done, _ := e.deadCheckLocked(deadCheckKey); done && inv != nil {
		// A master key is never revoked, only reset: the refused old
		// credential resolves what is said about it.
		for i := range fresh {
			if fresh[i].Target.Kind == "key" && slices.ContainsFunc(inv.Keys, func(k provider.APIKey) bool { return k.Master && k.ID == fresh[i].Target.ID }) {
				fresh[i].Resolved = true
			}
		}
	}
	// Keep findings from answers, console and scans; replace inventory ones,
	// marking resolved what the fresh inventory no longer shows.
	var kept []Finding
	seen := map[string]bool{}
	for _, f := range fresh {
		seen[f.ID] = true
	}
	for _, f := range a.Findings {
		if f.Source != "inventory" {
			kept = append(kept, f)
			continue
		}
		if !seen[f.ID] {
			f.Resolved = true
			kept = append(kept, f)
		}
	}
	kept = append(kept, fresh...)
	a.Findings = dedupeFindings(kept)
}

// analysisViewLocked drops from the analysis the keys that are not a
// threat: deactivated keys (a provider with no delete, like Mailjet, keeps
// them listed) and the replacement keys reclaim itself created.
func (e *Engine) analysisViewLocked(inv *Inventory) *Inventory {
	skip := func(k provider.APIKey) bool {
		return k.Inactive || slices.ContainsFunc(e.acct().NewKeys, func(n NewKeyRecord) bool { return n.ID == k.ID })
	}
	if inv == nil || !slices.ContainsFunc(inv.Keys, skip) {
		return inv
	}
	c := *inv
	c.Keys = slices.DeleteFunc(slices.Clone(inv.Keys), skip)
	return &c
}

func dedupeFindings(fs []Finding) []Finding {
	idx := map[string]int{}
	var out []Finding
	for _, f := range fs {
		if i, ok := idx[f.ID]; ok {
			if !f.Resolved {
				out[i] = f
			}
			continue
		}
		idx[f.ID] = len(out)
		out = append(out, f)
	}
	return out
}

func (e *Engine) leakedKeyIDsLocked() []string {
	a := e.acct()
	var ids []string
	for _, f := range a.Findings {
		if f.Source != "inventory" && f.Target.Kind == "key" && f.Target.ID != "" {
			ids = append(ids, f.Target.ID)
		}
	}
	if s := a.Step(StepQuestions).Answers["leaked_key_ids"]; s != "" {
		ids = append(ids, splitList(s)...)
	}
	return ids
}

func (e *Engine) knownIPsLocked() []string {
	return splitList(e.acct().Step(StepReview).Answers["known_ips"])
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Current returns the freshest view of the account: After when taken.
func (a *AccountState) Current() *Inventory {
	if a.After != nil {
		return a.After
	}
	return a.Before
}

// Apply carries out one action. The caller has confirmed destructive ones.
// inputs carries secrets for this call only (passwords, a pasted key); they
// are never saved or journaled.
func (e *Engine) Apply(ctx context.Context, step StepID, act Action, inputs map[string]string) (Result, error) {
	e.mu.Lock()
	a := e.acct()
	if act.Destructive && a.Before == nil {
		e.mu.Unlock()
		return Result{}, errors.New("no inventory yet: reclaim records the account before changing anything (Preserve evidence)")
	}
	if e.doneLocked(act.Key) {
		e.mu.Unlock()
		return Result{Action: act, Outcome: "already done"}, nil
	}
	if err := e.guardLocked(act); err != nil {
		e.mu.Unlock()
		return Result{}, err
	}
	if e.DryRun && act.Kind != ActVerifyKey && act.Kind != ActVerifyDead {
		would := "would " + strings.ToLower(act.Label[:1]) + act.Label[1:]
		e.journalLocked(step, "would "+string(act.Kind), act.Key, "dry-run", would)
		err := e.saveLocked()
		e.mu.Unlock()
		return Result{Action: act, Outcome: "dry-run", Detail: would}, err
	}
	e.mu.Unlock()

	ctx, cancel := e.ctx(ctx)
	defer cancel()
	res, err := e.do(ctx, act, inputs)
	if errors.Is(err, provider.ErrNotFound) && act.Destructive {
		res, err = Result{Action: act, Outcome: "already done", Detail: "it was already gone"}, nil
	}
	var gone string
	if err == nil && act.Kind == ActRevokeKey {
		gone = e.confirmRevoked(ctx, act)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if gone != "" {
		defer func() {
			e.journalLocked(step, string(ActVerifyDead)+" revoked key", string(ActVerifyDead)+":key:"+act.Target.ID, "ok", gone)
			_ = e.saveLocked()
		}()
	}
	if err != nil {
		e.journalLocked(step, string(act.Kind), act.Key, "failed", provider.Sanitize(err.Error()))
		_ = e.saveLocked()
		return Result{Action: act}, err
	}
	if res.Outcome == "" {
		res.Outcome = "ok"
	}
	res.Action = act
	detail := act.Label
	if res.Detail != "" {
		detail += " — " + res.Detail
	}
	if u := act.Params["undo"]; u != "" {
		detail += " (undo: " + u + ")"
	}
	e.journalLocked(step, string(act.Kind), act.Key, res.Outcome, detail)
	e.afterApplyLocked(step, act, &res)
	return res, e.saveLocked()
}

// guardLocked refuses changes that are unsafe by construction.
func (e *Engine) guardLocked(act Action) error {
	a := e.acct()
	switch act.Kind {
	case ActRevokeKey:
		if act.Target.ID == e.SessionKeyID && e.SessionKeyID != "" {
			return errors.New("this is the key reclaim is using: revoke it in the console once you are done")
		}
		if slices.ContainsFunc(a.NewKeys, func(k NewKeyRecord) bool { return k.ID == act.Target.ID }) {
			return errors.New("this is the replacement key reclaim created: refusing to revoke it")
		}
		if act.Params["in_use"] == "true" && !e.replacementVerifiedLocked() && !e.DryRun {
			return errors.New("a key in use is revoked only after its replacement is created and verified (Rotate: create, verify)")
		}
	case ActAddAllowRule:
		if err := checkAllowGuard(a, act); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) replacementVerifiedLocked() bool {
	for _, k := range e.acct().NewKeys {
		if !k.Verified.IsZero() {
			return true
		}
	}
	return e.acct().Step(StepVerifyKey).Status == StatusDone && e.acct().Step(StepVerifyKey).Answers["verified_in_console"] == "yes"
}

func (e *Engine) do(ctx context.Context, act Action, inputs map[string]string) (Result, error) {
	p := e.prov
	unsupported := &provider.Error{Kind: provider.ErrUnsupported, Op: string(act.Kind)}
	switch act.Kind {
	case ActCreateKey:
		c, ok := p.(provider.KeyCreator)
		if !ok {
			return Result{}, unsupported
		}
		nk, err := c.CreateKey(ctx, act.Params["name"], splitList(act.Params["scopes"]))
		if err != nil {
			return Result{}, err
		}
		where, serr := e.secrets.Put(ctx, nk.ID, nk.Secret)
		detail := "key id " + nk.ID + "; secret kept in " + where
		if serr != nil {
			detail += " (" + serr.Error() + ")"
		}
		return Result{NewKey: &nk, Detail: detail}, nil
	case ActVerifyKey:
		v, ok := p.(provider.KeyVerifier)
		if !ok {
			return Result{}, unsupported
		}
		secret := inputs["secret"]
		if secret == "" {
			s, ok := e.secrets.Get(ctx, act.Target.ID)
			if !ok {
				return Result{}, errors.New("the new key's secret is not in this session any more (it was kept in memory): paste it to verify")
			}
			secret = s
		}
		if err := v.VerifyKey(ctx, secret); err != nil {
			return Result{}, err
		}
		return Result{Detail: "a read call with the new key succeeded"}, nil
	case ActVerifyDead:
		return e.verifyDead(ctx, inputs, act.Key == deadRecheckKey)
	case ActRotateSecret:
		return e.rotateSecret(ctx, act)
	case ActRevokeKey:
		r, ok := p.(provider.KeyRevoker)
		if !ok {
			return Result{}, unsupported
		}
		return Result{}, r.RevokeKey(ctx, act.Target.ID)
	case ActRemoveTeammate, ActRemoveInvite:
		r, ok := p.(provider.TeammateRemover)
		if !ok {
			return Result{}, unsupported
		}
		t := provider.Teammate{Username: act.Target.ID}
		if act.Kind == ActRemoveInvite {
			t = provider.Teammate{Pending: true, Token: act.Target.ID, Email: act.Target.Name}
		}
		return Result{}, r.RemoveTeammate(ctx, t)
	case ActDisableSubuser:
		r, ok := p.(provider.SubuserDisabler)
		if !ok {
			return Result{}, unsupported
		}
		return Result{}, r.DisableSubuser(ctx, act.Target.ID)
	case ActDeleteWebhook:
		r, ok := p.(provider.WebhookDeleter)
		if !ok {
			return Result{}, unsupported
		}
		kind := provider.WebhookEvent
		if act.Target.Kind == "parse" {
			kind = provider.WebhookParse
		} else if act.Target.Kind == "route" {
			kind = provider.WebhookRoute
		}
		return Result{}, r.DeleteWebhook(ctx, provider.Webhook{ID: act.Target.ID, Kind: kind, URL: act.Target.Name, Hostname: act.Params["hostname"], Domain: act.Params["domain"], Filter: act.Params["filter"]})
	case ActDisableMailSetting:
		r, ok := p.(provider.MailSettingDisabler)
		if !ok {
			return Result{}, unsupported
		}
		return Result{}, r.DisableMailSetting(ctx, act.Target.ID)
	case ActAddAllowRule:
		r, ok := p.(provider.AllowListWriter)
		if !ok {
			return Result{}, unsupported
		}
		_, err := r.AddAllowRules(ctx, splitList(act.Params["cidrs"]))
		return Result{}, err
	case ActVerifyTOTP:
		if strings.TrimSpace(inputs["setup"]) == "" {
			return Result{Outcome: "skipped", Detail: "no setup key given (SMS or another method): not checked"}, nil
		}
		set, err := ParseTOTPSetup(inputs["setup"])
		if err != nil {
			return Result{}, err
		}
		// Where the console's setup key is known (the drill's simulated
		// console), codes for any other key prove nothing about the account.
		if shown := e.drillAnswers()[string(StepTwoFactor)+".setup"]; shown != "" {
			if want, err := ParseTOTPSetup(shown); err == nil && want.Secret != set.Secret {
				return Result{}, errors.New("this is not the setup key the console shows: codes from another key prove nothing about this account; paste the console's key")
			}
		}
		// Codes depend on the wall clock, never the engine's test clock.
		if err := set.CheckTOTPCodes(inputs["code1"], inputs["code2"], time.Now()); err != nil {
			return Result{}, err
		}
		return Result{Detail: "two consecutive codes accepted; 2FA enrolled (the setup key is not recorded)"}, nil
	case ActChangePassword:
		r, ok := p.(provider.PasswordChanger)
		if !ok {
			return Result{}, unsupported
		}
		var words []string
		e.mu.Lock()
		if inv := e.acct().Current(); inv != nil {
			words = AccountPasswordWords(inv.Account)
		}
		e.mu.Unlock()
		if msg := CheckPassword(inputs["new"], PasswordContext{Old: inputs["old"], Confirm: inputs["new_confirm"], Words: words}); msg != "" {
			return Result{}, errors.New(msg)
		}
		if e.passwordUsed(inputs["new"]) {
			return Result{}, errors.New("you already used this password in this incident: give each account a new one of its own")
		}
		// Credential stuffing replays breached passwords: refuse one that is
		// in breach lists (only a 5-character hash prefix leaves the machine;
		// offline, it says so and goes on). A drill makes no network call
		// unless a test points it at a fake range server.
		breach := "breach check: skipped (drill: no network call)"
		if _, sim := p.(provider.Simulator); !sim || os.Getenv(PwnedBaseURLEnv) != "" {
			pr := CheckPwned(ctx, nil, inputs["new"])
			if msg := pr.Problem(); msg != "" {
				return Result{}, errors.New(msg)
			}
			breach = pr.Detail()
		}
		if err := r.ChangePassword(ctx, inputs["old"], inputs["new"]); err != nil {
			return Result{}, err
		}
		e.rememberPassword(inputs["new"])
		return Result{Detail: "password changed (not recorded); " + breach}, nil
	}
	return Result{}, fmt.Errorf("unknown action %q", act.Kind)
}

// verifyDead checks that an old credential is now refused. The credential
// comes from inputs["old_credential"] (used for this one call, never stored
// or journaled); a drill supplies its simulated leaked credential itself.
func (e *Engine) verifyDead(ctx context.Context, inputs map[string]string, recheck bool) (Result, error) {
	p := e.prov
	v, ok := p.(provider.KeyVerifier)
	if !ok {
		return Result{}, &provider.Error{Kind: provider.ErrUnsupported, Op: string(ActVerifyDead)}
	}
	cred := strings.TrimSpace(inputs["old_credential"])
	if sim, ok := p.(provider.Simulator); ok {
		// The drill carries out the reset the owner says they did, and
		// tries the credential its attacker holds.
		e.mu.Lock()
		reset := e.acct().Step(StepDeadCheck).Answers["reset_in_console"] == "yes"
		e.mu.Unlock()
		if reset {
			_ = sim.ConsoleDo(provider.ItemAPIKeys, provider.ConsoleResetMaster)
		}
		if c := sim.LeakedCredential(); c != "" {
			cred = c
		}
	}
	if cred == "" {
		return Result{}, errors.New("paste the old credential to check it: it is used for one read call and never stored")
	}
	err := v.VerifyKey(ctx, cred)
	switch {
	case err == nil, errors.Is(err, provider.ErrPermission):
		return Result{}, errors.New("the old credential still works: the reset has not taken effect or was not done; reset it in the console, then check again")
	case errors.Is(err, provider.ErrBadCredentials):
		how := "refused"
		var pe *provider.Error
		if errors.As(err, &pe) && pe.Status != 0 {
			how = fmt.Sprintf("refused (%d)", pe.Status)
		}
		detail := fmt.Sprintf("old credential %s at %s by the API", how, e.Now().UTC().Format(time.RFC3339))
		if sv, ok := p.(provider.SMTPVerifier); ok {
			serr := sv.VerifySMTP(ctx, cred)
			switch {
			case errors.Is(serr, provider.ErrBadCredentials):
				detail += "; the SMTP relay refuses it too"
				if errors.As(serr, &pe) && pe.Status != 0 {
					detail += fmt.Sprintf(" (%d)", pe.Status)
				}
			case serr == nil && recheck:
				return Result{}, errors.New("the SMTP relay still accepts the old secret: wait a little longer and re-check")
			case serr == nil:
				detail += fmt.Sprintf("; the SMTP relay still accepts it, as %s allows for up to %s after a reset: re-check after that", p.Info().Name, p.Info().GraceWindow)
			default:
				if recheck {
					return Result{}, fmt.Errorf("could not reach the SMTP relay to confirm: %w", serr)
				}
				detail += "; the SMTP relay could not be reached (" + provider.Sanitize(serr.Error()) + "): re-check later"
			}
		}
		return Result{Detail: detail}, nil
	}
	return Result{}, err
}

// afterApplyLocked updates the recorded state after a successful change.
func (e *Engine) afterApplyLocked(step StepID, act Action, res *Result) {
	a := e.acct()
	now := e.Now()
	switch act.Kind {
	case ActCreateKey:
		if res.NewKey != nil {
			where := "memory (this session only)"
			if e.secrets.InKeyring(res.NewKey.ID) {
				where = "OS keyring"
			}
			a.NewKeys = append(a.NewKeys, NewKeyRecord{ID: res.NewKey.ID, Name: res.NewKey.Name, Scopes: res.NewKey.Scopes, Created: now, StoredIn: where})
		}
	case ActVerifyKey:
		for i := range a.NewKeys {
			if a.NewKeys[i].ID == act.Target.ID {
				a.NewKeys[i].Verified = now
			}
		}
	case ActVerifyDead:
		// The master key cannot be revoked, only reset: a refused old
		// credential is what resolves its findings.
		if inv := a.Current(); inv != nil {
			for i := range a.Findings {
				f := &a.Findings[i]
				if f.Target.Kind == "key" && slices.ContainsFunc(inv.Keys, func(k provider.APIKey) bool { return k.Master && k.ID == f.Target.ID }) {
					f.Resolved = true
				}
			}
		}
	}
	// Resolve the findings this action fixes.
	for i := range a.Findings {
		f := &a.Findings[i]
		if f.Fix == act.Kind && f.Target.ID == act.Target.ID {
			f.Resolved = true
		}
	}
	st := a.Step(step)
	st.Evidence = append(st.Evidence, Evidence{At: now, Kind: string(act.Kind), Summary: res.Outcome + ": " + act.Label})
}

// Answer saves a step's non-secret answers without finishing it.
func (e *Engine) Answer(id StepID, answers map[string]string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.storeAnswersLocked(id, answers)
	return e.saveLocked()
}

func (e *Engine) storeAnswersLocked(id StepID, answers map[string]string) {
	d := StepByID(id)
	secret := map[string]bool{}
	if d != nil && d.Questions != nil {
		m, _ := e.ModeOf(d)
		for _, q := range d.Questions(e, e.acct(), m) {
			if q.Kind.Secret() {
				secret[q.ID] = true
			}
		}
	}
	st := e.acct().Step(id)
	if st.Answers == nil {
		st.Answers = map[string]string{}
	}
	for k, v := range answers {
		if !secret[k] {
			st.Answers[k] = ScrubSecrets(v)
		}
	}
}

// ErrNotReady is returned by Complete when a step's condition is unmet.
var ErrNotReady = errors.New("step not ready")

// Complete finishes a step with its answers, records what they mean and
// saves. Secret answers are dropped.
func (e *Engine) Complete(id StepID, answers map[string]string) (err error) {
	defer func() {
		if err == nil {
			e.stepFinished(id)
		}
	}()
	e.mu.Lock()
	defer e.mu.Unlock()
	d := StepByID(id)
	if d == nil {
		return fmt.Errorf("no step %q", id)
	}
	m, _ := e.ModeOf(d)
	a := e.acct()
	e.storeAnswersLocked(id, answers)
	if d.Ready != nil {
		if why := d.Ready(e, a, m); why != "" {
			_ = e.saveLocked()
			return fmt.Errorf("%w: %s", ErrNotReady, why)
		}
	}
	if why := e.unreadLocked(d, m); why != "" {
		_ = e.saveLocked()
		return fmt.Errorf("%w: %s", ErrNotReady, why)
	}
	st := a.Step(id)
	if d.Questions != nil {
		for _, q := range d.Questions(e, a, m) {
			if q.Finding == nil {
				continue
			}
			if f := q.Finding(st.Answers[q.ID]); f != nil {
				if f.Source == "" {
					f.Source = "investigation"
				}
				a.Findings = dedupeFindings(append(a.Findings, *f))
			}
		}
	}
	if d.OnComplete != nil {
		d.OnComplete(e, a, st.Answers)
	}
	status, level, statement, atts := e.outcomeLocked(d, m, st)
	st.Status, st.Level, st.Statement, st.Attestations = status, level, ScrubSecrets(statement), atts
	st.Reason = ""
	st.Finished = e.Now()
	if st.Started.IsZero() {
		st.Started = st.Finished
	}
	for _, at := range atts {
		detail := fmt.Sprintf("“%s” — answered “%s”", at.Question, at.Answer)
		if at.Override != "" {
			detail += " (OVERRIDE of the account's data: " + at.Override + ")"
		}
		e.journalLocked(id, ActionAttest, "", "info", detail)
	}
	e.journalLocked(id, ActionCompleteStep, "", string(level), st.Statement)
	e.advanceLocked(id)
	return e.saveLocked()
}

// unreadLocked says which section an automated audit step has never read
// (an audit of a section that was never read cannot be done).
func (e *Engine) unreadLocked(d *StepDef, m Mode) string {
	if m != ModeAuto || d.Phase != PhaseAudit || len(d.Sections) == 0 {
		return ""
	}
	inv := e.acct().Current()
	if inv == nil {
		return "the account has not been read yet: take the inventory first (Preserve evidence)"
	}
	for _, sec := range d.Sections {
		if msg, bad := inv.Errors[sec]; bad {
			return fmt.Sprintf("the %s could not be read (%s): open the step again to retry, or skip it with a reason", sectionName(sec), msg)
		}
		if !slices.Contains(inv.Read, sec) {
			return fmt.Sprintf("the %s has not been read from the provider: open the step again to read it, or skip it with a reason", sectionName(sec))
		}
	}
	return ""
}

// Skip marks a step skipped with a reason (required).
func (e *Engine) Skip(id StepID, reason string) (err error) {
	defer func() {
		if err == nil {
			e.stepFinished(id)
		}
	}()
	e.mu.Lock()
	defer e.mu.Unlock()
	if strings.TrimSpace(reason) == "" {
		return errors.New("say why the step is skipped: the report shows it")
	}
	st := e.acct().Step(id)
	st.Status, st.Reason, st.Finished = StatusSkipped, ScrubSecrets(reason), e.Now()
	st.Level, st.Statement, st.Attestations = LevelSkipped, "Skipped: "+ScrubSecrets(reason), nil
	e.journalLocked(id, ActionSkipStep, "", string(LevelSkipped), st.Statement)
	e.advanceLocked(id)
	return e.saveLocked()
}

// Reopen sets a finished step back to todo.
func (e *Engine) Reopen(id StepID) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.acct().Step(id)
	st.Status, st.Reason = StatusTodo, ""
	st.Level, st.Statement, st.Attestations = "", "", nil
	e.journalLocked(id, ActionReopenStep, "", "info", "")
	return e.saveLocked()
}

func (e *Engine) advanceLocked(done StepID) {
	views := e.viewsLocked()
	for i, v := range views {
		if v.Def.ID == done {
			for _, n := range views[i+1:] {
				if n.State.Status == StatusTodo {
					e.acct().Cursor = n.Def.ID
					return
				}
			}
		}
	}
	for _, v := range views {
		if v.State.Status == StatusTodo {
			e.acct().Cursor = v.Def.ID
			return
		}
	}
	e.acct().Cursor = ""
}

// Finished reports whether every step is done, skipped or not applicable.
func (e *Engine) Finished() bool { return e.Next() == "" }

// Note adds a free-text journal entry (e.g. "user filed the report").
func (e *Engine) Note(step StepID, action, detail string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.journalLocked(step, action, "", "info", detail)
	return e.saveLocked()
}

func (e *Engine) journalLocked(step StepID, action, target, outcome, detail string) {
	if (e.DryRun || e.inc.DryRun) && !strings.HasPrefix(detail, "DRY RUN") {
		detail = "DRY RUN: " + detail
	}
	// Provider text in a detail (names, URLs) is sanitized at the source:
	// the journal is what every report is rendered and checked from.
	e.inc.appendJournal(JournalEntry{At: e.Now(), Account: provider.Sanitize(e.acct().Label), Step: step, Action: provider.Sanitize(ScrubSecrets(action)), Target: target, Outcome: outcome, Detail: provider.Sanitize(ScrubSecrets(detail))})
}

func (e *Engine) saveLocked() error {
	e.inc.Updated = e.Now()
	// Record which steps do not apply, so a listing of incidents (which has
	// no provider to ask) counts progress the way the UI does.
	if a := e.acct(); a != nil {
		for _, d := range procedure {
			m, why := e.ModeOf(d)
			st := a.Step(d.ID)
			switch {
			case m == ModeNA && st.Status == StatusTodo:
				st.Status, st.Reason = StatusNA, why
				st.Level, st.Statement = LevelNA, "Not applicable: "+why
				e.journalLocked(d.ID, ActionNotApplicable, "", string(LevelNA), st.Statement)
			case m != ModeNA && st.Status == StatusNA:
				st.Status, st.Reason = StatusTodo, ""
				st.Level, st.Statement = "", ""
				e.journalLocked(d.ID, ActionReopenStep, "", "info", "applies again")
			}
		}
	}
	if e.h == nil {
		return nil
	}
	var snap []byte
	if s, ok := e.prov.(provider.Snapshotter); ok {
		b, err := s.Snapshot()
		if err != nil {
			return err
		}
		snap = b
	}
	return e.h.Save(e.inc, snap)
}

// Save writes the incident now.
func (e *Engine) Save() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.saveLocked()
}

func (e *Engine) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.Timeout > 0 {
		return context.WithTimeout(ctx, e.Timeout)
	}
	return context.WithCancel(ctx)
}

func mergeSections(dst, src *Inventory, sections []string) {
	for _, s := range sections {
		if _, bad := src.Errors[s]; !bad && !slices.Contains(src.Read, s) {
			continue // the provider cannot read it: keep what is known
		}
		if msg, bad := src.Errors[s]; bad {
			if dst.Errors == nil {
				dst.Errors = map[string]string{}
			}
			dst.Errors[s] = msg
			continue
		}
		switch s {
		case SecAccount:
			dst.Account = src.Account
		case SecKeys:
			dst.Keys = src.Keys
		case SecTeammates:
			dst.Teammates = src.Teammates
		case SecSubusers:
			dst.Subusers = src.Subusers
		case SecWebhooks:
			dst.Webhooks = src.Webhooks
		case SecMail:
			dst.MailSettings = src.MailSettings
		case SecSenders:
			dst.Senders = src.Senders
		case SecAllow:
			dst.AllowList = src.AllowList
		case SecActivity:
			dst.Activity = src.Activity
		case SecMessages:
			dst.Mail = src.Mail
		case SecSecrets:
			dst.Secrets = src.Secrets
		}
		delete(dst.Errors, s)
		if !slices.Contains(dst.Read, s) {
			dst.Read = append(slices.Clone(dst.Read), s)
			slices.Sort(dst.Read)
		}
	}
	dst.TakenAt = src.TakenAt
}

// Scan runs the leak scanner over roots (empty: the scanner's default),
// records its findings as evidence and marks leaked keys for the rotation.
// It returns the number of findings.
func (e *Engine) Scan(ctx context.Context, roots []string, progress func(files, bytes int64, findings int)) (int, error) {
	if e.Scanner == nil {
		return 0, errors.New("no file scanner in this run")
	}
	if len(roots) > 0 {
		e.Scanner.SetRoots(roots)
	}
	rep, err := e.Scanner.Scan(ctx, progress)
	fs := ScanFindings(rep)
	// a scan that read nothing is an error, never "0 findings" (scanrecord.go)
	rec, detail, err := scanOutcome(scanRoots(rep), roots, len(fs), leakKeyIDs(fs), err)
	if rep != nil {
		if why := rep.IncompleteReasons(); len(why) > 0 {
			rec.Incomplete = provider.SanitizeN(strings.Join(why, "; "), 400)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.acct()
	rec.At = e.Now()
	a.Scans = append(a.Scans, rec)
	if err != nil {
		e.journalLocked(StepScan, "scan", "scan", "failed", detail)
		_ = e.saveLocked()
		return 0, err
	}
	for i := range fs {
		fs[i].Source = "scan"
		fs[i].Title = ScrubSecrets(fs[i].Title)
		fs[i].Detail = ScrubSecrets(fs[i].Detail)
	}
	a.Findings = dedupeFindings(append(a.Findings, fs...))
	e.reanalyzeLocked()
	e.journalLocked(StepScan, "scan", "scan", "ok", detail)
	st := a.Step(StepScan)
	st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "scan", Summary: detail})
	return len(fs), e.saveLocked()
}

// Passwords set in this session are remembered only as salted hashes, in
// memory, so the same new password is not reused across the incident's
// accounts; nothing of them is ever saved.
var pwSalt = func() []byte { b := make([]byte, 16); _, _ = rand.Read(b); return b }()

func pwKey(pw string) [32]byte { return sha256.Sum256(append(append([]byte{}, pwSalt...), pw...)) }

func (e *Engine) passwordUsed(pw string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pwSeen[pwKey(pw)]
}

func (e *Engine) rememberPassword(pw string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.pwSeen == nil {
		e.pwSeen = map[[32]byte]bool{}
	}
	e.pwSeen[pwKey(pw)] = true
}

// LoadPermissions asks the provider what the credential may do (once, at
// the start of a session) so steps the key cannot do are guided from the
// outset instead of failing one at a time.
func (e *Engine) LoadPermissions(ctx context.Context) (*provider.PermissionReport, error) {
	pr, ok := e.prov.(provider.PermissionReporter)
	if !ok {
		return nil, nil
	}
	ctx, cancel := e.ctx(ctx)
	defer cancel()
	rep, err := pr.Permissions(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.Perms = &rep
	e.mu.Unlock()
	return &rep, nil
}

// confirmRevoked re-reads the key list after a revocation: a key the
// provider no longer lists cannot authenticate (SendGrid: after a short
// propagation delay). It returns the journal line proving it, or "" when
// the provider cannot list keys or the key is still there (a deactivated
// key that is still listed is checked by the dead-credential step).
func (e *Engine) confirmRevoked(ctx context.Context, act Action) string {
	l, ok := e.prov.(provider.KeyLister)
	if !ok || e.prov.Info().GraceWindow > 0 {
		return ""
	}
	keys, err := l.ListKeys(ctx)
	if err != nil {
		return ""
	}
	for _, k := range keys {
		if k.ID == act.Target.ID {
			return ""
		}
	}
	// No request is made with the old key (reclaim does not hold its
	// secret): what is read back is its absence from the list.
	return fmt.Sprintf("old key %s (%s…) is no longer in the account's key list at %s (read back; a key the provider no longer lists cannot authenticate)", quote(act.Target.Name), short(act.Target.ID), e.Now().UTC().Format("2006-01-02 15:04:05Z"))
}
