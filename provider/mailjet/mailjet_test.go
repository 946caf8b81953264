package mailjet_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/mailjet"
)

func client(t *testing.T, f *fake) *mailjet.Client {
	t.Helper()
	c, err := mailjet.New(provider.Config{Credential: masterKey + ":" + masterSecret, BaseURL: f.srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	c.Backoff = time.Millisecond
	c.AttemptTimeout = 2 * time.Second
	return c
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestRegistered(t *testing.T) {
	f, ok := provider.Lookup("mailjet")
	if !ok {
		t.Fatal("mailjet is not registered")
	}
	info := f.Info
	if len(info.Credentials) != 2 || info.Credentials[0].Env != "MJ_APIKEY_PUBLIC" || info.Credentials[1].Env != "MJ_APIKEY_PRIVATE" {
		t.Errorf("credentials: %+v", info.Credentials)
	}
	if info.BaseURLEnv != "RECLAIM_MAILJET_BASE_URL" || info.GraceWindow < time.Hour {
		t.Errorf("base URL env %q, grace %s", info.BaseURLEnv, info.GraceWindow)
	}
	for _, it := range []provider.Item{provider.ItemAPIKeys, provider.ItemPassword, provider.ItemTwoFactor, provider.ItemPayment, provider.ItemSupport, provider.ItemWebhooks, provider.ItemSenders} {
		if !strings.HasPrefix(info.ConsoleLink(it), "https://") {
			t.Errorf("no console link for %s", it)
		}
	}
	for _, it := range []provider.Item{provider.ItemIPAccess, provider.ItemMailSettings, provider.ItemSubusers} {
		if info.ConsoleLink(it) != "" {
			t.Errorf("Mailjet has no %s, yet a link is given", it)
		}
	}
	if info.ConsoleLink(provider.ItemAPIKeys) != "https://app.mailjet.com/account/apikeys" {
		t.Errorf("API keys page: %s", info.ConsoleLink(provider.ItemAPIKeys))
	}
	for _, step := range []string{"Investigate", "secret API keys", "password", "two-factor", "support"} {
		if !strings.Contains(info.Support.Instructions, step) {
			t.Errorf("support instructions lack %q", step)
		}
	}
	if len(mailjet.ProcedureSteps) != 5 {
		t.Errorf("%d procedure steps", len(mailjet.ProcedureSteps))
	}
}

func TestNewRefusesBadConfig(t *testing.T) {
	for _, cred := range []string{"", masterKey, masterKey + ":", ":" + masterSecret} {
		_, err := mailjet.New(provider.Config{Credential: cred})
		if !errors.Is(err, mailjet.ErrNoCredential) {
			t.Errorf("credential %q: %v", cred, err)
		}
	}
	_, err := mailjet.New(provider.Config{Credential: masterKey + ":" + masterSecret, BaseURL: "http://api.example.com"})
	if err == nil {
		t.Error("plain http to a non-loopback host was accepted")
	} else if strings.Contains(err.Error(), masterSecret) {
		t.Error("the error shows the secret")
	}
	if _, err := mailjet.New(provider.Config{Credential: masterKey + ":" + masterSecret, BaseURL: "http://127.0.0.1:9"}); err != nil {
		t.Errorf("loopback http refused: %v", err)
	}
	c, _ := mailjet.New(provider.Config{Credential: masterKey + ":" + masterSecret})
	if s := c.String(); strings.Contains(s, masterSecret) {
		t.Error("String shows the secret")
	}
}

func TestAccount(t *testing.T) {
	f := newFake(t)
	a, err := client(t, f).Account(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if a.Username != "acme-mj" || a.Email != "ops@acme.example" || a.Company != "Acme Widgets Ltd" || a.Created.IsZero() {
		t.Errorf("account: %+v", a)
	}
}

func TestListKeysPagesToTheEnd(t *testing.T) {
	f := newFake(t)
	for i := 0; i < 7; i++ {
		f.keys = append(f.keys, &fakeKey{ID: int64(100 + i), APIKey: strings.Repeat(strconv.Itoa(i), 32), Secret: strings.Repeat("f", 32), Name: "k" + strconv.Itoa(i), IsActive: i%2 == 0, CreatedAt: time.Now()})
	}
	c := client(t, f)
	c.PageSize = 3
	keys, err := c.ListKeys(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 10 {
		t.Fatalf("%d keys, want 10", len(keys))
	}
	if n := f.count("GET /v3/REST/apikey"); n != 4 {
		t.Errorf("%d pages requested, want 4", n)
	}
	if !keys[0].Master || keys[0].ID != masterKey || keys[0].Inactive {
		t.Errorf("master: %+v", keys[0])
	}
	if !keys[4].Inactive || keys[3].Inactive {
		t.Errorf("inactive flag: %+v", keys[4])
	}
	// Default page size is Mailjet's maximum, never more.
	c.PageSize = 5000
	if _, err := c.ListKeys(ctx(t)); err != nil {
		t.Fatal(err)
	}
	for _, r := range f.requests {
		u, _ := url.Parse("http://x" + strings.SplitN(r, " ", 2)[1])
		if l, _ := strconv.Atoi(u.Query().Get("Limit")); l > 1000 {
			t.Errorf("request with Limit %d: %s", l, r)
		}
	}
}

func TestCreateVerifyRevoke(t *testing.T) {
	f := newFake(t)
	c := client(t, f)
	nk, err := c.CreateKey(ctx(t), "reclaim-replacement", []string{"mail.send"})
	if err != nil {
		t.Fatal(err)
	}
	key, secret, ok := strings.Cut(nk.Secret, ":")
	if !ok || nk.ID != key || len(secret) != 32 || nk.Master {
		t.Fatalf("new key: %+v", nk.APIKey)
	}
	if err := c.VerifyKey(ctx(t), nk.Secret); err != nil {
		t.Errorf("the new key does not verify: %v", err)
	}
	// Revoke = deactivate; it is then refused.
	if err := c.RevokeKey(ctx(t), nk.ID); err != nil {
		t.Fatal(err)
	}
	if k := f.key(nk.ID); k == nil || k.IsActive {
		t.Fatalf("key still active: %+v", k)
	}
	if err := c.VerifyKey(ctx(t), nk.Secret); !errors.Is(err, provider.ErrBadCredentials) {
		t.Errorf("deactivated key verifies: %v", err)
	}
	// Again: already inactive, no PUT.
	puts := f.count("PUT ")
	if err := c.RevokeKey(ctx(t), nk.ID); err != nil {
		t.Error(err)
	}
	if f.count("PUT ") != puts {
		t.Error("deactivated an inactive key again")
	}
	// The master key is refused with a pointer to the console.
	err = c.RevokeKey(ctx(t), masterKey)
	if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "console") || !strings.Contains(err.Error(), "apikeys") {
		t.Errorf("master: %v", err)
	}
	if err := c.RevokeKey(ctx(t), "nope"); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("unknown key: %v", err)
	}
	// Numeric ids work too.
	if err := c.RevokeKey(ctx(t), "3"); err != nil {
		t.Error(err)
	}
	if f.key(attackerKey).IsActive {
		t.Error("key 3 still active")
	}
}

func TestVerifyKeyOldSecret(t *testing.T) {
	f := newFake(t)
	c := client(t, f)
	if err := c.VerifyKey(ctx(t), masterSecret); err != nil {
		t.Errorf("the current secret alone: %v", err)
	}
	if err := c.VerifyKey(ctx(t), masterKey+":"+masterSecret); err != nil {
		t.Errorf("the current pair: %v", err)
	}
	// The console reset: a new secret; the old one must now fail.
	f.key(masterKey).Secret = "5555aaaa5555aaaa5555aaaa5555aaaa"
	err := c.VerifyKey(ctx(t), masterSecret)
	if !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("old secret after reset: %v", err)
	}
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 401 {
		t.Errorf("want a 401: %#v", err)
	}
	if strings.Contains(err.Error(), masterSecret) {
		t.Error("the error shows the secret")
	}
	if n := f.count("GET /v3/REST/user"); n != 3 {
		t.Errorf("401 was retried: %d calls", n)
	}
	if err := c.VerifyKey(ctx(t), ""); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("empty: %v", err)
	}
}

func TestTeammates(t *testing.T) {
	f := newFake(t)
	tm, err := client(t, f).ListTeammates(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(tm) != 2 {
		t.Fatalf("teammates: %+v", tm)
	}
	if !tm[0].Owner || tm[0].Username != "ops@acme.example" {
		t.Errorf("owner: %+v", tm[0])
	}
	if tm[1].Owner || !tm[1].Admin || tm[1].Email != "helpdesk@mj-support.example" || time.Since(tm[1].Created) > 3*24*time.Hour {
		t.Errorf("added user: %+v", tm[1])
	}
}

func TestWebhooksListAndDelete(t *testing.T) {
	f := newFake(t)
	c := client(t, f)
	hs, err := c.ListWebhooks(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 3 || hs[2].Kind != provider.WebhookParse || hs[2].Hostname != "parse@parse-in1.mailjet.com" {
		t.Fatalf("webhooks: %+v", hs)
	}
	if err := c.DeleteWebhook(ctx(t), hs[1]); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(ctx(t), hs[2]); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(ctx(t), hs[2]); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if f.count("DELETE /v3/REST/eventcallbackurl/12") != 1 || f.count("DELETE /v3/REST/parseroute/21") != 2 {
		t.Errorf("requests: %v", f.requests)
	}
	hs, _ = c.ListWebhooks(ctx(t))
	if len(hs) != 1 {
		t.Errorf("left: %+v", hs)
	}
}

func TestSendersAndActivity(t *testing.T) {
	f := newFake(t)
	c := client(t, f)
	ss, err := c.ListSenders(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, s := range ss {
		kinds[s.Kind]++
		if s.ID == "dns-51" && (!s.Verified || s.Created.IsZero() || s.Address != "acme.example") {
			t.Errorf("dns: %+v", s)
		}
	}
	if len(ss) != 5 || kinds["domain"] != 3 || kinds["single"] != 2 {
		t.Errorf("senders: %+v", ss)
	}
	evs, err := c.ListActivity(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].IP != "203.0.113.99" || time.Since(evs[0].First) > 4*time.Hour || evs[1].IP != "198.51.100.23" {
		t.Errorf("activity: %+v", evs)
	}
}

func TestMessagesPagedWithSubjects(t *testing.T) {
	f := newFake(t)
	f.addMessages(2300, 32, "Your Acme order has shipped", 10*time.Minute)
	f.addMessages(40, 33, "Action required: verify your account", time.Minute)
	f.mu.Lock()
	f.messages = append(f.messages, map[string]any{"ID": 1, "ArrivedAt": time.Now().Add(-40 * 24 * time.Hour).UTC().Format(time.RFC3339), "Subject": "too old", "SenderID": 32})
	f.mu.Unlock()
	c := client(t, f)
	var pages, total int
	subjects := map[string]int{}
	from := map[string]int{}
	err := c.ListMessages(ctx(t), time.Now().Add(-30*24*time.Hour), func(ms []provider.Message) error {
		pages++
		total += len(ms)
		for _, m := range ms {
			subjects[m.Subject]++
			from[m.From]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2340 || pages != 3 {
		t.Errorf("%d messages in %d pages", total, pages)
	}
	if subjects["too old"] != 0 || subjects["Action required: verify your account"] != 40 || from["security@acme-support.example"] != 40 {
		t.Errorf("subjects %v from %v", subjects, from)
	}
	for _, r := range f.requests {
		if strings.HasPrefix(r, "GET /v3/REST/message?") && (!strings.Contains(r, "ShowSubject=true") || !strings.Contains(r, "FromTS=")) {
			t.Errorf("message request without subjects or FromTS: %s", r)
		}
	}
}

func TestFaults(t *testing.T) {
	t.Run("429 then ok", func(t *testing.T) {
		f := newFake(t)
		f.fail("GET apikey", "429", "429")
		keys, err := client(t, f).ListKeys(ctx(t))
		if err != nil || len(keys) != 3 {
			t.Fatalf("%v %d", err, len(keys))
		}
	})
	t.Run("429 long wait is returned", func(t *testing.T) {
		f := newFake(t)
		f.retryAfter = "120"
		f.fail("GET apikey", "429")
		_, err := client(t, f).ListKeys(ctx(t))
		var pe *provider.Error
		if !errors.Is(err, provider.ErrRateLimited) || !errors.As(err, &pe) || pe.RetryAfter != 2*time.Minute {
			t.Fatalf("%v", err)
		}
		if !strings.Contains(provider.Advice(err), "2m0s") {
			t.Errorf("advice: %s", provider.Advice(err))
		}
	})
	t.Run("429 on a create is retried (nothing was done)", func(t *testing.T) {
		f := newFake(t)
		f.fail("POST apikey", "429")
		if _, err := client(t, f).CreateKey(ctx(t), "x", nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("500 on a read is retried", func(t *testing.T) {
		f := newFake(t)
		f.fail("GET eventcallbackurl", "500", "503-html")
		if _, err := client(t, f).ListWebhooks(ctx(t)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("500 three times gives up", func(t *testing.T) {
		f := newFake(t)
		f.fail("GET user", "500", "500", "500")
		_, err := client(t, f).Account(ctx(t))
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "Internal server error") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("500 on a create is not retried", func(t *testing.T) {
		f := newFake(t)
		f.fail("POST apikey", "500")
		_, err := client(t, f).CreateKey(ctx(t), "x", nil)
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Fatal(err)
		}
		if n := f.count("POST "); n != 1 {
			t.Errorf("%d POSTs", n)
		}
	})
	t.Run("slow", func(t *testing.T) {
		f := newFake(t)
		f.slow = 2 * time.Second
		f.fail("GET apikey", "slow", "slow", "slow")
		c := client(t, f)
		c.AttemptTimeout = 50 * time.Millisecond
		start := time.Now()
		_, err := c.ListKeys(ctx(t))
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "within") {
			t.Fatalf("%v", err)
		}
		if time.Since(start) > time.Second {
			t.Errorf("took %s", time.Since(start))
		}
	})
	t.Run("a timed-out attempt is not retried", func(t *testing.T) {
		// A provider holding answers back is no transient failure: each
		// retry would hold the audit another AttemptTimeout (issue 11).
		f := newFake(t)
		f.slow = 2 * time.Second
		f.fail("GET apikey", "slow")
		c := client(t, f)
		c.AttemptTimeout = 50 * time.Millisecond
		c.MaxAttempts = 3
		_, err := c.ListKeys(ctx(t))
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "within 50ms") {
			t.Fatal(err)
		}
		if n := f.count("GET /v3/REST/apikey"); n != 1 {
			t.Errorf("%d attempts, want 1", n)
		}
	})
	t.Run("truncated JSON", func(t *testing.T) {
		f := newFake(t)
		f.fail("GET apikey", "truncated")
		_, err := client(t, f).ListKeys(ctx(t))
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "malformed JSON") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("oversized body", func(t *testing.T) {
		f := newFake(t)
		f.fail("GET apikey", "huge")
		c := client(t, f)
		c.MaxBody = 1 << 20
		_, err := c.ListKeys(ctx(t))
		if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "larger") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("403 maps to permission, message sanitized", func(t *testing.T) {
		f := newFake(t)
		f.fail("GET apikeyaccess", "403")
		_, err := client(t, f).ListTeammates(ctx(t))
		if !errors.Is(err, provider.ErrPermission) {
			t.Fatal(err)
		}
		if strings.ContainsRune(err.Error(), 0x1b) {
			t.Errorf("escape in error: %q", err.Error())
		}
	})
	t.Run("401", func(t *testing.T) {
		f := newFake(t)
		c, _ := mailjet.New(provider.Config{Credential: masterKey + ":" + strings.Repeat("0", 32), BaseURL: f.srv.URL})
		_, err := c.ListKeys(ctx(t))
		if !errors.Is(err, provider.ErrBadCredentials) || !strings.Contains(err.Error(), "API key authentication") {
			t.Fatal(err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		f := newFake(t)
		c2, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := client(t, f).ListKeys(c2)
		if !errors.Is(err, provider.ErrUnavailable) {
			t.Fatal(err)
		}
	})
}

// safe reports whether s holds no character Sanitize would replace.
func safe(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// TestInventoryAndFindings runs the checklist's inventory and analysis on the
// fake account: every section reads, the attacker's changes are found, and
// no finding carries a raw escape, control or bidi character.
func TestInventoryAndFindings(t *testing.T) {
	f := newFake(t)
	f.addMessages(300, 32, "Your Acme invoice", 2*time.Hour)
	f.addMessages(1500, 33, "Action required: verify your \x1b]8;;https://evil.example\x07account", 30*time.Second)
	c := client(t, f)
	inv, err := checklist.TakeInventory(ctx(t), c, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Errors) > 0 {
		t.Fatalf("errors: %v", inv.Errors)
	}
	want := []string{checklist.SecActivity, checklist.SecAccount, checklist.SecKeys, checklist.SecMessages, checklist.SecSenders, checklist.SecTeammates, checklist.SecWebhooks}
	if strings.Join(inv.Read, ",") != strings.Join(want, ",") {
		t.Errorf("read %v", inv.Read)
	}
	if inv.Mail == nil || inv.Mail.Total != 1800 {
		t.Errorf("mail: %+v", inv.Mail)
	}
	fs := checklist.Analyze(inv, checklist.AnalysisInput{SessionKeyID: c.SessionKeyID(), KnownIPs: []string{"198.51.100.23"}})
	ids := map[string]bool{}
	for _, x := range fs {
		ids[strings.SplitN(x.ID, ":", 2)[0]] = true
		for _, s := range []string{x.Title, x.Detail} {
			if !safe(s) {
				t.Errorf("finding %s shows unsafe text: %q", x.ID, s)
			}
		}
	}
	for _, w := range []string{"key-recent", "teammate-recent-admin", "webhook-outside", "parse-outside", "sender-unknown", "access-new-ip", "mail-subject", "mail-spike"} {
		if !ids[w] {
			t.Errorf("no %s finding; got %v", w, ids)
		}
	}
	// Every string an audit shows goes through provider.Sanitize: check it
	// neutralises what the fake planted.
	for _, k := range inv.Keys {
		if !safe(provider.Sanitize(k.Name)) {
			t.Errorf("key name survives Sanitize: %q", k.Name)
		}
	}
	for _, h := range inv.Webhooks {
		if !safe(provider.Sanitize(h.URL)) {
			t.Errorf("URL survives Sanitize: %q", h.URL)
		}
	}
}

// TestAuditCommand runs the real binary's generic audit against the fake:
// every list read, counts shown, attacker-planted escapes, control and bidi
// characters neutralised, exit codes 1 (findings) and 2 (refused key).
func TestAuditCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Skip(err)
	}
	bin := filepath.Join(t.TempDir(), "reclaim")
	build := exec.Command("go", "build", "-o", bin, "./cmd/reclaim")
	build.Dir = filepath.Dir(strings.TrimSpace(string(root)))
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("cannot build cmd/reclaim (work in progress elsewhere?): %v\n%s", err, out)
	}
	f := newFake(t)
	f.addMessages(120, 32, "Your Acme invoice", 5*time.Hour)
	f.addMessages(900, 33, "Payment failed\u2028\x1b[8m - update your billing details", time.Minute)
	run := func(secret string, args ...string) (string, int) {
		cmd := exec.Command(bin, append([]string{"audit", "--provider", "mailjet"}, args...)...)
		home := t.TempDir()
		cmd.Env = []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "RECLAIM_NO_KEYRING=1", "PATH=" + os.Getenv("PATH"),
			"MJ_APIKEY_PUBLIC=" + masterKey, "MJ_APIKEY_PRIVATE=" + secret, "RECLAIM_MAILJET_BASE_URL=" + f.srv.URL}
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return out.String(), code
	}
	out, code := run(masterSecret)
	t.Log("\n" + out)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings)\n%s", code, out)
	}
	for _, want := range []string{"Mailjet audit", "API keys (3)", "Teammates and invites (2)", "Webhooks and parse routes (3)", "Sender identities (5)", "Access activity (2 addresses)", "Messages in the last 30 days: 1020", "Findings ("} {
		if !strings.Contains(out, want) {
			t.Errorf("audit text lacks %q\n%s", want, out)
		}
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 {
			t.Errorf("audit text carries %U\n%s", r, out)
			break
		}
	}
	if strings.Contains(out, masterSecret) {
		t.Error("the audit prints the secret")
	}
	js, code := run(masterSecret, "--json")
	var doc struct {
		Provider  string
		Inventory checklist.Inventory
		Findings  []checklist.Finding
	}
	if code != 1 || json.Unmarshal([]byte(js), &doc) != nil || doc.Provider != "mailjet" || len(doc.Inventory.Keys) != 3 || doc.Inventory.Mail == nil || doc.Inventory.Mail.Total != 1020 {
		t.Errorf("--json: exit %d\n%.600s", code, js)
	}
	out, code = run(strings.Repeat("0", 32))
	if code != 2 || !strings.Contains(out, "refused") {
		t.Errorf("bad secret: exit %d\n%s", code, out)
	}
}
