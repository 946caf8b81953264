package mailjet

import (
	"encoding/base64"
	"math/rand/v2"
	"reclaim/provider/detecttest"
	"testing"

	"reclaim/provider"
)

var rnd = detecttest.Rand

const hex, an = "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func run(in string) map[string]string {
	got := map[string]string{}
	for _, d := range []provider.Detector{Named, APIConnect} {
		for _, m := range d.Run([]byte(in)) {
			got[m.Kind] = in[m.Start:m.End]
		}
	}
	return got
}

func TestDetectors(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	key, sec, tok := rnd(r, hex, 32), rnd(r, hex, 32), rnd(r, an, 32)
	basic := base64.StdEncoding.EncodeToString([]byte(key + ":" + sec))
	cases := []struct {
		in   string
		want map[string]string
	}{
		{"MJ_APIKEY_PUBLIC=" + key + "\nMJ_APIKEY_PRIVATE=" + sec + "\nMJ_API_TOKEN=" + tok, map[string]string{"api_key": key, "secret_key": sec, "v4_token": tok}},
		{"MAILJET_APIKEY=" + key + "\nMAILJET_APISECRET=" + sec, map[string]string{"api_key": key, "secret_key": sec}},
		{"const mailjet = Mailjet.apiConnect('" + key + "', '" + sec + "');", map[string]string{"api_key": key, "secret_key": sec}},
		{"define( 'WPMS_SMTP_HOST', 'in-v3.mailjet.com' );\ndefine( 'WPMS_SMTP_USER', '" + key + "' ); // MJ_APIKEY_PUBLIC\ndefine( 'WPMS_SMTP_PASS', '" + sec + "' ); // MJ_APIKEY_PRIVATE", map[string]string{"api_key": key, "secret_key": sec}},
		{"    'mailjet' => [\n        'key' => '" + key + "',\n        'secret' => '" + sec + "',\n    ],", map[string]string{"api_key": key, "secret_key": sec}},
		{`production.DEBUG: mailjet request {"headers":{"Authorization":"Basic ` + basic + `"}}`, map[string]string{"basic_auth": basic}},
		{"const sms = new Mailjet.Client({ apiToken: '" + tok + "' }); // mailjet v4 sms", map[string]string{"v4_token": tok}},
	}
	for _, c := range cases {
		got := run(c.in)
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
		"relay=in-v3.mailjet.com[107.161.144.126]:587, status=sent (250 Ok: queued as " + rnd(r, hex, 32) + ")",
		"mailjet TWILIO_AUTH_TOKEN=" + rnd(r, hex, 32),
		"mailjet: md5 " + rnd(r, hex, 32),
		"mailjet cert blob: " + base64.StdEncoding.EncodeToString([]byte(rnd(r, an, 60))),
		"mailjet Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("user:short")),
	} {
		if got := run(decoy); len(got) != 0 {
			t.Errorf("decoy %q matched %v", decoy, got)
		}
	}
}
