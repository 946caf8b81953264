package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func ids(prefix string, n int) func(int) string {
	return func(i int) string { return fmt.Sprintf("%s%d", prefix, i) }
}

func TestSectionCaps(t *testing.T) {
	t.Run("items", func(t *testing.T) {
		s := Limits{MaxItems: 250}.Section("subusers")
		l := s.Listing()
		kept := 0
		for p := 0; l.More(); p++ {
			keep, more := l.Page(1000, 100, min(100, s.Remaining()), ids(fmt.Sprint(p, "-"), 100))
			kept += keep
			if !more {
				break
			}
		}
		if kept != 250 || s.Err() == nil || s.Err().Error() != "subusers: truncated at 250 items (item cap)" {
			t.Fatalf("%d kept, %v", kept, s.Err())
		}
		if !errors.Is(s.Err(), ErrTruncated) {
			t.Error("not ErrTruncated")
		}
	})
	t.Run("pages", func(t *testing.T) {
		s := Limits{MaxPages: 3}.Section("teammates")
		l := s.Listing()
		kept := 0
		for p := 0; l.More(); p++ {
			keep, _ := l.Page(10, 5, 5, ids(fmt.Sprint(p, "-"), 5))
			kept += keep
		}
		if kept != 15 || s.Err().Error() != "teammates: truncated at 15 items after 3 pages (page cap)" {
			t.Fatalf("%d kept, %v", kept, s.Err())
		}
	})
	t.Run("bytes", func(t *testing.T) {
		s := Limits{MaxBytes: 3 << 20}.Section("senders")
		l := s.Listing()
		kept := 0
		for p := 0; l.More(); p++ {
			keep, more := l.Page(1<<20, 10, 10, ids(fmt.Sprint(p, "-"), 10))
			kept += keep
			if !more {
				break
			}
		}
		if kept != 40 || s.Err().Error() != "senders: truncated at 40 items after 4.0 MiB of answers (byte cap)" {
			t.Fatalf("%d kept, %v", kept, s.Err())
		}
	})
	t.Run("an exact fit is not truncated", func(t *testing.T) {
		s := Limits{MaxItems: 10}.Section("keys")
		l := s.Listing()
		l.More()
		if keep, _ := l.Page(10, 10, 10, ids("", 10)); keep != 10 || s.Err() != nil {
			t.Fatalf("%d %v", keep, s.Err())
		}
	})
}

func TestListingRepeatAndTotal(t *testing.T) {
	s := Limits{}.Section("keys")
	l := s.Listing()
	l.More()
	l.Page(100, 3, 3, ids("a", 3))
	l.More()
	l.Page(100, 3, 3, ids("b", 3))
	l.More()
	if keep, more := l.Page(100, 3, 3, ids("a", 3)); keep != 0 || more {
		t.Fatalf("repeat kept %d", keep)
	}
	if got := s.Err().Error(); got != "keys: truncated at 6 items: page 3 repeated page 1" {
		t.Fatal(got)
	}

	// A stable total ends the listing normally; a moving one is truncation.
	s = Limits{}.Section("messages")
	l = s.Listing()
	if !l.Total(1000, 3000) || !l.Total(2000, 3000) || l.Total(3000, 3000) || s.Err() != nil {
		t.Fatalf("stable total: %v", s.Err())
	}
	s = Limits{}.Section("messages")
	l = s.Listing()
	if !l.Total(1000, 3000) || !l.Total(2000, 4000) || l.Total(3000, 5000) {
		t.Fatal("a growing total was followed past the first claim")
	}
	if !strings.Contains(s.Err().Error(), "the claimed total kept changing (first 3000, last 5000)") {
		t.Fatal(s.Err())
	}
}

