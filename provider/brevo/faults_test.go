package brevo_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/brevo"
	"reclaim/provider/brevo/bvfake"
)

// faultClient is a client with short timeouts for the fault cases.
func faultClient(t *testing.T, f *bvfake.Server, key string, o brevo.Options) *brevo.Client {
	t.Helper()
	if o.Backoff == 0 {
		o.Backoff = 5 * time.Millisecond
	}
	c, err := brevo.NewWithOptions(provider.Config{Credential: key, BaseURL: f.URL}, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestFaults: every injected fault ends in the data or in a clear typed
// error whose text names what happened, never quotes the key, and says
// what to do (provider.Advice); retries happen only where safe.
func TestFaults(t *testing.T) {
	cases := []struct {
		name   string
		fault  bvfake.Fault
		opts   brevo.Options
		call   func(c *brevo.Client) error
		kind   error // nil: the call succeeds (the fault was waited or retried out)
		text   string
		hits   int // requests to the fault's path (0: not checked)
		method string
	}{
		{name: "429 short wait is waited out", fault: bvfake.Fault{Path: "/account", Kind: bvfake.RateLimit, Times: 1, RetryAfter: time.Second},
			call: account, hits: 2},
		{name: "429 with x-sib-ratelimit-reset alone", fault: bvfake.Fault{Path: "/account", Kind: bvfake.RateLimit, Times: 1, RetryAfter: time.Second, ResetOnly: true},
			call: account, hits: 2},
		{name: "429 long reset fails with the wait", fault: bvfake.Fault{Path: "/account", Kind: bvfake.RateLimit, RetryAfter: 5 * time.Minute, ResetOnly: true},
			call: account, kind: provider.ErrRateLimited, text: "retry in 5m0s", hits: 1},
		{name: "429 long wait fails with the wait", fault: bvfake.Fault{Path: "/account", Kind: bvfake.RateLimit, RetryAfter: 2 * time.Minute},
			call: account, kind: provider.ErrRateLimited, text: "retry in 2m0s", hits: 1},
		{name: "500 on a read is retried", fault: bvfake.Fault{Path: "/senders", Kind: bvfake.ServerError, Times: 2},
			call: senders, hits: 3},
		{name: "500 that lasts", fault: bvfake.Fault{Path: "/senders", Kind: bvfake.ServerError},
			call: senders, kind: provider.ErrUnavailable, text: "Internal server error", hits: 3},
		{name: "500 on a delete is never retried", fault: bvfake.Fault{Path: "/webhooks/102", Kind: bvfake.ServerError},
			call: deleteWebhook, kind: provider.ErrUnavailable, hits: 1, method: "DELETE"},
		{name: "500 on a user removal is never retried", fault: bvfake.Fault{Path: "/organization/user/invitation/revoke/*", Kind: bvfake.ServerError},
			call: removeMallory, kind: provider.ErrUnavailable, hits: 1, method: "PUT"},
		{name: "slow first byte", fault: bvfake.Fault{Path: "/account", Kind: bvfake.Slow, Delay: 2 * time.Second},
			opts: brevo.Options{AttemptTimeout: 300 * time.Millisecond}, call: account, kind: provider.ErrUnavailable, text: "no complete answer within 300ms", hits: 1},
		{name: "trickling body", fault: bvfake.Fault{Path: "/organization/invited/users", Kind: bvfake.Trickle, Delay: 20 * time.Millisecond},
			opts: brevo.Options{AttemptTimeout: 300 * time.Millisecond}, call: teammates, kind: provider.ErrUnavailable, text: "no complete answer", hits: 1},
		{name: "huge body", fault: bvfake.Fault{Path: "/senders/domains", Kind: bvfake.Huge, Size: 3 << 20},
			opts: brevo.Options{MaxBody: 1 << 20}, call: senders, kind: provider.ErrUnavailable, text: "larger than 1 MiB"},
		{name: "malformed JSON", fault: bvfake.Fault{Path: "/account", Kind: bvfake.Malformed},
			call: account, kind: provider.ErrUnavailable, text: "Brevo sent malformed JSON"},
		{name: "IP block is not a dead key", fault: bvfake.Fault{Path: "/account", Kind: bvfake.IPBlock},
			call: account, kind: brevo.ErrIPBlocked, text: "authorised_ips"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, key := bvfake.Default(time.Now())
			f := bvfake.New(st)
			defer f.Close()
			c := faultClient(t, f, key, tc.opts)
			// Removal needs a listing first.
			if _, err := c.ListTeammates(bg); err != nil {
				t.Fatal(err)
			}
			method := tc.method
			if method == "" {
				method = "GET"
			}
			path := strings.TrimSuffix(tc.fault.Path, "*")
			if strings.HasSuffix(tc.fault.Path, "*") {
				path += "mallory@evil.example"
			}
			before := f.Hits(method, path)
			f.Inject(tc.fault)
			err := tc.call(c)
			switch {
			case tc.kind == nil && err != nil:
				t.Fatalf("want success, got %v", err)
			case tc.kind != nil && !errors.Is(err, tc.kind):
				t.Fatalf("want %v, got %v", tc.kind, err)
			}
			if err != nil {
				msg := err.Error()
				t.Logf("%s — %s", msg, provider.Advice(err))
				if tc.text != "" && !strings.Contains(msg, tc.text) {
					t.Errorf("message %q lacks %q", msg, tc.text)
				}
				if strings.Contains(msg, key) {
					t.Fatal("the error quotes the key")
				}
				var pe *provider.Error
				if !errors.As(err, &pe) || provider.Advice(err) == "" {
					t.Errorf("not a typed error with advice: %T %v", err, err)
				}
				if errors.Is(err, provider.ErrBadCredentials) {
					t.Errorf("a fault passed for a refused key: %v", err)
				}
			}
			if tc.hits > 0 {
				if n := f.Hits(method, path) - before; n != tc.hits {
					t.Errorf("%d requests to %s, want %d", n, path, tc.hits)
				}
			}
		})
	}
}

func account(c *brevo.Client) error { _, err := c.Account(bg); return err }
func senders(c *brevo.Client) error { _, err := c.ListSenders(bg); return err }
func teammates(c *brevo.Client) error {
	_, err := c.ListTeammates(bg)
	return err
}
func deleteWebhook(c *brevo.Client) error {
	return c.DeleteWebhook(bg, provider.Webhook{ID: "102", Kind: provider.WebhookEvent})
}
func removeMallory(c *brevo.Client) error {
	return c.RemoveTeammate(bg, provider.Teammate{Username: "mallory@evil.example", Email: "mallory@evil.example"})
}

// TestFaultLosesNothing: a section that fails leaves every other section of
// the inventory read, and a list that a hostile page cuts keeps the items
// read before it, marked truncated.
func TestFaultLosesNothing(t *testing.T) {
	now := time.Now().UTC()
	st, key := bvfake.Default(now)
	f := bvfake.New(st)
	defer f.Close()
	c := faultClient(t, f, key, brevo.Options{})
	f.Inject(bvfake.Fault{Path: "/senders", Kind: bvfake.ServerError})
	f.Inject(bvfake.Fault{Path: "/webhooks", Kind: bvfake.Malformed, Times: 1})
	inv, err := checklist.TakeInventory(bg, c, now)
	if err != nil {
		t.Fatal(err)
	}
	if why := inv.Errors[checklist.SecSenders]; !strings.Contains(why, "Internal server error") {
		t.Errorf("senders: %q", why)
	}
	// The malformed page cost the transactional webhooks only: the
	// marketing and inbound ones are kept, with the failure.
	if len(inv.Webhooks) != 2 || !strings.Contains(inv.Errors[checklist.SecWebhooks], "malformed JSON") {
		t.Errorf("webhooks: %d kept, error %q", len(inv.Webhooks), inv.Errors[checklist.SecWebhooks])
	}
	for _, sec := range []string{checklist.SecAccount, checklist.SecTeammates, checklist.SecActivity, checklist.SecMessages} {
		if _, ok := inv.Errors[sec]; ok {
			t.Errorf("%s failed too: %v", sec, inv.Errors[sec])
		}
	}
	if inv.Mail == nil || inv.Mail.Total != 150 || len(inv.Teammates) != 4 {
		t.Errorf("mail %+v, teammates %d", inv.Mail, len(inv.Teammates))
	}

	// Repeating pages: the first page is kept, the listing stops.
	big, bkey := bvfake.Big(now, 0, 0, 6000)
	f2 := bvfake.New(big)
	defer f2.Close()
	c2 := faultClient(t, f2, bkey, brevo.Options{})
	f2.Inject(bvfake.Fault{Path: "/smtp/statistics/events", Kind: bvfake.RepeatPage})
	n := 0
	err = c2.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { n += len(p); return nil })
	var tr *provider.Truncation
	if !errors.As(err, &tr) || tr.Cause != provider.CauseRepeat || n != brevo.EventsPageSize {
		t.Fatalf("repeating pages: %d kept, %v", n, err)
	}
	if f2.Hits("GET", "/smtp/statistics/events") != 2 {
		t.Errorf("requests: %v", f2.Log())
	}

	// A count that keeps growing: the listing stops at the smallest count
	// claimed, keeping what it read.
	big.SubAccounts = make([]bvfake.SubAccount, 0)
	f2.Inject(bvfake.Fault{Path: "/corporate/subAccount", Kind: bvfake.GrowingCount})
	subs, err := c2.ListSubusers(bg)
	if !errors.As(err, &tr) || tr.Cause != provider.CauseTotal || len(subs) == 0 {
		t.Fatalf("growing count: %d kept, %v", len(subs), err)
	}
}

