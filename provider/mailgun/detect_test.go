package mailgun

import (
	"math/rand/v2"
	"reclaim/provider/detecttest"
	"testing"

	"reclaim/provider"
)

var rnd = detecttest.Rand

func run(in string) []provider.Match {
	return append(Legacy.Run([]byte(in)), Modern.Run([]byte(in))...)
}

func TestDetectors(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	hex := "0123456789abcdef"
	legacy := "key-" + rnd(r, hex, 32)
	pub := "pubkey-" + rnd(r, hex, 32)
	modern := rnd(r, hex, 32) + "-" + rnd(r, hex, 8) + "-" + rnd(r, hex, 8)
	cases := []struct{ in, want, kind string }{
		{"MAILGUN_SECRET=" + legacy, legacy, "api_key"},
		{"$mg = Mailgun\\Mailgun::create( '" + legacy + "', 'https://api.eu.mailgun.net' );", legacy, "api_key"},
		{`{"msg":"mailgun send failed","url":"https://api:` + legacy + `@api.mailgun.net/v3/x"}`, legacy, "api_key"},
		{"curl -s --user 'api:" + legacy + "' https://api.mailgun.net/v3/domains", legacy, "api_key"},
		{`var mg={key:"` + pub + `",domain:"mg.example.com"};/* mailgun validation */`, pub, "public_key"},
		{`<tr><td class="e">$_SERVER['MAILGUN_API_KEY']</td><td class="v">` + modern + `</td></tr>`, modern, "api_key"},
		{`{"msg":"mailgun send failed","url":"https://api:` + modern + `@api.mailgun.net/v3/x"}`, modern, "api_key"},
	}
	for _, c := range cases {
		ms := run(c.in)
		if len(ms) != 1 || c.in[ms[0].Start:ms[0].End] != c.want || ms[0].Kind != c.kind {
			t.Errorf("%q: got %+v", c.in, ms)
		}
	}
	for _, decoy := range []string{
		"$mg = Mailgun::create('key-3ax6xnjp29jd6fds4gc373sgvjxteol0'); // example key from the docs",
		"define( 'WPMS_MAILGUN_API_KEY', 'key-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' );",
		"MAILGUN_SECRET=key-your-mailgun-key",
		"monkey-" + rnd(r, hex, 32),
		// the modern shape far from any Mailgun word
		"request " + modern,
	} {
		if ms := run(decoy); len(ms) != 0 {
			t.Errorf("decoy %q matched %+v", decoy, ms)
		}
	}
}
