package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
	"reclaim/provider"
)

// stepPhase is where a step's screen is: loading, asking (form), proposing
// changes, confirming, applying, showing a new key, ready to finish,
// skipping, finishing, or running its runner (a scan, a report preview).
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

// stepScreen is the screen of one step. What a step asks, validates,
// shows and runs comes from its checklist data (questions with validators,
// context lines, runner), never from its id.
type stepScreen struct {
	c   *Common
	eng Engine
	id  checklist.StepID

	view      checklist.StepView
	questions []checklist.Question
	console   []string
	loadErr   string
	phase     stepPhase
	warned    bool

	form *stepForm
	// answers and typed secrets (secrets for this screen only)
	answers map[string]string
	inputs  map[string]string

	acts    actionList
	queue   []checklist.Action
	log     []string
	newKey  *newKeyView
	skip    *huh.Form
	skipWhy string

	scan    scanRunner
	preview reportPreview
}

func newStepScreen(c *Common, e Engine, id checklist.StepID) *stepScreen {
	s := &stepScreen{c: c, eng: e, id: id, phase: spLoading}
	s.preview.s = s
	return s
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

func (msg stepLoadedMsg) snapshot() (*checklist.Incident, []checklist.StepView) {
	return msg.inc, msg.views
}

type stepPlannedMsg struct {
	plan []checklist.Action
	inc  *checklist.Incident
	err  error
}

func (msg stepPlannedMsg) snapshot() (*checklist.Incident, []checklist.StepView) { return msg.inc, nil }

type actionDoneMsg struct {
	res checklist.Result
	err error
	inc *checklist.Incident
}

func (msg actionDoneMsg) snapshot() (*checklist.Incident, []checklist.StepView) { return msg.inc, nil }

type stepDoneMsg struct {
	err   error
	inc   *checklist.Incident
	views []checklist.StepView
	next  checklist.StepID
}

func (msg stepDoneMsg) snapshot() (*checklist.Incident, []checklist.StepView) {
	return msg.inc, msg.views
}

// Init reads the step: refreshes what it needs from the provider, its
// questions, its plan and (in a drill) the simulated console.
func (s *stepScreen) Init() tea.Cmd {
	c := s.c
	c.Busy = "Reading " + strings.ToLower(titleOf(s.id))
	c.Err = ""
	e, id := s.eng, s.id
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
		if sim := e.Simulator(); sim != nil && msg.view.Def.Item != "" && msg.view.Mode == checklist.ModeGuided {
			msg.console = sim.ConsoleView(msg.view.Def.Item)
		}
		msg.inc, msg.views = e.Snapshot(), e.Views()
		return msg
	}
}

func (s *stepScreen) typing() bool {
	return s.phase == spForm || s.phase == spSkip || s.phase == spTicket
}

// fullScreen: the 2FA QR page needs every row of an 80×24 screen, so the
// status line makes way for it.
func (s *stepScreen) fullScreen() bool {
	return s.phase == spForm && s.form != nil && s.form.onQRPage()
}

// fullScreenRows is the rows the full-screen page needs.
func (s *stepScreen) fullScreenRows() int {
	if s.form == nil {
		return 0
	}
	return s.form.qrRows
}

func (s *stepScreen) SetSize(w, _ int) {
	if s.form != nil {
		s.form.setSize(w, len(wrapLines(s.titleLine(), w)))
	}
	for _, f := range []*huh.Form{s.skip, s.preview.ticket} {
		if f != nil {
			f.WithWidth(w)
		}
	}
}

func (s *stepScreen) toOverview() tea.Cmd {
	return func() tea.Msg { return navMsg{to: screenOverview, step: s.id} }
}

// ask (re)builds the form and shows it.
func (s *stepScreen) ask() tea.Cmd {
	s.form = newStepForm(s.c, s.questions)
	if s.form == nil {
		s.answers = map[string]string{}
		return s.afterForm()
	}
	s.phase = spForm
	return s.form.form.Init()
}