// TestBadKey: an unknown key fails the first call with ErrBadCredentials
// and Brevo's words, and the audit can say so.
func TestBadKey(t *testing.T) {
	st, _ := bvfake.Default(time.Now())
	f := bvfake.New(st)
	defer f.Close()
	c := faultClient(t, f, bvfake.NewKey(99), brevo.Options{})
	_, err := c.Account(bg)
	if !errors.Is(err, provider.ErrBadCredentials) || !strings.Contains(err.Error(), "Key not found") {
		t.Fatalf("bad key: %v", err)
	}
}

// TestNotOnPlan: the activity log of a non-Enterprise account is "not
// available on this plan", not a failure of the key.
func TestNotOnPlan(t *testing.T) {
	st, key := bvfake.Default(time.Now())
	st.Enterprise = false
	f := bvfake.New(st)
	defer f.Close()
	c := faultClient(t, f, key, brevo.Options{})
	_, err := c.ListActivity(bg)
	if !errors.Is(err, provider.ErrUnsupported) || !errors.Is(err, brevo.ErrNotOnPlan) || !strings.Contains(err.Error(), "Enterprise plan") {
		t.Fatalf("activity: %v", err)
	}
	if f.Hits("GET", "/organization/activities") != 1 {
		t.Errorf("retried a plan refusal: %v", f.Log())
	}
}
