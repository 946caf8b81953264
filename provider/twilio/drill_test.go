package twilio_test

import (
	"strings"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/drill"
	"reclaim/provider/twilio"
)

// The drill imitates Twilio with this adapter's capabilities and key shape:
// what the API cannot do (webhooks, users, password) stays guided.
func TestDrillStyle(t *testing.T) {
	s, info, ok := provider.LookupDrillStyle("twilio")
	if !ok || info.Name != twilio.Info.Name || s.Name != "Twilio" {
		t.Fatalf("style %+v, %v", s, ok)
	}
	sc, err := drill.LoadScenario("twilio-leaked-main-key")
	if err != nil {
		t.Fatal(err)
	}
	acct := drill.New(sc, time.Now())
	p := acct.Styled()
	if !provider.Has[provider.KeyRevoker](p) || !provider.Has[provider.SubuserDisabler](p) || !provider.Has[provider.ActivityLister](p) {
		t.Error("the styled drill lacks what Twilio's API does")
	}
	if provider.Has[provider.WebhookDeleter](p) || provider.Has[provider.TeammateLister](p) || provider.Has[provider.PasswordChanger](p) || provider.Has[provider.AllowListWriter](p) {
		t.Error("the styled drill does what Twilio's API cannot")
	}
	id, cred := "SK"+strings.Repeat("0", 32), s.Keys.Format("SK"+strings.Repeat("0", 32), strings.Repeat("x", 32))
	if cred != id+":"+strings.Repeat("x", 32) {
		t.Errorf("drill credential %q is not what VerifyKey takes", cred)
	}
}
