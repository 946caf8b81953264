package checklist

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"reclaim/provider"
)

// Severity of a finding.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Target names the thing a finding is about, so a remediation can act on it.
type Target struct {
	Kind string `json:"kind"` // "key", "teammate", "invite", "subuser", "webhook", "parse", "route", "two_factor", "mail_setting", "sender", "ip", "mail", "payment", "leak"
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Finding is something suspicious, citing the evidence it rests on.
type Finding struct {
	ID       string     `json:"id"`
	Severity string     `json:"severity"`
	Title    string     `json:"title"`
	Detail   string     `json:"detail,omitempty"`
	Evidence string     `json:"evidence"` // where in the inventory it was seen
	Target   Target     `json:"target"`
	Fix      ActionKind `json:"fix,omitempty"` // the remediation that resolves it
	Source   string     `json:"source"`        // "inventory", "investigation", "scan", "console"
	Resolved bool       `json:"resolved,omitempty"`
	// Leak is what the scanner's detector said of a credential it found
	// (scan findings): the engine asks the provider's LeakMatcher which
	// account key it is (matchLeaksLocked). It holds no secret.
	Leak *provider.Leak `json:"leak,omitempty"`
}

// RecentWindow is how far back a creation counts as "recent".
const RecentWindow = 30 * 24 * time.Hour

// AnalysisInput is what the analysis needs besides the inventory.
type AnalysisInput struct {
	// SessionKeyID is the key reclaim itself is using (never flagged as unknown).
	SessionKeyID string
	// Recognised keys the owner vouched for (key ids). Kept for
	// compatibility: a recognised id counts as a vouched "key:<id>".
	Recognised []string
	// Vouched are ReviewObject keys ("kind:id") the owner marked as theirs.
	// A vouched object gets no "unknown" or "outside address" finding;
	// structural risks (full access, a disguised name, a recent creation)
	// stay visible at a lower severity and without a Fix.
	Vouched []string
	// LeakedKeyIDs are key ids found in leaked material.
	LeakedKeyIDs []string
	// KnownIPs the owner connects from.
	KnownIPs []string
	// Baseline is the baseline the incident started from: objects
	// unchanged since are known at baseline (treated as vouched), and what
	// changed since is a finding (baseline_incident.go).
	Baseline *BaselineUse
}

// vouched returns the set of vouched ReviewObject keys, Recognised
// included.
func (in AnalysisInput) vouched() map[string]bool {
	v := map[string]bool{}
	for _, k := range in.Vouched {
		v[k] = true
	}
	for _, id := range in.Recognised {
		v[ReviewKey("key", id)] = true
	}
	return v
}

// vouchedNote is the detail of a finding kept, lowered, on a vouched object.
const vouchedNote = "You marked it as yours, so reclaim does not propose removing it."

// lowered is f for an object the owner vouched for: severity sev, no Fix.
func lowered(f Finding, sev, detail string) Finding {
	f.Severity, f.Fix = sev, ""
	f.Detail = strings.TrimSpace(vouchedNote + " " + detail)
	return f
}

// Analyze derives findings from an inventory. It is deterministic: the same
// inventory gives the same findings in the same order.
func Analyze(inv *Inventory, in AnalysisInput) []Finding {
	if inv == nil {
		return nil
	}
	c := newChecker(inv)
	recent, age, own := c.recent, c.age, c.own
	vouched := in.vouched()
	bl := in.Baseline.compare(inv, in.SessionKeyID)
	in.Baseline.remember(bl)
	known := bl.markKnown(vouched)
	// The owner went through the review: keys they did not vouch for are
	// unknown.
	reviewed := len(in.Recognised) > 0 || len(in.Vouched) > 0
	var out []Finding
	add := func(f Finding) {
		if f.Source == "" {
			f.Source = "inventory"
		}
		out = append(out, f)
	}
	// name adds the finding for a disguised name.
	name := func(prefix, what, shown string, issues []string, tgt Target, ev string, fix ActionKind, sev string, v bool) {
		if len(issues) == 0 {
			return
		}
		f := Finding{ID: prefix + "-name:" + tgt.ID, Severity: sev, Title: fmt.Sprintf("%s %s has %s in its name", what, quote(shown), nameIssueSummary(issues)), Detail: "Its name has " + andList(issues) + ". Attackers hide escape codes and look-alike letters in names so that what they create passes for yours; reclaim shows hidden characters as \uFFFD.", Evidence: ev, Target: tgt, Fix: fix}
		if v {
			f = lowered(f, Low, "Its name has "+andList(issues)+": rename it so that nobody mistakes it for something else.")
		}
		add(f)
	}

	if len(own) == 0 && hasComparable(inv) {
		add(Finding{ID: "domains-unknown", Severity: Low, Title: "No account domain is known to compare addresses with", Detail: "reclaim could not read the account's email address or an established authenticated domain, so it did not judge teammates, invites, subusers, webhooks, senders or forwarding by their domain: check each one in the review.", Evidence: "inventory: account email and authenticated domains", Target: Target{Kind: "account"}})
	}
	for _, k := range inv.Keys {
		tgt := Target{Kind: "key", ID: k.ID, Name: k.Name}
		ev := fmt.Sprintf("inventory: API key %s (id %s)", quote(k.Name), k.ID)
		v := vouched[ReviewKey("key", k.ID)]
		if slices.Contains(in.LeakedKeyIDs, k.ID) {
			add(Finding{ID: "key-leaked:" + k.ID, Severity: High, Title: fmt.Sprintf("Key %s was found in leaked material", quote(k.Name)), Detail: "A credential found in leaked material (a file the scan read, or a key id you gave) is this key: revoke it first, once a replacement works.", Evidence: ev, Target: tgt, Fix: ActRevokeKey})
		}
		if k.ID == in.SessionKeyID {
			continue
		}
		if recent(k.Created) {
			f := Finding{ID: "key-recent:" + k.ID, Severity: High, Title: fmt.Sprintf("Key %s was created %s", quote(k.Name), age(k.Created)), Detail: "Attackers create keys to keep access after a password reset.", Evidence: ev, Target: tgt, Fix: ActRevokeKey}
			if v {
				f = lowered(f, Low, "")
			}
			add(f)
		}
		if k.FullAccess {
			f := Finding{ID: "key-full:" + k.ID, Severity: Medium, Title: fmt.Sprintf("Key %s has full access", quote(k.Name)), Detail: "A full-access key can create more keys and teammates.", Evidence: ev, Target: tgt, Fix: ActRevokeKey}
			if v {
				f = lowered(f, Medium, "A full-access key can create more keys and teammates: give its replacement only the scopes it needs.")
			}
			add(f)
		}
		if !k.Inactive {
			name("key", "Key", k.Name, nameIssues(k.Name), tgt, ev, ActRevokeKey, High, v)
		}
		if reviewed && !v {
			add(Finding{ID: "key-unknown:" + k.ID, Severity: High, Title: fmt.Sprintf("Nobody recognises key %s", quote(k.Name)), Evidence: ev, Target: tgt, Fix: ActRevokeKey})
		}
	}
	for _, t := range inv.Teammates {
		if f, ok := twoFactorFinding(t); ok {
			add(f)
		}
		if t.Owner {
			continue
		}
		who := t.Username
		kind, fix, what := "teammate", ActRemoveTeammate, "Teammate"
		if t.Pending {
			who, kind, fix, what = t.Email, "invite", ActRemoveInvite, "Pending invite for"
		}
		tgt := Target{Kind: kind, ID: teammateID(t), Name: who}
		ev := fmt.Sprintf("inventory: %s %s <%s>", kind, quote(who), provider.SanitizeN(t.Email, 80))
		v := vouched[ReviewKey(kind, tgt.ID)]
		foreign := c.foreign(t.Email)
		var f Finding
		switch {
		case t.Pending && recent(t.Created):
			f = Finding{ID: "invite-recent:" + tgt.ID, Severity: High, Title: fmt.Sprintf("Pending invite for %s sent %s", quote(t.Email), age(t.Created)), Detail: c.outsideNote(t.Email), Evidence: ev, Target: tgt, Fix: fix}
		case recent(t.Created) && t.Admin:
			f = Finding{ID: "teammate-recent-admin:" + tgt.ID, Severity: High, Title: fmt.Sprintf("Admin teammate %s added %s", quote(who), age(t.Created)), Detail: c.outsideNote(t.Email), Evidence: ev, Target: tgt, Fix: fix}
		case recent(t.Created):
			f = Finding{ID: "teammate-recent:" + tgt.ID, Severity: Medium, Title: fmt.Sprintf("Teammate %s added %s", quote(who), age(t.Created)), Detail: c.outsideNote(t.Email), Evidence: ev, Target: tgt, Fix: fix}
		case v || !foreign:
		case !t.Pending && t.Admin:
			f = Finding{ID: "teammate-outside-admin:" + tgt.ID, Severity: Medium, Title: fmt.Sprintf("Admin teammate %s has an outside address", quote(who)), Detail: c.outsideNote(t.Email), Evidence: ev, Target: tgt, Fix: fix}
		case t.Pending:
			f = Finding{ID: "invite-outside:" + tgt.ID, Severity: Medium, Title: fmt.Sprintf("Pending invite for %s goes to an outside address", quote(who)), Detail: c.outsideNote(t.Email) + " Cancel it unless you invited them.", Evidence: ev, Target: tgt, Fix: fix}
		default:
			f = Finding{ID: "teammate-outside:" + tgt.ID, Severity: Medium, Title: fmt.Sprintf("Teammate %s has an outside address", quote(who)), Detail: c.outsideNote(t.Email) + " Remove them unless they work with you.", Evidence: ev, Target: tgt, Fix: fix}
		}
		if f.ID != "" {
			if v {
				f = lowered(f, Low, "")
			}
			add(f)
		}
		issues := teammateNameIssues(t)
		shown := who
		if !t.Pending && len(nameIssues(t.Username)) == 0 {
			shown = t.Name
		}
		name(kind, what, shown, issues, tgt, ev, fix, High, v)
	}
	for _, s := range inv.Subusers {
		if s.Disabled {
			continue
		}
		tgt := Target{Kind: "subuser", ID: s.Username, Name: s.Username}
		ev := fmt.Sprintf("inventory: subuser %s <%s>", quote(s.Username), provider.SanitizeN(s.Email, 80))
		v := vouched[ReviewKey("subuser", s.Username)]
		switch {
		case recent(s.Created):
			f := Finding{ID: "subuser-recent:" + s.Username, Severity: High, Title: fmt.Sprintf("Subuser %s created %s", quote(s.Username), age(s.Created)), Detail: c.outsideNote(s.Email), Evidence: ev, Target: tgt, Fix: ActDisableSubuser}
			if v {
				f = lowered(f, Low, "")
			}
			add(f)
		case !v && c.foreign(s.Email):
			add(Finding{ID: "subuser-outside:" + s.Username, Severity: Medium, Title: fmt.Sprintf("Subuser %s has an outside address %s", quote(s.Username), quote(s.Email)), Detail: c.outsideNote(s.Email) + " Attackers add subusers to send from an account they took over: disable it unless it is yours.", Evidence: ev, Target: tgt, Fix: ActDisableSubuser})
		}
		name("subuser", "Subuser", s.Username, nameIssues(s.Username), tgt, ev, ActDisableSubuser, High, v)
	}
	for _, w := range inv.Webhooks {
		kind := webhookKind(w)
		if vouched[ReviewKey(kind, w.ID)] {
			continue
		}
		if kind == "route" {
			if f, ok := c.routeFinding(w); ok {
				add(f)
			}
			continue
		}
		host := hostOf(w.URL)
		what := "Event webhook"
		if kind == "parse" {
			what = "Inbound-parse route for " + provider.SanitizeN(w.Hostname, 80)
		}
		if w.Domain != "" {
			what += " of domain " + quote(w.Domain)
		}
		if c.foreign(host) {
			add(Finding{ID: kind + "-outside:" + webhookRef(w), Severity: High, Title: fmt.Sprintf("%s posts to an unfamiliar host %s", what, quote(host)), Detail: "Whoever runs that host receives your recipients' data or your inbound mail.", Evidence: fmt.Sprintf("inventory: %s %s -> %s", kind, webhookEvidence(w), provider.SanitizeN(w.URL, 200)), Target: Target{Kind: kind, ID: w.ID, Name: w.URL}, Fix: ActDeleteWebhook})
		}
	}
	for _, m := range inv.MailSettings {
		if !m.Enabled || vouched[ReviewKey("mail_setting", m.Name)] {
			continue
		}
		tgt := Target{Kind: "mail_setting", ID: m.Name, Name: m.Name}
		shown := provider.SanitizeN(m.Name, 40)
		if bad := c.foreignForwards(m); len(bad) > 0 {
			to := quote(m.Value)
			if len(bad) < len(splitAddresses(m.Value)) {
				to = quote(strings.Join(bad, ", "))
			}
			add(Finding{ID: "mail-forward:" + m.Name, Severity: High, Title: fmt.Sprintf("Mail setting %s forwards mail to %s", shown, to), Detail: "An outside address gets a copy of your mail.", Evidence: "inventory: mail setting " + shown, Target: tgt, Fix: ActDisableMailSetting})
		}
		if hosts := c.foreignLinks(m); len(hosts) > 0 {
			add(Finding{ID: "mail-links:" + m.Name, Severity: High, Title: fmt.Sprintf("Mail setting %s adds links to %s to your mail", shown, andList(hosts)), Detail: fmt.Sprintf("Every message you send carries them; none of them is one of your domains (%s). Attackers plant phishing links this way.", c.ownText()), Evidence: fmt.Sprintf("inventory: mail setting %s: %s", shown, quote(m.Value)), Target: tgt, Fix: ActDisableMailSetting})
		}
	}
	for _, s := range inv.Senders {
		tgt := Target{Kind: "sender", ID: s.ID, Name: s.Address}
		v := vouched[ReviewKey("sender", s.ID)]
		if c.senderSuspect(s) && !v {
			add(Finding{ID: "sender-unknown:" + s.ID, Severity: Medium, Title: fmt.Sprintf("Sender identity %s is outside your domains (added %s)", quote(s.Address), age(s.Created)), Detail: "Remove it in the console if you did not add it.", Evidence: "inventory: sender " + provider.SanitizeN(s.ID, 80), Target: tgt})
		}
		name("sender", "Sender identity", s.Address, nameIssues(s.Address), tgt, "inventory: sender "+provider.SanitizeN(s.ID, 80), "", Medium, v)
	}
	for _, e := range inv.Activity {
		if slices.Contains(in.KnownIPs, e.IP) {
			continue
		}
		ev := fmt.Sprintf("access activity: %s (%s), %d attempts", e.IP, e.Location, e.Count)
		switch {
		case !e.Allowed && e.Count >= 10:
			add(Finding{ID: "access-failed:" + e.IP, Severity: Medium, Title: fmt.Sprintf("%d failed logins from %s", e.Count, e.IP), Detail: "Password guessing or credential stuffing.", Evidence: ev, Target: Target{Kind: "ip", ID: e.IP}})
		case e.Allowed && recent(e.First):
			add(Finding{ID: "access-new-ip:" + e.IP, Severity: High, Title: fmt.Sprintf("Access from a new address %s (%s) since %s", e.IP, e.Location, age(e.First)), Detail: fmt.Sprintf("%d successful %s accesses.", e.Count, e.Method), Evidence: ev, Target: Target{Kind: "ip", ID: e.IP}})
		}
	}
	if m := inv.Mail; m != nil {
		out = append(out, mailFindings(m, own)...)
	}
	return withBaseline(out, bl, known, in.Baseline, inv)
}

// hasComparable reports whether the inventory holds an address or URL that
// would be judged by its domain.
func hasComparable(inv *Inventory) bool {
	for _, t := range inv.Teammates {
		if !t.Owner && t.Email != "" {
			return true
		}
	}
	for _, s := range inv.Subusers {
		if !s.Disabled && s.Email != "" {
			return true
		}
	}
	if len(inv.Webhooks) > 0 || len(inv.Senders) > 0 {
		return true
	}
	for _, m := range inv.MailSettings {
		if m.Enabled && len(mailSettingTargets(m)) > 0 {
			return true
		}
	}
	return false
}

func mailFindings(m *MailSummary, own []string) []Finding {
	var out []Finding
	days := make([]string, 0, len(m.PerDay))
	counts := make([]int, 0, len(m.PerDay))
	for d := range m.PerDay {
		days = append(days, d)
	}
	sort.Strings(days)
	for _, d := range days {
		counts = append(counts, m.PerDay[d])
	}
	if len(counts) >= 3 {
		sorted := slices.Clone(counts)
		slices.Sort(sorted)
		median := sorted[len(sorted)/2]
		for _, d := range days {
			if c := m.PerDay[d]; median > 0 && c > 3*median && c-median > 100 {
				out = append(out, Finding{ID: "mail-spike:" + d, Severity: High, Title: fmt.Sprintf("Sending spike on %s: %d messages (usual day: %d)", d, c, median), Evidence: "last 30 days of mail: per-day volume", Target: Target{Kind: "mail", ID: d}, Source: "inventory"})
			}
		}
	}
	for _, s := range m.Subjects {
		if !inDomains(s.From, own) && s.From != "" {
			out = append(out, Finding{ID: "mail-subject:" + shortHash(s.Subject), Severity: High, Title: fmt.Sprintf("%d messages from %s: %s", s.Count, quote(s.From), quote(s.Subject)), Detail: "Sent from an address outside your domains.", Evidence: "last 30 days of mail: subjects", Target: Target{Kind: "mail", ID: shortHash(s.Subject), Name: s.Subject}, Source: "inventory"})
		} else if looksLikePhish(s.Subject) {
			out = append(out, Finding{ID: "mail-subject:" + shortHash(s.Subject), Severity: Medium, Title: fmt.Sprintf("%d messages with a phishing-like subject: %s", s.Count, quote(s.Subject)), Evidence: "last 30 days of mail: subjects", Target: Target{Kind: "mail", ID: shortHash(s.Subject), Name: s.Subject}, Source: "inventory"})
		}
	}
	return out
}

var phishWords = []string{"verify your", "payment failed", "suspended", "paused", "action required", "unusual sign-in", "confirm your account", "update your billing"}

func looksLikePhish(s string) bool {
	l := strings.ToLower(s)
	for _, w := range phishWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// ownDomains are the account's established domains: the account email's
// domain and verified domain senders older than the recent window.
func ownDomains(inv *Inventory) []string {
	var out []string
	for _, d := range inv.OwnerDomains {
		if d = strings.ToLower(strings.Trim(strings.TrimSpace(d), ".")); d != "" {
			out = append(out, d)
		}
	}
	if inv.Account != nil {
		if d := domainOf(inv.Account.Email); d != "" {
			out = append(out, d)
		}
	}
	for _, s := range inv.Senders {
		if s.Kind == "domain" && s.Verified && inv.TakenAt.Sub(s.Created) > RecentWindow {
			out = append(out, strings.ToLower(s.Address))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return strings.ToLower(addr)
}

// hostOf is the lower-cased host of a URL. A URL that does not parse (an
// attacker's may carry escape codes) is cut at the first character that
// cannot be in a host; text that is no URL is returned as it is.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err == nil && u.Host != "" {
		return strings.ToLower(u.Hostname())
	}
	i := strings.Index(raw, "://")
	if i < 0 {
		return raw
	}
	rest := raw[i+3:]
	if j := strings.IndexFunc(rest, func(r rune) bool {
		return r <= ' ' || r == 0x7f || strings.ContainsRune("/?#\\", r) || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zs)
	}); j >= 0 {
		rest = rest[:j]
	}
	if k := strings.LastIndexByte(rest, '@'); k >= 0 {
		rest = rest[k+1:]
	}
	if u, err := url.Parse("http://" + rest); err == nil && u.Hostname() != "" {
		return strings.ToLower(u.Hostname())
	}
	return raw
}

// inDomains: host or address domain equals or is under one of the domains.
func inDomains(s string, domains []string) bool {
	d := domainOf(s)
	if net.ParseIP(d) != nil {
		return false
	}
	if len(domains) > 8 {
		// A hostile account can list thousands of domains: look up each
		// parent of d in a set instead of comparing with every one.
		set := domainSets.get(domains)
		for {
			if set[d] {
				return true
			}
			i := strings.IndexByte(d, '.')
			if i < 0 {
				return false
			}
			d = d[i+1:]
		}
	}
	for _, o := range domains {
		if d == o || strings.HasSuffix(d, "."+o) {
			return true
		}
	}
	return false
}

// domainSets caches the set of the last domain list asked about (the
// analysis asks about the same list for every object).
var domainSets = &domainSetCache{}

type domainSetCache struct {
	mu  sync.Mutex
	key *string
	n   int
	set map[string]bool
}

func (c *domainSetCache) get(domains []string) map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.key == &domains[0] && c.n == len(domains) {
		return c.set
	}
	set := make(map[string]bool, len(domains))
	for _, o := range domains {
		set[o] = true
	}
	c.key, c.n, c.set = &domains[0], len(domains), set
	return set
}

