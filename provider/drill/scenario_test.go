package drill_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/drill"
)

// tiny is a valid scenario; each case below breaks one line of it.
const tiny = `version: 1
name: tiny
title: Tiny drill
lesson: Revoke the attacker's key.
briefing: A tiny test drill.
provider: sendgrid
account:
  username: tiny
  email: ops@tiny.example
  your_ip: 198.51.100.9
  session_key: Ss1Ss1Ss1Ss1Ss1Ss1Ss1S
known_good:
  keys:
  - {id: Ss1Ss1Ss1Ss1Ss1Ss1Ss1S, name: reclaim}
  mail: {from: a@tiny.example, per_day: 10, subjects: [Hello]}
attacker:
  keys:
  - {id: Aa1Aa1Aa1Aa1Aa1Aa1Aa1A, name: evil, created: -1d}
injects:
- name: hello
  kind: notice
  at: 5m
  title: Hello
  message: A notice.
expectations:
- id: keys
  title: Attacker key revoked
  points: 10
  check: {kind: no_attacker_keys}
`

func TestScenarioTinyIsValid(t *testing.T) {
	sc, err := drill.ParseScenario("tiny.yaml", []byte(tiny))
	if err != nil {
		t.Fatal(err)
	}
	if sc.MaxScore() != 10 || len(sc.Keys) != 2 || sc.Injects[0].AtDuration() != 5*time.Minute || sc.Injects[0].When() != "at T+5:00" {
		t.Fatalf("%+v", sc)
	}
}

