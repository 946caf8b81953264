package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
	"reclaim/provider"
)

type stepPhase int

const (
	spLoading stepPhase = iota
	spForm
	spActions
	spConfirm
	spApplying
	spSecret
	spReady
	spSkip
	spFinishing
	spScanning
	spPreview
	spTicket
)

// stepModel is the screen of one step.
type stepModel struct {
	groups    []*huh.Group // the form's groups, sized to their content
	qrGroup   *huh.Group   // the 2FA QR page, sized for the code
	qrNote    *huh.Note    // its field, to know when the QR page shows
	id        checklist.StepID
	view      checklist.StepView
	questions []checklist.Question
	plan      []checklist.Action
	selected  []bool
	actCursor int
	console   []string
	loadErr   string

	phase    stepPhase
	form     *huh.Form
	strVals  map[string]*string
	multVals map[string]*[]string
	answers  map[string]string
	inputs   map[string]string // secrets for this screen only

	queue    []checklist.Action
	log      []string
	newKey   *provider.NewKey
	reveal   bool
	warned   bool
	skipForm *huh.Form
	skipWhy  string
	// the console filing's ticket id
	ticketForm *huh.Form
	ticket     string

	// the report preview
	pvText   string
	pvReport *checklist.Report
	pvScroll int

	// the leak scan's live progress
	scanned    bool
	scanCancel context.CancelFunc
	scanStart  time.Time
	scanFiles  int64
	scanBytes  int64
	scanFound  int
}

type scanProgressMsg struct {
	files, bytes int64
	findings     int
	ch           chan tea.Msg
}

type scanDoneMsg struct {
	n   int
	err error
	inc *checklist.Incident
}

// startScan runs the scan in the background; progress arrives through a
// channel read by a re-arming command.
func (m *Model) startScan() tea.Cmd {
	s := m.step
	ctx, cancel := context.WithCancel(context.Background())
	s.scanCancel, s.scanStart, s.phase = cancel, time.Now(), spScanning
	m.busy = "Scanning (esc cancels)"
	paths := splitPaths(s.answers["paths"])
	e := m.eng
	ch := make(chan tea.Msg, 8)
	go func() {
		n, err := e.Scan(ctx, paths, func(files, bytes int64, findings int) {
			select {
			case ch <- scanProgressMsg{files: files, bytes: bytes, findings: findings, ch: ch}:
			default: // the UI is behind: drop this update, a newer one follows
			}
		})
		ch <- scanDoneMsg{n: n, err: err, inc: e.Snapshot()}
	}()
	return waitScan(ch)
}

func waitScan(ch chan tea.Msg) tea.Cmd { return func() tea.Msg { return <-ch } }

