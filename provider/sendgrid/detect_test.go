package sendgrid

import (
	"math/rand/v2"
	"reclaim/provider/detecttest"
	"testing"
)

var rnd = detecttest.Rand

const b64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

func TestDetector(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	id, sec := rnd(r, b64url[:62], 22), rnd(r, b64url, 43)
	key := "S" + "G." + id + "." + sec
	for _, in := range []string{
		"SENDGRID_API_KEY=" + key,
		"define( 'WPMS_SENDGRID_API_KEY', '" + key + "' );",
		`apiKey:"` + key + `",from:"x"`,
		"[smtp.sendgrid.net]:587 apikey:" + key,
	} {
		ms := Detector.Run([]byte(in))
		if len(ms) != 1 || in[ms[0].Start:ms[0].End] != key || ms[0].KeyID != id || ms[0].Kind != "api_key" {
			t.Errorf("%q: got %+v", in, ms)
		}
	}
	for _, decoy := range []string{
		"Met with SG. Tan from the Singapore (SG.) office about the migration.",
		"SendGrid keys look like SG.<22 chars>.<43 chars>, Brevo keys start with xkeysib-.",
		"S" + "G.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		"S" + "G.XXXXXXXXXXXXXXXXXXXXXX.XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
		"SENDGRID_API_KEY=S" + "G.your_api_key_here",
		"x" + key + "y",                  // embedded in a longer token
		"S" + "G." + id + "." + sec[:40], // truncated
		"sha256: " + rnd(r, "0123456789abcdef", 64),
	} {
		if ms := Detector.Run([]byte(decoy)); len(ms) != 0 {
			t.Errorf("decoy %q matched %+v", decoy, ms)
		}
	}
}
