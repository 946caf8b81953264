package leakscan

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"reclaim/provider"
)

// Encoded values (issue 16, item 3), Basic-auth headers of every provider
// and base64 user:secret (item 4), and "also exposed" secrets in files over
// one chunk (item 6b). Every credential is built at run time; every case
// has decoys that must not be found.

// keys are fresh credentials of every shape, from r.
type keys struct {
	r *rand.Rand
}

func (k keys) sg() string   { return sgKey(k.r) }
func (k keys) hex() string  { return rnd(k.r, hexA, 32) }
func (k keys) sid() string  { return "A" + "C" + rnd(k.r, hexA, 32) }
func (k keys) sk() string   { return "S" + "K" + rnd(k.r, hexA, 32) }
func (k keys) an32() string { return rnd(k.r, anA, 30) + "Q7" }
func (k keys) mg() string   { return "key" + "-" + rnd(k.r, hexA, 32) }
func (k keys) mgNew() string {
	return rnd(k.r, hexA, 32) + "-" + rnd(k.r, hexA, 8) + "-" + rnd(k.r, hexA, 8)
}
func (k keys) brevo(p string) string {
	return p + "sib-" + rnd(k.r, hexA, 64) + "-" + rnd(k.r, anA, 16)
}
func (k keys) mc() string { return rnd(k.r, hexA, 32) + "-us" + "14" }
func (k keys) md() string { return "md" + "-" + rnd(k.r, anA, 20) + "Q7" }
func (k keys) uuid() string {
	return rnd(k.r, hexA, 8) + "-" + rnd(k.r, hexA, 4) + "-4" + rnd(k.r, hexA, 3) + "-a" + rnd(k.r, hexA, 3) + "-" + rnd(k.r, hexA, 12)
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// b64Slash is the base64 of user:secret with a user whose third byte is
// '?', so that it holds a '/' (the base64 of letters and digits never
// does), and so JSON's \/ and URL's %2F are exercised.
func b64Slash(secret string) string {
	e := b64("ab?:" + secret)
	if !strings.Contains(e, "/") {
		panic("no slash")
	}
	return e
}

// want is a credential a case must find: in file (relative), with its
// encoding ("" for plain) and, when set, its kind and line.
type want struct {
	file, secret, enc, kind string
	line                    int
}

// scanTree writes files under a new folder and scans it.
func scanTree(t *testing.T, files map[string]string) (string, *Report) {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		writeFile(t, filepath.Join(dir, name), []byte(text))
	}
	return dir, guardedScan(t, []string{dir}, Options{})
}

// checkFound checks that every wanted credential is found where and how
// it should be, that no decoy is found, and that no output holds a secret.
func checkFound(t *testing.T, dir string, rep *Report, wants []want, decoys []string) {
	t.Helper()
	byFP := map[string][]Finding{}
	for _, f := range rep.Findings {
		byFP[f.Fingerprint] = append(byFP[f.Fingerprint], f)
	}
	for _, w := range wants {
		ok := false
		for _, f := range byFP[Fingerprint([]byte(w.secret))] {
			if f.File != filepath.Join(dir, w.file) {
				continue
			}
			ok = true
			if f.Encoding != w.enc {
				t.Errorf("%s: %s %s found with encoding %q, want %q", w.file, f.Provider, f.Kind, f.Encoding, w.enc)
			}
			if w.kind != "" && f.Kind != w.kind {
				t.Errorf("%s: %s found as %s, want %s", w.file, Redact([]byte(w.secret)), f.Kind, w.kind)
			}
			if w.line != 0 && f.Line != w.line {
				t.Errorf("%s: %s found on line %d, want %d", w.file, Redact([]byte(w.secret)), f.Line, w.line)
			}
		}
		if !ok {
			t.Errorf("%s: %s (%s %s) not found", w.file, Redact([]byte(w.secret)), w.enc, w.kind)
		}
	}
	for _, d := range decoys {
		for _, f := range byFP[Fingerprint([]byte(d))] {
			t.Errorf("decoy %s found: %s:%d %s %s (%s)", Redact([]byte(d)), f.File, f.Line, f.Provider, f.Kind, f.Detector)
		}
	}
	for name, out := range outputs(t, rep) {
		checkClean(t, name, out)
		for _, w := range wants {
			if bytes.Contains(out, []byte(w.secret)) {
				t.Errorf("%s output holds a secret", name)
			}
		}
	}
	if t.Failed() {
		for _, f := range rep.Findings {
			t.Logf("finding %s:%d %s %s %s enc=%q (%s)", f.File, f.Line, f.Provider, f.Kind, f.Redacted, f.Encoding, f.Detector)
		}
	}
}