func TestDecodeList(t *testing.T) {
	big := "[" + strings.Repeat(`{},`, 100000) + `{}]`
	items, n, err := DecodeList[struct{ A string }]([]byte(big), "", 5)
	if err != nil || n != 100001 || len(items) != 5 {
		t.Fatalf("%d %d %v", len(items), n, err)
	}
	items2, n, err := DecodeList[string]([]byte(`{"Count":2,"Data":["a","b"],"Total":9}`), "Data", 10)
	if err != nil || n != 2 || len(items2) != 2 || items2[1] != "b" {
		t.Fatalf("%v %d %v", items2, n, err)
	}
	if _, n, err := DecodeList[string]([]byte(`{"other":[1]}`), "Data", 10); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	if _, _, err := DecodeList[string]([]byte(`{"Data":["a",`), "Data", 10); err == nil {
		t.Fatal("truncated JSON accepted")
	}
	if _, _, err := DecodeList[string]([]byte(`{"result":{}}`), "result", 10); err == nil {
		t.Fatal("an object accepted as a list")
	}
}

func TestSplitTruncated(t *testing.T) {
	tr := &Truncation{What: "senders", Cause: CauseItems, Items: 3}
	real := &Error{Kind: ErrUnavailable, Op: "list x"}
	ts, rest := SplitTruncated(errors.Join(nil, tr, real))
	if len(ts) != 1 || !errors.Is(rest, ErrUnavailable) || errors.Is(rest, ErrTruncated) {
		t.Fatal(ts, rest)
	}
	ts, rest = SplitTruncated(tr)
	if len(ts) != 1 || rest != nil || TruncationReason(ts) != "truncated at 3 items (item cap)" {
		t.Fatal(ts, rest)
	}
	if ts, rest := SplitTruncated(nil); ts != nil || rest != nil {
		t.Fatal(ts, rest)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for h, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		"-3":                            0,
		"99999999999":                   MaxReportedWait,
		"999999999999999999999":         0, // not a number Go can hold: ignored
		"Wed, 01 Jan 2025 00:01:00 GMT": time.Minute,
		"Fri, 01 Jan 9999 00:00:00 GMT": MaxReportedWait,
	} {
		if got := ParseRetryAfter(h, now); got != want {
			t.Errorf("%q: %v, want %v", h, got, want)
		}
	}
}

func TestBodyGate(t *testing.T) {
	g := NewBodyGate(1)
	ctx := context.Background()
	small := bytes.Repeat([]byte("a"), 1000)
	data, release, err := g.Read(ctx, bytes.NewReader(small), -1, 1<<20)
	release()
	if err != nil || !bytes.Equal(data, small) {
		t.Fatal(err)
	}
	large := bytes.Repeat([]byte("b"), FreeBody+10)
	data, release, err = g.Read(ctx, bytes.NewReader(large), -1, 1<<20)
	if err != nil || len(data) != len(large) {
		t.Fatal(len(data), err)
	}
	// The one slot is held: another large body waits for it.
	wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, _, err = g.Read(wctx, bytes.NewReader(large), int64(len(large)), 1<<20)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second large body: %v", err)
	}
	release()
	data, release, err = g.Read(ctx, bytes.NewReader(large), -1, 1<<20)
	release()
	if err != nil || len(data) != len(large) {
		t.Fatal(err)
	}
	_, release, err = g.Read(ctx, bytes.NewReader(bytes.Repeat([]byte("c"), 2<<20)), -1, 1<<20)
	release()
	if !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Fatal(err)
	}
	// A Content-Length over the cap fails at once.
	if _, _, err := g.Read(ctx, strings.NewReader(""), 2<<20, 1<<20); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatal(err)
	}
	// A too-large body frees its slot.
	_, release, err = g.Read(ctx, bytes.NewReader(large), -1, 1<<20)
	release()
	if err != nil {
		t.Fatal(err)
	}
}

func TestClip(t *testing.T) {
	if got := Clip("héllo", 2); got != "h…" {
		t.Fatal(got)
	}
	if got := Clip("short", 10); got != "short" {
		t.Fatal(got)
	}
}

