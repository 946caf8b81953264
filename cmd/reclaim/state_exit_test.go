package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"reclaim/checklist"
)

// runBin runs the built binary with exactly env (plus PATH), no terminal.
func runBin(t *testing.T, bin string, env []string, args ...string) cliResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "RECLAIM_NO_KEYRING=1", "RECLAIM_DRILL_LATENCY=0"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return cliResult{code, out.String(), errb.String()}
}

// Item 7: --help documents the signal exit codes.
func TestStateHelpDocumentsSignalCodes(t *testing.T) {
	bin := buildBinary(t)
	r := runBin(t, bin, []string{"HOME=" + t.TempDir()}, "--help")
	for _, want := range []string{"129  stopped by SIGHUP", "130  interrupted (SIGINT", "143  stopped by SIGTERM", "state is saved first"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--help lacks %q:\n%s", want, r.stdout)
		}
	}
}

// Item 5: with HOME unset there is no shared /tmp fallback: the commands
// that keep state refuse with a message naming --state-dir, and the rest
// work.
func TestStateNoHomeRefuses(t *testing.T) {
	bin := buildBinary(t)
	tmp := t.TempDir()
	env := []string{"TMPDIR=" + tmp} // no HOME, XDG_STATE_HOME or XDG_CACHE_HOME
	for _, args := range [][]string{{"incidents"}, {"drill", "--autopilot"}, {"report"}} {
		r := runBin(t, bin, env, args...)
		if r.code != exitError || !strings.Contains(r.stderr, "--state-dir") || !strings.Contains(r.stderr, "shared folder") {
			t.Errorf("%v: code %d, stderr %q; want exit 2 naming --state-dir", args, r.code, r.stderr)
		}
	}
	t.Logf("message: %s", runBin(t, bin, env, "incidents").stderr)
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("something was written to the temporary folder: %v", ents)
	}
	if _, err := os.Stat("/tmp/reclaim-state/incidents"); err == nil {
		t.Logf("note: /tmp/reclaim-state exists on this machine (an older build's)")
	}
	if r := runBin(t, bin, env, "version"); r.code != 0 {
		t.Errorf("version without HOME: %d %s", r.code, r.stderr)
	}
	// The user's cache dir is private enough.
	cache := t.TempDir()
	if r := runBin(t, bin, append(env, "XDG_CACHE_HOME="+cache), "drill", "--autopilot"); r.code != 0 {
		t.Fatalf("drill with XDG_CACHE_HOME: %d %s", r.code, r.stderr)
	}
	if m, _ := filepath.Glob(filepath.Join(cache, "reclaim", "state", "incidents", "*", checklist.StateFile)); len(m) != 1 {
		t.Errorf("state not in the cache dir: %v", m)
	}
	// --state-dir works without HOME.
	if r := runBin(t, bin, env, "incidents", "--state-dir", t.TempDir()); r.code != 0 {
		t.Errorf("--state-dir without HOME: %d %s", r.code, r.stderr)
	}
}

