package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// `reclaim scan` against hostile trees: every output sanitized, an
// interrupted scan says it is partial and exits 130, /proc does not block.
// A generous deadline guards against hangs; no timing is asserted.

const scanHangGuard = 2 * time.Minute

// unclean returns the offset of the first byte or character a terminal
// could act on (C0 but \n and \t, DEL, C1, invalid UTF-8, bidi controls,
// zero-width and invisible format characters, line separators), or -1.
func unclean(out []byte) int {
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRune(out[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return i
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c,
			r >= 0x200b && r <= 0x200d, r == 0x2060, r == 0xfeff, r == 0x2028, r == 0x2029:
			return i
		}
		i += size
	}
	return -1
}

func assertClean(t *testing.T, what string, out []byte) {
	t.Helper()
	if i := unclean(out); i >= 0 {
		t.Errorf("%s has a raw control or invisible character at byte %d: %q", what, i, out[max(0, i-60):min(len(out), i+20)])
	}
}

// scanCLICtx is scanCLI with a context.
func scanCLICtx(t *testing.T, ctx context.Context, format string, paths ...string) (int, string, error) {
	t.Helper()
	isolateConfigs(t)
	var out, errb bytes.Buffer
	err := runScan(ctx, &out, &errb, paths, format, nil, 0)
	code := exitOK
	var ee *exitErr
	if errors.As(err, &ee) {
		code, err = ee.code, ee.err
	} else if err != nil {
		t.Fatalf("error without an exit code: %v", err)
	}
	return code, out.String(), err
}

