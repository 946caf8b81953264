package checklist_test

import (
	"archive/zip"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"reclaim/checklist"
	"reclaim/checklist/leakscan"
	"reclaim/provider/detecttest"
)

func TestScanScopeOf(t *testing.T) {
	for _, c := range []struct {
		answers map[string]string
		want    checklist.ScanScope
	}{
		{map[string]string{}, checklist.ScanScope{History: true, Archives: true}},
		{map[string]string{"include": ""}, checklist.ScanScope{}},
		{map[string]string{"include": "history"}, checklist.ScanScope{History: true}},
		{map[string]string{"include": "archives, history"}, checklist.ScanScope{History: true, Archives: true}},
		{map[string]string{"include": "archives,bogus"}, checklist.ScanScope{Archives: true}},
	} {
		if got := checklist.ScanScopeOf(c.answers); got != c.want {
			t.Errorf("%v: %+v, want %+v", c.answers, got, c.want)
		}
	}
}

// The scan step asks what to read besides files, both ticked at first.
func TestScanStepAsksScope(t *testing.T) {
	e := leakEngine(t, &keysProv{keys: leakKeys()})
	qs := e.Questions(checklist.StepScan)
	i := slices.IndexFunc(qs, func(q checklist.Question) bool { return q.ID == "include" })
	if i < 0 {
		t.Fatalf("no include question in %+v", qs)
	}
	q := qs[i]
	if q.Kind != checklist.QMulti || q.Default != "history,archives" || len(q.Options) != 2 || !strings.Contains(q.Options[0].Label, "git history") {
		t.Errorf("include question %+v", q)
	}
}

// The scope reaches the scanner: with history and archives ticked, a key
// deleted from a repository's files and one inside a backup zip are found;
// with neither, only files are read.
func TestEngineScanScope(t *testing.T) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("RECLAIM_E2E") == "1" {
			t.Fatal("git is not installed (RECLAIM_E2E=1)")
		}
		t.Skip("git is not installed")
	}
	r := rand.New(rand.NewPCG(31, 32))
	alnum := "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	inHistory := "S" + "G." + detecttest.Rand(r, alnum, 22) + "." + detecttest.Rand(r, alnum, 43)
	inZip := "S" + "G." + detecttest.Rand(r, alnum, 22) + "." + detecttest.Rand(r, alnum, 43)
	root := t.TempDir()
	repo := filepath.Join(root, "site")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		cmd := exec.Command(gitPath, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+repo, "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.test", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.test")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, b)
		}
	}
	git("init", "-q")
	os.WriteFile(filepath.Join(repo, ".env"), []byte("SENDGRID_API_KEY="+inHistory+"\n"), 0o644)
	git("add", ".env")
	git("commit", "-q", "-m", "env")
	os.WriteFile(filepath.Join(repo, ".env"), []byte("SENDGRID_API_KEY=\n"), 0o644)
	git("commit", "-q", "-am", "no key")
	zf, err := os.Create(filepath.Join(root, "backup.zip"))
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(zf)
	w, _ := zw.Create("site/.env")
	w.Write([]byte("SENDGRID_API_KEY=" + inZip + "\n"))
	zw.Close()
	zf.Close()

	for _, scope := range []checklist.ScanScope{{History: true, Archives: true}, {}} {
		e := leakEngine(t, &keysProv{keys: leakKeys()})
		e.Scanner = leakscan.NewLeakScanner([]string{root}, leakscan.Options{})
		e.SetScanScope(scope)
		if _, err := e.Scan(context.Background(), nil, nil); err != nil {
			t.Fatal(err)
		}
		var hist, member bool
		for _, f := range e.Snapshot().Account().Findings {
			if f.Source != "scan" || !strings.HasPrefix(f.ID, "leak:") {
				continue
			}
			hist = hist || strings.Contains(f.Title, "git history")
			member = member || strings.Contains(f.Title, "backup.zip!/site/.env")
		}
		if hist != scope.History || member != scope.Archives {
			t.Errorf("scope %+v: history finding %v, archive finding %v", scope, hist, member)
		}
	}
}
