package drill_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/drill"
)

// A style declared here, as an adapter's folder would: its API lists and
// rotates account secrets and has keys of its own shape.
type kitSecretsView struct {
	provider.Simulator
	provider.AccountReader
	provider.KeyLister
	provider.KeyCreator
	provider.KeyRevoker
	provider.KeyVerifier
	provider.SecretLister
	provider.SecretRotator
	provider.LeakMatcher
	provider.SubuserLister
	provider.SubuserDisabler
	provider.SubuserEnabler
}

func init() {
	provider.Register(provider.Factory{
		Info: provider.Info{ID: "kitsecrets", Name: "Kit Secrets Mail", GraceWindow: 0,
			Console:     map[provider.Item]string{provider.ItemAPIKeys: "https://kit.example/keys"},
			Credentials: []provider.CredentialField{{Env: "KIT_API_KEY", Prompt: "Kit key"}}},
		New: func(provider.Config) (provider.Provider, error) { return nil, errors.New("test adapter") },
	})
	provider.RegisterDrillStyle("kitsecrets", provider.DrillStyle{
		Name: "Kit",
		View: provider.NarrowSimulator[kitSecretsView],
		Keys: provider.DrillKeys{
			ID:         provider.KeyShape{Prefix: "KK", Alphabet: provider.AlphabetHex, Len: 16},
			Secret:     provider.KeyShape{Alphabet: provider.AlphabetAlnum, Len: 24},
			Credential: "{id}:{secret}",
		},
	})
}

const kitScenario = `version: 1
name: kit-secrets
title: Kit secrets
lesson: Rotate the auth token too.
briefing: A token leaked with the key.
provider: kitsecrets
account:
  username: kit
  email: ops@kit.example
  your_ip: 198.51.100.9
  session_key: KK00000000000000aa
known_good:
  keys:
  - {id: KK00000000000000aa, name: reclaim}
  - {id: KK0000000000000bbb, name: web}
  secrets:
  - {id: tok-1, kind: auth_token, name: primary auth token, created: -300d}
  - {id: smtp-1, kind: smtp_credential, name: postmaster@mg.kit.example, domain: mg.kit.example}
  subusers:
  - {username: kit-eu, email: eu@kit.example}
  mail: {from: a@kit.example, per_day: 10, subjects: [Hello]}
attacker:
  leaked_secrets: [tok-1]
server:
  files:
  - path: srv/.env
    content: "KIT_API_KEY={{key KK0000000000000bbb}}\n"
expectations:
- id: access
  title: No attacker access
  points: 10
  check: {kind: no_attacker_access}
`

func TestDrillStyleFromAnotherFolder(t *testing.T) {
	sc, err := drill.ParseScenario("kit.yaml", []byte(kitScenario))
	if err != nil {
		t.Fatal(err)
	}
	a := drill.New(sc, time.Now())
	p := a.Styled()
	if !strings.Contains(p.Info().Name, "simulated Kit") || p.Info().ID != "drill" || len(p.Info().Credentials) != 0 {
		t.Errorf("info %+v", p.Info())
	}
	for name, has := range map[string]bool{
		"SecretLister": provider.Has[provider.SecretLister](p), "SecretRotator": provider.Has[provider.SecretRotator](p),
		"KeyCreator": provider.Has[provider.KeyCreator](p), "Simulator": provider.Has[provider.Simulator](p),
	} {
		if !has {
			t.Errorf("the Kit-style drill lacks %s", name)
		}
	}
	if provider.Has[provider.TeammateLister](p) || provider.Has[provider.PasswordChanger](p) {
		t.Error("the Kit-style drill has capabilities its style does not declare")
	}
	if drill.Of(p) != a {
		t.Error("drill.Of does not find the account behind the view")
	}
	// Keys in the style's shape.
	nk, err := p.(provider.KeyCreator).CreateKey(context.Background(), "new", nil)
	if err != nil || !strings.HasPrefix(nk.ID, "KK") || len(nk.ID) != 18 || nk.Secret != nk.ID+":"+nk.Secret[19:] || len(nk.Scopes) != 0 {
		t.Fatalf("key %+v (%v)", nk.APIKey, err)
	}
	if err := p.(provider.KeyVerifier).VerifyKey(context.Background(), nk.Secret); err != nil {
		t.Errorf("the new key does not verify: %v", err)
	}
	if err := p.(provider.KeyRevoker).RevokeKey(context.Background(), nk.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.(provider.KeyVerifier).VerifyKey(context.Background(), nk.Secret); !errors.Is(err, provider.ErrBadCredentials) {
		t.Errorf("a revoked key verifies: %v", err)
	}
	// The server tree's key is in the style's shape.
	dir := t.TempDir()
	if err := a.WriteServerTree(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "srv", ".env"))
	if err != nil || !regexp.MustCompile(`^KIT_API_KEY=KK0000000000000bbb:[A-Za-z0-9]{24}\n$`).Match(b) {
		t.Errorf("server file %q (%v)", b, err)
	}
}

