package checklist

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"

	"reclaim/provider"
)

// ReviewObject is one thing in the account the owner is asked to vouch for
// in the evidence review: a key, teammate, pending invite, subuser, webhook,
// parse route, sender identity or enabled mail setting. Nothing starts
// vouched; Flags say why an object looks like the attacker's.
type ReviewObject struct {
	// Key is "kind:id", stable across inventories of the same account; it
	// is what AnalysisInput.Vouched holds.
	Key  string `json:"key"`
	Kind string `json:"kind"` // a Target kind: key, teammate, invite, subuser, webhook, parse, sender, mail_setting
	ID   string `json:"id"`   // the Target id
	// Label is sanitized and at most LabelCells terminal cells wide, for
	// one checklist line.
	Label string `json:"label"`
	// Flags are short reasons a stressed owner understands ("full access",
	// "name has control or escape characters"); empty when nothing is
	// suspicious.
	Flags []string `json:"flags,omitempty"`
	// Note is context that is not a suspicion: "no account domain is known
	// to compare with" when an address could not be judged.
	Note string `json:"note,omitempty"`
}

// LabelCells is the widest a ReviewObject label gets, in terminal cells.
const LabelCells = 70

// NoOwnDomainNote is the note on objects whose address could not be judged
// because no account domain is known.
const NoOwnDomainNote = "no account domain is known to compare with"

// ReviewKey is the ReviewObject key of a target kind and id.
func ReviewKey(kind, id string) string { return kind + ":" + id }

var reviewKindOrder = []string{"key", "teammate", "invite", "subuser", "webhook", "parse", "route", "sender", "mail_setting"}

// ReviewObjects lists what the owner should vouch for, in a deterministic
// order: by kind (keys, teammates, invites, subusers, webhooks, parse
// routes, senders, mail settings), flagged ones first within a kind, then by
// label. It leaves out the session key, inactive keys, the owner, disabled
// subusers and mail settings that are off.
func ReviewObjects(inv *Inventory, sessionKeyID string) []ReviewObject {
	if inv == nil {
		return nil
	}
	c := newChecker(inv)
	var out []ReviewObject
	add := func(kind, id, label string, flags []string, note string) {
		out = append(out, ReviewObject{Key: ReviewKey(kind, id), Kind: kind, ID: id, Label: label, Flags: flags, Note: note})
	}
	for _, k := range inv.Keys {
		if k.ID == sessionKeyID || k.Inactive {
			continue
		}
		add("key", k.ID, c.keyLabel(k), c.keyFlags(k), "")
	}
	for _, t := range inv.Teammates {
		if t.Owner {
			continue
		}
		kind := "teammate"
		if t.Pending {
			kind = "invite"
		}
		add(kind, teammateID(t), c.teammateLabel(t), c.teammateFlags(t), c.note(t.Email))
	}
	for _, s := range inv.Subusers {
		if s.Disabled {
			continue
		}
		add("subuser", s.Username, c.subuserLabel(s), c.subuserFlags(s), c.note(s.Email))
	}
	for _, w := range inv.Webhooks {
		target := hostOf(w.URL)
		if w.Kind == provider.WebhookRoute {
			target = strings.Join(routeTargets(w.URL), ",")
		}
		add(webhookKind(w), w.ID, webhookLabel(w), c.webhookFlags(w), c.note(target))
	}
	for _, s := range inv.Senders {
		add("sender", s.ID, c.senderLabel(s), c.senderFlags(s), c.note(s.Address))
	}
	for _, m := range inv.MailSettings {
		if !m.Enabled {
			continue
		}
		note := ""
		if t := mailSettingTargets(m); len(t) > 0 {
			note = c.note(t[0])
		}
		add("mail_setting", m.Name, mailSettingLabel(m), c.mailSettingFlags(m), note)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := slices.Index(reviewKindOrder, a.Kind), slices.Index(reviewKindOrder, b.Kind); ra != rb {
			return ra < rb
		}
		if fa, fb := len(a.Flags) > 0, len(b.Flags) > 0; fa != fb {
			return fa
		}
		if a.Label != b.Label {
			return a.Label < b.Label
		}
		return a.Key < b.Key
	})
	return out
}

