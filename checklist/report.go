package checklist

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"reclaim/provider"
)

// Report is the completion report: built from the incident alone, so it
// can never contain a secret the incident does not hold (and it holds none).
// Every renderer also passes its output through ScrubSecrets as a safety net.
type Report struct {
	Incident string `json:"incident"`
	Title    string `json:"title"`
	Drill    bool   `json:"drill"`
	DryRun   bool   `json:"dry_run,omitempty"`
	// Autopilot: the answers are a drill script's, given by the autopilot.
	Autopilot  bool      `json:"autopilot,omitempty"`
	Provider   string    `json:"provider"`
	ProviderID string    `json:"provider_id,omitempty"`
	Account    string    `json:"account,omitempty"`
	Generated  time.Time `json:"generated"`
	Opened     time.Time `json:"opened"`
	// Closed is set only when nothing was left open; GoneThrough when the
	// procedure ended with open items.
	Closed       time.Time `json:"closed,omitzero"`
	GoneThrough  time.Time `json:"gone_through,omitzero"`
	Detected     string    `json:"detected,omitempty"`
	Suspended    string    `json:"suspended,omitempty"`
	StillSending string    `json:"still_sending,omitempty"`
	RootCause    string    `json:"root_cause,omitempty"`
	Notes        string    `json:"notes,omitempty"`
	Summary      []string  `json:"summary"`
	// Claims are what the journal says of each step (level, statement,
	// time): the only source of what the report states as done.
	Claims []Claim `json:"claims"`
	// LevelCounts counts the claims per evidence level.
	LevelCounts map[Level]int `json:"level_counts"`
	// OpenItems are what is left, in the order support should read them.
	OpenItems []string `json:"open_items"`
	// KnownGaps are differences found between the state and its journal.
	KnownGaps []string `json:"known_gaps,omitempty"`
	// Incomplete names the inventory sections the provider's answers were
	// cut short in (a cap reached): they are not the whole account.
	Incomplete []string `json:"incomplete,omitempty"`
	// Scans are the leak scans with what each root yielded.
	Scans         []ScanRecord   `json:"scans,omitempty"`
	Investigation []Answered     `json:"investigation,omitempty"`
	Steps         []ReportStep   `json:"steps"`
	Actions       []JournalEntry `json:"actions"`
	Findings      []Finding      `json:"findings"`
	// LeakFindings are the findings about where the credentials leaked
	// (investigation answers and scans), already redacted.
	LeakFindings []Finding `json:"leak_findings,omitempty"`
	// Revoked lists the keys reclaim revoked; ConfirmedDead the journal's
	// checks that an old credential now fails.
	Revoked       []JournalEntry   `json:"revoked,omitempty"`
	ConfirmedDead []JournalEntry   `json:"confirmed_dead,omitempty"`
	Preventive    []string         `json:"preventive"`
	FollowUps     []string         `json:"follow_ups"`
	Before        *Inventory       `json:"inventory_before,omitempty"`
	After         *Inventory       `json:"inventory_after,omitempty"`
	NewKeys       []NewKeyRecord   `json:"new_keys,omitempty"`
	Support       provider.Support `json:"support"`
	// SupportChecklist is the provider's own list of what its support asks
	// for, each with the status reclaim recorded.
	SupportChecklist []ChecklistLine `json:"support_checklist,omitempty"`
	SignOff          SignOff         `json:"sign_off"`
	Timeline         []JournalEntry  `json:"timeline"`
	JournalHash      string          `json:"journal_hash"`
	JournalEntries   int             `json:"journal_entries"`
	// Baseline is the baseline the incident started from, when it had one.
	Baseline *BaselineReport `json:"baseline,omitempty"`
	// Seal binds the rendered report to the journal (see VerifyReport).
	Seal *Seal `json:"seal,omitempty"`
}

