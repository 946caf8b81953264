// Package tui is reclaim's terminal UI: a root model that routes messages
// to one component per screen (start, briefing, overview, step, findings,
// report, real-account start, finished incident), sharing a Common context.
package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
	"reclaim/provider"
)

// Backend opens and creates incidents. Its methods do I/O and are only
// called from commands.
type Backend interface {
	List() ([]checklist.Summary, error)
	NewDrill(scenario string) (*checklist.Engine, func(), error)
	Open(id string) (*checklist.Engine, func(), error)
	// Providers lists the real (non-drill) provider adapters.
	Providers() []provider.Info
	// Credential finds a provider's credential in the environment or the
	// keyring ("" when neither has it).
	Credential(info provider.Info) string
	// NewRecovery starts an incident on a real account.
	NewRecovery(providerID, credential string) (*checklist.Engine, func(), error)
}

// Options configure a run.
type Options struct {
	Drill    bool   // start on the drill (resume an unfinished one unless Fresh)
	Scenario string // drill scenario
	// DrillAbout says what the drill simulates, for the start menu ("a
	// simulated compromised … account"; empty: said without a provider).
	DrillAbout string
	Fresh      bool // always start a new drill
	NoColor    bool
	// Getenv reads the user's environment (NO_COLOR, TERM): over SSH the
	// session's, not the server's. Nil reads the process environment.
	Getenv func(string) string
	// Now is the clock for relative times (tests).
	Now func() time.Time
	// NoMail, when set, says why the report cannot be mailed from here
	// (the drill server: a player must not make it send mail).
	NoMail string
}

// MinWidth and MinHeight are the smallest terminal the UI lays out in.
const (
	MinWidth  = 70
	MinHeight = 22
	maxWidth  = 100
)

// Model is the root model: it owns the shared context and the screens,
// routes keys to the active one and every size change to all of them.
type Model struct {
	c       *Common
	opts    Options
	backend Backend
	help    help.Model
	spin    spinner.Model
	isDark  bool

	width, height int
	screen        screen

	start    *startScreen
	briefing *briefingScreen
	overview *overviewScreen
	step     *stepScreen
	findings *pager
	report   *pager
	real     *realScreen
	archive  *archiveScreen
	// back is where esc leaves the findings view for.
	back screen

	closeMu  sync.Mutex
	closeFn  func()
	quitting bool
	exitErr  error
	// reportPath is where the closing report was written, aarPath a
	// drill's after-action report.
	reportPath, aarPath string
}

// New builds the root model.
func New(b Backend, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Now().UTC() }
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	color := !opts.NoColor && opts.Getenv("NO_COLOR") == ""
	c := &Common{Keys: DefaultKeyMap(), Color: color, Now: opts.Now, PlainTerm: opts.Getenv("TERM") == "dumb", Getenv: opts.Getenv, NoMail: opts.NoMail}
	c.Styles = newStyles(true, color)
	c.Busy = "Loading incidents"
	m := &Model{c: c, opts: opts, backend: b, help: help.New(), spin: spinner.New(spinner.WithSpinner(spinner.Line)), isDark: true, width: 80, height: 24}
	m.restyle()
	m.start = newStartScreen(c, b, opts)
	m.overview = &overviewScreen{c: c}
	m.findings = newPager(c, findingsLines)
	m.sync()
	return m
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.start.listCmd(), m.spin.Tick, tea.RequestBackgroundColor)
}

// sessionMsg is an incident opened or created.
type sessionMsg struct {
	eng   *checklist.Engine
	close func()
	err   error
	fresh bool
	// gaps are differences found between the state and its journal.
	gaps []string
	// brief is what the briefing shows (a drill's story, a key's powers).
	brief string
}

func (msg sessionMsg) snapshot() (*checklist.Incident, []checklist.StepView) {
	if msg.eng == nil {
		return nil, nil
	}
	return msg.eng.Snapshot(), msg.eng.Views()
}

// reportMsg is the report, built or written.
type reportMsg struct {
	text, path string
	err        error
	closed     bool
	// a finished drill's debrief and after-action report
	debrief *checklist.Debrief
	aarPath string
	// the incident once closed
	inc   *checklist.Incident
	views []checklist.StepView
}

