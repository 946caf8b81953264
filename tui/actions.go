package tui

import (
	"fmt"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"reclaim/checklist"
)

// actionList is a step's proposed changes: recommended ones checked, one
// row each, the highlighted one's reason below it, and a confirmation
// before any destructive change.
type actionList struct {
	plan     []checklist.Action
	selected []bool
	cursor   int
}

func (a *actionList) set(plan []checklist.Action) {
	a.plan, a.cursor = plan, 0
	a.selected = make([]bool, len(plan))
	for i, x := range plan {
		a.selected[i] = x.Recommended
	}
}

func (a *actionList) key(k tea.KeyPressMsg, s *stepScreen) tea.Cmd {
	keys := s.c.Keys
	switch {
	case key.Matches(k, keys.Up):
		a.cursor = max(0, a.cursor-1)
	case key.Matches(k, keys.Down):
		a.cursor = min(len(a.plan)-1, a.cursor+1)
	case key.Matches(k, keys.Toggle):
		if len(a.selected) > 0 {
			a.selected[a.cursor] = !a.selected[a.cursor]
			s.warned = false
		}
	case key.Matches(k, keys.Enter):
		var queue []checklist.Action
		destructive, unselectedRec := 0, 0
		for i, x := range a.plan {
			if a.selected[i] {
				queue = append(queue, x)
				if x.Destructive {
					destructive++
				}
			} else if x.Recommended {
				unselectedRec++
			}
		}
		if unselectedRec > 0 && !s.warned {
			s.warned = true
			s.c.Status = fmt.Sprintf("%d recommended change(s) left out: they stay open findings in the report. Press enter again to go on.", unselectedRec)
			return nil
		}
		s.queue = queue
		if destructive > 0 {
			s.phase = spConfirm
			return nil
		}
		return s.nextAction()
	}
	return nil
}

// lines draws the changes in room rows at most: when they do not fit, a
// window of them around the cursor, so the cursor's row, its reason and
// the confirmation question are always drawn.
func (a *actionList) lines(s *stepScreen, room int) []string {
	st := s.c.Styles
	w := s.c.Width
	head := []string{st.Bold.Render("Proposed changes") + st.Subtle.Render(" (recommended ones are checked)")}
	var tail []string
	if len(s.log) > 0 {
		// The latest results; the journal keeps every one.
		tail = append(tail, s.log[max(0, len(s.log)-3):]...)
	}
	if s.phase == spConfirm {
		n := 0
		for i, x := range a.plan {
			if a.selected[i] && x.Destructive {
				n++
			}
		}
		tail = append(tail, "", st.Warn.Render(fmt.Sprintf("! Make %d change(s) to the account? Each is journaled. (y/n)", n)))
	}
	rows := make([][]string, len(a.plan))
	for i, x := range a.plan {
		box := "[ ]"
		if a.selected[i] {
			box = "[x]"
		}
		cur := "  "
		// One row per change; the reason of the highlighted one says more.
		label := cut(x.Label, max(20, w-8))
		if i == a.cursor && s.phase == spActions {
			cur = st.Selected.Render("> ")
			label = st.Selected.Render(label)
		}
		if x.Destructive {
			box = st.Warn.Render(box)
		}
		rows[i] = []string{cur + box + " " + label}
		if x.Reason != "" && i == a.cursor {
			rows[i] = append(rows[i], wrapLines("      "+st.Subtle.Render("because: "+cut(x.Reason, 2*w-16)), w)...)
		}
	}
	// The window: the cursor's change first, then its neighbours while
	// they fit, keeping a row for each "more" marker.
	left := room - len(head) - len(tail)
	lo, hi := a.cursor, a.cursor+1
	used := 0
	if a.cursor < len(rows) {
		used = len(rows[a.cursor])
	}
	for grew := true; grew; {
		grew = false
		marks := 0
		if lo > 0 {
			marks++
		}
		if hi < len(rows) {
			marks++
		}
		if hi < len(rows) && used+len(rows[hi])+marks <= left {
			used += len(rows[hi])
			hi++
			grew = true
		}
		if lo > 0 && used+len(rows[lo-1])+marks <= left {
			lo--
			used += len(rows[lo])
			grew = true
		}
	}
	out := head
	if lo > 0 {
		out = append(out, st.Subtle.Render(fmt.Sprintf("  ↑ %d more", lo)))
	}
	for _, r := range rows[lo:hi] {
		out = append(out, r...)
	}
	if hi < len(rows) {
		out = append(out, st.Subtle.Render(fmt.Sprintf("  ↓ %d more", len(rows)-hi)))
	}
	return append(out, tail...)
}
