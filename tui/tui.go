// Package tui is reclaim's terminal UI: Bubble Tea models only. Every
// provider call, file write and keyring access runs in a tea.Cmd; Update and
// View only read what those commands returned.
package tui

import (
	"charm.land/huh/v2"
	"errors"
	"fmt"
	"os"
	"strings"
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
	Fresh    bool   // always start a new drill
	NoColor  bool
	// Now is the clock for relative times (tests).
	Now func() time.Time
}

type screen int

const (
	screenStart screen = iota
	screenBriefing
	screenOverview
	screenStep
	screenFindings
	screenReport
	screenReal
)

// MinWidth and MinHeight are the smallest terminal the UI lays out in.
const (
	MinWidth  = 70
	MinHeight = 22
	maxWidth  = 100
)

// Model is the root model.
type Model struct {
	opts    Options
	backend Backend
	keys    KeyMap
	styles  Styles
	help    help.Model
	spin    spinner.Model
	isDark  bool
	color   bool

	width, height int
	screen        screen

	// start screen
	incidents   []checklist.Summary
	startItems  []startItem
	startCursor int
	loaded      bool

	// open incident
	eng     *checklist.Engine
	closeFn func()
	inc     *checklist.Incident
	views   []checklist.StepView
	cursor  int // index into views on the overview
	brief   string

	step *stepModel

	// findings / report scroll
	scroll     int
	fromStep   bool // the findings view was opened from inside a step
	reportText string
	reportPath string

	// real-account start: provider choice and masked credential form
	realForm *huh.Form
	realProv string
	realCred []*string

	busy     string // non-empty while a command runs: what it does
	status   string
	errText  string
	showHelp bool
	quitting bool
	exitErr  error
	// plainTerm is TERM=dumb, read once: no OSC 8 links then.
	plainTerm bool
}

