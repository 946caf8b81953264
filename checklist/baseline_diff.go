package checklist

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"reclaim/provider"
)

// Change kinds.
const (
	ChangeAdded   = "added"
	ChangeRemoved = "removed"
	ChangeChanged = "changed"
	ChangeSpike   = "spike"
)

// Change is one difference between a baseline and the account now. Title
// and Details are sanitized for terminals, mail and webhooks; ID and Name
// are the provider's own (an action takes them), so JSON carrying them is
// escaped for terminals (EscapeJSONForTerminal) and text shows them
// sanitized.
type Change struct {
	Change   string `json:"change"` // added, removed, changed, spike
	Kind     string `json:"kind"`   // key, teammate, invite, subuser, webhook, parse, route, mail_setting, sender, domain, allow_rule, secret, account, mail, mail_from, mail_subject
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	Severity string `json:"severity"`
	// Title is the sentence shown ("New API key "x" since the baseline of
	// 2025-01-02 10:00Z"); Details the field changes it rests on.
	Title   string   `json:"title"`
	Details []string `json:"details,omitempty"`
	// ReviewKey is the object's ReviewObject key, when it is one.
	ReviewKey string `json:"review_key,omitempty"`
	// Inactive: the object is disabled, deactivated or off now (harmless
	// while it stays so).
	Inactive bool `json:"inactive,omitempty"`
}

// CompareOptions tune Compare.
type CompareOptions struct {
	// SessionKeyID is the key reclaim connects with: a key made for the
	// recovery is no drift.
	SessionKeyID string
	// Skip are keys ("key:<id>") reclaim itself made, never reported.
	Skip []string
}

// Comparison is what Compare found.
type Comparison struct {
	Changes []Change `json:"changes"`
	// Unchecked are sections that could not be compared, with why (not
	// read now, not in the baseline).
	Unchecked map[string]string `json:"unchecked,omitempty"`
	// Incomplete are sections read only in part (a cap, the time limit):
	// what was read was compared, but nothing is called removed.
	Incomplete map[string]string `json:"incomplete,omitempty"`
	// NotInBaseline are sections read now that the baseline did not read
	// (recorded by an older reclaim, or unreadable then): a new baseline
	// compares them.
	NotInBaseline map[string]string `json:"not_in_baseline,omitempty"`
	// Known are the ReviewObject keys of objects unchanged since the
	// baseline: "known at baseline".
	Known []string `json:"known,omitempty"`
}

// bobj is one account object as a baseline compares it.
type bobj struct {
	kind   string // a Change kind
	ident  string // identity within its kind
	id     string // the id actions take (Target.ID); ident when empty
	rk     string // ReviewObject key, "" when none
	name   string // raw name (sanitized when shown)
	what   string // "API key", "teammate", …
	off    bool   // disabled, deactivated or off: no review object
	fields []bfield
}

// bfield is one compared property. set fields compare as sets of items.
type bfield struct {
	name  string
	value string
	set   []string
}

func (o bobj) field(name string) bfield {
	for _, f := range o.fields {
		if f.name == name {
			return f
		}
	}
	return bfield{}
}

// baselineSecSecrets is the account secrets' inventory section.
const baselineSecSecrets = SecSecrets

// baselineSections are the compared sections, in report order.
var baselineSections = []string{SecAccount, SecKeys, SecTeammates, SecSubusers, SecWebhooks, SecMail, SecSenders, SecAllow, baselineSecSecrets, SecMessages}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func baselineWebhookKind(w provider.Webhook) string {
	switch w.Kind {
	case provider.WebhookParse:
		return "parse"
	case provider.WebhookRoute:
		return "route"
	}
	return "webhook"
}

// webhookID is a webhook's identity: kind, domain and id (the URL and
// hostname when the provider gives no id).
func webhookID(w provider.Webhook) string {
	id := w.ID
	if id == "" {
		id = w.Hostname + " " + w.URL
	}
	if w.Domain != "" {
		id = w.Domain + "/" + id
	}
	return baselineWebhookKind(w) + ":" + id
}

