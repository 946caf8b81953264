package leakscan

import (
	"bytes"
	"unicode/utf8"
)

// Binary-looking files. A NUL byte in the first 8 KB used to end the read;
// but copytruncate logs start with a hole of NULs, SQLite files hold their
// rows as plain text between binary headers, and UTF-16 files (Windows
// tools, PowerShell transcripts, .reg exports) have a NUL in every other
// byte. So a file with a NUL in its first 8 KB is:
//
//   - skipped, when its first bytes say it is media, a font, an executable
//     or compressed (magicType): nothing in it is readable text;
//   - decoded, when it is UTF-16 (a byte-order mark, or NULs in every other
//     byte), and the decoded text is scanned;
//   - otherwise scanned as it is: NULs and the other binary bytes match no
//     anchor and end every token, so what is found is what `strings` would
//     show, at the cost of one pass, with line numbers still right for a
//     NUL-headed log.
//
// All of this runs only for files with a NUL in their first 8 KB (or a
// UTF-16 byte-order mark): text files pay one IndexByte, as before.

// textMode is how a file's bytes are scanned.
type textMode uint8

const (
	modeText    textMode = iota // as they are: a text file
	modeRaw                     // as they are: a binary-looking file, read for its printable runs
	modeUTF16LE                 // decoded from UTF-16
	modeUTF16BE
)

// magic is a file type recognised by its first bytes.
type magic struct {
	off  int
	sig  string
	kind string
}

var magics = []magic{
	// executables and compiled code
	{0, "\x7fELF", "executable"},
	{0, "MZ", "executable"},
	{0, "\xfe\xed\xfa\xce", "executable"}, {0, "\xfe\xed\xfa\xcf", "executable"},
	{0, "\xce\xfa\xed\xfe", "executable"}, {0, "\xcf\xfa\xed\xfe", "executable"},
	{0, "\xca\xfe\xba\xbe", "executable"}, // Mach-O universal, Java class
	{0, "\x00asm", "executable"},
	// images
	{0, "\x89PNG\r\n\x1a\n", "image"},
	{0, "\xff\xd8\xff", "image"},
	{0, "GIF87a", "image"}, {0, "GIF89a", "image"},
	{0, "II*\x00", "image"}, {0, "MM\x00*", "image"},
	{0, "\x00\x00\x01\x00", "image"}, {0, "\x00\x00\x02\x00", "image"}, // ICO, CUR
	{0, "BM", "image"},
	{0, "8BPS", "image"},
	// fonts
	{0, "wOFF", "font"}, {0, "wOF2", "font"},
	{0, "\x00\x01\x00\x00", "font"}, {0, "OTTO", "font"}, {0, "ttcf", "font"},
	// audio and video
	{4, "ftyp", "audio or video"}, // MP4, MOV, M4A, HEIC, AVIF
	{0, "RIFF", "audio or video"}, // WAV, AVI, WebP
	{0, "\x1a\x45\xdf\xa3", "audio or video"},
	{0, "OggS", "audio or video"}, {0, "fLaC", "audio or video"}, {0, "ID3", "audio or video"},
	{0, "FLV", "audio or video"},
	// compressed: a key inside is not readable
	{0, "\x1f\x8b", "compressed"},
	{0, "PK\x03\x04", "compressed"}, {0, "PK\x05\x06", "compressed"},
	{0, "BZh", "compressed"},
	{0, "\xfd7zXZ\x00", "compressed"},
	{0, "\x28\xb5\x2f\xfd", "compressed"},
	{0, "7z\xbc\xaf\x27\x1c", "compressed"},
	{0, "Rar!\x1a\x07", "compressed"},
	{0, "\x04\x22\x4d\x18", "compressed"},
	{0, "\x78\x01", "compressed"}, {0, "\x78\x5e", "compressed"}, {0, "\x78\x9c", "compressed"}, {0, "\x78\xda", "compressed"},
	{0, "%PDF-", "document"},
}

// magicType names the type of a file whose first bytes show it is media,
// a font, an executable or compressed; "" when they do not.
func magicType(b []byte) string {
	for _, m := range magics {
		if len(b) >= m.off+len(m.sig) && string(b[m.off:m.off+len(m.sig)]) == m.sig {
			return m.kind
		}
	}
	return ""
}