func splitPaths(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

type stepLoadedMsg struct {
	id        checklist.StepID
	view      checklist.StepView
	questions []checklist.Question
	plan      []checklist.Action
	console   []string
	inc       *checklist.Incident
	views     []checklist.StepView
	err       error
}

type stepPlannedMsg struct {
	plan []checklist.Action
	inc  *checklist.Incident
	err  error
}

type actionDoneMsg struct {
	res checklist.Result
	err error
	inc *checklist.Incident
}

type stepDoneMsg struct {
	err   error
	inc   *checklist.Incident
	views []checklist.StepView
	next  checklist.StepID
}

func (m *Model) openStep(id checklist.StepID) tea.Cmd {
	m.screen = screenStep
	m.step = &stepModel{id: id, phase: spLoading}
	m.busy = "Reading " + strings.ToLower(m.titleOf(id))
	m.errText, m.status = "", ""
	e := m.eng
	return func() tea.Msg {
		msg := stepLoadedMsg{id: id}
		if err := e.SetCursor(id); err != nil {
			msg.err = err
		}
		if err := e.Refresh(context.Background(), id); err != nil {
			msg.err = err
		}
		msg.view = e.View(id)
		msg.questions = e.Questions(id)
		msg.plan = e.Plan(id)
		if c, ok := e.Provider().(provider.ConsoleSimulator); ok && msg.view.Def.Item != "" && msg.view.Mode == checklist.ModeGuided {
			msg.console = c.ConsoleView(msg.view.Def.Item)
		}
		msg.inc, msg.views = e.Snapshot(), e.Views()
		return msg
	}
}

func (s *stepModel) typing() bool {
	return s.phase == spForm || s.phase == spSkip || s.phase == spTicket
}

func (s *stepModel) resize(m *Model) tea.Cmd {
	for _, f := range []*huh.Form{s.form, s.skipForm, s.ticketForm} {
		if f != nil {
			f.WithWidth(m.contentWidth())
		}
	}
	fitGroups(s.groups, s.qrGroup)
	return nil
}

// fitGroups sizes each group to its content at the current width: huh
// measures a group once, at 80 columns, so a title or help text that wraps
// narrower would push the input line or the last options out of view. One
// spare row keeps a validation error visible.
func fitGroups(groups []*huh.Group, keep *huh.Group) {
	for _, g := range groups {
		if g != keep {
			g.WithHeight(lipgloss.Height(g.Content()) + 1)
		}
	}
}

func (m *Model) theme() huh.Theme {
	if !m.color {
		return huh.ThemeFunc(huh.ThemeBase)
	}
	return huh.ThemeFunc(huh.ThemeCharm)
}

// buildForm turns questions into a huh form, one group per question so it
// fits a small terminal.
func (m *Model) buildForm(s *stepModel) {
	s.strVals, s.multVals = map[string]*string{}, map[string]*[]string{}
	var groups []*huh.Group
	for _, q := range s.questions {
		q := q
		if q.Hint != "" {
			// A drill's scripted answer is shown, never preselected.
			q.Help = strings.TrimSpace(q.Help + " Drill script: " + provider.SanitizeN(q.Hint, 60) + ".")
		}
		var f huh.Field
		switch q.Kind {
		case checklist.QSelect, checklist.QConfirm:
			v := q.Default
			s.strVals[q.ID] = &v
			var opts []huh.Option[string]
			for _, o := range q.Options {
				opts = append(opts, huh.NewOption(m.optionLabel(o.Label), o.Value))
			}
			h := m.textRows(q.Prompt) + m.textRows(q.Help) + min(len(opts), 10)
			f = huh.NewSelect[string]().Key(q.ID).Title(q.Prompt).Description(q.Help).Options(opts...).Value(&v).Height(h)
		case checklist.QMulti:
			def := strings.Split(q.Default, ",")
			vals := []string{}
			s.multVals[q.ID] = &vals
			var opts []huh.Option[string]
			for _, o := range q.Options {
				opts = append(opts, huh.NewOption(m.optionLabel(o.Label), o.Value).Selected(slices.Contains(def, o.Value)))
			}
			desc := strings.TrimSpace(q.Help + " (space toggles, enter confirms)")
			// Tell huh the rows the wrapped title and help take, so every
			// option is drawn (a long list scrolls).
			h := m.textRows(q.Prompt) + m.textRows(desc) + min(len(opts), 10)
			f = huh.NewMultiSelect[string]().Key(q.ID).Title(q.Prompt).Description(desc).Options(opts...).Value(&vals).Height(h)
		case checklist.QText:
			v := q.Default
			s.strVals[q.ID] = &v
			in := huh.NewInput().Key(q.ID).Title(q.Prompt).Description(q.Help).Value(&v)
			if q.ID == "cidrs" || q.ID == "your_ip" {
				in = in.Validate(func(x string) error {
					if strings.TrimSpace(x) == "" {
						return nil
					}
					_, err := checklist.ParseCIDRs(x)
					return err
				})
			}
			f = in
		case checklist.QOTPSetup:
			v := q.Default
			s.strVals[q.ID] = &v
			setup := &v
			groups = append(groups, huh.NewGroup(huh.NewInput().Key(q.ID).Title(q.Prompt).Description(q.Help).EchoMode(huh.EchoModePassword).Value(&v).Validate(func(x string) error {
				if strings.TrimSpace(x) == "" {
					return nil
				}
				_, err := checklist.ParseTOTPSetup(x)
				return err
			})))
			// The QR code, on its own page so it fits 80×24.
			note := huh.NewNote()
			s.qrNote = note
			groups = append(groups, huh.NewGroup(note.DescriptionFunc(func() string {
				set, err := checklist.ParseTOTPSetup(*setup)
				if err != nil {
					return "No setup key: press enter to go on."
				}
				q, err := qrHalfBlocks(set.QRURI())
				if err != nil {
					return "Could not draw the QR code: type the key into the app by hand."
				}
				return q
			}, setup).Next(true).NextLabel("Scanned with the authenticator app")).WithHideFunc(func() bool { return strings.TrimSpace(*setup) == "" }).WithHeight(qrHeight(v)))
			s.qrGroup = groups[len(groups)-1] // sized for the code, not its placeholder
			continue
		case checklist.QOTPCode:
			v := ""
			s.strVals[q.ID] = &v
			var setupVal, code1 *string
			for _, pq := range s.questions {
				if pq.Kind == checklist.QOTPSetup {
					setupVal = s.strVals[pq.ID]
				}
			}
			if q.ID == "code2" {
				code1 = s.strVals["code1"]
			}
			in := huh.NewInput().Key(q.ID).Title(q.Prompt).Description("Empty: check later (the step stays open).").Value(&v).CharLimit(8).Validate(func(x string) error {
				if setupVal == nil || strings.TrimSpace(*setupVal) == "" || strings.TrimSpace(x) == "" {
					return nil
				}
				if code1 != nil && strings.TrimSpace(*code1) == "" {
					return errors.New("the first code was left empty: go back (shift+tab) to type it, or leave this empty too")
				}
				set, err := checklist.ParseTOTPSetup(*setupVal)
				if err != nil {
					return err
				}
				if code1 == nil {
					return set.CheckFirstCode(x, time.Now())
				}
				return set.CheckTOTPCodes(*code1, x, time.Now())
			})
			g := huh.NewGroup(in)
			if setupVal != nil {
				g = g.WithHideFunc(func() bool { return strings.TrimSpace(*setupVal) == "" })
			}
			groups = append(groups, g)
			continue
		case checklist.QSecret:
			v := ""
			s.strVals[q.ID] = &v
			desc := "Input is hidden and never saved."
			if q.Hint != "" {
				desc += " Drill: the account's current password is " + provider.SanitizeN(q.Hint, 40) + "."
			}
			in := huh.NewInput().Key(q.ID).Title(q.Prompt).Description(desc).EchoMode(huh.EchoModePassword).Value(&v)
			switch q.ID {
			case "new":
				in = in.Validate(func(x string) error {
					if x == "" {
						return nil // no change now: the step stays open
					}
					if msg := checklist.PasswordProblem(x, ""); msg != "" {
						return errors.New(msg)
					}
					return nil
				})
			case "new_confirm":
				newPW := s.strVals["new"]
				in = in.Validate(func(x string) error {
					if newPW != nil && *newPW != x {
						return errors.New("the two entries differ: type the new password twice")
					}
					return nil
				})
			case "old":
				// Empty leaves the password unchanged (and the step open).
			default:
				in = in.Validate(func(x string) error {
					if x == "" {
						return errors.New("required")
					}
					return nil
				})
			}
			f = in
		default:
			continue
		}
		g := huh.NewGroup(f)
		if q.When[0] != "" {
			dep, want, not := q.When[0], q.When[1], q.WhenNot
			g = g.WithHideFunc(func() bool {
				return (s.current(dep) == want) == not
			})
		}
		groups = append(groups, g)
	}
	if len(groups) == 0 {
		s.form = nil
		return
	}
	s.form = huh.NewForm(groups...).WithShowHelp(false).WithTheme(m.theme()).WithWidth(m.contentWidth())
	s.groups = groups
	fitGroups(groups, s.qrGroup)
}

// onQRPage reports whether the form shows the 2FA QR code: it needs every
// row of an 80×24 screen, so the status line makes way for it.
func (s *stepModel) onQRPage() bool {
	return s != nil && s.phase == spForm && s.form != nil && s.qrNote != nil && s.form.GetFocusedField() == huh.Field(s.qrNote)
}

// optionLabel sanitizes an option and cuts it to one row: a wrapped option
// would push others out of the list. The full text stays in the findings
// view (f).
func (m *Model) optionLabel(label string) string {
	return ansi.Truncate(provider.Sanitize(label), max(20, m.contentWidth()-12), "…")
}

// textRows is how many rows a form's title or help text takes once wrapped
// to the form's width (inside its border).
func (m *Model) textRows(text string) int {
	if strings.TrimSpace(text) == "" {
		return 0
	}
	return len(wrapLines(text, max(10, m.contentWidth()-10))) + 1 // huh wraps narrower than the frame
}

// partialInputs says which change was left out because only some of the
// secrets it needs were typed (a new password without the current one), so
// what was typed is not dropped in silence.
func (s *stepModel) partialInputs(plan []checklist.Action) string {
	for _, a := range plan {
		needs := strings.Split(a.Params["needs"], ",")
		var given, missing []string
		for _, n := range needs {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			if strings.TrimSpace(s.inputs[n]) != "" {
				given = append(given, n)
				continue
			}
			for _, q := range s.questions {
				if q.ID == n {
					missing = append(missing, "“"+q.Prompt+"”")
				}
			}
		}
		if len(given) > 0 && len(missing) > 0 {
			return fmt.Sprintf("%s: %s was left empty, so nothing was changed. Type it, or leave every field empty to do this later (the step then stays open).", a.Label, strings.Join(missing, " and "))
		}
	}
	return ""
}

// current is a question's live answer; "ID.given" says whether a secret
// question (a 2FA setup key) was answered, without its value.
func (s *stepModel) current(id string) string {
	if base, ok := strings.CutSuffix(id, ".given"); ok {
		if v := s.strVals[base]; v != nil && strings.TrimSpace(*v) != "" {
			return "yes"
		}
		return ""
	}
	if v := s.strVals[id]; v != nil {
		return *v
	}
	return ""
}

func (s *stepModel) collect() {
	s.answers, s.inputs = map[string]string{}, map[string]string{}
	for _, q := range s.questions {
		switch {
		case q.Kind.Secret():
			if v := s.strVals[q.ID]; v != nil {
				if (q.Kind == checklist.QOTPSetup || q.Kind == checklist.QOTPCode) && strings.TrimSpace(*v) != "" {
					s.answers[q.ID+".given"] = "yes"
				}
				s.inputs[q.ID] = *v
				*v = ""
			}
		case q.Kind == checklist.QMulti:
			if v := s.multVals[q.ID]; v != nil {
				s.answers[q.ID] = strings.Join(*v, ",")
			}
		default:
			if v := s.strVals[q.ID]; v != nil {
				s.answers[q.ID] = strings.TrimSpace(*v)
			}
		}
	}
}

func (m *Model) updateStep(msg tea.Msg) (tea.Model, tea.Cmd) {
	s := m.step
	switch msg := msg.(type) {
	case stepLoadedMsg:
		if msg.id != s.id {
			return m, nil
		}
		m.busy = ""
		m.inc, m.views = msg.inc, msg.views
		s.view, s.questions, s.plan, s.console = msg.view, msg.questions, msg.plan, msg.console
		if msg.err != nil {
			s.loadErr = describe(msg.err)
			m.errText = s.loadErr
		}
		s.selected = make([]bool, len(s.plan))
		for i, a := range s.plan {
			s.selected[i] = a.Recommended
		}
		if s.view.State.Status == checklist.StatusNA {
			s.phase = spReady
			return m, nil
		}
		m.buildForm(s)
		if s.form != nil {
			s.phase = spForm
			return m, s.form.Init()
		}
		s.answers = map[string]string{}
		return m, m.afterForm()
	case stepPlannedMsg:
		m.busy = ""
		if msg.inc != nil {
			m.inc = msg.inc
		}
		if msg.err != nil {
			m.errText = describe(msg.err)
		}
		// A change that needs typed secrets the owner left empty (a
		// password) is not proposed: the step stays open instead.
		s.plan = slices.DeleteFunc(msg.plan, func(a checklist.Action) bool { return !checklist.HasInputs(a, s.inputs) })
		if why := s.partialInputs(msg.plan); why != "" {
			// Ask again rather than drop what was typed in silence.
			m.errText = why
			m.buildForm(s)
			s.phase = spForm
			return m, s.form.Init()
		}
		s.selected = make([]bool, len(s.plan))
		for i, a := range s.plan {
			s.selected[i] = a.Recommended
		}
		s.actCursor = 0
		switch {
		case s.id == checklist.StepScan && !s.scanned && msg.err == nil:
			return m, m.startScan()
		case s.id == checklist.StepReport && msg.err == nil:
			m.busy = "Building the report preview"
			return m, m.previewCmd()
		case len(s.plan) > 0:
			s.phase = spActions
		case s.form != nil && msg.err == nil:
			// The form's last enter was the confirmation: nothing else to do.
			return m, m.completeStep()
		default:
			s.phase = spReady
		}
		return m, nil
	case actionDoneMsg:
		m.busy = ""
		if msg.inc != nil {
			m.inc = msg.inc
		}
		if msg.err != nil {
			line := "! " + describe(msg.err)
			if n := len(s.log); n == 0 || s.log[n-1] != line {
				s.log = append(s.log, line)
			}
			m.errText = describe(msg.err)
			s.queue = nil
			if len(s.inputs) > 0 && s.form != nil {
				// The change needed typed secrets (a password): ask again.
				s.log = nil
				m.buildForm(s)
				s.phase = spForm
				return m, s.form.Init()
			}
			return m, m.replan()
		}
		s.log = append(s.log, fmt.Sprintf("✓ %s: %s", msg.res.Outcome, msg.res.Action.Label))
		if msg.res.NewKey != nil {
			nk := *msg.res.NewKey
			s.newKey = &nk
			s.phase = spSecret
			return m, nil
		}
		return m, m.nextAction()
	case stepDoneMsg:
		m.busy = ""
		if msg.inc != nil {
			m.inc, m.views = msg.inc, msg.views
		}
		if msg.err != nil {
			m.errText = describe(msg.err)
			if s.form != nil && errors.Is(msg.err, checklist.ErrNotReady) && len(s.plan) == 0 {
				m.buildForm(s)
				s.phase = spForm
				return m, s.form.Init()
			}
			if len(s.plan) > 0 {
				s.phase = spActions
			} else {
				s.phase = spReady
			}
			return m, nil
		}
		if msg.next == "" {
			m.busy = "Closing the incident and writing the report"
			e := m.eng
			return m, func() tea.Msg {
				r, err := e.Close(context.Background())
				if err != nil {
					return reportMsg{err: err}
				}
				return reportMsg{text: r.Markdown(), path: e.ReportPath()}
			}
		}
		m.status = "✓ " + s.view.Def.Title + " — saved."
		for _, v := range msg.views {
			if v.Def.ID == s.id && v.State.Level != "" {
				mark := "✓ "
				if v.State.Level == checklist.LevelOpen || v.State.Level == checklist.LevelSkipped {
					mark = "! "
				}
				m.status = mark + string(v.State.Level) + ": " + provider.SanitizeN(strings.TrimPrefix(v.State.Statement, "Open: "), 200)
			}
		}
		status := m.status
		cmd := m.openStep(msg.next)
		m.status = status
		return m, cmd
	case previewMsg:
		m.busy = ""
		if msg.err != nil {
			m.errText = describe(msg.err)
			return m, nil
		}
		s.pvText, s.pvReport, s.pvScroll, s.phase = msg.text, msg.r, 0, spPreview
		return m, nil
	case filedMsg:
		m.busy = ""
		if msg.inc != nil {
			m.inc = msg.inc
		}
		if msg.err != nil {
			m.errText = describe(msg.err) + " — the report is kept; nothing was lost."
		} else {
			m.status = msg.note
		}
		return m, nil
	case scanProgressMsg:
		s.scanFiles, s.scanBytes, s.scanFound = msg.files, msg.bytes, msg.findings
		return m, waitScan(msg.ch)
	case scanDoneMsg:
		m.busy = ""
		s.scanned, s.scanCancel = true, nil
		if msg.inc != nil {
			m.inc = msg.inc
		}
		if msg.err != nil {
			s.log = append(s.log, "! "+describe(msg.err))
			m.errText = describe(msg.err)
			s.phase = spReady
			return m, nil
		}
		line := fmt.Sprintf("✓ scan finished: %d findings recorded as evidence (press f to read them)", msg.n)
		if a := msg.inc.Account(); a != nil && len(a.Scans) > 0 {
			if last := a.Scans[len(a.Scans)-1]; last.Partial {
				line = fmt.Sprintf("! PARTIAL scan: %d findings recorded; %s", msg.n, provider.SanitizeN(last.Error, 120))
			}
		}
		s.log = append(s.log, line)
		s.phase = spReady
		return m, nil
	case tea.KeyPressMsg:
		if s.phase == spPreview && m.busy == "" {
			return m.previewKey(msg)
		}
		if s.phase == spScanning {
			if key.Matches(msg, m.keys.Back) && s.scanCancel != nil {
				s.scanCancel()
				m.status = "Cancelling the scan…"
			}
			return m, nil
		}
		return m.stepKey(msg)
	}
	// Everything else (cursor blink, form internals) goes to the active form.
	return m.forwardToForm(msg)
}

func (m *Model) forwardToForm(msg tea.Msg) (tea.Model, tea.Cmd) {
	s := m.step
	var f **huh.Form
	switch s.phase {
	case spForm:
		f = &s.form
	case spSkip:
		f = &s.skipForm
	case spTicket:
		f = &s.ticketForm
	default:
		return m, nil
	}
	if *f == nil {
		return m, nil
	}
	fm, cmd := (*f).Update(msg)
	if ff, ok := fm.(*huh.Form); ok {
		*f = ff
	}
	if s.phase == spTicket {
		switch (*f).State {
		case huh.StateCompleted:
			s.phase = spPreview
			m.busy = "Recording"
			return m, tea.Batch(cmd, m.markFiledCmd(s.pvReport, strings.TrimSpace(s.ticket)))
		case huh.StateAborted:
			s.phase = spPreview
			return m, nil
		}
		return m, cmd
	}
	switch (*f).State {
	case huh.StateCompleted:
		if s.phase == spForm {
			s.collect()
			return m, tea.Batch(cmd, m.afterForm())
		}
		reason := strings.TrimSpace(s.skipWhy)
		e, id := m.eng, s.id
		m.busy = "Saving"
		s.phase = spFinishing
		return m, tea.Batch(cmd, func() tea.Msg {
			err := e.Skip(id, reason)
			return stepDoneMsg{err: err, inc: e.Snapshot(), views: e.Views(), next: e.Next()}
		})
	case huh.StateAborted:
		m.screen = screenOverview
		return m, nil
	}
	return m, cmd
}

// afterForm saves the answers and asks for the plan they lead to.
func (m *Model) afterForm() tea.Cmd {
	s := m.step
	e, id, answers := m.eng, s.id, s.answers
	s.phase = spLoading
	m.busy = "Saving answers"
	return func() tea.Msg {
		err := e.Answer(id, answers)
		return stepPlannedMsg{plan: e.Plan(id), inc: e.Snapshot(), err: err}
	}
}

func (m *Model) replan() tea.Cmd {
	e, id := m.eng, m.step.id
	return func() tea.Msg { return stepPlannedMsg{plan: e.Plan(id), inc: e.Snapshot()} }
}

func (m *Model) nextAction() tea.Cmd {
	s := m.step
	if len(s.queue) == 0 {
		return m.completeStep()
	}
	act := s.queue[0]
	s.queue = s.queue[1:]
	s.phase = spApplying
	m.busy = act.Label
	e, id, inputs := m.eng, s.id, s.inputs
	return func() tea.Msg {
		res, err := e.Apply(context.Background(), id, act, inputs)
		return actionDoneMsg{res: res, err: err, inc: e.Snapshot()}
	}
}

func (m *Model) completeStep() tea.Cmd {
	s := m.step
	s.phase = spFinishing
	m.busy = "Saving"
	e, id, answers := m.eng, s.id, s.answers
	s.inputs = nil
	return func() tea.Msg {
		// Read back what the step changed before it is judged (verified
		// claims rest on this read); a failed read leaves it unverified.
		_ = e.Refresh(context.Background(), id)
		err := e.Complete(id, answers)
		next := e.Cursor()
		if e.Finished() {
			next = ""
		}
		return stepDoneMsg{err: err, inc: e.Snapshot(), views: e.Views(), next: next}
	}
}

func (m *Model) stepKey(k tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	s := m.step
	if m.busy != "" {
		return m, nil
	}
	if s.phase == spTicket && key.Matches(k, m.keys.Back) {
		s.phase = spPreview
		return m, nil
	}
	if s.typing() {
		if key.Matches(k, m.keys.Back) {
			m.screen = screenOverview
			m.cursor = m.indexOf(s.id)
			m.errText = ""
			return m, nil
		}
		return m.forwardToForm(k)
	}
	m.errText = ""
	switch s.phase {
	case spSecret:
		switch {
		case key.Matches(k, m.keys.Reveal):
			s.reveal = !s.reveal
		case key.Matches(k, m.keys.Copy):
			m.status = "Copied with OSC 52 (your terminal must allow it; over tmux set set-clipboard on)."
			return m, tea.SetClipboard(s.newKey.Secret)
		case key.Matches(k, m.keys.Enter):
			s.newKey, s.reveal = nil, false
			return m, m.nextAction()
		}
		return m, nil
	case spConfirm:
		switch k.String() {
		case "y", "Y":
			return m, m.nextAction()
		case "n", "N", "esc":
			s.queue = nil
			s.phase = spActions
		}
		return m, nil
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return m.quit()
	case key.Matches(k, m.keys.Back):
		m.screen = screenOverview
		m.cursor = m.indexOf(s.id)
		return m, nil
	case key.Matches(k, m.keys.Findings):
		// "press f to read them": the findings, then back to this step.
		m.screen, m.scroll, m.fromStep = screenFindings, 0, true
		return m, nil
	case key.Matches(k, m.keys.Skip):
		s.skipWhy = ""
		s.skipForm = huh.NewForm(huh.NewGroup(huh.NewInput().Title("Why skip \u201c" + s.view.Def.Title + "\u201d? (the report shows it)").Value(&s.skipWhy).Validate(func(x string) error {
			if strings.TrimSpace(x) == "" {
				return errors.New("give a reason")
			}
			return nil
		}))).WithShowHelp(false).WithTheme(m.theme()).WithWidth(m.contentWidth())
		s.phase = spSkip
		return m, s.skipForm.Init()
	}
	if s.phase == spActions {
		switch {
		case key.Matches(k, m.keys.Up):
			if s.actCursor > 0 {
				s.actCursor--
			}
		case key.Matches(k, m.keys.Down):
			if s.actCursor < len(s.plan)-1 {
				s.actCursor++
			}
		case key.Matches(k, m.keys.Toggle):
			if len(s.selected) > 0 {
				s.selected[s.actCursor] = !s.selected[s.actCursor]
				s.warned = false
			}
		case key.Matches(k, m.keys.Enter):
			s.queue = nil
			destructive := 0
			unselectedRec := 0
			for i, a := range s.plan {
				if s.selected[i] {
					s.queue = append(s.queue, a)
					if a.Destructive {
						destructive++
					}
				} else if a.Recommended {
					unselectedRec++
				}
			}
			if unselectedRec > 0 && !s.warned {
				s.warned = true
				m.status = fmt.Sprintf("%d recommended change(s) left out: they stay open findings in the report. Press enter again to go on.", unselectedRec)
				s.queue = nil
				return m, nil
			}
			if destructive > 0 {
				s.phase = spConfirm
				return m, nil
			}
			return m, m.nextAction()
		}
		return m, nil
	}
	if s.phase == spReady && key.Matches(k, m.keys.Enter) {
		if s.view.State.Status == checklist.StatusNA {
			m.screen = screenOverview
			return m, nil
		}
		return m, m.completeStep()
	}
	return m, nil
}

func (s *stepModel) helpKeys(m *Model) []key.Binding {
	switch s.phase {
	case spForm, spSkip, spTicket:
		return []key.Binding{
			key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
			key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous")),
			m.keys.Back, m.keys.ForceQuit,
		}
	case spActions:
		return []key.Binding{m.keys.Up, m.keys.Down, m.keys.Toggle, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply checked")), m.keys.Skip, m.keys.Back, m.keys.Quit}
	case spConfirm:
		return []key.Binding{key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, do it")), key.NewBinding(key.WithKeys("n"), key.WithHelp("n/esc", "no"))}
	case spSecret:
		return []key.Binding{m.keys.Reveal, m.keys.Copy, key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "I stored it"))}
	case spReady:
		return []key.Binding{key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "mark done")), m.keys.Findings, m.keys.Skip, m.keys.Back, m.keys.Quit}
	case spScanning:
		return []key.Binding{key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel the scan")), m.keys.ForceQuit}
	case spPreview:
		return []key.Binding{keyDone, keyCopy, keyMail, keyFiled, keyEdit, m.keys.Back}
	}
	return []key.Binding{m.keys.ForceQuit}
}

