package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 12, item 4: ctrl+c pressed in the UI (a key in raw mode, not a
// SIGINT) exits 130, as --help documents, after saving the incident and
// removing the drill's temporary files; q still exits 0; SIGINT, SIGHUP and
// SIGTERM sent while a step form is open exit 130, 129 and 143 after saving.
// Driven in tmux at 80×24.
func TestExitCodesInUI(t *testing.T) {
	needTool(t, "tmux")
	needTool(t, "pgrep")
	bin := buildBinary(t)

	exitOf := func(t *testing.T, x *tmux, name string) (int, string) {
		t.Helper()
		screen := x.waitFor(name, "EXIT=", 20*time.Second)
		m := exitRE.FindStringSubmatch(screen)
		if m == nil {
			t.Fatalf("no exit code on screen:\n%s", screen)
		}
		code, _ := strconv.Atoi(m[1])
		return code, screen
	}

	inForm := func(x *tmux, target string) {
		x.run("send-keys", "-t", target, "Enter") // briefing → the first step's form
		x.waitFor(target, "How was the compromise detected?", 10*time.Second)
	}
	for _, c := range []struct {
		name string
		// walk goes from the briefing to where the key is pressed.
		walk func(x *tmux, target string)
		key  string         // pressed in the UI, or
		sig  syscall.Signal // sent to the process
		want int
	}{
		{"ctrl+c on the briefing", nil, "C-c", 0, exitAborted},
		{"ctrl+c in a step form", inForm, "C-c", 0, exitAborted},
		{"q on the briefing", nil, "q", 0, exitOK},
		{"SIGINT in a step form", inForm, "", syscall.SIGINT, exitAborted},
		{"SIGHUP in a step form", inForm, "", syscall.SIGHUP, exitHangup},
		{"SIGTERM in a step form", inForm, "", syscall.SIGTERM, exitTerm},
	} {
		t.Run(c.name, func(t *testing.T) {
			state, tmp := t.TempDir(), t.TempDir()
			x := &tmux{t: t, socket: fmt.Sprintf("reclaim-exit-%d-%s", os.Getpid(), strings.ReplaceAll(c.name, " ", "-"))}
			t.Cleanup(func() { x.run("kill-server") })
			pid, _ := tmuxDrill(t, x, bin, "e", state, tmp)
			if c.walk != nil {
				c.walk(x, "e")
			}
			if c.sig != 0 {
				if err := syscall.Kill(pid, c.sig); err != nil {
					t.Fatal(err)
				}
			} else {
				x.run("send-keys", "-t", "e", c.key)
			}
			code, screen := exitOf(t, x, "e")
			if code != c.want {
				t.Errorf("exit %d, want %d; screen:\n%s", code, c.want, screen)
			}
			saved := "Progress saved"
			if c.sig != 0 {
				saved = "the incident is saved"
			}
			// The terminal wraps the message anywhere: compare without spaces.
			if squash := func(s string) string { return strings.Join(strings.Fields(s), "") }; !strings.Contains(squash(screen), squash(saved)) {
				t.Errorf("no word that the incident is saved (%q):\n%s", saved, screen)
			}
			checkClean(t, state, tmp)
		})
	}

	// On the start screen, with no incident open, ctrl+c is still 130.
	t.Run("ctrl+c on the start screen", func(t *testing.T) {
		x := &tmux{t: t, socket: fmt.Sprintf("reclaim-exit-%d-start", os.Getpid())}
		t.Cleanup(func() { x.run("kill-server") })
		env := "env -u HOME HOME=" + t.TempDir() + " TMPDIR=" + t.TempDir() + " RECLAIM_NO_KEYRING=1 TERM=xterm-256color "
		x.run("new-session", "-d", "-s", "s", "-x", "80", "-y", "24", env+bin+" --state-dir "+t.TempDir()+"; echo EXIT=$?; sleep 600")
		x.run("set-option", "-t", "s", "status", "off")
		x.waitFor("s", "Start a new drill", 20*time.Second)
		x.run("send-keys", "-t", "s", "C-c")
		if code, screen := exitOf(t, x, "s"); code != exitAborted {
			t.Errorf("exit %d after ctrl+c on the start screen, want %d; screen:\n%s", code, exitAborted, screen)
		}
	})
}
