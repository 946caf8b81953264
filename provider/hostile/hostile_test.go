package hostile_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/hostile"
	"reclaim/provider/mailjet"
	"reclaim/provider/sendgrid"
)

// hangGuard bounds every case: it only catches a hang (each case ends in a
// few seconds), it asserts no speed.
const hangGuard = 3 * time.Minute

// client connects the flavor's adapter to the fake, with short per-request
// deadlines and few retries so that the slow modes end quickly.
// The per-request deadline is short for the modes that hold answers back,
// and long enough for the others that only a hang could reach it.
func client(t testing.TB, srv *hostile.Server, lim provider.Limits) provider.Provider {
	t.Helper()
	cfg := provider.Config{Credential: srv.Credential(), BaseURL: srv.URL, Limits: lim}
	timeout := 20 * time.Second
	if srv.Mode == hostile.TrickleBody || srv.Mode == hostile.SlowFirstByte {
		timeout = 500 * time.Millisecond
	}
	switch srv.Flavor {
	case hostile.SendGrid:
		c, err := sendgrid.NewWithOptions(cfg, sendgrid.Options{RequestTimeout: timeout, Retries: 1, Backoff: 5 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return c
	default:
		c, err := mailjet.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.AttemptTimeout, c.MaxAttempts, c.Backoff = timeout, 2, 5*time.Millisecond
		return c
	}
}

// unsafeRune reports a character a terminal would act on.
func unsafeRune(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20) || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}

// listSections are the sections that page in each flavor, so that endless
// pages must truncate them.
var listSections = map[hostile.Flavor][]string{
	hostile.SendGrid: {checklist.SecKeys, checklist.SecTeammates, checklist.SecSubusers, checklist.SecMail, checklist.SecSenders, checklist.SecMessages},
	hostile.Mailjet:  {checklist.SecKeys, checklist.SecTeammates, checklist.SecWebhooks, checklist.SecSenders, checklist.SecMessages},
}

// partSections are the sections read as several lists (provider.Section
// Parts), in both flavors.
var partSections = map[string]bool{checklist.SecTeammates: true, checklist.SecWebhooks: true, checklist.SecSenders: true}

// TestEveryModeEveryAdapter takes a whole inventory from each adapter
// against each hostile mode: it ends (never a hang) with truncated sections
// or clear, sanitized errors, never a credential sent to another host.
func TestEveryModeEveryAdapter(t *testing.T) {
	for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
		for _, mode := range hostile.Modes {
			t.Run(string(fl)+"/"+string(mode), func(t *testing.T) {
				if testing.Short() && (mode == hostile.EndlessPages || mode == hostile.GrowingTotal) {
					t.Skip("reads 5,000 items per section")
				}
				srv := hostile.New(fl, mode)
				srv.Trickle = 20 * time.Millisecond
				defer srv.Close()
				ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
				defer cancel()
				inv, err := checklist.TakeInventory(ctx, client(t, srv, provider.Limits{}), time.Now())
				if ctx.Err() != nil {
					t.Fatalf("hang guard hit after %d requests", srv.Requests())
				}
				if inv == nil {
					t.Fatalf("no inventory: %v", err)
				}
				for sec, msg := range inv.Errors {
					if r, bad := unsafeRune(msg); bad {
						t.Errorf("error of %s carries %U: %q", sec, r, msg)
					}
				}
				for sec, msg := range inv.Truncated {
					if r, bad := unsafeRune(msg); bad {
						t.Errorf("truncation of %s carries %U: %q", sec, r, msg)
					}
				}
				if err != nil {
					if r, bad := unsafeRune(err.Error()); bad {
						t.Errorf("error carries %U: %q", r, err)
					}
				}
				t.Logf("%d requests; read %v; truncated %v; errors %d", srv.Requests(), inv.Read, inv.Truncated, len(inv.Errors))
				switch mode {
				case hostile.EndlessPages, hostile.RepeatPage, hostile.GrowingTotal:
					if err != nil || len(inv.Errors) > 0 {
						t.Fatalf("list mode failed: %v %v", err, inv.Errors)
					}
					for _, sec := range listSections[fl] {
						why, ok := inv.Truncated[sec]
						if !ok {
							t.Errorf("%s not marked truncated", sec)
							continue
						}
						if !strings.HasPrefix(why, "truncated at ") && !strings.Contains(why, ": truncated at ") {
							t.Errorf("%s: reason %q", sec, why)
						}
						want := map[hostile.Mode]string{hostile.RepeatPage: "repeated page"}[mode]
						if mode == hostile.GrowingTotal && fl == hostile.Mailjet && !partSections[sec] {
							// (A part's share of the item cap comes before
							// the third page that proves the total moving.)
							want = "claimed total kept changing"
						}
						if want != "" && sec != checklist.SecKeys && !strings.Contains(why, want) {
							t.Errorf("%s: reason %q lacks %q", sec, why, want)
						}
					}
					if mode == hostile.EndlessPages {
						if n := len(inv.Subusers); fl == hostile.SendGrid && n != provider.DefaultMaxItems {
							t.Errorf("%d subusers kept, want the item cap", n)
						}
						if inv.Mail == nil || inv.Mail.Total != provider.DefaultMaxMessages {
							t.Errorf("messages: %+v, want the message cap", inv.Mail)
						}
					}
				default:
					if len(inv.Errors) == 0 {
						t.Fatalf("no error recorded")
					}
					want := map[hostile.Mode]string{
						hostile.HugeBody:       "larger than 8 MiB",
						hostile.TrickleBody:    "",
						hostile.SlowFirstByte:  "",
						hostile.HugeRetryAfter: "rate limited",
						hostile.Redirect:       "another host",
						hostile.EscapeErrors:   "owned",
					}[mode]
					for sec, msg := range inv.Errors {
						if want != "" && !strings.Contains(msg, want) {
							t.Errorf("%s: %q lacks %q", sec, msg, want)
						}
						if (mode == hostile.TrickleBody || mode == hostile.SlowFirstByte) && !strings.Contains(msg, "timed out") && !strings.Contains(msg, "within") {
							t.Errorf("%s: %q does not say it timed out", sec, msg)
						}
					}
				}
				if srv.OtherHits() != 0 || srv.OtherCreds() != 0 {
					t.Errorf("a redirect was followed: %d requests, %d with a credential", srv.OtherHits(), srv.OtherCreds())
				}
			})
		}
	}
}

