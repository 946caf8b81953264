package main

import (
	"fmt"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
)

// scoreEvery is how often a row's score is worked out again (a debrief
// reads the whole incident).
const scoreEvery = 5 * time.Second

// scoreOf is the drill's score so far from its debrief ("got/max"), kept
// on the session for scoreEvery; "—" when the engine has none to give.
func scoreOf(l *liveSession, e *checklist.Engine, now time.Time) string {
	l.mu.Lock()
	if l.scoreEng == e && now.Sub(l.scoreAt) < scoreEvery {
		defer l.mu.Unlock()
		return l.score
	}
	l.mu.Unlock()
	text := noValue
	if d, err := e.Debrief(); err == nil && d.MaxScore > 0 {
		text = fmt.Sprintf("%d/%d", d.Score, d.MaxScore)
	}
	l.mu.Lock()
	l.score, l.scoreAt, l.scoreEng = text, now, e
	l.mu.Unlock()
	return text
}

// injectChoice is one inject a facilitator can send.
type injectChoice struct {
	Name  string
	Label string // name, title, schedule, and when it struck if it did
	Fired bool
}

// injector is a drill that can be sent injects by name.
type injector interface {
	InjectChoices() []injectChoice
	// Fire sets the inject off now and says what struck.
	Fire(name string) (string, error)
}

// drillInjector is the simulated account's injects (provider/drill).
type drillInjector struct{ a *drill.Account }

func (d drillInjector) InjectChoices() []injectChoice {
	var out []injectChoice
	for _, s := range d.a.Injects() {
		label := s.Name + " — " + s.Title + " (" + s.When + ")"
		if s.Fired {
			label += " · struck at T+" + drill.FormatClock(s.At)
		}
		out = append(out, injectChoice{Name: s.Name, Label: label, Fired: s.Fired})
	}
	return out
}

func (d drillInjector) Fire(name string) (string, error) {
	n, err := d.a.FireInject(name)
	return n.Title, err
}

// injectorOf is the drill account's injects, nil for another provider.
func injectorOf(e *checklist.Engine) injector {
	if a := drill.Of(e.Provider()); a != nil {
		return drillInjector{a}
	}
	return nil
}

// sessionRow is one player's line in the facilitator view; every text in
// it is sanitized.
type sessionRow struct {
	live     *liveSession
	name     string
	detail   string // fingerprint, address, current step
	scenario string
	clock    string
	progress string
	score    string
	inj      injector
	eng      *checklist.Engine
}

const noValue = "—"

func rowOf(l *liveSession, now time.Time) sessionRow {
	r := sessionRow{live: l, name: l.who.name, scenario: provider.SanitizeN(l.scenario, 40), clock: noValue, progress: "start screen", score: noValue}
	at := "the start screen"
	if e := l.engine(); e != nil {
		r.eng = e
		inc := e.Snapshot()
		if inc.Scenario != "" {
			r.scenario = provider.SanitizeN(inc.Scenario, 40)
		}
		r.clock = clockText(now.Sub(inc.Created))
		if a := drill.Of(e.Provider()); a != nil {
			r.clock = drill.FormatClock(a.Elapsed()) // the drill clock
		}
		if a := inc.Account(); a != nil {
			r.progress = checklist.ProgressText(a.Progress(checklist.StepIDs()))
			at = "finished"
			if d := checklist.StepByID(a.Cursor); d != nil {
				at = d.Title
			}
		}
		if !inc.Closed.IsZero() {
			r.progress += " done"
			at = "finished"
		}
		r.score = scoreOf(l, e, now)
		r.inj = injectorOf(e)
	}
	r.detail = provider.SanitizeN(fmt.Sprintf("%s · from %s · at: %s · %s", l.who.name, l.remote, at, l.who.fingerprint), 200)
	return r
}

// clockText is elapsed time as m:ss or h:mm:ss (the drill clock's form).
func clockText(d time.Duration) string { return drill.FormatClock(d) }

// facilitatorModel lists the players' sessions and sends injects. It is
// plain text (no colour), so it reads the same on every terminal.
type facilitatorModel struct {
	reg      *registry
	scenario string
	now      func() time.Time

	width, height int
	rows          []sessionRow
	cursor        int
	top           int

	// the inject picker: open when picking
	picking   bool
	targetAll bool
	target    string   // identity.key of the one player
	injects   []string // names, in the scenario's order
	labels    []string
	pick      int

	status string
}

type facTickMsg struct{}

type injectDoneMsg struct{ text string }

