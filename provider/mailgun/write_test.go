package mailgun_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/mailgun"
	"reclaim/provider/mailgun/mgfake"
)

func TestDeleteWebhooks(t *testing.T) {
	f, session := fake(t)
	c := newClient(t, f, session.Secret, mailgun.Options{})
	ctx := context.Background()
	hooks, err := c.ListWebhooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byURL := map[string]provider.Webhook{}
	for _, w := range hooks {
		byURL[w.URL] = w
	}
	del := func(u string) {
		t.Helper()
		w, ok := byURL[u]
		if !ok {
			t.Fatalf("no webhook %q", u)
		}
		// The engine passes only the id, the kind and the URL.
		if err := c.DeleteWebhook(ctx, provider.Webhook{ID: w.ID, Kind: provider.WebhookEvent, URL: w.URL}); err != nil {
			t.Fatalf("delete %q: %v", u, err)
		}
		if err := c.DeleteWebhook(ctx, provider.Webhook{ID: w.ID, URL: w.URL}); !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("second delete of %q: %v", u, err)
		}
	}
	// An event webhook sharing its event with the owner's: only it goes.
	del("https://collector.evil.example/track")
	// The subaccount's domain, on its behalf.
	del(mgfake.EscRouteURL)
	// archive_to.
	del("https://archive.evil.example/store")
	// The route's first target: the route stays with its other one.
	del("mailto:m4llory@evil.example")
	f.Mu.Lock()
	r2 := slices.IndexFunc(f.St.Routes, func(r mgfake.Route) bool { return r.ID == "r2" })
	var acts []string
	if r2 >= 0 {
		acts = f.St.Routes[r2].Actions
	}
	f.Mu.Unlock()
	if !slices.Equal(acts, []string{`forward("https://inbound.evil.example/mime")`}) {
		t.Fatalf("route r2 actions %q", acts)
	}
	// Its last target: the route goes.
	del("https://inbound.evil.example/mime")
	after, err := c.ListWebhooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := urls(after)
	slices.Sort(got)
	want := []string{"https://hooks.acme.example/mailgun", "mailto:helpdesk@acme.example"}
	if !slices.Equal(got, want) {
		t.Fatalf("left %q, want %q", got, want)
	}
	f.Mu.Lock()
	d := f.St.Domains[0]
	f.Mu.Unlock()
	if !slices.Equal(d.Webhooks["opened"], []string{"https://hooks.acme.example/mailgun"}) || !slices.Equal(d.Webhooks["delivered"], []string{"https://hooks.acme.example/mailgun"}) {
		t.Fatalf("the owner's webhooks changed: %v", d.Webhooks)
	}
	if err := c.DeleteWebhook(ctx, provider.Webhook{ID: "something"}); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("unknown id: %v", err)
	}
}

// A URL with a comma would be split by DELETE /v4/…?url=: it is removed
// event by event, and the owner's URLs stay.
func TestDeleteWebhookWithComma(t *testing.T) {
	f, session := fake(t)
	evil := "https://evil.example/x,https://hooks.acme.example/mailgun"
	f.Mu.Lock()
	f.St.Domains[0].Webhooks["clicked"] = []string{evil, "https://hooks.acme.example/other"}
	f.St.Domains[0].Webhooks["complained"] = []string{evil}
	f.Mu.Unlock()
	c := newClient(t, f, session.Secret, mailgun.Options{})
	ctx := context.Background()
	hooks, err := c.ListWebhooks(ctx)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(hooks, func(w provider.Webhook) bool { return w.URL == evil })
	if i < 0 {
		t.Fatalf("not listed: %q", urls(hooks))
	}
	if err := c.DeleteWebhook(ctx, hooks[i]); err != nil {
		t.Fatal(err)
	}
	f.Mu.Lock()
	wh := f.St.Domains[0].Webhooks
	f.Mu.Unlock()
	if !slices.Equal(wh["clicked"], []string{"https://hooks.acme.example/other"}) || len(wh["complained"]) != 0 ||
		!slices.Equal(wh["delivered"], []string{"https://hooks.acme.example/mailgun"}) {
		t.Fatalf("webhooks now %v", wh)
	}
	if f.Hits("DELETE /v4/domains/{domain}/webhooks") != 0 {
		t.Fatal("the comma URL went to the v4 delete")
	}
}

func TestSubaccounts(t *testing.T) {
	f, session := fake(t)
	c := newClient(t, f, session.Secret, mailgun.Options{})
	ctx := context.Background()
	subs, err := c.ListSubusers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := subs[0].Username
	status := func() string {
		f.Mu.Lock()
		defer f.Mu.Unlock()
		return f.St.Subaccounts[0].Status
	}
	if err := c.DisableSubuser(ctx, name); err != nil || status() != "disabled" {
		t.Fatalf("disable: %v, %s", err, status())
	}
	// Already disabled: Mailgun says 400; read back, it is what was asked.
	if err := c.DisableSubuser(ctx, name); err != nil {
		t.Fatalf("disable twice: %v", err)
	}
	if err := c.EnableSubuser(ctx, "sa1"); err != nil || status() != "open" {
		t.Fatalf("enable by id: %v, %s", err, status())
	}
	if err := c.DisableSubuser(ctx, "nobody"); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("unknown subaccount: %v", err)
	}
	// A lost answer: the change is read back.
	f.Inject(mgfake.Fault{Method: "POST", Path: "/v5/accounts/subaccounts/*", Lost: true})
	if err := c.DisableSubuser(ctx, name); err != nil || status() != "disabled" {
		t.Fatalf("disable with a lost answer: %v, %s", err, status())
	}
}

