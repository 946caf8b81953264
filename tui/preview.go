package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"reclaim/checklist"
	"reclaim/checklist/filing"
	"reclaim/provider"
)

// reportPreview is the report step's runner: after its form (root cause,
// notes, sign-off) the report is previewed, can be copied, mailed or
// marked as filed in the console (with its ticket id), and edited again
// before the step is finished.
type reportPreview struct {
	s      *stepScreen
	text   string
	report *checklist.Report
	off    int
	ticket *huh.Form
	id     string
}

type previewMsg struct {
	text string
	r    *checklist.Report
	err  error
}

type filedMsg struct {
	note string
	err  error
	inc  *checklist.Incident
}

func (msg filedMsg) snapshot() (*checklist.Incident, []checklist.StepView) { return msg.inc, nil }

func (p *reportPreview) build() tea.Cmd {
	p.s.c.Busy = "Building the report preview"
	e := p.s.eng
	return func() tea.Msg {
		r := e.BuildReport()
		return previewMsg{text: r.Markdown(), r: r}
	}
}

func (p *reportPreview) sendCmd() tea.Cmd {
	e, r := p.s.eng, p.report
	to := e.Provider().Info().Support.Email
	dry := e.IsDryRun()
	getenv, noMail := p.s.c.Getenv, p.s.c.NoMail
	return func() tea.Msg {
		if noMail != "" {
			return filedMsg{err: fmt.Errorf("%s: copy the report (c) or record a console filing (y)", noMail)}
		}
		if dry {
			return filedMsg{err: fmt.Errorf("this is a DRY RUN: nothing was changed on the account, so its report cannot be sent to support")}
		}
		cfg, err := filing.ForSupport(getenv, to)
		if err != nil {
			return filedMsg{err: fmt.Errorf("%v — set RECLAIM_SMTP_HOST, RECLAIM_SMTP_PORT, RECLAIM_SMTP_USER, RECLAIM_SMTP_PASSWORD and RECLAIM_SMTP_TO (the support address or your ticket's reply address), or use \"reclaim report --send --to ADDRESS\"", err)}
		}
		id, err := filing.Send(context.Background(), cfg, r)
		rcpt := strings.Join(cfg.To, ", ")
		_ = e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: rcpt, MessageID: id, Report: r, Err: err})
		if err != nil {
			return filedMsg{err: err, inc: e.Snapshot()}
		}
		return filedMsg{note: "Sent to " + rcpt + " (Message-ID " + provider.Sanitize(id) + "), recorded in the journal.", inc: e.Snapshot()}
	}
}

func (p *reportPreview) markFiledCmd(ticket string) tea.Cmd {
	e, r := p.s.eng, p.report
	url := e.Provider().Info().Support.URL
	return func() tea.Msg {
		err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledInConsole, To: url, Ticket: ticket, Report: r})
		return filedMsg{note: "Recorded that you filed the report in the console as ticket " + provider.Sanitize(ticket) + ".", err: err, inc: e.Snapshot()}
	}
}

func (p *reportPreview) copiedCmd() tea.Cmd {
	e, r := p.s.eng, p.report
	return func() tea.Msg {
		err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledByCopy, Report: r})
		return filedMsg{note: "Markdown copied with OSC 52 (your terminal must allow it; in tmux: set set-clipboard on); recorded in the journal.", err: err, inc: e.Snapshot()}
	}
}

func (p *reportPreview) update(msg tea.Msg) tea.Cmd {
	c := p.s.c
	switch msg := msg.(type) {
	case previewMsg:
		c.Busy = ""
		if msg.err != nil {
			c.Err = describe(msg.err)
			return nil
		}
		p.text, p.report, p.off, p.s.phase = msg.text, msg.r, 0, spPreview
	case filedMsg:
		c.Busy = ""
		if msg.err != nil {
			c.Err = describe(msg.err) + " — the report is kept; nothing was lost."
		} else {
			c.Status = msg.note
		}
	}
	return nil
}

