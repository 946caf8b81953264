package mailgun_test

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
	"strings"
	"sync"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/mailgun"
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

type syncLines struct {
	mu    sync.Mutex
	lines []string
}

func (b *syncLines) add(s string) {
	b.mu.Lock()
	b.lines = append(b.lines, s)
	b.mu.Unlock()
}

func (b *syncLines) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// TestPrismContract runs `reclaim audit --provider mailgun --json` (a full
// audit: every read capability), then every write the adapter can make,
// against Prism 5.14.2 serving Mailgun's official OpenAPI document with
// --errors, and fails on any request of the audit Prism reports as
// breaking the contract (an sl-violations header, a 415 or 422 it
// generated, a validator error in its log).
func TestPrismContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism")
	}
	specs := os.Getenv("RECLAIM_SPECS_DIR")
	if specs == "" {
		specs = filepath.Join("..", "..", "..", "shared", "specs")
	}
	spec, _ := filepath.Abs(filepath.Join(specs, "mailgun", "openapi.yaml"))
	if !fileExists(spec) {
		need(t, "the Mailgun spec %s is missing (../shared/specs beside the repository, or set RECLAIM_SPECS_DIR)", spec)
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
	cmd := exec.CommandContext(ctx, prism, "mock", "--errors", "-h", "127.0.0.1", "-p", fmt.Sprint(port), spec)
	cmd.Env = append(os.Environ(), "SCARF_ANALYTICS=false", "NO_COLOR=1", "FORCE_COLOR=0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var log syncLines
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
		req, _ := http.NewRequest("GET", prismURL+"/v2/ip_whitelist", nil)
		req.SetBasicAuth("api", "probe")
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

	// A recording proxy in front of Prism collects its verdicts.
	target, _ := url.Parse(prismURL)
	var mu sync.Mutex
	var violations, seen []string
	phase := "audit"
	proxy := httputil.NewSingleHostReverseProxy(target)
	direct := proxy.Director
	proxy.Director = func(r *http.Request) {
		direct(r)
		// The spec's own examples for GET /v4/domains and
		// /v4/domains/{name} lack properties its schema requires, and
		// Prism (--errors) answers 500 rather than serve them: there it
		// is asked for answers generated from the schema instead.
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v4/domains") {
			r.Header.Set("Prefer", "dynamic=true")
		}
	}
	proxy.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		line := r.Method + " " + r.URL.Path
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("[%s] %s -> %d", phase, line, resp.StatusCode))
		bad := ""
		if v := resp.Header.Get("sl-violations"); v != "" {
			bad = v
		}
		if ct := resp.Header.Get("Content-Type"); (resp.StatusCode == http.StatusUnprocessableEntity || resp.StatusCode == http.StatusUnsupportedMediaType) && strings.Contains(ct, "problem+json") {
			bad += fmt.Sprintf(" Prism generated a %d", resp.StatusCode)
		}
		if bad != "" {
			violations = append(violations, "["+phase+"] "+line+": "+bad)
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	defer front.Close()
	key := "0123456789abcdef0123456789abcdef-e2153fd0-e0277777"

	bin := buildReclaim(t)
	out, errOut, code := runAudit(t, bin, front.URL, key, "--json")
	if code != 0 && code != 1 {
		t.Errorf("audit exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	mu.Lock()
	auditRequests := len(seen)
	phase = "writes"
	mu.Unlock()

	// Every write, straight through the adapter, on the spec's examples.
	c, err := mailgun.NewWithOptions(provider.Config{Credential: key, BaseURL: front.URL}, mailgun.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	keys, _ := c.ListKeys(bg)
	hooks, _ := c.ListWebhooks(bg)
	secrets, _ := c.ListSecrets(bg)
	subs, _ := c.ListSubusers(bg)
	_, _ = c.CreateKey(bg, "reclaim replacement", []string{"sending", "domain:example.com"})
	_, _ = c.CreateKey(bg, "reclaim replacement", []string{"developer"})
	for _, k := range keys {
		_ = c.RevokeKey(bg, k.ID)
	}
	_ = c.VerifyKey(bg, key)
	_, _ = c.AddAllowRules(bg, []string{"198.51.100.77"})
	for _, w := range hooks {
		_ = c.DeleteWebhook(bg, w)
	}
	for _, s := range subs {
		_ = c.DisableSubuser(bg, s.Username)
		_ = c.EnableSubuser(bg, s.Username)
	}
	for _, s := range secrets {
		_, _ = c.RotateSecret(bg, s)
	}

	time.Sleep(300 * time.Millisecond) // let Prism's log catch up
	for _, l := range log.all()[started:] {
		if strings.Contains(l, "[VALIDATOR]") && (strings.Contains(l, "✖") || strings.Contains(l, "did not pass")) {
			violations = append(violations, "Prism log: "+strings.TrimSpace(l))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	var auditV, writeV, knownV []string
	for _, v := range violations {
		switch {
		case strings.HasPrefix(v, "[audit]"):
			auditV = append(auditV, v)
		case responseOnly(v):
			knownV = append(knownV, v)
		case strings.HasPrefix(v, "[writes]"):
			writeV = append(writeV, v)
		}
	}
	if auditRequests < 10 {
		t.Errorf("only %d audit requests reached Prism: %v", auditRequests, seen)
	}
	if len(auditV) > 0 || len(writeV) > 0 {
		t.Errorf("contract violations: %d in the audit, %d in the writes:\n%s\n%s\nrequests:\n%s",
			len(auditV), len(writeV), strings.Join(auditV, "\n"), strings.Join(writeV, "\n"), strings.Join(seen, "\n"))
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("requests:\n%s\nPrism's own answers breaking the spec:\n%s", strings.Join(seen, "\n"), strings.Join(knownV, "\n"))
	}
	t.Logf("audit: %d requests, %d violations; writes: %d requests, %d violations; %d answers of Prism's own that break the spec (not requests)",
		auditRequests, len(auditV), len(seen)-auditRequests, len(writeV), len(knownV))
}

// responseOnly reports whether a violation concerns only Prism's own
// answer (the spec's examples or generated bodies break its own schema,
// e.g. /v4/domains), not the request reclaim sent: every location starts
// with "response".
func responseOnly(v string) bool {
	i := strings.Index(v, ": [")
	if i < 0 {
		return false
	}
	var vs []struct {
		Location []string `json:"location"`
	}
	if json.Unmarshal([]byte(v[i+2:]), &vs) != nil || len(vs) == 0 {
		return false
	}
	for _, x := range vs {
		if len(x.Location) == 0 || x.Location[0] != "response" {
			return false
		}
	}
	return true
}
