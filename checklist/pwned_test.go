package checklist_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"reclaim/checklist"
)

// pwnedPassword is a made-up password; the fake server knows only its hash.
const pwnedPassword = "made-up breach test password"

func sha1Upper(s string) (prefix, suffix string) {
	sum := sha1.Sum([]byte(s))
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	return h[:5], h[5:]
}

type rangeRequest struct {
	method, path, rawQuery, padding string
	header                          http.Header
	body                            []byte
}

// fakeRange is a Pwned Passwords range server on loopback that records what
// it was sent.
type fakeRange struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []rangeRequest
}

func newFakeRange(t *testing.T, h func(w http.ResponseWriter, r *http.Request)) *fakeRange {
	t.Helper()
	f := &fakeRange{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, rangeRequest{method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, padding: r.Header.Get("Add-Padding"), header: r.Header.Clone(), body: b})
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeRange) requests() []rangeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]rangeRequest(nil), f.reqs...)
}

// rangeBody is a padded range answer: other suffixes, the given lines, CRLF.
func rangeBody(lines ...string) string {
	var b strings.Builder
	for i := range 20 {
		fmt.Fprintf(&b, "%035X:%d\r\n", i*7919+1, i%3)
	}
	for _, l := range lines {
		b.WriteString(l + "\r\n")
	}
	return b.String()
}

func TestPwnedHit(t *testing.T) {
	_, suffix := sha1Upper(pwnedPassword)
	f := newFakeRange(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, rangeBody("not a line", "XYZ:12", suffix+":oops", suffix+":3861042"))
	})
	r := checklist.CheckPwnedAt(context.Background(), f.Client(), f.URL, pwnedPassword)
	if !r.Checked || r.Count != 3861042 || !r.Breached() {
		t.Fatalf("hit: %+v", r)
	}
	if p := r.Problem(); !strings.Contains(p, "3,861,042 times") || !strings.Contains(p, "choose another") {
		t.Errorf("problem: %q", p)
	}
	if d := r.Detail(); d != "breach check: found 3,861,042 times in Pwned Passwords (k-anonymity, 5-char prefix)" {
		t.Errorf("detail: %q", d)
	}
}

func TestPwnedHitLowerCaseSuffix(t *testing.T) {
	_, suffix := sha1Upper(pwnedPassword)
	f := newFakeRange(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, rangeBody(strings.ToLower(suffix)+":1"))
	})
	r := checklist.CheckPwnedAt(context.Background(), f.Client(), f.URL, pwnedPassword)
	if !r.Breached() || r.Count != 1 || !strings.Contains(r.Problem(), "appears once") {
		t.Fatalf("hit: %+v %q", r, r.Problem())
	}
}

func TestPwnedMissWithPadding(t *testing.T) {
	_, suffix := sha1Upper(pwnedPassword)
	f := newFakeRange(t, func(w http.ResponseWriter, r *http.Request) {
		// Padding lines have count 0, and may carry any suffix, ours too.
		io.WriteString(w, rangeBody(suffix+":0", suffix+":0", "garbage::", ""))
	})
	r := checklist.CheckPwnedAt(context.Background(), f.Client(), f.URL, pwnedPassword)
	if !r.Checked || r.Count != 0 || r.Breached() || r.Problem() != "" {
		t.Fatalf("miss: %+v", r)
	}
	if d := r.Detail(); d != "breach check: not found in Pwned Passwords (k-anonymity, 5-char prefix)" {
		t.Errorf("detail: %q", d)
	}
}

func TestPwnedSendsOnlyThePrefix(t *testing.T) {
	prefix, suffix := sha1Upper(pwnedPassword)
	f := newFakeRange(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, rangeBody()) })
	checklist.CheckPwnedAt(context.Background(), f.Client(), f.URL+"/", pwnedPassword)
	reqs := f.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	q := reqs[0]
	if q.method != http.MethodGet || q.path != "/range/"+prefix || q.rawQuery != "" || len(q.body) != 0 {
		t.Errorf("request: %s %s ?%s body %d bytes", q.method, q.path, q.rawQuery, len(q.body))
	}
	if q.padding != "true" {
		t.Errorf("Add-Padding = %q", q.padding)
	}
	full := prefix + suffix
	for k, vs := range q.header {
		for _, v := range vs {
			for _, secret := range []string{pwnedPassword, suffix, strings.ToLower(suffix), full[:10]} {
				if strings.Contains(v, secret) {
					t.Errorf("header %s carries more than the prefix", k)
				}
			}
		}
	}
}

func TestPwnedNotChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		h    func(w http.ResponseWriter, r *http.Request)
		note string
	}{
		{"503", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) }, "not checked (HTTP 503)"},
		{"429", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "slow down", http.StatusTooManyRequests) }, "not checked (HTTP 429)"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
		}, "not checked (HTTP 302)"},
		{"oversize", func(w http.ResponseWriter, r *http.Request) {
			line := strings.Repeat("0", 35) + ":0\r\n"
			for range (3 << 20) / len(line) {
				if _, err := io.WriteString(w, line); err != nil {
					return
				}
			}
		}, "not checked (answer too large)"},
		{"captive portal", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "<html><body>Sign in to the hotel Wi-Fi</body></html>")
		}, "not checked (unexpected answer)"},
	} {
		f := newFakeRange(t, tc.h)
		// nil client: the default one, which follows no redirect.
		r := checklist.CheckPwnedAt(context.Background(), nil, f.URL, pwnedPassword)
		if r.Checked || r.Breached() || r.Note != tc.note {
			t.Errorf("%s: %+v, want note %q", tc.name, r, tc.note)
		}
		if d := r.Detail(); d != "breach check: "+tc.note {
			t.Errorf("%s: detail %q", tc.name, d)
		}
	}
}

func TestPwnedOfflineClosedListener(t *testing.T) {
	f := newFakeRange(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, rangeBody()) })
	url := f.URL
	f.Close()
	r := checklist.CheckPwnedAt(context.Background(), nil, url, pwnedPassword)
	if r.Checked || r.Note != "not checked (offline)" {
		t.Fatalf("closed listener: %+v", r)
	}
}

func TestPwnedOfflineDeadline(t *testing.T) {
	f := newFakeRange(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, rangeBody()) })
	// A deadline already passed: no wall clock involved.
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	r := checklist.CheckPwnedAt(ctx, f.Client(), f.URL, pwnedPassword)
	if r.Checked || r.Note != "not checked (offline)" {
		t.Fatalf("expired deadline: %+v", r)
	}
}

func TestPwnedOfflineServerHangs(t *testing.T) {
	arrived := make(chan struct{})
	f := newFakeRange(t, func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done() // never answers
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	r := checklist.CheckPwnedAt(ctx, f.Client(), f.URL, pwnedPassword)
	if r.Checked || r.Note != "not checked (offline)" {
		t.Fatalf("hanging server: %+v", r)
	}
}

// refuseTransport fails the test if a request is sent at all.
type refuseTransport struct{ t *testing.T }

func (rt refuseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.t.Errorf("a request was sent to %s", r.URL.Host)
	return nil, fmt.Errorf("refused")
}

func TestPwnedBaseURL(t *testing.T) {
	t.Setenv(checklist.PwnedBaseURLEnv, "")
	if u, err := checklist.PwnedBaseURL(); err != nil || u != "https://api.pwnedpasswords.com" {
		t.Errorf("default: %q %v", u, err)
	}
	t.Setenv(checklist.PwnedBaseURLEnv, "http://127.0.0.1:8123/")
	if u, err := checklist.PwnedBaseURL(); err != nil || u != "http://127.0.0.1:8123" {
		t.Errorf("loopback override: %q %v", u, err)
	}
	for _, bad := range []string{"http://example.com", "http://192.0.2.7:8080", "ftp://127.0.0.1", "not a url"} {
		t.Setenv(checklist.PwnedBaseURLEnv, bad)
		if _, err := checklist.PwnedBaseURL(); err == nil {
			t.Errorf("%q accepted", bad)
		}
		client := &http.Client{Transport: refuseTransport{t}}
		r := checklist.CheckPwned(context.Background(), client, pwnedPassword)
		if r.Checked || !strings.HasPrefix(r.Note, "not checked (") || !strings.Contains(r.Note, "refused") {
			t.Errorf("%q: %+v", bad, r)
		}
	}
	client := &http.Client{Transport: refuseTransport{t}}
	if r := checklist.CheckPwnedAt(context.Background(), client, "http://example.com", pwnedPassword); r.Checked || !strings.Contains(r.Note, "refused") {
		t.Errorf("non-loopback http base: %+v", r)
	}
}

func TestCheckPwnedUsesEnv(t *testing.T) {
	_, suffix := sha1Upper(pwnedPassword)
	f := newFakeRange(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, rangeBody(suffix+":7")) })
	t.Setenv(checklist.PwnedBaseURLEnv, f.URL)
	if r := checklist.CheckPwned(context.Background(), f.Client(), pwnedPassword); !r.Breached() || r.Count != 7 {
		t.Fatalf("via env: %+v", r)
	}
}
