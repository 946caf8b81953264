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

func (a *actionList) lines(s *stepScreen) []string {
	st := s.c.Styles
	w := s.c.Width
	out := []string{st.Bold.Render("Proposed changes") + st.Subtle.Render(" (recommended ones are checked)")}
	for i, x := range a.plan {
		box := "[ ]"
		if a.selected[i] {
			box = "[x]"
		}
		cur := "  "
		// One row per change, so the confirmation below is always drawn;
		// the reason line of the highlighted one says more.
		label := cut(x.Label, max(20, w-8))
		if i == a.cursor && s.phase == spActions {
			cur = st.Selected.Render("> ")
			label = st.Selected.Render(label)
		}
		if x.Destructive {
			box = st.Warn.Render(box)
		}
		out = append(out, cur+box+" "+label)
		if x.Reason != "" && i == a.cursor {
			out = append(out, "      "+st.Subtle.Render("because: "+cut(x.Reason, 2*w-16)))
		}
	}
	out = append(out, s.log...)
	if s.phase == spConfirm {
		n := 0
		for i, x := range a.plan {
			if a.selected[i] && x.Destructive {
				n++
			}
		}
		out = append(out, "", st.Warn.Render(fmt.Sprintf("! Make %d change(s) to the account? Each is journaled. (y/n)", n)))
	}
	return out
}
