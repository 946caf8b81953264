package checklist

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"reclaim/provider"
)

// Level says how a step's claim is known. The report states nothing as
// done that is neither verified nor attested.
type Level string

const (
	// LevelVerified: reclaim read it back from the provider (the journal
	// entry is cited).
	LevelVerified Level = "verified"
	// LevelAttested: the owner said so; the question, the answer and the
	// time are kept.
	LevelAttested Level = "attested"
	// LevelOpen: not done, answered No, unanswered or contradicted; the
	// statement says what is left.
	LevelOpen    Level = "open"
	LevelSkipped Level = "skipped"
	LevelNA      Level = "n/a"
)

// Levels in the order reports count them.
var Levels = []Level{LevelVerified, LevelAttested, LevelBaseline, LevelOpen, LevelSkipped, LevelNA}

// Attest marks a question whose answer is the owner's word for a claim.
type Attest struct {
	// Yes are the answers that make the claim.
	Yes []string
	// Claim is what the owner states by answering yes ("the password was
	// changed in the console").
	Claim string
	// FollowUp is what is left when the answer is anything else.
	FollowUp string
}

// Attestation is one answer a claim rests on.
type Attestation struct {
	Question string    `json:"question"`
	Answer   string    `json:"answer"`
	At       time.Time `json:"at"`
	// Override is the provider data the owner overrode, when they did.
	Override string `json:"override,omitempty"`
}

// AnswerOverride is the id of the question offered when the provider's
// data contradicts an attestation.
const AnswerOverride = "override"

// NoAnswer is the first option of every question whose answer is the
// owner's word: the cursor starts on it, and choosing it leaves the step
// open. No answer is ever preselected.
var NoAnswer = Option{Value: "", Label: "No answer yet (leave this open)"}

// choose prepends NoAnswer to a question's options.
func choose(opts ...Option) []Option { return append([]Option{NoAnswer}, opts...) }

// Visible reports whether q is shown, given the answers so far.
func (q Question) Visible(answers map[string]string) bool {
	return q.Shown(func(id string) string { return answers[id] })
}

