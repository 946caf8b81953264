package twilio_test

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/twilio"
	"reclaim/provider/twilio/twiliofake"
)

// unsafeRune reports a character a terminal would act on: C0 and C1
// controls, DEL, bidi overrides and isolates, invisible format characters,
// line and paragraph separators.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}

// hostileState fills every string an attacker controls with escape codes,
// control characters, bidi overrides and 5,000-character runs.
func hostileState(now time.Time) twiliofake.State {
	evil := "\x1b[2J\x1b]0;pwned\x07\u202e\u2066\x00\x7f\u0085" + strings.Repeat("\u200bX", 2500)
	st := twiliofake.Default(now)
	st.Account.Name = "acct" + evil
	st.Account.Type = "Full" + evil
	for i := range st.Keys {
		st.Keys[i].Name += evil
	}
	for i := range st.Subaccounts {
		st.Subaccounts[i].Name += evil
		st.Subaccounts[i].Status += evil[:4] // no longer "active": listed disabled, not fanned out
	}
	for i := range st.Numbers {
		n := &st.Numbers[i]
		n.Phone += evil
		n.SmsURL += evil
		n.StatusCallback = "https://status.evil.example/" + evil
	}
	for i := range st.Events {
		e := &st.Events[i]
		e.Type += evil
		e.Source += evil
		e.IP += evil
		e.ResourceType += evil
	}
	st.Keys[1].Allow = []string{"/twilio/messaging/messages/read" + evil}
	return st
}

// TestHostileStrings proves that what the adapter composes for display
// (activity, webhook labels, errors) carries no character a terminal acts
// on, and that every provider string it keeps is bounded. Names and URLs are
// kept as Twilio sent them (clipped), as every adapter does: the analysis
// flags hidden characters in them, and every display sanitizes them (see
// TestAuditCommand for the audit's output).
func TestHostileStrings(t *testing.T) {
	now := time.Now()
	st := hostileState(now)
	srv := fake(t, st)
	c := client(t, srv, st.Account.Credential(), twilio.Options{}, provider.Limits{})
	display := func(what, s string) {
		t.Helper()
		if r, bad := unsafeRune(s); bad {
			t.Errorf("%s carries %U: %q", what, r, provider.Clip(s, 120))
		}
		if !utf8.ValidString(s) {
			t.Errorf("%s is not valid UTF-8", what)
		}
	}
	bounded := func(what, s string, n int) {
		t.Helper()
		if len(s) > n {
			t.Errorf("%s keeps %d bytes (cap %d)", what, len(s), n)
		}
	}

	inv, err := checklist.TakeInventory(bg, c, now)
	if err != nil || len(inv.Errors) > 0 {
		t.Fatalf("inventory: %v %v", err, inv.Errors)
	}
	bounded("account name", inv.Account.Username, 260)
	bounded("account type", inv.Account.Type, 520)
	if len(inv.Keys) != 4 || len(inv.Subusers) != 3 || len(inv.Webhooks) != 6 || len(inv.Activity) == 0 {
		t.Fatalf("lost data: %d keys, %d subusers, %d webhooks, %d addresses", len(inv.Keys), len(inv.Subusers), len(inv.Webhooks), len(inv.Activity))
	}
	for _, k := range inv.Keys {
		bounded("key name", k.Name, 260)
		for _, s := range k.Scopes {
			bounded("key scope", s, 124)
		}
	}
	for _, s := range inv.Subusers {
		bounded("subaccount", s.Username, 300)
		if !s.Disabled {
			t.Errorf("subaccount with a hostile status listed active: %q", provider.Clip(s.Username, 40))
		}
	}
	for _, h := range inv.Webhooks {
		display("webhook id", h.ID)
		display("webhook label", h.Hostname)
		bounded("webhook label", h.Hostname, 200)
		bounded("webhook URL", h.URL, 2052)
	}
	for _, a := range inv.Activity {
		display("activity address", a.IP)
		display("activity method", a.Method)
		display("activity location", a.Location)
		bounded("activity address", a.IP, 200)
		bounded("activity method", a.Method, 800)
		bounded("activity location", a.Location, 200)
	}
	for _, f := range checklist.Analyze(inv, checklist.AnalysisInput{}) {
		display("finding title", provider.Sanitize(f.Title))
	}
	// The analysis still sees the hidden characters in names.
	names, hidden := 0, 0
	for _, f := range checklist.Analyze(inv, checklist.AnalysisInput{}) {
		if strings.HasPrefix(f.ID, "key-name:") {
			names++
		}
	}
	for _, k := range inv.Keys {
		if k.Name != provider.Sanitize(k.Name) {
			hidden++ // (the 5,000-character name is cut before its escapes)
		}
	}
	if names != hidden || hidden < 3 {
		t.Errorf("%d disguised key names flagged, want %d", names, hidden)
	}

	// Errors: a hostile message that echoes the credential.
	echo := "bad \x1b[31mthing\u202e " + st.Account.Token + " " + strings.Repeat("Z", 5000)
	for _, f := range []twiliofake.Fault{
		{Path: "/v1/Keys", Status: 400, Message: echo},
		{Path: "/v1/Keys", Status: 403, Message: echo},
		{Path: "/v1/Keys", Status: 404, Message: echo},
		{Path: "/v1/Keys", Status: 503, Message: echo, Times: 3}, // the first try and two retries
	} {
		srv.Inject(f)
		_, err := c.ListKeys(bg)
		if err == nil {
			t.Fatalf("status %d: no error", f.Status)
		}
		msg := err.Error()
		display("error", msg)
		bounded("error", msg, 600)
		checkSafe(t, msg, st)
		if !strings.Contains(msg, "[credential]") {
			t.Errorf("the echoed credential was not redacted: %q", msg)
		}
	}
	// Every write's error too.
	srv.Inject(twiliofake.Fault{Status: 400, Message: echo, Times: 100})
	var errs []error
	_, err = c.CreateKey(bg, "x", nil)
	errs = append(errs, err, c.RevokeKey(bg, st.Keys[2].SID), c.VerifyKey(bg, st.Account.Token), c.DisableSubuser(bg, st.Subaccounts[0].SID), c.EnableSubuser(bg, st.Subaccounts[0].SID))
	_, err = c.RotateSecret(bg, provider.AccountSecret{Kind: provider.SecretAuthToken})
	errs = append(errs, err)
	for i, err := range errs {
		if !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("write %d: %v", i, err)
			continue
		}
		display("write error", err.Error())
		checkSafe(t, err.Error(), st)
	}
}
