package checklist

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestStateDirBelowAWorldWritableFolderIsRefused: a state directory (or a
// link to one) inside a folder anyone may write without the sticky bit can
// be swapped by another user.
func TestStateDirBelowAWorldWritableFolderIsRefused(t *testing.T) {
	base := t.TempDir()
	open := filepath.Join(base, "wwparent")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o777)
	s := &Store{Dir: filepath.Join(open, "state")}
	if err := s.safeRoot(true); !errors.Is(err, ErrUnsafe) {
		t.Fatalf("state dir under a 0777 folder: %v", err)
	}
	// With the sticky bit (as /tmp has) it is fine.
	os.Chmod(open, 0o777|os.ModeSticky)
	if err := s.safeRoot(true); err != nil {
		t.Fatalf("state dir under a sticky 1777 folder: %v", err)
	}
}