func (p *reportPreview) forwardTicket(msg tea.Msg) tea.Cmd {
	fm, cmd := p.ticket.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		p.ticket = f
	}
	switch p.ticket.State {
	case huh.StateCompleted:
		p.s.phase = spPreview
		p.s.c.Busy = "Recording"
		return tea.Batch(cmd, p.markFiledCmd(strings.TrimSpace(p.id)))
	case huh.StateAborted:
		p.s.phase = spPreview
		return nil
	}
	return cmd
}

func (p *reportPreview) key(k tea.KeyPressMsg) tea.Cmd {
	s, c := p.s, p.s.c
	keys := c.Keys
	switch {
	case key.Matches(k, keys.Up):
		p.off = max(0, p.off-1)
	case key.Matches(k, keys.Down):
		p.off++
	case key.Matches(k, keys.PageDown):
		p.off += 10
	case key.Matches(k, keys.PageUp):
		p.off = max(0, p.off-10)
	case key.Matches(k, keys.Home):
		p.off = 0
	case key.Matches(k, keys.End):
		p.off = 1 << 30
	case key.Matches(k, keys.CopyReport):
		c.Busy = "Recording"
		return tea.Batch(tea.SetClipboard(p.text), p.copiedCmd())
	case key.Matches(k, keys.Mail):
		c.Busy = "Sending the report"
		return p.sendCmd()
	case key.Matches(k, keys.Filed):
		p.id = ""
		p.ticket = huh.NewForm(huh.NewGroup(huh.NewInput().Title("The ticket id or URL support gave you (the filing is recorded with it)").Value(&p.id).Validate(func(x string) error {
			if strings.TrimSpace(x) == "" {
				return errors.New("give the ticket id or URL: a filing is recorded with it")
			}
			return nil
		}))).WithShowHelp(false).WithTheme(c.theme()).WithWidth(c.Width)
		s.phase = spTicket
		return p.ticket.Init()
	case key.Matches(k, keys.Edit):
		return s.ask()
	case key.Matches(k, keys.Finish):
		signed := false
		if c.Inc != nil {
			signed = strings.TrimSpace(c.Inc.Account().Step(s.id).Answers[checklist.AnswerSignoffName]) != ""
		}
		if (c.Inc == nil || !c.Inc.Filed() || !signed) && !s.warned {
			s.warned = true
			c.Status = "Not filed with support yet, or no sign-off name: the step stays OPEN in the report. m sends, c copies, y records a console filing, e edits; enter again finishes anyway."
			return nil
		}
		return s.complete()
	case key.Matches(k, keys.Back):
		return s.toOverview()
	case key.Matches(k, keys.Quit):
		return quitCmd
	}
	p.off = max(0, min(p.off, p.maxOff()))
	return nil
}

func (p *reportPreview) head() []string {
	c := p.s.c
	st := c.Styles
	info := p.s.eng.Provider().Info()
	var head []string
	switch {
	case info.Support.Email != "":
		head = append(head, "Send it to "+provider.Sanitize(info.Support.Email)+" (m), or paste it into your open ticket (c copies it).")
	case info.Support.URL != "":
		head = append(head, "Open a ticket at "+st.Accent.Render(hyperlink(info.Support.URL, c.PlainTerm))+" and paste it (c copies it); then press y.")
	}
	return append(head, st.Subtle.Render("Preview — ↑/↓ scroll · e edit the free text · enter finishes and writes report.md/.json/.html"))
}

func (p *reportPreview) rows() int { return max(3, p.s.c.Height-4-len(p.head())) }

func (p *reportPreview) maxOff() int {
	return max(0, len(wrapLines(p.text, p.s.c.Width))-p.rows())
}

func (p *reportPreview) lines() []string {
	body := wrapLines(p.text, p.s.c.Width)
	h := p.rows()
	off := max(0, min(p.off, len(body)-h))
	end := min(len(body), off+h)
	return append(p.head(), body[off:end]...)
}
