package mailgun_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/mailgun/mgfake"
)

// buildReclaim builds the reclaim binary into a test directory.
func buildReclaim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reclaim")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, "reclaim/cmd/reclaim")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runAudit runs `reclaim audit --provider mailgun` against baseURL.
func runAudit(t *testing.T, bin, baseURL, key string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--state-dir", dir, "audit", "--provider", "mailgun"}, args...)...)
	cmd.Env = append(os.Environ(), "MAILGUN_API_KEY="+key, "RECLAIM_MAILGUN_BASE_URL="+baseURL, "MAILGUN_REGION=", "RECLAIM_NO_KEYRING=1", "HOME="+dir)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatal(err)
	}
	return o.Bytes(), e.Bytes(), code
}

// TestAudit runs the real binary against the fake's compromised account:
// the text names the findings (the attacker's key, the foreign forwarding
// route and webhook, the archive URL), the JSON carries the inventory
// (users' 2FA state included), nothing unsafe reaches the terminal, and no
// secret appears in either.
func TestAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildReclaim(t)
	st, session := mgfake.Default(time.Now())
	f := mgfake.New(st)
	defer f.Close()
	var secrets []string
	for _, k := range st.Keys {
		secrets = append(secrets, k.Secret)
	}
	for _, c := range st.Domains[0].Credentials {
		secrets = append(secrets, c.Password)
	}
	secrets = append(secrets, st.SigningKey)

	out, errOut, code := runAudit(t, bin, f.URL, session.Secret)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings)\n%s\n%s", code, out, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit output:\n%s", out)
	}
	for _, b := range [][]byte{out, errOut} {
		if r, bad := unsafe(strings.ReplaceAll(string(b), "\n", "")); bad {
			t.Fatalf("output carries %U:\n%q", r, b)
		}
	}
	text := string(out)
	for _, want := range []string{
		"Mailgun audit",
		"deploy\uFFFD[2J\uFFFD[31m-prod\uFFFDgpj.exe", // the attacker's key, defused
		"route mailto:m4llory@evil.example",
		"route https://inbound.evil.example/mime",
		"event https://collector.evil.example/track",
		"event https://archive.evil.example/store",
		"domain acme-billing.example",
		"Messages in the last 30 days: 1200",
		"Verify your account now",
		"m4llory@evil.example", // the user without 2FA
		"Findings (",
		"forwards mail to a foreign address \"m4llory@evil.example\"",
		"forwards mail to a foreign address \"inbound.evil.example\"",
		"unfamiliar host \"collector.evil.example\"",
		"unfamiliar host \"archive.evil.example\"",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	for _, s := range secrets {
		if strings.Contains(text, s) || strings.Contains(string(errOut), s) {
			t.Fatalf("a secret is in the output")
		}
	}

	out, errOut, code = runAudit(t, bin, f.URL, session.Secret, "--json")
	if code != 1 {
		t.Fatalf("json: exit %d\n%s", code, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit JSON:\n%s", out)
	}
	if r, bad := unsafe(strings.ReplaceAll(string(out), "\n", "")); bad {
		t.Fatalf("JSON output carries a raw %U", r)
	}
	for _, s := range secrets {
		if strings.Contains(string(out), s) {
			t.Fatalf("a secret is in the JSON output")
		}
	}
	var doc struct {
		Inventory struct {
			Keys      []provider.APIKey   `json:"keys"`
			Teammates []provider.Teammate `json:"teammates"`
			Webhooks  []provider.Webhook  `json:"webhooks"`
		} `json:"inventory"`
		Findings []struct {
			Title  string `json:"title"`
			Target struct {
				Kind, ID string
			} `json:"target"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range doc.Inventory.Keys {
		found = found || k.Name == mgfake.EscName
	}
	no2FA := 0
	for _, u := range doc.Inventory.Teammates {
		if u.TwoFactor == provider.TwoFactorOff {
			no2FA++
		}
	}
	routes := 0
	for _, w := range doc.Inventory.Webhooks {
		if w.Kind == provider.WebhookRoute {
			routes++
		}
	}
	if !found || no2FA != 2 || routes != 3 || len(doc.Findings) < 5 {
		t.Fatalf("JSON lost data: key found %v, %d users without 2FA, %d route targets, %d findings", found, no2FA, routes, len(doc.Findings))
	}

	// A refused key: exit 2 with the region hint; plain http elsewhere:
	// refused before any request.
	_, errOut, code = runAudit(t, bin, f.URL, "key-"+strings.Repeat("0", 32))
	if code != 2 || !strings.Contains(string(errOut), "refused") {
		t.Fatalf("bad key: exit %d\n%s", code, errOut)
	}
	_, errOut, code = runAudit(t, bin, "http://192.0.2.1:80", session.Secret)
	if code != 2 || !strings.Contains(string(errOut), "plain http") {
		t.Fatalf("non-loopback http: exit %d\n%s", code, errOut)
	}
}

// A clean account exits 0.
func TestAuditClean(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildReclaim(t)
	st, session := mgfake.Clean(time.Now(), 40)
	f := mgfake.New(st)
	defer f.Close()
	out, errOut, code := runAudit(t, bin, f.URL, session.Secret)
	if code != 0 {
		t.Fatalf("clean account: exit %d\n%s\n%s", code, out, errOut)
	}
}
