package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
)

// overviewScreen is the procedure: phases with their progress, the steps
// of the current phase, and the open findings.
type overviewScreen struct {
	c        *Common
	cursor   int // index into c.Views
	showHelp bool
}

// cursorStep is where the owner was: the saved cursor, or the first step
// still to do.
func cursorStep(c *Common) checklist.StepID {
	if c.Inc != nil {
		if a := c.Inc.Account(); a != nil && a.Cursor != "" {
			return a.Cursor
		}
	}
	for _, v := range c.Views {
		if v.State.Status == checklist.StatusTodo {
			return v.Def.ID
		}
	}
	return ""
}

func (s *overviewScreen) cursorStep() checklist.StepID { return cursorStep(s.c) }

// focus puts the cursor on step id.
func (s *overviewScreen) focus(id checklist.StepID) {
	for i, v := range s.c.Views {
		if v.Def.ID == id {
			s.cursor = i
			return
		}
	}
}

func (s *overviewScreen) SetSize(int, int) {
	s.cursor = min(s.cursor, max(0, len(s.c.Views)-1))
}

func (s *overviewScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	keys := []key.Binding{k.Up, k.Down, k.Enter, k.Findings, k.Report, k.Help, k.Quit}
	if s.showHelp {
		keys = append(keys, k.Reopen, k.Color, k.ForceQuit)
	}
	return keys
}

func (s *overviewScreen) Update(msg tea.Msg) tea.Cmd {
	c := s.c
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || c.Busy != "" || len(c.Views) == 0 {
		return nil
	}
	c.Err = ""
	keys := c.Keys
	switch {
	case key.Matches(k, keys.Quit):
		return quitCmd
	case key.Matches(k, keys.Help):
		s.showHelp = !s.showHelp
	case key.Matches(k, keys.Up):
		s.cursor = max(0, s.cursor-1)
	case key.Matches(k, keys.Down):
		s.cursor = min(len(c.Views)-1, s.cursor+1)
	case key.Matches(k, keys.Enter):
		v := c.Views[s.cursor]
		if v.State.Status == checklist.StatusNA {
			c.Status = "Not applicable: " + v.State.Reason
			return nil
		}
		return openStepCmd(v.Def.ID)
	case key.Matches(k, keys.Reopen):
		v := c.Views[s.cursor]
		if v.State.Status == checklist.StatusDone || v.State.Status == checklist.StatusSkipped || v.State.Status == checklist.StatusOpen {
			c.Busy = "Reopening"
			e, id := c.Eng, v.Def.ID
			return stateCmd(e, "Reopened \u201c"+v.Def.Title+"\u201d.", func() error { return e.Reopen(id) })
		}
	case key.Matches(k, keys.Findings):
		return navigate(screenFindings)
	case key.Matches(k, keys.Report):
		c.Busy = "Building the report"
		return reportCmd(c.Eng)
	}
	return nil
}

func statusMark(s checklist.Status) string {
	switch s {
	case checklist.StatusDone:
		return "[x]"
	case checklist.StatusSkipped:
		return "[s]"
	case checklist.StatusNA:
		return "[-]"
	case checklist.StatusOpen:
		return "[!]"
	}
	return "[ ]"
}

func (s *overviewScreen) View() string {
	c := s.c
	st := c.Styles
	var b strings.Builder
	curPhase := checklist.Phase("")
	if s.cursor < len(c.Views) {
		curPhase = c.Views[s.cursor].Def.Phase
	}
	w := c.Width
	for _, ph := range checklist.Phases {
		done, total := countSteps(c.Views, ph)
		mark := "  "
		if done == total {
			mark = st.Good.Render("✓ ")
		}
		line := fmt.Sprintf("%s%-26s %s %d/%d", mark, ph, progressBar(done, total, 10), done, total)
		if ph == curPhase {
			line = st.Bold.Render(line)
		}
		b.WriteString(line + "\n")
		if ph != curPhase {
			continue
		}
		for i, v := range c.Views {
			if v.Def.Phase != ph {
				continue
			}
			sel := "   "
			mode := string(v.Mode)
			switch {
			case v.State.Status == checklist.StatusNA:
				mode = "n/a"
			case v.State.Level != "":
				mode = string(v.State.Level) // how it is known: verified, attested, open
			}
			line := fmt.Sprintf("%s %s", statusMark(v.State.Status), v.Def.Title)
			maxTitle := w - 8 - len(mode) - 2
			if lipgloss.Width(line) > maxTitle {
				line = ansi.Truncate(line, maxTitle, "…")
			}
			line += strings.Repeat(" ", max(1, maxTitle-lipgloss.Width(line)+1)) + st.Subtle.Render(mode)
			if i == s.cursor {
				sel = st.Selected.Render(" > ")
				line = st.Selected.Render(line)
			}
			b.WriteString("  " + sel + line + "\n")
		}
	}
	if nl := noticeLines(c); len(nl) > 0 {
		b.WriteString("\n" + strings.Join(nl, "\n") + "\n")
	}
	if c.Inc != nil && c.Inc.Account() != nil {
		open, history := 0, 0
		for _, f := range c.Inc.Account().Findings {
			switch {
			case f.Resolved:
			case f.Target.Kind == "mail" || f.Target.Kind == "ip":
				history++ // what happened: evidence for the report, nothing to undo
			default:
				open++
			}
		}
		if open+history > 0 {
			b.WriteString("\n" + st.Warn.Render(fmt.Sprintf("! %d open findings", open)) + st.Subtle.Render(fmt.Sprintf(", %d more recorded as evidence — press f to see them", history)))
		}
	}
	return b.String()
}

func progressBar(done, total, width int) string {
	if total == 0 {
		return strings.Repeat("·", width)
	}
	n := done * width / total
	return strings.Repeat("█", n) + strings.Repeat("░", width-n)
}