// outsideNote says an address is outside the account's domains ("" when it
// is not, or when no account domain is known).
func (c checker) outsideNote(email string) string {
	if c.foreign(email) {
		return fmt.Sprintf("Its address %s is outside your domains.", quote(email))
	}
	return ""
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// quote sanitizes provider text and puts it in quotes.
func quote(s string) string { return "\"" + provider.SanitizeN(s, 80) + "\"" }

// Age renders how long before now t was, in words ("2 days ago").
func Age(now, t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d.Minutes()), "minute") + " ago"
	case d < 48*time.Hour:
		return plural(int(d.Hours()), "hour") + " ago"
	default:
		return plural(int(d.Hours()/24), "day") + " ago"
	}
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:6])
}

// webhookKind is a webhook's Target and review kind: "webhook" (event
// webhooks), "parse" (inbound-parse routes) or "route" (routes that forward
// mail).
func webhookKind(w provider.Webhook) string {
	switch w.Kind {
	case provider.WebhookParse:
		return "parse"
	case provider.WebhookRoute:
		return "route"
	}
	return "webhook"
}

// webhookRef tells apart webhooks that share an id across domains (a
// provider whose webhooks are per domain names each by its event).
func webhookRef(w provider.Webhook) string {
	if w.Domain == "" {
		return w.ID
	}
	return w.ID + "@" + w.Domain
}

