package checklist

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"reclaim/provider"
	"reclaim/provider/drill"
)

// Incidents start from the baseline: when the account has one, the "before"
// inventory is compared with it. What was added since is a finding ("new
// since the baseline of DATE"), what was removed or changed too, and what
// is unchanged is "known at baseline": the owner's, as far as the snapshot
// they took while the account was healthy shows, a third kind of evidence
// beside what reclaim read back (verified) and what the owner said
// (attested). The report names the baseline used.

// LevelBaseline is the evidence level of what rests on a baseline: objects
// unchanged since it, and a review that rests on them.
const LevelBaseline Level = "known at baseline"

// Baseline sources.
const (
	BaselineFromStore = "state directory"
	BaselineFromDrill = "the drill scenario's known-good state"
)

// BaselineUse is the baseline an incident started from (or the one it
// refused, and why).
type BaselineUse struct {
	ID      string    `json:"id,omitempty"`
	TakenAt time.Time `json:"taken_at,omitzero"`
	Digest  string    `json:"digest,omitempty"`
	Signer  string    `json:"signer,omitempty"`
	Source  string    `json:"source"`
	// Inventory is the baseline's (normalized) inventory, which the
	// analysis compares every later inventory with.
	Inventory *Inventory `json:"inventory,omitempty"`
	// Refused says why the newest baseline was not used (altered,
	// unsigned): it is a finding of its own.
	Refused string `json:"refused,omitempty"`
	// AtStart are the changes (ChangeKey) the first inventory showed: later
	// inventories report only those that remain. What the recovery itself
	// adds or removes (a replacement key, an allow-list entry, a revoked
	// key) is no change since the baseline; what strikes mid-incident the
	// analysis flags by itself.
	AtStart []string `json:"at_start,omitempty"`
	Started bool     `json:"started,omitempty"`

	// known caches the objects known at baseline in the last analysis
	// (Analyze sets it), so that views need not compare again.
	known    []string
	knownSet bool
}

// remember keeps what the analysis found known at baseline.
func (u *BaselineUse) remember(c *Comparison) {
	if u == nil || c == nil {
		return
	}
	u.known, u.knownSet = c.Known, true
}

// ChangeKey identifies a change: "added:key:<id>".
func (c Change) ChangeKey() string { return c.Change + ":" + c.Kind + ":" + c.ID }

// Date is how findings and the report name the baseline.
func (u *BaselineUse) Date() string { return u.TakenAt.UTC().Format("2006-01-02 15:04Z") }

// compare is the comparison of an inventory with the baseline (nil without
// a usable one).
func (u *BaselineUse) compare(inv *Inventory, sessionKeyID string) *Comparison {
	if u == nil || u.Inventory == nil || u.Refused != "" || inv == nil {
		return nil
	}
	// The analysis sees no deactivated key (analysisViewLocked): neither
	// does the baseline it is held against.
	base := *u.Inventory
	base.Keys = slices.DeleteFunc(slices.Clone(base.Keys), func(k provider.APIKey) bool { return k.Inactive })
	c := Compare(&base, inv, u.Date(), CompareOptions{SessionKeyID: sessionKeyID})
	if u.Started {
		c.Changes = slices.DeleteFunc(c.Changes, func(ch Change) bool { return !slices.Contains(u.AtStart, ch.ChangeKey()) })
	}
	return c
}

