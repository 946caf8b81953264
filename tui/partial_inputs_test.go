package tui

import (
	"strings"
	"testing"

	"reclaim/checklist"
)

// TestPartialSecretsAreAskedAgain: a new password typed without the current
// one is not dropped in silence: the form says what is missing and asks
// again. A drill's prefilled 2FA setup key with no codes typed is not a
// partial answer: Enter goes on to "How is 2FA enrolled?".
func TestPartialSecretsAreAskedAgain(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter)
	for i := 0; i < 40 && !(h.m.step != nil && h.m.step.id == checklist.StepPassword); i++ {
		h.finishStep()
	}
	h.press(h.m.c.Keys.Next) // current password: left empty
	h.typeText("Quiet-Lantern-4471-Orchard")
	h.press(h.m.c.Keys.Next)
	h.typeText("Quiet-Lantern-4471-Orchard")
	h.press(h.m.c.Keys.Next)
	if h.m.step.id != checklist.StepPassword || h.m.step.phase != spForm {
		t.Fatalf("the step moved on with only the new password typed:\n%s", h.screen())
	}
	if !strings.Contains(joined(h.screen()), "was left empty, so nothing was changed") {
		t.Fatalf("no word on the missing current password:\n%s", h.screen())
	}
	// Leaving everything empty goes on, the step open.
	for i := 0; i < 3; i++ {
		h.press(h.m.c.Keys.Next)
	}
	if h.m.step.id != checklist.StepTwoFactor {
		t.Fatalf("empty fields did not go on:\n%s", h.screen())
	}
	for i := 0; i < 4 && !strings.Contains(h.screen(), "How is 2FA enrolled"); i++ {
		h.press(h.m.c.Keys.Next)
	}
	if !strings.Contains(h.screen(), "How is 2FA enrolled") {
		t.Fatalf("the prefilled setup key without codes does not lead to the method question:\n%s", h.screen())
	}
	h.press(h.m.c.Keys.Next)
	if h.m.step.id == checklist.StepTwoFactor {
		t.Fatalf("the 2FA step did not go on:\n%s", h.screen())
	}
}
