package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"reclaim/provider"
)

const testToken = "tok-SECRET-0123456789abcdef"

// tserver is an httptest server that counts its requests.
type tserver struct {
	*httptest.Server
	hits atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *tserver {
	t.Helper()
	s := &tserver{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func newTC(t *testing.T, base string, mod func(*provider.HTTPOptions)) *provider.HTTPClient {
	t.Helper()
	o := provider.HTTPOptions{
		Name:    "Acme",
		BaseURL: base,
		Auth:    func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken) },
		ErrorMessage: func(b []byte) string {
			var e struct{ Message string }
			if json.Unmarshal(b, &e) != nil {
				return ""
			}
			return e.Message
		},
		Backoff:        time.Millisecond,
		AttemptTimeout: 2 * time.Second,
	}
	if mod != nil {
		mod(&o)
	}
	c, err := provider.NewHTTPClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testToken) {
		t.Errorf("the credential is in the error: %v", err)
	}
}

func TestTransportStatusKinds(t *testing.T) {
	cases := []struct {
		status int
		kind   error
	}{
		{301, provider.ErrUnavailable},
		{400, provider.ErrInvalid},
		{401, provider.ErrBadCredentials},
		{403, provider.ErrPermission},
		{404, provider.ErrNotFound},
		{409, provider.ErrInvalid},
		{418, provider.ErrUnavailable},
		{422, provider.ErrInvalid},
		{429, provider.ErrRateLimited},
		{500, provider.ErrUnavailable},
		{503, provider.ErrUnavailable},
	}
	for _, tc := range cases {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.status == 429 {
					w.Header().Set("Retry-After", "3600")
				}
				w.WriteHeader(tc.status)
				fmt.Fprintf(w, `{"message":"status %d said no"}`, tc.status)
			})
			c := newTC(t, s.URL, nil)
			err := c.Do(tctx(t), provider.Request{Op: "list things", Method: "POST", Path: "/v1/things"}, nil)
			var pe *provider.Error
			if !errors.As(err, &pe) || !errors.Is(err, tc.kind) || pe.Status != tc.status || pe.Op != "list things" {
				t.Fatalf("got %#v (%v), want kind %v", pe, err, tc.kind)
			}
			if tc.status != 301 && !strings.Contains(err.Error(), fmt.Sprintf("status %d said no", tc.status)) {
				t.Errorf("the provider's message is missing: %v", err)
			}
			for _, k := range []error{provider.ErrBadCredentials, provider.ErrPermission, provider.ErrRateLimited, provider.ErrNotFound, provider.ErrUnavailable, provider.ErrInvalid} {
				if k != tc.kind && errors.Is(err, k) {
					t.Errorf("also matches %v", k)
				}
			}
			if s.hits.Load() != 1 {
				t.Errorf("%d requests, want 1", s.hits.Load())
			}
			noSecret(t, err)
		})
	}
}

func TestTransport429RetryAfterWaitedAndRetried(t *testing.T) {
	for _, method := range []string{"GET", "POST"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			var first atomic.Bool
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if first.CompareAndSwap(false, true) {
					w.Header().Set("Retry-After", "1")
					w.WriteHeader(429)
					return
				}
				io.WriteString(w, `{"ok":true}`)
			})
			c := newTC(t, s.URL, nil)
			var notified atomic.Int32
			c.OnRateLimit(func(d time.Duration) {
				if d > 500*time.Millisecond && d <= 1100*time.Millisecond {
					notified.Add(1)
				}
			})
			start := time.Now()
			var got struct{ OK bool }
			err := c.Do(tctx(t), provider.Request{Op: "x", Method: method, Path: "/x", JSON: map[string]int{"a": 1}}, func(_ int, b []byte) error {
				return provider.DecodeJSON("x", "Acme", b, &got)
			})
			if err != nil || !got.OK {
				t.Fatalf("%v %+v", err, got)
			}
			if s.hits.Load() != 2 {
				t.Errorf("%d requests, want 2", s.hits.Load())
			}
			if el := time.Since(start); el < 900*time.Millisecond {
				t.Errorf("did not wait out Retry-After: %s", el)
			}
			if notified.Load() == 0 {
				t.Error("OnRateLimit was not told of the wait")
			}
			if c.RateWaited() < 900*time.Millisecond {
				t.Errorf("RateWaited %s", c.RateWaited())
			}
		})
	}
}

