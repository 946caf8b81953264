package checklist_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/checklist/leakscan"
	"reclaim/provider"
	"reclaim/provider/drill"
)

// drillEngine starts a stored drill on a scenario, with its simulated
// server written for the leak scan, as a real session does.
func drillEngine(t *testing.T, name string) (*checklist.Engine, *drill.Account) {
	t.Helper()
	sc, err := drill.LoadScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	acct := drill.New(sc, now)
	inc := checklist.NewIncident(now, "Drill: "+sc.Title, acct, true, sc.ID)
	st := &checklist.Store{Dir: t.TempDir()}
	snap, _ := acct.Snapshot()
	h, err := st.Create(inc, snap)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	e := checklist.NewEngine(inc, h, acct, nil)
	tree := t.TempDir()
	if err := acct.WriteServerTree(tree); err != nil {
		t.Fatal(err)
	}
	e.Scanner = leakscan.NewLeakScanner([]string{tree}, leakscan.Options{})
	return e, acct
}

func play(t *testing.T, e *checklist.Engine, run checklist.DrillRun) (*checklist.Debrief, []string) {
	t.Helper()
	var lines []string
	_, db, err := checklist.DrillAutopilot(context.Background(), e, func(s string) { lines = append(lines, s) }, run)
	if err != nil {
		t.Fatalf("autopilot: %v\n%s", err, strings.Join(lines, "\n"))
	}
	return db, lines
}

func TestDrillStepIDsMatchProcedure(t *testing.T) {
	var want []string
	for _, id := range checklist.StepIDs() {
		want = append(want, string(id))
	}
	if !slices.Equal(drill.StepIDs, want) {
		t.Fatalf("drill.StepIDs = %v\nchecklist.StepIDs = %v", drill.StepIDs, want)
	}
}

func TestDrillBuiltinsScoreFullMarks(t *testing.T) {
	names := drill.Scenarios()
	if len(names) < 5 {
		t.Fatalf("only %d built-in scenarios: %v", len(names), names)
	}
	lessons := map[string]string{}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			e, acct := drillEngine(t, name)
			db, lines := play(t, e, checklist.DrillRun{})
			if db.Score != db.MaxScore || db.MaxScore == 0 {
				t.Errorf("score %d/%d:\n%s\n%s", db.Score, db.MaxScore, strings.Join(db.Summary(), "\n"), strings.Join(lines, "\n"))
			}
			if !db.Contained || !db.StillContained || len(db.OpenAccess) > 0 {
				t.Errorf("not contained: %+v", db.OpenAccess)
			}
			if !db.Recovered || db.TimeToRecover <= 0 || db.TimeToContain <= 0 || db.TimeToContain > db.TimeToRecover {
				t.Errorf("contain %v, recover %v (recovered %v)", db.TimeToContain, db.TimeToRecover, db.Recovered)
			}
			for i, in := range db.Injects {
				named := len(acct.Scenario().Injects[i].Revisit) > 0
				if !in.Fired || (named && !strings.HasPrefix(in.Reaction, "revisited ")) {
					t.Errorf("inject %s: fired %v, reaction %q", in.Name, in.Fired, in.Reaction)
				}
			}
			dir := filepath.Dir(e.ReportPath())
			for _, f := range []string{checklist.AfterActionMD, checklist.AfterActionJSON} {
				fi, err := os.Stat(filepath.Join(dir, f))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("%s mode %v", f, fi.Mode().Perm())
				}
			}
			md, _ := os.ReadFile(filepath.Join(dir, checklist.AfterActionMD))
			for _, want := range []string{"after-action report", "Time to contain", "## Lessons learned", "## What to change in the runbook", "No change: the runbook held"} {
				if !strings.Contains(string(md), want) {
					t.Errorf("after-action.md lacks %q", want)
				}
			}
			var back checklist.Debrief
			js, _ := os.ReadFile(filepath.Join(dir, checklist.AfterActionJSON))
			if err := json.Unmarshal(js, &back); err != nil || back.Score != db.Score || back.ContainSeconds == 0 {
				t.Errorf("after-action.json: %v %+v", err, back.Score)
			}
			if prev, dup := lessons[acct.Scenario().Lesson]; dup {
				t.Errorf("same lesson as %s", prev)
			}
			lessons[acct.Scenario().Lesson] = name
			t.Log(db.ScoreLine())
		})
	}
}

