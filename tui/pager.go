package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"reclaim/checklist"
	"reclaim/provider"
)

// pager shows long text (findings, a report, a journal) a page at a time:
// ↑/↓, pgup/pgdn, home/end and the mouse wheel reach every line, wrapped
// lines counted as drawn. Its offset is clamped in Update and SetSize, so
// View only reads.
type pager struct {
	c       *Common
	content func(c *Common) []string
	off     int
	width   int
	height  int
	// back is what esc does (nil: back to the screen it was opened from).
	back tea.Cmd
	// extra keys shown in the help (an archive's tabs).
	extra []key.Binding

	// the wrapped lines, kept while the incident and width are the same
	cacheInc   *checklist.Incident
	cacheW     int
	cacheColor bool
	cache      []string
	fixed      bool // content does not depend on the incident
}

func newPager(c *Common, content func(c *Common) []string) *pager {
	return &pager{c: c, content: content, width: c.Width, height: c.Height}
}

// textPager shows fixed lines (a report).
func textPager(c *Common, lines []string) *pager {
	p := newPager(c, func(*Common) []string { return lines })
	p.fixed = true
	return p
}

func (p *pager) lines() []string {
	if p.cache != nil && p.cacheW == p.width && p.cacheColor == p.c.Color && (p.fixed || p.cacheInc == p.c.Inc) {
		return p.cache
	}
	p.cache = wrapLines(strings.Join(p.content(p.c), "\n"), p.width)
	p.cacheInc, p.cacheW, p.cacheColor = p.c.Inc, p.width, p.c.Color
	return p.cache
}

func (p *pager) maxOff() int { return max(0, len(p.lines())-p.height) }

func (p *pager) top() { p.off = 0 }

func (p *pager) SetSize(w, h int) {
	p.width, p.height = w, max(1, h)
	p.off = min(p.off, p.maxOff())
}

func (p *pager) ShortHelp() []key.Binding {
	k := p.c.Keys
	return append([]key.Binding{k.Up, k.Down, k.PageDown, k.End, k.Back}, append(p.extra, k.Quit)...)
}

func (p *pager) Update(msg tea.Msg) tea.Cmd {
	k := p.c.Keys
	switch msg := msg.(type) {
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelUp:
			p.off -= 3
		case tea.MouseWheelDown:
			p.off += 3
		}
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, k.Quit):
			return quitCmd
		case key.Matches(msg, k.Back), key.Matches(msg, k.Enter):
			if p.back != nil {
				return p.back
			}
			return navigate(screenBack)
		case key.Matches(msg, k.Up):
			p.off--
		case key.Matches(msg, k.Down):
			p.off++
		case key.Matches(msg, k.PageDown):
			p.off += p.height - 1
		case key.Matches(msg, k.PageUp):
			p.off -= p.height - 1
		case key.Matches(msg, k.Home):
			p.off = 0
		case key.Matches(msg, k.End):
			p.off = p.maxOff()
		}
	}
	p.off = max(0, min(p.off, p.maxOff()))
	return nil
}

func (p *pager) View() string {
	l := p.lines()
	off := max(0, min(p.off, len(l)-p.height))
	end := min(len(l), off+p.height)
	return strings.Join(l[off:end], "\n")
}

// reportLines is the report preview: its path and the Markdown.
func reportLines(text, path string) func(*Common) []string {
	return func(c *Common) []string {
		lines := []string{c.Styles.Title.Render("Report preview")}
		if path != "" {
			lines = append(lines, c.Styles.Subtle.Render("Written to "+path))
		}
		return append(append(lines, ""), text)
	}
}

// findingsLines are the findings in full (the steps cut long names; here
// the whole sanitized text is shown) and the inventory before and now.
func findingsLines(c *Common) []string {
	st := c.Styles
	lines := []string{st.Title.Render("Findings"), ""}
	if c.Inc == nil || c.Inc.Account() == nil {
		return lines
	}
	a := c.Inc.Account()
	if len(a.Findings) == 0 {
		lines = append(lines, "None yet: take the inventory (Preserve evidence) first.")
	}
	for _, f := range a.Findings {
		state := st.Warn.Render("open")
		if f.Resolved {
			state = st.Good.Render("resolved")
		}
		sev := "[" + f.Severity + "]"
		if f.Severity == checklist.High {
			sev = st.Bad.Render(sev)
		}
		lines = append(lines, fmt.Sprintf("%s %s — %s", sev, provider.Sanitize(f.Title), state))
		lines = append(lines, st.Subtle.Render("    evidence: "+provider.Sanitize(f.Evidence)))
	}
	if inv := a.Before; inv != nil {
		lines = append(lines, "", st.Title.Render("Inventory (before → now)"), "")
		cur := a.Current()
		row := func(name string, b, c int) {
			lines = append(lines, fmt.Sprintf("  %-28s %4d → %d", name, b, c))
		}
		row("API keys", len(inv.Keys), len(cur.Keys))
		row("Teammates and invites", len(inv.Teammates), len(cur.Teammates))
		row("Subusers", len(inv.Subusers), len(cur.Subusers))
		row("Webhooks and parse routes", len(inv.Webhooks), len(cur.Webhooks))
		row("Mail settings", len(inv.MailSettings), len(cur.MailSettings))
		row("Sender identities", len(inv.Senders), len(cur.Senders))
		row("IP allow list", len(inv.AllowList), len(cur.AllowList))
		if inv.Mail != nil {
			lines = append(lines, fmt.Sprintf("  %-28s %4d", "Messages, last 30 days", inv.Mail.Total))
		}
	}
	return lines
}