// objectsOf lists a section's objects.
func objectsOf(inv *Inventory, sec string) []bobj {
	var out []bobj
	switch sec {
	case SecAccount:
		if a := inv.Account; a != nil {
			out = append(out, bobj{kind: "account", ident: "account", name: a.Username, what: "account", fields: []bfield{
				{name: "username", value: a.Username}, {name: "email", value: a.Email}, {name: "company", value: a.Company}}})
		}
	case SecKeys:
		for _, k := range inv.Keys {
			scopes := slices.Clone(k.Scopes)
			slices.Sort(scopes)
			out = append(out, bobj{kind: "key", ident: k.ID, rk: ReviewKey("key", k.ID), name: k.Name, what: "API key", off: k.Inactive, fields: []bfield{
				{name: "name", value: k.Name}, {name: "scopes", set: slices.Compact(scopes)}, {name: "full access", value: boolWord(k.FullAccess)},
				{name: "active", value: boolWord(!k.Inactive)}, {name: "master", value: boolWord(k.Master)}, {name: "subuser", value: k.Subuser}}})
		}
	case SecTeammates:
		for _, t := range inv.Teammates {
			kind, what, name := "teammate", "teammate", t.Username
			if t.Pending {
				kind, what, name = "invite", "pending invite for", t.Email
			}
			id := teammateID(t)
			o := bobj{kind: kind, ident: id, rk: ReviewKey(kind, id), name: name, what: what, fields: []bfield{
				{name: "email", value: strings.ToLower(t.Email)}, {name: "admin", value: boolWord(t.Admin)}, {name: "role", value: t.Role},
				{name: "owner", value: boolWord(t.Owner)}, {name: "two-factor", value: t.TwoFactor}, {name: "name", value: t.Name}}}
			if t.Owner {
				o.rk = ""
			}
			out = append(out, o)
		}
	case SecSubusers:
		for _, s := range inv.Subusers {
			out = append(out, bobj{kind: "subuser", ident: s.Username, rk: ReviewKey("subuser", s.Username), name: s.Username, what: "subuser", off: s.Disabled, fields: []bfield{
				{name: "email", value: strings.ToLower(s.Email)}, {name: "enabled", value: boolWord(!s.Disabled)}}})
		}
	case SecWebhooks:
		for _, w := range inv.Webhooks {
			kind := baselineWebhookKind(w)
			what := map[string]string{"webhook": "event webhook", "parse": "inbound-parse route", "route": "inbound route"}[kind]
			name := w.URL
			if kind == "parse" && w.Hostname != "" {
				name = w.Hostname + " -> " + w.URL
			}
			out = append(out, bobj{kind: kind, ident: webhookID(w), id: w.ID, rk: ReviewKey(kind, w.ID), name: name, what: what, off: !w.Enabled, fields: []bfield{
				{name: "URL", value: w.URL}, {name: "hostname", value: w.Hostname}, {name: "filter", value: w.Filter}, {name: "enabled", value: boolWord(w.Enabled)}}})
		}
	case SecMail:
		for _, m := range inv.MailSettings {
			out = append(out, bobj{kind: "mail_setting", ident: m.Name, rk: ReviewKey("mail_setting", m.Name), name: m.Name, what: "mail setting", off: !m.Enabled, fields: []bfield{
				{name: "enabled", value: boolWord(m.Enabled)}, {name: "value", value: m.Value}, {name: "forwards", value: boolWord(m.Forwards)}}})
		}
	case SecSenders:
		for _, s := range inv.Senders {
			kind, what := "sender", "sender identity"
			if s.Kind == "domain" {
				kind, what = "domain", "authenticated domain"
			}
			out = append(out, bobj{kind: kind, ident: s.ID, rk: ReviewKey("sender", s.ID), name: s.Address, what: what, fields: []bfield{
				{name: "address", value: strings.ToLower(s.Address)}, {name: "verified", value: boolWord(s.Verified)}}})
		}
	case SecAllow:
		for _, r := range inv.AllowList {
			out = append(out, bobj{kind: "allow_rule", ident: r.CIDR, name: r.CIDR, what: "IP allow-list entry"})
		}
	case baselineSecSecrets:
		for _, s := range inv.Secrets {
			out = append(out, bobj{kind: "secret", ident: s.ID, name: firstNonEmpty(s.Name, s.ID), what: "account secret", fields: []bfield{
				{name: "kind", value: s.Kind}, {name: "name", value: s.Name}, {name: "domain", value: s.Domain}}})
		}
	}
	return out
}

