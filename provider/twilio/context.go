package twilio

import (
	"math/rand/v2"

	"reclaim/provider"
)

// Context: on a line or in a block that names Twilio
// (provider.ContextRule), a 32-hex value assigned to a generic name
// (token, auth, secret, password, key) is an auth token, and 32 mixed
// alphanumerics assigned to a secret, key, token or password name an API
// key secret, even with no SID near (the SIDs are the detector's).
func init() {
	provider.RegisterContext(provider.ContextRule{
		Provider: "twilio",
		Words:    []string{"twilio"},
		Lens:     []int{32},
		Classify: classifyContext,
	}, contextSamples)
}

func classifyContext(n provider.Name, v []byte, w *provider.Window) (provider.Match, bool) {
	if len(v) != 32 || w.Placeholder(v) {
		return provider.Match{}, false
	}
	if allHexLower(v) {
		if n.Has(provider.NameToken | provider.NameAuth | provider.NameSecret | provider.NamePass | provider.NameKey | provider.NameCred) {
			return provider.Match{Kind: "auth_token", Pair: "account_sid"}, true
		}
		return provider.Match{}, false
	}
	for _, c := range v {
		if !provider.Alnum[c] {
			return provider.Match{}, false
		}
	}
	if provider.Mixed(v) && n.Has(provider.NameSecret|provider.NameKey|provider.NameToken|provider.NamePass) {
		return provider.Match{Kind: "api_key_secret", Pair: "api_key_sid"}, true
	}
	return provider.Match{}, false
}

func contextSamples(r *rand.Rand) []provider.Sample {
	tok, sec := sampleString(r, sHex, 32), sampleString(r, sAn, 32)
	return []provider.Sample{
		{Text: "'twilio' => [\n    'token' => '" + tok + "',\n    'secret' => '" + sec + "',\n]", Secrets: []string{tok, sec}},
		{Text: "sms:\n  provider: twilio\n  password: " + tok, Secrets: []string{tok}},
	}
}
