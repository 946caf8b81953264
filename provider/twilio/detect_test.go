package twilio

import (
	"math/rand/v2"
	"reclaim/provider/detecttest"
	"testing"
)

var rnd = detecttest.Rand

const hex, an = "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func TestDetector(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	sid, tok := "AC"+rnd(r, hex, 32), rnd(r, hex, 32)
	sk, sec := "SK"+rnd(r, hex, 32), rnd(r, an, 32)
	cases := []struct {
		in   string
		want map[string]string // kind -> value
	}{
		{"TWILIO_SID=" + sid + "\nTWILIO_AUTH_TOKEN=" + tok + "\n", map[string]string{"account_sid": sid, "auth_token": tok}},
		{"curl -X POST https://api.twilio.com/2010-04-01/Accounts/" + sid + "/Messages.json -u " + sid + ":" + tok, map[string]string{"account_sid": sid, "auth_token": tok}},
		{"$twilio = new Twilio\\Rest\\Client( '" + sid + "', '" + tok + "' );", map[string]string{"account_sid": sid, "auth_token": tok}},
		{`Twilio\Exceptions\RestException: [HTTP 401] Authenticate {"account_sid":"` + sid + `","auth_token":"` + tok + `"}`, map[string]string{"account_sid": sid, "auth_token": tok}},
		{"TWILIO_API_KEY=" + sk + "\nTWILIO_API_SECRET=" + sec, map[string]string{"api_key_sid": sk, "api_key_secret": sec}},
		{"at Twilio.request (/app/node_modules/twilio/lib/base/BaseTwilio.js:210:21) { username: '" + sk + "', password: '" + sec + "' }", map[string]string{"api_key_sid": sk, "api_key_secret": sec}},
	}
	for _, c := range cases {
		got := map[string]string{}
		for _, m := range Detector.Run([]byte(c.in)) {
			got[m.Kind] = c.in[m.Start:m.End]
		}
		if len(got) != len(c.want) {
			t.Errorf("%q: got %v", c.in, got)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%q: %s = %q, want %q", c.in, k, got[k], v)
			}
		}
	}
	for _, decoy := range []string{
		`{"level":30,"msg":"twilio sms queued","sid":"SM` + rnd(r, hex, 32) + `","status":"queued"}`,
		"twilio call sid for the ticket: CA" + rnd(r, hex, 32) + " (not a secret)",
		"TWILIO_SID=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
		"$sid = 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX'; $token = 'your_auth_token'; // twilio",
		"md5 of the twilio release tarball: " + rnd(r, hex, 32),
	} {
		if ms := Detector.Run([]byte(decoy)); len(ms) != 0 {
			t.Errorf("decoy %q matched %+v", decoy, ms)
		}
	}
}
