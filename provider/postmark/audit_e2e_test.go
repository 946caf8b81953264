package postmark_test

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

	"reclaim/provider/postmark/pmfake"
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

// runAudit runs `reclaim audit --provider postmark` against baseURL with
// the two token variables ("-" for one not given).
func runAudit(t *testing.T, bin, baseURL, accountToken, serverToken string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--state-dir", dir, "audit", "--provider", "postmark"}, args...)...)
	cmd.Env = append(os.Environ(), "POSTMARK_ACCOUNT_TOKEN="+accountToken, "POSTMARK_SERVER_TOKEN="+serverToken,
		"RECLAIM_POSTMARK_BASE_URL="+baseURL, "RECLAIM_NO_KEYRING=1", "HOME="+dir)
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

// TestAuditCommand runs `reclaim audit --provider postmark` (text and
// --json) against the fake's compromised account: the output names the
// findings (an attacker's webhook and inbound route, a foreign sender,
// the attacker's server and its phishing, the sending spike) and carries
// no token, no webhook credential and no raw escape.
func TestAuditCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildReclaim(t)
	st, s := pmfake.Default(time.Now())
	f := pmfake.New(st)
	defer f.Close()

	out, errOut, code := runAudit(t, bin, f.URL, s.AccountToken, "-")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings)\n%s\n%s", code, out, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit output:\n%s", out)
	}
	text := string(out)
	for _, want := range []string{
		"Postmark audit",
		"inbound.evil.example", "collector.evil.example", // the inbound route, the webhook
		"ceo@evil.example",                  // a foreign sender signature
		"mailer\uFFFD[31m\uFFFDloot (#103)", // the attacker's server, sanitized
		"billing@evil.example",              // its phishing
		"Sending spike",
		"Messages in the last 30 days: 5500",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	for _, b := range [][]byte{out, errOut} {
		if r, bad := unsafeRune(strings.ReplaceAll(string(b), "\n", " ")); bad {
			t.Errorf("output carries %U", r)
		}
	}
	noSecretsIn(t, st, "text output", out)

	out, errOut, code = runAudit(t, bin, f.URL, s.AccountToken, "-", "--json")
	if code != 1 {
		t.Fatalf("json: exit %d\n%s", code, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit --json:\n%s", out)
	}
	var doc struct {
		Provider  string `json:"provider"`
		Inventory struct {
			Subusers []struct{ Username string } `json:"subusers"`
			Webhooks []struct {
				ID, Kind, URL string
			} `json:"webhooks"`
		} `json:"inventory"`
		Findings []struct{ ID, Title string } `json:"findings"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Provider != "postmark" || len(doc.Inventory.Subusers) != 3 || len(doc.Inventory.Webhooks) != 4 || len(doc.Findings) < 5 {
		t.Errorf("JSON: %+v", doc)
	}
	noSecretsIn(t, st, "JSON output", out)

	// A dead token: exit 2, and the message says the token was refused.
	_, errOut, code = runAudit(t, bin, f.URL, pmfake.NewToken(), "-")
	if code != 2 || !strings.Contains(string(errOut), "refused") {
		t.Errorf("dead token: exit %d\n%s", code, errOut)
	}
	// Plain http to a remote host is refused before any token travels.
	_, errOut, code = runAudit(t, bin, "http://192.0.2.1:80", s.AccountToken, "-")
	if code != 2 || !strings.Contains(string(errOut), "plain http") {
		t.Errorf("non-loopback http: exit %d\n%s", code, errOut)
	}
}

func noSecretsIn(t *testing.T, st pmfake.State, what string, b []byte) {
	t.Helper()
	for _, tok := range allTokens(st) {
		if strings.Contains(string(b), tok) {
			t.Errorf("%s shows a token", what)
		}
	}
	for _, secret := range []string{"hunter2", "s3cret-pass", "header-secret"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("%s shows a webhook credential", what)
		}
	}
}
