package checklist

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"reclaim/provider"
)

// secretsFake is an account with API keys and two account secrets; with
// rotate it can rotate them through the API.
type secretsFake struct {
	rotate  bool
	console bool
	rotated []string
	value   string
}

func (f *secretsFake) Info() provider.Info {
	i := provider.Info{ID: "fakesecrets", Name: "Fake Secrets Mail"}
	if f.console {
		i.Console = map[provider.Item]string{provider.ItemAPIKeys: "https://console.example/keys"}
	}
	return i
}

func (f *secretsFake) ListKeys(context.Context) ([]provider.APIKey, error) {
	return []provider.APIKey{{ID: "key-1", Name: "web"}}, nil
}

func (f *secretsFake) ListSecrets(context.Context) ([]provider.AccountSecret, error) {
	return fakeSecrets(), nil
}

func fakeSecrets() []provider.AccountSecret {
	return []provider.AccountSecret{
		{ID: "tok-1", Kind: provider.SecretAuthToken, Name: "primary auth token"},
		{ID: "smtp-1", Kind: provider.SecretSMTP, Name: "postmaster@mg.example.com", Domain: "mg.example.com"},
	}
}

type rotatingFake struct{ *secretsFake }

func (f rotatingFake) RotateSecret(_ context.Context, s provider.AccountSecret) (provider.RotatedSecret, error) {
	f.rotated = append(f.rotated, s.ID)
	return provider.RotatedSecret{AccountSecret: s, Value: f.value, Note: "update the app's config"}, nil
}

// listingFake has SecretLister but no SecretRotator.
type listingFake struct{ *secretsFake }

func secretsEngine(t *testing.T, p provider.Provider) *Engine {
	t.Helper()
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	e := NewEngine(NewIncident(now, "secrets", p, false, ""), nil, p, nil)
	clock := now
	e.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	return e
}

// takeInventory takes the "before" inventory and records the account's
// secrets in it, as the inventory's secrets section does.
func takeInventory(t *testing.T, e *Engine) {
	t.Helper()
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	e.acct().Before.Secrets = fakeSecrets()
	e.mu.Unlock()
}

func TestRotateSecretsNotApplicableWithoutLister(t *testing.T) {
	e := secretsEngine(t, provider.Provider(&plainFake{}))
	if v := e.View(StepRotateSecrets); v.Mode != ModeNA || !strings.Contains(v.NAWhy, "no account secrets") {
		t.Errorf("mode %s (%s)", v.Mode, v.NAWhy)
	}
}

type plainFake struct{}

func (plainFake) Info() provider.Info { return provider.Info{ID: "plain", Name: "Plain Mail"} }
func (plainFake) ListKeys(context.Context) ([]provider.APIKey, error) {
	return nil, nil
}

