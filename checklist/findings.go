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
	"time"

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
	Kind string `json:"kind"` // "key", "teammate", "invite", "subuser", "webhook", "parse", "mail_setting", "sender", "ip", "mail", "payment", "leak"
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
}

// RecentWindow is how far back a creation counts as "recent".
const RecentWindow = 30 * 24 * time.Hour

// AnalysisInput is what the analysis needs besides the inventory.
type AnalysisInput struct {
	// SessionKeyID is the key reclaim itself is using (never flagged as unknown).
	SessionKeyID string
	// Recognised keys the owner vouched for.
	Recognised []string
	// LeakedKeyIDs are key ids found in leaked material.
	LeakedKeyIDs []string
	// KnownIPs the owner connects from.
	KnownIPs []string
}

// Analyze derives findings from an inventory. It is deterministic: the same
// inventory gives the same findings in the same order.
func Analyze(inv *Inventory, in AnalysisInput) []Finding {
	if inv == nil {
		return nil
	}
	now := inv.TakenAt
	recent := func(t time.Time) bool { return !t.IsZero() && now.Sub(t) <= RecentWindow }
	age := func(t time.Time) string { return Age(now, t) }
	own := ownDomains(inv)
	var out []Finding
	add := func(f Finding) {
		if f.Source == "" {
			f.Source = "inventory"
		}
		out = append(out, f)
	}

	for _, k := range inv.Keys {
		tgt := Target{Kind: "key", ID: k.ID, Name: k.Name}
		ev := fmt.Sprintf("inventory: API key %s (id %s)", quote(k.Name), k.ID)
		if slices.Contains(in.LeakedKeyIDs, k.ID) {
			add(Finding{ID: "key-leaked:" + k.ID, Severity: High, Title: fmt.Sprintf("Key %s was found in leaked material", quote(k.Name)), Detail: "Its id matches a leaked SG.<id>.<secret> string: revoke it once a replacement works.", Evidence: ev, Target: tgt, Fix: ActRevokeKey})
		}
		if k.ID == in.SessionKeyID {
			continue
		}
		if recent(k.Created) {
			add(Finding{ID: "key-recent:" + k.ID, Severity: High, Title: fmt.Sprintf("Key %s was created %s", quote(k.Name), age(k.Created)), Detail: "Attackers create keys to keep access after a password reset.", Evidence: ev, Target: tgt, Fix: ActRevokeKey})
		}
		if k.FullAccess {
			add(Finding{ID: "key-full:" + k.ID, Severity: Medium, Title: fmt.Sprintf("Key %s has full access", quote(k.Name)), Detail: "A full-access key can create more keys and teammates.", Evidence: ev, Target: tgt, Fix: ActRevokeKey})
		}
		if len(in.Recognised) > 0 && !slices.Contains(in.Recognised, k.ID) {
			add(Finding{ID: "key-unknown:" + k.ID, Severity: High, Title: fmt.Sprintf("Nobody recognises key %s", quote(k.Name)), Evidence: ev, Target: tgt, Fix: ActRevokeKey})
		}
	}
	for _, t := range inv.Teammates {
		if t.Owner {
			continue
		}
		who := t.Username
		kind, fix := "teammate", ActRemoveTeammate
		if t.Pending {
			who, kind, fix = t.Email, "invite", ActRemoveInvite
		}
		tgt := Target{Kind: kind, ID: firstNonEmpty(t.Token, t.Username), Name: who}
		ev := fmt.Sprintf("inventory: %s %s <%s>", kind, quote(who), t.Email)
		switch {
		case t.Pending && recent(t.Created):
			add(Finding{ID: "invite-recent:" + tgt.ID, Severity: High, Title: fmt.Sprintf("Pending invite for %s sent %s", quote(t.Email), age(t.Created)), Evidence: ev, Target: tgt, Fix: fix})
		case recent(t.Created) && t.Admin:
			add(Finding{ID: "teammate-recent-admin:" + tgt.ID, Severity: High, Title: fmt.Sprintf("Admin teammate %s added %s", quote(who), age(t.Created)), Detail: outsideNote(t.Email, own), Evidence: ev, Target: tgt, Fix: fix})
		case recent(t.Created):
			add(Finding{ID: "teammate-recent:" + tgt.ID, Severity: Medium, Title: fmt.Sprintf("Teammate %s added %s", quote(who), age(t.Created)), Evidence: ev, Target: tgt, Fix: fix})
		case !t.Pending && !inDomains(t.Email, own) && t.Admin:
			add(Finding{ID: "teammate-outside-admin:" + tgt.ID, Severity: Medium, Title: fmt.Sprintf("Admin teammate %s has an outside address", quote(who)), Evidence: ev, Target: tgt, Fix: fix})
		}
	}
	for _, s := range inv.Subusers {
		if s.Disabled {
			continue
		}
		if recent(s.Created) {
			add(Finding{ID: "subuser-recent:" + s.Username, Severity: High, Title: fmt.Sprintf("Subuser %s created %s", quote(s.Username), age(s.Created)), Detail: outsideNote(s.Email, own), Evidence: fmt.Sprintf("inventory: subuser %s <%s>", quote(s.Username), s.Email), Target: Target{Kind: "subuser", ID: s.Username, Name: s.Username}, Fix: ActDisableSubuser})
		}
	}
	for _, w := range inv.Webhooks {
		host := hostOf(w.URL)
		kind, what := "webhook", "Event webhook"
		if w.Kind == provider.WebhookParse {
			kind, what = "parse", "Inbound-parse route for "+w.Hostname
		}
		if !inDomains(host, own) {
			add(Finding{ID: kind + "-outside:" + w.ID, Severity: High, Title: fmt.Sprintf("%s posts to an unfamiliar host %s", what, quote(host)), Detail: "Whoever runs that host receives your recipients' data or your inbound mail.", Evidence: fmt.Sprintf("inventory: %s %s -> %s", kind, w.ID, w.URL), Target: Target{Kind: kind, ID: w.ID, Name: w.URL}, Fix: ActDeleteWebhook})
		}
	}
	for _, m := range inv.MailSettings {
		if m.Forwards && m.Enabled && m.Value != "" && !inDomains(m.Value, own) {
			add(Finding{ID: "mail-forward:" + m.Name, Severity: High, Title: fmt.Sprintf("Mail setting %s forwards mail to %s", m.Name, quote(m.Value)), Detail: "An outside address gets a copy of your mail.", Evidence: "inventory: mail setting " + m.Name, Target: Target{Kind: "mail_setting", ID: m.Name, Name: m.Name}, Fix: ActDisableMailSetting})
		}
	}
	for _, s := range inv.Senders {
		if !inDomains(s.Address, own) || (recent(s.Created) && s.Kind == "domain") {
			add(Finding{ID: "sender-unknown:" + s.ID, Severity: Medium, Title: fmt.Sprintf("Sender identity %s is outside your domains (added %s)", quote(s.Address), age(s.Created)), Detail: "Remove it in the console if you did not add it.", Evidence: "inventory: sender " + s.ID, Target: Target{Kind: "sender", ID: s.ID, Name: s.Address}})
		}
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
	return out
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

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return raw
	}
	return strings.ToLower(u.Hostname())
}

// inDomains: host or address domain equals or is under one of the domains.
func inDomains(s string, domains []string) bool {
	d := domainOf(s)
	if net.ParseIP(d) != nil {
		return false
	}
	for _, o := range domains {
		if d == o || strings.HasSuffix(d, "."+o) {
			return true
		}
	}
	return false
}

func outsideNote(email string, own []string) string {
	if email != "" && !inDomains(email, own) {
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