// LabelOf returns the label of an answer (the value itself for free text).
func (q Question) LabelOf(v string) string {
	if q.Kind == QMulti {
		var out []string
		for _, x := range splitList(v) {
			out = append(out, Question{Options: q.Options}.LabelOf(x))
		}
		return strings.Join(out, "; ")
	}
	for _, o := range q.Options {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

// overrideQuestion is offered when the provider's data contradicts what
// the owner is asked to attest.
func overrideQuestion(lines []string) Question {
	shown := make([]string, 0, len(lines))
	for i, l := range lines {
		if i == 3 {
			shown = append(shown, fmt.Sprintf("and %d more", len(lines)-3))
			break
		}
		shown = append(shown, provider.SanitizeN(l, 90))
	}
	return Question{ID: AnswerOverride, Kind: QSelect,
		Prompt: "The account's data contradicts a Yes here: " + strings.Join(shown, "; ") + ". If you answer Yes anyway, record an override?",
		Help:   "Without an override a Yes stays out of the report and the step stays open.",
		Options: choose(
			Option{"no", "No: keep the step open until the data agrees"},
			Option{"yes", "Yes: I checked; record my answer as an override"},
		)}
}

// outcomeLocked decides how a step that is being finished is known: its
// status, evidence level, the report's statement and the attestations it
// rests on.
func (e *Engine) outcomeLocked(d *StepDef, m Mode, st *StepState) (Status, Level, string, []Attestation) {
	a := e.acct()
	now := e.Now().UTC()
	if e.DryRun {
		if would := e.dryRunLinesLocked(d.ID); len(would) > 0 {
			return StatusSkipped, LevelSkipped, "DRY RUN: nothing was changed; reclaim " + strings.Join(would, "; "), nil
		}
	}
	if d.Outcome != nil {
		status, level, statement := d.Outcome(e, a)
		return status, level, statement, nil
	}
	var why string
	if d.Verify != nil {
		e.verifyLevel = ""
		s, ok := d.Verify(e, a, m)
		if ok {
			level := LevelVerified
			if e.verifyLevel != "" {
				level = e.verifyLevel
			}
			e.verifyLevel = ""
			return StatusDone, level, s, nil
		}
		e.verifyLevel = ""
		why = s
	}
	var qs []Question
	if d.Questions != nil {
		qs = d.Questions(e, a, m)
	}
	var attest, info []Question
	for _, q := range qs {
		if q.ID == AnswerOverride || q.Kind.Secret() || !q.Visible(st.Answers) {
			continue
		}
		if q.Attest != nil {
			attest = append(attest, q)
		} else if q.Kind == QSelect || q.Kind == QConfirm || q.Kind == QMulti || q.Kind == QText {
			info = append(info, q)
		}
	}
	if len(attest) == 0 {
		if d.Verify != nil {
			return StatusOpen, LevelOpen, "Open: " + firstNonEmpty(why, "not verified"), nil
		}
		return e.infoOutcomeLocked(d, st, info, now)
	}
	var atts []Attestation
	var open, claims []string
	for _, q := range attest {
		ans := st.Answers[q.ID]
		if ans == "" {
			open = append(open, "not answered: "+q.Prompt)
			continue
		}
		label := q.LabelOf(ans)
		atts = append(atts, Attestation{Question: q.Prompt, Answer: label, At: now})
		if !slices.Contains(q.Attest.Yes, ans) {
			open = append(open, firstNonEmpty(q.Attest.FollowUp, fmt.Sprintf("answered “%s” to “%s”", label, q.Prompt)))
			continue
		}
		claims = append(claims, fmt.Sprintf("%s (answered “%s” to “%s” at %s)", q.Attest.Claim, label, q.Prompt, hhmm(now)))
	}
	if len(open) > 0 {
		if why != "" {
			open = append([]string{why}, open...)
		}
		return StatusOpen, LevelOpen, "Open: " + strings.Join(open, "; "), atts
	}
	statement := e.attesterLocked() + " states that " + strings.Join(claims, "; and that ")
	if d.Contradicts != nil {
		if c := d.Contradicts(e, a); len(c) > 0 {
			shown := strings.Join(c, "; ")
			if st.Answers[AnswerOverride] != "yes" {
				return StatusOpen, LevelOpen, "Open: the account's data contradicts the owner's answer: " + shown, atts
			}
			for i := range atts {
				atts[i].Override = shown
			}
			atts = append(atts, Attestation{Question: "Record an override of the account's data?", Answer: "Yes", At: now, Override: shown})
			statement += ". OVERRIDE: the account's data showed " + shown + "; the owner overrode it"
		}
	}
	if m == ModeAuto {
		statement += "; reclaim did not read this back from the provider"
	} else {
		statement += "; the provider's API cannot confirm it"
	}
	return StatusDone, LevelAttested, statement + ".", atts
}

// infoOutcomeLocked is the outcome of a step of plain questions (triage,
// investigation, review): attested when answered, open when not.
func (e *Engine) infoOutcomeLocked(d *StepDef, st *StepState, qs []Question, now time.Time) (Status, Level, string, []Attestation) {
	if len(qs) == 0 {
		return StatusDone, LevelAttested, fmt.Sprintf("The owner marked this step done at %s; reclaim has nothing to read back for it.", hhmm(now)), nil
	}
	var atts []Attestation
	answered := 0
	for _, q := range qs {
		v := strings.TrimSpace(st.Answers[q.ID])
		if v == "" {
			continue
		}
		answered++
		label := v
		if q.Kind == QMulti {
			label = fmt.Sprintf("%d of %d ticked", len(splitList(v)), len(q.Options))
		} else {
			label = q.LabelOf(v)
		}
		atts = append(atts, Attestation{Question: q.Prompt, Answer: provider.SanitizeN(label, 200), At: now})
	}
	if d.ID == StepReview {
		return e.reviewOutcomeLocked(now, atts)
	}
	if answered == 0 {
		return StatusOpen, LevelOpen, "Open: none of the questions was answered.", nil
	}
	return StatusDone, LevelAttested, fmt.Sprintf("%s answered %d of %d questions at %s (listed in the report).", e.attesterLocked(), answered, len(qs), hhmm(now)), atts
}

// reviewOutcomeLocked: the review is the owner's word on which objects are
// theirs. Marking none leaves it open (nothing was reviewed, as far as
// anyone can tell); every unmarked object stays unreviewed.
func (e *Engine) reviewOutcomeLocked(now time.Time, atts []Attestation) (Status, Level, string, []Attestation) {
	a := e.acct()
	total := len(ReviewObjects(a.Before, e.SessionKeyID))
	n := len(a.Vouched)
	if st, l, s, at, ok := e.reviewBaselineOutcome(now, total, n, atts); ok {
		return st, l, s, at
	}
	if n == 0 && total > 0 {
		return StatusOpen, LevelOpen, fmt.Sprintf("Open: nothing was marked as the owner's; all %d account objects (keys, teammates, subusers, webhooks, senders, mail settings) stay unreviewed and count as unknown.", total), atts
	}
	return StatusDone, LevelAttested, fmt.Sprintf("%s marked %d of %d account objects as the owner's at %s; the other %d stay unreviewed and count as unknown.", e.attesterLocked(), n, total, hhmm(now), total-n), atts
}

// dryRunLinesLocked lists what a dry run would have done in a step.
func (e *Engine) dryRunLinesLocked(id StepID) []string {
	var out []string
	for _, j := range e.inc.Journal {
		if j.Step == id && j.Outcome == "dry-run" {
			out = append(out, strings.TrimPrefix(j.Detail, "DRY RUN: "))
		}
	}
	return out
}

// journalRef cites the journal entries of a step's successful actions of
// the given kinds: "journal #12, #13".
func (e *Engine) journalRefLocked(step StepID, kinds ...ActionKind) (string, time.Time) {
	var refs []string
	var last time.Time
	for _, j := range e.inc.Journal {
		if (step == "" || j.Step == step) && (j.Outcome == "ok" || j.Outcome == "already done") && slices.Contains(kinds, ActionKind(j.Action)) {
			refs = append(refs, fmt.Sprintf("#%d", j.Seq))
			last = j.At
		}
	}
	if len(refs) == 0 {
		return "", last
	}
	return "journal " + strings.Join(refs, ", "), last
}

// attesterLocked names who answered: the owner, or the autopilot.
func (e *Engine) attesterLocked() string {
	if e.Attester != "" {
		return e.Attester
	}
	return "The owner"
}

func hhmm(t time.Time) string { return t.UTC().Format("2006-01-02 15:04Z") }
