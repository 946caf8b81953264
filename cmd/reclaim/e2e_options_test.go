package main

// Issue 12: at 80×24, every option of every choice question is drawn, and
// so is the row the cursor is on. A full drill and a real-account run
// against the fake SendGrid API are driven in tmux; on each choice question
// (huh Select, MultiSelect, and the yes/no questions drawn as Selects) the
// test walks the cursor over every option and checks the pane.
//
// The options are not written down here: they come from the procedure data.
// Whenever a form field is on screen the test loads the incident the binary
// is saving (checklist.LoadIncident, no lock) into an engine of its own and
// asks it for every step's questions, so a question added to the procedure
// is checked without touching this file.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
	"reclaim/provider/sendgrid/sgfake"
)

// optWidth and optHeight are the design size the test holds the UI to.
// RECLAIM_E2E_OPTIONS_SIZE=WxH overrides them (to watch the test fail at a
// size the UI does not promise).
var optWidth, optHeight = 80, 24

// wholeList is the longest option list that must be drawn in full at once;
// longer lists may scroll, as long as every option and the cursor row show
// while the cursor walks them.
const wholeList = 10

// choiceQ is a choice question of a step, as the procedure asks it now.
type choiceQ struct {
	step checklist.StepID
	q    checklist.Question
}

func (c choiceQ) key() string { return string(c.step) + "." + c.q.ID }

func isChoice(k checklist.QKind) bool {
	return k == checklist.QSelect || k == checklist.QConfirm || k == checklist.QMulti
}

// optionOracle rebuilds, from the state directory the binary saves to, the
// engine the binary runs, to ask it which questions (and options) exist.
type optionOracle struct {
	state string
	prov  func(providerState []byte) (provider.Provider, error)
	// real accounts: the key's permissions decide automated vs guided
	realPerms bool
	perms     *provider.PermissionReport
}

func (o *optionOracle) engine() (*checklist.Engine, error) {
	files, _ := filepath.Glob(filepath.Join(o.state, "incidents", "*", checklist.StateFile))
	if len(files) != 1 {
		return nil, fmt.Errorf("want one incident in %s, have %v", o.state, files)
	}
	dir := filepath.Dir(files[0])
	inc, err := checklist.LoadIncident(dir)
	if err != nil {
		return nil, err
	}
	ps, _ := os.ReadFile(filepath.Join(dir, checklist.ProviderFile))
	p, err := o.prov(ps)
	if err != nil {
		return nil, err
	}
	e := checklist.NewEngine(inc, nil, p, nil)
	if o.realPerms {
		if o.perms == nil {
			if _, err := e.LoadPermissions(context.Background()); err != nil {
				return nil, err
			}
			o.perms = e.Perms
		}
		e.Perms = o.perms
	}
	return e, nil
}

// questions lists every question every step asks now; skipNA leaves out
// the steps that do not apply (their questions are never asked).
func (o *optionOracle) questions(skipNA bool) ([]choiceQ, error) {
	e, err := o.engine()
	if err != nil {
		return nil, err
	}
	var out []choiceQ
	for _, id := range checklist.StepIDs() {
		if m, _ := e.ModeOf(checklist.StepByID(id)); skipNA && m == checklist.ModeNA {
			continue // never opened: its questions are not asked
		}
		for _, q := range e.Questions(id) {
			out = append(out, choiceQ{id, q})
		}
	}
	return out, nil
}

// formRows are the rows of the focused form field: what follows the thick
// left border huh draws beside it.
func formRows(screen string) []string {
	var rows []string
	for _, l := range strings.Split(screen, "\n") {
		if i := strings.Index(l, "┃"); i >= 0 {
			rows = append(rows, strings.TrimRight(l[i+len("┃"):], " "))
		}
	}
	return rows
}

func squash(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// norm keeps letters and digits, lower-cased: how an option's text is
// compared with a drawn row.
func norm(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, s)
}

// optRow is one drawn row of a choice field.
type optRow struct {
	text   string
	cursor bool
}

// optionRows parses the field's rows: the cursor row starts with "> ", a
// multi-select row has a tick mark after it.
func optionRows(rows []string) []optRow {
	var out []optRow
	for _, r := range rows {
		r = strings.TrimPrefix(r, " ")
		cur := strings.HasPrefix(r, "> ")
		r = strings.TrimPrefix(strings.TrimPrefix(r, "> "), "  ")
		for _, p := range []string{"[•] ", "[ ] ", "[x] ", "✓ ", "• "} {
			r = strings.TrimPrefix(r, p)
		}
		out = append(out, optRow{strings.TrimSpace(r), cur})
	}
	return out
}