func maskSecret(s string) string {
	if len(s) <= 8 {
		return strings.Repeat("•", len(s))
	}
	return s[:3] + strings.Repeat("•", len(s)-7) + s[len(s)-4:]
}

func (s *stepModel) render(m *Model) string {
	st := m.styles
	var b strings.Builder
	d := s.view.Def
	if d == nil {
		return ""
	}
	mode := string(s.view.Mode)
	if s.view.State.Status == checklist.StatusNA {
		mode = "not applicable"
	}
	fmt.Fprintf(&b, "%s › %s  %s\n", st.Subtle.Render(string(d.Phase)), st.Bold.Render(d.Title), st.Subtle.Render("["+mode+"]"))
	b.WriteString(st.Subtle.Render("Why: ") + d.Why + "\n")
	if s.view.Mode == checklist.ModeGuided && s.view.NAWhy != "" {
		b.WriteString(st.Warn.Render("! Guided: ") + s.view.NAWhy + "\n")
	}
	if s.view.State.Status == checklist.StatusNA {
		b.WriteString("\nNot applicable: " + s.view.State.Reason + "\n")
		return b.String()
	}
	if s.view.State.Status == checklist.StatusDone {
		b.WriteString(st.Good.Render("✓ already done") + st.Subtle.Render(" — going through it again is harmless") + "\n")
	}
	ctx := s.contextLines(m)
	// The interactive part decides how much context fits.
	var main []string
	switch s.phase {
	case spForm:
		if s.form != nil {
			main = strings.Split(s.form.View(), "\n")
		}
	case spSkip:
		if s.skipForm != nil {
			main = strings.Split(s.skipForm.View(), "\n")
		}
	case spTicket:
		if s.ticketForm != nil {
			main = strings.Split(s.ticketForm.View(), "\n")
		}
	case spActions, spConfirm, spApplying:
		main = s.actionLines(m)
	case spSecret:
		main = s.secretLines(m)
	case spReady:
		if len(s.log) > 0 {
			main = append(main, s.log...)
		}
		if s.id == checklist.StepScan && s.scanned {
			main = append(main, st.Accent.Render("Press enter to record the scan and go on."))
		} else {
			main = append(main, st.Accent.Render("Nothing to change here. Press enter to mark this step done."))
		}
	case spFinishing, spLoading:
		main = append(main, s.log...)
	case spPreview:
		main = s.previewLines(m)
	case spScanning:
		el := time.Since(s.scanStart).Seconds()
		rate := 0.0
		if el > 0 {
			rate = float64(s.scanBytes) / el / 1e6
		}
		main = append(main, m.spin.View()+fmt.Sprintf(" Scanning: %d files, %.1f MB, %d findings, %.0f MB/s", s.scanFiles, float64(s.scanBytes)/1e6, s.scanFound, rate),
			st.Subtle.Render("esc cancels; what was found so far is kept"))
	}
	if s.onQRPage() {
		// The code and its button need every row of an 80×24 screen.
		return strings.Join(main, "\n")
	}
	avail := m.bodyHeight() - strings.Count(b.String(), "\n") - len(main) - 1
	if avail < 0 {
		// The interactive part (a QR code, a long list) needs the room:
		// keep only the step's title line.
		title, _, _ := strings.Cut(b.String(), "\n")
		return title + "\n" + strings.Join(main, "\n")
	}
	if len(ctx) > 0 && avail > 1 {
		if len(ctx) > avail {
			ctx = append(ctx[:avail-1], st.Subtle.Render(fmt.Sprintf("… %d more lines (f: findings view)", len(ctx)-avail+1)))
		}
		b.WriteString(strings.Join(ctx, "\n") + "\n")
	}
	b.WriteString("\n" + strings.Join(main, "\n"))
	return b.String()
}