// The scripted bad run leaves one attacker key (billing-sync) and the
// attacker's event webhook: it loses exactly those two expectations (15 and
// 10 points) and never contains the account.
func TestDrillBadRunKnownScore(t *testing.T) {
	e, _ := drillEngine(t, drill.DefaultScenario)
	const key, hook = "Lk1Jh3Gf5Ds7Aq9Wz2Xc4V", "https://collect.evt-stats.example/c?id=88"
	db, lines := play(t, e, checklist.DrillRun{Skip: checklist.Leave([]string{key}, []string{hook})})
	if db.MaxScore != 100 || db.Score != 75 {
		t.Fatalf("score %d/%d, want 75/100:\n%s\n%s", db.Score, db.MaxScore, strings.Join(db.Summary(), "\n"), strings.Join(lines, "\n"))
	}
	var missed []string
	for _, x := range db.Expectations {
		if !x.Met {
			missed = append(missed, x.ID+": "+x.Evidence)
		}
	}
	if len(missed) != 2 || !strings.HasPrefix(missed[0], "attacker-keys-revoked: ") || !strings.Contains(missed[0], "Lk1Jh3") ||
		!strings.HasPrefix(missed[1], "attacker-webhooks-deleted: ") || !strings.Contains(missed[1], hook) {
		t.Errorf("missed: %q", missed)
	}
	if db.Contained || len(db.OpenAccess) != 2 || len(db.Risks) != 0 {
		t.Errorf("contained %v, open %q, risks %+v", db.Contained, db.OpenAccess, db.Risks)
	}
	md := db.Markdown()
	for _, want := range []string{"never", "+0 (of 15) missed: Every key the attacker created was revoked", "collect.evt-stats.example"} {
		if !strings.Contains(md, want) {
			t.Errorf("after-action report lacks %q", want)
		}
	}
	if slices.Contains(db.RunbookChanges, "No change: the runbook held for this scenario.") || len(db.RunbookChanges) != 2 {
		t.Errorf("runbook changes: %q", db.RunbookChanges)
	}
}

