package tui

import (
	"context"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"reclaim/checklist"
	"reclaim/provider"
)

// scanRunner runs a step's file scan in the background; progress arrives
// through a channel read by a re-arming command, and esc cancels it.
type scanRunner struct {
	done    bool
	stop    context.CancelFunc
	started time.Time
	files   int64
	bytes   int64
	found   int
	what    string // what files counts: "files", or "files and git objects"
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

func (msg scanDoneMsg) snapshot() (*checklist.Incident, []checklist.StepView) { return msg.inc, nil }

func (r *scanRunner) start(s *stepScreen) tea.Cmd {
	ctx, cancel := context.WithCancel(context.Background())
	r.stop, r.started, s.phase = cancel, s.c.Now(), spScanning
	s.c.Busy = "Scanning (esc cancels)"
	paths := checklist.ScanPaths(s.answers)
	e := s.eng
	scope := checklist.ScanScopeOf(s.answers)
	e.SetScanScope(scope) // git history, archives
	r.what = "files"
	if scope.History {
		r.what = "files and git objects" // a history's blobs count as files
	}
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

func (r *scanRunner) cancel(c *Common) {
	if r.stop != nil {
		r.stop()
		c.Status = "Cancelling the scan…"
	}
}

func (r *scanRunner) update(s *stepScreen, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case scanProgressMsg:
		r.files, r.bytes, r.found = msg.files, msg.bytes, msg.findings
		return waitScan(msg.ch)
	case scanDoneMsg:
		s.c.Busy = ""
		r.done, r.stop = true, nil
		s.phase = spReady
		if msg.err != nil {
			s.log = append(s.log, "! "+describe(msg.err))
			s.c.Err = describe(msg.err)
			return nil
		}
		line := fmt.Sprintf("✓ scan finished: %d findings recorded as evidence (press f to read them)", msg.n)
		if a := msg.inc.Account(); a != nil && len(a.Scans) > 0 {
			switch last := a.Scans[len(a.Scans)-1]; {
			case last.Partial:
				line = fmt.Sprintf("! PARTIAL scan: %d findings recorded; %s", msg.n, provider.SanitizeN(last.Error, 120))
			case last.Incomplete != "":
				// ran to its end, but left something out: no ✓
				line = fmt.Sprintf("! scan finished INCOMPLETE: %d findings recorded (press f); left out: %s", msg.n, provider.SanitizeN(last.Incomplete, 160))
			}
		}
		s.log = append(s.log, line)
	}
	return nil
}

func (r *scanRunner) lines(c *Common) []string {
	el := c.Now().Sub(r.started).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(r.bytes) / el / 1e6
	}
	what := r.what
	if what == "" {
		what = "files"
	}
	return []string{
		c.Spinner + fmt.Sprintf(" Scanning: %d %s, %.1f MB, %d findings, %.0f MB/s", r.files, what, float64(r.bytes)/1e6, r.found, rate),
		c.Styles.Subtle.Render("esc cancels; what was found so far is kept"),
	}
}
