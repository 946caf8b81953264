package twilio

import (
	"math/rand/v2"

	"reclaim/provider"
)

var sampleString = provider.SampleString

const sHex, sAn = provider.SampleHex, provider.SampleAlnum

func samples(r *rand.Rand) []provider.Sample {
	sid, tok := "AC"+sampleString(r, sHex, 32), sampleString(r, sHex, 32)
	sk, sec := "SK"+sampleString(r, sHex, 32), sampleString(r, sAn, 32)
	// the SIDs are identifiers (Match.Public): only the token and the
	// secret are secrets
	return []provider.Sample{
		{Text: "TWILIO_SID=" + sid + "\nTWILIO_AUTH_TOKEN=" + tok + "\n", Secrets: []string{tok}},
		{Text: "twilio curl -u " + sid + ":" + tok, Secrets: []string{tok}},
		{Text: "TWILIO_API_KEY=" + sk + "\nTWILIO_API_SECRET=" + sec, Secrets: []string{sec}},
	}
}
