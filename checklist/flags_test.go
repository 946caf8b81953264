package checklist

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/sendgrid"
	"reclaim/provider/sendgrid/sgfake"
)

var flagsNow = time.Date(2026, 3, 2, 7, 40, 0, 0, time.UTC)

const escapeKeyName = "deploy\x1b[2J\x1b[31m-prod\u202egpj.exe"

// sendgridShaped is an inventory as the SendGrid adapter returns it: keys,
// teammates and subusers carry no creation dates, the footer's text is in
// Value, forwarding settings carry their address.
func sendgridShaped() *Inventory {
	return &Inventory{
		TakenAt: flagsNow,
		Account: &provider.Account{Username: "acme", Email: "ops@acme.example", Type: "paid"},
		Keys: []provider.APIKey{
			{ID: "sess1234567", Name: "reclaim session", FullAccess: true, Scopes: []string{"api_keys.read"}},
			{ID: "news1234567", Name: "newsletter", Scopes: []string{"mail.send"}},
			{ID: "esc12345678", Name: escapeKeyName, FullAccess: true, Scopes: []string{"api_keys.create"}},
			{ID: "sub12345678", Name: "sub key", Scopes: []string{"mail.send"}, Subuser: "marketing"},
			{ID: "old12345678", Name: "old\x1b[31m", Inactive: true},
		},
		Teammates: []provider.Teammate{
			{Username: "acme", Email: "ops@acme.example", Owner: true, Admin: true},
			{Username: "dana", Email: "dana@acme.example", Name: "Dana Dev"},
		},
		Subusers: []provider.Subuser{
			{Username: "marketing", Email: "mk@acme.example"},
			{Username: "spam bot", Email: "x@evil.example"},
		},
		Webhooks: []provider.Webhook{{ID: "wh-1", Kind: provider.WebhookEvent, URL: "https://hooks.acme.example/events", Enabled: true}},
		MailSettings: []provider.MailSetting{
			{Name: "forward_bounce", Enabled: false, Forwards: true},
			{Name: "forward_spam", Enabled: true, Forwards: true, Value: "spam@acme.example"},
			{Name: "address_whitelist", Enabled: true, Value: "acme.example"},
			{Name: "footer", Enabled: true, Value: "Acme Widgets — see https://evil.example/ for offers"},
			{Name: "template", Enabled: false, Value: "<a href=\"https://evil.example/\">x</a>"},
		},
		Senders: []provider.Sender{
			{ID: "3", Kind: "domain", Address: "acme.example", Verified: true},
			{ID: "1", Kind: "single", Address: "news@acme.example", Verified: true},
		},
	}
}

func objectByKey(objs []ReviewObject, key string) (ReviewObject, bool) {
	for _, o := range objs {
		if o.Key == key {
			return o, true
		}
	}
	return ReviewObject{}, false
}

func findingFor(fs []Finding, prefix string) (Finding, bool) {
	for _, f := range fs {
		if strings.HasPrefix(f.ID, prefix) {
			return f, true
		}
	}
	return Finding{}, false
}

func hasFlag(o ReviewObject, part string) bool {
	return slices.ContainsFunc(o.Flags, func(f string) bool { return strings.Contains(f, part) })
}

// reviewDefault mirrors how the review step picks the keys it pre-ticks
// today: a key with any inventory finding other than "has full access" is
// not pre-ticked.
func reviewDefault(fs []Finding, keyID string) bool {
	for _, f := range fs {
		if f.Target.Kind == "key" && f.Target.ID == keyID && f.Source == "inventory" && !strings.HasPrefix(f.ID, "key-full:") {
			return false
		}
	}
	return true
}

