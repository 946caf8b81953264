package checklist

import (
	"reclaim/provider"
	"slices"
	"strings"
)

// Phase groups steps in the order providers' support asks for them.
type Phase string

const (
	PhaseTriage      Phase = "Triage"
	PhaseEvidence    Phase = "Preserve evidence"
	PhaseInvestigate Phase = "Investigate the leak"
	PhaseRotate      Phase = "Rotate secret API keys"
	PhasePassword    Phase = "Reset the password"
	PhaseTwoFactor   Phase = "Enrol 2FA"
	PhaseAudit       Phase = "Audit the account"
	PhaseReport      Phase = "Report to support"
)

// Phases in order.
var Phases = []Phase{PhaseTriage, PhaseEvidence, PhaseInvestigate, PhaseRotate, PhasePassword, PhaseTwoFactor, PhaseAudit, PhaseReport}

// StepID names a step.
type StepID string

const (
	StepTriage           StepID = "triage"
	StepInventory        StepID = "evidence.inventory"
	StepReview           StepID = "evidence.review"
	StepQuestions        StepID = "investigate.questions"
	StepScan             StepID = "investigate.scan"
	StepCreateKey        StepID = "rotate.create"
	StepVerifyKey        StepID = "rotate.verify"
	StepRevokeKeys       StepID = "rotate.revoke"
	StepDeadCheck        StepID = "rotate.deadcheck"
	StepPassword         StepID = "password.reset"
	StepTwoFactor        StepID = "twofactor.enrol"
	StepAuditAccount     StepID = "audit.account"
	StepAuditKeys        StepID = "audit.keys"
	StepAuditPayment     StepID = "audit.payment"
	StepAuditTwoFactor   StepID = "audit.twofactor"
	StepAuditTeammates   StepID = "audit.teammates"
	StepAuditIPAccess    StepID = "audit.ipaccess"
	StepAuditWebhooks    StepID = "audit.webhooks"
	StepAuditSubusers    StepID = "audit.subusers"
	StepAuditMailSetting StepID = "audit.mailsettings"
	StepAuditSenders     StepID = "audit.senders"
	StepAuditMail        StepID = "audit.mail"
	StepReport           StepID = "report.support"
)

// Mode says how a step is carried out for a given provider.
type Mode string

const (
	ModeAuto   Mode = "automated" // reclaim does it through the API
	ModeGuided Mode = "guided"    // the user does it in the console; reclaim says where and what to record
	ModeNA     Mode = "not applicable"
)

// QKind is a question's input kind.
type QKind string

const (
	QConfirm QKind = "confirm" // "yes" / "no"
	QSelect  QKind = "select"
	QMulti   QKind = "multi" // comma-separated values
	QText    QKind = "text"
	QSecret  QKind = "secret" // never stored, never logged
	// QOTPSetup is a 2FA setup key or otpauth:// link (secret); QOTPCode an
	// authenticator code. Neither is stored.
	QOTPSetup QKind = "otp-setup"
	QOTPCode  QKind = "otp-code"
)

// Option is one choice of a select question.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Question is an input a step asks for.
type Question struct {
	ID      string
	Prompt  string
	Help    string
	Kind    QKind
	Options []Option
	Default string
	// When shows the question only while another question's answer
	// (When[0]) equals When[1] (differs from it, with WhenNot).
	When    [2]string
	WhenNot bool
	// WhenIn, when set, shows the question only while When[0]'s answer is
	// one of these values (When[1] is then unused).
	WhenIn []string
	// Attest makes the answer the owner's word for the step's claim.
	Attest *Attest
	// Hint is a drill's scripted answer, shown, never preselected.
	Hint string
	// Finding turns an answer into a finding (investigation questions).
	Finding func(answer string) *Finding
	// Validate checks an answer as it is typed (nil: anything goes); it
	// may read the form's other live answers.
	Validate func(v string, others Answers) error
}

// Shown reports whether the question is asked, given the form's live
// answers (its When condition).
func (q Question) Shown(answer func(id string) string) bool {
	if q.When[0] == "" {
		return true
	}
	v := answer(q.When[0])
	if len(q.WhenIn) > 0 {
		return slices.Contains(q.WhenIn, v)
	}
	return (v == q.When[1]) != q.WhenNot
}

// Guide is what a guided step tells the user.
type Guide struct {
	LookFor []string
	Record  []string
}

