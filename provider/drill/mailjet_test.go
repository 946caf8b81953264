package drill_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
)

func mailjetDrill(t *testing.T) (*checklist.Engine, *drill.Account) {
	t.Helper()
	sc, err := drill.LoadScenario("mailjet-leaked-env")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 6, 10, 0, 0, time.UTC)
	acct := drill.New(sc, now)
	inc := checklist.NewIncident(now, sc.Title, acct, true, sc.ID)
	st := &checklist.Store{Dir: t.TempDir()}
	snap, _ := acct.Snapshot()
	h, err := st.Create(inc, snap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	e := checklist.NewEngine(inc, h, acct, nil)
	clock := now
	e.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	return e, acct
}

func TestMailjetStyle(t *testing.T) {
	e, acct := mailjetDrill(t)
	p := e.Provider()
	if acct.Style() != "mailjet" || !strings.Contains(p.Info().Name, "Mailjet") || p.Info().GraceWindow == 0 {
		t.Fatalf("style %s, info %s", acct.Style(), p.Info().Name)
	}
	if p.Info().ConsoleLink(provider.ItemAPIKeys) != "https://app.mailjet.com/account/apikeys" {
		t.Errorf("console link: %s", p.Info().ConsoleLink(provider.ItemAPIKeys))
	}
	for name, has := range map[string]bool{
		"TeammateRemover": provider.Has[provider.TeammateRemover](p), "SubuserLister": provider.Has[provider.SubuserLister](p),
		"AllowListReader": provider.Has[provider.AllowListReader](p), "MailSettingsLister": provider.Has[provider.MailSettingsLister](p),
		"PasswordChanger": provider.Has[provider.PasswordChanger](p),
	} {
		if has {
			t.Errorf("a Mailjet-style drill has %s", name)
		}
	}
	for name, has := range map[string]bool{
		"KeyRevoker": provider.Has[provider.KeyRevoker](p), "KeyVerifier": provider.Has[provider.KeyVerifier](p),
		"WebhookDeleter": provider.Has[provider.WebhookDeleter](p), "Snapshotter": provider.Has[provider.Snapshotter](p),
		"Simulator": provider.Has[provider.Simulator](p), "MessageLister": provider.Has[provider.MessageLister](p),
	} {
		if !has {
			t.Errorf("a Mailjet-style drill lacks %s", name)
		}
	}
	want := map[checklist.StepID]checklist.Mode{
		checklist.StepPassword: checklist.ModeGuided, checklist.StepAuditTeammates: checklist.ModeGuided,
		checklist.StepAuditIPAccess: checklist.ModeNA, checklist.StepAuditSubusers: checklist.ModeNA, checklist.StepAuditMailSetting: checklist.ModeNA,
		checklist.StepRevokeKeys: checklist.ModeAuto, checklist.StepDeadCheck: checklist.ModeAuto,
	}
	for id, m := range want {
		if got := e.View(id).Mode; got != m {
			t.Errorf("%s: %s, want %s", id, got, m)
		}
	}
	ctx := context.Background()
	// The master key is refused; sub-keys are deactivated, not deleted.
	if err := acct.RevokeKey(ctx, "master-drill-key"); !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "console") {
		t.Errorf("master: %v", err)
	}
	if err := acct.RevokeKey(ctx, "mailr1-drill-key"); err != nil {
		t.Fatal(err)
	}
	keys, _ := acct.ListKeys(ctx)
	if len(keys) != 6 {
		t.Errorf("a key was deleted: %d left", len(keys))
	}
	// The leaked master pair works until the console reset.
	leaked := acct.LeakedCredential()
	if err := acct.VerifyKey(ctx, leaked); err != nil {
		t.Errorf("leaked credential before reset: %v", err)
	}
	nk, err := acct.CreateKey(ctx, "web-prod", nil)
	if err != nil || !strings.Contains(nk.Secret, ":") || acct.VerifyKey(ctx, nk.Secret) != nil {
		t.Errorf("new key: %v %+v", err, nk.APIKey)
	}
	_ = acct.ConsoleDo(provider.ItemAPIKeys, provider.ConsoleResetMaster)
	if err := acct.VerifyKey(ctx, leaked); !errors.Is(err, provider.ErrBadCredentials) {
		t.Errorf("leaked credential after reset: %v", err)
	}
	// A resumed drill stays Mailjet-style, with the reset remembered.
	snap, _ := acct.Snapshot()
	if strings.Contains(string(snap), strings.SplitN(leaked, ":", 2)[1]) || strings.Contains(string(snap), strings.SplitN(nk.Secret, ":", 2)[1]) {
		t.Error("the snapshot holds a secret")
	}
	back, err := drill.Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if back.Style() != "mailjet" || back.VerifyKey(ctx, leaked) == nil || back.VerifyKey(ctx, nk.Secret) != nil {
		t.Error("restore lost the Mailjet state")
	}
}

