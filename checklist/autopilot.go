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
// writes the report. It is for drills, demos and smoke tests. It answers
// as the drill's scripted owner: a question the drill has no scripted
// answer for stays unanswered (the step stays open), never defaulted.
func Autopilot(ctx context.Context, e *Engine, log func(string)) (*Report, error) {
	return AutopilotWith(ctx, e, log, AutopilotOptions{})
}

// AutopilotOptions tune the autopilot for drills.
type AutopilotOptions struct {
	// BeforeStep runs before the autopilot picks each step (a drill moves
	// its clock on and answers the injects that struck).
	BeforeStep func(ctx context.Context, e *Engine) error
	// Skip leaves a recommended action undone when it returns true: a
	// scripted run with known mistakes.
	Skip func(step StepID, act Action) bool
}

// AutopilotWith is Autopilot with options.
func AutopilotWith(ctx context.Context, e *Engine, log func(string), opt AutopilotOptions) (*Report, error) {
	e.mu.Lock()
	e.Attester = "The autopilot (the drill's scripted answer)"
	e.inc.Autopilot = true
	e.mu.Unlock()
	defer func() { e.mu.Lock(); e.Attester = ""; e.mu.Unlock() }()
	for guard := 0; guard < 200; guard++ {
		if opt.BeforeStep != nil {
			if err := opt.BeforeStep(ctx, e); err != nil {
				return nil, err
			}
		}
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
		newPW := autopilotSecret("new")
		prev := v.State.Answers
		for _, q := range e.Questions(id) {
			script := e.DrillAnswer(id, q.ID)
			if a, ok := prev[q.ID]; ok && a != "" && !q.Kind.Secret() {
				script = a // what the owner already answered stands
			}
			switch q.Kind {
			case QSecret:
				switch {
				case script != "":
					inputs[q.ID] = script // e.g. the drill's current password
				case q.ID == "new" || q.ID == "new_confirm":
					inputs[q.ID] = newPW
				}
				continue
			case QOTPSetup:
				inputs[q.ID] = q.Default // the drill's setup key, if it has one
				if strings.TrimSpace(q.Default) != "" {
					answers[q.ID+".given"] = "yes"
				}
				continue
			case QOTPCode:
				if set, err := ParseTOTPSetup(inputs["setup"]); err == nil {
					step := time.Duration(set.Period) * time.Second
					at := time.Now()
					if q.ID == "code2" {
						at = at.Add(step)
					}
					inputs[q.ID], _ = set.CodeAt(at)
					answers[q.ID+".given"] = "yes"
				}
				continue
			}
			if !q.Visible(answers) {
				continue
			}
			switch {
			case q.ID == AnswerSignoffName || q.ID == AnswerSignoffRole:
				// A person signs a report, never the autopilot.
				if a, ok := prev[q.ID]; ok {
					answers[q.ID] = a
				}
			case e.IsDryRun():
				// Nothing was done in a dry run: scripted answers would be
				// fiction. Only settings (a key's name, folders) are given.
				if q.Attest == nil && q.Default != "" {
					answers[q.ID] = q.Default
				}
			case script != "":
				answers[q.ID] = script
			case q.Attest == nil:
				answers[q.ID] = q.Default // a setting (a key's name, folders), not a claim
			}
		}
		if err := e.Answer(id, answers); err != nil {
			return nil, err
		}
		var did []string
		if id == StepScan {
			e.SetScanScope(ScanScopeOf(answers))
			n, err := e.Scan(ctx, splitList(answers["paths"]), nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", v.Def.Title, err)
			}
			did = append(did, fmt.Sprintf("%d findings", n))
		}
		for _, act := range e.Plan(id) {
			if !act.Recommended || !hasInputs(act, inputs) || (opt.Skip != nil && opt.Skip(id, act)) {
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
		// Read back what the changes did before the step is judged.
		if err := e.Refresh(ctx, id); err != nil {
			return nil, fmt.Errorf("%s: %w", v.Def.Title, err)
		}
		if err := e.Complete(id, answers); err != nil {
			return nil, fmt.Errorf("%s: %w", v.Def.Title, err)
		}
		st := e.View(id).State
		line := fmt.Sprintf("%s[%s] %s › %s (%s): %s", dry(e), st.Level, v.Def.Phase, v.Def.Title, v.Mode, st.Statement)
		if len(did) > 0 {
			line += " Did: " + strings.Join(did, "; ")
		}
		log(line)
	}
	for _, v := range e.Views() {
		if v.State.Status == StatusNA {
			log(fmt.Sprintf("%s[n/a] %s › %s (%s)", dry(e), v.Def.Phase, v.Def.Title, v.State.Reason))
		}
	}
	return e.Close(ctx)
}

// dry is the marker every autopilot line of a dry run starts with.
func dry(e *Engine) string {
	if e.IsDryRun() {
		return "DRY RUN "
	}
	return ""
}

// hasInputs reports whether the secrets an action needs were given (a
// password change needs the current and the new password): without them
// it is not proposed, and its step stays open.
func hasInputs(act Action, inputs map[string]string) bool {
	for _, k := range splitList(act.Params["needs"]) {
		if strings.TrimSpace(inputs[k]) == "" {
			return false
		}
	}
	return true
}

// HasInputs is hasInputs for the UI.
func HasInputs(act Action, inputs map[string]string) bool { return hasInputs(act, inputs) }

// autopilotSecret makes throwaway secrets for the drill's password step:
// random, strong, shown nowhere and stored nowhere.
func autopilotSecret(id string) string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return "Drill-" + id + "-" + base64.RawURLEncoding.EncodeToString(b)
}
