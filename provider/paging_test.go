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