// New builds the root model.
func New(b Backend, opts Options) *Model {
	if opts.Now == nil {
		opts.Now = func() time.Time { return time.Now().UTC() }
	}
	color := !opts.NoColor && os.Getenv("NO_COLOR") == ""
	sp := spinner.New(spinner.WithSpinner(spinner.Line))
	m := &Model{opts: opts, backend: b, keys: DefaultKeyMap(), help: help.New(), spin: sp, isDark: true, color: color, width: 80, height: 24}
	m.styles = newStyles(true, color)
	m.plainTerm = os.Getenv("TERM") == "dumb"
	m.busy = "Loading incidents"
	return m
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd {
	return tea.Batch(m.listCmd(), m.spin.Tick, tea.RequestBackgroundColor)
}

type startItem struct {
	label    string
	detail   string
	action   string // "resume", "drill", "quit"
	id       string
	disabled bool
}

// ---- messages ----

type incidentsMsg struct {
	list []checklist.Summary
	err  error
}

type sessionMsg struct {
	eng   *checklist.Engine
	close func()
	err   error
	fresh bool
	// gaps are differences found between the state and its journal.
	gaps []string
}

// stateMsg carries a fresh copy of the incident after an engine change.
type stateMsg struct {
	inc   *checklist.Incident
	views []checklist.StepView
	err   error
	note  string
}

type reportMsg struct {
	text, path string
	err        error
}

// ---- commands ----

func (m *Model) listCmd() tea.Cmd {
	b := m.backend
	return func() tea.Msg {
		l, err := b.List()
		return incidentsMsg{l, err}
	}
}

func (m *Model) newDrillCmd() tea.Cmd {
	b, sc := m.backend, m.opts.Scenario
	return func() tea.Msg {
		e, c, err := b.NewDrill(sc)
		return sessionMsg{eng: e, close: c, err: err, fresh: true}
	}
}

func (m *Model) openCmd(id string) tea.Cmd {
	b := m.backend
	return func() tea.Msg {
		e, c, err := b.Open(id)
		var gaps []string
		if err == nil {
			// Never resume silently over a state the journal does not back.
			gaps = e.ReconcileWithJournal()
		}
		return sessionMsg{eng: e, close: c, err: err, gaps: gaps}
	}
}

func stateCmd(e *checklist.Engine, note string, f func() error) tea.Cmd {
	return func() tea.Msg {
		var err error
		if f != nil {
			err = f()
		}
		return stateMsg{inc: e.Snapshot(), views: e.Views(), err: err, note: note}
	}
}

func reportCmd(e *checklist.Engine, write bool) tea.Cmd {
	return func() tea.Msg {
		if write {
			r, err := e.WriteReport()
			if err != nil {
				return reportMsg{err: err}
			}
			return reportMsg{text: r.Markdown(), path: e.ReportPath()}
		}
		return reportMsg{text: e.BuildReport().Markdown(), path: e.ReportPath()}
	}
}

// ---- update ----

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(m.contentWidth())
		if m.step != nil {
			return m, m.step.resize(m)
		}
		return m, nil
	case tea.BackgroundColorMsg:
		m.isDark = msg.IsDark()
		m.styles = newStyles(m.isDark, m.color)
		return m, nil
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case incidentsMsg:
		return m.onIncidents(msg)
	case sessionMsg:
		return m.onSession(msg)
	case stateMsg:
		m.busy = ""
		if msg.inc != nil {
			m.inc, m.views = msg.inc, msg.views
		}
		if msg.err != nil {
			m.errText = describe(msg.err)
		} else if msg.note != "" {
			m.status = msg.note
		}
		return m, nil
	case reportMsg:
		m.busy = ""
		if msg.err != nil {
			m.errText = describe(msg.err)
			return m, nil
		}
		m.reportText, m.reportPath = msg.text, msg.path
		m.screen, m.scroll = screenReport, 0
		return m, nil
	case tea.KeyPressMsg:
		if key.Matches(msg, m.keys.ForceQuit) {
			m.exitErr = ErrInterrupted // ctrl+c exits 130, as a SIGINT does
			return m.quit()
		}
		if key.Matches(msg, m.keys.Color) && !(m.screen == screenStep && m.step != nil && m.step.typing()) {
			m.color = !m.color
			m.styles = newStyles(m.isDark, m.color)
			return m, nil
		}
	}
	switch m.screen {
	case screenStart:
		return m.updateStart(msg)
	case screenBriefing:
		return m.updateBriefing(msg)
	case screenOverview:
		return m.updateOverview(msg)
	case screenStep:
		return m.updateStep(msg)
	case screenFindings, screenReport:
		return m.updateScroll(msg)
	case screenReal:
		return m.updateReal(msg)
	}
	return m, nil
}

func (m *Model) quit() (tea.Model, tea.Cmd) {
	m.quitting = true
	if m.closeFn != nil {
		m.closeFn()
		m.closeFn = nil
	}
	return m, tea.Quit
}

func (m *Model) onIncidents(msg incidentsMsg) (tea.Model, tea.Cmd) {
	m.busy = ""
	m.loaded = true
	if msg.err != nil {
		m.errText = "Could not read the state directory: " + msg.err.Error()
	}
	m.incidents = msg.list
	var resumeDrill string
	m.startItems, resumeDrill = m.incidentItems(msg.list)
	m.startItems = append(m.startItems,
		startItem{label: "Start a new drill", detail: "a simulated compromised SendGrid account; nothing real is touched", action: "drill"},
		m.realItem(),
		startItem{label: "Quit", action: "quit"},
	)
	if m.opts.Drill {
		if m.opts.Fresh || resumeDrill == "" {
			m.busy = "Creating the drill account"
			return m, m.newDrillCmd()
		}
	}
	return m, nil
}