// shows reports whether a drawn row is the option's label: equal, or cut
// with an ellipsis after at least six letters of it.
func shows(row, label string) bool {
	if row == "" {
		return false
	}
	if row == label {
		return true
	}
	nr, nl := norm(row), norm(label)
	if nr != "" && nr == nl {
		return true
	}
	if strings.HasSuffix(row, "…") {
		p := norm(strings.TrimSuffix(row, "…"))
		return len([]rune(p)) >= 6 && strings.HasPrefix(nl, p)
	}
	return false
}

// optionView is what one capture shows of a choice field: which options
// are drawn, and which options the cursor row could be (labels may repeat).
type optionView struct {
	drawn     []bool
	cursorAt  []int
	hasCursor bool
	cursorRow string
}

func viewOptions(screen string, labels []string) optionView {
	v := optionView{drawn: make([]bool, len(labels))}
	for _, r := range optionRows(formRows(screen)) {
		if r.cursor {
			v.hasCursor, v.cursorRow = true, r.text
		}
		for i, l := range labels {
			if shows(r.text, l) {
				v.drawn[i] = true
				if r.cursor {
					v.cursorAt = append(v.cursorAt, i)
				}
			}
		}
	}
	return v
}

// optionsRun drives one run and checks every choice question it meets.
type optionsRun struct {
	t      *testing.T
	x      *tmux
	target string
	o      *optionOracle
	// answer picks, by "step.question", the value to choose instead of
	// leaving the question unanswered (to reach the questions it unlocks).
	answer map[string]string
	// seen: choice questions checked; expect: each step's choice questions
	// (without a When condition) as the engine listed them when the step's
	// form was first seen: each must be checked before the run ends.
	seen   map[string]bool
	expect map[checklist.StepID][]string
	// failed questions stop being checked after their first failure.
	failed     map[string]bool
	unknown    map[string]bool
	typedCodes bool
}

func newOptionsRun(t *testing.T, x *tmux, target string, o *optionOracle, answer map[string]string) *optionsRun {
	return &optionsRun{t: t, x: x, target: target, o: o, answer: answer, seen: map[string]bool{}, expect: map[checklist.StepID][]string{}, failed: map[string]bool{}, unknown: map[string]bool{}}
}

func (r *optionsRun) capture() string { return r.x.capture(r.target) }

// settle waits until the pane stops changing (spinners tick every 100 ms,
// so it must hold still for longer), at most two seconds.
func (r *optionsRun) settle() string {
	s := r.capture()
	stable := 0
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline) && stable < 3; {
		time.Sleep(50 * time.Millisecond)
		n := r.capture()
		if n == s {
			stable++
		} else {
			s, stable = n, 0
		}
	}
	return s
}

// press sends a key and waits until the pane changes (at most a second).
func (r *optionsRun) press(k string) string { return r.pressWait(k, time.Second) }

// pressWait sends a key and waits until the pane changes, at most wait: a
// key must not be read by the next screen because this one was still shown
// while the app worked.
func (r *optionsRun) pressWait(k string, wait time.Duration) string {
	before := r.capture()
	r.x.run("send-keys", "-t", r.target, k)
	s := before
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); {
		time.Sleep(15 * time.Millisecond)
		if s = r.capture(); s != before {
			return s
		}
	}
	return s
}

// match finds the question whose prompt is in the focused field's rows (the
// longest prompt wins: one may contain another).
func (r *optionsRun) match(screen string, qs []choiceQ) (choiceQ, bool) {
	text := squash(strings.Join(formRows(screen), ""))
	var best choiceQ
	found := false
	for _, c := range qs {
		p := squash(c.q.Prompt)
		if p != "" && strings.Contains(text, p) && (!found || len(p) > len(squash(best.q.Prompt))) {
			best, found = c, true
		}
	}
	return best, found
}

