package mailchimp

import (
	"math/rand/v2"

	"reclaim/provider"
)

// Context: 22 random key characters assigned to a generic name (key,
// secret, password, token) on a line or in a block that names Mandrill
// (provider.ContextRule), or the user of mandrill+api://KEY@default, are a
// Mandrill API key (Mandrill's SMTP password is an API key).
func init() {
	provider.RegisterContext(provider.ContextRule{
		Provider: "mandrill",
		Words:    []string{"mandrill"},
		Lens:     []int{22},
		Classify: classifyMandrill,
	}, mandrillContextSamples)
}

func classifyMandrill(n provider.Name, v []byte, w *provider.Window) (provider.Match, bool) {
	if len(v) != 22 || w.Placeholder(v) || !provider.Mixed(v) {
		return provider.Match{}, false
	}
	if n.Has(provider.NameKey | provider.NameSecret | provider.NamePass | provider.NameToken | provider.NameCred | provider.NameAuth | provider.NameURLUser) {
		return provider.Match{Kind: "api_key"}, true
	}
	return provider.Match{}, false
}

func mandrillContextSamples(r *rand.Rand) []provider.Sample {
	key := sampleString(r, provider.SampleAlnum, 11) + "Q7" + sampleString(r, provider.SampleAlnum, 9)
	return []provider.Sample{
		{Text: "mail:\n  driver: mandrill\n  secret: " + key, Secrets: []string{key}},
		{Text: "MAILER_DSN=mandrill+api://" + key + "@default", Secrets: []string{key}},
	}
}
