package postmark_test

import (
	"context"
	"testing"
	"time"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/postmark"
	"reclaim/provider/postmark/pmfake"
)

// BenchmarkPostmarkInventory takes the whole inventory of a big account
// from the fake: 200 servers (a webhooks call each), one of them sending
// 100,000 messages in 30 days (over Postmark's 10,000-message search limit,
// so read a day at a time). It reports the requests one inventory makes.
func BenchmarkPostmarkInventory(b *testing.B) {
	now := time.Now()
	st, s := pmfake.Big(now, 200, 100_000)
	f := pmfake.New(st)
	defer f.Close()
	var reqs int64
	for b.Loop() {
		c, err := postmark.New(provider.Config{Credential: s.AccountToken + ":-", BaseURL: f.URL})
		if err != nil {
			b.Fatal(err)
		}
		before := f.Requests()
		inv, err := checklist.TakeInventory(context.Background(), c, now)
		if err != nil || len(inv.Errors) > 0 || inv.Mail == nil || inv.Mail.Total != 100_000 || len(inv.Subusers) != 200 {
			b.Fatalf("inventory: %v %v", err, inv.Errors)
		}
		reqs = f.Requests() - before
	}
	b.ReportMetric(float64(reqs), "requests/op")
}
