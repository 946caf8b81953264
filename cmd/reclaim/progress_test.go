package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"reclaim/checklist"
	"reclaim/tui"
)

// count is a progress count as an output shows it.
type count struct{ done, total int }

var stepsRE = regexp.MustCompile(`(\d+)/(\d+) steps`)

// stepsIn finds the one "N/M steps" in s.
func stepsIn(t *testing.T, what, s string) count {
	t.Helper()
	ms := stepsRE.FindAllStringSubmatch(s, -1)
	if len(ms) != 1 {
		t.Fatalf("%s: want one \"N/M steps\", found %d in:\n%s", what, len(ms), s)
	}
	d, _ := strconv.Atoi(ms[0][1])
	n, _ := strconv.Atoi(ms[0][2])
	return count{d, n}
}

// drain runs cmd and feeds what it returns back into m, command after
// command, until nothing but spinner ticks and timers is left.
func drain(t *testing.T, m *tui.Model, cmd tea.Cmd) {
	t.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0 && n < 200; n++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		ch := make(chan tea.Msg, 1)
		go func() { ch <- c() }()
		var msg tea.Msg
		select {
		case msg = <-ch:
		case <-time.After(3 * time.Second): // a timer or a blink: not needed
			continue
		}
		switch msg := msg.(type) {
		case nil, spinner.TickMsg:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		default:
			_, next := m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// uiCounts renders the start screen for the incidents in state and opens the
// first one: the count on its start-screen row and in the header. A closed
// incident is listed as open so that its row shows.
func uiCounts(t *testing.T, state string) (start, header count) {
	t.Helper()
	t.Setenv("NO_COLOR", "1")
	b := newBackend()
	b.store, b.drillLatency = &checklist.Store{Dir: state}, 0
	list, err := b.store.List()
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents: %v %v", list, err)
	}
	list[0].Closed = false
	m := tui.New(listBackend{tuiBackend{b}, list}, tui.Options{Drill: false, NoColor: true})
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	drain(t, m, m.Init())
	screen := ansi.Strip(m.Render())
	row := ""
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, "steps · updated") {
			row = l
		}
	}
	start = stepsIn(t, "start screen row", row)

	_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter}) // resume it
	drain(t, m, cmd)
	screen = ansi.Strip(m.Render())
	top := strings.SplitN(screen, "\n", 2)[0]
	if !strings.Contains(top, "reclaim") || !strings.Contains(top, "DRILL") {
		t.Fatalf("the incident did not open:\n%s", screen)
	}
	header = stepsIn(t, "header", top)
	m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}) // closes the incident
	return start, header
}

// stored is (*AccountState).Progress over the saved state.
func stored(t *testing.T, state string) count {
	t.Helper()
	st := &checklist.Store{Dir: state}
	dirs, _ := filepath.Glob(filepath.Join(state, "incidents", "*"))
	if len(dirs) != 1 {
		t.Fatalf("incidents: %v", dirs)
	}
	h, inc, _, err := st.Open(filepath.Base(dirs[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	d, n := inc.Account().Progress(checklist.StepIDs())
	return count{d, n}
}

// Issue 12, item 4 ("Counts"): one source for progress. A fresh drill and a
// finished autopilot run show the same "N/M steps" on the start screen, in
// the header, in the autopilot's output and in the report, and that is
// (*AccountState).Progress of the saved state (done or skipped, of the steps
// that apply).
func TestProgressCountsAgree(t *testing.T) {
	t.Setenv("RECLAIM_NO_KEYRING", "1")
	t.Setenv("TMPDIR", t.TempDir())

	t.Run("fresh drill", func(t *testing.T) {
		state := t.TempDir()
		b := newBackend()
		b.store, b.drillLatency = &checklist.Store{Dir: state}, 0
		s, err := b.NewDrill("")
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		want := stored(t, state)
		// The drill's master-secret step is n/a from the start: the start
		// screen said 0/23 where the header said 0/22.
		if want.done != 0 || want.total == 0 || want.total >= len(checklist.StepIDs()) {
			t.Errorf("fresh drill: Progress %d/%d of %d steps, want 0/M with the n/a step left out", want.done, want.total, len(checklist.StepIDs()))
		}
		start, header := uiCounts(t, state)
		if start != want || header != want {
			t.Errorf("fresh drill: start screen %v, header %v, Progress %v", start, header, want)
		}
	})

	t.Run("autopilot", func(t *testing.T) {
		bin := buildBinary(t)
		state := t.TempDir()
		r := runBin(t, bin, []string{"HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir()}, "drill", "--autopilot", "--state-dir", state)
		if r.code != 0 {
			t.Fatalf("autopilot: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		var summary string
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.Contains(l, "Progress: ") {
				summary = l
			}
		}
		auto := stepsIn(t, "autopilot output", summary)
		reports, _ := filepath.Glob(filepath.Join(state, "incidents", "*", "report.md"))
		if len(reports) != 1 {
			t.Fatalf("reports: %v", reports)
		}
		md, _ := os.ReadFile(reports[0])
		var line string
		for _, l := range strings.Split(string(md), "\n") {
			if strings.HasPrefix(l, "Progress: ") || strings.HasPrefix(l, "DRY RUN") && strings.Contains(l, "Progress: ") {
				line = l
			}
		}
		report := stepsIn(t, "report summary", line)
		list, err := (&checklist.Store{Dir: state}).List()
		if err != nil || len(list) != 1 {
			t.Fatalf("incidents: %v %v", list, err)
		}
		sum := count{list[0].Done, list[0].Total}
		want := stored(t, state)
		start, header := uiCounts(t, state)
		for name, got := range map[string]count{"autopilot": auto, "report": report, "incidents summary": sum, "start screen": start, "header": header} {
			if got != want {
				t.Errorf("%s shows %d/%d steps; (*AccountState).Progress says %d/%d", name, got.done, got.total, want.done, want.total)
			}
		}
		if want.total >= len(checklist.StepIDs()) {
			t.Errorf("the drill has n/a steps, yet %d/%d counts them", want.done, want.total)
		}
	})
}
