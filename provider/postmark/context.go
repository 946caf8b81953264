package postmark

import (
	"math/rand/v2"

	"reclaim/provider"
)

// Context: a UUID assigned to a generic name (token, key, secret,
// password, user, …) on a line or in a block that names Postmark
// (provider.ContextRule): a server token, or an account token when the
// name says "account". Postmark's SMTP user and password are both the
// server token. A MessageID is never a generic name.
func init() {
	provider.RegisterContext(provider.ContextRule{
		Provider: "postmark",
		Words:    []string{"postmark"},
		Lens:     []int{36},
		Classify: classifyContext,
	}, contextSamples)
}

func classifyContext(n provider.Name, v []byte, w *provider.Window) (provider.Match, bool) {
	if !IsUUID(v, 0, len(v)) || len(v) != 36 || w.Placeholder(v) {
		return provider.Match{}, false
	}
	const names = provider.NameToken | provider.NameKey | provider.NameSecret | provider.NamePass | provider.NameUser |
		provider.NameAuth | provider.NameCred | provider.NameBearer | provider.NameURLUser | provider.NameURLPass
	if !n.Has(names) {
		return provider.Match{}, false
	}
	if n.Has(provider.NameAccount) {
		return provider.Match{Kind: "account_token"}, true
	}
	return provider.Match{Kind: "server_token"}, true
}

func contextSamples(r *rand.Rand) []provider.Sample {
	tok := sampleString(r, sHex, 8) + "-" + sampleString(r, sHex, 4) + "-4" + sampleString(r, sHex, 3) + "-b" + sampleString(r, sHex, 3) + "-" + sampleString(r, sHex, 12)
	acc := sampleString(r, sHex, 8) + "-" + sampleString(r, sHex, 4) + "-4" + sampleString(r, sHex, 3) + "-9" + sampleString(r, sHex, 3) + "-" + sampleString(r, sHex, 12)
	return []provider.Sample{
		{Text: "postmark:\n  api_key: " + tok + "\n  account: { secret: " + acc + " }", Secrets: []string{tok, acc}},
		{Text: "MAIL_HOST=smtp.postmarkapp.com\nMAIL_PASSWORD=" + tok, Secrets: []string{tok}},
	}
}
