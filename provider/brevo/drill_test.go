package brevo_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"reclaim/provider"
	"reclaim/provider/brevo"
	"reclaim/provider/drill"
)

// TestDrillStyle: the Brevo drill sees the account through Brevo's API (no
// key listing, creation or deletion; no allow list, mail settings or
// password change), makes keys in Brevo's shape, and its built-in scenario
// loads with it.
func TestDrillStyle(t *testing.T) {
	s, info, ok := provider.LookupDrillStyle("brevo")
	if !ok || s.Name != "Brevo" || info.ID != "brevo" || !s.MasterKey {
		t.Fatalf("style: %+v %v", s, ok)
	}
	sc, err := drill.LoadScenario("brevo-public-repo-key")
	if err != nil {
		t.Fatal(err)
	}
	if sc.Style != "brevo" || sc.MaxScore() != 100 {
		t.Fatalf("scenario: style %q, max %d", sc.Style, sc.MaxScore())
	}
	acct := drill.New(sc, time.Now())
	p := acct.Styled()
	for name, has := range map[string]bool{
		"KeyLister": provider.Has[provider.KeyLister](p), "KeyCreator": provider.Has[provider.KeyCreator](p),
		"KeyRevoker": provider.Has[provider.KeyRevoker](p), "AllowListWriter": provider.Has[provider.AllowListWriter](p),
		"MailSettingsLister": provider.Has[provider.MailSettingsLister](p), "PasswordChanger": provider.Has[provider.PasswordChanger](p),
		"SubuserDisabler": provider.Has[provider.SubuserDisabler](p),
	} {
		if has {
			t.Errorf("the Brevo drill offers %s, which Brevo's API lacks", name)
		}
	}
	for name, has := range map[string]bool{
		"KeyVerifier": provider.Has[provider.KeyVerifier](p), "TeammateRemover": provider.Has[provider.TeammateRemover](p),
		"WebhookDeleter": provider.Has[provider.WebhookDeleter](p), "MessageLister": provider.Has[provider.MessageLister](p),
		"ActivityLister": provider.Has[provider.ActivityLister](p), "SubuserLister": provider.Has[provider.SubuserLister](p),
	} {
		if !has {
			t.Errorf("the Brevo drill lacks %s, which Brevo's API has", name)
		}
	}
	// The key in the leaked file is in Brevo's shape: the leak scanner's
	// Brevo detector finds it.
	dir := t.TempDir()
	if err := acct.WriteServerTree(dir); err != nil {
		t.Fatal(err)
	}
	env, err := os.ReadFile(filepath.Join(dir, "home/deploy/acme-shop/.env.production"))
	if err != nil {
		t.Fatal(err)
	}
	if ms := brevo.Detector.Run(env); len(ms) != 1 || ms[0].Kind != "api_key" {
		t.Fatalf("the leaked file's key is not in Brevo's shape: %+v", ms)
	}
	// The attacker's credential works until the key is deleted in the
	// console, then is refused.
	sim := p.(provider.Simulator)
	cred := sim.LeakedCredential()
	v := p.(provider.KeyVerifier)
	if err := v.VerifyKey(context.Background(), cred); err != nil {
		t.Fatalf("before the deletion: %v", err)
	}
	if err := sim.ConsoleDo(provider.ItemAPIKeys, provider.ConsoleResetMaster); err != nil {
		t.Fatal(err)
	}
	if err := v.VerifyKey(context.Background(), cred); !errors.Is(err, provider.ErrBadCredentials) {
		t.Fatalf("after the deletion: %v", err)
	}
}
