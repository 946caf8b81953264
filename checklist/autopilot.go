package checklist

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Autopilot walks every remaining step taking the recommended action,
// calling log with one plain line per step, then closes the incident and
// writes the report. It is for drills, demos and smoke tests.
func Autopilot(ctx context.Context, e *Engine, log func(string)) (*Report, error) {
	for guard := 0; guard < 200; guard++ {
		id := e.Next()
		if id == "" {
			break
		}
		v := e.View(id)
		if err := e.SetCursor(id); err != nil {
			return nil, err
		}
		if err := e.Refresh(ctx, id); err != nil {
			return nil, fmt.Errorf("%s: %w", v.Def.Title, err)
		}
		answers := map[string]string{}
		inputs := map[string]string{}
		for _, q := range e.Questions(id) {
			switch q.Kind {
			case QSecret:
				inputs[q.ID] = autopilotSecret(q.ID)
				continue
			case QOTPSetup:
				inputs[q.ID] = q.Default // the drill's setup key, if it has one
				continue
			case QOTPCode:
				if set, err := ParseTOTPSetup(inputs["setup"]); err == nil {
					step := time.Duration(set.Period) * time.Second
					at := time.Now()
					if q.ID == "code2" {
						at = at.Add(step)
					}
					inputs[q.ID], _ = set.CodeAt(at)
				}
				continue
			}
			if q.When[0] != "" && answers[q.When[0]] != q.When[1] {
				continue
			}
			answers[q.ID] = q.Default
		}
		if err := e.Answer(id, answers); err != nil {
			return nil, err
		}
		var did []string
		if id == StepScan {
			n, err := e.Scan(ctx, splitList(answers["paths"]), nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", v.Def.Title, err)
			}
			did = append(did, fmt.Sprintf("%d findings", n))
		}
		for _, act := range e.Plan(id) {
			if !act.Recommended {
				continue
			}
			res, err := e.Apply(ctx, id, act, inputs)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", v.Def.Title, act.Label, err)
			}
			if res.Outcome == "dry-run" {
				did = append(did, res.Detail)
			} else {
				did = append(did, res.Outcome+": "+act.Label)
			}
		}
		if err := e.Complete(id, answers); err != nil {
			return nil, fmt.Errorf("%s: %w", v.Def.Title, err)
		}
		line := fmt.Sprintf("[done] %s › %s (%s)", v.Def.Phase, v.Def.Title, v.Mode)
		if len(did) > 0 {
			line += ": " + strings.Join(did, "; ")
		}
		log(line)
	}
	for _, v := range e.Views() {
		if v.State.Status == StatusNA {
			log(fmt.Sprintf("[n/a]  %s › %s (%s)", v.Def.Phase, v.Def.Title, v.State.Reason))
		}
	}
	return e.Close(ctx)
}

// autopilotSecret makes throwaway secrets for the drill's password step:
// random, strong, shown nowhere and stored nowhere.
func autopilotSecret(id string) string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return "Drill-" + id + "-" + base64.RawURLEncoding.EncodeToString(b)
}
