package tui

import (
	"cmp"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"reclaim/checklist"
	"reclaim/provider"
)

// startScreen lists what can be done: resume an incident, start a drill or
// a real recovery, read a finished incident, quit.
type startScreen struct {
	c       *Common
	backend Backend
	opts    Options
	items   []startItem
	cursor  int
	loaded  bool
}

type startItem struct {
	label    string
	detail   string
	action   string // "resume", "drill", "real", "archive", "quit"
	id       string
	disabled bool
}

type incidentsMsg struct {
	list []checklist.Summary
	err  error
}

func newStartScreen(c *Common, b Backend, opts Options) *startScreen {
	return &startScreen{c: c, backend: b, opts: opts}
}

func (s *startScreen) listCmd() tea.Cmd {
	b := s.backend
	return func() tea.Msg {
		l, err := b.List()
		return incidentsMsg{l, err}
	}
}

func (s *startScreen) newDrillCmd() tea.Cmd {
	b, sc := s.backend, s.opts.Scenario
	return func() tea.Msg {
		e, c, err := b.NewDrill(sc)
		msg := sessionMsg{eng: e, close: c, err: err, fresh: true}
		if err == nil {
			if sim := e.Simulator(); sim != nil {
				msg.brief = sim.Briefing()
			}
		}
		return msg
	}
}

func (s *startScreen) openCmd(id string) tea.Cmd {
	b := s.backend
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

func (s *startScreen) SetSize(int, int) {}

func (s *startScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	return []key.Binding{k.Up, k.Down, k.Enter, k.Quit}
}

func (s *startScreen) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case incidentsMsg:
		return s.onIncidents(msg)
	case tea.KeyPressMsg:
		if s.c.Busy != "" || len(s.items) == 0 {
			return nil
		}
		k := s.c.Keys
		switch {
		case key.Matches(msg, k.Quit):
			return quitCmd
		case key.Matches(msg, k.Up):
			s.cursor = (s.cursor + len(s.items) - 1) % len(s.items)
		case key.Matches(msg, k.Down):
			s.cursor = (s.cursor + 1) % len(s.items)
		case key.Matches(msg, k.Enter):
			return s.choose(s.items[s.cursor])
		}
	}
	return nil
}

func (s *startScreen) choose(it startItem) tea.Cmd {
	if it.disabled {
		s.c.Status = it.detail
		return nil
	}
	switch it.action {
	case "quit":
		return quitCmd
	case "drill":
		s.c.Busy = "Creating the drill account"
		return s.newDrillCmd()
	case "resume":
		s.c.Busy = "Opening incident"
		return s.openCmd(it.id)
	case "archive":
		s.c.Busy = "Opening the finished incident"
		return openArchiveCmd(s.backend, it.id)
	case "real":
		return navigate(screenReal)
	}
	return nil
}

func (s *startScreen) onIncidents(msg incidentsMsg) tea.Cmd {
	s.c.Busy = ""
	s.loaded = true
	if msg.err != nil {
		s.c.Err = "Could not read the state directory: " + msg.err.Error()
	}
	items, resumeDrill := s.incidentItems(msg.list)
	s.items = append(items,
		startItem{label: "Start a new drill", detail: cmp.Or(s.opts.DrillAbout, "a simulated compromised account") + "; nothing real is touched", action: "drill"},
		s.realItem(),
		startItem{label: "Quit", action: "quit"},
	)
	if s.opts.Drill && (s.opts.Fresh || resumeDrill == "") {
		s.c.Busy = "Creating the drill account"
		return s.newDrillCmd()
	}
	return nil
}

func (s *startScreen) realItem() startItem {
	var names []string
	for _, p := range s.backend.Providers() {
		names = append(names, p.Name)
	}
	if len(names) == 0 {
		return startItem{label: "Start a recovery on a real account", detail: "no real provider here: use the drill", action: "real", disabled: true}
	}
	return startItem{label: "Start a recovery on a real account", detail: strings.Join(names, ", "), action: "real"}
}