// TestEndlessPagesMemory takes a whole inventory from each adapter over
// endless pages and measures the heap: peak HeapAlloc (sampled) and what
// the inventory keeps stay well under 150 MB. HOSTILE_MODE=<mode> measures
// another mode instead.
func TestEndlessPagesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 5,000 items per section")
	}
	for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
		t.Run(string(fl), func(t *testing.T) {
			mode := hostile.EndlessPages
			if m := os.Getenv("HOSTILE_MODE"); m != "" {
				mode = hostile.Mode(m)
			}
			srv := hostile.New(fl, mode)
			defer srv.Close()
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				var ms runtime.MemStats
				for {
					runtime.ReadMemStats(&ms)
					if ms.HeapAlloc > peak.Load() {
						peak.Store(ms.HeapAlloc)
					}
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
			defer cancel()
			inv, err := checklist.TakeInventory(ctx, client(t, srv, provider.Limits{}), time.Now())
			close(stop)
			<-done
			if mode == hostile.EndlessPages && (err != nil || len(inv.Truncated) == 0) {
				t.Fatalf("%v %v", err, inv.Errors)
			}
			runtime.GC()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			peakDelta := int64(peak.Load()) - int64(before.HeapAlloc)
			total := after.TotalAlloc - before.TotalAlloc
			t.Logf("%s: %d requests; peak heap +%.1f MB, kept +%.1f MB, allocated %.1f MB in all", fl, srv.Requests(), mb(peakDelta), mb(kept), float64(total)/1e6)
			if peakDelta > 150e6 {
				t.Errorf("peak heap grew by %.1f MB (limit 150 MB)", mb(peakDelta))
			}
			if kept > 100e6 {
				t.Errorf("the inventory keeps %.1f MB (limit 100 MB)", mb(kept))
			}
			runtime.KeepAlive(inv)
		})
	}
}