// sectionState says whether a section can be compared: read in both,
// and whether either read stopped early.
func sectionState(base, cur *Inventory, sec string) (ok bool, why string, partial string) {
	inBase, inCur := slices.Contains(base.Read, sec), slices.Contains(cur.Read, sec)
	switch {
	case sec == baselineSecSecrets && !inBase && !inCur && len(base.Secrets) == 0 && len(cur.Secrets) == 0:
		return false, "", ""
	case !inBase && !inCur:
		return false, "", "" // not read then nor now (the provider cannot, or the key may not): nothing changed
	case !inCur:
		if msg, failed := cur.Errors[sec]; failed {
			return false, "could not be read now: " + msg, ""
		}
		return false, "not read now", ""
	case !inBase:
		if msg, failed := base.Errors[sec]; failed {
			return false, notInBaseline + "could not be read at the baseline (" + msg + "): record a new baseline", ""
		}
		return false, notInBaseline + "not in the baseline (recorded before reclaim read it): record a new baseline", ""
	}
	var parts []string
	if why, cut := base.Truncated[sec]; cut {
		parts = append(parts, "at the baseline: "+why)
	}
	if why, cut := cur.Truncated[sec]; cut {
		parts = append(parts, "now: "+why)
	}
	return true, "", strings.Join(parts, "; ")
}

// notInBaseline marks a sectionState reason that is news, not an error.
const notInBaseline = "\x00"

// Compare diffs an inventory against a baseline's, section by section.
// Both are normalized first (normalizeInventory), so a baseline file and a
// live read compare like for like. date is how the baseline is named in
// titles ("2025-01-02 10:00Z").
func Compare(base, cur *Inventory, date string, opt CompareOptions) *Comparison {
	base, cur = normalizeInventory(base), normalizeInventory(cur)
	cmp := &Comparison{Unchecked: map[string]string{}, Incomplete: map[string]string{}, NotInBaseline: map[string]string{}}
	if base == nil || cur == nil {
		cmp.Unchecked["all"] = "no inventory to compare"
		return cmp
	}
	skip := map[string]bool{}
	for _, k := range opt.Skip {
		skip[k] = true
	}
	if opt.SessionKeyID != "" {
		skip[ReviewKey("key", opt.SessionKeyID)] = true
	}
	// A review key is known only when every object it names is unchanged.
	knownOK := map[string]bool{}
	knownBad := map[string]bool{}
	for _, sec := range baselineSections {
		ok, why, partial := sectionState(base, cur, sec)
		if news, isNews := strings.CutPrefix(why, notInBaseline); isNews {
			cmp.NotInBaseline[sec] = provider.SanitizeN(news, 300)
		} else if why != "" {
			cmp.Unchecked[sec] = provider.SanitizeN(why, 300)
		}
		if !ok {
			continue
		}
		if partial != "" {
			cmp.Incomplete[sec] = provider.SanitizeN(partial, 300)
		}
		if sec == SecMessages {
			cmp.Changes = append(cmp.Changes, compareMail(base.Mail, cur.Mail, date)...)
			continue
		}
		old := map[string]bobj{}
		for _, o := range objectsOf(base, sec) {
			old[o.kind+"\x00"+o.ident] = o
		}
		seen := map[string]bool{}
		for _, o := range objectsOf(cur, sec) {
			id := o.kind + "\x00" + o.ident
			seen[id] = true
			if skip[o.rk] {
				continue
			}
			b, was := old[id]
			var c *Change
			if !was {
				c = addedChange(o, date)
				if o.off && sevRank[c.Severity] > sevRank[Low] {
					c.Severity = Low
				}
			} else {
				c = changedObject(b, o, date)
			}
			if c == nil {
				if o.rk != "" && (!o.off || o.kind == "webhook" || o.kind == "parse" || o.kind == "route") {
					knownOK[o.rk] = true // as ReviewObjects lists them
				}
				continue
			}
			c.Inactive = o.off
			if o.rk != "" {
				knownBad[o.rk] = true
			}
			cmp.Changes = append(cmp.Changes, *c)
		}
		if partial != "" {
			continue // a list cut short says nothing of what is missing
		}
		for _, o := range objectsOf(base, sec) {
			if id := o.kind + "\x00" + o.ident; seen[id] || skip[o.rk] {
				continue
			}
			cmp.Changes = append(cmp.Changes, removedChange(o, date))
		}
	}
	for k := range knownOK {
		if !knownBad[k] {
			cmp.Known = append(cmp.Known, k)
		}
	}
	sort.Strings(cmp.Known)
	return cmp
}

