package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// fitsIn reports what of screen is drawn outside width×height.
func fitsIn(t *testing.T, screen string, width, height int) {
	t.Helper()
	lines := strings.Split(screen, "\n")
	if len(lines) > height {
		t.Errorf("%d×%d: %d lines:\n%s", width, height, len(lines), screen)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("%d×%d: line %d is %d columns: %q", width, height, i+1, w, l)
		}
	}
}

// joined is the screen's words on one line, however they wrapped.
func joined(screen string) string { return strings.Join(strings.Fields(screen), " ") }

// Issue 12, "Too-small message": below 70×22 the message is whole, wrapped to
// the width, down to 20×5 (at 60×20 it was cut to "…your progress i").
func TestTooSmallFits(t *testing.T) {
	for _, sz := range [][2]int{{20, 5}, {40, 10}, {60, 20}, {69, 21}, {69, 30}, {120, 21}} {
		for _, opts := range []Options{{}, {Drill: true}} {
			h := newHarness(t, t.TempDir(), opts, sz[0], sz[1])
			s := h.screen()
			fitsIn(t, s, sz[0], sz[1])
			j := joined(s)
			if !strings.Contains(j, "70×22") || !strings.Contains(j, "ctrl+c") || !strings.Contains(j, "saved") {
				t.Errorf("%d×%d (drill %v): the message lacks the size, ctrl+c or saved:\n%s", sz[0], sz[1], opts.Drill, s)
			}
		}
	}

	// Where there is room, the full wording, wrapped, not cut.
	h := newHarness(t, t.TempDir(), Options{}, 60, 20)
	if j := joined(h.screen()); !strings.Contains(j, "Terminal too small: reclaim needs at least 70×22 (now 60×20).") ||
		!strings.Contains(j, "Enlarge the window, or press ctrl+c to quit; your progress is saved.") {
		t.Errorf("60×20: not the full message:\n%s", h.screen())
	}
	// At 20×5, the short one.
	h.send(tea.WindowSizeMsg{Width: 20, Height: 5})
	if got, want := h.screen(), "Too small: need\n70×22 (now 20×5)\nctrl+c quits; saved"; got != want {
		t.Errorf("20×5:\n got %q\nwant %q", got, want)
	}
	// Back to the minimum: the UI again.
	h.send(tea.WindowSizeMsg{Width: 70, Height: 22})
	if strings.Contains(h.screen(), "oo small") {
		t.Errorf("70×22 still says too small:\n%s", h.screen())
	}
}

// Every size from 20×5 up to the minimum: the message fits and keeps the
// size needed and how to quit; below 20×5 it is cut to what is drawn.
func TestTooSmallEverySize(t *testing.T) {
	for w := 1; w < MinWidth; w++ {
		for h := 1; h < MinHeight; h++ {
			s := tooSmall(w, h)
			fitsIn(t, s, w, h)
			if w >= 20 && h >= 5 {
				if j := joined(s); !strings.Contains(j, "70×22") || !strings.Contains(j, "ctrl+c") || !strings.Contains(j, "quit") {
					t.Errorf("%d×%d: %q", w, h, s)
				}
			}
		}
	}
}
