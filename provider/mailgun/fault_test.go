package mailgun_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/mailgun"
	"reclaim/provider/mailgun/mgfake"
)

// Every fault ends in a typed error that says what happened, or in the
// right answer after a wait; nothing is lost.
func TestFaults(t *testing.T) {
	now := time.Now()
	cases := []struct {
		name  string
		fault mgfake.Fault
		opts  mailgun.Options
		kind  error  // nil: the call succeeds
		text  string // in the error
		hits  int    // requests to GET /v5/users, 0: not checked
	}{
		{name: "429 short", fault: mgfake.Fault{Status: 429, RetryAfter: "1"}, hits: 4},
		{name: "429 long", fault: mgfake.Fault{Status: 429, RetryAfter: "3600"}, kind: provider.ErrRateLimited, text: "retry in 1h0m0s", hits: 1},
		{name: "500 once", fault: mgfake.Fault{Status: 500}, hits: 4},
		{name: "500 always", fault: mgfake.Fault{Status: 500, Times: 10}, kind: provider.ErrUnavailable, hits: 3},
		{name: "slow", fault: mgfake.Fault{Delay: 2 * time.Second}, opts: mailgun.Options{AttemptTimeout: 300 * time.Millisecond}, kind: provider.ErrUnavailable, text: "no complete answer within 300ms", hits: 1},
		{name: "trickle", fault: mgfake.Fault{Trickle: 40 * time.Millisecond}, opts: mailgun.Options{AttemptTimeout: 300 * time.Millisecond}, kind: provider.ErrUnavailable, text: "no complete answer", hits: 1},
		{name: "huge", fault: mgfake.Fault{Huge: 20 << 20}, kind: provider.ErrUnavailable, text: "larger than 8 MiB"},
		{name: "malformed", fault: mgfake.Fault{Malformed: true}, kind: provider.ErrUnavailable, text: "malformed JSON"},
		{name: "401", fault: mgfake.Fault{Status: 401, Body: `{"message":"Invalid private key"}`}, kind: provider.ErrBadCredentials, text: "MAILGUN_REGION=eu"},
		{name: "403", fault: mgfake.Fault{Status: 403, Body: `{"message":"Forbidden"}`}, kind: provider.ErrPermission, text: "Forbidden"},
		{name: "plain-text 403", fault: mgfake.Fault{Status: 403, Body: "Forbidden"}, kind: provider.ErrPermission, text: "Forbidden"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, session := mgfake.Big(now, 250, 0)
			f := mgfake.New(st)
			defer f.Close()
			tc.fault.Method, tc.fault.Path = "GET", "/v5/users"
			f.Inject(tc.fault)
			c := newClient(t, f, session.Secret, tc.opts)
			users, err := c.ListTeammates(context.Background())
			if tc.kind == nil {
				if err != nil || len(users) != 251 {
					t.Fatalf("%d users, %v", len(users), err)
				}
			} else {
				var pe *provider.Error
				if !errors.Is(err, tc.kind) || !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.text) {
					t.Fatalf("err %v, want %v with %q", err, tc.kind, tc.text)
				}
				if provider.Advice(err) == "" {
					t.Fatal("no advice")
				}
			}
			if tc.hits > 0 && f.Hits("GET /v5/users") != tc.hits {
				t.Fatalf("%d requests, want %d", f.Hits("GET /v5/users"), tc.hits)
			}
		})
	}
}

// A broken or hostile paginator: a page that repeats stops the listing
// with what it read; a total that lies does not.
func TestPaging(t *testing.T) {
	now := time.Now()
	st, session := mgfake.Big(now, 250, 0)
	f := mgfake.New(st)
	defer f.Close()
	c := newClient(t, f, session.Secret, mailgun.Options{})
	ctx := context.Background()
	f.LyingTotal = 10_000
	users, err := c.ListTeammates(ctx)
	if err != nil || len(users) != 251 {
		t.Fatalf("lying total: %d users, %v", len(users), err)
	}
	f.LyingTotal = 0
	f.RepeatPages = true
	users, err = c.ListTeammates(ctx)
	var tr *provider.Truncation
	if !errors.As(err, &tr) || tr.Cause != provider.CauseRepeat || len(users) != 100 {
		t.Fatalf("repeated pages: %d users, %v", len(users), err)
	}
	// The Logs API's tokens and the Events API's links, repeating.
	st.Mail = mgfake.Mail{Count: 500, Since: now.Add(-48 * time.Hour), Until: now.Add(-time.Hour), Subjects: []string{"hi"}, From: "a@acme.example", Domain: "acme.example"}
	f.Mu.Lock()
	f.St.Mail = st.Mail
	f.Mu.Unlock()
	msgs, err := collect(t, c, now.Add(-72*time.Hour))
	if !errors.As(err, &tr) || tr.Cause != provider.CauseRepeat || len(msgs) != 100 {
		t.Fatalf("repeated logs pages: %d messages, %v", len(msgs), err)
	}
	f.NoLogs = true
	msgs, err = collect(t, c, now.Add(-72*time.Hour))
	if !errors.As(err, &tr) || tr.Cause != provider.CauseRepeat || len(msgs) != 300 {
		t.Fatalf("repeated events pages: %d messages, %v", len(msgs), err)
	}
}

