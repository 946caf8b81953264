package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestVersionText(t *testing.T) {
	goLine := "go1.26.0 " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	stamped := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "reclaim", Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs", Value: "git"},
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-01T00:48:38Z"},
		{Key: "vcs.modified", Value: "true"},
	}}
	for _, c := range []struct {
		name, ld string
		info     *debug.BuildInfo
		ok       bool
		want     string
	}{
		{"vcs", "dev", stamped, true, "reclaim v1.2.3\nrevision 0123456789abcdef0123456789abcdef01234567 (committed 2026-12-01T00:48:38Z; built with uncommitted changes)\n" + goLine},
		{"ldflags", "v9.9.9", stamped, true, "reclaim v9.9.9\nrevision 0123456789abcdef0123456789abcdef01234567 (committed 2026-12-01T00:48:38Z; built with uncommitted changes)\n" + goLine},
		{"go run", "dev", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "reclaim", Version: "(devel)"}}, true, "reclaim (devel)\nrevision unknown: built without VCS information\n" + goLine},
		{"clean", "dev", &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.0.0"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "false"}}}, true, "reclaim v1.0.0\nrevision abc\n" + goLine},
	} {
		if got := readBuildVersion(c.ld, c.info, c.ok).String(); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
	}
	if got := readBuildVersion("dev", nil, false).String(); !strings.HasPrefix(got, "reclaim unknown (no build information)\nrevision unknown: built without VCS information\n") {
		t.Errorf("no build info: %q", got)
	}
}

var pseudoRE = regexp.MustCompile(`-\d{14}-([0-9a-f]{12})(\+dirty)?$`)

// gitOut runs git in dir and returns its trimmed output.
func gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// Issue 12, item 4: a binary built by go build inside a checkout prints
// the revision it was built from (git rev-parse HEAD), the commit's time,
// and the module version; --version, -v and the version command print the
// same text. Built without VCS information it says so.
func TestVersionFromBuildInfo(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("skipping: git is not installed, so there is no checkout to stamp the build from")
	}
	head, err := gitOut(".", "rev-parse", "HEAD")
	if err != nil {
		t.Skipf("skipping: not inside a git checkout (git rev-parse HEAD: %v)", err)
	}
	dir := t.TempDir()

	var bin, printed string
	// Others may commit while this builds: build until HEAD is the same
	// before and after.
	for attempt := 0; ; attempt++ {
		bin = filepath.Join(dir, "reclaim-vcs")
		// -buildvcs=true: GOFLAGS may say -buildvcs=false; this test is
		// about the stamped build.
		if out, err := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Fatalf("go build -buildvcs=true: %v\n%s", err, out)
		}
		after, _ := gitOut(".", "rev-parse", "HEAD")
		if after == head || attempt == 4 {
			head = after
			break
		}
		head = after
	}
	commitTime, err := gitOut(".", "-c", "log.showsignature=false", "log", "-1", "--format=%ct", head)
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := strconv.ParseInt(commitTime, 10, 64)
	wantTime := time.Unix(ct, 0).UTC().Format(time.RFC3339)

	for _, args := range [][]string{{"--version"}, {"-v"}, {"version"}} {
		r := runBin(t, bin, []string{"HOME=" + t.TempDir()}, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
		if printed == "" {
			printed = r.stdout
		} else if r.stdout != printed {
			t.Errorf("%v prints\n%s\nbut --version prints\n%s", args, r.stdout, printed)
		}
	}
	lines := strings.Split(printed, "\n")
	if len(lines) < 3 || !strings.HasPrefix(lines[0], "reclaim v") {
		t.Fatalf("want the module version on the first line:\n%s", printed)
	}
	if want := "revision " + head + " (committed " + wantTime; !strings.HasPrefix(lines[1], want) {
		t.Errorf("second line %q, want it to start %q (git rev-parse HEAD)", lines[1], want)
	}
	// A pseudo-version (no tag on HEAD) names the same commit.
	if m := pseudoRE.FindStringSubmatch(lines[0]); m != nil && m[1] != head[:12] {
		t.Errorf("module version %q names commit %s, not %s", lines[0], m[1], head[:12])
	}
	if dirty := strings.HasSuffix(lines[0], "+dirty"); dirty != strings.Contains(lines[1], "uncommitted changes") {
		t.Errorf("+dirty and the uncommitted-changes note disagree:\n%s", printed)
	}

	// Built without VCS information (as go run and go test build), it
	// says what it does not know instead of inventing it.
	plain := filepath.Join(dir, "reclaim-novcs")
	if out, err := exec.Command("go", "build", "-buildvcs=false", "-o", plain, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build -buildvcs=false: %v\n%s", err, out)
	}
	r := runBin(t, plain, []string{"HOME=" + t.TempDir()}, "--version")
	if !strings.HasPrefix(r.stdout, "reclaim (devel)\nrevision unknown: built without VCS information\n") {
		t.Errorf("without VCS information --version prints:\n%s", r.stdout)
	}
}
