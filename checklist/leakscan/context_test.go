package leakscan

import (
	"math/rand/v2"
	"strings"
	"testing"

	"reclaim/provider"
)

// Provider context (issue 16, item 4). The cases are the forms of
// gitleaks' detector test generator (cmd/generate/config/utils,
// GenerateSampleSecrets, with its TODO forms) and trufflehog's detector
// tests ("You can find a postmark secret … within"), written for the
// providers whose keys carry no prefix, plus a provider-shaped value
// under a generic name in a line or block that names the provider. Each is
// scanned with the detectors as they were (no context rules, no decoding)
// and as they are: every case must be found now; the log lists those
// found only now.

// scanWith scans text as one whole file with engine e.
func scanWith(e *engine, text string) []Finding {
	s := &fileScanner{e: e, path: "/t/file", lastProbe: -1, final: true}
	s.enc.reset()
	s.scanChunk([]byte(text))
	return s.res.findings
}

// oldEngine is the scanner without the context rules.
func oldEngine() *engine {
	var dets []provider.Detector
	for _, d := range provider.Detectors() {
		if !strings.HasSuffix(d.Name, "/context") {
			dets = append(dets, d)
		}
	}
	return newEngine(dets)
}

type ctxProvider struct {
	id, word string
	value    func(k keys) string
}

var ctxProviders = []ctxProvider{
	{"mailjet", "mailjet", func(k keys) string { return k.hex() }},
	{"postmark", "postmark", func(k keys) string { return k.uuid() }},
	{"twilio", "twilio", func(k keys) string { return k.hex() }},
	{"mandrill", "mandrill", func(k keys) string { return rnd(k.r, anA, 20) + "Q7" }},
}

// gitleaksForms are GenerateSampleSecrets' templates ({i} the provider,
// {I} in upper case, {s} the secret), the TODO ones included.
var gitleaksForms = []string{
	"{i}Token=\"{s}\"", "{i}Token = \"{s}\"", "{i}Token={s}", "{i}Token = {s}",
	"{\n    \"{i}_token\": \"{s}\"\n}",
	`{"config.ini": "{I}_TOKEN={s}\nBACKUP_ENABLED=true"}`,
	"<{i}Token>\n    {s}\n</{i}Token>",
	"{i}_token: {s}", "{i}_token: '{s}'", "{i}_token: \"{s}\"",
	`string {i}Token = "{s}";`, `var {i}Token string = "{s}"`, `{i}Token := "{s}"`, "{i}Token := `{s}`",
	"String {i}Token = \"{s}\";", "var {i}Token = \"{s}\"", `${i}Token .= "{s}"`, "{i}Token = '{s}'", `{i}Token = "{s}"`,
	`System.setProperty("{I}_TOKEN", "{s}")`, "  \"{i}Token\" => \"{s}\"",
	"{I}_TOKEN = \"{s}\"", "{I}_TOKEN := \"{s}\"", "{I}_TOKEN ::= \"{s}\"", "{I}_TOKEN :::= \"{s}\"", "{I}_TOKEN ?= \"{s}\"",
	// gitleaks' TODO forms
	"\\{\n    \\\"{i}_token\\\": \\\"{s}\\\"\n\\}",
	"{\n    \"name\": \"{i}_token\",\n    \"value\": \"{s}\"\n}",
	"<{i}Token>{s}</{i}Token>",
	"{i}_token: |\n  {s}", "{i}_token: >\n  {s}",
	`config.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"JDOE35\" {i}Token=\"{s}\""`,
	"var {i}Token: string = \"{s}\"", `${i}Token ??= "{s}"`,
	"https://{i}:{s}@example.com/",
	"https://example.com?{i}Token={s}&fooBar=baz",
	"{i}Token,{s},", "{I}_TOKEN += \"{s}\"",
	"environmentVariables = {PATH=/usr/local/bin, ENV=/etc/bashrc, {I}_PASSWORD={s}, LC_CTYPE=en_CA.UTF-8},",
}

// genericForms put the value under a generic name in a line or block
// that names the provider.
var genericForms = []string{
	"{i}:\n  token: {s}",
	"{i}:\n  enabled: true\n  api_key: '{s}'",
	"services:\n  {i}:\n    region: eu\n    secret: \"{s}\"\n  queue: default",
	"[{i}]\nregion = eu\npassword = {s}",
	`{"{i}": {"password": "{s}"}}`,
	"{\n  \"{i}\": {\n    \"enabled\": true,\n    \"token\": \"{s}\"\n  }\n}",
	"'{i}' => [\n    'secret' => '{s}',\n],",
	"return ['driver' => '{i}', 'key' => '{s}'];",
	"MAIL_MAILER={i}\nMAIL_HOST=smtp.example.com\nMAIL_PASSWORD={s}",
	"mail:\n  transport: {i}\n  password: {s}",
	"You can find a {i} secret {s} within",
	"{i}+api://{s}@default",
	"# {i}\nexport SMTP_PASSWORD='{s}'",
}

