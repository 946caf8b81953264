package tui

import (
	"errors"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
	"reclaim/provider"
)

// Common is the context every screen shares (as soft-serve's common.Common
// and gh-dash's ProgramContext): the size a screen may draw in, styles,
// keys, the clock, the open incident and the footer's message. The root
// keeps it in sync; screens read it and set the footer.
type Common struct {
	// Width and Height are the body's size: what a screen may draw in,
	// below the header and above the footer.
	Width, Height int
	Styles        Styles
	Keys          KeyMap
	Color         bool
	// PlainTerm is TERM=dumb: no OSC 8 links.
	PlainTerm bool
	Now       func() time.Time
	// Spinner is the spinner's current frame.
	Spinner string
	// Getenv reads the user's environment (mail settings); NoMail says why
	// the report cannot be mailed from here.
	Getenv func(string) string
	NoMail string

	// The footer: what runs now, the last error, the last note.
	Busy, Err, Status string

	// A drill's running clock and the injects that struck so far.
	Clock   time.Duration
	IsDrill bool
	Notices []checklist.DrillNotice

	// The open incident, refreshed from every message that carries one.
	Eng   Engine
	Inc   *checklist.Incident
	Views []checklist.StepView
}

// component is one screen: it updates on messages, draws in the size it
// was given and names its keys for the help line. Only the root sets
// tea.View fields; components return strings.
type component interface {
	Update(msg tea.Msg) tea.Cmd
	View() string
	SetSize(width, height int)
	ShortHelp() []key.Binding
}

// screen names the root's active component.
type screen int

const (
	screenStart screen = iota
	screenBriefing
	screenOverview
	screenStep
	screenFindings
	screenReport
	screenReal
	screenArchive
	// screenBack leaves the findings view for the screen it was opened from.
	screenBack
)

// navMsg asks the root to show another screen.
type navMsg struct {
	to screen
	// step opens this step (screenStep).
	step checklist.StepID
}

func navigate(to screen) tea.Cmd { return func() tea.Msg { return navMsg{to: to} } }

func openStepCmd(id checklist.StepID) tea.Cmd {
	return func() tea.Msg { return navMsg{to: screenStep, step: id} }
}

// quitMsg asks the root to save and quit.
type quitMsg struct{ interrupted bool }

func quitCmd() tea.Msg { return quitMsg{} }

func (c *Common) theme() huh.Theme {
	if !c.Color {
		return huh.ThemeFunc(huh.ThemeBase)
	}
	return huh.ThemeFunc(huh.ThemeCharm)
}

// clearFooter forgets the last error and note (a new screen or key).
func (c *Common) clearFooter() { c.Err, c.Status = "", "" }

// fail shows an error in the footer.
func (c *Common) fail(err error) { c.Busy, c.Err = "", describe(err) }

// titleOf is a step's title, or "the end".
func titleOf(id checklist.StepID) string {
	if d := checklist.StepByID(id); d != nil {
		return d.Title
	}
	return "the end"
}

// cut sanitizes attacker-controlled text and cuts it to w cells with an
// ellipsis; the full text stays in the findings view.
func cut(s string, w int) string {
	return ansi.Truncate(provider.Sanitize(s), max(4, w), "…")
}

// wrapLines wraps styled text to w cells, keeping ANSI styles intact.
func wrapLines(s string, w int) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if ansi.StringWidth(l) <= w {
			out = append(out, l)
			continue
		}
		out = append(out, strings.Split(ansi.Wrap(l, w, " /"), "\n")...)
	}
	return out
}

// textRows is how many rows a form's title or help text takes once wrapped
// to a form of width w (inside its border).
func textRows(text string, w int) int {
	if strings.TrimSpace(text) == "" {
		return 0
	}
	return len(wrapLines(text, max(10, w-10))) + 1 // huh wraps narrower than the frame
}

func describe(err error) string {
	msg := provider.Sanitize(err.Error())
	var pe *provider.Error
	if adv := provider.Advice(err); adv != "" && !strings.Contains(msg, "refused:") && errors.As(err, &pe) {
		return msg + " — " + adv
	}
	return msg
}

// snapshotMsg is a message that carries a fresh copy of the incident; the
// root stores it in Common before the screen sees the message.
type snapshotMsg interface {
	snapshot() (*checklist.Incident, []checklist.StepView)
}

var errRequired = errors.New("required")
