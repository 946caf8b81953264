package checklist

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"reclaim/provider"
)

// AnswerRootCauseWhy is why a root cause cannot be established.
const AnswerRootCauseWhy = "root_cause_why"

// verifyCleanLocked is the read-back check of a clean-up step: verified
// when the account, as last read from the provider, holds none of the
// objects the step would remove and none of its proposed changes is left.
func (e *Engine) verifyCleanLocked(step StepID, m Mode, what string, kinds ...ActionKind) (string, bool) {
	s, ok := e.verifyRemovedLocked(step, m, what, kinds...)
	if !ok {
		return s, false
	}
	// What is left must be the owner's: objects nobody reviewed are not
	// known to be theirs, whatever was removed.
	if left := e.unreviewedLocked(reviewKindsOf(kinds)); len(left) > 0 {
		return fmt.Sprintf("%s But %d that nobody reviewed remain: %s (mark them as yours in the review, or remove them).", s, len(left), provider.SanitizeN(strings.Join(left, "; "), 240)), false
	}
	if step == StepRevokeKeys || step == StepAuditKeys {
		if leaked := e.leakedSessionKeyLocked(); leaked != "" {
			return s + " But the key reclaim itself is using was found in leaked material (" + leaked + "): revoke it in the console once you are done", false
		}
	}
	// What remains that nobody vouched for is the owner's only as far as
	// the baseline shows: the claim rests on it, not on a read-back.
	if kb := e.onlyKnownAtBaselineLocked(reviewKindsOf(kinds)); len(kb) > 0 {
		u := e.acct().Baseline
		e.verifyLevel = LevelBaseline
		s += fmt.Sprintf(" %d left %s known at baseline only (unchanged since the baseline %s of %s, not reviewed by anyone): %s.", len(kb), pluralVerb(len(kb)), u.ID, u.Date(), provider.SanitizeN(strings.Join(kb, "; "), 240))
	}
	return s, true
}

func pluralVerb(n int) string {
	if n == 1 {
		return "is"
	}
	return "are"
}

// onlyKnownAtBaselineLocked lists the account objects of these kinds, as
// last read, that count as the owner's only because they are known at
// baseline: nobody vouched for them and reclaim did not make them.
func (e *Engine) onlyKnownAtBaselineLocked(kinds []string) []string {
	a := e.acct()
	known := e.knownAtBaselineLocked()
	if len(known) == 0 {
		return nil
	}
	var out []string
	for _, o := range ReviewObjects(a.Current(), e.SessionKeyID) {
		if !slices.Contains(kinds, o.Kind) || !slices.Contains(known, o.Key) || slices.Contains(a.Vouched, o.Key) {
			continue
		}
		if o.Kind == "key" && (slices.Contains(a.Recognised, o.ID) || slices.ContainsFunc(a.NewKeys, func(n NewKeyRecord) bool { return n.ID == o.ID })) {
			continue
		}
		out = append(out, o.Label)
	}
	return out
}

// reviewKindsOf maps clean-up actions to the review kinds they act on.
func reviewKindsOf(kinds []ActionKind) []string {
	var out []string
	for _, k := range kinds {
		switch k {
		case ActRevokeKey:
			out = append(out, "key")
		case ActRemoveTeammate:
			out = append(out, "teammate")
		case ActRemoveInvite:
			out = append(out, "invite")
		case ActDisableSubuser:
			out = append(out, "subuser")
		case ActDeleteWebhook:
			out = append(out, "webhook", "parse", "route")
		case ActDisableMailSetting:
			out = append(out, "mail_setting")
		}
	}
	return out
}

