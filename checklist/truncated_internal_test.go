package checklist

import (
	"context"
	"strings"
	"testing"
	"time"

	"reclaim/provider/drill"
)

// TestTruncatedSectionIsNeverComplete: a section the provider's answers were
// cut short in is marked incomplete in the report and its audit is not
// verified.
func TestTruncatedSectionIsNeverComplete(t *testing.T) {
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	acct := drill.New(sc, now)
	e := NewEngine(NewIncident(now, sc.Title, acct, true, sc.ID), nil, acct, nil)
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.acct().Before.Truncated = map[string]string{SecSubusers: "truncated at 20000 items (item cap)"}
	if err := e.Complete(StepAuditSubusers, nil); err != nil {
		t.Fatal(err)
	}
	st := e.View(StepAuditSubusers).State
	if st.Level == LevelVerified || !strings.Contains(st.Statement, "incomplete") {
		t.Fatalf("a truncated section was verified: %s %q", st.Level, st.Statement)
	}
	md := e.BuildReport().Markdown()
	for _, want := range []string{"INCOMPLETE at", "subusers list was cut short (truncated at 20000 items (item cap))", "The subusers list is incomplete"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}
