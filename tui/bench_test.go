package tui

// Speed goal of issue 12: Update plus View take at most 1 ms per keystroke
// with a 10,000-row inventory. Checked by these benchmarks (never by a timed
// test); bench/keystroke.sh runs them and compares ns/op against 1 ms.
//
// They drive the model through its tea.Model API only (Init, Update, View),
// with the keys of the package's tests (keyMsg).

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
)

// benchRows is the inventory size the speed goal names.
const benchRows = 10000

var benchEpoch = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

// bigBackend starts the default drill on an account with benchRows extra
// full-access API keys, inventory already taken, so every view that lists
// keys or findings has at least benchRows rows to lay out.
type bigBackend struct {
	tb    testing.TB
	store *checklist.Store
	eng   *checklist.Engine
	// keys and findings are the inventory's sizes, reported per benchmark.
	keys, findings int
}

func (b *bigBackend) List() ([]checklist.Summary, error) { return b.store.List() }
func (b *bigBackend) Providers() []provider.Info         { return nil }
func (b *bigBackend) Credential(provider.Info) string    { return "" }
func (b *bigBackend) Open(string) (*checklist.Engine, func(), error) {
	return nil, nil, fmt.Errorf("bench: no saved incidents")
}
func (b *bigBackend) NewRecovery(string, string) (*checklist.Engine, func(), error) {
	return nil, nil, fmt.Errorf("bench: no real providers")
}

func (b *bigBackend) NewDrill(string) (*checklist.Engine, func(), error) {
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		return nil, nil, err
	}
	if len(sc.Keys) == 0 {
		return nil, nil, fmt.Errorf("bench: the default scenario has no keys to copy")
	}
	proto := sc.Keys[len(sc.Keys)-1]
	for i := 0; i < benchRows; i++ {
		k := proto
		k.ID = fmt.Sprintf("BenchKey%014d", i) // 22 characters, like SendGrid's
		k.Name = fmt.Sprintf("bench-key-%05d-%s", i, strings.Repeat("x", i%40))
		k.FullAccess = i%2 == 0
		k.Subuser = ""
		sc.Keys = append(sc.Keys, k)
	}
	acct := drill.New(sc, benchEpoch)
	acct.Latency = 0
	inc := checklist.NewIncident(benchEpoch, "Drill: "+sc.Title, acct, true, sc.ID)
	inc.ID = "20261122-090000-bench-drill"
	snap, err := acct.Snapshot()
	if err != nil {
		return nil, nil, err
	}
	h, err := b.store.Create(inc, snap)
	if err != nil {
		return nil, nil, err
	}
	e := checklist.NewEngine(inc, h, acct, nil)
	clock := benchEpoch
	e.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	if err := e.TakeInventory(context.Background()); err != nil {
		h.Close()
		return nil, nil, err
	}
	b.eng = e
	return e, h.Close, nil
}

// pump runs commands the way a Bubble Tea program would, feeding their
// messages back into the model, until done(screen) holds. Spinner ticks and
// cursor blinks are dropped (they would keep it going for ever).
func pump(tb testing.TB, m *Model, cmd tea.Cmd, done func(string) bool) {
	tb.Helper()
	results := make(chan tea.Msg, 256)
	launch := func(c tea.Cmd) {
		if c != nil {
			go func() { results <- c() }()
		}
	}
	launch(cmd)
	deadline := time.After(60 * time.Second)
	for !done(screenOf(m)) {
		var msg tea.Msg
		select {
		case msg = <-results:
		case <-time.After(20 * time.Millisecond):
			continue // a command may not have been needed: look again
		case <-deadline:
			tb.Fatalf("bench setup: the wanted screen never came; screen:\n%s", screenOf(m))
		}
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			for _, c := range msg {
				launch(c)
			}
		default:
			name := strings.ToLower(fmt.Sprintf("%T", msg))
			if strings.Contains(name, "tick") || strings.Contains(name, "blink") {
				continue
			}
			_, next := m.Update(msg)
			launch(next)
		}
	}
}

func screenOf(m *Model) string { return ansi.Strip(m.Render()) }

