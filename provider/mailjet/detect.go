package mailjet

import (
	"encoding/base64"

	"reclaim/provider"
)

// Mailjet credentials are a pair of 32-hex values (API key and secret key)
// that carry no prefix, so they are recognised by context: the names
// MJ_APIKEY_PUBLIC / MJ_APIKEY_PRIVATE, MAILJET_APIKEY / MAILJET_APISECRET,
// 'key'/'secret' and SMTP user/password near "mailjet", the two arguments of
// apiConnect('key', 'secret'), an "Authorization: Basic" header (base64 of
// key:secret) near "mailjet", and the v4/SMS bearer token (32
// alphanumerics) assigned to a token name. A credential whose public API key
// is known carries KeyRef of it as its KeyID, for MatchLeak.
func init() { provider.RegisterDetectors(Named, APIConnect) }

// Named finds Mailjet credentials assigned to names near a Mailjet word.
var Named = provider.Detector{
	Name:     "mailjet/named",
	Provider: "mailjet",
	Anchors:  []string{"mailjet", "mj_api"},
	Before:   240,
	After:    320,
	Find:     findNamed,
	Samples:  namedSamples,
}

// APIConnect finds the key pair passed to apiConnect('key', 'secret').
var APIConnect = provider.Detector{
	Name:     "mailjet/apiconnect",
	Provider: "mailjet",
	Anchors:  []string{"apiconnect("},
	Before:   0,
	After:    100,
	Find:     findAPIConnect,
	Samples:  apiConnectSamples,
}

// otherProviders are words that make a name belong to someone else.
var otherProviders = []string{"twilio", "mailgun", "postmark", "sendgrid", "brevo", "sendinblue", "mailchimp", "mandrill", "stripe", "aws", "pusher", "github", "sid"}

func findNamed(w *provider.Window, emit func(provider.Match)) {
	b := w.Buf
	for i := w.Lo; i+32 <= w.Hi; i++ {
		if !provider.Alnum[b[i]] {
			continue
		}
		if !provider.BoundaryBefore(b, i, w.Lo, &provider.TokenChar) {
			i = provider.RunEnd(b, i, w.Hi, &provider.TokenChar)
			continue
		}
		e := provider.RunEnd(b, i, w.Hi, &provider.Alnum)
		if e-i < 32 || e-i > 100 {
			i = e
			continue
		}
		if e-i == 32 && provider.BoundaryAfter(b, e, w.Hi, &provider.TokenChar) {
			v := b[i:e]
			name := provider.NameBefore(b, i, w.Lo)
			if kind := kindOf(name, isHexLower(v)); kind != "" && !w.Placeholder(v) &&
				!provider.OtherWordBetween(b, w.HitStart, w.HitEnd, i, e, "mailjet") {
				if kind != "v4_token" || provider.Mixed(v) {
					m := provider.Match{Kind: kind, Start: i, End: e}
					if kind == "api_key" {
						m.KeyID = KeyRef(v)
					}
					emit(m)
				}
			}
			i = e
			continue
		}
		// Basic key:secret header
		if i >= 6 && provider.HasPrefixFold(b, i-6, "basic ") && i-6 >= w.Lo {
			be := provider.RunEnd(b, i, w.Hi, &provider.Base64)
			if s, ok := decodePair(b[i:be]); ok {
				emit(provider.Match{Kind: "basic_auth", Start: i, End: be, Pair: "api_key:secret_key", PairID: s, KeyID: KeyRef([]byte(s))})
			}
			i = be
			continue
		}
		i = e
	}
}

// kindOf maps the name a value is assigned to onto a credential kind, or ""
// when the name is not a Mailjet credential name.
func kindOf(name []byte, hex bool) string {
	if len(name) == 0 {
		return ""
	}
	for _, p := range otherProviders {
		if provider.ContainsFold(name, p) {
			return ""
		}
	}
	has := func(s ...string) bool {
		for _, x := range s {
			if provider.ContainsFold(name, x) {
				return true
			}
		}
		return false
	}
	switch {
	case !hex:
		if has("token") {
			return "v4_token"
		}
		return ""
	case has("token"):
		return "v4_token"
	case has("private", "secret", "pass"):
		return "secret_key"
	case has("public", "apikey", "api_key", "key", "user"):
		return "api_key"
	}
	return ""
}

func findAPIConnect(w *provider.Window, emit func(provider.Match)) {
	b := w.Buf
	i := w.HitEnd
	var spans [2][2]int
	for k := 0; k < 2; k++ {
		for i < w.Hi && (b[i] == ' ' || b[i] == '\t' || b[i] == ',' || b[i] == '\'' || b[i] == '"' || b[i] == '`') {
			i++
		}
		e := provider.RunEnd(b, i, w.Hi, &provider.Alnum)
		if e-i != 32 || !isHexLower(b[i:e]) || w.Placeholder(b[i:e]) {
			return
		}
		spans[k] = [2]int{i, e}
		i = e
	}
	key := string(b[spans[0][0]:spans[0][1]])
	ref := KeyRef(b[spans[0][0]:spans[0][1]])
	emit(provider.Match{Kind: "api_key", Start: spans[0][0], End: spans[0][1], Pair: "secret_key", KeyID: ref})
	emit(provider.Match{Kind: "secret_key", Start: spans[1][0], End: spans[1][1], Pair: "api_key", PairID: key, KeyID: ref})
}

// decodePair decodes base64 "key:secret" (each at least 16 alphanumerics)
// without allocating on the heap, returning the public key part.
func decodePair(enc []byte) (string, bool) {
	if len(enc) < 44 || len(enc) > 200 {
		return "", false
	}
	var dst [160]byte
	n, err := base64.StdEncoding.Decode(dst[:], enc)
	if err != nil {
		return "", false
	}
	d := dst[:n]
	colon := -1
	for k, c := range d {
		if c == ':' && colon < 0 {
			colon = k
			continue
		}
		if !provider.Alnum[c] {
			return "", false
		}
	}
	if colon < 16 || n-colon-1 < 16 {
		return "", false
	}
	return string(d[:colon]), true
}

func isHexLower(v []byte) bool {
	for _, c := range v {
		if !provider.HexLower[c] {
			return false
		}
	}
	return true
}
