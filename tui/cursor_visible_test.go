package tui

import (
	"context"
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/provider/drill"
)

// TestCursorAlwaysDrawn walks the review list (the longest choice, with
// two 5,000-character key names added) from its first option to its last
// at the 70×22 minimum and at 80×24: after every ↓ the cursor's row is on
// the screen, and every option was drawn at some point.
func TestCursorAlwaysDrawn(t *testing.T) {
	for _, sz := range [][2]int{{70, 22}, {80, 24}} {
		h := newHarnessWith(t, t.TempDir(), Options{Drill: true}, sz[0], sz[1], func(a *drill.Account) {
			for i := 0; i < 2; i++ {
				if _, err := a.CreateKey(context.Background(), longName, []string{"mail.send"}); err != nil {
					t.Fatal(err)
				}
			}
		})
		h.press(h.m.c.Keys.Enter)
		h.finishStep() // triage
		h.finishStep() // inventory
		if h.m.step == nil || h.m.step.id != checklist.StepReview || h.m.step.phase != spForm {
			t.Fatalf("not on the review form:\n%s", h.screen())
		}
		var n int
		for _, q := range h.m.step.questions {
			if q.Kind == checklist.QMulti {
				n = len(q.Options)
				break
			}
		}
		if n < 12 {
			t.Fatalf("the review offers %d options; the test needs a list that scrolls", n)
		}
		seen := map[string]bool{}
		for i := 0; i < n; i++ {
			sc := h.screen()
			fitsIn(t, sc, sz[0], sz[1])
			cursor := false
			for _, l := range strings.Split(sc, "\n") {
				if strings.Contains(l, "> [") {
					cursor = true
				}
				if j := strings.Index(l, "[ ] "); j >= 0 {
					seen[strings.TrimSpace(l[j:])] = true
				}
			}
			if !cursor {
				t.Fatalf("%dx%d: after %d × ↓ the cursor's row is not drawn:\n%s", sz[0], sz[1], i, sc)
			}
			h.press(h.m.c.Keys.Down)
		}
		if len(seen) < n-1 { // the cursor's own row is read as "> [ ]"
			t.Errorf("%dx%d: %d of %d options were ever drawn", sz[0], sz[1], len(seen), n)
		}
	}
}