func mb(n int64) float64 { return float64(n) / 1e6 }

// TestCapsAreExact checks each cap's reason and count with small caps.
func TestCapsAreExact(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	cases := []struct {
		lim  provider.Limits
		want string
	}{
		{provider.Limits{MaxItems: 1200}, "truncated at 1200 items (item cap)"},
		{provider.Limits{MaxPages: 3}, "truncated at 1500 items after 3 pages (page cap)"},
		{provider.Limits{MaxBytes: 100 << 10}, "(byte cap)"},
	}
	for _, tc := range cases {
		srv := hostile.New(hostile.SendGrid, hostile.EndlessPages)
		c := client(t, srv, tc.lim).(provider.SubuserLister)
		subs, err := c.ListSubusers(ctx)
		srv.Close()
		var tr *provider.Truncation
		if !errorsAs(err, &tr) || !strings.Contains(tr.Reason(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.lim, err, tc.want)
			continue
		}
		if tr.Items != len(subs) || !strings.Contains(tr.Reason(), fmt.Sprintf("at %d items", len(subs))) {
			t.Errorf("%+v: %d subusers kept, reason %q", tc.lim, len(subs), tr.Reason())
		}
	}
	// Mailjet pages of 1,000: the page cap.
	srv := hostile.New(hostile.Mailjet, hostile.EndlessPages)
	defer srv.Close()
	keys, err := client(t, srv, provider.Limits{MaxPages: 2}).(provider.KeyLister).ListKeys(ctx)
	if len(keys) != 2000 || err == nil || err.Error() != "API keys: truncated at 2000 items after 2 pages (page cap)" {
		t.Errorf("%d keys, %v", len(keys), err)
	}
}

func errorsAs(err error, t **provider.Truncation) bool {
	ts, rest := provider.SplitTruncated(err)
	if rest != nil || len(ts) != 1 {
		return false
	}
	*t = ts[0]
	return true
}

// TestHostileTruncatedListKeepsSiblings: one list cut short (a repeated page, a
// cap) never hides the other lists of its section: SendGrid's pending
// invites are read after the teammates repeat a page, sender identities,
// marketing senders and domains beside verified senders, Mailjet's parse
// routes, metasenders and domains beside the lists before them; and the
// reason names every list that was cut (issue 11 review).
func TestHostileTruncatedListKeepsSiblings(t *testing.T) {
	for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
		for _, mode := range []hostile.Mode{hostile.RepeatPage, hostile.EndlessPages} {
			t.Run(string(fl)+"/"+string(mode), func(t *testing.T) {
				srv := hostile.New(fl, mode)
				defer srv.Close()
				ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
				defer cancel()
				inv, err := checklist.TakeInventory(ctx, client(t, srv, provider.Limits{}), time.Now(), checklist.SecTeammates, checklist.SecWebhooks, checklist.SecSenders)
				if err != nil || len(inv.Errors) > 0 {
					t.Fatalf("%v %v", err, inv.Errors)
				}
				kinds := map[string]int{}
				for _, x := range inv.Senders {
					kind, _, _ := strings.Cut(x.ID, ":")
					if fl == hostile.Mailjet {
						kind, _, _ = strings.Cut(x.ID, "-")
					}
					kinds[kind]++
				}
				hooks := map[string]int{}
				for _, h := range inv.Webhooks {
					hooks[h.Kind]++
				}
				invites := 0
				for _, m := range inv.Teammates {
					if m.Pending {
						invites++
					}
				}
				t.Logf("senders %v, webhooks %v, %d teammates (%d invites); truncated %v", kinds, hooks, len(inv.Teammates), invites, inv.Truncated)
				var want []string
				switch fl {
				case hostile.SendGrid:
					if invites != 1000 {
						t.Errorf("%d pending invites read, the fake serves 1000", invites)
					}
					for _, k := range []string{"verified", "sender", "marketing", "domain"} {
						if kinds[k] == 0 {
							t.Errorf("no %s senders read", k)
						}
					}
					if kinds["sender"] != 1000 || kinds["marketing"] != 1000 {
						t.Errorf("sender identities %d, marketing senders %d: want the fake's 1000 each", kinds["sender"], kinds["marketing"])
					}
					if mode == hostile.RepeatPage {
						want = []string{"teammates truncated at 500 items (repeated page", "verified senders truncated at 100 items (repeated page", "authenticated domains truncated at 100 items (repeated page"}
					} else {
						want = []string{"teammates truncated at ", "verified senders truncated at ", "authenticated domains truncated at "}
					}
				case hostile.Mailjet:
					for _, k := range []string{"sender", "metasender", "dns"} {
						if kinds[k] == 0 {
							t.Errorf("no %s read", k)
						}
					}
					if hooks[provider.WebhookEvent] == 0 || hooks[provider.WebhookParse] == 0 {
						t.Errorf("webhooks %v: both lists must be read", hooks)
					}
					want = []string{"event callback URLs truncated at ", "parse routes truncated at ", "senders truncated at ", "metasenders truncated at ", "sender domains truncated at "}
				}
				all := inv.Truncated[checklist.SecTeammates] + " | " + inv.Truncated[checklist.SecWebhooks] + " | " + inv.Truncated[checklist.SecSenders]
				for _, w := range want {
					if !strings.Contains(all, w) {
						t.Errorf("the reasons lack %q: %s", w, all)
					}
				}
			})
		}
	}
}

