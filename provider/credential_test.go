package provider_test

import (
	"testing"

	"reclaim/provider"
)

func TestCredentialFieldFromEnv(t *testing.T) {
	env := map[string]string{"TWILIO_API_KEY": " SKabc ", "TWILIO_API_SECRET": "s3"}
	get := func(k string) string { return env[k] }
	f := provider.CredentialField{Env: "TWILIO_AUTH_TOKEN", Alt: []string{"TWILIO_API_KEY", "TWILIO_API_SECRET"}}
	if v := f.FromEnv(get); v != "SKabc:s3" {
		t.Errorf("alt pair: %q", v)
	}
	env["TWILIO_AUTH_TOKEN"] = "tok"
	if v := f.FromEnv(get); v != "tok" {
		t.Errorf("the field's own variable comes first: %q", v)
	}
	delete(env, "TWILIO_AUTH_TOKEN")
	delete(env, "TWILIO_API_SECRET")
	if v := f.FromEnv(get); v != "" {
		t.Errorf("half a pair is no credential: %q", v)
	}
	if h := f.EnvHint(); h != "TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET)" {
		t.Errorf("hint %q", h)
	}
	if v := (provider.CredentialField{Env: "X"}).FromEnv(get); v != "" {
		t.Errorf("unset: %q", v)
	}
}
