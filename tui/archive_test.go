package tui

import (
	"github.com/charmbracelet/x/ansi"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
)

// TestFinishedIncidentOpensReadOnly: a finished drill is offered on the
// start screen; it opens read-only on its report, tab shows the findings
// and the journal, nothing is written, and esc goes back to the start.
func TestFinishedIncidentOpensReadOnly(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir, Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter)
	for i := 0; i < 30 && h.m.screen == screenStep; i++ {
		h.finishStep()
	}
	if h.m.screen != screenReport {
		t.Fatalf("the drill did not finish:\n%s", h.screen())
	}
	h.run(h.m.quit())

	state := filepath.Join(dir, "incidents", "20261122-090000-test-drill", "state.json")
	before, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	h2 := newHarness(t, dir, Options{}, 80, 24)
	h2.expect("Read (finished): Drill: SendGrid key leaked")
	for i := 0; i < 5 && !strings.Contains(h2.screen(), "> Read (finished)"); i++ {
		h2.press(h2.m.c.Keys.Down)
	}
	h2.press(h2.m.c.Keys.Enter)
	if h2.m.screen != screenArchive {
		t.Fatalf("not the read-only view:\n%s", h2.screen())
	}
	h2.expect("READ-ONLY")
	h2.expect("[Report]")
	h2.expect("recovery report")
	// The report keeps its lines (it is not run together into one).
	if all := ansi.Strip(strings.Join(h2.m.archive.tabs[0].lines(), "\n")); !strings.Contains(all, "\n## Summary for support") {
		t.Fatalf("the report tab runs the report's lines together:\n%s", h2.screen())
	}
	fitsIn(t, h2.screen(), 80, 24)
	h2.press(h2.m.c.Keys.Tab)
	h2.expect("[Findings]")
	h2.press(h2.m.c.Keys.Tab)
	h2.expect("[Journal]")
	h2.expect("#1 2026-11-22")
	h2.press(h2.m.c.Keys.Tab)
	h2.expect("[Debrief]")
	h2.expect("after-action report")
	h2.press(h2.m.c.Keys.Tab)
	h2.press(h2.m.c.Keys.Tab)
	h2.press(h2.m.c.Keys.Tab)
	h2.press(h2.m.c.Keys.End)
	fitsIn(t, h2.screen(), 80, 24)
	h2.press(h2.m.c.Keys.Back)
	if h2.m.screen != screenStart {
		t.Fatalf("esc did not go back to the start:\n%s", h2.screen())
	}
	after, _ := os.ReadFile(state)
	if string(after) != string(before) {
		t.Fatal("reading a finished incident changed its state file")
	}
	// The lock was released: it opens again.
	h2.press(h2.m.c.Keys.Enter)
	if h2.m.screen != screenArchive {
		t.Fatalf("the finished incident did not open a second time (lock kept?):\n%s", h2.screen())
	}
}

// TestMouseWheelScrollsLongText: the wheel scrolls the findings; the mouse
// is captured only where text scrolls, so elsewhere a console link can be
// selected and copied.
func TestMouseWheelScrollsLongText(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter)
	h.finishStep()
	h.finishStep()
	if h.m.View().MouseMode != tea.MouseModeNone {
		t.Fatal("the mouse is captured on a step screen")
	}
	h.press(h.m.c.Keys.Back)
	h.press(h.m.c.Keys.Findings)
	if h.m.View().MouseMode == tea.MouseModeNone {
		t.Fatal("the mouse is not captured on the findings view")
	}
	first := h.screen()
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if h.m.findings.off != 3 || h.screen() == first {
		t.Fatalf("the wheel did not scroll (offset %d)", h.m.findings.off)
	}
	h.send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	if h.m.findings.off != 0 {
		t.Fatalf("the wheel up did not scroll back (offset %d)", h.m.findings.off)
	}
}
