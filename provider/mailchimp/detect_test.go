package mailchimp

import (
	"math/rand/v2"
	"reclaim/provider/detecttest"
	"testing"

	"reclaim/provider"
)

var rnd = detecttest.Rand

func run(in string) []provider.Match {
	var out []provider.Match
	for _, d := range []provider.Detector{Mailchimp, MandrillPrefixed, MandrillNamed} {
		out = append(out, d.Run([]byte(in))...)
	}
	return out
}

func TestDetectors(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	hex, an := "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	mc := rnd(r, hex, 32) + "-us21"
	md := "md-" + rnd(r, an, 22)
	bare := rnd(r, an, 22)
	cases := []struct{ in, want, prov string }{
		{"MAILCHIMP_API_KEY=" + mc, mc, "mailchimp"},
		{"$mailchimp = new \\DrewM\\MailChimp\\MailChimp( '" + mc + "' );", mc, "mailchimp"},
		{"MANDRILL_API_KEY=" + md, md, "mandrill"},
		{"MANDRILL_KEY=" + bare, bare, "mandrill"},
	}
	for _, c := range cases {
		ms := run(c.in)
		if len(ms) != 1 || c.in[ms[0].Start:ms[0].End] != c.want || ms[0].Provider != c.prov {
			t.Errorf("%q: got %+v", c.in, ms)
		}
	}
	for _, decoy := range []string{
		`<div class="col-md-6 col-sm-12">`,
		"sha256: " + rnd(r, hex, 64) + "-us",
		"md5 " + rnd(r, hex, 32) + " users",
		"mandrill is a Mailchimp product",
	} {
		if ms := run(decoy); len(ms) != 0 {
			t.Errorf("decoy %q matched %+v", decoy, ms)
		}
	}
}
