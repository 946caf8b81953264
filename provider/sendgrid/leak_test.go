package sendgrid

import (
	"testing"

	"reclaim/provider"
)

func TestLeakMatch(t *testing.T) {
	keys := []provider.APIKey{{ID: "Pz7Kd2MvXc4Bn6Qw8Ty0Ua", Name: "production-web"}, {ID: "Hc5Ve1RuYo3Ti7Pa9Sd2Fg", Name: "marketing"}}
	c := &Client{}
	cases := []struct {
		l    provider.Leak
		want string
	}{
		{provider.Leak{Provider: "sendgrid", Kind: "api_key", KeyID: "Hc5Ve1RuYo3Ti7Pa9Sd2Fg"}, "Hc5Ve1RuYo3Ti7Pa9Sd2Fg"},
		{provider.Leak{Provider: "sendgrid", Kind: "api_key", KeyID: "Zz0Zz0Zz0Zz0Zz0Zz0Zz0Z"}, ""}, // not this account's
		{provider.Leak{Provider: "sendgrid", Kind: "api_key"}, ""},
		{provider.Leak{Provider: "mailjet", Kind: "api_key", KeyID: "Pz7Kd2MvXc4Bn6Qw8Ty0Ua"}, ""},
	}
	for _, x := range cases {
		id, ok := c.MatchLeak(x.l, keys)
		if id != x.want || ok != (x.want != "") {
			t.Errorf("%+v: %q %v, want %q", x.l, id, ok, x.want)
		}
	}
}
