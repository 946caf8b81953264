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

	"reclaim/checklist"
	"reclaim/provider"
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
// covered with short deadlines in provider/hostile), at the default caps,
// as text and as JSON: it ends, stays under 150 MB RSS, marks truncated
// sections, says what failed, and prints no raw control character.
func TestAuditHostileProvider(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and reads 5,000 items per section")
	}
	bin := buildReclaim(t)
	modes := []hostile.Mode{hostile.EndlessPages, hostile.RepeatPage, hostile.GrowingTotal, hostile.HugeBody, hostile.HugeRetryAfter, hostile.Redirect, hostile.EscapeErrors}
	for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
		for _, mode := range modes {
			for _, format := range []string{"text", "json"} {
				t.Run(string(fl)+"/"+string(mode)+"/"+format, func(t *testing.T) {
					srv := hostile.New(fl, mode)
					defer srv.Close()
					var args []string
					if format == "json" {
						args = append(args, "--json")
					}
					r := runHostileAudit(t, bin, srv, args...)
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
					if format == "json" {
						checkHostileJSON(t, fl, mode, r)
						return
					}
					switch mode {
					case hostile.EndlessPages, hostile.RepeatPage, hostile.GrowingTotal:
						if r.code != exitFindings || !strings.Contains(r.stdout, "! incomplete: truncated at ") || !strings.Contains(r.stdout, "Incomplete: stopped before the provider's list ended") {
							t.Errorf("exit %d, want %d with truncated sections\n%.3000s\n%s", r.code, exitFindings, r.stdout, r.stderr)
						}
						if fl == hostile.SendGrid && mode == hostile.RepeatPage {
							// The teammates repeat a page: the invites are
							// still read (issue 11 review).
							if n := strings.Count(r.stdout, "(pending invite)"); n != 1000 {
								t.Errorf("%d pending invites listed, the fake serves 1000", n)
							}
							if !strings.Contains(r.stdout, "teammates truncated at 500 items (repeated page") {
								t.Errorf("the teammates' truncation is not named\n%.3000s", r.stdout)
							}
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
	}
	t.Run("time limit", func(t *testing.T) {
		// Every page answered, slowly, forever: --timeout stops the audit,
		// and every list keeps what it read, marked (issue 11 review).
		for _, fl := range []hostile.Flavor{hostile.SendGrid, hostile.Mailjet} {
			t.Run(string(fl), func(t *testing.T) {
				srv := hostile.New(fl, hostile.EndlessPages)
				srv.Delay = 700 * time.Millisecond
				defer srv.Close()
				r := runHostileAudit(t, bin, srv, "--timeout", "3s")
				t.Logf("exit %d, peak RSS %.1f MB, %d requests", r.code, float64(r.maxRSSKiB)*1024/1e6, srv.Requests())
				if r.code != exitFindings || !strings.Contains(r.stdout, "(time limit)") || strings.Contains(r.stdout+r.stderr, "deadline exceeded") {
					t.Errorf("exit %d, want %d with lists truncated (time limit) and no deadline error\n%.4000s\n%s", r.code, exitFindings, r.stdout, r.stderr)
				}
				if strings.Contains(r.stdout, "Teammates and invites (0)") || strings.Contains(r.stdout, "API keys (0)") {
					t.Errorf("the pages read before the time limit are lost\n%.4000s", r.stdout)
				}
			})
		}
	})
}

// buildReclaim builds the binary under test.
func buildReclaim(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reclaim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// checkHostileJSON checks an audit's JSON against the hostile fake: a
// well-formed document, escaped for a terminal, with the caps' truncation
// at the default item cap and the siblings of a truncated list read.
func checkHostileJSON(t *testing.T, fl hostile.Flavor, mode hostile.Mode, r auditRun) {
	t.Helper()
	var doc struct {
		Inventory struct {
			Truncated map[string]string `json:"truncated"`
			Errors    map[string]string `json:"errors"`
			Keys      []json.RawMessage `json:"keys"`
			Teammates []struct {
				Pending bool `json:"pending"`
			} `json:"teammates"`
		} `json:"inventory"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("exit %d, %v\n%.2000s\n%s", r.code, err, r.stdout, r.stderr)
	}
	inv := doc.Inventory
	switch mode {
	case hostile.EndlessPages, hostile.RepeatPage, hostile.GrowingTotal:
		if r.code != exitFindings || len(inv.Truncated) == 0 || len(inv.Errors) > 0 {
			t.Errorf("exit %d, truncated %v, errors %v", r.code, inv.Truncated, inv.Errors)
		}
	default:
		if r.code != exitError && r.code != exitFindings {
			t.Errorf("exit %d", r.code)
		}
	}
	if mode == hostile.EndlessPages {
		want := fmt.Sprintf("truncated at %d items (item cap)", provider.DefaultMaxItems)
		if got := inv.Truncated["api_keys"]; got != want || len(inv.Keys) != provider.DefaultMaxItems {
			t.Errorf("api_keys: %q, %d keys; want %q", got, len(inv.Keys), want)
		}
	}
	if fl == hostile.SendGrid && mode == hostile.RepeatPage {
		invites := 0
		for _, m := range inv.Teammates {
			if m.Pending {
				invites++
			}
		}
		if invites != 1000 || !strings.Contains(inv.Truncated["teammates"], "teammates truncated at 500 items (repeated page") {
			t.Errorf("%d pending invites (want 1000); teammates %q", invites, inv.Truncated["teammates"])
		}
	}
}

// TestAuditJSONStreamed: the streamed JSON is byte for byte what
// json.MarshalIndent and terminalSafeJSON give, hostile strings and
// omitted fields included, however the writes split the runes.
func TestAuditJSONStreamed(t *testing.T) {
	evil := "x" + hostile.Escapes + "\u2066<b>&\U0001F600\xff"
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	inv := &checklist.Inventory{
		TakenAt:   now,
		Account:   &provider.Account{Username: evil, Email: evil},
		Keys:      []provider.APIKey{{ID: "k1", Name: evil, Scopes: []string{"mail.send", evil}}, {ID: "k2"}},
		Teammates: []provider.Teammate{{Username: evil, Pending: true}},
		Subusers:  []provider.Subuser{},
		Senders:   nil,
		Mail:      &checklist.MailSummary{Since: now, Total: 3, PerDay: map[string]int{"2026-01-01": 3}, Subjects: []checklist.SubjectCount{{Subject: evil, Count: 3}}},
		Read:      []string{"api_keys", "teammates"},
		Errors:    map[string]string{},
		Truncated: map[string]string{"api_keys": "truncated at 2 items (item cap)"},
	}
	for _, doc := range []auditResult{
		{Provider: "sendgrid", Generated: now, Inventory: inv, Findings: []checklist.Finding{{Title: evil}}},
		{Provider: "mailjet", Generated: now, Inventory: &checklist.Inventory{}, Permissions: &provider.PermissionReport{}},
		{},
	} {
		want, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(terminalSafeJSON(want), '\n')
		var got bytes.Buffer
		if err := writeAuditJSON(&got, doc); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("streamed JSON differs\n got %s\nwant %s", got.Bytes(), want)
		}
	}
	// Runes split across writes are escaped whole.
	var out bytes.Buffer
	w := &terminalSafeWriter{w: &out}
	in := []byte("\"a\u202eb\U0001F600\"")
	for i := range in {
		if _, err := w.Write(in[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), string(terminalSafeJSON(in)); got != want || !strings.Contains(got, `\u202e`) {
		t.Errorf("byte by byte: %q, want %q", got, want)
	}
}