func fill(form, word, secret string) string {
	return strings.NewReplacer("{i}", word, "{I}", strings.ToUpper(word), "{s}", secret).Replace(form)
}

func TestProviderContextCases(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 10))}
	old, cur := oldEngine(), getEngine()
	found := func(e *engine, text, secret string, off bool) bool {
		encOff = off
		defer func() { encOff = false }()
		for _, f := range scanWith(e, text) {
			if f.Fingerprint == Fingerprint([]byte(secret)) {
				return true
			}
		}
		return false
	}
	newly := map[string][]string{}
	total, before := 0, 0
	for _, p := range ctxProviders {
		for fi, form := range append(append([]string{}, gitleaksForms...), genericForms...) {
			s := p.value(k)
			text := fill(form, p.word, s)
			if form == "# {i}\nexport SMTP_PASSWORD='{s}'" && p.id != "mandrill" && p.id != "postmark" {
				continue // a comment names the provider: only where the password is the key
			}
			if form == "{i}+api://{s}@default" && p.id == "twilio" {
				continue // Twilio's DSN is twilio://SID:TOKEN@default (the SID pairs)
			}
			total++
			was, now := found(old, text, s, true), found(cur, text, s, false)
			switch {
			case !now:
				t.Errorf("%s: not found in %q", p.id, strings.ReplaceAll(form, "\n", `\n`))
			case was:
				before++
			default:
				kind := "gitleaks"
				if fi >= len(gitleaksForms) {
					kind = "generic"
				}
				newly[p.id] = append(newly[p.id], kind+": "+strings.ReplaceAll(form, "\n", `\n`))
			}
		}
	}
	t.Logf("%d cases, %d found before, %d found only now", total, before, total-before)
	for _, p := range ctxProviders {
		for _, f := range newly[p.id] {
			t.Logf("  found only now: %-8s %s", p.id, f)
		}
	}
}

// Provider-shaped values that are not credentials, next to a provider's
// name: the context rules find none of them, and the scanner finds
// nothing the detectors as they were did not (some of these the older
// window-based detectors report, as they did before).
func TestProviderContextDecoys(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 11))}
	hx, id := k.hex(), k.uuid()
	tok := k.hex()
	old := oldEngine()
	for _, text := range []string{
		"postmark:\n  message_id: " + id,
		`{"level":30,"msg":"email sent via postmark","to":"a@example.com","MessageID":"` + id + `"}`,
		"postmark webhook: RecordType=Delivery MessageID=" + id + " ServerID=12345",
		"mailjet:\n  template: " + hx,
		"mailjet:\n  template_id: " + hx,
		"MAIL_MAILER=mailjet\nDB_PASSWORD=" + hx,
		"MAIL_MAILER=mailjet\nPUSHER_APP_SECRET=" + hx,
		"MAIL_MAILER=mailjet\nFOO_SECRET=" + hx,
		"MAIL_MAILER=postmark\nSESSION_TOKEN=" + id,
		"MAIL_MAILER=mailjet\n\nAPP_KEY=" + hx,
		"twilio:\n  enabled: true\nredis:\n  password: " + hx,
		"the mailjet docs say a key looks like 0123456789abcdef0123456789abcdef",
		`{"mailjet":{"enabled":true},"stripe":{"secret":"` + hx + `"}}`,
		"twilio call sid for the ticket: CA" + hx + " (not a secret)",
		"Request id for the outage: " + id + " (postmark)",
		"mandrill:\n  subaccount: " + rnd(k.r, anA, 20) + "Q7",
		"mandrill:\n  from_name: Billing\n\nmailgun:\n  secret: " + rnd(k.r, anA, 20) + "Q7",
	} {
		was := map[string]bool{}
		for _, f := range scanWith(old, text) {
			was[f.Fingerprint] = true
		}
		for _, f := range scanWith(getEngine(), text) {
			if strings.HasSuffix(f.Detector, "/context") || !was[f.Fingerprint] {
				t.Errorf("%q: found %s %s %s (%s)", text, f.Provider, f.Kind, f.Redacted, f.Detector)
			}
		}
	}
	// a token under a generic name next to "twilio" is Twilio's, not
	// Mailjet's, though "mailjet" is on the same line (Mailjet's named
	// detector, too, now stops at another provider's word)
	fs := scanWith(getEngine(), `{"mailjet":{"enabled":true},"twilio":{"token":"`+tok+`"}}`)
	if len(fs) != 1 || fs[0].Provider != "twilio" || fs[0].Kind != "auth_token" {
		t.Errorf("twilio token next to mailjet: %+v", fs)
	}
}