func (s *stepScreen) Update(msg tea.Msg) tea.Cmd {
	c := s.c
	switch msg := msg.(type) {
	case stepLoadedMsg:
		if msg.id != s.id {
			return nil
		}
		c.Busy = ""
		s.view, s.questions, s.console = msg.view, msg.questions, msg.console
		if msg.err != nil {
			s.loadErr = describe(msg.err)
			c.Err = s.loadErr
		}
		s.acts.set(msg.plan)
		if s.view.State.Status == checklist.StatusNA {
			s.phase = spReady
			return nil
		}
		return s.ask()
	case stepPlannedMsg:
		return s.onPlanned(msg)
	case actionDoneMsg:
		return s.onActionDone(msg)
	case stepDoneMsg:
		return s.onDone(msg)
	case previewMsg, filedMsg:
		return s.preview.update(msg)
	case scanProgressMsg, scanDoneMsg:
		return s.scan.update(s, msg)
	case tea.KeyPressMsg:
		if s.phase == spPreview && c.Busy == "" {
			return s.preview.key(msg)
		}
		if s.phase == spScanning {
			if key.Matches(msg, c.Keys.Back) {
				s.scan.cancel(c)
			}
			return nil
		}
		return s.key(msg)
	}
	// Everything else (cursor blink, form internals) goes to the active form.
	return s.forward(msg)
}

func (s *stepScreen) onPlanned(msg stepPlannedMsg) tea.Cmd {
	c := s.c
	c.Busy = ""
	if msg.err != nil {
		c.Err = describe(msg.err)
	}
	// A change that needs typed secrets the owner left empty (a password)
	// is not proposed: the step stays open instead.
	plan := slices.DeleteFunc(slices.Clone(msg.plan), func(a checklist.Action) bool { return !checklist.HasInputs(a, s.inputs) })
	if why := partialInputs(msg.plan, s.questions, s.inputs); why != "" {
		// Ask again rather than drop what was typed in silence.
		c.Err = why
		return s.ask()
	}
	s.acts.set(plan)
	switch {
	case s.view.Def.Runner == checklist.RunScan && !s.scan.done && msg.err == nil:
		return s.scan.start(s)
	case s.view.Def.Runner == checklist.RunReportPreview && msg.err == nil:
		return s.preview.build()
	case len(plan) > 0:
		s.phase = spActions
	case s.form != nil && msg.err == nil:
		// The form's last enter was the confirmation: nothing else to do.
		return s.complete()
	default:
		s.phase = spReady
	}
	return nil
}

func (s *stepScreen) onActionDone(msg actionDoneMsg) tea.Cmd {
	c := s.c
	c.Busy = ""
	if msg.err != nil {
		line := "! " + describe(msg.err)
		if n := len(s.log); n == 0 || s.log[n-1] != line {
			s.log = append(s.log, line)
		}
		c.Err = describe(msg.err)
		s.queue = nil
		if len(s.inputs) > 0 && s.form != nil {
			// The change needed typed secrets (a password): ask again.
			s.log = nil
			return s.ask()
		}
		return s.replan()
	}
	s.log = append(s.log, fmt.Sprintf("✓ %s: %s", msg.res.Outcome, provider.Sanitize(msg.res.Action.Label)))
	if msg.res.NewKey != nil {
		s.newKey = newNewKeyView(s.c, *msg.res.NewKey, s.eng.Secrets().InKeyring(msg.res.NewKey.ID))
		s.phase = spSecret
		return nil
	}
	if msg.res.Rotated != nil {
		s.newKey = newRotatedView(s.c, *msg.res.Rotated)
		s.phase = spSecret
		return nil
	}
	return s.nextAction()
}

func (s *stepScreen) onDone(msg stepDoneMsg) tea.Cmd {
	c := s.c
	c.Busy = ""
	if msg.err != nil {
		c.Err = describe(msg.err)
		if s.form != nil && errors.Is(msg.err, checklist.ErrNotReady) && len(s.acts.plan) == 0 {
			return s.ask()
		}
		if len(s.acts.plan) > 0 {
			s.phase = spActions
		} else {
			s.phase = spReady
		}
		return nil
	}
	if msg.next == "" {
		c.Busy = "Closing the incident and writing the report"
		return closeReportCmd(s.eng)
	}
	status := "✓ " + s.view.Def.Title + " — saved."
	for _, v := range msg.views {
		if v.Def.ID == s.id && v.State.Level != "" {
			mark := "✓ "
			if v.State.Level == checklist.LevelOpen || v.State.Level == checklist.LevelSkipped {
				mark = "! "
			}
			status = mark + string(v.State.Level) + ": " + provider.SanitizeN(strings.TrimPrefix(v.State.Statement, "Open: "), 200)
		}
	}
	next := msg.next
	return func() tea.Msg { return stepAdvanceMsg{next: next, status: status} }
}