func (msg reportMsg) snapshot() (*checklist.Incident, []checklist.StepView) {
	return msg.inc, msg.views
}

// stateMsg carries a fresh copy of the incident after an engine change.
type stateMsg struct {
	inc   *checklist.Incident
	views []checklist.StepView
	err   error
	note  string
}

func (msg stateMsg) snapshot() (*checklist.Incident, []checklist.StepView) { return msg.inc, msg.views }

func stateCmd(e Engine, note string, f func() error) tea.Cmd {
	return func() tea.Msg {
		var err error
		if f != nil {
			err = f()
		}
		return stateMsg{inc: e.Snapshot(), views: e.Views(), err: err, note: note}
	}
}

func reportCmd(e Engine) tea.Cmd {
	return func() tea.Msg {
		return reportMsg{text: e.BuildReport().Markdown(), path: e.ReportPath()}
	}
}

// closeReportCmd closes the incident and writes its report.
func closeReportCmd(e Engine) tea.Cmd {
	return func() tea.Msg {
		r, err := e.Close(context.Background())
		if err != nil {
			return reportMsg{err: err}
		}
		msg := reportMsg{text: r.Markdown(), path: e.ReportPath(), closed: true, inc: e.Snapshot(), views: e.Views()}
		if _, drill := e.DrillClock(); drill {
			d, err := e.WriteAfterAction()
			if err != nil && d == nil {
				msg.err = fmt.Errorf("the report is written; the drill's debrief failed: %w", err)
				return msg
			}
			msg.debrief, msg.aarPath = d, e.AfterActionPath()
			if err != nil {
				msg.aarPath = ""
			}
		}
		return msg
	}
}

// ---- update ----

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	cmd := m.update(msg)
	m.sync()
	return m, cmd
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	if m.quitting {
		return nil
	}
	if s, ok := msg.(snapshotMsg); ok {
		inc, views := s.snapshot()
		if inc != nil {
			m.c.Inc = inc
		}
		if views != nil {
			m.c.Views = views
		}
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return nil
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.restyle()
		return nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		m.c.Spinner = m.spin.View()
		return cmd
	case navMsg:
		return m.navigate(msg)
	case stepAdvanceMsg:
		cmd := m.navigate(navMsg{to: screenStep, step: msg.next})
		m.c.Status = msg.status
		return cmd
	case quitMsg:
		return m.quit()
	case sessionMsg:
		return m.onSession(msg)
	case archiveMsg:
		return m.onArchive(msg)
	case drillTickMsg:
		return m.onDrillTick(msg)
	case drillNoticesMsg:
		return m.onDrillNotices(msg)
	case stateMsg:
		m.c.Busy = ""
		if msg.err != nil {
			m.c.Err = describe(msg.err)
		} else if msg.note != "" {
			m.c.Status = msg.note
		}
		return nil
	case reportMsg:
		m.c.Busy = ""
		if msg.err != nil {
			m.c.Err = describe(msg.err)
			return nil
		}
		if msg.closed {
			m.reportPath = msg.path
			m.c.Status = "Finished: the report is written. pgdn/end scroll it; q quits."
			if msg.debrief != nil {
				m.c.Status = "The drill is over: its debrief, then the report. pgdn/end scroll; q quits."
			}
		}
		m.report = newPager(m.c, reportLines(msg.text, msg.path))
		if msg.debrief != nil {
			m.aarPath = msg.aarPath
			m.report = newPager(m.c, debriefLines(msg.debrief, msg.aarPath, msg.text, msg.path))
		}
		m.report.fixed = true
		m.report.back = navigate(screenOverview)
		m.screen = screenReport
		return nil
	case tea.KeyPressMsg:
		if key.Matches(msg, m.c.Keys.ForceQuit) {
			m.exitErr = ErrInterrupted // ctrl+c exits 130, as a SIGINT does
			return m.quit()
		}
		if key.Matches(msg, m.c.Keys.Color) && !m.typing() {
			m.c.Color = !m.c.Color
			m.restyle()
			return nil
		}
	}
	if a := m.active(); a != nil {
		return a.Update(msg)
	}
	return nil
}

