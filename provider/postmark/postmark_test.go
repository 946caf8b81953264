package postmark_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/postmark"
	"reclaim/provider/postmark/pmfake"
)

var bg = context.Background()

// client connects to the fake with cred ("account:server"), with short
// timeouts and backoffs.
func client(t *testing.T, f *pmfake.Fake, cred string, o postmark.Options, l provider.Limits) *postmark.Client {
	t.Helper()
	if o.Backoff == 0 {
		o.Backoff = 5 * time.Millisecond
	}
	if o.AttemptTimeout == 0 {
		o.AttemptTimeout = 5 * time.Second
	}
	c, err := postmark.NewWithOptions(provider.Config{Credential: cred, BaseURL: f.URL, Limits: l}, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fake(t *testing.T, st pmfake.State) *pmfake.Fake {
	f := pmfake.New(st)
	t.Cleanup(f.Close)
	return f
}

// allTokens is every token value the fake's state holds.
func allTokens(st pmfake.State) []string {
	toks := slices.Clone(st.AccountTokens)
	for _, s := range st.Servers {
		toks = append(toks, s.ApiTokens...)
	}
	return toks
}

// noSecrets fails when any token or webhook credential shows in v's JSON.
func noSecrets(t *testing.T, st pmfake.State, what string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	secrets := allTokens(st)
	for _, s := range st.Servers {
		for _, w := range s.Webhooks {
			if w.HTTPAuthPass != "" {
				secrets = append(secrets, w.HTTPAuthPass)
			}
			for _, v := range w.Headers {
				secrets = append(secrets, v)
			}
		}
	}
	secrets = append(secrets, "hunter2")
	for _, s := range secrets {
		if len(s) >= 6 && strings.Contains(string(b), s) {
			t.Errorf("%s shows a secret (%d bytes)", what, len(s))
		}
	}
}

func TestInventoryWithAccountToken(t *testing.T) {
	now := time.Now()
	st, s := pmfake.Default(now)
	f := fake(t, st)
	c := client(t, f, s.AccountToken+":-", postmark.Options{}, provider.Limits{})
	rep, err := c.Permissions(bg)
	if err != nil || len(rep.Granted) != 1 || !rep.Allowed(provider.ItemSenders) {
		t.Errorf("permissions of the account token: %v %+v", err, rep)
	}

	subs, err := c.ListSubusers(bg)
	if err != nil || len(subs) != 3 || subs[0].Username != "Production (#101)" {
		t.Fatalf("servers: %v %+v", err, subs)
	}
	hooks, err := c.ListWebhooks(bg)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]provider.Webhook{}
	for _, w := range hooks {
		byID[w.ID] = w
	}
	if w := byID["server:101:inbound"]; w.Kind != provider.WebhookRoute || w.URL != "https://inbound.evil.example/steal" ||
		!strings.Contains(w.Filter, "0123abcd@inbound.postmarkapp.com") || w.Hostname != "in.acme.example" {
		t.Errorf("inbound route: %+v", w)
	}
	if w := byID["server:101:hook:BounceHook"]; w.Kind != provider.WebhookEvent || w.URL != "https://hooks.acme.example/postmark/bounce" {
		t.Errorf("legacy hook: %+v", w)
	}
	if w := byID["server:101:webhook:2"]; w.URL != "https://collector:xxxxx@collector.evil.example/pm" || !w.Enabled || !strings.Contains(w.Domain, "Production (#101)") {
		t.Errorf("webhook (password masked): %+v", w)
	}
	if len(hooks) != 4 {
		t.Errorf("%d webhooks, want 4: %+v", len(hooks), hooks)
	}
	senders, err := c.ListSenders(bg)
	if err != nil || len(senders) != 4 {
		t.Fatalf("senders: %v %+v", err, senders)
	}
	if senders[1].Address != "ceo@evil.example" || senders[1].Kind != "single" || !senders[1].Verified ||
		senders[2].Kind != "domain" || !senders[2].Verified || senders[3].Verified {
		t.Errorf("senders: %+v", senders)
	}
	settings, err := c.ListMailSettings(bg)
	if err != nil || len(settings) != 15 {
		t.Fatalf("settings: %v %d", err, len(settings))
	}
	if settings[0].Name != "Production (#101): SMTP sending" || !settings[0].Enabled || settings[5].Enabled || settings[1].Value != "2 tokens" {
		t.Errorf("settings: %+v", settings[:6])
	}
	secrets, err := c.ListSecrets(bg)
	if err != nil || len(secrets) != 5 {
		t.Fatalf("secrets: %v %+v", err, secrets)
	}
	if secrets[0].Kind != provider.SecretAccountToken || !secrets[0].Session || secrets[0].ID != "token:"+postmark.Fingerprint(s.AccountToken) {
		t.Errorf("account token: %+v", secrets[0])
	}
	if secrets[1].ID != "token:"+postmark.Fingerprint(s.ServerToken) || secrets[1].Kind != provider.SecretServerToken || secrets[1].Session ||
		secrets[1].Domain != "Production (#101)" {
		t.Errorf("server token: %+v", secrets[1])
	}
	keys, err := c.ListKeys(bg)
	if err != nil || len(keys) != 5 || !keys[0].Master || keys[0].ID != c.SessionKeyID() || keys[1].Master || keys[1].Subuser != "Production (#101)" {
		t.Errorf("keys: %v %+v (session %s)", err, keys, c.SessionKeyID())
	}
	if g := postmark.RotationGuide(secrets[1]); !strings.Contains(g, "https://account.postmarkapp.com/servers/101/credentials") {
		t.Errorf("guide: %s", g)
	}

	var msgs []provider.Message
	err = c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { msgs = append(msgs, p...); return nil })
	if err != nil || len(msgs) != 5500 {
		t.Fatalf("messages: %v, %d", err, len(msgs))
	}
	status := map[string]int{}
	for _, m := range msgs {
		status[m.Status]++
	}
	// Production: every 100th of 2500 bounced; the attacker's server:
	// every 20th of 3000 drew a complaint, every 4th bounced (none both).
	if status["spam complaint"] != 150 || status["bounced (HardBounce)"] != 25+750 {
		t.Errorf("statuses: %v", status)
	}
	stats, spikes, err := c.BounceStats(bg, now.Add(-30*24*time.Hour))
	if err != nil || len(stats) != 3 || stats[2].SpamComplaints != 150 {
		t.Fatalf("stats: %v %+v", err, stats)
	}
	var kinds []string
	for _, sp := range spikes {
		if sp.Server != "mailer\uFFFD[31m\uFFFDloot (#103)" {
			t.Errorf("spike on the wrong server: %s", sp.Title())
		}
		kinds = append(kinds, sp.Kind)
	}
	if !slices.Contains(kinds, "bounces") || !slices.Contains(kinds, "spam complaints") {
		t.Errorf("spikes: %+v", spikes)
	}
	noSecrets(t, st, "inventory", []any{subs, hooks, senders, settings, secrets, msgs[:10], stats, spikes})

	// The whole inventory and its findings.
	inv, err := checklist.TakeInventory(bg, c, now)
	if err != nil || len(inv.Errors) > 0 || len(inv.Truncated) > 0 {
		t.Fatalf("inventory: %v %v %v", err, inv.Errors, inv.Truncated)
	}
	var titles []string
	for _, fi := range checklist.Analyze(inv, checklist.AnalysisInput{}) {
		titles = append(titles, fi.Title)
	}
	all := strings.Join(titles, "\n")
	for _, want := range []string{"inbound.evil.example", "collector.evil.example", "ceo@evil.example", "billing@evil.example", "Sending spike"} {
		if !strings.Contains(all, want) {
			t.Errorf("findings lack %q:\n%s", want, all)
		}
	}
	noSecrets(t, st, "inventory", inv)
}

