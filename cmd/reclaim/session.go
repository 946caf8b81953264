package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"reclaim/checklist"
	"reclaim/checklist/leakscan"
	"reclaim/provider"
	"reclaim/provider/drill"
)

// backend opens and creates incidents for the TUI and the plain commands.
// Every method does I/O: the TUI calls them from commands only.
type backend struct {
	store        *checklist.Store
	secrets      *checklist.Secrets
	drillLatency time.Duration
	dryRun       bool
}

// osKeyring adapts go-keyring.
type osKeyring struct{}

func (osKeyring) Set(s, u, p string) error        { return keyring.Set(s, u, p) }
func (osKeyring) Get(s, u string) (string, error) { return keyring.Get(s, u) }

func newBackend() *backend {
	var kr checklist.Keyring = osKeyring{}
	if os.Getenv("RECLAIM_NO_KEYRING") != "" {
		kr = nil
	}
	lat := 250 * time.Millisecond
	if v := os.Getenv("RECLAIM_DRILL_LATENCY"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			lat = d
		}
	}
	return &backend{store: &checklist.Store{Dir: stateDir()}, secrets: checklist.NewSecrets(kr), drillLatency: lat}
}

// List returns the saved incidents, newest first.
func (b *backend) List() ([]checklist.Summary, error) { return b.store.List() }

// Session is an open incident: its engine and what to do when done with it.
type Session struct {
	Engine *checklist.Engine
	close  func()

	mu     sync.Mutex
	unhook func()
}

// Close releases the incident's lock and removes the drill's temporary
// tree. It is safe to call more than once and from any goroutine.
func (s *Session) Close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
}

func (s *Session) closeLocked() {
	if s.unhook != nil {
		s.unhook()
		s.unhook = nil
	}
	if s.close != nil {
		s.close()
		s.close = nil
	}
}

// saveTimeout bounds the save on a signal: an engine busy with a provider
// call holds its state, and the process must still exit.
const saveTimeout = 2 * time.Second

// saveAndClose is the exit hook: save the incident (bounded), then Close.
func (s *Session) saveAndClose() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.close == nil {
		return
	}
	if s.Engine != nil {
		done := make(chan struct{})
		go func() { _ = s.Engine.Save(); close(done) }()
		select {
		case <-done:
		case <-time.After(saveTimeout):
		}
	}
	s.closeLocked()
}

// NewDrill starts a drill incident on an embedded scenario.
func (b *backend) NewDrill(scenario string) (*Session, error) {
	if scenario == "" {
		scenario = drill.DefaultScenario
	}
	sc, err := drill.LoadScenario(scenario)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	acct := drill.New(sc, now)
	acct.Latency = b.drillLatency
	inc := checklist.NewIncident(now, "Drill: "+sc.Title, acct, true, sc.ID)
	if b.dryRun {
		inc.MarkDryRun(now)
	}
	snap, err := acct.Snapshot()
	if err != nil {
		return nil, err
	}
	h, err := b.store.Create(inc, snap)
	if err != nil {
		return nil, err
	}
	return saveNew(b.session(inc, h, acct))
}

