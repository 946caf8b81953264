//go:build linux

package leakscan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	osexec "os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// The adversarial suite, scanner side: trees an attacker on the server
// could build. Every case asserts that the scan completes (hangGuard: a
// generous deadline, not a timing), that every output is sanitized
// (checkClean), and what was and was not read. The memory bound is
// TestScanMemoryBounded; timings are benchmarks (bench_test.go).

// hostileNames are file names an attacker could give files to forge or
// hide output: OSC title, clear screen, CR, newline, RLO, C1 CSI (as UTF-8
// and as a raw byte), zero-width space, DEL, BOM.
var hostileNames = []string{
	"\x1b]0;owned\x07", "\x1b[2J\x1b[H", "cr\rforged", "nl\nforged", "rlo\u202egnp.php", "c1\u009b31m", "raw\x9b31m",
	"zw\u200bsp", "del\x7fx", "bom\ufeffx", "bell\x07",
}

func TestHostileNamesSanitized(t *testing.T) {
	r := rand.New(rand.NewPCG(41, 42))
	base := t.TempDir()
	// the root's own name carries escapes too
	root := filepath.Join(base, "srv\x1b[31m\u202e")
	want := 0
	for i, n := range hostileNames {
		writeFile(t, filepath.Join(root, n, ".env"+n), []byte("SENDGRID_API_KEY="+sgKey(r)+"\nDB_PASSWORD=Pw-"+rnd(r, anA, 18)+"\n"))
		want++
		if err := os.Symlink("\x1b[2J/target"+n, filepath.Join(root, fmt.Sprintf("link%02d%s", i, n))); err != nil {
			t.Fatal(err)
		}
	}
	// an access log whose fields carry escape codes: the address, the
	// probed path and the user agent
	log := strings.Join([]string{
		"\x1b[2K198.51.100.7 - - [12/Mar/2024:10:00:00 +0000] \"GET /.env\x1b]0;x\x07 HTTP/1.1\" 200 812 \"-\" \"\x1b[31mMozilla\u202e\"",
		"\u202e203.0.113.9 - - [12/Mar/2024:10:01:00 +0000] \"GET /.env\u009b2J HTTP/1.1\" 404 0 \"-\" \"curl\"",
		"198.51.100.8\r - - [13/Mar/2024:11:00:00 +0000] \"GET /.git/config HTTP/1.1\" 200 10 \"-\" \"x\x7f\"",
	}, "\n") + "\n"
	writeFile(t, filepath.Join(root, "var/log/nginx/access\x1b[2J.log"), []byte(log))
	missing := filepath.Join(base, "gone\x1b]0;fake\x07")

	rep := guardedScan(t, []string{root, missing}, Options{})
	if len(rep.Findings) != want {
		t.Fatalf("%d findings, want %d (one per escape-named file)", len(rep.Findings), want)
	}
	if rep.Symlinks != int64(len(hostileNames)) || len(rep.SymlinksFirst) != firstLinks {
		t.Errorf("symlinks %d, first %d", rep.Symlinks, len(rep.SymlinksFirst))
	}
	if len(rep.Traces) == 0 || len(rep.Exposures) == 0 || rep.RootsError() == nil {
		t.Fatalf("traces %d, exposures %d, roots error %v", len(rep.Traces), len(rep.Exposures), rep.RootsError())
	}
	for name, out := range outputs(t, rep) {
		checkClean(t, name, out)
	}
	checkClean(t, "roots error", []byte(rep.RootsError().Error()))
	for _, s := range rep.RootStats {
		checkClean(t, "root summary", []byte(s.Summary()))
	}
	// JSON escapes, it does not lose: the paths decode back as they are
	var back Report
	js := outputs(t, rep)["json"]
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	valid := 0
	for i, f := range back.Findings {
		if utf8.ValidString(rep.Findings[i].File) {
			valid++
			if f.File != rep.Findings[i].File {
				t.Errorf("JSON path %q, want %q", f.File, rep.Findings[i].File)
			}
		}
	}
	if valid == 0 {
		t.Error("no valid UTF-8 path to compare")
	}
}

