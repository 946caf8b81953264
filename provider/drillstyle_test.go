package provider_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"reclaim/provider"
)

// fakeSim is a minimal simulated account with two capabilities.
type fakeSim struct{ revoked []string }

func (f *fakeSim) Info() provider.Info                                   { return provider.Info{ID: "drill"} }
func (f *fakeSim) Snapshot() ([]byte, error)                             { return nil, nil }
func (f *fakeSim) SessionKeyID() string                                  { return "s" }
func (f *fakeSim) StepFinished(string, string) bool                      { return false }
func (f *fakeSim) UsersWithout2FA() []string                             { return nil }
func (f *fakeSim) OnRateLimit(func(time.Duration))                       {}
func (f *fakeSim) Briefing() string                                      { return "b" }
func (f *fakeSim) ConsoleView(provider.Item) []string                    { return nil }
func (f *fakeSim) ConsoleDo(provider.Item, provider.ConsoleAction) error { return nil }
func (f *fakeSim) DrillAnswers() map[string]string                       { return nil }
func (f *fakeSim) LeakedCredential() string                              { return "" }
func (f *fakeSim) Styled() provider.Provider                             { return provider.NarrowSimulator[listOnly](f) }
func (f *fakeSim) Unstyled() provider.Simulator                          { return f }
func (f *fakeSim) ListKeys(context.Context) ([]provider.APIKey, error) {
	return []provider.APIKey{{ID: "k1"}}, nil
}
func (f *fakeSim) RevokeKey(_ context.Context, id string) error {
	f.revoked = append(f.revoked, id)
	return nil
}

type listOnly struct {
	provider.Simulator
	provider.KeyLister
}

func TestNarrowSimulator(t *testing.T) {
	f := &fakeSim{}
	if !provider.Has[provider.KeyRevoker](f) {
		t.Fatal("the fake itself revokes")
	}
	v := provider.NarrowSimulator[listOnly](f)
	if !provider.Has[provider.KeyLister](v) || !provider.Has[provider.Simulator](v) {
		t.Error("the view lost what it embeds")
	}
	if provider.Has[provider.KeyRevoker](v) {
		t.Error("the view shows a capability it does not embed")
	}
	keys, err := v.(provider.KeyLister).ListKeys(context.Background())
	if err != nil || len(keys) != 1 || keys[0].ID != "k1" {
		t.Errorf("the view does not reach the account: %v %v", keys, err)
	}
	if v.(provider.Simulator).Unstyled() != provider.Simulator(f) {
		t.Error("Unstyled is not the account behind the view")
	}
	// With no account the view still says what the style can do.
	probe := provider.NarrowSimulator[listOnly](nil)
	if !provider.Has[provider.KeyLister](probe) || provider.Has[provider.KeyRevoker](probe) {
		t.Error("the probe's method set is wrong")
	}
}

type notEmbedded struct {
	provider.Simulator
	Keys provider.KeyLister
}

type revokes struct {
	provider.Simulator
	provider.PasswordChanger // the fake has no ChangePassword
}

type noSimulator struct{ provider.KeyLister }

func TestNarrowSimulatorRefusesBadViews(t *testing.T) {
	for name, fn := range map[string]func(){
		"not a struct":     func() { provider.NarrowSimulator[int](&fakeSim{}) },
		"named field":      func() { provider.NarrowSimulator[notEmbedded](&fakeSim{}) },
		"not simulated":    func() { provider.NarrowSimulator[revokes](&fakeSim{}) },
		"no Simulator":     func() { provider.NarrowSimulator[noSimulator](&fakeSim{}) },
		"no Simulator nil": func() { provider.NarrowSimulator[noSimulator](nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: accepted", name)
				}
			}()
			fn()
		}()
	}
}

func TestDrillStyleRegistry(t *testing.T) {
	provider.Register(provider.Factory{Info: provider.Info{ID: "kittest", Name: "Kit Test Mail"}, New: func(provider.Config) (provider.Provider, error) { return nil, nil }})
	if _, _, ok := provider.LookupDrillStyle("kittest"); ok {
		t.Fatal("a style nobody declared was found")
	}
	keys := provider.DrillKeys{
		ID:         provider.KeyShape{Prefix: "kt_", Alphabet: provider.AlphabetHex, Len: 8},
		Secret:     provider.KeyShape{Alphabet: provider.AlphabetAlnum, Len: 16},
		Credential: "{id}.{secret}",
	}
	provider.RegisterDrillStyle("kittest", provider.DrillStyle{Keys: keys})
	s, info, ok := provider.LookupDrillStyle("kittest")
	if !ok || s.Name != "Kit Test Mail" || info.ID != "kittest" {
		t.Errorf("lookup: %v %q %q", ok, s.Name, info.ID)
	}
	found := false
	for _, id := range provider.DrillStyles() {
		found = found || id == "kittest"
	}
	if !found {
		t.Error("DrillStyles does not list it")
	}
	if got := keys.Format("kt_1", "abc"); got != "kt_1.abc" {
		t.Errorf("Format: %q", got)
	}
	if _, _, ok := provider.LookupDrillStyle("kittest-unregistered"); ok {
		t.Error("found a style for no adapter")
	}
	for name, bad := range map[string]provider.DrillStyle{
		"no keys":      {},
		"no {secret}":  {Keys: provider.DrillKeys{ID: keys.ID, Secret: keys.Secret, Credential: "{id}"}},
		"duplicate id": {Keys: keys},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), "drill style") {
					t.Errorf("%s: %v", name, r)
				}
			}()
			provider.RegisterDrillStyle("kittest", bad)
		}()
	}
	if !provider.Has[provider.Simulator](provider.NarrowSimulator[listOnly](nil)) {
		t.Error("a view is a Simulator")
	}
	for _, i := range provider.Real() {
		if i.ID == "drill" {
			t.Error("Real lists the drill")
		}
	}
}

func TestConsoleActionTarget(t *testing.T) {
	a := provider.ConsoleRotateSecret.On("tok-1")
	if k, id := a.Split(); k != provider.ConsoleRotateSecret || id != "tok-1" {
		t.Errorf("%q splits into %q %q", a, k, id)
	}
	if k, id := provider.ConsoleResetMaster.Split(); k != provider.ConsoleResetMaster || id != "" {
		t.Errorf("%q %q", k, id)
	}
}