func (s *stepModel) actionLines(m *Model) []string {
	st := m.styles
	var out []string
	out = append(out, st.Bold.Render("Proposed changes")+st.Subtle.Render(" (recommended ones are checked)"))
	for i, a := range s.plan {
		box := "[ ]"
		if s.selected[i] {
			box = "[x]"
		}
		cur := "  "
		// One row per change, so the confirmation below is always drawn;
		// the reason line of the highlighted one says more.
		label := ansi.Truncate(provider.Sanitize(a.Label), max(20, m.contentWidth()-8), "…")
		if i == s.actCursor && s.phase == spActions {
			cur = st.Selected.Render("> ")
			label = st.Selected.Render(label)
		}
		if a.Destructive {
			box = st.Warn.Render(box)
		}
		out = append(out, cur+box+" "+label)
		if a.Reason != "" && i == s.actCursor {
			out = append(out, "      "+st.Subtle.Render("because: "+provider.SanitizeN(a.Reason, 2*m.contentWidth())))
		}
	}
	for _, l := range s.log {
		out = append(out, l)
	}
	if s.phase == spConfirm {
		n := 0
		for i, a := range s.plan {
			if s.selected[i] && a.Destructive {
				n++
			}
		}
		out = append(out, "", st.Warn.Render(fmt.Sprintf("! Make %d change(s) to the account? Each is journaled. (y/n)", n)))
	}
	return out
}