// incidentItems are the start screen's incidents: up to three to resume
// (and the newest unfinished drill among them), then those that cannot be
// opened (damaged, newer schema, refused), never hidden: each says why, and
// Enter shows it; a drill never resumes one of them.
func (m *Model) incidentItems(list []checklist.Summary) (items []startItem, resumeDrill string) {
	var broken []checklist.Summary
	for _, s := range list {
		if !s.OK() {
			broken = append(broken, s)
			continue
		}
		if s.Closed || len(items) == 3 {
			continue
		}
		label := "Resume: " + provider.SanitizeN(s.Title, 50)
		if s.DryRun {
			label = "Resume (DRY RUN): " + provider.SanitizeN(s.Title, 40)
		}
		items = append(items, startItem{label: label, detail: checklist.ProgressText(s.Done, s.Total) + " · updated " + checklist.Age(m.opts.Now(), s.Updated), action: "resume", id: s.ID})
		if s.Drill && resumeDrill == "" {
			resumeDrill = s.ID
		}
	}
	// At most four incident rows fit at 80x24 beside the other choices.
	slots := max(1, 4-len(items))
	for i, s := range broken {
		if i == slots-1 && len(broken) > slots {
			more := "more "
			if i == 0 {
				more = ""
			}
			items = append(items, startItem{label: fmt.Sprintf("%d %sincidents cannot be opened", len(broken)-i, more), detail: "\"reclaim incidents\" lists each with the reason", disabled: true})
			break
		}
		name := s.Title
		if name == "" {
			name = s.ID
		}
		verb := map[string]string{checklist.StateNewer: "Newer reclaim needed", checklist.StateRefused: "Refused"}[s.State]
		if verb == "" {
			verb = "Damaged"
		}
		// One row: the reason (a refusal's fix), and that a copy is kept.
		w := max(30, m.contentWidth()-6)
		detail := provider.SanitizeN(s.Problem, w)
		if s.State == checklist.StateNewer {
			detail = "saved by a newer reclaim: upgrade reclaim to open it"
		} else if _, fix, ok := strings.Cut(s.Problem, "Fix: "); ok && s.State == checklist.StateRefused {
			detail = provider.SanitizeN("another user could change it. Fix: "+fix, w)
		} else if s.Quarantine != "" {
			detail = provider.SanitizeN(s.Problem, w-len(" · copy kept")) + " · copy kept"
		}
		items = append(items, startItem{label: verb + ": " + provider.SanitizeN(name, 44), detail: detail, id: s.ID, disabled: true})
	}
	return items, resumeDrill
}

func (m *Model) onSession(msg sessionMsg) (tea.Model, tea.Cmd) {
	m.busy = ""
	if msg.err != nil {
		if errors.Is(msg.err, checklist.ErrLocked) {
			// Another reclaim has it: say so and leave without touching it.
			m.exitErr = msg.err
			return m.quit()
		}
		m.errText = describe(msg.err)
		m.screen = screenStart
		return m, nil
	}
	m.eng, m.closeFn = msg.eng, msg.close
	m.inc, m.views = msg.eng.Snapshot(), msg.eng.Views()
	m.errText = ""
	if b, ok := msg.eng.Provider().(interface{ Briefing() string }); ok && msg.fresh {
		m.brief = b.Briefing()
		m.screen = screenBriefing
		return m, nil
	}
	if msg.fresh && msg.eng.Perms != nil {
		m.brief = permissionBrief(msg.eng.Provider().Info().Name, msg.eng.Perms)
		m.screen = screenBriefing
		return m, nil
	}
	m.screen = screenOverview
	m.cursor = m.indexOf(m.cursorStep())
	if msg.fresh {
		return m, nil
	}
	m.status = "Resumed incident " + provider.SanitizeN(m.inc.ID, 60) + ": you were at \u201c" + m.titleOf(m.cursorStep()) + "\u201d. Press enter to continue."
	if len(msg.gaps) > 0 {
		m.errText = fmt.Sprintf("The journal does not back the saved progress (%d gaps: %s). Steps it does not back were set back to open; the report lists this as a known gap.", len(msg.gaps), provider.SanitizeN(strings.Join(msg.gaps, "; "), 160))
	}
	return m, nil
}