func TestServerTokenOnly(t *testing.T) {
	now := time.Now()
	st, s := pmfake.Default(now)
	f := fake(t, st)
	c := client(t, f, "-:"+s.ServerToken, postmark.Options{}, provider.Limits{})
	if c.HasAccountToken() {
		t.Fatal("has an account token")
	}
	rep, err := c.Permissions(bg)
	if err != nil || len(rep.Granted) != 1 || rep.Allowed(provider.ItemSenders) || !rep.Allowed(provider.ItemWebhooks) {
		t.Errorf("permissions of a server token: %v %+v", err, rep)
	}
	subs, err := c.ListSubusers(bg)
	if err != nil || len(subs) != 1 || subs[0].Username != "Production (#101)" {
		t.Fatalf("servers: %v %+v", err, subs)
	}
	hooks, err := c.ListWebhooks(bg)
	if err != nil || len(hooks) != 4 {
		t.Fatalf("webhooks: %v %+v", err, hooks)
	}
	_, err = c.ListSenders(bg)
	if !errors.Is(err, provider.ErrPermission) || !strings.Contains(err.Error(), "POSTMARK_ACCOUNT_TOKEN") {
		t.Errorf("senders without the account token: %v", err)
	}
	secrets, err := c.ListSecrets(bg)
	if err != nil || len(secrets) != 2 || !secrets[0].Session || secrets[0].ID != c.SessionKeyID() {
		t.Fatalf("secrets: %v %+v", err, secrets)
	}
	n := 0
	err = c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { n += len(p); return nil })
	if err != nil || n != 2500 {
		t.Fatalf("messages: %v %d", err, n)
	}
	if f.Hits("GET /servers") != 0 || f.TokenUses(s.AccountToken) != 0 {
		t.Error("a server token session called the account API")
	}
}