// fakeClock is a drill clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestDrillInjectChangesAccount(t *testing.T) {
	ctx := context.Background()
	e, acct := drillEngine(t, "sendgrid-attacker-strikes-back")
	clock := &fakeClock{t: acct.Epoch()}
	acct.SetClock(clock.Now)
	feed, stop := acct.Subscribe()
	defer stop()
	has := func(user string) bool {
		tm, err := acct.ListTeammates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(tm, func(x provider.Teammate) bool { return x.Username == user })
	}
	clock.Add(15 * time.Minute)
	if has("it-helpdesk") || len(acct.Tick()) != 0 {
		t.Fatal("the 16m inject struck at 15m")
	}
	clock.Add(time.Minute)
	got := acct.Tick()
	if len(got) != 1 || got[0].Inject != "new-admin" || got[0].At != 16*time.Minute || got[0].By != "schedule" || !slices.Equal(got[0].Revisit, []string{"audit.teammates"}) {
		t.Fatalf("tick at 16m: %+v", got)
	}
	if !has("it-helpdesk") {
		t.Fatal("the inject did not add the teammate")
	}
	if n := <-feed; n.Inject != "new-admin" {
		t.Errorf("subscriber got %+v", n)
	}
	// A step-based inject strikes when its step is finished, through the
	// engine's observer.
	hooks := func() int {
		ws, _ := acct.ListWebhooks(ctx)
		n := 0
		for _, w := range ws {
			if strings.Contains(w.URL, "evt-relay") {
				n++
			}
		}
		return n
	}
	ws, _ := acct.ListWebhooks(ctx)
	for _, w := range ws {
		if strings.Contains(w.URL, "evt-relay") {
			if err := acct.DeleteWebhook(ctx, w); err != nil {
				t.Fatal(err)
			}
		}
	}
	if hooks() != 0 {
		t.Fatal("webhook not deleted")
	}
	if err := e.Skip(checklist.StepAuditWebhooks, "drill test"); err != nil {
		t.Fatal(err)
	}
	if hooks() != 1 {
		t.Fatal("finishing audit.webhooks did not bring the webhook back")
	}
	ns := acct.Notices(1)
	if len(ns) != 1 || ns[0].Inject != "webhook-back" || ns[0].By != "step audit.webhooks" {
		t.Fatalf("notices after 1: %+v", ns)
	}
	// The facilitator fires one now; twice is refused, and so is a name
	// the scenario lacks.
	if _, err := acct.FireInject("spike"); err != nil {
		t.Fatal(err)
	}
	if _, err := acct.FireInject("spike"); err == nil || !strings.Contains(err.Error(), "already struck") {
		t.Errorf("second fire: %v", err)
	}
	if _, err := acct.FireInject("nope"); err == nil || !strings.Contains(err.Error(), "have: new-admin, webhook-back, ci-leak, spike") {
		t.Errorf("unknown inject: %v", err)
	}
	keys, _ := acct.ListKeys(ctx)
	if !slices.ContainsFunc(keys, func(k provider.APIKey) bool { return k.ID == "Sv7Re3La9Yx1Bq5Nm8Kc2D" }) {
		t.Error("the spike's key was not added")
	}
	n := 0
	_ = acct.ListMessages(ctx, acct.Epoch().Add(-time.Hour), func(ms []provider.Message) error {
		for _, m := range ms {
			if m.From == "payroll@initech-hr.example" && !m.Sent.Before(acct.Epoch()) {
				n++
			}
		}
		return nil
	})
	if n != 3500 {
		t.Errorf("spike messages after the start: %d", n)
	}
	var fired []string
	for _, s := range acct.Injects() {
		if s.Fired {
			fired = append(fired, s.Name+"/"+s.By)
		}
	}
	if !slices.Equal(fired, []string{"new-admin/schedule", "webhook-back/step audit.webhooks", "spike/facilitator"}) {
		t.Errorf("fired: %q", fired)
	}
	// The notices survive a save and a resume.
	snap, _ := acct.Snapshot()
	back, err := drill.Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Notices(0)) != 3 {
		t.Errorf("restored notices: %+v", back.Notices(0))
	}
}

// A key in use revoked before its replacement works, and an allow list that
// leaves the owner out, are risky actions that cost their penalties.
func TestDrillRiskyActions(t *testing.T) {
	ctx := context.Background()
	e, _ := drillEngine(t, drill.DefaultScenario)
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	revoke := checklist.Action{Key: "revoke-key:key:Hc5Ve1RuYo3Ti7Pa9Sd2Fg", Kind: checklist.ActRevokeKey, Destructive: true,
		Target: checklist.Target{Kind: "key", ID: "Hc5Ve1RuYo3Ti7Pa9Sd2Fg", Name: "newsletter-worker"}}
	if _, err := e.Apply(ctx, checklist.StepRevokeKeys, revoke, nil); err != nil {
		t.Fatal(err)
	}
	allow := checklist.Action{Key: "add-allow-rule:203.0.113.0/24", Kind: checklist.ActAddAllowRule, Destructive: true, Target: checklist.Target{Kind: "ip", ID: "203.0.113.0/24"},
		Params: map[string]string{"cidrs": "203.0.113.0/24", "your_ip": "198.51.100.23", "override": "I WILL LOSE ACCESS"}}
	if _, err := e.Apply(ctx, checklist.StepAuditIPAccess, allow, nil); err != nil {
		t.Fatal(err)
	}
	db, err := e.Debrief()
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	pen := 0
	for _, r := range db.Risks {
		kinds = append(kinds, r.Kind)
		pen += r.Penalty
	}
	if !slices.Equal(kinds, []string{drill.RiskRevokedBeforeVerified, drill.RiskAllowListLocksOut}) || pen != 20 {
		t.Fatalf("risks: %+v", db.Risks)
	}
	if !strings.Contains(db.Risks[0].Evidence, "newsletter-worker") || !strings.Contains(db.Risks[1].Evidence, "198.51.100.23") {
		t.Errorf("evidence: %q / %q", db.Risks[0].Evidence, db.Risks[1].Evidence)
	}
	earned := 0
	for _, x := range db.Expectations {
		earned += x.Earned
		if x.ID == "allow-list" && x.Met {
			t.Error("a list without the owner's address met ip_allowlist_keeps_owner")
		}
	}
	if db.Score != max(earned-20, 0) {
		t.Errorf("score %d, earned %d", db.Score, earned)
	}
	if db.Recovered {
		t.Error("recovered with every step still to do")
	}
}

