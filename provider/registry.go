package provider

import (
	"fmt"
	"sort"
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
}

var (
	regMu    sync.RWMutex
	registry = map[string]Factory{}
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
