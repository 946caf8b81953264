package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/provider/drill"
)

// runDrillCmd runs "reclaim drill ARGS" in this process with its own state
// folder.
func runDrillCmd(t *testing.T, state string, args ...string) (string, error) {
	t.Helper()
	t.Setenv("RECLAIM_NO_KEYRING", "1")
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{"drill", "--state-dir", state}, args...))
	err := root.Execute()
	return out.String(), err
}

func TestDrillList(t *testing.T) {
	out, err := runDrillCmd(t, t.TempDir(), "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range drill.Scenarios() {
		sc, _ := drill.LoadScenario(name)
		if !strings.Contains(out, name+" ") || !strings.Contains(out, sc.Title) {
			t.Errorf("--list lacks %s:\n%s", name, out)
		}
	}
	if n := strings.Count(out, "    Lesson: "); n < 5 || n != len(drill.Scenarios()) {
		t.Errorf("%d lessons listed:\n%s", n, out)
	}
	if regexp.MustCompile(`[\x00-\x09\x0b-\x1f\x7f]`).MatchString(out) {
		t.Errorf("control characters in --list: %q", out)
	}
}

// Every built-in scores full marks under --autopilot, and the after-action
// report is written next to the report.
func TestDrillAutopilotEveryBuiltinFullMarks(t *testing.T) {
	for _, name := range drill.Scenarios() {
		t.Run(name, func(t *testing.T) {
			state := t.TempDir()
			out, err := runDrillCmd(t, state, "--autopilot", "--scenario", name)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			m := regexp.MustCompile(`(?m)^Score (\d+)/(\d+): .*$`).FindStringSubmatch(out)
			if m == nil || m[1] != m[2] || m[2] != "100" {
				t.Fatalf("no full score line:\n%s", out)
			}
			if !strings.HasSuffix(strings.TrimSpace(out), m[0]) {
				t.Errorf("the score line is not the last line (misses listed?):\n%s", out)
			}
			am := regexp.MustCompile(`(?m)^after-action report: (.*)$`).FindStringSubmatch(out)
			if am == nil {
				t.Fatalf("no after-action path:\n%s", out)
			}
			if _, err := os.Stat(am[1]); err != nil {
				t.Fatal(err)
			}
			var d checklist.Debrief
			b, err := os.ReadFile(filepath.Join(filepath.Dir(am[1]), checklist.AfterActionJSON))
			if err != nil || json.Unmarshal(b, &d) != nil || d.Score != 100 || d.Scenario != name {
				t.Errorf("after-action.json: %v %+v", err, d.Score)
			}
		})
	}
}

func TestDrillScenarioFileErrorsAndRun(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("version: 1\nname: bad\ntitle: Bad\nlesson: l\nbriefing: b\nprovider: sendgrid\nbogus: 1\n"), 0o600)
	out, err := runDrillCmd(t, t.TempDir(), "--autopilot", "--scenario", bad)
	var ee *exitErr
	if !errors.As(err, &ee) || ee.code != exitError || err.Error() != bad+`:7: bogus: unknown field "bogus"` {
		t.Fatalf("bad file: %v\n%s", err, out)
	}
	good := filepath.Join(dir, "mine.yml")
	os.WriteFile(good, []byte(`version: 1
name: mine
title: My drill
lesson: Remove the attacker's teammate.
briefing: Someone added a teammate.
provider: sendgrid
account: {username: me, email: me@mine.example, your_ip: 198.51.100.5, session_key: Me1Me1Me1Me1Me1Me1Me1M}
known_good:
  keys: [{id: Me1Me1Me1Me1Me1Me1Me1M, name: reclaim}]
  teammates: [{username: me, email: me@mine.example, owner: true, admin: true, created: -900d}]
attacker:
  teammates: [{username: intruder, email: x@evil.example, admin: true, created: -1d}]
expectations:
- {id: gone, title: The intruder was removed, points: 7, check: {kind: teammate_absent, teammate: intruder}}
`), 0o600)
	out, err = runDrillCmd(t, t.TempDir(), "--autopilot", "--scenario", good)
	if err != nil || !strings.Contains(out, "scenario mine") || !strings.Contains(out, "Score 7/7: 1 of 1 expectations met") {
		t.Fatalf("%v\n%s", err, out)
	}
}

// The example in docs/scenarios.md plays to full marks.
func TestDrillDocExampleFullMarks(t *testing.T) {
	b, err := os.ReadFile("../../docs/scenarios.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Example\n\n```yaml\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("no example")
	}
	file := filepath.Join(t.TempDir(), "example.yaml")
	os.WriteFile(file, m[1], 0o600)
	out, err := runDrillCmd(t, t.TempDir(), "--autopilot", "--scenario", file)
	if err != nil || !regexp.MustCompile(`(?m)^Score 100/100: 3 of 3 expectations met; contained at T\+`).MatchString(out) || !strings.Contains(out, "[inject at T+10:00] Another admin appeared: helpdesk2") {
		t.Fatalf("%v\n%s", err, out)
	}
}