func TestEscapeNamedFullAccessKeyIsFlagged(t *testing.T) {
	inv := sendgridShaped()
	objs := ReviewObjects(inv, "sess1234567")
	o, ok := objectByKey(objs, "key:esc12345678")
	if !ok {
		t.Fatalf("escape-named key not listed: %+v", objs)
	}
	for _, want := range []string{"name has control or escape characters", "name has hidden text-direction (bidi) characters", "full access"} {
		if !slices.Contains(o.Flags, want) {
			t.Errorf("flags %q lack %q", o.Flags, want)
		}
	}
	if strings.ContainsAny(o.Label, "\x1b\u202e") || !strings.Contains(o.Label, "\uFFFD") {
		t.Errorf("label not sanitized: %q", o.Label)
	}
	if _, ok := objectByKey(objs, "key:sess1234567"); ok {
		t.Error("the session key is listed for review")
	}
	if _, ok := objectByKey(objs, "key:old12345678"); ok {
		t.Error("an inactive key is listed for review")
	}
	if n, _ := objectByKey(objs, "key:news1234567"); len(n.Flags) != 0 {
		t.Errorf("scoped plain key flagged: %q", n.Flags)
	}

	fs := Analyze(inv, AnalysisInput{SessionKeyID: "sess1234567"})
	f, ok := findingFor(fs, "key-name:esc12345678")
	if !ok || f.Severity != High || f.Fix != ActRevokeKey {
		t.Fatalf("no high key-name finding with a revoke fix: %+v", fs)
	}
	if !strings.Contains(f.Title, "hidden characters in its name") || strings.ContainsAny(f.Title, "\x1b\u202e") {
		t.Errorf("title %q", f.Title)
	}
	if !strings.Contains(f.Detail, "control or escape characters and hidden text-direction (bidi) characters") {
		t.Errorf("detail %q", f.Detail)
	}
	if full, ok := findingFor(fs, "key-full:esc12345678"); !ok || full.Severity != Medium || full.Fix != ActRevokeKey {
		t.Errorf("key-full finding %+v", full)
	}
	if reviewDefault(fs, "esc12345678") {
		t.Error("the escape-named full-access key would be pre-ticked as recognised")
	}
	if !reviewDefault(fs, "news1234567") {
		t.Error("the plain scoped key has a suspicion finding")
	}
	// The owner ticks only the newsletter key: the other one is unknown.
	fs = Analyze(inv, AnalysisInput{SessionKeyID: "sess1234567", Recognised: []string{"news1234567"}})
	if _, ok := findingFor(fs, "key-unknown:esc12345678"); !ok {
		t.Errorf("no key-unknown for the unticked key: %+v", fs)
	}
	if _, ok := findingFor(fs, "key-unknown:news1234567"); ok {
		t.Error("a recognised key is unknown")
	}
}

func TestForeignSubuserIsFlagged(t *testing.T) {
	inv := sendgridShaped()
	o, ok := objectByKey(ReviewObjects(inv, ""), "subuser:spam bot")
	if !ok {
		t.Fatal("subuser not listed")
	}
	if want := "email domain evil.example is not one of the account's (acme.example)"; !slices.Contains(o.Flags, want) {
		t.Errorf("flags %q lack %q", o.Flags, want)
	}
	if o.Label != `Subuser "spam bot" <x@evil.example>` {
		t.Errorf("label %q", o.Label)
	}
	if m, _ := objectByKey(ReviewObjects(inv, ""), "subuser:marketing"); len(m.Flags) != 0 {
		t.Errorf("own subuser flagged: %q", m.Flags)
	}
	fs := Analyze(inv, AnalysisInput{})
	f, ok := findingFor(fs, "subuser-outside:spam bot")
	if !ok || f.Fix != ActDisableSubuser || f.Target != (Target{Kind: "subuser", ID: "spam bot", Name: "spam bot"}) {
		t.Fatalf("no subuser-outside finding with a disable fix: %+v", fs)
	}
	if _, ok := findingFor(fs, "subuser-outside:marketing"); ok {
		t.Error("own subuser has an outside finding")
	}
}

