package twilio_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/twilio"
	"reclaim/provider/twilio/twiliofake"
)

// buildReclaim builds the reclaim binary into a test directory.
func buildReclaim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reclaim")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", bin, "reclaim/cmd/reclaim").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runAudit runs `reclaim audit --provider twilio` against baseURL with the
// credential in the environment (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN).
func runAudit(t *testing.T, bin, baseURL, sid, token string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--state-dir", dir, "audit", "--provider", "twilio"}, args...)...)
	cmd.Env = append(os.Environ(), twilio.AccountSIDEnv+"="+sid, twilio.AuthTokenEnv+"="+token, twilio.BaseURLEnv+"="+baseURL, "RECLAIM_NO_KEYRING=1", "HOME="+dir)
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

// secretsOf lists every secret the fake account holds.
func secretsOf(st twiliofake.State) []string {
	out := []string{st.Account.Token}
	for _, k := range st.Keys {
		out = append(out, k.Secret)
	}
	for _, a := range st.Subaccounts {
		out = append(out, a.Token) // Twilio returns them in the account listing
	}
	return out
}

// TestAuditCommand runs `reclaim audit --provider twilio` (text and JSON)
// against the fake's compromised account: the output names the findings,
// carries no character a terminal acts on, and no secret (not even the
// subaccounts' auth tokens Twilio puts in the account listing).
func TestAuditCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildReclaim(t)
	st := twiliofake.Default(time.Now())
	srv := fake(t, st)

	out, errOut, code := runAudit(t, bin, srv.URL, st.Account.SID, st.Account.Token)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings)\n%s\n%s", code, out, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit output:\n%s", out)
	}
	for _, b := range [][]byte{out, errOut} {
		if r, bad := unsafeRune(strings.ReplaceAll(string(b), "\n", "")); bad {
			t.Fatalf("output carries %U:\n%q", r, b)
		}
	}
	text := string(out)
	for _, want := range []string{
		"Twilio audit",
		"Account: Acme Notifications",
		"deploy\uFFFD[2J\uFFFD[31m-prod\uFFFDgpj.exe (id " + st.Keys[2].SID + ", sub-key, created 2 days ago)", // the attacker's key
		"prod-sms (id " + st.Keys[0].SID + ", full access",
		"spam sender (id " + st.Keys[4].SID + ", sub-key, subuser " + st.Subaccounts[1].SID,
		st.Subaccounts[1].SID + " (sp\uFFFD]0;pwned\uFFFDam\uFFFDbot)",
		"parse https://collector.evil.example/sms?\uFFFD[1mx",
		"198.51.100.23 Console and API: 3 (allowed)",
		"[high] Key \"deploy\uFFFD[2J\uFFFD[31m-prod\uFFFDgpj.exe\" was created 2 days ago",
		"[high] Subuser \"" + st.Subaccounts[1].SID + " (sp\uFFFD]0;pwned\uFFFDam\uFFFDbot)\" created 3 days ago",
		"[high] Access from a new address 198.51.100.23 (Console and API)",
		"[medium] Key \"prod-sms\" has full access",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	for _, s := range secretsOf(st) {
		if bytes.Contains(out, []byte(s)) || bytes.Contains(errOut, []byte(s)) {
			t.Fatalf("a secret is in the output")
		}
	}

	out, errOut, code = runAudit(t, bin, srv.URL, st.Account.SID, st.Account.Token, "--json")
	if code != 1 {
		t.Fatalf("json: exit %d\n%s", code, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit --json output:\n%s", out)
	}
	if r, bad := unsafeRune(strings.ReplaceAll(string(out), "\n", "")); bad {
		t.Fatalf("JSON output carries a raw %U", r)
	}
	for _, s := range secretsOf(st) {
		if bytes.Contains(out, []byte(s)) {
			t.Fatalf("a secret is in the JSON output")
		}
	}
	var doc struct {
		Provider  string `json:"provider"`
		Inventory struct {
			Keys     []provider.APIKey      `json:"keys"`
			Webhooks []provider.Webhook     `json:"webhooks"`
			Activity []provider.AccessEvent `json:"activity"`
			Read     []string               `json:"read"`
		} `json:"inventory"`
		Findings []struct {
			ID string `json:"id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range doc.Inventory.Keys {
		found = found || k.Name == twiliofake.HostileKeyName
	}
	if doc.Provider != "twilio" || !found || len(doc.Inventory.Webhooks) != 5 || len(doc.Findings) < 5 || len(doc.Inventory.Read) != 6 {
		t.Errorf("JSON lost data: %s", fmt.Sprint(doc))
	}

	// Twilio's API names no domain of the account: with the owner's own
	// (--domain) the numbers' webhooks to other hosts become findings, and
	// the auth token is listed as an account secret.
	dout, _, code := runAudit(t, bin, srv.URL, st.Account.SID, st.Account.Token, "--domain", "acme.example")
	if code != 1 {
		t.Fatalf("--domain audit: exit %d", code)
	}
	for _, want := range []string{`posts to an unfamiliar host "collector.evil.example"`, `posts to an unfamiliar host "voice.evil.example"`, "Account secrets (1):", "reclaim is connected with it"} {
		if !strings.Contains(string(dout), want) {
			t.Errorf("--domain audit lacks %q:\n%s", want, dout)
		}
	}
	if strings.Contains(string(dout), `unfamiliar host "hooks.acme.example"`) || strings.Contains(string(dout), "No account domain is known") {
		t.Errorf("--domain audit flags the owner's own domain, or still knows none:\n%s", dout)
	}

	// A refused token: exit 2 and the reason; plain http off loopback: refused.
	_, errOut, code = runAudit(t, bin, srv.URL, st.Account.SID, twiliofake.Token())
	if code != 2 || !strings.Contains(string(errOut), "refused") {
		t.Errorf("bad token: exit %d\n%s", code, errOut)
	}
	_, errOut, code = runAudit(t, bin, "http://192.0.2.1:80", st.Account.SID, st.Account.Token)
	if code != 2 || !strings.Contains(string(errOut), "plain http") {
		t.Errorf("non-loopback http: exit %d\n%s", code, errOut)
	}
	// A clean account: exit 0.
	clean := twiliofake.Clean(time.Now())
	csrv := fake(t, clean)
	out, errOut, code = runAudit(t, bin, csrv.URL, clean.Account.SID, clean.Account.Token)
	if code != 0 {
		t.Errorf("clean account: exit %d\n%s\n%s", code, out, errOut)
	}
}
