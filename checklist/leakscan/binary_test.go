package leakscan

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

func encodeUTF16(s string, be, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xfeff}, units...)
	}
	b := make([]byte, 2*len(units))
	for i, u := range units {
		if be {
			binary.BigEndian.PutUint16(b[2*i:], u)
		} else {
			binary.LittleEndian.PutUint16(b[2*i:], u)
		}
	}
	return b
}

// Keys in binary-looking files are found: NUL-headed (copytruncate) logs,
// UTF-16 with and without a byte-order mark, SQLite pages, a process's
// NUL-separated environment. Media, fonts, executables and archives are
// still skipped, by their first bytes whatever their names; the summary
// counts them and names the first.
func TestBinaryLookingFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	dir := t.TempDir()
	found := map[string]string{} // file -> key it must yield
	plantKey := func(rel string, body func(key string) []byte) {
		k := sgKey(r)
		writeFile(t, filepath.Join(dir, rel), body(k))
		found[rel] = k
	}
	line := func(k string) string {
		return "2024-03-12 worker started\nretrying with SENDGRID_API_KEY=" + k + " after 429\n"
	}
	// copytruncate: the writer kept its offset, the start is NULs
	plantKey("logs/app.log", func(k string) []byte { return append(make([]byte, 64<<10), line(k)...) })
	plantKey("win/transcript-le-bom.txt", func(k string) []byte { return encodeUTF16(line(k), false, true) })
	plantKey("win/transcript-le.txt", func(k string) []byte { return encodeUTF16(line(k), false, false) })
	plantKey("win/export-be-bom.reg", func(k string) []byte { return encodeUTF16(line(k), true, true) })
	plantKey("win/export-be.reg", func(k string) []byte { return encodeUTF16("é日本 "+line(k), true, false) })
	plantKey("db/wordpress.sqlite", func(k string) []byte {
		page := append([]byte("SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x20"), make([]byte, 4000)...)
		page = append(page, "\x0d\x00\x00\x00\x01\x0f\x8a\x00\x81\x05\x03\x1b\x81\x01wp_mail_smtp_api_key\x00"...)
		page = append(page, k...)
		return append(page, make([]byte, 4096)...)
	})
	plantKey("proc/environ", func(k string) []byte { return []byte("PATH=/usr/bin\x00SENDGRID_API_KEY=" + k + "\x00HOME=/root\x00") })
	// skipped by type, whatever the name, even with a key inside
	skipped := map[string][]byte{
		"bin/tool":          []byte("\x7fELF\x02\x01\x01\x00\x00\x00"),
		"bin/tool.exe.dat":  []byte("MZ\x90\x00\x03\x00\x00\x00"),
		"bin/macho":         []byte("\xcf\xfa\xed\xfe\x07\x00\x00\x01"),
		"img/avatar":        []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"),
		"img/photo.dat":     []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
		"img/anim":          []byte("GIF89a\x01\x00\x01\x00\x00\x00"),
		"fonts/x.bin":       []byte("wOF2\x00\x01\x00\x00"),
		"media/clip":        []byte("\x00\x00\x00\x20ftypisom\x00\x00\x02\x00"),
		"backup/site.tar.z": []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"),
	}
	for rel, head := range skipped {
		writeFile(t, filepath.Join(dir, rel), append(append(head, "\x00SENDGRID_API_KEY="...), sgKey(r)...))
	}
	writeFile(t, filepath.Join(dir, "img/logo.png"), []byte("not even a png, skipped by its name"))

	rep := guardedScan(t, []string{dir}, Options{})
	got := map[string]string{}
	for _, f := range rep.Findings {
		rel, _ := filepath.Rel(dir, f.File)
		got[rel] = f.Fingerprint
		if f.Line != 2 && !strings.HasPrefix(rel, "db/") && !strings.HasPrefix(rel, "proc/") {
			t.Errorf("%s: line %d, want 2", rel, f.Line)
		}
	}
	for rel, k := range found {
		if got[rel] != Fingerprint([]byte(k)) {
			t.Errorf("missed the key in %s", rel)
		}
	}
	if len(rep.Findings) != len(found) {
		t.Errorf("%d findings, want %d: %+v", len(rep.Findings), len(found), rep.Findings)
	}
	if rep.Binary != int64(len(skipped))+1 || rep.BinaryFirst != filepath.Join(dir, "backup/site.tar.z") || rep.BinaryScanned != int64(len(found)) {
		t.Errorf("binary skipped %d (first %q), scanned %d", rep.Binary, rep.BinaryFirst, rep.BinaryScanned)
	}
	out := outputs(t, rep)
	for _, want := range []string{
		"  Skipped 10 binary files by type (media, fonts, executables, archives), first: " + filepath.Join(dir, "backup/site.tar.z") + "\n",
		"  Read 7 binary-looking files for the text in them (UTF-16 decoded, or printable runs)\n",
	} {
		if !strings.Contains(string(out["text"]), want) {
			t.Errorf("text lacks %q:\n%s", want, out["text"])
		}
	}
	for _, want := range []string{`"binary_skipped": 10,`, `"binary_skipped_first": "` + filepath.Join(dir, "backup/site.tar.z") + `"`, `"binary_scanned": 7,`} {
		if !strings.Contains(string(out["json"]), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	if !strings.Contains(string(out["sarif"]), `"binarySkipped": 10,`) || !strings.Contains(string(out["sarif"]), `"binarySkippedFirst": "`) {
		t.Errorf("SARIF does not count the skipped binaries")
	}
}

// A UTF-16 file larger than a chunk: a key across the chunk boundary (in
// the raw bytes) is found once, on its line.
func TestUTF16ChunkBoundary(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	key := sgKey(r)
	// the first read is chunkSize+overlap raw bytes, the next chunkSize
	b1 := chunkSize + overlap
	line := strings.Repeat("é", 40) + strings.Repeat("a", 59) + "\n" // 200 bytes as UTF-16
	for _, be := range []bool{false, true} {
		for _, at := range []int{b1 - 100, b1 - 40, b1 - 2, b1, b1 + chunkSize - 60} {
			// the key's line starts at raw offset at
			pre := strings.Repeat(line, at/200) + strings.Repeat("b", at%200/2)
			body := pre + "key=" + key + "\n" + strings.Repeat(line, 8000)
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "t.txt"), encodeUTF16(body, be, false))
			rep := guardedScan(t, []string{dir}, Options{})
			want := strings.Count(pre, "\n") + 1
			if len(rep.Findings) != 1 || rep.Findings[0].Line != want {
				t.Errorf("be %v at %d: %+v, want one on line %d", be, at, rep.Findings, want)
			}
		}
	}
}

