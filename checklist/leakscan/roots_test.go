package leakscan

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A scan proves it read something: each root says what was read from it,
// or why nothing was.

func scanRoots(t *testing.T, roots ...string) *Report {
	t.Helper()
	rep, err := Scan(context.Background(), roots, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.RootStats) != len(roots) {
		t.Fatalf("%d root stats for %d roots", len(rep.RootStats), len(roots))
	}
	for i, s := range rep.RootStats {
		if s.Path != roots[i] {
			t.Errorf("root %d: path %q, want %q as given", i, s.Path, roots[i])
		}
	}
	return rep
}

func TestRootReadStats(t *testing.T) {
	dir, _ := plant(t)
	rep := scanRoots(t, dir)
	s := rep.RootStats[0]
	if s.Error != "" || s.Files != rep.Files || s.Bytes != rep.Bytes || s.Files == 0 || s.Target != "" {
		t.Fatalf("root stat %+v, report %d files %d bytes", s, rep.Files, rep.Bytes)
	}
	// the executable bin/blob.dat is opened, recognised by its first bytes
	// and skipped
	if s.Skipped != 1 || rep.Binary != 1 || !strings.HasSuffix(rep.BinaryFirst, "/bin/blob.dat") {
		t.Errorf("skipped %d, binary %d, first %q: want the executable skipped by type", s.Skipped, rep.Binary, rep.BinaryFirst)
	}
	if err := rep.RootsError(); err != nil {
		t.Fatal(err)
	}
}

func TestRootMissing(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "srv", "www")
	rep := scanRoots(t, missing)
	if got := rep.RootStats[0].Error; got != "no such file or folder" {
		t.Fatalf("error %q", got)
	}
	err := rep.RootsError()
	if err == nil || err.Error() != "nothing was read: "+missing+": no such file or folder" {
		t.Fatalf("RootsError %v", err)
	}
}

func TestRootEmptyFolder(t *testing.T) {
	empty := t.TempDir()
	rep := scanRoots(t, empty)
	if got := rep.RootStats[0].Error; got != "holds no readable file" {
		t.Fatalf("error %q", got)
	}
	if err := rep.RootsError(); err == nil || !strings.Contains(err.Error(), empty+": holds no readable file") {
		t.Fatalf("RootsError %v", err)
	}
	// only binary files (skipped by extension): nothing readable either
	if err := os.WriteFile(filepath.Join(empty, "logo.png"), []byte("\x89PNG"), 0o644); err != nil {
		t.Fatal(err)
	}
	rep = scanRoots(t, empty)
	if got := rep.RootStats[0].Error; got != "holds no readable file (1 binary or too big, skipped)" {
		t.Fatalf("error %q", got)
	}
}

func TestRootNotAFile(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	rep := scanRoots(t, fifo)
	if got := rep.RootStats[0].Error; got != "not a file or folder: a named pipe" {
		t.Fatalf("error %q", got)
	}
	if rep.RootsError() == nil {
		t.Fatal("a named pipe root gave no error")
	}
}

func TestRootPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which can read a chmod 000 folder: the unreadable case is covered by TestRootNotAFile (a named pipe)")
	}
	dir := t.TempDir()
	locked := filepath.Join(dir, "locked")
	if err := os.Mkdir(locked, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(locked, "a.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "secret.env")
	if err := os.WriteFile(file, []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	rep := scanRoots(t, locked, file)
	for _, s := range rep.RootStats {
		if s.Error != "permission denied" {
			t.Errorf("%s: error %q", s.Path, s.Error)
		}
	}
}

func TestRootSymlink(t *testing.T) {
	dir, secrets := plant(t)
	link := filepath.Join(t.TempDir(), "site")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	rep := scanRoots(t, link)
	want, _ := filepath.EvalSymlinks(dir)
	s := rep.RootStats[0]
	if s.Target != want || s.Error != "" || s.Files == 0 {
		t.Fatalf("root stat %+v, want target %s", s, want)
	}
	if len(rep.Findings) != 16 {
		t.Fatalf("%d findings through the link, want 16", len(rep.Findings))
	}
	if !strings.HasPrefix(rep.Findings[0].File, want+string(filepath.Separator)) {
		t.Errorf("finding in %s, want under the target %s", rep.Findings[0].File, want)
	}
	// a link to a single file
	flink := filepath.Join(t.TempDir(), "env")
	if err := os.Symlink(filepath.Join(dir, "app", ".env"), flink); err != nil {
		t.Fatal(err)
	}
	rep = scanRoots(t, flink)
	if s := rep.RootStats[0]; s.Files != 1 || s.Error != "" || !strings.HasSuffix(s.Target, ".env") || len(rep.Findings) != 8 {
		t.Fatalf("file link: %+v, %d findings", s, len(rep.Findings))
	}
	var text bytes.Buffer
	WriteText(&text, rep)
	if !strings.Contains(text.String(), flink+" -> "+rep.RootStats[0].Target+": 1 file, ") {
		t.Errorf("text summary does not name the target:\n%s", text.String())
	}
	for _, sec := range secrets {
		if strings.Contains(text.String(), sec) {
			t.Fatal("secret in the text output")
		}
	}
	// a dangling link
	broken := filepath.Join(t.TempDir(), "gone")
	if err := os.Symlink(filepath.Join(t.TempDir(), "nowhere"), broken); err != nil {
		t.Fatal(err)
	}
	rep = scanRoots(t, broken)
	if s := rep.RootStats[0]; s.Error != "no such file or folder" || !strings.HasSuffix(s.Target, "nowhere") {
		t.Fatalf("dangling link: %+v", s)
	}
}

func TestRootsMixed(t *testing.T) {
	dir, _ := plant(t)
	missing := filepath.Join(t.TempDir(), "old")
	rep := scanRoots(t, dir, missing)
	good, bad := rep.RootStats[0], rep.RootStats[1]
	if good.Error != "" || good.Files == 0 || bad.Error != "no such file or folder" || bad.Files != 0 {
		t.Fatalf("stats %+v %+v", good, bad)
	}
	if len(rep.Findings) != 16 {
		t.Fatalf("%d findings", len(rep.Findings))
	}
	err := rep.RootsError()
	if err == nil || err.Error() != "1 of 2 roots not read: "+missing+": no such file or folder" {
		t.Fatalf("RootsError %v", err)
	}

	var text, js, sarif bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{dir + ": " + itoa(good.Files) + " files, ", missing + ": NOT READ: no such file or folder"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	var j struct {
		Roots     []string   `json:"roots"`
		RootStats []RootStat `json:"root_stats"`
	}
	if err := json.Unmarshal(js.Bytes(), &j); err != nil || len(j.Roots) != 2 || len(j.RootStats) != 2 || j.RootStats[0].Files != good.Files || j.RootStats[1].Error == "" {
		t.Fatalf("JSON roots %v: %+v", err, j)
	}
	if err := WriteSARIF(&sarif, rep, "test"); err != nil {
		t.Fatal(err)
	}
	var sl struct {
		Runs []struct {
			Results     []json.RawMessage `json:"results"`
			Invocations []struct {
				ExecutionSuccessful bool `json:"executionSuccessful"`
				Notes               []struct {
					Level   string `json:"level"`
					Message struct{ Text string }
				} `json:"toolExecutionNotifications"`
				Properties struct {
					Roots []RootStat `json:"roots"`
				} `json:"properties"`
			} `json:"invocations"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sarif.Bytes(), &sl); err != nil || len(sl.Runs) != 1 || len(sl.Runs[0].Invocations) != 1 {
		t.Fatalf("SARIF %v: %s", err, sarif.String())
	}
	inv := sl.Runs[0].Invocations[0]
	if inv.ExecutionSuccessful || len(inv.Notes) != 1 || inv.Notes[0].Message.Text != missing+": no such file or folder" || len(inv.Properties.Roots) != 2 || inv.Properties.Roots[0].Bytes != good.Bytes {
		t.Fatalf("SARIF invocation %+v", inv)
	}
	if len(sl.Runs[0].Results) == 0 {
		t.Fatal("SARIF lost its results")
	}
}

// A scan stopped before it read anything does not call its roots empty.
func TestRootsCancelled(t *testing.T) {
	dir, _ := plant(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	rep, err := Scan(ctx, []string{dir}, Options{})
	if err == nil || rep == nil {
		t.Fatalf("cancelled scan: %v", err)
	}
	if s := rep.RootStats[0]; s.Error != "" {
		t.Fatalf("cancelled root marked %q", s.Error)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
