package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/checklist/filing/mailpittest"
	"reclaim/provider/sendgrid/sgfake"
)

// terminalControl reports escape codes, bells and bidi overrides.
func terminalControl(s string) bool { return strings.ContainsAny(s, "\x1b\x07\u202e\u2066") }

// hookReceiver is a loopback webhook receiver that checks the HMAC.
type hookReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	errs   []string
}

func newHookReceiver(t *testing.T, secret string) *hookReceiver {
	h := &hookReceiver{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		h.mu.Lock()
		defer h.mu.Unlock()
		if err := checklist.VerifyWebhook([]byte(secret), r.Header.Get(checklist.HeaderTimestamp), r.Header.Get(checklist.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			h.errs = append(h.errs, err.Error())
			w.WriteHeader(401)
			return
		}
		h.bodies = append(h.bodies, body)
		w.WriteHeader(204)
	}))
	t.Cleanup(h.Close)
	return h
}

func driftKinds(t *testing.T, js []byte) []string {
	t.Helper()
	var doc struct {
		Drifted bool               `json:"drifted"`
		Changes []checklist.Change `json:"changes"`
	}
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, js)
	}
	var out []string
	for _, c := range doc.Changes {
		out = append(out, c.Change+" "+c.Kind)
	}
	sort.Strings(out)
	return out
}