func TestCredentials(t *testing.T) {
	for _, cred := range []string{"", "-:-", ":", " - : - "} {
		if _, err := postmark.New(provider.Config{Credential: cred}); !errors.Is(err, postmark.ErrNoCredential) {
			t.Errorf("%q: %v", cred, err)
		}
	}
	if _, err := postmark.New(provider.Config{Credential: "abc\r\ndef:-"}); err == nil || strings.Contains(err.Error(), "abc") {
		t.Errorf("a token with CR LF: %v", err)
	}
	if _, err := postmark.New(provider.Config{Credential: pmfake.NewToken(), BaseURL: "http://192.0.2.1"}); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http to a remote host: %v", err)
	}
	st, s := pmfake.Default(time.Now())
	f := fake(t, st)
	c := client(t, f, pmfake.NewToken()+":-", postmark.Options{}, provider.Limits{})
	if _, err := c.ListSubusers(bg); !errors.Is(err, provider.ErrBadCredentials) || !strings.Contains(err.Error(), "valid Account token") {
		t.Errorf("a wrong account token: %v", err)
	}
	if _, err := c.Permissions(bg); !errors.Is(err, provider.ErrBadCredentials) {
		t.Errorf("permissions of a wrong account token: %v", err)
	}
	// Both tokens given: both are checked.
	_, s2 := pmfake.Default(time.Now())
	c = client(t, f, s2.AccountToken+":"+s.ServerToken, postmark.Options{}, provider.Limits{})
	if _, err := c.Permissions(bg); !errors.Is(err, provider.ErrBadCredentials) {
		t.Errorf("a wrong account token beside a good server token: %v", err)
	}
}

