package mailjet

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"

	"reclaim/provider"
)

// The detectors name a leaked credential's key by KeyRef of its public API
// key (never the key itself), wherever the API key is known.
func TestLeakKeyRefFromDetectors(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	key, sec := rnd(r, hex, 32), rnd(r, hex, 32)
	ref := KeyRef([]byte(key))
	if !strings.HasPrefix(ref, "sha256:") || len(ref) != 7+16 || strings.Contains(ref, key) {
		t.Fatalf("KeyRef %q", ref)
	}
	basic := base64.StdEncoding.EncodeToString([]byte(key + ":" + sec))
	cases := []struct {
		in   string
		want map[string]string // kind -> KeyID
	}{
		{"MJ_APIKEY_PUBLIC=" + key + "\nMJ_APIKEY_PRIVATE=" + sec, map[string]string{"api_key": ref, "secret_key": ""}},
		{"const mailjet = Mailjet.apiConnect('" + key + "', '" + sec + "');", map[string]string{"api_key": ref, "secret_key": ref}},
		{`mailjet {"Authorization":"Basic ` + basic + `"}`, map[string]string{"basic_auth": ref}},
	}
	for _, c := range cases {
		got := map[string]string{}
		for _, d := range []provider.Detector{Named, APIConnect} {
			for _, m := range d.Run([]byte(c.in)) {
				got[m.Kind] = m.KeyID
			}
		}
		for kind, id := range c.want {
			if g, ok := got[kind]; !ok || g != id {
				t.Errorf("%q: %s key id %q (found %v), want %q", c.in, kind, g, ok, id)
			}
		}
	}
}

func TestLeakMatch(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	a, b := rnd(r, hex, 32), rnd(r, hex, 32)
	keys := []provider.APIKey{{ID: a, Name: "Master API key", Master: true}, {ID: b, Name: "wordpress"}}
	c := &Client{}
	cases := []struct {
		l    provider.Leak
		want string
	}{
		{provider.Leak{Provider: "mailjet", Kind: "api_key", KeyID: KeyRef([]byte(b))}, b},
		{provider.Leak{Provider: "mailjet", Kind: "secret_key", KeyID: KeyRef([]byte(a))}, a},
		{provider.Leak{Provider: "mailjet", Kind: "secret_key"}, ""},                          // the pair is unknown
		{provider.Leak{Provider: "mailjet", Kind: "api_key", KeyID: b}, ""},                   // a raw key is no KeyRef
		{provider.Leak{Provider: "mailjet", Kind: "api_key", KeyID: KeyRef([]byte("x"))}, ""}, // not this account's
		{provider.Leak{Provider: "sendgrid", Kind: "api_key", KeyID: KeyRef([]byte(b))}, ""},
	}
	for _, x := range cases {
		id, ok := c.MatchLeak(x.l, keys)
		if id != x.want || ok != (x.want != "") {
			t.Errorf("%+v: %q %v, want %q", x.l, id, ok, x.want)
		}
	}
	if _, ok := c.MatchLeak(cases[0].l, nil); ok {
		t.Error("matched with no keys")
	}
}