// restyle builds the styles for the background and the colour setting;
// without colour the help line is plain too.
func (m *Model) restyle() {
	m.c.Styles = newStyles(m.isDark, m.c.Color)
	m.help.Styles = help.Styles{}
	if m.c.Color {
		m.help.Styles = help.DefaultStyles(m.isDark)
	}
}

// typing is whether a form field has the keys (ctrl+t is then typed).
func (m *Model) typing() bool {
	switch m.screen {
	case screenStep:
		return m.step != nil && m.step.typing()
	case screenReal:
		return true
	}
	return false
}

func (m *Model) active() component {
	switch m.screen {
	case screenStart:
		return m.start
	case screenBriefing:
		if m.briefing != nil {
			return m.briefing
		}
	case screenOverview:
		return m.overview
	case screenStep:
		if m.step != nil {
			return m.step
		}
	case screenFindings:
		return m.findings
	case screenReport:
		if m.report != nil {
			return m.report
		}
	case screenReal:
		if m.real != nil {
			return m.real
		}
	case screenArchive:
		if m.archive != nil {
			return m.archive
		}
	}
	return nil
}

// navigate shows another screen.
func (m *Model) navigate(msg navMsg) tea.Cmd {
	from := m.screen
	switch msg.to {
	case screenStep:
		if msg.step == "" && m.step != nil {
			m.screen = screenStep // back to the step the owner was on
			return nil
		}
		m.screen = screenStep
		m.c.clearFooter()
		m.step = newStepScreen(m.c, m.c.Eng, msg.step)
		m.sync()
		return m.step.Init()
	case screenOverview:
		m.screen = screenOverview
		if msg.step != "" {
			m.overview.focus(msg.step)
		}
	case screenFindings:
		m.back = from
		m.findings.top()
		m.screen = screenFindings
	case screenReal:
		m.real = newRealScreen(m.c, m.backend)
		m.screen = screenReal
		return m.real.Init()
	case screenStart:
		m.screen = screenStart
	case screenBriefing:
		m.screen = screenBriefing
	case screenReport:
		m.screen = screenReport
	case screenArchive:
		m.screen = screenArchive
	case screenBack:
		m.screen = m.back
	}
	return nil
}

// quit saves and quits: the incident's lock is released and a drill's
// temporary tree removed in a command, never inside Update.
func (m *Model) quit() tea.Cmd {
	m.quitting = true
	return func() tea.Msg {
		m.Close()
		return tea.QuitMsg{}
	}
}

// Close releases the open incident (its lock, a drill's temporary tree).
// It is safe to call more than once, and from any goroutine.
func (m *Model) Close() {
	m.closeMu.Lock()
	f := m.closeFn
	m.closeFn = nil
	m.closeMu.Unlock()
	if f != nil {
		f()
	}
}

func (m *Model) setClose(f func()) {
	m.closeMu.Lock()
	old := m.closeFn
	m.closeFn = f
	m.closeMu.Unlock()
	if old != nil {
		go old() // an archive left for another incident
	}
}

func (m *Model) onSession(msg sessionMsg) tea.Cmd {
	c := m.c
	c.Busy = ""
	if msg.err != nil {
		if errors.Is(msg.err, checklist.ErrLocked) {
			// Another reclaim has it: say so and leave without touching it.
			m.exitErr = msg.err
			return m.quit()
		}
		c.Err = describe(msg.err)
		m.screen = screenStart
		return nil
	}
	m.setClose(msg.close)
	c.Eng = msg.eng
	c.Err = ""
	c.Notices, c.Clock = nil, 0
	var clock tea.Cmd
	if t, ok := msg.eng.DrillClock(); ok && c.Inc != nil && c.Inc.Closed.IsZero() {
		c.IsDrill, c.Clock = true, t
		// Injects that struck before (a resumed drill) are listed, not
		// announced again; those due while it was closed strike now.
		c.Notices = msg.eng.DrillNotices(0)
		last := 0
		if n := len(c.Notices); n > 0 {
			last = c.Notices[n-1].Seq
		}
		clock = drillCheckCmd(c.Eng, last)
	}
	return tea.Batch(clock, m.showSession(msg))
}

