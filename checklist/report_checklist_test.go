package checklist

import (
	"strings"
	"testing"

	"reclaim/provider"
)

func TestSupportChecklistLevels(t *testing.T) {
	claims := []Claim{
		{Step: StepPassword, Title: "Reset the account password", Level: LevelVerified},
		{Step: StepTwoFactor, Title: "Enrol 2FA", Level: LevelAttested},
		{Step: StepAuditTwoFactor, Title: "2FA of every user", Level: LevelOpen},
		{Step: StepCreateKey, Level: LevelVerified}, {Step: StepVerifyKey, Level: LevelVerified}, {Step: StepRevokeKeys, Level: LevelAttested},
		{Step: StepAuditIPAccess, Title: "IP access", Level: LevelSkipped},
		{Step: StepAuditSubusers, Level: LevelNA},
	}
	got := supportChecklist(provider.Support{Checklist: []string{"Change your password", "Delete all API keys and create new ones", "Enable 2FA", "Enable IP Access Management", "Check subusers", "Send a cake"}}, claims)
	want := []string{"verified", "attested", "open: 2FA of every user", "skipped: IP access", "n/a", "not tracked by reclaim: confirm it yourself"}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i, w := range want {
		if got[i].Status != w {
			t.Errorf("%q: %q, want %q", got[i].Item, got[i].Status, w)
		}
	}
	got = supportChecklist(provider.Support{Checklist: []string{"Reset it: change the password"}}, claims)
	if len(got) != 1 || got[0].Status != "verified" || got[0].Steps[0] != StepPassword {
		t.Fatalf("%+v", got)
	}
	// A provider without a checklist of its own (SendGrid) gets the areas
	// of its forced-reset FAQ plus password and 2FA.
	if d := supportChecklist(provider.Support{}, claims); len(d) != len(defaultChecklist) {
		t.Errorf("default checklist: %d lines", len(d))
	}
	r := &Report{Provider: "X", SupportChecklist: got, Incident: "i", Summary: []string{"a", "b"}}
	if md := r.Markdown(); !strings.Contains(md, "## Summary for support") || !strings.Contains(md, "| Reset it: change the password | verified |") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestChecklistWordsMapToTheRightSteps(t *testing.T) {
	for text, want := range map[string]StepID{
		"Investigate where the credentials leaked":                                                   StepQuestions,
		"1. Investigate how the credentials leaked (… public repositories …)":                        StepQuestions,
		"2. Reset the secret API keys: the master secret in the console, and every sub-account key.": StepCreateKey,
		"Audit subusers":     StepAuditSubusers,
		"Reset the password": StepPassword,
	} {
		if got := stepsForText(text); len(got) == 0 || got[0] != want {
			t.Errorf("%q maps to %v, want %s first", text, got, want)
		}
	}
}

// TestChecklistItemAskingSeveralThings: an item of a provider's checklist
// that asks for several things is not verified while one of them is open
// (Twilio's "change the password … and turn on two-factor authentication"
// was stated verified on a checked 2FA code with the password unchanged).
func TestChecklistItemAskingSeveralThings(t *testing.T) {
	claims := []Claim{
		{Step: StepPassword, Title: "Reset the account password", Level: LevelOpen},
		{Step: StepTwoFactor, Title: "Enrol 2FA", Level: LevelVerified},
		{Step: StepAuditTwoFactor, Title: "2FA of every user", Level: LevelVerified},
		{Step: StepCreateKey, Level: LevelVerified}, {Step: StepVerifyKey, Level: LevelVerified}, {Step: StepRevokeKeys, Level: LevelVerified},
		{Step: StepRotateSecrets, Level: LevelVerified},
		{Step: StepAuditSubusers, Title: "Subusers", Level: LevelOpen},
		{Step: StepQuestions, Title: "Where did the credentials leak?", Level: LevelOpen},
		{Step: StepAuditAccount, Title: "Account settings", Level: LevelOpen},
		{Step: StepAuditMail, Title: "Mail sent", Level: LevelVerified},
	}
	for item, want := range map[string]string{
		"4. Change the password of every user of the account and turn on two-factor authentication.":              "Reset the account password",
		"7. Suspend or close subaccounts you did not create; each has its own auth token and API keys.":           "Subusers",
		"1. Search public code and paste sites for your Account SID and credentials, and remove what you find.":   "Where did the credentials leak?",
		"5. List emergency contacts in the Account settings so Postmark can reach the team if sending is paused.": "Account settings",
	} {
		got := supportChecklist(provider.Support{Checklist: []string{item}}, claims)
		if len(got) != 1 || got[0].Level != LevelOpen || !strings.Contains(got[0].Status, want) {
			t.Errorf("%q: %+v, want open: %s", item, got, want)
		}
	}
}