// unreviewedLocked lists the account objects of these kinds, as last read,
// that the owner has not vouched for (replacement keys reclaim made count
// as reviewed).
func (e *Engine) unreviewedLocked(kinds []string) []string {
	a := e.acct()
	var out []string
	known := e.knownAtBaselineLocked() // unchanged since the baseline: the owner's
	for _, o := range ReviewObjects(a.Current(), e.SessionKeyID) {
		if !slices.Contains(kinds, o.Kind) || slices.Contains(a.Vouched, o.Key) || slices.Contains(known, o.Key) {
			continue
		}
		if o.Kind == "key" && (slices.Contains(a.Recognised, o.ID) || slices.ContainsFunc(a.NewKeys, func(n NewKeyRecord) bool { return n.ID == o.ID })) {
			continue
		}
		out = append(out, o.Label)
	}
	return out
}

// leakedSessionKeyLocked names the session key when leaked material holds
// it (reclaim never revokes the key it runs on).
func (e *Engine) leakedSessionKeyLocked() string {
	if e.SessionKeyID == "" || !slices.Contains(e.leakedKeyIDsLocked(), e.SessionKeyID) {
		return ""
	}
	return short(e.SessionKeyID) + "…"
}

func (e *Engine) verifyRemovedLocked(step StepID, m Mode, what string, kinds ...ActionKind) (string, bool) {
	if m != ModeAuto {
		return "", false
	}
	a := e.acct()
	inv := a.Current()
	if inv == nil {
		return "the account has not been read yet", false
	}
	d := stepDefs[step]
	for _, sec := range d.Sections {
		if msg, bad := inv.Errors[sec]; bad {
			return fmt.Sprintf("the %s could not be read: %s", sectionName(sec), msg), false
		}
		if why, cut := inv.Truncated[sec]; cut {
			return fmt.Sprintf("the %s list is incomplete (%s): reclaim cannot vouch for what it did not read; check the rest in the console", sectionName(sec), provider.SanitizeN(why, 120)), false
		}
	}
	var left []string
	if d.Plan != nil {
		for _, act := range d.Plan(e, a) {
			if !e.doneLocked(act.Key) {
				left = append(left, act.Label)
			}
		}
	}
	if len(left) > 0 {
		return fmt.Sprintf("%d proposed change(s) not made: %s", len(left), provider.SanitizeN(strings.Join(left, "; "), 300)), false
	}
	ref, at := e.journalRefLocked(step, kinds...)
	if ref == "" {
		return fmt.Sprintf("Read from the provider's API at %s: no flagged %s found; nothing to change.", hhmm(inv.TakenAt), what), true
	}
	if inv.TakenAt.Before(at) {
		return fmt.Sprintf("the changes (%s) have not been read back from the provider yet", ref), false
	}
	return fmt.Sprintf("Changed through the API (%s, last at %s) and read back at %s: no flagged %s remains.", ref, hhmm(at), hhmm(inv.TakenAt), what), true
}

// contradictFindings lists the open inventory findings of these kinds:
// objects the provider still shows after the owner said they were removed.
func contradictFindings(kinds ...string) func(e *Engine, a *AccountState) []string {
	return func(e *Engine, a *AccountState) []string {
		var out []string
		for _, f := range a.Findings {
			if !f.Resolved && f.Source == "inventory" && f.Severity != Low && slices.Contains(kinds, f.Target.Kind) {
				out = append(out, "still listed: "+provider.SanitizeN(f.Title, 120))
			}
		}
		return out
	}
}

// keyContradictions: leaked or unknown keys the provider still lists.
func keyContradictions(e *Engine, a *AccountState) []string {
	var out []string
	for _, act := range keyPlan(e, a) {
		if !e.doneLocked(act.Key) {
			out = append(out, fmt.Sprintf("key %s is still listed", quote(act.Target.Name)))
		}
	}
	return out
}

// twoFactorContradictions: users the provider's data shows without 2FA.
func twoFactorContradictions(e *Engine, a *AccountState) []string {
	r, ok := e.prov.(provider.TwoFactorReporter)
	if !ok {
		return nil
	}
	var out []string
	for _, u := range r.UsersWithout2FA() {
		out = append(out, provider.SanitizeN(u, 60)+" has no 2FA")
	}
	return out
}

