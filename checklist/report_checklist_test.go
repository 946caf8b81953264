package checklist

import (
	"strings"
	"testing"

	"reclaim/provider"
)

func TestSupportChecklistStatuses(t *testing.T) {
	steps := []ReportStep{
		{ID: StepPassword, Title: "Reset the account password", Status: StatusDone},
		{ID: StepTwoFactor, Title: "Enrol 2FA", Status: StatusDone},
		{ID: StepAuditTwoFactor, Title: "2FA of every user", Status: StatusTodo},
		{ID: StepCreateKey, Status: StatusDone}, {ID: StepVerifyKey, Status: StatusDone}, {ID: StepRevokeKeys, Status: StatusDone},
		{ID: StepAuditIPAccess, Title: "IP access", Status: StatusSkipped, Reason: "dynamic IPs"},
		{ID: StepAuditSubusers, Status: StatusNA},
	}
	got := supportChecklist(provider.Support{Checklist: []string{"Change your password", "Delete all API keys and create new ones", "Enable 2FA", "Enable IP Access Management", "Check subusers", "Send a cake"}}, steps)
	want := []string{"done", "done", "not done: 2FA of every user", "skipped: IP access (dynamic IPs)", "not applicable", "not tracked by reclaim: confirm it yourself"}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i, w := range want {
		if got[i].Status != w {
			t.Errorf("%q: %q, want %q", got[i].Item, got[i].Status, w)
		}
	}
	got = supportChecklist(provider.Support{Checklist: []string{"Reset it: change the password"}}, steps)
	if len(got) != 1 || got[0].Status != "done" || got[0].Steps[0] != StepPassword {
		t.Fatalf("%+v", got)
	}
	if supportChecklist(provider.Support{}, steps) != nil {
		t.Error("a support with no checklist gives lines")
	}
	r := &Report{Provider: "X", SupportChecklist: got, Incident: "i"}
	if md := r.Markdown(); !strings.Contains(md, "## X's checklist") || !strings.Contains(md, "| Reset it: change the password | done |") {
		t.Errorf("markdown:\n%s", md)
	}
}
