package main

import (
	"testing"

	"reclaim/provider"
	"reclaim/provider/postmark"
	"reclaim/provider/twilio"
)

// Optional fields and alternative variables: a Postmark owner with only a
// server token, a Twilio owner with an API key pair in Twilio's own names.
func TestCredentialFromEnvironment(t *testing.T) {
	t.Setenv("RECLAIM_NO_KEYRING", "1")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	for _, k := range []string{postmark.AccountTokenEnv, postmark.ServerTokenEnv, twilio.AccountSIDEnv, twilio.AuthTokenEnv, twilio.APIKeyEnv, twilio.APISecretEnv} {
		t.Setenv(k, "")
	}
	b := newBackend()
	if c, _ := b.Credential(postmark.Info); c != "" {
		t.Errorf("no token at all must ask, got %q", c)
	}
	t.Setenv(postmark.ServerTokenEnv, "srv")
	if c, _ := b.Credential(postmark.Info); c != provider.CredentialAbsent+":srv" {
		t.Errorf("server token only: %q", c)
	}
	t.Setenv(twilio.AccountSIDEnv, "ACx")
	if c, _ := b.Credential(twilio.Info); c != "" {
		t.Errorf("SID alone: %q", c)
	}
	t.Setenv(twilio.APIKeyEnv, "SKy")
	t.Setenv(twilio.APISecretEnv, "z")
	if c, _ := b.Credential(twilio.Info); c != "ACx:SKy:z" {
		t.Errorf("API key pair: %q", c)
	}
}
