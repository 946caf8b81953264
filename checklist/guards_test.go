package checklist_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"reclaim/checklist"
	"reclaim/provider"
)

// prepared returns a drill engine with the inventory taken and the review
// and investigation answered (the leaked key named).
func prepared(t *testing.T) *checklist.Engine {
	t.Helper()
	e, _, _ := newDrill(t, "")
	ctx := context.Background()
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []checklist.StepID{checklist.StepTriage, checklist.StepInventory, checklist.StepReview, checklist.StepQuestions} {
		ans := map[string]string{}
		for _, q := range e.Questions(id) {
			ans[q.ID] = scripted(e, id, q)
		}
		if err := e.Complete(id, ans); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
	}
	return e
}

func findAction(t *testing.T, e *checklist.Engine, step checklist.StepID, kind checklist.ActionKind, target string) checklist.Action {
	t.Helper()
	for _, a := range e.Plan(step) {
		if a.Kind == kind && (target == "" || a.Target.ID == target) {
			return a
		}
	}
	t.Fatalf("no %s %s in the plan of %s: %+v", kind, target, step, e.Plan(step))
	return checklist.Action{}
}

func TestRevokeBeforeVerifiedReplacementIsImpossible(t *testing.T) {
	e := prepared(t)
	ctx := context.Background()
	const leaked = "Pz7Kd2MvXc4Bn6Qw8Ty0Ua"
	revoke := findAction(t, e, checklist.StepRevokeKeys, checklist.ActRevokeKey, leaked)
	if plan := e.Plan(checklist.StepRevokeKeys); plan[0].Target.ID != leaked {
		t.Errorf("leaked key is not revoked first: %+v", plan[0])
	}
	if _, err := e.Apply(ctx, checklist.StepRevokeKeys, revoke, nil); err == nil || !strings.Contains(err.Error(), "replacement") {
		t.Fatalf("revoke before any replacement: err = %v", err)
	}
	create := findAction(t, e, checklist.StepCreateKey, checklist.ActCreateKey, "")
	res, err := e.Apply(ctx, checklist.StepCreateKey, create, nil)
	if err != nil || res.NewKey == nil {
		t.Fatalf("create: %v", err)
	}
	if _, err := e.Apply(ctx, checklist.StepRevokeKeys, revoke, nil); err == nil {
		t.Fatal("revoke allowed after create but before verify")
	}
	verify := findAction(t, e, checklist.StepVerifyKey, checklist.ActVerifyKey, res.NewKey.ID)
	if _, err := e.Apply(ctx, checklist.StepVerifyKey, verify, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Apply(ctx, checklist.StepRevokeKeys, revoke, nil); err != nil {
		t.Fatalf("revoke after a verified replacement: %v", err)
	}
	// Repeating it is harmless.
	if r, err := e.Apply(ctx, checklist.StepRevokeKeys, revoke, nil); err != nil || r.Outcome != "already done" {
		t.Fatalf("repeat: %+v %v", r, err)
	}
	// Neither reclaim's own key nor the replacement is ever proposed.
	for _, a := range e.Plan(checklist.StepAuditKeys) {
		if a.Target.ID == e.SessionKeyID || a.Target.ID == res.NewKey.ID {
			t.Errorf("plan proposes revoking %s", a.Label)
		}
	}
	own := checklist.Action{Key: "revoke-key:key:" + e.SessionKeyID, Kind: checklist.ActRevokeKey, Target: checklist.Target{Kind: "key", ID: e.SessionKeyID}, Destructive: true}
	if _, err := e.Apply(ctx, checklist.StepRevokeKeys, own, nil); err == nil {
		t.Error("revoking reclaim's own key was allowed")
	}
}

func TestNoDestructiveActionWithoutInventory(t *testing.T) {
	e, _, _ := newDrill(t, "")
	act := checklist.Action{Key: "disable-subuser:subuser:x", Kind: checklist.ActDisableSubuser, Target: checklist.Target{Kind: "subuser", ID: "acme-eu-mail"}, Destructive: true}
	if _, err := e.Apply(context.Background(), checklist.StepAuditSubusers, act, nil); err == nil || !strings.Contains(err.Error(), "inventory") {
		t.Fatalf("err = %v", err)
	}
}

func TestAllowListLockoutGuard(t *testing.T) {
	e := prepared(t)
	ctx := context.Background()
	mk := func(cidrs, your, override string) checklist.Action {
		return checklist.Action{Key: "add-allow-rule:" + cidrs + override, Kind: checklist.ActAddAllowRule, Target: checklist.Target{Kind: "ip", ID: cidrs}, Destructive: true,
			Params: map[string]string{"cidrs": cidrs, "your_ip": your, "override": override}}
	}
	cases := []struct {
		cidrs, your, override, wantErr string
	}{
		{"203.0.113.0/24", "198.51.100.23", "", "locked out"},
		{"203.0.113.0/24", "", "", "address you connect from"},
		{"203.0.113.0/33", "198.51.100.23", "", "not a valid CIDR"},
		{"203.0.113.7/24", "198.51.100.23", "", "host bits"},
		{"2001:db8::/48, 198.51.100.0/24", "198.51.100.23", "", ""},
		{"203.0.113.9", "198.51.100.23", "I WILL LOSE ACCESS", ""},
	}
	for _, c := range cases {
		_, err := e.Apply(ctx, checklist.StepAuditIPAccess, mk(c.cidrs, c.your, c.override), nil)
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.cidrs, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s (your %q): err = %v, want %q", c.cidrs, c.your, err, c.wantErr)
		}
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	e, acct, _ := newDrill(t, t.TempDir())
	e.DryRun = true
	before, _ := acct.Snapshot()
	var lines []string
	if _, err := checklist.Autopilot(context.Background(), e, func(s string) { lines = append(lines, s) }); err != nil {
		t.Fatal(err)
	}
	after, _ := acct.Snapshot()
	if !bytes.Equal(before, after) {
		t.Fatalf("a dry run changed the account:\n%s\n%s", before, after)
	}
	out := strings.Join(lines, "\n")
	for _, want := range []string{"would revoke key \"temp-migration\"", "would remove teammate \"support-desk\"", "would delete the inbound-parse route"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
}

type errKeyring struct{ err error }

func (k errKeyring) Set(string, string, string) error   { return k.err }
func (k errKeyring) Get(string, string) (string, error) { return "", k.err }

type hangKeyring struct{}

func (hangKeyring) Set(string, string, string) error   { select {} }
func (hangKeyring) Get(string, string) (string, error) { select {} }

type goKeyring struct{}

func (goKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (goKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }

func TestSecretsKeyringFallbacks(t *testing.T) {
	ctx := context.Background()
	keyring.MockInit()
	s := checklist.NewSecrets(goKeyring{})
	if where, err := s.Put(ctx, "k1", "secret-1"); err != nil || where != "OS keyring" || !s.InKeyring("k1") {
		t.Fatalf("mock keyring: %q %v", where, err)
	}
	// A later session finds it in the keyring.
	if v, ok := checklist.NewSecrets(goKeyring{}).Get(ctx, "k1"); !ok || v != "secret-1" {
		t.Fatalf("keyring get: %q %v", v, ok)
	}

	s = checklist.NewSecrets(errKeyring{errors.New("dbus: no Secret Service")})
	where, err := s.Put(ctx, "k2", "secret-2")
	if !errors.Is(err, checklist.ErrNoKeyring) || !strings.Contains(where, "memory") {
		t.Fatalf("erroring keyring: %q %v", where, err)
	}
	if v, ok := s.Get(ctx, "k2"); !ok || v != "secret-2" {
		t.Fatal("memory fallback lost the secret")
	}
	if s.Available() {
		t.Error("keyring still reported available after an error")
	}

	old := checklist.KeyringTimeout
	checklist.KeyringTimeout = 100 * time.Millisecond
	defer func() { checklist.KeyringTimeout = old }()
	s = checklist.NewSecrets(hangKeyring{})
	start := time.Now()
	where, err = s.Put(ctx, "k3", "secret-3")
	if !errors.Is(err, checklist.ErrNoKeyring) || time.Since(start) > 2*time.Second {
		t.Fatalf("hanging keyring: %q %v after %s", where, err, time.Since(start))
	}
	if v, ok := s.Get(ctx, "k3"); !ok || v != "secret-3" {
		t.Fatal("memory fallback lost the secret")
	}
}

func TestPasswordRules(t *testing.T) {
	for pw, ok := range map[string]bool{"short": false, "alllowercaseletters": false, "Correct-Horse-Battery-9": true, "a much longer passphrase of words": true} {
		if got := checklist.PasswordProblem(pw, "old") == ""; got != ok {
			t.Errorf("%q: ok=%v, want %v", pw, got, ok)
		}
	}
	if checklist.PasswordProblem("Same-Old-Password-1", "Same-Old-Password-1") == "" {
		t.Error("the leaked password was accepted as the new one")
	}
}

func TestUnifiedLoginRoutesConsoleSteps(t *testing.T) {
	e, _, _ := newDrill(t, "")
	if v := e.View(checklist.StepPassword); v.Mode != checklist.ModeAuto {
		t.Fatalf("password step is %s before triage", v.Mode)
	}
	ans := map[string]string{}
	for _, q := range e.Questions(checklist.StepTriage) {
		ans[q.ID] = scripted(e, checklist.StepTriage, q)
	}
	if _, ok := ans["alt_login"]; !ok {
		t.Fatal("the triage does not ask about Twilio unified login")
	}
	ans["alt_login"] = "yes"
	if err := e.Complete(checklist.StepTriage, ans); err != nil {
		t.Fatal(err)
	}
	for _, id := range []checklist.StepID{checklist.StepPassword, checklist.StepTwoFactor, checklist.StepAuditIPAccess} {
		v := e.View(id)
		if v.Mode != checklist.ModeGuided || !strings.Contains(v.Console, "console.twilio.com") {
			t.Errorf("%s: %s at %q, want guided in the Twilio console", id, v.Mode, v.Console)
		}
	}
	if v := e.View(checklist.StepAuditTeammates); v.Mode != checklist.ModeAuto {
		t.Errorf("teammates became %s", v.Mode)
	}
}

// relayProvider refuses the old credential through the API at once; its
// SMTP relay accepts it until relayOpen is false (the grace window).
type relayProvider struct{ relayOpen bool }

func (p *relayProvider) Info() provider.Info {
	return provider.Info{ID: "relay", Name: "Relay", GraceWindow: time.Hour, Console: map[provider.Item]string{provider.ItemAPIKeys: "https://example.invalid/keys"}}
}
func (p *relayProvider) VerifyKey(context.Context, string) error {
	return &provider.Error{Kind: provider.ErrBadCredentials, Status: 401}
}
func (p *relayProvider) VerifySMTP(context.Context, string) error {
	if p.relayOpen {
		return nil
	}
	return &provider.Error{Kind: provider.ErrBadCredentials, Status: 535}
}

func TestDeadCheckAsksTheSMTPRelay(t *testing.T) {
	p := &relayProvider{relayOpen: true}
	inc := checklist.NewIncident(time.Now(), "relay", p, false, "")
	e := checklist.NewEngine(inc, nil, p, nil)
	ctx := context.Background()
	in := map[string]string{"old_credential": "k:old"}
	check := checklist.Action{Key: "verify-dead:old-credential", Kind: checklist.ActVerifyDead, Target: checklist.Target{Kind: "key", ID: "master"}}
	res, err := e.Apply(ctx, checklist.StepDeadCheck, check, in)
	if err != nil || !strings.Contains(res.Detail, "refused (401)") || !strings.Contains(res.Detail, "SMTP relay still accepts it") {
		t.Fatalf("first check: %+v %v", res, err)
	}
	recheck := checklist.Action{Key: "verify-dead:old-credential:recheck", Kind: checklist.ActVerifyDead, Target: check.Target}
	if _, err := e.Apply(ctx, checklist.StepDeadCheck, recheck, in); err == nil || !strings.Contains(err.Error(), "still accepts") {
		t.Fatalf("re-check while the relay still takes it: %v", err)
	}
	p.relayOpen = false
	res, err = e.Apply(ctx, checklist.StepDeadCheck, recheck, in)
	if err != nil || !strings.Contains(res.Detail, "SMTP relay refuses it too (535)") {
		t.Fatalf("re-check after the window: %+v %v", res, err)
	}
	var found bool
	for _, j := range e.Snapshot().Journal {
		found = found || (j.Outcome == "ok" && strings.Contains(j.Detail, "refuses it too"))
	}
	if !found {
		t.Error("the journal does not record the relay refusing the old secret")
	}
}

// scripted is the drill's scripted answer to a question, else its default
// (a setting such as a key's name): what a test player answers.
func scripted(e *checklist.Engine, id checklist.StepID, q checklist.Question) string {
	if v := e.DrillAnswer(id, q.ID); v != "" {
		return v
	}
	return q.Default
}