// The caps of provider.Limits hold: a section stops at its item cap with a
// truncation, and keeps what it read.
func TestCaps(t *testing.T) {
	now := time.Now()
	st, session := mgfake.Big(now, 300, 2_000)
	f := mgfake.New(st)
	defer f.Close()
	c := newClient(t, f, session.Secret, mailgun.Options{Limits: provider.Limits{MaxItems: 50, MaxMessages: 150}})
	inv, err := checklist.TakeInventory(context.Background(), c, now)
	if err != nil {
		t.Fatal(err)
	}
	for sec, n := range map[string]int{checklist.SecTeammates: len(inv.Teammates), checklist.SecSubusers: len(inv.Subusers), checklist.SecSenders: len(inv.Senders), checklist.SecWebhooks: len(inv.Webhooks)} {
		if n > 50 || inv.Truncated[sec] == "" {
			t.Errorf("%s: %d items, truncated %q", sec, n, inv.Truncated[sec])
		}
	}
	if inv.Mail == nil || inv.Mail.Total != 150 || inv.Truncated[checklist.SecMessages] == "" {
		t.Errorf("mail %+v, truncated %q", inv.Mail, inv.Truncated[checklist.SecMessages])
	}
	// A page cap stops the per-domain webhook reads.
	c = newClient(t, f, session.Secret, mailgun.Options{Limits: provider.Limits{MaxPages: 20}})
	hooks, err := c.ListWebhooks(context.Background())
	var tr *provider.Truncation
	if !errors.As(err, &tr) || len(hooks) == 0 {
		t.Fatalf("page cap: %d webhooks, %v", len(hooks), err)
	}
}

// One section failing loses none of the others.
func TestInventoryKeepsTheRest(t *testing.T) {
	f, session := fake(t)
	f.Inject(mgfake.Fault{Method: "GET", Path: "/v5/users", Status: 503, Times: 10})
	c := newClient(t, f, session.Secret, mailgun.Options{})
	inv, err := checklist.TakeInventory(context.Background(), c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(inv.Errors[checklist.SecTeammates], "provider unavailable") || len(inv.Keys) != 5 || len(inv.Webhooks) != 7 || inv.Mail == nil {
		t.Fatalf("errors %v, %d keys, %d webhooks", inv.Errors, len(inv.Keys), len(inv.Webhooks))
	}
	// A failure mid-way through the mail keeps the pages already handed
	// over.
	f.Inject(mgfake.Fault{Method: "POST", Path: "/v1/analytics/logs", Status: 500, Times: 10})
	f2, session2 := fake(t)
	c2 := newClient(t, f2, session2.Secret, mailgun.Options{})
	var got int
	calls := 0
	err = c2.ListMessages(context.Background(), time.Now().Add(-30*24*time.Hour), func(p []provider.Message) error {
		got += len(p)
		calls++
		if calls == 3 {
			f2.Inject(mgfake.Fault{Method: "POST", Path: "/v1/analytics/logs", Status: 500, Times: 10})
		}
		return nil
	})
	if !errors.Is(err, provider.ErrUnavailable) || got != 300 {
		t.Fatalf("%d messages kept, %v", got, err)
	}
}

// unsafe reports the first character of s a terminal would act on.
func unsafe(s string) (rune, bool) {
	for _, r := range s {
		if string(r) != provider.Sanitize(string(r)) {
			return r, true
		}
	}
	return 0, false
}

// hostile fills every string of an account with escapes, control
// characters, bidi overrides and 5,000-character names.
func hostile(now time.Time) (mgfake.State, mgfake.Key) {
	st, session := mgfake.Default(now)
	esc := "\x1b[2J\x1b]0;x\x07\u202e\u2066\x00\r\n\u009b" + mgfake.LongName
	for i := range st.Keys {
		if st.Keys[i].ID != session.ID {
			st.Keys[i].Description += esc
			st.Keys[i].Requestor += esc
		}
	}
	for i := range st.Users {
		st.Users[i].Name += esc
		st.Users[i].Email += esc
	}
	for i := range st.Subaccounts {
		st.Subaccounts[i].Name += esc
	}
	for i := range st.Routes {
		st.Routes[i].Expression += esc
		st.Routes[i].Actions = append(st.Routes[i].Actions, `forward("https://x.evil.example/`+esc+`")`)
	}
	st.Domains[0].Webhooks["clicked"] = []string{"https://evil.example/" + esc}
	st.Domains[1].ArchiveTo += esc
	st.Domains[0].Credentials[0].Login += esc
	st.Mail.Subjects = []string{esc}
	st.Mail.From = esc
	st.AllowList = []mgfake.Allow{{IP: "127.0.0.1", Description: esc}}
	return st, session
}

// walkStrings calls fn for every string in v (records, slices, structs).
func walkStrings(v reflect.Value, fn func(string)) {
	switch v.Kind() {
	case reflect.String:
		fn(v.String())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), fn)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), fn)
			}
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), fn)
		}
	}
}

