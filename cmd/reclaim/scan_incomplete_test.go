package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// `reclaim scan` never gives an all-clear for what it did not read: caps,
// the path limit and unreadable folders make the result incomplete (exit
// 1); distinct keys are listed whatever decoys come first; SARIF URIs
// parse back to the path; the nginx/Apache configs read with no PATH
// cannot hang it, and ctrl+c stops that phase with a partial report.
// No test reads the machine's /etc: isolateConfigs points
// RECLAIM_SCAN_CONFIG_ROOT at an empty folder.

// isolateConfigs makes runScan read the configs of an empty folder, unless
// the test set its own.
func isolateConfigs(t *testing.T) {
	t.Helper()
	if os.Getenv(scanConfigRootEnv) == "" {
		t.Setenv(scanConfigRootEnv, t.TempDir())
	}
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randKey(r *rand.Rand) string {
	s := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alnum[r.IntN(len(alnum))]
		}
		return string(b)
	}
	return "S" + "G." + s(22) + "." + s(43)
}

func writeTree(t *testing.T, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A key after the per-file cap: "No provider credentials found." with exit
// 0 used to be the answer. Now the report opens with INCOMPLETE RESULT, says
// the result is no all-clear, and reclaim exits 1 naming why.
func TestScanCLIIncompleteCap(t *testing.T) {
	isolateConfigs(t)
	r := rand.New(rand.NewPCG(81, 82))
	dir := t.TempDir()
	var b bytes.Buffer
	for b.Len() < 3<<20 {
		b.WriteString(strings.Repeat("x", 99) + "\n")
	}
	b.WriteString("SENDGRID_API_KEY=" + randKey(r) + "\n")
	writeTree(t, map[string][]byte{filepath.Join(dir, "logs/app.log"): b.Bytes(), filepath.Join(dir, "README"): []byte("hello\n")})
	const why = "1 file read only up to the per-file cap"
	for _, format := range []string{"text", "json", "sarif"} {
		var out, errb bytes.Buffer
		err := runScan(context.Background(), &out, &errb, []string{dir}, format, nil, 1<<20)
		ee, ok := err.(*exitErr)
		if !ok || ee.code != exitFindings || ee.err == nil || ee.err.Error() != "incomplete: "+why+" (exit 1: findings or an incomplete result)" {
			t.Fatalf("%s: %v; want exit 1, incomplete", format, err)
		}
		s := out.String()
		if strings.Contains(s, "No provider credentials found.\n") {
			t.Fatalf("%s: an all-clear:\n%s", format, s)
		}
		switch format {
		case "text":
			for _, want := range []string{
				"INCOMPLETE RESULT: not everything was read or listed (" + why + "); a key may be in what was left out.\n",
				"\nNo provider credentials found in what was read, but the result is incomplete (" + why + "): not an all-clear.\n",
			} {
				if !strings.Contains(s, want) {
					t.Errorf("text lacks %q:\n%s", want, s)
				}
			}
		case "json":
			if !strings.Contains(s, `"incomplete": true`) || !strings.Contains(s, `"incomplete_why": [`) {
				t.Errorf("json:\n%s", s)
			}
		case "sarif":
			if !strings.Contains(s, `"executionSuccessful": false`) || !strings.Contains(s, `"incomplete": true`) {
				t.Errorf("sarif:\n%s", s)
			}
		}
	}
	// without the cap the key is found: exit 1 for the finding, no word of
	// an incomplete result
	var out, errb bytes.Buffer
	err := runScan(context.Background(), &out, &errb, []string{dir}, "text", nil, -1)
	if ee, ok := err.(*exitErr); !ok || ee.code != exitFindings || ee.err != nil || strings.Contains(out.String(), "INCOMPLETE") {
		t.Fatalf("uncapped: %v\n%s", err, out.String())
	}
}

// 1,000 decoy keys before the real one in a .env: the real key is listed
// (it used to be "1 more findings not listed"); 1,000 copies of one decoy
// are one finding, counted.
func TestScanCLIDecoyKeys(t *testing.T) {
	r := rand.New(rand.NewPCG(83, 84))
	dir := t.TempDir()
	real := randKey(r)
	var distinct, same bytes.Buffer
	decoy := randKey(r)
	for range 1000 {
		distinct.WriteString("SENDGRID_API_KEY=" + randKey(r) + "\n")
		same.WriteString("SENDGRID_API_KEY=" + decoy + "\n")
	}
	distinct.WriteString("SENDGRID_API_KEY=" + real + "\n")
	same.WriteString("MAIL_KEY=" + real + "\n")
	writeTree(t, map[string][]byte{filepath.Join(dir, "a/.env"): distinct.Bytes(), filepath.Join(dir, "b/.env"): same.Bytes()})
	code, out, err := scanCLI(t, "json", dir)
	if code != exitFindings || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	var rep struct {
		Findings []struct {
			File  string `json:"file"`
			Line  int    `json:"line"`
			KeyID string `json:"key_id"`
			Count int    `json:"count"`
		} `json:"findings"`
		NotListed  int64 `json:"findings_not_listed"`
		Incomplete bool  `json:"incomplete"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	where := map[string]int{}
	for _, f := range rep.Findings {
		if f.KeyID == real[3:25] {
			where[filepath.Base(filepath.Dir(f.File))] = f.Line
		}
		if f.KeyID == decoy[3:25] && f.Count != 1000 {
			t.Errorf("the decoy: %+v", f)
		}
	}
	if where["a"] != 1001 || where["b"] != 1001 || rep.NotListed != 0 || rep.Incomplete || len(rep.Findings) != 1000+1+2 {
		t.Fatalf("real key at %v; %d findings, %d not listed, incomplete %v", where, len(rep.Findings), rep.NotListed, rep.Incomplete)
	}
	code, text, _ := scanCLI(t, "text", filepath.Join(dir, "b"))
	if code != exitFindings || !strings.Contains(text, "key id "+real[3:25]) || !strings.Contains(text, "key id "+decoy[3:25]+" (1000 times in this file)") {
		t.Fatalf("text, exit %d:\n%s", code, text)
	}
}

// A .env 3,000 levels deep: past the path limit, not read, and said so
// (exit 1, incomplete), not "1 unreadable … file name too long" and an
// all-clear with exit 0.
func TestScanCLIDeepTree(t *testing.T) {
	r := rand.New(rand.NewPCG(85, 86))
	dir := t.TempDir()
	writeTree(t, map[string][]byte{filepath.Join(dir, "README"): []byte("hello\n")})
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 3000 {
		if err := syscall.Mkdirat(fd, "d", 0o755); err != nil {
			t.Fatal(err)
		}
		nfd, err := syscall.Openat(fd, "d", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		syscall.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = nfd
	}
	env, err := syscall.Openat(fd, ".env", syscall.O_WRONLY|syscall.O_CREAT, 0o644)
	syscall.Close(fd)
	if err != nil {
		t.Fatal(err)
	}
	syscall.Write(env, []byte("SENDGRID_API_KEY="+randKey(r)+"\n"))
	syscall.Close(env)
	code, out, err := scanCLI(t, "text", dir)
	if code != exitFindings || err == nil || !strings.HasPrefix(err.Error(), "incomplete: 1 folder deeper than the 4096-byte path limit not read") {
		t.Fatalf("exit %d, %v\n%.2000s", code, err, out)
	}
	if strings.Contains(out, "No provider credentials found.\n") || !strings.Contains(out, "  Did not walk into 1 folder deeper than the 4096-byte path limit (PATH_MAX), first: "+dir+"/d/d/") {
		t.Fatalf("text:\n%.3000s", out)
	}
	assertClean(t, "deep tree text", []byte(out))
}

// SARIF artifact URIs parse back to the file's exact path: a name that
// looks like an encoded traversal, '#' and '?' no longer cut or redirect
// it.
func TestScanCLISARIFURIs(t *testing.T) {
	r := rand.New(rand.NewPCG(87, 88))
	dir := t.TempDir()
	files := map[string][]byte{}
	for _, n := range []string{"x%2f..%2f..%2fhome%2fdeploy%2f.env", "a#frag.env", "q?x=1.env"} {
		files[filepath.Join(dir, n)] = []byte("SENDGRID_API_KEY=" + randKey(r) + "\n")
	}
	writeTree(t, files)
	code, out, err := scanCLI(t, "sarif", dir)
	if code != exitFindings || err != nil {
		t.Fatalf("exit %d, %v", code, err)
	}
	var sl struct {
		Runs []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sl); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, res := range sl.Runs[0].Results {
		if !strings.HasPrefix(res.RuleID, "leak/") {
			continue
		}
		uri := res.Locations[0].PhysicalLocation.ArtifactLocation.URI
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "file" || u.RawQuery != "" || u.Fragment != "" {
			t.Fatalf("%q: %+v, %v", uri, u, err)
		}
		got[u.Path] = true
	}
	for p := range files {
		if !got[p] {
			t.Errorf("no SARIF result parses back to %q (got %v)", p, got)
		}
	}
}

// hostileConfigs writes, under sys, nginx configs naming the web root
// sys/srv/site (one through a sites-available link, the Debian layout),
// beside a named pipe, a link to /dev/urandom and one to /dev/zero.
func hostileConfigs(t *testing.T, sys string) string {
	t.Helper()
	en := filepath.Join(sys, "etc/nginx/sites-enabled")
	writeTree(t, map[string][]byte{
		filepath.Join(sys, "etc/nginx/sites-available/site"): []byte("server {\n  root /srv/site;\n}\n"),
	})
	if err := os.MkdirAll(en, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../sites-available/site", filepath.Join(en, "site")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(en, "0-fifo"), 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	for n, target := range map[string]string{"1-urandom": "/dev/urandom", "2-zero": "/dev/zero"} {
		if err := os.Symlink(target, filepath.Join(en, n)); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(sys, "srv/site")
}

// `reclaim scan` with no PATH: a named pipe and links to /dev/urandom and
// /dev/zero among the site configs are not read (they used to block it
// for good); the web root the good config names is scanned.
func TestScanCLIConfigsHostile(t *testing.T) {
	r := rand.New(rand.NewPCG(89, 90))
	sys := t.TempDir()
	site := hostileConfigs(t, sys)
	writeTree(t, map[string][]byte{filepath.Join(site, "config/.env"): []byte("SENDGRID_API_KEY=" + randKey(r) + "\n")})
	t.Setenv(scanConfigRootEnv, sys)
	ctx, cancel := context.WithTimeout(context.Background(), scanHangGuard)
	defer cancel()
	code, out, err := scanCLICtx(t, ctx, "json", []string{}...)
	if ctx.Err() != nil {
		t.Fatal("reclaim scan hung on the configs")
	}
	if code != exitFindings || err != nil {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
	var rep struct {
		Roots    []string          `json:"roots"`
		WebRoots []string          `json:"web_roots"`
		Findings []json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Roots) != 1 || rep.Roots[0] != site || len(rep.Findings) != 1 || len(rep.WebRoots) == 0 || rep.WebRoots[0] != site {
		t.Fatalf("roots %q, web roots %q, %d findings", rep.Roots, rep.WebRoots, len(rep.Findings))
	}
}

// Interrupted before or while the configs are read: the partial report
// is written and the exit is 130.
func TestScanCLIConfigsInterrupted(t *testing.T) {
	sys := t.TempDir()
	hostileConfigs(t, sys)
	t.Setenv(scanConfigRootEnv, sys)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, out, err := scanCLICtx(t, ctx, "text")
	if code != exitAborted || err == nil || !strings.HasPrefix(out, "PARTIAL RESULT: ") || strings.Contains(out, "No provider credentials found") {
		t.Fatalf("exit %d, %v\n%s", code, err, out)
	}
}

// A real SIGINT to `reclaim scan` with no PATH, its site configs full of
// traps (a named pipe, links to /dev/urandom and /dev/zero): it stops with
// the partial report and exit 130 (it used to block on the configs, then
// exit 130 after the signal handler's 3 s grace, with no report). The
// configs name 500 web roots (links to one tree), so that the scan is
// still running at the signal. The time from the signal to the exit is
// logged, not asserted.
func TestScanCLIConfigSIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	sys := t.TempDir()
	site := hostileConfigs(t, sys)
	var big bytes.Buffer
	for big.Len() < 256<<10 {
		big.WriteString(strings.Repeat("y", 79) + "\n")
	}
	files := map[string][]byte{}
	for i := range 40 {
		files[filepath.Join(site, fmt.Sprintf("d%d/f%02d.log", i%4, i))] = big.Bytes()
	}
	writeTree(t, files)
	var conf bytes.Buffer
	for i := range 500 {
		fmt.Fprintf(&conf, "server {\n  root /srv/s%03d;\n}\n", i)
		if err := os.Symlink(site, filepath.Join(sys, fmt.Sprintf("srv/s%03d", i))); err != nil {
			t.Fatal(err)
		}
	}
	writeTree(t, map[string][]byte{filepath.Join(sys, "etc/nginx/conf.d/many.conf"): conf.Bytes()})
	code, stdout, stderr := interruptedScan(t, 300*time.Millisecond, sys, "-test.run=^TestScanMainHelper$", "--", "scan", "--format", "json")
	if code == exitOK || code == exitFindings {
		t.Skip("the scan finished before the signal")
	}
	if code != exitAborted {
		t.Fatalf("exit %d, want 130\n%s", code, stderr.String())
	}
	// the report comes from the scan returning, not from the signal
	// handler giving up on it (which writes none)
	var rep struct {
		Partial bool     `json:"partial"`
		Roots   []string `json:"roots"`
		Files   int64    `json:"files"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || !rep.Partial {
		t.Fatalf("report %+v, %v:\n%.2000s\nstderr: %s", rep, err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "reclaim: interrupted: the report covers only the ") {
		t.Errorf("stderr: %s", stderr.String())
	}
	t.Logf("partial report: %d roots, %d files", len(rep.Roots), rep.Files)
}