func TestScenarioValidationErrors(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           string // the whole error, FILE:LINE: field: message
	}{
		{"unknown field", "  points: 10\n", "  points: 10\n  pts: 3\n", `tiny.yaml:29: expectations[0].pts: unknown field "pts"`},
		{"unknown nested field", "  username: tiny\n", "  username: tiny\n  phone: 555\n", `tiny.yaml:9: account.phone: unknown field "phone"`},
		{"unknown first field", "account:\n  username: tiny\n", "account:\n  nick: x\n  username: tiny\n", `tiny.yaml:8: account.nick: unknown field "nick"`},
		{"unknown field in a list", "- id: keys\n", "- id: keys\n  weight: 2\n", `tiny.yaml:27: expectations[0].weight: unknown field "weight"`},
		{"wrong type", "  points: 10\n", "  points: ten\n", `tiny.yaml:28: expectations[0].points: expected a whole number, got "ten"`},
		{"wrong type bool", "provider: sendgrid\n", "provider: sendgrid\nsuspended: maybe\n", `tiny.yaml:7: suspended: expected true or false, got "maybe"`},
		{"mapping for a list", "injects:\n- name: hello", "injects:\n  name: hello", `tiny.yaml:20: injects: expected a list, got a mapping`},
		{"missing required", "title: Tiny drill\n", "", `tiny.yaml:1: title: required`},
		{"missing nested", "  email: ops@tiny.example\n", "", `tiny.yaml:7: account.email: required`},
		{"bad duration", "  at: 5m\n", "  at: 5 minutes\n", `tiny.yaml:22: injects[0].at: "5 minutes" is not a duration (like 5m, 90s, 1h30m)`},
		{"negative duration", "  at: 5m\n", "  at: -5m\n", `tiny.yaml:22: injects[0].at: must be after the start and within 24h`},
		{"unknown step", "  at: 5m\n", "  after_step: rotate.nope\n", `tiny.yaml:22: injects[0].after_step: unknown step id "rotate.nope"`},
		{"at and after", "  at: 5m\n", "  at: 5m\n  after_step: rotate.revoke\n", `tiny.yaml:20: injects[0]: give at or after_step, not both`},
		{"unknown check", "{kind: no_attacker_keys}", "{kind: no_attacker_pets}", `tiny.yaml:29: expectations[0].check.kind: unknown check kind "no_attacker_pets" (known: ` + strings.Join(drill.CheckKinds(), ", ") + `)`},
		{"check param missing", "{kind: no_attacker_keys}", "{kind: key_revoked}", `tiny.yaml:29: expectations[0].check.key: required by key_revoked`},
		{"check param unused", "{kind: no_attacker_keys}", "{kind: no_attacker_keys, step: triage}", `tiny.yaml:29: expectations[0].check.step: not used by no_attacker_keys`},
		{"check unknown key", "{kind: no_attacker_keys}", "{kind: key_revoked, key: Zz1Zz1Zz1Zz1Zz1Zz1Zz1Z}", `tiny.yaml:29: expectations[0].check.key: no key has id "Zz1Zz1Zz1Zz1Zz1Zz1Zz1Z"`},
		{"unknown inject kind", "  kind: notice\n", "  kind: meteor\n", `tiny.yaml:21: injects[0].kind: unknown inject kind "meteor" (known: ` + strings.Join(drill.InjectKinds, ", ") + `)`},
		{"inject field missing", "  kind: notice\n", "  kind: teammate_added\n", `tiny.yaml:20: injects[0].teammate: required for a teammate_added inject`},
		{"duplicate expectation", "  check: {kind: no_attacker_keys}\n", "  check: {kind: no_attacker_keys}\n- id: keys\n  title: Again\n  points: 1\n  check: {kind: no_attacker_access}\n", `tiny.yaml:30: expectations[1].id: duplicate expectation "keys" (also at expectations[0])`},
		{"duplicate key id", "name: evil,", "name: evil2, id2: x,", `tiny.yaml:18: attacker.keys[0].id2: unknown field "id2"`},
		{"duplicate object", "{id: Aa1Aa1Aa1Aa1Aa1Aa1Aa1A, name: evil", "{id: Ss1Ss1Ss1Ss1Ss1Ss1Ss1S, name: evil", `tiny.yaml:18: attacker.keys[0].id: duplicate key id "Ss1Ss1Ss1Ss1Ss1Ss1Ss1S" (also at known_good.keys[0].id)`},
		{"duplicate YAML key", "name: tiny\n", "name: tiny\nname: tinier\n", `tiny.yaml:3: mapping key "name" already defined at [2:1]`},
		{"version", "version: 1\n", "version: 2\n", `tiny.yaml:1: version: unsupported version 2: this build reads version 1`},
		{"bad offset", "created: -1d}", "created: -1 day}", `tiny.yaml:18: attacker.keys[0].created: "-1 day" is not a time before the drill's start (like -2d, -3h, -40m, or 0)`},
		{"bad provider", "provider: sendgrid\n", "provider: acme-mail\n", `tiny.yaml:6: provider: "acme-mail" is not a provider the drill imitates in this build (known: …`},
		{"session key", "  session_key: Ss1Ss1Ss1Ss1Ss1Ss1Ss1S\n", "  session_key: nope\n", `tiny.yaml:11: account.session_key: "nope" is not one of known_good.keys`},
		{"control characters", "title: Tiny drill\n", "title: \"Tiny\\x1b[2J drill\"\n", `tiny.yaml:3: title: control or direction-changing characters are not allowed here`},
		{"answer key", "injects:\n", "answers:\n  rotate.nope.x: 'yes'\ninjects:\n", `tiny.yaml:20: answers."rotate.nope.x": not STEP.QUESTION with a known step id (triage, evidence.inventory, evidence.review, …)`},
		{"placeholder", "injects:\n", "server:\n  files:\n  - {path: a/.env, content: \"K={{sendgrid_key nope}}\"}\ninjects:\n", `tiny.yaml:21: server.files[0].content: {{sendgrid_key nope}}: a SendGrid key id is 22 letters, digits, - or _`},
		{"path escapes", "injects:\n", "server:\n  files:\n  - {path: ../etc/passwd, content: x}\ninjects:\n", `tiny.yaml:21: server.files[0].path: "../etc/passwd" must be a clean relative path inside the simulated server (no leading /, no ..)`},
		{"risk", "injects:\n", "risks: {dropped_the_laptop: 5}\ninjects:\n", `tiny.yaml:19: risks.dropped_the_laptop: unknown risk "dropped_the_laptop" (known: revoked_before_replacement_verified, allow_list_locks_owner_out)`},
		{"syntax", "title: Tiny drill\n", "title: \"Tiny drill\n", `tiny.yaml:3: could not find end character of double-quoted text`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(tiny, c.old) {
				t.Fatalf("the case's old text %q is not in the scenario", c.old)
			}
			_, err := drill.ParseScenario("tiny.yaml", []byte(strings.Replace(tiny, c.old, c.new, 1)))
			if err == nil {
				t.Fatal("accepted")
			}
			// A trailing … matches any rest (the list of known styles
			// grows with the adapters linked in).
			if got := err.Error(); got != c.want && !(strings.HasSuffix(c.want, "…") && strings.HasPrefix(got, strings.TrimSuffix(c.want, "…"))) {
				t.Errorf("\n got: %s\nwant: %s", got, c.want)
			}
		})
	}
}