func TestFooterLinkingOutsideIsFlagged(t *testing.T) {
	inv := sendgridShaped()
	objs := ReviewObjects(inv, "")
	o, ok := objectByKey(objs, "mail_setting:footer")
	if !ok {
		t.Fatal("footer not listed")
	}
	if want := "links to evil.example, not one of the account's domains (acme.example)"; !slices.Contains(o.Flags, want) {
		t.Errorf("flags %q lack %q", o.Flags, want)
	}
	if _, ok := objectByKey(objs, "mail_setting:template"); ok {
		t.Error("a mail setting that is off is listed")
	}
	if fw, _ := objectByKey(objs, "mail_setting:forward_spam"); len(fw.Flags) != 0 {
		t.Errorf("forwarding to an own address flagged: %q", fw.Flags)
	}
	fs := Analyze(inv, AnalysisInput{})
	f, ok := findingFor(fs, "mail-links:footer")
	if !ok || f.Fix != ActDisableMailSetting || f.Severity != High || !strings.Contains(f.Title, "evil.example") {
		t.Fatalf("no mail-links finding for the footer: %+v", fs)
	}
	for _, f := range fs {
		if f.Target.Kind == "mail_setting" && f.Target.ID != "footer" {
			t.Errorf("unexpected mail setting finding %+v", f)
		}
	}
}