func TestTransport429ResetHeader(t *testing.T) {
	// A provider's own reset header (seconds from now, with a fraction)
	// is waited out like Retry-After.
	var first atomic.Bool
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Remaining", "0")
		if first.CompareAndSwap(false, true) {
			w.Header().Set("X-Reset", "0.3")
			w.WriteHeader(429)
			return
		}
		w.Header().Set("X-Remaining", "10")
		w.Header().Set("X-Reset", "1")
	})
	c := newTC(t, s.URL, func(o *provider.HTTPOptions) {
		o.Rate = provider.RateHeaders{Remaining: "X-Remaining", Reset: "X-Reset"}
	})
	start := time.Now()
	if err := c.Do(tctx(t), provider.Request{Op: "x", Method: "DELETE", Path: "/x"}, nil); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 250*time.Millisecond || s.hits.Load() != 2 {
		t.Errorf("waited %s, %d requests", el, s.hits.Load())
	}
}

func TestTransportLongRetryAfterIsReturned(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(429)
		io.WriteString(w, `{"message":"slow down"}`)
	})
	c := newTC(t, s.URL, func(o *provider.HTTPOptions) { o.MaxRateWait = 20 * time.Second })
	start := time.Now()
	err := c.Do(tctx(t), provider.Request{Op: "list things", Path: "/x"}, nil)
	var pe *provider.Error
	if !errors.As(err, &pe) || !errors.Is(err, provider.ErrRateLimited) || pe.RetryAfter != 2*time.Minute {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(err.Error(), "slow down") || !strings.Contains(err.Error(), "Acme asks to wait 2m0s; reclaim waits at most 20s") {
		t.Errorf("message: %v", err)
	}
	if time.Since(start) > time.Second || s.hits.Load() != 1 {
		t.Errorf("took %s, %d requests", time.Since(start), s.hits.Load())
	}
	// The next call does not hammer the provider either: the limiter knows
	// the wait and refuses at once.
	err = c.Do(tctx(t), provider.Request{Op: "again", Path: "/x"}, nil)
	if !errors.As(err, &pe) || !errors.Is(err, provider.ErrRateLimited) || pe.RetryAfter < 110*time.Second || s.hits.Load() != 1 {
		t.Fatalf("second call: %v, %d requests", err, s.hits.Load())
	}
}

func TestTransport5xxRetriedOnlyWhenIdempotent(t *testing.T) {
	handler := func(fails int32) (*tserver, *atomic.Int32) {
		var n atomic.Int32
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) <= fails {
				w.WriteHeader(503)
				return
			}
			io.WriteString(w, `{}`)
		})
		return s, &n
	}
	t.Run("GET", func(t *testing.T) {
		s, _ := handler(2)
		if err := newTC(t, s.URL, nil).Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil); err != nil {
			t.Fatal(err)
		}
		if s.hits.Load() != 3 {
			t.Errorf("%d requests, want 3", s.hits.Load())
		}
	})
	t.Run("GET gives up", func(t *testing.T) {
		s, _ := handler(100)
		err := newTC(t, s.URL, nil).Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil)
		if !errors.Is(err, provider.ErrUnavailable) || s.hits.Load() != 3 {
			t.Fatalf("%v, %d requests (want 3: 2 retries)", err, s.hits.Load())
		}
	})
	for _, r := range []provider.Request{
		{Op: "create", Method: "POST", Path: "/x"},
		{Op: "patch", Method: "PATCH", Path: "/x"},
		{Op: "revoke", Method: "DELETE", Path: "/x", NotIdempotent: true},
	} {
		t.Run(r.Method, func(t *testing.T) {
			s, _ := handler(1)
			err := newTC(t, s.URL, nil).Do(tctx(t), r, nil)
			if !errors.Is(err, provider.ErrUnavailable) || s.hits.Load() != 1 {
				t.Fatalf("%v, %d requests (want 1)", err, s.hits.Load())
			}
		})
	}
	t.Run("POST that is a read", func(t *testing.T) {
		s, _ := handler(1)
		if err := newTC(t, s.URL, nil).Do(tctx(t), provider.Request{Op: "search", Method: "POST", Path: "/x", ForceIdempotent: true}, nil); err != nil || s.hits.Load() != 2 {
			t.Fatalf("%v, %d requests", err, s.hits.Load())
		}
	})
}

