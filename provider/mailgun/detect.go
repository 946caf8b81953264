// Package mailgun declares the leak-scanner detectors for Mailgun
// credentials.
package mailgun

import "reclaim/provider"

func init() { provider.RegisterDetectors(Legacy, Modern) }

// Legacy finds "key-" + 32 lower-case hex (private API key) and "pubkey-" +
// 32 hex (public validation key). The famous documentation example
// "key-3ax6xnjp29jd6fds4gc373sgvjxteol0" is not hex and never matches.
var Legacy = provider.Detector{
	Name:     "mailgun/key",
	Provider: "mailgun",
	Anchors:  []string{"key-"},
	Before:   8,
	After:    40,
	Find:     findLegacy,
	Samples:  legacySamples,
}

func findLegacy(w *provider.Window, emit func(provider.Match)) {
	b, i := w.Buf, w.HitStart
	kind := "api_key"
	start := i
	if i >= 3 && provider.HasPrefixFold(b, i-3, "pub") {
		kind, start = "public_key", i-3
	}
	if b[start] != 'k' && b[start] != 'p' {
		return
	}
	if !provider.BoundaryBefore(b, start, w.Lo, &provider.Alnum) {
		return
	}
	// "xkeysib-" ends in "sib-", not "key-"; but "monkey-…" must not count.
	if start > w.Lo && b[start-1] == '_' {
		return
	}
	h := w.HitEnd
	if !provider.Exact(b, h, w.Hi, 32, &provider.HexLower, &provider.TokenChar) {
		return
	}
	if w.Placeholder(b[h : h+32]) {
		return
	}
	emit(provider.Match{Kind: kind, Start: start, End: h + 32})
}

// Modern finds the newer Mailgun key format, 32 hex "-" 8 hex "-" 8 hex,
// which has no literal prefix: only near the word "mailgun".
var Modern = provider.Detector{
	Name:     "mailgun/api_key",
	Provider: "mailgun",
	Anchors:  []string{"mailgun"},
	Before:   300,
	After:    300,
	Find:     findModern,
	Samples:  modernSamples,
}

func findModern(w *provider.Window, emit func(provider.Match)) {
	b := w.Buf
	for i := w.Lo; i+50 <= w.Hi; i++ {
		if !provider.HexLower[b[i]] {
			continue
		}
		if !provider.BoundaryBefore(b, i, w.Lo, &provider.TokenChar) {
			i = provider.RunEnd(b, i, w.Hi, &provider.TokenChar)
			continue
		}
		e := provider.RunEnd(b, i, w.Hi, &provider.HexLower)
		if e-i != 32 || e+18 > w.Hi || b[e] != '-' || b[e+9] != '-' ||
			!provider.Exact(b, e+1, w.Hi, 8, &provider.HexLower, &provider.HexLower) ||
			!provider.Exact(b, e+10, w.Hi, 8, &provider.HexLower, &provider.TokenChar) {
			i = e
			continue
		}
		if !w.Placeholder(b[i:e]) {
			emit(provider.Match{Kind: "api_key", Start: i, End: e + 18})
		}
		i = e + 18
	}
}
