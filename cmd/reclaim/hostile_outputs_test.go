package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"reclaim/provider/sendgrid/sgfake"
)

// firstRawControl returns the first character in out that must never reach a
// terminal or a file a terminal will show: C0 controls but newline and tab,
// DEL, C1 controls, bidi controls, zero-width and other invisible format
// characters, and invalid UTF-8.
func firstRawControl(out string) (rune, int, bool) {
	for i, r := range out {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(out[i:], "\uFFFD"):
			return r, i, true
		case r == '\n' || r == '\t':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
			return r, i, true
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c,
			r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x2028, r == 0x2029:
			return r, i, true
		}
	}
	return 0, 0, false
}

func assertNoRaw(t *testing.T, what, out string) {
	t.Helper()
	if r, i, bad := firstRawControl(out); bad {
		lo, hi := max(0, i-40), min(len(out), i+40)
		t.Errorf("%s: raw %U at byte %d: %q", what, r, i, out[lo:hi])
	}
}

// hostileNames are file names an attacker on the server can create: each
// tries to retitle the terminal, clear it, overwrite a line, forge a line or
// reverse text.
var hostileNames = []string{
	"title\x1b]0;pwned\x07.env",
	"clear\x1b[2J.env",
	"cr\rFORGED: no findings.env",
	"nl\nFORGED: no findings.env",
	"rev\u202egnp.env",
	"csi\u009b31m.env",
	"zw\u200bx.env",
}

// TestEveryOutputIsSanitized feeds one hostile corpus (file names, log
// fields, provider names and subjects, an incident id) through every output
// reclaim has: scan text/json/sarif, audit text/json, report md/json/html,
// and report verify. No raw control, bidi or invisible character reaches any
// of them.
func TestEveryOutputIsSanitized(t *testing.T) {
	bin := buildBinary(t)
	c := &reportCLI{t: t, bin: bin, state: t.TempDir()}

	// The server's files: hostile names holding a SendGrid-shaped key, and
	// an access log whose fields carry escape codes.
	tree := t.TempDir()
	key := "SG." + strings.Repeat("a", 22) + "." + strings.Repeat("b", 43)
	for _, n := range hostileNames {
		if err := os.WriteFile(filepath.Join(tree, n), []byte("SENDGRID_API_KEY="+key+"\n"), 0o600); err != nil {
			t.Fatalf("%q: %v", n, err)
		}
	}
	logDir := filepath.Join(tree, "var", "log", "nginx")
	os.MkdirAll(logDir, 0o700)
	var log strings.Builder
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&log, "203.0.113.9\x1b[31m - - [21/Nov/2026:10:0%d:00 +0000] \"GET /.env\x1b]0;x\x07 HTTP/1.1\" 200 512 \"-\" \"Mozilla\u202e\x1b[2J/5.0\"\n", i)
	}
	os.WriteFile(filepath.Join(logDir, "access.log"), []byte(log.String()), 0o600)
	for _, format := range []string{"text", "json", "sarif"} {
		r := c.run("scan", tree, "--format", format)
		if r.code != 1 {
			t.Errorf("scan --format %s: exit %d (want 1: findings)\n%s", format, r.code, r.stderr)
		}
		assertNoRaw(t, "scan "+format+" stdout", r.stdout)
		assertNoRaw(t, "scan "+format+" stderr", r.stderr)
	}

	// The provider: the fake SendGrid account carries escape-coded key
	// names, an OSC title sequence in a teammate, bidi in subjects.
	st, session := sgfake.Default(time.Now())
	f := sgfake.New(st)
	defer f.Close()
	audit := &reportCLI{t: t, bin: bin, state: t.TempDir(), env: []string{"SENDGRID_API_KEY=" + session.Token, "RECLAIM_SENDGRID_BASE_URL=" + f.URL}}
	for _, args := range [][]string{{"audit", "--provider", "sendgrid"}, {"audit", "--provider", "sendgrid", "--json"}} {
		r := audit.run(args...)
		if r.code == 2 {
			t.Errorf("%v: %s", args, r.stderr)
		}
		assertNoRaw(t, strings.Join(args, " ")+" stdout", r.stdout)
		assertNoRaw(t, strings.Join(args, " ")+" stderr", r.stderr)
	}

	// The report: a drill whose account has an escape- and bidi-named key,
	// in every format, and report verify.
	if r := c.run("drill", "--autopilot"); r.code != 0 {
		t.Fatalf("autopilot: %+v", r)
	}
	assertNoRaw(t, "autopilot", c.run("drill", "--autopilot", "--new").stdout)
	dirs, _ := filepath.Glob(filepath.Join(c.state, "incidents", "*"))
	for _, format := range []string{"md", "json", "html"} {
		out := filepath.Join(t.TempDir(), "report."+format)
		r := c.run("report", "--incident", filepath.Base(dirs[0]), "--format", format, "--output", out)
		if r.code != 0 {
			t.Fatalf("report %s: %+v", format, r)
		}
		b, _ := os.ReadFile(out)
		assertNoRaw(t, "report."+format, string(b))
		v := c.run("report", "verify", out)
		if v.code != 0 {
			t.Errorf("verify %s: %+v", format, v)
		}
		assertNoRaw(t, "verify "+format, v.stdout+v.stderr)
	}
	// A state file whose incident id was made hostile: verify refuses it,
	// and says so in clean text.
	state := filepath.Join(dirs[0], "state.json")
	b, _ := os.ReadFile(state)
	id := filepath.Base(dirs[0])
	os.WriteFile(state, []byte(strings.Replace(string(b), `"id": "`+id+`"`, `"id": "`+id+`\u001b]0;pwned\u0007"`, 1)), 0o600)
	md, _ := filepath.Glob(filepath.Join(dirs[0], "report.md"))
	if len(md) == 1 {
		v := c.run("report", "verify", md[0])
		if v.code == 0 {
			t.Error("verify passed with a changed incident id")
		}
		assertNoRaw(t, "verify with a hostile id", v.stdout+v.stderr)
	}
}

func TestRawControlCheckCatches(t *testing.T) {
	for _, bad := range []string{"a\x1b[2J", "\u202e", "\u009b", "x\ry", "\x7f", "\u200b", "\xff"} {
		if _, _, found := firstRawControl(bad); !found {
			t.Errorf("%q not caught", bad)
		}
	}
	if _, _, found := firstRawControl("ok\tline\n\uFFFD"); found {
		t.Error("clean text flagged")
	}
}