// Named pipes, sockets and a device-less tree: not read, counted, and the
// scan does not wait on them.
func TestFIFOsAndSocketsInTree(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "app/.env"), []byte("SENDGRID_API_KEY="+sgKey(r)+"\n"))
	for _, n := range []string{"app/pipe", "app/access.log", "app/.env.bak", "pipe2"} {
		if err := syscall.Mkfifo(filepath.Join(dir, n), 0o644); err != nil {
			t.Skip("no named pipes here:", err)
		}
	}
	sock := filepath.Join(dir, "s.sock")
	if l, err := net.Listen("unix", sock); err == nil {
		defer l.Close()
	}
	rep := guardedScan(t, []string{dir}, Options{})
	if len(rep.Findings) != 1 || rep.Special < 4 || rep.Files != 1 {
		t.Fatalf("findings %d, special %d, files %d", len(rep.Findings), rep.Special, rep.Files)
	}
	out := outputs(t, rep)
	if !strings.Contains(string(out["text"]), "named pipes, sockets or devices (not regular files)") {
		t.Errorf("text does not count the pipes:\n%s", out["text"])
	}
	// a named pipe as the root
	rep = guardedScan(t, []string{filepath.Join(dir, "pipe2")}, Options{})
	if rep.RootStats[0].Error != "not a file or folder: a named pipe" {
		t.Errorf("pipe root: %+v", rep.RootStats[0])
	}
}

// A regular file swapped for a named pipe between the listing and the
// open: 40 scans while another goroutine swaps, none may hang. (Before
// O_NONBLOCK and the fstat check, 8 of 40 did.)
func TestFIFOSwapRace(t *testing.T) {
	r := rand.New(rand.NewPCG(45, 46))
	dir := t.TempDir()
	key := sgKey(r)
	writeFile(t, filepath.Join(dir, "stable/.env"), []byte("SENDGRID_API_KEY="+key+"\n"))
	const victims = 24
	type victim struct{ reg, fifo, tmp, path string }
	var vs []victim
	for i := range victims {
		d := filepath.Join(dir, fmt.Sprintf("v%02d", i))
		v := victim{reg: filepath.Join(d, "reg"), fifo: filepath.Join(d, "fifo"), tmp: filepath.Join(d, "tmp"), path: filepath.Join(d, "config.php")}
		writeFile(t, v.reg, []byte("<?php $k = 'x';\n"))
		if err := syscall.Mkfifo(v.fifo, 0o644); err != nil {
			t.Skip("no named pipes here:", err)
		}
		if err := os.Link(v.reg, v.path); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	stop := make(chan struct{})
	var swaps atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			for _, v := range vs {
				select {
				case <-stop:
					return
				default:
				}
				// the path is a regular file, then a named pipe, atomically
				for _, src := range []string{v.reg, v.fifo} {
					os.Remove(v.tmp)
					if os.Link(src, v.tmp) == nil {
						os.Rename(v.tmp, v.path)
					}
				}
				swaps.Add(1)
			}
		}
	}()
	defer func() {
		close(stop)
		wg.Wait()
		// release any reader still waiting on a pipe (none should be)
		for _, v := range vs {
			if fd, err := syscall.Open(v.fifo, syscall.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				syscall.Close(fd)
			}
		}
	}()
	for i := range 40 {
		rep := guardedScan(t, []string{dir}, Options{})
		if len(rep.Findings) != 1 || rep.Findings[0].Fingerprint != Fingerprint([]byte(key)) {
			t.Fatalf("scan %d: %d findings", i, len(rep.Findings))
		}
	}
	t.Logf("%d swaps during 40 scans", swaps.Load())
}

