package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reclaim/provider"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"reclaim/checklist"
	"reclaim/checklist/leakscan"
	"reclaim/provider/drill"
)

var epoch = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// memBackend runs drills in a temp state dir with a fixed clock.
type memBackend struct {
	t     *testing.T
	store *checklist.Store
	onNew func(*drill.Account)
	// clock is the drill clock's time (epoch+5 min when zero).
	clock func() time.Time
}

func (b *memBackend) List() ([]checklist.Summary, error) { return b.store.List() }

func (b *memBackend) engine(inc *checklist.Incident, h *checklist.Handle, acct *drill.Account) *checklist.Engine {
	// The drill clock stands at T+05:00, so views do not change with time.
	acct.SetClock(func() time.Time { return epoch.Add(5 * time.Minute) })
	if b.clock != nil {
		acct.SetClock(b.clock)
	}
	e := checklist.NewEngine(inc, h, acct, nil)
	tree := b.t.TempDir()
	if err := acct.WriteServerTree(tree); err == nil {
		e.Scanner = leakscan.NewLeakScanner([]string{tree}, leakscan.Options{})
	}
	clock := epoch
	e.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	return e
}

func (b *memBackend) NewDrill(sc string) (*checklist.Engine, func(), error) {
	if sc == "" {
		sc = drill.DefaultScenario
	}
	s, err := drill.LoadScenario(sc)
	if err != nil {
		return nil, nil, err
	}
	acct := drill.New(s, epoch)
	if b.onNew != nil {
		b.onNew(acct)
	}
	inc := checklist.NewIncident(epoch, "Drill: "+s.Title, acct, true, s.ID)
	inc.ID = "20261122-090000-test-drill"
	snap, _ := acct.Snapshot()
	h, err := b.store.Create(inc, snap)
	if err != nil {
		return nil, nil, err
	}
	return b.engine(inc, h, acct), h.Close, nil
}

func (b *memBackend) Open(id string) (*checklist.Engine, func(), error) {
	h, inc, ps, err := b.store.Open(id)
	if err != nil {
		return nil, nil, err
	}
	acct, err := drill.Restore(ps)
	if err != nil {
		return nil, nil, err
	}
	return b.engine(inc, h, acct), h.Close, nil
}

type harness struct {
	t *testing.T
	m *Model
}

func newHarness(t *testing.T, dir string, opts Options, w, h int) *harness {
	return newHarnessWith(t, dir, opts, w, h, nil)
}

func newHarnessWith(t *testing.T, dir string, opts Options, w, h int, onNew func(*drill.Account)) *harness {
	t.Helper()
	os.Setenv("NO_COLOR", "1")
	opts.Now = func() time.Time { return epoch.Add(time.Hour) }
	if opts.DrillAbout == "" {
		opts.DrillAbout = drill.About(opts.Scenario) // as the command does
	}
	m := New(&memBackend{t: t, store: &checklist.Store{Dir: dir}, onNew: onNew}, opts)
	hs := &harness{t: t, m: m}
	hs.send(tea.WindowSizeMsg{Width: w, Height: h})
	hs.run(m.start.listCmd())
	return hs
}

// run executes commands concurrently and feeds their messages back in
// arrival order until every command has returned, or none has for a second
// (timers and cursor blinks are dropped when they fire).
func (h *harness) run(cmd tea.Cmd) {
	results := make(chan tea.Msg, 64)
	pending := 0
	launch := func(c tea.Cmd) {
		if c == nil {
			return
		}
		pending++
		go func() { results <- c() }()
	}
	launch(cmd)
	for n := 0; pending > 0 && n < 2000; n++ {
		var msg tea.Msg
		// While the model says it is busy a real command is in flight: wait
		// for it. Otherwise only quick follow-ups (form navigation) matter;
		// cursor blinks and spinner ticks are left behind.
		wait := 60 * time.Millisecond
		if h.m.c.Busy != "" {
			wait = 10 * time.Second
		}
		select {
		case msg = <-results:
			pending--
		case <-time.After(wait):
			return
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			for _, c := range msg {
				launch(c)
			}
		default:
			if isTick(msg) {
				continue
			}
			_, next := h.m.Update(msg)
			launch(next)
		}
	}
}

func isTick(msg tea.Msg) bool {
	s := strings.ToLower(strings.TrimPrefix(strings.TrimPrefix(typeName(msg), "*"), "spinner."))
	return strings.Contains(s, "tick") || strings.Contains(s, "blink")
}

func typeName(v any) string { return strings.TrimSpace(strings.Split(fmtType(v), "{")[0]) }

