package checklist_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/checklist/leakscan"
	"reclaim/provider"
	"reclaim/provider/detecttest"
	"reclaim/provider/drill"
	"reclaim/provider/mailjet"
)

// keysProv is an account that lists and revokes keys, with no leak matcher.
type keysProv struct{ keys []provider.APIKey }

func (p *keysProv) Info() provider.Info { return provider.Info{ID: "fakeprov", Name: "Fake"} }
func (p *keysProv) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	return p.keys, nil
}
func (p *keysProv) RevokeKey(ctx context.Context, id string) error { return nil }

// matchingProv recognises its own leaked keys by id.
type matchingProv struct {
	keysProv
	calls int
}

func (p *matchingProv) MatchLeak(l provider.Leak, keys []provider.APIKey) (string, bool) {
	p.calls++
	if l.Provider != "fakeprov" {
		return "", false
	}
	for _, k := range keys {
		if k.ID == l.KeyID {
			return k.ID, true
		}
	}
	return "", false
}

var leakNow = time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)

func leakKeys() []provider.APIKey {
	return []provider.APIKey{
		{ID: "k1", Name: "production", Created: leakNow.Add(-400 * 24 * time.Hour)},
		{ID: "k2", Name: "fresh", Created: leakNow.Add(-2 * 24 * time.Hour)},
		{ID: "k3", Name: "old-crm", Created: leakNow.Add(-900 * 24 * time.Hour), Inactive: true},
	}
}

func leakEngine(t *testing.T, p provider.Provider, leaks ...leakscan.Finding) *checklist.Engine {
	t.Helper()
	inc := checklist.NewIncident(leakNow, "leak test", p, false, "")
	e := checklist.NewEngine(inc, nil, p, nil)
	e.Now = func() time.Time { return leakNow }
	e.Scanner = &fakeScanner{roots: []leakscan.RootStat{{Path: "/srv/www", Files: 3, Bytes: 300}}, findings: leaks}
	return e
}

func leakFinding(prov, keyID string) leakscan.Finding {
	return leakscan.Finding{File: "/srv/www/.env", Line: 4, Provider: prov, Kind: "api_key", Redacted: "ab…yz", Fingerprint: "sha256:" + strings.Repeat("0", 63) + "1", KeyID: keyID}
}

// scanFinding returns the scan's finding for the leak at /srv/www/.env:4.
func scanFinding(t *testing.T, e *checklist.Engine) checklist.Finding {
	t.Helper()
	for _, f := range e.Snapshot().Account().Findings {
		if f.Source == "scan" && strings.HasPrefix(f.ID, "leak:") {
			return f
		}
	}
	t.Fatal("no scan finding")
	return checklist.Finding{}
}

func hasFinding(e *checklist.Engine, id string) bool {
	for _, f := range e.Snapshot().Account().Findings {
		if f.ID == id && !f.Resolved {
			return true
		}
	}
	return false
}

