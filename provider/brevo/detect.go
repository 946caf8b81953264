// Package brevo declares the leak-scanner detectors for Brevo (formerly
// Sendinblue) credentials.
package brevo

import "reclaim/provider"

func init() { provider.RegisterDetectors(Detector) }

// Detector finds Brevo API keys ("xkeysib-") and SMTP keys ("xsmtpsib-"):
// the prefix, 64 lower-case hex, "-", 16 alphanumerics.
var Detector = provider.Detector{
	Name:     "brevo/key",
	Provider: "brevo",
	Anchors:  []string{"xkeysib-", "xsmtpsib-"},
	Before:   4,
	After:    100,
	Find:     find,
	Samples:  samples,
}

func find(w *provider.Window, emit func(provider.Match)) {
	b, i := w.Buf, w.HitStart
	kind := "api_key"
	if b[i+1] == 's' {
		kind = "smtp_key"
	}
	if b[i] != 'x' || !provider.BoundaryBefore(b, i, w.Lo, &provider.Alnum) {
		return
	}
	h := w.HitEnd
	if !provider.Exact(b, h, w.Hi, 64, &provider.HexLower, &provider.Alnum) {
		return
	}
	if h+64 >= w.Hi || b[h+64] != '-' {
		return
	}
	t := h + 65
	if !provider.Exact(b, t, w.Hi, 16, &provider.Alnum, &provider.TokenChar) {
		return
	}
	if w.Placeholder(b[h:h+64]) || w.Placeholder(b[t:t+16]) {
		return
	}
	emit(provider.Match{Kind: kind, Start: i, End: t + 16})
}