func TestKubernetesSecrets(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 1))}
	mjk, mjs, sg, pm, tok, mg := k.hex(), k.hex(), k.sg(), k.uuid(), k.hex(), k.mg()
	decoyHex, decoyTok := k.hex(), k.hex()
	yaml := strings.Join([]string{
		"apiVersion: v1",
		"kind: Secret",
		"metadata:",
		"  name: mailjet-credentials",
		"  namespace: mail",
		"  labels:",
		"    app.kubernetes.io/name: notifier",
		"    app.kubernetes.io/part-of: billing",
		"    app.kubernetes.io/managed-by: helm",
		"  annotations:",
		"    meta.helm.sh/release-name: notifier",
		"    meta.helm.sh/release-namespace: mail",
		"type: Opaque",
		"data:",
		"  api-key: " + b64(mjk),              // 15
		"  secret-key: " + b64(mjs+"\n"),      // 16: echo adds a newline
		"  SENDGRID_API_KEY: " + b64(sg),      // 17
		"  POSTMARK_SERVER_TOKEN: " + b64(pm), // 18
		"  tls.crt: " + b64("\x30\x82\x01\x0a\x02\x82\x01\x01\x00\xc4\x9a"),
		"---",
		"apiVersion: v1",
		"kind: Secret",
		"metadata:",
		"  name: cache-settings",
		"data:",
		"  api-key: " + b64(decoyHex), // no provider named in this document
		"  password: " + b64("hunter2hunter2"),
		"  redis-url: " + b64("redis://cache:6379/0"),
		"---",
		"apiVersion: v1",
		"kind: ConfigMap",
		"metadata:",
		"  name: plain",
		"data:",
		"  MODE: production",
		"  REGION: eu-west-1",
	}, "\n") + "\n"
	json := `{
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "twilio-auth", "namespace": "sms"},
    "data": {
        "MAILGUN_API_KEY": "` + b64(mg) + `",
        "TWILIO_AUTH_TOKEN": "` + b64(tok) + `"
    },
    "type": "Opaque"
}
`
	decoyJSON := `{"kind": "Secret", "metadata": {"name": "session"}, "data": {"token": "` + b64(decoyTok) + `"}}` + "\n"
	dir, rep := scanTree(t, map[string]string{"k8s/secret.yaml": yaml, "k8s/secret.json": json, "k8s/other.json": decoyJSON})
	checkFound(t, dir, rep, []want{
		{file: "k8s/secret.yaml", secret: mjk, enc: EncBase64, kind: "api_key", line: 15},
		{file: "k8s/secret.yaml", secret: mjs, enc: EncBase64, kind: "secret_key", line: 16},
		{file: "k8s/secret.yaml", secret: sg, enc: EncBase64, line: 17},
		{file: "k8s/secret.yaml", secret: pm, enc: EncBase64, kind: "server_token", line: 18},
		{file: "k8s/secret.json", secret: mg, enc: EncBase64, line: 6},
		{file: "k8s/secret.json", secret: tok, enc: EncBase64, kind: "auth_token", line: 7},
	}, []string{decoyHex, decoyTok, "hunter2hunter2"})
	if len(rep.Findings) != 6 {
		t.Errorf("%d findings, want 6", len(rep.Findings))
	}
}