// saveNew saves a new incident through its engine, which records the steps
// that do not apply: the start screen and "reclaim incidents" then count it
// as the header does (0/22, not 0/23).
func saveNew(s *Session) (*Session, error) {
	if err := s.Engine.Save(); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// NewRecovery starts an incident on a real provider account.
func (b *backend) NewRecovery(providerID, credential string) (*Session, error) {
	f, ok := provider.Lookup(providerID)
	if !ok {
		return nil, fmt.Errorf("unknown provider %q", providerID)
	}
	p, err := f.New(b.providerConfig(f.Info, credential))
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	inc := checklist.NewIncident(now, f.Info.Name+" account recovery", p, false, "")
	if b.dryRun {
		inc.MarkDryRun(now)
	}
	s := &Session{Engine: checklist.NewEngine(inc, nil, p, b.secrets)}
	// Ask first what the key may do: a refused key stops here, before any
	// incident folder is made.
	if _, err := s.Engine.LoadPermissions(context.Background()); err != nil {
		return nil, fmt.Errorf("%v — %s", err, provider.Advice(err))
	}
	perms := s.Engine.Perms
	h, err := b.store.Create(inc, nil)
	if err != nil {
		return nil, err
	}
	s = b.session(inc, h, p)
	s.Engine.Perms = perms
	return saveNew(s)
}

// ErrNeedCredential says the incident's provider needs a credential that
// is in neither the environment nor the keyring.
var ErrNeedCredential = errors.New("credential needed")

// Open resumes a saved incident. For a real provider the credential comes
// from the argument, the environment or the keyring.
func (b *backend) Open(id, credential string) (*Session, error) {
	h, inc, provState, err := b.store.Open(id)
	if err != nil {
		return nil, err
	}
	a := inc.Account()
	if a == nil {
		h.Close()
		return nil, fmt.Errorf("incident %s has no account", id)
	}
	var p provider.Provider
	if inc.Drill {
		acct, err := drill.Restore(provState)
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("incident %s: %w", id, err)
		}
		acct.Latency = b.drillLatency
		p = acct
	} else {
		f, ok := provider.Lookup(a.Provider)
		if !ok {
			h.Close()
			return nil, fmt.Errorf("incident %s uses provider %q, which this build lacks", id, a.Provider)
		}
		if credential == "" {
			credential, _ = b.Credential(f.Info)
		}
		if credential == "" && len(f.Info.Credentials) > 0 {
			h.Close()
			return nil, fmt.Errorf("%w: %s", ErrNeedCredential, f.Info.Credentials[0].Prompt)
		}
		p, err = f.New(b.providerConfig(f.Info, credential))
		if err != nil {
			h.Close()
			return nil, err
		}
	}
	s := b.session(inc, h, p)
	if !inc.Drill {
		if _, err := s.Engine.LoadPermissions(context.Background()); err != nil {
			s.Close()
			return nil, fmt.Errorf("%v — %s", err, provider.Advice(err))
		}
	}
	return s, nil
}

func (b *backend) session(inc *checklist.Incident, h *checklist.Handle, p provider.Provider) *Session {
	e := checklist.NewEngine(inc, h, p, b.secrets)
	e.DryRun = b.dryRun || inc.DryRun // a dry-run incident stays one
	e.Baselines = incidentBaselines()
	if e.SessionKeyID == "" {
		e.SessionKeyID = sessionKeyID(p, inc)
	}
	closeFn := h.Close
	if acct, ok := p.(*drill.Account); ok {
		// The drill scans a small fake server written to a temporary folder
		// (never the state directory) named after this process, removed
		// when the session ends, on a signal, or by the next reclaim's
		// start-up sweep when this one was killed.
		if dir, err := checklist.NewDrillTree(); err == nil {
			if err := acct.WriteServerTree(dir); err == nil {
				e.Scanner = leakscan.NewLeakScanner([]string{dir}, leakscan.Options{})
			}
			closeFn = func() { h.Close(); os.RemoveAll(dir) }
		}
	} else {
		e.Scanner = leakscan.NewLeakScanner(nil, leakscan.Options{})
	}
	s := &Session{Engine: e, close: closeFn}
	s.unhook = atExit(s.saveAndClose)
	sessionsOpened.Add(1)
	return s
}

func sessionKeyID(p provider.Provider, inc *checklist.Incident) string {
	if s, ok := p.(provider.SessionKeyReporter); ok {
		return s.SessionKeyID()
	}
	return ""
}

func (b *backend) providerConfig(info provider.Info, credential string) provider.Config {
	cfg := provider.Config{Credential: credential}
	if info.BaseURLEnv != "" {
		cfg.BaseURL = os.Getenv(info.BaseURLEnv)
	}
	return cfg
}

// Credential looks up a provider's credential in the environment, then the
// keyring (with a timeout). It never reads a file or a flag.
func (b *backend) Credential(info provider.Info) (string, string) {
	var parts []string
	source := "environment"
	missing := 0
	for _, c := range info.Credentials {
		v := c.FromEnv(os.Getenv)
		if v == "" {
			v, _ = b.secrets.Get(context.Background(), "credential/"+c.Env)
			if v != "" {
				source = "keyring"
			}
		}
		if v == "" {
			if !c.Optional {
				return "", ""
			}
			missing++
			v = provider.CredentialAbsent
		}
		parts = append(parts, strings.TrimSpace(v))
	}
	if missing == len(info.Credentials) {
		return "", "" // nothing given at all: ask
	}
	return strings.Join(parts, ":"), source
}