func TestBaselineAndCheckAgainstFakeSendGrid(t *testing.T) {
	bin := buildBinary(t)
	now := time.Now().UTC()
	st, session := sgfake.Healthy(now)
	f := sgfake.New(st)
	defer f.Close()
	state := t.TempDir()
	c := &reportCLI{t: t, bin: bin, state: state, env: []string{"SENDGRID_API_KEY=" + session.Token, "RECLAIM_SENDGRID_BASE_URL=" + f.URL}}

	if r := c.run("check", "--provider", "sendgrid"); r.code != exitError || !strings.Contains(r.stderr, "no baseline for sendgrid") {
		t.Fatalf("check without a baseline: %+v", r)
	}
	r := c.run("baseline", "--provider", "sendgrid")
	if r.code != 0 || !strings.Contains(r.stdout, "Baseline ") || !strings.Contains(r.stdout, "3 keys, 2 teammates and invites") {
		t.Fatalf("baseline: %+v", r)
	}
	files, _ := filepath.Glob(filepath.Join(state, "baselines", "*.json"))
	if len(files) != 1 {
		t.Fatalf("baseline files: %v", files)
	}
	first := strings.TrimSuffix(filepath.Base(files[0]), ".json")
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("%s is %v", files[0], fi.Mode().Perm())
	}
	if data, _ := os.ReadFile(files[0]); strings.Contains(string(data), session.Token) || strings.Contains(string(data), strings.Split(session.Token, ".")[2]) {
		t.Error("the baseline holds the API key")
	}
	if r := c.run("baseline", "--list"); r.code != 0 || !strings.Contains(r.stdout, first) || !strings.Contains(r.stdout, "acme <ops@acme.example>") {
		t.Fatalf("list: %+v", r)
	}
	if r := c.run("check", "--provider", "sendgrid"); r.code != 0 || !strings.Contains(r.stdout, "No drift") {
		t.Fatalf("check, no drift: %+v", r)
	}

	// The attacker's changes.
	f.Mu.Lock()
	f.St.Drift(time.Now())
	f.Mu.Unlock()
	want := slices.Clone(sgfake.DriftChanges)
	sort.Strings(want)

	// --notify-url without its secret: refused before anything is read.
	const secret = "s3cret-for-the-webhook-hmac-0123456789"
	hook := newHookReceiver(t, secret)
	reads := f.Requests()
	if r := c.run("check", "--provider", "sendgrid", "--notify-url", hook.URL+"/reclaim"); r.code != exitError || !strings.Contains(r.stderr, "RECLAIM_NOTIFY_SECRET") {
		t.Fatalf("no secret: %+v", r)
	}
	if f.Requests() != reads {
		t.Error("the account was read though the alert could not be sent")
	}

	c.env = append(c.env, "RECLAIM_NOTIFY_SECRET="+secret)
	r = c.run("check", "--provider", "sendgrid", "--json", "--notify-url", hook.URL+"/reclaim")
	if r.code != exitFindings {
		t.Fatalf("check --json: %+v", r)
	}
	if got := driftKinds(t, []byte(r.stdout)); !slices.Equal(got, want) {
		t.Fatalf("changes %v, want %v", got, want)
	}
	if terminalControl(r.stdout) || terminalControl(r.stderr) || strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("unsafe output:\n%q\n%q", r.stdout, r.stderr)
	}
	hook.mu.Lock()
	if len(hook.errs) > 0 || len(hook.bodies) != 1 || string(hook.bodies[0]) != r.stdout {
		t.Errorf("webhook: %d bodies, errors %v", len(hook.bodies), hook.errs)
	}
	hook.mu.Unlock()

	r = c.run("check", "--provider", "sendgrid")
	if r.code != exitFindings || !strings.Contains(r.stdout, "DRIFT: 6 changes since the baseline") || terminalControl(r.stdout) {
		t.Fatalf("check: %+v", r)
	}
	for _, line := range []string{`New since the baseline of`, `scopes widened: +api_keys.create, +teammates.create`, `forwarding turned on, to "copies@evil.example"`, "Sending spike on "} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("check lacks %q:\n%s", line, r.stdout)
		}
	}

	// The alert by mail, through a loopback SMTP server.
	t.Run("mail", func(t *testing.T) {
		mp := mailpittest.Start(t, mailpittest.Options{})
		mc := *c
		mc.t = t
		mc.env = append(slices.Clone(c.env), "RECLAIM_SMTP_HOST=127.0.0.1", "RECLAIM_SMTP_PORT="+strconv.Itoa(mp.SMTPPort), "RECLAIM_SMTP_TLS=none", "RECLAIM_SMTP_FROM=reclaim@acme.example", "RECLAIM_SMTP_USER=", "RECLAIM_SMTP_PASSWORD=")
		r := mc.run("check", "--provider", "sendgrid", "--mail-to", "owner@acme.example")
		if r.code != exitFindings || !strings.Contains(r.stderr, "alert mailed to owner@acme.example") {
			t.Fatalf("check --mail-to: %+v", r)
		}
		ids := mp.Messages(t)
		if len(ids) != 1 {
			t.Fatalf("%d messages", len(ids))
		}
		m := mp.Message(t, ids[0])
		if !strings.Contains(m.Subject, "DRIFT: 6 changes since the baseline") || !strings.Contains(m.Text, "scopes widened") || terminalControl(m.Text) || terminalControl(m.Subject) {
			t.Errorf("mail: %q\n%s", m.Subject, m.Text)
		}
		if len(m.Attachments) != 1 || !strings.HasSuffix(m.Attachments[0].FileName, ".json") {
			t.Fatalf("attachments: %+v", m.Attachments)
		}
		if got := driftKinds(t, mp.Part(t, ids[0], m.Attachments[0].PartID)); !slices.Equal(got, want) {
			t.Errorf("attached changes %v", got)
		}
	})

	// --install-timer prints units and a crontab line, and changes nothing.
	before := treeOf(t, state)
	r = c.run("check", "--provider", "sendgrid", "--notify-url", hook.URL+"/reclaim", "--mail-to", "owner@acme.example", "--install-timer", "--every", "15m")
	if r.code != 0 {
		t.Fatalf("--install-timer: %+v", r)
	}
	for _, want := range []string{"[Service]", "Type=oneshot", "ExecStart=" + bin + " check --provider sendgrid --state-dir " + state, "[Timer]", "OnUnitActiveSec=15min", "WantedBy=timers.target", "*/15 * * * *", "RECLAIM_NOTIFY_SECRET=\n", "#SENDGRID_API_KEY=\n", "RECLAIM_SMTP_HOST=\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--install-timer lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, secret) || strings.Contains(r.stdout, session.Token) {
		t.Error("--install-timer printed a secret")
	}
	if after := treeOf(t, state); !slices.Equal(before, after) {
		t.Errorf("--install-timer changed the state directory: %v -> %v", before, after)
	}
	if f.Requests() == 0 {
		t.Fatal("no requests at all")
	}

	// A second baseline, and the difference between the two.
	time.Sleep(1100 * time.Millisecond) // ids are per second
	if r := c.run("baseline", "--provider", "sendgrid"); r.code != 0 {
		t.Fatalf("second baseline: %+v", r)
	}
	files, _ = filepath.Glob(filepath.Join(state, "baselines", "*.json"))
	sort.Strings(files)
	second := strings.TrimSuffix(filepath.Base(files[len(files)-1]), ".json")
	r = c.run("baseline", "--diff", first, second, "--json")
	if r.code != exitFindings {
		t.Fatalf("diff: %+v", r)
	}
	if got := driftKinds(t, []byte(r.stdout)); !slices.Equal(got, want) {
		t.Errorf("diff changes %v, want %v", got, want)
	}
	if r := c.run("check", "--provider", "sendgrid"); r.code != 0 {
		t.Errorf("check against the new baseline: %+v", r)
	}

	// A tampered baseline is refused: exit 2, nothing compared.
	path := filepath.Join(state, "baselines", second+".json")
	data, _ := os.ReadFile(path)
	if err := checklist.WriteFileAtomic(path, []byte(strings.Replace(string(data), `"helper@evil.example"`, `"helper@acme.example"`, 1))); err != nil {
		t.Fatal(err)
	}
	r = c.run("check", "--provider", "sendgrid")
	if r.code != exitError || !strings.Contains(r.stderr, "altered") || strings.Contains(r.stdout, "No drift") {
		t.Fatalf("tampered: %+v", r)
	}
	if r := c.run("baseline", "--list"); r.code != 0 || !strings.Contains(r.stdout, "CANNOT BE USED") {
		t.Errorf("list with a tampered baseline: %+v", r)
	}
}