func TestDockerConfigAuths(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 2))}
	sg, mg, sid, tok := k.sg(), k.mg(), k.sid(), k.hex()
	decoyHex := k.hex()
	cfg := `{
	"auths": {
		"registry.example.com": {
			"auth": "` + b64("apikey:"+sg) + `"
		},
		"mail.example.com:5000": {"auth": "` + b64("api:"+mg) + `"},
		"sms.example.com": {"auth": "` + b64(sid+":"+tok) + `"},
		"ghcr.io": {"auth": "` + b64("deploy:"+decoyHex) + `"},
		"docker.io": {"auth": "` + b64("\x01\x02binary\xff\xfe:x") + `"},
		"quay.io": {"auth": ""}
	},
	"credsStore": "desktop"
}
`
	npmrc := "registry=https://registry.npmjs.org/\n//npm.example.com/:_auth=" + b64("apikey:"+sg) + "\nalways-auth=true\n//other.example.com/:_auth=" + b64("ci:"+decoyHex) + "\n"
	dir, rep := scanTree(t, map[string]string{"home/ci/.docker/config.json": cfg, "home/ci/.npmrc": npmrc})
	checkFound(t, dir, rep, []want{
		{file: "home/ci/.docker/config.json", secret: sg, enc: EncBase64, kind: "api_key", line: 4},
		{file: "home/ci/.docker/config.json", secret: mg, enc: EncBase64, line: 6},
		{file: "home/ci/.docker/config.json", secret: tok, enc: EncBase64, kind: "auth_token", line: 7},
		{file: "home/ci/.npmrc", secret: sg, enc: EncBase64, line: 2},
	}, []string{decoyHex})
}

func TestCIVariableDumps(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 3))}
	mjs, pm, sg, tok, mjk2, mjs2, mg := k.hex(), k.uuid(), k.sg(), k.hex(), k.hex(), k.hex(), k.mg()
	decoyHex, decoyUUID := k.hex(), k.uuid()
	// GitLab's variables API
	gitlab := `[{"variable_type":"env_var","key":"MAILJET_API_SECRET_B64","value":"` + b64(mjs) + `","protected":true,"masked":true,"raw":false,"environment_scope":"*"},` + "\n" +
		`{"variable_type":"env_var","key":"POSTMARK_TOKEN","value":"` + b64(pm) + `","protected":false,"masked":false,"raw":false,"environment_scope":"production"},` + "\n" +
		`{"variable_type":"env_var","key":"CACHE_KEY_B64","value":"` + b64(decoyHex) + `","protected":false,"masked":false,"raw":false,"environment_scope":"*"},` + "\n" +
		`{"variable_type":"env_var","key":"POSTMARK_TEMPLATE_B64","value":"` + b64(decoyUUID) + `","protected":false,"masked":false,"raw":false,"environment_scope":"*"}]` + "\n"
	// printenv in a job log, and a .gitlab-ci.yml
	envFile := "APP_ENV=production\nMAILJET_APIKEY=" + mjk2 + "\nMAILJET_APISECRET=" + mjs2 + "\nMAILGUN_SECRET=" + mg + "\n"
	printenv := strings.Join([]string{
		"$ printenv | sort",
		"CI=true",
		"CI_JOB_ID=48211",
		"BUILD_INFO_B64=" + b64("commit 8f3a2c1 built by runner 7"),
		"SENDGRID_API_KEY_B64=" + b64(sg),
		"TWILIO_AUTH_TOKEN_B64=" + b64(tok),
		"MAILJET_ENV_B64=" + b64(envFile),
		"HOME=/root",
	}, "\n") + "\n"
	ci := "variables:\n  DEPLOY_ENV: production\n  SMTP_PASSWORD: " + b64(sg) + "\n"
	dir, rep := scanTree(t, map[string]string{"ci/variables.json": gitlab, "ci/job.log": printenv, "ci/.gitlab-ci.yml": ci})
	checkFound(t, dir, rep, []want{
		{file: "ci/variables.json", secret: mjs, enc: EncBase64, kind: "secret_key", line: 1},
		{file: "ci/variables.json", secret: pm, enc: EncBase64, kind: "server_token", line: 2},
		{file: "ci/job.log", secret: sg, enc: EncBase64, line: 5},
		{file: "ci/job.log", secret: tok, enc: EncBase64, kind: "auth_token", line: 6},
		{file: "ci/job.log", secret: mjk2, enc: EncBase64, kind: "api_key", line: 7},
		{file: "ci/job.log", secret: mjs2, enc: EncBase64, kind: "secret_key", line: 7},
		{file: "ci/job.log", secret: mg, enc: EncBase64, line: 7},
		{file: "ci/.gitlab-ci.yml", secret: sg, enc: EncBase64, line: 3},
	}, []string{decoyHex, decoyUUID})
}