// The decoder, fed in pieces split anywhere, gives what unicode/utf16
// gives for the whole.
func TestUTF16Decoder(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	for n := range 2000 {
		var units []uint16
		for range r.IntN(40) {
			switch r.IntN(5) {
			case 0:
				units = append(units, uint16(0xd800+r.IntN(0x400))) // lone or paired surrogates
			case 1:
				units = append(units, uint16(0xdc00+r.IntN(0x400)))
			case 2:
				units = append(units, uint16(r.IntN(0x80)))
			default:
				units = append(units, uint16(r.IntN(0x10000)))
			}
		}
		be := n%2 == 1
		raw := make([]byte, 2*len(units))
		for i, u := range units {
			if be {
				binary.BigEndian.PutUint16(raw[2*i:], u)
			} else {
				binary.LittleEndian.PutUint16(raw[2*i:], u)
			}
		}
		if len(units) > 0 && units[0] == 0xfeff {
			units = units[1:] // a leading mark is dropped
		}
		want := string(utf16.Decode(units))
		var d utf16Decoder
		d.reset(map[bool]textMode{false: modeUTF16LE, true: modeUTF16BE}[be])
		var got []byte
		for rest := raw; ; {
			k := min(len(rest), r.IntN(7))
			got = d.decode(got, rest[:k], k == len(rest))
			rest = rest[k:]
			if len(rest) == 0 {
				break
			}
		}
		if string(got) != want || !utf8.Valid(got) {
			t.Fatalf("%x (be %v): got %q, want %q", raw, be, got, want)
		}
	}
}

func TestSniff(t *testing.T) {
	cases := []struct {
		in   []byte
		mode textMode
		kind string
	}{
		{append(make([]byte, 100), "log line\n"...), modeRaw, ""},
		{encodeUTF16("SENDGRID_API_KEY=abc\r\n", false, false), modeUTF16LE, ""},
		{encodeUTF16("SENDGRID_API_KEY=abc\r\n", true, false), modeUTF16BE, ""},
		{[]byte("SQLite format 3\x00\x10\x00"), modeRaw, ""},
		{[]byte("\x7fELF\x02\x01"), 0, "executable"},
		{[]byte("\x00\x00\x00\x18ftypmp42"), 0, "audio or video"},
		{[]byte("wOFF\x00\x01"), 0, "font"},
		{[]byte("PK\x03\x04\x14\x00"), 0, "compressed"},
	}
	for _, c := range cases {
		m, k := sniffBinary(c.in)
		if k != c.kind || (k == "" && m != c.mode) {
			t.Errorf("%q: mode %d kind %q, want %d %q", c.in, m, k, c.mode, c.kind)
		}
	}
	if m, ok := hasBOM16([]byte{0xff, 0xfe, 'a', 0}); !ok || m != modeUTF16LE {
		t.Error("LE mark")
	}
	if _, ok := hasBOM16([]byte("plain")); ok {
		t.Error("no mark")
	}
	if bytes.Contains([]byte(magicType([]byte("just text"))), []byte("x")) {
		t.Error("text has a type")
	}
}
