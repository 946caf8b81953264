package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider/sendgrid/sgfake"
)

// accPromptStarts are how accessible mode's prompts begin; a prompt is the
// last, unfinished line of the output (the program waits for its answer).
var accPromptStarts = []string{"Choose ", "Numbers ", "Text [", "Secret (", "Apply ", "Why skip", "Press Enter", "Type v", "The ticket id"}

// accRun is the accessible mode of the built binary, driven from a pipe:
// each prompt is answered by answer(transcript so far, prompt).
type accRun struct {
	out     string
	code    int
	prompts int
}

func runAccessibleDriven(t *testing.T, bin string, env []string, args []string, answer func(out, prompt string) string) accRun {
	t.Helper()
	// A guard against a hang, not a timing assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "RECLAIM_NO_KEYRING=1", "RECLAIM_DRILL_LATENCY=0", "RECLAIM_PWNED_BASE_URL=http://127.0.0.1:1"}, env...)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	chunks := make(chan []byte)
	go func() {
		defer close(chunks)
		buf := make([]byte, 64<<10)
		for {
			n, err := stdout.Read(buf)
			if n > 0 {
				chunks <- bytes.Clone(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	var all strings.Builder
	var r accRun
	for c := range chunks {
		all.Write(c)
		s := all.String()
		pending := s[strings.LastIndexByte(s, '\n')+1:]
		if !strings.HasSuffix(pending, ": ") || !startsWithAny(pending, accPromptStarts) {
			continue
		}
		r.prompts++
		if r.prompts > 3000 {
			t.Errorf("more than 3000 prompts: the run does not advance")
			_ = cmd.Process.Kill()
			break
		}
		if _, err := io.WriteString(stdin, answer(s, pending)+"\n"); err != nil {
			t.Errorf("write answer: %v", err)
			break
		}
	}
	stdin.Close()
	err = cmd.Wait()
	r.out = all.String()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if r.code != 0 {
		t.Errorf("exit %d; stderr:\n%s", r.code, stderr.String())
	}
	if strings.Contains(stderr.String(), "\x1b") {
		t.Errorf("an escape sequence on stderr: %q", stderr.String())
	}
	return r
}

func startsWithAny(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// lastQuestion is the block of the last "Question:" in the transcript.
func lastQuestion(out string) string {
	i := strings.LastIndex(out, "\nQuestion: ")
	if i < 0 {
		return ""
	}
	return out[i+1:]
}

// optionNumber is the number of the option labelled label in the last
// question, or "".
func optionNumber(out, label string) string {
	re := regexp.MustCompile(`(?m)^  (\d+)\. ` + regexp.QuoteMeta(label) + `$`)
	if m := re.FindStringSubmatch(lastQuestion(out)); m != nil {
		return m[1]
	}
	return ""
}

// accNotReadyPrompt begins the question asked at a step that could not be
// finished.
const accNotReadyPrompt = "Press Enter to leave this step open and go on"

// enterOrApply answers Enter everywhere, and y where changes are proposed.
// A step that cannot finish is a failure (Enter there would loop).
func enterOrApply(t *testing.T) func(out, prompt string) string {
	return func(out, prompt string) string {
		switch {
		case strings.HasPrefix(prompt, "Apply these"):
			return "y"
		case strings.HasPrefix(prompt, accNotReadyPrompt):
			t.Errorf("a step could not be finished:\n%s", lastLines(out, 12))
			return "q"
		case strings.HasPrefix(prompt, "Choose ") && strings.Contains(prompt, "no answer yet"):
			// No answer is preselected: the first option is "No answer
			// yet", and Enter chooses it.
			q := lastQuestion(out)
			if !strings.Contains(q, "\n  1. No answer yet (leave this open)\n") {
				t.Errorf("a choice question does not start on \"No answer yet\":\n%s", q)
			}
			if !strings.HasPrefix(prompt, "Choose 1-") || !strings.Contains(prompt, "[Enter: 1, no answer yet (leave this open)]") {
				t.Errorf("prompt %q", prompt)
			}
		}
		return ""
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}

// accCheckOutput: every step is printed, no control byte but \n, a report.
func accCheckOutput(t *testing.T, out string) string {
	t.Helper()
	for i := 0; i < len(out); i++ {
		if c := out[i]; (c < 0x20 && c != '\n') || c == 0x7f {
			t.Fatalf("byte %#x at %d in the output: %q", c, i, out[max(0, i-60):min(len(out), i+60)])
		}
	}
	if strings.ContainsRune(out, '\u009b') {
		t.Error("a C1 control sequence introducer in the output")
	}
	for _, d := range checklist.Steps() {
		if !strings.Contains(out, d.Title) {
			t.Errorf("step %q is not printed", d.Title)
		}
	}
	m := regexp.MustCompile(`(?m)^Report written to (.+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no report path printed:\n%s", lastLines(out, 30))
	}
	if _, err := os.Stat(m[1]); err != nil {
		t.Fatalf("report: %v", err)
	}
	for _, want := range []string{"Evidence: ", "Open items ("} {
		if !strings.Contains(out, want) {
			t.Errorf("the end of the run lacks %q:\n%s", want, lastLines(out, 30))
		}
	}
	return m[1]
}

// accClaim is one row of the report's steps table: title, level, statement.
var accClaim = regexp.MustCompile(`(?m)^\| [^|]+ \| ([^|]+) \| (verified|attested|known at baseline|open|skipped|n/a) \| (.*) \| ([^|]*) \|$`)

// accCheckNothingAttested: the report of a run where nothing was answered
// claims nothing on the owner's word, and report verify accepts it.
func accCheckNothingAttested(t *testing.T, bin, state, report, out string) {
	t.Helper()
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	rows := accClaim.FindAllStringSubmatch(md, -1)
	if len(rows) < 20 {
		t.Fatalf("the report's step table has %d rows:\n%s", len(rows), md)
	}
	for _, r := range rows {
		if r[2] == "attested" {
			t.Errorf("nothing was answered, yet %q is attested: %s", strings.TrimSpace(r[1]), r[3])
		}
	}
	if strings.Contains(out, "Result: attested") || strings.Contains(md, "The owner states") {
		t.Error("nothing was answered, yet the owner is said to state something")
	}
	for _, want := range []string{"### Open items", "no sign-off name", "not filed"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if v, err := exec.Command(bin, "report", "verify", report, "--state-dir", state).CombinedOutput(); err != nil {
		t.Errorf("report verify: %v\n%s", err, v)
	}
}

// TestAccessibleDrillEnterOnly: a whole drill in accessible mode, driven
// from a pipe with Enter everywhere and y where changes are proposed.
func TestAccessibleDrillEnterOnly(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	r := runAccessibleDriven(t, bin, nil, []string{"drill", "--accessible", "--state-dir", state}, enterOrApply(t))
	report := accCheckOutput(t, r.out)
	accCheckNothingAttested(t, bin, state, report, r.out)
	for _, want := range []string{
		"Step 1 of 24: Triage: what happened",
		"Drill script: ",
		"Apply these 1 changes? [y/N]: y",
		"Result: verified. Inventory read from the provider's API",
		"Result: open. Open: none of the questions was answered.",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the transcript lacks %q", want)
		}
	}
	if os.Getenv("RECLAIM_SHOW_ACCESSIBLE") != "" {
		fmt.Println(r.out)
	}
}

// TestAccessibleDrillEnterOnlyNoApply: Enter at every prompt, no y
// anywhere. No change is made, so the steps that need one (deploying a
// replacement key that was never created) cannot be finished: Enter there
// leaves them open and the run goes on to the end, with the report saying
// they are open and claiming nothing.
func TestAccessibleDrillEnterOnlyNoApply(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	notReady := 0
	r := runAccessibleDriven(t, bin, nil, []string{"drill", "--accessible", "--state-dir", state}, func(out, prompt string) string {
		if strings.HasPrefix(prompt, accNotReadyPrompt) {
			notReady++
			if !strings.Contains(prompt, "r to go through it again") || !strings.Contains(prompt, "s to skip it") || !strings.Contains(prompt, "q to quit") {
				t.Errorf("prompt %q", prompt)
			}
		}
		return ""
	})
	if os.Getenv("RECLAIM_SHOW_ACCESSIBLE") != "" {
		fmt.Println(r.out)
	}
	if notReady == 0 {
		t.Fatalf("no step was not ready: this test no longer covers leaving one open\n%s", lastLines(r.out, 30))
	}
	if r.prompts > 600 {
		t.Errorf("%d prompts for an Enter-only run: a step repeats", r.prompts)
	}
	report := accCheckOutput(t, r.out)
	accCheckNothingAttested(t, bin, state, report, r.out)
	for _, want := range []string{
		"! step not ready: there is no replacement key to deploy yet: create it first",
		accNotReadyPrompt + ", r to go through it again, b to go back to \u201cCreate the replacement key\u201d, s to skip it (with a reason), q to quit: \n",
		"Left open: Deploy and verify the replacement. Nothing is claimed for it; the report lists it as open.",
		"left open (the report lists them)",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the transcript lacks %q", want)
		}
	}
	if !strings.Contains(r.out, "0 changes made to the account") {
		t.Errorf("an Enter-only run changed the account:\n%s", lastLines(r.out, 60))
	}
	// Each step once, numbered without a gap: a step that does not apply
	// is said, with its number.
	re := regexp.MustCompile(`(?m)^Step (\d+) of (\d+): `)
	seen := 0
	for _, m := range re.FindAllStringSubmatch(r.out, -1) {
		n, _ := strconv.Atoi(m[1])
		total, _ := strconv.Atoi(m[2])
		if n != seen+1 {
			t.Errorf("step %d follows step %d", n, seen)
		}
		seen = n
		if total != len(checklist.Steps()) {
			t.Errorf("of %d, want %d", total, len(checklist.Steps()))
		}
	}
	if seen != len(checklist.Steps()) {
		t.Errorf("the last step printed is %d of %d", seen, len(checklist.Steps()))
	}
	if !regexp.MustCompile(`(?m)^Step \d+ of \d+: .+ \x{2014} not applicable \(.+\)\.$`).MatchString(r.out) {
		t.Error("no step is said to be not applicable")
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range accClaim.FindAllStringSubmatch(string(md), -1) {
		if strings.TrimSpace(row[1]) == "Deploy and verify the replacement" {
			found = true
			if row[2] != "open" {
				t.Errorf("the step left open is %q in the report: %s", row[2], row[0])
			}
		}
	}
	if !found {
		t.Errorf("the report has no row for the step left open:\n%s", md)
	}
}

// TestAccessibleNotReadyGoBack: at the step that needs the replacement key,
// b goes back to the step that creates it; once it is created (y there),
// the step that needed it is gone through again and finished, and the run
// goes on from there.
func TestAccessibleNotReadyGoBack(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	back, notReady := false, 0
	r := runAccessibleDriven(t, bin, nil, []string{"drill", "--accessible", "--state-dir", state}, func(out, prompt string) string {
		switch {
		case strings.HasPrefix(prompt, accNotReadyPrompt):
			notReady++
			if !back {
				back = true
				return "b"
			}
			t.Errorf("not ready again after going back:\n%s", lastLines(out, 12))
			return "q"
		case strings.HasPrefix(prompt, "Apply these") && back:
			return "y"
		}
		return ""
	})
	if os.Getenv("RECLAIM_SHOW_ACCESSIBLE") != "" {
		fmt.Println(r.out)
	}
	accCheckOutput(t, r.out)
	if notReady != 1 {
		t.Errorf("%d not-ready prompts, want 1", notReady)
	}
	if n := strings.Count(r.out, "Step 6 of 24: Create the replacement key\n"); n != 2 {
		t.Errorf("the step that creates the key was gone through %d times, want 2", n)
	}
	if n := strings.Count(r.out, "Step 7 of 24: Deploy and verify the replacement\n"); n != 2 {
		t.Errorf("the step that needs the key was gone through %d times, want 2", n)
	}
	if strings.Contains(r.out, "Left open: ") {
		t.Error("a step was left open, though the owner went back")
	}
	i := strings.LastIndex(r.out, "Step 7 of 24: ")
	j := strings.Index(r.out, "Step 8 of 24: ")
	if i < 0 || j < i {
		t.Fatalf("step 8 does not follow the second pass of step 7")
	}
	if !strings.Contains(r.out[:i], "New key created, shown once") {
		t.Error("no replacement key was created before the second pass")
	}
	if !strings.Contains(r.out[i:j], "Result: verified. The new key answered a read call") {
		t.Errorf("the second pass of the step that needed the key did not finish:\n%s", r.out[i:j])
	}
}

// TestAccessibleDrillScripted answers some questions (two triage answers,
// the 2FA method, a password change, a skip, a console filing) and checks
// what each leads to: attested, verified, skipped; no typed secret shows.
func TestAccessibleDrillScripted(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	oldPW := drillPassword(t)
	newPW := fmt.Sprintf("Quiet-Lantern-%d-Orchard-Velvet", time.Now().UnixNano()%100000)
	answers := map[string]string{
		"How was the compromise detected?": "An email or suspension notice from the provider",
		"Is the account suspended?":        "Yes",
		"No codes were checked, so reclaim cannot verify 2FA. How is 2FA enrolled on the account?": "An authenticator app set up elsewhere",
	}
	mismatched, badCIDR := false, false
	r := runAccessibleDriven(t, bin, nil, []string{"drill", "--accessible", "--state-dir", state}, func(out, prompt string) string {
		q := lastQuestion(out)
		first, _, _ := strings.Cut(strings.TrimPrefix(q, "Question: "), "\n")
		switch {
		case strings.HasPrefix(first, "The new password again") && !mismatched:
			mismatched = true // a typo: both are asked again
			return newPW + "x"
		case strings.HasPrefix(first, "Addresses or CIDRs to allow") && !badCIDR:
			badCIDR = true // refused with a message, asked again
			return "203.0.113.300/33"
		case strings.HasPrefix(prompt, "Apply these"):
			return "y"
		case strings.HasPrefix(prompt, "Why skip"):
			return "the drill has no server of ours to scan"
		case strings.HasPrefix(prompt, "The ticket id"):
			return "T-4242"
		case strings.HasPrefix(prompt, accNotReadyPrompt):
			t.Errorf("a step could not be finished:\n%s", lastLines(out, 12))
			return "q"
		case strings.HasPrefix(prompt, "Choose 1-4 [Enter: 1, not now]"):
			if strings.Contains(out, "Recorded that you filed the report") {
				return ""
			}
			return "4"
		}
		switch {
		case strings.HasPrefix(first, "Folders to scan"):
			return "s"
		case strings.HasPrefix(first, "Current password"):
			return oldPW
		case strings.HasPrefix(first, "New password"), strings.HasPrefix(first, "The new password again"):
			return newPW
		case strings.HasPrefix(first, "Your name, for the report's sign-off"):
			return "Ada Owner"
		}
		if label, ok := answers[first]; ok {
			n := optionNumber(out, label)
			if n == "" {
				t.Errorf("no option %q in:\n%s", label, q)
			}
			return n
		}
		return ""
	})
	if os.Getenv("RECLAIM_SHOW_ACCESSIBLE") != "" {
		fmt.Println(r.out)
	}
	report := accCheckOutput(t, r.out)
	for _, want := range []string{
		"Result: attested. The owner answered 2 of 4 questions",
		"Result: attested. The owner states that 2FA is enrolled (answered \u201cAn authenticator app set up elsewhere\u201d",
		"Result: verified. Password changed through the provider's API",
		"Result: skipped. Skipped: the drill has no server of ours to scan",
		"Recorded that you filed the report in the console as ticket T-4242.",
		"! the two entries differ: type the new password twice",
		"! \"203.0.113.300/33\" is not a valid CIDR",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("the transcript lacks %q", want)
		}
	}
	md, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	levels := map[string]string{}
	for _, row := range accClaim.FindAllStringSubmatch(string(md), -1) {
		levels[strings.TrimSpace(row[1])] = row[2]
	}
	for title, want := range map[string]string{"Triage: what happened": "attested", "Enrol two-factor authentication": "attested", "Reset the account password": "verified", "Scan this server for leaked credentials": "skipped"} {
		if levels[title] != want {
			t.Errorf("report: %q is %q, want %q (%v)", title, levels[title], want, levels)
		}
	}
	// The typed new password is never printed nor saved.
	if strings.Contains(r.out, newPW) {
		t.Error("the new password is in the output")
	}
	_ = filepath.Walk(state, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(newPW)) {
				t.Errorf("%s holds the new password", p)
			}
		}
		return nil
	})
	if v, err := exec.Command(bin, "report", "verify", report, "--state-dir", state).CombinedOutput(); err != nil {
		t.Errorf("report verify: %v\n%s", err, v)
	}
}

// TestAccessibleQuitAndResume: q quits with the progress saved (exit 0);
// RECLAIM_ACCESSIBLE=1 resumes it; the end of input quits the same way.
func TestAccessibleQuitAndResume(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	r := runAccessibleDriven(t, bin, nil, []string{"drill", "--accessible", "--state-dir", state}, func(out, prompt string) string { return "q" })
	if !strings.Contains(r.out, "Progress saved (incident ") || !strings.Contains(r.out, "reclaim drill --accessible") {
		t.Errorf("q did not say the progress is saved:\n%s", lastLines(r.out, 5))
	}
	if m, _ := filepath.Glob(filepath.Join(state, "incidents", "*", "state.json")); len(m) != 1 {
		t.Fatalf("state files: %v", m)
	}
	// The environment variable, no flag; standard input ends at once.
	cmd := exec.Command(bin, "drill", "--state-dir", state)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "RECLAIM_NO_KEYRING=1", "RECLAIM_DRILL_LATENCY=0", "RECLAIM_ACCESSIBLE=1"}
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	for _, want := range []string{"Resumed incident ", "Step 1 of 24: Triage: what happened", "End of input.", "Progress saved (incident "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the resumed run lacks %q:\n%s", want, out)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(state, "incidents", "*")); len(m) != 1 {
		t.Errorf("the drill was not resumed: %v", m)
	}
	// The root command's flag: the start screen as a numbered menu, and
	// the end of input leaves it (exit 0).
	cmd = exec.Command(bin, "--accessible", "--state-dir", state)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "RECLAIM_NO_KEYRING=1"}
	cmd.Stdin = strings.NewReader("")
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("reclaim --accessible: %v\n%s", err, out)
	}
	for _, want := range []string{"What do you want to do?\n  1. Resume: Drill", "Start a new drill", "Quit", "Choose 1-"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the start menu lacks %q:\n%s", want, out)
		}
	}
}

// TestAccessibleRealAccountEnterOnly: "reclaim" in accessible mode starts a
// recovery of a real account (the fake SendGrid API) from prompts, and an
// Enter-only run claims nothing on the owner's word.
func TestAccessibleRealAccountEnterOnly(t *testing.T) {
	bin := buildBinary(t)
	st, session := sgfake.Default(time.Now())
	f := sgfake.New(st)
	defer f.Close()
	state := t.TempDir()
	enter := enterOrApply(t)
	// RECLAIM_ACCESSIBLE=1 turns the start screen into prompts too.
	env := []string{"SENDGRID_API_KEY=" + session.Token, "RECLAIM_SENDGRID_BASE_URL=" + f.URL, "RECLAIM_ACCESSIBLE=1"}
	r := runAccessibleDriven(t, bin, env, []string{"--state-dir", state}, func(out, prompt string) string {
		if strings.HasPrefix(prompt, "Choose ") && !strings.Contains(prompt, "[Enter") {
			for _, label := range []string{"Twilio SendGrid", "Start a recovery on a real account"} {
				if m := regexp.MustCompile(`(?m)^  (\d+)\. ` + regexp.QuoteMeta(label) + `$`).FindStringSubmatch(lastLines(out, 12)); m != nil {
					return m[1]
				}
			}
			t.Errorf("no choice to make in:\n%s", lastLines(out, 12))
			return "q"
		}
		return enter(out, prompt)
	})
	if os.Getenv("RECLAIM_SHOW_ACCESSIBLE") != "" {
		fmt.Println(r.out)
	}
	report := accCheckOutput(t, r.out)
	accCheckNothingAttested(t, bin, state, report, r.out)
	if !strings.Contains(r.out, "Using the credential from the environment.") {
		t.Error("the credential was not taken from the environment")
	}
	if strings.Contains(r.out, session.Token) {
		t.Error("the API key is in the output")
	}
}

func TestAccessibleParseNumbers(t *testing.T) {
	for in, want := range map[string]string{"": "[]", "1": "[1]", "3, 1": "[3 1]", "2-4 4 1.": "[2 3 4 1]", "1;5": "[1 5]"} {
		got, err := parseNumbers(in, 5)
		if err != nil || fmt.Sprint(got) != want && !(want == "[]" && got == nil) {
			t.Errorf("parseNumbers(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"0", "6", "x", "4-2", "1-9"} {
		if _, err := parseNumbers(bad, 5); err == nil {
			t.Errorf("parseNumbers(%q) accepted", bad)
		}
	}
}
