package checklist

import (
	"context"
	"errors"
	"strings"
	"testing"

	"reclaim/provider"
)

func noEscapes(t *testing.T, f Finding) {
	t.Helper()
	for _, s := range []string{f.Title, f.Detail, f.Evidence} {
		if strings.ContainsAny(s, "\x1b\u202e\u200b") {
			t.Errorf("%s: unsanitized text %q", f.ID, s)
		}
	}
}

// A route that forwards mail outside the account's domains is a high
// finding with the route's filter and target; routes to the account's own
// domains, or that forward nowhere, are not.
func TestRouteForwardingOutside(t *testing.T) {
	inv := sendgridShaped()
	inv.Webhooks = []provider.Webhook{
		{ID: "r1", Kind: provider.WebhookRoute, URL: "mailto:evil@harvest.example", Filter: "match_recipient(\".*@acme.example\")\x1b[2J", Enabled: true},
		{ID: "r2", Kind: provider.WebhookRoute, URL: "https://hooks.acme.example/inbound", Enabled: true},
		{ID: "r3", Kind: provider.WebhookRoute, URL: "mailto:ops@acme.example", Enabled: true},
		{ID: "r4", Kind: provider.WebhookRoute, URL: "https://collector.evil.example/in\u202e", Domain: "mg.acme.example", Enabled: true},
		{ID: "r5", Kind: provider.WebhookRoute, URL: "mailto:a@acme.example,b%40evil.example", Enabled: true},
		{ID: "r6", Kind: provider.WebhookRoute, Filter: "catch_all()", Enabled: true},
		{ID: "r7", Kind: provider.WebhookRoute, URL: "MAILTO:Copy@ACME.example?subject=x", Enabled: true},
	}
	fs := Analyze(inv, AnalysisInput{})
	want := map[string]string{"r1": "\"evil@harvest.example\"", "r4": "\"collector.evil.example\"", "r5": "\"b@evil.example\""}
	for _, w := range inv.Webhooks {
		f, ok := findingFor(fs, "route-forward:"+w.ID)
		to, bad := want[w.ID]
		if ok != bad {
			t.Errorf("route %s (%s): finding %v, want %v", w.ID, w.URL, ok, bad)
			continue
		}
		if !ok {
			continue
		}
		if f.Severity != High || f.Fix != ActDeleteWebhook || f.Target != (Target{Kind: "route", ID: w.ID, Name: w.URL}) || !strings.Contains(f.Title, "forwards mail to a foreign address "+to) {
			t.Errorf("route %s: %+v", w.ID, f)
		}
		noEscapes(t, f)
	}
	if f, _ := findingFor(fs, "route-forward:r1"); !strings.Contains(f.Title, "Route matching \"match_recipient") {
		t.Errorf("no filter in %q", f.Title)
	}
	if f, _ := findingFor(fs, "route-forward:r4"); !strings.Contains(f.Title, "of domain \"mg.acme.example\"") || f.ID != "route-forward:r4@mg.acme.example" {
		t.Errorf("no domain in %q (%s)", f.Title, f.ID)
	}
	if f, _ := findingFor(fs, "route-forward:r5"); strings.Contains(f.Title, "a@acme.example") {
		t.Errorf("an own address is called foreign: %q", f.Title)
	}
	// the review flags what the findings say, and nothing else
	objs := ReviewObjects(inv, "")
	for _, w := range inv.Webhooks {
		o, ok := objectByKey(objs, ReviewKey("route", w.ID))
		if !ok {
			t.Fatalf("route %s not in the review", w.ID)
		}
		if _, bad := want[w.ID]; bad != hasFlag(o, "forwards mail to") {
			t.Errorf("route %s flags %v", w.ID, o.Flags)
		}
		if strings.ContainsAny(o.Label, "\x1b\u202e") {
			t.Errorf("label %q", o.Label)
		}
	}
	// vouched routes are the owner's
	if f := Analyze(inv, AnalysisInput{Vouched: []string{"route:r1"}}); func() bool { _, ok := findingFor(f, "route-forward:r1"); return ok }() {
		t.Error("a vouched route is flagged")
	}
	// no own domain: nothing is judged foreign
	inv.Account, inv.Senders = nil, nil
	if f, ok := findingFor(Analyze(inv, AnalysisInput{}), "route-forward:"); ok {
		t.Errorf("flagged with no own domain: %+v", f)
	}
	if o, _ := objectByKey(ReviewObjects(inv, ""), "route:r1"); o.Note != NoOwnDomainNote {
		t.Errorf("note %q", o.Note)
	}
}