// TestSendGridFakeTriggersFlags reads the fake SendGrid account through the
// real adapter, so the flags work on the shapes a real account returns.
func TestSendGridFakeTriggersFlags(t *testing.T) {
	st, session := sgfake.Default(time.Now())
	st.Subusers = append(st.Subusers, sgfake.Subuser{ID: 13, Username: "spam bot", Email: "x@evil.example"})
	f := sgfake.New(st)
	defer f.Close()
	c, err := sendgrid.NewWithOptions(provider.Config{Credential: session.Token, BaseURL: f.URL}, sendgrid.Options{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := TakeInventory(context.Background(), c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	objs := ReviewObjects(inv, c.SessionKeyID())
	want := map[string]string{
		"subuser:spam bot":            "email domain evil.example",
		"subuser:spam\u2066bot":       "username has hidden text-direction",
		"mail_setting:footer":         "links to evil.example",
		"mail_setting:forward_bounce": "forwards mail to bounces@evil.example",
		"invite:tok-1":                "email domain evil.example",
	}
	for key, part := range want {
		o, ok := objectByKey(objs, key)
		if !ok {
			t.Errorf("%s not listed in %+v", key, objs)
			continue
		}
		if !hasFlag(o, part) {
			t.Errorf("%s flags %q lack %q", key, o.Flags, part)
		}
	}
	var escKey string
	for _, k := range inv.Keys {
		if strings.HasPrefix(k.Name, "deploy\x1b") {
			escKey = k.ID
		}
	}
	if o, ok := objectByKey(objs, "key:"+escKey); !ok || !hasFlag(o, "control or escape") || !hasFlag(o, "full access") {
		t.Errorf("attacker key %+v", o)
	}
	var mallory ReviewObject
	for _, o := range objs {
		if o.Kind == "teammate" {
			mallory = o
		}
	}
	if !hasFlag(mallory, "control or escape") || !hasFlag(mallory, "text-direction") || !hasFlag(mallory, "evil.example") {
		t.Errorf("teammate flags %q", mallory.Flags)
	}
	fs := Analyze(inv, AnalysisInput{SessionKeyID: c.SessionKeyID()})
	for _, id := range []string{"key-name:" + escKey, "subuser-outside:spam bot", "subuser-name:spam\u2066bot", "mail-links:footer", "mail-forward:forward_bounce"} {
		if _, ok := findingFor(fs, id); !ok {
			t.Errorf("no %s finding", id)
		}
	}
	checkFlagsHaveFindings(t, objs, fs)
	for _, o := range objs {
		if cells(o.Label) > LabelCells || provider.Sanitize(o.Label) != o.Label {
			t.Errorf("label %q: %d cells or unsanitized", o.Label, cells(o.Label))
		}
	}
}

// checkFlagsHaveFindings: every flagged review object has a finding behind
// it, so the review and the audit steps agree.
func checkFlagsHaveFindings(t *testing.T, objs []ReviewObject, fs []Finding) {
	t.Helper()
	for _, o := range objs {
		if len(o.Flags) == 0 {
			continue
		}
		if !slices.ContainsFunc(fs, func(f Finding) bool { return f.Target.Kind == o.Kind && f.Target.ID == o.ID }) {
			t.Errorf("%s is flagged %q but has no finding", o.Key, o.Flags)
		}
	}
}

func TestNameIssues(t *testing.T) {
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"production-web", nil},
		{"newsletter worker 2", nil},
		{"José Müller", nil},
		{"Иван-dev", nil},    // a Russian word and a Latin word: ordinary
		{"Иван Петров", nil}, // wholly Cyrillic, not look-alike
		{"東京 tokyo-キー", nil}, // CJK with Latin: ordinary
		{"prod\u00a0key", []string{issueInvisible}},
		{"p\u0430ypal-billing", []string{"look-alike characters: Latin and Cyrillic letters mixed in one word"}},
		{"sendgr\u0456d support", []string{"look-alike characters: Latin and Cyrillic letters mixed in one word"}},
		{"\u0440\u0430\u0443\u0440\u0430\u04cf", []string{"look-alike characters: a word spelt in Cyrillic letters that look like Latin ones"}}, // "раураӏ"
		{"\u039f\u03a1\u03a3", nil}, // ΟΡΣ: Σ looks like no Latin letter
		{"ｐｒｏｄ", []string{issueStyled}},
		{"𝐩𝐫𝐨𝐝", []string{issueStyled}},
		{"a\u200bb", []string{issueInvisible}},
		{"x\u202ey", []string{issueBidi}},
		{"bad\xffutf8", []string{issueControl}},
		{escapeKeyName, []string{issueControl, issueBidi}},
	} {
		if got := nameIssues(tc.name); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("nameIssues(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestLookAlikeTeammateAndKey(t *testing.T) {
	inv := sendgridShaped()
	inv.Keys = append(inv.Keys, provider.APIKey{ID: "cyr12345678", Name: "n\u0435wsletter", Scopes: []string{"mail.send"}})
	inv.Teammates = append(inv.Teammates, provider.Teammate{Username: "d\u0430na", Email: "dana2@acme.example", Name: "Dana"})
	objs := ReviewObjects(inv, "sess1234567")
	if o, _ := objectByKey(objs, "key:cyr12345678"); !hasFlag(o, "Latin and Cyrillic letters mixed") {
		t.Errorf("look-alike key flags %q", o.Flags)
	}
	if o, _ := objectByKey(objs, "teammate:d\u0430na"); !hasFlag(o, "username has look-alike characters") {
		t.Errorf("look-alike teammate flags %q", o.Flags)
	}
	fs := Analyze(inv, AnalysisInput{SessionKeyID: "sess1234567"})
	if f, ok := findingFor(fs, "key-name:cyr12345678"); !ok || f.Severity != High || f.Fix != ActRevokeKey {
		t.Errorf("look-alike key finding %+v", f)
	}
	if f, ok := findingFor(fs, "teammate-name:d\u0430na"); !ok || f.Fix != ActRemoveTeammate {
		t.Errorf("look-alike teammate finding %+v", f)
	}
	checkFlagsHaveFindings(t, objs, fs)
}

func TestNoOwnDomainIsNotFlaggingEverything(t *testing.T) {
	inv := sendgridShaped()
	inv.Account = nil
	inv.Senders = nil
	inv.Teammates = append(inv.Teammates, provider.Teammate{Username: "eve", Email: "eve@elsewhere.example", Admin: true})
	objs := ReviewObjects(inv, "sess1234567")
	for _, key := range []string{"subuser:spam bot", "subuser:marketing", "teammate:eve", "webhook:wh-1", "mail_setting:footer"} {
		o, ok := objectByKey(objs, key)
		if !ok {
			t.Fatalf("%s not listed", key)
		}
		if len(o.Flags) != 0 || o.Note != NoOwnDomainNote {
			t.Errorf("%s: flags %q note %q", key, o.Flags, o.Note)
		}
	}
	if o, _ := objectByKey(objs, "key:news1234567"); o.Note != "" {
		t.Errorf("a key has a domain note %q", o.Note)
	}
	fs := Analyze(inv, AnalysisInput{SessionKeyID: "sess1234567"})
	for _, f := range fs {
		if strings.Contains(f.ID, "-outside") || strings.HasPrefix(f.ID, "mail-links:") || strings.HasPrefix(f.ID, "mail-forward:") {
			t.Errorf("outside finding with no known domain: %+v", f)
		}
	}
	if f, ok := findingFor(fs, "domains-unknown"); !ok || f.Severity != Low || f.Fix != "" {
		t.Errorf("no low domains-unknown finding: %+v", fs)
	}
	// Structural flags still work.
	if _, ok := findingFor(fs, "key-name:esc12345678"); !ok {
		t.Error("no key-name finding without a known domain")
	}
}

func TestVouchedObjects(t *testing.T) {
	inv := sendgridShaped()
	inv.Webhooks = append(inv.Webhooks, provider.Webhook{ID: "wh-2", Kind: provider.WebhookEvent, URL: "https://stats.partner.example/in", Enabled: true})
	inv.Teammates = append(inv.Teammates, provider.Teammate{Username: "con\x1b[0mtractor", Email: "c@partner.example", Created: flagsNow.Add(-24 * time.Hour)})
	in := AnalysisInput{SessionKeyID: "sess1234567", Vouched: []string{"key:esc12345678", "subuser:spam bot", "mail_setting:footer", "webhook:wh-2", "teammate:con\x1b[0mtractor"}}
	fs := Analyze(inv, in)
	full, ok := findingFor(fs, "key-full:esc12345678")
	if !ok || full.Severity != Medium || full.Fix != "" {
		t.Errorf("vouched full-access key: %+v", full)
	}
	name, ok := findingFor(fs, "key-name:esc12345678")
	if !ok || name.Severity != Low || name.Fix != "" {
		t.Errorf("vouched escape-named key: %+v", name)
	}
	for _, gone := range []string{"key-unknown:esc12345678", "subuser-outside:spam bot", "mail-links:footer", "webhook-outside:wh-2"} {
		if f, ok := findingFor(fs, gone); ok {
			t.Errorf("vouched object still has %+v", f)
		}
	}
	// Vouching some objects means the review happened: unvouched keys
	// are unknown.
	if _, ok := findingFor(fs, "key-unknown:news1234567"); !ok {
		t.Error("an unvouched key is not unknown after the review")
	}
	if f, ok := findingFor(fs, "teammate-recent:con\x1b[0mtractor"); !ok || f.Severity != Low || f.Fix != "" {
		t.Errorf("vouched recent teammate: %+v", f)
	}
	if f, ok := findingFor(fs, "teammate-name:con\x1b[0mtractor"); !ok || f.Severity != Low || f.Fix != "" {
		t.Errorf("vouched teammate name: %+v", f)
	}
	for _, f := range fs {
		if f.Fix != "" && slices.Contains(in.Vouched, f.Target.Kind+":"+f.Target.ID) {
			t.Errorf("vouched object has a fix: %+v", f)
		}
	}
	// Recognised ids count as vouched keys.
	a := Analyze(inv, AnalysisInput{SessionKeyID: "sess1234567", Recognised: []string{"esc12345678"}})
	b := Analyze(inv, AnalysisInput{SessionKeyID: "sess1234567", Vouched: []string{"key:esc12345678"}})
	if !reflect.DeepEqual(a, b) {
		t.Errorf("Recognised and Vouched differ:\n%+v\n%+v", a, b)
	}
	// Vouching does not change what the review shows.
	if o, _ := objectByKey(ReviewObjects(inv, "sess1234567"), "key:esc12345678"); !hasFlag(o, "full access") {
		t.Errorf("flags %q", o.Flags)
	}
}

func TestReviewObjectsDeterministic(t *testing.T) {
	inv := sendgridShaped()
	inv.Teammates = append(inv.Teammates, provider.Teammate{Email: "helper@evil.example", Pending: true, Token: "tok-1", Admin: true, Created: flagsNow.Add(-2 * 24 * time.Hour)})
	inv.Webhooks = append(inv.Webhooks, provider.Webhook{ID: "in.acme.example", Kind: provider.WebhookParse, URL: "https://parse.evil.example/in", Hostname: "in.acme.example", Enabled: true})
	want := ReviewObjects(inv, "sess1234567")
	var kinds []string
	for _, o := range want {
		if o.Key != ReviewKey(o.Kind, o.ID) {
			t.Errorf("key %q for %s %s", o.Key, o.Kind, o.ID)
		}
		if len(kinds) == 0 || kinds[len(kinds)-1] != o.Kind {
			kinds = append(kinds, o.Kind)
		}
	}
	if !reflect.DeepEqual(kinds, []string{"key", "teammate", "invite", "subuser", "webhook", "parse", "sender", "mail_setting"}) {
		t.Errorf("kind order %v", kinds)
	}
	// Flagged first within a kind.
	for i := 1; i < len(want); i++ {
		if want[i].Kind == want[i-1].Kind && len(want[i].Flags) > 0 && len(want[i-1].Flags) == 0 {
			t.Errorf("%s (flagged) after %s (not flagged)", want[i].Key, want[i-1].Key)
		}
	}
	fs := Analyze(inv, AnalysisInput{SessionKeyID: "sess1234567"})
	for range 20 {
		shuffled := *inv
		shuffled.Keys = slices.Clone(inv.Keys)
		slices.Reverse(shuffled.Keys)
		shuffled.Subusers = slices.Clone(inv.Subusers)
		slices.Reverse(shuffled.Subusers)
		if got := ReviewObjects(&shuffled, "sess1234567"); !reflect.DeepEqual(got, want) {
			t.Fatalf("order depends on the inventory's order:\n%+v\n%+v", got, want)
		}
		if got := Analyze(inv, AnalysisInput{SessionKeyID: "sess1234567"}); !reflect.DeepEqual(got, fs) {
			t.Fatal("Analyze is not deterministic")
		}
	}
	checkFlagsHaveFindings(t, want, fs)
}

func TestLabelsFit(t *testing.T) {
	inv := sendgridShaped()
	inv.Keys = append(inv.Keys, provider.APIKey{ID: "long1234567", Name: strings.Repeat("very-long-key-name-", 10), FullAccess: true, Subuser: "marketing", Created: flagsNow.Add(-400 * 24 * time.Hour)})
	inv.Subusers = append(inv.Subusers, provider.Subuser{Username: strings.Repeat("東京", 40), Email: "tokyo@acme.example"})
	for _, o := range ReviewObjects(inv, "") {
		if cells(o.Label) > LabelCells {
			t.Errorf("label %q is %d cells", o.Label, cells(o.Label))
		}
		if strings.ContainsAny(o.Label, "\x1b\u202e\u2066") {
			t.Errorf("label %q not sanitized", o.Label)
		}
	}
	o, _ := objectByKey(ReviewObjects(inv, ""), "key:long1234567")
	if want := `API key "very-long-key…" (long12…, full access, subuser "marketing", …`; o.Label != want {
		t.Errorf("long label %q, want %q", o.Label, want)
	}
	inv.Keys[len(inv.Keys)-1].Subuser = ""
	o, _ = objectByKey(ReviewObjects(inv, ""), "key:long1234567")
	if want := `API key "very-long-key-…" (long12…, full access, created 400 days ago)`; o.Label != want {
		t.Errorf("long label %q, want %q", o.Label, want)
	}
}

func TestLinkHosts(t *testing.T) {
	got := linkHosts("Visit https://evil.example/\x1b[8m or <a href=\"//cdn.bad.example/x.png\">, www.other.example, " +
		"mail help@support.example; https://acme.example/u?x=1. HTTPS://EVIL.EXAMPLE/again https://ops@trick.example/")
	want := []string{"evil.example", "cdn.bad.example", "www.other.example", "support.example", "acme.example", "trick.example"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("linkHosts = %q, want %q", got, want)
	}
	if got := linkHosts("Acme Widgets, 1 High St"); got != nil {
		t.Errorf("plain footer: %q", got)
	}
}
