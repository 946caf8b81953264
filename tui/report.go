package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"reclaim/checklist"
	"reclaim/checklist/filing"
)

// The report step: after its form (root cause, notes, sign-off) the report
// is previewed, can be copied, mailed or marked as filed in the console,
// and edited again before the step is finished.

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

func (m *Model) previewCmd() tea.Cmd {
	e := m.eng
	return func() tea.Msg {
		r := e.BuildReport()
		return previewMsg{text: r.Markdown(), r: r}
	}
}

func (m *Model) sendCmd(r *checklist.Report) tea.Cmd {
	e := m.eng
	to := e.Provider().Info().Support.Email
	dry := e.IsDryRun()
	return func() tea.Msg {
		if dry {
			return filedMsg{err: fmt.Errorf("this is a DRY RUN: nothing was changed on the account, so its report cannot be sent to support")}
		}
		cfg, err := filing.ForSupport(os.Getenv, to)
		if err != nil {
			return filedMsg{err: fmt.Errorf("%v — set RECLAIM_SMTP_HOST, RECLAIM_SMTP_PORT, RECLAIM_SMTP_USER, RECLAIM_SMTP_PASSWORD and RECLAIM_SMTP_TO (the support address or your ticket's reply address), or use \"reclaim report --send --to ADDRESS\"", err)}
		}
		id, err := filing.Send(context.Background(), cfg, r)
		rcpt := strings.Join(cfg.To, ", ")
		_ = e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: rcpt, MessageID: id, Report: r, Err: err})
		if err != nil {
			return filedMsg{err: err, inc: e.Snapshot()}
		}
		return filedMsg{note: "Sent to " + rcpt + " (Message-ID " + id + "), recorded in the journal.", inc: e.Snapshot()}
	}
}

func (m *Model) markFiledCmd(r *checklist.Report, ticket string) tea.Cmd {
	e := m.eng
	url := e.Provider().Info().Support.URL
	return func() tea.Msg {
		err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledInConsole, To: url, Ticket: ticket, Report: r})
		return filedMsg{note: "Recorded that you filed the report in the console as ticket " + ticket + ".", err: err, inc: e.Snapshot()}
	}
}

func (m *Model) copiedCmd(r *checklist.Report) tea.Cmd {
	e := m.eng
	return func() tea.Msg {
		err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledByCopy, Report: r})
		return filedMsg{note: "Markdown copied with OSC 52 (your terminal must allow it; in tmux: set set-clipboard on); recorded in the journal.", err: err, inc: e.Snapshot()}
	}
}

var (
	keyCopy  = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy Markdown"))
	keyMail  = key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "send by email"))
	keyFiled = key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "I filed it (ticket id)"))
	keyEdit  = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit"))
	keyDone  = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "finish"))
)

func (m *Model) previewKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	s := m.step
	switch {
	case key.Matches(k, m.keys.Up):
		if s.pvScroll > 0 {
			s.pvScroll--
		}
	case key.Matches(k, m.keys.Down):
		s.pvScroll++
	case k.String() == "pgdown", k.String() == "space":
		s.pvScroll += 10
	case k.String() == "pgup":
		s.pvScroll = max(0, s.pvScroll-10)
	case key.Matches(k, keyCopy):
		m.busy = "Recording"
		return m, tea.Batch(tea.SetClipboard(s.pvText), m.copiedCmd(s.pvReport))
	case key.Matches(k, keyMail):
		m.busy = "Sending the report"
		return m, m.sendCmd(s.pvReport)
	case key.Matches(k, keyFiled):
		s.ticket = ""
		s.ticketForm = huh.NewForm(huh.NewGroup(huh.NewInput().Title("The ticket id or URL support gave you (the filing is recorded with it)").Value(&s.ticket).Validate(func(x string) error {
			if strings.TrimSpace(x) == "" {
				return errors.New("give the ticket id or URL: a filing is recorded with it")
			}
			return nil
		}))).WithShowHelp(false).WithTheme(m.theme()).WithWidth(m.contentWidth())
		s.phase = spTicket
		return m, s.ticketForm.Init()
	case key.Matches(k, keyEdit):
		m.buildForm(s)
		s.phase = spForm
		return m, s.form.Init()
	case key.Matches(k, keyDone):
		rep := m.inc.Account().Step(checklist.StepReport).Answers
		if (!m.inc.Filed() || strings.TrimSpace(rep[checklist.AnswerSignoffName]) == "") && !s.warned {
			s.warned = true
			m.status = "Not filed with support yet, or no sign-off name: the step stays OPEN in the report. m sends, c copies, y records a console filing, e edits; enter again finishes anyway."
			return m, nil
		}
		return m, m.completeStep()
	case key.Matches(k, m.keys.Back):
		m.screen = screenOverview
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	}
	return m, nil
}

func (s *stepModel) previewLines(m *Model) []string {
	st := m.styles
	info := m.eng.Provider().Info()
	var head []string
	switch {
	case info.Support.Email != "":
		head = append(head, "Send it to "+info.Support.Email+" (m), or paste it into your open ticket (c copies it).")
	case info.Support.URL != "":
		head = append(head, "Open a ticket at "+st.Accent.Render(hyperlink(info.Support.URL, m.plainTerm))+" and paste it (c copies it); then press y.")
	}
	head = append(head, st.Subtle.Render("Preview — ↑/↓ scroll · e edit the free text · enter finishes and writes report.md/.json/.html"))
	body := wrapLines(s.pvText, m.contentWidth())
	h := max(3, m.bodyHeight()-4-len(head))
	if s.pvScroll > max(0, len(body)-h) {
		s.pvScroll = max(0, len(body)-h)
	}
	end := min(len(body), s.pvScroll+h)
	return append(head, body[s.pvScroll:end]...)
}

// hyperlink wraps a URL in an OSC 8 link; terminals without support show
// the text, which is the URL itself.
func hyperlink(url string, plain bool) string {
	if plain {
		return url
	}
	return "\x1b]8;;" + url + "\x1b\\" + url + "\x1b]8;;\x1b\\"
}