func TestTransportIdempotentDefaults(t *testing.T) {
	for m, want := range map[string]bool{"GET": true, "": true, "HEAD": true, "PUT": true, "DELETE": true, "OPTIONS": true, "POST": false, "PATCH": false} {
		r := provider.Request{Method: m}
		if r.Idempotent() != want {
			t.Errorf("%q: %v", m, !want)
		}
	}
	r := provider.Request{Method: "POST", ForceIdempotent: true, NotIdempotent: true}
	if r.Idempotent() {
		t.Error("NotIdempotent must win")
	}
}

func TestTransportTimeoutNotRetried(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-time.After(2 * time.Second):
		}
	})
	defer close(release)
	c := newTC(t, s.URL, func(o *provider.HTTPOptions) { o.AttemptTimeout = 50 * time.Millisecond; o.Retries = 3 })
	start := time.Now()
	err := c.Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil)
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "no complete answer within 50ms") {
		t.Fatal(err)
	}
	if s.hits.Load() != 1 || time.Since(start) > time.Second {
		t.Errorf("%d requests in %s, want 1", s.hits.Load(), time.Since(start))
	}
}

func TestTransportTricklingBodyTimesOut(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100000")
		for range 100 {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
	})
	c := newTC(t, s.URL, func(o *provider.HTTPOptions) { o.AttemptTimeout = 100 * time.Millisecond })
	err := c.Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, func(int, []byte) error { return nil })
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "within 100ms") || s.hits.Load() != 1 {
		t.Fatalf("%v, %d requests", err, s.hits.Load())
	}
}

func TestTransportBodyCap(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprint("chunked=", chunked), func(t *testing.T) {
			s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if !chunked {
					w.Header().Set("Content-Length", strconv.Itoa(2<<20))
				}
				chunk := []byte(strings.Repeat("a", 64<<10))
				for range 32 {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			})
			c := newTC(t, s.URL, func(o *provider.HTTPOptions) { o.MaxBody = 1 << 20 })
			called := false
			err := c.Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, func(int, []byte) error { called = true; return nil })
			if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "larger than 1 MiB; refusing to read it") || called {
				t.Fatalf("%v (use called: %v)", err, called)
			}
			if s.hits.Load() != 1 {
				t.Errorf("%d requests", s.hits.Load())
			}
		})
	}
	t.Run("error body too", func(t *testing.T) {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			w.Write([]byte(strings.Repeat("a", 2<<20)))
		})
		c := newTC(t, s.URL, func(o *provider.HTTPOptions) { o.MaxBody = 1 << 20 })
		err := c.Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil)
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "larger than 1 MiB") {
			t.Fatal(err)
		}
	})
}

func TestTransportRedirectNotFollowed(t *testing.T) {
	var other atomic.Int32
	var leaked atomic.Bool
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		other.Add(1)
		if strings.Contains(r.Header.Get("Authorization"), testToken) {
			leaked.Store(true)
		}
	}))
	defer evil.Close()
	for _, status := range []int{301, 302, 307, 308} {
		s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, evil.URL+"/steal", status)
		})
		for _, method := range []string{"GET", "POST"} {
			err := newTC(t, s.URL, nil).Do(tctx(t), provider.Request{Op: "x", Method: method, Path: "/x", JSON: map[string]string{"a": "b"}}, nil)
			if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "to another host (127.0.0.1:") || !strings.Contains(err.Error(), "credential was not sent") {
				t.Errorf("%d %s: %v", status, method, err)
			}
			noSecret(t, err)
		}
	}
	if other.Load() != 0 || leaked.Load() {
		t.Fatalf("the other host got %d requests (credential leaked: %v)", other.Load(), leaked.Load())
	}
	// A test HTTPClient that follows redirects is overridden.
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, evil.URL, 302) })
	c := newTC(t, s.URL, func(o *provider.HTTPOptions) { o.HTTPClient = &http.Client{} })
	if err := c.Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil); !errors.Is(err, provider.ErrUnavailable) || other.Load() != 0 {
		t.Fatalf("%v; other host got %d", err, other.Load())
	}
}