// treeOf lists a folder's files with their sizes and times.
func treeOf(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			out = append(out, p+" "+strconv.FormatInt(fi.Size(), 10)+" "+fi.ModTime().String())
		}
		return nil
	})
	return out
}

func TestCheckDrillRehearsesWhatChanged(t *testing.T) {
	c := &reportCLI{t: t, bin: buildBinary(t), state: t.TempDir()}
	r := c.run("check", "--provider", "drill")
	if r.code != exitFindings || !strings.Contains(r.stdout, "New since the baseline of") || terminalControl(r.stdout) {
		t.Fatalf("check --provider drill: %+v", r)
	}
	if r := c.run("baseline", "--provider", "drill"); r.code != 0 || !strings.Contains(r.stdout, "Baseline ") {
		t.Fatalf("baseline --provider drill: %+v", r)
	}
	if r := c.run("check", "--provider", "drill", "--json"); r.code != exitFindings || !strings.Contains(r.stdout, `"drifted": true`) {
		t.Fatalf("check --provider drill --json: %+v", r)
	}
}

// A check whose read of a section was cut short (the time limit) compared
// only part of the account: it must not say the account matches its
// baseline, nor exit 0 for a cron job to take as "all clear".
func TestCheckCutShortIsNoAllClear(t *testing.T) {
	bin := buildBinary(t)
	st, session := sgfake.Healthy(time.Now().UTC())
	f := sgfake.New(st)
	defer f.Close()
	c := &reportCLI{t: t, bin: bin, state: t.TempDir(), env: []string{"SENDGRID_API_KEY=" + session.Token, "RECLAIM_SENDGRID_BASE_URL=" + f.URL}}
	if r := c.run("baseline", "--provider", "sendgrid"); r.code != 0 {
		t.Fatalf("baseline: %+v", r)
	}
	f.Inject(sgfake.Fault{Path: "/v3/teammates*", Delay: 3 * time.Second, Times: 50})
	r := c.run("check", "--provider", "sendgrid", "--timeout", "1s")
	if r.code != exitError || strings.Contains(r.stdout, "matches its baseline") || !strings.Contains(r.stdout, "teammates read only in part") || !strings.Contains(r.stderr, "--timeout") {
		t.Fatalf("check cut short: %+v", r)
	}
}

