package checklist

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"reclaim/provider/drill"
)

// File names of the after-action report, next to report.md.
const (
	AfterActionMD   = "after-action.md"
	AfterActionJSON = "after-action.json"
)

// Markdown renders the after-action report in the completion report's
// style: what the drill was, the score and its breakdown, each expectation
// with its evidence, the risky actions, the injects, the lessons learned
// and what to change in the runbook.
func (d *Debrief) Markdown() string {
	var b strings.Builder
	s := mdText
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	list := func(items []string) {
		if len(items) == 0 {
			w("None.\n")
		}
		for _, it := range items {
			w("- %s\n", s(it))
		}
	}
	head := "DRILL — after-action report (simulated account)"
	if d.DryRun {
		head = "DRY RUN DRILL — after-action report (simulated account, nothing changed)"
	}
	w("# %s\n\n", head)
	w("- Incident: %s — %s\n", s(d.Incident), s(d.Title))
	w("- Scenario: %s (format version %d, %s)\n", s(d.Scenario), d.Version, s(d.Source))
	w("- Lesson: %s\n", s(d.Lesson))
	if d.Provider != "" {
		w("- Provider: %s\n", s(d.Provider))
	}
	w("- Drill started: %s; drill clock at this report: T+%s\n", utc(d.Started), drill.FormatClock(d.Clock))
	w("- Report generated: %s\n", utc(d.Generated))
	if d.Autopilot {
		w("- Played by the autopilot (the drill's scripted answers), not a person\n")
	}

	w("\n## Result\n\n**%s**\n\n", s(d.ScoreLine()))
	w("| Measure | Result |\n|---|---|\n")
	if d.Contained {
		c := "T+" + drill.FormatClock(d.TimeToContain)
		switch {
		case d.ContainedAgain > 0:
			c += fmt.Sprintf(" (again at T+%s, after the attacker got back in)", drill.FormatClock(d.ContainedAgain))
		case !d.StillContained:
			c += " (the attacker got back in later: not contained now)"
		}
		w("| Time to contain (all attacker access removed) | %s |\n", s(c))
	} else {
		w("| Time to contain (all attacker access removed) | never |\n")
	}
	if d.Recovered {
		w("| Time to recover (every step gone through) | T+%s |\n", drill.FormatClock(d.TimeToRecover))
	} else {
		w("| Time to recover (every step gone through) | not yet |\n")
	}
	w("| Score | %d / %d |\n", d.Score, d.MaxScore)
	for _, r := range d.Reopened {
		w("\nAt T+%s the inject %s gave the attacker access again.\n", drill.FormatClock(r.At), s(r.Inject))
	}
	if len(d.OpenAccess) > 0 {
		w("\nAttacker access still open: %s.\n", s(strings.Join(d.OpenAccess, "; ")))
	}

	w("\n## Score breakdown\n\n")
	list(d.Breakdown)

	w("\n## Expectations\n\n| Expectation | Points | Result | Evidence |\n|---|---|---|---|\n")
	for _, x := range d.Expectations {
		res := "missed"
		if x.Met {
			res = "met"
		}
		w("| %s | %d/%d | %s | %s |\n", s(x.Title), x.Earned, x.Points, res, s(x.Evidence))
	}

	w("\n## Risky actions\n\n")
	if len(d.Risks) == 0 {
		w("None: no key in use was revoked before its replacement was verified, and no allow list left the owner out.\n")
	}
	for _, r := range d.Risks {
		w("- **%s** (−%d): %s\n", s(r.Title), r.Penalty, s(r.Evidence))
	}

	if len(d.Injects) > 0 {
		w("\n## Injects\n\n| Inject | Planned | Struck | Reaction |\n|---|---|---|---|\n")
		for _, in := range d.Injects {
			struck := "did not strike"
			if in.Fired {
				struck = fmt.Sprintf("T+%s (%s)", drill.FormatClock(in.At), in.By)
			}
			reaction := in.Reaction
			if reaction == "" {
				reaction = "—"
			}
			w("| %s | %s | %s | %s |\n", s(in.Title), s(in.When), s(struck), s(reaction))
		}
	}

	w("\n## Lessons learned\n\n")
	list(d.LessonsLearned)
	w("\n## What to change in the runbook\n\n")
	list(d.RunbookChanges)

	w("\n---\nJournal chain hash: `%s` (%d entries); the incident's report.md next to this file has the full journal.\n", d.JournalHash, d.JournalEntries)
	return ScrubSecrets(b.String())
}

// JSON renders the after-action report as indented JSON.
func (d *Debrief) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, err
	}
	return []byte(ScrubSecrets(string(b)) + "\n"), nil
}

// Summary is the debrief in a few plain lines for a terminal: the score
// line, then each missed expectation and risky action.
func (d *Debrief) Summary() []string {
	out := []string{d.ScoreLine()}
	for _, x := range d.Expectations {
		if !x.Met {
			out = append(out, fmt.Sprintf("  missed (-%d) %s: %s", x.Points, x.Title, x.Evidence))
		}
	}
	for _, r := range d.Risks {
		out = append(out, fmt.Sprintf("  risky (-%d) %s: %s", r.Penalty, r.Title, r.Evidence))
	}
	return out
}

// WriteAfterAction scores the drill and writes after-action.md and
// after-action.json next to the incident's report. It does I/O: a UI calls
// it from a command, when the drill is finished (after Close).
func (e *Engine) WriteAfterAction() (*Debrief, error) {
	d, err := e.Debrief()
	if err != nil {
		return nil, err
	}
	if e.h == nil {
		return d, nil
	}
	js, err := d.JSON()
	if err != nil {
		return d, err
	}
	if err := WriteFileAtomic(filepath.Join(e.h.Dir, AfterActionMD), []byte(d.Markdown())); err != nil {
		return d, err
	}
	return d, WriteFileAtomic(filepath.Join(e.h.Dir, AfterActionJSON), js)
}

// AfterActionPath is where after-action.md is written (empty without
// storage).
func (e *Engine) AfterActionPath() string {
	if e.h == nil {
		return ""
	}
	return filepath.Join(e.h.Dir, AfterActionMD)
}
