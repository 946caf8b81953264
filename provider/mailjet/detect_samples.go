package mailjet

import (
	"encoding/base64"
	"math/rand/v2"

	"reclaim/provider"
)

var sampleString = provider.SampleString

const hexA, anA = provider.SampleHex, provider.SampleAlnum

func namedSamples(r *rand.Rand) []provider.Sample {
	key, sec, tok := sampleString(r, hexA, 32), sampleString(r, hexA, 32), sampleString(r, anA, 32)
	basic := base64.StdEncoding.EncodeToString([]byte(key + ":" + sec))
	return []provider.Sample{
		{Text: "MJ_APIKEY_PUBLIC=" + key + "\nMJ_APIKEY_PRIVATE=" + sec + "\nMJ_API_TOKEN=" + tok, Secrets: []string{key, sec, tok}},
		{Text: "MAILJET_APIKEY=" + key + "\nMAILJET_APISECRET=" + sec, Secrets: []string{key, sec}},
		{Text: "mailjet request Authorization: Basic " + basic, Secrets: []string{basic}},
	}
}

func apiConnectSamples(r *rand.Rand) []provider.Sample {
	key, sec := sampleString(r, hexA, 32), sampleString(r, hexA, 32)
	return []provider.Sample{
		{Text: "const mailjet = Mailjet.apiConnect('" + key + "', '" + sec + "');", Secrets: []string{key, sec}},
	}
}
