package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/crypto/bcrypt"
	gossh "golang.org/x/crypto/ssh"

	"reclaim/checklist"
	"reclaim/provider/drill"
)

// serveTestConfig is a valid configuration in a private temporary state
// directory, without an auth method.
func serveTestConfig(t *testing.T) serveConfig {
	t.Helper()
	return serveConfig{
		listen: "127.0.0.1:0", scenario: drill.DefaultScenario, idleTimeout: time.Minute, maxTimeout: time.Hour,
		ratePerMinute: 10, maxSessions: 5, stateDir: privateDir(t),
	}
}

// privateDir is a 0700 folder below t.TempDir (checkAncestors accepts it:
// the test's temporary folder is the user's own).
func privateDir(t *testing.T) string {
	t.Helper()
	d := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

func testPublicKey(t *testing.T) (gossh.PublicKey, string) {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := gossh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pk, strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pk)))
}

func writeFile(t *testing.T, dir, name, body string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask
		t.Fatal(err)
	}
	return p
}

// Without --authorized-keys, --passwords or --insecure-no-auth the server
// does not start, and says what to give; through the command, exit 2.
func TestServeRefusesToStartWithoutAuth(t *testing.T) {
	c := serveTestConfig(t)
	err := c.validate()
	if err == nil || !strings.Contains(err.Error(), "no way to authenticate") || !strings.Contains(err.Error(), "--authorized-keys") || !strings.Contains(err.Error(), "--passwords") {
		t.Fatalf("validate without auth: %v", err)
	}
	if _, err := newDrillServer(c, io.Discard); err == nil {
		t.Fatal("newDrillServer started without an auth method")
	}
	if _, err := os.Stat(filepath.Join(c.stateDir, "host_ed25519")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused start made a host key: %v", err)
	}

	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"serve", "--listen", "127.0.0.1:0", "--state-dir", c.stateDir})
	err = root.Execute()
	var ee *exitErr
	if !errors.As(err, &ee) || ee.code != exitError || !strings.Contains(err.Error(), "no way to authenticate") {
		t.Fatalf("reclaim serve without auth: %v", err)
	}
}

// --insecure-no-auth only on a loopback address, and never beside another
// auth method; the other flags are checked too.
func TestServeInsecureNoAuthLoopbackOnly(t *testing.T) {
	for _, c := range []struct {
		listen string
		ok     bool
	}{
		{"127.0.0.1:2222", true}, {"127.0.0.2:0", true}, {"[::1]:2222", true}, {"localhost:2222", true},
		{"0.0.0.0:2222", false}, {":2222", false}, {"[::]:2222", false}, {"192.168.1.10:2222", false}, {"example.com:22", false},
	} {
		cfg := serveTestConfig(t)
		cfg.insecureNoAuth, cfg.listen = true, c.listen
		err := cfg.validate()
		if c.ok && err != nil {
			t.Errorf("%s: refused: %v", c.listen, err)
		}
		if !c.ok && (err == nil || !strings.Contains(err.Error(), "loopback")) {
			t.Errorf("%s: --insecure-no-auth accepted or badly refused: %v", c.listen, err)
		}
	}
	cfg := serveTestConfig(t)
	cfg.insecureNoAuth, cfg.authorizedKeys = true, "keys"
	if err := cfg.validate(); err == nil || !strings.Contains(err.Error(), "cannot be combined") {
		t.Errorf("--insecure-no-auth with --authorized-keys: %v", err)
	}
	for name, mut := range map[string]func(*serveConfig){
		"--listen":       func(c *serveConfig) { c.listen = "2222" },
		"--idle-timeout": func(c *serveConfig) { c.idleTimeout = 0 },
		"--max-timeout":  func(c *serveConfig) { c.maxTimeout = -time.Second },
		"--rate-limit":   func(c *serveConfig) { c.ratePerMinute = 0 },
		"--max-sessions": func(c *serveConfig) { c.maxSessions = 0 },
		"--scenario":     func(c *serveConfig) { c.scenario = "no-such-scenario" },
		"state":          func(c *serveConfig) { c.stateDir = "" },
	} {
		cfg := serveTestConfig(t)
		cfg.insecureNoAuth = true
		mut(&cfg)
		err := cfg.validate()
		if err == nil || (name != "state" && !strings.Contains(err.Error(), name)) {
			t.Errorf("%s: bad value accepted or not named: %v", name, err)
		}
	}
}