// TestHostileStrings: no escape, control or bidi character reaches an
// error or a note the adapter writes, records stay within their caps, and
// the key never appears in an error, even when the server echoes it.
func TestHostileStrings(t *testing.T) {
	now := time.Now()
	st, session := hostile(now)
	f := mgfake.New(st)
	defer f.Close()
	c := newClient(t, f, session.Secret, mailgun.Options{})
	ctx := context.Background()
	inv, err := checklist.TakeInventory(ctx, c, now)
	if err != nil || len(inv.Errors) > 0 {
		t.Fatalf("%v %v", err, inv.Errors)
	}
	walkStrings(reflect.ValueOf(*inv), func(s string) {
		if len(s) > 2100 {
			t.Errorf("a %d-byte string passed the caps: %.60q", len(s), s)
		}
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 kept: %.60q", s)
		}
	})
	secrets, err := c.ListSecrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	walkStrings(reflect.ValueOf(secrets), func(s string) {
		if len(s) > 600 {
			t.Errorf("a %d-byte secret name", len(s))
		}
	})
	var errs []error
	check := func(what string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", what, err))
		}
	}
	// Hostile error bodies on every kind of call, echoing the key.
	body := `{"message":"nope \u001b[31m` + session.Secret + `\u202e\u0007 ` + mgfake.LongName + `"}`
	for _, st := range []int{400, 401, 403, 404, 429, 500} {
		times := 1
		if st == 500 {
			times = 3 // retried
		}
		f.Inject(mgfake.Fault{Method: "GET", Path: "/v1/keys", Status: st, Body: body, RetryAfter: "99999", Times: times})
		_, err := c.ListKeys(ctx)
		check(fmt.Sprint(st), err)
	}
	// The 429's day-long wait holds every later call of that client (the
	// shared limiter): go on with a new one.
	c = newClient(t, f, session.Secret, mailgun.Options{})
	f.Inject(mgfake.Fault{Status: 400, Body: `{"Reason":"\u001b]8;;http://evil\u0007x"}`})
	check("webhook", c.DeleteWebhook(ctx, inv.Webhooks[0]))
	for _, s := range inv.Subusers {
		f.Inject(mgfake.Fault{Method: "POST", Path: "/v5/accounts/subaccounts/*", Status: 400, Body: body})
		check("subaccount", c.DisableSubuser(ctx, s.Username))
	}
	_, err = c.CreateKey(ctx, "x", []string{"\x1b[31mowner\u202e"})
	check("create", err)
	check("delete", c.DeleteWebhook(ctx, provider.Webhook{ID: "\x1b[2Jroute:\u202e"}))
	_, err = c.RotateSecret(ctx, provider.AccountSecret{ID: "smtp:" + mgfake.LongName + ":\x1b[2J"})
	check("rotate", err)
	_, err = c.AddAllowRules(ctx, []string{"\x1b[2J10.0.0.1"})
	check("allow", err)
	if len(errs) < 10 {
		t.Fatalf("only %d errors", len(errs))
	}
	for _, e := range errs {
		msg := e.Error()
		if r, bad := unsafe(msg); bad {
			t.Errorf("error carries %U: %q", r, msg)
		}
		if strings.Contains(msg, session.Secret) {
			t.Errorf("error carries the key: %q", msg)
		}
		if len(msg) > 2000 {
			t.Errorf("error of %d bytes", len(msg))
		}
		if r, bad := unsafe(provider.Advice(e)); bad {
			t.Errorf("advice carries %U", r)
		}
	}
	for _, s := range secrets {
		if s.Kind != provider.SecretSMTP {
			continue
		}
		rs, err := c.RotateSecret(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if r, bad := unsafe(rs.Note); bad {
			t.Errorf("note carries %U: %q", r, rs.Note)
		}
	}
	// Truncation reasons name no provider text.
	f.RepeatPages = true
	f.NoLogs = true
	f.ForeignNext = "https://\x1b[31mevil.example\u202e"
	err = c.ListMessages(ctx, now.Add(-30*24*time.Hour), func([]provider.Message) error { return nil })
	if err == nil {
		t.Fatal("no truncation")
	}
	if r, bad := unsafe(err.Error()); bad {
		t.Errorf("truncation carries %U: %q", r, err.Error())
	}
}