func TestTransportErrorBodySanitized(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		msg := "no\x1b]8;;https://evil.example\x07click\x1b]8;;\x07 \u202eevil\u202c \x1b[2J" + strings.Repeat("z", 1000)
		json.NewEncoder(w).Encode(map[string]string{"message": msg})
	})
	err := newTC(t, s.URL, nil).Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil)
	if !errors.Is(err, provider.ErrPermission) {
		t.Fatal(err)
	}
	var pe *provider.Error
	errors.As(err, &pe)
	for _, bad := range []string{"\x1b", "\x07", "\u202e", "\u202c"} {
		if strings.Contains(err.Error(), bad) || strings.Contains(pe.Message, bad) {
			t.Errorf("%q in %q", bad, err.Error())
		}
	}
	if n := len([]rune(pe.Message)); n > 300 {
		t.Errorf("message not clipped: %d runes", n)
	}
}

func TestTransportCredentialNeverInErrors(t *testing.T) {
	// A provider echoing the credential in its error body.
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		json.NewEncoder(w).Encode(map[string]string{"message": "bad key " + r.Header.Get("Authorization")})
	})
	err := newTC(t, s.URL, nil).Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil)
	if !errors.Is(err, provider.ErrBadCredentials) || !strings.Contains(err.Error(), "bad key") {
		t.Fatal(err)
	}
	noSecret(t, err)
	// Basic auth: the password is redacted too.
	s2 := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, p, _ := r.BasicAuth()
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"message": "secret " + p + " is wrong"})
	})
	err = newTC(t, s2.URL, func(o *provider.HTTPOptions) {
		o.Auth = func(r *http.Request) { r.SetBasicAuth("api", testToken) }
	}).Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil)
	if !errors.Is(err, provider.ErrInvalid) {
		t.Fatal(err)
	}
	noSecret(t, err)
	// A connection failure names neither the URL's query nor the key.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	c := newTC(t, url, func(o *provider.HTTPOptions) { o.Retries = -1 })
	err = c.Do(tctx(t), provider.Request{Op: "x", Path: "/x", Query: map[string][]string{"token": {testToken}}}, nil)
	if !errors.Is(err, provider.ErrUnavailable) {
		t.Fatal(err)
	}
	noSecret(t, err)
}

