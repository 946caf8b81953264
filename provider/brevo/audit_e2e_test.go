package brevo_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"reclaim/provider/brevo/bvfake"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildOut  []byte
)

// buildReclaim builds the reclaim binary once per test run.
func buildReclaim(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "reclaim-brevo-bin")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "reclaim")
		if runtime.GOOS == "windows" {
			builtBin += ".exe"
		}
		buildOut, buildErr = exec.Command("go", "build", "-o", builtBin, "reclaim/cmd/reclaim").CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, buildOut)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBin != "" {
		os.RemoveAll(filepath.Dir(builtBin))
	}
	os.Exit(code)
}

// runAudit runs `reclaim audit --provider brevo` against baseURL with key
// in BREVO_API_KEY.
func runAudit(t *testing.T, bin, baseURL, key string, args ...string) (stdout, stderr []byte, code int) {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(bin, append([]string{"--state-dir", dir, "audit", "--provider", "brevo"}, args...)...)
	cmd.Env = append(os.Environ(), "BREVO_API_KEY="+key, "RECLAIM_BREVO_BASE_URL="+baseURL, "RECLAIM_NO_KEYRING=1", "HOME="+dir)
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

// TestAuditCommand runs the real binary against the fake's compromised
// account: the text and the JSON name the findings, exit 1, and neither
// holds the key.
func TestAuditCommand(t *testing.T) {
	bin := buildReclaim(t)
	st, key := bvfake.Default(time.Now())
	f := bvfake.New(st)
	defer f.Close()

	out, errOut, code := runAudit(t, bin, f.URL, key)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings)\n%s\n%s", code, out, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit:\n%s", out)
	}
	text := string(out)
	for _, want := range []string{
		"Brevo audit",
		"Account: owner@acme.example <owner@acme.example>",
		"mallory@evil.example> (admin)",
		"<trent@evil.example> (pending invite)",
		"event https://collector.evil.example/hook",
		"parse https://parse.evil.example/inbound",
		"single billing@acme-payments.example",
		"203.0.113.66 user mallory@evil.example, owner@acme.example: 3 (allowed)",
		"Messages in the last 30 days: 150",
		"120 × Verify your account now",
		"not available on this Brevo plan",
		"Not available through Brevo's API: API keys",
		`[medium] Admin teammate "mallory@evil.example" has an outside address`,
		`[high] Event webhook posts to an unfamiliar host "collector.evil.example"`,
		`[high] Inbound-parse route for reply.acme.example posts to an unfamiliar host "parse.evil.example"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q", want)
		}
	}
	for _, o := range [][]byte{out, errOut} {
		if bytes.Contains(o, []byte(key)) || bytes.Contains(o, []byte("xkeysib-")) {
			t.Fatal("the key appears in the output")
		}
	}

	out, errOut, code = runAudit(t, bin, f.URL, key, "--json")
	if code != 1 {
		t.Fatalf("json: exit %d\n%s", code, errOut)
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("audit --json:\n%s", out)
	}
	if bytes.Contains(out, []byte(key)) || bytes.Contains(out, []byte("xkeysib-")) {
		t.Fatal("the key appears in the JSON")
	}
	var doc struct {
		Provider  string `json:"provider"`
		Inventory struct {
			Teammates []struct {
				Email string `json:"email"`
				Admin bool   `json:"admin"`
			} `json:"teammates"`
			Webhooks []struct {
				ID, Kind, URL string
			} `json:"webhooks"`
			Read   []string          `json:"read"`
			Errors map[string]string `json:"errors"`
		} `json:"inventory"`
		Findings []struct {
			ID string `json:"id"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, f := range doc.Findings {
		ids[f.ID] = true
	}
	if doc.Provider != "brevo" || len(doc.Inventory.Teammates) != 4 || len(doc.Inventory.Webhooks) != 3 ||
		!ids["teammate-outside-admin:mallory@evil.example"] || !ids["parse-outside:103"] || !ids["webhook-outside:102"] || !ids["invite-outside:trent@evil.example"] {
		t.Errorf("JSON: %+v, findings %v", doc.Inventory, ids)
	}
}

// TestAuditCommandHostile: every attacker string reaches the audit's text
// and JSON harmless.
func TestAuditCommandHostile(t *testing.T) {
	bin := buildReclaim(t)
	st, key := bvfake.Hostile(time.Now())
	f := bvfake.New(st)
	defer f.Close()
	for _, args := range [][]string{nil, {"--json"}} {
		out, errOut, code := runAudit(t, bin, f.URL, key, args...)
		if code != 1 {
			t.Fatalf("%v: exit %d\n%s", args, code, errOut)
		}
		for _, o := range [][]byte{out, errOut} {
			for _, line := range strings.Split(string(o), "\n") {
				if r, bad := unsafeRune(line); bad {
					t.Fatalf("%v: output carries %U: %q", args, r, line[:min(len(line), 200)])
				}
			}
		}
		if !bytes.Contains(out, []byte("mallory@evil.example")) {
			t.Errorf("%v: the hostile user is missing", args)
		}
	}
}

// TestAuditCommandErrors: a refused key exits 2 saying so; a plain-http
// base URL off loopback is refused before any request.
func TestAuditCommandErrors(t *testing.T) {
	bin := buildReclaim(t)
	st, _ := bvfake.Default(time.Now())
	f := bvfake.New(st)
	defer f.Close()
	_, errOut, code := runAudit(t, bin, f.URL, bvfake.NewKey(404))
	if code != 2 || !strings.Contains(string(errOut), "refused") {
		t.Fatalf("bad key: exit %d\n%s", code, errOut)
	}
	// A key Brevo refuses from this address (authorised IPs) is not called
	// refused: the audit says which page authorises the address.
	blocked := bvfake.NewKey(405)
	f.Mu.Lock()
	f.St.BlockedKeys = []string{blocked}
	f.Mu.Unlock()
	_, errOut, code = runAudit(t, bin, f.URL, blocked)
	if code != 2 || !strings.Contains(string(errOut), "https://app.brevo.com/security/authorised_ips") || strings.Contains(string(errOut), "refused the key") {
		t.Fatalf("IP-blocked key: exit %d\n%s", code, errOut)
	}
	_, errOut, code = runAudit(t, bin, "http://192.0.2.1:80", bvfake.NewKey(1))
	if code != 2 || !strings.Contains(string(errOut), "plain http") {
		t.Fatalf("non-loopback http: exit %d\n%s", code, errOut)
	}
}