// webhookEvidence names a webhook for a finding's evidence (sanitized).
func webhookEvidence(w provider.Webhook) string {
	s := provider.SanitizeN(w.ID, 80)
	if w.Domain != "" {
		s += " (domain " + provider.SanitizeN(w.Domain, 80) + ")"
	}
	return s
}

// maxRouteTargets bounds the targets of one route that are judged (a
// hostile account can list thousands in one mailto:).
const maxRouteTargets = 50

// routeTargets are what a route forwards to, to judge by domain: the
// addresses of a "mailto:" target (or of bare addresses), or the host of a
// URL. Empty when the route forwards nowhere (it only stores or stops).
func routeTargets(raw string) []string {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil
	}
	if len(raw) >= 7 && strings.EqualFold(raw[:7], "mailto:") {
		rest := raw[7:]
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			rest = rest[:i]
		}
		if u, err := url.PathUnescape(rest); err == nil {
			rest = u
		}
		raw = rest
	} else if strings.Contains(raw, "://") {
		return []string{hostOf(raw)}
	}
	out := splitAddresses(raw)
	if len(out) > maxRouteTargets {
		out = out[:maxRouteTargets]
	}
	return out
}

// foreignRouteTargets are a route's targets outside the account's domains.
func (c checker) foreignRouteTargets(w provider.Webhook) []string {
	var out []string
	for _, t := range routeTargets(w.URL) {
		if c.foreign(t) {
			out = append(out, t)
		}
	}
	return out
}