func (h *harness) send(msg tea.Msg) {
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// press sends a binding's first key.
func (h *harness) press(b key.Binding) { h.send(keyMsg(b.Keys()[0])) }

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.m.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func (h *harness) screen() string { return ansi.Strip(h.m.Render()) }

func (h *harness) expect(sub string) {
	h.t.Helper()
	if !strings.Contains(h.screen(), sub) {
		h.t.Fatalf("screen lacks %q:\n%s", sub, h.screen())
	}
}

func TestStartScreenOffersDrill(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}, 80, 24)
	h.expect("Start a new drill")
	h.expect("quit (saved)")
}

func TestTooSmall(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{}, 60, 15)
	h.expect("Terminal too small")
}

// finishStep accepts the defaults of the current step's form and actions.
func (h *harness) finishStep() {
	h.t.Helper()
	k := DefaultKeyMap()
	for i := 0; i < 40; i++ {
		s := h.m.step
		if h.m.screen != screenStep || s == nil {
			return
		}
		id := s.id
		switch s.phase {
		case spForm, spSkip:
			if code := drillCode(h.screen()); code != "" {
				h.typeText(code)
			} else if sc := h.screen(); strings.Contains(sc, "Current password") {
				h.typeText(h.m.c.Eng.(*checklist.Engine).DrillAnswer(checklist.StepPassword, "old"))
			} else if strings.Contains(sc, "Input is hidden") {
				h.typeText("Correct-Horse-Battery-9")
			}
			h.press(h.m.c.Keys.Next)
		case spActions:
			h.press(k.Enter)
		case spConfirm:
			h.press(h.m.c.Keys.Yes)
		case spSecret:
			h.press(k.Enter)
		case spReady, spPreview:
			h.press(k.Enter)
		default:
			h.t.Fatalf("step %s stuck in phase %d: %s", id, s.phase, h.screen())
		}
		if h.m.step == nil || h.m.step.id != id || h.m.screen != screenStep {
			return
		}
	}
	h.t.Fatalf("step %s did not finish:\n%s", h.m.step.id, h.screen())
}

func TestWholeDrillByKeyboard(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir, Options{Drill: true}, 80, 24)
	h.expect("Drill briefing")
	h.press(h.m.c.Keys.Enter)
	h.expect("Triage")
	for i := 0; i < 30 && h.m.screen == screenStep; i++ {
		h.finishStep()
	}
	if h.m.screen != screenReport {
		t.Fatalf("expected the report screen, got:\n%s", h.screen())
	}
	// A drill ends on its debrief, the completion report below it.
	h.expect("Drill debrief")
	h.expect("Score ")
	if _, err := os.Stat(filepath.Join(dir, "incidents", "20261122-090000-test-drill", "after-action.md")); err != nil {
		t.Errorf("no after-action report: %v", err)
	}
	if all := ansi.Strip(strings.Join(h.m.report.lines(), "\n")); !strings.Contains(all, "Completion report") || !strings.Contains(all, "## Summary for support") {
		t.Error("the completion report does not follow the debrief")
	}
	b, err := os.ReadFile(filepath.Join(dir, "incidents", "20261122-090000-test-drill", "report.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Revoke key") {
		t.Errorf("report lacks the revocations:\n%s", b)
	}
}

func TestGoldenViews(t *testing.T) {
	for _, sz := range []struct{ w, h int }{{70, 22}, {80, 24}, {120, 40}} {
		dir := t.TempDir()
		h := newHarness(t, dir, Options{Drill: true}, sz.w, sz.h)
		name := func(s string) string { return s + "_" + itoa(sz.w) + "x" + itoa(sz.h) }
		t.Run(name("briefing"), func(t *testing.T) { golden.RequireEqual(t, h.screen()) })
		h.press(h.m.c.Keys.Enter)
		t.Run(name("triage"), func(t *testing.T) { golden.RequireEqual(t, h.screen()) })
		h.finishStep() // triage
		h.finishStep() // inventory
		t.Run(name("review"), func(t *testing.T) { golden.RequireEqual(t, h.screen()) })
		h.press(h.m.c.Keys.Back)
		t.Run(name("overview"), func(t *testing.T) { golden.RequireEqual(t, h.screen()) })
	}
}

