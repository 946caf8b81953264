// Package mailchimp declares the leak-scanner detectors for Mailchimp
// Marketing API keys and Mandrill (Mailchimp Transactional) keys.
package mailchimp

import "reclaim/provider"

func init() { provider.RegisterDetectors(Mailchimp, MandrillPrefixed, MandrillNamed) }

// Mailchimp finds Marketing API keys: 32 lower-case hex, "-us", the data
// centre number (1 or 2 digits).
var Mailchimp = provider.Detector{
	Name:     "mailchimp/api_key",
	Provider: "mailchimp",
	Anchors:  []string{"-us"},
	Before:   40,
	After:    8,
	Find:     findMailchimp,
	Samples:  mailchimpSamples,
}

func findMailchimp(w *provider.Window, emit func(provider.Match)) {
	b, i := w.Buf, w.HitStart
	s := provider.RunStart(b, i, w.Lo, &provider.HexLower)
	if i-s != 32 || !provider.BoundaryBefore(b, s, w.Lo, &provider.TokenChar) {
		return
	}
	d := w.HitEnd
	e := provider.RunEnd(b, d, w.Hi, &digitClass)
	if e-d < 1 || e-d > 2 || !provider.BoundaryAfter(b, e, w.Hi, &provider.TokenChar) {
		return
	}
	if w.Placeholder(b[s:i]) {
		return
	}
	emit(provider.Match{Kind: "api_key", Start: s, End: e})
}

var digitClass = func() (c provider.ByteClass) {
	for b := '0'; b <= '9'; b++ {
		c[b] = true
	}
	return c
}()

// MandrillPrefixed finds Mandrill keys written with the "md-" prefix and 22
// key characters.
var MandrillPrefixed = provider.Detector{
	Name:     "mandrill/api_key",
	Provider: "mandrill",
	Anchors:  []string{"md-"},
	Before:   4,
	After:    30,
	Find:     findMandrillPrefixed,
	Samples:  mandrillPrefixedSamples,
}

func findMandrillPrefixed(w *provider.Window, emit func(provider.Match)) {
	b, i := w.Buf, w.HitStart
	if b[i] != 'm' || !provider.BoundaryBefore(b, i, w.Lo, &provider.TokenChar) {
		return
	}
	k := w.HitEnd
	if !provider.Exact(b, k, w.Hi, 22, &provider.TokenChar, &provider.TokenChar) {
		return
	}
	v := b[k : k+22]
	if w.Placeholder(v) || !provider.Mixed(v) {
		return
	}
	emit(provider.Match{Kind: "api_key", Start: i, End: k + 22})
}

// MandrillNamed finds bare 22-character Mandrill keys assigned to a name
// that says mandrill ("MANDRILL_API_KEY=…", "'mandrill_key' => '…'").
var MandrillNamed = provider.Detector{
	Name:     "mandrill/named_key",
	Provider: "mandrill",
	Anchors:  []string{"mandrill"},
	Before:   0,
	After:    60,
	Find:     findMandrillNamed,
	Samples:  mandrillNamedSamples,
}

func findMandrillNamed(w *provider.Window, emit func(provider.Match)) {
	b := w.Buf
	// the name runs on from the anchor; the value follows the assignment
	e := provider.RunEnd(b, w.HitEnd, w.Hi, &provider.NameChar)
	i := e
	for n := 0; i < w.Hi && n < 7; n++ {
		c := b[i]
		if c == '\'' || c == '"' || c == ' ' || c == '=' || c == ':' || c == '>' || c == ',' {
			i++
			continue
		}
		break
	}
	if i == e || i >= w.Hi || !provider.BoundaryBefore(b, i, w.Lo, &provider.TokenChar) {
		return
	}
	if !provider.Exact(b, i, w.Hi, 22, &provider.TokenChar, &provider.TokenChar) {
		return
	}
	v := b[i : i+22]
	if w.Placeholder(v) || !provider.Mixed(v) {
		return
	}
	emit(provider.Match{Kind: "api_key", Start: i, End: i + 22})
}
