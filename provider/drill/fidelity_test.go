package drill_test

import (
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/drill"
	"reclaim/provider/mailjet"
	"reclaim/provider/sendgrid"
)

// capabilities the procedure asks for, by name.
var capabilities = map[string]func(provider.Provider) bool{
	"AccountReader":       provider.Has[provider.AccountReader],
	"KeyLister":           provider.Has[provider.KeyLister],
	"KeyCreator":          provider.Has[provider.KeyCreator],
	"KeyRevoker":          provider.Has[provider.KeyRevoker],
	"KeyVerifier":         provider.Has[provider.KeyVerifier],
	"TeammateLister":      provider.Has[provider.TeammateLister],
	"TeammateRemover":     provider.Has[provider.TeammateRemover],
	"SubuserLister":       provider.Has[provider.SubuserLister],
	"SubuserDisabler":     provider.Has[provider.SubuserDisabler],
	"WebhookLister":       provider.Has[provider.WebhookLister],
	"WebhookDeleter":      provider.Has[provider.WebhookDeleter],
	"MailSettingsLister":  provider.Has[provider.MailSettingsLister],
	"MailSettingDisabler": provider.Has[provider.MailSettingDisabler],
	"SenderLister":        provider.Has[provider.SenderLister],
	"AllowListReader":     provider.Has[provider.AllowListReader],
	"AllowListWriter":     provider.Has[provider.AllowListWriter],
	"ActivityLister":      provider.Has[provider.ActivityLister],
	"MessageLister":       provider.Has[provider.MessageLister],
	"PasswordChanger":     provider.Has[provider.PasswordChanger],
	"SecretLister":        provider.Has[provider.SecretLister],
	"SecretRotator":       provider.Has[provider.SecretRotator],
}

// A built-in drill style offers exactly the procedure's capabilities its
// real adapter has: a drill teaches what the real account allows.
func TestStyleMatchesTheRealAdapter(t *testing.T) {
	for scenario, real := range map[string]provider.Provider{
		"sendgrid-leaked-key": (*sendgrid.Client)(nil),
		"mailjet-leaked-env":  (*mailjet.Client)(nil),
	} {
		sc, err := drill.LoadScenario(scenario)
		if err != nil {
			t.Fatal(err)
		}
		view := drill.New(sc, time.Now()).Styled()
		for name, has := range capabilities {
			if has(real) != has(view) {
				t.Errorf("%s: the real adapter has %s: %v; the drill: %v", scenario, name, has(real), has(view))
			}
		}
	}
}
