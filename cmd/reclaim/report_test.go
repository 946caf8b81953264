package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/checklist/filing/mailpittest"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

// reportCLI runs the built binary with a private state dir and no keyring.
type reportCLI struct {
	t     *testing.T
	bin   string
	state string
	env   []string
}

func (c *reportCLI) run(args ...string) cliResult {
	c.t.Helper()
	cmd := exec.Command(c.bin, append(args, "--state-dir", c.state)...)
	cmd.Env = append(os.Environ(), append([]string{"RECLAIM_NO_KEYRING=1", "RECLAIM_DRILL_LATENCY=0"}, c.env...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, nil
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	return cliResult{code, out.String(), errb.String()}
}

func (c *reportCLI) journal() []checklist.JournalEntry {
	c.t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(c.state, "incidents", "*"))
	if len(dirs) != 1 {
		c.t.Fatalf("incidents: %v", dirs)
	}
	inc, err := checklist.LoadIncident(dirs[0])
	if err != nil {
		c.t.Fatal(err)
	}
	return inc.Journal
}

func TestReportCommandPrintsSendsAndVerifies(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "reclaim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	c := &reportCLI{t: t, bin: bin, state: t.TempDir()}
	if r := c.run("report"); r.code != exitError || !strings.Contains(r.stderr, "no incidents") {
		t.Fatalf("no incident: %+v", r)
	}
	if r := c.run("drill", "--autopilot"); r.code != 0 {
		t.Fatalf("drill: %+v", r)
	}
	dirs, _ := filepath.Glob(filepath.Join(c.state, "incidents", "*"))
	incDir := dirs[0]

	// Print, in each format, to stdout or a file; each verifies.
	r := c.run("report")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "# DRILL — account recovery report") || !strings.Contains(r.stdout, "reclaim-seal: v1 incident="+filepath.Base(incDir)) {
		t.Fatalf("report: %d %q %s", r.code, r.stdout[:min(200, len(r.stdout))], r.stderr)
	}
	for _, f := range []string{"md", "json", "html"} {
		out := filepath.Join(t.TempDir(), "report."+f)
		if r := c.run("report", "--incident", filepath.Base(incDir), "--format", f, "--output", out); r.code != 0 {
			t.Fatalf("--format %s: %+v", f, r)
		}
		if r := c.run("report", "verify", out); r.code != 0 || !strings.HasPrefix(r.stdout, "OK: ") {
			t.Fatalf("verify %s: %+v", f, r)
		}
		if st, _ := os.Stat(out); st.Mode().Perm() != 0o600 {
			t.Errorf("%s is %v, want 0600", out, st.Mode().Perm())
		}
	}
	if r := c.run("report", "--format", "pdf"); r.code != exitError {
		t.Errorf("--format pdf: %+v", r)
	}

	// The drill's provider takes tickets only in its console.
	r = c.run("report", "--send")
	if r.code != exitError || !strings.Contains(r.stdout, "https://support.sendgrid.com/hc/en-us") || !strings.Contains(r.stderr, "nothing sent") || strings.Contains(r.stdout, "\x1b]8;") {
		t.Fatalf("console-only --send: %+v", r)
	}
	if r := c.run("report", "--filed", "--ticket", "T-100"); r.code != 0 {
		t.Fatalf("--filed: %+v", r)
	}
	// The autopilot never signs: the re-judged report step stays open and
	// says the sign-off is missing.
	if j := c.journal(); j[len(j)-2].Action != checklist.ActionFileReport || j[len(j)-1].Action != checklist.ActionCompleteStep || j[len(j)-1].Outcome != "open" || !strings.Contains(j[len(j)-1].Detail, "no sign-off name") {
		t.Fatalf("--filed not journaled, or the report step not re-judged: %+v", j[len(j)-2:])
	}
	if r := c.run("report", "--copy"); r.code != exitError || !strings.Contains(r.stderr, "needs a terminal") {
		t.Errorf("--copy without a terminal: %+v", r)
	}

	// Server down: a clear message, the report kept, the attempt journaled.
	_ = os.Remove(filepath.Join(incDir, checklist.ReportMD))
	c.env = []string{"RECLAIM_SMTP_HOST=127.0.0.1", "RECLAIM_SMTP_PORT=" + strconv.Itoa(mailpittest.FreePort(t)), "RECLAIM_SMTP_TLS=none", "RECLAIM_SMTP_FROM=owner@acme.example", "RECLAIM_SMTP_PASSWORD=", "RECLAIM_SMTP_USER="}
	r = c.run("report", "--send", "--to", "support@provider.example")
	if r.code != exitError || !strings.Contains(r.stderr, "cannot reach the SMTP server 127.0.0.1:") || !strings.Contains(r.stderr, "kept at "+filepath.Join(incDir, checklist.ReportMD)) {
		t.Fatalf("server down: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(incDir, checklist.ReportMD)); err != nil {
		t.Fatal("the report is not on disk after a failed send")
	}
	if j := c.journal(); j[len(j)-1].Action != checklist.ActionSendReport || j[len(j)-1].Outcome != "failed" {
		t.Fatalf("failed send not journaled: %+v", j[len(j)-1])
	}
	// Plain text to a remote server is refused before connecting.
	c.env[0] = "RECLAIM_SMTP_HOST=smtp.example.com"
	if r := c.run("report", "--send", "--to", "support@provider.example"); r.code != exitError || !strings.Contains(r.stderr, "allowed only for a server on this machine") {
		t.Fatalf("none to remote: %+v", r)
	}

	// A real send through Mailpit on loopback.
	t.Run("send through mailpit", func(t *testing.T) {
		srv := mailpittest.Start(t, mailpittest.Options{AcceptAnyAuth: true})
		c.env = []string{"RECLAIM_SMTP_HOST=127.0.0.1", "RECLAIM_SMTP_PORT=" + strconv.Itoa(srv.SMTPPort), "RECLAIM_SMTP_TLS=none", "RECLAIM_SMTP_USER=owner@acme.example", "RECLAIM_SMTP_PASSWORD=loopback-only-pw", "RECLAIM_SMTP_FROM="}
		r := c.run("report", "--send", "--to", "support@provider.example")
		if r.code != 0 {
			t.Fatalf("send: %+v", r)
		}
		m := regexp.MustCompile(`Message-ID <([^>]+)>`).FindStringSubmatch(r.stdout)
		if m == nil {
			t.Fatalf("no Message-ID in %q", r.stdout)
		}
		ids := srv.Messages(t)
		if len(ids) != 1 || srv.Message(t, ids[0]).MessageID != m[1] {
			t.Fatalf("mailpit: %v", ids)
		}
		j := c.journal()
		if sent := j[len(j)-2]; sent.Action != checklist.ActionSendReport || sent.Outcome != "ok" || !strings.Contains(sent.Detail, "<"+m[1]+">") {
			t.Fatalf("send not journaled: %+v", sent)
		}
		if judged := j[len(j)-1]; judged.Action != checklist.ActionCompleteStep || judged.Outcome != "open" || !strings.Contains(judged.Detail, "no sign-off name") {
			t.Fatalf("the report step was not re-judged after the send: %+v", judged)
		}
		r = c.run("report", "verify", filepath.Join(incDir, checklist.ReportJSON))
		if r.code != 0 || !strings.Contains(r.stdout, "later entries") {
			t.Fatalf("verify after send: %+v", r)
		}
		for _, f := range []string{checklist.StateFile, checklist.ReportMD, checklist.ReportJSON, checklist.ReportHTML} {
			b, _ := os.ReadFile(filepath.Join(incDir, f))
			if bytes.Contains(b, []byte("loopback-only-pw")) {
				t.Errorf("%s holds the SMTP password", f)
			}
		}
	})

	// A changed journal fails verification with exit 2.
	stateFile := filepath.Join(incDir, checklist.StateFile)
	b, _ := os.ReadFile(stateFile)
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	raw["journal"].([]any)[2].(map[string]any)["detail"] = "nothing to see"
	b, _ = json.Marshal(raw)
	if err := os.WriteFile(stateFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r = c.run("report", "verify", filepath.Join(incDir, checklist.ReportMD))
	if r.code != exitError || !strings.Contains(r.stderr, "FAILED verification") || !strings.Contains(r.stderr, "altered") {
		t.Fatalf("tampered journal: %+v", r)
	}
}