func TestDrillSecretsRotate(t *testing.T) {
	sc, err := drill.ParseScenario("kit.yaml", []byte(kitScenario))
	if err != nil {
		t.Fatal(err)
	}
	a := drill.New(sc, time.Now())
	p := a.Styled()
	ctx := context.Background()
	secrets, err := p.(provider.SecretLister).ListSecrets(ctx)
	if err != nil || len(secrets) != 2 || secrets[0].Kind != provider.SecretAuthToken {
		t.Fatalf("%+v %v", secrets, err)
	}
	open := strings.Join(a.Outcome().OpenAccess, "; ")
	if !strings.Contains(open, "primary auth token") {
		t.Fatalf("the leaked token is not the attacker's access: %s", open)
	}
	rs, err := p.(provider.SecretRotator).RotateSecret(ctx, secrets[0])
	if err != nil || len(rs.Value) != 24 || rs.ID != "tok-1" || rs.Note == "" {
		t.Fatalf("%+v %v", rs, err)
	}
	if open := a.Outcome().OpenAccess; len(open) != 0 {
		t.Errorf("still open after the rotation: %v", open)
	}
	snap, err := a.Snapshot()
	if err != nil || strings.Contains(string(snap), rs.Value) {
		t.Fatalf("the snapshot holds the new value (or failed: %v)", err)
	}
	// The console rotation (guided) names its secret.
	if err := a.ConsoleDo(provider.ItemAPIKeys, provider.ConsoleRotateSecret.On("smtp-1")); err != nil {
		t.Fatal(err)
	}
	if got := a.SecretsRotated(); len(got) != 2 {
		t.Errorf("rotated %v", got)
	}
	if _, err := p.(provider.SecretRotator).RotateSecret(ctx, provider.AccountSecret{ID: "nope"}); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("an unknown secret: %v", err)
	}
}