func TestURLEncodedDSNs(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 4))}
	sg, mjk, mjs, pm, sid, tok, sg2 := k.sg(), k.hex(), k.hex(), k.uuid(), k.sid(), k.hex(), k.sg()
	decoyHex := k.hex()
	env := strings.Join([]string{
		"MAILER_DSN=" + url.QueryEscape("smtp://apikey:"+sg+"@smtp.sendgrid.net:587"),
		"MAILJET_DSN=" + url.QueryEscape("mailjet+api://"+mjk+":"+mjs+"@default"),
		"POSTMARK_DSN=" + url.QueryEscape("postmark+api://"+pm+"@default"),
		"SEARCH=q%3Dmailgun%20pricing%26page%3D2",
	}, "\n") + "\n"
	// no provider named: a token in an encoded URL is no one's
	other := "LOGIN_REDIRECT=" + url.QueryEscape("/account?next=/billing&token="+decoyHex) + "\n"
	log := `203.0.113.9 - - [02/Apr/2024:10:11:12 +0000] "GET /hook?h=Authorization%3A%20Basic%20` + url.QueryEscape(b64(sid+":"+tok)) + `&to=api.twilio.com HTTP/1.1" 200 12 "-" "curl"` + "\n" +
		`203.0.113.9 - - [02/Apr/2024:10:11:13 +0000] "GET /hook?h=Authorization%3A%20Basic%20` + url.QueryEscape(b64Slash(sg2)) + ` HTTP/1.1" 200 12 "-" "curl"` + "\n"
	dir, rep := scanTree(t, map[string]string{"app/.env": env, "var/log/nginx/access.log": log, "other/.env": other})
	checkFound(t, dir, rep, []want{
		{file: "app/.env", secret: sg, enc: EncURL, line: 1},
		{file: "app/.env", secret: mjk, enc: EncURL, kind: "api_key", line: 2},
		{file: "app/.env", secret: mjs, enc: EncURL, kind: "secret_key", line: 2},
		{file: "app/.env", secret: pm, enc: EncURL, kind: "server_token", line: 3},
		{file: "var/log/nginx/access.log", secret: tok, enc: EncBasicAuth, kind: "auth_token", line: 1},
		{file: "var/log/nginx/access.log", secret: sg2, enc: EncBasicAuth, line: 2},
	}, []string{decoyHex})
}