// laughs is a "billion laughs" file: nine lines of anchors, each a list of
// nine aliases of the one before, expand to 9^9 strings.
func laughs() string {
	var b strings.Builder
	b.WriteString("a: &a [x, x, x, x, x, x, x, x, x]\n")
	for c := 'b'; c <= 'i'; c++ {
		fmt.Fprintf(&b, "%c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+string(c-1)+", ", 9), ", "))
	}
	b.WriteString("title: *i\n")
	return b.String()
}

// flowNest is title: [[[…]]] nested n deep.
func flowNest(n int) string {
	return "title: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
}

// blockNest is a block list nested n deep, one level a line.
func blockNest(n int) string {
	var b strings.Builder
	b.WriteString("title:\n")
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "%s-\n", strings.Repeat(" ", i))
	}
	fmt.Fprintf(&b, "%s- x\n", strings.Repeat(" ", n))
	return b.String()
}

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// Hostile YAML is refused by the preflight, before go-yaml's parser or
// decoder expands or recurses: with the file's line, and with little
// memory (unchecked, the laughs took 1.9 GB and the deep list 1.9 GB).
func TestScenarioRefusesHostileYAML(t *testing.T) {
	cases := []struct {
		name, src, want string
		maxAlloc        uint64
	}{
		{"billion laughs", laughs(), `h.yaml:1: YAML anchors (&a) are not allowed in a scenario file: write each value out`, 1 << 20},
		{"deep flow", flowNest(20000), `h.yaml:1: nested deeper than 32 levels: a scenario needs far fewer`, 32 << 20},
		{"deep block", blockNest(300), `h.yaml:33: nested deeper than 32 levels: a scenario needs far fewer`, 32 << 20},
		{"deep mappings", "title:\n" + func() string {
			var b strings.Builder
			for i := 1; i <= 40; i++ {
				fmt.Fprintf(&b, "%sk%d:\n", strings.Repeat(" ", i), i)
			}
			return b.String()
		}(), `h.yaml:33: nested deeper than 32 levels: a scenario needs far fewer`, 1 << 20},
		{"alias", strings.Replace(tiny, "title: Tiny drill\n", "title: *t\n", 1), `h.yaml:3: YAML aliases (*t) are not allowed in a scenario file: write the value out (quote text that starts with *)`, 1 << 20},
		{"merge key", strings.Replace(tiny, "  at: 5m\n", "  at: 5m\n  <<: {url: x}\n", 1), `h.yaml:23: YAML merge keys (<<) are not allowed in a scenario file: write the fields out`, 1 << 20},
		{"too large", tiny + "# " + strings.Repeat("x", 1<<20) + "\n", `h.yaml:1: larger than 262144 bytes`, 4 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = drill.ParseScenario("h.yaml", []byte(c.src)) })
			if err == nil {
				t.Fatal("accepted")
			}
			// A trailing … matches any rest (the list of known styles
			// grows with the adapters linked in).
			if got := err.Error(); got != c.want && !(strings.HasSuffix(c.want, "…") && strings.HasPrefix(got, strings.TrimSuffix(c.want, "…"))) {
				t.Errorf("\n got: %s\nwant: %s", got, c.want)
			}
			t.Logf("%d bytes: %.2f MB allocated", len(c.src), float64(n)/(1<<20))
			if n > c.maxAlloc {
				t.Errorf("allocated %d bytes refusing %d bytes (at most %d)", n, len(c.src), c.maxAlloc)
			}
		})
	}
}

// 32 levels pass the preflight (and reach the decoder); 33 do not.
func TestScenarioDepthLimitIsExact(t *testing.T) {
	for _, c := range []struct {
		src, want string
	}{
		{flowNest(31), `t.yaml:1: title: expected text, got "["`},
		{flowNest(32), `t.yaml:1: nested deeper than 32 levels: a scenario needs far fewer`},
		{blockNest(31), `t.yaml:2: title: expected text, got "-"`},
		{blockNest(32), `t.yaml:33: nested deeper than 32 levels: a scenario needs far fewer`},
	} {
		_, err := drill.ParseScenario("t.yaml", []byte(c.src))
		if err == nil || err.Error() != c.want {
			t.Errorf("%.40q…:\n got: %v\nwant: %s", c.src, err, c.want)
		}
	}
}

