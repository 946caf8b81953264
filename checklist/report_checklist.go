package checklist

import (
	"slices"
	"strings"
	"time"

	"reclaim/provider"
)

// supportChecklist states each item of the provider's own support checklist
// (provider.Support.Checklist) with the status of the steps that carry it
// out, matched by the words the item uses.
func supportChecklist(support provider.Support, claims []Claim) []ChecklistLine {
	items := support.Checklist
	if len(items) == 0 {
		items = defaultChecklist
	}
	byID := map[StepID]Claim{}
	for _, c := range claims {
		byID[c.Step] = c
	}
	var out []ChecklistLine
	for _, text := range items {
		if strings.TrimSpace(text) == "" {
			continue
		}
		ids := stepsForText(text)
		l := ChecklistLine{Item: provider.SanitizeN(text, 300), Steps: ids}
		l.Level, l.At, l.Status = checklistLevel(ids, byID)
		out = append(out, l)
	}
	return out
}

// defaultChecklist is what a suspension notice asks for when the provider
// declares no checklist of its own (Info.Support.Checklist): the areas to
// audit, plus the password and 2FA.
var defaultChecklist = []string{
	"Investigate where the credentials leaked",
	"Rotate secret API keys",
	"Reset the password",
	"Enrol two-factor authentication",
	"Audit account settings",
	"Audit payment methods",
	"Audit 2FA settings of every user",
	"Audit teammates",
	"Audit IP access management",
	"Audit webhooks",
	"Audit subusers",
	"Review mail sent in the last 30 days",
}

// checklistLevel is the weakest level among a checklist item's steps, the
// latest time, and a short status.
func checklistLevel(ids []StepID, byID map[StepID]Claim) (Level, time.Time, string) {
	if len(ids) == 0 {
		return "", time.Time{}, "not tracked by reclaim: confirm it yourself"
	}
	rank := map[Level]int{LevelOpen: 0, LevelSkipped: 1, LevelAttested: 2, LevelBaseline: 3, LevelVerified: 4, LevelNA: 5}
	worst := LevelNA
	var at time.Time
	var open []string
	for _, id := range ids {
		c, ok := byID[id]
		if !ok {
			continue
		}
		if rank[c.Level] < rank[worst] {
			worst = c.Level
		}
		if c.Level == LevelOpen || c.Level == LevelSkipped {
			open = append(open, c.Title)
		}
		if strings.Contains(c.Statement, "OVERRIDE") {
			open = append(open, c.Title+" (OVERRIDE of the account's data)")
		}
		if c.At.After(at) {
			at = c.At
		}
	}
	status := string(worst)
	if len(open) > 0 {
		status += ": " + strings.Join(open, "; ")
	}
	return worst, at, status
}

// checklistWords maps words of a provider's checklist to the steps that do
// them. Order matters: the more specific words come first.
var checklistWords = []struct {
	words []string
	steps []StepID
	// alone: an item with these words is about this alone ("investigate
	// how the credentials leaked" asks for no rotation).
	alone bool
}{
	{[]string{"investigat", "root cause", "finding", "leak", "search public", "public code", "paste site"}, []StepID{StepQuestions}, true},
	// Keys before sub-accounts: "reset the secret API keys … and every sub-account key"
	// is about keys, not sub-accounts.
	{[]string{"api key", "secret", "credential", "token"}, []StepID{StepCreateKey, StepVerifyKey, StepRevokeKeys, StepRotateSecrets, StepDeadCheck}, false},
	{[]string{"subuser", "sub-account", "subaccount"}, []StepID{StepAuditSubusers}, false},
	{[]string{"2fa", "two-factor", "two factor", "mfa"}, []StepID{StepTwoFactor, StepAuditTwoFactor}, false},
	{[]string{"password"}, []StepID{StepPassword}, false},
	{[]string{"key"}, []StepID{StepCreateKey, StepVerifyKey, StepRevokeKeys, StepRotateSecrets, StepDeadCheck}, false},
	{[]string{"ip access", "ipam", "allow list", "allowlist"}, []StepID{StepAuditIPAccess}, false},
	{[]string{"teammate", "users", "user"}, []StepID{StepAuditTeammates}, false},
	{[]string{"webhook", "parse"}, []StepID{StepAuditWebhooks}, false},
	{[]string{"payment", "billing", "plan"}, []StepID{StepAuditPayment}, false},
	{[]string{"mail setting", "forward"}, []StepID{StepAuditMailSetting}, false},
	{[]string{"sender", "domain"}, []StepID{StepAuditSenders}, false},
	{[]string{"mail sent", "30 days", "messages", "sending"}, []StepID{StepAuditMail}, false},
	{[]string{"account setting", "account details"}, []StepID{StepAuditAccount}, false},
	{[]string{"integration"}, []StepID{StepVerifyKey}, false},
	{[]string{"evidence", "inventory", "log"}, []StepID{StepInventory}, false},
	{[]string{"support", "notify", "tell", "contact"}, []StepID{StepReport}, false},
}

// stepsForText is every step an item's words name, the most specific
// first. An item that asks for several things ("change the password … and
// turn on two-factor authentication", "suspend subaccounts …; each has its
// own auth token") is only as done as the weakest of them: matching only its
// first words would state it verified while the rest is undone.
func stepsForText(text string) []StepID {
	t := strings.ToLower(text)
	var out []StepID
	for _, cw := range checklistWords {
		for _, w := range cw.words {
			if strings.Contains(t, w) {
				if cw.alone && len(out) == 0 {
					return cw.steps
				}
				for _, id := range cw.steps {
					if !slices.Contains(out, id) {
						out = append(out, id)
					}
				}
				break
			}
		}
	}
	return out
}
