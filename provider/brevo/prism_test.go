package brevo_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/brevo"
	"reclaim/provider/brevo/bvfake"
)

// need reports a missing tool: a skip normally, a failure under
// RECLAIM_E2E=1 (CI), where every tool must be there.
func need(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("RECLAIM_E2E") == "1" {
		t.Fatal(msg + " (RECLAIM_E2E=1: a missing tool fails the run)")
	}
	t.Skip(msg)
}

// findPrism returns the Prism binary: $RECLAIM_PRISM, the cache
// .ci/install-prism.sh fills, or prism on PATH.
func findPrism() string {
	if p := os.Getenv("RECLAIM_PRISM"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	if p := filepath.Join(cache, "reclaim-prism", "node_modules", ".bin", "prism"); fileExists(p) {
		return p
	}
	p, _ := exec.LookPath("prism")
	return p
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

type lineLog struct {
	mu    sync.Mutex
	lines []string
}

func (b *lineLog) add(s string) {
	b.mu.Lock()
	b.lines = append(b.lines, s)
	b.mu.Unlock()
}

func (b *lineLog) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// specDefects are the response violations Prism reports against Brevo's
// own spec examples (the examples contradict their schemas); they say
// nothing about reclaim's requests. Any other response violation fails the
// test, as does every request violation.
var specDefects = []string{
	"Response body property users.N.is_owner must be string",                                                      // the example sends a boolean
	"Response body property users.N.groups must be object",                                                        // /corporate/invited/users: an array in the example
	"Response body property webhooks.N.type must be equal to one of the allowed values: marketing, transactional", // type=inbound's example
	"Response body must have required property 'email'",                                                           // invitation revoke/cancel examples
}

// TestPrismContract runs `reclaim audit --provider brevo --json` (the full
// read-only audit), then every call the adapter can make that the audit
// does not (the SMTP login read, the key check, user removals, a webhook
// deletion), against Prism 5.14.2 serving the official Swagger 2.0 spec,
// and fails on any request Prism reports as breaking the contract (an
// sl-violations entry about the request, a 422 it generated, a validator
// error about the request in its log). Prism serves Swagger 2.0 paths
// without the /v3 basePath, so the base URL is Prism's root.
//
// Prism runs without --errors: with it, Prism answers 500 wherever the
// spec's own example breaks the spec's schema (specDefects), and the audit
// would not get past them; request violations are caught either way.
func TestPrismContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism (about 15 s)")
	}
	specs := os.Getenv("RECLAIM_SPECS_DIR")
	if specs == "" {
		specs = filepath.Join("..", "..", "..", "shared", "specs")
	}
	spec, _ := filepath.Abs(filepath.Join(specs, "brevo", "swagger.yaml"))
	if !fileExists(spec) {
		need(t, "the Brevo spec %s is missing (../shared/specs beside the repository, or set RECLAIM_SPECS_DIR)", spec)
	}
	prism := findPrism()
	if prism == "" {
		need(t, "Prism (@stoplight/prism-cli 5.14.2) is not installed: run .ci/install-prism.sh or set RECLAIM_PRISM")
	}
	if _, err := exec.LookPath("node"); err != nil {
		need(t, "node is not installed (Prism needs node >= 18.20)")
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, prism, "mock", "-h", "127.0.0.1", "-p", fmt.Sprint(port), spec)
	cmd.Env = append(os.Environ(), "SCARF_ANALYTICS=false", "NO_COLOR=1", "FORCE_COLOR=0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var log lineLog
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			log.add(sc.Text())
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start Prism: %v", err)
	}
	defer func() {
		cancel()
		_ = cmd.Wait()
		pw.Close()
	}()
	prismURL := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequest("GET", prismURL+"/account", nil)
		req.Header.Set("api-key", "probe")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("Prism did not start:\n%s", strings.Join(log.all(), "\n"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	started := len(log.all())

	// A recording proxy in front of Prism collects its sl-violations.
	target, _ := url.Parse(prismURL)
	var mu sync.Mutex
	var violations, seen []string
	defects := map[string]int{}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		line := r.Method + " " + r.URL.Path
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s -> %d", line, resp.StatusCode))
		if v := resp.Header.Get("sl-violations"); v != "" {
			var vs []struct {
				Location []string `json:"location"`
				Message  string   `json:"message"`
			}
			if err := json.Unmarshal([]byte(v), &vs); err != nil {
				violations = append(violations, line+": unreadable sl-violations "+v)
			}
			for _, x := range vs {
				msg := normalize(x.Message)
				if len(x.Location) > 0 && x.Location[0] == "response" && isDefect(msg) {
					defects[msg]++
					continue
				}
				violations = append(violations, line+": "+strings.Join(x.Location, ".")+": "+x.Message)
			}
		}
		if resp.StatusCode == http.StatusUnprocessableEntity && strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
			violations = append(violations, line+": Prism generated a 422 (invalid request)")
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	defer front.Close()
	key := bvfake.NewKey(5)

	bin := buildReclaim(t)
	out, errOut, code := runAudit(t, bin, front.URL, key, "--json")
	if code != 0 && code != 1 {
		t.Errorf("audit exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var doc struct {
		Inventory struct {
			Read   []string          `json:"read"`
			Errors map[string]string `json:"errors"`
		} `json:"inventory"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatalf("audit JSON: %v\n%s", err, out)
	}
	// Against the spec's examples, every section the adapter reads is read
	// (Prism serves the Enterprise and master-account answers too).
	for _, sec := range []string{"account", "teammates", "subusers", "webhooks", "senders", "access_activity", "messages_30d"} {
		found := false
		for _, r := range doc.Inventory.Read {
			found = found || r == sec
		}
		if !found {
			t.Errorf("the audit did not read %s: %v", sec, doc.Inventory.Errors[sec])
		}
	}

	// Every call the audit does not make, straight through the adapter.
	c, err := brevo.NewWithOptions(provider.Config{Credential: key, BaseURL: front.URL}, brevo.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	if _, err := c.ListSecrets(bg); err != nil {
		t.Errorf("secrets: %v", err)
	}
	if err := c.VerifyKey(bg, bvfake.NewKey(6)); err != nil {
		t.Errorf("verify: %v", err)
	}
	ts, err := c.ListTeammates(bg)
	if err != nil {
		t.Fatal(err)
	}
	removed := 0
	for _, tm := range ts {
		if tm.Owner {
			continue
		}
		if err := c.RemoveTeammate(bg, tm); err != nil {
			t.Errorf("remove %s: %v", tm.Email, err)
		}
		removed++
	}
	hs, err := c.ListWebhooks(bg)
	if err != nil || len(hs) == 0 {
		t.Fatalf("webhooks: %v", err)
	}
	if err := c.DeleteWebhook(bg, hs[0]); err != nil {
		t.Errorf("delete webhook: %v", err)
	}

	time.Sleep(300 * time.Millisecond) // let Prism's log catch up
	for _, l := range log.all()[started:] {
		if strings.Contains(l, "[VALIDATOR]") && (strings.Contains(l, "✖") || strings.Contains(l, "did not pass")) {
			if strings.Contains(l, "response.") || isDefect(normalize(l)) {
				continue // counted from the headers above
			}
			violations = append(violations, "Prism log: "+strings.TrimSpace(l))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if removed < 3 {
		t.Errorf("only %d users removed", removed)
	}
	if len(seen) < 20 {
		t.Errorf("only %d requests reached Prism: %v", len(seen), seen)
	}
	if len(violations) > 0 {
		t.Errorf("%d contract violations:\n%s\nrequests:\n%s", len(violations), strings.Join(violations, "\n"), strings.Join(seen, "\n"))
	}
	var ds []string
	for d, n := range defects {
		ds = append(ds, fmt.Sprintf("%dx %s", n, d))
	}
	sort.Strings(ds)
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("requests:\n%s\naudit:\n%s", strings.Join(seen, "\n"), out)
	}
	t.Logf("%d requests, %d request violations; spec example defects (responses): %s", len(seen), len(violations), strings.Join(ds, "; "))
}

// normalize replaces array indexes in a violation message with N.
func normalize(msg string) string {
	var b strings.Builder
	for i := 0; i < len(msg); i++ {
		if msg[i] == '.' && i+1 < len(msg) && msg[i+1] >= '0' && msg[i+1] <= '9' {
			b.WriteString(".N")
			for i+1 < len(msg) && msg[i+1] >= '0' && msg[i+1] <= '9' {
				i++
			}
			continue
		}
		b.WriteByte(msg[i])
	}
	return b.String()
}

func isDefect(msg string) bool {
	for _, d := range specDefects {
		if strings.Contains(msg, d) {
			return true
		}
	}
	return false
}