// JSON- and PHP-escaped strings: the escapes are decoded where they cut a
// value (\u002d, \x22) or hide its context (\/ in a DSN); escaped quotes
// around a name no longer hide it (found in plain text, Encoding "");
// PHP's serialized s:N:"name";s:M:"value" names the value.
func TestEscapedStrings(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 5))}
	mjk, mjs, mjk2, mjs2, mg, pm, pm2, mjs3, pm3 := k.hex(), k.hex(), k.hex(), k.hex(), k.mg(), k.uuid(), k.uuid(), k.hex(), k.uuid()
	decoyHex, decoyUUID := k.hex(), k.uuid()
	jsonText := `{"level":"info","body":"{\"MAILJET_APIKEY\":\"` + mjk + `\",\"MAILJET_SECRET\":\"` + mjs + `\"}"}` + "\n" +
		`{"level":"debug","config":{"MAILER_DSN":"mailjet+api:\/\/` + mjk2 + `:` + mjs2 + `@default"}}` + "\n" +
		`{"level":"debug","env":{"MAILGUN_KEY":"` + strings.Replace(mg, "-", `\u002d`, 1) + `"}}` + "\n" +
		`{"level":"info","msg":"{\"request_id\":\"` + decoyUUID + `\",\"via\":\"postmark\"}"}` + "\n"
	php := "<?php\n" +
		"$cfg = '{\\'postmark\\': {\\'token\\': \\'" + pm + "\\'}}';\n" +
		"$env = \"MJ_APIKEY_PRIVATE=\\\"" + mjs3 + "\\\"\";\n" +
		"$tpl = '{\\'mailjet\\': {\\'template_id\\': \\'" + decoyHex + "\\'}}';\n" +
		"$pm = \"POSTMARK_SERVER_TOKEN=\\x22" + strings.Replace(pm2, "-", `\x2d`, 1) + "\\x22\";\n"
	sql := "INSERT INTO `wp_options` VALUES (412,'wp_mail_smtp','a:2:{s:4:\\\"mail\\\";a:1:{s:6:\\\"mailer\\\";s:8:\\\"postmark\\\";}s:8:\\\"postmark\\\";a:2:{s:7:\\\"api_key\\\";s:36:\\\"" + pm3 + "\\\";s:6:\\\"stream\\\";s:8:\\\"outbound\\\";}}','yes');\n"
	dir, rep := scanTree(t, map[string]string{"logs/app.log": jsonText, "app/config.php": php, "backup/wp.sql": sql})
	checkFound(t, dir, rep, []want{
		{file: "logs/app.log", secret: mjk, enc: "", kind: "api_key", line: 1},
		{file: "logs/app.log", secret: mjs, enc: "", kind: "secret_key", line: 1},
		{file: "logs/app.log", secret: mjk2, enc: EncJSONEscape, kind: "api_key", line: 2},
		{file: "logs/app.log", secret: mjs2, enc: EncJSONEscape, kind: "secret_key", line: 2},
		{file: "logs/app.log", secret: mg, enc: EncJSONEscape, line: 3},
		{file: "app/config.php", secret: pm, enc: "", kind: "server_token", line: 2},
		{file: "app/config.php", secret: mjs3, enc: "", kind: "secret_key", line: 3},
		{file: "app/config.php", secret: pm2, enc: EncPHPEscape, kind: "server_token", line: 5},
		{file: "backup/wp.sql", secret: pm3, enc: "", kind: "server_token", line: 1},
	}, []string{decoyHex, decoyUUID})
}

// A Basic-auth header is decoded for every provider: key:secret (Mailjet),
// SID:token (Twilio), api:key (Mailgun), apikey:SG. (SendGrid's SMTP
// user), token:token (Postmark's SMTP), login:xsmtpsib- (Brevo),
// anystring:key (Mailchimp), user:md- (Mandrill).
func TestBasicAuthEveryProvider(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 6))}
	sg, mg, mgNew, sid, tok, sk, sks := k.sg(), k.mg(), k.mgNew(), k.sid(), k.hex(), k.sk(), k.an32()
	mjk, mjs, pm, bs, mc, md := k.hex(), k.hex(), k.uuid(), k.brevo("xsmtp"), k.mc(), k.md()
	decoyHex := k.hex()
	sep := strings.Repeat("# --------------------------------------------------------------------\n", 8)
	lines := []string{
		`curl -H "Authorization: Basic ` + b64("apikey:"+sg) + `" https://example.com/relay`,
		`curl -s --header 'Authorization: Basic ` + b64("api:"+mg) + `' https://example.com/v3/domains`,
		"POST /v3/example.com/messages HTTP/1.1\nHost: api.mailgun.net\nAuthorization: Basic " + b64("api:"+mgNew),
		`$client->request('GET', 'https://api.twilio.com/2010-04-01/Accounts.json', ['headers' => ['Authorization' => 'Basic ` + b64(sid+":"+tok) + `']]);`,
		`Authorization: Basic ` + b64(sk+":"+sks),
		`[mailjet] POST https://api.mailjet.com/v3.1/send Authorization: Basic ` + b64(mjk+":"+mjs),
		`smtp.postmarkapp.com:587 AUTH PLAIN; Authorization: Basic ` + b64(pm+":"+pm),
		`Authorization: Basic ` + b64("ops@example.com:"+bs),
		`Authorization: Basic ` + b64("anystring:"+mc),
		`Authorization: Basic ` + b64("mailer:"+md),
		// decoys
		`Authorization: Basic ` + b64("admin:hunter2hunter2"),
		`Authorization: Basic ` + b64("user:"+decoyHex),
		`Authorization: Bearer ` + b64(decoyHex),
		`Authorization: Basic realm="staff"`,
		`Basic authorization is enabled for the staging site`,
	}
	dir, rep := scanTree(t, map[string]string{"logs/http.log": strings.Join(lines, "\n"+sep) + "\n"})
	line := func(i int) int { return 1 + i*9 + strings.Count(strings.Join(lines[:i], ""), "\n") }
	checkFound(t, dir, rep, []want{
		{file: "logs/http.log", secret: sg, enc: EncBasicAuth, line: line(0)},
		{file: "logs/http.log", secret: mg, enc: EncBasicAuth, line: line(1)},
		{file: "logs/http.log", secret: mgNew, enc: EncBasicAuth, line: line(2) + 2},
		{file: "logs/http.log", secret: tok, enc: EncBasicAuth, kind: "auth_token", line: line(3)},
		{file: "logs/http.log", secret: sks, enc: EncBasicAuth, kind: "api_key_secret", line: line(4)},
		// Mailjet's own detector reads the header whole, as before
		{file: "logs/http.log", secret: b64(mjk + ":" + mjs), enc: "", kind: "basic_auth", line: line(5)},
		{file: "logs/http.log", secret: pm, enc: EncBasicAuth, kind: "server_token", line: line(6)},
		{file: "logs/http.log", secret: bs, enc: EncBasicAuth, kind: "smtp_key", line: line(7)},
		{file: "logs/http.log", secret: mc, enc: EncBasicAuth, line: line(8)},
		{file: "logs/http.log", secret: md, enc: EncBasicAuth, line: line(9)},
	}, []string{decoyHex, mjk, mjs})
}

