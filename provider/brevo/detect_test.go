package brevo

import (
	"math/rand/v2"
	"reclaim/provider/detecttest"
	"testing"
)

var rnd = detecttest.Rand

func TestDetector(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	hex, an := "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	api := "xkey" + "sib-" + rnd(r, hex, 64) + "-" + rnd(r, an, 16)
	smtp := "xsmtp" + "sib-" + rnd(r, hex, 64) + "-" + rnd(r, an, 16)
	cases := []struct{ in, want, kind string }{
		{"BREVO_API_KEY=" + api, api, "api_key"},
		{"    [api-key] => " + api, api, "api_key"},
		{`GET /subscribe?email=a%40example.com&api_key=` + api + ` HTTP/1.1" 200`, api, "api_key"},
		{"password " + smtp, smtp, "smtp_key"},
	}
	for _, c := range cases {
		ms := Detector.Run([]byte(c.in))
		if len(ms) != 1 || c.in[ms[0].Start:ms[0].End] != c.want || ms[0].Kind != c.kind {
			t.Errorf("%q: got %+v", c.in, ms)
		}
	}
	for _, decoy := range []string{
		"setApiKey('api-key', 'xkey" + "sib-YOUR_API_KEY');",
		"Brevo keys start with xkey" + "sib-.",
		"xkey" + "sib-" + rnd(r, hex, 63) + "-" + rnd(r, an, 16),
	} {
		if ms := Detector.Run([]byte(decoy)); len(ms) != 0 {
			t.Errorf("decoy %q matched %+v", decoy, ms)
		}
	}
}
