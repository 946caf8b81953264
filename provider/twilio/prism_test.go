package twilio_test

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
	"reclaim/provider/twilio"
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

// specPaths are the official documents the adapter uses and, in each, the
// paths it calls. Twilio publishes one document per product (and host);
// Prism serves one document per process, so they are merged into one.
var specPaths = map[string][]string{
	"twilio_api_v2010.json": {
		"/2010-04-01/Accounts.json",
		"/2010-04-01/Accounts/{Sid}.json",
		"/2010-04-01/Accounts/{AccountSid}/Keys/{Sid}.json",
		"/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json",
	},
	"twilio_iam_v1.json":      {"/v1/Keys", "/v1/Keys/{Sid}"},
	"twilio_accounts_v1.json": {"/v1/AuthTokens/Secondary", "/v1/AuthTokens/Promote"},
	"twilio_monitor_v1.json":  {"/v1/Events"},
}

// mergeSpecs writes one OpenAPI document holding the given paths of each
// file, with every component of file F renamed F_<name> (and its $refs
// rewritten) so that no two documents' components collide. Only the
// components the kept paths reach are kept.
func mergeSpecs(t *testing.T, dir, out string) {
	t.Helper()
	merged := map[string]any{"paths": map[string]any{}, "components": map[string]any{}}
	files := make([]string, 0, len(specPaths))
	for f := range specPaths {
		files = append(files, f)
	}
	sort.Strings(files)
	for i, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			need(t, "the Twilio spec %s is missing (../shared/specs beside the repository, or set RECLAIM_SPECS_DIR): %v", f, err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			for _, k := range []string{"openapi", "info", "servers", "security"} {
				if v, ok := doc[k]; ok {
					merged[k] = v
				}
			}
		}
		prefix := strings.TrimSuffix(f, ".json")
		rename := func(ref string) string {
			if rest, ok := strings.CutPrefix(ref, "#/components/"); ok {
				sec, name, _ := strings.Cut(rest, "/")
				return "#/components/" + sec + "/" + prefix + "_" + name
			}
			return ref
		}
		comps, _ := doc["components"].(map[string]any)
		// Walk the kept paths and the components they reach.
		want := map[string]bool{}
		var walk func(v any) any
		walk = func(v any) any {
			switch x := v.(type) {
			case map[string]any:
				out := map[string]any{}
				for k, e := range x {
					if s, ok := e.(string); ok && k == "$ref" {
						want[s] = true
						out[k] = rename(s)
						continue
					}
					out[k] = walk(e)
				}
				return out
			case []any:
				out := make([]any, len(x))
				for i := range x {
					out[i] = walk(x[i])
				}
				return out
			}
			return v
		}
		paths := doc["paths"].(map[string]any)
		for _, p := range specPaths[f] {
			item, ok := paths[p]
			if !ok {
				t.Fatalf("%s has no path %s", f, p)
			}
			merged["paths"].(map[string]any)[p] = walk(item)
		}
		done := map[string]bool{}
		for {
			progress := false
			for ref := range want {
				if done[ref] {
					continue
				}
				done[ref], progress = true, true
				rest, ok := strings.CutPrefix(ref, "#/components/")
				if !ok {
					continue
				}
				sec, name, _ := strings.Cut(rest, "/")
				src, _ := comps[sec].(map[string]any)
				v, ok := src[name]
				if !ok {
					t.Fatalf("%s: dangling $ref %s", f, ref)
				}
				dst, _ := merged["components"].(map[string]any)[sec].(map[string]any)
				if dst == nil {
					dst = map[string]any{}
					merged["components"].(map[string]any)[sec] = dst
				}
				dst[prefix+"_"+name] = walk(v)
			}
			if !progress {
				break
			}
		}
		// Security schemes are named, not $ref'd: keep them as they are.
		if ss, ok := comps["securitySchemes"].(map[string]any); ok {
			dst, _ := merged["components"].(map[string]any)["securitySchemes"].(map[string]any)
			if dst == nil {
				dst = map[string]any{}
				merged["components"].(map[string]any)["securitySchemes"] = dst
			}
			for k, v := range ss {
				dst[k] = v
			}
		}
	}
	b, err := json.Marshal(merged)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// syncLog collects Prism's log lines.
type syncLog struct {
	mu    sync.Mutex
	lines []string
}

func (b *syncLog) add(s string) { b.mu.Lock(); b.lines = append(b.lines, s); b.mu.Unlock() }

