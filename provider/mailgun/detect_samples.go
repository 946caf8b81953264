package mailgun

import (
	"math/rand/v2"

	"reclaim/provider"
)

var sampleString = provider.SampleString

const sHex, sAn = provider.SampleHex, provider.SampleAlnum

func legacySamples(r *rand.Rand) []provider.Sample {
	key, pub := "key-"+sampleString(r, sHex, 32), "pubkey-"+sampleString(r, sHex, 32)
	return []provider.Sample{
		{Text: "MAILGUN_SECRET=" + key, Secrets: []string{key}},
		{Text: "curl -s --user 'api:" + key + "' https://api.mailgun.net/v3/domains", Secrets: []string{key}},
		{Text: "validation key " + pub, Secrets: []string{pub}},
	}
}

func modernSamples(r *rand.Rand) []provider.Sample {
	key := sampleString(r, sHex, 32) + "-" + sampleString(r, sHex, 8) + "-" + sampleString(r, sHex, 8)
	return []provider.Sample{
		{Text: "MAILGUN_API_KEY=" + key, Secrets: []string{key}},
	}
}