// user:secret in base64 without "Basic": named by a provider's word on
// its line, or behind an auth name.
func TestBase64UserSecretWithoutBasic(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 7))}
	mjk, mjs, sid, tok, sg := k.hex(), k.hex(), k.sid(), k.hex(), k.sg()
	decoyHex := k.hex()
	text := strings.Join([]string{
		"MAILJET_AUTH=" + b64(mjk+":"+mjs),
		"TWILIO_CREDENTIALS=" + b64(sid+":"+tok),
		"relay_auth=" + b64("apikey:"+sg),
		"Proxy-Authorization: " + b64("apikey:"+sg),
		"CACHE_AUTH=" + b64("cache:"+decoyHex),
	}, "\n") + "\n"
	dir, rep := scanTree(t, map[string]string{"srv/app/credentials.env": text})
	checkFound(t, dir, rep, []want{
		{file: "srv/app/credentials.env", secret: mjk, enc: EncBase64, kind: "api_key", line: 1},
		{file: "srv/app/credentials.env", secret: mjs, enc: EncBase64, kind: "secret_key", line: 1},
		{file: "srv/app/credentials.env", secret: tok, enc: EncBase64, kind: "auth_token", line: 2},
		{file: "srv/app/credentials.env", secret: sg, enc: EncBase64, line: 3},
	}, []string{decoyHex})
}

