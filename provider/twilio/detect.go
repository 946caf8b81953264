// The leak-scanner detectors for Twilio credentials (Twilio also owns
// SendGrid, whose keys are in reclaim/provider/sendgrid).

package twilio

import "reclaim/provider"

func init() { provider.RegisterDetectors(Detector) }

// Detector finds, near the word "twilio" (or "account_sid"):
//   - Account SIDs, "AC" + 32 lower-case hex, paired with their auth token:
//     the nearest following stand-alone 32-hex value ("AC…:token",
//     "Client('AC…', 'token')", the next line of a .env), or a value
//     assigned to an auth-token name;
//   - API key SIDs, "SK" + 32 hex, paired with their secret: the nearest
//     following 32-alphanumeric value, or one assigned to an API-secret name.
//
// Message ("SM…") and call ("CA…") SIDs are identifiers, not credentials.
var Detector = provider.Detector{
	Name:     "twilio/credentials",
	Provider: "twilio",
	Anchors:  []string{"twilio", "account_sid"},
	Before:   160,
	After:    400,
	Find:     find,
	Samples:  samples,
}

const pairReach = 220 // how far after a SID its partner may be

func find(w *provider.Window, emit func(provider.Match)) {
	b := w.Buf
	for i := w.Lo; i+34 <= w.Hi; i++ {
		c := b[i]
		if !provider.Alnum[c] {
			continue
		}
		if !provider.BoundaryBefore(b, i, w.Lo, &provider.Alnum) {
			continue
		}
		e := provider.RunEnd(b, i, w.Hi, &provider.Alnum)
		n := e - i
		switch {
		case n == 34 && (c == 'A' && b[i+1] == 'C' || c == 'S' && b[i+1] == 'K') && allHexLower(b[i+2:e]) && provider.BoundaryAfter(b, e, w.Hi, &provider.TokenChar):
			if w.Placeholder(b[i+2 : e]) {
				break
			}
			sid := string(b[i:e])
			if c == 'A' {
				emit(provider.Match{Kind: "account_sid", Start: i, End: e, Pair: "auth_token", Public: true})
				if s, t, ok := partner(w, e, true); ok {
					emit(provider.Match{Kind: "auth_token", Start: s, End: t, Pair: "account_sid", PairID: sid})
				}
			} else {
				emit(provider.Match{Kind: "api_key_sid", Start: i, End: e, Pair: "api_key_secret", Public: true})
				if s, t, ok := partner(w, e, false); ok {
					emit(provider.Match{Kind: "api_key_secret", Start: s, End: t, Pair: "api_key_sid", PairID: sid})
				}
			}
		case n == 32 && provider.BoundaryAfter(b, e, w.Hi, &provider.TokenChar) && provider.BoundaryBefore(b, i, w.Lo, &provider.TokenChar):
			// a value assigned to an explicit Twilio secret name
			name := provider.NameBefore(b, i, w.Lo)
			v := b[i:e]
			switch {
			case isTokenName(name) && allHexLower(v) && !w.Placeholder(v):
				emit(provider.Match{Kind: "auth_token", Start: i, End: e, Pair: "account_sid"})
			case isSecretName(name) && provider.Mixed(v) && !w.Placeholder(v):
				emit(provider.Match{Kind: "api_key_secret", Start: i, End: e, Pair: "api_key_sid"})
			}
		}
		i = e
	}
}

func isTokenName(name []byte) bool {
	return provider.ContainsFold(name, "auth_token") || provider.ContainsFold(name, "authtoken") ||
		(provider.ContainsFold(name, "twilio") && provider.ContainsFold(name, "token"))
}

func isSecretName(name []byte) bool {
	return provider.ContainsFold(name, "twilio") && provider.ContainsFold(name, "secret") ||
		provider.ContainsFold(name, "api_key_secret") || provider.ContainsFold(name, "apikeysecret")
}

// partner finds the credential that pairs with a SID ending at from: the
// first stand-alone 32-character value within pairReach bytes (hex for an
// auth token, alphanumeric for an API key secret).
func partner(w *provider.Window, from int, hex bool) (int, int, bool) {
	b := w.Buf
	hi := min(w.Hi, from+pairReach)
	for i := from; i < hi; i++ {
		if !provider.Alnum[b[i]] {
			continue
		}
		e := provider.RunEnd(b, i, hi, &provider.Alnum)
		if e-i == 32 && provider.BoundaryBefore(b, i, w.Lo, &provider.TokenChar) && provider.BoundaryAfter(b, e, hi, &provider.TokenChar) {
			v := b[i:e]
			ok := allHexLower(v)
			if !hex {
				ok = provider.Mixed(v)
			}
			if ok && !w.Placeholder(v) {
				return i, e, true
			}
		}
		if e-i == 34 && (b[i] == 'A' && b[i+1] == 'C' || b[i] == 'S' && b[i+1] == 'K') && allHexLower(b[i+2:e]) && string(b[i:i+2]) != string(b[from-34:from-32]) {
			// another SID of the other kind starts a new pair: stop here
			return 0, 0, false
		}
		i = e
	}
	return 0, 0, false
}

func allHexLower(v []byte) bool {
	for _, c := range v {
		if !provider.HexLower[c] {
			return false
		}
	}
	return true
}