func (m *Model) cursorStep() checklist.StepID {
	if a := m.inc.Account(); a != nil && a.Cursor != "" {
		return a.Cursor
	}
	for _, v := range m.views {
		if v.State.Status == checklist.StatusTodo {
			return v.Def.ID
		}
	}
	return ""
}

func (m *Model) indexOf(id checklist.StepID) int {
	for i, v := range m.views {
		if v.Def.ID == id {
			return i
		}
	}
	return 0
}

func (m *Model) titleOf(id checklist.StepID) string {
	if d := checklist.StepByID(id); d != nil {
		return d.Title
	}
	return "the end"
}

func (m *Model) updateStart(msg tea.Msg) (tea.Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || m.busy != "" {
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Up):
		m.startCursor = (m.startCursor + len(m.startItems) - 1) % len(m.startItems)
	case key.Matches(k, m.keys.Down):
		m.startCursor = (m.startCursor + 1) % len(m.startItems)
	case key.Matches(k, m.keys.Enter):
		if len(m.startItems) == 0 {
			return m, nil
		}
		it := m.startItems[m.startCursor]
		if it.disabled {
			m.status = it.detail
			return m, nil
		}
		switch it.action {
		case "quit":
			return m.quit()
		case "drill":
			m.busy = "Creating the drill account"
			return m, m.newDrillCmd()
		case "resume":
			m.busy = "Opening incident"
			return m, m.openCmd(it.id)
		case "real":
			return m, m.startReal()
		}
	}
	return m, nil
}

func (m *Model) updateBriefing(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, m.keys.Quit):
			return m.quit()
		case key.Matches(k, m.keys.Enter):
			m.screen = screenOverview
			m.cursor = m.indexOf(m.cursorStep())
			return m, m.openStep(m.views[m.cursor].Def.ID)
		}
	}
	return m, nil
}

func (m *Model) updateOverview(msg tea.Msg) (tea.Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok || m.busy != "" {
		return m, nil
	}
	m.errText = ""
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Help):
		m.showHelp = !m.showHelp
	case key.Matches(k, m.keys.Up):
		if m.cursor > 0 {
			m.cursor--
		}
	case key.Matches(k, m.keys.Down):
		if m.cursor < len(m.views)-1 {
			m.cursor++
		}
	case key.Matches(k, m.keys.Enter):
		v := m.views[m.cursor]
		if v.State.Status == checklist.StatusNA {
			m.status = "Not applicable: " + v.State.Reason
			return m, nil
		}
		return m, m.openStep(v.Def.ID)
	case key.Matches(k, m.keys.Reopen):
		v := m.views[m.cursor]
		if v.State.Status == checklist.StatusDone || v.State.Status == checklist.StatusSkipped || v.State.Status == checklist.StatusOpen {
			m.busy = "Reopening"
			return m, stateCmd(m.eng, "Reopened \u201c"+v.Def.Title+"\u201d.", func() error { return m.eng.Reopen(v.Def.ID) })
		}
	case key.Matches(k, m.keys.Findings):
		m.screen, m.scroll = screenFindings, 0
	case key.Matches(k, m.keys.Report):
		m.busy = "Building the report"
		return m, reportCmd(m.eng, false)
	}
	return m, nil
}

func (m *Model) updateScroll(msg tea.Msg) (tea.Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Back), key.Matches(k, m.keys.Enter):
		m.screen = screenOverview
		if m.fromStep && m.step != nil {
			m.screen = screenStep // back where the owner was
		}
		m.fromStep = false
	case key.Matches(k, m.keys.Up):
		if m.scroll > 0 {
			m.scroll--
		}
	case key.Matches(k, m.keys.Down):
		m.scroll++
	case k.String() == "pgdown":
		m.scroll += m.bodyHeight() - 1
	case k.String() == "pgup":
		m.scroll = max(0, m.scroll-m.bodyHeight()+1)
	case k.String() == "home":
		m.scroll = 0
	case k.String() == "end":
		m.scroll = 1 << 30 // clamped to the last page when drawn
	}
	return m, nil
}

