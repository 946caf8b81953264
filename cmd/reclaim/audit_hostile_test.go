package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode"

	"reclaim/provider/hostile"
)

// rssLimitKiB is the peak resident set an audit may reach, whatever the
// provider answers (issue 11: under 150 MB).
const rssLimitKiB = 150 * 1000 * 1000 / 1024

// auditRun is one run of the built binary's audit.
type auditRun struct {
	code           int
	stdout, stderr string
	maxRSSKiB      int64 // the child's VmHWM
	rusageKiB      int64 // ru_maxrss: at least the test process's own peak too
}

// runHostileAudit runs `reclaim audit --provider <flavor> args…` against
// srv, with a private home and no keyring, and measures the child's peak
// RSS (VmHWM, KiB). The context only guards against a hang.
func runHostileAudit(t *testing.T, bin string, srv *hostile.Server, args ...string) auditRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"audit", "--provider", string(srv.Flavor)}, args...)...)
	home := t.TempDir()
	cmd.Env = append([]string{"HOME=" + home, "XDG_STATE_HOME=" + home, "XDG_CONFIG_HOME=" + home, "RECLAIM_NO_KEYRING=1", "PATH=" + os.Getenv("PATH"), "TERM=dumb"}, srv.Env()...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr, cmd.Stdin = &out, &errb, nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The child's own peak (VmHWM of its address space after exec), polled
	// until it exits: ru_maxrss would also count the test process, whose
	// address space the child shares until exec (vfork).
	var hwm atomic.Int64
	polled := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(polled)
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		for {
			if kib := vmHWM(status); kib > hwm.Load() {
				hwm.Store(kib)
			}
			select {
			case <-exited:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	err := cmd.Wait()
	close(exited)
	<-polled
	if ctx.Err() != nil {
		t.Fatalf("hang guard hit: %s audit still running after 5 minutes (%d requests)", srv.Mode, srv.Requests())
	}
	r := auditRun{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r.maxRSSKiB = hwm.Load()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.rusageKiB = ru.Maxrss
	}
	return r
}

// vmHWM reads VmHWM (KiB) from a /proc status file; 0 when it cannot.
func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func terminalUnsafe(s string) (rune, bool) {
	for _, r := range s {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) || r == 0x2028 || r == 0x2029 {
			return r, true
		}
	}
	return 0, false
}

// TestAuditHostileProvider runs the built `reclaim audit` against the
// hostile fake, SendGrid- and Mailjet-shaped, in every mode that answers
// within a request's default deadline (the trickling and slow modes are
// covered with short deadlines in provider/hostile): it ends, stays under
// 150 MB RSS, marks truncated sections, says what failed, and prints no raw
// control character.
func TestAuditHostileProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and reads 20,000 items per section")
	}
	bin := filepath.Join(t.TempDir(), "reclaim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	modes := []hostile.Mode{hostile.EndlessPages, hostile.RepeatPage, hostile.GrowingTotal, hostile.HugeBody, hostile.HugeRetryAfter, hostile.Redirect, hostile.EscapeErrors}
	for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
		for _, mode := range modes {
			t.Run(string(fl)+"/"+string(mode), func(t *testing.T) {
				srv := hostile.New(fl, mode)
				defer srv.Close()
				r := runHostileAudit(t, bin, srv)
				t.Logf("exit %d, peak RSS %.1f MB (VmHWM; ru_maxrss %.1f MB counts this test process too), %d requests", r.code, float64(r.maxRSSKiB)*1024/1e6, float64(r.rusageKiB)*1024/1e6, srv.Requests())
				if r.maxRSSKiB == 0 || r.maxRSSKiB > rssLimitKiB {
					t.Errorf("peak RSS %d KiB, limit %d KiB", r.maxRSSKiB, rssLimitKiB)
				}
				for name, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr} {
					if c, bad := terminalUnsafe(s); bad {
						t.Errorf("%s carries %U\n%.2000s", name, c, s)
					}
				}
				if srv.OtherHits() != 0 {
					t.Errorf("%d requests followed a redirect to another host (%d with the credential)", srv.OtherHits(), srv.OtherCreds())
				}
				switch mode {
				case hostile.EndlessPages, hostile.RepeatPage, hostile.GrowingTotal:
					if r.code != exitFindings || !strings.Contains(r.stdout, "! incomplete: truncated at ") || !strings.Contains(r.stdout, "Incomplete: stopped before the provider's list ended") {
						t.Errorf("exit %d, want %d with truncated sections\n%.3000s\n%s", r.code, exitFindings, r.stdout, r.stderr)
					}
				default:
					if r.code != exitError && r.code != exitFindings {
						t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
					}
					want := map[hostile.Mode]string{
						hostile.HugeBody:       "larger than 8 MiB",
						hostile.HugeRetryAfter: "rate limit",
						hostile.Redirect:       "another host",
						hostile.EscapeErrors:   "owned",
					}[mode]
					if !strings.Contains(r.stdout+r.stderr, want) {
						t.Errorf("output lacks %q\n%s\n%s", want, r.stdout, r.stderr)
					}
				}
			})
		}
	}
	t.Run("json", func(t *testing.T) {
		srv := hostile.New(hostile.Mailjet, hostile.EndlessPages)
		defer srv.Close()
		r := runHostileAudit(t, bin, srv, "--json", "--max-items", "3000")
		var doc struct {
			Inventory struct {
				Truncated map[string]string `json:"truncated"`
				Keys      []json.RawMessage `json:"keys"`
			} `json:"inventory"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != exitFindings {
			t.Fatalf("exit %d, %v\n%.2000s", r.code, err, r.stdout)
		}
		if got := doc.Inventory.Truncated["api_keys"]; got != "truncated at 3000 items (item cap)" || len(doc.Inventory.Keys) != 3000 {
			t.Errorf("api_keys: %q, %d keys", got, len(doc.Inventory.Keys))
		}
		if c, bad := terminalUnsafe(r.stdout); bad {
			t.Errorf("JSON carries %U", c)
		}
	})
}
