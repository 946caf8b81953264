package postmark_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/postmark"
	"reclaim/provider/postmark/pmfake"
)

// TestFaults: every fault the fake can inject on the server list (the
// first read of every section) ends in the expected typed error, with a
// clear message, or in success after a safe retry.
func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault pmfake.Fault
		opts  postmark.Options
		kind  error  // nil: success
		want  string // in the error
		hits  int    // GET /servers requests, when > 0
	}{
		{name: "429 short", fault: pmfake.Fault{Status: 429, RetryAfter: "1"}, hits: 2},
		{name: "429 long", fault: pmfake.Fault{Status: 429, RetryAfter: "99999", Times: -1}, kind: provider.ErrRateLimited, want: "reclaim waits at most", hits: 1},
		{name: "500 once", fault: pmfake.Fault{Status: 500}, hits: 2},
		{name: "500 always", fault: pmfake.Fault{Status: 500, Times: -1}, kind: provider.ErrUnavailable, want: "Internal Server Error", hits: 3},
		{name: "html 403", fault: pmfake.Fault{HTML: true, Message: "<script>"}, kind: provider.ErrUnavailable, want: "network layer"},
		{name: "slow", fault: pmfake.Fault{Delay: 2 * time.Second}, opts: postmark.Options{AttemptTimeout: 300 * time.Millisecond}, kind: provider.ErrUnavailable, want: "no complete answer within 300ms", hits: 1},
		{name: "trickle", fault: pmfake.Fault{Trickle: 50 * time.Millisecond}, opts: postmark.Options{AttemptTimeout: 300 * time.Millisecond}, kind: provider.ErrUnavailable, want: "no complete answer", hits: 1},
		{name: "huge", fault: pmfake.Fault{Huge: 9 << 20}, kind: provider.ErrUnavailable, want: "larger than 8 MiB"},
		{name: "malformed", fault: pmfake.Fault{Malformed: true}, kind: provider.ErrUnavailable, want: "Postmark sent malformed JSON"},
		{name: "422", fault: pmfake.Fault{Status: 422, Message: "bad \x1b[31mthing\u202e"}, kind: provider.ErrInvalid, want: "bad \uFFFD[31mthing\uFFFD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, s := pmfake.Default(time.Now())
			f := fake(t, st)
			tc.fault.Method, tc.fault.Path = "GET", "/servers"
			f.Inject(tc.fault)
			c := client(t, f, s.AccountToken+":-", tc.opts, provider.Limits{})
			start := time.Now()
			subs, err := c.ListSubusers(bg)
			switch {
			case tc.kind == nil && (err != nil || len(subs) != 3):
				t.Fatalf("want success: %v %+v", err, subs)
			case tc.kind != nil && !errors.Is(err, tc.kind):
				t.Fatalf("want %v, got %v", tc.kind, err)
			case tc.kind != nil && !strings.Contains(err.Error(), tc.want):
				t.Fatalf("error %q lacks %q", err, tc.want)
			}
			if err != nil {
				if r, bad := unsafeRune(err.Error()); bad {
					t.Errorf("error carries %U", r)
				}
				if a := provider.Advice(err); a == "" {
					t.Error("no advice")
				}
			}
			if tc.hits > 0 && f.Hits("GET /servers") != tc.hits {
				t.Errorf("%d requests, want %d", f.Hits("GET /servers"), tc.hits)
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
			if tc.name == "429 long" {
				var pe *provider.Error
				if errors.As(err, &pe); pe == nil || pe.RetryAfter < time.Hour {
					t.Errorf("RetryAfter: %+v", pe)
				}
			}
		})
	}
}

// TestListFaults: hostile paging stops with a truncation and keeps what was
// read.
func TestListFaults(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault pmfake.Fault
		cause string
	}{
		{"repeat", pmfake.Fault{Repeat: true, Times: -1}, provider.CauseRepeat},
		{"growing total", pmfake.Fault{GrowTotal: true, Times: -1}, provider.CauseTotal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, s := pmfake.Big(time.Now(), 10, 0)
			f := fake(t, st)
			tc.fault.Path = "/servers"
			f.Inject(tc.fault)
			c := client(t, f, s.AccountToken+":-", postmark.Options{PageSize: 2}, provider.Limits{})
			subs, err := c.ListSubusers(bg)
			var tr *provider.Truncation
			if !errors.As(err, &tr) || tr.Cause != tc.cause || len(subs) == 0 {
				t.Fatalf("%v, %d servers", err, len(subs))
			}
			if f.Hits("GET /servers") > 6 {
				t.Errorf("%d pages", f.Hits("GET /servers"))
			}
		})
	}
}

// TestFaultsLoseNothing: a failing endpoint costs its own data only.
func TestFaultsLoseNothing(t *testing.T) {
	now := time.Now()
	st, s := pmfake.Default(now)
	f := fake(t, st)
	c := client(t, f, s.AccountToken+":-", postmark.Options{}, provider.Limits{})
	f.Inject(pmfake.Fault{Path: "/webhooks", Status: 500, Times: -1})
	f.Inject(pmfake.Fault{Path: "/bounces", Status: 503, Times: -1})
	hooks, err := c.ListWebhooks(bg)
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "server Production (#101)") {
		t.Errorf("webhooks: %v", err)
	}
	if len(hooks) != 2 { // the legacy hook and the inbound route, from /servers
		t.Errorf("kept %d hooks: %+v", len(hooks), hooks)
	}
	n := 0
	err = c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { n += len(p); return nil })
	if err != nil || n != 5500 {
		t.Errorf("messages without bounces: %v, %d", err, n)
	}
	inv, err := checklist.TakeInventory(bg, c, now)
	if err != nil || inv.Errors[checklist.SecWebhooks] == "" || len(inv.Read) != 6 || inv.Mail == nil || inv.Mail.Total != 5500 {
		t.Errorf("inventory: %v, errors %v, read %v", err, inv.Errors, inv.Read)
	}
	// A time limit keeps what was read.
	f.ClearFaults()
	f.Inject(pmfake.Fault{Path: "/messages/outbound", Delay: time.Hour, Times: -1})
	ctx, cancel := contextWithTimeout(500 * time.Millisecond)
	defer cancel()
	inv, err = checklist.TakeInventory(ctx, c, now)
	if err != nil || !strings.Contains(inv.Truncated[checklist.SecMessages], "time limit") || len(inv.Subusers) != 3 {
		t.Errorf("time limit: %v, truncated %v, errors %v", err, inv.Truncated, inv.Errors)
	}
}
