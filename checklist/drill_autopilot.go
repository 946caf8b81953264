package checklist

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"reclaim/provider"
	"reclaim/provider/drill"
)

// DrillRun tunes DrillAutopilot.
type DrillRun struct {
	// StepTime is how far the drill clock moves on per step (default one
	// minute): the autopilot plays a step a minute, so injects timed "at
	// 16m" strike mid-run without anyone waiting.
	StepTime time.Duration
	// Skip leaves recommended actions undone: a scripted run with known
	// mistakes (see Leave).
	Skip func(step StepID, act Action) bool
	// IgnoreInjects does not go back to the steps an inject names.
	IgnoreInjects bool
}

// Leave is a Skip strategy for a bad run: it leaves the keys with these ids
// unrevoked and the webhooks to these URLs in place.
func Leave(keyIDs, webhookURLs []string) func(StepID, Action) bool {
	return func(_ StepID, a Action) bool {
		switch a.Kind {
		case ActRevokeKey:
			return slices.Contains(keyIDs, a.Target.ID)
		case ActDeleteWebhook:
			return slices.Contains(webhookURLs, a.Target.Name)
		}
		return false
	}
}

// DrillAutopilot plays a drill as Autopilot does, on a drill clock it
// moves on itself (the engine's clock follows it, so the journal and the
// debrief agree). When an inject strikes it logs it and goes back to the
// steps the inject names. At the end it closes the incident, writes the
// report, then scores the drill and writes the after-action report.
func DrillAutopilot(ctx context.Context, e *Engine, log func(string), run DrillRun) (*Report, *Debrief, error) {
	d := drill.Of(e.Provider())
	if d == nil {
		return nil, nil, ErrNotDrill
	}
	step := run.StepTime
	if step <= 0 {
		step = time.Minute
	}
	var mu sync.Mutex
	now := d.Epoch().Add(d.Elapsed())
	if t := e.Now(); t.After(now) {
		now = t
	}
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	d.SetClock(clock)
	defer d.SetClock(nil)
	prev := e.Now
	e.Now = func() time.Time { return clock().UTC() }
	defer func() { e.Now = prev }()

	cursor, first := 0, true
	if ns := d.Notices(0); len(ns) > 0 {
		cursor = ns[len(ns)-1].Seq // struck before the autopilot took over
	}
	before := func(ctx context.Context, e *Engine) error {
		if !first {
			mu.Lock()
			now = now.Add(step)
			mu.Unlock()
		}
		first = false
		for _, n := range d.Notices(cursor) {
			cursor = n.Seq
			log(fmt.Sprintf("[inject at T+%s] %s", drill.FormatClock(n.At), provider.SanitizeN(n.Title, 120)))
			if run.IgnoreInjects {
				continue
			}
			for _, id := range n.Revisit {
				v := e.View(StepID(id))
				if v.Def == nil || v.State.Status == StatusTodo || v.State.Status == StatusNA {
					continue
				}
				if err := e.Reopen(StepID(id)); err != nil {
					return err
				}
				log("  going back to: " + v.Def.Title)
			}
		}
		return nil
	}
	r, err := AutopilotWith(ctx, e, log, AutopilotOptions{BeforeStep: before, Skip: run.Skip})
	if err != nil {
		return nil, nil, err
	}
	db, err := e.WriteAfterAction()
	return r, db, err
}
