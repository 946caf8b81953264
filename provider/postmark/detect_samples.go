package postmark

import (
	"math/rand/v2"

	"reclaim/provider"
)

var sampleString = provider.SampleString

const sHex, sAn = provider.SampleHex, provider.SampleAlnum

func samples(r *rand.Rand) []provider.Sample {
	tok := sampleString(r, sHex, 8) + "-" + sampleString(r, sHex, 4) + "-4" + sampleString(r, sHex, 3) + "-a" + sampleString(r, sHex, 3) + "-" + sampleString(r, sHex, 12)
	return []provider.Sample{
		{Text: "POSTMARK_TOKEN=" + tok, Secrets: []string{tok}},
		{Text: "X-Postmark-Server-Token: " + tok, Secrets: []string{tok}},
	}
}
