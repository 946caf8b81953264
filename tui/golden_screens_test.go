package tui

import (
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
)

// longName is a 5,000-character name with an escape sequence and a bidi
// override inside, as an attacker might give a key.
var longName = strings.Repeat("billing-sync-", 200) + "\x1b[2J\u202e" + strings.Repeat("x", 5000-2600-3)

// TestGoldenEveryScreen draws every screen at 70×22, 80×24 and 120×40, in
// a plain variant and a long-text one (5,000-character key names, a long
// question with long options), and checks each fits its frame.
func TestGoldenEveryScreen(t *testing.T) {
	for _, sz := range [][2]int{{70, 22}, {80, 24}, {120, 40}} {
		for _, long := range []bool{false, true} {
			variant := ""
			if long {
				variant = "_long"
			}
			var acct *drill.Account
			known := map[string]bool{}
			onNew := func(a *drill.Account) {
				acct = a
				keys, _ := a.ListKeys(context.Background())
				for _, k := range keys {
					known[k.ID] = true
				}
				for i := 0; long && i < 8; i++ {
					if _, err := a.CreateKey(context.Background(), longName, []string{"mail.send"}); err != nil {
						t.Fatal(err)
					}
				}
			}
			// Keys made during the run get random ids: the goldens show a
			// placeholder for them.
			stable := func(sc string) string {
				if acct == nil {
					return sc
				}
				keys, _ := acct.ListKeys(context.Background())
				for _, k := range keys {
					if !known[k.ID] && len(k.ID) >= 6 {
						sc = strings.ReplaceAll(strings.ReplaceAll(sc, k.ID, "RANDOM-KEY-ID"), k.ID[:6]+"…", "RANDOM…")
					}
				}
				return sc
			}
			name := func(s string) string { return s + variant + "_" + itoa(sz[0]) + "x" + itoa(sz[1]) }
			h := newHarnessWith(t, t.TempDir(), Options{}, sz[0], sz[1], onNew)
			check := func(screen string) {
				t.Helper()
				sc := stable(h.screen())
				fitsIn(t, sc, sz[0], sz[1])
				if strings.ContainsAny(h.m.Render(), "\u202e") || strings.Contains(h.m.Render(), "\x1b[2J") {
					t.Errorf("%s: an attacker's escape or bidi override reached the screen", screen)
				}
				t.Run(name(screen), func(t *testing.T) { golden.RequireEqual(t, sc) })
			}
			check("start")
			h.press(h.m.c.Keys.Enter) // Start a new drill
			check("briefing")
			h.press(h.m.c.Keys.Enter)
			check("step_form")
			h.finishStep() // triage
			h.finishStep() // inventory
			check("step_review")
			h.press(h.m.c.Keys.Back)
			check("overview")
			h.press(h.m.c.Keys.Findings)
			check("findings")
			h.press(h.m.c.Keys.End)
			check("findings_end")
			h.press(h.m.c.Keys.Back)
			h.press(h.m.c.Keys.Enter)
			for i := 0; i < 40 && !(h.m.step != nil && h.m.step.id == checklist.StepRevokeKeys && h.m.step.phase == spActions); i++ {
				h.finishStep()
			}
			check("changes")
			// Every change can be reached with its cursor drawn; the
			// confirmation question is drawn whatever the list's length.
			for i := 0; i < len(h.m.step.acts.plan); i++ {
				if !strings.Contains(h.screen(), "> [") {
					t.Errorf("%dx%d%s: the cursor on change %d is not drawn:\n%s", sz[0], sz[1], variant, i, h.screen())
				}
				h.press(h.m.c.Keys.Down)
			}
			for i := 0; i < len(h.m.step.acts.plan); i++ {
				h.press(h.m.c.Keys.Up)
			}
			h.press(h.m.c.Keys.Enter)
			check("confirm")
			if !strings.Contains(h.screen(), "(y/n)") {
				t.Errorf("%dx%d%s: the confirmation question is not drawn:\n%s", sz[0], sz[1], variant, h.screen())
			}
			h.press(h.m.c.Keys.No)

			// The new-key reveal, the scan runner and a long question are
			// drawn from a step screen set up directly.
			s := newStepScreen(h.m.c, h.m.c.Eng, checklist.StepCreateKey)
			s.view = h.m.c.Eng.View(checklist.StepCreateKey)
			s.phase = spSecret
			keyName := "reclaim-2026-11-22"
			if long {
				keyName = longName
			}
			s.newKey = newNewKeyView(h.m.c, provider.NewKey{APIKey: provider.APIKey{ID: "id123456", Name: keyName, Scopes: []string{"mail.send"}}, Secret: "SG.not-a-real-secret-at-all"}, false)
			h.m.step, h.m.screen = s, screenStep
			h.m.sync()
			check("newkey")

			s = newStepScreen(h.m.c, h.m.c.Eng, checklist.StepScan)
			s.view = h.m.c.Eng.View(checklist.StepScan)
			s.phase, s.scan.files, s.scan.bytes, s.scan.found = spScanning, 1234, 56_000_000, 3
			s.scan.started = h.m.c.Now()
			h.m.step = s
			h.m.sync()
			check("scan")

			q := checklist.Question{ID: "q", Kind: checklist.QSelect, Prompt: "Could a web server have served an .env file, a backup or a log with the key to anyone who asked for it?", Help: "Think of every host that ever had the key.",
				Options: []checklist.Option{{Value: "", Label: "No answer yet (leave this open)"}, {Value: "yes", Label: "Yes"}, {Value: "no", Label: "No"}, {Value: "unsure", Label: "Not sure: look at the access logs"}}}
			if long {
				q.Prompt = strings.Repeat("Could a web server have served an .env file to anyone who asked? ", 6)
				q.Help = strings.Repeat("Think of every host that ever had the key. ", 5)
				q.Options = append(q.Options, checklist.Option{Value: "long", Label: longName})
			}
			s = newStepScreen(h.m.c, h.m.c.Eng, checklist.StepQuestions)
			s.view = h.m.c.Eng.View(checklist.StepQuestions)
			s.questions = []checklist.Question{q}
			h.m.step = s
			h.m.sync()
			s.ask()
			h.m.sync()
			check("question")
			sc := h.screen()
			for _, o := range q.Options {
				if !strings.Contains(sc, strings.TrimSpace(ansiCut(provider.Sanitize(o.Label), 15))) {
					t.Errorf("%dx%d%s: option %q is not drawn:\n%s", sz[0], sz[1], variant, ansiCut(o.Label, 30), sc)
				}
			}
		}
	}
}

func ansiCut(s string, n int) string {
	r := []rune(s)
	return string(r[:min(n, len(r))])
}
