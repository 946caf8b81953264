package brevo_test

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/brevo"
	"reclaim/provider/brevo/bvfake"
)

var bg = context.Background()

// connect starts a fake on st and a client with the session key, short
// retry waits and the given limits.
func connect(t *testing.T, st *bvfake.State, key string, lim provider.Limits) (*bvfake.Server, *brevo.Client) {
	t.Helper()
	f := bvfake.New(st)
	t.Cleanup(f.Close)
	c, err := brevo.NewWithOptions(provider.Config{Credential: key, BaseURL: f.URL, Limits: lim}, brevo.Options{Backoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return f, c
}

func TestRegistered(t *testing.T) {
	f, ok := provider.Lookup("brevo")
	if !ok {
		t.Fatal("brevo is not registered")
	}
	in := f.Info
	if in.Name != "Brevo" || in.BaseURLEnv != "RECLAIM_BREVO_BASE_URL" || len(in.Credentials) != 1 || in.Credentials[0].Env != "BREVO_API_KEY" {
		t.Fatalf("info: %+v", in)
	}
	// Every item the procedure guides has an exact https console link on
	// Brevo's hosts.
	for _, it := range []provider.Item{provider.ItemAPIKeys, provider.ItemPassword, provider.ItemTwoFactor, provider.ItemPayment, provider.ItemIPAccess, provider.ItemSupport, provider.ItemTeammates, provider.ItemWebhooks, provider.ItemSenders, provider.ItemActivity} {
		u, err := url.Parse(in.ConsoleLink(it))
		if err != nil || u.Scheme != "https" || !strings.HasSuffix(u.Host, "brevo.com") {
			t.Errorf("console link for %s: %q", it, in.ConsoleLink(it))
		}
	}
	if in.Support.URL == "" || in.Support.Email != "contact@brevo.com" || len(in.Support.Checklist) < 5 || in.Support.TicketOnly {
		t.Errorf("support: %+v", in.Support)
	}
	if in.GraceWindow != 10*time.Minute || in.KeyHint == "" || in.LeakSearch == "" {
		t.Errorf("grace %v, key hint %q, leak search %q", in.GraceWindow, in.KeyHint, in.LeakSearch)
	}
	joined := strings.Join(in.Quirks, " ")
	for _, want := range []string{"cannot list, create, rotate or delete", "SMTP keys are not in the API", "Authorised IPs have no API endpoint", "Enterprise"} {
		if !strings.Contains(joined, want) {
			t.Errorf("quirks lack %q", want)
		}
	}
	// The detectors stay the one definition of Brevo's key shapes: the
	// fake's keys are found by them.
	for _, k := range []string{bvfake.NewKey(9), bvfake.NewSMTPKey(9)} {
		if ms := brevo.Detector.Run([]byte("k=" + k)); len(ms) != 1 {
			t.Errorf("detector misses the fake's key shape %q", k[:12])
		}
	}
	// A missing key or a plain-http base URL off loopback is refused.
	if _, err := brevo.New(provider.Config{}); !errors.Is(err, brevo.ErrNoCredential) {
		t.Errorf("no key: %v", err)
	}
	if _, err := brevo.New(provider.Config{Credential: "k", BaseURL: "http://192.0.2.1"}); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http: %v", err)
	}
}

// TestEveryCapability reads the compromised-looking account through every
// capability and checks what each returns.
func TestEveryCapability(t *testing.T) {
	now := time.Now().UTC()
	st, key := bvfake.Default(now)
	f, c := connect(t, st, key, provider.Limits{})

	a, err := c.Account(bg)
	if err != nil || a.Email != "owner@acme.example" || a.Company != "Acme" || a.Type != "free" {
		t.Fatalf("account: %+v %v", a, err)
	}

	ts, err := c.ListTeammates(bg)
	if err != nil {
		t.Fatal(err)
	}
	byEmail := map[string]provider.Teammate{}
	for _, tm := range ts {
		byEmail[tm.Email] = tm
	}
	if len(ts) != 4 || !byEmail["owner@acme.example"].Owner || !byEmail["trent@evil.example"].Pending || byEmail["trent@evil.example"].Token != "trent@evil.example" {
		t.Fatalf("teammates: %+v", ts)
	}
	if m := byEmail["mallory@evil.example"]; !m.Admin || !strings.Contains(m.Role, "API Keys") || m.TwoFactor != "" {
		t.Errorf("mallory may manage keys and users: %+v", m)
	}
	if d := byEmail["dev@acme.example"]; d.Admin || !strings.Contains(d.Role, "Email campaign") {
		t.Errorf("dev only edits campaigns: %+v", d)
	}
	// Permissions are read for active non-owners only; the master
	// account's admin users are skipped on an ordinary account.
	if n := f.Hits("GET", "/organization/user/mallory@evil.example/permissions"); n != 1 {
		t.Errorf("mallory's permissions read %d times", n)
	}
	if n := f.Hits("GET", "/organization/user/owner@acme.example/permissions") + f.Hits("GET", "/organization/user/trent@evil.example/permissions"); n != 0 {
		t.Errorf("owner's or invitee's permissions read %d times", n)
	}

	hs, err := c.ListWebhooks(bg)
	if err != nil || len(hs) != 3 {
		t.Fatalf("webhooks: %+v %v", hs, err)
	}
	kinds := map[string]string{}
	for _, h := range hs {
		kinds[h.ID] = h.Kind
		if !h.Enabled || h.Created.IsZero() {
			t.Errorf("webhook %+v", h)
		}
	}
	if kinds["101"] != provider.WebhookEvent || kinds["102"] != provider.WebhookEvent || kinds["103"] != provider.WebhookParse {
		t.Errorf("webhook kinds: %v", kinds)
	}
	for _, typ := range []string{"transactional", "marketing", "inbound"} {
		if !slices.Contains(f.Log(), "GET /webhooks?sort=desc&type="+typ) {
			t.Errorf("webhooks of type %s not asked for: %v", typ, f.Log())
		}
	}
	if i := slices.IndexFunc(hs, func(h provider.Webhook) bool { return h.ID == "103" }); i < 0 || hs[i].Hostname != "reply.acme.example" || hs[i].URL != "https://parse.evil.example/inbound" {
		t.Errorf("inbound webhook: %+v", hs)
	}

	ss, err := c.ListSenders(bg)
	if err != nil || len(ss) != 3 {
		t.Fatalf("senders: %+v %v", ss, err)
	}
	if ss[2].Kind != "domain" || ss[2].Address != "acme.example" || !ss[2].Verified || ss[0].Kind != "single" {
		t.Errorf("senders: %+v", ss)
	}

	acts, err := c.ListActivity(bg)
	if err != nil || len(acts) != 2 {
		t.Fatalf("activity: %+v %v", acts, err)
	}
	if acts[0].IP != "203.0.113.66" || acts[0].Count != 3 || !acts[0].Allowed || !strings.Contains(acts[0].Method, "invite-user") || !strings.Contains(acts[0].Location, "mallory@evil.example") {
		t.Errorf("activity of the attacker's address: %+v", acts[0])
	}
	// Two windows of 15 days, each within Brevo's one-month limit.
	if n := f.Hits("GET", "/organization/activities"); n != 2 {
		t.Errorf("activity queries: %d", n)
	}

	var msgs []provider.Message
	if err := c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { msgs = append(msgs, p...); return nil }); err != nil {
		t.Fatal(err)
	}
	// 30 order confirmations and 120 phishing mails; "delivered" events of
	// the same messages are not counted.
	phish := 0
	for _, m := range msgs {
		if m.Status != "requests" {
			t.Fatalf("non-send event counted: %+v", m)
		}
		if m.Subject == "Verify your account now" {
			phish++
		}
	}
	if len(msgs) != 150 || phish != 120 {
		t.Errorf("messages: %d, phishing %d", len(msgs), phish)
	}

	sec, err := c.ListSecrets(bg)
	if err != nil || len(sec) != 1 || sec[0].Kind != provider.SecretSMTP || !strings.Contains(sec[0].Name, "owner@acme.example") {
		t.Errorf("secrets: %+v %v", sec, err)
	}

	// Sub-accounts exist on master accounts only: not a failure elsewhere.
	subs, err := c.ListSubusers(bg)
	if !errors.Is(err, provider.ErrUnsupported) || !errors.Is(err, brevo.ErrNotOnPlan) || subs != nil {
		t.Errorf("sub-accounts on an ordinary account: %v %v", subs, err)
	}
	if !strings.Contains(err.Error(), "Enterprise master account") {
		t.Errorf("not-on-plan message: %v", err)
	}
}