// Answered is one question of the investigation with its answer.
type Answered struct {
	ID       string `json:"id"`
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// ChecklistLine is one item of the provider's support checklist.
type ChecklistLine struct {
	Item   string    `json:"item"`
	Status string    `json:"status"` // the weakest evidence level of its steps, or "not tracked"
	Level  Level     `json:"level,omitempty"`
	At     time.Time `json:"at,omitzero"`
	Steps  []StepID  `json:"steps,omitempty"`
}

// SignOff is who stands behind the report.
type SignOff struct {
	Name string    `json:"name,omitempty"`
	Role string    `json:"role,omitempty"`
	At   time.Time `json:"at,omitzero"`
}

// ReportStep is one step's line in the report.
type ReportStep struct {
	Phase    Phase      `json:"phase"`
	ID       StepID     `json:"id"`
	Title    string     `json:"title"`
	Mode     Mode       `json:"mode"`
	Status   Status     `json:"status"`
	Reason   string     `json:"reason,omitempty"`
	Finished time.Time  `json:"finished,omitzero"`
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Report-step answers the report reads (besides root_cause).
const (
	AnswerRootCause   = "root_cause"
	AnswerNotes       = "notes"
	AnswerPreventive  = "preventive"
	AnswerSignoffName = "signoff_name"
	AnswerSignoffRole = "signoff_role"
)

// ReportOptions tune BuildReport.
type ReportOptions struct {
	// Now is the report's generation time (default: time.Now).
	Now time.Time
	// Provider, when set, gives the step modes (automated or guided) from
	// its capabilities; without it they come from Info alone.
	Provider provider.Provider
	// SessionKeyID is the key reclaim itself used, when known.
	SessionKeyID string
}

// infoOnly is a provider with no capability: enough to describe steps.
type infoOnly struct{ info provider.Info }

func (p infoOnly) Info() provider.Info { return p.info }

// InfoProvider wraps a static Info as a Provider with no capabilities (for
// reading an incident without connecting to the account).
func InfoProvider(info provider.Info) provider.Provider { return infoOnly{info} }

// BuildReport builds the report from an incident and its provider's static
// description alone: no lock, no network, no engine. It reads a copy of inc.
func BuildReport(inc *Incident, info provider.Info, opt ReportOptions) *Report {
	p := opt.Provider
	if p == nil {
		p = infoOnly{info}
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	e := &Engine{inc: inc.Clone(), prov: p, secrets: NewSecrets(nil), SessionKeyID: opt.SessionKeyID, Now: func() time.Time { return now }}
	if len(e.inc.Accounts) == 0 {
		e.inc.Accounts = []*AccountState{{Provider: info.ID, Label: info.Name}}
	}
	return e.buildReport(info)
}

// BuildReport assembles the report from the engine's state.
func (e *Engine) BuildReport() *Report { return e.buildReport(e.prov.Info()) }

func (e *Engine) buildReport(info provider.Info) *Report {
	views := e.Views()
	e.mu.Lock()
	defer e.mu.Unlock()
	inc, a := e.inc, e.acct()
	r := &Report{Incident: provider.SanitizeN(inc.ID, 80), Title: inc.Title, Drill: inc.Drill, DryRun: inc.DryRun || e.DryRun, Autopilot: inc.Autopilot, Provider: info.Name, ProviderID: firstNonEmpty(info.ID, a.Provider), Generated: e.Now().UTC(), Opened: inc.Created, Closed: inc.Closed,
		Before: a.Before, After: a.After, NewKeys: a.NewKeys, Support: info.Support, Timeline: inc.Journal, JournalHash: inc.JournalHead(), JournalEntries: len(inc.Journal)}
	if a.Before != nil && a.Before.Account != nil {
		r.Account = provider.Sanitize(a.Before.Account.Username + " <" + a.Before.Account.Email + ">")
	}
	r.Baseline = e.baselineReportLocked()
	tri := a.Step(StepTriage).Answers
	r.Detected, r.Suspended, r.StillSending = tri["detected"], tri["suspended"], tri["still_sending"]
	rep := a.Step(StepReport)
	r.RootCause = strings.TrimSpace(rep.Answers[AnswerRootCause])
	if why := strings.TrimSpace(rep.Answers[AnswerRootCauseWhy]); why != "" && (r.RootCause == "" || notEstablished(r.RootCause)) {
		r.RootCause = "Not established: " + why
	}
	r.Notes = strings.TrimSpace(rep.Answers[AnswerNotes])
	r.SignOff = SignOff{Name: strings.TrimSpace(rep.Answers[AnswerSignoffName]), Role: strings.TrimSpace(rep.Answers[AnswerSignoffRole]), At: rep.Finished}
	if r.SignOff.Name == "" {
		r.SignOff.At = time.Time{} // nobody signed
	} else if r.SignOff.At.IsZero() {
		r.SignOff.At = r.Generated
	}
	r.Claims = ClaimsFromJournal(inc.Journal)
	r.LevelCounts = CountLevels(r.Claims)
	r.KnownGaps = KnownGaps(inc.Journal)
	for _, g := range JournalGaps(inc) {
		// Found now and not yet shown to the owner (a report made while
		// the incident was not open in the UI).
		r.KnownGaps = append(r.KnownGaps, "not yet reconciled: "+g)
	}
	r.Scans = a.Scans
	for _, inv := range []*Inventory{a.Before, a.After} {
		if inv == nil {
			continue
		}
		for _, sec := range sortedKeys(inv.Truncated) {
			r.Incomplete = append(r.Incomplete, fmt.Sprintf("INCOMPLETE at %s: the %s list was cut short (%s); it is not the whole account.", utc(inv.TakenAt), sectionName(sec), inv.Truncated[sec]))
		}
	}
	r.Investigation = e.investigationLocked(a)
	for _, v := range views {
		r.Steps = append(r.Steps, ReportStep{Phase: v.Def.Phase, ID: v.Def.ID, Title: v.Def.Title, Mode: v.Mode, Status: v.State.Status, Reason: firstNonEmpty(v.State.Reason, naWhy(v)), Finished: v.State.Finished, Evidence: v.State.Evidence})
	}
	for _, j := range inc.Journal {
		if j.Outcome == "ok" || j.Outcome == "failed" || j.Outcome == "already done" || j.Outcome == "dry-run" {
			if j.Action != "complete step" {
				r.Actions = append(r.Actions, j)
			}
		}
		if j.Action == string(ActRevokeKey) && (j.Outcome == "ok" || j.Outcome == "already done") {
			r.Revoked = append(r.Revoked, j)
		}
		if isDeadCheck(j.Action) {
			r.ConfirmedDead = append(r.ConfirmedDead, j)
		}
	}
	r.Findings = a.Findings
	for _, f := range a.Findings {
		if isLeakFinding(f) {
			r.LeakFindings = append(r.LeakFindings, f)
		}
	}
	// Every open finding is an open item; what only records what happened
	// (mail sent, access by address) says so.
	var evidence []string
	for _, f := range a.Findings {
		switch {
		case f.Resolved:
		case f.Target.Kind == "mail" || f.Target.Kind == "ip" || f.Target.Kind == "leak-log":
			evidence = append(evidence, "Open finding (evidence of what happened; tell support, nothing to undo): "+f.Title)
		default:
			r.FollowUps = append(r.FollowUps, "Open finding: "+f.Title)
		}
	}
	r.FollowUps = append(r.FollowUps, evidence...)
	if e.SessionKeyID != "" {
		r.FollowUps = append(r.FollowUps, fmt.Sprintf("Revoke the key reclaim used for this recovery (%s…) in the console once you no longer need it.", short(e.SessionKeyID)))
	}
	for _, c := range r.Claims {
		switch c.Level {
		case LevelOpen:
			r.OpenItems = append(r.OpenItems, c.Title+": "+strings.TrimPrefix(c.Statement, "Open: "))
		case LevelSkipped:
			r.OpenItems = append(r.OpenItems, c.Title+": "+c.Statement)
		}
	}
	for _, g := range r.KnownGaps {
		r.OpenItems = append(r.OpenItems, "Known gap between the state and its journal: "+g)
	}
	for _, k := range a.NewKeys {
		if k.Verified.IsZero() {
			r.FollowUps = append(r.FollowUps, fmt.Sprintf("Verify the new key %s (%s…) works", k.Name, short(k.ID)))
		}
	}
	if info.GraceWindow > 0 {
		r.FollowUps = append(r.FollowUps, fmt.Sprintf("Re-check after %s that the old credentials fail (%s's grace window).", info.GraceWindow, info.Name))
	}
	if len(r.Revoked) > 0 && len(r.ConfirmedDead) == 0 {
		r.FollowUps = append(r.FollowUps, "Confirm that the revoked keys now fail (a call with an old key must be refused).")
	}
	r.Preventive = preventive(r, a)
	r.SupportChecklist = supportChecklist(info.Support, r.Claims)
	if inv := a.Current(); inv != nil {
		if slices.Contains(inv.Read, SecAllow) && len(inv.AllowList) == 0 {
			r.OpenItems = append(r.OpenItems, "The IP allow list is empty: any address can log in or use a key (IP access management).")
		}
		for _, sec := range sortedKeys(inv.Truncated) {
			r.OpenItems = append(r.OpenItems, fmt.Sprintf("The %s list is incomplete (%s): review the rest in the provider's console.", sectionName(sec), inv.Truncated[sec]))
		}
	}
	r.OpenItems = append(r.OpenItems, r.FollowUps...)
	if len(r.OpenItems) > 0 && !r.Closed.IsZero() {
		r.GoneThrough, r.Closed = r.Closed, time.Time{}
	}
	open := 0
	for _, f := range r.Findings {
		if !f.Resolved {
			open++
		}
	}
	r.Summary = []string{
		"Progress: " + ProgressText(a.Progress(StepIDs())) + " done or skipped (n/a not counted). Evidence: " + LevelCounts(r.Claims) + fmt.Sprintf("; %d changes made to the account.", countChanges(r.Actions)),
		fmt.Sprintf("%d findings, %d resolved, %d open.", len(r.Findings), len(r.Findings)-open, open),
	}
	if r.DryRun {
		r.Summary[0] = "DRY RUN: nothing was changed on the account. " + r.Summary[0]
	}
	return r
}

// investigationLocked lists the investigation questions that were answered.
func (e *Engine) investigationLocked(a *AccountState) []Answered {
	st := a.Steps[StepQuestions]
	if st == nil || len(st.Answers) == 0 {
		return nil
	}
	d := StepByID(StepQuestions)
	prompts := map[string]string{}
	var order []string
	if d != nil && d.Questions != nil {
		m, _ := e.ModeOf(d)
		for _, q := range d.Questions(e, a, m) {
			if q.Kind == QSecret {
				continue
			}
			prompts[q.ID] = q.Prompt
			order = append(order, q.ID)
		}
	}
	var extra []string
	for k := range st.Answers {
		if _, ok := prompts[k]; !ok {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	var out []Answered
	for _, id := range append(order, extra...) {
		v := strings.TrimSpace(st.Answers[id])
		if v == "" {
			continue
		}
		if id == "leaked_key_ids" {
			var ids []string
			for _, k := range splitList(v) {
				ids = append(ids, short(k)+"…")
			}
			v = strings.Join(ids, ", ")
		}
		out = append(out, Answered{ID: id, Question: firstNonEmpty(prompts[id], id), Answer: ScrubSecrets(v)})
	}
	return out
}

// isDeadCheck reports whether a journal action records a check that an old
// credential no longer works ("verify old credential dead", …).
func isDeadCheck(action string) bool {
	a := strings.ToLower(action)
	return strings.Contains(a, "dead") || strings.Contains(a, "old credential") || strings.Contains(a, "old key fails")
}

// preventive lists the measures taken that make a repeat harder.
func preventive(r *Report, a *AccountState) []string {
	var out []string
	ok := func(action string) []JournalEntry {
		var js []JournalEntry
		for _, j := range r.Actions {
			if j.Action == action && (j.Outcome == "ok" || j.Outcome == "already done") {
				js = append(js, j)
			}
		}
		return js
	}
	status := func(id StepID) Status {
		if s, found := a.Steps[id]; found {
			return s.Status
		}
		return StatusTodo
	}
	if r.DryRun {
		// Nothing was changed: a dry run earns no measure.
		return []string{"None: this was a DRY RUN and nothing was changed on the account."}
	}
	for _, k := range a.NewKeys {
		if len(k.Scopes) == 0 {
			out = append(out, fmt.Sprintf("Replacement key %s (%s…) created.", provider.SanitizeN(k.Name, 60), short(k.ID)))
			continue
		}
		out = append(out, fmt.Sprintf("Replacement key %s (%s…) created with only the scopes it needs: %s.", provider.SanitizeN(k.Name, 60), short(k.ID), strings.Join(k.Scopes, ", ")))
	}
	if n := len(ok(string(ActRevokeKey))); n > 0 {
		out = append(out, fmt.Sprintf("%d leaked or unknown keys revoked.", n))
	}
	claim := map[StepID]Claim{}
	for _, c := range r.Claims {
		claim[c.Step] = c
	}
	earned := func(id StepID, verified, attested string) {
		switch c := claim[id]; c.Level {
		case LevelVerified:
			out = append(out, verified+" (verified, "+utcOr(c.At, "")+").")
		case LevelAttested:
			how := "attested, "
			if strings.Contains(c.Statement, "OVERRIDE") {
				how = "attested with an OVERRIDE of the account's data, "
			}
			out = append(out, attested+" ("+how+utcOr(c.At, "")+").")
		}
	}
	earned(StepPassword, "Account password changed", "The owner states the account password was changed")
	earned(StepTwoFactor, "Two-factor authentication enrolled, two codes checked", "The owner states two-factor authentication is enrolled")
	earned(StepAuditTwoFactor, "2FA confirmed for every user of the account", "The owner states every user of the account has 2FA")
	_ = status
	for _, j := range ok(string(ActAddAllowRule)) {
		out = append(out, "IP access restricted: "+provider.SanitizeN(j.Detail, 200)+".")
	}
	if n := len(ok(string(ActRemoveTeammate))) + len(ok(string(ActRemoveInvite))); n > 0 {
		out = append(out, fmt.Sprintf("%d unknown teammates or invites removed.", n))
	}
	if n := len(ok(string(ActDeleteWebhook))); n > 0 {
		out = append(out, fmt.Sprintf("%d unknown webhooks or parse routes deleted.", n))
	}
	if n := len(ok(string(ActDisableMailSetting))); n > 0 {
		out = append(out, fmt.Sprintf("%d forwarding mail settings switched off.", n))
	}
	if n := len(ok(string(ActDisableSubuser))); n > 0 {
		out = append(out, fmt.Sprintf("%d unknown subusers disabled.", n))
	}
	if s := a.Steps[StepReport]; s != nil {
		for _, l := range strings.Split(s.Answers[AnswerPreventive], "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, ScrubSecrets(l))
			}
		}
	}
	return out
}

// countChanges counts the changes made to the account (not the reads and
// checks, not what a dry run would have done).
func countChanges(js []JournalEntry) int {
	n := 0
	for _, j := range js {
		switch ActionKind(j.Action) {
		case ActCreateKey, ActRevokeKey, ActRemoveTeammate, ActRemoveInvite, ActDisableSubuser, ActDeleteWebhook, ActDisableMailSetting, ActAddAllowRule, ActChangePassword:
			if j.Outcome == "ok" {
				n++
			}
		}
	}
	return n
}

func countOK(js []JournalEntry) int {
	n := 0
	for _, j := range js {
		if j.Outcome == "ok" {
			n++
		}
	}
	return n
}

// Markdown renders the report for pasting into a support ticket. It ends
// with the journal's final hash and the report's seal line.
func (r *Report) Markdown() string {
	body := ScrubSecrets(r.markdownBody())
	return body + r.seal(digestOf([]byte(body))).Line() + "\n"
}

func (r *Report) markdownBody() string {
	for len(r.Summary) < 2 {
		r.Summary = append(r.Summary, "")
	}
	var b strings.Builder
	s := func(x string) string { return mdText(x) }
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	list := func(items []string) {
		if len(items) == 0 {
			w("None.\n")
		}
		for _, it := range items {
			w("- %s\n", s(it))
		}
	}
	w("# %s\n\n", r.heading())
	if r.DryRun {
		w("**DRY RUN — nothing was changed on the account. This report cannot be sent to support.**\n\n")
	}
	w("- Incident: %s — %s\n", s(r.Incident), s(r.Title))
	w("- Provider: %s\n", s(r.Provider))
	if r.Account != "" {
		w("- Account: %s\n", s(r.Account))
	}
	if r.Baseline != nil {
		w("- Baseline: %s\n", s(r.Baseline.Line()))
	}
	w("- Opened: %s\n", utc(r.Opened))
	if !r.Closed.IsZero() {
		w("- Closed: %s\n", utc(r.Closed))
	}
	if !r.GoneThrough.IsZero() {
		w("- Gone through: %s, with %d open items (below); not closed\n", utc(r.GoneThrough), len(r.OpenItems))
	}
	w("- Report generated: %s\n", utc(r.Generated))

	w("\n## Summary for support\n\n")
	if r.Baseline != nil && r.Baseline.Refused == "" {
		w("Each line says how it is known: **verified** (reclaim read it back from the provider), **attested** (the owner said so), **known at baseline** (unchanged since the owner's snapshot of the healthy account: whose it is, not read back), **open**, **skipped** or **n/a**.\n\n")
	} else {
		w("Each line says how it is known: **verified** (reclaim read it back from the provider), **attested** (the owner said so), **open**, **skipped** or **n/a**.\n\n")
	}
	w("| What %s asks for | Evidence | When (UTC) |\n|---|---|---|\n", s(r.Provider))
	for _, c := range r.SupportChecklist {
		w("| %s | %s | %s |\n", s(c.Item), s(c.Status), utcOr(c.At, ""))
	}
	w("\n%s\n", s(r.Summary[0]))
	w("\n### Open items\n\n")
	if len(r.OpenItems) == 0 {
		w("None.\n")
	}
	for _, f := range r.OpenItems {
		w("- [ ] %s\n", s(f))
	}

	w("\n## What happened and how it was detected\n\n")
	for _, l := range r.WhatHappened() {
		w("- %s\n", s(l))
	}
	w("- %s\n", s(r.Summary[1]))

	w("\n## Root cause\n\n")
	who := "The owner's"
	if r.Autopilot {
		who = "The autopilot's (the drill's script, not a person's)"
	}
	switch {
	case r.RootCause != "" && r.Autopilot:
		w("%s (the drill script's answer)\n", s(r.RootCause))
	case r.RootCause != "":
		w("%s\n", s(r.RootCause))
	default:
		w("Not established yet.\n")
	}
	if len(r.Investigation) > 0 {
		w("\n%s answers to the investigation:\n\n", who)
		for _, q := range r.Investigation {
			w("- %s — %s\n", s(q.Question), s(q.Answer))
		}
	}
	if r.Notes != "" {
		w("\nNotes: %s\n", s(r.Notes))
	}

	b.WriteString(ClaimsMarkdown(r.Claims))

	w("\n## Old credentials: revoked and confirmed dead\n\n")
	if len(r.Revoked) == 0 && len(r.ConfirmedDead) == 0 {
		w("None recorded.\n")
	}
	for _, j := range r.Revoked {
		w("- Revoked %s (journal #%d): %s\n", utc(j.At), j.Seq, s(j.Detail))
	}
	for _, j := range r.ConfirmedDead {
		w("- Confirmed %s (journal #%d): %s (%s)\n", utc(j.At), j.Seq, s(j.Detail), s(j.Outcome))
	}
	if len(r.Revoked) > 0 && len(r.ConfirmedDead) == 0 {
		w("- Not yet confirmed that the old keys fail.\n")
	}

	w("\n## Leak investigation (redacted)\n\n")
	if len(r.Scans) == 0 {
		w("No file scan was recorded.\n")
	}
	for _, sc := range r.Scans {
		state := "complete"
		if sc.Partial {
			state = "PARTIAL"
		}
		w("- Scan at %s (%s), %d findings:\n", utc(sc.At), state, sc.Findings)
		for _, root := range sc.Roots {
			line := fmt.Sprintf("%s: %d files, %s read", root.Path, root.Files, HumanBytes(root.Bytes))
			if root.Target != "" {
				line = fmt.Sprintf("%s (a link to %s): %d files, %s read", root.Path, root.Target, root.Files, HumanBytes(root.Bytes))
			}
			if root.Error != "" {
				line += "; " + root.Error
			}
			w("  - %s\n", s(line))
		}
	}
	leak := 0
	for _, f := range r.LeakFindings {
		if leak == 0 {
			w("\n")
		}
		leak++
		w("- [%s] %s — %s (evidence: %s)\n", f.Severity, s(f.Title), findingState(f), s(f.Evidence))
	}

	w("\n## Account findings\n\n")
	other := 0
	for _, f := range r.Findings {
		if isLeakFinding(f) {
			continue
		}
		other++
		w("- [%s] %s — %s (evidence: %s)\n", f.Severity, s(f.Title), findingState(f), s(f.Evidence))
	}
	if other == 0 {
		w("None.\n")
	}
	b.WriteString(r.baselineMarkdown())

	if len(r.NewKeys) > 0 {
		w("\n## Replacement keys\n\n")
		for _, k := range r.NewKeys {
			w("- %s\n", s(newKeyLine(k)))
		}
	}

	w("\n## Inventory before and after\n\n")
	if rows := inventoryRows(r.Before, r.After); len(rows) > 0 {
		w("| | Before | After |\n|---|---|---|\n")
		for _, row := range rows {
			w("| %s | %s | %s |\n", row[0], mdText(row[1]), mdText(row[2]))
		}
	} else {
		w("No inventory was taken.\n")
	}
	for _, l := range r.Incomplete {
		w("- %s\n", s(l))
	}
	if m := r.Before; m != nil && m.Mail != nil {
		w("\nMail in the last 30 days: %d messages. Most frequent subjects:\n\n", m.Mail.Total)
		for i, sc := range m.Mail.Subjects {
			if i == 10 {
				break
			}
			w("- %d × %s (from %s)\n", sc.Count, s(sc.Subject), s(sc.From))
		}
	}

	w("\n## Preventive measures\n\n")
	list(r.Preventive)

	w("\n## Support\n\n%s\n", s(r.SupportLine()))

	w("\n## Sign-off\n\n")
	w("- Name: %s\n- Role: %s\n- Signed: %s\n", s(orBlank(r.SignOff.Name)), s(orBlank(r.SignOff.Role)), utcOr(r.SignOff.At, "—"))

	b.WriteString(JournalMarkdown(r.Timeline))
	w("\n---\nJournal chain hash: `%s` (%d entries). `reclaim report verify FILE` checks this report against the incident's journal. It proves the report matches the journal in the incident folder; the chain uses no secret, so whoever can write that folder can rewrite both. Only a signature (reclaim report --sign) ties the report to the owner's key.\n", r.JournalHash, r.JournalEntries)
	return b.String()
}

// ClaimsMarkdown renders the step claims: the part of the report that
// report verify re-derives from the journal alone.
func ClaimsMarkdown(cs []Claim) string {
	var b strings.Builder
	b.WriteString("\n## Steps and their evidence\n\n")
	b.WriteString("| Phase | Step | Evidence | Statement | Recorded (UTC) |\n|---|---|---|---|---|\n")
	for _, c := range cs {
		ref := ""
		if c.Seq > 0 {
			ref = fmt.Sprintf("%s (#%d)", utc(c.At), c.Seq)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdText(string(c.Phase)), mdText(c.Title), c.Level, mdText(c.Statement), ref)
	}
	b.WriteString("\n" + LevelCounts(cs) + ".\n")
	return b.String()
}

// JournalMarkdown renders the journal as the report's appendix (re-derived
// by report verify).
func JournalMarkdown(js []JournalEntry) string {
	var b strings.Builder
	b.WriteString("\n## Journal (UTC)\n\nThe record this report is checked against; every action and answer, in order.\n\n")
	for _, j := range js {
		fmt.Fprintf(&b, "%d. %s %s%s — %s %s\n", j.Seq, utc(j.At), stepTag(j.Step), mdText(j.Action), mdText(j.Outcome), mdText(j.Detail))
	}
	return b.String()
}

// isLeakFinding: a finding about where the credentials leaked.
func isLeakFinding(f Finding) bool {
	return f.Source == "scan" || f.Source == "investigation" || f.Target.Kind == "leak"
}

// mdText makes provider or owner text safe in Markdown: sanitized, and
// with the characters that would start HTML, an entity, a link, code or a
// table cell escaped, so it cannot render as markup (emphasis stays: it
// cannot hide or forge text).
func mdText(x string) string {
	x = provider.Sanitize(x)
	var b strings.Builder
	for _, r := range x {
		switch r {
		case '<', '>', '&', '|', '[', ']', '`', '\\':
			b.WriteByte('\\')
		case '\n', '\r':
			b.WriteByte(' ')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (r *Report) heading() string {
	if r.Drill && r.DryRun {
		return "DRY RUN DRILL — account recovery report (simulated account, nothing changed)"
	}
	if r.DryRun {
		return "DRY RUN — account recovery report (nothing was changed)"
	}
	if r.Drill {
		return "DRILL — account recovery report (simulated account)"
	}
	return "Account recovery report"
}

// whatHappened is the triage in sentences.
func (r *Report) WhatHappened() []string {
	var out []string
	if r.Detected != "" {
		out = append(out, "Detected by: "+r.Detected+".")
	}
	if r.Suspended != "" {
		out = append(out, "Account suspended: "+r.Suspended+".")
	}
	if r.StillSending != "" {
		out = append(out, "Mail still going out when recovery began: "+r.StillSending+".")
	}
	if m := r.Before; m != nil && m.Mail != nil {
		out = append(out, fmt.Sprintf("%d messages sent in the 30 days before recovery.", m.Mail.Total))
	}
	return out
}

func (r *Report) SupportLine() string {
	var parts []string
	if r.Support.Email != "" {
		parts = append(parts, "Send to "+r.Support.Email+".")
	}
	if r.Support.URL != "" {
		parts = append(parts, "Support: "+r.Support.URL+".")
	}
	if r.Support.TicketOnly {
		parts = append(parts, "Support takes this only as a ticket in its web console.")
	}
	if r.Support.Instructions != "" {
		parts = append(parts, r.Support.Instructions)
	}
	if len(parts) == 0 {
		return "No support channel recorded for this provider."
	}
	return strings.Join(parts, " ")
}

func stepStatus(st ReportStep) string {
	if st.Reason != "" {
		return string(st.Status) + " (" + st.Reason + ")"
	}
	return string(st.Status)
}

func findingState(f Finding) string {
	if f.Resolved {
		return "resolved"
	}
	return "open"
}

func newKeyLine(k NewKeyRecord) string {
	ver := "not verified"
	if !k.Verified.IsZero() {
		ver = "verified " + utc(k.Verified)
	}
	return fmt.Sprintf("%s (id %s…, scopes %s), created %s, %s", k.Name, short(k.ID), strings.Join(k.Scopes, ", "), utc(k.Created), ver)
}

func orBlank(s string) string {
	if strings.TrimSpace(s) == "" {
		return "(not given)"
	}
	return s
}

func utcOr(t time.Time, empty string) string {
	if t.IsZero() {
		return empty
	}
	return utc(t)
}

func stepTag(id StepID) string {
	if id == "" {
		return ""
	}
	return "[" + string(id) + "] "
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }

func utc(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }

func inventoryRows(b, a *Inventory) [][3]string {
	if b == nil {
		return nil
	}
	if a == nil {
		a = b
	}
	keys := func(inv *Inventory) string {
		var names []string
		for _, k := range inv.Keys {
			names = append(names, provider.SanitizeN(k.Name, 30)+" ("+short(k.ID)+"…)")
		}
		sort.Strings(names)
		return listCell(names)
	}
	team := func(inv *Inventory) string {
		var n []string
		for _, t := range inv.Teammates {
			if t.Pending {
				n = append(n, "invite "+provider.SanitizeN(t.Email, 40))
			} else {
				n = append(n, provider.SanitizeN(t.Username, 40))
			}
		}
		return listCell(n)
	}
	subs := func(inv *Inventory) string {
		var n []string
		for _, s := range inv.Subusers {
			x := provider.SanitizeN(s.Username, 40)
			if s.Disabled {
				x += " (disabled)"
			}
			n = append(n, x)
		}
		return listCell(n)
	}
	hooks := func(inv *Inventory) string {
		var n []string
		for _, w := range inv.Webhooks {
			x := w.Kind + " " + provider.SanitizeN(w.URL, 60)
			if w.Domain != "" {
				x += " (domain " + provider.SanitizeN(w.Domain, 40) + ")"
			}
			n = append(n, x)
		}
		return listCell(n)
	}
	fwd := func(inv *Inventory) string {
		var n []string
		for _, m := range inv.MailSettings {
			if m.Enabled {
				n = append(n, provider.SanitizeN(m.Name, 40))
			}
		}
		return listCell(n)
	}
	allow := func(inv *Inventory) string {
		var n []string
		for _, r := range inv.AllowList {
			n = append(n, provider.SanitizeN(r.CIDR, 50))
		}
		return listCell(n)
	}
	rows := [][3]string{
		{"API keys", keys(b), keys(a)},
		{"Teammates and invites", team(b), team(a)},
		{"Subusers", subs(b), subs(a)},
		{"Webhooks and parse routes", hooks(b), hooks(a)},
		{"Mail settings on", fwd(b), fwd(a)},
		{"IP allow list", allow(b), allow(a)},
	}
	secrets := func(inv *Inventory) string {
		var n []string
		for _, s := range inv.Secrets {
			n = append(n, s.Kind+" "+provider.SanitizeN(s.Name, 40))
		}
		return listCell(n)
	}
	if len(b.Secrets)+len(a.Secrets) > 0 {
		rows = append(rows, [3]string{"Account secrets", secrets(b), secrets(a)})
	}
	return rows
}

func listCell(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return mdCell(fmt.Sprintf("%d: %s", len(items), strings.Join(items, ", ")))
}

// WriteReport writes report.md, report.json and report.html into the
// incident folder.
func (e *Engine) WriteReport() (*Report, error) {
	r := e.BuildReport()
	if e.h == nil {
		return r, nil
	}
	if err := r.WriteFiles(e.h.Dir); err != nil {
		return r, err
	}
	return r, e.RecordReport(r, "written to "+e.h.Dir)
}

// RecordReport journals the digests of a report that was written or shown,
// so report verify can tell it from an edited copy, and saves.
func (e *Engine) RecordReport(r *Report, where string) error {
	d, err := r.Digests()
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	detail := fmt.Sprintf("report covering %d journal entries %s: %s", r.JournalEntries, where, d)
	if r.DryRun {
		detail = "DRY RUN " + detail
	}
	e.journalLocked(StepReport, ActionReportWritten, "report", "info", detail)
	return e.saveLocked()
}

// WriteFiles writes report.md, report.json and report.html into dir.
func (r *Report) WriteFiles(dir string) error {
	js, err := r.JSON()
	if err != nil {
		return err
	}
	html, err := r.HTML()
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{ReportMD: []byte(r.Markdown()), ReportJSON: js, ReportHTML: html} {
		if err := WriteFileAtomic(filepath.Join(dir, name), data); err != nil {
			return err
		}
	}
	return nil
}

// ReportPath is where report.md is written (empty without storage).
func (e *Engine) ReportPath() string {
	if e.h == nil {
		return ""
	}
	return filepath.Join(e.h.Dir, ReportMD)
}

// Close marks the incident closed and writes the report.
func (e *Engine) Close(ctx context.Context) (*Report, error) {
	e.refreshAfter(ctx)
	e.mu.Lock()
	if e.inc.Closed.IsZero() {
		e.inc.Closed = e.Now()
		open := 0
		for _, v := range e.viewsLocked() {
			if v.State.Status == StatusOpen {
				open++
			}
		}
		e.journalLocked(StepReport, "close incident", "", "info", fmt.Sprintf("every step gone through, %d left open; report written", open))
	}
	if err := e.saveLocked(); err != nil {
		e.mu.Unlock()
		return nil, err
	}
	e.mu.Unlock()
	return e.WriteReport()
}

// refreshAfter re-reads every section but the mail history into the
// "after" inventory, best effort: a failure leaves the last known view.
func (e *Engine) refreshAfter(ctx context.Context) {
	e.mu.Lock()
	before := e.acct().Before
	e.mu.Unlock()
	if before == nil {
		return
	}
	secs := []string{SecAccount, SecKeys, SecTeammates, SecSubusers, SecWebhooks, SecMail, SecSenders, SecAllow, SecActivity, SecSecrets}
	ctx, cancel := e.ctx(ctx)
	defer cancel()
	inv, err := TakeInventory(ctx, e.prov, e.Now(), secs...)
	if err != nil {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	a := e.acct()
	if a.After == nil {
		c := *a.Before
		a.After = &c
	}
	mergeSections(a.After, inv, secs)
	e.reanalyzeLocked()
}

func naWhy(v StepView) string {
	if v.State.Status == StatusNA {
		return v.NAWhy
	}
	return ""
}