// teammateID is the Target id of a teammate (username) or invite (token;
// the address when the provider gives no token).
func teammateID(t provider.Teammate) string {
	if t.Pending {
		return firstNonEmpty(t.Token, t.Username, t.Email)
	}
	return firstNonEmpty(t.Username, t.Token, t.Email)
}

// checker judges inventory objects against the account's own domains and
// the time the inventory was taken. Analyze and ReviewObjects share it, so a
// flag in the review always has a finding behind it.
type checker struct {
	inv *Inventory
	own []string
}

func newChecker(inv *Inventory) checker { return checker{inv: inv, own: ownDomains(inv)} }

func (c checker) recent(t time.Time) bool {
	return !t.IsZero() && c.inv.TakenAt.Sub(t) <= RecentWindow
}

func (c checker) age(t time.Time) string { return Age(c.inv.TakenAt, t) }

// foreign reports whether an address or host is outside the account's
// domains. With no known domain nothing is foreign: reclaim cannot tell.
func (c checker) foreign(addr string) bool {
	return len(c.own) > 0 && strings.TrimSpace(addr) != "" && !inDomains(strings.TrimSpace(addr), c.own)
}

// note is NoOwnDomainNote for an address that could not be judged.
func (c checker) note(addr string) string {
	if len(c.own) == 0 && strings.TrimSpace(addr) != "" {
		return NoOwnDomainNote
	}
	return ""
}

// ownText lists the account's domains for a flag: "acme.example",
// "a.example, b.example and 3 more".
func (c checker) ownText() string {
	const shown = 3
	if len(c.own) <= shown {
		return strings.Join(c.own, ", ")
	}
	return strings.Join(c.own[:shown], ", ") + fmt.Sprintf(" and %d more", len(c.own)-shown)
}

// emailFlag is the flag for an address whose domain is outside the
// account's, or "".
func (c checker) emailFlag(addr string) string {
	if !c.foreign(addr) {
		return ""
	}
	return fmt.Sprintf("email domain %s is not one of the account's (%s)", provider.SanitizeN(domainOf(addr), 60), c.ownText())
}

func nameFlags(field, s string) []string {
	var out []string
	for _, issue := range nameIssues(s) {
		out = append(out, field+" has "+issue)
	}
	return out
}

