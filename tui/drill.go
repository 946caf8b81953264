package tui

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"reclaim/checklist"
	"reclaim/provider"
)

// A drill runs a clock: every second the root asks the engine for injects
// that are due (which change the simulated account) and shows each as a
// notice. The engine's work (firing, saving) runs in a command.

type drillTickMsg struct{ eng Engine }

type drillNoticesMsg struct {
	eng     Engine
	clock   time.Duration
	notices []checklist.DrillNotice
	err     error
	inc     *checklist.Incident
	views   []checklist.StepView
}

func (msg drillNoticesMsg) snapshot() (*checklist.Incident, []checklist.StepView) {
	return msg.inc, msg.views
}

func drillTickCmd(e Engine) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return drillTickMsg{eng: e} })
}

func drillCheckCmd(e Engine, after int) tea.Cmd {
	return func() tea.Msg {
		ns, err := e.DrillTick(after)
		clock, _ := e.DrillClock()
		msg := drillNoticesMsg{eng: e, clock: clock, notices: ns, err: err}
		if len(ns) > 0 {
			msg.inc, msg.views = e.Snapshot(), e.Views()
		}
		return msg
	}
}

func (m *Model) onDrillTick(msg drillTickMsg) tea.Cmd {
	if msg.eng != m.c.Eng || m.quitting || m.screen == screenArchive {
		return nil // another incident is open now: that clock stopped
	}
	last := 0
	if n := len(m.c.Notices); n > 0 {
		last = m.c.Notices[n-1].Seq
	}
	return drillCheckCmd(msg.eng, last)
}

func (m *Model) onDrillNotices(msg drillNoticesMsg) tea.Cmd {
	if msg.eng != m.c.Eng {
		return nil
	}
	m.c.Clock = msg.clock
	for _, n := range msg.notices {
		m.c.Notices = append(m.c.Notices, n)
		m.c.Status = noticeText(n)
	}
	if msg.err != nil {
		m.c.Err = "The drill could not save what an inject changed: " + describe(msg.err)
	}
	if m.c.Inc != nil && !m.c.Inc.Closed.IsZero() {
		return nil // finished: the clock stops
	}
	return drillTickCmd(msg.eng)
}

// noticeText is an inject as the footer shows it.
func noticeText(n checklist.DrillNotice) string {
	s := fmt.Sprintf("DRILL INJECT %s: %s", clockText(n.At), provider.SanitizeN(n.Title, 120))
	if r := revisitText(n); r != "" {
		s += " Revisit " + r + "."
	}
	if n.Message != "" {
		s += " " + provider.SanitizeN(n.Message, 200)
	}
	return "! " + s
}

// revisitText names the steps a notice sends the player back to.
func revisitText(n checklist.DrillNotice) string {
	var titles []string
	for _, id := range n.Revisit {
		titles = append(titles, "\u201c"+titleOf(checklist.StepID(id))+"\u201d")
	}
	return strings.Join(titles, ", ")
}

// noticeLines are the injects that struck, newest first, for the
// overview: one row each, at most three.
func noticeLines(c *Common) []string {
	if len(c.Notices) == 0 {
		return nil
	}
	st := c.Styles
	what := fmt.Sprintf("! %d drill injects struck", len(c.Notices))
	if len(c.Notices) == 1 {
		what = "! 1 drill inject struck"
	}
	out := []string{st.Warn.Render(what) + st.Subtle.Render(" — o on a step reopens it")}
	for i := len(c.Notices) - 1; i >= 0 && i >= len(c.Notices)-3; i-- {
		n := c.Notices[i]
		l := fmt.Sprintf("  %s %s", clockText(n.At), provider.Sanitize(n.Title))
		if r := revisitText(n); r != "" {
			l += " → " + r
		}
		out = append(out, cut(l, c.Width))
	}
	return out
}

// clockText is a drill clock as T+MM:SS (T+H:MM:SS past an hour).
func clockText(d time.Duration) string {
	d = d.Truncate(time.Second)
	h, mi, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("T+%d:%02d:%02d", h, mi, s)
	}
	return fmt.Sprintf("T+%02d:%02d", mi, s)
}

// debriefLines is the end of a drill: the debrief (score, expectations,
// risky actions), then the completion report.
func debriefLines(d *checklist.Debrief, aarPath, report, reportPath string) func(*Common) []string {
	return func(c *Common) []string {
		st := c.Styles
		lines := []string{st.Title.Render("Drill debrief"), st.Bold.Render(provider.Sanitize(d.ScoreLine()))}
		if aarPath != "" {
			lines = append(lines, st.Subtle.Render("After-action report written to "+aarPath))
		}
		lines = append(lines, "")
		lines = append(lines, sanitizeLines(d.Markdown())...)
		lines = append(lines, "", st.Title.Render("Completion report"))
		if reportPath != "" {
			lines = append(lines, st.Subtle.Render("Written to "+reportPath))
		}
		return append(lines, "", report)
	}
}

// sanitizeLines sanitizes text line by line, keeping its line breaks.
func sanitizeLines(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = provider.Sanitize(l)
	}
	return lines
}