func (s *stepModel) secretLines(m *Model) []string {
	st := m.styles
	k := s.newKey
	shown := maskSecret(k.Secret)
	if s.reveal {
		shown = k.Secret
	}
	where := "memory only (no OS keyring here): it is gone when reclaim exits"
	if m.eng != nil && m.eng.Secrets().InKeyring(k.ID) {
		where = "the OS keyring (service \"reclaim\")"
	}
	return []string{
		st.Bold.Render("New key created — shown once"),
		"",
		"  " + st.Accent.Render(shown),
		"",
		// A name is cut so the keyring/memory notice below stays in view.
		fmt.Sprintf("Name %s, id %s, scopes %s.", provider.SanitizeN(k.Name, 60), provider.SanitizeN(k.ID, 40), provider.SanitizeN(strings.Join(k.Scopes, ", "), 120)),
		"Kept in " + where + ". It is never written to a file.",
		"Store it in your secret manager now, then put it where the old key lived.",
	}
}

// contextLines is what the step shows above its form: guidance, console
// link, the drill's simulated console, and what the inventory says.
func (s *stepModel) contextLines(m *Model) []string {
	st := m.styles
	var out []string
	d := s.view.Def
	if s.view.Mode == checklist.ModeGuided && s.view.Console != "" {
		out = append(out, st.Subtle.Render("Console: ")+st.Accent.Render(s.view.Console))
	}
	if s.view.Mode != checklist.ModeAuto {
		for _, l := range d.Guide.LookFor {
			out = append(out, "  • look for "+l)
		}
		for _, l := range d.Guide.Record {
			out = append(out, "  • record "+l)
		}
	}
	if len(s.console) > 0 {
		out = append(out, st.Subtle.Render("Simulated console shows:"))
		for _, l := range s.console {
			out = append(out, "  | "+provider.Sanitize(l))
		}
	}
	a := m.inc.Account()
	if a == nil {
		return out
	}
	inv := a.Current()
	if inv == nil {
		return out
	}
	switch d.ID {
	case checklist.StepInventory:
		out = append(out, fmt.Sprintf("Recorded at %s UTC, before any change:", inv.TakenAt.Format("15:04:05")))
		out = append(out, fmt.Sprintf("  %d API keys, %d teammates and invites, %d subusers, %d webhooks and parse routes", len(inv.Keys), len(inv.Teammates), len(inv.Subusers), len(inv.Webhooks)))
		out = append(out, fmt.Sprintf("  %d mail settings, %d sender identities, %d allow-list entries, %d access records", len(inv.MailSettings), len(inv.Senders), len(inv.AllowList), len(inv.Activity)))
		if inv.Mail != nil {
			out = append(out, fmt.Sprintf("  %d messages sent in the last 30 days", inv.Mail.Total))
		}
		for sec, e := range inv.Errors {
			out = append(out, st.Warn.Render("! could not read "+sec+": ")+provider.Sanitize(e))
		}
		for sec, why := range inv.Truncated {
			out = append(out, st.Warn.Render("! incomplete: "+sec+" ")+provider.SanitizeN(why, 80))
		}
		n := 0
		for _, f := range a.Findings {
			if !f.Resolved {
				n++
			}
		}
		out = append(out, st.Warn.Render(fmt.Sprintf("! %d findings", n))+" — review them in the next step.")
	case checklist.StepReview:
		n := 0
		for _, f := range a.Findings {
			if f.Resolved || f.Severity != checklist.High {
				continue
			}
			if n == 5 {
				out = append(out, st.Subtle.Render("  … more with f"))
				break
			}
			out = append(out, st.Bad.Render("  ! ")+provider.Sanitize(f.Title))
			n++
		}
	case checklist.StepRevokeKeys, checklist.StepAuditKeys:
		for _, k := range inv.Keys {
			tag := ""
			if k.ID == m.eng.SessionKeyID {
				tag = " (reclaim is using it)"
			}
			for _, nk := range a.NewKeys {
				if nk.ID == k.ID {
					tag = " (your replacement)"
				}
			}
			out = append(out, fmt.Sprintf("  key %s  %s…%s", provider.SanitizeN(k.Name, 36), short6(k.ID), tag))
		}
	case checklist.StepAuditTeammates:
		for _, t := range inv.Teammates {
			who := t.Username
			if t.Pending {
				who = "invite " + t.Email
			}
			role := ""
			if t.Admin {
				role = " admin"
			}
			out = append(out, fmt.Sprintf("  %s <%s>%s", provider.SanitizeN(who, 40), provider.SanitizeN(t.Email, 40), role))
		}
	case checklist.StepAuditWebhooks:
		for _, w := range inv.Webhooks {
			out = append(out, fmt.Sprintf("  %s → %s", w.Kind, provider.SanitizeN(w.URL, 60)))
		}
	case checklist.StepAuditSubusers:
		for _, su := range inv.Subusers {
			state := ""
			if su.Disabled {
				state = " (disabled)"
			}
			out = append(out, fmt.Sprintf("  subuser %s <%s>%s", provider.SanitizeN(su.Username, 30), provider.SanitizeN(su.Email, 40), state))
		}
	case checklist.StepAuditMailSetting:
		for _, ms := range inv.MailSettings {
			on := "off"
			if ms.Enabled {
				on = "on "
			}
			out = append(out, fmt.Sprintf("  %s %-18s %s", on, ms.Name, provider.SanitizeN(ms.Value, 40)))
		}
	case checklist.StepAuditSenders:
		for _, x := range inv.Senders {
			out = append(out, fmt.Sprintf("  %s %s", x.Kind, provider.SanitizeN(x.Address, 50)))
		}
	case checklist.StepAuditIPAccess:
		if len(inv.AllowList) == 0 {
			out = append(out, "  The allow list is empty: any address can log in or use a key.")
		}
		for _, r := range inv.AllowList {
			out = append(out, "  allow "+provider.Sanitize(r.CIDR))
		}
	case checklist.StepAuditMail:
		if ms := inv.Mail; ms != nil {
			out = append(out, fmt.Sprintf("%d messages since %s.", ms.Total, ms.Since.Format("2006-01-02")))
			out = append(out, "  per day: "+sparkline(ms.PerDay))
			for i, sc := range ms.Subjects {
				if i == 5 {
					break
				}
				out = append(out, fmt.Sprintf("  %5d × %s", sc.Count, provider.SanitizeN(sc.Subject, 60)))
			}
		}
	}
	return out
}

func short6(id string) string {
	if len(id) > 6 {
		return id[:6]
	}
	return id
}

func sparkline(perDay map[string]int) string {
	days := make([]string, 0, len(perDay))
	for d := range perDay {
		days = append(days, d)
	}
	slices.Sort(days)
	maxv := 0
	for _, d := range days {
		maxv = max(maxv, perDay[d])
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, d := range days {
		i := 0
		if maxv > 0 {
			i = perDay[d] * (len(bars) - 1) / maxv
		}
		b.WriteRune(bars[i])
	}
	return b.String()
}

func asProviderErr(err error, target **provider.Error) bool { return errors.As(err, target) }

// qrHeight is the rows the QR page needs (title, code, button).
func qrHeight(setup string) int {
	rows := 19
	if set, err := checklist.ParseTOTPSetup(setup); err == nil {
		if q, err := qrHalfBlocks(set.QRURI()); err == nil {
			rows = strings.Count(q, "\n") + 1
		}
	}
	return rows + 4
}