func TestConfig(t *testing.T) {
	t.Setenv(mailgun.RegionEnv, "")
	mk := func(cfg provider.Config, o mailgun.Options) (*mailgun.Client, error) {
		return mailgun.NewWithOptions(cfg, o)
	}
	c, err := mk(provider.Config{Credential: "k"}, mailgun.Options{})
	if err != nil || c.BaseURL() != mailgun.USBaseURL || c.Region() != "us" {
		t.Fatalf("default: %v %v", c, err)
	}
	t.Setenv(mailgun.RegionEnv, "EU")
	c, err = mk(provider.Config{Credential: "k"}, mailgun.Options{})
	if err != nil || c.BaseURL() != mailgun.EUBaseURL {
		t.Fatalf("eu: %v", err)
	}
	c, err = mk(provider.Config{Credential: "k", BaseURL: "us"}, mailgun.Options{})
	if err != nil || c.BaseURL() != mailgun.USBaseURL {
		t.Fatalf("base url us beats the region: %v", err)
	}
	c, err = mk(provider.Config{Credential: "k", BaseURL: "http://127.0.0.1:9"}, mailgun.Options{})
	if err != nil || c.BaseURL() != "http://127.0.0.1:9" {
		t.Fatalf("loopback override: %v", err)
	}
	for _, bad := range []provider.Config{
		{Credential: ""},
		{Credential: "a b"},
		{Credential: "k", BaseURL: "http://192.0.2.1"},
		{Credential: "k", BaseURL: "https://user:pw@api.mailgun.net"},
	} {
		if _, err := mk(bad, mailgun.Options{}); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
	t.Setenv(mailgun.RegionEnv, "mars")
	if _, err := mk(provider.Config{Credential: "k"}, mailgun.Options{}); err == nil || !strings.Contains(err.Error(), "us") {
		t.Fatalf("bad region: %v", err)
	}
	if _, ok := provider.Lookup("mailgun"); !ok {
		t.Fatal("not registered")
	}
	if mailgun.KeyIDOf("key-"+strings.Repeat("a", 32)) != "" || mailgun.KeyIDOf(strings.Repeat("a", 32)+"-0123abcd-4567cdef") != "0123abcd-4567cdef" {
		t.Fatal("KeyIDOf")
	}
}

func TestMatchLeak(t *testing.T) {
	f, session := fake(t)
	c := newClient(t, f, session.Secret, mailgun.Options{})
	keys, err := c.ListKeys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := c.MatchLeak(provider.Leak{Provider: "mailgun", Kind: "api_key"}, keys); ok {
		t.Fatalf("a leak without an id matched %q", id)
	}
	if id, ok := c.MatchLeak(provider.Leak{Provider: "mailgun", KeyID: keys[2].ID}, keys); !ok || id != keys[2].ID {
		t.Fatal("a leak with a listed id did not match")
	}
	if _, ok := c.MatchLeak(provider.Leak{Provider: "sendgrid", KeyID: keys[2].ID}, keys); ok {
		t.Fatal("another provider's leak matched")
	}
	if _, ok := c.MatchLeak(provider.Leak{Provider: "mailgun", KeyID: "nope"}, keys); ok {
		t.Fatal("an unknown id matched")
	}
}