func newFacilitatorModel(reg *registry, scenario string) *facilitatorModel {
	return &facilitatorModel{reg: reg, scenario: scenario, now: time.Now, width: 80, height: 24}
}

func facTick() tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return facTickMsg{} })
}

func (m *facilitatorModel) Init() tea.Cmd {
	m.refresh()
	return facTick()
}

func (m *facilitatorModel) refresh() {
	now := m.now()
	lives := m.reg.live()
	m.rows = m.rows[:0]
	for _, l := range lives {
		m.rows = append(m.rows, rowOf(l, now))
	}
	if m.cursor >= len(m.rows) {
		m.cursor = max(0, len(m.rows)-1)
	}
}

func (m *facilitatorModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case facTickMsg:
		m.refresh()
		return m, facTick()
	case injectDoneMsg:
		m.status = msg.text
		m.refresh()
	case tea.KeyPressMsg:
		if m.picking {
			return m.updatePicker(msg)
		}
		switch msg.String() {
		case "q", "ctrl+c":
			return m, tea.Quit
		case "up", "k":
			if m.cursor > 0 {
				m.cursor--
			}
		case "down", "j":
			if m.cursor < len(m.rows)-1 {
				m.cursor++
			}
		case "i":
			if len(m.rows) == 0 {
				m.status = "No player is connected."
				break
			}
			m.openPicker(false)
		case "a":
			if len(m.rows) == 0 {
				m.status = "No player is connected."
				break
			}
			m.openPicker(true)
		}
	}
	return m, nil
}

// openPicker lists the injects of the selected player's drill, or of every
// connected drill (with how many have had each).
func (m *facilitatorModel) openPicker(all bool) {
	type agg struct {
		c        injectChoice
		fired, n int
	}
	byName := map[string]*agg{}
	var names []string
	targets := 0
	for i, r := range m.rows {
		if (!all && i != m.cursor) || r.inj == nil {
			continue
		}
		targets++
		for _, c := range r.inj.InjectChoices() {
			g := byName[c.Name]
			if g == nil {
				g = &agg{c: c}
				byName[c.Name] = g
				names = append(names, c.Name)
			}
			g.n++
			if c.Fired {
				g.fired++
			}
		}
	}
	if len(names) == 0 {
		if all {
			m.status = "No connected drill has injects to send."
		} else {
			m.status = "This player's drill has no injects to send (no drill open yet, or its scenario has none)."
		}
		return
	}
	m.injects, m.labels = nil, nil
	for _, n := range names {
		g := byName[n]
		label := g.c.Label
		if all {
			label = n
			if g.fired > 0 {
				label += fmt.Sprintf(" · struck for %d of %d", g.fired, targets)
			}
		}
		m.injects = append(m.injects, n)
		m.labels = append(m.labels, provider.SanitizeN(label, 200))
	}
	m.picking, m.targetAll, m.pick = true, all, 0
	m.target = m.rows[m.cursor].live.who.key
	m.status = ""
}

func (m *facilitatorModel) updatePicker(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "esc", "q":
		m.picking = false
	case "ctrl+c":
		return m, tea.Quit
	case "up", "k":
		if m.pick > 0 {
			m.pick--
		}
	case "down", "j":
		if m.pick < len(m.injects)-1 {
			m.pick++
		}
	case "enter":
		m.picking = false
		name := m.injects[m.pick]
		var targets []sessionRow
		for _, r := range m.rows {
			if m.targetAll || r.live.who.key == m.target {
				targets = append(targets, r)
			}
		}
		m.status = "Sending " + provider.SanitizeN(name, 40) + "…"
		return m, fireCmd(name, targets)
	}
	return m, nil
}

// fireCmd sends the inject to each target's drill and saves it, so a
// player who reconnects finds the changed account.
func fireCmd(name string, targets []sessionRow) tea.Cmd {
	return func() tea.Msg {
		sent, struck := 0, ""
		var failed []string
		for _, r := range targets {
			if r.inj == nil || r.eng == nil {
				failed = append(failed, r.name+": no injects")
				continue
			}
			title, err := r.inj.Fire(name)
			if err == nil {
				struck = title
				err = r.eng.Save() // the changed account, for a reconnect
			}
			if err != nil {
				failed = append(failed, r.name+": "+err.Error())
				continue
			}
			sent++
		}
		text := fmt.Sprintf("Inject %q sent to %d of %d players.", name, sent, len(targets))
		if struck != "" {
			text = fmt.Sprintf("Inject %q (%s) sent to %d of %d players.", name, struck, sent, len(targets))
		}
		if len(failed) > 0 {
			text += " Not sent: " + strings.Join(failed, "; ")
		}
		return injectDoneMsg{text: provider.SanitizeN(text, 300)}
	}
}

