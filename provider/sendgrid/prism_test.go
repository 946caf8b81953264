package sendgrid_test

import (
	"bufio"
	"context"
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
	"reclaim/provider/prismtest"
	"reclaim/provider/sendgrid"
	"reclaim/provider/sendgrid/sgfake"
)

// need and findPrism are prismtest's (shared by every adapter's Prism test).
func need(t *testing.T, format string, args ...any) { t.Helper(); prismtest.Need(t, format, args...) }
func findPrism() string                             { return prismtest.Find() }
func fileExists(p string) bool                      { _, err := os.Stat(p); return err == nil }

// syncBuffer collects Prism's log.
type syncBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *syncBuffer) add(s string) {
	b.mu.Lock()
	b.lines = append(b.lines, s)
	b.mu.Unlock()
}

func (b *syncBuffer) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// TestPrismContract runs `reclaim audit --provider sendgrid --json`, and then
// every write the adapter can make, against Prism serving the official
// merged SendGrid spec, and fails on any request Prism reports as breaking
// the contract (its sl-violations header, a 422 it generated, or a
// validator error in its log).
func TestPrismContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism (about 25 s)")
	}
	// ../shared/specs beside the repository root, or $RECLAIM_SPECS_DIR.
	specs := os.Getenv("RECLAIM_SPECS_DIR")
	if specs == "" {
		specs = filepath.Join("..", "..", "..", "shared", "specs")
	}
	spec, _ := filepath.Abs(filepath.Join(specs, "merged", "sendgrid.json"))
	if !fileExists(spec) {
		need(t, "the SendGrid spec %s is missing (../shared/specs beside the repository, or set RECLAIM_SPECS_DIR)", spec)
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
	var log syncBuffer
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
		req, _ := http.NewRequest("GET", prismURL+"/v3/scopes", nil)
		req.Header.Set("Authorization", "Bearer probe")
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

	// A recording proxy in front of Prism collects sl-violations headers.
	target, _ := url.Parse(prismURL)
	var mu sync.Mutex
	var violations, seen []string
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		r := resp.Request
		line := r.Method + " " + r.URL.Path
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, fmt.Sprintf("%s -> %d", line, resp.StatusCode))
		if v := resp.Header.Get("sl-violations"); v != "" {
			violations = append(violations, line+": "+v)
		}
		if resp.StatusCode == http.StatusUnprocessableEntity && strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
			violations = append(violations, line+": Prism generated a 422 (invalid request)")
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	defer front.Close()
	key := sgfake.NewKey("prism").Token

	bin := buildReclaim(t)
	out, errOut, code := runAudit(t, bin, front.URL, key, "--json")
	if code != 0 && code != 1 {
		t.Errorf("audit exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}

	// Every write, straight through the adapter.
	c, err := sendgrid.NewWithOptions(provider.Config{Credential: key, BaseURL: front.URL}, sendgrid.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	_, _ = c.ListKeys(bg)
	_, _ = c.CreateKey(bg, "reclaim replacement", []string{"mail.send"})
	_ = c.RevokeKey(bg, "some-apikey-id")
	_ = c.VerifyKey(bg, key)
	_ = c.RemoveTeammate(bg, provider.Teammate{Username: "teammate1"})
	_ = c.RemoveTeammate(bg, provider.Teammate{Pending: true, Token: "abc123"})
	_ = c.DisableSubuser(bg, "subuser1")
	_ = c.DeleteWebhook(bg, provider.Webhook{Kind: provider.WebhookEvent, ID: "77d4a5da-7015-11ed-a1eb-0242ac120002"})
	_ = c.DeleteWebhook(bg, provider.Webhook{Kind: provider.WebhookParse, Hostname: "parse.example.com"})
	for _, name := range []string{"forward_bounce", "forward_spam", "address_whitelist", "footer", "template"} {
		_ = c.DisableMailSetting(bg, name)
	}
	_, _ = c.AddAllowRules(bg, []string{"198.51.100.77"})
	_ = c.ChangePassword(bg, "old password", "new password")

	time.Sleep(300 * time.Millisecond) // let Prism's log catch up
	for _, l := range log.all()[started:] {
		if strings.Contains(l, "[VALIDATOR]") && (strings.Contains(l, "✖") || strings.Contains(l, "did not pass")) {
			violations = append(violations, "Prism log: "+strings.TrimSpace(l))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) < 25 {
		t.Errorf("only %d requests reached Prism: %v", len(seen), seen)
	}
	if len(violations) > 0 {
		t.Errorf("%d contract violations:\n%s\nrequests:\n%s", len(violations), strings.Join(violations, "\n"), strings.Join(seen, "\n"))
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("requests:\n%s\naudit:\n%s", strings.Join(seen, "\n"), out)
	}
	t.Logf("%d requests, no violations", len(seen))
}