// The allow list locks out every address it does not hold: reclaim adds
// what it is told (the checklist's guard asks for the owner's own address
// first) and reads the list back.
func TestAllowList(t *testing.T) {
	f, session := fake(t)
	c := newClient(t, f, session.Secret, mailgun.Options{})
	ctx := context.Background()
	if _, err := c.AddAllowRules(ctx, []string{"10.0.0.1", "not an ip"}); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("bad address: %v", err)
	}
	if f.Hits("POST /v2/ip_whitelist") != 0 {
		t.Fatal("a bad list was partly sent")
	}
	rules, err := c.AddAllowRules(ctx, []string{"127.0.0.1/32", "198.51.100.0/24"})
	if err != nil || len(rules) != 2 || rules[1].CIDR != "198.51.100.0/24" {
		t.Fatalf("add: %+v %v", rules, err)
	}
	got, err := c.ListAllowRules(ctx)
	if err != nil || len(got) != 2 {
		t.Fatalf("list: %+v %v", got, err)
	}
	// Another address is locked out.
	f.ClientIP = "203.0.113.50"
	if _, err := c.ListAllowRules(ctx); !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("locked out: %v", err)
	}
}

func TestSecrets(t *testing.T) {
	f, session := fake(t)
	c := newClient(t, f, session.Secret, mailgun.Options{})
	ctx := context.Background()
	secrets, err := c.ListSecrets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range secrets {
		names = append(names, s.Kind+" "+s.Name)
	}
	want := []string{"signing_key HTTP webhook signing key (account)", "smtp_credential postmaster@acme.example", "smtp_credential bulk@acme.example"}
	if !slices.Equal(names, want) {
		t.Fatalf("secrets %q", names)
	}
	rs, err := c.RotateSecret(ctx, secrets[1])
	if err != nil {
		t.Fatal(err)
	}
	cred, _ := f.Credential("acme.example", "postmaster@acme.example")
	if rs.Value == "" || len(rs.Value) != 32 || cred.Password != rs.Value || !strings.Contains(rs.Note, "smtp.mailgun.org") {
		t.Fatalf("rotated %+v (note %q)", rs.AccountSecret, rs.Note)
	}
	rk, err := c.RotateSecret(ctx, secrets[0])
	if err != nil {
		t.Fatal(err)
	}
	f.Mu.Lock()
	hsk := f.St.SigningKey
	f.Mu.Unlock()
	if rk.Value != hsk || rk.Note == "" {
		t.Fatalf("signing key %q, fake has %q", rk.Value, hsk)
	}
	if _, err := c.RotateSecret(ctx, provider.AccountSecret{ID: "smtp:nowhere.example:x@nowhere.example"}); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("unknown domain: %v", err)
	}
	if _, err := c.RotateSecret(ctx, provider.AccountSecret{ID: "smtp:acme.example:nobody@acme.example"}); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("unknown login: %v", err)
	}
}

func collect(t *testing.T, c *mailgun.Client, since time.Time) ([]provider.Message, error) {
	t.Helper()
	var out []provider.Message
	err := c.ListMessages(context.Background(), since, func(p []provider.Message) error {
		out = append(out, p...)
		return nil
	})
	return out, err
}

func TestMessages(t *testing.T) {
	f, session := fake(t)
	c := newClient(t, f, session.Secret, mailgun.Options{})
	since := time.Now().Add(-30 * 24 * time.Hour)
	msgs, err := collect(t, c, since)
	if err != nil || len(msgs) != 1200 {
		t.Fatalf("logs: %d messages, %v", len(msgs), err)
	}
	if msgs[2].Subject != mgfake.EscSubject || msgs[0].From != "noreply@acme.example" || msgs[0].Sent.IsZero() {
		t.Fatalf("message %+v", msgs[2])
	}
	// Without the Logs API: the Events API, following its next links.
	f.NoLogs = true
	msgs, err = collect(t, c, since)
	if err != nil || len(msgs) != 1200 {
		t.Fatalf("events: %d messages, %v", len(msgs), err)
	}
	if f.Hits("GET /v3/{domain_name}/events/{page}") < 4 {
		t.Fatalf("next links followed %d times", f.Hits("GET /v3/{domain_name}/events/{page}"))
	}
}

// A next-page link to another host never receives the key: the listing
// stops there, truncated, with what it read.
func TestEventsForeignNext(t *testing.T) {
	var reached, withAuth atomic.Int64
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		if r.Header.Get("Authorization") != "" {
			withAuth.Add(1)
		}
		w.Write([]byte(`{"items":[],"paging":{}}`))
	}))
	defer other.Close()
	f, session := fake(t)
	f.NoLogs = true
	f.ForeignNext = other.URL
	c := newClient(t, f, session.Secret, mailgun.Options{})
	msgs, err := collect(t, c, time.Now().Add(-30*24*time.Hour))
	var tr *provider.Truncation
	if !errors.As(err, &tr) || !strings.Contains(tr.Reason(), "another host") {
		t.Fatalf("err %v", err)
	}
	if len(msgs) != 300 || reached.Load() != 0 || withAuth.Load() != 0 {
		t.Fatalf("%d messages; the other host got %d requests (%d with a credential)", len(msgs), reached.Load(), withAuth.Load())
	}
}
