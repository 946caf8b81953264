package checklist

import (
	"strings"

	"reclaim/provider"
)

// supportChecklist states each item of the provider's own support checklist
// (provider.Support.Checklist) with the status of the steps that carry it
// out, matched by the words the item uses.
func supportChecklist(support provider.Support, steps []ReportStep) []ChecklistLine {
	if len(support.Checklist) == 0 {
		return nil
	}
	byID := map[StepID]ReportStep{}
	for _, st := range steps {
		byID[st.ID] = st
	}
	var out []ChecklistLine
	for _, text := range support.Checklist {
		if strings.TrimSpace(text) == "" {
			continue
		}
		ids := stepsForText(text)
		out = append(out, ChecklistLine{Item: provider.SanitizeN(text, 300), Status: checklistStatus(ids, byID), Steps: ids})
	}
	return out
}

// checklistWords maps words of a provider's checklist to the steps that do
// them. Order matters: the more specific words come first.
var checklistWords = []struct {
	words []string
	steps []StepID
}{
	{[]string{"subuser", "sub-account", "subaccount"}, []StepID{StepAuditSubusers}},
	{[]string{"2fa", "two-factor", "two factor", "mfa"}, []StepID{StepTwoFactor, StepAuditTwoFactor}},
	{[]string{"password"}, []StepID{StepPassword}},
	{[]string{"investigat", "root cause", "finding", "leak"}, []StepID{StepQuestions}},
	{[]string{"api key", "secret", "credential", "token", "key"}, []StepID{StepCreateKey, StepVerifyKey, StepRevokeKeys}},
	{[]string{"ip access", "ipam", "allow list", "allowlist"}, []StepID{StepAuditIPAccess}},
	{[]string{"teammate", "users", "user"}, []StepID{StepAuditTeammates}},
	{[]string{"webhook", "parse"}, []StepID{StepAuditWebhooks}},
	{[]string{"payment", "billing", "plan"}, []StepID{StepAuditPayment}},
	{[]string{"mail setting", "forward"}, []StepID{StepAuditMailSetting}},
	{[]string{"sender", "domain"}, []StepID{StepAuditSenders}},
	{[]string{"mail sent", "30 days", "messages", "sending"}, []StepID{StepAuditMail}},
	{[]string{"account setting", "account details"}, []StepID{StepAuditAccount}},
	{[]string{"integration"}, []StepID{StepVerifyKey}},
	{[]string{"evidence", "inventory", "log"}, []StepID{StepInventory}},
	{[]string{"support", "notify", "tell", "contact"}, []StepID{StepReport}},
}

func stepsForText(text string) []StepID {
	t := strings.ToLower(text)
	for _, cw := range checklistWords {
		for _, w := range cw.words {
			if strings.Contains(t, w) {
				return cw.steps
			}
		}
	}
	return nil
}

func checklistStatus(ids []StepID, byID map[StepID]ReportStep) string {
	if len(ids) == 0 {
		return "not tracked by reclaim: confirm it yourself"
	}
	done, na := 0, 0
	var skipped, todo []string
	for _, id := range ids {
		st, ok := byID[id]
		if !ok {
			continue
		}
		switch st.Status {
		case StatusDone:
			done++
		case StatusNA:
			na++
		case StatusSkipped:
			skipped = append(skipped, st.Title+" ("+st.Reason+")")
		default:
			todo = append(todo, st.Title)
		}
	}
	switch {
	case len(todo) > 0:
		return "not done: " + strings.Join(todo, "; ")
	case len(skipped) > 0:
		return "skipped: " + strings.Join(skipped, "; ")
	case done > 0:
		return "done"
	case na > 0:
		return "not applicable"
	}
	return "not tracked by reclaim: confirm it yourself"
}