// TestInventoryFindings takes the inventory the audit takes and checks the
// findings name the attacker's work.
func TestInventoryFindings(t *testing.T) {
	now := time.Now().UTC()
	st, key := bvfake.Default(now)
	_, c := connect(t, st, key, provider.Limits{})
	inv, err := checklist.TakeInventory(bg, c, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, sec := range []string{checklist.SecAccount, checklist.SecTeammates, checklist.SecWebhooks, checklist.SecSenders, checklist.SecActivity, checklist.SecMessages} {
		if !slices.Contains(inv.Read, sec) {
			t.Errorf("%s not read: %v", sec, inv.Errors[sec])
		}
	}
	if why := inv.Errors[checklist.SecSubusers]; !strings.Contains(why, "not available on this Brevo plan") {
		t.Errorf("sub-accounts: %q", why)
	}
	ids := map[string]bool{}
	for _, f := range checklist.Analyze(inv, checklist.AnalysisInput{KnownIPs: []string{"198.51.100.10"}}) {
		ids[f.ID] = true
	}
	for _, want := range []string{
		"teammate-outside-admin:mallory@evil.example",
		"invite-outside:trent@evil.example",
		"webhook-outside:102",
		"parse-outside:103",
		"sender-unknown:sender:2",
		"access-new-ip:203.0.113.66",
	} {
		if !ids[want] {
			t.Errorf("no finding %s in %v", want, ids)
		}
	}
	if ids["webhook-outside:101"] || ids["teammate-outside:dev@acme.example"] || ids["access-new-ip:198.51.100.10"] {
		t.Errorf("the owner's own objects flagged: %v", ids)
	}
}

// TestDeadCredentialProof: the session key works, a deleted key is dead
// (401), a key blocked by the authorised-IP list is NOT reported dead, and
// an SMTP key is checked at the relay, never with the API.
func TestDeadCredentialProof(t *testing.T) {
	st, key := bvfake.Default(time.Now())
	old, blocked := bvfake.NewKey(77), bvfake.NewKey(78)
	st.BlockedKeys = []string{blocked}
	f, c := connect(t, st, key, provider.Limits{})
	if err := c.VerifyKey(bg, key); err != nil {
		t.Fatalf("live key: %v", err)
	}
	err := c.VerifyKey(bg, old)
	if !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("deleted key: %v", err)
	}
	if strings.Contains(err.Error(), old) {
		t.Fatal("the error quotes the key")
	}
	err = c.VerifyKey(bg, blocked)
	if errors.Is(err, provider.ErrBadCredentials) || !errors.Is(err, brevo.ErrIPBlocked) || !strings.Contains(err.Error(), brevo.AuthorisedIPsPage) {
		t.Fatalf("IP-blocked key: %v", err)
	}
	if err := c.VerifyKey(bg, "hunter2hunter2"); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("not a Brevo key: %v", err)
	}
	before := len(f.Log())

	// SMTP keys are checked at the relay, never with the API: through
	// VerifySMTP, or VerifyKey given an SMTP key.
	relay, err := bvfake.NewRelay(f)
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	t.Setenv(brevo.SMTPAddrEnv, relay.Addr)
	if err := c.VerifySMTP(bg, bvfake.NewSMTPKey(1)); err != nil {
		t.Fatalf("live SMTP key: %v", err)
	}
	if err := c.VerifyKey(bg, bvfake.NewSMTPKey(1)); err != nil {
		t.Fatalf("live SMTP key through VerifyKey: %v", err)
	}
	var pe *provider.Error
	for _, dead := range []func() error{
		func() error { return c.VerifySMTP(bg, "owner@acme.example:"+bvfake.NewSMTPKey(2)) },
		func() error { return c.VerifyKey(bg, bvfake.NewSMTPKey(2)) },
	} {
		if err := dead(); !errors.Is(err, provider.ErrBadCredentials) || !errors.As(err, &pe) || pe.Status != 535 {
			t.Fatalf("dead SMTP key: %v", err)
		}
	}
	if err := c.VerifySMTP(bg, key); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("an API key at the relay: %v", err)
	}
	if got := relay.Logins(); len(got) != 4 || got[0] != "owner@acme.example" {
		t.Errorf("relay logins: %v", got)
	}
	for _, l := range f.Log()[before:] {
		if l != "GET /account" {
			t.Errorf("an SMTP check called the API for more than the login: %s", l)
		}
	}
	for _, l := range f.Log() {
		if strings.Contains(l, "xsmtp") {
			t.Fatalf("an SMTP key reached the API: %s", l)
		}
	}
	// A relay that is down is not mistaken for a dead key.
	relay.Close()
	if err := c.VerifySMTP(bg, "owner@acme.example:"+bvfake.NewSMTPKey(2)); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("relay down: %v", err)
	}
}

