package drill_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/drill"
	"reclaim/provider/sendgrid"
	"reclaim/provider/sendgrid/sgfake"
)

// The passwords here are made up; failures never print them.

func sendgridDrill(t *testing.T) *drill.Account {
	t.Helper()
	sc, err := drill.LoadScenario("sendgrid-leaked-key")
	if err != nil {
		t.Fatal(err)
	}
	return drill.New(sc, time.Now())
}

// wrongOldPasswordError is how the SendGrid adapter reports a wrong current
// password answered by the SendGrid fake (400 on PUT /v3/user/password).
func wrongOldPasswordError(t *testing.T) *provider.Error {
	t.Helper()
	st, session := sgfake.Default(time.Now())
	f := sgfake.New(st)
	t.Cleanup(f.Close)
	c, err := sendgrid.NewWithOptions(provider.Config{Credential: session.Token, BaseURL: f.URL}, sendgrid.Options{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var pe *provider.Error
	if err := c.ChangePassword(context.Background(), "not the password", "a new password 1"); !errors.As(err, &pe) {
		t.Fatalf("SendGrid fake: wrong old password gave %v", err)
	}
	return pe
}

func TestDrillPasswordRefusesWrongCurrent(t *testing.T) {
	ctx := context.Background()
	a := sendgridDrill(t)
	start := a.DrillAnswers()[drill.HintOldPassword]
	if start == "" {
		t.Fatal("no current-password hint in DrillAnswers")
	}
	if _, ok := a.Scenario().Answers[drill.HintOldPassword]; ok {
		t.Fatal("the hint was written into the scenario's own answers")
	}

	real := wrongOldPasswordError(t)
	err := a.ChangePassword(ctx, start+"x", "velvet-otter-granite-lantern")
	var pe *provider.Error
	if !errors.As(err, &pe) {
		t.Fatalf("wrong current password accepted or not a provider.Error: %v", err)
	}
	if !errors.Is(err, real.Kind) || pe.Status != real.Status || pe.Message != real.Message {
		t.Errorf("drill refusal (kind %v, %d, %q) differs from SendGrid's (kind %v, %d, %q)", pe.Kind, pe.Status, pe.Message, real.Kind, real.Status, real.Message)
	}
	if !errors.Is(err, provider.ErrInvalid) || pe.Status != 400 {
		t.Errorf("want ErrInvalid/400, got %v/%d", pe.Kind, pe.Status)
	}
	if a.DrillAnswers()[drill.HintOldPassword] != start {
		t.Error("a refused change moved the current password")
	}
}

func TestDrillPasswordChangeBecomesCurrent(t *testing.T) {
	ctx := context.Background()
	a := sendgridDrill(t)
	start := a.DrillAnswers()[drill.HintOldPassword]
	const first, second = "velvet-otter-granite-lantern", "quince-harbour-saddle-meadow"

	if err := a.ChangePassword(ctx, start, first); err != nil {
		t.Fatalf("change with the hinted current password: %v", err)
	}
	if _, ok := a.DrillAnswers()[drill.HintOldPassword]; ok {
		t.Error("the hint still offers the replaced password")
	}
	if err := a.ChangePassword(ctx, start, second); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("the replaced password still works as the current one: %v", err)
	}

	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(snap), first) || strings.Contains(string(snap), start) {
		t.Fatal("the snapshot holds a password")
	}
	if !strings.Contains(string(snap), "pbkdf2-sha256$") {
		t.Error("the snapshot has no password hash: a resumed drill would forget the change")
	}

	// A resumed drill knows the new password.
	b, err := drill.Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.ChangePassword(ctx, start, second); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("resumed drill: the replaced password works: %v", err)
	}
	if err := b.ChangePassword(ctx, first, second); err != nil {
		t.Fatalf("resumed drill: the new password is not the current one: %v", err)
	}
	if err := b.ChangePassword(ctx, first, "a third password 123"); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("resumed drill: the second change did not replace the first: %v", err)
	}
}

func TestDrillPasswordMailjetHasNoHint(t *testing.T) {
	sc, err := drill.LoadScenario("mailjet-leaked-env")
	if err != nil {
		t.Fatal(err)
	}
	a := drill.New(sc, time.Now())
	if _, ok := a.DrillAnswers()[drill.HintOldPassword]; ok {
		t.Error("the Mailjet-style drill, which cannot change the password through the API, offers a password hint")
	}
	if err := a.ChangePassword(context.Background(), "x", "y-long-enough"); !errors.Is(err, provider.ErrUnsupported) {
		t.Errorf("Mailjet-style change: %v", err)
	}
}