// A root that is a link is read at its target; links inside are counted,
// named and never followed (loops, links to the parent, to /).
func TestSymlinkRootsAndLoops(t *testing.T) {
	r := rand.New(rand.NewPCG(47, 48))
	base := t.TempDir()
	site := filepath.Join(base, "srv/site")
	writeFile(t, filepath.Join(site, "releases/1/.env"), []byte("SENDGRID_API_KEY="+sgKey(r)+"\n"))
	links := map[string]string{
		"current":           "releases/1",
		"loop-a":            "loop-b",
		"loop-b":            "loop-a",
		"up":                "..",
		"self":              ".",
		"slash":             "/",
		"releases/1/public": "../../..",
	}
	for l, target := range links {
		if err := os.Symlink(target, filepath.Join(site, l)); err != nil {
			t.Fatal(err)
		}
	}
	rootLink := filepath.Join(base, "www")
	if err := os.Symlink(site, rootLink); err != nil {
		t.Fatal(err)
	}
	loopRoot := filepath.Join(base, "loop")
	if err := os.Symlink(loopRoot, loopRoot); err != nil {
		t.Fatal(err)
	}
	rep := guardedScan(t, []string{rootLink, loopRoot}, Options{})
	s := rep.RootStats[0]
	if s.Target != site || s.Files != 1 || s.Error != "" {
		t.Fatalf("link root: %+v", s)
	}
	if l := rep.RootStats[1]; l.Error == "" || l.Files != 0 {
		t.Fatalf("looping root: %+v", l)
	}
	if len(rep.Findings) != 1 || rep.Files != 1 {
		t.Fatalf("%d findings in %d files: a link was followed", len(rep.Findings), rep.Files)
	}
	if rep.Symlinks != int64(len(links)) || len(rep.SymlinksFirst) != firstLinks {
		t.Fatalf("symlinks %d, first %+v", rep.Symlinks, rep.SymlinksFirst)
	}
	// the first five in path order, with where they point
	want := []Link{{site + "/current", "releases/1"}, {site + "/loop-a", "loop-b"}, {site + "/loop-b", "loop-a"}, {site + "/releases/1/public", "../../.."}, {site + "/self", "."}}
	for i, l := range rep.SymlinksFirst {
		if l != want[i] {
			t.Errorf("link %d: %+v, want %+v", i, l, want[i])
		}
	}
	out := outputs(t, rep)
	wantText := "  Did not follow 7 symbolic links (name one as a PATH to scan its target): " + site + "/current -> releases/1, " + site + "/loop-a -> loop-b, " +
		site + "/loop-b -> loop-a, " + site + "/releases/1/public -> ../../.., " + site + "/self -> . and 2 more\n"
	if !strings.Contains(string(out["text"]), wantText) {
		t.Errorf("text lacks %q:\n%s", wantText, out["text"])
	}
	if !strings.Contains(string(out["text"]), "\n  "+rootLink+" -> "+site+": 1 file, ") {
		t.Errorf("text does not name the root's target:\n%s", out["text"])
	}
	for _, f := range []string{"json", "sarif"} {
		if !strings.Contains(string(out[f]), `"path": "`+site+`/current"`) {
			t.Errorf("%s does not name the first link:\n%s", f, out[f])
		}
	}
	for name, b := range out {
		checkClean(t, name, b)
	}
}

