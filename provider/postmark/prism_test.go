package postmark_test

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
	"reclaim/provider/postmark"
	"reclaim/provider/postmark/pmfake"
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

// startPrism serves one spec on a loopback port with --errors and returns
// its URL and log.
func startPrism(t *testing.T, ctx context.Context, prism, spec, probe, header string) (string, *syncBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.CommandContext(ctx, prism, "mock", "--errors", "-h", "127.0.0.1", "-p", fmt.Sprint(port), spec)
	cmd.Env = append(os.Environ(), "SCARF_ANALYTICS=false", "NO_COLOR=1", "FORCE_COLOR=0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	log := &syncBuffer{}
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
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		pw.Close()
	})
	u := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequest("GET", u+probe, nil)
		req.Header.Set(header, "probe")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prism did not start:\n%s", strings.Join(log.all(), "\n"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	return u, log
}

// accountPath reports whether a path belongs to the account API document.
func accountPath(p string) bool {
	for _, pre := range []string{"/servers", "/senders", "/domains", "/templates/push"} {
		if p == pre || strings.HasPrefix(p, pre+"/") {
			return true
		}
	}
	return false
}

// outsideSpec: the 2019 documents lack /webhooks and /message-streams
// (providers.md §5); the proxy answers them itself, as Postmark's current
// documentation describes, and they are not part of the contract check.
func outsideSpec(p string) bool {
	return p == "/webhooks" || strings.HasPrefix(p, "/webhooks/") || strings.HasPrefix(p, "/message-streams")
}

