package sendgrid_test

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
	"reclaim/provider/sendgrid/sgfake"
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

// runAudit runs `reclaim audit --provider sendgrid` against baseURL.
func runAudit(t *testing.T, bin, baseURL, key string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--state-dir", dir, "audit", "--provider", "sendgrid"}, args...)...)
	cmd.Env = append(os.Environ(), "SENDGRID_API_KEY="+key, "RECLAIM_SENDGRID_BASE_URL="+baseURL, "RECLAIM_NO_KEYRING=1", "HOME="+dir)
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

// unsafeText returns the first character a terminal would act on: escape
// and control characters, bidi overrides, invisible format characters.
func unsafeText(b []byte) (rune, bool) {
	for _, r := range string(b) {
		if r == '\n' {
			continue
		}
		if string(r) != provider.Sanitize(string(r)) {
			return r, true
		}
	}
	return 0, false
}

// TestAuditOutputIsSanitized proves end to end that every string the
// provider sends (key names, teammate names, webhook URLs, locations,
// subjects carrying escapes, control characters and bidi overrides) reaches
// `reclaim audit` output harmless, in text and in JSON.
func TestAuditOutputIsSanitized(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildReclaim(t)
	st, session := sgfake.Default(time.Now())
	f := sgfake.New(st)
	defer f.Close()

	out, errOut, code := runAudit(t, bin, f.URL, session.Token)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings)\n%s\n%s", code, out, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit output:\n%s", out)
	}
	if r, bad := unsafeText(out); bad {
		t.Fatalf("text output carries %U:\n%q", r, out)
	}
	if r, bad := unsafeText(errOut); bad {
		t.Fatalf("stderr carries %U:\n%q", r, errOut)
	}
	text := string(out)
	for _, want := range []string{
		"deploy\uFFFD[2J\uFFFD[31m-prod\uFFFDgpj.exe", // key name
		"mallory\uFFFD\uFFFD]0;pwned\uFFFD",           // teammate
		"collector.evil.example/hook?\uFFFD[1mx",      // webhook URL
		"parse.evil.example/\uFFFDinbound",            // parse URL
		"spam\uFFFDbot",                               // subuser
		"Messages in the last 30 days: 2500",
		"What this key allows",
		"[ok] list API keys and their scopes",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q", want)
		}
	}

	out, errOut, code = runAudit(t, bin, f.URL, session.Token, "--json")
	if code != 1 {
		t.Fatalf("json: exit %d\n%s", code, errOut)
	}
	if r, bad := unsafeText(out); bad {
		t.Fatalf("JSON output carries a raw %U", r)
	}
	var doc struct {
		Inventory struct {
			Keys []provider.APIKey `json:"keys"`
		} `json:"inventory"`
		Permissions *provider.PermissionReport `json:"permissions"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range doc.Inventory.Keys {
		found = found || k.Name == "deploy\x1b[2J\x1b[31m-prod\u202egpj.exe"
	}
	if !found || doc.Permissions == nil || len(doc.Permissions.Items) == 0 {
		t.Errorf("JSON lost data: keys %+v, permissions %v", doc.Inventory.Keys, doc.Permissions)
	}
}

func TestAuditExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildReclaim(t)
	st, session := sgfake.Big(time.Now(), 2, 3, 2, 50)
	f := sgfake.New(st)
	defer f.Close()
	out, errOut, code := runAudit(t, bin, f.URL, session.Token)
	if code != 0 {
		t.Fatalf("clean account: exit %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = runAudit(t, bin, f.URL, sgfake.NewKey("revoked").Token)
	if code != 2 || !strings.Contains(string(errOut), "refused") {
		t.Fatalf("bad key: exit %d\n%s", code, errOut)
	}
	_, errOut, code = runAudit(t, bin, "http://192.0.2.1:80", session.Token)
	if code != 2 || !strings.Contains(string(errOut), "plain http") {
		t.Fatalf("non-loopback http: exit %d\n%s", code, errOut)
	}
}
