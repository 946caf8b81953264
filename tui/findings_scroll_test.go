package tui

import (
	"strings"
	"testing"

	"reclaim/checklist"
)

// TestFindingsScrollToTheEndAndOpenFromAStep: at 80×24 the findings view
// reaches its last row (wrapped lines counted), and f inside a step opens it
// and esc returns to that step.
func TestFindingsScrollToTheEndAndOpenFromAStep(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter)
	for i := 0; i < 40 && !(h.m.step != nil && h.m.step.id == checklist.StepQuestions); i++ {
		h.finishStep()
	}
	if h.m.screen != screenStep {
		t.Fatalf("not in a step:\n%s", h.screen())
	}
	// f acts when no form field has the keys (in a form it is typed).
	h.m.step.phase = spReady
	h.press(h.m.c.Keys.Findings)
	if h.m.screen != screenFindings {
		t.Fatalf("f inside a step did not open the findings:\n%s", h.screen())
	}
	all := wrapLines(strings.Join(findingsLines(h.m.c), "\n"), h.m.c.Width)
	last := strings.TrimSpace(all[len(all)-1])
	h.press(h.m.c.Keys.End)
	if !strings.Contains(h.screen(), last) {
		t.Fatalf("end does not show the last row %q:\n%s", last, h.screen())
	}
	for i := 0; i < 200; i++ {
		h.press(h.m.c.Keys.Down)
	}
	if !strings.Contains(h.screen(), last) {
		t.Fatalf("scrolling down does not reach the last row %q:\n%s", last, h.screen())
	}
	h.press(h.m.c.Keys.Back)
	if h.m.screen != screenStep || h.m.step.id != checklist.StepQuestions {
		t.Fatalf("esc did not return to the step: screen %d", h.m.screen)
	}
}