func appendNonEmpty(out []string, s ...string) []string {
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (c checker) keyFlags(k provider.APIKey) []string {
	out := nameFlags("name", k.Name)
	if k.FullAccess {
		out = append(out, "full access")
	}
	if c.recent(k.Created) {
		out = append(out, "created "+c.age(k.Created))
	}
	return out
}

// teammateNameIssues lists the name issues of a teammate (username and
// display name together) or invite (its address).
func teammateNameIssues(t provider.Teammate) []string {
	if t.Pending {
		return nameIssues(t.Email)
	}
	issues := nameIssues(t.Username)
	if t.Name != t.Username {
		for _, i := range nameIssues(t.Name) {
			if !slices.Contains(issues, i) {
				issues = append(issues, i)
			}
		}
	}
	return issues
}

func (c checker) teammateFlags(t provider.Teammate) []string {
	var out []string
	if t.Pending {
		out = nameFlags("address", t.Email)
	} else {
		out = nameFlags("username", t.Username)
		if t.Name != t.Username {
			out = append(out, nameFlags("name", t.Name)...)
		}
	}
	if !t.Pending && t.TwoFactor == provider.TwoFactorOff {
		out = append(out, "no two-factor authentication")
	}
	if c.recent(t.Created) {
		if t.Pending {
			out = append(out, "invited "+c.age(t.Created))
		} else {
			out = append(out, "added "+c.age(t.Created))
		}
	}
	return appendNonEmpty(out, c.emailFlag(t.Email))
}

func (c checker) subuserFlags(s provider.Subuser) []string {
	out := nameFlags("username", s.Username)
	if c.recent(s.Created) {
		out = append(out, "created "+c.age(s.Created))
	}
	return appendNonEmpty(out, c.emailFlag(s.Email))
}

func (c checker) webhookFlags(w provider.Webhook) []string {
	if w.Kind == provider.WebhookRoute {
		var out []string
		for _, t := range c.foreignRouteTargets(w) {
			out = append(out, fmt.Sprintf("forwards mail to %s, not one of the account's domains (%s)", provider.SanitizeN(t, 60), c.ownText()))
		}
		return out
	}
	host := hostOf(w.URL)
	if !c.foreign(host) {
		return nil
	}
	verb := "posts events to"
	if w.Kind == provider.WebhookParse {
		verb = "hands inbound mail to"
	}
	return []string{fmt.Sprintf("%s %s, not one of the account's domains (%s)", verb, provider.SanitizeN(host, 60), c.ownText())}
}

// senderSuspect reports whether a sender is outside the account's domains
// or is a domain authenticated within the recent window.
func (c checker) senderSuspect(s provider.Sender) bool {
	return c.foreign(s.Address) || (c.recent(s.Created) && s.Kind == "domain")
}

func (c checker) senderFlags(s provider.Sender) []string {
	out := nameFlags("address", s.Address)
	if c.foreign(s.Address) {
		out = append(out, fmt.Sprintf("domain %s is not one of the account's (%s)", provider.SanitizeN(domainOf(s.Address), 60), c.ownText()))
	}
	if c.recent(s.Created) && s.Kind == "domain" {
		out = append(out, "domain added "+c.age(s.Created))
	}
	return out
}

// foreignForwards returns the forwarding addresses of a forwarding setting
// that are outside the account's domains (sanitized).
func (c checker) foreignForwards(m provider.MailSetting) []string {
	if !m.Forwards {
		return nil
	}
	var out []string
	for _, a := range splitAddresses(m.Value) {
		if c.foreign(a) {
			out = append(out, provider.SanitizeN(a, 60))
		}
	}
	return out
}

// foreignLinks returns the hosts a non-forwarding setting (a footer, a
// template) links to that are outside the account's domains (sanitized).
func (c checker) foreignLinks(m provider.MailSetting) []string {
	if m.Forwards {
		return nil
	}
	var out []string
	for _, h := range linkHosts(m.Value) {
		if c.foreign(h) {
			out = append(out, provider.SanitizeN(h, 60))
		}
	}
	return out
}

func (c checker) mailSettingFlags(m provider.MailSetting) []string {
	var out []string
	for _, a := range c.foreignForwards(m) {
		out = append(out, fmt.Sprintf("forwards mail to %s, not one of the account's domains (%s)", a, c.ownText()))
	}
	for _, h := range c.foreignLinks(m) {
		out = append(out, fmt.Sprintf("links to %s, not one of the account's domains (%s)", h, c.ownText()))
	}
	return out
}

// mailSettingTargets are the addresses or link hosts a setting sends mail
// or readers to.
func mailSettingTargets(m provider.MailSetting) []string {
	if m.Forwards {
		return splitAddresses(m.Value)
	}
	return linkHosts(m.Value)
}

func splitAddresses(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

var (
	urlRe   = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'\x60\\{}|^\x{FFFD}]+`)
	relRe   = regexp.MustCompile(`(?i)\b(?:href|src|action)\s*=\s*["']?(//[^\s<>"'\x60\\{}|^\x{FFFD}]+)`)
	wwwRe   = regexp.MustCompile(`(?i)(?:^|[^\w./@-])(www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+)`)
	emailRe = regexp.MustCompile(`(?i)[a-z0-9._%+-]+@([a-z0-9-]+(?:\.[a-z0-9-]+)+)`)
)

// linkHosts extracts the hosts of every http(s) URL (also protocol-relative
// href/src URLs, bare www. names and mail addresses) in a mail setting's
// text or HTML, lower-cased, in order of appearance, without repeats.
// Escape and invisible characters end a URL.
func linkHosts(v string) []string {
	if v == "" {
		return nil
	}
	s := provider.Sanitize(v)
	var out []string
	addHost := func(h string) {
		h = strings.TrimRight(strings.ToLower(h), ".")
		if h != "" && !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	addURL := func(u string) {
		u = strings.TrimRight(u, ".,;:!?)]}'\"")
		if h := hostOf(u); h != u {
			addHost(h)
		}
	}
	type hit struct {
		at   int
		host func()
	}
	var hits []hit
	for _, m := range urlRe.FindAllStringIndex(s, -1) {
		u := s[m[0]:m[1]]
		hits = append(hits, hit{m[0], func() { addURL(u) }})
	}
	for _, m := range relRe.FindAllStringSubmatchIndex(s, -1) {
		u := "https:" + s[m[2]:m[3]]
		hits = append(hits, hit{m[2], func() { addURL(u) }})
	}
	for _, m := range wwwRe.FindAllStringSubmatchIndex(s, -1) {
		u := "http://" + s[m[2]:m[3]]
		hits = append(hits, hit{m[2], func() { addURL(u) }})
	}
	for _, m := range emailRe.FindAllStringSubmatchIndex(s, -1) {
		d := s[m[2]:m[3]]
		hits = append(hits, hit{m[2], func() { addHost(d) }})
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].at < hits[j].at })
	for _, h := range hits {
		h.host()
	}
	return out
}

// ---- names ----

// Name issues, as phrases that follow "name has ".
const (
	issueControl   = "control or escape characters"
	issueBidi      = "hidden text-direction (bidi) characters"
	issueInvisible = "invisible characters"
	issueStyled    = "full-width or styled letters that imitate plain ones"
)

// nameIssues says what is disguising about a name: control and escape
// characters, bidi controls, invisible characters, letters of different
// scripts mixed in one word (a Cyrillic "а" in a Latin word), a word
// written wholly in look-alike letters of another script, and full-width or
// mathematical letters that imitate plain ones. Nil when the name is plain.
func nameIssues(s string) []string {
	var control, bidi, invisible, styled bool
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError:
			// invalid UTF-8, or a U+FFFD that an adapter put in place of
			// an escape code or control character it removed
			control = true
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029:
			control = true
		case (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c:
			bidi = true
		case invisibleRune(r):
			invisible = true
		case r >= 0x80 && styledRune(r):
			styled = true
		}
	}
	var out []string
	if control {
		out = append(out, issueControl)
	}
	if bidi {
		out = append(out, issueBidi)
	}
	if invisible {
		out = append(out, issueInvisible)
	}
	out = append(out, scriptIssues(s)...)
	if styled {
		out = append(out, issueStyled)
	}
	return out
}