// A section that failed for a reason that passes (a 5xx, a 429, the
// network) is no "unreadable" section: recorded so, a baseline would leave
// it unwatched by every later check. Such a baseline is not recorded; one
// the key may not read (a missing scope) still is, with the section named.
func TestBaselineRefusesASectionThatFailedForNow(t *testing.T) {
	bin := buildBinary(t)
	st, session := sgfake.Healthy(time.Now().UTC())
	f := sgfake.New(st)
	defer f.Close()
	c := &reportCLI{t: t, bin: bin, state: t.TempDir(), env: []string{"SENDGRID_API_KEY=" + session.Token, "RECLAIM_SENDGRID_BASE_URL=" + f.URL}}
	f.Inject(sgfake.Fault{Path: "/v3/teammates*", Status: 500, Times: 100})
	r := c.run("baseline", "--provider", "sendgrid")
	if r.code != exitError || !strings.Contains(r.stderr, "no baseline recorded") || !strings.Contains(r.stderr, "teammates") || !strings.Contains(r.stderr, "try again") {
		t.Fatalf("baseline with teammates failing: %+v", r)
	}
	if files, _ := filepath.Glob(filepath.Join(c.state, "baselines", "*.json")); len(files) != 0 {
		t.Fatalf("recorded: %v", files)
	}

	// A key without teammates.read: the baseline is recorded without them.
	st2, session2 := sgfake.Healthy(time.Now().UTC())
	for i := range st2.Keys {
		if st2.Keys[i].ID == session2.ID {
			st2.Keys[i].Scopes = slices.DeleteFunc(slices.Clone(st2.Keys[i].Scopes), func(s string) bool { return strings.HasPrefix(s, "teammates.") })
		}
	}
	f2 := sgfake.New(st2)
	defer f2.Close()
	c.env = []string{"SENDGRID_API_KEY=" + session2.Token, "RECLAIM_SENDGRID_BASE_URL=" + f2.URL}
	if r := c.run("baseline", "--provider", "sendgrid"); r.code != 0 || !strings.Contains(r.stdout, "Not read (not compared by checks): teammates") {
		t.Fatalf("baseline without teammates.read: %+v", r)
	}
}

// --install-timer's units and crontab line run the command as given: "%"
// is a specifier to systemd and a newline to cron, "$" a variable to
// systemd; a webhook URL with %-escapes must survive both.
func TestInstallTimerEscapesPercentAndDollar(t *testing.T) {
	c := &reportCLI{t: t, bin: buildBinary(t), state: t.TempDir()}
	url := "https://hooks.example.com/a%20b?sig=$HOME"
	r := c.run("check", "--provider", "sendgrid", "--notify-url", url, "--install-timer")
	if r.code != 0 {
		t.Fatalf("--install-timer: %+v", r)
	}
	var execStart, cron string
	for _, l := range strings.Split(r.stdout, "\n") {
		switch {
		case strings.HasPrefix(l, "ExecStart="):
			execStart = l
		case strings.Contains(l, " check --provider sendgrid") && !strings.HasPrefix(l, "#"):
			cron = l
		}
	}
	if !strings.Contains(execStart, `"https://hooks.example.com/a%%20b?sig=$$HOME"`) {
		t.Errorf("ExecStart: %s", execStart)
	}
	if !strings.Contains(cron, `'https://hooks.example.com/a\%20b?sig=$HOME'`) || strings.Count(cron, "%") != strings.Count(cron, `\%`) {
		t.Errorf("crontab line: %s", cron)
	}
}