func TestResumeAfterRestart(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir, Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter)
	h.finishStep()
	h.finishStep()
	h.run(h.m.quit())
	h2 := newHarness(t, dir, Options{}, 80, 24)
	h2.expect("Resume: Drill: SendGrid key leaked")
	h2.press(h2.m.c.Keys.Enter)
	h2.expect("Resumed incident")
	if got := h2.m.c.Views[h2.m.overview.cursor].Def.ID; got != checklist.StepReview {
		t.Fatalf("cursor at %s, want %s", got, checklist.StepReview)
	}
}

func TestSanitizedKeyNames(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 120, 40)
	h.press(h.m.c.Keys.Enter)
	h.finishStep()
	h.finishStep()
	raw := h.m.Render()
	for _, bad := range []string{"\x1b[2J", "\u202e"} {
		if strings.Contains(raw, bad) {
			t.Fatalf("screen carries %q from a provider string", bad)
		}
	}
}

func (b *memBackend) Providers() []provider.Info      { return nil }
func (b *memBackend) Credential(provider.Info) string { return "" }
func (b *memBackend) NewRecovery(string, string) (*checklist.Engine, func(), error) {
	return nil, nil, errors.New("no real providers in tests")
}

// drillCode returns the authenticator code the screen asks for, computed
// from the drill's setup key as a phone would.
func drillCode(screen string) string {
	var at time.Time
	switch {
	case strings.Contains(screen, "Code shown by your authenticator"):
		at = time.Now()
	case strings.Contains(screen, "The next code"):
		at = time.Now().Add(30 * time.Second)
	default:
		return ""
	}
	sc, _ := drill.LoadScenario(drill.DefaultScenario)
	set, err := checklist.ParseTOTPSetup(sc.Answers["twofactor.enrol.setup"])
	if err != nil {
		return ""
	}
	c, _ := set.CodeAt(at)
	return c
}

func TestReportPreviewEditAndFiled(t *testing.T) {
	h := newHarness(t, t.TempDir(), Options{Drill: true}, 80, 24)
	h.press(h.m.c.Keys.Enter)
	for i := 0; i < 40 && !(h.m.step != nil && h.m.step.id == checklist.StepReport); i++ {
		h.finishStep()
	}
	// The form: root cause (prefilled from the investigation), then the rest.
	for i := 0; i < 10 && h.m.step.phase == spForm; i++ {
		if strings.Contains(h.screen(), "Your name") {
			h.typeText("Dana Ops")
		}
		h.press(h.m.c.Keys.Next)
	}
	if h.m.step.phase != spPreview {
		t.Fatalf("no preview:\n%s", h.screen())
	}
	h.expect("Preview")
	h.expect("recovery report")
	if !strings.Contains(h.m.step.preview.text, "Dana Ops") {
		t.Error("the sign-off name is not in the report")
	}
	h.press(h.m.c.Keys.Filed)
	h.expect("ticket id or URL")
	h.typeText("TICKET-4711")
	h.press(h.m.c.Keys.Next)
	h.expect("Recorded that you filed the report in the console as ticket TICKET-4711")
	h.press(h.m.c.Keys.Edit)
	if h.m.step.phase != spForm {
		t.Fatal("e does not reopen the free-text form")
	}
}

func TestProviderErrorIsClearAndLosesNothing(t *testing.T) {
	var acct *drill.Account
	h := newHarnessWith(t, t.TempDir(), Options{Drill: true}, 80, 24, func(a *drill.Account) { acct = a })
	if acct == nil {
		t.Fatal("no drill account")
	}
	h.press(h.m.c.Keys.Enter)
	for i := 0; i < 30 && !(h.m.step != nil && h.m.step.id == checklist.StepRevokeKeys && h.m.step.phase == spActions); i++ {
		h.finishStep()
	}
	acct.FailNext("revoke_key", &provider.Error{Kind: provider.ErrRateLimited, Op: "revoke key", Status: 429, RetryAfter: 30 * time.Second})
	h.press(h.m.c.Keys.Enter) // apply checked
	h.press(h.m.c.Keys.Yes)   // confirm
	h.expect("rate limiting")
	h.expect("nothing was lost")
	if h.m.step.id != checklist.StepRevokeKeys || h.m.step.phase != spActions {
		t.Fatalf("the step moved on after a failure:\n%s", h.screen())
	}
	// Retrying carries on where it stopped.
	h.finishStep()
	if h.m.step == nil || h.m.step.id == checklist.StepRevokeKeys {
		t.Fatalf("retry did not finish the step:\n%s", h.screen())
	}
	keys, _ := acct.ListKeys(context.Background())
	for _, k := range keys {
		if k.ID == "Zx8Cv6Bn4Ma2Sd0Fg9Hj7K" {
			t.Error("the attacker key survived the retry")
		}
	}
}