func TestScanCLIHostileNames(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "www\x1b[31m\u202e")
	key := "S" + "G.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	names := []string{"\x1b]0;owned\x07", "\x1b[2J\x1b[H", "cr\rx", "nl\nx", "rlo\u202e", "c1\u009b", "raw\x9b", "zw\u200b", "del\x7f"}
	for i, n := range names {
		p := filepath.Join(root, n, ".env"+n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("SENDGRID_API_KEY="+key+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("\x1b[2J"+n, filepath.Join(root, fmt.Sprintf("l%d%s", i, n))); err != nil {
			t.Fatal(err)
		}
	}
	logp := filepath.Join(root, "logs/nginx/access\x1b[2J.log")
	if err := os.MkdirAll(filepath.Dir(logp), 0o755); err != nil {
		t.Fatal(err)
	}
	log := "\x1b[2K198.51.100.7 - - [12/Mar/2024:10:00:00 +0000] \"GET /.env\x1b]0;x\x07 HTTP/1.1\" 200 812 \"-\" \"\x1b[31mMozilla\u202e\"\n" +
		"203.0.113.9\u009b - - [12/Mar/2024:10:01:00 +0000] \"GET /.git/config HTTP/1.1\" 200 10 \"-\" \"x\x7f\"\n"
	if err := os.WriteFile(logp, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(base, "gone\x1b]0;fake\x07\u202e")
	ctx, cancel := context.WithTimeout(context.Background(), scanHangGuard)
	defer cancel()
	for _, format := range []string{"text", "json", "sarif"} {
		code, out, err := scanCLICtx(t, ctx, format, root, missing)
		if code != exitError || err == nil {
			t.Fatalf("%s: exit %d, %v", format, code, err)
		}
		assertClean(t, format+" output", []byte(out))
		assertClean(t, format+" error", []byte(err.Error()))
		if format != "text" && !json.Valid([]byte(out)) {
			t.Fatalf("%s: not JSON:\n%s", format, out)
		}
		if !strings.Contains(out, "access") || strings.Count(out, "SendGrid") < len(names) && format == "text" {
			t.Errorf("%s: the findings are not all there:\n%s", format, out)
		}
	}
}

func TestScanCLIInterrupted(t *testing.T) {
	tree := serverTree(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // ctrl+c before anything was read
	for _, c := range []struct{ format, want string }{
		{"text", "PARTIAL RESULT: the scan was interrupted before it read everything; this report covers only what was read.\n"},
		{"json", `"partial": true,`},
		{"sarif", `"executionSuccessful": false`},
	} {
		code, out, err := scanCLICtx(t, ctx, c.format, tree)
		if code != exitAborted || err == nil || !strings.HasPrefix(err.Error(), "interrupted: the report covers only the ") {
			t.Fatalf("%s: exit %d, %v; want 130", c.format, code, err)
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("%s does not say partial (%q):\n%s", c.format, c.want, out)
		}
		if c.format == "sarif" && !strings.Contains(out, `"partial": true`) {
			t.Errorf("SARIF properties do not say partial:\n%s", out)
		}
		if strings.Contains(out, "No provider credentials found.\n") {
			t.Errorf("%s: an interrupted scan reads as an all-clear", c.format)
		}
	}
}

// TestScanMainHelper runs main() with the arguments after "--": the
// subprocess of TestScanCLISIGINT.
func TestScanMainHelper(t *testing.T) {
	if os.Getenv("RECLAIM_SCAN_HELPER") != "1" {
		t.Skip("run by TestScanCLISIGINT")
	}
	os.Args = append([]string{"reclaim"}, flag.Args()...)
	main()
}

// A real SIGINT to `reclaim scan`: the partial report is written and the
// exit code is 130. The time from the signal to the exit is logged (the
// bound is BenchmarkCancelLatency in checklist/leakscan).
func TestScanCLISIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	tree := serverTree(t)
	// the same tree named thousands of times: a scan of seconds
	args := []string{"-test.run=^TestScanMainHelper$", "--", "scan", "--format", "json"}
	for range 4000 {
		args = append(args, tree)
	}
	code, stdout, stderr := interruptedScan(t, 500*time.Millisecond, t.TempDir(), args...)
	if code == exitFindings {
		t.Skip("the scan finished before the signal")
	}
	if code != exitAborted {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}
	var rep struct {
		Partial bool  `json:"partial"`
		Files   int64 `json:"files"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || !rep.Partial {
		t.Fatalf("report %+v, %v:\n%.2000s", rep, err, stdout.String())
	}
	if !strings.Contains(stderr.String(), "reclaim: interrupted: the report covers only the ") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// `reclaim scan /proc` (as root here, when the tests run as root) reads
// regular files without blocking on /proc/kmsg or anything else.
func TestScanCLIProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc")
	}
	if testing.Short() {
		t.Skip("short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), scanHangGuard)
	defer cancel()
	code, out, err := scanCLICtx(t, ctx, "json", "/proc")
	if ctx.Err() != nil {
		t.Fatal("reclaim scan /proc hung")
	}
	if code != exitOK && code != exitFindings {
		t.Fatalf("exit %d: %v", code, err)
	}
	var rep struct {
		Files         int64 `json:"files"`
		PseudoFileCap int64 `json:"pseudo_file_cap"`
		RootStats     []struct {
			Skipped int64 `json:"skipped"`
		} `json:"root_stats"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Files == 0 || rep.PseudoFileCap == 0 || rep.RootStats[0].Skipped == 0 {
		t.Fatalf("/proc: %+v (kmsg and kcore are skipped, not read)", rep)
	}
	assertClean(t, "/proc json", []byte(out))
}

// interruptedScan runs "reclaim scan" (args after the test-binary flags) in
// the test binary as a child, sends it SIGINT after the given time, and
// returns its exit code and output; a child that does not stop fails.
func interruptedScan(t *testing.T, after time.Duration, configRoot string, args ...string) (int, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "RECLAIM_SCAN_HELPER=1", scanConfigRootEnv+"="+configRoot)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	time.Sleep(after)
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(scanHangGuard):
		cmd.Process.Kill()
		t.Fatal("reclaim scan did not stop on SIGINT")
	}
	code := cmd.ProcessState.ExitCode()
	t.Logf("exited %d %s after SIGINT", code, time.Since(sent).Round(time.Millisecond))
	return code, &stdout, &stderr
}
