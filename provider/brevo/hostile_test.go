package brevo_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"

	"reclaim/provider"
	"reclaim/provider/brevo"
	"reclaim/provider/brevo/bvfake"
)

// unsafeRune reports a character a terminal would act on: C0 and C1
// controls (ESC, BEL, CR, LF…), DEL, format characters (bidi overrides,
// zero-width), line and paragraph separators.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}

// walkStrings walks v and calls fn with the struct type and field name of
// every string ("Teammate", "Role"; typ is "" for a string outside a
// struct).
func walkStrings(typ, field string, v reflect.Value, fn func(typ, field, s string)) {
	switch v.Kind() {
	case reflect.String:
		fn(typ, field, v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				walkStrings(v.Type().Name(), f.Name, v.Field(i), fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(typ, field, v.Index(i), fn)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(typ, field, v.Elem(), fn)
		}
	}
}

// composed are the fields the adapter builds for display out of Brevo's
// text (summaries, names it writes): they must be sanitized. The other
// strings are Brevo's own identifiers and values (emails, URLs, subjects),
// kept exact so that reclaim can act on them (remove the user whose email
// hides a bidi override) and shown through provider.Sanitize.
var composed = map[string]bool{
	"Teammate.Role": true, "AccessEvent.Location": true, "AccessEvent.Method": true,
	"Subuser.Username": true, "AccountSecret.Name": true, "Account.Type": true,
}

// TestHostileStrings reads an account whose every string is attacker text
// (terminal escapes, bidi overrides, control characters, 5,000-character
// names) through every capability: no composed string and no error carries
// an unsafe character, every string stays within its cap, and the exact
// identifiers are kept (a hostile user is removed by its real email).
func TestHostileStrings(t *testing.T) {
	now := time.Now().UTC()
	st, key := bvfake.Hostile(now)
	f, c := connect(t, st, key, provider.Limits{})

	var results []any
	var errs []error
	add := func(v any, err error) {
		results = append(results, v)
		if err != nil {
			errs = append(errs, err)
		}
	}
	a, err := c.Account(bg)
	add(a, err)
	ts, err := c.ListTeammates(bg)
	add(ts, err)
	subs, err := c.ListSubusers(bg)
	add(subs, err)
	hs, err := c.ListWebhooks(bg)
	add(hs, err)
	ss, err := c.ListSenders(bg)
	add(ss, err)
	acts, err := c.ListActivity(bg)
	add(acts, err)
	sec, err := c.ListSecrets(bg)
	add(sec, err)
	var msgs []provider.Message
	err = c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { msgs = append(msgs, p...); return nil })
	add(msgs, err)
	if len(errs) > 0 {
		t.Fatalf("reads failed: %v", errors.Join(errs...))
	}
	if len(ts) != 5 || len(subs) != 1 || len(hs) != 3 || len(ss) != 3 || len(acts) == 0 || len(sec) != 1 || len(msgs) != 150 {
		t.Fatalf("lost data: %d users, %d subs, %d hooks, %d senders, %d activity, %d secrets, %d messages", len(ts), len(subs), len(hs), len(ss), len(acts), len(sec), len(msgs))
	}
	checked, composedSeen := 0, map[string]bool{}
	for _, r := range results {
		walkStrings("", "", reflect.ValueOf(r), func(typ, field, s string) {
			checked++
			// Caps hold: nothing the adapter keeps is longer than its
			// field cap (1 KiB; subjects 1,000 bytes) plus the "…".
			if len(s) > 1024+len("…") {
				t.Errorf("%s.%s is %d bytes", typ, field, len(s))
			}
			if composed[typ+"."+field] {
				composedSeen[typ+"."+field] = true
				if r, bad := unsafeRune(s); bad {
					t.Errorf("%s.%s carries %U: %q", typ, field, r, provider.Clip(s, 120))
				}
			}
		})
	}
	if len(composedSeen) != len(composed) {
		t.Errorf("composed fields checked: %v, want all of %v", composedSeen, composed)
	}
	if checked < 100 {
		t.Fatalf("only %d strings checked", checked)
	}

	// The exact email is kept, so the hostile user can be removed.
	var mallory provider.Teammate
	for _, tm := range ts {
		if strings.HasPrefix(tm.Email, "mallory@evil.example") {
			mallory = tm
		}
	}
	if mallory.Email != "mallory@evil.example"+bvfake.Escapes || !mallory.Admin {
		t.Fatalf("mallory: %q admin %v", mallory.Email, mallory.Admin)
	}
	if err := c.RemoveTeammate(bg, mallory); err != nil {
		t.Fatalf("removing the hostile user: %v", err)
	}
	if _, err := c.ListTeammates(bg); err != nil {
		t.Fatal(err)
	}
	f.Mu.Lock()
	left := len(f.St.Users)
	f.Mu.Unlock()
	if left != 3 {
		t.Errorf("users left: %d", left)
	}

	// Hostile error bodies: Brevo's words reach the error sanitized and
	// clipped, for every kind of call.
	f.Inject(bvfake.Fault{Kind: bvfake.HostileError})
	for name, call := range map[string]func() error{
		"account":  func() error { _, err := c.Account(bg); return err },
		"users":    func() error { _, err := c.ListTeammates(bg); return err },
		"webhooks": func() error { _, err := c.ListWebhooks(bg); return err },
		"senders":  func() error { _, err := c.ListSenders(bg); return err },
		"activity": func() error { _, err := c.ListActivity(bg); return err },
		"subs":     func() error { _, err := c.ListSubusers(bg); return err },
		"messages": func() error {
			return c.ListMessages(bg, now.Add(-time.Hour), func([]provider.Message) error { return nil })
		},
		"verify": func() error { return c.VerifyKey(bg, key) },
		"delete": func() error { return c.DeleteWebhook(bg, provider.Webhook{ID: "101"}) },
		"remove": func() error { return c.RemoveTeammate(bg, provider.Teammate{Email: "dev@acme.example"}) },
	} {
		err := call()
		if err == nil {
			t.Errorf("%s: no error", name)
			continue
		}
		msg := err.Error()
		if r, bad := unsafeRune(msg); bad {
			t.Errorf("%s: error carries %U: %q", name, r, provider.Clip(msg, 200))
		}
		if len(msg) > 1500 {
			t.Errorf("%s: error of %d bytes", name, len(msg))
		}
		if strings.Contains(msg, key) {
			t.Errorf("%s: error quotes the key", name)
		}
	}
	// The IP-block error, built by the adapter, is clean too.
	f.ClearFaults()
	f.Inject(bvfake.Fault{Kind: bvfake.IPBlock, Times: 1})
	if _, err := c.Account(bg); !errors.Is(err, brevo.ErrIPBlocked) {
		t.Fatalf("IP block: %v", err)
	} else if r, bad := unsafeRune(err.Error()); bad {
		t.Errorf("IP-block error carries %U", r)
	}
}