// damageCopy makes a second incident folder from dir's, with state.json
// replaced by bad, and returns its id.
func damageCopy(t *testing.T, dir, id string, bad []byte) string {
	t.Helper()
	nd := filepath.Join(filepath.Dir(dir), id)
	if err := os.Mkdir(nd, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{checklist.ProviderFile} {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		os.WriteFile(filepath.Join(nd, f), b, 0o600)
	}
	if err := os.WriteFile(filepath.Join(nd, checklist.StateFile), bad, 0o600); err != nil {
		t.Fatal(err)
	}
	return id
}

// Item 6: damaged incidents are listed by "reclaim incidents", refused by
// "reclaim report --incident" with the damage and the copy named, kept
// byte for byte, and "reclaim drill" starts a new incident beside them.
func TestStateDamagedIncidentsCLI(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir()}
	sd := []string{"--state-dir", state}
	if r := runBin(t, bin, env, append([]string{"drill", "--autopilot"}, sd...)...); r.code != 0 {
		t.Fatalf("autopilot: %d %s", r.code, r.stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(state, "incidents", "*"))
	if len(dirs) != 1 {
		t.Fatal(dirs)
	}
	good, _ := os.ReadFile(filepath.Join(dirs[0], checklist.StateFile))
	truncated := good[:len(good)/3]
	tid := damageCopy(t, dirs[0], "20200101-000000-dead-drill", truncated)
	gid := damageCopy(t, dirs[0], "20200102-000000-beef-drill", []byte("\x1b]0;pwned\x07garbage"))
	newer := bytes.Replace(good, []byte(`"schema": 1,`), []byte(`"schema": 9,`), 1)
	nid := damageCopy(t, dirs[0], "20200103-000000-cafe-drill", newer)

	r := runBin(t, bin, env, append([]string{"incidents"}, sd...)...)
	if r.code != 0 {
		t.Fatalf("incidents: %d %s", r.code, r.stderr)
	}
	t.Logf("reclaim incidents:\n%s", r.stdout)
	for _, want := range []string{filepath.Base(dirs[0]), " ok ", tid, gid, nid, "damaged", "newer",
		"state.json is truncated", "state.json is not valid JSON", "upgrade reclaim", "copy kept: ", checklist.QuarantinePrefix, "Only its title"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("incidents output lacks %q", want)
		}
	}
	if strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Error("incidents output holds a raw control byte")
	}
	var list []map[string]any
	jr := runBin(t, bin, env, append([]string{"incidents", "--json"}, sd...)...)
	if err := json.Unmarshal([]byte(jr.stdout), &list); err != nil || len(list) != 4 {
		t.Fatalf("incidents --json: %v\n%s", err, jr.stdout)
	}
	states := map[string]string{}
	for _, x := range list {
		states[x["id"].(string)] = x["state"].(string)
	}
	if states[tid] != "damaged" || states[gid] != "damaged" || states[nid] != "newer" || states[filepath.Base(dirs[0])] != "ok" {
		t.Errorf("states: %v", states)
	}

	// report --incident names the damage and the copy.
	rr := runBin(t, bin, env, append([]string{"report", "--incident", tid}, sd...)...)
	t.Logf("report --incident %s: exit %d: %s", tid, rr.code, rr.stderr)
	copies, _ := filepath.Glob(filepath.Join(state, "incidents", tid, checklist.QuarantinePrefix+"*"))
	if rr.code != exitError || len(copies) != 1 || !strings.Contains(rr.stderr, "is damaged") || !strings.Contains(rr.stderr, "truncated") || !strings.Contains(rr.stderr, copies[0]) {
		t.Errorf("report --incident on a damaged state: exit %d, copies %v, stderr %s", rr.code, copies, rr.stderr)
	}
	if c, _ := os.ReadFile(copies[0]); !bytes.Equal(c, truncated) {
		t.Error("the copy is not byte for byte")
	}
	nr := runBin(t, bin, env, append([]string{"report", "--incident", nid}, sd...)...)
	if nr.code != exitError || !strings.Contains(nr.stderr, "newer reclaim") {
		t.Errorf("report on a newer state: %d %s", nr.code, nr.stderr)
	}
	// The default report is the usable incident's.
	if dr := runBin(t, bin, env, append([]string{"report"}, sd...)...); dr.code != 0 || !strings.Contains(dr.stdout, filepath.Base(dirs[0])) {
		t.Errorf("default report: %d %s", dr.code, dr.stderr)
	}

	// A new drill goes beside the damaged ones; they stay byte for byte.
	if r := runBin(t, bin, env, append([]string{"drill", "--autopilot"}, sd...)...); r.code != 0 {
		t.Fatalf("autopilot: %d %s", r.code, r.stderr)
	}
	if all, _ := filepath.Glob(filepath.Join(state, "incidents", "*")); len(all) != 5 {
		t.Errorf("incident folders: %v", all)
	}
	for id, want := range map[string][]byte{tid: truncated, gid: []byte("\x1b]0;pwned\x07garbage"), nid: newer} {
		if b, _ := os.ReadFile(filepath.Join(state, "incidents", id, checklist.StateFile)); !bytes.Equal(b, want) {
			t.Errorf("%s: the damaged state changed", id)
		}
	}
}