// incidentItems are the start screen's incidents: up to three to resume
// (and the newest unfinished drill among them), the newest finished one to
// read, then those that cannot be opened (damaged, newer schema, refused),
// never hidden: each says why, and Enter shows it; a drill never resumes
// one of them.
func (s *startScreen) incidentItems(list []checklist.Summary) (items []startItem, resumeDrill string) {
	var broken []checklist.Summary
	var finished *checklist.Summary
	w := max(30, s.c.Width-6)
	for i, sm := range list {
		if !sm.OK() {
			broken = append(broken, sm)
			continue
		}
		if sm.Closed {
			if finished == nil {
				finished = &list[i]
			}
			continue
		}
		if len(items) == 3 {
			continue
		}
		label := "Resume: " + provider.SanitizeN(sm.Title, 50)
		if sm.DryRun {
			label = "Resume (DRY RUN): " + provider.SanitizeN(sm.Title, 40)
		}
		items = append(items, startItem{label: label, detail: checklist.ProgressText(sm.Done, sm.Total) + " · updated " + checklist.Age(s.c.Now(), sm.Updated), action: "resume", id: sm.ID})
		if sm.Drill && resumeDrill == "" {
			resumeDrill = sm.ID
		}
	}
	if finished != nil && len(items) < 3 {
		items = append(items, startItem{label: "Read (finished): " + provider.SanitizeN(finished.Title, 44), detail: "report, findings and journal, read-only · closed " + checklist.Age(s.c.Now(), finished.Updated) + ` · all: "reclaim incidents"`, action: "archive", id: finished.ID})
	}
	// At most four incident rows fit at 80x24 beside the other choices.
	slots := max(1, 4-len(items))
	for i, sm := range broken {
		if i == slots-1 && len(broken) > slots {
			more := "more "
			if i == 0 {
				more = ""
			}
			items = append(items, startItem{label: fmt.Sprintf("%d %sincidents cannot be opened", len(broken)-i, more), detail: "\"reclaim incidents\" lists each with the reason", disabled: true})
			break
		}
		name := sm.Title
		if name == "" {
			name = sm.ID
		}
		verb := map[string]string{checklist.StateNewer: "Newer reclaim needed", checklist.StateRefused: "Refused"}[sm.State]
		if verb == "" {
			verb = "Damaged"
		}
		// One row: the reason (a refusal's fix), and that a copy is kept.
		detail := provider.SanitizeN(sm.Problem, w)
		if sm.State == checklist.StateNewer {
			detail = "saved by a newer reclaim: upgrade reclaim to open it"
		} else if _, fix, ok := strings.Cut(sm.Problem, "Fix: "); ok && sm.State == checklist.StateRefused {
			detail = provider.SanitizeN("another user could change it. Fix: "+fix, w)
		} else if sm.Quarantine != "" {
			detail = provider.SanitizeN(sm.Problem, w-len(" · copy kept")) + " · copy kept"
		}
		items = append(items, startItem{label: verb + ": " + provider.SanitizeN(name, 44), detail: detail, id: sm.ID, disabled: true})
	}
	return items, resumeDrill
}

func (s *startScreen) View() string {
	if !s.loaded {
		return ""
	}
	st := s.c.Styles
	w := s.c.Width
	var b strings.Builder
	b.WriteString("What would you like to do?\n\n")
	for i, it := range s.items {
		cur := "  "
		label := cut(it.label, w-16)
		if i == s.cursor {
			cur = st.Selected.Render("> ")
			label = st.Selected.Render(label)
		}
		if it.disabled {
			label += st.Subtle.Render(" (unavailable)")
		}
		b.WriteString(cur + label + "\n")
		if it.detail != "" {
			b.WriteString("    " + st.Subtle.Render(cut(it.detail, w-4)) + "\n")
		}
	}
	b.WriteString("\n" + st.Subtle.Render("Incidents are kept in the state directory; quitting at any moment is safe."))
	return b.String()
}

// briefingScreen is a drill's story, or what a real key allows; a long one
// scrolls (pgdn, end, the wheel).
type briefingScreen struct {
	c     *Common
	text  string
	drill bool
	page  *pager
}

func newBriefing(c *Common, text string, drill bool) *briefingScreen {
	b := &briefingScreen{c: c, text: text, drill: drill}
	b.page = newPager(c, b.lines)
	b.page.fixed = true
	return b
}

func (s *briefingScreen) SetSize(w, h int) { s.page.SetSize(w, h) }

func (s *briefingScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	return []key.Binding{relabel(k.Enter, "start"), k.PageDown, k.Quit}
}

func (s *briefingScreen) Update(msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, s.c.Keys.Quit):
			return quitCmd
		case key.Matches(k, s.c.Keys.Enter):
			return openStepCmd(cursorStep(s.c))
		case key.Matches(k, s.c.Keys.Back):
			return nil
		}
	}
	return s.page.Update(msg)
}

func (s *briefingScreen) View() string { return s.page.View() }

func (s *briefingScreen) lines(*Common) []string {
	st := s.c.Styles
	if !s.drill {
		return []string{st.Bold.Render("What this key allows"), "", s.text, "", st.Accent.Render("Press enter to start with triage.")}
	}
	out := []string{st.Bold.Render("Drill briefing"), ""}
	out = append(out, sanitizeLines(s.text)...)
	return append(out, "", "This is a simulated account: every change you make really changes the simulation, and the audit afterwards shows the result.", "", st.Accent.Render("Press enter to start with triage."))
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
	fmt.Fprintf(&b, "Connected to %s. reclaim can do %d of %d steps through the API with this key.\n", provider.Sanitize(name), len(ok), len(ok)+len(lack))
	if len(lack) > 0 {
		b.WriteString("\nGuided in the console instead (or restart with a key that has the scope):\n")
		for _, l := range lack {
			b.WriteString("  ! " + provider.Sanitize(l) + "\n")
		}
	}
	return b.String()
}
