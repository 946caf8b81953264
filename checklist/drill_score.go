package checklist

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"reclaim/provider"
	"reclaim/provider/drill"
)

// Debrief is how a drill went, from the final account and the journal:
// time to contain and to recover, each expectation met or missed with its
// evidence, the risky actions taken and the score.
type Debrief struct {
	Incident  string    `json:"incident"`
	Title     string    `json:"title"`
	Scenario  string    `json:"scenario"`
	Version   int       `json:"scenario_version"`
	Source    string    `json:"scenario_source"`
	Lesson    string    `json:"lesson"`
	Provider  string    `json:"provider"`
	Started   time.Time `json:"started"`
	Generated time.Time `json:"generated"`
	DryRun    bool      `json:"dry_run,omitempty"`
	Autopilot bool      `json:"autopilot,omitempty"`
	// Clock is the drill clock when the debrief was made.
	Clock time.Duration `json:"-"`
	// Contained: the account was once free of attacker access (keys,
	// teammates, subusers, webhooks, a known password); TimeToContain is
	// when that first happened. StillContained says whether it is now.
	Contained      bool          `json:"contained"`
	TimeToContain  time.Duration `json:"-"`
	StillContained bool          `json:"still_contained"`
	// ContainedAgain is when the account was last contained, after an
	// inject gave the attacker access back.
	ContainedAgain time.Duration       `json:"-"`
	Reopened       []drill.Reopening   `json:"reopened,omitempty"`
	OpenAccess     []string            `json:"open_access,omitempty"`
	Recovered      bool                `json:"recovered"`
	TimeToRecover  time.Duration       `json:"-"`
	Expectations   []ExpectationResult `json:"expectations"`
	Risks          []RiskResult        `json:"risks"`
	Injects        []InjectResult      `json:"injects,omitempty"`
	Score          int                 `json:"score"`
	MaxScore       int                 `json:"max_score"`
	Breakdown      []string            `json:"breakdown"`
	LessonsLearned []string            `json:"lessons_learned"`
	RunbookChanges []string            `json:"runbook_changes"`
	JournalHash    string              `json:"journal_hash"`
	JournalEntries int                 `json:"journal_entries"`
	// Seconds, for the JSON form.
	ClockSeconds   int64 `json:"clock_s"`
	ContainSeconds int64 `json:"time_to_contain_s,omitempty"`
	RecoverSeconds int64 `json:"time_to_recover_s,omitempty"`
	AgainSeconds   int64 `json:"contained_again_s,omitempty"`
}

// ExpectationResult is one expectation, met or missed.
type ExpectationResult struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Check    string `json:"check"`
	Points   int    `json:"points"`
	Earned   int    `json:"earned"`
	Met      bool   `json:"met"`
	Evidence string `json:"evidence"`
	Lesson   string `json:"lesson,omitempty"`
	Runbook  string `json:"runbook,omitempty"`
}

// RiskResult is a risky action the journal or the account shows.
type RiskResult struct {
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Penalty  int    `json:"penalty"`
	Evidence string `json:"evidence"`
}

// InjectResult is an inject, whether it struck and how the player reacted.
type InjectResult struct {
	drill.InjectStatus
	// Reaction says whether the steps it named were finished again after it
	// struck.
	Reaction string `json:"reaction,omitempty"`
}

// ErrNotDrill is returned for a debrief of an incident that is not a drill.
var ErrNotDrill = errors.New("not a drill: there is nothing to score")

// Debrief scores the drill now (it can be called at any time).
func (e *Engine) Debrief() (*Debrief, error) {
	d := drill.Of(e.prov)
	if d == nil {
		return nil, ErrNotDrill
	}
	finished := e.Finished()
	out := d.Outcome()
	now := e.Now()
	e.mu.Lock()
	inc := e.inc.Clone()
	e.mu.Unlock()
	db := ScoreDrill(inc, out, finished, now)
	db.Provider = e.prov.Info().Name
	return db, nil
}