// check walks the cursor over every option of the choice question on
// screen, then leaves it on the answer to give and presses enter.
func (r *optionsRun) check(c choiceQ, screen string) {
	t := r.t
	t.Helper()
	k := c.key()
	r.seen[k] = true
	var labels []string
	for _, o := range c.q.Options {
		labels = append(labels, strings.TrimSpace(provider.Sanitize(o.Label)))
	}
	n := len(labels)
	if n == 0 {
		t.Errorf("%s (%q) has no options", k, c.q.Prompt)
		r.pressWait("Enter", 5*time.Second)
		return
	}
	fail := func(format string, a ...any) {
		if !r.failed[k] {
			t.Errorf("%d×%d, %s %q: "+format, append([]any{optWidth, optHeight, k, c.q.Prompt}, a...)...)
		}
		r.failed[k] = true
	}
	drawnEver := make([]bool, n)
	note := func(v optionView) {
		for i, d := range v.drawn {
			drawnEver[i] = drawnEver[i] || d
		}
	}
	// look captures until the cursor row is option i (a capture can catch
	// a frame half drawn: look again for a moment before calling it lost).
	look := func(s string, want int) optionView {
		var v optionView
		for try := 0; try < 8; try++ {
			if try > 0 {
				time.Sleep(40 * time.Millisecond)
				s = r.capture()
			}
			v = viewOptions(s, labels)
			ok := slices.Contains(v.cursorAt, want)
			if want < 0 {
				ok = v.hasCursor && len(v.cursorAt) > 0
			}
			if ok {
				break
			}
		}
		note(v)
		switch {
		case !v.hasCursor:
			fail("the cursor row is not drawn (cursor on option %d %q):\n%s", want, labelAt(labels, want), s)
		case want >= 0 && !slices.Contains(v.cursorAt, want):
			fail("the cursor should be on option %d %q, the cursor row shows %q:\n%s", want, labels[want], v.cursorRow, s)
		case want < 0 && len(v.cursorAt) == 0:
			fail("the cursor row %q is none of the options %q:\n%s", v.cursorRow, labels, s)
		}
		return v
	}

	v := look(screen, -1)
	if n <= wholeList {
		var hidden []string
		for i, d := range v.drawn {
			if !d {
				hidden = append(hidden, labels[i])
			}
		}
		if len(hidden) > 0 {
			fail("%d of %d options are not drawn: %q:\n%s", len(hidden), n, hidden, r.capture())
		}
	}
	cur := 0
	if len(v.cursorAt) > 0 {
		cur = v.cursorAt[0]
	}
	start := cur
	goTo := func(i int) {
		for cur != i && !r.failed[k] {
			if cur > i {
				cur--
				look(r.press("Up"), cur)
			} else {
				cur++
				look(r.press("Down"), cur)
			}
		}
	}
	goTo(0)
	goTo(n - 1)
	target := start
	if want, ok := r.answer[k]; ok {
		for i, o := range c.q.Options {
			if o.Value == want {
				target = i
			}
		}
	}
	if r.failed[k] {
		// The cursor's place is unknown now: go to the top, which every
		// question has (usually "No answer yet").
		r.x.run("send-keys", "-t", r.target, "-N", fmt.Sprint(n+2), "Up")
		cur, target = 0, 0
	}
	if cur > target {
		// Every row was checked on the way down: go back in one go.
		r.x.run("send-keys", "-t", r.target, "-N", fmt.Sprint(cur-target), "Up")
		cur = target
		look(r.capture(), cur)
	}
	goTo(target)
	var hidden []string
	for i, d := range drawnEver {
		if !d {
			hidden = append(hidden, labels[i])
		}
	}
	if len(hidden) > 0 {
		fail("never drawn while the cursor walked all %d options: %q", n, hidden)
	}
	r.pressWait("Enter", 5*time.Second)
}

func labelAt(labels []string, i int) string {
	if i >= 0 && i < len(labels) {
		return labels[i]
	}
	return "?"
}

// providerChoice checks the start's "Which provider" select, whose options
// are the real provider adapters, and picks SendGrid.
func (r *optionsRun) providerChoice(screen string) {
	var opts []checklist.Option
	for _, i := range provider.Real() {
		opts = append(opts, checklist.Option{Value: i.ID, Label: i.Name})
	}
	q := checklist.Question{ID: "provider", Prompt: "Which provider", Kind: checklist.QSelect, Options: opts}
	r.answer["start.provider"] = "sendgrid"
	r.check(choiceQ{"start", q}, screen)
}

