// Package prismtest holds what the adapters' Prism contract tests share:
// finding the Prism binary and reporting a missing tool.
package prismtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Need reports a missing tool: a skip normally, a failure under
// RECLAIM_E2E=1 (CI), where every tool must be there.
func Need(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("RECLAIM_E2E") == "1" {
		t.Fatal(msg + " (RECLAIM_E2E=1: a missing tool fails the run)")
	}
	t.Skip(msg)
}

// Find returns the Prism binary: $RECLAIM_PRISM, the cache
// .ci/install-prism.sh fills, or prism on PATH ("" when none).
func Find() string {
	if p := os.Getenv("RECLAIM_PRISM"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	if p := filepath.Join(cache, "reclaim-prism", "node_modules", ".bin", "prism"); exists(p) {
		return p
	}
	p, _ := exec.LookPath("prism")
	return p
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
