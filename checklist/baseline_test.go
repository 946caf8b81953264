package checklist

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"reclaim/provider"
	"reclaim/provider/drill"
	"reclaim/provider/sendgrid"
	"reclaim/provider/sendgrid/sgfake"
)

// healthyFake serves sgfake.Healthy and returns a SendGrid client on it.
func healthyFake(t *testing.T, now time.Time) (*sgfake.Server, provider.Provider, sgfake.Key) {
	t.Helper()
	st, session := sgfake.Healthy(now)
	f := sgfake.New(st)
	t.Cleanup(f.Close)
	c, err := sendgrid.NewWithOptions(provider.Config{Credential: session.Token, BaseURL: f.URL}, sendgrid.Options{Backoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return f, c, session
}

// recordBaseline takes the inventory and saves it as a baseline.
func recordBaseline(t *testing.T, store *BaselineStore, p provider.Provider, now time.Time, signer ssh.Signer) *Baseline {
	t.Helper()
	inv, err := TakeInventory(context.Background(), p, now)
	if err != nil || len(inv.Errors) > 0 {
		t.Fatalf("inventory: %v %v", err, inv.Errors)
	}
	b := NewBaseline(inv, p.Info(), now)
	if _, err := store.Save(b, signer); err != nil {
		t.Fatal(err)
	}
	return b
}

// changeKinds are a comparison's changes as "change kind", sorted.
func changeKinds(cs []Change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Change+" "+c.Kind)
	}
	sort.Strings(out)
	return out
}

func hasTerminalControl(s string) bool {
	return strings.ContainsAny(s, "\x1b\x07\u202e\u2066")
}

func TestBaselineAgainstFakeRecordsAndFindsExactlyTheDrift(t *testing.T) {
	now := time.Now().UTC()
	f, p, session := healthyFake(t, now)
	dir := t.TempDir()
	store := &BaselineStore{Dir: dir}
	b := recordBaseline(t, store, p, now, nil)

	// Stored privately, sealed, and no secret in it.
	st, err := os.Stat(b.Path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("baseline file: %v %v", st.Mode(), err)
	}
	if st, _ := os.Stat(filepath.Join(dir, BaselinesDir)); st.Mode().Perm() != 0o700 {
		t.Errorf("baselines folder is %v", st.Mode().Perm())
	}
	data, _ := os.ReadFile(b.Path)
	f.Mu.Lock()
	for _, k := range f.St.Keys {
		if strings.Contains(string(data), k.Token) || strings.Contains(string(data), strings.Split(k.Token, ".")[2]) {
			t.Errorf("the baseline holds the secret of key %s", k.Name)
		}
	}
	f.Mu.Unlock()
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil || raw["seal"] == nil {
		t.Fatalf("not sealed JSON: %v", err)
	}
	inv := b.Inventory
	if len(inv.Keys) != 3 || len(inv.Teammates) != 2 || len(inv.Subusers) != 1 || len(inv.Webhooks) != 1 || len(inv.MailSettings) == 0 || len(inv.Senders) != 2 || len(inv.AllowList) != 1 || inv.Mail == nil || inv.Mail.Total != 2500 {
		t.Fatalf("baseline holds %s", b.Counts())
	}
	if inv.Activity != nil || slices.Contains(inv.Read, SecActivity) {
		t.Error("the access activity is in the baseline")
	}
	if len(inv.Mail.From) != 1 || inv.Mail.From[0].Address != "news@acme.example" || len(inv.Mail.Subjects) != 2 {
		t.Errorf("sending profile: %+v", inv.Mail)
	}

	// Unchanged: no drift.
	latest, err := store.Latest(p.Info().ID, "")
	if err != nil || latest.ID != b.ID {
		t.Fatalf("latest: %v", err)
	}
	cur, _ := TakeInventory(context.Background(), p, time.Now())
	d := CheckDrift(latest, cur, time.Now(), CompareOptions{SessionKeyID: session.ID})
	if d.Drifted() || len(d.Unchecked) > 0 {
		t.Fatalf("drift on an unchanged account: %+v", d)
	}

	// The attacker's changes: exactly those are reported.
	f.Mu.Lock()
	newKey := f.St.Drift(time.Now())
	f.Mu.Unlock()
	cur, _ = TakeInventory(context.Background(), p, time.Now())
	d = CheckDrift(latest, cur, time.Now(), CompareOptions{SessionKeyID: session.ID})
	want := slices.Clone(sgfake.DriftChanges)
	sort.Strings(want)
	if got := changeKinds(d.Changes); !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v:\n%s", got, want, d.Text())
	}
	for _, c := range d.Changes {
		if hasTerminalControl(c.Title) || hasTerminalControl(strings.Join(c.Details, " ")) {
			t.Errorf("unsanitized: %q", c.Title)
		}
		switch c.Change + " " + c.Kind {
		case "added key":
			if c.ID != newKey.ID || c.Severity != High {
				t.Errorf("new key: %+v", c)
			}
		case "changed key":
			if !strings.Contains(c.Title, "scopes widened: +api_keys.create, +teammates.create") || c.Severity != High {
				t.Errorf("scopes: %+v", c)
			}
		case "changed mail_setting":
			if !strings.Contains(c.Title, `forwarding turned on, to "copies@evil.example"`) || c.Severity != High {
				t.Errorf("forwarding: %+v", c)
			}
		case "spike mail":
			if !strings.Contains(c.Title, "Sending spike on "+c.ID) || !strings.Contains(c.Title, "baseline of "+latest.Date()) {
				t.Errorf("spike: %+v", c)
			}
		}
	}
	text := d.Text()
	if hasTerminalControl(text) || !strings.Contains(text, "DRIFT: 6 changes since the baseline") {
		t.Errorf("text:\n%q", text)
	}
	alert := NewDriftAlert(d)
	js, err := alert.JSON()
	if err != nil || hasTerminalControl(string(js)) {
		t.Fatalf("alert JSON: %v %q", err, js)
	}
	var back struct {
		Drifted bool     `json:"drifted"`
		Changes []Change `json:"changes"`
	}
	if err := json.Unmarshal(js, &back); err != nil || !back.Drifted || len(back.Changes) != 6 || back.Changes[0].Severity != High {
		t.Fatalf("alert JSON round trip: %v %+v", err, back)
	}
	// The raw ids survive the terminal escaping (an action can take them).
	if !slices.ContainsFunc(back.Changes, func(c Change) bool { return c.Kind == "teammate" && c.ID == "helper\x07" }) {
		t.Errorf("the teammate's id did not survive: %+v", back.Changes)
	}
}