// TestSectionParts: a part cut short never stops its siblings, each part
// keeps a share of the caps while it still reads, and the section's
// truncation names every part cut or not read (issue 11 review).
func TestSectionParts(t *testing.T) {
	t.Run("a repeated page stops only its part", func(t *testing.T) {
		s := Limits{}.Section("teammates")
		parts := s.Parts("teammates", "pending invites")
		mates, invites := parts[0], parts[1]
		l := mates.Listing()
		for l.More() {
			if _, more := l.Page(100, 500, 500, ids("m", 500)); !more {
				break
			}
		}
		mates.Done()
		if !invites.Next() {
			t.Fatal("the invites were not read after the teammates repeated a page")
		}
		invites.Read(100)
		if k := invites.Keep(1000); k != 1000 {
			t.Fatalf("kept %d invites", k)
		}
		invites.Done()
		want := "teammates: truncated at 1500 items: teammates truncated at 500 items (repeated page: page 2 repeated page 1)"
		if err := s.Err(); err == nil || err.Error() != want || !errors.Is(err, ErrTruncated) {
			t.Fatalf("%v, want %q", err, want)
		}
	})
	t.Run("each part keeps its share", func(t *testing.T) {
		s := Limits{MaxItems: 1000}.Section("senders")
		parts := s.Parts("verified senders", "sender identities")
		endless, other := parts[0], parts[1]
		l := endless.Listing()
		kept := 0
		for p := 0; l.More(); p++ {
			keep, more := l.Page(10, 100, min(100, endless.Remaining()), ids(fmt.Sprint(p, "-"), 100))
			kept += keep
			if !more {
				break
			}
		}
		if kept != 500 {
			t.Fatalf("the endless part kept %d, want its share of 500 while the other still reads", kept)
		}
		if !other.Next() || other.Remaining() != 500 {
			t.Fatalf("the other part has %d left", other.Remaining())
		}
		other.Read(10)
		other.Keep(20)
		other.Done()
		want := "senders: truncated at 520 items: verified senders truncated at 500 items (item cap)"
		if err := s.Err(); err == nil || err.Error() != want {
			t.Fatalf("%v, want %q", err, want)
		}
	})
	t.Run("a finished part frees its share", func(t *testing.T) {
		s := Limits{MaxItems: 1000}.Section("webhooks")
		parts := s.Parts("event webhooks", "inbound-parse settings")
		parts[0].Next()
		parts[0].Keep(10)
		parts[0].Done()
		if got := parts[1].Remaining(); got != 990 {
			t.Fatalf("%d left after the first part ended with 10", got)
		}
		if s.Err() != nil || s.Truncated() {
			t.Fatal(s.Err())
		}
	})
	t.Run("time limit", func(t *testing.T) {
		ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
		defer cancel()
		s := Limits{}.Section("teammates")
		parts := s.Parts("teammates", "pending invites")
		parts[0].Next()
		parts[0].Keep(500)
		parts[0].Next()
		if err := parts[0].Failed(ctx, errors.New("context deadline exceeded")); err != nil {
			t.Fatal(err)
		}
		parts[1].Next()
		if err := parts[1].Failed(ctx, errors.New("context deadline exceeded")); err != nil {
			t.Fatal(err)
		}
		want := "teammates: truncated at 500 items: teammates truncated at 500 items (time limit); pending invites not read (time limit)"
		if err := s.Err(); err == nil || err.Error() != want {
			t.Fatalf("%v, want %q", err, want)
		}
		// Before the deadline, a failure stays a failure.
		live := Limits{}.Section("subusers")
		boom := errors.New("boom")
		if err := live.Failed(context.Background(), boom); err != boom || live.Err() != nil {
			t.Fatal(err, live.Err())
		}
		live.Keep(7)
		if live.Failed(ctx, boom) != nil || live.Err().Error() != "subusers: truncated at 7 items (time limit)" {
			t.Fatal(live.Err())
		}
	})
}

// TestRepeatWithLessRoom: a page that repeats an earlier one is seen even
// when less of it is decoded (the section has less room left).
func TestRepeatWithLessRoom(t *testing.T) {
	s := Limits{MaxItems: 1500}.Section("senders")
	l := s.Listing()
	l.More()
	if keep, more := l.Page(100, 1000, 1000, ids("s", 1000)); keep != 1000 || !more {
		t.Fatal(keep, more)
	}
	l.More()
	if keep, more := l.Page(100, 1000, s.Remaining(), ids("s", 1000)); keep != 0 || more {
		t.Fatalf("the repeat kept %d", keep)
	}
	if got := s.Err().Error(); got != "senders: truncated at 1000 items: page 2 repeated page 1" {
		t.Fatal(got)
	}
}
