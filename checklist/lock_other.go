//go:build !unix

package checklist

import (
	"errors"
	"os"
	"path/filepath"
)

// On systems without flock, a marker file created exclusively stands in for
// the lock; a crash leaves it behind, and the message says how to clear it.
func lockFile(f *os.File) error {
	m, err := os.OpenFile(filepath.Join(filepath.Dir(f.Name()), "lock.held"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return errors.New("lock.held exists (delete it if no reclaim is running)")
	}
	return m.Close()
}

func unlockFile(f *os.File) { _ = os.Remove(filepath.Join(filepath.Dir(f.Name()), "lock.held")) }