// A user without two-factor authentication is a finding: the owner and
// admins high, others medium; pending invites and unknown states are not.
func TestTwoFactorOff(t *testing.T) {
	inv := sendgridShaped()
	inv.Teammates = []provider.Teammate{
		{Username: "acme", Email: "ops@acme.example", Owner: true, Admin: true, TwoFactor: provider.TwoFactorOff},
		{Username: "boss\x1b[31m", Email: "boss@acme.example", Admin: true, TwoFactor: provider.TwoFactorOff},
		{Username: "carol", Email: "carol@acme.example", Role: "Administrator", TwoFactor: provider.TwoFactorOff},
		{Username: "dana", Email: "dana@acme.example", Role: "developer", TwoFactor: provider.TwoFactorOff},
		{Username: "erin", Email: "erin@acme.example", Admin: true, TwoFactor: provider.TwoFactorOn},
		{Username: "fred", Email: "fred@acme.example"},
		{Email: "gina@acme.example", Pending: true, Token: "tok1", TwoFactor: provider.TwoFactorOff},
	}
	fs := Analyze(inv, AnalysisInput{})
	want := map[string]string{"acme": High, "boss\x1b[31m": High, "carol": High, "dana": Medium}
	n := 0
	for _, f := range fs {
		if !strings.HasPrefix(f.ID, "2fa-off:") {
			continue
		}
		n++
		sev, ok := want[f.Target.ID]
		if !ok || f.Severity != sev || f.Target.Kind != "two_factor" || f.Fix != "" || !strings.Contains(f.Title, "has no two-factor authentication") {
			t.Errorf("finding %+v", f)
		}
		noEscapes(t, f)
	}
	if n != len(want) {
		t.Errorf("%d two-factor findings, want %d", n, len(want))
	}
	if f, _ := findingFor(fs, "2fa-off:acme"); !strings.HasPrefix(f.Title, "The owner \"acme\"") {
		t.Errorf("owner title %q", f.Title)
	}
	if o, _ := objectByKey(ReviewObjects(inv, ""), "teammate:dana"); !hasFlag(o, "no two-factor authentication") {
		t.Errorf("review flags %v", o.Flags)
	}
	// two-factor findings do not contradict "only known teammates remain"
	for _, f := range fs {
		if strings.HasPrefix(f.ID, "2fa-off:") && (f.Target.Kind == "teammate" || f.Target.Kind == "invite") {
			t.Errorf("2FA finding on a teammate target: %+v", f)
		}
	}
}

// Per-domain webhooks that share an event name are told apart by their
// domain, in the finding, the label and the report.
func TestWebhookPerDomain(t *testing.T) {
	inv := sendgridShaped()
	inv.Webhooks = []provider.Webhook{
		{ID: "delivered", Kind: provider.WebhookEvent, URL: "https://track.evil.example/a", Domain: "mg.acme.example", Enabled: true},
		{ID: "delivered", Kind: provider.WebhookEvent, URL: "https://track.evil.example/b", Domain: "news.acme.example\x1b[2J", Enabled: true},
	}
	fs := Analyze(inv, AnalysisInput{})
	a, okA := findingFor(fs, "webhook-outside:delivered@mg.acme.example")
	b, okB := findingFor(fs, "webhook-outside:delivered@news.acme.example")
	if !okA || !okB || a.ID == b.ID {
		t.Fatalf("findings %+v", fs)
	}
	if !strings.Contains(a.Title, "Event webhook of domain \"mg.acme.example\" posts to") || !strings.Contains(a.Evidence, "(domain mg.acme.example)") {
		t.Errorf("finding %+v", a)
	}
	noEscapes(t, b)
	if l := webhookLabel(inv.Webhooks[0]); !strings.Contains(l, "(domain mg.acme.example)") {
		t.Errorf("label %q", l)
	}
	rows := inventoryRows(inv, nil)
	if !strings.Contains(rows[3][1], "(domain mg.acme.example)") || strings.Contains(rows[3][1], "\x1b") {
		t.Errorf("report row %q", rows[3][1])
	}
}

// secretsProv lists account secrets, or fails, or stops at a cap.
type secretsProv struct {
	secrets []provider.AccountSecret
	err     error
}

func (p *secretsProv) Info() provider.Info { return provider.Info{ID: "fake"} }
func (p *secretsProv) ListSecrets(ctx context.Context) ([]provider.AccountSecret, error) {
	return p.secrets, p.err
}

// Account secrets are a section of the inventory like the others: read,
// failed, or kept and marked when the listing stopped at a cap.
func TestInventorySecrets(t *testing.T) {
	ss := []provider.AccountSecret{
		{ID: "s1", Kind: provider.SecretSMTP, Name: "postmaster@mg.acme.example", Domain: "mg.acme.example"},
		{ID: "s2", Kind: provider.SecretSigningKey, Name: "webhook signing key\x1b[2J"},
	}
	ctx := context.Background()
	inv, err := TakeInventory(ctx, &secretsProv{secrets: ss}, flagsNow)
	if err != nil || len(inv.Secrets) != 2 || len(inv.Read) != 1 || inv.Read[0] != SecSecrets {
		t.Fatalf("inventory %+v, %v", inv, err)
	}
	if n, list := sectionLen(inv, SecSecrets); n != 2 || !list {
		t.Errorf("sectionLen %d %v", n, list)
	}
	rows := inventoryRows(inv, nil)
	last := rows[len(rows)-1]
	if last[0] != "Account secrets" || !strings.Contains(last[1], "2: smtp_credential postmaster@mg.acme.example") || strings.Contains(last[1], "\x1b") {
		t.Errorf("report row %q", last)
	}
	if rows := inventoryRows(sendgridShaped(), nil); rows[len(rows)-1][0] == "Account secrets" {
		t.Error("an account secrets row with none")
	}

	cut := &provider.Truncation{What: "account secrets", Cause: provider.CauseItems, Items: 1}
	inv, err = TakeInventory(ctx, &secretsProv{secrets: ss[:1], err: cut}, flagsNow)
	if err != nil || len(inv.Secrets) != 1 || inv.Truncated[SecSecrets] != "truncated at 1 items (item cap)" {
		t.Fatalf("truncated: %+v, %v", inv.Truncated, err)
	}

	inv, err = TakeInventory(ctx, &secretsProv{err: errors.New("429 \x1b[2Jtoo many")}, flagsNow)
	if err == nil || !strings.HasPrefix(inv.Errors[SecSecrets], "429") || strings.Contains(inv.Errors[SecSecrets], "\x1b") {
		t.Fatalf("failed: %+v, %v", inv.Errors, err)
	}

	// the after inventory takes the section when it is read again
	dst := &Inventory{Secrets: ss}
	mergeSections(dst, &Inventory{Read: []string{SecSecrets}, Secrets: ss[:1]}, []string{SecSecrets})
	if len(dst.Secrets) != 1 {
		t.Errorf("merged %+v", dst.Secrets)
	}
}