func (m *Model) showSession(msg sessionMsg) tea.Cmd {
	c := m.c
	if msg.brief != "" && msg.fresh {
		m.briefing = newBriefing(c, msg.brief, c.Inc != nil && c.Inc.Drill)
		m.screen = screenBriefing
		return nil
	}
	m.screen = screenOverview
	m.overview.focus(m.overview.cursorStep())
	if msg.fresh {
		return nil
	}
	c.Status = "Resumed incident " + provider.SanitizeN(c.Inc.ID, 60) + ": you were at \u201c" + titleOf(m.overview.cursorStep()) + "\u201d. Press enter to continue."
	if len(msg.gaps) > 0 {
		c.Err = fmt.Sprintf("The journal does not back the saved progress (%d gaps: %s). Steps it does not back were set back to open; the report lists this as a known gap.", len(msg.gaps), provider.SanitizeN(strings.Join(msg.gaps, "; "), 160))
	}
	return nil
}

// ---- layout ----

func (m *Model) contentWidth() int { return max(20, min(m.width, maxWidth)-2) }

// fullScreener is a screen that may take every row (the QR code).
type fullScreener interface{ fullScreen() bool }

// fullScreenRower is a full-screen page that says how many rows it needs.
type fullScreenRower interface{ fullScreenRows() int }

// fullScreen is whether the active screen takes every row (the QR code)
// while nothing runs and no error is shown.
func (m *Model) fullScreen() bool {
	f, ok := m.active().(fullScreener)
	return ok && f.fullScreen() && m.c.Busy == "" && m.c.Err == ""
}

// fullScreenHeader: the header (with the DRILL badge and clock) stays
// above a full-screen page when the rows allow.
func (m *Model) fullScreenHeader() bool {
	f, ok := m.active().(fullScreenRower)
	return ok && m.height-len(wrapLines(m.header(), m.contentWidth())) >= f.fullScreenRows()
}

// sync gives the active screen the rows left between header and footer.
func (m *Model) sync() {
	w := m.contentWidth()
	h := m.height - len(wrapLines(m.header(), w)) - len(m.footer())
	if m.fullScreen() {
		h = m.height
		if m.fullScreenHeader() {
			h -= len(wrapLines(m.header(), w))
		}
	}
	m.c.Width, m.c.Height = w, max(3, h)
	for _, s := range []component{m.start, m.overview, m.findings} {
		s.SetSize(m.c.Width, m.c.Height)
	}
	if a := m.active(); a != nil {
		a.SetSize(m.c.Width, m.c.Height)
	}
}

// statusLines is the footer's message line, wrapped (at most three rows).
func (m *Model) statusLines() []string {
	c := m.c
	if f, ok := m.active().(fullScreener); ok && f.fullScreen() && c.Busy == "" && c.Err == "" {
		return nil
	}
	var l string
	switch {
	case c.Busy != "":
		l = c.Spinner + " " + c.Busy + "…"
	case c.Err != "":
		l = c.Styles.Bad.Render("! ") + c.Err
	default:
		l = c.Status
	}
	w := m.contentWidth()
	rows := wrapLines(l, w)
	if len(rows) > 3 {
		rows = append(rows[:2], ansi.Truncate(rows[2], w-1, "…"))
	}
	return rows
}

func (m *Model) footer() []string {
	var keys []key.Binding
	if a := m.active(); a != nil {
		keys = a.ShortHelp()
	}
	// The help wraps rather than being cut: every key stays in view.
	return append(m.statusLines(), wrapLines(m.help.ShortHelpView(keys), m.contentWidth())...)
}

// View implements tea.Model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "reclaim"
	switch m.active().(type) {
	case *pager, *briefingScreen, *archiveScreen:
		// The wheel scrolls long text; elsewhere the mouse stays the
		// terminal's, to select and copy a console link.
		v.MouseMode = tea.MouseModeCellMotion
	}
	return v
}

// Render returns the screen as text (the View's content); tests use it.
func (m *Model) Render() string { return m.render() }