// ScoreDrill builds a debrief from an incident, its drill account's outcome
// and whether every step is gone through.
func ScoreDrill(inc *Incident, out drill.Outcome, finished bool, now time.Time) *Debrief {
	sc := out.Scenario
	a := inc.Account()
	if a == nil {
		a = &AccountState{}
	}
	db := &Debrief{
		Incident: inc.ID, Title: inc.Title, Scenario: sc.ID, Version: sc.Version, Source: sc.Source, Lesson: sc.Lesson,
		Started: out.Epoch, Generated: now.UTC(), DryRun: inc.DryRun, Autopilot: inc.Autopilot, Clock: out.Clock,
		Contained: out.Containment.Reached, TimeToContain: out.Containment.First, StillContained: out.Containment.Contained,
		Reopened: out.Containment.Reopened, OpenAccess: out.OpenAccess, MaxScore: sc.MaxScore(),
		JournalHash: inc.JournalHead(), JournalEntries: len(inc.Journal),
	}
	if finished {
		db.Recovered, db.TimeToRecover = true, recoveredAt(a, out.Epoch)
	}
	if len(db.Reopened) > 0 && db.StillContained {
		db.ContainedAgain = out.Containment.Last
	}
	for _, x := range sc.Expectations {
		met, ev := evalCheck(x.Check, inc, a, out)
		r := ExpectationResult{ID: x.ID, Title: x.Title, Check: x.Check.Kind, Points: x.Points, Met: met, Evidence: ev}
		if met {
			r.Earned = x.Points
		} else {
			r.Lesson, r.Runbook = firstNonEmpty(x.Lesson, defaultLesson(x.Check)), firstNonEmpty(x.Runbook, defaultRunbook(x.Check))
		}
		db.Expectations = append(db.Expectations, r)
		db.Score += r.Earned
	}
	db.Risks = findRisks(inc, out)
	for _, r := range db.Risks {
		db.Score -= r.Penalty
	}
	db.Score = max(db.Score, 0)
	db.Injects = injectReactions(a, out)
	db.Breakdown = breakdown(db)
	db.LessonsLearned, db.RunbookChanges = lessons(db)
	db.ClockSeconds = int64(db.Clock / time.Second)
	if db.Contained {
		db.ContainSeconds = int64(db.TimeToContain / time.Second)
	}
	if db.Recovered {
		db.RecoverSeconds = int64(db.TimeToRecover / time.Second)
	}
	db.AgainSeconds = int64(db.ContainedAgain / time.Second)
	return db
}

// recoveredAt is when the last step was finished, on the drill clock.
func recoveredAt(a *AccountState, epoch time.Time) time.Duration {
	var last time.Time
	for _, st := range a.Steps {
		if st.Status != StatusNA && st.Finished.After(last) {
			last = st.Finished
		}
	}
	if last.IsZero() || last.Before(epoch) {
		return 0
	}
	return last.Sub(epoch)
}

// ScoreLine is the one-line result: "Score 85/100: 9 of 11 expectations
// met, 1 risky action; contained at T+18:00; recovered at T+22:00".
func (d *Debrief) ScoreLine() string {
	met := 0
	for _, x := range d.Expectations {
		if x.Met {
			met++
		}
	}
	s := fmt.Sprintf("Score %d/%d: %d of %d expectations met", d.Score, d.MaxScore, met, len(d.Expectations))
	if n := len(d.Risks); n > 0 {
		s += fmt.Sprintf(", %s", plural(n, "risky action"))
	}
	switch {
	case d.Contained && d.ContainedAgain > 0:
		s += fmt.Sprintf("; contained at T+%s and again at T+%s", drill.FormatClock(d.TimeToContain), drill.FormatClock(d.ContainedAgain))
	case d.Contained && !d.StillContained:
		s += "; contained at T+" + drill.FormatClock(d.TimeToContain) + " but the attacker got back in"
	case d.Contained:
		s += "; contained at T+" + drill.FormatClock(d.TimeToContain)
	default:
		s += "; never contained"
	}
	if d.Recovered {
		s += "; recovered at T+" + drill.FormatClock(d.TimeToRecover)
	} else {
		s += "; not recovered (steps left)"
	}
	if d.DryRun {
		s = "DRY RUN " + s
	}
	return s
}