// StepDef is one step of the procedure: data, plus hooks the engine calls.
type StepDef struct {
	ID    StepID
	Phase Phase
	Title string
	Why   string // one sentence: why this step matters
	// Runner is background work the step runs after its form.
	Runner StepRunner
	// Item is the console item for the guided form of this step.
	Item provider.Item
	// Auto reports whether the provider can automate the step.
	Auto func(p provider.Provider) bool
	// Sections of the inventory this step reads (refreshed when it runs).
	Sections []string
	Guide    Guide
	// GuideFor, when set, writes the guide from the provider's Info (its
	// key prefix, its leak search, its scope presets) instead of Guide.
	GuideFor func(info provider.Info) Guide
	// Questions asked on this step; may depend on the engine's state.
	Questions func(e *Engine, a *AccountState, mode Mode) []Question
	// Plan proposes the changes this step would make (automated mode).
	Plan func(e *Engine, a *AccountState) []Action
	// Ready returns what the step still lacks before it can be finished at
	// all (its inputs: an inventory, a replacement key, a section read), or
	// "". An action not taken does not block: it leaves the step open.
	Ready func(e *Engine, a *AccountState, mode Mode) string
	// Claim is what the step establishes when done, as a sentence subject
	// ("The account password was changed").
	Claim string
	// Verify returns the statement of what reclaim read back from the
	// provider that proves the claim, and ok; or why it could not (ok false).
	Verify func(e *Engine, a *AccountState, mode Mode) (statement string, ok bool)
	// Outcome, when set, decides the step's level on its own (the report
	// step: a filing is its evidence).
	Outcome func(e *Engine, a *AccountState) (Status, Level, string)
	// Contradicts lists what the provider's data shows against the claim.
	Contradicts func(e *Engine, a *AccountState) []string
	// OnComplete records what the answers mean (findings, evidence).
	OnComplete func(e *Engine, a *AccountState, answers map[string]string)
	// PlanGuided lets a guided step propose actions (checks reclaim can do
	// itself, such as verifying 2FA codes).
	PlanGuided bool
	// Applies overrides the mode choice (e.g. the scan seam).
	Applies func(e *Engine, p provider.Provider) (Mode, string)
}

// Steps returns the procedure in order.
func Steps() []*StepDef { return procedure }

// StepByID finds a step definition.
func StepByID(id StepID) *StepDef {
	for _, s := range procedure {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// StepIDs lists all step ids in order.
func StepIDs() []StepID {
	ids := make([]StepID, len(procedure))
	for i, s := range procedure {
		ids[i] = s.ID
	}
	return ids
}

// StepsIn returns the steps of a phase in order.
func StepsIn(ph Phase) []*StepDef {
	var out []*StepDef
	for _, s := range procedure {
		if s.Phase == ph {
			out = append(out, s)
		}
	}
	return out
}

func has[T any]() func(provider.Provider) bool {
	return func(p provider.Provider) bool { return provider.Has[T](p) }
}

func hasAll(fs ...func(provider.Provider) bool) func(provider.Provider) bool {
	return func(p provider.Provider) bool {
		for _, f := range fs {
			if !f(p) {
				return false
			}
		}
		return true
	}
}

func never(provider.Provider) bool { return false }

// ModeOf decides how a step runs against a provider: automated when the
// provider has the capability, guided when it has a console page for it (or
// the step is questions only), not applicable otherwise.
func (e *Engine) ModeOf(d *StepDef) (Mode, string) {
	if d.Applies != nil {
		if m, why := d.Applies(e, e.prov); m != "" {
			return m, why
		}
	}
	if e.altLogin() && e.prov.Info().AltConsole[d.Item] != "" {
		// e.g. Twilio unified login: done in the other console, not by API.
		return ModeGuided, ""
	}
	if d.Auto != nil && d.Auto(e.prov) {
		if e.Perms != nil && d.Item != "" && !e.Perms.Allowed(d.Item) {
			var missing []string
			for _, p := range e.Perms.Items {
				if p.Item == d.Item {
					missing = append(missing, p.Missing...)
				}
			}
			return ModeGuided, "this key lacks " + strings.Join(missing, ", ") + ": do it in the console, or restart with a key that has it"
		}
		return ModeAuto, ""
	}
	if d.Item == "" || e.prov.Info().ConsoleLink(d.Item) != "" {
		return ModeGuided, ""
	}
	return ModeNA, e.prov.Info().Name + " has no such feature"
}

// Secret reports whether answers of this kind must never be stored.
func (k QKind) Secret() bool { return k == QSecret || k == QOTPSetup || k == QOTPCode }

// altLogin reports whether the triage said the account signs in the
// provider's other way (Info.AltConsoleName). Callers hold the lock or own
// the engine.
func (e *Engine) altLogin() bool {
	a := e.acct()
	if a == nil || e.prov.Info().AltConsoleName == "" {
		return false
	}
	st, ok := a.Steps[StepTriage]
	return ok && st.Answers["alt_login"] == "yes"
}

// ConsoleLink is the console page for an item, following the account's
// sign-in way.
func (e *Engine) consoleLink(it provider.Item) string {
	info := e.prov.Info()
	if e.altLogin() {
		if l := info.AltConsole[it]; l != "" {
			return l
		}
	}
	return info.ConsoleLink(it)
}
