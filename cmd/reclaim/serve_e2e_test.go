package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"reclaim/checklist"
)

// sshOpts are the client options of every test connection: no host key
// prompt or file, only the given key, never a password prompt.
var sshOpts = []string{"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "ConnectTimeout=10"}

// sshKey makes an ed25519 key pair with ssh-keygen; it returns the private
// key's path and the public key line.
func sshKey(t *testing.T, dir, name, comment string) (string, string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(p + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return p, strings.TrimSpace(string(pub))
}

// servedProcess is a reclaim serve started by a test.
type servedProcess struct {
	cmd  *exec.Cmd
	port string
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
	err  error
}

func (s *servedProcess) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

var listenRE = regexp.MustCompile(`listening on 127\.0\.0\.1:(\d+)`)

// startServe runs "reclaim serve" on a free loopback port and waits until
// it listens.
func startServe(t *testing.T, bin string, env []string, args ...string) *servedProcess {
	t.Helper()
	s := &servedProcess{done: make(chan struct{})}
	s.cmd = exec.Command(bin, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	s.cmd.Env = append(append(os.Environ(), "RECLAIM_NO_KEYRING=1", "RECLAIM_DRILL_LATENCY=40ms"), env...)
	pr, pw := io.Pipe()
	s.cmd.Stdout, s.cmd.Stderr = pw, pw
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.err = s.cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	portc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			s.mu.Lock()
			s.log.WriteString(sc.Text() + "\n")
			s.mu.Unlock()
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case portc <- m[1]:
				default:
				}
			}
		}
	}()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server log:\n%s", s.logText())
		}
	})
	select {
	case s.port = <-portc:
	case <-s.done:
		t.Fatalf("reclaim serve exited: %v\n%s", s.err, s.logText())
	case <-time.After(20 * time.Second):
		t.Fatalf("reclaim serve did not listen within 20s:\n%s", s.logText())
	}
	return s
}

// sshCommand is the OpenSSH client command line for key and user.
func (s *servedProcess) sshCommand(key, user string) string {
	return "ssh -tt " + strings.Join(sshOpts, " ") + " -i " + key + " -p " + s.port + " " + user + "@127.0.0.1"
}