// TestHostileTimeoutIsNotRetried: an attempt with no complete answer within the
// client's per-request deadline (a slow first byte, a trickling body) is
// not sent again, whatever the retries allowed: it is no transient 5xx,
// and each retry would hold the audit another deadline (issue 11 review).
func TestHostileTimeoutIsNotRetried(t *testing.T) {
	for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
		for _, mode := range []hostile.Mode{hostile.SlowFirstByte, hostile.TrickleBody} {
			t.Run(string(fl)+"/"+string(mode), func(t *testing.T) {
				srv := hostile.New(fl, mode)
				defer srv.Close()
				cfg := provider.Config{Credential: srv.Credential(), BaseURL: srv.URL}
				ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
				defer cancel()
				var err error
				path := "/v3/access_settings/whitelist"
				if fl == hostile.SendGrid {
					c, cerr := sendgrid.NewWithOptions(cfg, sendgrid.Options{RequestTimeout: 300 * time.Millisecond, Retries: 3, Backoff: time.Millisecond})
					if cerr != nil {
						t.Fatal(cerr)
					}
					_, err = c.ListAllowRules(ctx)
				} else {
					c, cerr := mailjet.New(cfg)
					if cerr != nil {
						t.Fatal(cerr)
					}
					c.AttemptTimeout, c.MaxAttempts, c.Backoff = 300*time.Millisecond, 4, time.Millisecond
					_, err = c.ListKeys(ctx)
					path = "/v3/REST/apikey"
				}
				if err == nil || !strings.Contains(err.Error(), "within 300ms") {
					t.Errorf("error %v, want one saying no answer came within 300ms", err)
				}
				if n := srv.Hits(path); n != 1 {
					t.Errorf("%s requested %d times, want 1", path, n)
				}
			})
		}
	}
}

