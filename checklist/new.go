package checklist

import (
	"time"

	"reclaim/provider"
)

// NewIncident starts an incident for one provider account.
func NewIncident(now time.Time, title string, p provider.Provider, drill bool, scenario string) *Incident {
	info := p.Info()
	tag := info.ID
	if drill && scenario != "" {
		tag = "drill"
	}
	inc := &Incident{
		Schema: SchemaVersion, ID: NewIncidentID(now, tag), Title: title,
		Created: now.UTC(), Updated: now.UTC(), Drill: drill, Scenario: scenario,
		Accounts: []*AccountState{{Provider: info.ID, Label: info.Name, Steps: map[StepID]*StepState{}}},
	}
	for _, id := range StepIDs() {
		inc.Accounts[0].Step(id)
	}
	inc.appendJournal(JournalEntry{At: now, Account: info.Name, Action: "open incident", Outcome: "info", Detail: title})
	return inc
}

// MarkDryRun makes a new incident a dry run, and says so in its journal.
func (inc *Incident) MarkDryRun(now time.Time) {
	if inc.DryRun {
		return
	}
	inc.DryRun = true
	inc.appendJournal(JournalEntry{At: now, Account: inc.Accounts[0].Label, Action: "dry run", Outcome: "info", Detail: "DRY RUN: nothing will be changed on the account; each change is journaled as what it would do"})
}
