package main

import (
	"bytes"

	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reclaim/checklist"
	"reclaim/provider/drill"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// needTool skips when a tool is missing, unless RECLAIM_E2E=1 (CI), where a
// missing tool fails the test.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("RECLAIM_E2E") == "1" {
			t.Fatalf("%s is required under RECLAIM_E2E=1 but is not installed", name)
		}
		t.Skipf("skipping: %s is not installed (install it, or run .ci/run which does)", name)
	}
}

// buildBinary builds reclaim once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reclaim")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

type tmux struct {
	t      *testing.T
	socket string
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-L", x.socket, "-f", "/dev/null"}, args...)...).CombinedOutput()
	if err != nil && args[0] != "kill-server" && args[0] != "has-session" {
		x.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (x *tmux) capture(target string) string { return x.run("capture-pane", "-p", "-t", target) }

func (x *tmux) waitFor(target, want string, timeout time.Duration) string {
	x.t.Helper()
	deadline := time.Now().Add(timeout)
	var screen string
	for time.Now().Before(deadline) {
		screen = x.capture(target)
		// A shell's line may wrap at the pane's edge: look across rows too.
		if strings.Contains(screen, want) || strings.Contains(strings.ReplaceAll(screen, "\n", ""), want) {
			return screen
		}
		time.Sleep(80 * time.Millisecond)
	}
	x.t.Fatalf("timed out waiting for %q; screen:\n%s", want, screen)
	return ""
}

func (x *tmux) panePID(target string) int {
	out := strings.TrimSpace(x.run("display-message", "-p", "-t", target, "#{pane_pid}"))
	pid, _ := strconv.Atoi(out)
	return pid
}

var progressRE = regexp.MustCompile(`(\d+)/\d+`)

func progress(screen string) int {
	m := progressRE.FindStringSubmatch(screen)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// typed2FA records that a drive typed authenticator codes.
var typed2FA bool

// drive presses what a user would on each screen until the report preview
// shows, or stop returns true.
func drive(x *tmux, target string, stop func(screen string) bool) string {
	x.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	last, same := "", 0
	for time.Now().Before(deadline) {
		time.Sleep(150 * time.Millisecond)
		s := x.capture(target)
		if strings.Contains(s, "Report preview") || strings.Contains(s, "Drill debrief") { // a drill ends on its debrief
			return s
		}
		if stop != nil && stop(s) {
			return s
		}
		if s == last {
			same++
		} else {
			last, same = s, 0
		}
		switch {
		case strings.Contains(s, "Code shown by your authenticator") || strings.Contains(s, "The next code"):
			at := time.Now()
			if strings.Contains(s, "The next code") {
				at = at.Add(30 * time.Second)
			}
			sc, _ := drill.LoadScenario(drill.DefaultScenario)
			set, err := checklist.ParseTOTPSetup(sc.Answers["twofactor.enrol.setup"])
			if err != nil {
				x.t.Fatal(err)
			}
			code, _ := set.CodeAt(at)
			x.run("send-keys", "-t", target, "-l", code)
			x.run("send-keys", "-t", target, "Enter")
			typed2FA = true
		case strings.Contains(s, "Current password") && strings.Contains(s, "Input is hidden"):
			x.run("send-keys", "-t", target, "-l", drillPassword(x.t))
			x.run("send-keys", "-t", target, "Enter")
		case (strings.Contains(s, "New password") || strings.Contains(s, "new password again")) && strings.Contains(s, "Input is hidden"):
			x.run("send-keys", "-t", target, "-l", "Correct-Horse-Battery-9")
			x.run("send-keys", "-t", target, "Enter")
		case strings.Contains(s, "(y/n)"):
			x.run("send-keys", "-t", target, "y")
		default:
			x.run("send-keys", "-t", target, "Enter")
		}
		time.Sleep(120 * time.Millisecond)
	}
	x.t.Fatalf("the drill did not finish; screen:\n%s", x.capture(target))
	return ""
}

func TestE2EDrillInTmuxKillResume(t *testing.T) {
	needTool(t, "tmux")
	bin := buildBinary(t)
	state := t.TempDir()
	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-e2e-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	env := "env RECLAIM_NO_KEYRING=1 RECLAIM_DRILL_LATENCY=40ms TERM=xterm-256color "
	start := func(name string) {
		x.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", env+bin+" drill --state-dir "+state+"; sleep 600")
		x.run("set-option", "-t", name, "status", "off")
	}
	start("one")
	x.waitFor("one", "Drill briefing", 15*time.Second)

	// Walk until the rotation phase, then kill -9 the process mid-drill.
	drive(x, "one", func(s string) bool { return strings.Contains(s, "Name for the new key") })
	pid := x.panePID("one")
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pid), "-f", "reclaim").Output()
	child, _ := strconv.Atoi(strings.TrimSpace(strings.Split(string(out), "\n")[0]))
	if child == 0 {
		t.Fatalf("could not find the reclaim process under pane pid %d", pid)
	}
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	x.run("kill-session", "-t", "one")

	// Restart: it offers to resume, and resumes at the step it was on.
	start("two")
	s := x.waitFor("two", "Resume: Drill", 15*time.Second)
	if !regexp.MustCompile(`\d+/\d+ steps`).MatchString(s) {
		t.Fatalf("start screen lacks progress:\n%s", s)
	}
	x.run("send-keys", "-t", "two", "Enter")
	s = x.waitFor("two", "Resumed incident", 15*time.Second)
	if !strings.Contains(s, "Rotate secret API keys") {
		t.Fatalf("did not resume in the rotation phase:\n%s", s)
	}

	// A second reclaim on the same incident says so and exits.
	x.run("new-session", "-d", "-s", "three", "-x", "80", "-y", "24", env+bin+" drill --state-dir "+state+"; echo EXIT=$?; sleep 600")
	x.waitFor("three", "Resume: Drill", 15*time.Second)
	x.run("send-keys", "-t", "three", "Enter")
	s = x.waitFor("three", "EXIT=", 15*time.Second)
	if !strings.Contains(s, "open in another reclaim") || !strings.Contains(s, "EXIT=3") {
		t.Fatalf("second instance did not refuse the locked incident:\n%s", s)
	}

	// Resize below the minimum: a clear message, then back.
	x.run("resize-window", "-t", "two", "-x", "60", "-y", "18")
	x.waitFor("two", "Terminal too small", 10*time.Second)
	x.run("resize-window", "-t", "two", "-x", "80", "-y", "24")
	x.waitFor("two", "Resumed incident", 10*time.Second)

	x.run("send-keys", "-t", "two", "Enter")
	drive(x, "two", nil)

	// The report is there, says what was done, and no file holds a secret.
	if !typed2FA {
		t.Error("the drill never asked for authenticator codes")
	}
	reports, _ := filepath.Glob(filepath.Join(state, "incidents", "*", "report.md"))
	if len(reports) != 1 {
		t.Fatalf("want one report, got %v", reports)
	}
	md, _ := os.ReadFile(reports[0])
	for _, want := range []string{"Revoke key", "temp-migration", "Journal chain hash", "Remove teammate", "two consecutive codes accepted"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
	secretRE := regexp.MustCompile(`SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}|Correct-Horse-Battery-9|` + regexp.QuoteMeta(drillPassword(t)) + `|KRUGS4ZANFZSAYJAMRZGS3DMEBVWK6I`)
	filepath.Walk(state, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if loc := secretRE.Find(b); loc != nil {
			t.Errorf("%s holds a secret: %q", p, loc)
		}
		if filepath.Base(p) == "state.json" && info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", p, info.Mode().Perm())
		}
		return nil
	})
}