func TestDrillEveryCheckKindIsScored(t *testing.T) {
	e, _ := drillEngine(t, drill.DefaultScenario)
	db, err := e.Debrief()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, x := range db.Expectations {
		seen[x.Check] = true
		if strings.HasPrefix(x.Evidence, "unknown check kind") {
			t.Errorf("%s: %s", x.ID, x.Evidence)
		}
	}
	// Every kind is used by at least one built-in, so the full-marks test
	// scores each of them.
	for _, name := range drill.Scenarios() {
		sc, _ := drill.LoadScenario(name)
		for _, x := range sc.Expectations {
			seen[x.Check.Kind] = true
		}
	}
	// The two left are scored by TestDrillOrderAndKeepChecks.
	for _, k := range drill.CheckKinds() {
		if !seen[k] && k != drill.CheckKeyKept && k != drill.CheckRevokeAfterVerified {
			t.Errorf("check kind %s is used by no built-in scenario", k)
		}
	}
}

// key_kept and key_revoked_after_replacement_verified: met by the perfect
// run, missed when the owner's newsletter key is revoked before any
// replacement exists.
func TestDrillOrderAndKeepChecks(t *testing.T) {
	extra := []drill.Expectation{
		{ID: "order", Title: "Rotate before revoke", Points: 10, Check: drill.Check{Kind: drill.CheckRevokeAfterVerified}},
		{ID: "kept", Title: "The newsletter key still works", Points: 10, Check: drill.Check{Kind: drill.CheckKeyKept, Key: "Hc5Ve1RuYo3Ti7Pa9Sd2Fg"}},
	}
	variant := func(t *testing.T) (*checklist.Engine, *drill.Account) {
		e, acct := drillEngine(t, drill.DefaultScenario)
		sc := acct.Scenario()
		sc.Expectations = append(sc.Expectations, extra...)
		return e, acct
	}
	e, _ := variant(t)
	db, _ := play(t, e, checklist.DrillRun{})
	if db.Score != 120 || db.MaxScore != 120 {
		t.Errorf("perfect run: %s", strings.Join(db.Summary(), "\n"))
	}
	e, _ = variant(t)
	ctx := context.Background()
	if err := e.TakeInventory(ctx); err != nil {
		t.Fatal(err)
	}
	revoke := checklist.Action{Key: "revoke-key:key:Hc5Ve1RuYo3Ti7Pa9Sd2Fg", Kind: checklist.ActRevokeKey, Destructive: true,
		Target: checklist.Target{Kind: "key", ID: "Hc5Ve1RuYo3Ti7Pa9Sd2Fg", Name: "newsletter-worker"}}
	if _, err := e.Apply(ctx, checklist.StepRevokeKeys, revoke, nil); err != nil {
		t.Fatal(err)
	}
	db, err := e.Debrief()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range db.Expectations {
		if !x.Met {
			got[x.ID] = x.Evidence
		}
	}
	if !strings.Contains(got["order"], `"newsletter-worker" (Hc5Ve1…) at T+`) || !strings.Contains(got["kept"], "was revoked, but it was the owner's") {
		t.Errorf("evidence: %q", got)
	}
}
