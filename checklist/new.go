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
