package checklist

import (
	"fmt"
	"strings"
	"time"
)

// Journal actions that record how a step ended. The journal alone
// determines what a report may claim: ClaimsFromJournal re-derives it.
const (
	ActionCompleteStep  = "complete step"
	ActionSkipStep      = "skip step"
	ActionReopenStep    = "reopen step"
	ActionNotApplicable = "step not applicable"
	ActionAttest        = "attest"
	ActionReportWritten = "report written"
	ActionKnownGap      = "known gap"
)

// Claim is what the journal says of one step: its evidence level, the
// report's statement and when it was recorded.
type Claim struct {
	Phase     Phase     `json:"phase"`
	Step      StepID    `json:"step"`
	Title     string    `json:"title"`
	Level     Level     `json:"level"`
	Statement string    `json:"statement"`
	At        time.Time `json:"at,omitzero"`
	Seq       int       `json:"journal_entry,omitempty"`
}

// ClaimsFromJournal derives every step's claim from journal entries alone,
// in procedure order. A step with no entry is open ("not done").
func ClaimsFromJournal(entries []JournalEntry) []Claim {
	last := map[StepID]JournalEntry{}
	for _, j := range entries {
		switch j.Action {
		case ActionCompleteStep, ActionSkipStep, ActionReopenStep, ActionNotApplicable:
			last[j.Step] = j
		}
	}
	out := make([]Claim, 0, len(procedure))
	for _, d := range procedure {
		c := Claim{Phase: d.Phase, Step: d.ID, Title: d.Title, Level: LevelOpen, Statement: "Open: not done."}
		if j, ok := last[d.ID]; ok && j.Action != ActionReopenStep {
			c.Level, c.Statement, c.At, c.Seq = levelOf(j), j.Detail, j.At.UTC(), j.Seq
		}
		out = append(out, c)
	}
	return out
}

// levelOf reads a step entry's level (journals before evidence levels said
// "ok" for a finished step: that is no evidence, so it reads as attested).
func levelOf(j JournalEntry) Level {
	switch j.Action {
	case ActionSkipStep:
		return LevelSkipped
	case ActionNotApplicable:
		return LevelNA
	}
	switch l := Level(j.Outcome); l {
	case LevelVerified, LevelAttested, LevelBaseline, LevelOpen, LevelSkipped, LevelNA:
		return l
	}
	return LevelAttested
}

// statusOfLevel is the step status a level means.
func statusOfLevel(l Level) Status {
	switch l {
	case LevelVerified, LevelAttested, LevelBaseline:
		return StatusDone
	case LevelSkipped:
		return StatusSkipped
	case LevelNA:
		return StatusNA
	}
	return StatusOpen
}

// CountLevels counts claims per level.
func CountLevels(cs []Claim) map[Level]int {
	n := map[Level]int{}
	for _, c := range cs {
		n[c.Level]++
	}
	return n
}

// LevelCounts renders the counts in a fixed order: "3 verified, 9 attested, …".
func LevelCounts(cs []Claim) string {
	n := CountLevels(cs)
	parts := make([]string, 0, len(Levels))
	for _, l := range Levels {
		if l == LevelBaseline && n[l] == 0 {
			continue // said only when a claim rests on a baseline
		}
		parts = append(parts, fmt.Sprintf("%d %s", n[l], l))
	}
	return strings.Join(parts, ", ")
}

// JournalGaps compares the state with its journal and lists every
// difference: a broken chain, or a step whose recorded status the journal
// does not back (entries lost, or a state edited by hand).
func JournalGaps(inc *Incident) []string {
	var gaps []string
	if _, err := VerifyJournal(inc.Journal); err != nil {
		gaps = append(gaps, "the journal's hash chain is broken: "+err.Error())
	}
	a := inc.Account()
	if a == nil {
		return gaps
	}
	for _, c := range ClaimsFromJournal(inc.Journal) {
		st, ok := a.Steps[c.Step]
		if !ok {
			continue
		}
		want := statusOfLevel(c.Level)
		got := st.Status
		if got == StatusTodo {
			got = StatusOpen
		}
		if c.Seq == 0 && (got == StatusOpen || got == StatusNA) {
			// Not done, or not applicable and not yet journaled as such
			// (incidents from before evidence levels): nothing is claimed.
			continue
		}
		if got != want {
			gaps = append(gaps, fmt.Sprintf("step %q is %s in the state, but the journal says %s", c.Title, got, want))
		}
	}
	return gaps
}

// ReconcileWithJournal sets every step whose state the journal does not
// back to what the journal says (so nothing unbacked is claimed), and
// journals each gap as a known gap, which the report lists. It returns the
// gaps; the caller shows them to the owner and saves.
func (e *Engine) ReconcileWithJournal() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	gaps := JournalGaps(e.inc)
	if len(gaps) == 0 {
		return nil
	}
	a := e.acct()
	for _, c := range ClaimsFromJournal(e.inc.Journal) {
		st := a.Step(c.Step)
		want := statusOfLevel(c.Level)
		if c.Seq == 0 {
			want = StatusTodo
		}
		if st.Status == want || (st.Status == StatusTodo && want == StatusOpen) {
			continue
		}
		st.Status, st.Level, st.Statement = want, c.Level, c.Statement
		if c.Seq == 0 {
			st.Level, st.Statement, st.Attestations = "", "", nil
		}
	}
	for _, g := range gaps {
		e.journalLocked("", ActionKnownGap, "", "info", g)
	}
	_ = e.saveLocked()
	return gaps
}

// KnownGaps lists the gaps found between the state and its journal and
// recorded in it.
func KnownGaps(entries []JournalEntry) []string {
	var out []string
	for _, j := range entries {
		if j.Action == ActionKnownGap {
			out = append(out, fmt.Sprintf("%s: %s", utc(j.At), j.Detail))
		}
	}
	return out
}