func (m *Model) render() string {
	if m.quitting {
		return ""
	}
	if m.width < MinWidth || m.height < MinHeight {
		return tooSmall(m.width, m.height)
	}
	body := ""
	if a := m.active(); a != nil {
		body = a.View()
	}
	if m.fullScreen() {
		// The 2FA QR code needs the rows: no footer (its button says how
		// to go on), and no header either when the screen is short.
		header := ""
		if m.fullScreenHeader() {
			header = m.header()
		}
		return m.layout(header, body, nil)
	}
	return m.layout(m.header(), body, m.footer())
}

// layout stacks header, body and footer in exactly m.height lines, wrapping
// and clipping to the width so nothing breaks the frame.
func (m *Model) layout(header, body string, foot []string) string {
	w := m.contentWidth()
	var head []string
	if header != "" {
		head = wrapLines(header, w)
	}
	avail := m.height - len(head) - len(foot)
	lines := wrapLines(body, w)
	if len(lines) > avail {
		lines = lines[:max(0, avail)]
	}
	for len(lines) < avail {
		lines = append(lines, "")
	}
	all := append(append(head, lines...), foot...)
	for i := range all {
		all[i] = " " + all[i]
	}
	return strings.Join(all, "\n")
}

func (m *Model) header() string {
	c := m.c
	st := c.Styles
	w := m.contentWidth()
	title := st.Title.Render("reclaim")
	if c.Inc != nil && m.screen != screenStart {
		t := provider.SanitizeN(c.Inc.Title, 56)
		if c.Inc.Drill {
			title += " " + st.DrillBadge.Render("DRILL")
			t = strings.TrimPrefix(t, "Drill: ")
		}
		if c.Inc.DryRun || (c.Eng != nil && c.Eng.IsDryRun()) {
			title += " " + st.Badge.Render("DRY RUN")
		}
		if m.screen == screenArchive {
			title += " " + st.Badge.Render("READ-ONLY")
		}
		done, total := countSteps(c.Views, "")
		right := checklist.ProgressText(done, total)
		if c.IsDrill && c.Clock > 0 && m.screen != screenArchive {
			right = clockText(c.Clock) + " · " + right
		}
		if lipgloss.Width(title)+1+len(right) > w-10 {
			right = fmt.Sprintf("%d/%d", done, total) // no room for "steps"
		}
		t = ansi.Truncate(t, max(4, w-lipgloss.Width(title)-len(right)-3), "…")
		title += " " + t
		title += strings.Repeat(" ", max(2, w-lipgloss.Width(title)-len(right))) + right
	} else {
		title += st.Subtle.Render(" — take back a hijacked email-sending account")
	}
	return title + "\n" + st.Rule.Render(strings.Repeat("─", w))
}

// ExitMessage is printed after the UI closes: where the incident is and how
// to resume it.
func (m *Model) ExitMessage() string {
	inc := m.c.Inc
	if inc == nil || m.screen == screenArchive {
		return ""
	}
	if m.reportPath != "" && !inc.Closed.IsZero() {
		if m.aarPath != "" {
			return "Report written to " + m.reportPath + "\nDrill debrief (after-action report) written to " + m.aarPath
		}
		return "Report written to " + m.reportPath
	}
	if inc.Closed.IsZero() {
		cmd := "reclaim"
		if inc.Drill {
			cmd = "reclaim drill"
		}
		return fmt.Sprintf("Progress saved (incident %s). Run %q to resume.", provider.SanitizeN(inc.ID, 60), cmd)
	}
	return ""
}

// ExitErr is the error the UI ended with (e.g. the incident is locked).
func (m *Model) ExitErr() error { return m.exitErr }

// ErrInterrupted is ExitErr after ctrl+c: the incident is saved as on q.
var ErrInterrupted = errors.New("interrupted (ctrl+c)")

// countSteps counts finished (done or skipped) steps out of the applicable
// ones, in one phase or (ph == "") in all.
func countSteps(views []checklist.StepView, ph checklist.Phase) (done, total int) {
	a, ids := &checklist.AccountState{Steps: map[checklist.StepID]*checklist.StepState{}}, []checklist.StepID{}
	for _, v := range views {
		if ph == "" || v.Def.Phase == ph {
			a.Steps[v.Def.ID], ids = &v.State, append(ids, v.Def.ID)
		}
	}
	return a.Progress(ids) // the one rule: done or skipped, of the steps that apply
}