// ---- view ----

func (m *Model) contentWidth() int {
	return max(20, min(m.width, maxWidth)-2)
}

func (m *Model) bodyHeight() int { return max(3, m.height-4-len(m.statusLines())) }

// statusLines is the footer's message line, wrapped (at most three rows).
func (m *Model) statusLines() []string {
	if m.screen == screenStep && m.step.onQRPage() && m.busy == "" && m.errText == "" {
		return nil
	}
	var l string
	switch {
	case m.busy != "":
		l = m.spin.View() + " " + m.busy + "…"
	case m.errText != "":
		l = m.styles.Bad.Render("! ") + m.errText
	default:
		l = m.status
	}
	rows := wrapLines(l, m.contentWidth())
	if len(rows) > 3 {
		rows = append(rows[:2], ansi.Truncate(rows[2], m.contentWidth()-1, "…"))
	}
	return rows
}

// View implements tea.Model.
func (m *Model) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "reclaim"
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
	var body string
	var helpKeys []key.Binding
	switch m.screen {
	case screenStart:
		body, helpKeys = m.viewStart(), []key.Binding{m.keys.Up, m.keys.Down, m.keys.Enter, m.keys.Quit}
	case screenBriefing:
		body, helpKeys = m.viewBriefing(), []key.Binding{m.keys.Enter, m.keys.Quit}
	case screenReal:
		if m.realForm != nil {
			body = "Start a recovery on a real account\n\n" + m.realForm.View() + "\n" + m.styles.Subtle.Render("Credentials are read from the environment or the OS keyring when set there; typed ones are kept in memory only.")
		}
		helpKeys = []key.Binding{m.keys.Enter, m.keys.Back, m.keys.ForceQuit}
	case screenOverview:
		body = m.viewOverview()
		helpKeys = []key.Binding{m.keys.Up, m.keys.Down, m.keys.Enter, m.keys.Findings, m.keys.Report, m.keys.Help, m.keys.Quit}
		if m.showHelp {
			helpKeys = append(helpKeys, m.keys.Reopen, m.keys.Color, m.keys.ForceQuit)
		}
	case screenStep:
		body, helpKeys = m.step.render(m), m.step.helpKeys(m)
	case screenFindings:
		body, helpKeys = m.scrolled(m.findingsLines()), []key.Binding{m.keys.Up, m.keys.Down, m.keys.Back, m.keys.Quit}
	case screenReport:
		lines := []string{m.styles.Title.Render("Report preview")}
		if m.reportPath != "" {
			lines = append(lines, m.styles.Subtle.Render("Written to "+m.reportPath))
		}
		lines = append(lines, "")
		lines = append(lines, wrapLines(m.reportText, m.contentWidth())...)
		body, helpKeys = m.scrolled(lines), []key.Binding{m.keys.Up, m.keys.Down, m.keys.Back, m.keys.Quit}
	}
	footer := append(m.statusLines(), m.help.ShortHelpView(helpKeys))
	return layout(m, m.header(), body, footer)
}