// findBaseline finds the baseline an incident starts from, reading the
// provider only for a drill (its known-good account). nil when there is
// none; a BaselineUse with Refused when the newest cannot be used.
func (e *Engine) findBaseline(ctx context.Context, inv *Inventory) *BaselineUse {
	e.mu.Lock()
	a := e.acct()
	if a.Baseline != nil {
		e.mu.Unlock()
		return nil
	}
	store, prov, providerID := e.Baselines, e.prov, a.Provider
	e.mu.Unlock()
	if d := drill.Of(prov); d != nil {
		kg := d.KnownGood()
		at := d.BaselineAt()
		inv, err := TakeInventory(ctx, kg.Styled(), at)
		if err != nil || inv == nil {
			return nil
		}
		b := NewBaseline(inv, prov.Info(), at)
		b.Drill, b.Scenario = true, d.Scenario().ID
		// The same drill gets the same baseline id.
		b.ID = at.UTC().Format("20060102-150405") + "-" + shortHash(b.Scenario)[:4] + "-drill"
		if _, err := b.Encode(); err != nil {
			return nil
		}
		return &BaselineUse{ID: b.ID, TakenAt: at, Digest: b.Seal.Digest, Source: BaselineFromDrill, Inventory: b.Inventory}
	}
	if store == nil || store.Dir == "" {
		return nil
	}
	b, err := store.Latest(providerID, AccountLabel(inv))
	if errors.Is(err, ErrNoBaseline) {
		return nil
	}
	if err != nil {
		return &BaselineUse{Source: BaselineFromStore, Refused: provider.SanitizeN(err.Error(), 400)}
	}
	u := &BaselineUse{ID: b.ID, TakenAt: b.TakenAt, Signer: b.Signer, Source: BaselineFromStore, Inventory: b.Inventory}
	if b.Seal != nil {
		u.Digest = b.Seal.Digest
	}
	return u
}

// adoptBaselineLocked records the baseline the incident starts from and
// journals what the comparison found.
func (e *Engine) adoptBaselineLocked(u *BaselineUse) {
	a := e.acct()
	if u == nil || a.Baseline != nil {
		return
	}
	a.Baseline = u
	if u.Refused != "" {
		e.journalLocked(StepInventory, ActionCompareBaseline, "", "failed", "the newest baseline was refused: "+u.Refused)
		return
	}
	c := u.compare(e.analysisViewLocked(a.Before), e.SessionKeyID)
	if c == nil {
		return
	}
	for _, ch := range c.Changes {
		u.AtStart = append(u.AtStart, ch.ChangeKey())
	}
	u.Started = true
	detail := fmt.Sprintf("baseline %s of %s (%s, sha256 %s): %s", u.ID, u.Date(), u.Source, shortHex(u.Digest), c.summary())
	e.journalLocked(StepInventory, ActionCompareBaseline, "", "ok", detail)
	st := a.Step(StepInventory)
	st.Evidence = append(st.Evidence, Evidence{At: e.Now(), Kind: "baseline", Summary: detail})
}

// ActionCompareBaseline is the journal action of comparing the first
// inventory with the baseline.
const ActionCompareBaseline = "compare with baseline"

// summary counts a comparison: "12 objects known at baseline, 3 new, 1
// changed, 0 removed".
func (c *Comparison) summary() string {
	n := map[string]int{}
	for _, ch := range c.Changes {
		n[ch.Change]++
	}
	s := fmt.Sprintf("%d objects known at baseline, %d new, %d changed, %d removed", len(c.Known), n[ChangeAdded], n[ChangeChanged], n[ChangeRemoved])
	if n[ChangeSpike] > 0 {
		s += fmt.Sprintf(", %s", plural(n[ChangeSpike], "sending spike"))
	}
	if len(c.Unchecked) > 0 {
		s += "; not compared: " + strings.Join(sortedKeys(c.Unchecked), ", ")
	}
	return s
}

// ---- analysis ----

// baselineNote is the detail of a finding kept, lowered, on an object known
// at baseline.
func baselineNote(date string) string {
	return "It is known at baseline (unchanged since the baseline of " + date + "), so reclaim does not propose removing it."
}

// markKnown adds the objects known at baseline to the vouched set.
func (c *Comparison) markKnown(vouched map[string]bool) map[string]bool {
	if c == nil {
		return nil
	}
	known := map[string]bool{}
	for _, k := range c.Known {
		if !vouched[k] {
			known[k] = true
			vouched[k] = true
		}
	}
	return known
}