// nameIssueSummary condenses name issues for a finding's title: "hidden
// characters", "look-alike letters" or both.
func nameIssueSummary(issues []string) string {
	var hidden, look bool
	for _, i := range issues {
		switch i {
		case issueControl, issueBidi, issueInvisible:
			hidden = true
		default:
			look = true
		}
	}
	switch {
	case hidden && look:
		return "hidden characters and look-alike letters"
	case look:
		return "look-alike letters"
	}
	return "hidden characters"
}

// invisibleRune: format and private-use characters, blank letters (Hangul
// fillers, the braille blank) and spaces other than the ASCII one.
func invisibleRune(r rune) bool {
	switch r {
	case 0x115f, 0x1160, 0x3164, 0xffa0, 0x2800, 0x034f, 0x180e:
		return true
	}
	if r > 0x7f && unicode.Is(unicode.Zs, r) {
		return true
	}
	return unicode.In(r, unicode.Cf, unicode.Co, unicode.Cs)
}

// styledRune: a letter or digit whose compatibility form is a plain ASCII
// letter or digit (full-width "ｐ", mathematical "𝐩", the "ﬁ" ligature).
func styledRune(r rune) bool {
	if !unicode.IsLetter(r) && !unicode.In(r, unicode.Nd, unicode.Nl) {
		return false
	}
	k := norm.NFKC.String(string(r))
	if k == string(r) {
		return false
	}
	for _, c := range k {
		if c >= 0x80 || !(unicode.IsLetter(c) || unicode.IsDigit(c)) {
			return false
		}
	}
	return true
}

// cjk scripts mix with each other and with Latin in ordinary names.
var cjk = []string{"Han", "Hiragana", "Katakana", "Hangul", "Bopomofo"}