// bigModel returns a model at 80×24 on the overview of a drill whose
// inventory holds benchRows extra keys.
func bigModel(b *testing.B) (*Model, *bigBackend) {
	b.Helper()
	be := &bigBackend{tb: b, store: &checklist.Store{Dir: b.TempDir()}}
	m := New(be, Options{Drill: true, Fresh: true, NoColor: true, Now: func() time.Time { return benchEpoch.Add(time.Hour) }})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	pump(b, m, m.Init(), func(s string) bool { return strings.Contains(s, "Drill briefing") })
	// The briefing's enter opens the first step; esc leaves it for the
	// overview (the step list).
	_, cmd := m.Update(keyMsg("enter"))
	pump(b, m, cmd, func(s string) bool { return strings.Contains(s, "Triage") && !strings.Contains(s, "Drill briefing") })
	for i := 0; i < 5 && !onOverview(screenOf(m)); i++ {
		_, cmd = m.Update(keyMsg("esc"))
		pump(b, m, cmd, onOverview) // screens change through a command
		time.Sleep(20 * time.Millisecond)
	}
	if !onOverview(screenOf(m)) {
		b.Fatalf("bench setup: not on the overview:\n%s", screenOf(m))
	}
	snap := be.eng.Snapshot().Account()
	if snap == nil || snap.Before == nil || len(snap.Before.Keys) < benchRows {
		b.Fatalf("bench setup: the inventory does not hold %d keys", benchRows)
	}
	be.keys, be.findings = len(snap.Before.Keys), len(snap.Findings)
	return m, be
}

// onOverview: the step list, with the phase names, is drawn.
func onOverview(s string) bool {
	return strings.Contains(s, string(checklist.PhaseEvidence)) && strings.Contains(s, string(checklist.PhaseReport)) && !strings.Contains(s, "Why:")
}

// mustMove fails unless key fwd changes the screen (and back undoes it):
// a benchmark of a key that does nothing would measure nothing.
func mustMove(b *testing.B, m *Model, fwd, back string) {
	b.Helper()
	before := screenOf(m)
	m.Update(keyMsg(fwd))
	if screenOf(m) == before {
		b.Fatalf("%q does not change the screen:\n%s", fwd, before)
	}
	m.Update(keyMsg(back))
	if screenOf(m) != before {
		b.Fatalf("%q does not undo %q", back, fwd)
	}
}

// keystrokes benchmarks one keystroke's Update plus View. The keys run
// forward for a stretch, then back, so the scroll position keeps moving
// instead of resting at one end.
func keystrokes(b *testing.B, m *Model, be *bigBackend, fwd, back string, stretch int) {
	b.Helper()
	f, r := keyMsg(fwd), keyMsg(back)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := f
		if (i/stretch)%2 == 1 {
			k = r
		}
		m.Update(k)
		v := m.View()
		if v.Content == "" {
			b.Fatal("empty view")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(be.keys), "keys")
	b.ReportMetric(float64(be.findings), "findings")
}

// BenchmarkKeystrokeFindings: the findings view (every finding of the
// 10,000-key inventory, then the before → now counts).
func BenchmarkKeystrokeFindings(b *testing.B) {
	m, be := bigModel(b)
	_, cmd := m.Update(keyMsg("f"))
	pump(b, m, cmd, func(s string) bool { return strings.Contains(s, "Findings") })
	if s := screenOf(m); !strings.Contains(s, "Findings") {
		b.Fatalf("f did not open the findings:\n%s", s)
	}
	mustMove(b, m, "down", "up")
	b.Run("down", func(b *testing.B) { keystrokes(b, m, be, "down", "up", 500) })
	b.Run("pgdown", func(b *testing.B) { keystrokes(b, m, be, "pgdown", "pgup", 100) })
}

// BenchmarkKeystrokeOverview: the step list of the same incident.
func BenchmarkKeystrokeOverview(b *testing.B) {
	m, be := bigModel(b)
	mustMove(b, m, "down", "up")
	b.Run("down", func(b *testing.B) { keystrokes(b, m, be, "down", "up", 20) })
	b.Run("pgdown", func(b *testing.B) { keystrokes(b, m, be, "pgdown", "pgup", 3) })
}