// withBaseline finishes the analysis: findings lowered because their
// object is known at baseline say so (not "you marked it as yours"), and
// every change since the baseline is a finding.
func withBaseline(out []Finding, c *Comparison, known map[string]bool, u *BaselineUse, inv *Inventory) []Finding {
	if u != nil && u.Refused != "" {
		out = append(out, Finding{ID: "baseline-refused", Severity: High, Title: "The newest baseline was refused, so nothing is known at baseline",
			Detail:   provider.SanitizeN(u.Refused, 300) + " A baseline that was altered may hide what the attacker added: check the baselines folder, and record a new one once the account is clean.",
			Evidence: "baselines in the state directory", Target: Target{Kind: "account"}, Source: "inventory"})
		return out
	}
	if c == nil {
		return out
	}
	date := u.Date()
	for i := range out {
		k := ReviewKey(out[i].Target.Kind, out[i].Target.ID)
		if known[k] && strings.HasPrefix(out[i].Detail, vouchedNote) {
			out[i].Detail = strings.TrimSpace(baselineNote(date) + strings.TrimPrefix(out[i].Detail, vouchedNote))
		}
	}
	ev := fmt.Sprintf("baseline %s of %s against the inventory of %s", u.ID, date, inv.TakenAt.UTC().Format("2006-01-02 15:04Z"))
	have := map[string]bool{}
	for _, f := range out {
		have[f.ID] = true
	}
	for _, ch := range c.Changes {
		// The analysis already says it of the mail (a spike, a subject).
		if (ch.Kind == "mail" && have["mail-spike:"+ch.ID]) || (ch.Kind == "mail_subject" && have["mail-subject:"+ch.ID]) {
			continue
		}
		// Something new that is now disabled or off (the recovery
		// disabled the attacker's subuser) does no harm while it stays so.
		if ch.Change == ChangeAdded && ch.Inactive {
			continue
		}
		f := changeFinding(ch, ev, date)
		if i := findingOn(out, f.Target); i >= 0 {
			// The analysis already flags the object (created lately, an
			// outside address): that finding now says first what the
			// baseline shows, and keeps its own reason and fix.
			o := &out[i]
			o.Detail = strings.TrimSpace(o.Title + ". " + o.Detail + " " + f.Detail)
			o.Title, o.Evidence = f.Title, o.Evidence+"; "+ev
			if sevRank[f.Severity] > sevRank[o.Severity] {
				o.Severity = f.Severity
			}
			if o.Fix == "" {
				o.Fix = f.Fix
			}
			continue
		}
		out = append(out, f)
	}
	return out
}

// findingOn is the index of the open finding about a target that the
// baseline's word goes with (one with a fix first), or -1.
func findingOn(out []Finding, t Target) int {
	at := -1
	for i, f := range out {
		if f.Resolved || f.Target.Kind != t.Kind || f.Target.ID != t.ID || strings.HasPrefix(f.ID, "key-leaked:") || strings.Contains(f.ID, "-name:") {
			continue
		}
		if f.Fix != "" {
			return i
		}
		if at < 0 {
			at = i
		}
	}
	return at
}