func BenchmarkScenarioRefusesHostileYAML(b *testing.B) {
	for _, c := range []struct{ name, src string }{{"laughs", laughs()}, {"deep-flow-20000", flowNest(20000)}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := drill.ParseScenario("h.yaml", []byte(c.src)); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// Several problems are all reported, in line order.
func TestScenarioValidationListsEveryProblem(t *testing.T) {
	src := strings.Replace(tiny, "  at: 5m\n", "  at: soon\n", 1)
	src = strings.Replace(src, "  points: 10\n", "  points: 0\n", 1)
	src = strings.Replace(src, "lesson: Revoke the attacker's key.\n", "", 1)
	_, err := drill.ParseScenario("s.yaml", []byte(src))
	if err == nil {
		t.Fatal("accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	want := []string{
		`s.yaml:1: lesson: required`,
		`s.yaml:21: injects[0].at: "soon" is not a duration (like 5m, 90s, 1h30m)`,
		`s.yaml:27: expectations[0].points: must be between 1 and 1000`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s", err)
	}
	// Every line has the FILE:LINE: shape.
	re := regexp.MustCompile(`^s\.yaml:[0-9]+: `)
	for _, l := range lines {
		if !re.MatchString(l) {
			t.Errorf("line %q lacks FILE:LINE:", l)
		}
	}
}

func TestBuiltinScenarios(t *testing.T) {
	names := drill.Scenarios()
	if len(names) < 5 {
		t.Fatalf("%d built-ins", len(names))
	}
	for _, n := range names {
		sc, err := drill.LoadScenario(n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if sc.ID != n || sc.Source != "built-in" || sc.Lesson == "" || sc.MaxScore() != 100 {
			t.Errorf("%s: id %q source %q max %d", n, sc.ID, sc.Source, sc.MaxScore())
		}
	}
	if _, err := drill.LoadScenario("no-such-drill"); err == nil || !strings.Contains(err.Error(), "have: ") {
		t.Errorf("unknown built-in: %v", err)
	}
}

func TestScenarioFromFileResumesWithoutIt(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(file, []byte(tiny), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{file, "tiny.yaml", "x/y", "drills/tiny.yml"} {
		if !drill.IsScenarioFile(s) {
			t.Errorf("%q is a file", s)
		}
	}
	if drill.IsScenarioFile("sendgrid-leaked-key") {
		t.Error("a built-in name taken for a file")
	}
	sc, err := drill.LoadScenario(file)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Source != file {
		t.Errorf("source %q", sc.Source)
	}
	a := drill.New(sc, time.Now())
	snap, _ := a.Snapshot()
	os.Remove(file)
	back, err := drill.Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if back.Scenario().ID != "tiny" || back.Scenario().Source != file {
		t.Errorf("restored %q from %q", back.Scenario().ID, back.Scenario().Source)
	}
	if _, err := drill.LoadScenario(filepath.Join(dir, "gone.yaml")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestDrillRateLimitNotifies(t *testing.T) {
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	if sc.RateLimit == nil || sc.RateLimit.Every < 2 {
		t.Fatal("the default scenario has no rate limit")
	}
	a := drill.New(sc, time.Now())
	var waits []time.Duration
	var p provider.Provider = a.Styled()
	p.(provider.RateLimitNotifier).OnRateLimit(func(d time.Duration) { waits = append(waits, d) })
	for i := 0; i < 2*sc.RateLimit.Every; i++ {
		if _, err := a.ListKeys(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(waits) != 2 || waits[0] != 2*time.Second {
		t.Errorf("waits %v after %d calls", waits, 2*sc.RateLimit.Every)
	}
}

func TestServerTreeFromScenario(t *testing.T) {
	dir := t.TempDir()
	sc, _ := drill.LoadScenario("sendgrid-twilio-env")
	a := drill.New(sc, time.Now())
	if err := a.WriteServerTree(dir); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(filepath.Join(dir, "var/www/globex/public/.env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`MAIL_PASSWORD=SG\.Wb8Lq2Zc6Vn0Mx4Kj7Hg3D\.[A-Za-z0-9_-]{43}\n`, `TWILIO_ACCOUNT_SID=AC[0-9a-f]{32}\n`, `TWILIO_AUTH_TOKEN=[0-9a-f]{32}\n`, `APP_KEY=base64:[A-Za-z0-9_-]{43}=\n`} {
		if !regexp.MustCompile(re).Match(env) {
			t.Errorf(".env lacks %s:\n%s", re, env)
		}
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "etc/nginx/sites-enabled/globex.conf"))
	if !strings.Contains(string(conf), "root "+dir+"/var/www/globex/public;") {
		t.Errorf("conf: %s", conf)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "var/log/nginx/access.log"))
	if !strings.Contains(string(log), "0x[]=androxgh0st") {
		t.Error("no AndroxGh0st trace in the access log")
	}
	fi, _ := os.Stat(filepath.Join(dir, "var/www/globex/public/.env"))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
}

// A key that leaks mid-drill lands in the server tree already written.
func TestCILeakWritesIntoTree(t *testing.T) {
	dir := t.TempDir()
	sc, _ := drill.LoadScenario("sendgrid-attacker-strikes-back")
	a := drill.New(sc, time.Now())
	if err := a.WriteServerTree(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FireInject("ci-leak"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "var/lib/ci/builds/1187/log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`SENDGRID_API_KEY=SG\.Nw4Sl8Tr2Ke6Yq0Mn3Bv7C\.[A-Za-z0-9_-]{43}`).Match(b) {
		t.Errorf("log: %s", b)
	}
	if o := a.Outcome(); len(o.OpenAccess) == 0 || !strings.Contains(strings.Join(o.OpenAccess, ";"), "newsletter") {
		t.Errorf("the leaked key is not attacker access: %q", o.OpenAccess)
	}
}