// drive answers every screen until the report preview shows: choice
// questions are checked and answered, codes typed where the drill asks for
// them, every other screen gets enter (and y for a change's "(y/n)").
func (r *optionsRun) drive() {
	t := r.t
	t.Helper()
	deadline := time.Now().Add(150 * time.Second)
	for time.Now().Before(deadline) {
		s := r.settle()
		if strings.Contains(s, "Report preview") || strings.Contains(s, "Drill debrief") { // a drill ends on its debrief
			return
		}
		if strings.Contains(s, "Closing the incident") || strings.Contains(s, "Saving") {
			continue
		}
		if rows := formRows(s); len(rows) > 0 {
			if strings.Contains(squash(strings.Join(rows, "")), squash("Which provider")) {
				r.providerChoice(s)
				continue
			}
			qs, err := r.o.questions(false)
			if err != nil {
				t.Fatalf("reading the incident the binary saves: %v", err)
			}
			c, ok := r.match(s, qs)
			if tr := os.Getenv("RECLAIM_E2E_OPTIONS_TRACE"); tr != "" {
				t.Logf("form %q -> %v %s", rows[0], ok, c.key())
				if tr == "screens" {
					t.Logf("screen:\n%s", s)
				}
			}
			if ok {
				if _, listed := r.expect[c.step]; !listed {
					r.expect[c.step] = []string{}
					for _, x := range qs {
						if x.step == c.step && isChoice(x.q.Kind) && x.q.When[0] == "" {
							r.expect[c.step] = append(r.expect[c.step], x.key())
						}
					}
				}
				if isChoice(c.q.Kind) {
					r.check(c, s)
					continue
				}
			} else if vw := optionRows(rows); slices.ContainsFunc(vw, func(o optRow) bool { return o.cursor }) {
				// A field the procedure does not list: a choice the UI
				// makes up would escape this test.
				title := strings.TrimSpace(rows[0])
				if !r.unknown[title] && !knownUIField(rows) {
					r.unknown[title] = true
					t.Logf("a form field no question of the procedure matches:\n%s", s)
				}
			}
		}
		if os.Getenv("RECLAIM_E2E_OPTIONS_TRACE") != "" {
			t.Logf("default key on:\n%s", s)
		}
		switch {
		case strings.Contains(s, "Code shown by your authenticator") || strings.Contains(s, "The next code"):
			at := time.Now()
			if strings.Contains(s, "The next code") {
				at = at.Add(30 * time.Second)
			}
			sc, _ := drill.LoadScenario(drill.DefaultScenario)
			set, err := checklist.ParseTOTPSetup(sc.Answers["twofactor.enrol.setup"])
			if err != nil {
				t.Fatal(err)
			}
			code, _ := set.CodeAt(at)
			r.x.run("send-keys", "-t", r.target, "-l", code)
			r.x.run("send-keys", "-t", r.target, "Enter")
			r.typedCodes = true
		case strings.Contains(s, "(y/n)") || strings.Contains(s, "y yes, do it"):
			// The proposed changes ask yes or no: the question must be
			// drawn, not only the key help under it.
			if !strings.Contains(s, "(y/n)") && !r.failed["changes.confirm"] {
				r.failed["changes.confirm"] = true
				t.Errorf("%d×%d: the proposed changes' yes/no question is not drawn (only its key help is):\n%s", optWidth, optHeight, s)
			}
			r.pressWait("y", 2*time.Second)
		default:
			r.pressWait("Enter", 2*time.Second)
		}
	}
	t.Fatalf("the run did not reach the report preview; screen:\n%s", r.capture())
}

// knownUIField: text fields the UI asks itself (not procedure questions).
func knownUIField(rows []string) bool {
	text := squash(strings.Join(rows, ""))
	for _, p := range []string{"Why skip", "ticket id", "Input is hidden"} {
		if strings.Contains(text, squash(p)) {
			return true
		}
	}
	return false
}

// finish checks that no choice question escaped: each step's questions,
// as listed when its form opened, and the ones named in must.
func (r *optionsRun) finish(must ...string) {
	t := r.t
	t.Helper()
	for step, keys := range r.expect {
		for _, k := range keys {
			if !r.seen[k] {
				t.Errorf("%s: choice question %s was listed by the procedure but never shown", step, k)
			}
		}
	}
	// A step whose form never matched escapes the walk above: each step
	// that asks choice questions at the end must have been seen asking.
	if qs, err := r.o.questions(true); err != nil {
		t.Errorf("reading the final incident: %v", err)
	} else {
		for _, c := range qs {
			if _, ok := r.expect[c.step]; !ok && isChoice(c.q.Kind) && c.q.When[0] == "" {
				t.Errorf("%s asks choice question %s (%q), but its form was never recognised on screen", c.step, c.key(), c.q.Prompt)
				r.expect[c.step] = nil
			}
		}
	}
	for _, k := range must {
		if !r.seen[k] {
			t.Errorf("choice question %s was never shown", k)
		}
	}
	var keys []string
	for k := range r.seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	t.Logf("%d choice questions checked at %d×%d: %s", len(keys), optWidth, optHeight, strings.Join(keys, ", "))
	if len(keys) < 10 {
		t.Errorf("only %d choice questions were checked", len(keys))
	}
}