// hasBOM16 reports whether b starts with a UTF-16 byte-order mark, and
// which.
func hasBOM16(b []byte) (textMode, bool) {
	if len(b) >= 2 {
		switch {
		case b[0] == 0xff && b[1] == 0xfe:
			return modeUTF16LE, true
		case b[0] == 0xfe && b[1] == 0xff:
			return modeUTF16BE, true
		}
	}
	return modeText, false
}

// sniffBinary decides how to read a file with a NUL in sniff (its first
// bytes): skipped (kind != ""), decoded from UTF-16, or read raw.
func sniffBinary(sniff []byte) (textMode, string) {
	if k := magicType(sniff); k != "" {
		return 0, k
	}
	if m := utf16Order(sniff); m != modeText {
		return m, ""
	}
	return modeRaw, ""
}

// utf16Order tells UTF-16 without a byte-order mark by its NULs: in text
// of mostly ASCII characters, most two-byte units are a character and a
// NUL, in the same order. A NUL-headed log (pairs of NULs, then pairs of
// characters) or a database page is neither.
func utf16Order(b []byte) textMode {
	var le, be, units int
	for i := 0; i+1 < len(b); i += 2 {
		lo, hi := b[i], b[i+1]
		units++
		switch {
		case lo != 0 && hi == 0:
			le++
		case lo == 0 && hi != 0:
			be++
		}
	}
	switch {
	case units >= 4 && le*10 >= units*4 && be*8 <= le:
		return modeUTF16LE
	case units >= 4 && be*10 >= units*4 && le*8 <= be:
		return modeUTF16BE
	}
	return modeText
}

// utf16Decoder turns UTF-16 into UTF-8 a chunk at a time: an odd byte or
// a high surrogate at the end of a chunk waits for the next.
type utf16Decoder struct {
	be      bool
	started bool // the first unit was seen (a byte-order mark is dropped)
	odd     bool // oddByte waits for its pair
	oddByte byte
	hi      uint16 // a high surrogate waiting for its low half, or 0
}

func (d *utf16Decoder) reset(m textMode) { *d = utf16Decoder{be: m == modeUTF16BE} }

// decode appends the UTF-8 for src to dst; final flushes what waits.
func (d *utf16Decoder) decode(dst, src []byte, final bool) []byte {
	i := 0
	if d.odd && len(src) > 0 {
		var u uint16
		if d.be {
			u = uint16(d.oddByte)<<8 | uint16(src[0])
		} else {
			u = uint16(d.oddByte) | uint16(src[0])<<8
		}
		d.odd = false
		dst = d.put(dst, u)
		i = 1
	}
	for ; i+1 < len(src); i += 2 {
		var u uint16
		if d.be {
			u = uint16(src[i])<<8 | uint16(src[i+1])
		} else {
			u = uint16(src[i]) | uint16(src[i+1])<<8
		}
		if u < 0x80 && d.hi == 0 && d.started {
			dst = append(dst, byte(u))
			continue
		}
		dst = d.put(dst, u)
	}
	if i < len(src) {
		d.odd, d.oddByte = true, src[i]
	}
	if final && (d.hi != 0 || d.odd) {
		dst = utf8.AppendRune(dst, utf8.RuneError)
		d.hi, d.odd = 0, false
	}
	return dst
}

func (d *utf16Decoder) put(dst []byte, u uint16) []byte {
	if !d.started {
		d.started = true
		if u == 0xfeff {
			return dst
		}
	}
	switch {
	case u >= 0xd800 && u < 0xdc00:
		if d.hi != 0 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		}
		d.hi = u
		return dst
	case u >= 0xdc00 && u < 0xe000:
		if d.hi == 0 {
			return utf8.AppendRune(dst, utf8.RuneError)
		}
		r := (rune(d.hi)-0xd800)<<10 | (rune(u) - 0xdc00) + 0x10000
		d.hi = 0
		return utf8.AppendRune(dst, r)
	}
	if d.hi != 0 {
		dst = utf8.AppendRune(dst, utf8.RuneError)
		d.hi = 0
	}
	if u < 0x80 {
		return append(dst, byte(u))
	}
	return utf8.AppendRune(dst, rune(u))
}

// hasNUL reports whether b holds a NUL byte.
func hasNUL(b []byte) bool { return bytes.IndexByte(b, 0) >= 0 }