func TestBaselineCompareWordsEachKindOfChange(t *testing.T) {
	base := &Inventory{TakenAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Read: []string{SecKeys, SecTeammates, SecSubusers, SecWebhooks, SecMail, SecSenders, SecAllow, SecAccount},
		Account:      &provider.Account{Username: "acme", Email: "ops@acme.example"},
		Keys:         []provider.APIKey{{ID: "k1", Name: "web", Scopes: []string{"mail.send"}}, {ID: "k2", Name: "old"}},
		Teammates:    []provider.Teammate{{Username: "dana", Email: "dana@acme.example", TwoFactor: provider.TwoFactorOn}},
		Subusers:     []provider.Subuser{{Username: "eu", Disabled: true}},
		Webhooks:     []provider.Webhook{{ID: "w1", Kind: provider.WebhookEvent, URL: "https://hooks.acme.example/e", Enabled: true}},
		MailSettings: []provider.MailSetting{{Name: "forward_bounce", Forwards: true}},
		Senders:      []provider.Sender{{ID: "s1", Kind: "single", Address: "news@acme.example", Verified: true}},
		AllowList:    []provider.AllowRule{{ID: "1", CIDR: "192.0.2.10/32"}, {ID: "2", CIDR: "192.0.2.11/32"}},
	}
	cur := cloneJSON(base)
	cur.Account.Email = "attacker@evil.example"
	cur.Keys[0].FullAccess = true
	cur.Keys = cur.Keys[:1]
	cur.Teammates[0].TwoFactor, cur.Teammates[0].Admin = provider.TwoFactorOff, true
	cur.Subusers[0].Disabled = false
	cur.Webhooks[0].URL = "https://evil.example/e"
	cur.MailSettings[0] = provider.MailSetting{Name: "forward_bounce", Forwards: true, Enabled: true, Value: "x@evil.example"}
	cur.Senders = append(cur.Senders, provider.Sender{ID: "s2", Kind: "domain", Address: "evil.example", Verified: true})
	cur.AllowList = cur.AllowList[:1]
	c := Compare(base, cur, "2026-01-01 00:00Z", CompareOptions{})
	byKind := map[string]Change{}
	for _, ch := range c.Changes {
		byKind[ch.Change+" "+ch.Kind] = ch
	}
	for want, words := range map[string]string{
		"changed account":      `email changed: "ops@acme.example" → "attacker@evil.example"`,
		"changed key":          "gained full access",
		"removed key":          `Removed since the baseline of 2026-01-01 00:00Z: API key "old" (id k2)`,
		"changed teammate":     "became an admin; two-factor authentication turned off",
		"changed subuser":      "enabled again",
		"changed webhook":      `now posts to "https://evil.example/e" (was "https://hooks.acme.example/e")`,
		"changed mail_setting": `forwarding turned on, to "x@evil.example"`,
		"added domain":         `New since the baseline of 2026-01-01 00:00Z: authenticated domain "evil.example"`,
		"removed allow_rule":   "IP allow-list entry 192.0.2.11/32",
	} {
		ch, ok := byKind[want]
		if !ok || !strings.Contains(ch.Title, words) {
			t.Errorf("%s: want %q in %+v", want, words, ch)
		}
	}
	if len(c.Changes) != 9 {
		t.Errorf("%d changes: %v", len(c.Changes), changeKinds(c.Changes))
	}
	if byKind["removed allow_rule"].Severity != High || byKind["changed account"].Severity != High {
		t.Error("a removed allow-list entry and a new account email are high")
	}
	// Only the sender is unchanged, and is known at baseline.
	if !slices.Equal(c.Known, []string{"sender:s1"}) {
		t.Errorf("known: %v", c.Known)
	}
	// A list cut short calls nothing removed.
	cur.Truncated = map[string]string{SecKeys: "truncated at 1 items"}
	c = Compare(base, cur, "d", CompareOptions{})
	for _, ch := range c.Changes {
		if ch.Change == ChangeRemoved && ch.Kind == "key" {
			t.Error("a truncated list reports a removal")
		}
	}
	if c.Incomplete[SecKeys] == "" {
		t.Error("the cut list is not marked incomplete")
	}
	// A section read at the baseline but not now is not compared, and says so.
	cur.Read = slicesDelete(slices.Clone(cur.Read), SecWebhooks)
	cur.Errors = map[string]string{SecWebhooks: "403 forbidden"}
	c = Compare(base, cur, "d", CompareOptions{})
	if !strings.Contains(c.Unchecked[SecWebhooks], "could not be read now: 403 forbidden") {
		t.Errorf("unchecked: %v", c.Unchecked)
	}
	// A section the key could not read then nor now changed nothing; one
	// the baseline lacks is news for a new baseline, not an error.
	base.Errors = map[string]string{SecMessages: "403 messages.read missing"}
	cur.Errors[SecMessages] = "403 messages.read missing"
	cur.Read = append(cur.Read, SecSecrets)
	cur.Secrets = []provider.AccountSecret{{ID: "t1", Kind: provider.SecretAuthToken, Name: "primary"}}
	c = Compare(base, cur, "d", CompareOptions{})
	if _, ok := c.Unchecked[SecMessages]; ok || len(c.Unchecked) != 1 {
		t.Errorf("unchecked: %v", c.Unchecked)
	}
	if !strings.Contains(c.NotInBaseline[SecSecrets], "record a new baseline") {
		t.Errorf("not in the baseline: %v", c.NotInBaseline)
	}
}