// scriptNames are checked first (look-alike scripts, then CJK); the rest of
// unicode.Scripts follows in name order.
var scriptNames = func() []string {
	first := append([]string{"Latin", "Cyrillic", "Greek", "Armenian", "Cherokee", "Coptic", "Georgian"}, cjk...)
	var rest []string
	for name := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && !slices.Contains(first, name) {
			rest = append(rest, name)
		}
	}
	sort.Strings(rest)
	return append(first, rest...)
}()

func scriptOf(r rune) string {
	if !unicode.IsLetter(r) {
		return ""
	}
	for _, name := range scriptNames {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	return ""
}

// latinLookalikes are Cyrillic, Greek and Armenian letters that render like
// Latin ones in common fonts.
var latinLookalikes = map[rune]bool{}

func init() {
	for _, r := range "аеорсухѕіјԁһԛԝӏүАВЕКМНОРСТХЅІЈԚԜҮ" + // Cyrillic
		"αικνορυχΑΒΕΖΗΙΚΜΝΟΡΤΥΧ" + // Greek
		"օսհոզ" { // Armenian
		latinLookalikes[r] = true
	}
}

// scriptIssues finds, word by word, letters of several scripts mixed in one
// word (Latin with Han or kana is ordinary and allowed) and words written
// wholly in another script's letters that look like Latin ones.
func scriptIssues(s string) []string {
	var mixed []string // script names seen mixed
	whole := ""        // script of a wholly look-alike word
	for _, word := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) && !unicode.IsDigit(r) }) {
		var scripts []string
		letters, look := 0, 0
		for _, r := range word {
			sc := scriptOf(r)
			if sc == "" {
				continue
			}
			letters++
			if latinLookalikes[r] {
				look++
			}
			if !slices.Contains(scripts, sc) {
				scripts = append(scripts, sc)
			}
		}
		if len(scripts) > 1 && !ordinaryMix(scripts) {
			for _, sc := range scripts {
				if !slices.Contains(mixed, sc) {
					mixed = append(mixed, sc)
				}
			}
		}
		if len(scripts) == 1 && scripts[0] != "Latin" && letters >= 2 && look == letters && whole == "" {
			whole = scripts[0]
		}
	}
	var out []string
	if len(mixed) > 0 {
		sort.Slice(mixed, func(i, j int) bool {
			if (mixed[i] == "Latin") != (mixed[j] == "Latin") {
				return mixed[i] == "Latin"
			}
			return mixed[i] < mixed[j]
		})
		out = append(out, fmt.Sprintf("look-alike characters: %s letters mixed in one word", andList(mixed)))
	}
	if whole != "" {
		out = append(out, fmt.Sprintf("look-alike characters: a word spelt in %s letters that look like Latin ones", whole))
	}
	return out
}

func ordinaryMix(scripts []string) bool {
	for _, sc := range scripts {
		if sc != "Latin" && !slices.Contains(cjk, sc) {
			return false
		}
	}
	return true
}

func andList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// ---- labels ----

func (c checker) keyLabel(k provider.APIKey) string {
	var parts []string
	if id := provider.Sanitize(k.ID); id != "" {
		parts = append(parts, idPrefix(id))
	}
	switch {
	case k.Master:
		parts = append(parts, "master key")
	case k.FullAccess:
		parts = append(parts, "full access")
	default:
		parts = append(parts, "scoped")
	}
	if k.Subuser != "" {
		parts = append(parts, "subuser "+quoteN(k.Subuser, 20))
	}
	if !k.Created.IsZero() {
		parts = append(parts, "created "+c.age(k.Created))
	}
	return fitLabel("API key ", quoted(k.Name), " ("+strings.Join(parts, ", ")+")")
}

func (c checker) teammateLabel(t provider.Teammate) string {
	var extra []string
	if t.Admin {
		extra = append(extra, "admin")
	}
	if t.Pending {
		if !t.Created.IsZero() {
			extra = append(extra, "sent "+c.age(t.Created))
		}
		return fitLabel("Pending invite for ", provider.Sanitize(t.Email), parenthesis(extra))
	}
	if !t.Created.IsZero() {
		extra = append(extra, "added "+c.age(t.Created))
	}
	suffix := ""
	if t.Name != "" && t.Name != t.Username {
		suffix += " " + quoteN(t.Name, 24)
	}
	if t.Email != "" && t.Email != t.Username {
		suffix += " <" + provider.SanitizeN(t.Email, 40) + ">"
	}
	return fitLabel("Teammate ", quoted(t.Username), suffix+parenthesis(extra))
}