// stepAdvanceMsg opens the next step with the last one's outcome in the
// footer.
type stepAdvanceMsg struct {
	next   checklist.StepID
	status string
}

// forward passes a message to the form that has the keys.
func (s *stepScreen) forward(msg tea.Msg) tea.Cmd {
	switch s.phase {
	case spForm:
		if s.form == nil {
			return nil
		}
		done, aborted, cmd := s.form.update(msg)
		switch {
		case done:
			s.answers, s.inputs = s.form.collect()
			return tea.Batch(cmd, s.afterForm())
		case aborted:
			return s.toOverview()
		}
		return cmd
	case spSkip:
		fm, cmd := s.skip.Update(msg)
		if f, ok := fm.(*huh.Form); ok {
			s.skip = f
		}
		switch s.skip.State {
		case huh.StateCompleted:
			reason := strings.TrimSpace(s.skipWhy)
			e, id := s.eng, s.id
			s.c.Busy = "Saving"
			s.phase = spFinishing
			return tea.Batch(cmd, func() tea.Msg {
				err := e.Skip(id, reason)
				return stepDoneMsg{err: err, inc: e.Snapshot(), views: e.Views(), next: e.Next()}
			})
		case huh.StateAborted:
			return s.toOverview()
		}
		return cmd
	case spTicket:
		return s.preview.forwardTicket(msg)
	}
	return nil
}

// afterForm saves the answers and asks for the plan they lead to.
func (s *stepScreen) afterForm() tea.Cmd {
	e, id, answers := s.eng, s.id, s.answers
	s.phase = spLoading
	s.c.Busy = "Saving answers"
	return func() tea.Msg {
		err := e.Answer(id, answers)
		return stepPlannedMsg{plan: e.Plan(id), inc: e.Snapshot(), err: err}
	}
}

func (s *stepScreen) replan() tea.Cmd {
	e, id := s.eng, s.id
	return func() tea.Msg { return stepPlannedMsg{plan: e.Plan(id), inc: e.Snapshot()} }
}

func (s *stepScreen) nextAction() tea.Cmd {
	if len(s.queue) == 0 {
		return s.complete()
	}
	act := s.queue[0]
	s.queue = s.queue[1:]
	s.phase = spApplying
	s.c.Busy = provider.Sanitize(act.Label)
	e, id, inputs := s.eng, s.id, s.inputs
	return func() tea.Msg {
		res, err := e.Apply(context.Background(), id, act, inputs)
		return actionDoneMsg{res: res, err: err, inc: e.Snapshot()}
	}
}