// In a file over one chunk (1 MiB), the other secrets are listed when it
// holds a credential, wherever they are, with their lines; a placeholder
// is not, nor the credential itself; a large file with no credential lists
// none.
func TestAlsoExposedInLargeFiles(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 8))}
	sg, dbpw, aws, stripe := k.sg(), "Pw-"+rnd(k.r, anA, 18), "AKIA"+rnd(k.r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16), "sk_"+"live_"+rnd(k.r, anA, 24)
	dbpw2 := "Db-" + rnd(k.r, anA, 18)
	var b strings.Builder
	lineNo := 0
	at := map[string]int{}
	add := func(s string) {
		lineNo++
		b.WriteString(s + "\n")
	}
	filler := func(n int) {
		for b.Len() < n {
			add(fmt.Sprintf("[2024-04-02 10:%02d:%02d] production.INFO: job %d done in 12ms {\"queue\":\"default\"}", lineNo/60%60, lineNo%60, lineNo))
		}
	}
	filler(100 << 10)
	add("DB_PASSWORD=" + dbpw)
	at[dbpw] = lineNo
	add("DB_PASSWORD=changeme")
	add("api_token=${API_TOKEN}")
	filler(1200 << 10)
	add("SENDGRID_API_KEY=" + sg)
	at[sg] = lineNo
	filler(1300 << 10)
	add("AWS_ACCESS_KEY_ID=" + aws)
	at[aws] = lineNo
	filler(2500 << 10)
	add("STRIPE_SECRET=" + stripe)
	at[stripe] = lineNo
	filler(2600 << 10)
	big := b.String()
	quiet := strings.Replace(big, "SENDGRID_API_KEY="+sg, "SENDGRID_API_KEY=", 1)
	quiet = strings.Replace(quiet, dbpw, dbpw2, 1)
	dir, rep := scanTree(t, map[string]string{"logs/laravel.log": big, "logs/quiet.log": quiet})
	checkFound(t, dir, rep, []want{{file: "logs/laravel.log", secret: sg, line: at[sg]}}, nil)
	got := map[string]Finding{}
	for _, f := range rep.AlsoExposed {
		if f.File == filepath.Join(dir, "logs/quiet.log") || f.Fingerprint == Fingerprint([]byte(dbpw2)) {
			t.Errorf("also-exposed in a file with no credential: %s:%d %s", f.File, f.Line, f.Redacted)
		}
		got[f.Fingerprint] = f
	}
	for _, s := range []string{dbpw, aws, stripe} {
		f, ok := got[Fingerprint([]byte(s))]
		switch {
		case !ok:
			t.Errorf("also-exposed misses %s", Redact([]byte(s)))
		case f.Line != at[s]:
			t.Errorf("also-exposed %s on line %d, want %d", Redact([]byte(s)), f.Line, at[s])
		}
	}
	for _, s := range []string{sg, "changeme", "${API_TOKEN}"} {
		if _, ok := got[Fingerprint([]byte(s))]; ok {
			t.Errorf("also-exposed lists %s", Redact([]byte(s)))
		}
	}
	if len(got) != 3 {
		t.Errorf("also-exposed: %d values, want 3", len(got))
	}
}

// The base64 anchors are the base64 forms of the key prefixes at the start
// of a value (b64Forms derives them), and the base64 of a key starts with
// its prefix's.
func TestB64Anchors(t *testing.T) {
	tok := provider.SampleAlnum + "_-"
	var want []b64Anchor
	for _, p := range []struct{ prefix, next string }{
		{"S" + "G.", tok}, {"xkey" + "sib-", provider.SampleHex}, {"xsmtp" + "sib-", provider.SampleHex}, {"key" + "-", provider.SampleHex},
	} {
		want = append(want, b64Forms(p.prefix, p.next, 1)...)
	}
	if !slices.Equal(b64Anchors, want) {
		t.Errorf("b64Anchors %v, derived %v", b64Anchors, want)
	}
	// the other alignments are longer to key on: listed for the record
	t.Logf("SG. in all alignments: %v", b64Forms("S"+"G.", tok, 3))
	r := rand.New(rand.NewPCG(16, 9))
	k := keys{r}
	for i, v := range []string{k.sg(), k.brevo("xkey"), k.brevo("xsmtp"), k.mg()} {
		if e := b64(v); !strings.HasPrefix(e, b64Anchors[i].lit) || b64Anchors[i].gofs != 0 {
			t.Errorf("%s: anchor %q, encoding %.12s…", Redact([]byte(v)), b64Anchors[i].lit, e)
		}
	}
	if d := b64Decode(nil, []byte("YWJjZA")); string(d) != "abcd" {
		t.Errorf("unpadded decode %q", d)
	}
	if d := b64Decode(nil, []byte("-_-_")); !bytes.Equal(d, []byte{0xfb, 0xff, 0xbf}) {
		t.Errorf("URL-safe decode %x", d)
	}
}

