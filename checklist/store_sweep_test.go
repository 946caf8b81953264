package checklist_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"reclaim/checklist"
)

// deadPID is the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Skip("no true(1):", err)
	}
	return c.Process.Pid
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

// Item 7: a drill tree is named after its reclaim's pid; at start-up the
// trees of reclaims that are gone are removed, and nothing else.
func TestStateSweepDrillTrees(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the sweep reads /proc")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	mine, err := checklist.NewDrillTree()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(mine), fmt.Sprintf("%s%d-", checklist.DrillTreePrefix, os.Getpid())) || filepath.Dir(mine) != tmp {
		t.Fatalf("tree %s is not named after this process", mine)
	}
	if fi, _ := os.Stat(mine); fi.Mode().Perm() != 0o700 {
		t.Errorf("tree mode %04o", fi.Mode().Perm())
	}
	mk := func(name string) string {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Join(p, "var", "www"), 0o700); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(p, "var", "www", ".env"), []byte("SENDGRID_API_KEY=SG.fake\n"), 0o600)
		return p
	}
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	dead := mk(fmt.Sprintf("%s%d-123456", checklist.DrillTreePrefix, deadPID(t)))
	legacyOld := mk(checklist.DrillTreePrefix + "987654321")
	os.Chtimes(legacyOld, old, old)
	legacyNew := mk(checklist.DrillTreePrefix + "987654322") // made after this process started: a live reclaim's
	notOurs := mk("reclaim-drill-serverX-1-2")
	other := mk("something-else")
	os.Chtimes(other, old, old)
	// A link named like a tree, to a folder that must survive.
	target := mk("precious")
	link := filepath.Join(tmp, fmt.Sprintf("%s%d-777", checklist.DrillTreePrefix, deadPID(t)))
	os.Symlink(target, link)
	var foreign string
	if os.Geteuid() == 0 {
		foreign = mk(fmt.Sprintf("%s%d-424242", checklist.DrillTreePrefix, deadPID(t)))
		os.Chown(foreign, 65534, 65534)
	}

	removed := checklist.SweepLeftovers("")
	t.Logf("removed %v", removed)
	for _, p := range []string{dead, legacyOld} {
		if exists(p) {
			t.Errorf("%s was left behind", p)
		}
	}
	for _, p := range []string{mine, legacyNew, notOurs, other, target, filepath.Join(target, "var", "www", ".env"), link} {
		if !exists(p) {
			t.Errorf("%s was removed", p)
		}
	}
	if foreign != "" && !exists(foreign) {
		t.Error("a tree owned by another user was removed")
	}
}

// Item 7: temporary state files a killed reclaim left are removed when the
// incident is next locked, and by the start-up sweep when older than every
// live reclaim.
func TestStateSweepTempFiles(t *testing.T) {
	state, dir := newIncident(t)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	write := func(name string, oldTime bool) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("{"), 0o600)
		if oldTime {
			os.Chtimes(p, old, old)
		}
		return p
	}
	stale := write(".state.json.111.tmp", true)
	staleReport := write(".report.md.222.tmp", true)
	fresh := write(".provider.json.333.tmp", false)
	keep := write("notes.tmp", true)
	if runtime.GOOS == "linux" {
		checklist.SweepLeftovers(state)
		if exists(stale) || exists(staleReport) {
			t.Error("the sweep left old temporary files")
		}
		if !exists(fresh) {
			t.Error("the sweep removed a temporary file newer than this process")
		}
	}
	// Locking the incident removes its temporary state files: nobody else
	// writes there while the lock is held.
	h, _, _, err := (&checklist.Store{Dir: state}).Open(filepath.Base(dir))
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	if exists(fresh) {
		t.Error("a leftover temporary state file survived locking the incident")
	}
	if !exists(keep) {
		t.Error("a file reclaim does not name was removed")
	}
}

// Item 7: an unsafe state dir is not swept.
func TestStateSweepLeavesUnsafeStateAlone(t *testing.T) {
	state, dir := newIncident(t)
	p := filepath.Join(dir, ".state.json.5.tmp")
	os.WriteFile(p, nil, 0o600)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(p, old, old)
	os.Chmod(state, 0o777)
	checklist.SweepLeftovers(state)
	if !exists(p) {
		t.Error("the sweep worked in a world-writable state dir")
	}
}