func breakdown(d *Debrief) []string {
	var out []string
	for _, x := range d.Expectations {
		if x.Met {
			out = append(out, fmt.Sprintf("+%d %s", x.Earned, x.Title))
		} else {
			out = append(out, fmt.Sprintf("+0 (of %d) missed: %s", x.Points, x.Title))
		}
	}
	for _, r := range d.Risks {
		out = append(out, fmt.Sprintf("-%d risky: %s", r.Penalty, r.Title))
	}
	return out
}

func keyLabel(keys []provider.APIKey, id string) string {
	for _, k := range keys {
		if k.ID == id {
			return fmt.Sprintf("%s (%s…)", quote(k.Name), short(id))
		}
	}
	return short(id) + "…"
}

// specKeyName is a key's name in the scenario (or the injects).
func specKeyName(sc *drill.Scenario, id string) string {
	for _, k := range sc.Keys {
		if k.ID == id {
			return fmt.Sprintf("%s (%s…)", quote(k.Name), short(id))
		}
	}
	for _, in := range sc.Injects {
		if in.Key != nil && in.Key.ID == id {
			return fmt.Sprintf("%s (%s…)", quote(in.Key.Name), short(id))
		}
	}
	return short(id) + "…"
}

func activeKey(keys []provider.APIKey, id string) bool {
	return slices.ContainsFunc(keys, func(k provider.APIKey) bool { return k.ID == id && !k.Inactive })
}

// journalRef finds the last ok entry of action on target and says "journal
// #N at T+…".
func journalRef(inc *Incident, action, target string, epoch time.Time) string {
	for i := len(inc.Journal) - 1; i >= 0; i-- {
		j := inc.Journal[i]
		if j.Action == action && j.Target == target && j.Outcome == "ok" {
			return fmt.Sprintf("journal #%d at T+%s", j.Seq, drill.FormatClock(j.At.Sub(epoch)))
		}
	}
	return ""
}

func mentions(s string, words []string) (string, bool) {
	l := strings.ToLower(s)
	for _, w := range words {
		if strings.Contains(l, strings.ToLower(w)) {
			return w, true
		}
	}
	return "", false
}