func optionsSize(t *testing.T) {
	if v := os.Getenv("RECLAIM_E2E_OPTIONS_SIZE"); v != "" {
		if _, err := fmt.Sscanf(v, "%dx%d", &optWidth, &optHeight); err != nil {
			t.Fatalf("RECLAIM_E2E_OPTIONS_SIZE=%q: want WxH", v)
		}
	}
}

func startPane(x *tmux, name, cmd string) {
	x.run("new-session", "-d", "-s", name, "-x", fmt.Sprint(optWidth), "-y", fmt.Sprint(optHeight), cmd+"; sleep 600")
	x.run("set-option", "-t", name, "status", "off")
}

// answers that open the conditional questions: custom scopes, the payment
// follow-up, and a Yes the account's data contradicts (its override
// question is asked only then).
func unlockingAnswers() map[string]string {
	return map[string]string{
		string(checklist.StepCreateKey) + ".preset":             "custom",
		string(checklist.StepAuditPayment) + ".unknown":         "yes",
		string(checklist.StepAuditTwoFactor) + ".all_enrolled":  "yes",
		string(checklist.StepAuditSenders) + ".removed_unknown": "yes",
	}
}

// TestE2EEveryOptionDrawnDrill: a full drill at 80×24.
func TestE2EEveryOptionDrawnDrill(t *testing.T) {
	needTool(t, "tmux")
	optionsSize(t)
	began := time.Now()
	bin := buildBinary(t)
	state := t.TempDir()
	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-options-drill-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	startPane(x, "d", "env RECLAIM_NO_KEYRING=1 RECLAIM_DRILL_LATENCY=10ms TERM=xterm-256color "+bin+" drill --state-dir "+state)
	x.waitFor("d", "Drill briefing", 15*time.Second)
	o := &optionOracle{state: state, prov: func(ps []byte) (provider.Provider, error) { return drill.Restore(ps) }}
	r := newOptionsRun(t, x, "d", o, unlockingAnswers())
	r.drive()
	quitAndWait(x, "d")
	if !r.typedCodes {
		t.Error("the drill never asked for authenticator codes")
	}
	r.finish("triage.detected", "triage.suspended", "triage.still_sending",
		"rotate.create.preset", "rotate.create.custom_scopes",
		"audit.payment.unknown", "audit.payment.removed",
		"twofactor.enrol.enrolled", "evidence.review.vouched")
	t.Logf("run took %s", time.Since(began).Round(time.Second))
}

// TestE2EEveryOptionDrawnRealAccount: a recovery of a real account against
// the fake SendGrid API at 80×24, answering Yes to Twilio unified login so
// the guided (console) forms of the steps are asked too.
func TestE2EEveryOptionDrawnRealAccount(t *testing.T) {
	needTool(t, "tmux")
	optionsSize(t)
	began := time.Now()
	bin := buildBinary(t)
	st, session := sgfake.Default(time.Now())
	f := sgfake.New(st)
	t.Cleanup(f.Close)
	state := t.TempDir()
	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-options-sg-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	startPane(x, "sg", fmt.Sprintf("env RECLAIM_NO_KEYRING=1 SENDGRID_API_KEY=%s RECLAIM_SENDGRID_BASE_URL=%s RECLAIM_PWNED_BASE_URL=http://127.0.0.1:1 TERM=xterm-256color %s --state-dir %s", session.Token, f.URL, bin, state))
	x.waitFor("sg", "Start a recovery on a real account", 15*time.Second)
	x.run("send-keys", "-t", "sg", "Down")
	x.run("send-keys", "-t", "sg", "Enter")
	x.waitFor("sg", "Which provider", 10*time.Second)

	o := &optionOracle{state: state, realPerms: true, prov: func([]byte) (provider.Provider, error) {
		fac, ok := provider.Lookup("sendgrid")
		if !ok {
			return nil, fmt.Errorf("no sendgrid adapter in this build")
		}
		return fac.New(provider.Config{Credential: session.Token, BaseURL: f.URL})
	}}
	answers := unlockingAnswers()
	answers[string(checklist.StepTriage)+".alt_login"] = "yes"
	r := newOptionsRun(t, x, "sg", o, answers)
	r.drive()
	quitAndWait(x, "sg")
	if !r.seen["start.provider"] {
		t.Error("the provider choice was not checked")
	}
	r.finish("triage.detected", "triage.suspended", "triage.still_sending", "triage.alt_login",
		"twofactor.enrol.method", "audit.payment.unknown", "audit.payment.removed")
	t.Logf("run took %s", time.Since(began).Round(time.Second))
}