func TestTransportAuthAndHeaders(t *testing.T) {
	var mu sync.Mutex
	var got []http.Header
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
	})
	c := newTC(t, s.URL, nil)
	if err := c.Do(tctx(t), provider.Request{Op: "x", Path: "/x", Header: http.Header{"On-Behalf-Of": {"sub1"}, "Authorization": {"Bearer forged"}}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(tctx(t), provider.Request{Op: "x", Path: "/x", Auth: func(r *http.Request) { r.Header.Set("Authorization", "Bearer other") }}, nil); err != nil {
		t.Fatal(err)
	}
	if got[0].Get("Authorization") != "Bearer "+testToken || got[0].Get("On-Behalf-Of") != "sub1" || got[0].Get("User-Agent") != provider.DefaultUserAgent {
		t.Errorf("first: %v", got[0])
	}
	if got[1].Get("Authorization") != "Bearer other" {
		t.Errorf("override: %v", got[1].Get("Authorization"))
	}
}

func TestTransportBodies(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		json.NewEncoder(w).Encode(map[string]string{"ct": r.Header.Get("Content-Type"), "body": string(b), "path": r.URL.Path, "query": r.URL.RawQuery, "method": r.Method})
	})
	c := newTC(t, s.URL+"/base/", nil)
	var out map[string]string
	use := func(_ int, b []byte) error { return provider.DecodeJSON("x", "Acme", b, &out) }
	if err := c.Do(tctx(t), provider.Request{Op: "x", Method: "POST", Path: "/v1/msg", Form: url.Values{"To": {"+1 555"}, "Body": {"a&b"}}}, use); err != nil {
		t.Fatal(err)
	}
	if out["ct"] != "application/x-www-form-urlencoded" || out["path"] != "/base/v1/msg" || out["method"] != "POST" {
		t.Errorf("form: %v", out)
	}
	if v, _ := url.ParseQuery(out["body"]); v.Get("To") != "+1 555" || v.Get("Body") != "a&b" {
		t.Errorf("form body %q", out["body"])
	}
	if err := c.Do(tctx(t), provider.Request{Op: "x", Method: "put", Path: "v1/keys/a%2Fb", Query: url.Values{"q": {"x y"}}, JSON: map[string]any{"name": "k", "n": 2}}, use); err != nil {
		t.Fatal(err)
	}
	if out["ct"] != "application/json" || out["body"] != `{"n":2,"name":"k"}` || out["method"] != "PUT" || out["query"] != "q=x+y" || out["path"] != "/base/v1/keys/a/b" {
		t.Errorf("json: %v", out)
	}
	if err := c.Do(tctx(t), provider.Request{Op: "x", Method: "POST", Path: "/x", JSON: 1, Form: url.Values{}}, nil); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("both bodies: %v", err)
	}
	// A multipart form: every field arrives, as the server parses it.
	mp := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			http.Error(w, err.Error(), 415)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"ct": r.Header.Get("Content-Type"), "role": r.FormValue("role"), "desc": r.FormValue("description")})
	})
	mc := newTC(t, mp.URL, nil)
	if err := mc.Do(tctx(t), provider.Request{Op: "x", Method: "POST", Path: "/v1/keys", Multipart: url.Values{"role": {"sending"}, "description": {"a&b c"}}}, use); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out["ct"], "multipart/form-data; boundary=") || out["role"] != "sending" || out["desc"] != "a&b c" {
		t.Errorf("multipart: %v", out)
	}
	if err := c.Do(tctx(t), provider.Request{Op: "x", Method: "POST", Path: "/x", Form: url.Values{}, Multipart: url.Values{}}, nil); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("form and multipart: %v", err)
	}
	// GetJSON.
	if err := c.GetJSON(tctx(t), "x", "/g", url.Values{"a": {"1"}}, &out); err != nil || out["query"] != "a=1" || out["method"] != "GET" {
		t.Errorf("%v %v", err, out)
	}
}