// targetID is the object's id as actions take it.
func (o bobj) targetID() string { return firstNonEmpty(o.id, o.ident) }

func showName(o bobj) string {
	if o.kind == "allow_rule" {
		return provider.SanitizeN(o.name, 60)
	}
	return quote(o.name)
}

func idNote(o bobj) string {
	if o.kind == "key" && o.ident != "" {
		return " (id " + provider.SanitizeN(o.ident, 40) + ")"
	}
	return ""
}

func addedChange(o bobj, date string) *Change {
	sev := High
	switch o.kind {
	case "sender", "domain", "allow_rule":
		sev = Medium
	case "mail_setting":
		sev = Low
		if o.field("enabled").value == "yes" {
			sev = Medium
			if o.field("forwards").value == "yes" || o.field("value").value != "" {
				sev = High
			}
		}
	}
	c := &Change{Change: ChangeAdded, Kind: o.kind, ID: o.targetID(), Name: o.name, Severity: sev, ReviewKey: o.rk,
		Title: fmt.Sprintf("New since the baseline of %s: %s %s%s%s", date, o.what, showName(o), idNote(o), addedNote(o))}
	if o.kind == "mail_setting" && o.field("enabled").value == "yes" && o.field("value").value != "" {
		c.Details = append(c.Details, "value "+quote(o.field("value").value))
	}
	return c
}

// addedNote says what a new object is, as far as it matters to whether it
// is the attacker's: a key's access, a person's address and admin rights.
func addedNote(o bobj) string {
	var parts []string
	email := func() {
		if e := o.field("email").value; e != "" && o.kind != "invite" {
			parts = append(parts, "<"+provider.SanitizeN(e, 80)+">")
		}
	}
	switch o.kind {
	case "key":
		switch n := len(o.field("scopes").set); {
		case o.field("full access").value == "yes":
			parts = append(parts, "full access")
		case n > 0:
			parts = append(parts, plural(n, "scope"))
		}
		if o.field("master").value == "yes" {
			parts = append(parts, "master")
		}
		if su := o.field("subuser").value; su != "" {
			parts = append(parts, "of subuser "+quote(su))
		}
	case "teammate", "invite":
		email()
		if o.field("admin").value == "yes" {
			parts = append(parts, "admin")
		}
	case "subuser":
		email()
	}
	if len(parts) == 0 {
		return ""
	}
	if strings.HasPrefix(parts[0], "<") {
		return " " + strings.Join(parts, ", ")
	}
	return ", " + strings.Join(parts, ", ")
}

func removedChange(o bobj, date string) Change {
	sev := Medium
	switch o.kind {
	case "allow_rule":
		sev = High // the account admits more addresses than it did
	case "invite", "secret":
		sev = Low
	}
	return Change{Change: ChangeRemoved, Kind: o.kind, ID: o.targetID(), Name: o.name, Severity: sev, ReviewKey: o.rk,
		Title: fmt.Sprintf("Removed since the baseline of %s: %s %s%s", date, o.what, showName(o), idNote(o))}
}

var sevRank = map[string]int{Low: 1, Medium: 2, High: 3}