// b64Forms returns, for each of the first aligns alignments of prefix in
// base64 text (0: the value starts with the prefix), the characters that
// encode it whatever comes before and after (a byte of printable ASCII
// before, a byte of next after): the 4 or more characters with the fewest
// variants.
func b64Forms(prefix, next string, aligns int) []b64Anchor {
	var out []b64Anchor
	for k := 0; k < aligns; k++ {
		// the characters whose bits overlap the prefix
		first := k * 8 / 6
		last := ((k+len(prefix))*8 - 1) / 6
		type win struct{ a, n int }
		best, bestSet := win{}, map[string]bool(nil)
		for a := first; a <= last; a++ {
			for n := 4; a+n-1 <= last; n++ {
				set := map[string]bool{}
				prevs := 0x7f - 0x20
				if k == 0 {
					prevs = 1 // nothing before the prefix
				}
				for pc := 0x20; pc < 0x20+prevs; pc++ {
					for _, nc := range []byte(next) {
						src := []byte(strings.Repeat("A", k) + prefix + string(nc) + "AA")
						if k > 0 {
							src[k-1] = byte(pc)
						}
						enc := base64.StdEncoding.EncodeToString(src)
						set[enc[a:a+n]] = true
					}
				}
				if bestSet == nil || len(set) < len(bestSet) || len(set) == len(bestSet) && n > best.n {
					best, bestSet = win{a, n}, set
				}
			}
		}
		for lit := range bestSet {
			out = append(out, b64Anchor{lit: lit, gofs: best.a % 4})
		}
	}
	return out
}

// The text report names the encoding a credential was found in.
func TestEncodingInTextReport(t *testing.T) {
	k := keys{rand.New(rand.NewPCG(16, 12))}
	_, rep := scanTree(t, map[string]string{"ci/.gitlab-ci.yml": "variables:\n  SMTP_PASSWORD: " + b64(k.sg()) + "\n"})
	var text bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "(encoded: base64)") {
		t.Errorf("text report:\n%s", text.String())
	}
	// said once: "(encoded: base64) (base64-encoded)" was said twice
	for _, l := range strings.Split(text.String(), "\n") {
		if strings.Count(l, "base64") > 1 {
			t.Errorf("the encoding said twice: %q", l)
		}
	}
}

// encodedHugeInputs are buffers dense in what opens a decoding: they must
// stay linear (BenchmarkScanEncodedInputs) and find nothing.
func encodedHugeInputs() map[string][]byte {
	return map[string][]byte{
		"dense-authz":       bytes.Repeat([]byte("Authorization: Basic YWJjZGVmZ2hpams6bG1ub3Bxcg== "), 64<<10),
		"dense-data-blocks": bytes.Repeat([]byte("data:\n  k: YWJjZGVmZ2g=\n"), 128<<10),
		"long-data-block":   append([]byte("data:\n"), bytes.Repeat([]byte("  k: YWJjZGVmZ2g=\n"), 256<<10)...),
		"dense-data-uri":    bytes.Repeat([]byte("url(data:text/plain;base64,YWJjZGVmZ2g=) "), 64<<10),
		"dense-escapes":     bytes.Repeat([]byte(`{\"mailjet\":\"x\"} %3A `), 128<<10),
		"dense-b64-anchor":  bytes.Repeat([]byte("U0cu"), 1<<20),
		"long-b64-run":      append([]byte("MAILJET_B64="), bytes.Repeat([]byte("QUJD"), 2<<20)...),
		"dense-docker-auth": bytes.Repeat([]byte(`{"auth": "YWJjZGVmZ2hpams6bG1ub3Bxcg=="} `), 64<<10),
		"dense-json-data":   bytes.Repeat([]byte(`"data": {"a": "YWJj", "b": "ZGVm"} `), 64<<10),
	}
}

func TestScanEncodedHugeInputs(t *testing.T) {
	for name, data := range encodedHugeInputs() {
		if n := checkScan(t, data); n != 0 {
			t.Errorf("%s: %d findings in a buffer with no key", name, n)
		}
	}
}

func BenchmarkScanEncodedInputs(b *testing.B) {
	for name, data := range encodedHugeInputs() {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				scanOnce(data, true)
				scanOnce(data, false)
			}
		})
	}
}

func FuzzEncoded(f *testing.F) {
	f.Add([]byte("Authorization: Basic " + b64("apikey:SG.x") + "\n"))
	f.Add([]byte("data:\n  api-key: YWJj\n  x: ===\n"))
	f.Add([]byte(`{"auths":{"r":{"auth":"YWJjOmRlZg=="}}}`))
	f.Add([]byte("mailjet %3A%2F \\\"x\\\" \\u002d \\x22 U0cuYWJj"))
	f.Add([]byte("x;base64,U0cu data:text/plain;base64,QQ"))
	f.Add([]byte(`"data": {"k": "YW\"Jj"`))
	f.Fuzz(fuzzScan)
}