// changeFinding is the finding a change since the baseline makes.
func changeFinding(ch Change, evidence, date string) Finding {
	f := Finding{ID: "baseline-" + ch.Change + ":" + ch.Kind + ":" + ch.ID, Severity: ch.Severity, Title: ch.Title, Evidence: evidence, Source: "inventory",
		Target: Target{Kind: ch.Kind, ID: ch.ID, Name: ch.Name}}
	switch ch.Kind {
	case "domain":
		f.Target.Kind = "sender"
	case "allow_rule":
		f.Target.Kind = "ip"
	case "mail_from", "mail_subject":
		f.Target.Kind = "mail"
	}
	switch ch.Change {
	case ChangeAdded:
		f.Detail = "It was not there at the baseline of " + date + ": unless you added it since, it is the attacker's."
		f.Fix = map[string]ActionKind{"key": ActRevokeKey, "teammate": ActRemoveTeammate, "invite": ActRemoveInvite, "subuser": ActDisableSubuser,
			"webhook": ActDeleteWebhook, "parse": ActDeleteWebhook, "route": ActDeleteWebhook}[ch.Kind]
		if ch.Kind == "mail_setting" && ch.Severity == High {
			f.Fix = ActDisableMailSetting
		}
	case ChangeRemoved:
		f.Detail = "It was there at the baseline of " + date + ". If you did not remove it, the attacker did: put it back in the console."
	case ChangeChanged:
		f.Detail = "At the baseline of " + date + " it was otherwise: " + strings.Join(ch.Details, "; ") + "."
		switch {
		case ch.Kind == "key" && ch.Severity == High:
			f.Fix = ActRevokeKey
		case ch.Kind == "mail_setting" && ch.Severity == High:
			f.Fix = ActDisableMailSetting
		case (ch.Kind == "webhook" || ch.Kind == "parse" || ch.Kind == "route") && ch.Severity == High:
			f.Fix = ActDeleteWebhook
		}
	case ChangeSpike:
		f.Detail = strings.Join(ch.Details, "; ") + "."
	}
	return f
}

// ---- the review ----

// knownAtBaselineLocked lists the review objects of the current inventory
// known at baseline (none without a usable baseline).
func (e *Engine) knownAtBaselineLocked() []string {
	a := e.acct()
	if a.Baseline != nil && a.Baseline.knownSet {
		return a.Baseline.known // the last analysis's: it ran on the current inventory
	}
	c := a.Baseline.compare(e.analysisViewLocked(a.Current()), e.SessionKeyID)
	if c == nil {
		return nil
	}
	a.Baseline.remember(c)
	return c.Known
}

// reviewBaselineOutcome is the review's outcome when objects are known at
// baseline (ok false: no baseline, the usual outcome applies). Objects the
// owner vouched for count as attested, the others known at baseline as
// such, the rest stay unreviewed.
func (e *Engine) reviewBaselineOutcome(now time.Time, total, vouched int, atts []Attestation) (Status, Level, string, []Attestation, bool) {
	a := e.acct()
	known := 0
	for _, k := range e.knownAtBaselineLocked() {
		if !slices.Contains(a.Vouched, k) {
			known++
		}
	}
	if known == 0 {
		return "", "", "", nil, false
	}
	u := a.Baseline
	left := max(total-vouched-known, 0)
	// (the report's baseline section names it, with its digest: the
	// statement stays short enough for the footer at 80x24)
	base := fmt.Sprintf("%d of %d account objects are known at baseline (unchanged since the baseline of %s)", known, total, u.Date())
	if vouched == 0 {
		return StatusDone, LevelBaseline, fmt.Sprintf("%s; the other %d are new or changed since and count as unknown.", base, left), atts, true
	}
	return StatusDone, LevelAttested, fmt.Sprintf("%s marked %d of %d account objects as the owner's at %s; %s; the other %d stay unreviewed and count as unknown.", e.attesterLocked(), vouched, total, hhmm(now), base, left), atts, true
}

// ---- the report ----

// BaselineReport is what the report says of the baseline the incident
// started from.
type BaselineReport struct {
	ID      string    `json:"id,omitempty"`
	TakenAt time.Time `json:"taken_at,omitzero"`
	Digest  string    `json:"digest,omitempty"`
	Signer  string    `json:"signer,omitempty"`
	Source  string    `json:"source"`
	Refused string    `json:"refused,omitempty"`
	// Known are the labels of the objects known at baseline when the
	// incident began; New, Changed and Removed count the rest.
	Known   []string `json:"known,omitempty"`
	New     int      `json:"new"`
	Changed int      `json:"changed"`
	Removed int      `json:"removed"`
	Spikes  int      `json:"spikes,omitempty"`
}

