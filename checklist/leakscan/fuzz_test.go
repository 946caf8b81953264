package leakscan

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
)

// scanOnce runs data through a fresh scanner as one chunk of an access log
// (and, for a final chunk, the "also exposed" pass).
func scanOnce(data []byte, final bool) *fileScanner {
	s := &fileScanner{e: getEngine(), path: "/fuzz/access.log", isLog: true, isPHP: true, final: final, lastProbe: -1}
	s.scanChunk(data)
	if final {
		_ = alsoExposed(data, s.path, s.res.spans, true)
	}
	return s
}

// hugeInputs are the inputs that must stay linear: a huge line, dense
// anchors, binary data, dense assignments.
func hugeInputs() map[string][]byte {
	return map[string][]byte{
		"long-line":        bytes.Repeat([]byte("a"), 8<<20),
		"dense-anchors":    bytes.Repeat([]byte("mailgun postmark twilio mailjet "), 64<<10),
		"binary":           bytes.Repeat([]byte{0, 0xff, 'S', 'G', '.', '-'}, 1<<20),
		"dense-assignment": bytes.Repeat([]byte("DB_PASSWORD="), 200<<10),
	}
}

// fuzzScan runs one buffer through the scanner as a final chunk and as a
// middle chunk; it must not panic, and its findings must be well formed.
// (How long it takes is BenchmarkScanHugeInputs: no wall-clock limit in a
// test, which the race detector or a loaded machine would trip.)
func fuzzScan(t *testing.T, data []byte) { checkScan(t, data) }

// checkScan is fuzzScan; it returns the findings and probes seen.
func checkScan(t testing.TB, data []byte) (found int) {
	for _, final := range []bool{true, false} {
		s := scanOnce(data, final)
		found += len(s.res.findings) + len(s.probes)
		for _, f := range s.res.findings {
			if f.Line < 1 || !strings.HasPrefix(f.Fingerprint, "sha256:") {
				t.Fatalf("bad finding %+v", f)
			}
		}
	}
	return found
}

func FuzzScanChunk(f *testing.F) {
	f.Add([]byte("SENDGRID_API_KEY=SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"))
	f.Add([]byte("xkeysib-" + strings.Repeat("ab", 40) + "\x00\x01\xff"))
	f.Add([]byte(`1.2.3.4 - - [12/Mar/2024:10:00:00 +0000] "GET /.env HTTP/1.1" 200 1 "-" "x"` + "\n"))
	f.Add([]byte(`"GET /?0x[]=androxgh0st`))
	f.Add([]byte("mailjet Basic " + strings.Repeat("QUJD", 30)))
	f.Add([]byte("postmark token 00000000-0000-0000-0000-00000000000"))
	f.Add([]byte("twilio AC" + strings.Repeat("a", 32) + ":" + strings.Repeat("b", 32)))
	f.Add(bytes.Repeat([]byte("key-"), 1000))
	f.Add(bytes.Repeat([]byte("mailgun"), 500))
	f.Add([]byte("phpinfo(app_debug=true"))
	f.Fuzz(fuzzScan)
}

// Huge lines, binary data and dense anchors: no panic, no finding in
// what holds no key. That they stay linear is BenchmarkScanHugeInputs.
func TestScanHugeInputs(t *testing.T) {
	for name, data := range hugeInputs() {
		if n := checkScan(t, data); n != 0 {
			t.Errorf("%s: %d findings or probes in a buffer with no key", name, n)
		}
	}
}

// The pair prefilter must report exactly what the Aho-Corasick DFA reports.
func FuzzMatcherEquivalence(f *testing.F) {
	f.Add([]byte("SG.x xkeysib- KEY-key- mailgun MAILJET mj_api /.env /.git/ -us md- apiconnect( phpinfo( app_debug"))
	f.Add([]byte("pubkey-pubkey-sg.sg.sg."))
	f.Fuzz(func(t *testing.T, data []byte) {
		m := getEngine().m
		type h struct{ p, e int }
		var a, b []h
		m.scan(data, func(p, e int) bool { a = append(a, h{p, e}); return true })
		m.scanDFA(data, func(p, e int) bool { b = append(b, h{p, e}); return true })
		key := func(x h) int { return x.e*1000 + x.p }
		slices.SortFunc(a, func(x, y h) int { return key(x) - key(y) })
		slices.SortFunc(b, func(x, y h) int { return key(x) - key(y) })
		if !slices.Equal(a, b) {
			t.Fatalf("prefilter %v, DFA %v", a, b)
		}
	})
}

// The prefilter reads eight positions per step and the rest one by one:
// every anchor, in mixed case, at every offset of buffers of every length
// around the step size, and random text made of the anchors' bytes, must
// give what the DFA gives.
func TestMatcherEquivalenceAlignments(t *testing.T) {
	m := getEngine().m
	type h struct{ p, e int }
	check := func(data []byte) {
		var a, b []h
		m.scan(data, func(p, e int) bool { a = append(a, h{p, e}); return true })
		m.scanDFA(data, func(p, e int) bool { b = append(b, h{p, e}); return true })
		key := func(x h) int { return x.e*1000 + x.p }
		slices.SortFunc(a, func(x, y h) int { return key(x) - key(y) })
		slices.SortFunc(b, func(x, y h) int { return key(x) - key(y) })
		if !slices.Equal(a, b) {
			t.Fatalf("%q: prefilter %v, DFA %v", data, a, b)
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	var alphabet []byte
	for _, p := range m.pats {
		for i := 0; i < len(p); i++ {
			alphabet = append(alphabet, p[i], byte(unicode.ToUpper(rune(p[i]))))
		}
	}
	for _, p := range m.pats {
		for n := len(p); n <= len(p)+26; n++ {
			for off := 0; off+len(p) <= n; off++ {
				data := bytes.Repeat([]byte{'z'}, n)
				for i := 0; i < len(p); i++ {
					c := p[i]
					if r.IntN(2) == 0 {
						c = byte(unicode.ToUpper(rune(c)))
					}
					data[off+i] = c
				}
				check(data)
			}
		}
	}
	for range 20000 {
		data := make([]byte, r.IntN(64))
		for i := range data {
			data[i] = alphabet[r.IntN(len(alphabet))]
		}
		check(data)
		// the machine's block step and the portable one agree
		for i := range min(len(data), 9) {
			if a, b := nextBlock(m.pairTab, data, i), nextBlockPortable(m.pairTab, data, i); a != b {
				t.Fatalf("%q from %d: nextBlock %d, portable %d", data, i, a, b)
			}
		}
	}
}