// A tree 2,000 folders deep is walked to the bottom; folders past the
// path limit (MaxPathLen, PATH_MAX) are not walked into: counted, named,
// and the result is incomplete; no crash, no hang, no all-clear.
func TestDeepTree(t *testing.T) {
	r := rand.New(rand.NewPCG(49, 50))
	dir := t.TempDir()
	key := sgKey(r)
	deep := dir
	for range 2000 {
		deep = filepath.Join(deep, "d")
	}
	if len(deep)+len("/.env") >= 4096 {
		t.Skipf("temp dir too long for a 2,000-deep tree under PATH_MAX (%d)", len(deep))
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(deep, ".env"), []byte("SENDGRID_API_KEY="+key+"\n"))
	rep := guardedScan(t, []string{dir}, Options{})
	if len(rep.Findings) != 1 || rep.Findings[0].File != filepath.Join(deep, ".env") {
		t.Fatalf("findings %+v", rep.Findings)
	}

	// deeper than PATH_MAX: made folder by folder, relative to the last
	if runtime.GOOS != "linux" {
		return
	}
	fd, err := syscall.Open(deep, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range 200 {
		if err := syscall.Mkdirat(fd, "dd", 0o755); err != nil {
			t.Fatal(err)
		}
		nfd, err := syscall.Openat(fd, "dd", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		syscall.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = nfd
	}
	syscall.Close(fd)
	rep = guardedScan(t, []string{dir}, Options{})
	if len(rep.Findings) != 1 || rep.RootStats[0].Unreadable != 0 || rep.TooDeep != 1 || !rep.Incomplete || len(rep.Errors) != 0 {
		t.Fatalf("beyond PATH_MAX: findings %d, unreadable %d, too deep %d, incomplete %q, errors %q", len(rep.Findings), rep.RootStats[0].Unreadable, rep.TooDeep, rep.IncompleteWhy, rep.Errors)
	}
	for name, b := range outputs(t, rep) {
		checkClean(t, name, b)
	}
}

// sparse makes a file of size bytes that is a hole but for data at the
// given offsets.
func sparse(t testing.TB, p string, size int64, data map[int64]string) {
	t.Helper()
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Skip("no sparse files here:", err)
	}
	for off, s := range data {
		if _, err := f.WriteAt([]byte(s), off); err != nil {
			t.Fatal(err)
		}
	}
}

// A 10 GB sparse file: its holes are skipped (the keys at both ends are
// found, a few MB are read); read without skipping holes, the per-file cap
// bounds it. A dense file over the cap is read up to it, and the summary
// says so.
func TestSparseAndHugeFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	dir := t.TempDir()
	head, tail := sgKey(r), sgKey(r)
	const tenGB = 10 << 30
	big := filepath.Join(dir, "sparse/access.log")
	if err := os.MkdirAll(filepath.Dir(big), 0o755); err != nil {
		t.Fatal(err)
	}
	sparse(t, big, tenGB, map[int64]string{0: "SENDGRID_API_KEY=" + head + "\n", tenGB - 4096: "\nMAIL_PASSWORD=" + tail + "\n"})
	var st syscall.Stat_t
	if err := syscall.Stat(big, &st); err != nil || st.Blocks*512 >= tenGB {
		t.Skip("the file system does not keep the file sparse")
	}
	rep := guardedScan(t, []string{big}, Options{})
	if len(rep.Findings) != 2 || rep.Bytes > 4<<20 || rep.Capped != 0 {
		t.Fatalf("sparse: %d findings, %d bytes read, capped %d", len(rep.Findings), rep.Bytes, rep.Capped)
	}
	if rep.Findings[0].Line != 1 || rep.Findings[1].Line != 3 {
		t.Errorf("lines %d, %d: a hole holds no line", rep.Findings[0].Line, rep.Findings[1].Line)
	}

	// holes read as zeros: the cap stops it
	useSeekData = false
	defer func() { useSeekData = true }()
	rep = guardedScan(t, []string{big}, Options{FileCap: 16 << 20})
	useSeekData = true
	if rep.Bytes != 16<<20 || rep.Capped != 1 || rep.CappedFirst != big || len(rep.Findings) != 1 {
		t.Fatalf("cap: %d bytes read, capped %d (%q), %d findings", rep.Bytes, rep.Capped, rep.CappedFirst, len(rep.Findings))
	}
	text := string(outputs(t, rep)["text"])
	if want := "Read only the first 16.0 MiB of 1 file over the per-file cap, first: " + big; !strings.Contains(text, want) {
		t.Errorf("text lacks %q:\n%s", want, text)
	}

	// a dense 6 MiB file with a cap of 2 MiB: the key before it is found,
	// the one after is not
	dense := filepath.Join(dir, "dense/app.log")
	line := strings.Repeat("x", 99) + "\n"
	var b strings.Builder
	b.WriteString("SENDGRID_API_KEY=" + head + "\n")
	for b.Len() < 4<<20 {
		b.WriteString(line)
	}
	b.WriteString("SENDGRID_API_KEY=" + tail + "\n")
	for b.Len() < 6<<20 {
		b.WriteString(line)
	}
	writeFile(t, dense, []byte(b.String()))
	rep = guardedScan(t, []string{dense}, Options{FileCap: 2 << 20})
	if rep.Bytes != 2<<20 || rep.Capped != 1 || len(rep.Findings) != 1 || rep.Findings[0].Fingerprint != Fingerprint([]byte(head)) {
		t.Fatalf("dense: %d bytes, capped %d, %d findings", rep.Bytes, rep.Capped, len(rep.Findings))
	}
	// no cap: all of it
	rep = guardedScan(t, []string{dense}, Options{FileCap: -1})
	if rep.Bytes != int64(b.Len()) || rep.Capped != 0 || len(rep.Findings) != 2 {
		t.Fatalf("uncapped: %d bytes, capped %d, %d findings", rep.Bytes, rep.Capped, len(rep.Findings))
	}
}

