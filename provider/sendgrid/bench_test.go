package sendgrid_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/sendgrid"
	"reclaim/provider/sendgrid/sgfake"
)

// BenchmarkSendGridInventory takes the whole inventory of a big account
// (2,000 subusers, 100 keys, 500 teammates, 100,000 messages in 30 days)
// from the fake with 30 ms latency per request and a rate limit of
// BENCH_RATE requests per second (default 200). It reports the requests
// made, the bound the rate limit sets (requests ÷ rate), the wall time over
// that bound, the 429s, and peak memory. bench/sendgrid-inventory.sh runs it.
func BenchmarkSendGridInventory(b *testing.B) {
	rate := 200
	if v, err := strconv.Atoi(os.Getenv("BENCH_RATE")); err == nil && v > 0 {
		rate = v
	}
	now := time.Now()
	st, session := sgfake.Big(now, 2000, 100, 500, 100_000)
	f := sgfake.New(st)
	defer f.Close()
	f.RateLimit, f.RateWindow, f.Latency = rate, time.Second, 30*time.Millisecond

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
	for b.Loop() {
		c, err := sendgrid.NewWithOptions(provider.Config{Credential: session.Token, BaseURL: f.URL}, sendgrid.Options{})
		if err != nil {
			b.Fatal(err)
		}
		r0, l0 := f.Requests(), f.Limited()
		start := time.Now()
		inv, err := checklist.TakeInventory(context.Background(), c, time.Now())
		wall += time.Since(start)
		if err != nil || len(inv.Errors) > 0 {
			b.Fatalf("inventory: %v %v", err, inv.Errors)
		}
		if len(inv.Subusers) != 2000 || len(inv.Keys) != 100 || len(inv.Teammates) != 500 || inv.Mail.Total != 100_000 {
			b.Fatalf("incomplete: %d subusers, %d keys, %d teammates, %d messages", len(inv.Subusers), len(inv.Keys), len(inv.Teammates), inv.Mail.Total)
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

// vmHWM is the process's peak resident set in MiB (Linux), or 0.
func vmHWM() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
