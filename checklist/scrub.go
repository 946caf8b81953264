package checklist

import (
	"regexp"
	"strings"
	"sync"

	"reclaim/provider"
)

var (
	scrubOnce sync.Once
	scrubRE   []*regexp.Regexp
)

// ScrubSecrets masks anything shaped like a credential of a registered
// provider, keeping a few characters at each end. It is the safety net for
// free text the user types (notes, answers) before it is saved.
func ScrubSecrets(s string) string {
	scrubOnce.Do(func() {
		seen := map[string]bool{}
		for _, info := range provider.All() {
			for _, kf := range info.KeyFormats {
				if kf.Pattern == "" || seen[kf.Pattern] || len(kf.ContextWords) > 0 {
					continue
				}
				seen[kf.Pattern] = true
				if re, err := regexp.Compile(kf.Pattern); err == nil {
					scrubRE = append(scrubRE, re)
				}
			}
		}
		// SendGrid's shape is always known, even with no adapter registered.
		if !seen[sendgridPattern] {
			scrubRE = append(scrubRE, regexp.MustCompile(sendgridPattern))
		}
	})
	for _, re := range scrubRE {
		s = re.ReplaceAllStringFunc(s, Redact)
	}
	return s
}

const sendgridPattern = `SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}`

// Redact shows a secret as its first and last few characters.
func Redact(secret string) string {
	if len(secret) <= 10 {
		return strings.Repeat("*", len(secret))
	}
	return secret[:4] + "…" + secret[len(secret)-3:]
}