// The host key is made on first run: ed25519, mode 0600, in the state
// directory; the next start reads the same key; a key others may read, or
// that does not parse, is refused; an existing file is never replaced.
func TestServeHostKeyCreated0600(t *testing.T) {
	cfg := serveTestConfig(t)
	cfg.insecureNoAuth = true
	ds, err := newDrillServer(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(cfg.stateDir, "host_ed25519")
	if ds.hostKeyPath != path {
		t.Fatalf("host key at %s, want %s", ds.hostKeyPath, path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("host key mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	signer, err := gossh.ParsePrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	if signer.PublicKey().Type() != gossh.KeyAlgoED25519 {
		t.Errorf("host key type %s, want ed25519", signer.PublicKey().Type())
	}
	if ds.hostKeyFP != gossh.FingerprintSHA256(signer.PublicKey()) {
		t.Errorf("reported fingerprint %s is not the key's", ds.hostKeyFP)
	}
	ds2, err := newDrillServer(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if ds2.hostKeyFP != ds.hostKeyFP {
		t.Error("a second start made a new host key")
	}

	// --host-key elsewhere, in a folder made for it.
	cfg.hostKey = filepath.Join(t.TempDir(), "keys", "host")
	if _, err := newDrillServer(cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(cfg.hostKey); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("--host-key: %v %v", fi, err)
	}

	if runtime.GOOS != "windows" {
		os.Chmod(path, 0o644)
		cfg.hostKey = ""
		if _, err := newDrillServer(cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("a readable host key was accepted: %v", err)
		}
	}
	junk := writeFile(t, t.TempDir(), "junk", "not a key", 0o600)
	cfg.hostKey = junk
	if _, err := newDrillServer(cfg, io.Discard); err == nil {
		t.Error("a host key that does not parse was accepted")
	}
	if b, _ := os.ReadFile(junk); string(b) != "not a key" {
		t.Error("an existing host key file was overwritten")
	}
	// O_EXCL: a dangling link is not followed to make the key elsewhere.
	if runtime.GOOS != "windows" {
		dir := t.TempDir()
		target := filepath.Join(dir, "elsewhere")
		link := filepath.Join(dir, "link")
		os.Symlink(target, link)
		if _, err := newHostKeyFile(link); err == nil {
			t.Error("newHostKeyFile followed a dangling link")
		}
		if _, err := os.Stat(target); err == nil {
			t.Error("a key was written through the link")
		}
	}
}

// New connections per address: a burst of N, then refused with a wait
// until a token is back; addresses are counted apart; the bucket refills.
func TestServeRateLimit(t *testing.T) {
	r := newRateLimiter(3)
	t0 := time.Unix(1_700_000_000, 0)
	for i := 0; i < 3; i++ {
		if ok, _ := r.allow("10.0.0.1", t0); !ok {
			t.Fatalf("connection %d refused within the burst", i+1)
		}
	}
	ok, wait := r.allow("10.0.0.1", t0)
	if ok {
		t.Fatal("the 4th connection in a minute was allowed (limit 3)")
	}
	if wait < 19*time.Second || wait > 22*time.Second {
		t.Errorf("retry in %s, want about 20s (one token at 3 a minute)", wait)
	}
	if ok, _ := r.allow("10.0.0.2", t0); !ok {
		t.Error("another address was limited by the first one's connections")
	}
	if ok, _ := r.allow("10.0.0.1", t0.Add(10*time.Second)); ok {
		t.Error("allowed after 10s, before a token was back")
	}
	if ok, _ := r.allow("10.0.0.1", t0.Add(21*time.Second)); !ok {
		t.Error("still refused once a token was back")
	}
	// Memory stays bounded under many addresses.
	for i := 0; i < maxBuckets+10; i++ {
		r.allow(strings.Repeat("x", 3)+string(rune('a'+i%26))+time.Duration(i).String(), t0)
	}
	if len(r.buckets) > maxBuckets {
		t.Errorf("%d buckets kept, cap %d", len(r.buckets), maxBuckets)
	}
}

// authorized_keys lines: comments name players, a bad line is refused with
// its line number, a file others may write is refused, a change is read
// again and a broken change keeps the previous keys.
func TestServeAuthorizedKeysFile(t *testing.T) {
	dir := t.TempDir()
	pk1, line1 := testPublicKey(t)
	pk2, line2 := testPublicKey(t)
	path := writeFile(t, dir, "ak", "# players\n"+line1+" alice@laptop\n\n", 0o600)
	var logb bytes.Buffer
	kl, err := loadKeyList(path, "--authorized-keys", &serveLog{w: &logb})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := kl.lookup(pk1); !ok || c != "alice@laptop" {
		t.Errorf("lookup(alice) = %q %v", c, ok)
	}
	if _, ok := kl.lookup(pk2); ok {
		t.Error("an unlisted key was accepted")
	}
	// Added while running: taken without a restart.
	time.Sleep(10 * time.Millisecond)
	writeFile(t, dir, "ak", "# players\n"+line1+" alice@laptop\n"+line2+" bob\n", 0o600)
	if c, ok := kl.lookup(pk2); !ok || c != "bob" {
		t.Errorf("a key added to the file was not taken: %q %v", c, ok)
	}
	// Broken: the previous keys stay, and the log says so.
	writeFile(t, dir, "ak", line1+"\nssh-ed25519 AAAA-broken\n", 0o600)
	if _, ok := kl.lookup(pk2); !ok {
		t.Error("a broken change dropped the keys in force")
	}
	if !strings.Contains(logb.String(), "was not taken") || !strings.Contains(logb.String(), ":2:") {
		t.Errorf("log of a broken change: %q", logb.String())
	}

	bad := writeFile(t, dir, "bad", line1+"\n# ok\nnot a key at all\n", 0o600)
	if _, err := loadKeyList(bad, "--authorized-keys", nil); err == nil || !strings.Contains(err.Error(), bad+":3:") {
		t.Errorf("bad line: %v", err)
	}
	empty := writeFile(t, dir, "empty", "# nobody\n", 0o600)
	if _, err := loadKeyList(empty, "--authorized-keys", nil); err == nil || !strings.Contains(err.Error(), "no public key") {
		t.Errorf("empty file: %v", err)
	}
	if runtime.GOOS != "windows" {
		ww := writeFile(t, dir, "ww", line1+"\n", 0o666)
		if _, err := loadKeyList(ww, "--authorized-keys", nil); err == nil || !strings.Contains(err.Error(), "chmod go-w") {
			t.Errorf("world-writable keys file: %v", err)
		}
	}
	if _, err := loadKeyList(filepath.Join(dir, "missing"), "--authorized-keys", nil); err == nil || !strings.Contains(err.Error(), "--authorized-keys") {
		t.Errorf("missing file: %v", err)
	}
}

// The passwords file: user:bcrypt-hash lines, 0600; the right password
// passes, a wrong one or an unknown user fails; bad lines are refused with
// their line number and never echo the hash.
func TestServePasswordsFile(t *testing.T) {
	dir := t.TempDir()
	h, err := bcrypt.GenerateFromPassword([]byte("correct horse"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, dir, "pw", "# team\nalice:"+string(h)+"\n", 0o600)
	p, err := loadPasswordFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !p.check("alice", "correct horse") {
		t.Error("the right password was refused")
	}
	if p.check("alice", "wrong") || p.check("mallory", "correct horse") || p.check("", "") {
		t.Error("a wrong password or an unknown user was accepted")
	}
	if !p.has("alice") || p.has("bob") {
		t.Error("has() is wrong")
	}
	for body, want := range map[string]string{
		"alice\n":                             ":1: want user:bcrypt-hash",
		"# c\nbob:$1$notbcrypt\n":             `:2: the hash for "bob" is not a bcrypt hash`,
		"a:" + string(h) + "\na:" + string(h): ":2: user \"a\" is listed twice",
		"ali ce:" + string(h) + "\n":          ":1: want user:bcrypt-hash",
	} {
		f := writeFile(t, dir, "bad", body, 0o600)
		_, err := loadPasswordFile(f, nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "notbcrypt") {
			t.Errorf("the error echoes the hash: %v", err)
		}
	}
	if runtime.GOOS != "windows" {
		f := writeFile(t, dir, "readable", "alice:"+string(h)+"\n", 0o644)
		if _, err := loadPasswordFile(f, nil); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("a passwords file others can read: %v", err)
		}
	}
}

// Identities: a key's folder name is stable and differs from another key's
// and from a password user's; hostile comments are sanitized.
func TestServeIdentity(t *testing.T) {
	pk1, _ := testPublicKey(t)
	pk2, _ := testPublicKey(t)
	a, a2, b := keyIdentity(pk1, "alice"), keyIdentity(pk1, "renamed"), keyIdentity(pk2, "")
	if a.key != a2.key || a.key == b.key || len(a.key) != 32 {
		t.Errorf("key identities: %q %q %q", a.key, a2.key, b.key)
	}
	if !strings.HasPrefix(b.name, "key ") {
		t.Errorf("a key without a comment is named %q", b.name)
	}
	u := userIdentity("password", "alice")
	if u.key == a.key || u.key == userIdentity("name", "alice").key {
		t.Error("a password user shares a folder with a key or an unauthenticated name")
	}
	evil := keyIdentity(pk1, "eve\x1b[2J\x1b]0;pwned\x07")
	if strings.ContainsAny(evil.name, "\x1b\x07") {
		t.Errorf("comment not sanitized: %q", evil.name)
	}
}

// The facilitator view at 80×24: two players (one with a drill open, one
// with a hostile, overlong name), every line within 80 cells, no escape
// sequence from a name, "—" where there is no score; the drill backend
// starts the server's scenario and refuses a real recovery.
func TestServeFacilitatorViewFits(t *testing.T) {
	reg := newRegistry()
	pk1, _ := testPublicKey(t)
	pk2, _ := testPublicKey(t)
	l1 := newLiveSession(keyIdentity(pk1, "alice@laptop"), "127.0.0.1", drill.DefaultScenario)
	l2 := newLiveSession(keyIdentity(pk2, "eve\x1b[31m"+strings.Repeat("W", 80)), "10.0.0.7", drill.DefaultScenario)
	for _, l := range []*liveSession{l1, l2} {
		if err := reg.claim(l, 5); err != nil {
			t.Fatal(err)
		}
	}
	// A real drill open in alice's session.
	b := newBackend()
	b.store = &checklist.Store{Dir: privateDir(t)}
	b.secrets = checklist.NewSecrets(nil)
	b.drillLatency = 0
	be := serveBackend{b: b, live: l1}
	e, closeFn, err := be.NewDrill("ignored")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	if e.Snapshot().Scenario != drill.DefaultScenario {
		t.Errorf("the drill's scenario is %q, want the server's", e.Snapshot().Scenario)
	}
	if _, _, err := be.NewRecovery("sendgrid", "x"); !errors.Is(err, errDrillsOnly) {
		t.Errorf("a real recovery on the drill server: %v", err)
	}
	m := newFacilitatorModel(reg, drill.DefaultScenario)
	m.Init()
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	s := m.render()
	lines := strings.Split(s, "\n")
	if len(lines) != 24 {
		t.Errorf("%d lines, want 24:\n%s", len(lines), s)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d wide: %q", i+1, w, l)
		}
	}
	for _, want := range []string{"2 players", "alice@laptop", "steps", " 0:0", "> alice@laptop", "—"} {
		if !strings.Contains(s, want) {
			t.Errorf("the view lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\x1b") {
		t.Errorf("an escape sequence reached the view:\n%q", s)
	}
	// alice's drill has a debrief: its score so far, out of the scenario's.
	if !regexp.MustCompile(`(?m)^> alice@laptop .* \d+/\d+ steps +\d+/\d+ *$`).MatchString(s) {
		t.Errorf("alice's row lacks progress and score:\n%s", s)
	}
	// No injects in this build's drill (or one to come): said, not hidden.
	m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
	if !m.picking && !strings.Contains(m.render(), "injects") {
		t.Errorf("i with no injects says nothing:\n%s", m.render())
	}
	// Too small: said.
	m.Update(tea.WindowSizeMsg{Width: 50, Height: 10})
	if !strings.Contains(m.render(), "too small") {
		t.Error("no too-small message at 50×10")
	}
}

// fakeInjector records injects.
type fakeInjector struct{ fired []string }

func (f *fakeInjector) InjectChoices() []injectChoice {
	return []injectChoice{{Name: "webhook-returns", Label: "webhook-returns — The webhook is back"}, {Name: "volume-spike", Label: "volume-spike — Sending spikes"}}
}

func (f *fakeInjector) Fire(name string) (string, error) {
	if name == "unknown" {
		return "", errors.New("no such inject")
	}
	f.fired = append(f.fired, name)
	return "title of " + name, nil
}

// The real drill's injects through the view's adapter: listed with title
// and schedule, fired once (a notice for the player), then marked struck;
// a second send is refused.
func TestServeDrillInjector(t *testing.T) {
	sc, err := drill.LoadScenario(drill.DefaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	sc.Injects = append(sc.Injects, drill.Inject{Name: "rca-request", Kind: drill.InjectNotice, Title: "Support asks for a root-cause analysis", Message: "Reply within a day."})
	acct := drill.New(sc, time.Now().UTC())
	inj := drillInjector{acct}
	var got *injectChoice
	for _, c := range inj.InjectChoices() {
		if c.Name == "rca-request" {
			c := c
			got = &c
		}
	}
	if got == nil || got.Fired || !strings.Contains(got.Label, "Support asks for a root-cause analysis") {
		t.Fatalf("choices: %+v", inj.InjectChoices())
	}
	title, err := inj.Fire("rca-request")
	if err != nil || title != "Support asks for a root-cause analysis" {
		t.Fatalf("Fire: %q %v", title, err)
	}
	notices := acct.Notices(0)
	if len(notices) == 0 || notices[len(notices)-1].Inject != "rca-request" || notices[len(notices)-1].By != "facilitator" {
		t.Errorf("no facilitator notice for the player: %+v", notices)
	}
	for _, c := range inj.InjectChoices() {
		if c.Name == "rca-request" && (!c.Fired || !strings.Contains(c.Label, "struck at T+")) {
			t.Errorf("after firing: %+v", c)
		}
	}
	if _, err := inj.Fire("rca-request"); err == nil {
		t.Error("an inject struck twice")
	}
	if _, err := inj.Fire("nope"); err == nil {
		t.Error("an unknown inject was fired")
	}
}

// The picker lists injects and sends the chosen one to the chosen targets;
// a failure is reported per player.
func TestServeFacilitatorSendsInjects(t *testing.T) {
	reg := newRegistry()
	pk1, _ := testPublicKey(t)
	l1 := newLiveSession(keyIdentity(pk1, "alice"), "127.0.0.1", drill.DefaultScenario)
	if err := reg.claim(l1, 5); err != nil {
		t.Fatal(err)
	}
	b := newBackend()
	b.store = &checklist.Store{Dir: privateDir(t)}
	b.secrets = checklist.NewSecrets(nil)
	e, closeFn, err := serveBackend{b: b, live: l1}.NewDrill("")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	fi := &fakeInjector{}
	m := newFacilitatorModel(reg, drill.DefaultScenario)
	m.Init()
	m.rows[0].inj = fi
	m.Update(tea.KeyPressMsg{Code: 'i', Text: "i"})
	if !m.picking || !strings.Contains(m.render(), "Send which inject to alice?") || !strings.Contains(m.render(), "volume-spike — Sending spikes") {
		t.Fatalf("picker:\n%s", m.render())
	}
	m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	_, cmd := m.Update(tea.KeyPressMsg{Code: tea.KeyEnter})
	if cmd == nil {
		t.Fatal("enter sent nothing")
	}
	m.Update(cmd())
	if len(fi.fired) != 1 || fi.fired[0] != "volume-spike" {
		t.Errorf("fired %v, want [volume-spike] (the second in the drill's order)", fi.fired)
	}
	if !strings.Contains(m.status, `"volume-spike" (title of volume-spike) sent to 1 of 1`) {
		t.Errorf("status %q", m.status)
	}
	msg := fireCmd("unknown", []sessionRow{{name: "alice", inj: fi, eng: e}, {name: "bob"}})()
	if txt := msg.(injectDoneMsg).text; !strings.Contains(txt, "0 of 2") || !strings.Contains(txt, "alice: no such inject") || !strings.Contains(txt, "bob: no injects") {
		t.Errorf("failures: %q", txt)
	}
}

// One connection per player: a second connection takes the drill over
// once the first has saved; the registry refuses when full or closing.
func TestServeRegistryTakeover(t *testing.T) {
	reg := newRegistry()
	pk1, _ := testPublicKey(t)
	pk2, _ := testPublicKey(t)
	first := newLiveSession(keyIdentity(pk1, "a"), "10.0.0.1", "")
	if err := reg.claim(first, 1); err != nil {
		t.Fatal(err)
	}
	if err := reg.claim(newLiveSession(keyIdentity(pk2, "b"), "10.0.0.2", ""), 1); !errors.Is(err, errServerFull) {
		t.Errorf("a second player past --max-sessions 1: %v", err)
	}
	go func() { // the first session ends when told to, after saving
		<-first.end
		time.Sleep(50 * time.Millisecond)
		reg.release(first)
	}()
	second := newLiveSession(keyIdentity(pk1, "a"), "10.0.0.9", "")
	if err := reg.claim(second, 1); err != nil {
		t.Fatalf("takeover: %v", err)
	}
	if r := first.stopReason(); !strings.Contains(r, "opened again from 10.0.0.9") {
		t.Errorf("the first session was told %q", r)
	}
	if got := reg.live(); len(got) != 1 || got[0] != second {
		t.Errorf("live sessions after the takeover: %v", got)
	}
	all := reg.closeAll("shutting down")
	if len(all) != 1 || second.stopReason() != "shutting down" {
		t.Errorf("closeAll: %v %q", all, second.stopReason())
	}
	if err := reg.claim(newLiveSession(keyIdentity(pk2, "b"), "", ""), 5); err == nil || !strings.Contains(err.Error(), "shutting down") {
		t.Errorf("a claim while closing: %v", err)
	}
}