// TestPrismContract runs `reclaim audit --provider postmark --json`, with
// the account token and with a server token alone, and then every other
// call the adapter can make (the dead-token proof, clearing hooks, deleting
// a server, bounce statistics), against two Prism processes serving the
// official account and server API documents behind one front, and fails on
// any request Prism reports as breaking the contract (its sl-violations
// header, a 422 it generated, or a validator error in its log).
func TestPrismContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism (about 25 s)")
	}
	specs := os.Getenv("RECLAIM_SPECS_DIR")
	if specs == "" {
		specs = filepath.Join("..", "..", "..", "shared", "specs")
	}
	acctSpec, _ := filepath.Abs(filepath.Join(specs, "postmark", "account-api.openapi.json"))
	srvSpec, _ := filepath.Abs(filepath.Join(specs, "postmark", "server-api.openapi.json"))
	for _, s := range []string{acctSpec, srvSpec} {
		if !fileExists(s) {
			need(t, "the Postmark spec %s is missing (../shared/specs beside the repository, or set RECLAIM_SPECS_DIR)", s)
		}
	}
	prism := findPrism()
	if prism == "" {
		need(t, "Prism (@stoplight/prism-cli 5.14.2) is not installed: run .ci/install-prism.sh or set RECLAIM_PRISM")
	}
	if _, err := exec.LookPath("node"); err != nil {
		need(t, "node is not installed (Prism needs node >= 18.20)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acctURL, acctLog := startPrism(t, ctx, prism, acctSpec, "/servers?count=1&offset=0", "X-Postmark-Account-Token")
	srvURL, srvLog := startPrism(t, ctx, prism, srvSpec, "/server", "X-Postmark-Server-Token")

	// One front: account paths to one Prism, server paths to the other,
	// the paths outside the spec answered here; every answer recorded.
	au, _ := url.Parse(acctURL)
	su, _ := url.Parse(srvURL)
	var mu sync.Mutex
	var violations, seen, outside []string
	record := func(resp *http.Response) error {
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
	acctProxy, srvProxy := httputil.NewSingleHostReverseProxy(au), httputil.NewSingleHostReverseProxy(su)
	acctProxy.ModifyResponse, srvProxy.ModifyResponse = record, record
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case outsideSpec(r.URL.Path):
			mu.Lock()
			outside = append(outside, r.Method+" "+r.URL.Path)
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			if r.Method == http.MethodGet {
				_, _ = w.Write([]byte(`{"Webhooks":[]}`))
			} else {
				_, _ = w.Write([]byte(`{"ErrorCode":0,"Message":"Webhook removed."}`))
			}
		case accountPath(r.URL.Path):
			acctProxy.ServeHTTP(w, r)
		default:
			srvProxy.ServeHTTP(w, r)
		}
	}))
	defer front.Close()

	// A canary proves the check can fail: a request without its token
	// header breaks the contract.
	if resp, err := http.Get(front.URL + "/servers?count=1&offset=0"); err == nil {
		resp.Body.Close()
	}
	mu.Lock()
	if len(violations) != 1 {
		t.Fatalf("the canary request without a token gave %d violations, want 1: %v", len(violations), violations)
	}
	violations, seen = nil, nil
	mu.Unlock()
	time.Sleep(300 * time.Millisecond) // the canary's log lines are not the run's
	startedA, startedS := len(acctLog.all()), len(srvLog.all())

	acct, srv := pmfake.NewToken(), pmfake.NewToken()
	bin := buildReclaim(t)
	for _, toks := range [][2]string{{acct, "-"}, {"-", srv}} {
		out, errOut, code := runAudit(t, bin, front.URL, toks[0], toks[1], "--json")
		if code != 0 && code != 1 {
			t.Errorf("audit exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
		}
		if os.Getenv("RECLAIM_DUMP") != "" {
			t.Logf("audit:\n%s", out)
		}
	}

	// Every other call, straight through the adapter.
	bgc := context.Background()
	for _, cred := range []string{acct + ":-", "-:" + srv} {
		c, err := postmark.NewWithOptions(provider.Config{Credential: cred, BaseURL: front.URL}, postmark.Options{Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		_, _ = c.ListSecrets(bgc)
		_, _, _ = c.BounceStats(bgc, time.Now().Add(-30*24*time.Hour))
		_ = c.VerifyKey(bgc, pmfake.NewToken())
		hooks, _ := c.ListWebhooks(bgc)
		for _, w := range hooks {
			_ = c.DeleteWebhook(bgc, w)
		}
		_ = c.DeleteWebhook(bgc, provider.Webhook{ID: "server:0:webhook:1"})
		if subs, _ := c.ListSubusers(bgc); len(subs) > 0 && c.HasAccountToken() {
			_ = c.DeleteServer(bgc, "0", subs[0].Username)
		}
	}

	time.Sleep(300 * time.Millisecond) // let Prism's logs catch up
	for _, l := range append(acctLog.all()[startedA:], srvLog.all()[startedS:]...) {
		if strings.Contains(l, "[VALIDATOR]") && (strings.Contains(l, "✖") || strings.Contains(l, "did not pass")) {
			violations = append(violations, "Prism log: "+strings.TrimSpace(l))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	routes := map[string]bool{}
	for _, s := range seen {
		m, p, _ := strings.Cut(strings.Fields(s)[0]+" "+strings.Fields(s)[1], " ")
		routes[m+" "+p] = true
	}
	for _, want := range []string{"GET /servers", "GET /senders", "GET /domains", "GET /server", "GET /messages/outbound", "GET /bounces",
		"GET /stats/outbound/bounces", "GET /stats/outbound/spam", "PUT /servers/0", "PUT /server", "DELETE /servers/0", "GET /servers/0"} {
		if !routes[want] {
			t.Errorf("no %s reached Prism", want)
		}
	}
	if len(seen) < 25 {
		t.Errorf("only %d requests reached Prism: %v", len(seen), seen)
	}
	if len(violations) > 0 {
		t.Errorf("%d contract violations:\n%s\nrequests:\n%s", len(violations), strings.Join(violations, "\n"), strings.Join(seen, "\n"))
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("requests:\n%s\noutside the spec:\n%s", strings.Join(seen, "\n"), strings.Join(outside, "\n"))
	}
	t.Logf("%d requests checked by Prism, %d violations; %d requests outside the 2019 spec answered by the test", len(seen), len(violations), len(outside))
}
