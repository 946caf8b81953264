package mailgun_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/mailgun"
	"reclaim/provider/mailgun/mgfake"
)

// newClient connects to a fake with fast retries.
func newClient(t *testing.T, f *mgfake.Server, key string, o mailgun.Options) *mailgun.Client {
	t.Helper()
	if o.Backoff == 0 {
		o.Backoff = 5 * time.Millisecond
	}
	if o.AttemptTimeout == 0 {
		o.AttemptTimeout = 5 * time.Second
	}
	c, err := mailgun.NewWithOptions(provider.Config{Credential: key, BaseURL: f.URL}, o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fake(t *testing.T) (*mgfake.Server, mgfake.Key) {
	t.Helper()
	st, session := mgfake.Default(time.Now())
	f := mgfake.New(st)
	t.Cleanup(f.Close)
	return f, session
}

func urls(ws []provider.Webhook) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.URL)
	}
	return out
}

// TestInventory reads the compromised account through every read
// capability (checklist.TakeInventory) and checks what the analysis finds.
func TestInventory(t *testing.T) {
	f, session := fake(t)
	c := newClient(t, f, session.Secret, mailgun.Options{})
	now := time.Now()
	inv, err := checklist.TakeInventory(context.Background(), c, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Errors) > 0 || len(inv.Truncated) > 0 {
		t.Fatalf("errors %v, truncated %v", inv.Errors, inv.Truncated)
	}
	for _, sec := range []string{checklist.SecKeys, checklist.SecTeammates, checklist.SecSubusers, checklist.SecWebhooks, checklist.SecSenders, checklist.SecAllow, checklist.SecMessages} {
		if !slices.Contains(inv.Read, sec) {
			t.Errorf("section %s not read (read: %v)", sec, inv.Read)
		}
	}
	if len(inv.Keys) != 5 {
		t.Errorf("keys: %+v", inv.Keys)
	}
	if i := slices.IndexFunc(inv.Keys, func(k provider.APIKey) bool { return k.Name == "relay" }); i < 0 || inv.Keys[i].Subuser != mgfake.EscSubName+" (sa1)" {
		t.Errorf("the subaccount's key: %+v", inv.Keys)
	}
	var admin int
	for _, k := range inv.Keys {
		if k.FullAccess {
			admin++
		}
	}
	if admin != 4 {
		t.Errorf("admin keys %d, want 4: %+v", admin, inv.Keys)
	}
	tf := map[string]string{}
	for _, u := range inv.Teammates {
		tf[u.Email] = u.TwoFactor
	}
	if tf["owner@acme.example"] != provider.TwoFactorOn || tf["dev@acme.example"] != provider.TwoFactorOff || tf["m4llory@evil.example"] != provider.TwoFactorOff {
		t.Errorf("2FA: %v", tf)
	}
	if got := c.UsersWithout2FA(); !slices.Equal(got, []string{"dev@acme.example", "m4llory@evil.example"}) {
		t.Errorf("UsersWithout2FA %v", got)
	}
	if len(inv.Subusers) != 2 || inv.Subusers[0].Username != mgfake.EscSubName+" (sa1)" {
		t.Errorf("subusers %+v", inv.Subusers)
	}
	want := []string{
		"https://archive.evil.example/store",
		"https://hooks.acme.example/mailgun",
		"https://collector.evil.example/track",
		mgfake.EscRouteURL, // the subaccount's domain, read on its behalf
		"mailto:helpdesk@acme.example",
		"mailto:m4llory@evil.example",
		"https://inbound.evil.example/mime",
	}
	got := urls(inv.Webhooks)
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("webhooks lack %q: %q", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("webhooks %q", got)
	}
	if f.OnBehalfOf("sa1") == 0 {
		t.Error("the subaccount's domain was not read on its behalf")
	}
	for _, w := range inv.Webhooks {
		if w.Kind == provider.WebhookRoute && w.URL == "mailto:m4llory@evil.example" && w.Filter != "catch_all()" {
			t.Errorf("route filter %q", w.Filter)
		}
	}
	if len(inv.Senders) != 3 {
		t.Errorf("senders %+v", inv.Senders)
	}
	if inv.Mail == nil || inv.Mail.Total != 1200 || len(inv.Mail.Subjects) != 3 {
		t.Fatalf("mail %+v", inv.Mail)
	}
	findings := checklist.Analyze(inv, checklist.AnalysisInput{SessionKeyID: c.SessionKeyID()})
	if c.SessionKeyID() != session.ID {
		t.Errorf("session key id %q, want %q", c.SessionKeyID(), session.ID)
	}
	var titles []string
	for _, fd := range findings {
		titles = append(titles, fd.Title)
	}
	all := strings.Join(titles, "\n")
	for _, want := range []string{"m4llory@evil.example", "inbound.evil.example", "collector.evil.example", "archive.evil.example"} {
		if !strings.Contains(all, want) {
			t.Errorf("findings lack %q:\n%s", want, all)
		}
	}
}