func (m *facilitatorModel) View() tea.View {
	v := tea.NewView(m.render())
	v.AltScreen = true
	v.WindowTitle = "reclaim serve · facilitator"
	return v
}

// Facilitator view minimum size.
const (
	facMinWidth  = 60
	facMinHeight = 12
)

// fit cuts s to w cells and pads it to w.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = ansi.Truncate(s, w, "…")
	return s + strings.Repeat(" ", max(0, w-ansi.StringWidth(s)))
}

func (m *facilitatorModel) render() string {
	w, h := m.width, m.height
	if w < facMinWidth || h < facMinHeight {
		return fmt.Sprintf("Terminal too small for the facilitator view: %d×%d, need %d×%d.\nEnlarge the window, or press q to leave.", w, h, facMinWidth, facMinHeight)
	}
	w = min(w, 120)
	var b strings.Builder
	line := func(s string) { b.WriteString(fit(s, w)); b.WriteByte('\n') }
	rule := strings.Repeat("─", w)
	n := len(m.rows)
	players := fmt.Sprintf("%d players", n)
	if n == 1 {
		players = "1 player"
	}
	left := "reclaim serve · facilitator · " + provider.SanitizeN(m.scenario, 30)
	right := players + " · " + m.now().Format("15:04:05")
	line(fit(left, w-len(right)-1) + " " + right)
	line(rule)
	if m.picking {
		m.renderPicker(line)
	} else {
		m.renderList(line, h)
	}
	out := strings.TrimRight(b.String(), "\n")
	// Pad to the screen so a shorter frame leaves nothing behind.
	for strings.Count(out, "\n") < h-1 {
		out += "\n"
	}
	return out
}

// Column widths: marker, player, scenario, clock, progress; score takes
// the rest.
const (
	colPlayer   = 22
	colScenario = 20
	colClock    = 9
	colProgress = 16
)

func (m *facilitatorModel) renderList(line func(string), h int) {
	row := func(mark, player, scen, clock, prog, score string) string {
		return mark + fit(player, colPlayer) + " " + fit(scen, colScenario) + " " + fit(clock, colClock) + " " + fit(prog, colProgress) + " " + score
	}
	line(row("  ", "PLAYER", "SCENARIO", "CLOCK", "PROGRESS", "SCORE"))
	// Header 2, column titles 1, rule + detail + rule + keys + status 5.
	room := max(1, h-8)
	if m.cursor < m.top {
		m.top = m.cursor
	}
	if m.cursor >= m.top+room {
		m.top = m.cursor - room + 1
	}
	shown := 0
	if len(m.rows) == 0 {
		line("  No player is connected yet. Players connect with: ssh -t -p PORT HOST")
		shown = 1
	}
	for i := m.top; i < len(m.rows) && shown < room; i++ {
		r := m.rows[i]
		mark := "  "
		if i == m.cursor {
			mark = "> "
		}
		line(row(mark, r.name, r.scenario, r.clock, r.progress, r.score))
		shown++
	}
	for ; shown < room; shown++ {
		line("")
	}
	line(strings.Repeat("─", 20))
	detail := ""
	if m.cursor < len(m.rows) {
		detail = m.rows[m.cursor].detail
	}
	line(detail)
	keys := "↑/↓ select · i send an inject to this player · a to everyone · q quit"
	if len(m.rows) > room {
		keys = fmt.Sprintf("%d–%d of %d · ", m.top+1, min(len(m.rows), m.top+room), len(m.rows)) + keys
	}
	line(keys)
	line(m.status)
}

func (m *facilitatorModel) renderPicker(line func(string)) {
	to := "everyone connected"
	if !m.targetAll {
		for _, r := range m.rows {
			if r.live.who.key == m.target {
				to = r.name
			}
		}
	}
	line("Send which inject to " + to + "?")
	line("")
	room := max(1, m.height-7)
	start := 0
	if m.pick >= room {
		start = m.pick - room + 1
	}
	for i := start; i < len(m.injects) && i < start+room; i++ {
		mark := "  "
		if i == m.pick {
			mark = "> "
		}
		line(mark + m.labels[i])
	}
	line("")
	line("↑/↓ choose · enter send · esc back")
}