// changedObject describes what changed in an object, or nil.
func changedObject(b, o bobj, date string) *Change {
	var details []string
	sev := ""
	raise := func(s string) {
		if sevRank[s] > sevRank[sev] {
			sev = s
		}
	}
	if o.kind == "mail_setting" && o.field("enabled").value != "yes" && b.field("enabled").value != "yes" {
		return nil // off then and now: what it would do is no drift
	}
	for _, nf := range o.fields {
		of := b.field(nf.name)
		if nf.set != nil || of.set != nil {
			added, removed := setDiff(of.set, nf.set)
			if len(added) > 0 {
				details = append(details, "scopes widened: "+listSome(added, "+", 8))
				raise(High)
			}
			if len(removed) > 0 {
				details = append(details, "scopes narrowed: "+listSome(removed, "-", 8))
				raise(Low)
			}
			continue
		}
		if nf.value == of.value {
			continue
		}
		if o.kind == "mail_setting" && nf.name == "value" && of.value != nf.value && o.field("enabled").value == "yes" && b.field("enabled").value != "yes" {
			continue // said with "turned on"
		}
		d, s := fieldChange(o, nf.name, of.value, nf.value)
		details = append(details, d)
		raise(s)
	}
	if len(details) == 0 {
		return nil
	}
	return &Change{Change: ChangeChanged, Kind: o.kind, ID: o.targetID(), Name: o.name, Severity: sev, ReviewKey: o.rk, Details: details,
		Title: fmt.Sprintf("Changed since the baseline of %s: %s %s%s: %s", date, o.what, showName(b), idNote(o), strings.Join(details, "; "))}
}

// fieldChange words one field's change and rates it.
func fieldChange(o bobj, field, was, now string) (string, string) {
	q := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return quote(s)
	}
	switch {
	case field == "full access" && now == "yes":
		return "gained full access", High
	case field == "active" && now == "yes":
		return "re-activated", High
	case field == "admin" && now == "yes":
		return "became an admin", High
	case field == "two-factor" && was == provider.TwoFactorOn:
		return "two-factor authentication turned off", High
	case o.kind == "mail_setting" && field == "enabled" && now == "yes":
		if o.field("forwards").value == "yes" && o.field("value").value != "" {
			return "forwarding turned on, to " + quote(o.field("value").value), High
		}
		if o.field("value").value != "" {
			return "turned on, with " + quote(o.field("value").value), High
		}
		return "turned on", Medium
	case o.kind == "mail_setting" && field == "value":
		if o.field("forwards").value == "yes" {
			return "now forwards to " + q(now) + " (was " + q(was) + ")", High
		}
		return "value changed: " + q(was) + " → " + q(now), High
	case (o.kind == "webhook" || o.kind == "parse" || o.kind == "route") && field == "URL":
		return "now posts to " + q(now) + " (was " + q(was) + ")", High
	case field == "enabled" && now == "yes":
		return "enabled again", Medium
	case field == "enabled", field == "active", field == "full access":
		return field + ": " + was + " → " + now, Low
	case field == "email" || field == "username":
		return field + " changed: " + q(was) + " → " + q(now), High
	case field == "name" || field == "company":
		return field + " changed: " + q(was) + " → " + q(now), Low
	}
	return field + " changed: " + q(was) + " → " + q(now), Medium
}

func setDiff(old, cur []string) (added, removed []string) {
	o := map[string]bool{}
	for _, x := range old {
		o[x] = true
	}
	c := map[string]bool{}
	for _, x := range cur {
		c[x] = true
		if !o[x] {
			added = append(added, x)
		}
	}
	for _, x := range old {
		if !c[x] {
			removed = append(removed, x)
		}
	}
	return
}

// listSome lists up to n items, sanitized, each with a prefix.
func listSome(xs []string, prefix string, n int) string {
	var parts []string
	for i, x := range xs {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(xs)-n))
			break
		}
		parts = append(parts, prefix+provider.SanitizeN(x, 60))
	}
	return strings.Join(parts, ", ")
}