func newSigner(t *testing.T) (ssh.Signer, ssh.PublicKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s, s.PublicKey()
}

func TestTamperedBaselineIsRefused(t *testing.T) {
	now := time.Now().UTC()
	_, p, _ := healthyFake(t, now)
	dir := t.TempDir()
	signer, pub := newSigner(t)
	store := &BaselineStore{Dir: dir}
	b := recordBaseline(t, store, p, now, signer)
	if _, err := os.Stat(b.Path + ReportSigExt); err != nil {
		t.Fatalf("no signature: %v", err)
	}
	strict := &BaselineStore{Dir: dir, Allowed: []ssh.PublicKey{pub}}
	if got, err := strict.Latest(p.Info().ID, ""); err != nil || !strings.HasPrefix(got.Signer, "SHA256:") {
		t.Fatalf("a signed baseline is refused: %v", err)
	}
	good, _ := os.ReadFile(b.Path)

	write := func(data []byte) {
		t.Helper()
		if err := WriteFileAtomic(b.Path, data); err != nil {
			t.Fatal(err)
		}
	}
	// 1. Whitelisting an attacker's key by editing the file: the digest
	// no longer matches.
	edited := strings.Replace(string(good), `"name": "stats"`, `"name": "stats2"`, 1)
	if edited == string(good) {
		t.Fatal("nothing to edit")
	}
	write([]byte(edited))
	for _, s := range []*BaselineStore{store, strict} {
		if _, err := s.Latest(p.Info().ID, ""); !errors.Is(err, ErrBaselineAltered) {
			t.Errorf("an edited baseline: %v", err)
		}
	}
	// 2. Edited with its digest recomputed: the signature no longer
	// matches, whether or not a signer is required.
	nb, err := ParseBaseline(good)
	if err != nil {
		t.Fatal(err)
	}
	nb.Inventory.Keys = nb.Inventory.Keys[:1]
	redone, _ := nb.Encode()
	if _, err := ParseBaseline(redone); err != nil {
		t.Fatalf("re-sealed: %v", err)
	}
	write(redone)
	for _, s := range []*BaselineStore{store, strict} {
		if _, err := s.Latest(p.Info().ID, ""); !errors.Is(err, ErrBaselineAltered) {
			t.Errorf("a re-sealed baseline with its old signature: %v", err)
		}
	}
	// 3. Re-sealed and re-signed with another key, or the signature
	// removed: refused where a signer is required.
	other, _ := newSigner(t)
	sig, _ := signSSHSig(redone, other, BaselineSigNamespace)
	_ = WriteFileAtomic(b.Path+ReportSigExt, sig)
	if _, err := strict.Latest(p.Info().ID, ""); !errors.Is(err, ErrBaselineUnsigned) {
		t.Errorf("signed by another key: %v", err)
	}
	os.Remove(b.Path + ReportSigExt)
	if _, err := strict.Latest(p.Info().ID, ""); !errors.Is(err, ErrBaselineUnsigned) {
		t.Errorf("signature removed: %v", err)
	}
	// A report's signature is no baseline signature.
	rs, _ := SignReport(redone, signer)
	_ = WriteFileAtomic(b.Path+ReportSigExt, rs)
	if _, err := strict.Latest(p.Info().ID, ""); err == nil {
		t.Error("a report signature passes for a baseline's")
	}
	// 4. The JSON tricks a report refuses: a key twice, data after it, a
	// field added to the seal.
	for name, bad := range map[string]string{
		"duplicate key": strings.Replace(string(good), `"format": "reclaim-baseline",`, `"format": "reclaim-baseline", "format": "reclaim-baseline",`, 1),
		"trailing data": string(good) + `{"x":1}`,
		"seal field":    strings.Replace(string(good), `"seal": {`, `"seal": {"note": "trust me",`, 1),
	} {
		if _, err := ParseBaseline([]byte(bad)); !errors.Is(err, ErrBaselineAltered) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The listing shows the refused baseline with the reason.
	list, _ := strict.List("")
	if len(list) != 1 || list[0].Problem == "" {
		t.Errorf("list: %+v", list)
	}
	// A group-writable file is refused as reclaim's state is.
	write(good)
	os.Remove(b.Path + ReportSigExt)
	if err := os.Chmod(b.Path, 0o666); err == nil && modeBitsMean {
		if _, err := store.Latest(p.Info().ID, ""); !errors.Is(err, ErrUnsafe) {
			t.Errorf("a world-writable baseline: %v", err)
		}
	}
}

func TestIncidentStartsFromTheBaseline(t *testing.T) {
	now := time.Now().UTC()
	f, p, session := healthyFake(t, now)
	dir := t.TempDir()
	store := &BaselineStore{Dir: dir}
	b := recordBaseline(t, store, p, now.Add(-time.Hour), nil)
	var newsletter string
	f.Mu.Lock()
	for _, k := range f.St.Keys {
		if k.Name == "newsletter" {
			newsletter = k.ID
		}
	}
	newKey := f.St.Drift(now)
	f.Mu.Unlock()

	inc := NewIncident(now, "recovery", p, false, "")
	st := &Store{Dir: dir}
	h, err := st.Create(inc, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	e := NewEngine(inc, h, p, nil)
	e.Baselines = store
	e.SessionKeyID = session.ID
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap := e.Snapshot()
	a := snap.Account()
	if a.Baseline == nil || a.Baseline.ID != b.ID || a.Baseline.Refused != "" {
		t.Fatalf("baseline not used: %+v", a.Baseline)
	}
	var journaled bool
	for _, j := range snap.Journal {
		if j.Action == ActionCompareBaseline && j.Outcome == "ok" && strings.Contains(j.Detail, b.ID) && strings.Contains(j.Detail, "3 new, 2 changed, 0 removed, 1 sending spike") {
			journaled = true
		}
	}
	if !journaled {
		t.Errorf("the comparison is not journaled: %+v", snap.Journal)
	}
	// The new objects are findings, with the fix that removes them: the
	// baseline's own, or one the analysis makes anyway (an outside
	// address) that now says first what the baseline shows.
	on := func(kind, id string) Finding {
		for _, f := range a.Findings {
			if f.Target.Kind == kind && f.Target.ID == id && (strings.HasPrefix(f.Title, "New since the baseline of "+b.Date()) || strings.HasPrefix(f.Title, "Changed since the baseline of "+b.Date())) {
				return f
			}
		}
		return Finding{}
	}
	if f := on("key", newKey.ID); f.ID != "baseline-added:key:"+newKey.ID || f.Severity != High || f.Fix != ActRevokeKey {
		t.Errorf("new key: %+v", f)
	}
	if f := on("teammate", "helper\x07"); f.Fix != ActRemoveTeammate || f.Severity != High || hasTerminalControl(f.Title) || !strings.Contains(f.Detail, "outside your domains") {
		t.Errorf("new teammate: %+v", f)
	}
	if f := on("webhook", "wh-2"); f.Fix != ActDeleteWebhook {
		t.Errorf("new webhook: %+v", f)
	}
	if f := on("mail_setting", "forward_spam"); f.Fix != ActDisableMailSetting || !strings.Contains(f.Title, "forwarding turned on") {
		t.Errorf("forwarding: %+v", f)
	}
	if f := on("key", newsletter); f.Fix != ActRevokeKey || !strings.Contains(f.Title, "scopes widened") {
		t.Errorf("widened key: %+v", f)
	}
	// One finding per object: the baseline's word joins the analysis's.
	seen := map[Target]int{}
	for _, f := range a.Findings {
		if strings.Contains(f.Title, "since the baseline") {
			seen[f.Target]++
		}
	}
	for tg, n := range seen {
		if n > 1 {
			t.Errorf("%d baseline findings on %+v", n, tg)
		}
	}
	// The old objects are known at baseline: no finding asks to remove
	// them, and the review counts them.
	e.mu.Lock()
	known := e.knownAtBaselineLocked()
	e.mu.Unlock()
	for _, k := range []string{"teammate:dana", "subuser:marketing", "webhook:wh-1", "mail_setting:footer", "sender:verified:1", "sender:domain:3"} {
		if !slices.Contains(known, k) {
			t.Errorf("%s is not known at baseline (known: %v)", k, known)
		}
	}
	if slices.Contains(known, "key:"+newsletter) || slices.Contains(known, "key:"+newKey.ID) {
		t.Error("a changed or new key is known at baseline")
	}
	for _, f := range a.Findings {
		if f.Fix != "" && !f.Resolved && (f.Target.ID == "dana" || f.Target.ID == "marketing" || f.Target.ID == "wh-1") {
			t.Errorf("a finding proposes removing an object known at baseline: %+v", f)
		}
	}
	if err := e.Complete(StepReview, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	rv := e.View(StepReview).State
	if rv.Level != LevelBaseline || !strings.Contains(rv.Statement, "known at baseline") {
		t.Errorf("review: %s %s", rv.Level, rv.Statement)
	}
	// The report names the baseline and lists what is known at baseline.
	r := e.BuildReport()
	md := r.Markdown()
	for _, want := range []string{"- Baseline: " + b.ID + " of " + b.Date(), "## Known at baseline", `Teammate "dana"`, "1 known at baseline"} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	js, _ := r.JSON()
	if !strings.Contains(string(js), `"baseline": {`) {
		t.Error("the JSON report does not name the baseline")
	}
	html, err := r.HTML()
	if err != nil || !strings.Contains(string(html), "<li>Baseline: "+b.ID) || !strings.Contains(string(html), "<h2>Known at baseline</h2>") {
		t.Errorf("the HTML report does not name the baseline: %v", err)
	}
	if _, _, err := CheckReport([]byte(md)); err != nil {
		t.Errorf("the report's seal: %v", err)
	}
}

func TestIncidentRefusesATamperedBaseline(t *testing.T) {
	now := time.Now().UTC()
	_, p, _ := healthyFake(t, now)
	dir := t.TempDir()
	store := &BaselineStore{Dir: dir}
	b := recordBaseline(t, store, p, now, nil)
	data, _ := os.ReadFile(b.Path)
	_ = WriteFileAtomic(b.Path, []byte(strings.Replace(string(data), `"newsletter"`, `"newsletters"`, 1)))
	inc := NewIncident(now, "recovery", p, false, "")
	e := NewEngine(inc, nil, p, nil)
	e.Baselines = store
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := e.Snapshot().Account()
	if a.Baseline == nil || !strings.Contains(a.Baseline.Refused, "altered") {
		t.Fatalf("not refused: %+v", a.Baseline)
	}
	if !slices.ContainsFunc(a.Findings, func(f Finding) bool { return f.ID == "baseline-refused" && f.Severity == High }) {
		t.Error("no finding says the baseline was refused")
	}
	if slices.ContainsFunc(a.Findings, func(f Finding) bool { return strings.HasPrefix(f.ID, "baseline-added") }) {
		t.Error("a refused baseline was used")
	}
}

func TestDrillStartsFromItsKnownGoodState(t *testing.T) {
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	acct := drill.New(sc, now)
	acct.SetClock(func() time.Time { return now })
	inc := NewIncident(now, "drill", acct, true, sc.ID)
	e := NewEngine(inc, nil, acct, nil)
	e.Now = func() time.Time { return now }
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	a := e.Snapshot().Account()
	if a.Baseline == nil || a.Baseline.Source != BaselineFromDrill || !a.Baseline.TakenAt.Equal(acct.BaselineAt()) {
		t.Fatalf("baseline: %+v", a.Baseline)
	}
	// Every key the attacker made is new since the baseline; the owner's
	// are known at baseline.
	for _, k := range sc.Attacker.Keys {
		if !slices.ContainsFunc(a.Findings, func(f Finding) bool {
			return f.Target.Kind == "key" && f.Target.ID == k.ID && f.Fix == ActRevokeKey && strings.HasPrefix(f.Title, "New since the baseline of ")
		}) {
			t.Errorf("attacker key %s is no finding", k.ID)
		}
	}
	e.mu.Lock()
	known := e.knownAtBaselineLocked()
	e.mu.Unlock()
	owner := 0
	for _, k := range a.Before.Keys {
		if !slices.ContainsFunc(sc.KnownGood.Keys, func(g drill.KeySpec) bool { return g.ID == k.ID }) || k.ID == sc.Account.SessionKey || k.Inactive || k.Created.After(acct.BaselineAt()) {
			continue
		}
		owner++
		if !slices.Contains(known, "key:"+k.ID) {
			t.Errorf("the owner's key %s is not known at baseline (known: %v)", k.ID, known)
		}
	}
	if owner == 0 {
		t.Error("no owner's key to check")
	}
}

// Every built-in scenario, whatever provider it imitates, starts from its
// known-good state: the attacker's objects are changes since the baseline,
// nothing of the owner's is called removed, and the owner's objects are
// known at baseline.
func TestEveryScenarioStartsFromItsBaseline(t *testing.T) {
	now := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	for _, name := range drill.Scenarios() {
		t.Run(name, func(t *testing.T) {
			sc, err := drill.LoadScenario(name)
			if err != nil {
				t.Fatal(err)
			}
			acct := drill.New(sc, now)
			acct.SetClock(func() time.Time { return now })
			inc := NewIncident(now, "drill", acct, true, sc.ID)
			e := NewEngine(inc, nil, acct, nil)
			e.Now = func() time.Time { return now }
			if err := e.TakeInventory(context.Background()); err != nil {
				t.Fatal(err)
			}
			a := e.Snapshot().Account()
			if a.Baseline == nil || a.Baseline.Source != BaselineFromDrill || !a.Baseline.Started {
				t.Fatalf("baseline: %+v", a.Baseline)
			}
			if len(a.Baseline.AtStart) == 0 {
				t.Error("no change since the baseline")
			}
			for _, k := range a.Baseline.AtStart {
				if strings.HasPrefix(k, ChangeRemoved+":") {
					t.Errorf("the owner's %s is called removed", k)
				}
			}
			e.mu.Lock()
			known := e.knownAtBaselineLocked()
			e.mu.Unlock()
			if len(known) == 0 {
				t.Error("nothing is known at baseline")
			}
			for _, k := range known {
				for _, at := range sc.Attacker.Keys {
					if k == "key:"+at.ID {
						t.Errorf("the attacker's key %s is known at baseline", at.ID)
					}
				}
			}
		})
	}
}

// A clean-up step whose remaining objects are the owner's only because they
// are known at baseline is not "verified": reclaim read back that nothing
// flagged remains, but that the rest is the owner's rests on the baseline.
func TestCleanupStepRestingOnTheBaselineIsNotVerified(t *testing.T) {
	now := time.Now().UTC()
	_, p, session := healthyFake(t, now)
	dir := t.TempDir()
	store := &BaselineStore{Dir: dir}
	b := recordBaseline(t, store, p, now.Add(-time.Hour), nil)
	inc := NewIncident(now, "recovery", p, false, "")
	e := NewEngine(inc, nil, p, nil)
	e.Baselines = store
	e.SessionKeyID = session.ID
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := e.View(StepAuditTeammates).Mode; m != ModeAuto {
		t.Fatalf("teammates step is %s", m)
	}
	if err := e.Complete(StepAuditTeammates, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	st := e.View(StepAuditTeammates).State
	if st.Status != StatusDone || st.Level != LevelBaseline || !strings.Contains(st.Statement, "known at baseline") || !strings.Contains(st.Statement, b.ID) || !strings.Contains(st.Statement, "dana") {
		t.Errorf("teammates step: %s %s: %s", st.Status, st.Level, st.Statement)
	}
	// Vouched for by the owner, the object no longer rests on the baseline.
	e.mu.Lock()
	e.acct().Vouched = []string{"teammate:dana"}
	e.mu.Unlock()
	if err := e.Complete(StepAuditTeammates, map[string]string{}); err != nil {
		t.Fatal(err)
	}
	if st := e.View(StepAuditTeammates).State; st.Level != LevelVerified || strings.Contains(st.Statement, "known at baseline") {
		t.Errorf("teammates step, vouched: %s: %s", st.Level, st.Statement)
	}
}

// "Known at baseline" says whose an object is, not that it is safe: the
// report's list must not show a key found in leaked material as if the
// baseline cleared it.
func TestReportKnownAtBaselineNamesWhatIsWrongWithIt(t *testing.T) {
	now := time.Now().UTC()
	f, p, session := healthyFake(t, now)
	store := &BaselineStore{Dir: t.TempDir()}
	recordBaseline(t, store, p, now.Add(-time.Hour), nil)
	var newsletter string
	f.Mu.Lock()
	for _, k := range f.St.Keys {
		if k.Name == "newsletter" {
			newsletter = k.ID
		}
	}
	f.Mu.Unlock()
	inc := NewIncident(now, "recovery", p, false, "")
	e := NewEngine(inc, nil, p, nil)
	e.Baselines = store
	e.SessionKeyID = session.ID
	if err := e.TakeInventory(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := e.Complete(StepQuestions, map[string]string{"leaked_key_ids": newsletter}); err != nil {
		t.Fatal(err)
	}
	r := e.BuildReport()
	md := r.Markdown()
	// The legend support reads first defines the third level.
	if !strings.Contains(md, "**known at baseline** (") {
		t.Error("the summary's legend does not say what known at baseline means")
	}
	if html, _ := r.HTML(); !strings.Contains(string(html), "<b>known at baseline</b> (") {
		t.Error("the HTML summary's legend does not say what known at baseline means")
	}
	i := strings.Index(md, "## Known at baseline")
	if i < 0 {
		t.Fatal("no known-at-baseline section")
	}
	sec := md[i:]
	if j := strings.Index(sec[3:], "\n## "); j >= 0 {
		sec = sec[:j+3]
	}
	var line string
	for _, l := range strings.Split(sec, "\n") {
		if strings.Contains(l, `"newsletter"`) {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, "leaked") {
		t.Errorf("the leaked key is listed as known at baseline without a word of it: %q\n%s", line, sec)
	}
	if !strings.Contains(sec, "not that it is safe") {
		t.Errorf("the section does not say what known at baseline does not mean:\n%s", sec)
	}
}

// A baseline file far larger than any account's is refused from its size,
// before a byte of it is read or parsed (parsing takes several times a
// file's size in memory).
func TestHugeBaselineIsRefusedUnread(t *testing.T) {
	store := &BaselineStore{Dir: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(store.Dir, BaselinesDir), 0o700); err != nil {
		t.Fatal(err)
	}
	id := "20250102-150405-ab12-sendgrid"
	f, err := os.OpenFile(store.Path(id), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxBaselineBytes + 1); err != nil { // sparse: nothing written
		t.Fatal(err)
	}
	f.Close()
	_, err = store.Latest("sendgrid", "")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("huge baseline: %v", err)
	}
}

// JSON nested without end is refused as such, quickly and in little memory:
// the duplicate-key walk used to recurse once per level (10 MiB of "["
// overflowed a 1 GB stack and killed reclaim), for baselines and for
// reports given to reclaim verify alike.
func TestDeeplyNestedJSONIsRefused(t *testing.T) {
	n := 200_000
	doc := `{"format":"reclaim-baseline","version":1,"x":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`
	_, err := ParseBaseline([]byte(doc))
	if !errors.Is(err, ErrBaselineAltered) || !strings.Contains(err.Error(), "nested deeper than") {
		t.Errorf("baseline: %v", err)
	}
	if _, _, err := CheckReport([]byte(doc)); err == nil || !strings.Contains(err.Error(), "nested deeper than") {
		t.Errorf("report: %v", err)
	}
}

// What is new since the baseline says what it is: an alert is all an owner
// reads at 3 a.m., and "teammate "helper"" does not tell an admin with an
// outside address from a colleague.
func TestBaselineNewObjectsSayWhatTheyAre(t *testing.T) {
	base := &Inventory{Read: []string{SecKeys, SecTeammates, SecSubusers}}
	cur := cloneJSON(base)
	cur.Keys = []provider.APIKey{{ID: "k9", Name: "ci", FullAccess: true}, {ID: "k8", Name: "send", Scopes: []string{"mail.send", "stats.read"}}}
	cur.Teammates = []provider.Teammate{{Username: "helper", Email: "helper@evil.example", Admin: true}, {Email: "inv@evil.example", Pending: true, Admin: true}}
	cur.Subusers = []provider.Subuser{{Username: "eu", Email: "eu@bulk.example"}}
	c := Compare(base, cur, "d", CompareOptions{})
	titles := map[string]string{}
	for _, ch := range c.Changes {
		titles[ch.ID] = ch.Title
	}
	for id, want := range map[string]string{
		"k9": "full access", "k8": "2 scopes", "helper": "<helper@evil.example>, admin", "inv@evil.example": "admin", "eu": "<eu@bulk.example>",
	} {
		if !strings.Contains(titles[id], want) {
			t.Errorf("%s: want %q in %q", id, want, titles[id])
		}
	}
}
