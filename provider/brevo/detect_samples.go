package brevo

import (
	"math/rand/v2"

	"reclaim/provider"
)

var sampleString = provider.SampleString

const sHex, sAn = provider.SampleHex, provider.SampleAlnum

func samples(r *rand.Rand) []provider.Sample {
	api := "xkey" + "sib-" + sampleString(r, sHex, 64) + "-" + sampleString(r, sAn, 16)
	smtp := "xsmtp" + "sib-" + sampleString(r, sHex, 64) + "-" + sampleString(r, sAn, 16)
	return []provider.Sample{
		{Text: "BREVO_API_KEY=" + api, Secrets: []string{api}},
		{Text: "smtp password " + smtp, Secrets: []string{smtp}},
	}
}
