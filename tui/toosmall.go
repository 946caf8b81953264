package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// tooSmall is the screen below MinWidth×MinHeight: the longest of its
// wordings that, wrapped to the width, fits the height (down to 20×5 the
// short one does); at smaller sizes it is cut to what is drawn.
func tooSmall(width, height int) string {
	need := fmt.Sprintf("%d×%d", MinWidth, MinHeight)
	now := fmt.Sprintf("%d×%d", width, height)
	wordings := []string{
		"Terminal too small: reclaim needs at least " + need + " (now " + now + ").\nEnlarge the window, or press ctrl+c to quit; your progress is saved.",
		"Too small: need " + need + " (now " + now + ")\nctrl+c quits; saved",
		"Too small: need " + need + "\nctrl+c quits; saved",
	}
	w := max(width, 1)
	var lines []string
	for _, s := range wordings {
		lines = lines[:0]
		for _, l := range strings.Split(s, "\n") {
			for _, r := range strings.Split(ansi.Wrap(l, w, ""), "\n") {
				lines = append(lines, ansi.Truncate(strings.TrimRight(r, " "), w, ""))
			}
		}
		if len(lines) <= height {
			break
		}
	}
	if len(lines) > max(height, 1) {
		lines = lines[:max(height, 1)]
	}
	return strings.Join(lines, "\n")
}