// Kernel file systems: not walked into from a root above them; named as a
// root, read (regular files only, up to PseudoFileCap each, never
// /proc/kmsg) without blocking.
func TestProcLikeEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	dir := t.TempDir()
	key := sgKey(r)
	writeFile(t, filepath.Join(dir, "app/.env"), []byte("SENDGRID_API_KEY="+key+"\n"))
	fakeProc := filepath.Join(dir, "proc")
	writeFile(t, filepath.Join(fakeProc, "1/environ"), []byte("SENDGRID_API_KEY="+sgKey(r)+"\x00PATH=/bin\x00"))
	writeFile(t, filepath.Join(fakeProc, "kmsg"), []byte("SENDGRID_API_KEY="+sgKey(r)+"\n"))
	opt := Options{testPseudo: []string{fakeProc}}
	rep := guardedScan(t, []string{dir}, opt)
	if len(rep.Findings) != 1 || len(rep.PseudoSkipped) != 1 || rep.PseudoSkipped[0] != fakeProc {
		t.Fatalf("findings %d, pseudo skipped %q", len(rep.Findings), rep.PseudoSkipped)
	}
	if text := string(outputs(t, rep)["text"]); !strings.Contains(text, "  Did not walk into "+fakeProc+" (kernel file systems; name one as a PATH to scan it)\n") {
		t.Errorf("text does not say %s was skipped:\n%s", fakeProc, text)
	}
	// named: read, but not kmsg; environ is NUL-separated and read anyway
	rep = guardedScan(t, []string{fakeProc}, opt)
	if len(rep.Findings) != 1 || !strings.HasSuffix(rep.Findings[0].File, "/1/environ") || rep.RootStats[0].Skipped != 1 || rep.BinaryScanned != 1 {
		t.Fatalf("named pseudo root: findings %+v, stat %+v, binary scanned %d", rep.Findings, rep.RootStats[0], rep.BinaryScanned)
	}
	rep = guardedScan(t, []string{filepath.Join(fakeProc, "kmsg")}, opt)
	if got := rep.RootStats[0].Error; got != "not read: a kernel pseudo-file that reading would consume" {
		t.Errorf("kmsg root: %q", got)
	}

	if runtime.GOOS != "linux" {
		return
	}
	// the real /proc/kmsg: never read, never waited on (as root it would
	// block, and steal the kernel's messages from syslog)
	rep = guardedScan(t, []string{"/proc/kmsg"}, Options{})
	if rep.Files != 0 || rep.RootStats[0].Error == "" {
		t.Errorf("/proc/kmsg: %+v", rep.RootStats[0])
	}
	// a process's /proc folder: its environment holds a key
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc")
	}
	sleep := startWaiting(t, "SENDGRID_API_KEY="+key)
	rep = guardedScan(t, []string{fmt.Sprintf("/proc/%d", sleep)}, Options{})
	found := false
	for _, f := range rep.Findings {
		if f.Fingerprint == Fingerprint([]byte(key)) && strings.HasSuffix(f.File, "/environ") {
			found = true
		}
	}
	if !found || rep.Files == 0 || rep.FileCap != DefaultFileCap {
		t.Fatalf("/proc/%d: %d files, findings %+v", sleep, rep.Files, rep.Findings)
	}
	if rep.Bytes > rep.Files*PseudoFileCap {
		t.Errorf("%d bytes from %d pseudo-files: over %d each", rep.Bytes, rep.Files, PseudoFileCap)
	}
	for name, b := range outputs(t, rep) {
		checkClean(t, name, b)
	}
}

// startWaiting starts a process that waits, with env, and returns its pid; it is
// killed when the test ends.
func startWaiting(t *testing.T, env string) int {
	t.Helper()
	p, err := os.StartProcess("/bin/sleep", []string{"sleep", "600"}, &os.ProcAttr{Env: []string{env}})
	if err != nil {
		t.Skip("cannot start a process:", err)
	}
	t.Cleanup(func() { p.Kill(); p.Wait() })
	return p.Pid
}

