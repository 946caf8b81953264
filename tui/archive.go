package tui

import (
	"fmt"
	"os"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"reclaim/checklist"
	"reclaim/provider"
)

// archiveScreen is a finished incident, read-only: its report as written,
// its findings and its journal. Nothing in it changes the incident.
type archiveScreen struct {
	c     *Common
	tabs  []*pager
	names []string
	tab   int
}

// archiveMsg is a finished incident opened to read.
type archiveMsg struct {
	eng    *checklist.Engine
	close  func()
	report string
	// debrief is a drill's after-action report ("" when none was written)
	debrief string
	err     error
}

func (msg archiveMsg) snapshot() (*checklist.Incident, []checklist.StepView) {
	if msg.eng == nil {
		return nil, nil
	}
	return msg.eng.Snapshot(), msg.eng.Views()
}

// openArchiveCmd opens a finished incident and reads the report it wrote
// (rebuilt from the journal when the file is gone).
func openArchiveCmd(b Backend, id string) tea.Cmd {
	return func() tea.Msg {
		e, closeFn, err := b.Open(id)
		if err != nil {
			return archiveMsg{err: err}
		}
		text, ok := readSanitized(e.ReportPath())
		if !ok {
			text = "(report.md could not be read; rebuilt from the journal)\n\n" + e.BuildReport().Markdown()
		}
		msg := archiveMsg{eng: e, close: closeFn, report: text}
		if p := e.AfterActionPath(); p != "" {
			msg.debrief, _ = readSanitized(p)
		}
		return msg
	}
}

// readSanitized reads a text file the incident wrote (at most 8 MiB),
// sanitized line by line.
func readSanitized(path string) (string, bool) {
	raw, err := os.ReadFile(path)
	if err != nil || len(raw) >= 8<<20 {
		return "", false
	}
	return strings.Join(sanitizeLines(string(raw)), "\n"), true
}

// closeArchiveCmd releases the incident and goes back to the start screen.
func closeArchiveCmd(m *Model) tea.Cmd {
	return func() tea.Msg {
		m.Close()
		return navMsg{to: screenStart}
	}
}

func (m *Model) onArchive(msg archiveMsg) tea.Cmd {
	m.c.Busy = ""
	if msg.err != nil {
		m.c.Err = describe(msg.err)
		return nil
	}
	m.setClose(msg.close)
	m.c.Eng = msg.eng
	a := &archiveScreen{c: m.c}
	back := tea.Batch(closeArchiveCmd(m), m.start.listCmd())
	contents := []func(*Common) []string{reportLines(msg.report, msg.eng.ReportPath()), findingsLines, journalLines}
	a.names = []string{"Report", "Findings", "Journal"}
	if msg.debrief != "" {
		text := msg.debrief
		contents = append(contents, func(*Common) []string { return []string{text} })
		a.names = append(a.names, "Debrief")
	}
	for _, content := range contents {
		p := newPager(m.c, content)
		p.back = back
		a.tabs = append(a.tabs, p)
	}
	a.tabs[0].fixed = true
	m.archive = a
	m.screen = screenArchive
	m.c.Status = "Read-only: tab shows the " + strings.ToLower(strings.Join(a.names, ", ")) + " in turn; esc goes back."
	return nil
}

func (a *archiveScreen) SetSize(w, h int) {
	for _, t := range a.tabs {
		t.SetSize(w, h-1)
	}
}

func (a *archiveScreen) ShortHelp() []key.Binding {
	return append([]key.Binding{a.c.Keys.Tab}, a.tabs[a.tab].ShortHelp()...)
}

func (a *archiveScreen) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, a.c.Keys.Tab) {
		a.tab = (a.tab + 1) % len(a.tabs)
		return nil
	}
	return a.tabs[a.tab].Update(msg)
}

func (a *archiveScreen) View() string {
	st := a.c.Styles
	head := ""
	for i, name := range a.names {
		if i == a.tab {
			head += st.Selected.Render("[" + name + "]")
		} else {
			head += st.Subtle.Render(" " + name + " ")
		}
		head += " "
	}
	return head + "\n" + a.tabs[a.tab].View()
}

// journalLines is the incident journal: every action with its UTC time.
func journalLines(c *Common) []string {
	lines := []string{c.Styles.Title.Render("Journal"), ""}
	if c.Inc == nil {
		return lines
	}
	for _, j := range c.Inc.Journal {
		l := fmt.Sprintf("#%d %s UTC  %s  %s", j.Seq, j.At.UTC().Format("2006-01-02 15:04:05"), provider.SanitizeN(j.Action, 60), provider.SanitizeN(j.Outcome, 20))
		if j.Target != "" {
			l += "  " + provider.SanitizeN(j.Target, 80)
		}
		lines = append(lines, l)
		if j.Detail != "" {
			lines = append(lines, c.Styles.Subtle.Render("    "+provider.Sanitize(j.Detail)))
		}
	}
	return lines
}
