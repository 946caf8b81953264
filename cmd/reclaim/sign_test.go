package main

import (
	"encoding/json"
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

// sshKeygen makes a key with OpenSSH's ssh-keygen.
func sshKeygen(t *testing.T, file, passphrase string, args ...string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", append([]string{"-q", "-N", passphrase, "-C", "owner@acme.example", "-f", file}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
}

// runPrintedVerify runs, in dir, the allowed_signers line and the ssh-keygen
// command reclaim printed for name.
func runPrintedVerify(t *testing.T, printed, dir, name string) {
	t.Helper()
	echo := regexp.MustCompile(`(?m)^  (echo .* > allowed_signers)$`).FindStringSubmatch(printed)
	verify := regexp.MustCompile(`(?m)^  (ssh-keygen -Y verify .* < ` + regexp.QuoteMeta(name) + `)$`).FindStringSubmatch(printed)
	if echo == nil || verify == nil {
		t.Fatalf("no verify command for %s in:\n%s", name, printed)
	}
	want := "ssh-keygen -Y verify -f allowed_signers -I owner -n reclaim-report -s " + name + ".sig < " + name
	if verify[1] != want {
		t.Errorf("printed %q, want %q", verify[1], want)
	}
	cmd := exec.Command("sh", "-c", echo[1]+" && "+verify[1])
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `Good "reclaim-report" signature for owner`) {
		t.Fatalf("the printed command fails: %v\n%s\n%s", err, out, printed)
	}
}