// evalCheck decides one expectation and says why.
func evalCheck(c drill.Check, inc *Incident, a *AccountState, out drill.Outcome) (bool, string) {
	sc := out.Scenario
	left := func(what string, items []string) (bool, string) {
		if len(items) == 0 {
			return true, "none left"
		}
		return false, fmt.Sprintf("%s left in place: %s", what, strings.Join(items, ", "))
	}
	switch c.Kind {
	case drill.CheckNoAttackerAccess:
		if len(out.OpenAccess) == 0 {
			return true, "no attacker access remains"
		}
		return false, "still open: " + strings.Join(out.OpenAccess, "; ")
	case drill.CheckNoAttackerKeys:
		var open, gone []string
		for _, id := range out.AttackerKeys {
			if activeKey(out.Keys, id) {
				open = append(open, keyLabel(out.Keys, id))
			} else {
				gone = append(gone, specKeyName(sc, id))
			}
		}
		if len(open) == 0 {
			return true, fmt.Sprintf("all %d attacker keys revoked: %s", len(gone), strings.Join(gone, ", "))
		}
		return left("attacker key", open)
	case drill.CheckNoAttackerTeammates:
		var open []string
		for _, t := range out.Teammates {
			if (t.Pending && slices.Contains(out.AttackerInvites, t.Token)) || (!t.Pending && slices.Contains(out.AttackerTeammates, t.Username)) {
				who := t.Username
				if t.Pending {
					who = "invite for " + t.Email
				}
				open = append(open, quote(who))
			}
		}
		if len(open) == 0 {
			return true, fmt.Sprintf("the attacker's %s removed", plural(len(out.AttackerTeammates)+len(out.AttackerInvites), "teammate or invite"))
		}
		return left("attacker teammate", open)
	case drill.CheckNoAttackerSubusers:
		var open []string
		for _, s := range out.Subusers {
			if !s.Disabled && slices.Contains(out.AttackerSubusers, s.Username) {
				open = append(open, quote(s.Username))
			}
		}
		if len(open) == 0 {
			return true, fmt.Sprintf("the attacker's %s disabled", plural(len(out.AttackerSubusers), "subuser"))
		}
		return left("attacker subuser", open)
	case drill.CheckNoAttackerWebhooks:
		var open []string
		for _, w := range out.Webhooks {
			if slices.Contains(out.AttackerWebhookURLs, w.URL) {
				open = append(open, fmt.Sprintf("%s webhook to %s", w.Kind, quote(w.URL)))
			}
		}
		if len(open) == 0 {
			return true, fmt.Sprintf("no webhook posts to the attacker's %s", plural(len(out.AttackerWebhookURLs), "URL"))
		}
		return left("attacker webhook", open)
	case drill.CheckNoAttackerMailSettings:
		var open []string
		for _, m := range out.MailSettings {
			if m.Enabled && slices.Contains(out.AttackerMailSettings, m.Name) {
				open = append(open, fmt.Sprintf("%s (to %s)", m.Name, quote(m.Value)))
			}
		}
		if len(open) == 0 {
			return true, "no mail setting the attacker changed is on"
		}
		return left("mail setting", open)
	case drill.CheckKeyRevoked:
		if activeKey(out.Keys, c.Key) {
			return false, "key " + keyLabel(out.Keys, c.Key) + " still works"
		}
		ev := "key " + specKeyName(sc, c.Key) + " revoked"
		if ref := journalRef(inc, string(ActRevokeKey), string(ActRevokeKey)+":key:"+c.Key, out.Epoch); ref != "" {
			ev += " (" + ref + ")"
		}
		return true, ev
	case drill.CheckKeyKept:
		if activeKey(out.Keys, c.Key) {
			return true, "key " + keyLabel(out.Keys, c.Key) + " still works for its owner"
		}
		return false, "key " + specKeyName(sc, c.Key) + " was revoked, but it was the owner's and not leaked"
	case drill.CheckWebhookAbsent:
		if slices.ContainsFunc(out.Webhooks, func(w provider.Webhook) bool { return w.URL == c.URL }) {
			return false, "a webhook to " + quote(c.URL) + " is still in place"
		}
		return true, "no webhook posts to " + quote(c.URL)
	case drill.CheckTeammateAbsent:
		if slices.ContainsFunc(out.Teammates, func(t provider.Teammate) bool { return t.Username == c.Teammate || t.Email == c.Teammate }) {
			return false, "teammate " + quote(c.Teammate) + " is still on the account"
		}
		return true, "teammate " + quote(c.Teammate) + " is gone"
	case drill.CheckStepDone:
		st := a.Step(StepID(c.Step))
		title := c.Step
		if d := StepByID(StepID(c.Step)); d != nil {
			title = d.Title
		}
		if st.Status == StatusDone {
			return true, fmt.Sprintf("%s: %s (%s)", title, st.Level, provider.SanitizeN(st.Statement, 160))
		}
		why := string(st.Status)
		if st.Statement != "" {
			why += ": " + provider.SanitizeN(st.Statement, 160)
		}
		return false, fmt.Sprintf("%s is %s", title, why)
	case drill.CheckRevokeAfterVerified:
		if ev := revokedBeforeVerified(inc, out); ev != "" {
			return false, ev
		}
		return true, "no key in use was revoked before its replacement was verified"
	case drill.CheckAllowListKeepsOwner:
		if len(out.AllowList) == 0 {
			return false, "the IP allow list is empty: any address can log in or use a key"
		}
		if !coversRules(out.AllowList, sc.Account.YourIP) {
			return false, "the IP allow list leaves out the owner's address " + sc.Account.YourIP
		}
		return true, fmt.Sprintf("the IP allow list (%s) includes the owner's address %s", allowText(out.AllowList), sc.Account.YourIP)
	case drill.CheckPasswordChanged:
		if out.PasswordChanged {
			return true, "the password was changed through the API"
		}
		return false, "the password was not changed"
	case drill.CheckRootCauseRecorded:
		rc := strings.TrimSpace(a.Step(StepReport).Answers[AnswerRootCause])
		switch l := strings.ToLower(rc); {
		case rc == "", strings.Contains(l, "not established"), l == "unknown":
			return false, "no root cause was recorded in the report step"
		}
		if len(c.Any) > 0 {
			if _, ok := mentions(rc, c.Any); !ok {
				return false, fmt.Sprintf("the root cause %s names none of: %s", quote(rc), strings.Join(c.Any, ", "))
			}
		}
		return true, "root cause recorded: " + quote(rc)
	case drill.CheckAnswerMentions:
		ans := a.Step(StepID(c.Step)).Answers[c.Question]
		if w, ok := mentions(ans, c.Any); ok {
			return true, fmt.Sprintf("%s.%s mentions %q", c.Step, c.Question, w)
		}
		if strings.TrimSpace(ans) == "" {
			return false, fmt.Sprintf("nothing was recorded in %s.%s", c.Step, c.Question)
		}
		return false, fmt.Sprintf("%s.%s mentions none of: %s", c.Step, c.Question, strings.Join(c.Any, ", "))
	case drill.CheckScanFound:
		for _, f := range a.Findings {
			if f.Source != "scan" {
				continue
			}
			if w, ok := mentions(f.Title, c.Any); ok {
				return true, fmt.Sprintf("the leak scan found %q: %s", w, provider.SanitizeN(f.Title, 120))
			}
		}
		if len(a.Scans) == 0 {
			return false, "no leak scan was run"
		}
		return false, "the leak scan found none of: " + strings.Join(c.Any, ", ")
	}
	return false, fmt.Sprintf("unknown check kind %q", c.Kind)
}