func (s *stepScreen) complete() tea.Cmd {
	s.phase = spFinishing
	s.c.Busy = "Saving"
	e, id, answers := s.eng, s.id, s.answers
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

func (s *stepScreen) key(k tea.KeyPressMsg) tea.Cmd {
	c := s.c
	keys := c.Keys
	if c.Busy != "" {
		return nil
	}
	if s.phase == spTicket && key.Matches(k, keys.Back) {
		s.phase = spPreview
		return nil
	}
	if s.typing() {
		if key.Matches(k, keys.Back) {
			c.Err = ""
			return s.toOverview()
		}
		return s.forward(k)
	}
	c.Err = ""
	switch s.phase {
	case spSecret:
		return s.newKey.key(k, s)
	case spConfirm:
		switch {
		case key.Matches(k, keys.Yes):
			return s.nextAction()
		case key.Matches(k, keys.No):
			s.queue = nil
			s.phase = spActions
		}
		return nil
	}
	switch {
	case key.Matches(k, keys.Quit):
		return quitCmd
	case key.Matches(k, keys.Back):
		return s.toOverview()
	case key.Matches(k, keys.Findings):
		// "press f to read them": the findings, then back to this step.
		return navigate(screenFindings)
	case key.Matches(k, keys.Skip):
		s.skipWhy = ""
		s.skip = huh.NewForm(huh.NewGroup(huh.NewInput().Title("Why skip \u201c" + s.view.Def.Title + "\u201d? (the report shows it)").Value(&s.skipWhy).Validate(func(x string) error {
			if strings.TrimSpace(x) == "" {
				return errors.New("give a reason")
			}
			return nil
		}))).WithShowHelp(false).WithTheme(c.theme()).WithWidth(c.Width)
		s.phase = spSkip
		return s.skip.Init()
	}
	if s.phase == spActions {
		return s.acts.key(k, s)
	}
	if s.phase == spReady && key.Matches(k, keys.Enter) {
		if s.view.State.Status == checklist.StatusNA {
			return s.toOverview()
		}
		return s.complete()
	}
	return nil
}

func (s *stepScreen) ShortHelp() []key.Binding {
	k := s.c.Keys
	switch s.phase {
	case spForm, spSkip, spTicket:
		return []key.Binding{k.Next, k.Prev, k.Back, k.ForceQuit}
	case spActions:
		return []key.Binding{k.Up, k.Down, k.Toggle, relabel(k.Enter, "apply checked"), k.Skip, k.Back, k.Quit}
	case spConfirm:
		return []key.Binding{k.Yes, k.No}
	case spSecret:
		return []key.Binding{k.Reveal, k.Copy, relabel(k.Enter, "I stored it")}
	case spReady:
		return []key.Binding{relabel(k.Enter, "mark done"), k.Findings, k.Skip, k.Back, k.Quit}
	case spScanning:
		return []key.Binding{relabel(k.Back, "cancel the scan"), k.ForceQuit}
	case spPreview:
		return []key.Binding{k.Finish, k.CopyReport, k.Mail, k.Filed, k.Edit, k.Back}
	}
	return []key.Binding{k.ForceQuit}
}

// View draws the step: its title and why, then as much context as fits
// above the interactive part (form, changes, key, runner), which always
// gets the room it needs.
func (s *stepScreen) View() string {
	c := s.c
	st := c.Styles
	d := s.view.Def
	if d == nil {
		return ""
	}
	var main []string
	switch s.phase {
	case spForm:
		if s.form != nil {
			main = strings.Split(s.form.view(), "\n")
		}
	case spSkip:
		main = strings.Split(s.skip.View(), "\n")
	case spTicket:
		main = strings.Split(s.preview.ticket.View(), "\n")
	case spActions, spConfirm, spApplying:
		main = s.acts.lines(s, c.Height-len(wrapLines(s.titleLine(), c.Width)))
	case spSecret:
		main = s.newKey.lines()
	case spReady:
		main = append(main, s.log...)
		if s.scan.done {
			main = append(main, st.Accent.Render("Press enter to record the scan and go on."))
		} else {
			main = append(main, st.Accent.Render("Nothing to change here. Press enter to mark this step done."))
		}
	case spFinishing, spLoading:
		main = append(main, s.log...)
	case spPreview:
		main = s.preview.lines()
	case spScanning:
		main = s.scan.lines(c)
	}
	if s.fullScreen() {
		// The code and its button need every row of an 80×24 screen.
		return strings.Join(main, "\n")
	}
	title := wrapLines(s.titleLine(), c.Width)
	head := slices.Clone(title)
	head = append(head, wrapLines(st.Subtle.Render("Why: ")+d.Why, c.Width)...)
	if s.view.Mode == checklist.ModeGuided && s.view.NAWhy != "" {
		head = append(head, wrapLines(st.Warn.Render("! Guided: ")+s.view.NAWhy, c.Width)...)
	}
	if s.view.State.Status == checklist.StatusNA {
		head = append(head, "", "Not applicable: "+s.view.State.Reason)
		return strings.Join(head, "\n")
	}
	if s.view.State.Status == checklist.StatusDone {
		head = append(head, st.Good.Render("✓ already done")+st.Subtle.Render(" — going through it again is harmless"))
	}
	main = wrapLines(strings.Join(main, "\n"), c.Width)
	avail := c.Height - len(head) - len(main) - 1
	if avail < 0 {
		// The interactive part (a QR code, a long list) needs the room:
		// keep only the step's title line.
		return strings.Join(append(title, main...), "\n")
	}
	ctx := s.contextLines()
	if len(ctx) > 0 && avail > 1 {
		if len(ctx) > avail {
			more := "f: findings view"
			if s.typing() {
				more = "the findings view has the inventory: esc, then f"
			}
			ctx = append(ctx[:avail-1], st.Subtle.Render(fmt.Sprintf("… %d more lines (%s)", len(ctx)-avail+1, more)))
		}
		head = append(head, ctx...)
	}
	return strings.Join(head, "\n") + "\n\n" + strings.Join(main, "\n")
}

// titleLine is the step's phase, title and mode.
func (s *stepScreen) titleLine() string {
	st := s.c.Styles
	d := s.view.Def
	if d == nil {
		return ""
	}
	mode := string(s.view.Mode)
	if s.view.State.Status == checklist.StatusNA {
		mode = "not applicable"
	}
	return fmt.Sprintf("%s › %s  %s", st.Subtle.Render(string(d.Phase)), st.Bold.Render(d.Title), st.Subtle.Render("["+mode+"]"))
}

// contextLines is what the step shows above its form, one row each (long
// provider strings are cut; the findings view has them whole): the console
// link and what to look for, the drill's simulated console, and what the
// inventory says (checklist data).
func (s *stepScreen) contextLines() []string {
	c := s.c
	st := c.Styles
	w := c.Width
	var out []string
	one := func(l string) { out = append(out, ansi.Truncate(l, w, "…")) }
	if s.view.Mode == checklist.ModeGuided && s.view.Console != "" {
		one(st.Subtle.Render("Console: ") + st.Accent.Render(provider.Sanitize(s.view.Console)))
	}
	if s.view.Mode != checklist.ModeAuto {
		for _, l := range s.view.Guide.LookFor {
			one("  • " + l)
		}
		for _, l := range s.view.Guide.Record {
			one("  • record " + l)
		}
	}
	if len(s.console) > 0 {
		one(st.Subtle.Render("Simulated console shows:"))
		for _, l := range s.console {
			one("  | " + provider.Sanitize(l))
		}
	}
	for _, l := range s.eng.Context(s.id, c.Inc) {
		lead := l.Lead
		switch l.Tone {
		case checklist.ToneSubtle:
			lead, l.Text = st.Subtle.Render(lead+l.Text), ""
		case checklist.ToneWarn:
			lead = st.Warn.Render(lead)
		case checklist.ToneBad:
			lead = st.Bad.Render(lead)
		}
		one(lead + l.Text)
	}
	return out
}

// partialInputs says which change was left out because only some of the
// secrets it needs were typed (a new password without the current one), so
// what was typed is not dropped in silence.
func partialInputs(plan []checklist.Action, questions []checklist.Question, inputs map[string]string) string {
	byID := map[string]checklist.Question{}
	for _, q := range questions {
		byID[q.ID] = q
	}
	for _, a := range plan {
		typed := 0
		var missing []string
		for _, n := range strings.Split(a.Params["needs"], ",") {
			if n = strings.TrimSpace(n); n == "" {
				continue
			}
			v := strings.TrimSpace(inputs[n])
			switch {
			case v == "":
				if q, ok := byID[n]; ok {
					missing = append(missing, "“"+q.Prompt+"”")
				}
			case v != strings.TrimSpace(byID[n].Default):
				// The owner typed it (a value a drill prefilled and left
				// as it was does not count: that alone asks nothing).
				typed++
			}
		}
		if typed > 0 && len(missing) > 0 {
			return fmt.Sprintf("%s: %s was left empty, so nothing was changed. Type it, or leave every field empty to do this later (the step then stays open).", a.Label, strings.Join(missing, " and "))
		}
	}
	return ""
}

// hyperlink wraps a URL in an OSC 8 link; terminals without support show
// the text, which is the URL itself.
func hyperlink(url string, plain bool) string {
	url = provider.Sanitize(url)
	if plain {
		return url
	}
	return "\x1b]8;;" + url + "\x1b\\" + url + "\x1b]8;;\x1b\\"
}