func (c checker) subuserLabel(s provider.Subuser) string {
	suffix := ""
	if s.Email != "" {
		suffix = " <" + provider.SanitizeN(s.Email, 40) + ">"
	}
	if !s.Created.IsZero() {
		suffix += " (created " + c.age(s.Created) + ")"
	}
	return fitLabel("Subuser ", quoted(s.Username), suffix)
}

func webhookLabel(w provider.Webhook) string {
	suffix := ""
	if !w.Enabled {
		suffix = " (disabled)"
	}
	if w.Domain != "" {
		suffix = " (domain " + provider.SanitizeN(w.Domain, 30) + ")" + suffix
	}
	switch w.Kind {
	case provider.WebhookParse:
		return fitLabel("Inbound mail for "+provider.SanitizeN(w.Hostname, 30)+" goes to ", provider.Sanitize(w.URL), suffix)
	case provider.WebhookRoute:
		prefix := "Route forwards mail to "
		if w.Filter != "" {
			prefix = "Route " + provider.SanitizeN(w.Filter, 24) + " forwards to "
		}
		return fitLabel(prefix, provider.Sanitize(w.URL), suffix)
	}
	return fitLabel("Event webhook to ", provider.Sanitize(w.URL), suffix)
}

func (c checker) senderLabel(s provider.Sender) string {
	prefix := "Sender "
	if s.Kind == "domain" {
		prefix = "Authenticated domain "
	}
	var extra []string
	if !s.Verified {
		extra = append(extra, "not verified")
	}
	if !s.Created.IsZero() {
		extra = append(extra, "added "+c.age(s.Created))
	}
	return fitLabel(prefix, provider.Sanitize(s.Address), parenthesis(extra))
}

func mailSettingLabel(m provider.MailSetting) string {
	name := provider.SanitizeN(m.Name, 30)
	if strings.TrimSpace(m.Value) == "" {
		return fitLabel("Mail setting "+name, "", " (on)")
	}
	verb := ": "
	if m.Forwards {
		verb = " forwards to "
	}
	return fitLabel("Mail setting "+name+verb, quoted(m.Value), "")
}

func parenthesis(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return " (" + strings.Join(xs, ", ") + ")"
}

func quoted(s string) string { return "\"" + provider.Sanitize(s) + "\"" }

func quoteN(s string, n int) string { return "\"" + provider.SanitizeN(s, n) + "\"" }

func idPrefix(id string) string {
	if utf8.RuneCountInString(id) > 6 {
		return string([]rune(id)[:6]) + "…"
	}
	return id
}

// fitLabel joins prefix, name and suffix (all sanitized) within LabelCells
// cells, shortening the name first and then the end of the line.
func fitLabel(prefix, name, suffix string) string {
	full := prefix + name + suffix
	if cells(full) <= LabelCells {
		return full
	}
	// The name keeps at least minName cells; the suffix is cut after it.
	const minName = 16
	room := max(LabelCells-cells(prefix)-cells(suffix), minName)
	closing := ""
	if len(name) >= 2 && strings.HasPrefix(name, "\"") && strings.HasSuffix(name, "\"") {
		closing = "\""
	}
	if cells(name) > room {
		name = truncCells(name, room-cells(closing)) + closing
	}
	return truncCells(prefix+name+suffix, LabelCells)
}

// cells is the width of sanitized text in a terminal: wide and full-width
// characters take two cells, combining marks none.
func cells(s string) int {
	n := 0
	for _, r := range s {
		n += runeCells(r)
	}
	return n
}

func runeCells(r rune) int {
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// truncCells cuts s to at most n cells, ending in "…" when it cuts.
func truncCells(s string, n int) string {
	if cells(s) <= n {
		return s
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		w := runeCells(r)
		if used+w > n-1 {
			break
		}
		b.WriteRune(r)
		used += w
	}
	return b.String() + "…"
}
