package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// enterOnly presses only Enter (and y where a change asks "(y/n)") until the
// closing report screen shows. It is the stressed owner who accepts every
// default: the report that results must claim nothing nobody checked.
func enterOnly(x *tmux, target string) {
	x.t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(150 * time.Millisecond)
		s := x.capture(target)
		if strings.Contains(s, "Report preview") || strings.Contains(s, "Drill debrief") { // a drill ends on its debrief
			return
		}
		if strings.Contains(s, "Closing the incident") || strings.Contains(s, "Saving") {
			continue // a key now would land on the next screen
		}
		// No answer is preselected: every choice question starts on the
		// "leave it open" option, and it is drawn.
		if strings.Contains(s, "┃ >") && strings.Contains(s, "No answer yet") && !strings.Contains(s, "> No answer yet") && !strings.Contains(s, "> [") {
			x.t.Errorf("a choice question does not start on 'No answer yet':\n%s", s)
		}
		if strings.Contains(s, "(y/n)") {
			x.run("send-keys", "-t", target, "y")
		} else {
			x.run("send-keys", "-t", target, "Enter")
		}
		time.Sleep(120 * time.Millisecond)
	}
	x.t.Fatalf("Enter-only run did not reach the report; screen:\n%s", x.capture(target))
}

// quitAndWait quits reclaim (q) and waits until it has exited, so nothing is
// still writing its state when the test's folders are removed.
func quitAndWait(x *tmux, target string) {
	x.t.Helper()
	x.run("send-keys", "-t", target, "q")
	for i := 0; i < 100; i++ {
		if strings.TrimSpace(x.run("display-message", "-p", "-t", target, "#{pane_current_command}")) == "sleep" {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// claimRow is one row of the report's "Steps and their evidence" table.
var claimRow = regexp.MustCompile(`(?m)^\| [^|]+ \| ([^|]+) \| (verified|attested|known at baseline|open|skipped|n/a) \| (.*) \| ([^|]*) \|$`)

// checkEnterOnlyReport asserts what an Enter-only report may say: nothing
// attested (the owner answered nothing), every verified line cites the
// journal, no earned-measure wording the owner never gave, open items
// listed, and report verify accepts it.
func checkEnterOnlyReport(t *testing.T, bin, state string) string {
	t.Helper()
	reports, _ := filepath.Glob(filepath.Join(state, "incidents", "*", "report.md"))
	if len(reports) != 1 {
		t.Fatalf("want one report, got %v", reports)
	}
	b, err := os.ReadFile(reports[0])
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	rows := claimRow.FindAllStringSubmatch(md, -1)
	if len(rows) < 20 {
		t.Fatalf("the report's step table has %d rows:\n%s", len(rows), md)
	}
	for _, r := range rows {
		title, level, statement := strings.TrimSpace(r[1]), r[2], r[3]
		switch level {
		case "attested":
			t.Errorf("Enter-only run, yet %q is attested: %s", title, statement)
		case "verified":
			if !strings.Contains(statement, "journal #") && !strings.Contains(statement, "Read from the provider") && !strings.Contains(statement, "read at") {
				t.Errorf("%q is verified without citing what was read: %s", title, statement)
			}
		case "known at baseline":
			if !strings.Contains(statement, "known at baseline") {
				t.Errorf("%q is known at baseline without saying what is: %s", title, statement)
			}
		}
	}
	for _, never := range []string{
		"The owner states", "Two-factor authentication enrolled", "2FA checked for every user",
		"Account password changed", "Root cause: Not established", "scan finished: 0 findings",
	} {
		if strings.Contains(md, never) {
			t.Errorf("the Enter-only report says %q", never)
		}
	}
	for _, want := range []string{"## Summary for support", "### Open items", "Reset the account password: ", "Enrol two-factor authentication: ", "Report completion to support: ", "no sign-off name", "not filed"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	out, err := exec.Command(bin, "report", "verify", reports[0], "--state-dir", state).CombinedOutput()
	if err != nil {
		t.Errorf("report verify: %v\n%s", err, out)
	}
	return md
}

// TestE2EEnterOnlyDrillClaimsNothingUnearned: a drill at 80×24 in tmux,
// pressing only Enter (and y where asked).
func TestE2EEnterOnlyDrillClaimsNothingUnearned(t *testing.T) {
	needTool(t, "tmux")
	bin := buildBinary(t)
	state := t.TempDir()
	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-enter-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	x.run("new-session", "-d", "-s", "e", "-x", "80", "-y", "24", "env RECLAIM_NO_KEYRING=1 TERM=xterm-256color "+bin+" drill --state-dir "+state+"; sleep 600")
	x.run("set-option", "-t", "e", "status", "off")
	x.waitFor("e", "Drill briefing", 15*time.Second)
	enterOnly(x, "e")
	quitAndWait(x, "e")
	md := checkEnterOnlyReport(t, bin, state)
	if os.Getenv("RECLAIM_SHOW_REPORT") != "" {
		fmt.Println(md)
	}
}

// TestE2EEnterOnlyRealAccountClaimsNothingUnearned: a recovery of a real
// account against the fake SendGrid API, pressing only Enter (and y).
func TestE2EEnterOnlyRealAccountClaimsNothingUnearned(t *testing.T) {
	needTool(t, "tmux")
	x, state, _, bin := startFakeSendGridRecovery(t, "reclaim-enter-sg", "RECLAIM_PWNED_BASE_URL=http://127.0.0.1:1")
	x.waitFor("sg", "What this key allows", 20*time.Second)
	enterOnly(x, "sg")
	quitAndWait(x, "sg")
	md := checkEnterOnlyReport(t, bin, state)
	// On the real API nothing is pre-ticked as recognised: the review is
	// open, and the escape-named full-access key is flagged.
	if !strings.Contains(md, "nothing was marked as the owner's") {
		t.Error("the review of a real account's keys is not open after an Enter-only run")
	}
	if os.Getenv("RECLAIM_SHOW_REPORT") != "" {
		fmt.Println(md)
	}
}