// A leak the provider's LeakMatcher recognises becomes a finding on that
// account key, to revoke first; the analysis flags the key as leaked.
func TestLeakMatchedToAccountKey(t *testing.T) {
	p := &matchingProv{keysProv: keysProv{keys: leakKeys()}}
	e := leakEngine(t, p, leakFinding("fakeprov", "k1"))
	ctx := context.Background()
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Scan(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	f := scanFinding(t, e)
	if f.Target.Kind != "key" || f.Target.ID != "k1" || f.Target.Name != "production" || f.Fix != checklist.ActRevokeKey || !strings.Contains(f.Detail, "revoke it first") || !strings.Contains(f.Detail, "ab…yz") {
		t.Fatalf("matched leak: %+v", f)
	}
	if f.Leak == nil || *f.Leak != (provider.Leak{Provider: "fakeprov", Kind: "api_key", KeyID: "k1"}) {
		t.Errorf("leak %+v", f.Leak)
	}
	if !hasFinding(e, "key-leaked:k1") {
		t.Error("the analysis does not flag the leaked key")
	}
	acts := e.Plan(checklist.StepRevokeKeys)
	if len(acts) != 2 || acts[0].Target.ID != "k1" || acts[0].Params["leaked"] != "true" || acts[1].Target.ID != "k2" {
		t.Fatalf("plan: %+v", acts)
	}
	if j, _ := lastScan(t, e); !strings.HasSuffix(j.Detail, ": 1 finding, 1 leaked key id") {
		t.Errorf("journal %q", j.Detail)
	}
}

// Without a matcher, or for a leak the matcher does not recognise (another
// provider's, a key no longer listed, a deactivated one), the finding stays
// on the leak: rotate it, nothing is revoked for it.
func TestLeakNotMatched(t *testing.T) {
	cases := []struct {
		name string
		p    provider.Provider
		leak leakscan.Finding
	}{
		{"no matcher", &keysProv{keys: leakKeys()}, leakFinding("fakeprov", "k1")},
		{"other provider", &matchingProv{keysProv: keysProv{keys: leakKeys()}}, leakFinding("sendgrid", "k1")},
		{"unknown key", &matchingProv{keysProv: keysProv{keys: leakKeys()}}, leakFinding("fakeprov", "gone")},
		{"deactivated key", &matchingProv{keysProv: keysProv{keys: leakKeys()}}, leakFinding("fakeprov", "k3")},
		{"no key id", &matchingProv{keysProv: keysProv{keys: leakKeys()}}, leakFinding("fakeprov", "")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := leakEngine(t, c.p, c.leak)
			ctx := context.Background()
			if err := e.TakeInventory(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := e.Scan(ctx, nil, nil); err != nil {
				t.Fatal(err)
			}
			f := scanFinding(t, e)
			if f.Target.Kind != "leak" || f.Fix != "" || !strings.Contains(f.Detail, "Revoke or rotate it") || f.Severity != checklist.High {
				t.Fatalf("unmatched leak: %+v", f)
			}
			if hasFinding(e, "key-leaked:k1") || hasFinding(e, "key-leaked:k3") {
				t.Error("a key is flagged as leaked")
			}
			for _, a := range e.Plan(checklist.StepRevokeKeys) {
				if a.Params["leaked"] == "true" {
					t.Errorf("leaked revocation proposed: %+v", a)
				}
			}
		})
	}
}

// A scan run before the keys could be read is matched once they are.
func TestLeakMatchedAfterLaterInventory(t *testing.T) {
	p := &matchingProv{keysProv: keysProv{keys: leakKeys()}}
	e := leakEngine(t, p, leakFinding("fakeprov", "k1"))
	ctx := context.Background()
	if _, err := e.Scan(ctx, nil, nil); err != nil {
		t.Fatal(err)
	}
	if f := scanFinding(t, e); f.Target.Kind != "leak" || p.calls != 0 {
		t.Fatalf("matched with no inventory: %+v (%d calls)", f, p.calls)
	}
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	if f := scanFinding(t, e); f.Target.Kind != "key" || f.Target.ID != "k1" || f.Fix != checklist.ActRevokeKey {
		t.Fatalf("not matched after the inventory: %+v", f)
	}
	// matched once: a later analysis leaves it alone
	n := p.calls
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	if p.calls != n {
		t.Errorf("a matched leak was matched again (%d calls, then %d)", n, p.calls)
	}
}

// The drill's leaked SendGrid key (in its server tree) is still revoked
// first: the drill account matches leaks as SendGrid does.
func TestDrillLeakRevokedFirst(t *testing.T) {
	e, tree := scanEngine(t)
	ctx := context.Background()
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Scan(ctx, []string{tree}, nil); err != nil {
		t.Fatal(err)
	}
	const leaked = "Pz7Kd2MvXc4Bn6Qw8Ty0Ua"
	n := 0
	for _, f := range e.Snapshot().Account().Findings {
		if f.Source == "scan" && f.Target.Kind == "key" {
			n++
			if f.Target.ID != leaked || f.Fix != checklist.ActRevokeKey || f.Leak == nil || f.Leak.Provider != "sendgrid" {
				t.Errorf("scan key finding %+v", f)
			}
		}
	}
	if n == 0 || !hasFinding(e, "key-leaked:"+leaked) {
		t.Fatalf("the drill's leaked key is not matched (%d scan key findings)", n)
	}
	if acts := e.Plan(checklist.StepRevokeKeys); len(acts) == 0 || acts[0].Target.ID != leaked || acts[0].Params["leaked"] != "true" {
		t.Fatalf("plan: %+v", acts)
	}
}

// A Mailjet-style drill matches Mailjet leaks (by the KeyRef of the public
// API key), not SendGrid ones.
func TestDrillMailjetMatchesLeaks(t *testing.T) {
	sc, err := drill.LoadScenario("mailjet-leaked-env")
	if err != nil {
		t.Fatal(err)
	}
	p := drill.New(sc, leakNow).Styled()
	m, ok := p.(provider.LeakMatcher)
	if !ok {
		t.Fatal("the Mailjet-style drill has no leak matcher")
	}
	keys := []provider.APIKey{{ID: "master-drill-key", Master: true}, {ID: "wpsite-drill-key"}}
	if id, ok := m.MatchLeak(provider.Leak{Provider: "mailjet", Kind: "api_key", KeyID: mailjet.KeyRef([]byte("wpsite-drill-key"))}, keys); !ok || id != "wpsite-drill-key" {
		t.Errorf("mailjet leak: %q %v", id, ok)
	}
	if _, ok := m.MatchLeak(provider.Leak{Provider: "sendgrid", Kind: "api_key", KeyID: "wpsite-drill-key"}, keys); ok {
		t.Error("a Mailjet-style drill matched a SendGrid leak")
	}
}

// No secret reaches the findings; each credential carries its detector's
// provider.Leak, the key id included where the detector reads one.
func TestScanFindingsNoSecret(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	const hexA, anA = "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	sg := "S" + "G." + detecttest.Rand(r, anA, 22) + "." + detecttest.Rand(r, anA+"_-", 43)
	mjk, mjs := detecttest.Rand(r, hexA, 32), detecttest.Rand(r, hexA, 32)
	mg := "key-" + detecttest.Rand(r, hexA, 32)
	dir := t.TempDir()
	env := "SENDGRID_API_KEY=" + sg + "\nMAILJET_APIKEY=" + mjk + "\nMAILJET_APISECRET=" + mjs + "\nMAILGUN_SECRET=" + mg + "\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := leakscan.Scan(context.Background(), []string{dir}, leakscan.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs := checklist.ScanFindings(rep)
	b, _ := json.Marshal(fs)
	for _, s := range []string{sg, mjk, mjs, mg} {
		if strings.Contains(string(b), s) {
			t.Errorf("the findings hold a secret (%s…)", s[:4])
		}
	}
	got := map[string]provider.Leak{}
	for _, f := range fs {
		if f.Leak != nil {
			got[f.Leak.Provider+"/"+f.Leak.Kind] = *f.Leak
			if f.Target.Kind != "leak" || f.Fix != "" || f.Source != "scan" {
				t.Errorf("unmatched finding %+v", f)
			}
		}
	}
	want := map[string]string{"sendgrid/api_key": sg[3:25], "mailjet/api_key": mailjet.KeyRef([]byte(mjk)), "mailjet/secret_key": "", "mailgun/api_key": ""}
	for k, id := range want {
		l, ok := got[k]
		if !ok {
			t.Errorf("no finding for %s (have %v)", k, got)
			continue
		}
		if l.KeyID != id {
			t.Errorf("%s key id %q, want %q", k, l.KeyID, id)
		}
	}
}

// An incomplete scan reaches the Investigate step as a finding, so that
// the step never reads "0 findings" for it.
func TestScanFindingsIncomplete(t *testing.T) {
	fs := checklist.ScanFindings(&leakscan.Report{Capped: 1, Unreadable: 2})
	if len(fs) != 1 || fs[0].ID != "scan-incomplete" || !strings.Contains(fs[0].Title, "1 file read only up to the per-file cap; 2 files or folders unreadable") {
		t.Fatalf("%+v", fs)
	}
	if fs := checklist.ScanFindings(&leakscan.Report{}); len(fs) != 0 {
		t.Fatalf("a complete empty scan: %+v", fs)
	}
	if fs := checklist.ScanFindings(nil); fs != nil {
		t.Fatalf("no report: %+v", fs)
	}
}

// Paths and log fields come from the server: no escape code reaches a
// title, detail or evidence.
func TestScanFindingsSanitized(t *testing.T) {
	evil := "/srv/www/\x1b[2J\u202eevil.env"
	rep := &leakscan.Report{
		Findings:  []leakscan.Finding{{File: evil, Line: 1, Provider: "sendgrid", Kind: "api_key", Redacted: "SG.\x1b]0;x\a…", Fingerprint: "sha256:ab"}},
		Exposures: []leakscan.Exposure{{Path: evil, Kind: "env-in-webroot", Severity: "high", Detail: "served \x1b[31m" + evil}},
		Traces:    []leakscan.Trace{{File: evil, Probe: "/.env\x1b[2J", Requests: 2, IPs: []string{"198.51.100.7\x1b"}, IPCount: 1}},
	}
	fs := checklist.ScanFindings(rep)
	if len(fs) != 3 {
		t.Fatalf("%d findings", len(fs))
	}
	for _, f := range fs {
		for _, s := range []string{f.ID, f.Title, f.Detail, f.Evidence, f.Target.ID, f.Target.Name} {
			if strings.ContainsAny(s, "\x1b\a\u202e") {
				t.Errorf("unsanitized: %q", s)
			}
		}
	}
}
