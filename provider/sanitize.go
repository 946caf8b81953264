package provider

import (
	"strings"
	"unicode"
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
