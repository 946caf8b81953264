package checklist

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Keyring is the OS keyring as reclaim uses it (go-keyring in production,
// its mock in tests). Any error but NotFound means "no keyring here".
type Keyring interface {
	Set(service, user, secret string) error
	Get(service, user string) (string, error)
}

// KeyringService is the service name secrets are filed under.
const KeyringService = "reclaim"

// KeyringTimeout bounds every keyring call: on a headless server a D-Bus
// call can hang.
var KeyringTimeout = 3 * time.Second

// Secrets keeps secrets for the session: in the OS keyring when one works,
// otherwise in memory only. It never writes a file.
type Secrets struct {
	mu      sync.Mutex
	kr      Keyring
	mem     map[string]string
	inKR    map[string]bool
	krError error
}

// NewSecrets uses kr when it is non-nil and works.
func NewSecrets(kr Keyring) *Secrets {
	return &Secrets{kr: kr, mem: map[string]string{}, inKR: map[string]bool{}}
}

// ErrNoKeyring says the keyring was unavailable and the secret is in memory.
var ErrNoKeyring = errors.New("no OS keyring available: the secret is kept in memory for this session only")

// Put stores a secret under id and says where it went.
func (s *Secrets) Put(ctx context.Context, id, secret string) (string, error) {
	s.mu.Lock()
	s.mem[id] = secret
	kr, krErr := s.kr, s.krError
	s.mu.Unlock()
	if kr == nil || krErr != nil {
		return "memory (this session only)", ErrNoKeyring
	}
	err := withTimeout(ctx, func() error { return kr.Set(KeyringService, id, secret) })
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.krError = err
		return "memory (this session only)", ErrNoKeyring
	}
	s.inKR[id] = true
	return "OS keyring", nil
}

// Get returns a secret from memory or the keyring.
func (s *Secrets) Get(ctx context.Context, id string) (string, bool) {
	s.mu.Lock()
	v, ok := s.mem[id]
	kr, krErr := s.kr, s.krError
	s.mu.Unlock()
	if ok {
		return v, true
	}
	if kr == nil || krErr != nil {
		return "", false
	}
	var got string
	err := withTimeout(ctx, func() error {
		var e error
		got, e = kr.Get(KeyringService, id)
		return e
	})
	if err != nil {
		return "", false
	}
	return got, true
}

// InKeyring reports whether id was stored in the keyring.
func (s *Secrets) InKeyring(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inKR[id]
}

// Available reports whether the keyring has worked so far.
func (s *Secrets) Available() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.kr != nil && s.krError == nil
}

func withTimeout(ctx context.Context, f func() error) error {
	ctx, cancel := context.WithTimeout(ctx, KeyringTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return errors.New("the keyring did not answer in time")
	}
}