func TestRotateSecretsThroughTheAPI(t *testing.T) {
	const value = "NEWVALUE-7c1e9a3f5b2d4e6a8c0b"
	fake := &secretsFake{rotate: true, value: value}
	e := secretsEngine(t, rotatingFake{fake})
	if v := e.View(StepRotateSecrets); v.Mode != ModeAuto {
		t.Fatalf("mode %s, want automated", v.Mode)
	}
	// Before the inventory: no change, and the step is not ready.
	if err := e.Complete(StepRotateSecrets, nil); !errors.Is(err, ErrNotReady) {
		t.Errorf("completed before the inventory: %v", err)
	}
	act := Action{Key: secretActionKey("tok-1"), Kind: ActRotateSecret, Target: Target{Kind: "secret", ID: "tok-1"}, Destructive: true, Label: "Rotate"}
	if _, err := e.Apply(context.Background(), StepRotateSecrets, act, nil); err == nil || len(fake.rotated) > 0 {
		t.Fatalf("rotated before the evidence was recorded: %v", err)
	}
	takeInventory(t, e)

	qs := e.Questions(StepRotateSecrets)
	var pick *Question
	for i := range qs {
		if qs[i].ID == "rotate" {
			pick = &qs[i]
		}
	}
	if pick == nil || pick.Kind != QMulti || pick.Default != "" || len(pick.Options) != 2 {
		t.Fatalf("the pick question: %+v", pick)
	}
	if !strings.Contains(pick.Options[1].Label, "SMTP credential") || !strings.Contains(pick.Options[1].Label, "mg.example.com") {
		t.Errorf("option label %q", pick.Options[1].Label)
	}
	if plan := e.Plan(StepRotateSecrets); len(plan) != 0 {
		t.Fatalf("a rotation is planned before the owner picked one: %+v", plan)
	}

	if err := e.Answer(StepRotateSecrets, map[string]string{"rotate": "tok-1"}); err != nil {
		t.Fatal(err)
	}
	plan := e.Plan(StepRotateSecrets)
	if len(plan) != 1 || !plan[0].Destructive || plan[0].Kind != ActRotateSecret || plan[0].Target.ID != "tok-1" {
		t.Fatalf("plan %+v", plan)
	}
	res, err := e.Apply(context.Background(), StepRotateSecrets, plan[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rotated == nil || res.Rotated.Value != value || len(fake.rotated) != 1 || fake.rotated[0] != "tok-1" {
		t.Fatalf("result %+v, rotated %v", res, fake.rotated)
	}
	if err := e.Complete(StepRotateSecrets, map[string]string{"rotate": "tok-1"}); err != nil {
		t.Fatal(err)
	}
	st := e.View(StepRotateSecrets).State
	if st.Level != LevelVerified || !strings.Contains(st.Statement, `"primary auth token"`) || !strings.Contains(st.Statement, "journal #") {
		t.Errorf("%s: %s", st.Level, st.Statement)
	}
	inc := e.Snapshot()
	b, _ := json.Marshal(inc)
	if strings.Contains(string(b), value) {
		t.Fatal("the new value reached the incident's state")
	}
	var entry *JournalEntry
	for i := range inc.Journal {
		if inc.Journal[i].Action == string(ActRotateSecret) {
			entry = &inc.Journal[i]
		}
	}
	if entry == nil || entry.Outcome != "ok" || !strings.Contains(entry.Detail, "rotated at 2026-11-22 ") || !strings.Contains(entry.Detail, "Z;") || !strings.Contains(entry.Detail, "update the app's config") {
		t.Fatalf("journal entry %+v", entry)
	}
	// Done once: not proposed again.
	if plan := e.Plan(StepRotateSecrets); len(plan) != 0 {
		t.Errorf("proposed again: %+v", plan)
	}
}

func TestRotateSecretsNoneTickedIsTheOwnersWord(t *testing.T) {
	e := secretsEngine(t, rotatingFake{&secretsFake{rotate: true, value: "x-123456789"}})
	takeInventory(t, e)
	if err := e.Complete(StepRotateSecrets, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if st := e.View(StepRotateSecrets).State; st.Level != LevelOpen {
		t.Errorf("nothing ticked and nothing said: %s %s", st.Level, st.Statement)
	}
	if err := e.Complete(StepRotateSecrets, map[string]string{"none_leaked": "yes"}); err != nil {
		t.Fatal(err)
	}
	if st := e.View(StepRotateSecrets).State; st.Level != LevelAttested || !strings.Contains(st.Statement, "none of the account's secrets") {
		t.Errorf("%s: %s", st.Level, st.Statement)
	}
}

func TestRotateSecretsGuidedInTheConsole(t *testing.T) {
	e := secretsEngine(t, listingFake{&secretsFake{console: true}})
	v := e.View(StepRotateSecrets)
	if v.Mode != ModeGuided || v.Console != "https://console.example/keys" {
		t.Fatalf("mode %s, console %q", v.Mode, v.Console)
	}
	takeInventory(t, e)
	if err := e.Complete(StepRotateSecrets, map[string]string{"rotate": "smtp-1", "rotated_in_console": "yes"}); err != nil {
		t.Fatal(err)
	}
	st := e.View(StepRotateSecrets).State
	if st.Level != LevelAttested || !strings.Contains(st.Statement, "rotated in the console") {
		t.Errorf("%s: %s", st.Level, st.Statement)
	}
	found := false
	for _, j := range e.Snapshot().Journal {
		found = found || (j.Target == secretActionKey("smtp-1") && strings.Contains(j.Detail, "postmaster@mg.example.com") && strings.HasSuffix(j.Detail, "Z"))
	}
	if !found {
		t.Error("the console rotation is not journaled with its time")
	}
}