// routeFinding is the finding for a route that forwards mail outside the
// account's own domains (its email's domain and its established
// authenticated domains): whoever receives it reads the inbound mail.
func (c checker) routeFinding(w provider.Webhook) (Finding, bool) {
	bad := c.foreignRouteTargets(w)
	if len(bad) == 0 {
		return Finding{}, false
	}
	what := "Route"
	if w.Filter != "" {
		what += " matching " + quote(w.Filter)
	}
	if w.Domain != "" {
		what += " of domain " + quote(w.Domain)
	}
	to := make([]string, 0, 3)
	for _, t := range bad[:min(len(bad), 3)] {
		to = append(to, quote(t))
	}
	shown := strings.Join(to, ", ")
	if len(bad) > 3 {
		shown += fmt.Sprintf(" and %d more", len(bad)-3)
	}
	return Finding{
		ID:       "route-forward:" + webhookRef(w),
		Severity: High,
		Title:    fmt.Sprintf("%s forwards mail to a foreign address %s", what, shown),
		Detail:   fmt.Sprintf("Every message it matches goes outside your domains (%s): whoever receives it reads your inbound mail, password resets included. Delete the route unless you set it up.", provider.SanitizeN(c.ownText(), 200)),
		Evidence: fmt.Sprintf("inventory: route %s -> %s", webhookEvidence(w), provider.SanitizeN(w.URL, 200)),
		Target:   Target{Kind: "route", ID: w.ID, Name: w.URL},
		Fix:      ActDeleteWebhook,
	}, true
}

