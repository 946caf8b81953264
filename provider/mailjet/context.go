package mailjet

import (
	"math/rand/v2"

	"reclaim/provider"
)

// Context: a 32-hex value assigned to a generic name on a line or in a
// block that names Mailjet (provider.ContextRule): "key"/"user"/"public"
// is the API key, "secret"/"password"/"private" the secret key, "token"
// the v4 bearer token (also 32 alphanumerics); the user and password of
// smtp://key:secret@in-v3.mailjet.com or mailjet+api://key:secret@default.
func init() {
	provider.RegisterContext(provider.ContextRule{
		Provider: "mailjet",
		Words:    []string{"mailjet"},
		Lens:     []int{32},
		Classify: classifyContext,
	}, contextSamples)
}

func classifyContext(n provider.Name, v []byte, w *provider.Window) (provider.Match, bool) {
	if len(v) != 32 || w.Placeholder(v) {
		return provider.Match{}, false
	}
	if isHexLower(v) {
		switch {
		case n.Has(provider.NameToken | provider.NameBearer):
			return provider.Match{Kind: "v4_token"}, true
		case n.Has(provider.NameSecret | provider.NamePrivate | provider.NamePass):
			return provider.Match{Kind: "secret_key"}, true
		case n.Has(provider.NameKey | provider.NameUser | provider.NamePublic):
			return provider.Match{Kind: "api_key", KeyID: KeyRef(v)}, true
		}
		return provider.Match{}, false
	}
	for _, c := range v {
		if !provider.Alnum[c] {
			return provider.Match{}, false
		}
	}
	if n.Has(provider.NameToken|provider.NameBearer) && provider.Mixed(v) {
		return provider.Match{Kind: "v4_token"}, true
	}
	return provider.Match{}, false
}

func contextSamples(r *rand.Rand) []provider.Sample {
	key, sec, tok := sampleString(r, hexA, 32), sampleString(r, hexA, 32), sampleString(r, anA, 32)
	return []provider.Sample{
		{Text: "mailjet:\n  enabled: true\n  user: " + key + "\n  password: " + sec, Secrets: []string{key, sec}},
		{Text: "MAILER_DSN=mailjet+api://" + key + ":" + sec + "@default", Secrets: []string{key, sec}},
		{Text: "[mailjet]\nbearer = " + tok, Secrets: []string{tok}},
	}
}