func coversRules(rules []provider.AllowRule, ip string) bool {
	var ps []netip.Prefix
	for _, r := range rules {
		if p, err := ParseCIDRs(r.CIDR); err == nil {
			ps = append(ps, p...)
		}
	}
	return Covers(ps, ip)
}

func allowText(rules []provider.AllowRule) string {
	var s []string
	for _, r := range rules {
		s = append(s, r.CIDR)
	}
	return strings.Join(s, ", ")
}

// knownGoodKeys are the owner's keys (not the session key): revoking one
// stops a consumer of the owner's.
func knownGoodKeys(sc *drill.Scenario) []string {
	var out []string
	for _, k := range sc.KnownGood.Keys {
		if k.ID != sc.Account.SessionKey && !k.Master && !k.Inactive {
			out = append(out, k.ID)
		}
	}
	return out
}

// revokedBeforeVerified names the owner's keys revoked before a replacement
// was verified (journal order), or "".
func revokedBeforeVerified(inc *Incident, out drill.Outcome) string {
	own := knownGoodKeys(out.Scenario)
	verified := false
	var bad []string
	for _, j := range inc.Journal {
		switch {
		case j.Action == string(ActVerifyKey) && j.Outcome == "ok":
			verified = true
		case j.Step == StepVerifyKey && j.Action == ActionCompleteStep && (j.Outcome == string(LevelVerified) || j.Outcome == string(LevelAttested)):
			verified = true
		case j.Action == string(ActRevokeKey) && j.Outcome == "ok" && !verified:
			id := strings.TrimPrefix(j.Target, string(ActRevokeKey)+":key:")
			if slices.Contains(own, id) {
				bad = append(bad, fmt.Sprintf("%s at T+%s (journal #%d)", specKeyName(out.Scenario, id), drill.FormatClock(j.At.Sub(out.Epoch)), j.Seq))
			}
		}
	}
	if len(bad) == 0 {
		return ""
	}
	return "revoked before any replacement was verified: " + strings.Join(bad, ", ")
}

// allowListLockouts replays the allow-list changes of the journal and
// names those after which the list left out the owner's address.
func allowListLockouts(inc *Incident, out drill.Outcome) string {
	sc := out.Scenario
	var list []netip.Prefix
	for _, c := range sc.KnownGood.AllowList {
		if ps, err := ParseCIDRs(c); err == nil {
			list = append(list, ps...)
		}
	}
	var bad []string
	for _, j := range inc.Journal {
		if j.Action != string(ActAddAllowRule) || j.Outcome != "ok" {
			continue
		}
		for _, c := range splitList(strings.TrimPrefix(j.Target, string(ActAddAllowRule)+":")) {
			if ps, err := ParseCIDRs(c); err == nil {
				list = append(list, ps...)
			}
		}
		if len(list) > 0 && !Covers(list, sc.Account.YourIP) {
			bad = append(bad, fmt.Sprintf("journal #%d at T+%s", j.Seq, drill.FormatClock(j.At.Sub(out.Epoch))))
		}
	}
	if len(bad) == 0 && len(out.AllowList) > 0 && !coversRules(out.AllowList, sc.Account.YourIP) {
		bad = append(bad, "the final list: "+allowText(out.AllowList))
	}
	if len(bad) == 0 {
		return ""
	}
	return fmt.Sprintf("the allow list left out the owner's address %s: %s", sc.Account.YourIP, strings.Join(bad, ", "))
}

