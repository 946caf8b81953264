package sendgrid_test

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/sendgrid"
	"reclaim/provider/sendgrid/sgfake"
)

// BenchmarkSendGridCheck is a drift check (reclaim check) of the big
// account of BenchmarkSendGridInventory (2,000 subusers, 100 keys, 500
// teammates, 100,000 messages in 30 days) from the fake with 30 ms latency
// per request and a rate limit of BENCH_RATE requests per second (default
// 200): the newest baseline read from the state directory and checked, the
// whole account read, compared, and the alert rendered (text and JSON). The
// baseline is recorded first, outside the timing, and the account then
// drifts (a key, a teammate, a webhook, forwarding, and 3,000 messages in a
// day, which is no spike on an account that sends 3,400 a day), so the
// check finds and renders four changes. Like the check
// command, it runs with a 96 MiB soft memory limit and GOGC=50. It reports
// the requests made, the bound the rate limit sets (requests ÷ rate), the
// wall time over that bound, the 429s, and peak memory during the checks.
// bench/sendgrid-check.sh runs it.
func BenchmarkSendGridCheck(b *testing.B) {
	rate := 200
	if v, err := strconv.Atoi(os.Getenv("BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	now := time.Now()
	st, session := sgfake.Big(now, 2000, 100, 500, 100_000)
	f := sgfake.New(st)
	defer f.Close()
	f.RateLimit, f.RateWindow, f.Latency = rate, time.Second, 30*time.Millisecond
	client := func() provider.Provider {
		c, err := sendgrid.NewWithOptions(provider.Config{Credential: session.Token, BaseURL: f.URL}, sendgrid.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}

	store := &checklist.BaselineStore{Dir: b.TempDir()}
	inv, err := checklist.TakeInventory(context.Background(), client(), time.Now())
	if err != nil || len(inv.Errors) > 0 {
		b.Fatalf("baseline inventory: %v %v", err, inv.Errors)
	}
	if _, err := store.Save(checklist.NewBaseline(inv, sendgrid.Info, time.Now()), nil); err != nil {
		b.Fatal(err)
	}
	inv = nil
	f.Mu.Lock()
	f.St.Drift(time.Now())
	f.Mu.Unlock()

	defer debug.SetMemoryLimit(debug.SetMemoryLimit(96 << 20))
	defer debug.SetGCPercent(debug.SetGCPercent(50))
	runtime.GC()
	var peakHeap atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peakHeap.Load() {
					peakHeap.Store(ms.HeapAlloc)
				}
			}
		}
	}()
	defer close(stop)

	var reqs, limited int64
	var wall time.Duration
	b.ResetTimer()
	for b.Loop() {
		c := client()
		r0, l0 := f.Requests(), f.Limited()
		start := time.Now()
		base, err := store.Latest(sendgrid.Info.ID, "")
		if err != nil {
			b.Fatal(err)
		}
		cur, err := checklist.TakeInventory(context.Background(), c, time.Now())
		if err != nil || len(cur.Errors) > 0 {
			b.Fatalf("inventory: %v %v", err, cur.Errors)
		}
		d := checklist.CheckDrift(base, cur, time.Now(), checklist.CompareOptions{SessionKeyID: session.ID})
		alert := checklist.NewDriftAlert(d)
		if _, err := alert.JSON(); err != nil {
			b.Fatal(err)
		}
		_ = alert.Markdown()
		wall += time.Since(start)
		if len(d.Changes) != 4 || len(d.Unchecked) > 0 {
			b.Fatalf("the check found %d changes (want 4), unchecked %v:\n%s", len(d.Changes), d.Unchecked, d.Text())
		}
		reqs += f.Requests() - r0
		limited += f.Limited() - l0
	}
	n := float64(b.N)
	served := float64(reqs-limited) / n
	bound := served / float64(rate)
	b.ReportMetric(served, "requests/op")
	b.ReportMetric(float64(limited)/n, "429s/op")
	b.ReportMetric(bound, "bound-s/op")
	b.ReportMetric(wall.Seconds()/n, "wall-s/op")
	b.ReportMetric(wall.Seconds()/n/bound, "wall/bound")
	b.ReportMetric(float64(peakHeap.Load())/(1<<20), "peak-heap-MB")
	if hwm := vmHWM(); hwm > 0 {
		b.ReportMetric(hwm, "peak-rss-MB")
	}
}