func TestRemoveTeammateAndWebhook(t *testing.T) {
	st, key := bvfake.Default(time.Now())
	f, c := connect(t, st, key, provider.Limits{})
	mallory := provider.Teammate{Username: "mallory@evil.example", Email: "mallory@evil.example"}
	// Only users of the last listing can be removed.
	if err := c.RemoveTeammate(bg, mallory); !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), "list the users again") {
		t.Fatalf("unlisted: %v", err)
	}
	if _, err := c.ListTeammates(bg); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveTeammate(bg, provider.Teammate{Email: "owner@acme.example", Owner: true}); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("owner: %v", err)
	}
	if err := c.RemoveTeammate(bg, provider.Teammate{Email: "owner@acme.example"}); !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), "login email") {
		t.Fatalf("login email: %v", err)
	}
	if err := c.RemoveTeammate(bg, mallory); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveTeammate(bg, provider.Teammate{Email: "trent@evil.example", Pending: true, Token: "trent@evil.example"}); err != nil {
		t.Fatal(err)
	}
	if f.Hits("PUT", "/organization/user/invitation/revoke/mallory@evil.example") != 1 || f.Hits("PUT", "/organization/user/invitation/cancel/trent@evil.example") != 1 {
		t.Fatalf("removal calls: %v", f.Log())
	}
	ts, _ := c.ListTeammates(bg)
	if len(ts) != 2 {
		t.Errorf("users left: %+v", ts)
	}

	if err := c.DeleteWebhook(bg, provider.Webhook{ID: "102", Kind: provider.WebhookEvent}); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(bg, provider.Webhook{ID: "102"}); err != nil {
		t.Fatalf("already gone is done: %v", err)
	}
	if err := c.DeleteWebhook(bg, provider.Webhook{ID: "../account"}); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("non-numeric id: %v", err)
	}
	hs, _ := c.ListWebhooks(bg)
	if len(hs) != 2 {
		t.Errorf("webhooks left: %+v", hs)
	}

	// A master account's admin user is removed through /corporate.
	f.Mu.Lock()
	f.St.Master = true
	f.St.AdminUsers = []bvfake.User{{Email: "eve@evil.example", Status: "active", Access: map[string]any{"user_management": []any{"all"}}}}
	f.Mu.Unlock()
	ts, err := c.ListTeammates(bg)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ts, func(x provider.Teammate) bool { return x.Email == "eve@evil.example" })
	if i < 0 || !ts[i].Admin || !strings.Contains(ts[i].Role, "master account") {
		t.Fatalf("admin users: %+v", ts)
	}
	if err := c.RemoveTeammate(bg, ts[i]); err != nil || f.Hits("DELETE", "/corporate/user/revoke/eve@evil.example") != 1 {
		t.Fatalf("admin user removal: %v %v", err, f.Log())
	}
}