// Item 5: a lock planted as a symbolic link to a file reclaim did not
// create (root's, in the issue) is refused by every command, and that file
// stays as it was.
func TestStateLockSymlinkCLI(t *testing.T) {
	bin := buildBinary(t)
	state := t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir()}
	sd := []string{"--state-dir", state}
	if r := runBin(t, bin, env, append([]string{"drill", "--autopilot"}, sd...)...); r.code != 0 {
		t.Fatalf("autopilot: %d %s", r.code, r.stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(state, "incidents", "*"))
	victim := filepath.Join(t.TempDir(), "root-owned-config")
	content := []byte("PermitRootLogin no\n")
	os.WriteFile(victim, content, 0o644)
	lock := filepath.Join(dirs[0], checklist.LockFile)
	os.Remove(lock)
	if err := os.Symlink(victim, lock); err != nil {
		t.Fatal(err)
	}
	id := filepath.Base(dirs[0])
	r := runBin(t, bin, env, append([]string{"report", "--incident", id}, sd...)...)
	t.Logf("report: exit %d, stderr %s", r.code, r.stderr)
	if !strings.Contains(r.stderr, "symbolic link") {
		t.Errorf("report did not say the lock is a link: %s", r.stderr)
	}
	r = runBin(t, bin, env, append([]string{"report", "--incident", id, "--filed", "--ticket", "T-1"}, sd...)...)
	if r.code == 0 {
		t.Errorf("filing through a planted lock succeeded: %s", r.stderr)
	}
	if b, _ := os.ReadFile(victim); !bytes.Equal(b, content) {
		t.Fatalf("the file the lock points at was changed: %q", b)
	}
}

// Item 5: a state dir others can write, or another user's, is refused by
// the commands with the fix spelled out.
func TestStateUnsafeDirCLI(t *testing.T) {
	bin := buildBinary(t)
	env := []string{"HOME=" + t.TempDir(), "TMPDIR=" + t.TempDir()}
	state := t.TempDir()
	if r := runBin(t, bin, env, "drill", "--autopilot", "--state-dir", state); r.code != 0 {
		t.Fatalf("autopilot: %d %s", r.code, r.stderr)
	}
	os.Chmod(state, 0o777)
	for _, args := range [][]string{{"incidents"}, {"report"}, {"drill", "--autopilot"}} {
		r := runBin(t, bin, env, append(args, "--state-dir", state)...)
		if r.code != exitError || !strings.Contains(r.stderr, "writable by every user") || !strings.Contains(r.stderr, "Fix: chmod 700 "+state) {
			t.Errorf("%v: exit %d, %s", args, r.code, r.stderr)
		}
	}
	t.Logf("message: %s", runBin(t, bin, env, "incidents", "--state-dir", state).stderr)
	os.Chmod(state, 0o700)
	if os.Geteuid() == 0 {
		os.Chown(state, 65534, 65534)
		r := runBin(t, bin, env, "incidents", "--state-dir", state)
		if r.code != exitError || !strings.Contains(r.stderr, "uid 65534") || !strings.Contains(r.stderr, "chown") {
			t.Errorf("another user's state dir: exit %d, %s", r.code, r.stderr)
		}
		t.Logf("message: %s", r.stderr)
	}
}

// tmuxDrill starts "reclaim drill" in a tmux session with a private state
// dir and temporary folder, waits for the briefing, and returns the
// reclaim process's pid and its drill tree.
func tmuxDrill(t *testing.T, x *tmux, bin, name, state, tmp string) (int, string) {
	t.Helper()
	env := "env -u HOME HOME=" + t.TempDir() + " TMPDIR=" + tmp + " RECLAIM_NO_KEYRING=1 RECLAIM_DRILL_LATENCY=0 TERM=xterm-256color "
	x.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", env+bin+" drill --state-dir "+state+"; echo EXIT=$?; sleep 600")
	x.run("set-option", "-t", name, "status", "off")
	x.waitFor(name, "Drill briefing", 20*time.Second)
	pane := x.panePID(name)
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pane), "-f", "reclaim").Output()
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.Split(string(out), "\n")[0]))
	if pid == 0 {
		t.Fatalf("no reclaim process under pane %d", pane)
	}
	trees, _ := filepath.Glob(filepath.Join(tmp, checklist.DrillTreePrefix+"*"))
	if len(trees) != 1 || !strings.HasPrefix(filepath.Base(trees[0]), fmt.Sprintf("%s%d-", checklist.DrillTreePrefix, pid)) {
		t.Fatalf("drill tree: %v (pid %d)", trees, pid)
	}
	return pid, trees[0]
}