// killClient kills -9 the ssh client running in a tmux pane: the
// connection drops as when a laptop's network goes.
func killClient(t *testing.T, x *tmux, target string) {
	t.Helper()
	pid := x.panePID(target)
	out, _ := exec.Command("pgrep", "-P", strconv.Itoa(pid), "-x", "ssh").Output()
	child, _ := strconv.Atoi(strings.TrimSpace(strings.Split(string(out), "\n")[0]))
	if child == 0 {
		t.Fatalf("no ssh client under pane pid %d", pid)
	}
	if err := syscall.Kill(child, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

func progressOf(a *checklist.AccountState) int {
	done, _ := a.Progress(checklist.StepIDs())
	return done
}

// oneLine joins a screen's lines, spaces collapsed (text the UI wrapped).
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

var breadcrumbRE = regexp.MustCompile(`› ([^\n]+)`)

// Over real SSH on loopback with the OpenSSH client inside tmux at 80×24:
// a player connects with a key and plays the first steps; the facilitator
// (another key) sees the session; the player's connection is killed, and on
// reconnecting the drill resumes at the same step; a key that is not listed
// is refused; SIGTERM stops the server with the drill saved (exit 143).
func TestServeE2EPlayDropResume(t *testing.T) {
	needTool(t, "tmux")
	needTool(t, "ssh")
	needTool(t, "ssh-keygen")
	needTool(t, "pgrep")
	bin := buildBinary(t)
	dir := t.TempDir()
	state := filepath.Join(dir, "state")
	keys := filepath.Join(dir, "keys")
	os.Mkdir(keys, 0o700)
	player, playerPub := sshKey(t, keys, "player", "alice@laptop")
	fac, facPub := sshKey(t, keys, "fac", "facilitator@desk")
	stranger, _ := sshKey(t, keys, "stranger", "mallory")
	ak := writeFile(t, keys, "authorized_keys", playerPub+"\n", 0o600)
	fk := writeFile(t, keys, "facilitators", facPub+"\n", 0o600)
	srv := startServe(t, bin, nil, "--authorized-keys", ak, "--facilitator-keys", fk, "--state-dir", state)

	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-serve-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	open := func(name, key, user string) {
		x.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", "env TERM=xterm-256color "+srv.sshCommand(key, user)+"; echo SSHEXIT=$?; sleep 600")
		x.run("set-option", "-t", name, "status", "off")
	}

	// Play: the briefing, then Enter until a step is done (the header says
	// 1/N steps) and the next step is open.
	open("p1", player, "player")
	x.waitFor("p1", "Drill briefing", 20*time.Second)
	var at string
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		s := x.capture("p1")
		if progress(s) >= 1 {
			if m := breadcrumbRE.FindStringSubmatch(s); m != nil {
				at = strings.TrimSpace(m[1])
				break
			}
		}
		x.run("send-keys", "-t", "p1", "Enter")
		time.Sleep(400 * time.Millisecond)
	}
	if at == "" {
		t.Fatalf("no step done after a minute of Enter:\n%s", x.capture("p1"))
	}
	// The step's title as the resume line words it (the breadcrumb may cut it).
	at = strings.TrimSuffix(at, "…")
	if len(at) > 30 {
		at = at[:30]
	}

	// The facilitator view lists the session: player, scenario, progress.
	open("f", fac, "facilitator")
	s := x.waitFor("f", "alice@laptop", 20*time.Second)
	for _, want := range []string{"facilitator", "1 player", "sendgrid-leaked-key", "/22 steps", "from 127.0.0.1 · at: "} {
		if !strings.Contains(s, want) {
			t.Errorf("facilitator view lacks %q:\n%s", want, s)
		}
	}
	if !regexp.MustCompile(`> alice@laptop .* \d+:\d\d +\d+/\d+ steps +\d+/\d+`).MatchString(s) {
		t.Errorf("the player's row lacks clock, progress or score:\n%s", s)
	}

	// Drop the player's connection: the server notices (the facilitator
	// view empties) and the drill is saved.
	killClient(t, x, "p1")
	x.waitFor("f", "No player is connected", 20*time.Second)
	players, _ := filepath.Glob(filepath.Join(state, "players", "*"))
	if len(players) != 1 {
		t.Fatalf("want one player folder, got %v", players)
	}
	if fi, err := os.Stat(players[0]); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("player folder: %v %v, want mode 0700", fi, err)
	}
	states, _ := filepath.Glob(filepath.Join(players[0], "incidents", "*", "state.json"))
	if len(states) != 1 {
		t.Fatalf("want one saved drill, got %v", states)
	}

	// Reconnect with the same key: resume at the same step.
	open("p2", player, "player")
	x.waitFor("p2", "Resume: Drill", 20*time.Second)
	x.run("send-keys", "-t", "p2", "Enter")
	s = x.waitFor("p2", "Resumed incident", 20*time.Second)
	if !strings.Contains(oneLine(s), "you were at “"+at) {
		t.Errorf("did not resume at %q:\n%s", at, s)
	}

	// Resizes come from the session: below the minimum a clear message,
	// then back.
	x.run("resize-window", "-t", "p2", "-x", "60", "-y", "18")
	x.waitFor("p2", "Terminal too small", 10*time.Second)
	x.run("resize-window", "-t", "p2", "-x", "80", "-y", "24")
	x.waitFor("p2", "Resumed incident", 10*time.Second)

	// A key that is not listed is refused.
	cmd := exec.Command("ssh", append(append([]string{"-tt"}, sshOpts...), "-i", stranger, "-p", srv.port, "mallory@127.0.0.1")...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 255 || !strings.Contains(string(out), "Permission denied") {
		t.Errorf("a stranger's key: %v\n%s", err, out)
	}

	// SIGTERM: the player is told, the drill saved, the server exits 143.
	termAt := time.Now()
	srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.done:
		t.Logf("SIGTERM to exit: %s", time.Since(termAt).Round(time.Millisecond))
	case <-time.After(10 * time.Second):
		t.Fatal("reclaim serve did not exit within 10s of SIGTERM")
	}
	if ee, ok := srv.err.(*exec.ExitError); !ok || ee.ExitCode() != exitTerm {
		t.Errorf("exit after SIGTERM: %v, want %d", srv.err, exitTerm)
	}
	s = x.waitFor("p2", "SSHEXIT=", 10*time.Second)
	if !strings.Contains(oneLine(s), "shutting down. Your drill is saved") {
		t.Errorf("the player was not told:\n%s", s)
	}
	inc, err := checklist.LoadIncident(filepath.Dir(states[0]))
	if err != nil {
		t.Fatalf("the drill after SIGTERM: %v", err)
	}
	if a := inc.Account(); a == nil || progressOf(a) < 1 {
		t.Errorf("the drill after SIGTERM lost its progress: %+v", a)
	}
	if fi, _ := os.Stat(states[0]); fi != nil && fi.Mode().Perm() != 0o600 {
		t.Errorf("state.json mode %v", fi.Mode().Perm())
	}
	if !strings.Contains(srv.logText(), "stopped; every session was saved") {
		t.Errorf("server log lacks the clean stop:\n%s", srv.logText())
	}
}

