package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"reclaim/provider/sendgrid/sgfake"
)

// TestE2ERealRecoveryAgainstFakeSendGrid drives the real binary in tmux
// through "Start a recovery on a real account" against the fake SendGrid
// API: the key's permissions are shown first, the triage asks about Twilio
// unified login, and the inventory is read and recorded with the same code
// as "reclaim audit".
func TestE2ERealRecoveryAgainstFakeSendGrid(t *testing.T) {
	needTool(t, "tmux")
	x, state, session, _ := startFakeSendGridRecovery(t, "reclaim-sg", "")
	s := x.waitFor("sg", "What this key allows", 20*time.Second)
	if !strings.Contains(s, "Connected to Twilio SendGrid") && !strings.Contains(s, "Connected to") {
		t.Fatalf("no permission summary:\n%s", s)
	}
	x.run("send-keys", "-t", "sg", "Enter")
	x.waitFor("sg", "How was the compromise detected", 10*time.Second)
	for i := 0; i < 5; i++ {
		x.run("send-keys", "-t", "sg", "Enter")
		time.Sleep(200 * time.Millisecond)
		if strings.Contains(x.capture("sg"), "Twilio unified login") {
			break
		}
	}
	x.waitFor("sg", "Twilio unified login", 10*time.Second)
	x.run("send-keys", "-t", "sg", "Enter")
	s = x.waitFor("sg", "before any change", 30*time.Second)
	if !strings.Contains(s, "API keys") || !strings.Contains(s, "findings") {
		t.Fatalf("inventory not shown:\n%s", s)
	}
	x.run("send-keys", "-t", "sg", "q")
	time.Sleep(500 * time.Millisecond)
	// The inventory is saved, and the key is nowhere on disk.
	states, _ := filepath.Glob(filepath.Join(state, "incidents", "*", "state.json"))
	if len(states) != 1 {
		t.Fatalf("want one incident, got %v", states)
	}
	b, _ := os.ReadFile(states[0])
	if !strings.Contains(string(b), "inventory_before") {
		t.Error("the inventory was not saved")
	}
	filepath.Walk(state, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if data, _ := os.ReadFile(p); strings.Contains(string(data), session.Token) {
				t.Errorf("%s holds the API key", p)
			}
		}
		return nil
	})
}

// startFakeSendGridRecovery starts the built binary at 80×24 in tmux
// (session "sg") against the fake SendGrid API and chooses "Start a
// recovery on a real account", SendGrid. It returns the tmux, the state
// dir, the fake's session key and the binary.
func startFakeSendGridRecovery(t *testing.T, socket, extraEnv string) (*tmux, string, sgfake.Key, string) {
	t.Helper()
	bin := buildBinary(t)
	st, session := sgfake.Default(time.Now())
	f := sgfake.New(st)
	t.Cleanup(f.Close)
	state := t.TempDir()
	x := &tmux{t: t, socket: fmt.Sprintf("%s-%d", socket, os.Getpid())}
	t.Cleanup(func() { x.run("kill-server") })
	env := fmt.Sprintf("env RECLAIM_NO_KEYRING=1 SENDGRID_API_KEY=%s RECLAIM_SENDGRID_BASE_URL=%s %s TERM=xterm-256color ", session.Token, f.URL, extraEnv)
	x.run("new-session", "-d", "-s", "sg", "-x", "80", "-y", "24", env+bin+" --state-dir "+state+"; sleep 600")
	x.run("set-option", "-t", "sg", "status", "off")
	chooseRealSendGrid(x, "sg")
	return x, state, session, bin
}

func lineWith(screen, sub string) string {
	for _, l := range strings.Split(screen, "\n") {
		if strings.Contains(l, sub) {
			return l
		}
	}
	return ""
}

// chooseRealSendGrid picks "Start a recovery on a real account" and then
// SendGrid on the start screen.
func chooseRealSendGrid(x *tmux, target string) {
	x.t.Helper()
	x.waitFor(target, "Start a recovery on a real account", 15*time.Second)
	x.run("send-keys", "-t", target, "Down")
	x.run("send-keys", "-t", target, "Enter")
	s := x.waitFor(target, "Which provider", 10*time.Second)
	for i := 0; i < 10 && !strings.Contains(lineWith(s, "> "), "SendGrid"); i++ {
		x.run("send-keys", "-t", target, "Down")
		time.Sleep(150 * time.Millisecond)
		s = x.capture(target)
	}
	x.run("send-keys", "-t", target, "Enter")
}
