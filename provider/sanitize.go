package provider

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Replacement stands in for every character Sanitize removes, so that
// tampering stays visible instead of silently disappearing.
const Replacement = '\uFFFD'

// Sanitize makes attacker-controlled text (key names, teammate names, URLs,
// subjects) safe to show in a terminal: escape and control characters
// (C0, DEL, C1), bidirectional overrides and isolates, zero-width and other
// invisible format characters, and invalid UTF-8 each become U+FFFD.
// Newlines and tabs become spaces: a provider string is always one line.
func Sanitize(s string) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteRune(Replacement)
		case r == '\n' || r == '\t' || r == '\r':
			b.WriteByte(' ')
		case unsafeRune(r):
			b.WriteRune(Replacement)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SanitizeN sanitizes and caps s at n runes, marking a cut with "…".
func SanitizeN(s string, n int) string {
	s = Sanitize(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

func unsafeRune(r rune) bool {
	if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
		return true
	}
	switch {
	case r >= 0x202a && r <= 0x202e, // LRE RLE PDF LRO RLO
		r >= 0x2066 && r <= 0x2069,                           // LRI RLI FSI PDI
		r == 0x200e || r == 0x200f || r == 0x061c,            // LRM RLM ALM
		r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, // zero-width
		r == 0x2028 || r == 0x2029: // line and paragraph separators
		return true
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) || r == utf8.RuneError
}

// TerminalSafeJSON escapes, as \uXXXX, every character in the JSON
// document b that Sanitize would remove and encoding/json leaves raw: DEL,
// C1 controls, bidirectional overrides, zero-width and other invisible
// characters (encoding/json already escapes C0 controls). The JSON decodes
// to exactly the same strings, yet is harmless when printed to a terminal.
// It is the escaping of `reclaim audit --json`, plus DEL.
func TerminalSafeJSON(b []byte) []byte {
	i := 0
	for i < len(b) && b[i] < 0x7f {
		i++
	}
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+len(b)/16)
	out = append(out, b[:i]...)
	b = b[i:]
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if (r == 0x7f || r >= 0x80) && Sanitize(string(r)) != string(r) {
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				out = fmt.Appendf(out, "\\u%04x\\u%04x", r1, r2)
			} else {
				out = fmt.Appendf(out, "\\u%04x", r)
			}
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}
