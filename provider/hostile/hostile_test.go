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

// TestEveryModeEveryAdapter takes a whole inventory from each adapter
// against each hostile mode: it ends (never a hang) with truncated sections
// or clear, sanitized errors, never a credential sent to another host.
func TestEveryModeEveryAdapter(t *testing.T) {
	for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
		for _, mode := range hostile.Modes {
			t.Run(string(fl)+"/"+string(mode), func(t *testing.T) {
				if testing.Short() && (mode == hostile.EndlessPages || mode == hostile.GrowingTotal) {
					t.Skip("reads 20,000 items per section")
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
						if mode == hostile.GrowingTotal && fl == hostile.Mailjet {
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
		t.Skip("reads 20,000 items per section")
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