func (b *syncLog) all() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// TestPrismContract runs `reclaim audit --provider twilio --json` (a full
// audit: account, keys with their policies, subaccounts, phone-number
// webhooks, Monitor events), then every write the adapter makes (create a
// restricted and a standard key, revoke a key and a subaccount's key,
// verify a credential, suspend and reactivate a subaccount, rotate the auth
// token), against Prism serving the official Twilio documents merged into
// one, and fails on any request Prism reports as breaking the contract (its
// sl-violations header, a 422 it generated, or a validator error in its
// log).
func TestPrismContract(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Prism (about 25 s)")
	}
	specs := os.Getenv("RECLAIM_SPECS_DIR")
	if specs == "" {
		specs = filepath.Join("..", "..", "..", "shared", "specs")
	}
	dir, _ := filepath.Abs(filepath.Join(specs, "twilio"))
	if !fileExists(dir) {
		need(t, "the Twilio specs %s are missing (../shared/specs beside the repository, or set RECLAIM_SPECS_DIR)", dir)
	}
	prism := findPrism()
	if prism == "" {
		need(t, "Prism (@stoplight/prism-cli 5.14.2) is not installed: run .ci/install-prism.sh or set RECLAIM_PRISM")
	}
	if _, err := exec.LookPath("node"); err != nil {
		need(t, "node is not installed (Prism needs node >= 18.20)")
	}
	spec := filepath.Join(t.TempDir(), "twilio.json")
	mergeSpecs(t, dir, spec)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Not --errors: that turns Prism's checks of its own answers into 500s,
	// and the official documents' examples break their own formats (the
	// 2010 API's relative first_page_uri is declared format "uri"). The
	// answers' problems are the spec's, counted apart; the requests' are
	// reclaim's, and must be none.
	cmd := exec.CommandContext(ctx, prism, "mock", "-h", "127.0.0.1", "-p", fmt.Sprint(port), spec)
	cmd.Env = append(os.Environ(), "SCARF_ANALYTICS=false", "NO_COLOR=1", "FORCE_COLOR=0")
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	var log syncLog
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
		req, _ := http.NewRequest("GET", prismURL+"/v1/Events", nil)
		req.SetBasicAuth("probe", "probe")
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
	specIssues := 0 // problems Prism finds in its own (the spec's example) answers
	proxy := httputil.NewSingleHostReverseProxy(target)
	// Prism answers with a path's first example; the documents list the
	// empty one first for some lists. Asking for the full one (Prism's
	// Prefer header, which it does not validate) lets the audit reach
	// what those lists lead to: keys' policies, subaccounts' keys and
	// numbers.
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		director(r)
		if r.Method == http.MethodGet && (r.URL.Path == "/v1/Keys" || strings.HasSuffix(r.URL.Path, "/Accounts.json") || strings.HasSuffix(r.URL.Path, "/IncomingPhoneNumbers.json") || r.URL.Path == "/v1/Events") {
			r.Header.Set("Prefer", "example=readFull")
		}
		if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/Keys/") {
			r.Header.Set("Prefer", "example=fetchRestrictedKey")
		}
	}
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
				violations = append(violations, line+": "+v)
			}
			for _, x := range vs {
				if len(x.Location) > 0 && x.Location[0] == "response" {
					specIssues++
					continue
				}
				violations = append(violations, line+": "+strings.Join(x.Location, ".")+": "+x.Message)
			}
		}
		if resp.StatusCode == http.StatusUnprocessableEntity || strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body = io.NopCloser(strings.NewReader(string(b)))
			violations = append(violations, fmt.Sprintf("%s: Prism refused the request (%d): %s", line, resp.StatusCode, b))
		}
		return nil
	}
	front := httptest.NewServer(proxy)
	defer front.Close()

	// The check itself works: a request that breaks the contract (no
	// AccountSid in POST /v1/Keys) is caught.
	canary, _ := http.NewRequest(http.MethodPost, front.URL+"/v1/Keys", strings.NewReader("FriendlyName=x"))
	canary.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	canary.SetBasicAuth("probe", "probe")
	if resp, err := http.DefaultClient.Do(canary); err == nil {
		resp.Body.Close()
	}
	mu.Lock()
	if len(violations) == 0 {
		t.Fatalf("a request without the required AccountSid was not reported: %v", seen)
	}
	violations, seen = nil, nil
	mu.Unlock()
	time.Sleep(300 * time.Millisecond) // its log lines too
	started = len(log.all())

	// Not Prism's example account (ACaaa…): that one shows up as a
	// subaccount, so the fan-out reaches the subaccount endpoints too.
	sid := "AC" + strings.Repeat("0123456789abcdef", 2)
	token := strings.Repeat("c", 32)
	bin := buildReclaim(t)
	out, errOut, code := runAudit(t, bin, front.URL, sid, token, "--json")
	if code != 0 && code != 1 {
		t.Errorf("audit exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var doc struct {
		Inventory struct {
			Read   []string          `json:"read"`
			Errors map[string]string `json:"errors"`
		} `json:"inventory"`
	}
	if err := json.Unmarshal(out, &doc); err != nil || len(doc.Inventory.Read) != 6 || len(doc.Inventory.Errors) > 0 {
		t.Errorf("the audit through Prism read %v, errors %v (%v)", doc.Inventory.Read, doc.Inventory.Errors, err)
	}

	// Every write, straight through the adapter.
	c, err := twilio.NewWithOptions(provider.Config{Credential: sid + ":" + token, BaseURL: front.URL}, twilio.Options{Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	keys, _ := c.ListKeys(bg)                          // the subaccount's keys last: all owned by it
	_, _ = c.CreateKey(bg, "reclaim replacement", nil) // Prism's new key has the first key's SID: now the main account's
	_, _ = c.CreateKey(bg, "reclaim standard", []string{twilio.ScopeStandard})
	for _, k := range keys {
		_ = c.RevokeKey(bg, k.ID) // the main account's (v1) and the subaccount's (2010)
	}
	_ = c.VerifyKey(bg, "SKaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:secret")
	_ = c.DisableSubuser(bg, "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa (friendly_name)")
	_ = c.EnableSubuser(bg, "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	secrets, _ := c.ListSecrets(bg)
	_, _ = c.RotateSecret(bg, secrets[0])

	time.Sleep(300 * time.Millisecond) // let Prism's log catch up
	for _, l := range log.all()[started:] {
		if strings.Contains(l, "Violation: response.") {
			continue // counted from the header: the spec's own examples
		}
		if strings.Contains(l, "[VALIDATOR]") && (strings.Contains(l, "✖") || strings.Contains(l, "did not pass")) {
			violations = append(violations, "Prism log: "+strings.TrimSpace(l))
		}
	}
	mu.Lock()
	defer mu.Unlock()
	routes := map[string]bool{}
	for _, s := range seen {
		routes[strings.Fields(s)[0]+" "+routeOf(strings.Fields(s)[1])] = true
	}
	for _, want := range []string{
		"GET /2010-04-01/Accounts.json", "GET /2010-04-01/Accounts/{Sid}.json", "POST /2010-04-01/Accounts/{Sid}.json",
		"GET /2010-04-01/Accounts/{Sid}/IncomingPhoneNumbers.json", "DELETE /2010-04-01/Accounts/{Sid}/Keys/{Sid}.json",
		"GET /v1/Keys", "GET /v1/Keys/{Sid}", "POST /v1/Keys", "DELETE /v1/Keys/{Sid}",
		"DELETE /v1/AuthTokens/Secondary", "POST /v1/AuthTokens/Secondary", "POST /v1/AuthTokens/Promote", "GET /v1/Events",
	} {
		if !routes[want] {
			t.Errorf("no request reached %s", want)
		}
	}
	if len(violations) > 0 {
		t.Errorf("%d contract violations:\n%s\nrequests:\n%s", len(violations), strings.Join(violations, "\n"), strings.Join(seen, "\n"))
	}
	if os.Getenv("RECLAIM_DUMP") != "" {
		t.Logf("requests:\n%s", strings.Join(seen, "\n"))
	}
	t.Logf("%d requests, %d violations (and %d problems in the spec's own example answers)", len(seen), len(violations), specIssues)
}

// routeOf turns a request path into its route: SIDs become {Sid}.
func routeOf(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		base, ext, _ := strings.Cut(s, ".")
		if len(base) == 34 && (strings.HasPrefix(base, "AC") || strings.HasPrefix(base, "SK")) {
			parts[i] = "{Sid}"
			if ext != "" {
				parts[i] += "." + ext
			}
		}
	}
	return strings.Join(parts, "/")
}
