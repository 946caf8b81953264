package sendgrid

import (
	"math/rand/v2"

	"reclaim/provider"
)

var sampleString = provider.SampleString

const sHex, sAn = provider.SampleHex, provider.SampleAlnum

func samples(r *rand.Rand) []provider.Sample {
	key := "S" + "G." + sampleString(r, sAn, 22) + "." + sampleString(r, provider.SampleB64URL, 43)
	return []provider.Sample{
		{Text: "SENDGRID_API_KEY=" + key, Secrets: []string{key}},
		{Text: "the old key was " + key + " (pasted from .env)", Secrets: []string{key}},
	}
}