// layout stacks header, body and footer in exactly m.height lines, wrapping
// and clipping to the width so nothing breaks the frame.
func layout(m *Model, header, body string, footer []string) string {
	w := m.contentWidth()
	var foot []string
	for _, f := range footer {
		foot = append(foot, wrapLines(f, w)...)
	}
	head := wrapLines(header, w)
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

func (m *Model) header() string {
	title := m.styles.Title.Render("reclaim")
	if m.inc != nil {
		t := provider.SanitizeN(m.inc.Title, 56)
		if m.inc.Drill {
			title += " " + m.styles.DrillBadge.Render("DRILL")
			t = strings.TrimPrefix(t, "Drill: ")
		}
		if m.inc.DryRun || (m.eng != nil && m.eng.DryRun) {
			title += " " + m.styles.Badge.Render("DRY RUN")
		}
		done, total := countSteps(m.views, "")
		title += " " + t
		right := checklist.ProgressText(done, total)
		if lipgloss.Width(title)+1+len(right) > m.contentWidth() {
			right = fmt.Sprintf("%d/%d", done, total) // no room for "steps"
		}
		gap := m.contentWidth() - lipgloss.Width(title) - len(right)
		if gap > 0 {
			title += strings.Repeat(" ", gap) + right
		} else {
			title += "  " + right
		}
	} else {
		title += m.styles.Subtle.Render(" — take back a hijacked email-sending account")
	}
	return title + "\n" + m.styles.Rule.Render(strings.Repeat("─", m.contentWidth()))
}

func (m *Model) viewStart() string {
	var b strings.Builder
	if !m.loaded {
		return ""
	}
	b.WriteString("What would you like to do?\n\n")
	for i, it := range m.startItems {
		cur := "  "
		label := it.label
		if i == m.startCursor {
			cur = m.styles.Selected.Render("> ")
			label = m.styles.Selected.Render(label)
		}
		if it.disabled {
			label += m.styles.Subtle.Render(" (unavailable)")
		}
		b.WriteString(cur + label + "\n")
		if it.detail != "" {
			b.WriteString("    " + m.styles.Subtle.Render(it.detail) + "\n")
		}
	}
	b.WriteString("\n" + m.styles.Subtle.Render("Incidents are kept in the state directory; quitting at any moment is safe."))
	return b.String()
}

func (m *Model) viewBriefing() string {
	var b strings.Builder
	if m.inc != nil && !m.inc.Drill {
		b.WriteString(m.styles.Bold.Render("What this key allows") + "\n\n")
		b.WriteString(m.brief + "\n\n")
		b.WriteString(m.styles.Accent.Render("Press enter to start with triage."))
		return b.String()
	}
	b.WriteString(m.styles.Bold.Render("Drill briefing") + "\n\n")
	b.WriteString(provider.Sanitize(m.brief) + "\n\n")
	b.WriteString("This is a simulated account: every change you make really changes the\nsimulation, and the audit afterwards shows the result.\n\n")
	b.WriteString(m.styles.Accent.Render("Press enter to start with triage."))
	return b.String()
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

func (m *Model) viewOverview() string {
	var b strings.Builder
	curPhase := checklist.Phase("")
	if len(m.views) > 0 {
		curPhase = m.views[m.cursor].Def.Phase
	}
	w := m.contentWidth()
	for _, ph := range checklist.Phases {
		done, total := countSteps(m.views, ph)
		mark := "  "
		if done == total {
			mark = m.styles.Good.Render("✓ ")
		}
		bar := progressBar(done, total, 10)
		line := fmt.Sprintf("%s%-26s %s %d/%d", mark, ph, bar, done, total)
		if ph == curPhase {
			line = m.styles.Bold.Render(line)
		}
		b.WriteString(line + "\n")
		if ph != curPhase {
			continue
		}
		for i, v := range m.views {
			if v.Def.Phase != ph {
				continue
			}
			sel := "   "
			title := v.Def.Title
			mode := string(v.Mode)
			switch {
			case v.State.Status == checklist.StatusNA:
				mode = "n/a"
			case v.State.Level != "":
				mode = string(v.State.Level) // how it is known: verified, attested, open
			}
			line := fmt.Sprintf("%s %s", statusMark(v.State.Status), title)
			maxTitle := w - 8 - len(mode) - 2
			if lipgloss.Width(line) > maxTitle {
				line = ansi.Truncate(line, maxTitle, "…")
			}
			line += strings.Repeat(" ", max(1, maxTitle-lipgloss.Width(line)+1)) + m.styles.Subtle.Render(mode)
			if i == m.cursor {
				sel = m.styles.Selected.Render(" > ")
				line = m.styles.Selected.Render(line)
			}
			b.WriteString("  " + sel + line + "\n")
		}
	}
	if m.inc != nil && m.inc.Account() != nil {
		open, history := 0, 0
		for _, f := range m.inc.Account().Findings {
			switch {
			case f.Resolved:
			case f.Target.Kind == "mail" || f.Target.Kind == "ip":
				history++ // what happened: evidence for the report, nothing to undo
			default:
				open++
			}
		}
		if open+history > 0 {
			b.WriteString("\n" + m.styles.Warn.Render(fmt.Sprintf("! %d open findings", open)) + m.styles.Subtle.Render(fmt.Sprintf(", %d more recorded as evidence — press f to see them", history)))
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

func (m *Model) scrolled(lines []string) string {
	// Count rows as drawn: a long line wraps, and the last rows must still
	// be reachable.
	lines = wrapLines(strings.Join(lines, "\n"), m.contentWidth())
	h := m.bodyHeight()
	maxScroll := max(0, len(lines)-h)
	if m.scroll > maxScroll {
		m.scroll = maxScroll
	}
	end := min(len(lines), m.scroll+h)
	return strings.Join(lines[m.scroll:end], "\n")
}

func (m *Model) findingsLines() []string {
	lines := []string{m.styles.Title.Render("Findings"), ""}
	a := m.inc.Account()
	if a == nil {
		return lines
	}
	if len(a.Findings) == 0 {
		lines = append(lines, "None yet: take the inventory (Preserve evidence) first.")
	}
	for _, f := range a.Findings {
		state := m.styles.Warn.Render("open")
		if f.Resolved {
			state = m.styles.Good.Render("resolved")
		}
		sev := "[" + f.Severity + "]"
		if f.Severity == checklist.High {
			sev = m.styles.Bad.Render(sev)
		}
		lines = append(lines, fmt.Sprintf("%s %s — %s", sev, provider.Sanitize(f.Title), state))
		lines = append(lines, m.styles.Subtle.Render("    evidence: "+provider.Sanitize(f.Evidence)))
	}
	if inv := a.Before; inv != nil {
		lines = append(lines, "", m.styles.Title.Render("Inventory (before → now)"), "")
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

func describe(err error) string {
	msg := provider.Sanitize(err.Error())
	if adv := provider.Advice(err); adv != "" && !strings.Contains(msg, "refused:") {
		var pe *provider.Error
		if asProviderErr(err, &pe) {
			return msg + " — " + adv
		}
	}
	return msg
}

// ExitMessage is printed after the UI closes: where the incident is and how
// to resume it.
func (m *Model) ExitMessage() string {
	if m.inc == nil {
		return ""
	}
	if m.reportPath != "" && !m.inc.Closed.IsZero() {
		return "Report written to " + m.reportPath
	}
	if m.inc.Closed.IsZero() {
		cmd := "reclaim"
		if m.inc.Drill {
			cmd = "reclaim drill"
		}
		return fmt.Sprintf("Progress saved (incident %s). Run %q to resume.", provider.SanitizeN(m.inc.ID, 60), cmd)
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

// permissionBrief lists which steps the key allows, and for the others the
// permission they need.
func permissionBrief(name string, rep *provider.PermissionReport) string {
	var ok, lack []string
	for _, p := range rep.Items {
		if p.Allowed {
			ok = append(ok, p.Action)
		} else {
			lack = append(lack, fmt.Sprintf("%s — needs %s", p.Action, strings.Join(p.Missing, ", ")))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Connected to %s. reclaim can do %d of %d steps through the API with this key.\n", name, len(ok), len(ok)+len(lack))
	if len(lack) > 0 {
		b.WriteString("\nGuided in the console instead (or restart with a key that has the scope):\n")
		for _, l := range lack {
			b.WriteString("  ! " + provider.Sanitize(l) + "\n")
		}
	}
	return b.String()
}
