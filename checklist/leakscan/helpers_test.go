package leakscan

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"
)

// hangGuard is how long a scan may take before a case calls it hung: far
// above any real run (milliseconds), so that only a hang trips it.
const hangGuard = 60 * time.Second

// guardedScan scans roots, failing the test when the scan does not return
// within hangGuard.
func guardedScan(t testing.TB, roots []string, opt Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	rep, err := Scan(ctx, roots, opt)
	if ctx.Err() != nil {
		t.Fatalf("the scan of %q hung (no result within %s)", roots, hangGuard)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// outputs renders a report in every format.
func outputs(t testing.TB, rep *Report) map[string][]byte {
	t.Helper()
	var text, js, sarif bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteSARIF(&sarif, rep, "test"); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"json": js.Bytes(), "sarif": sarif.Bytes()} {
		if !json.Valid(b) {
			t.Fatalf("%s output is not valid JSON:\n%s", name, b)
		}
	}
	return map[string][]byte{"text": text.Bytes(), "json": js.Bytes(), "sarif": sarif.Bytes()}
}

// checkClean fails when out holds what a terminal could act on: a byte
// below 0x20 but \n and \t, DEL, invalid UTF-8, a C1 control, a bidi
// control, a zero-width or other invisible format character, a line or
// paragraph separator.
func checkClean(t testing.TB, name string, out []byte) {
	t.Helper()
	if bad := firstUnclean(out); bad >= 0 {
		lo, hi := max(0, bad-60), min(len(out), bad+20)
		t.Errorf("%s output has a raw control or invisible character at byte %d: %q", name, bad, out[lo:hi])
	}
}

func firstUnclean(out []byte) int {
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRune(out[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return i
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c,
			r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x2028, r == 0x2029:
			return i
		}
		i += size
	}
	return -1
}

func TestCheckCleanCatches(t *testing.T) {
	for _, s := range []string{"\x1b[2J", "a\rb", "\x07", "\x7f", "\u202e", "\u009b", "\x9b", "\u200b", "\ufeff", "\u2028"} {
		if firstUnclean([]byte("ok "+s)) < 0 {
			t.Errorf("%q passes", s)
		}
	}
	if firstUnclean([]byte("plain\ttext\nwith é, 日本 and \\u001b")) >= 0 {
		t.Error("clean text fails")
	}
}

func sgKey(r *rand.Rand) string { return "S" + "G." + rnd(r, anA, 22) + "." + rnd(r, anA, 43) }

func writeFile(t testing.TB, p string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
