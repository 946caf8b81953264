package sendgrid_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/sendgrid"
	"reclaim/provider/sendgrid/sgfake"
)

func newFake(t *testing.T) (*sgfake.Server, sgfake.Key) {
	t.Helper()
	st, session := sgfake.Default(time.Now())
	f := sgfake.New(st)
	t.Cleanup(f.Close)
	return f, session
}

func newClient(t *testing.T, f *sgfake.Server, key string, o sendgrid.Options) *sendgrid.Client {
	t.Helper()
	if o.Backoff == 0 {
		o.Backoff = time.Millisecond
	}
	c, err := sendgrid.NewWithOptions(provider.Config{Credential: key, BaseURL: f.URL}, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func kindOf(err error) error {
	for _, k := range []error{provider.ErrBadCredentials, provider.ErrPermission, provider.ErrRateLimited, provider.ErrNotFound, provider.ErrUnavailable, provider.ErrInvalid, provider.ErrUnsupported} {
		if errors.Is(err, k) {
			return k
		}
	}
	return err
}

func TestRegisteredInfo(t *testing.T) {
	f, ok := provider.Lookup("sendgrid")
	if !ok {
		t.Fatal("sendgrid is not registered")
	}
	info := f.Info
	if info.BaseURLEnv != sendgrid.BaseURLEnv || len(info.Credentials) != 1 || info.Credentials[0].Env != "SENDGRID_API_KEY" {
		t.Fatalf("info: %+v", info)
	}
	for _, it := range []provider.Item{provider.ItemAPIKeys, provider.ItemPassword, provider.ItemTwoFactor, provider.ItemAccount, provider.ItemPayment,
		provider.ItemTeammates, provider.ItemIPAccess, provider.ItemWebhooks, provider.ItemParse, provider.ItemSubusers, provider.ItemMailSettings,
		provider.ItemSenders, provider.ItemActivity, provider.ItemMessages, provider.ItemSupport, provider.ItemSecurityLog} {
		if !strings.HasPrefix(info.ConsoleLink(it), "https://") {
			t.Errorf("no console link for %s", it)
		}
	}
	if !info.Support.TicketOnly || !strings.Contains(info.Support.Instructions, "Consumer Trust") || info.GraceWindow != 0 {
		t.Errorf("support: %+v", info.Support)
	}
	q := strings.Join(info.Quirks, "\n")
	if !strings.Contains(q, "first API key") || !strings.Contains(q, "Twilio") {
		t.Errorf("quirks: %s", q)
	}
}

func TestNewRejectsUnsafeBaseURL(t *testing.T) {
	for _, u := range []string{"http://api.example.com", "ftp://127.0.0.1", "not a url"} {
		if _, err := sendgrid.New(provider.Config{Credential: "x", BaseURL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
	c, err := sendgrid.New(provider.Config{Credential: "x", BaseURL: "eu"})
	if err != nil || c.BaseURL() != sendgrid.EUBaseURL {
		t.Fatalf("eu: %v %v", c, err)
	}
	t.Setenv(sendgrid.BaseURLEnv, "http://127.0.0.1:9")
	c, err = sendgrid.New(provider.Config{Credential: "x"})
	if err != nil || c.BaseURL() != "http://127.0.0.1:9" {
		t.Fatalf("env: %v", err)
	}
	if _, err := sendgrid.New(provider.Config{}); err == nil {
		t.Fatal("no key accepted")
	}
}

func TestSessionKeyID(t *testing.T) {
	k := sgfake.NewKey("x")
	c, err := sendgrid.New(provider.Config{Credential: k.Token})
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionKeyID() != k.ID || len(k.ID) != 22 {
		t.Fatalf("SessionKeyID = %q, want %q", c.SessionKeyID(), k.ID)
	}
	if sendgrid.KeyID("nonsense") != "" {
		t.Fatal("KeyID of a non-key")
	}
}

func TestInventory(t *testing.T) {
	f, session := newFake(t)
	c := newClient(t, f, session.Token, sendgrid.Options{})
	now := time.Now()
	inv, err := checklist.TakeInventory(context.Background(), c, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	want := []string{checklist.SecAccount, checklist.SecActivity, checklist.SecKeys, checklist.SecAllow, checklist.SecMail, checklist.SecMessages, checklist.SecSenders, checklist.SecSubusers, checklist.SecTeammates, checklist.SecWebhooks}
	slices.Sort(want)
	if !slices.Equal(inv.Read, want) {
		t.Fatalf("read %v, want %v", inv.Read, want)
	}
	if inv.Account.Username != "acme" || inv.Account.Email != "ops@acme.example" || inv.Account.Type != "paid" || inv.Account.Company != "Acme" {
		t.Errorf("account %+v", inv.Account)
	}
	if len(inv.Keys) != 4 {
		t.Fatalf("keys %+v", inv.Keys)
	}
	var sub, full int
	for _, k := range inv.Keys {
		if k.Subuser == "marketing" {
			sub++
		}
		if k.FullAccess {
			full++
		}
		if len(k.Scopes) == 0 {
			t.Errorf("key %s has no scopes", k.ID)
		}
	}
	if sub != 1 || full != 2 {
		t.Errorf("subuser keys %d, full-access keys %d", sub, full)
	}
	if f.OnBehalfOf("marketing") < 2 { // list + detail
		t.Errorf("on-behalf-of marketing used %d times", f.OnBehalfOf("marketing"))
	}
	if len(inv.Teammates) != 3 || !inv.Teammates[2].Pending || inv.Teammates[2].Token != "tok-1" || !inv.Teammates[0].Owner {
		t.Errorf("teammates %+v", inv.Teammates)
	}
	if len(inv.Subusers) != 2 || len(inv.Webhooks) != 2 || inv.Webhooks[1].Kind != provider.WebhookParse || inv.Webhooks[1].Hostname != "in.acme.example" {
		t.Errorf("subusers %+v webhooks %+v", inv.Subusers, inv.Webhooks)
	}
	var fb provider.MailSetting
	for _, m := range inv.MailSettings {
		if m.Name == "forward_bounce" {
			fb = m
		}
	}
	if !fb.Forwards || !fb.Enabled || fb.Value != "bounces@evil.example" || len(inv.MailSettings) != 6 {
		t.Errorf("mail settings %+v", inv.MailSettings)
	}
	if len(inv.Senders) != 5 || len(inv.AllowList) != 1 || len(inv.Activity) != 2 {
		t.Errorf("senders %+v allow %+v activity %+v", inv.Senders, inv.AllowList, inv.Activity)
	}
	if inv.Mail == nil || inv.Mail.Total != 2500 {
		t.Fatalf("mail %+v", inv.Mail)
	}
	fs := checklist.Analyze(inv, checklist.AnalysisInput{SessionKeyID: c.SessionKeyID()})
	ids := map[string]bool{}
	for _, x := range fs {
		ids[strings.SplitN(x.ID, ":", 2)[0]] = true
	}
	for _, w := range []string{"key-full", "webhook-outside", "parse-outside", "mail-forward", "invite-recent", "access-new-ip"} {
		if !ids[w] {
			t.Errorf("no %s finding in %v", w, ids)
		}
	}
}

func TestPaginationToTheEnd(t *testing.T) {
	st, session := sgfake.Big(time.Now(), 1203, 30, 1001, 12345)
	for i := range 250 {
		st.Verified = append(st.Verified, sgfake.Sender{ID: int64(10 + i*3), Email: fmt.Sprintf("s%d@big.example", i), Verified: true})
	}
	for i := range 150 {
		st.Domains = append(st.Domains, sgfake.Domain{ID: int64(i + 5), Domain: fmt.Sprintf("d%d.big.example", i), Valid: true})
	}
	for i := range 130 {
		st.MailSettings = append(st.MailSettings, sgfake.MailSetting{Name: fmt.Sprintf("extra_%d", i)})
	}
	f := sgfake.New(st)
	defer f.Close()
	c := newClient(t, f, session.Token, sendgrid.Options{})
	ctx := context.Background()
	tm, err := c.ListTeammates(ctx)
	if err != nil || len(tm) != 1001 {
		t.Fatalf("teammates %d %v", len(tm), err)
	}
	if h := f.Hits("GET /v3/teammates"); h != 3 {
		t.Errorf("teammate pages %d, want 3", h)
	}
	su, err := c.ListSubusers(ctx)
	if err != nil || len(su) != 1203 || f.Hits("GET /v3/subusers") != 3 {
		t.Fatalf("subusers %d %v (pages %d)", len(su), err, f.Hits("GET /v3/subusers"))
	}
	keys, err := c.ListKeys(ctx)
	if err != nil || len(keys) != 30 {
		t.Fatalf("keys %d %v", len(keys), err)
	}
	if f.Hits("GET /v3/subusers") != 3 {
		t.Error("ListKeys did not reuse the subuser list")
	}
	snd, err := c.ListSenders(ctx)
	if err != nil || len(snd) != 401 { // 250 verified + 151 domains
		t.Fatalf("senders %d %v", len(snd), err)
	}
	if h := f.Hits("GET /v3/verified_senders"); h != 3 {
		t.Errorf("verified sender pages %d, want 3", h)
	}
	ms, err := c.ListMailSettings(ctx)
	if err != nil || len(ms) != 135 {
		t.Fatalf("mail settings %d %v", len(ms), err)
	}
	seen := map[string]bool{}
	total := 0
	err = c.ListMessages(ctx, time.Now().Add(-30*24*time.Hour-time.Minute), func(page []provider.Message) error {
		for _, m := range page {
			if seen[m.ID] {
				return fmt.Errorf("duplicate %s", m.ID)
			}
			seen[m.ID] = true
			total++
		}
		return nil
	})
	if err != nil || total != 12345 {
		t.Fatalf("messages %d %v", total, err)
	}
}

func TestMessagesFallback(t *testing.T) {
	f, session := newFake(t)
	c := newClient(t, f, session.Token, sendgrid.Options{})
	since := time.Now().Add(-30 * 24 * time.Hour)
	count := func() (int, error) {
		n := 0
		err := c.ListMessages(context.Background(), since, func(p []provider.Message) error { n += len(p); return nil })
		return n, err
	}
	f.Mu.Lock()
	f.St.LogsStatus = 404
	f.Mu.Unlock()
	n, err := count()
	if err != nil || n < 2490 || f.Hits("GET /v3/messages") == 0 {
		t.Fatalf("activity fallback: %d %v", n, err)
	}
	f.Mu.Lock()
	f.St.ActivityStatus = 403
	f.Mu.Unlock()
	_, err = count()
	var pe *provider.Error
	if !errors.As(err, &pe) || !errors.Is(err, provider.ErrPermission) || pe.Scope == "" {
		t.Fatalf("want ErrPermission with a scope, got %v", err)
	}
	f.Mu.Lock()
	f.St.ActivityStatus = 404
	f.Mu.Unlock()
	if _, err = count(); !errors.Is(err, provider.ErrUnsupported) {
		t.Fatalf("want ErrUnsupported, got %v", err)
	}
	// The inventory records it and carries on.
	inv, err := checklist.TakeInventory(context.Background(), c, time.Now())
	if err != nil || inv.Errors[checklist.SecMessages] == "" || len(inv.Keys) == 0 {
		t.Fatalf("inventory: %v %v", err, inv.Errors)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	t.Run("401", func(t *testing.T) {
		f, _ := newFake(t)
		c := newClient(t, f, sgfake.NewKey("gone").Token, sendgrid.Options{})
		_, err := c.ListKeys(ctx)
		if !errors.Is(err, provider.ErrBadCredentials) || !strings.Contains(err.Error(), "authorization required") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("403 names the scope", func(t *testing.T) {
		f, _ := newFake(t)
		k := sgfake.NewKey("limited", "api_keys.read")
		f.Mu.Lock()
		f.St.Keys = append(f.St.Keys, k)
		f.Mu.Unlock()
		c := newClient(t, f, k.Token, sendgrid.Options{})
		_, err := c.ListTeammates(ctx)
		var pe *provider.Error
		if !errors.As(err, &pe) || !errors.Is(err, provider.ErrPermission) || pe.Scope != "teammates.read" {
			t.Fatalf("got %v", err)
		}
		if !strings.Contains(provider.Advice(err), "teammates.read") {
			t.Errorf("advice: %s", provider.Advice(err))
		}
		rep, err := c.Permissions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range rep.Items {
			if it.Item == provider.ItemAPIKeys && it.Action == "list API keys and their scopes" && !it.Allowed {
				t.Errorf("listing keys should be allowed: %+v", it)
			}
			if it.Item == provider.ItemTeammates && (it.Allowed || len(it.Missing) != 1) {
				t.Errorf("teammates: %+v", it)
			}
		}
		if rep.Allowed(provider.ItemPassword) {
			t.Error("password change allowed without user.password.update")
		}
	})
	t.Run("404 on delete is done", func(t *testing.T) {
		f, session := newFake(t)
		c := newClient(t, f, session.Token, sendgrid.Options{})
		if err := c.RevokeKey(ctx, "no-such-key"); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteWebhook(ctx, provider.Webhook{ID: "nope", Kind: provider.WebhookEvent}); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveTeammate(ctx, provider.Teammate{Pending: true, Token: "nope"}); err != nil {
			t.Fatal(err)
		}
		if err := c.DisableSubuser(ctx, "nobody"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("429 waits for the reset", func(t *testing.T) {
		f, session := newFake(t)
		c := newClient(t, f, session.Token, sendgrid.Options{})
		var waits atomic.Int32
		c.OnRateLimit(func(d time.Duration) {
			if d > 0 && d <= 2200*time.Millisecond {
				waits.Add(1)
			}
		})
		// X-RateLimit-Reset is whole epoch seconds: now+2s lies 1-2 s ahead.
		f.Inject(sgfake.Fault{Path: "/v3/teammates", Status: 429, Reset: 2 * time.Second})
		start := time.Now()
		tm, err := c.ListTeammates(ctx)
		if err != nil || len(tm) != 3 {
			t.Fatalf("%v %v", tm, err)
		}
		if waits.Load() == 0 || time.Since(start) < 900*time.Millisecond {
			t.Errorf("did not wait (hook %d, %v)", waits.Load(), time.Since(start))
		}
	})
	t.Run("429 beyond the cap", func(t *testing.T) {
		f, session := newFake(t)
		c := newClient(t, f, session.Token, sendgrid.Options{MaxRateWait: time.Second})
		f.Inject(sgfake.Fault{Path: "/v3/teammates", Status: 429, Reset: time.Hour})
		_, err := c.ListTeammates(ctx)
		var pe *provider.Error
		if !errors.As(err, &pe) || !errors.Is(err, provider.ErrRateLimited) || pe.RetryAfter < 50*time.Minute {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("500 retried for reads only", func(t *testing.T) {
		f, session := newFake(t)
		c := newClient(t, f, session.Token, sendgrid.Options{})
		f.Inject(sgfake.Fault{Path: "/v3/subusers", Status: 500, Times: 2})
		if su, err := c.ListSubusers(ctx); err != nil || len(su) != 2 {
			t.Fatalf("%v %v", su, err)
		}
		f.Inject(sgfake.Fault{Method: "POST", Path: "/v3/api_keys", Status: 500})
		_, err := c.CreateKey(ctx, "new", nil)
		if !errors.Is(err, provider.ErrUnavailable) || f.Hits("POST /v3/api_keys") != 1 {
			t.Fatalf("create: %v, %d attempts", err, f.Hits("POST /v3/api_keys"))
		}
		f.Inject(sgfake.Fault{Path: "/v3/user/webhooks/parse/settings", Status: 503, Times: 10})
		if _, err := c.ListWebhooks(ctx); !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("persistent 503: %v", err)
		}
	})
	t.Run("slow answer times out", func(t *testing.T) {
		f, session := newFake(t)
		c := newClient(t, f, session.Token, sendgrid.Options{RequestTimeout: 100 * time.Millisecond, Retries: -1})
		f.Inject(sgfake.Fault{Path: "/v3/access_settings/whitelist", Delay: time.Second})
		_, err := c.ListAllowRules(ctx)
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
			t.Fatalf("got %v", err)
		}
		// Even with retries, a timed-out attempt is not sent again (issue
		// 11): a provider holding answers back is no transient 5xx, and
		// each retry would hold the audit another RequestTimeout.
		c = newClient(t, f, session.Token, sendgrid.Options{RequestTimeout: 100 * time.Millisecond, Retries: 3})
		f.Inject(sgfake.Fault{Path: "/v3/access_settings/whitelist", Delay: time.Second, Times: 10})
		before := f.Hits("GET /v3/access_settings/whitelist")
		_, err = c.ListAllowRules(ctx)
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "no complete answer within 100ms") {
			t.Fatalf("got %v", err)
		}
		if n := f.Hits("GET /v3/access_settings/whitelist") - before; n != 1 {
			t.Errorf("%d attempts after a timeout, want 1", n)
		}
	})
	t.Run("truncated JSON", func(t *testing.T) {
		f, session := newFake(t)
		c := newClient(t, f, session.Token, sendgrid.Options{})
		f.Inject(sgfake.Fault{Path: "/v3/teammates", Truncate: true})
		_, err := c.ListTeammates(ctx)
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "malformed JSON") || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("huge body", func(t *testing.T) {
		f, session := newFake(t)
		c := newClient(t, f, session.Token, sendgrid.Options{MaxBody: 1 << 20})
		f.Inject(sgfake.Fault{Path: "/v3/subusers", Huge: 4 << 20})
		_, err := c.ListSubusers(ctx)
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "larger than 1 MiB") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("error body is sanitized", func(t *testing.T) {
		f, session := newFake(t)
		c := newClient(t, f, session.Token, sendgrid.Options{})
		f.Inject(sgfake.Fault{Path: "/v3/user/password", Status: 400})
		err := c.ChangePassword(ctx, "a", "b")
		if kindOf(err) != provider.ErrInvalid || strings.ContainsAny(err.Error(), "\x1b\x07") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestActions(t *testing.T) {
	ctx := context.Background()
	f, session := newFake(t)
	c := newClient(t, f, session.Token, sendgrid.Options{})
	nk, err := c.CreateKey(ctx, "reclaim replacement", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(nk.Scopes, []string{"mail.send"}) || nk.FullAccess || sendgrid.KeyID(nk.Secret) != nk.ID {
		t.Fatalf("new key %+v", nk.APIKey)
	}
	if err := c.VerifyKey(ctx, nk.Secret); err != nil {
		t.Fatalf("verify new key: %v", err)
	}
	if err := c.VerifyKey(ctx, sgfake.NewKey("x").Token); !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("verify bogus key: %v", err)
	}
	if err := c.RevokeKey(ctx, nk.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.VerifyKey(ctx, nk.Secret); !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("verify revoked key: %v", err)
	}
	// A subuser's key is revoked on its behalf.
	keys, err := c.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(keys, func(k provider.APIKey) bool { return k.Subuser != "" })
	if err := c.RevokeKey(ctx, keys[i].ID); err != nil {
		t.Fatal(err)
	}
	f.Mu.Lock()
	left := len(f.St.Subusers[0].Keys)
	f.Mu.Unlock()
	if left != 0 {
		t.Fatal("subuser key not revoked")
	}
	tm, _ := c.ListTeammates(ctx)
	for _, x := range tm[1:] {
		if err := c.RemoveTeammate(ctx, x); err != nil {
			t.Fatal(err)
		}
		if err := c.RemoveTeammate(ctx, x); err != nil { // twice is harmless
			t.Fatal(err)
		}
	}
	if tm, _ := c.ListTeammates(ctx); len(tm) != 1 {
		t.Fatalf("teammates left %+v", tm)
	}
	if err := c.DisableSubuser(ctx, "spam\u2066bot"); err != nil {
		t.Fatal(err)
	}
	su, _ := c.ListSubusers(ctx)
	if !su[1].Disabled {
		t.Fatal("subuser not disabled")
	}
	hooks, _ := c.ListWebhooks(ctx)
	for _, h := range hooks {
		if err := c.DeleteWebhook(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	if hooks, _ := c.ListWebhooks(ctx); len(hooks) != 0 {
		t.Fatalf("webhooks left %+v", hooks)
	}
	if err := c.DisableMailSetting(ctx, "forward_bounce"); err != nil {
		t.Fatal(err)
	}
	if err := c.DisableMailSetting(ctx, "bcc"); !errors.Is(err, provider.ErrUnsupported) {
		t.Fatalf("bcc: %v", err)
	}
	ms, _ := c.ListMailSettings(ctx)
	for _, m := range ms {
		if m.Name == "forward_bounce" && m.Enabled {
			t.Fatal("forward_bounce still on")
		}
	}
	added, err := c.AddAllowRules(ctx, []string{"198.51.100.0/24", "192.0.2.10"})
	if err != nil || len(added) != 1 || added[0].CIDR != "198.51.100.0/24" {
		t.Fatalf("allow: %+v %v", added, err)
	}
	if added, err := c.AddAllowRules(ctx, []string{"198.51.100.0/24"}); err != nil || len(added) != 0 {
		t.Fatalf("allow again: %+v %v", added, err)
	}
	if _, err := c.AddAllowRules(ctx, []string{"not-an-ip"}); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("bad ip: %v", err)
	}
	if err := c.ChangePassword(ctx, "wrong", "new password 1"); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("wrong old password: %v", err)
	}
	if err := c.ChangePassword(ctx, "correct horse battery", "new password 1"); err != nil {
		t.Fatal(err)
	}
	if f.Hits("PUT /v3/user/password") != 2 {
		t.Fatal("password change retried")
	}
}

func TestFirstKeyAdvice(t *testing.T) {
	f, _ := newFake(t)
	k := sgfake.NewKey("send only", "mail.send")
	f.Mu.Lock()
	f.St.Keys = append(f.St.Keys, k)
	f.Mu.Unlock()
	c := newClient(t, f, k.Token, sendgrid.Options{})
	_, err := c.CreateKey(context.Background(), "x", nil)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Scope != "api_keys.create" {
		t.Fatalf("got %v", err)
	}
}

func TestRateLimitedInventoryHasNo429Storm(t *testing.T) {
	st, session := sgfake.Big(time.Now(), 300, 20, 50, 3000)
	f := sgfake.New(st)
	defer f.Close()
	f.RateLimit = 100
	c := newClient(t, f, session.Token, sendgrid.Options{})
	inv, err := checklist.TakeInventory(context.Background(), c, time.Now())
	if err != nil || len(inv.Errors) > 0 {
		t.Fatalf("%v %v", err, inv.Errors)
	}
	if len(inv.Subusers) != 300 || inv.Mail.Total != 3000 {
		t.Fatalf("subusers %d mail %d", len(inv.Subusers), inv.Mail.Total)
	}
	if l := f.Limited(); l > f.Requests()/20 {
		t.Errorf("%d of %d requests were refused with 429", l, f.Requests())
	}
}

// TestBenchmarkAccountWholeAtDefaultCaps: the benchmark account (2,000
// subusers, 100 keys, 500 teammates, 100,000 messages) reads whole at the
// default caps, nothing truncated: the per-section item cap (5,000) is
// well above it.
func TestBenchmarkAccountWholeAtDefaultCaps(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100,000 messages")
	}
	st, session := sgfake.Big(time.Now(), 2000, 100, 500, 100_000)
	f := sgfake.New(st)
	defer f.Close()
	c := newClient(t, f, session.Token, sendgrid.Options{})
	inv, err := checklist.TakeInventory(context.Background(), c, time.Now())
	if err != nil || len(inv.Errors) > 0 || len(inv.Truncated) > 0 {
		t.Fatalf("%v; errors %v; truncated %v", err, inv.Errors, inv.Truncated)
	}
	if len(inv.Subusers) != 2000 || len(inv.Keys) != 100 || len(inv.Teammates) != 500 || inv.Mail == nil || inv.Mail.Total != 100_000 {
		t.Fatalf("%d subusers, %d keys, %d teammates, %+v", len(inv.Subusers), len(inv.Keys), len(inv.Teammates), inv.Mail)
	}
	if provider.DefaultMaxItems < 2000 {
		t.Errorf("DefaultMaxItems %d is below the benchmark's 2,000 subusers", provider.DefaultMaxItems)
	}
}
