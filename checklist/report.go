package checklist

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"reclaim/provider"
)

// Report is the completion report: built from the incident alone, so it
// can never contain a secret the incident does not hold (and it holds none).
type Report struct {
	Incident    string           `json:"incident"`
	Title       string           `json:"title"`
	Drill       bool             `json:"drill"`
	Provider    string           `json:"provider"`
	Account     string           `json:"account,omitempty"`
	Generated   time.Time        `json:"generated"`
	Opened      time.Time        `json:"opened"`
	Detected    string           `json:"detected,omitempty"`
	Suspended   string           `json:"suspended,omitempty"`
	RootCause   string           `json:"root_cause,omitempty"`
	Summary     []string         `json:"summary"`
	Steps       []ReportStep     `json:"steps"`
	Actions     []JournalEntry   `json:"actions"`
	Findings    []Finding        `json:"findings"`
	FollowUps   []string         `json:"follow_ups"`
	Before      *Inventory       `json:"inventory_before,omitempty"`
	After       *Inventory       `json:"inventory_after,omitempty"`
	NewKeys     []NewKeyRecord   `json:"new_keys,omitempty"`
	Support     provider.Support `json:"support"`
	Timeline    []JournalEntry   `json:"timeline"`
	JournalHash string           `json:"journal_hash"`
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

// BuildReport assembles the report from the engine's state.
func (e *Engine) BuildReport() *Report {
	views := e.Views()
	e.mu.Lock()
	defer e.mu.Unlock()
	inc, a := e.inc, e.acct()
	info := e.prov.Info()
	r := &Report{Incident: inc.ID, Title: inc.Title, Drill: inc.Drill, Provider: info.Name, Generated: e.Now(), Opened: inc.Created,
		Before: a.Before, After: a.After, NewKeys: a.NewKeys, Support: info.Support, Timeline: inc.Journal, JournalHash: inc.JournalHead()}
	if a.Before != nil && a.Before.Account != nil {
		r.Account = provider.Sanitize(a.Before.Account.Username + " <" + a.Before.Account.Email + ">")
	}
	tri := a.Step(StepTriage).Answers
	r.Detected, r.Suspended = tri["detected"], tri["suspended"]
	r.RootCause = a.Step(StepReport).Answers["root_cause"]
	if r.RootCause == "" {
		r.RootCause = rootCauseGuess(a)
	}
	for _, v := range views {
		r.Steps = append(r.Steps, ReportStep{Phase: v.Def.Phase, ID: v.Def.ID, Title: v.Def.Title, Mode: v.Mode, Status: v.State.Status, Reason: firstNonEmpty(v.State.Reason, v.NAWhy), Finished: v.State.Finished, Evidence: v.State.Evidence})
	}
	for _, j := range inc.Journal {
		if j.Outcome == "ok" || j.Outcome == "failed" || j.Outcome == "already done" || j.Outcome == "dry-run" {
			if j.Action != "complete step" {
				r.Actions = append(r.Actions, j)
			}
		}
	}
	r.Findings = a.Findings
	for _, f := range a.Findings {
		if !f.Resolved && f.Target.Kind != "mail" && f.Target.Kind != "ip" && f.Severity != Low {
			r.FollowUps = append(r.FollowUps, "Open finding: "+f.Title)
		}
	}
	if e.SessionKeyID != "" {
		r.FollowUps = append(r.FollowUps, fmt.Sprintf("Revoke the key reclaim used for this recovery (%s…) in the console once you no longer need it.", short(e.SessionKeyID)))
	}
	for _, v := range views {
		if v.State.Status == StatusSkipped {
			r.FollowUps = append(r.FollowUps, fmt.Sprintf("Step skipped: %s (%s)", v.Def.Title, v.State.Reason))
		}
		if v.State.Status == StatusTodo {
			r.FollowUps = append(r.FollowUps, "Step not done: "+v.Def.Title)
		}
	}
	for _, k := range a.NewKeys {
		if k.Verified.IsZero() {
			r.FollowUps = append(r.FollowUps, fmt.Sprintf("Verify the new key %s (%s…) works", k.Name, short(k.ID)))
		}
	}
	if info.GraceWindow > 0 {
		r.FollowUps = append(r.FollowUps, fmt.Sprintf("Re-check after %s that the old credentials fail (%s's grace window).", info.GraceWindow, info.Name))
	}
	done, total := 0, 0
	for _, s := range r.Steps {
		total++
		if s.Status == StatusDone {
			done++
		}
	}
	open := 0
	for _, f := range r.Findings {
		if !f.Resolved {
			open++
		}
	}
	r.Summary = []string{
		fmt.Sprintf("%d of %d steps done; %d actions taken against the account.", done, total, countOK(r.Actions)),
		fmt.Sprintf("%d findings, %d resolved, %d open.", len(r.Findings), len(r.Findings)-open, open),
	}
	return r
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

// JSON renders the report as indented JSON.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }

// Markdown renders the report for pasting into a support ticket.
func (r *Report) Markdown() string {
	var b strings.Builder
	s := provider.Sanitize
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	title := "Account recovery report"
	if r.Drill {
		title = "DRILL — account recovery report (simulated account)"
	}
	w("# %s\n\n", title)
	w("- Incident: %s — %s\n", r.Incident, s(r.Title))
	w("- Provider: %s\n", r.Provider)
	if r.Account != "" {
		w("- Account: %s\n", r.Account)
	}
	w("- Opened: %s\n- Report generated: %s\n", utc(r.Opened), utc(r.Generated))
	if r.Detected != "" {
		w("- Detected by: %s; suspended: %s\n", r.Detected, r.Suspended)
	}
	w("\n## Summary\n\n")
	for _, l := range r.Summary {
		w("- %s\n", l)
	}
	if r.RootCause != "" {
		w("\n**Root cause:** %s\n", s(r.RootCause))
	}
	w("\n## Steps\n\n| Phase | Step | How | Status | Finished (UTC) |\n|---|---|---|---|---|\n")
	for _, st := range r.Steps {
		status := string(st.Status)
		if st.Reason != "" {
			status += " (" + s(st.Reason) + ")"
		}
		fin := ""
		if !st.Finished.IsZero() {
			fin = utc(st.Finished)
		}
		w("| %s | %s | %s | %s | %s |\n", st.Phase, st.Title, st.Mode, mdCell(status), fin)
	}
	w("\n## Actions taken\n\n")
	if len(r.Actions) == 0 {
		w("None.\n")
	}
	for _, a := range r.Actions {
		w("- %s — %s: %s (%s)\n", utc(a.At), a.Action, mdCell(s(a.Detail)), a.Outcome)
	}
	w("\n## Findings\n\n")
	if len(r.Findings) == 0 {
		w("None.\n")
	}
	for _, f := range r.Findings {
		state := "open"
		if f.Resolved {
			state = "resolved"
		}
		w("- [%s] %s — %s (evidence: %s)\n", f.Severity, s(f.Title), state, s(f.Evidence))
	}
	if len(r.NewKeys) > 0 {
		w("\n## Replacement keys\n\n")
		for _, k := range r.NewKeys {
			ver := "not verified"
			if !k.Verified.IsZero() {
				ver = "verified " + utc(k.Verified)
			}
			w("- %s (id %s…, scopes %s), created %s, %s\n", s(k.Name), short(k.ID), strings.Join(k.Scopes, ", "), utc(k.Created), ver)
		}
	}
	w("\n## Inventory before and after\n\n| | Before | After |\n|---|---|---|\n")
	for _, row := range inventoryRows(r.Before, r.After) {
		w("| %s | %s | %s |\n", row[0], row[1], row[2])
	}
	if m := r.Before; m != nil && m.Mail != nil {
		w("\nMail in the last 30 days: %d messages. Most frequent subjects:\n\n", m.Mail.Total)
		for i, sc := range m.Mail.Subjects {
			if i == 10 {
				break
			}
			w("- %d × %s (from %s)\n", sc.Count, mdCell(s(sc.Subject)), s(sc.From))
		}
	}
	w("\n## Open follow-ups\n\n")
	if len(r.FollowUps) == 0 {
		w("None.\n")
	}
	for _, f := range r.FollowUps {
		w("- [ ] %s\n", s(f))
	}
	w("\n## Support\n\n")
	if r.Support.Email != "" {
		w("Send to %s. ", r.Support.Email)
	}
	if r.Support.URL != "" {
		w("Support: %s. ", r.Support.URL)
	}
	w("%s\n", r.Support.Instructions)
	w("\n## Timeline (UTC)\n\n")
	for _, j := range r.Timeline {
		w("- %s %s%s — %s %s\n", utc(j.At), stepTag(j.Step), j.Action, j.Outcome, mdCell(s(j.Detail)))
	}
	w("\n---\nJournal chain hash: `%s` (%d entries)\n", r.JournalHash, len(r.Timeline))
	return b.String()
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
			n = append(n, w.Kind+" "+provider.SanitizeN(w.URL, 60))
		}
		return listCell(n)
	}
	fwd := func(inv *Inventory) string {
		var n []string
		for _, m := range inv.MailSettings {
			if m.Enabled {
				n = append(n, m.Name)
			}
		}
		return listCell(n)
	}
	allow := func(inv *Inventory) string {
		var n []string
		for _, r := range inv.AllowList {
			n = append(n, r.CIDR)
		}
		return listCell(n)
	}
	return [][3]string{
		{"API keys", keys(b), keys(a)},
		{"Teammates and invites", team(b), team(a)},
		{"Subusers", subs(b), subs(a)},
		{"Webhooks and parse routes", hooks(b), hooks(a)},
		{"Mail settings on", fwd(b), fwd(a)},
		{"IP allow list", allow(b), allow(a)},
	}
}

func listCell(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return mdCell(fmt.Sprintf("%d: %s", len(items), strings.Join(items, ", ")))
}

// WriteReport writes report.md and report.json into the incident folder.
func (e *Engine) WriteReport() (*Report, error) {
	r := e.BuildReport()
	if e.h == nil {
		return r, nil
	}
	js, err := r.JSON()
	if err != nil {
		return nil, err
	}
	if err := WriteFileAtomic(filepath.Join(e.h.Dir, ReportMD), []byte(r.Markdown())); err != nil {
		return nil, err
	}
	if err := WriteFileAtomic(filepath.Join(e.h.Dir, ReportJSON), js); err != nil {
		return nil, err
	}
	return r, nil
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
		e.journalLocked(StepReport, "close incident", "", "info", "all steps finished; report written")
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
	secs := []string{SecAccount, SecKeys, SecTeammates, SecSubusers, SecWebhooks, SecMail, SecSenders, SecAllow, SecActivity}
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