// SpikeFactor and SpikeMin: a day is a sending spike against the baseline
// when it sends more than SpikeFactor times the baseline's usual day and
// at least SpikeMin messages more, and more than the baseline recorded for
// that same day (a campaign the baseline already saw is no spike).
const (
	SpikeFactor = 3
	SpikeMin    = 100
	// newFromMin is how many messages a from-address the baseline never
	// saw must send to count as drift.
	newFromMin = 10
)

// compareMail compares the sending profile: per-day volume (spikes),
// from-addresses the baseline did not know, and phishing-like subjects it
// did not know.
func compareMail(base, cur *MailSummary, date string) []Change {
	if base == nil || cur == nil {
		return nil
	}
	var out []Change
	usual := medianDay(base)
	threshold := max(SpikeFactor*usual, usual+SpikeMin)
	days := make([]string, 0, len(cur.PerDay))
	for d := range cur.PerDay {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, d := range days {
		c := cur.PerDay[d]
		if c > threshold && c > base.PerDay[d] {
			day := provider.SanitizeN(d, 10)
			out = append(out, Change{Change: ChangeSpike, Kind: "mail", ID: day, Severity: High,
				Title:   fmt.Sprintf("Sending spike on %s: %d messages, against a usual day of %d at the baseline of %s", day, c, usual, date),
				Details: []string{fmt.Sprintf("%d messages on %s (the baseline recorded %d that day)", c, day, base.PerDay[d])}})
		}
	}
	known := map[string]bool{}
	least := 0
	for i, a := range base.From {
		known[strings.ToLower(a.Address)] = true
		if i == 0 || a.Count < least {
			least = a.Count
		}
	}
	capped := len(base.From) >= maxSubjects
	for _, a := range cur.From {
		if known[strings.ToLower(a.Address)] || a.Count < newFromMin || (capped && a.Count <= least) {
			continue
		}
		out = append(out, Change{Change: ChangeAdded, Kind: "mail_from", ID: a.Address, Name: a.Address, Severity: High,
			Title: fmt.Sprintf("Mail sent from an address the baseline of %s never saw: %s, %d messages", date, quote(a.Address), a.Count)})
	}
	subj := map[string]bool{}
	for _, s := range base.Subjects {
		subj[s.Subject] = true
	}
	for _, s := range cur.Subjects {
		if subj[s.Subject] || !looksLikePhish(s.Subject) {
			continue
		}
		out = append(out, Change{Change: ChangeAdded, Kind: "mail_subject", ID: shortHash(s.Subject), Name: s.Subject, Severity: High,
			Title: fmt.Sprintf("A phishing-like subject the baseline of %s never saw: %d messages %s (from %s)", date, s.Count, quote(s.Subject), quote(s.From))})
	}
	return out
}

// medianDay is the baseline's usual day: the median of its per-day counts
// over the 30 days (days without mail count as 0).
func medianDay(m *MailSummary) int {
	counts := make([]int, 0, 30)
	for _, c := range m.PerDay {
		counts = append(counts, c)
	}
	for len(counts) < 30 {
		counts = append(counts, 0)
	}
	slices.Sort(counts)
	return counts[len(counts)/2]
}

// Drift is the result of a drift check: the account now against its latest
// baseline.
type Drift struct {
	Provider       string    `json:"provider"`
	ProviderName   string    `json:"provider_name,omitempty"`
	Account        string    `json:"account,omitempty"`
	Baseline       string    `json:"baseline"`
	BaselineAt     time.Time `json:"baseline_at"`
	BaselineDigest string    `json:"baseline_digest"`
	BaselineSigner string    `json:"baseline_signer,omitempty"`
	CheckedAt      time.Time `json:"checked_at"`
	Comparison
}

// Drifted reports whether anything changed.
func (d *Drift) Drifted() bool { return len(d.Changes) > 0 }

// Partial lists the sections not compared in full: not compared at all
// (Unchecked) or read only in part (Incomplete). A check with no drift and
// a partial comparison is no all-clear.
func (d *Drift) Partial() []string {
	var out []string
	for _, m := range []map[string]string{d.Unchecked, d.Incomplete} {
		for sec := range m {
			if !slices.Contains(out, sec) {
				out = append(out, sec)
			}
		}
	}
	sort.Strings(out)
	return out
}

// CheckDrift compares an inventory against a baseline.
func CheckDrift(b *Baseline, cur *Inventory, now time.Time, opt CompareOptions) *Drift {
	d := &Drift{Provider: b.Provider, ProviderName: provider.Sanitize(b.ProviderName), Baseline: b.ID, BaselineAt: b.TakenAt, CheckedAt: now.UTC()}
	if b.Seal != nil {
		d.BaselineDigest = b.Seal.Digest
	}
	d.BaselineSigner = provider.Sanitize(b.Signer)
	if cur != nil && cur.Account != nil {
		d.Account = provider.SanitizeN(cur.Account.Username+" <"+cur.Account.Email+">", 200)
	} else {
		d.Account = b.Account
	}
	d.Comparison = *Compare(b.Inventory, cur, b.Date(), opt)
	d.Known = nil // the check reports changes; the known objects are for incidents
	sortChanges(d.Changes)
	return d
}

// sortChanges orders changes most severe first, then by section.
func sortChanges(cs []Change) {
	order := map[string]int{}
	for i, k := range []string{"account", "key", "teammate", "invite", "subuser", "webhook", "parse", "route", "mail_setting", "sender", "domain", "allow_rule", "secret", "mail", "mail_from", "mail_subject"} {
		order[k] = i
	}
	sort.SliceStable(cs, func(i, j int) bool {
		if a, b := sevRank[cs[i].Severity], sevRank[cs[j].Severity]; a != b {
			return a > b
		}
		return order[cs[i].Kind] < order[cs[j].Kind]
	})
}

// Text renders the drift for a terminal or a mail body: plain lines, every
// provider string sanitized.
func (d *Drift) Text() string {
	var b strings.Builder
	name := firstNonEmpty(d.ProviderName, d.Provider)
	fmt.Fprintf(&b, "%s drift check, %s\n", provider.Sanitize(name), d.CheckedAt.UTC().Format("2006-01-02 15:04:05Z"))
	if d.Account != "" {
		fmt.Fprintf(&b, "Account: %s\n", provider.Sanitize(d.Account))
	}
	fmt.Fprintf(&b, "Baseline: %s of %s (sha256 %s)", provider.Sanitize(d.Baseline), d.BaselineAt.UTC().Format("2006-01-02 15:04Z"), shortHex(d.BaselineDigest))
	if d.BaselineSigner != "" {
		fmt.Fprintf(&b, ", signed by %s", provider.Sanitize(d.BaselineSigner))
	}
	b.WriteString("\n\n")
	switch {
	case len(d.Changes) == 0 && len(d.Unchecked)+len(d.Incomplete) > 0:
		b.WriteString("No drift in what could be compared, but not all of the account was: see below.\n")
	case len(d.Changes) == 0:
		b.WriteString("No drift: the account matches its baseline.\n")
	default:
		fmt.Fprintf(&b, "DRIFT: %s since the baseline:\n", plural(len(d.Changes), "change"))
		for _, c := range d.Changes {
			fmt.Fprintf(&b, "  [%s] %s\n", c.Severity, provider.Sanitize(c.Title))
		}
	}
	for _, sec := range sortedKeys(d.Incomplete) {
		fmt.Fprintf(&b, "  ! %s read only in part (%s): nothing in it is called removed\n", sectionName(sec), provider.Sanitize(d.Incomplete[sec]))
	}
	for _, sec := range sortedKeys(d.Unchecked) {
		fmt.Fprintf(&b, "  ! %s not compared: %s\n", sectionName(sec), provider.Sanitize(d.Unchecked[sec]))
	}
	for _, sec := range sortedKeys(d.NotInBaseline) {
		fmt.Fprintf(&b, "  - %s not compared: %s\n", sectionName(sec), provider.Sanitize(d.NotInBaseline[sec]))
	}
	if len(d.Changes) > 0 {
		b.WriteString("\nIf you made these changes yourself, record a new baseline (reclaim baseline --provider " + provider.SanitizeN(d.Provider, 32) + "); if not, start a recovery now (reclaim).\n")
	}
	return b.String()
}