func TestSubAccountsAndPaging(t *testing.T) {
	now := time.Now().UTC()
	st, key := bvfake.Big(now, 250, 230, 6000)
	f, c := connect(t, st, key, provider.Limits{})
	subs, err := c.ListSubusers(bg)
	if err != nil || len(subs) != 250 || subs[0].Username != "sub0000 (id 1000)" || subs[0].Created.IsZero() {
		t.Fatalf("sub-accounts: %d %v", len(subs), err)
	}
	if n := f.Hits("GET", "/corporate/subAccount"); n != 3 {
		t.Errorf("sub-account pages: %d", n)
	}
	acts, err := c.ListActivity(bg)
	if err != nil || len(acts) != 1 || acts[0].Count != 230 {
		t.Fatalf("activity: %+v %v", acts, err)
	}
	var n, pages int
	err = c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { n += len(p); pages++; return nil })
	if err != nil || n != 6000 || pages != 3 {
		t.Fatalf("messages: %d in %d pages: %v", n, pages, err)
	}
	for _, l := range f.Log() {
		if strings.HasPrefix(l, "GET /smtp/statistics/events") && (!strings.Contains(l, "limit=2500") || !strings.Contains(l, "event=requests") || !strings.Contains(l, "days=31")) {
			t.Errorf("events query: %s", l)
		}
	}
}

func TestCaps(t *testing.T) {
	now := time.Now().UTC()
	st, key := bvfake.Big(now, 250, 0, 3000)
	_, c := connect(t, st, key, provider.Limits{MaxItems: 120, MaxMessages: 1000})
	subs, err := c.ListSubusers(bg)
	var tr *provider.Truncation
	if !errors.As(err, &tr) || tr.Cause != provider.CauseItems || len(subs) != 120 {
		t.Fatalf("item cap: %d %v", len(subs), err)
	}
	n := 0
	err = c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { n += len(p); return nil })
	if !errors.As(err, &tr) || n != 1000 {
		t.Fatalf("message cap: %d %v", n, err)
	}
}
