package main

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"reclaim/provider/detecttest"
)

// gitCLI runs `reclaim scan --git REPO…` (and any PATHs).
func gitCLI(t *testing.T, format string, repos []string, paths ...string) (int, string, error) {
	t.Helper()
	isolateConfigs(t)
	var out, errb bytes.Buffer
	err := runScan(context.Background(), &out, &errb, paths, format, nil, 0, gitOption(repos, false))
	code := exitOK
	var ee *exitErr
	if errors.As(err, &ee) {
		code, err = ee.code, ee.err
	} else if err != nil {
		t.Fatalf("error without an exit code: %v", err)
	}
	return code, out.String(), err
}

// A key committed and deleted is found by --git with its commit, and said
// to be gone from HEAD; without --git, only the work tree is read.
func TestScanCLIGitHistory(t *testing.T) {
	gitPath, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("RECLAIM_E2E") == "1" {
			t.Fatal("git is not installed (RECLAIM_E2E=1)")
		}
		t.Skip("git is not installed")
	}
	dir := t.TempDir()
	run := func(args ...string) string {
		cmd := exec.Command(gitPath, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.test",
			"GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.test", "GIT_AUTHOR_DATE=1600000000 +0000", "GIT_COMMITTER_DATE=1600000000 +0000")
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, b)
		}
		return strings.TrimSpace(string(b))
	}
	r := rand.New(rand.NewPCG(8, 9))
	key := "S" + "G." + detecttest.Rand(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 22) + "." + detecttest.Rand(r, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 43)
	run("init", "-q", "-b", "main")
	run("remote", "add", "origin", "https://github.com/acme/site.git")
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("SENDGRID_API_KEY="+key+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", ".env")
	run("commit", "-q", "-m", "env")
	commit := run("rev-parse", "HEAD")
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("SENDGRID_API_KEY=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("commit", "-q", "-am", "no key")

	code, out, err := gitCLI(t, "text", []string{dir})
	if code != exitFindings || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	for _, s := range []string{"under git history", dir + "@" + commit[:12] + ":.env:1", "no longer in HEAD", "[PUBLIC remote]", "git history of " + dir + ": 2 commits"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, key) {
		t.Error("the key is in the output")
	}
	// the work tree alone: the key is not in it any more
	code, out, _ = scanCLI(t, "text", dir)
	if code != exitOK || strings.Contains(out, "SendGrid") {
		t.Errorf("work tree scan: exit %d\n%s", code, out)
	}
	// both, as JSON
	code, out, _ = gitCLI(t, "json", []string{dir}, dir)
	if code != exitFindings || !strings.Contains(out, `"commit": "`+commit+`"`) || !strings.Contains(out, `"repos"`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}
}

// --git on a folder that is no repository is an error naming it.
func TestScanCLIGitNotARepo(t *testing.T) {
	dir := t.TempDir()
	code, _, err := gitCLI(t, "text", []string{dir})
	if code != exitError || err == nil || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "not a git repository") {
		t.Fatalf("exit %d, %v", code, err)
	}
}