func TestDrillSecretsValidation(t *testing.T) {
	for _, c := range []struct{ name, old, new, want string }{
		{"leaked unknown", "leaked_secrets: [tok-1]", "leaked_secrets: [tok-9]", `attacker.leaked_secrets[0]: "tok-9" is not one of known_good.secrets`},
		{"bad kind", "kind: auth_token", "kind: password", `known_good.secrets[0].kind: "password" is not one of`},
		{"style without secrets", "provider: kitsecrets", "provider: sendgrid", "known_good.secrets[0]: a SendGrid-style account has no account secrets the API can list"},
		{"key shape", "{{key KK0000000000000bbb}}", "{{key KK00zz}}", `{{key KK00zz}}: a Kit key id is "KK" then 16 hex digits`},
	} {
		_, err := drill.ParseScenario("kit.yaml", []byte(strings.Replace(kitScenario, c.old, c.new, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// Without a master key, the credential the attacker holds is a leaked
// key's: it works until the key is revoked, so a dead-credential check in
// a style with a grace window proves something.
func TestDrillLeakedKeyCredential(t *testing.T) {
	yaml := strings.Replace(kitScenario, "  leaked_secrets: [tok-1]\n", "  leaked_secrets: [tok-1]\n  leaked_keys: [KK0000000000000bbb]\n", 1)
	sc, err := drill.ParseScenario("kit.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	a := drill.New(sc, time.Now())
	p := a.Styled()
	cred := a.LeakedCredential()
	if !strings.HasPrefix(cred, "KK0000000000000bbb:") {
		t.Fatalf("leaked credential %q", cred)
	}
	ctx := context.Background()
	if err := p.(provider.KeyVerifier).VerifyKey(ctx, cred); err != nil {
		t.Fatalf("the leaked credential does not work before the revocation: %v", err)
	}
	if err := p.(provider.KeyRevoker).RevokeKey(ctx, "KK0000000000000bbb"); err != nil {
		t.Fatal(err)
	}
	if err := p.(provider.KeyVerifier).VerifyKey(ctx, cred); !errors.Is(err, provider.ErrBadCredentials) {
		t.Errorf("the leaked credential works after the revocation: %v", err)
	}
	back, err := drill.Restore(must(a.Snapshot()))
	if err != nil || back.LeakedCredential() != cred {
		t.Errorf("after a resume: %q (%v)", back.LeakedCredential(), err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// A style without its own leak matcher: a leak of the imitated provider
// names its key by id.
func TestDrillMatchLeakDefault(t *testing.T) {
	sc, err := drill.ParseScenario("kit.yaml", []byte(kitScenario))
	if err != nil {
		t.Fatal(err)
	}
	a := drill.New(sc, time.Now())
	keys, _ := a.ListKeys(context.Background())
	m := a.Styled().(provider.LeakMatcher)
	if id, ok := m.MatchLeak(provider.Leak{Provider: "kitsecrets", Kind: "api_key", KeyID: "KK0000000000000bbb"}, keys); !ok || id != "KK0000000000000bbb" {
		t.Errorf("not matched: %q %v", id, ok)
	}
	for _, l := range []provider.Leak{{Provider: "sendgrid", KeyID: "KK0000000000000bbb"}, {Provider: "kitsecrets", KeyID: "KKnope"}, {Provider: "kitsecrets"}} {
		if id, ok := m.MatchLeak(l, keys); ok {
			t.Errorf("%+v matched %q", l, id)
		}
	}
}

func TestDrillEnableSubuser(t *testing.T) {
	sc, err := drill.ParseScenario("kit.yaml", []byte(kitScenario))
	if err != nil {
		t.Fatal(err)
	}
	a := drill.New(sc, time.Now())
	p := a.Styled()
	ctx := context.Background()
	if err := p.(provider.SubuserDisabler).DisableSubuser(ctx, "kit-eu"); err != nil {
		t.Fatal(err)
	}
	if err := p.(provider.SubuserEnabler).EnableSubuser(ctx, "kit-eu"); err != nil {
		t.Fatal(err)
	}
	if subs, _ := a.ListSubusers(ctx); len(subs) != 1 || subs[0].Disabled {
		t.Errorf("still disabled: %+v", subs)
	}
	if err := a.EnableSubuser(ctx, "nobody"); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("unknown subuser: %v", err)
	}
	// A style without it refuses, and its view does not have it.
	sg, _ := drill.LoadScenario(drill.DefaultScenario)
	b := drill.New(sg, time.Now())
	if err := b.EnableSubuser(ctx, "x"); !errors.Is(err, provider.ErrUnsupported) || provider.Has[provider.SubuserEnabler](b.Styled()) {
		t.Errorf("a SendGrid-style drill enables subusers: %v", err)
	}
}
