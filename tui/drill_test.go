package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"reclaim/provider/drill"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reclaim/checklist"
)

// TestDrillClockAndInjects: the header shows the drill clock; an inject
// that falls due strikes on the next tick, changes the simulated account
// (a new admin teammate) and is shown as a notice naming the step to
// revisit.
func TestDrillClockAndInjects(t *testing.T) {
	var now atomic.Int64
	now.Store(epoch.Add(10 * time.Minute).UnixNano())
	dir := t.TempDir()
	b := &memBackend{t: t, store: &checklist.Store{Dir: dir}, clock: func() time.Time { return time.Unix(0, now.Load()) }}
	m := New(b, Options{Drill: true, Scenario: "sendgrid-attacker-strikes-back", Now: func() time.Time { return epoch.Add(time.Hour) }})
	h := &harness{t: t, m: m}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.run(m.start.listCmd())
	h.expect("T+10:00")
	if len(m.c.Notices) != 0 {
		t.Fatalf("an inject struck before its time: %+v", m.c.Notices)
	}
	now.Store(epoch.Add(17 * time.Minute).UnixNano()) // new-admin is due at 16m; it strikes on the next tick
	h.send(drillTickMsg{eng: m.c.Eng})
	if len(m.c.Notices) != 1 || m.c.Notices[0].Inject != "new-admin" {
		t.Fatalf("the inject did not strike: %+v", m.c.Notices)
	}
	h.expect("T+17:00")
	if j := joined(h.screen()); !strings.Contains(j, "DRILL INJECT T+17:00: A new admin teammate appeared: it-helpdesk") || !strings.Contains(j, "Revisit") {
		t.Fatalf("no notice on screen:\n%s", h.screen())
	}
	tms, err := drill.Of(m.c.Eng.Provider()).ListTeammates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tm := range tms {
		found = found || tm.Username == "it-helpdesk"
	}
	if !found {
		t.Error("the inject did not add the attacker's admin to the simulated account")
	}
	// The overview lists it with the step to revisit.
	h.press(h.m.c.Keys.Enter) // the briefing
	h.press(h.m.c.Keys.Back)
	if j := joined(h.screen()); !strings.Contains(j, "1 drill inject struck") || !strings.Contains(j, "T+17:00 A new admin teammate appeared: it-helpdesk → “Teammates") {
		t.Fatalf("the overview does not list the inject:\n%s", h.screen())
	}
	// The same notice is not shown twice.
	h.send(drillTickMsg{eng: m.c.Eng})
	if len(m.c.Notices) != 1 {
		t.Fatalf("notices repeated: %+v", m.c.Notices)
	}
}