// A read that would block is the end of that file, not a wait.
func TestReadWouldBlock(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("linux")
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	fd, err := syscall.Dup(int(pr.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	var buf [16]byte
	n, err := rfile(fd).readOnce("pipe", buf[:])
	if n != 0 || !errors.Is(err, errWouldBlock) {
		t.Fatalf("read %d, %v", n, err)
	}
}

// Cancelling stops the walk between files and between reads; a worker
// stuck in a read the kernel does not interrupt is left behind, and the
// partial report comes back anyway.
func TestCancelMidScan(t *testing.T) {
	dir := t.TempDir()
	for i := range 400 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("d%02d/f%03d.txt", i%20, i)), []byte("nothing here\n"))
	}
	// stopped after some files
	ctx, cancel := context.WithCancel(context.Background())
	var opened atomic.Int64
	opt := Options{testBeforeOpen: func(string) {
		if opened.Add(1) == 50 {
			cancel()
		}
	}}
	rep, err := Scan(ctx, []string{dir}, opt)
	if !errors.Is(err, context.Canceled) || rep == nil || !rep.Partial || rep.Files >= 400 {
		t.Fatalf("cancelled: %v, partial %v, %d files", err, rep != nil && rep.Partial, rep.Files)
	}
	out := outputs(t, rep)
	if !strings.HasPrefix(string(out["text"]), partialNote+"\n") || !strings.Contains(string(out["json"]), `"partial": true`) ||
		!strings.Contains(string(out["sarif"]), `"executionSuccessful": false`) || !strings.Contains(string(out["sarif"]), `"partial": true`) {
		t.Fatalf("the outputs do not say partial:\n%s\n%s", out["text"], out["sarif"])
	}
	if strings.Contains(string(out["text"]), "No provider credentials found.\n") {
		t.Error("a partial scan reads as an all-clear")
	}

	// one worker stuck for good in a "read"
	release := make(chan struct{})
	defer close(release)
	ctx, cancel = context.WithCancel(context.Background())
	var once sync.Once
	opt = Options{Workers: 2, testBeforeOpen: func(string) {
		first := false
		once.Do(func() { first = true })
		if first {
			cancel()
			<-release
		}
	}}
	done := make(chan struct{})
	go func() {
		rep, err = Scan(ctx, []string{dir}, opt)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatal("a stuck worker held the cancelled scan")
	}
	if !errors.Is(err, context.Canceled) || !rep.Partial {
		t.Fatalf("stuck worker: %v, partial %v", err, rep.Partial)
	}
}

// BenchmarkCancelLatency is how long a scan takes to return once its
// context is cancelled, in the middle of reading a 10 GB file (sparse, its
// holes read as zeros, no cap): cancel-ms, to compare with the one second
// the CLI promises. The walk checks between folders, files and reads of at
// most 1 MiB.
func BenchmarkCancelLatency(b *testing.B) {
	dir := b.TempDir()
	big := filepath.Join(dir, "huge.log")
	sparse(b, big, 10<<30, map[int64]string{0: "start\n"})
	useSeekData = false
	defer func() { useSeekData = true }()
	var total time.Duration
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		started := make(chan struct{})
		var once sync.Once
		opt := Options{FileCap: -1, testBeforeOpen: func(string) { once.Do(func() { close(started) }) }}
		done := make(chan time.Time)
		go func() {
			Scan(ctx, []string{dir}, opt)
			done <- time.Now()
		}()
		<-started
		time.Sleep(20 * time.Millisecond)
		at := time.Now()
		cancel()
		total += (<-done).Sub(at)
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "cancel-ms")
}

// rssLimitMB is the peak RSS a scan of the hostile tree must stay under
// (the bound the issue sets for an audit).
const rssLimitMB = 150

