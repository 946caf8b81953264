package checklist

import (
	"os"
	"path/filepath"
	"testing"
)

// Item 7: on a signal, the temporary files of writes in flight are removed.
func TestStateRemoveTempFilesInFlight(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".state.json.42.tmp")
	if err := os.WriteFile(p, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	tempFiles.Lock()
	tempFiles.m[p] = true
	tempFiles.Unlock()
	RemoveTempFiles()
	if _, err := os.Lstat(p); err == nil {
		t.Fatal("an in-flight temporary file survived RemoveTempFiles")
	}
	// A completed write leaves nothing registered and no temporary file.
	if err := WriteFileAtomic(filepath.Join(dir, StateFile), []byte("{}")); err != nil {
		t.Fatal(err)
	}
	tempFiles.Lock()
	n := len(tempFiles.m)
	tempFiles.Unlock()
	if n != 0 {
		t.Errorf("%d temporary files still registered", n)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(m) != 0 {
		t.Errorf("left: %v", m)
	}
}