// baselineReportLocked builds the report's baseline part (nil without one).
func (e *Engine) baselineReportLocked() *BaselineReport {
	a := e.acct()
	u := a.Baseline
	if u == nil {
		return nil
	}
	r := &BaselineReport{ID: provider.SanitizeN(u.ID, 80), TakenAt: u.TakenAt, Digest: u.Digest, Signer: provider.Sanitize(u.Signer), Source: u.Source, Refused: provider.Sanitize(u.Refused)}
	c := u.compare(e.analysisViewLocked(a.Before), e.SessionKeyID)
	if c == nil {
		return r
	}
	labels := map[string]string{}
	for _, o := range ReviewObjects(a.Before, e.SessionKeyID) {
		labels[o.Key] = o.Label
	}
	// Known at baseline says whose an object is, not that it is safe: what
	// else was found on it (a key in leaked material) goes with it.
	also := map[string][]string{}
	for _, f := range a.Findings {
		k := ReviewKey(f.Target.Kind, f.Target.ID)
		if f.Severity == Low || strings.HasPrefix(f.ID, "baseline-") || len(also[k]) >= 2 {
			continue
		}
		note := provider.SanitizeN(f.Title, 120)
		if f.Resolved {
			note += " (resolved)"
		}
		also[k] = append(also[k], note)
	}
	for _, k := range c.Known {
		l := firstNonEmpty(labels[k], provider.SanitizeN(k, 80))
		if n := also[k]; len(n) > 0 {
			l += " — but: " + strings.Join(n, "; ")
		}
		r.Known = append(r.Known, l)
	}
	for _, ch := range c.Changes {
		switch ch.Change {
		case ChangeAdded:
			r.New++
		case ChangeChanged:
			r.Changed++
		case ChangeRemoved:
			r.Removed++
		case ChangeSpike:
			r.Spikes++
		}
	}
	return r
}

// Line is the report's one-line statement of the baseline used.
func (b *BaselineReport) Line() string {
	if b == nil {
		return ""
	}
	if b.Refused != "" {
		return "REFUSED (" + b.Refused + "); the incident started without a baseline."
	}
	s := fmt.Sprintf("%s of %s, from %s (sha256 %s", b.ID, b.TakenAt.UTC().Format("2006-01-02 15:04Z"), b.Source, shortHex(b.Digest))
	if b.Signer != "" {
		s += ", signed by " + b.Signer
	}
	s += fmt.Sprintf("): %d objects known at baseline, %d new since, %d changed, %d removed", len(b.Known), b.New, b.Changed, b.Removed)
	if b.Spikes > 0 {
		s += ", " + plural(b.Spikes, "sending spike")
	}
	return s + "."
}

// knownShown caps the objects known at baseline a report lists.
const knownShown = 30

// KnownLines lists the objects known at baseline for the report, capped.
func (b *BaselineReport) KnownLines() []string {
	if b == nil {
		return nil
	}
	out := slices.Clone(b.Known)
	if len(out) > knownShown {
		out = append(out[:knownShown], fmt.Sprintf("and %d more", len(b.Known)-knownShown))
	}
	return out
}

// baselineMarkdown is the report's "Known at baseline" section.
func (r *Report) baselineMarkdown() string {
	b := r.Baseline
	if b == nil || len(b.Known) == 0 {
		return ""
	}
	var s strings.Builder
	s.WriteString("\n## Known at baseline\n\n")
	fmt.Fprintf(&s, "Unchanged since the baseline %s of %s (evidence: **known at baseline**). That says the object was there when the account was healthy, so it is the owner's, not that it is safe: what else was found on it is named.\n\n", mdText(b.ID), b.TakenAt.UTC().Format("2006-01-02 15:04Z"))
	for _, l := range b.KnownLines() {
		fmt.Fprintf(&s, "- %s\n", mdText(l))
	}
	return s.String()
}