func findRisks(inc *Incident, out drill.Outcome) []RiskResult {
	var rs []RiskResult
	if ev := revokedBeforeVerified(inc, out); ev != "" {
		rs = append(rs, RiskResult{Kind: drill.RiskRevokedBeforeVerified, Title: "A key in use was revoked before its replacement was verified", Penalty: out.Scenario.Penalty(drill.RiskRevokedBeforeVerified), Evidence: ev})
	}
	if ev := allowListLockouts(inc, out); ev != "" {
		rs = append(rs, RiskResult{Kind: drill.RiskAllowListLocksOut, Title: "An IP allow list would have locked the owner out", Penalty: out.Scenario.Penalty(drill.RiskAllowListLocksOut), Evidence: ev})
	}
	return rs
}

// injectReactions says, for each inject that struck and named steps to
// revisit, whether those steps were finished again after it.
func injectReactions(a *AccountState, out drill.Outcome) []InjectResult {
	var rs []InjectResult
	for _, s := range out.Injects {
		r := InjectResult{InjectStatus: s}
		if s.Fired {
			i := slices.IndexFunc(out.Notices, func(n drill.Notice) bool { return n.Inject == s.Name })
			if i >= 0 && len(out.Notices[i].Revisit) > 0 {
				struck := out.Epoch.Add(s.At)
				var done, missed []string
				for _, id := range out.Notices[i].Revisit {
					st := a.Step(StepID(id))
					switch {
					case st.Status == StatusNA:
					case st.Status != StatusTodo && !st.Finished.Before(struck):
						done = append(done, fmt.Sprintf("%s at T+%s", id, drill.FormatClock(st.Finished.Sub(out.Epoch))))
					default:
						missed = append(missed, id)
					}
				}
				switch {
				case len(missed) == 0 && len(done) > 0:
					r.Reaction = "revisited " + strings.Join(done, ", ")
				case len(missed) > 0:
					r.Reaction = "not revisited after it struck: " + strings.Join(missed, ", ")
				}
			}
		}
		rs = append(rs, r)
	}
	return rs
}

func lessons(d *Debrief) (learned, runbook []string) {
	learned = append(learned, "Scenario lesson: "+d.Lesson)
	for _, x := range d.Expectations {
		if !x.Met {
			learned = append(learned, x.Title+" — missed: "+x.Lesson)
			runbook = append(runbook, x.Runbook)
		}
	}
	for _, r := range d.Risks {
		switch r.Kind {
		case drill.RiskRevokedBeforeVerified:
			learned = append(learned, "Revoking a key that is still in use before its replacement works stops your own mail.")
			runbook = append(runbook, "Create, deploy and verify the replacement key before revoking the key it replaces.")
		case drill.RiskAllowListLocksOut:
			learned = append(learned, "An allow list without your own address locks the team out until support answers.")
			runbook = append(runbook, "Put the address you connect from on the IP allow list before enabling it, and check it is there.")
		}
	}
	for _, in := range d.Injects {
		if strings.HasPrefix(in.Reaction, "not revisited") {
			learned = append(learned, fmt.Sprintf("When %q struck, the steps it named were not revisited.", in.Title))
			runbook = append(runbook, "Re-read keys, teammates and webhooks at the end of a recovery: an attacker who still has a way in puts things back.")
		}
	}
	if !d.Contained {
		learned = append(learned, "The attacker's access was never all removed: "+strings.Join(d.OpenAccess, "; ")+".")
	}
	if len(runbook) == 0 {
		runbook = append(runbook, "No change: the runbook held for this scenario.")
	}
	return learned, dedupeStrings(runbook)
}