func TestKeys(t *testing.T) {
	f, session := fake(t)
	c := newClient(t, f, session.Secret, mailgun.Options{})
	ctx := context.Background()
	keys, err := c.ListKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var attacker provider.APIKey
	for _, k := range keys {
		if k.Name == mgfake.EscName {
			attacker = k
		}
	}
	// Two active custom domains: a sending key must name its domain.
	if _, err := c.CreateKey(ctx, "replacement", nil); !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), "choose the developer role here") || !strings.Contains(err.Error(), "acme-billing.example") {
		t.Fatalf("create without a domain: %v", err)
	}
	if _, err := c.CreateKey(ctx, "x", []string{"owner"}); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("unknown role: %v", err)
	}
	nk, err := c.CreateKey(ctx, "replacement", []string{"sending", "domain:acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if nk.Secret == "" || nk.FullAccess || !slices.Equal(nk.Scopes, []string{"sending", "domain:acme.example"}) {
		t.Fatalf("new key %+v", nk.APIKey)
	}
	if k, ok := f.Key(nk.ID); !ok || k.Kind != "domain" || k.Role != "sending" || k.Domain != "acme.example" {
		t.Fatalf("the fake holds %+v", k)
	}
	// A sending key cannot read: VerifyKey proves it through an empty
	// message the API refuses.
	if err := c.VerifyKey(ctx, nk.Secret); err != nil {
		t.Fatalf("verify the new sending key: %v", err)
	}
	dev, err := c.CreateKey(ctx, "dev", []string{"developer"})
	if err != nil || dev.FullAccess {
		t.Fatalf("developer key: %+v %v", dev.APIKey, err)
	}
	if err := c.VerifyKey(ctx, dev.Secret); err != nil {
		t.Fatal(err)
	}
	// The attacker's key: deleted, then dead.
	if err := c.RevokeKey(ctx, attacker.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Key(attacker.ID); ok {
		t.Fatal("attacker key still there")
	}
	if err := c.RevokeKey(ctx, attacker.ID); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := c.VerifyKey(ctx, "key-"+strings.Repeat("0", 32)); !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("dead key: %v", err)
	}
	// Never the session key.
	if err := c.RevokeKey(ctx, session.ID); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("revoke the session key: %v", err)
	}
	if _, ok := f.Key(session.ID); !ok {
		t.Fatal("session key deleted")
	}
	// A subaccount's key, by a client that has not listed the keys (a
	// resumed session): deleted on the subaccount's behalf.
	var relay string
	for _, k := range keys {
		if k.Name == "relay" {
			relay = k.ID
		}
	}
	fresh := newClient(t, f, session.Secret, mailgun.Options{})
	if err := fresh.RevokeKey(ctx, relay); err != nil {
		t.Fatalf("delete the subaccount's key: %v", err)
	}
	if _, ok := f.Key(relay); ok || relay == "" {
		t.Fatal("the subaccount's key is still there")
	}
	// A failed delete is never sent twice: after a 502 the key list is
	// read back.
	k2 := mgfake.NewKey("old", "developer")
	f.Mu.Lock()
	f.St.Keys = append(f.St.Keys, k2)
	f.Mu.Unlock()
	f.Inject(mgfake.Fault{Method: "DELETE", Path: "/v1/keys/*", Status: 502})
	before := f.Hits("DELETE /v1/keys/{key_id}")
	if err := c.RevokeKey(ctx, k2.ID); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("delete refused with 502: %v", err)
	}
	if _, ok := f.Key(k2.ID); !ok {
		t.Fatal("the key went")
	}
	// The delete made, its answer lost: the read-back shows it gone.
	f.Inject(mgfake.Fault{Method: "DELETE", Path: "/v1/keys/*", Lost: true})
	if err := c.RevokeKey(ctx, k2.ID); err != nil {
		t.Fatalf("delete whose answer was lost: %v", err)
	}
	if got := f.Hits("DELETE /v1/keys/{key_id}") - before; got != 2 {
		t.Fatalf("two deletes were sent %d times", got)
	}
	if _, ok := f.Key(k2.ID); ok {
		t.Fatal("the key is still there")
	}
}
