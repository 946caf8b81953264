package provider

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Config carries what an adapter needs to connect. Secrets come from the
// environment, the keyring or a prompt, never from flags.
type Config struct {
	// Credential is the API key (or "key:secret" for providers with pairs).
	Credential string
	// BaseURL overrides the API base URL (tests); plain http is accepted only
	// for loopback hosts.
	BaseURL string
	// Scenario names a drill scenario (drill only).
	Scenario string
	// State is a saved snapshot to restore (drill only).
	State []byte
	// Limits caps what each inventory section reads (zero fields: the
	// defaults; see DefaultMaxPages).
	Limits Limits
}

// Factory builds a provider from its config.
type Factory struct {
	Info Info
	New  func(Config) (Provider, error)
	// Simulated marks the drill's factory: what New builds is a Simulator
	// that needs no credential and touches no real provider. Commands
	// decide with it before anything is built.
	Simulated bool
}

var (
	regMu    sync.RWMutex
	registry = map[string]Factory{}
	styles   = map[string]DrillStyle{}
)

// Register adds an adapter; adapters call it from init.
func Register(f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[f.Info.ID]; dup {
		panic("provider: duplicate registration of " + f.Info.ID)
	}
	registry[f.Info.ID] = f
}

// Lookup returns the factory for id.
func Lookup(id string) (Factory, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	f, ok := registry[id]
	return f, ok
}

// New builds the provider registered as id.
func New(id string, cfg Config) (Provider, error) {
	f, ok := Lookup(id)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q (known: %v)", id, IDs())
	}
	return f.New(cfg)
}