func TestReportSignVerifyAndDryRunSend(t *testing.T) {
	needTool(t, "ssh-keygen")
	c := &reportCLI{t: t, bin: buildBinary(t), state: t.TempDir()}
	if r := c.run("drill", "--autopilot"); r.code != 0 {
		t.Fatalf("drill: %+v", r)
	}
	dirs, _ := filepath.Glob(filepath.Join(c.state, "incidents", "*"))
	incDir := dirs[0]

	keys := t.TempDir()
	key := filepath.Join(keys, "id_ed25519")
	sshKeygen(t, key, "correct horse", "-t", "ed25519")
	other := filepath.Join(keys, "id_other")
	sshKeygen(t, other, "", "-t", "ecdsa")

	// --sign needs files to sign.
	if r := c.run("report", "--sign", key); r.code != exitError || !strings.Contains(r.stderr, "--output") {
		t.Errorf("--sign to stdout: %+v", r)
	}
	// An encrypted key: no terminal and no RECLAIM_SIGN_PASSPHRASE, or a
	// wrong one, writes nothing.
	out := t.TempDir()
	md := filepath.Join(out, "report.md")
	c.env = []string{"RECLAIM_SIGN_PASSPHRASE="}
	if r := c.run("report", "--output", md, "--sign", key); r.code != exitError || !strings.Contains(r.stderr, "RECLAIM_SIGN_PASSPHRASE") {
		t.Errorf("encrypted key without a passphrase: %+v", r)
	}
	c.env = []string{"RECLAIM_SIGN_PASSPHRASE=wrong"}
	if r := c.run("report", "--output", md, "--sign", key); r.code != exitError || !strings.Contains(r.stderr, "wrong passphrase") {
		t.Errorf("wrong passphrase: %+v", r)
	}
	if _, err := os.Stat(md); err == nil {
		t.Fatal("a report was written although the key could not be read")
	}
	if r := c.run("report", "--output", md, "--sign", key+".pub"); r.code != exitError || !strings.Contains(r.stderr, "public key") {
		t.Errorf("--sign with a .pub: %+v", r)
	}

	// Sign md and json; the printed command verifies with stock OpenSSH.
	c.env = []string{"RECLAIM_SIGN_PASSPHRASE=correct horse"}
	js := filepath.Join(out, "report.json")
	r := c.run("report", "--output", md, "--sign", key)
	if r.code != 0 {
		t.Fatalf("--sign: %+v", r)
	}
	runPrintedVerify(t, r.stderr, out, "report.md")
	if r := c.run("report", "--format", "json", "--output", js, "--sign", key); r.code != 0 {
		t.Fatalf("--sign json: %+v", r)
	}
	if st, err := os.Stat(md + ".sig"); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("report.md.sig: %v %v", st, err)
	}

	// reclaim report verify --signer: a .pub, or the allowed_signers file.
	r = c.run("report", "verify", md, "--signer", key+".pub")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "OK: ") || !strings.Contains(r.stdout, "OK: "+md+".sig is signed by ssh-ed25519 key SHA256:") {
		t.Fatalf("verify --signer: %+v", r)
	}
	r = c.run("report", "verify", md, "--signer", filepath.Join(out, "allowed_signers"))
	if r.code != 0 || !strings.Contains(r.stdout, "(owner)") {
		t.Fatalf("verify --signer allowed_signers: %+v", r)
	}
	// Another key, another file's signature, a damaged or missing one: exit 2.
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"another key":    {[]string{"--signer", other + ".pub"}, "not an allowed signer"},
		"other file":     {[]string{"--signer", key + ".pub", "--sig", js + ".sig"}, "does not match"},
		"missing":        {[]string{"--signer", key + ".pub", "--sig", filepath.Join(out, "nope.sig")}, "no signature"},
		"malformed":      {[]string{"--signer", key + ".pub", "--sig", js}, "not a valid SSH signature"},
		"--sig alone":    {[]string{"--sig", md + ".sig"}, "--sig goes with --signer"},
		"signer not key": {[]string{"--signer", md}, "--signer"},
	} {
		r := c.run(append([]string{"report", "verify", md}, tc.args...)...)
		if r.code != exitError || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: want exit 2 and %q: %+v", name, tc.want, r)
		}
	}
	// Without --signer, verify does what it always did.
	if r := c.run("report", "verify", js); r.code != 0 || strings.Contains(r.stdout, "signed") {
		t.Errorf("verify without --signer: %+v", r)
	}
	_ = os.Remove(md + ".sig")
	if r := c.run("report", "verify", md, "--signer", key+".pub"); r.code != exitError || !strings.Contains(r.stderr, "no signature") {
		t.Errorf("missing FILE.sig: %+v", r)
	}

	// --filed --sign signs report.md, report.json and report.html in the
	// incident folder; ssh-keygen verifies each with the printed command.
	c.env = nil
	r = c.run("report", "--filed", "--ticket", "T-101", "--sign", other)
	if r.code != 0 {
		t.Fatalf("--filed --sign: %+v", r)
	}
	for _, name := range []string{checklist.ReportMD, checklist.ReportJSON, checklist.ReportHTML} {
		runPrintedVerify(t, r.stdout, incDir, name)
		if r := c.run("report", "verify", filepath.Join(incDir, name), "--signer", other+".pub"); r.code != 0 {
			t.Errorf("verify %s: %+v", name, r)
		}
	}

	t.Run("DryRun send refused", func(t *testing.T) {
		c := &reportCLI{t: t, bin: c.bin, state: t.TempDir()}
		if r := c.run("drill", "--autopilot", "--dry-run"); r.code != 0 {
			t.Fatalf("drill --dry-run: %+v", r)
		}
		dirs, _ := filepath.Glob(filepath.Join(c.state, "incidents", "*"))
		stateFile := filepath.Join(dirs[0], checklist.StateFile)
		if inc, err := checklist.LoadIncident(dirs[0]); err != nil {
			t.Fatal(err)
		} else if !inc.DryRun {
			// Until drill --dry-run records it, mark the incident by hand.
			b, _ := os.ReadFile(stateFile)
			var raw map[string]any
			if err := json.Unmarshal(b, &raw); err != nil {
				t.Fatal(err)
			}
			raw["dry_run"] = true
			b, _ = json.Marshal(raw)
			if err := os.WriteFile(stateFile, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		before := len(c.journal())
		// Nothing listens on the port: had the send been tried, it would
		// fail with "cannot reach the SMTP server" and a journal entry.
		c.env = []string{"RECLAIM_SMTP_HOST=127.0.0.1", "RECLAIM_SMTP_PORT=" + strconv.Itoa(mailpittest.FreePort(t)), "RECLAIM_SMTP_TLS=none", "RECLAIM_SMTP_USER=", "RECLAIM_SMTP_PASSWORD=", "RECLAIM_SMTP_FROM=owner@acme.example"}
		r := c.run("report", "--send", "--to", "support@provider.example")
		if r.code != exitError || !strings.Contains(r.stderr, "this incident was a dry run: nothing was changed on the account, so its report cannot be sent to support") {
			t.Fatalf("dry-run --send: %+v", r)
		}
		if n := len(c.journal()); n != before {
			t.Errorf("the refused send was journaled (%d -> %d entries)", before, n)
		}
		if r := c.run("report", "--send", "--filed", "--ticket", "T-102", "--to", "support@provider.example"); r.code != exitError || !strings.Contains(r.stderr, "dry run") {
			t.Errorf("dry-run --send --filed: %+v", r)
		}
		if n := len(c.journal()); n != before {
			t.Errorf("the refused send was journaled (%d -> %d entries)", before, n)
		}
		// Printing it still works.
		if r := c.run("report"); r.code != 0 {
			t.Errorf("report of a dry run: %+v", r)
		}
	})
}