var exitRE = regexp.MustCompile(`EXIT=(\d+)`)

// checkClean asserts no drill tree or temporary state file is left, and
// that the incident is saved and unlocked.
func checkClean(t *testing.T, state, tmp string) {
	t.Helper()
	if trees, _ := filepath.Glob(filepath.Join(tmp, checklist.DrillTreePrefix+"*")); len(trees) != 0 {
		t.Errorf("drill trees left: %v", trees)
	}
	if temps, _ := filepath.Glob(filepath.Join(state, "incidents", "*", ".*.tmp")); len(temps) != 0 {
		t.Errorf("temporary files left: %v", temps)
	}
	dirs, _ := filepath.Glob(filepath.Join(state, "incidents", "*"))
	if len(dirs) != 1 {
		t.Fatalf("incidents: %v", dirs)
	}
	st := &checklist.Store{Dir: state}
	h, inc, _, err := st.Open(filepath.Base(dirs[0]))
	if err != nil {
		t.Fatalf("the incident does not reopen: %v", err)
	}
	h.Close()
	if len(inc.Journal) == 0 {
		t.Error("empty journal")
	}
}

// Item 7: SIGINT, SIGHUP and SIGTERM save the state, remove the drill tree
// and exit 130, 129 and 143.
func TestStateSignalsCleanUp(t *testing.T) {
	needTool(t, "tmux")
	needTool(t, "pgrep")
	bin := buildBinary(t)
	for _, c := range []struct {
		sig  syscall.Signal
		name string
		code int
	}{{syscall.SIGINT, "SIGINT", 130}, {syscall.SIGHUP, "SIGHUP", 129}, {syscall.SIGTERM, "SIGTERM", 143}} {
		t.Run(c.name, func(t *testing.T) {
			state, tmp := t.TempDir(), t.TempDir()
			x := &tmux{t: t, socket: fmt.Sprintf("reclaim-sig-%d-%s", os.Getpid(), c.name)}
			t.Cleanup(func() { x.run("kill-server") })
			pid, _ := tmuxDrill(t, x, bin, "s", state, tmp)
			if err := syscall.Kill(pid, c.sig); err != nil {
				t.Fatal(err)
			}
			screen := x.waitFor("s", "EXIT=", 20*time.Second)
			m := exitRE.FindStringSubmatch(screen)
			if m == nil || m[1] != strconv.Itoa(c.code) {
				t.Errorf("exit after %s: %v, want %d; screen:\n%s", c.name, m, c.code, screen)
			}
			if !strings.Contains(screen, "stopped by "+c.name) {
				t.Errorf("no message naming %s:\n%s", c.name, screen)
			}
			checkClean(t, state, tmp)
		})
	}
}

// Item 7: closing the terminal (tmux kill-session hangs up the pane) leaves
// nothing behind either.
func TestStateHangupByClosingTerminal(t *testing.T) {
	needTool(t, "tmux")
	needTool(t, "pgrep")
	bin := buildBinary(t)
	state, tmp := t.TempDir(), t.TempDir()
	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-hup-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	pid, _ := tmuxDrill(t, x, bin, "h", state, tmp)
	x.run("kill-session", "-t", "h")
	waitGone(t, pid)
	checkClean(t, state, tmp)
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if syscall.Kill(pid, 0) != nil {
			return
		}
	}
	t.Fatalf("process %d did not exit", pid)
}

