package sendgrid

import "reclaim/provider"

// SendGrid API keys: "SG." + 22-char key id + "." + 43-char secret, both in
// the base64url alphabet. The key id is public: the audit matches it against
// the account's key list.
func init() { provider.RegisterDetectors(Detector) }

// Detector finds SendGrid API keys.
var Detector = provider.Detector{
	Name:     "sendgrid/api_key",
	Provider: "sendgrid",
	Anchors:  []string{"sg."},
	Before:   4,
	After:    80,
	Find:     findKey,
	Samples:  samples,
}

func findKey(w *provider.Window, emit func(provider.Match)) {
	b, i := w.Buf, w.HitStart
	if b[i] != 'S' || b[i+1] != 'G' {
		return
	}
	if !provider.BoundaryBefore(b, i, w.Lo, &provider.TokenChar) {
		return
	}
	id := i + 3
	if !provider.Exact(b, id, w.Hi, 22, &provider.TokenChar, &provider.TokenChar) {
		// the id is followed by '.', which is not a token byte
		return
	}
	if id+22 >= w.Hi || b[id+22] != '.' {
		return
	}
	sec := id + 23
	if !provider.Exact(b, sec, w.Hi, 43, &provider.TokenChar, &provider.TokenChar) {
		return
	}
	if w.Placeholder(b[id:id+22]) || w.Placeholder(b[sec:sec+43]) {
		return
	}
	emit(provider.Match{Kind: "api_key", Start: i, End: sec + 43, KeyID: string(b[id : id+22])})
}