func TestMailjetAutopilot(t *testing.T) {
	e, acct := mailjetDrill(t)
	var lines []string
	r, err := checklist.Autopilot(context.Background(), e, func(s string) { lines = append(lines, s) })
	t.Log("\n" + strings.Join(lines, "\n"))
	if err != nil {
		t.Fatalf("autopilot: %v", err)
	}
	if !e.Finished() {
		t.Fatalf("not finished; next %s", e.Next())
	}
	ctx := context.Background()
	keys, _ := acct.ListKeys(ctx)
	for _, k := range keys {
		switch k.ID {
		case "mailr1-drill-key", "bulk99-drill-key":
			if !k.Inactive {
				t.Errorf("attacker key %s still active", k.ID)
			}
		case "master-drill-key", "wpsite-drill-key", "newslt-drill-key":
			if k.Inactive {
				t.Errorf("key %s was deactivated", k.ID)
			}
		}
	}
	if len(keys) != 7 {
		t.Errorf("%d keys: Mailjet never deletes, and one replacement was made", len(keys))
	}
	tm, _ := acct.ListTeammates(ctx)
	for _, x := range tm {
		if x.Email == "helpdesk@mj-support.example" {
			t.Error("the attacker's user is still there")
		}
	}
	for _, f := range e.Snapshot().Account().Findings {
		if !f.Resolved && f.Target.Kind == "teammate" {
			t.Errorf("open teammate finding: %s", f.Title)
		}
	}
	hooks, _ := acct.ListWebhooks(ctx)
	if len(hooks) != 1 {
		t.Errorf("webhooks left: %+v", hooks)
	}
	if err := acct.VerifyKey(ctx, acct.LeakedCredential()); !errors.Is(err, provider.ErrBadCredentials) {
		t.Errorf("the leaked master pair still works: %v", err)
	}
	inc := e.Snapshot()
	var dead bool
	for _, j := range inc.Journal {
		if j.Action == string(checklist.ActVerifyDead) && j.Outcome == "ok" && strings.Contains(j.Detail, "refused (401) at ") {
			dead = true
		}
		if strings.Contains(j.Detail, "drill-secret-") {
			t.Errorf("the journal holds the drill's secret: %s", j.Detail)
		}
	}
	if !dead {
		t.Error("no journal entry proves the old credential dead")
	}
	for _, f := range inc.Account().Findings {
		if !f.Resolved && f.Target.Kind == "key" {
			t.Errorf("open key finding: %s", f.Title)
		}
	}
	md := r.Markdown()
	for _, want := range []string{"Mailjet", "Investigate how the credentials leaked", "Enable two-factor", "Re-check after 1h15m0s", "refused (401)"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.ContainsRune(md, 0x1b) || strings.ContainsRune(md, 0x202e) {
		t.Error("the report carries raw escape or bidi characters")
	}
	// After the grace window the step offers a re-check, which is journaled.
	later := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	e.Now = func() time.Time { return later }
	plan := e.Plan(checklist.StepDeadCheck)
	if len(plan) != 1 || !strings.Contains(plan[0].Label, "Re-check") {
		t.Fatalf("re-check plan: %+v", plan)
	}
	if _, err := e.Apply(ctx, checklist.StepDeadCheck, plan[0], map[string]string{"old_credential": "ignored in a drill"}); err != nil {
		t.Fatal(err)
	}
	if len(e.Plan(checklist.StepDeadCheck)) != 0 {
		t.Error("re-check offered again")
	}
}