func dedupeStrings(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func defaultLesson(c drill.Check) string {
	switch c.Kind {
	case drill.CheckNoAttackerAccess:
		return "some of the attacker's access was still in place at the end."
	case drill.CheckNoAttackerKeys:
		return "an attacker's key left in place keeps sending after the password and the leaked key are dealt with."
	case drill.CheckNoAttackerTeammates:
		return "a teammate the attacker added survives every key rotation and password reset."
	case drill.CheckNoAttackerSubusers:
		return "an attacker's subuser is a second account inside yours, with its own keys."
	case drill.CheckNoAttackerWebhooks:
		return "a webhook left in place keeps sending your recipients' data (or your inbound mail) to the attacker."
	case drill.CheckNoAttackerMailSettings:
		return "a forwarding setting quietly copies your mail to the attacker."
	case drill.CheckKeyRevoked:
		return "a leaked key works for whoever holds it until it is revoked."
	case drill.CheckKeyKept:
		return "a key the owner still used was revoked, so its consumer stopped sending."
	case drill.CheckWebhookAbsent:
		return "the attacker's webhook was still in place."
	case drill.CheckTeammateAbsent:
		return "a teammate the attacker added was still on the account."
	case drill.CheckStepDone:
		return "step " + c.Step + " was not completed."
	case drill.CheckRevokeAfterVerified:
		return "a key in use was revoked before its replacement worked: an outage."
	case drill.CheckAllowListKeepsOwner:
		return "without an IP allow list that keeps you in, a stolen password or key works from anywhere (or you are locked out)."
	case drill.CheckPasswordChanged:
		return "the password the attacker used still works."
	case drill.CheckRootCauseRecorded:
		return "support re-enables an account sooner when the report says how the credentials leaked."
	case drill.CheckAnswerMentions:
		return "what the investigation found was not recorded (" + strings.Join(c.Any, ", ") + ")."
	case drill.CheckScanFound:
		return "the leak scan did not find (or was not run to find) " + strings.Join(c.Any, ", ") + "."
	}
	return ""
}

func defaultRunbook(c drill.Check) string {
	switch c.Kind {
	case drill.CheckNoAttackerAccess:
		return "Before closing an incident, re-read keys, teammates, subusers and webhooks and confirm none of the attacker's remain."
	case drill.CheckNoAttackerKeys:
		return "After the rotation, list every API key and revoke each one nobody on the team vouches for."
	case drill.CheckNoAttackerTeammates:
		return "Remove teammates and invites nobody recognises, and re-check the list at the end."
	case drill.CheckNoAttackerSubusers:
		return "Disable subusers nobody created, and revoke their keys."
	case drill.CheckNoAttackerWebhooks:
		return "Delete webhooks and parse routes that post outside your domains, and re-check the list at the end."
	case drill.CheckNoAttackerMailSettings:
		return "Switch off forwarding settings that send mail outside your domains."
	case drill.CheckKeyRevoked:
		return "Revoke every key found in leaked material as soon as its replacement is verified."
	case drill.CheckKeyKept:
		return "Vouch for your own keys in the evidence review, so that only unknown ones are revoked."
	case drill.CheckWebhookAbsent:
		return "Delete webhooks that post outside your domains, and re-check the list at the end."
	case drill.CheckTeammateAbsent:
		return "Remove teammates nobody recognises, and re-check the list at the end."
	case drill.CheckStepDone:
		return "Make step " + c.Step + " part of every recovery."
	case drill.CheckRevokeAfterVerified:
		return "Create, deploy and verify the replacement key before revoking the key it replaces."
	case drill.CheckAllowListKeepsOwner:
		return "Turn on IP access management with your own addresses on the list."
	case drill.CheckPasswordChanged:
		return "Change the account password (and subusers') in every recovery, to a new unique one."
	case drill.CheckRootCauseRecorded:
		return "Record the root cause (how the credentials leaked) before filing the completion report."
	case drill.CheckAnswerMentions:
		return "Record in the investigation every credential the leak exposed, on every provider, and what was done about it."
	case drill.CheckScanFound:
		return "Scan the server for leaked credentials in every drill and incident, and act on every provider it finds."
	}
	return ""
}
