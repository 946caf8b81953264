package checklist

import (
	"strings"

	"reclaim/provider"
)

// ScrubSecrets masks every credential a registered detector finds
// (provider.Detectors, the one definition of the providers' key shapes;
// the leak scanner uses the same), keeping a few characters at each end.
// It is the safety net for free text the user types (notes, answers,
// skip reasons) before it is saved, and for every report rendering.
// Public identifiers (a Twilio SID) stay readable.
func ScrubSecrets(s string) string {
	spans := provider.FindSecrets([]byte(s))
	if len(spans) == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp[0]])
		b.WriteString(Redact(s[sp[0]:sp[1]]))
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

// Redact shows a secret as its first and last few characters.
func Redact(secret string) string {
	if len(secret) <= 10 {
		return strings.Repeat("*", len(secret))
	}
	return secret[:4] + "…" + secret[len(secret)-3:]
}