// TestVerifyKey is the dead-credential proof: a token the console deleted
// is refused both as a server token and as an account token.
func TestVerifyKey(t *testing.T) {
	st, s := pmfake.Default(time.Now())
	f := fake(t, st)
	c := client(t, f, s.AccountToken+":-", postmark.Options{}, provider.Limits{})
	if err := c.VerifyKey(bg, s.ServerToken); err != nil {
		t.Errorf("live server token: %v", err)
	}
	if err := c.VerifyKey(bg, s.AccountToken); err != nil {
		t.Errorf("live account token: %v", err)
	}
	if err := c.VerifyKey(bg, "not a token\r\n"); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("garbage: %v", err)
	}
	// The owner rotates Production's token in the console: add a new one,
	// delete the old.
	old := s.ServerToken
	f.Mu.Lock()
	f.St.Servers[0].ApiTokens = []string{pmfake.NewToken(), f.St.Servers[0].ApiTokens[1]}
	f.Mu.Unlock()
	before := f.Hits("GET /servers")
	err := c.VerifyKey(bg, old)
	if !errors.Is(err, provider.ErrBadCredentials) || !strings.Contains(err.Error(), "it is dead") {
		t.Fatalf("rotated token: %v", err)
	}
	if f.Hits("GET /server") < 2 || f.Hits("GET /servers") != before+1 {
		t.Errorf("the proof did not try both kinds: /server %d, /servers %d", f.Hits("GET /server"), f.Hits("GET /servers")-before)
	}
	if strings.Contains(err.Error(), old) {
		t.Error("the error shows the token")
	}
	// A server error is no proof.
	f.Inject(pmfake.Fault{Path: "/server", Status: 500, Times: -1})
	if err := c.VerifyKey(bg, old); errors.Is(err, provider.ErrBadCredentials) || !errors.Is(err, provider.ErrUnavailable) {
		t.Errorf("500: %v", err)
	}
}

func TestDeleteWebhook(t *testing.T) {
	for _, mode := range []string{"account", "server"} {
		t.Run(mode, func(t *testing.T) {
			st, s := pmfake.Default(time.Now())
			f := fake(t, st)
			cred := s.AccountToken + ":-"
			if mode == "server" {
				cred = "-:" + s.ServerToken
			}
			c := client(t, f, cred, postmark.Options{}, provider.Limits{})
			hooks, err := c.ListWebhooks(bg)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range hooks {
				if err := c.DeleteWebhook(bg, w); err != nil {
					t.Fatalf("delete %s: %v", w.ID, err)
				}
			}
			left, err := c.ListWebhooks(bg)
			if err != nil || len(left) != 0 {
				t.Fatalf("left: %v %+v", err, left)
			}
			f.Mu.Lock()
			sv := f.St.Servers[0]
			f.Mu.Unlock()
			if sv.InboundHookUrl != "" || sv.BounceHookUrl != "" || len(sv.Webhooks) != 0 {
				t.Errorf("the fake still has hooks: %+v", sv)
			}
			for _, bad := range []string{"", "server:101", "server:../x:inbound", "server:101:webhook:1/../2", "server:101:hook:Nope"} {
				if err := c.DeleteWebhook(bg, provider.Webhook{ID: bad}); !errors.Is(err, provider.ErrInvalid) {
					t.Errorf("id %q: %v", bad, err)
				}
			}
			if err := c.DeleteWebhook(bg, provider.Webhook{ID: "server:999:inbound"}); !errors.Is(err, provider.ErrNotFound) {
				t.Errorf("unknown server: %v", err)
			}
		})
	}
}

func TestDeleteServer(t *testing.T) {
	st, s := pmfake.Default(time.Now())
	f := fake(t, st)
	c := client(t, f, "-:"+s.ServerToken, postmark.Options{}, provider.Limits{})
	if err := c.DeleteServer(bg, "103", "x"); !errors.Is(err, provider.ErrPermission) {
		t.Errorf("without the account token: %v", err)
	}
	c = client(t, f, s.AccountToken+":-", postmark.Options{}, provider.Limits{})
	subs, _ := c.ListSubusers(bg)
	if err := c.DeleteServer(bg, "103", "mailer (#103)"); !errors.Is(err, provider.ErrInvalid) || f.Hits("DELETE /servers/{serverid}") != 0 {
		t.Errorf("wrong confirmation: %v", err)
	}
	// A 500 on the delete is not retried: it may have been carried out.
	f.Inject(pmfake.Fault{Method: "DELETE", Path: "/servers/103", Status: 500})
	if err := c.DeleteServer(bg, "103", subs[2].Username); !errors.Is(err, provider.ErrUnavailable) || f.Hits("DELETE /servers/{serverid}") != 1 {
		t.Errorf("500: %v (%d deletes)", err, f.Hits("DELETE /servers/{serverid}"))
	}
	if err := c.DeleteServer(bg, "103", subs[2].Username); err != nil {
		t.Fatalf("delete: %v", err)
	}
	subs, err := c.ListSubusers(bg)
	if err != nil || len(subs) != 2 {
		t.Errorf("after the delete: %v %+v", err, subs)
	}
}