// TestScanMemoryBounded scans, in a child process, a tree built to exhaust
// memory: a 10 GB sparse file, 32 MiB of distinct keys in one file, 3,000
// files of 12 keys each (36,000, over MaxFindings), a 32 MiB access log of
// probes from distinct addresses for distinct paths, a 32 MiB line with no
// newline, 16 MiB of UTF-16. Its peak RSS must stay under rssLimitMB; the
// lists are capped and say how much they left out. (Not under the race
// detector, which multiplies memory.)
func TestScanMemoryBounded(t *testing.T) {
	if os.Getenv("LEAKSCAN_RSS_CHILD") != "" {
		t.Skip("the child")
	}
	if testing.Short() {
		t.Skip("short: writes 130 MB")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory: the bound is checked without it")
	}
	dir := t.TempDir()
	memoryTree(t, dir)

	cmd := osexec.Command(os.Args[0], "-test.run=^TestMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), "LEAKSCAN_RSS_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var rep struct {
		Listed, NotListed, Traces, Capped, PeakKB int64
	}
	i := bytes.Index(out, []byte("REPORT "))
	if i < 0 || json.Unmarshal(out[i+7:i+bytes.IndexByte(out[i:], '\n')], &rep) != nil {
		t.Fatalf("child output:\n%s", out)
	}
	// the child's own high-water mark (VmHWM): getrusage's would include
	// the test's, inherited across the fork and exec
	if rep.PeakKB == 0 {
		t.Fatalf("the child did not report its peak RSS:\n%s", out)
	}
	rss := rep.PeakKB / 1024
	t.Logf("peak RSS %d MB; findings listed %d, not listed %d; traces %d", rss, rep.Listed, rep.NotListed, rep.Traces)
	if rep.Listed != MaxFindings || rep.NotListed < 36000+MaxFindingsPerFile-MaxFindings || rep.Traces > maxProbesPerFile+1 {
		t.Errorf("caps: %+v", rep)
	}
	if rss >= rssLimitMB {
		t.Errorf("peak RSS %d MB, over %d MB", rss, rssLimitMB)
	}
}

// memoryTree writes the tree of TestScanMemoryBounded into dir.
func memoryTree(t testing.TB, dir string) {
	r := rand.New(rand.NewPCG(55, 56))
	sparse(t, filepath.Join(dir, "sparse.log"), 10<<30, map[int64]string{0: "SENDGRID_API_KEY=" + sgKey(r) + "\n", 10<<30 - 200: "SENDGRID_API_KEY=" + sgKey(r) + "\n"})
	var b bytes.Buffer
	for b.Len() < 32<<20 {
		b.WriteString("SENDGRID_API_KEY=" + sgKey(r) + "\n")
	}
	writeFile(t, filepath.Join(dir, "keys/dense.env"), b.Bytes())
	for i := range 3000 {
		b.Reset()
		for range 12 {
			b.WriteString("SENDGRID_API_KEY=" + sgKey(r) + "\n")
		}
		writeFile(t, filepath.Join(dir, fmt.Sprintf("many/%02d/%04d.env", i%50, i)), b.Bytes())
	}
	b.Reset()
	for i := 0; b.Len() < 32<<20; i++ {
		fmt.Fprintf(&b, "10.%d.%d.%d - - [12/Mar/2024:10:00:00 +0000] \"GET /.env.%s HTTP/1.1\" 404 0 \"-\" \"bot\"\n", i>>16&255, i>>8&255, i&255, rnd(r, anA, 12))
	}
	writeFile(t, filepath.Join(dir, "var/log/nginx/access.log"), b.Bytes())
	writeFile(t, filepath.Join(dir, "oneline.txt"), bytes.Repeat([]byte("SG.-"), 8<<20))
	writeFile(t, filepath.Join(dir, "utf16.txt"), encodeUTF16(strings.Repeat("DB_PASSWORD=xyz SG. "+strings.Repeat("é", 20)+"\n", 16<<20/80), false, true))
}

// TestMemoryChild is the child of TestScanMemoryBounded.
func TestMemoryChild(t *testing.T) {
	dir := os.Getenv("LEAKSCAN_RSS_CHILD")
	if dir == "" {
		t.Skip("run by TestScanMemoryBounded")
	}
	rep := guardedScan(t, []string{dir}, Options{})
	WriteText(io.Discard, rep)
	WriteJSON(io.Discard, rep)
	WriteSARIF(io.Discard, rep, "test")
	var peak int64
	status, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &peak)
		}
	}
	b, _ := json.Marshal(map[string]int64{"Listed": int64(len(rep.Findings)), "NotListed": rep.NotListed, "Traces": int64(len(rep.Traces)), "Capped": rep.Capped, "PeakKB": peak})
	fmt.Printf("REPORT %s\n", b)
}
