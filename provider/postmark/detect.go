// Package postmark declares the leak-scanner detectors for Postmark
// credentials.
package postmark

import "reclaim/provider"

func init() { provider.RegisterDetectors(Detector) }

// Detector finds Postmark server and account tokens. They are plain UUIDs,
// so a UUID counts only near the word "postmark" and only when the name it is
// assigned to says token ("POSTMARK_TOKEN=", "'token' =>",
// "X-Postmark-Server-Token:", "(token …)"). A MessageID, request id or any
// other UUID beside "postmark" in a log is not a token.
var Detector = provider.Detector{
	Name:     "postmark/token",
	Provider: "postmark",
	Anchors:  []string{"postmark"},
	Before:   120,
	After:    300,
	Find:     find,
	Samples:  samples,
}

// IsUUID reports whether b[i:] starts with a UUID (8-4-4-4-12 hex).
func IsUUID(b []byte, i, hi int) bool {
	if i+36 > hi || i+36 > len(b) {
		return false
	}
	for k := 0; k < 36; k++ {
		c := b[i+k]
		switch k {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !provider.Hex[c] {
				return false
			}
		}
	}
	return true
}

func find(w *provider.Window, emit func(provider.Match)) {
	b := w.Buf
	for i := w.Lo; i+36 <= w.Hi; i++ {
		if !provider.Hex[b[i]] || !provider.BoundaryBefore(b, i, w.Lo, &provider.TokenChar) {
			continue
		}
		if !IsUUID(b, i, w.Hi) || !provider.BoundaryAfter(b, i+36, w.Hi, &provider.TokenChar) {
			i = provider.RunEnd(b, i, w.Hi, &provider.TokenChar)
			continue
		}
		name := provider.NameBefore(b, i, w.Lo)
		if provider.ContainsFold(name, "token") && !provider.ContainsFold(name, "messageid") &&
			!w.Placeholder(b[i:i+36]) {
			kind := "server_token"
			if provider.ContainsFold(name, "account") {
				kind = "account_token"
			}
			emit(provider.Match{Kind: kind, Start: i, End: i + 36})
		}
		i += 35
	}
}