// guidedCleanup is the attestation a clean-up step asks when it is guided
// (done in the console): none when reclaim does it through the API.
func guidedCleanup(item provider.Item, prompt, claim string) func(e *Engine, a *AccountState, m Mode) []Question {
	return func(e *Engine, a *AccountState, m Mode) []Question {
		if m == ModeAuto {
			return nil
		}
		return []Question{{ID: "cleaned_in_console", Prompt: prompt, Kind: QSelect,
			Options: choose(Option{"yes", "Yes"}, Option{"none", "There were none"}, Option{"no", "Not yet"}),
			Attest:  &Attest{Yes: []string{"yes", "none"}, Claim: claim, FollowUp: "do it in the console: " + string(item)}}}
	}
}

// reportOutcome decides the report step: a real filing (verified when an
// SMTP server accepted it, attested for a console filing with its ticket id
// or a copy), a sign-off name, and a root cause or why there is none.
func reportOutcome(e *Engine, a *AccountState) (Status, Level, string) {
	ans := a.Step(StepReport).Answers
	var missing []string
	if e.DryRun || e.inc.DryRun {
		missing = append(missing, "this is a DRY RUN: its report cannot be filed with support")
	}
	name := strings.TrimSpace(ans[AnswerSignoffName])
	if name == "" {
		missing = append(missing, "no sign-off name (e in the preview)")
	}
	if rc := strings.TrimSpace(ans[AnswerRootCause]); (rc == "" || notEstablished(rc)) && strings.TrimSpace(ans[AnswerRootCauseWhy]) == "" {
		missing = append(missing, "root cause not established (type it, or say why it cannot be)")
	}
	var filed *JournalEntry
	for i := range e.inc.Journal {
		j := &e.inc.Journal[i]
		if j.Step == StepReport && j.Outcome == "ok" && (j.Action == ActionSendReport || j.Action == ActionFileReport || j.Action == ActionCopyReport) {
			filed = j
		}
	}
	if filed == nil {
		missing = append(missing, "not filed: send it (m), copy it (c) or record a console filing with its ticket id (y)")
	}
	if len(missing) > 0 {
		return StatusOpen, LevelOpen, "Open: " + strings.Join(missing, "; ") + "."
	}
	by := fmt.Sprintf("; signed off by %s", provider.SanitizeN(name, 80))
	if r := strings.TrimSpace(ans[AnswerSignoffRole]); r != "" {
		by += " (" + provider.SanitizeN(r, 60) + ")"
	}
	what, _, _ := strings.Cut(filed.Detail, ";") // the channel and ticket, not the digests
	switch filed.Action {
	case ActionSendReport:
		msg := filed.Detail
		if i := strings.Index(msg, "; report covers"); i > 0 {
			msg = msg[:i] // the Message-ID stays, the digests are in the journal
		}
		return StatusDone, LevelVerified, fmt.Sprintf("The SMTP server accepted the report at %s: %s (journal #%d)%s.", hhmm(filed.At), msg, filed.Seq, by)
	case ActionFileReport:
		return StatusDone, LevelAttested, fmt.Sprintf("%s states the report was filed in the provider's console at %s: %s (journal #%d)%s.", e.attesterLocked(), hhmm(filed.At), what, filed.Seq, by)
	}
	return StatusDone, LevelAttested, fmt.Sprintf("The report was copied at %s for the owner to paste into the support ticket (journal #%d); reclaim cannot see the ticket%s.", hhmm(filed.At), filed.Seq, by)
}

func notEstablished(s string) bool {
	l := strings.ToLower(strings.TrimSpace(s))
	return strings.HasPrefix(l, "not established") || l == "unknown" || l == "n/a"
}

func sectionName(sec string) string { return strings.ReplaceAll(sec, "_", " ") }

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// HumanBytes renders a byte count for people: "3.1 MiB".
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// stepDefs indexes the procedure for hooks that look up another step
// (reading procedure itself from them would be an initialization cycle).
var stepDefs = map[StepID]*StepDef{}

func init() {
	for _, d := range procedure {
		stepDefs[d.ID] = d
	}
}