// Item 7: SIGKILL cannot be caught: the tree stays, and the next reclaim's
// start-up sweep removes it (and old temporary state files).
func TestStateSIGKILLLeftoversSweptAtStart(t *testing.T) {
	needTool(t, "tmux")
	needTool(t, "pgrep")
	bin := buildBinary(t)
	state, tmp := t.TempDir(), t.TempDir()
	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-kill-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	pid, tree := tmuxDrill(t, x, bin, "k", state, tmp)
	syscall.Kill(pid, syscall.SIGKILL)
	x.waitFor("k", "EXIT=137", 20*time.Second)
	if _, err := os.Stat(tree); err != nil {
		t.Fatalf("after SIGKILL the tree should still be there (nothing can catch it): %v", err)
	}
	dirs, _ := filepath.Glob(filepath.Join(state, "incidents", "*"))
	if len(dirs) != 1 {
		t.Fatal(dirs)
	}
	// What a kill between temp file and rename leaves.
	leftover := filepath.Join(dirs[0], ".state.json.4242.tmp")
	os.WriteFile(leftover, []byte(`{"half":`), 0o600)
	// Older than the machine's boot: no running reclaim can own it (a
	// reclaim left running by something else on this machine would keep a
	// temp file younger than itself, rightly).
	old := bootTime(t).Add(-time.Hour)
	os.Chtimes(leftover, old, old)

	// Any command starts with the sweep.
	r := runBin(t, bin, []string{"HOME=" + t.TempDir(), "TMPDIR=" + tmp}, "incidents", "--state-dir", state)
	if r.code != 0 {
		t.Fatalf("incidents: %d %s", r.code, r.stderr)
	}
	if _, err := os.Stat(tree); err == nil {
		t.Error("the killed reclaim's drill tree survived the next start")
	}
	if _, err := os.Stat(leftover); err == nil {
		t.Error("the temporary state file survived the next start")
	}
	if !strings.Contains(r.stdout, " ok ") {
		t.Errorf("the killed drill is not listed as ok:\n%s", r.stdout)
	}
}

// Item 6: the start screen lists a damaged incident with the reason, and
// "reclaim drill" starts a new drill beside a damaged one.
func TestStateStartScreenListsDamaged(t *testing.T) {
	needTool(t, "tmux")
	bin := buildBinary(t)
	state, tmp := t.TempDir(), t.TempDir()
	env := []string{"HOME=" + t.TempDir(), "TMPDIR=" + tmp}
	if r := runBin(t, bin, env, "drill", "--autopilot", "--state-dir", state); r.code != 0 {
		t.Fatalf("autopilot: %d %s", r.code, r.stderr)
	}
	dirs, _ := filepath.Glob(filepath.Join(state, "incidents", "*"))
	good, _ := os.ReadFile(filepath.Join(dirs[0], checklist.StateFile))
	// The finished drill is closed; make an unfinished one damaged.
	os.WriteFile(filepath.Join(dirs[0], checklist.StateFile), good[:200], 0o600)

	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-dmg-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	envs := "env TMPDIR=" + tmp + " RECLAIM_NO_KEYRING=1 RECLAIM_DRILL_LATENCY=0 TERM=xterm-256color "
	x.run("new-session", "-d", "-s", "d", "-x", "80", "-y", "24", envs+bin+" --state-dir "+state+"; sleep 600")
	x.run("set-option", "-t", "d", "status", "off")
	s := x.waitFor("d", "Damaged: ", 20*time.Second)
	if !strings.Contains(s, "truncated") || !strings.Contains(s, "Start a new drill") {
		t.Errorf("start screen:\n%s", s)
	}
	t.Logf("start screen:\n%s", s)
	x.run("send-keys", "-t", "d", "Enter")
	s = x.waitFor("d", "copy kept", 10*time.Second)
	x.run("send-keys", "-t", "d", "q")

	// reclaim drill: a new drill, beside the damaged one.
	x.run("new-session", "-d", "-s", "n", "-x", "80", "-y", "24", envs+bin+" drill --state-dir "+state+"; sleep 600")
	x.waitFor("n", "Drill briefing", 20*time.Second)
	if all, _ := filepath.Glob(filepath.Join(state, "incidents", "*")); len(all) != 2 {
		t.Errorf("incidents: %v", all)
	}
	if b, _ := os.ReadFile(filepath.Join(dirs[0], checklist.StateFile)); !bytes.Equal(b, good[:200]) {
		t.Error("the damaged state changed")
	}
	x.run("send-keys", "-t", "n", "C-c")
}

// bootTime is when this machine booted (/proc/stat btime).
func bootTime(t *testing.T) time.Time {
	t.Helper()
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Skipf("skipping: no /proc/stat: %v", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return time.Unix(n, 0)
			}
		}
	}
	t.Fatal("no btime in /proc/stat")
	return time.Time{}
}