func TestE2EPlainTerminals(t *testing.T) {
	needTool(t, "tmux")
	bin := buildBinary(t)
	for i, envs := range []string{"NO_COLOR=1 TERM=xterm-256color", "TERM=dumb"} {
		state := t.TempDir()
		x := &tmux{t: t, socket: fmt.Sprintf("reclaim-plain-%d-%d", os.Getpid(), i)}
		x.run("new-session", "-d", "-s", "p", "-x", "80", "-y", "24", "env RECLAIM_NO_KEYRING=1 "+envs+" "+bin+" --state-dir "+state+"; sleep 600")
		x.run("set-option", "-t", "p", "status", "off")
		x.waitFor("p", "Start a new drill", 15*time.Second)
		raw := x.run("capture-pane", "-e", "-p", "-t", "p")
		if strings.Contains(raw, "\x1b[38;") || strings.Contains(raw, "\x1b[48;") {
			t.Errorf("%s: colours on screen:\n%q", envs, raw)
		}
		x.run("send-keys", "-t", "p", "q")
		x.run("kill-server")
	}
}

// drillPassword is the default drill account's current password (its
// scripted answer to "Current password").
func drillPassword(t *testing.T) string {
	t.Helper()
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	return drill.New(sc, time.Now()).DrillAnswers()[drill.HintOldPassword]
}