// A baseline or check cut short by a cap says which flag raises it, and
// that flag is there (it used to point at "reclaim audit's flags", which
// baseline and check did not take).
func TestBaselineAndCheckTakeTheCaps(t *testing.T) {
	st, session := sgfake.Healthy(time.Now().UTC())
	f := sgfake.New(st)
	defer f.Close()
	c := &reportCLI{t: t, bin: buildBinary(t), state: t.TempDir(), env: []string{"SENDGRID_API_KEY=" + session.Token, "RECLAIM_SENDGRID_BASE_URL=" + f.URL}}
	r := c.run("baseline", "--provider", "sendgrid", "--max-items", "2")
	if r.code != exitError || !strings.Contains(r.stderr, "read only in part") || !strings.Contains(r.stderr, "--max-items") {
		t.Fatalf("baseline --max-items 2: %+v", r)
	}
	if r := c.run("baseline", "--provider", "sendgrid", "--max-items", "50", "--max-pages", "20", "--max-bytes", "4", "--max-messages", "10000", "--max-message-pages", "100"); r.code != 0 {
		t.Fatalf("baseline with caps: %+v", r)
	}
	if r := c.run("check", "--provider", "sendgrid", "--max-items", "2"); r.code != exitError || !strings.Contains(r.stdout, "keys read only in part") {
		t.Fatalf("check --max-items 2: %+v", r)
	}
	r = c.run("check", "--provider", "sendgrid", "--max-items", "50", "--install-timer")
	if r.code != 0 || !strings.Contains(r.stdout, " --max-items 50") {
		t.Fatalf("--install-timer drops the caps: %+v", r)
	}
}

// One state directory, two accounts of one provider: a check of the second
// is never compared with the first's baseline (everything would look
// added); it says that only the other account has one. An older baseline
// of the account is used when a newer one is another account's.
func TestCheckUsesOnlyTheAccountsOwnBaseline(t *testing.T) {
	bin := buildBinary(t)
	now := time.Now().UTC()
	stA, sessA := sgfake.Healthy(now)
	fa := sgfake.New(stA)
	defer fa.Close()
	stB, sessB := sgfake.Healthy(now)
	stB.Username, stB.Email = "beta", "ops@beta.example"
	fb := sgfake.New(stB)
	defer fb.Close()
	state := t.TempDir()
	a := &reportCLI{t: t, bin: bin, state: state, env: []string{"SENDGRID_API_KEY=" + sessA.Token, "RECLAIM_SENDGRID_BASE_URL=" + fa.URL}}
	b := &reportCLI{t: t, bin: bin, state: state, env: []string{"SENDGRID_API_KEY=" + sessB.Token, "RECLAIM_SENDGRID_BASE_URL=" + fb.URL}}
	if r := a.run("baseline", "--provider", "sendgrid"); r.code != 0 || !strings.Contains(r.stdout, "Check for drift with: reclaim --state-dir "+state+" check --provider sendgrid") {
		// the hint must work as printed: the baseline is not in the default folder
		t.Fatalf("baseline A: %+v", r)
	}
	r := b.run("check", "--provider", "sendgrid")
	if r.code != exitError || !strings.Contains(r.stderr, "ops@beta.example") || !strings.Contains(r.stderr, "only for acme <ops@acme.example>") {
		t.Fatalf("check of B against A's baseline: %+v", r)
	}
	time.Sleep(1100 * time.Millisecond) // ids are per second
	if r := b.run("baseline", "--provider", "sendgrid"); r.code != 0 {
		t.Fatalf("baseline B: %+v", r)
	}
	// A's baseline is older than B's: A's check still uses A's, and finds
	// no drift
	if r := a.run("check", "--provider", "sendgrid"); r.code != 0 {
		t.Fatalf("check of A after B's baseline: %+v", r)
	}
	if r := b.run("check", "--provider", "sendgrid"); r.code != 0 {
		t.Fatalf("check of B: %+v", r)
	}
}
