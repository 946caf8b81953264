package tui

import (
	"strings"
	"testing"

	"reclaim/provider"
)

// TestNewKeyScreenKeepsItsNoticeWithALongName: a 5,000-character key name
// does not push the keyring/memory notice off an 80×24 screen.
func TestNewKeyScreenKeepsItsNoticeWithALongName(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 80, 24)
	h.press(h.m.keys.Enter)
	h.m.screen = screenStep
	h.m.step = &stepModel{phase: spSecret, newKey: &provider.NewKey{APIKey: provider.APIKey{ID: "id123456", Name: strings.Repeat("n", 5000), Scopes: []string{"mail.send"}}, Secret: "not-a-real-secret"}}
	lines := h.m.step.secretLines(h.m)
	sc := strings.Join(lines, "\n")
	if !strings.Contains(sc, "Kept in ") || !strings.Contains(sc, "It is never written to a file") {
		t.Fatalf("the keyring/memory notice is missing:\n%s", sc)
	}
	for _, l := range lines {
		if len([]rune(l)) > 200 {
			t.Fatalf("a line of %d characters: the name is not cut", len([]rune(l)))
		}
	}
}
