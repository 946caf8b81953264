package mailchimp

import (
	"math/rand/v2"

	"reclaim/provider"
)

var sampleString = provider.SampleString

const sHex, sAn = provider.SampleHex, provider.SampleAlnum

func mailchimpSamples(r *rand.Rand) []provider.Sample {
	key := sampleString(r, sHex, 32) + "-us21"
	return []provider.Sample{
		{Text: "MAILCHIMP_API_KEY=" + key, Secrets: []string{key}},
	}
}

func mandrillPrefixedSamples(r *rand.Rand) []provider.Sample {
	key := "md-" + sampleString(r, sAn, 22)
	return []provider.Sample{
		{Text: "MANDRILL_API_KEY=" + key, Secrets: []string{key}},
	}
}

func mandrillNamedSamples(r *rand.Rand) []provider.Sample {
	key := sampleString(r, sAn, 22)
	return []provider.Sample{
		{Text: "MANDRILL_KEY=" + key, Secrets: []string{key}},
	}
}