// TestHostileTimeLimitKeepsWhatWasRead: a provider that answers every page,
// slowly, forever (endless pages, each answer held back) is stopped by the
// inventory's deadline (the audit's --timeout), and every list keeps the
// pages it read, marked "truncated at N … (time limit)", never "could not
// read: context deadline exceeded" (issue 11 review).
func TestHostileTimeLimitKeepsWhatWasRead(t *testing.T) {
	for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
		t.Run(string(fl), func(t *testing.T) {
			srv := hostile.New(fl, hostile.EndlessPages)
			srv.Delay = 700 * time.Millisecond
			defer srv.Close()
			guard, cancelGuard := context.WithTimeout(context.Background(), hangGuard)
			defer cancelGuard()
			// The deadline leaves room for a page or two of each list:
			// none can end, as the pages never do.
			ctx, cancel := context.WithTimeout(guard, 2500*time.Millisecond)
			defer cancel()
			inv, err := checklist.TakeInventory(ctx, client(t, srv, provider.Limits{}), time.Now())
			if guard.Err() != nil {
				t.Fatalf("hang guard hit after %d requests", srv.Requests())
			}
			if inv == nil {
				t.Fatalf("no inventory: %v", err)
			}
			t.Logf("%d requests; read %v; truncated %v; errors %v", srv.Requests(), inv.Read, inv.Truncated, inv.Errors)
			for sec, msg := range inv.Errors {
				if strings.Contains(msg, "deadline exceeded") {
					t.Errorf("%s: %q: the time limit must keep what was read", sec, msg)
				}
			}
			for _, sec := range listSections[fl] {
				why, ok := inv.Truncated[sec]
				if !ok || !strings.HasPrefix(why, "truncated at ") || !strings.Contains(why, "time limit") {
					t.Errorf("%s: %q, want truncated at N … (time limit)", sec, why)
				}
			}
			// (The messages may hold none: the fake's full windows are
			// halved before any is kept.)
			if len(inv.Keys) == 0 || len(inv.Teammates) == 0 || (fl == hostile.SendGrid && len(inv.Subusers) == 0) {
				t.Errorf("%d keys, %d teammates, %d subusers kept: the pages read before the time limit are lost", len(inv.Keys), len(inv.Teammates), len(inv.Subusers))
			}
		})
	}
}

// slowLists is a provider whose lists give a page, then fail at the
// deadline as a provider adapter that does not mark its own truncation
// would; its account read fails at the deadline too.
type slowLists struct{}

func (slowLists) Info() provider.Info { return provider.Info{ID: "slow", Name: "Slow"} }

func (slowLists) ListKeys(ctx context.Context) ([]provider.APIKey, error) {
	<-ctx.Done()
	return []provider.APIKey{{ID: "k1"}, {ID: "k2"}}, &provider.Error{Kind: provider.ErrUnavailable, Op: "list API keys", Err: ctx.Err()}
}

func (slowLists) Account(ctx context.Context) (provider.Account, error) {
	<-ctx.Done()
	return provider.Account{}, &provider.Error{Kind: provider.ErrUnavailable, Op: "read the account", Err: ctx.Err()}
}

func (slowLists) ListMessages(ctx context.Context, since time.Time, fn func([]provider.Message) error) error {
	if err := fn([]provider.Message{{ID: "m1", Subject: "s", Sent: time.Now()}}); err != nil {
		return err
	}
	<-ctx.Done()
	return &provider.Error{Kind: provider.ErrUnavailable, Op: "list messages", Err: ctx.Err()}
}

// TestInventoryTimeLimitFallback: when the deadline passes, TakeInventory
// itself keeps what a list returned and marks it "(time limit)", keeps the
// messages summarised so far, and says the account was not read because of
// the time limit, not "context deadline exceeded".
func TestInventoryTimeLimitFallback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	inv, err := checklist.TakeInventory(ctx, slowLists{}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.Truncated[checklist.SecKeys]; got != "truncated at 2 items (time limit)" || len(inv.Keys) != 2 {
		t.Errorf("keys: %q, %d kept", got, len(inv.Keys))
	}
	if got := inv.Truncated[checklist.SecMessages]; got != "truncated at 1 messages (time limit)" || inv.Mail == nil || inv.Mail.Total != 1 {
		t.Errorf("messages: %q, %+v", got, inv.Mail)
	}
	if got := inv.Errors[checklist.SecAccount]; !strings.Contains(got, "time limit") || strings.Contains(got, "deadline exceeded") {
		t.Errorf("account: %q", got)
	}
}
