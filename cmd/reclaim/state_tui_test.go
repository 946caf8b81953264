package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
	"reclaim/tui"
)

// listBackend serves a fixed incident list to the start screen.
type listBackend struct {
	tuiBackend
	list []checklist.Summary
}

func (b listBackend) List() ([]checklist.Summary, error) { return b.list, nil }

// startScreen renders the start screen at 80x24 for list.
func startScreen(t *testing.T, list []checklist.Summary) (*tui.Model, string) {
	t.Helper()
	t.Setenv("NO_COLOR", "1")
	m := tui.New(listBackend{tuiBackend{newBackend()}, list}, tui.Options{NoColor: true, Now: func() time.Time { return time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC) }})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	// Init batches the listing with a spinner tick and a colour query: run
	// the listing (the only one that answers at once) and feed its result.
	batch, ok := m.Init()().(tea.BatchMsg)
	if !ok {
		t.Fatal("Init is not a batch")
	}
	for _, c := range batch {
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case msg := <-done:
			if _, tick := msg.(interface{ String() string }); tick {
				continue
			}
			m.Update(msg)
		case <-time.After(2 * time.Second):
		}
	}
	return m, ansi.Strip(m.Render())
}

// Item 6: the start screen lists incidents that cannot be opened, with the
// reason, beside those that resume, within 80x24.
func TestStateStartScreenItems(t *testing.T) {
	now := time.Date(2026, 11, 30, 11, 0, 0, 0, time.UTC)
	ok := func(i int, drill bool) checklist.Summary {
		return checklist.Summary{ID: fmt.Sprintf("ok-%d", i), Title: fmt.Sprintf("Recovery %d", i), Updated: now, Drill: drill, Done: 3, Total: 20, State: checklist.StateOK}
	}
	damaged := checklist.Summary{ID: "20200101-000000-dead-drill", Title: "Drill: Acme", Drill: true, State: checklist.StateDamaged,
		Problem: "state.json is truncated: its JSON stops after 812 bytes", Quarantine: "/s/incidents/x/state.json.damaged-20261130T110000Z"}
	newer := checklist.Summary{ID: "20200102-000000-cafe", Title: "SendGrid account recovery", State: checklist.StateNewer,
		Problem: "state.json was saved by a newer reclaim (schema 2; this reclaim reads schema 1): upgrade reclaim to open it"}
	refused := checklist.Summary{ID: "20200103-000000-beef", State: checklist.StateRefused,
		Problem: "/s/incidents/20200103-000000-beef is writable by every user (mode 0777): reclaim refuses it, as another user could change reclaim's state or files through it. Fix: chmod 700 /s/incidents/20200103-000000-beef"}

	t.Run("one of each", func(t *testing.T) {
		_, s := startScreen(t, []checklist.Summary{ok(1, false), damaged, newer, refused})
		t.Logf("\n%s", s)
		for _, want := range []string{"Resume: Recovery 1", "Damaged: Drill: Acme", "truncated: its JSON stops after 812 bytes · copy kept",
			"Newer reclaim needed: SendGrid account recovery", "upgrade reclaim", "Refused: 20200103-000000-beef", "Fix: chmod 700", "Start a new drill", "Quit"} {
			if !strings.Contains(s, want) {
				t.Errorf("start screen lacks %q", want)
			}
		}
	})
	t.Run("full list fits 80x24", func(t *testing.T) {
		list := []checklist.Summary{ok(1, false), ok(2, true), ok(3, false), ok(4, false), damaged, newer, refused}
		_, s := startScreen(t, list)
		t.Logf("\n%s", s)
		if strings.Count(s, "\n")+1 != 24 {
			t.Errorf("screen has %d rows", strings.Count(s, "\n")+1)
		}
		for _, want := range []string{"Resume: Recovery 3", "3 incidents cannot be opened", "reclaim incidents", "Start a new drill", "Quit", "quitting at any moment is safe"} {
			if !strings.Contains(s, want) {
				t.Errorf("start screen lacks %q", want)
			}
		}
		if strings.Contains(s, "Recovery 4") {
			t.Error("more than three incidents to resume")
		}
	})
	t.Run("several damaged, no resumable", func(t *testing.T) {
		var list []checklist.Summary
		for i := range 6 {
			d := damaged
			d.ID = fmt.Sprintf("2020010%d-000000-dead-drill", i)
			list = append(list, d)
		}
		_, s := startScreen(t, list)
		t.Logf("\n%s", s)
		if strings.Count(s, "Damaged: ") != 3 || !strings.Contains(s, "3 more incidents cannot be opened") || !strings.Contains(s, "Quit") {
			t.Errorf("want three damaged rows and a count of the rest")
		}
		if strings.Contains(s, "Resume:") {
			t.Error("a damaged incident is offered for resuming")
		}
	})
}

// Item 6: "reclaim drill" never resumes a damaged drill: it starts a new
// one (the UI asks the backend for a new drill).
func TestStateDrillSkipsDamaged(t *testing.T) {
	damaged := checklist.Summary{ID: "20200101-000000-dead-drill", Title: "Drill: Acme", Drill: true, State: checklist.StateDamaged, Problem: "state.json is empty (0 bytes)"}
	t.Setenv("NO_COLOR", "1")
	b := &countingBackend{listBackend: listBackend{list: []checklist.Summary{damaged}}}
	m := tui.New(b, tui.Options{Drill: true, NoColor: true})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	for _, c := range m.Init()().(tea.BatchMsg) {
		if c == nil {
			continue
		}
		done := make(chan tea.Msg, 1)
		go func() { done <- c() }()
		select {
		case msg := <-done:
			_, next := m.Update(msg)
			if next != nil {
				next()
			}
		case <-time.After(2 * time.Second):
		}
	}
	if b.newDrills != 1 {
		t.Fatalf("reclaim drill with only a damaged drill asked for %d new drills, want 1", b.newDrills)
	}
}

type countingBackend struct {
	listBackend
	newDrills int
}

func (b *countingBackend) NewDrill(string) (*checklist.Engine, func(), error) {
	b.newDrills++
	return nil, nil, fmt.Errorf("not in this test")
}
