package checklist_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/provider/drill"
)

// changePassword runs the drill's password change with the breach check
// pointed at base.
func changePassword(t *testing.T, base, newPW string) (checklist.Result, error, *checklist.Engine) {
	t.Helper()
	t.Setenv(checklist.PwnedBaseURLEnv, base)
	e, _, _ := newDrill(t, "")
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	var act checklist.Action
	for _, a := range e.Plan(checklist.StepPassword) {
		act = a
	}
	res, err := e.Apply(context.Background(), checklist.StepPassword, act, map[string]string{
		"old": e.DrillAnswer(checklist.StepPassword, "old"), "new": newPW, "new_confirm": newPW,
	})
	return res, err, e
}

func rangeServer(t *testing.T, hit string, count int) *httptest.Server {
	sum := sha1.Sum([]byte(hit))
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Add-Padding") != "true" || len(strings.TrimPrefix(r.URL.Path, "/range/")) != 5 {
			http.Error(w, "bad request", 400)
			return
		}
		fmt.Fprintf(w, "0000000000000000000000000000000000A:0\r\n")
		if strings.TrimPrefix(r.URL.Path, "/range/") == h[:5] {
			fmt.Fprintf(w, "%s:%d\r\n", h[5:], count)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestPasswordBreachCheckThroughTheEngine(t *testing.T) {
	const pw = "Vivid-Otter-Lantern-Quarry-58"
	// Hit: refused, nothing changed, nothing of the password journaled.
	_, err, e := changePassword(t, rangeServer(t, pw, 42).URL, pw)
	if err == nil || !strings.Contains(err.Error(), "data breaches") {
		t.Fatalf("a breached password was not refused: %v", err)
	}
	for _, j := range e.Snapshot().Journal {
		if strings.Contains(j.Detail, pw) {
			t.Errorf("the journal holds the password: %+v", j)
		}
	}
	// Miss (the padding's count-0 lines are not hits): changed, and the
	// journal says it was checked.
	res, err, _ := changePassword(t, rangeServer(t, "something else", 9).URL, pw)
	if err != nil || !strings.Contains(res.Detail, "not found in Pwned Passwords") {
		t.Fatalf("miss: %+v %v", res, err)
	}
	// Offline: changed, and it says the check was not made.
	res, err, _ = changePassword(t, "http://127.0.0.1:1", pw)
	if err != nil || !strings.Contains(res.Detail, "not checked (offline)") {
		t.Fatalf("offline: %+v %v", res, err)
	}
	// A wrong current password is refused as the real API refuses it.
	t.Setenv(checklist.PwnedBaseURLEnv, "http://127.0.0.1:1")
	e, _, _ = newDrill(t, "")
	_ = e.TakeInventory(context.Background())
	act := e.Plan(checklist.StepPassword)[0]
	if _, err := e.Apply(context.Background(), checklist.StepPassword, act, map[string]string{"old": "wrong-Old-pass-1", "new": pw, "new_confirm": pw}); err == nil || !strings.Contains(err.Error(), "old password is incorrect") {
		t.Fatalf("a wrong current password: %v", err)
	}
}

// TestContradictionNeedsAnOverride: the drill's console shows a teammate
// without 2FA; "every user has 2FA: Yes" stays out of the report unless the
// owner records an override, which the report then says.
func TestContradictionNeedsAnOverride(t *testing.T) {
	e, _, _ := newDrill(t, "")
	// No preselected answer anywhere the owner attests.
	for _, d := range checklist.Steps() {
		for _, q := range e.Questions(d.ID) {
			if q.Attest != nil && q.Default != "" {
				t.Errorf("%s/%s preselects %q", d.ID, q.ID, q.Default)
			}
		}
	}
	if err := e.Complete(checklist.StepAuditTwoFactor, map[string]string{"all_enrolled": "yes"}); err != nil {
		t.Fatal(err)
	}
	st := e.View(checklist.StepAuditTwoFactor).State
	if st.Level != checklist.LevelOpen || !strings.Contains(st.Statement, "support-desk has no 2FA") {
		t.Fatalf("a contradicted Yes was accepted: %s %q", st.Level, st.Statement)
	}
	qs := e.Questions(checklist.StepAuditTwoFactor)
	if !strings.Contains(qs[len(qs)-1].Prompt, "support-desk has no 2FA") || qs[len(qs)-1].ID != checklist.AnswerOverride {
		t.Fatalf("no override offered: %+v", qs)
	}
	if err := e.Complete(checklist.StepAuditTwoFactor, map[string]string{"all_enrolled": "yes", checklist.AnswerOverride: "yes"}); err != nil {
		t.Fatal(err)
	}
	st = e.View(checklist.StepAuditTwoFactor).State
	if st.Level != checklist.LevelAttested || !strings.Contains(st.Statement, "OVERRIDE") {
		t.Fatalf("override: %s %q", st.Level, st.Statement)
	}
	r := e.BuildReport()
	if !strings.Contains(r.Markdown(), "OVERRIDE: the account's data showed support-desk has no 2FA") {
		t.Error("the report does not say the claim rests on an override")
	}
	_ = drill.DefaultScenario
}

// TestDryRunReportIsMarked: a dry-run autopilot report says DRY RUN in every
// format and claims no change.
func TestDryRunReportIsMarked(t *testing.T) {
	e, _, _ := newDrill(t, "")
	e.DryRun = true
	var lines []string
	r, err := checklist.Autopilot(context.Background(), e, func(l string) { lines = append(lines, l) })
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "DRY RUN ") {
			t.Errorf("autopilot line without the marker: %s", l)
		}
	}
	md := r.Markdown()
	js, _ := r.JSON()
	html, _ := r.HTML()
	for name, out := range map[string]string{"md": md, "json": string(js), "html": string(html)} {
		if !strings.Contains(out, "DRY RUN") {
			t.Errorf("%s report lacks DRY RUN", name)
		}
	}
	if strings.Contains(md, "Account password changed") || strings.Contains(md, "| Reset the account password | verified") {
		t.Error("a dry-run report claims the password was changed")
	}
	for _, j := range e.Snapshot().Journal[1:] {
		if !strings.HasPrefix(j.Detail, "DRY RUN") {
			t.Errorf("journal entry without the marker: %+v", j)
			break
		}
	}
	if err := e.RecordFiling(checklist.Filing{Channel: checklist.FiledByEmail, To: "x@example.com", Report: r}); err == nil {
		t.Error("a dry-run report was recorded as sent")
	}
}