func TestTransportMalformedAnswers(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"a": [1, 2`) })
	c := newTC(t, s.URL, nil)
	var out any
	err := c.GetJSON(tctx(t), "list things", "/x", nil, &out)
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "Acme sent malformed JSON (11 bytes): the answer ends early (truncated)") {
		t.Fatal(err)
	}
	err = c.Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, func(int, []byte) error { return errors.New("bad shape") })
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "malformed answer") || !strings.Contains(err.Error(), "bad shape") {
		t.Fatal(err)
	}
	err = provider.DecodeJSON("x", "Acme", []byte(`{"a":}`), &out)
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "syntax error at byte 6") {
		t.Fatal(err)
	}
}

func TestTransportPathCannotLeaveTheAPI(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {})
	c := newTC(t, s.URL, nil)
	// Without a leading slash a path is still a path, never a host.
	if err := c.Do(tctx(t), provider.Request{Op: "x", Path: "@evil.example/x"}, nil); err != nil || s.hits.Load() != 1 {
		t.Fatalf("%v, %d requests", err, s.hits.Load())
	}
	for _, p := range []string{"/x#frag", "/a b", "/x\r\nHost: evil"} {
		if err := c.Do(tctx(t), provider.Request{Op: "x", Path: p}, nil); !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("%q: %v", p, err)
		}
	}
	if s.hits.Load() != 1 {
		t.Errorf("%d requests sent", s.hits.Load()-1)
	}
}

func TestTransportBaseURL(t *testing.T) {
	for _, bad := range []string{"http://example.com", "ftp://localhost", "https://user:pw@example.com", "/relative"} {
		if _, err := provider.NewHTTPClient(provider.HTTPOptions{BaseURL: bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, good := range []string{"https://api.example.com", "http://127.0.0.1:8080", "http://localhost/x", "http://[::1]:9"} {
		if _, err := provider.NewHTTPClient(provider.HTTPOptions{BaseURL: good}); err != nil {
			t.Errorf("%q: %v", good, err)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	c := newTC(t, "https://api.example.com/v3", nil)
	ok := []struct{ link, path, query string }{
		{"https://api.example.com/v3/keys?page=2&limit=10", "/keys", "limit=10&page=2"},
		{"https://API.example.com:443/v3/keys?page=2", "/keys", "page=2"},
		{"/v3/keys?cursor=abc%2F", "/keys", "cursor=abc%2F"},
		{"keys?offset=5", "/keys", "offset=5"},
		{"/v3/a%2Fb", "/a%2Fb", ""},
	}
	for _, tc := range ok {
		p, q, err := c.SameOrigin(tc.link)
		if err != nil || p != tc.path || q.Encode() != tc.query {
			t.Errorf("%q: %q %q %v", tc.link, p, q.Encode(), err)
		}
	}
	for _, bad := range []string{
		"https://evil.example/v3/keys",
		"http://api.example.com/v3/keys",
		"https://api.example.com:8443/v3/keys",
		"https://user:pw@api.example.com/v3/keys",
		"https://api.example.com@evil.example/v3/keys",
		"//evil.example/v3/keys",
		"/other/keys",
		"/v3/../admin",
		"javascript:alert(1)",
		"",
		"/v3/keys\x1b[2J",
		"https:\\\\evil.example/v3",
	} {
		if p, _, err := c.SameOrigin(bad); err == nil {
			t.Errorf("%q accepted as %q", bad, p)
		} else if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("unsanitized: %q", err.Error())
		}
	}
}

// TestTransportLimiterNoBurst: a provider allowing 5 requests per 200ms
// window, announcing it in its headers, gets no 429 from 40 requests sent
// by 8 goroutines.
func TestTransportLimiterNoBurst(t *testing.T) {
	const limit, window = 5, 200 * time.Millisecond
	var mu sync.Mutex
	var start time.Time
	used := 0
	var limited atomic.Int32
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		now := time.Now()
		if start.IsZero() || now.Sub(start) >= window {
			start, used = now, 0
		}
		used++
		over := used > limit
		left := window - now.Sub(start)
		w.Header().Set("X-Limit", strconv.Itoa(limit))
		w.Header().Set("X-Remaining", strconv.Itoa(max(limit-used, 0)))
		w.Header().Set("X-Reset", strconv.FormatFloat(left.Seconds(), 'f', 3, 64))
		mu.Unlock()
		if over {
			limited.Add(1)
			w.WriteHeader(429)
		}
	})
	c := newTC(t, s.URL, func(o *provider.HTTPOptions) {
		o.Rate = provider.RateHeaders{Limit: "X-Limit", Remaining: "X-Remaining", Reset: "X-Reset"}
		o.Conns = 4
	})
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for range 8 {
		wg.Go(func() {
			for range 5 {
				if err := c.Do(tctx(t), provider.Request{Op: "x", Path: "/x"}, nil); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// 40 requests at 5 per window need 8 windows; the first window's
	// requests go out before any header is known (at most Conns of them).
	if n := limited.Load(); n > 1 {
		t.Errorf("%d of %d requests refused with 429", n, s.hits.Load())
	}
	if c.RateWaited() == 0 {
		t.Error("RateWaited is 0")
	}
}