// Over real SSH: the colours follow each session's NO_COLOR, not the
// server's (started with NO_COLOR=1 and TERM=dumb); a session idle past
// --idle-timeout ends with a message; a command instead of a terminal is
// refused; past --rate-limit a connection is refused with a message naming
// the limit.
func TestServeE2ERateLimitIdleColour(t *testing.T) {
	needTool(t, "tmux")
	needTool(t, "ssh")
	needTool(t, "ssh-keygen")
	bin := buildBinary(t)
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	os.Mkdir(keys, 0o700)
	player, playerPub := sshKey(t, keys, "player", "bob")
	ak := writeFile(t, keys, "authorized_keys", playerPub+"\n", 0o600)
	srv := startServe(t, bin, []string{"NO_COLOR=1", "TERM=dumb"}, "--authorized-keys", ak, "--state-dir", filepath.Join(dir, "state"), "--rate-limit", "4", "--idle-timeout", "3s")

	x := &tmux{t: t, socket: fmt.Sprintf("reclaim-serve-idle-%d", os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	// The DRILL badge's background: drawn only when the UI itself has
	// colours on (the help bar's greys show even with the UI's colours off).
	colourRE := regexp.MustCompile("\x1b\\[[0-9;]*48;[25];")
	for i, c := range []struct {
		env    string
		colour bool
		screen string // the second connection resumes the first's drill
	}{{"", true, "Drill briefing"}, {"-o SetEnv=NO_COLOR=1 ", false, "Resume: Drill"}} {
		name := fmt.Sprintf("i%d", i)
		x.run("new-session", "-d", "-s", name, "-x", "80", "-y", "24", "env TERM=xterm-256color "+strings.Replace(srv.sshCommand(player, "bob"), "ssh -tt ", "ssh -tt "+c.env, 1)+"; echo SSHEXIT=$?; sleep 600")
		x.run("set-option", "-t", name, "status", "off")
		x.waitFor(name, c.screen, 20*time.Second)
		raw := x.run("capture-pane", "-e", "-p", "-t", name)
		if got := colourRE.MatchString(raw); got != c.colour {
			t.Errorf("ssh %s: colours on screen %v, want %v:\n%q", c.env, got, c.colour, raw)
		}
		s := x.waitFor(name, "SSHEXIT=", 15*time.Second)
		if !strings.Contains(oneLine(s), "no key was pressed for 3s. Your drill is saved") {
			t.Errorf("idle session's end:\n%s", s)
		}
	}

	ssh := func() (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "ssh", append(append([]string{"-T"}, sshOpts...), "-i", player, "-p", srv.port, "bob@127.0.0.1", "ls")...).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out), code
	}
	// Connections 3 and 4 of the minute: in, but a command is refused.
	for i := 3; i <= 4; i++ {
		out, code := ssh()
		if code != 1 || !strings.Contains(out, "runs the drill only") {
			t.Errorf("connection %d with a command: exit %d\n%s", i, code, out)
		}
	}
	out, code := ssh()
	if code != 255 || !strings.Contains(out, "too many connections from 127.0.0.1 (at most 4 a minute); try again in") {
		t.Errorf("the 5th connection in a minute: exit %d\n%s", code, out)
	}
	if !strings.Contains(srv.logText(), "more than 4 a minute") {
		t.Errorf("server log lacks the refusal:\n%s", srv.logText())
	}
}
