package postmark_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/postmark"
	"reclaim/provider/postmark/pmfake"
)

func contextWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// unsafeRune returns the first character a terminal would act on: escape
// and control characters, bidi overrides, invisible format characters.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		if string(r) != provider.Sanitize(string(r)) {
			return r, true
		}
	}
	return 0, false
}

// walkStrings calls fn with every string reachable from v.
func walkStrings(v reflect.Value, path string, fn func(path, s string)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			walkStrings(v.Elem(), path, fn)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				walkStrings(v.Field(i), path+"."+v.Type().Field(i).Name, fn)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			walkStrings(v.Index(i), path, fn)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			walkStrings(k, path+"[key]", fn)
			walkStrings(v.MapIndex(k), path+"[]", fn)
		}
	}
}

// TestHostileStrings: an account whose every string carries terminal
// escapes, bidi overrides and control characters, with a 5,000-character
// server name and tokens no header may carry. No such character reaches a
// string the adapter returns or an error, every string stays within its
// cap, and the malformed tokens are never sent.
func TestHostileStrings(t *testing.T) {
	now := time.Now()
	st, s := pmfake.Hostile(now)
	// Server 102 holds only tokens no request can carry.
	bad := st.Servers[1].ApiTokens[1:]
	st.Servers[1].ApiTokens = bad
	f := fake(t, st)
	c := client(t, f, s.AccountToken+":-", postmark.Options{}, provider.Limits{})

	check := func(what string, v any, err error) {
		t.Helper()
		walkStrings(reflect.ValueOf(v), what, func(path, s string) {
			if r, bad := unsafeRune(s); bad {
				t.Errorf("%s carries %U: %q", path, r, s)
			}
			if n := utf8.RuneCountInString(s); n > 600 {
				t.Errorf("%s is %d characters long", path, n)
			}
		})
		if err != nil {
			if r, bad := unsafeRune(err.Error()); bad {
				t.Errorf("%s: error carries %U: %q", what, r, err)
			}
		}
	}
	subs, err := c.ListSubusers(bg)
	check("servers", subs, err)
	if len(subs) != 3 || !strings.HasPrefix(subs[1].Username, "A\uFFFDA\uFFFD") || utf8.RuneCountInString(subs[1].Username) > 210 {
		t.Errorf("long name: %d servers, %q…", len(subs), subs[1].Username[:20])
	}
	hooks, err := c.ListWebhooks(bg)
	check("webhooks", hooks, err)
	var tr *provider.Truncation
	if !errors.As(err, &tr) || !strings.Contains(tr.Reason(), "no usable API token") {
		t.Errorf("a server with only malformed tokens: %v", err)
	}
	senders, err := c.ListSenders(bg)
	check("senders", senders, err)
	settings, err := c.ListMailSettings(bg)
	check("settings", settings, err)
	secrets, err := c.ListSecrets(bg)
	check("secrets", secrets, err)
	malformed := 0
	for _, x := range secrets {
		if strings.Contains(x.Name, "malformed") {
			malformed++
		}
	}
	if malformed != 2 {
		t.Errorf("%d malformed tokens listed, want 2: %+v", malformed, secrets)
	}
	var msgs []provider.Message
	err = c.ListMessages(bg, now.Add(-30*24*time.Hour), func(p []provider.Message) error { msgs = append(msgs, p...); return nil })
	check("messages", msgs, err)
	stats, spikes, err := c.BounceStats(bg, now.Add(-30*24*time.Hour))
	check("stats", []any{stats, spikes}, err)
	for _, sp := range spikes {
		check("spike title", sp.Title(), nil)
	}
	for _, tok := range bad {
		if f.TokenUses(tok) != 0 {
			t.Errorf("a malformed token (%d bytes) was sent", len(tok))
		}
	}
	inv, err := checklist.TakeInventory(bg, c, now)
	check("inventory", inv, err)
	check("findings", checklist.Analyze(inv, checklist.AnalysisInput{}), nil)

	// Hostile error text, on every endpoint.
	f.Inject(pmfake.Fault{Status: 422, Message: pmfake.Escapes + strings.Repeat("x", 5000), Times: -1})
	c = client(t, f, s.AccountToken+":-", postmark.Options{}, provider.Limits{})
	for what, call := range map[string]func() error{
		"servers":   func() error { _, err := c.ListSubusers(bg); return err },
		"senders":   func() error { _, err := c.ListSenders(bg); return err },
		"verify":    func() error { return c.VerifyKey(bg, pmfake.NewToken()) },
		"delete":    func() error { return c.DeleteWebhook(bg, provider.Webhook{ID: "server:101:inbound"}) },
		"delserver": func() error { return c.DeleteServer(bg, "101", "x") },
	} {
		err := call()
		if err == nil || !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("%s: %v", what, err)
			continue
		}
		if r, bad := unsafeRune(err.Error()); bad {
			t.Errorf("%s: error carries %U", what, r)
		}
		if n := len(err.Error()); n > 1000 {
			t.Errorf("%s: error is %d bytes", what, n)
		}
	}
}
