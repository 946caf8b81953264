package tui

import (
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/provider"
)

// TestNewKeyScreenKeepsItsNoticeWithALongName: a 5,000-character key name
// does not push the keyring/memory notice off an 80×24 screen.
func TestNewKeyScreenKeepsItsNoticeWithALongName(t *testing.T) {
	for _, sz := range [][2]int{{70, 22}, {80, 24}} {
		h := newHarness(t, t.TempDir(), Options{Drill: true}, sz[0], sz[1])
		h.press(h.m.c.Keys.Enter)
		s := newStepScreen(h.m.c, h.m.c.Eng, checklist.StepCreateKey)
		s.view = h.m.c.Eng.View(checklist.StepCreateKey)
		s.phase = spSecret
		s.newKey = newNewKeyView(h.m.c, provider.NewKey{APIKey: provider.APIKey{ID: "id123456", Name: strings.Repeat("n", 5000), Scopes: []string{"mail.send"}}, Secret: "not-a-real-secret"}, false)
		h.m.step, h.m.screen = s, screenStep
		h.m.sync()
		sc := h.screen()
		if j := joined(sc); !strings.Contains(j, "Kept in memory only") || !strings.Contains(j, "It is never written to a file") {
			t.Fatalf("%dx%d: the keyring/memory notice is missing:\n%s", sz[0], sz[1], sc)
		}
		if strings.Contains(sc, "not-a-real-secret") {
			t.Fatal("the new key is shown unmasked before v")
		}
		fitsIn(t, sc, sz[0], sz[1])
	}
}