// TestMessagesByDay: a server over Postmark's 10,000-message search limit is
// read a day at a time, every message once; a single day over the limit
// keeps its newest 10,000 and says so.
func TestMessagesByDay(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	st, s := pmfake.Big(now, 1, 25_000)
	f := fake(t, st)
	c := client(t, f, s.AccountToken+":-", postmark.Options{Now: func() time.Time { return now }}, provider.Limits{})
	seen := map[string]bool{}
	err := c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error {
		for _, m := range p {
			if seen[m.ID] {
				t.Fatalf("message %s twice", m.ID)
			}
			seen[m.ID] = true
		}
		return nil
	})
	if err != nil || len(seen) != 25_000 {
		t.Fatalf("by day: %v, %d messages", err, len(seen))
	}

	f.Mu.Lock()
	f.St.Servers[0].Mail = pmfake.Mail{Count: 12_000, Since: now.Add(-3 * time.Hour), Until: now, From: "a@big.example", To: "b@example.com", Subjects: []string{"x"}}
	f.Mu.Unlock()
	n := 0
	err = c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { n += len(p); return nil })
	var tr *provider.Truncation
	if !errors.As(err, &tr) || tr.Cause != provider.CauseSource || !strings.Contains(tr.Reason(), "10,000") || !strings.Contains(tr.Reason(), "2026-11-30") || n != 10_000 {
		t.Fatalf("a day over the limit: %v, %d messages", err, n)
	}
}

func TestMessageCaps(t *testing.T) {
	now := time.Now()
	st, s := pmfake.Big(now, 1, 3000)
	f := fake(t, st)
	c := client(t, f, s.AccountToken+":-", postmark.Options{}, provider.Limits{MaxMessages: 1200})
	n := 0
	err := c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { n += len(p); return nil })
	var tr *provider.Truncation
	if !errors.As(err, &tr) || tr.Cause != provider.CauseItems || n != 1200 {
		t.Fatalf("item cap: %v, %d", err, n)
	}
	// fn's own error stops the listing as it is.
	stop := errors.New("stop")
	if err := c.ListMessages(bg, now.Add(-30*24*time.Hour), func([]provider.Message) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn's error: %v", err)
	}
}

func TestServerCaps(t *testing.T) {
	now := time.Now()
	st, s := pmfake.Big(now, 30, 0)
	f := fake(t, st)
	c := client(t, f, s.AccountToken+":-", postmark.Options{PageSize: 10}, provider.Limits{MaxPages: 2})
	subs, err := c.ListSubusers(bg)
	var tr *provider.Truncation
	if !errors.As(err, &tr) || tr.Cause != provider.CausePages || len(subs) != 20 {
		t.Fatalf("page cap: %v, %d", err, len(subs))
	}
	// Sections built on a cut server list say so.
	_, err = c.ListMailSettings(bg)
	if !errors.As(err, &tr) || tr.Cause != provider.CauseSource {
		t.Errorf("settings on a cut list: %v", err)
	}
	// The webhooks fan out one call a server: the page cap stops them.
	_, err = c.ListWebhooks(bg)
	if !errors.As(err, &tr) || f.Hits("GET /webhooks") > 2 {
		t.Errorf("webhooks: %v after %d calls", err, f.Hits("GET /webhooks"))
	}
}