// All returns every registered adapter's Info, sorted by ID.
func All() []Info {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Info, 0, len(registry))
	for _, f := range registry {
		out = append(out, f.Info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IDs returns the registered adapter ids, sorted.
func IDs() []string {
	var ids []string
	for _, i := range All() {
		ids = append(ids, i.ID)
	}
	return ids
}

// Real returns the Info of every registered adapter that reaches a real
// provider (not the drill), sorted by ID.
func Real() []Info {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []Info
	for _, f := range registry {
		if !f.Simulated {
			out = append(out, f.Info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// DrillStyle is how the drill imitates a provider. A scenario that says
// "provider: ID" gets a simulated account that behaves like ID's API: the
// capabilities it has, the shape of its keys, how a key is revoked, its
// master-key semantics. Its console links, support channel and checklist,
// key hints, scope presets and grace window are ID's own Info, registered
// with its Factory. An adapter declares its style from its own folder
// (RegisterDrillStyle, from an init); the drill reads it here at run time
// and never imports the adapter. See docs/scenarios.md, "Provider styles".
type DrillStyle struct {
	// Name is the provider's short name in the drill's display name,
	// "Drill account (simulated NAME)" (default: Info.Name).
	Name string
	// View narrows the whole simulated account to the capabilities the
	// provider's API has: NarrowSimulator[V] for a struct type V that
	// embeds Simulator and exactly those capability interfaces. nil: every
	// capability the drill simulates.
	View func(Simulator) Provider
	// Keys is the shape of the keys the drill makes and of the
	// credentials it accepts.
	Keys DrillKeys
	// MasterKey: the account has a master key (KeySpec master: true in a
	// scenario) that the API can neither revoke nor deactivate; revoking it
	// fails with ErrUnsupported wrapping MasterKeyError. Its secret is
	// reset in the console (ConsoleResetMaster) and the leaked credential
	// (Simulator.LeakedCredential) works until then.
	MasterKey      bool
	MasterKeyError error
	// DeactivateKeys: revoking a key deactivates it (still listed, Inactive)
	// instead of deleting it.
	DeactivateKeys bool
	// MatchLeak matches a credential the leak scanner found to the
	// simulated account's key, as the adapter's LeakMatcher does (nil: a
	// leak of this provider whose KeyID is a listed key's id). Embed
	// provider.LeakMatcher in the View to expose it.
	MatchLeak func(l Leak, keys []APIKey) (keyID string, ok bool)
	// Support replaces Info.Support.Instructions in a drill: what filing
	// the report would be in a real incident.
	Support string
	// Quirks replace Info.Quirks in a drill, after the drill's own notice
	// (nil: Info.Quirks).
	Quirks []string
}

// DrillKeys is the shape of a simulated key: its id and secret are each a
// Prefix and Len characters of Alphabet, and its credential (what VerifyKey
// takes, what a leaked file holds) is Credential with {id} and {secret}
// filled in.
type DrillKeys struct {
	ID, Secret KeyShape
	// Credential, e.g. "SG.{id}.{secret}" or "{id}:{secret}".
	Credential string
}

// KeyShape is Prefix followed by Len characters of Alphabet.
type KeyShape struct {
	Prefix   string
	Alphabet string
	Len      int
}

// Alphabets for KeyShape.
const (
	AlphabetHex       = "0123456789abcdef"
	AlphabetBase64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
	AlphabetAlnum     = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// Format writes a credential from a key's id and secret.
func (k DrillKeys) Format(id, secret string) string {
	return strings.NewReplacer("{id}", id, "{secret}", secret).Replace(k.Credential)
}

// RegisterDrillStyle declares how the drill imitates the provider id (an
// adapter's ID); adapters call it from init, in any order with Register.
func RegisterDrillStyle(id string, s DrillStyle) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := styles[id]; dup {
		panic("provider: duplicate drill style " + id)
	}
	if s.Keys.Credential == "" || s.Keys.ID.Len < 1 || s.Keys.Secret.Len < 1 || s.Keys.ID.Alphabet == "" || s.Keys.Secret.Alphabet == "" {
		panic("provider: drill style " + id + ": Keys needs an id and secret shape and a Credential")
	}
	if !strings.Contains(s.Keys.Credential, "{secret}") {
		panic("provider: drill style " + id + ": Keys.Credential must contain {secret}")
	}
	styles[id] = s
}

// LookupDrillStyle returns the drill style declared for id and the Info of
// the adapter registered as id; ok is false unless both exist.
func LookupDrillStyle(id string) (DrillStyle, Info, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	s, ok := styles[id]
	f, ok2 := registry[id]
	if !ok || !ok2 {
		return DrillStyle{}, Info{}, false
	}
	if s.Name == "" {
		s.Name = f.Info.Name
	}
	return s, f.Info, true
}

// DrillStyles returns the ids with a drill style and a registered adapter,
// sorted.
func DrillStyles() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	var out []string
	for id := range styles {
		if _, ok := registry[id]; ok {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// NarrowSimulator returns s seen through V: V is a struct type whose
// fields are all embedded interfaces, Simulator first and then each
// capability interface the imitated provider's API has; every field is
// set to s. Only those capabilities' methods are promoted to *V, so every
// type assertion the engine makes (provider.Has, p.(KeyRevoker)) sees the
// provider's API and no more. With a nil s it returns a *V with nil fields:
// its method set still answers Has (what the style can do) but calling a
// method panics.
//
//	type drillView struct {
//		provider.Simulator
//		provider.KeyLister
//		provider.KeyRevoker
//	}
//	View: provider.NarrowSimulator[drillView]
func NarrowSimulator[V any](s Simulator) Provider {
	v := new(V)
	rv := reflect.ValueOf(v).Elem()
	t := rv.Type()
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("provider: NarrowSimulator[%s]: not a struct type", t))
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.Anonymous || f.Type.Kind() != reflect.Interface {
			panic(fmt.Sprintf("provider: NarrowSimulator[%s]: field %s is not an embedded interface", t, f.Name))
		}
		if s == nil {
			continue
		}
		sv := reflect.ValueOf(s)
		if !sv.Type().Implements(f.Type) {
			panic(fmt.Sprintf("provider: NarrowSimulator[%s]: the drill does not simulate %s", t, f.Type))
		}
		rv.Field(i).Set(sv)
	}
	p, ok := any(v).(Simulator)
	if !ok {
		panic(fmt.Sprintf("provider: NarrowSimulator[%s]: *%s is not a Simulator (embed provider.Simulator, and no other interface with its methods)", t, t.Name()))
	}
	return p
}