// privileged reports whether a teammate is the owner or an admin (by the
// flags, or by the role the provider names).
func privileged(t provider.Teammate) bool {
	if t.Owner || t.Admin {
		return true
	}
	r := strings.ToLower(t.Role)
	return strings.Contains(r, "owner") || strings.Contains(r, "admin")
}

// twoFactorFinding is the finding for a user the provider says has no
// two-factor authentication: a password alone signs in as them. Owners and
// admins are high, others medium. It has no Fix: enrolling is the user's
// own step (the 2FA audit step guides it).
func twoFactorFinding(t provider.Teammate) (Finding, bool) {
	if t.Pending || t.TwoFactor != provider.TwoFactorOff {
		return Finding{}, false
	}
	id := teammateID(t)
	who := firstNonEmpty(t.Username, t.Email)
	what, sev := "Teammate", Medium
	switch {
	case t.Owner:
		what, sev = "The owner", High
	case privileged(t):
		what, sev = "Admin teammate", High
	}
	role := ""
	if t.Role != "" {
		role = " (role " + quote(t.Role) + ")"
	}
	return Finding{
		ID:       "2fa-off:" + id,
		Severity: sev,
		Title:    fmt.Sprintf("%s %s has no two-factor authentication", what, quote(who)),
		Detail:   "Their password alone signs in as them: a reused or phished password is the next way in. Have them enrol an authenticator app, or remove them if they no longer need access.",
		Evidence: fmt.Sprintf("inventory: teammate %s <%s>%s, two-factor %s", quote(who), provider.SanitizeN(t.Email, 80), role, t.TwoFactor),
		Target:   Target{Kind: "two_factor", ID: id, Name: who},
	}, true
}
