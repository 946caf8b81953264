//go:build linux

package leakscan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The walk by file descriptor (folders opened one name at a time relative
// to their open parent), the caps that make a result incomplete, SARIF
// URIs, and the configs read for the default roots. No test reads the
// machine's /etc: TestMain points systemRoot at an empty folder.

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "leakscan-sysroot-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	systemRoot = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// renameExchange swaps two paths atomically (renameat2 RENAME_EXCHANGE).
func renameExchange(a, b string) error {
	var nr uintptr
	switch runtime.GOARCH {
	case "amd64":
		nr = 316
	case "arm64", "riscv64", "loong64":
		nr = 276
	case "386":
		nr = 353
	default:
		return errors.ErrUnsupported
	}
	pa, err := syscall.BytePtrFromString(a)
	if err != nil {
		return err
	}
	pb, err := syscall.BytePtrFromString(b)
	if err != nil {
		return err
	}
	cwd := -100 // AT_FDCWD
	const renameExchange = 2
	_, _, e := syscall.Syscall6(nr, uintptr(cwd), uintptr(unsafe.Pointer(pa)), uintptr(cwd), uintptr(unsafe.Pointer(pb)), renameExchange, 0)
	if e != 0 {
		return e
	}
	return nil
}

// A loop swaps race3/dN with a symbolic link to a folder outside the tree
// (renameat2 RENAME_EXCHANGE) while the tree is scanned 200 times: the
// outside folder's key is never reported. (Folders used to be opened by
// their full path, O_NOFOLLOW guarding only the last name: the outside key
// came back as race3/d1/sub/.env in 140 of 200 runs.)
func TestScanSymlinkSwapRace(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	base := t.TempDir()
	root := filepath.Join(base, "race3")
	outside := filepath.Join(base, "outside")
	inKey, outKey := sgKey(r), sgKey(r)
	writeFile(t, filepath.Join(outside, "sub/.env"), []byte("SENDGRID_API_KEY="+outKey+"\n"))
	writeFile(t, filepath.Join(outside, "sub/deeper/.env"), []byte("SENDGRID_API_KEY="+outKey+"\n"))
	const n = 8
	type pair struct{ dir, link string }
	var pairs []pair
	for i := range n {
		d := filepath.Join(root, fmt.Sprintf("d%d", i))
		writeFile(t, filepath.Join(d, "sub/.env"), []byte("SENDGRID_API_KEY="+inKey+"\n"))
		writeFile(t, filepath.Join(d, "sub/deeper/.env"), []byte("SENDGRID_API_KEY="+inKey+"\n"))
		l := filepath.Join(base, "links", fmt.Sprintf("l%d", i))
		if err := os.MkdirAll(filepath.Dir(l), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(outside, l); err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, pair{d, l})
	}
	if err := renameExchange(pairs[0].dir, pairs[0].link); err != nil {
		t.Skip("no renameat2(RENAME_EXCHANGE) here:", err)
	}
	if err := renameExchange(pairs[0].dir, pairs[0].link); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var swaps atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			for _, p := range pairs {
				select {
				case <-stop:
					return
				default:
				}
				// dN is the link for a moment, then the folder again
				if renameExchange(p.dir, p.link) == nil {
					runtime.Gosched()
					renameExchange(p.dir, p.link)
					swaps.Add(1)
				}
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()
	outFP := Fingerprint([]byte(outKey))
	refused := 0
	for run := range 200 {
		rep := guardedScan(t, []string{root}, Options{})
		for _, f := range rep.Findings {
			if f.Fingerprint == outFP {
				t.Fatalf("run %d: the outside folder's key was reported as %s: a link swapped in for a folder was followed", run, f.File)
			}
		}
		for _, e := range rep.Errors {
			if strings.Contains(e, errLinkNow.Error()) || strings.Contains(e, errNotDir.Error()) {
				refused++
			}
		}
		if rep.Unreadable > 0 && !rep.Incomplete {
			t.Fatalf("run %d: %d unreadable, but the report is not marked incomplete", run, rep.Unreadable)
		}
	}
	t.Logf("%d swaps during 200 scans; %d folders refused as swapped for a link", swaps.Load(), refused)
}

// The same, deterministic: a folder replaced by a link to an outside
// folder, and another by a file, after their parent was listed and before
// they are opened. Neither is followed; both count as unreadable, and the
// result is incomplete.
func TestScanFolderSwappedAfterListing(t *testing.T) {
	r := rand.New(rand.NewPCG(63, 64))
	base := t.TempDir()
	root := filepath.Join(base, "www")
	outside := filepath.Join(base, "outside")
	inKey, outKey, goneKey := sgKey(r), sgKey(r), sgKey(r)
	writeFile(t, filepath.Join(root, "app/.env"), []byte("SENDGRID_API_KEY="+inKey+"\n"))
	writeFile(t, filepath.Join(root, "victim/.env"), []byte("SENDGRID_API_KEY="+goneKey+"\n"))
	writeFile(t, filepath.Join(root, "victim2/.env"), []byte("SENDGRID_API_KEY="+goneKey+"\n"))
	writeFile(t, filepath.Join(outside, ".env"), []byte("SENDGRID_API_KEY="+outKey+"\n"))
	victim, victim2 := filepath.Join(root, "victim"), filepath.Join(root, "victim2")
	opt := Options{testBeforeDir: func(dir string) {
		switch dir {
		case victim:
			if err := os.Rename(victim, filepath.Join(base, "moved")); err == nil {
				os.Symlink(outside, victim)
			}
		case victim2:
			if err := os.Rename(victim2, filepath.Join(base, "moved2")); err == nil {
				os.WriteFile(victim2, []byte("not a folder\n"), 0o644)
			}
		}
	}}
	rep := guardedScan(t, []string{root}, opt)
	if len(rep.Findings) != 1 || rep.Findings[0].Fingerprint != Fingerprint([]byte(inKey)) {
		t.Fatalf("findings %+v: want only the key in app/.env", rep.Findings)
	}
	errs := strings.Join(rep.Errors, "\n")
	if rep.Unreadable != 2 || !strings.Contains(errs, victim+": "+errLinkNow.Error()) || !strings.Contains(errs, victim2+": "+errNotDir.Error()) {
		t.Fatalf("unreadable %d, errors:\n%s", rep.Unreadable, errs)
	}
	if !rep.Incomplete || len(rep.IncompleteWhy) != 1 || rep.IncompleteWhy[0] != "2 files or folders unreadable" {
		t.Fatalf("incomplete %v %q", rep.Incomplete, rep.IncompleteWhy)
	}
	out := outputs(t, rep)
	if !strings.HasPrefix(string(out["text"]), "INCOMPLETE RESULT: not everything was read or listed (2 files or folders unreadable); a key may be in what was left out.\n") {
		t.Errorf("text:\n%s", out["text"])
	}
	for name, b := range out {
		checkClean(t, name, b)
	}
}

// countFDs is how many files the process has open.
func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// With the cap on open folders at 0, every folder is closed as soon as no
// one uses it and opened again, name by name from the root, for each batch
// of its files and each subfolder: the result is the same, and no folder
// is left open.
func TestScanOpenFolderCap(t *testing.T) {
	r := rand.New(rand.NewPCG(65, 66))
	dir, _ := plant(t)
	for i := range 30 {
		var b strings.Builder
		for j := range 70 {
			if j == i {
				b.WriteString("SENDGRID_API_KEY=" + sgKey(r) + "\n")
			}
			fmt.Fprintf(&b, "line %d\n", j)
		}
		for j := range 70 {
			writeFile(t, filepath.Join(dir, fmt.Sprintf("wide/w%02d/a/b/c/f%02d.txt", i, j)), []byte(b.String()))
		}
	}
	want := guardedScan(t, []string{dir}, Options{})
	before := countFDs(t)
	for _, workers := range []int{1, 4} {
		got := guardedScan(t, []string{dir}, Options{testMaxOpenDirs: -1, Workers: workers})
		if len(got.Findings) != len(want.Findings) || got.Files != want.Files || got.Bytes != want.Bytes || got.Incomplete {
			t.Fatalf("workers %d, cap 0: %d findings in %d files (%d bytes), incomplete %q; want %d in %d (%d)",
				workers, len(got.Findings), got.Files, got.Bytes, got.IncompleteWhy, len(want.Findings), want.Files, want.Bytes)
		}
		for i := range got.Findings {
			if got.Findings[i] != want.Findings[i] {
				t.Fatalf("finding %d: %+v, want %+v", i, got.Findings[i], want.Findings[i])
			}
		}
	}
	if after := countFDs(t); after != before {
		t.Errorf("%d files open before the scans, %d after", before, after)
	}
}

// A folder closed early (over the cap) and replaced before it is opened
// again for a batch of its files is not read as if it were the first:
// the batch counts as unreadable, "moved or replaced during the scan".
func TestScanFolderReplacedBeforeReopen(t *testing.T) {
	r := rand.New(rand.NewPCG(67, 68))
	base := t.TempDir()
	root := filepath.Join(base, "www")
	p := filepath.Join(root, "p")
	other := filepath.Join(base, "other")
	for i := range 3 * fileBatch {
		writeFile(t, filepath.Join(p, fmt.Sprintf("f%03d.txt", i)), []byte("nothing\n"))
		writeFile(t, filepath.Join(other, fmt.Sprintf("f%03d.txt", i)), []byte("SENDGRID_API_KEY="+sgKey(r)+"\n"))
	}
	calls := 0
	opt := Options{Workers: 1, testMaxOpenDirs: -1, testBeforeDir: func(dir string) {
		if dir != p {
			return
		}
		// 1: listed, 2: its first batch (read while listed), 3: the next
		// batch, opened again: swap it for another folder first
		if calls++; calls == 3 {
			if err := renameExchange(p, other); err != nil {
				os.Rename(p, filepath.Join(base, "p.old"))
				os.Rename(other, p)
			}
		}
	}}
	rep := guardedScan(t, []string{root}, opt)
	if calls < 3 {
		t.Fatalf("%d calls for %s", calls, p)
	}
	if len(rep.Findings) != 0 || rep.Unreadable == 0 || !strings.Contains(strings.Join(rep.Errors, "\n"), p+": "+errChanged.Error()) || !rep.Incomplete {
		t.Fatalf("findings %d, unreadable %d, incomplete %v, errors %q", len(rep.Findings), rep.Unreadable, rep.Incomplete, rep.Errors)
	}
}

// deepTree makes levels folders named "d" under dir, folder by folder
// relative to the last (no path is ever longer than one name), with a .env
// holding key at the bottom.
func deepTree(t *testing.T, dir string, levels int, key string) {
	t.Helper()
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range levels {
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
	defer syscall.Close(fd)
	env, err := syscall.Openat(fd, ".env", syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(env)
	if _, err := syscall.Write(env, []byte("SENDGRID_API_KEY="+key+"\n")); err != nil {
		t.Fatal(err)
	}
}

// A .env 3,000 levels deep (a path of 6,000 bytes) is past the path
// limit: its folders are not walked into, the summary says so and names
// the first, and the result is incomplete, never "No provider credentials
// found." (It used to end in "1 unreadable … file name too long" and an
// all-clear.) One 1,500 levels deep is found: the walk opens one name at
// a time, so the kernel's PATH_MAX is never in the way.
func TestScanDeepTreeIncomplete(t *testing.T) {
	r := rand.New(rand.NewPCG(69, 70))
	base := t.TempDir()
	shallow, deep := filepath.Join(base, "a"), filepath.Join(base, "b")
	for _, d := range []string{shallow, deep} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if len(base)+2+2*1500+5 > MaxPathLen {
		t.Skipf("temp dir %s too long", base)
	}
	k1, k2 := sgKey(r), sgKey(r)
	deepTree(t, shallow, 1500, k1)
	deepTree(t, deep, 3000, k2)
	// something is read beside it (else the root "holds no readable file",
	// an error)
	writeFile(t, filepath.Join(deep, "README"), []byte("nothing here\n"))
	rep := guardedScan(t, []string{shallow}, Options{})
	if len(rep.Findings) != 1 || rep.Findings[0].Fingerprint != Fingerprint([]byte(k1)) || rep.Incomplete || rep.Unreadable != 0 {
		t.Fatalf("1,500 deep: findings %d, incomplete %q, errors %q", len(rep.Findings), rep.IncompleteWhy, rep.Errors)
	}
	rep = guardedScan(t, []string{deep}, Options{})
	if len(rep.Findings) != 0 || rep.TooDeep != 1 || len(rep.TooDeepFirst) <= MaxPathLen || !strings.HasPrefix(rep.TooDeepFirst, deep+"/d/d/d/") {
		t.Fatalf("3,000 deep: findings %d, too deep %d (%d bytes)", len(rep.Findings), rep.TooDeep, len(rep.TooDeepFirst))
	}
	want := "1 folder deeper than the 4096-byte path limit not read"
	if !rep.Incomplete || len(rep.IncompleteWhy) != 1 || rep.IncompleteWhy[0] != want {
		t.Fatalf("incomplete %v %q", rep.Incomplete, rep.IncompleteWhy)
	}
	out := outputs(t, rep)
	text := string(out["text"])
	for _, s := range []string{
		"INCOMPLETE RESULT: not everything was read or listed (" + want + "); a key may be in what was left out.\n",
		"  Did not walk into 1 folder deeper than the 4096-byte path limit (PATH_MAX), first: " + deep + "/d/d/",
		"\nNo provider credentials found in what was read, but the result is incomplete (" + want + "): not an all-clear.\n",
	} {
		if !strings.Contains(text, s) {
			t.Errorf("text lacks %q:\n%.3000s", s, text)
		}
	}
	if strings.Contains(text, "No provider credentials found.\n") || len(text) > 4000 {
		t.Errorf("an all-clear, or the long path printed whole (%d bytes):\n%.3000s", len(text), text)
	}
	for name, b := range out {
		checkClean(t, name, b)
	}
}

// The caps never give an all-clear: a key after the per-file cap makes the
// result incomplete, and distinct keys are listed whatever comes before
// them in the file.
func TestScanCapsIncomplete(t *testing.T) {
	r := rand.New(rand.NewPCG(71, 72))
	dir := t.TempDir()

	// a key after the cap in a log
	logf := filepath.Join(dir, "cap/app.log")
	var b bytes.Buffer
	for b.Len() < 3<<20 {
		b.WriteString(strings.Repeat("x", 99) + "\n")
	}
	b.WriteString("SENDGRID_API_KEY=" + sgKey(r) + "\n")
	writeFile(t, logf, b.Bytes())
	rep := guardedScan(t, []string{logf}, Options{FileCap: 1 << 20})
	want := "1 file read only up to the per-file cap"
	if len(rep.Findings) != 0 || rep.Capped != 1 || !rep.Incomplete || len(rep.IncompleteWhy) != 1 || rep.IncompleteWhy[0] != want {
		t.Fatalf("capped log: findings %d, capped %d, incomplete %q", len(rep.Findings), rep.Capped, rep.IncompleteWhy)
	}
	out := outputs(t, rep)
	if text := string(out["text"]); strings.Contains(text, "No provider credentials found.\n") ||
		!strings.Contains(text, "\nNo provider credentials found in what was read, but the result is incomplete ("+want+"): not an all-clear.\n") {
		t.Errorf("text:\n%s", text)
	}
	var js struct {
		Incomplete    bool     `json:"incomplete"`
		IncompleteWhy []string `json:"incomplete_why"`
	}
	if err := json.Unmarshal(out["json"], &js); err != nil || !js.Incomplete || len(js.IncompleteWhy) != 1 {
		t.Errorf("JSON: %v %+v", err, js)
	}
	if s := string(out["sarif"]); !strings.Contains(s, `"executionSuccessful": false`) || !strings.Contains(s, `"incomplete": true`) || !strings.Contains(s, "INCOMPLETE RESULT") {
		t.Errorf("SARIF does not say incomplete:\n%s", s)
	}

	// 1,000 decoys, then the real key: distinct decoys, identical ones
	real := sgKey(r)
	b.Reset()
	for range 1000 {
		b.WriteString("SENDGRID_API_KEY=" + sgKey(r) + "\n")
	}
	b.WriteString("SENDGRID_API_KEY=" + real + "\n")
	writeFile(t, filepath.Join(dir, "distinct/.env"), b.Bytes())
	b.Reset()
	decoy := sgKey(r)
	for range 5000 {
		b.WriteString("SENDGRID_API_KEY=" + decoy + "\n")
	}
	b.WriteString("SENDGRID_API_KEY=" + real + "\n")
	writeFile(t, filepath.Join(dir, "same/.env"), b.Bytes())
	for _, c := range []struct {
		sub          string
		findings     int
		decoyCount   int
		realLine     int
		wantComplete bool
	}{{"distinct", 1001, 0, 1001, true}, {"same", 2, 5000, 5001, true}} {
		rep := guardedScan(t, []string{filepath.Join(dir, c.sub)}, Options{})
		var got *Finding
		for i, f := range rep.Findings {
			if f.Fingerprint == Fingerprint([]byte(real)) {
				got = &rep.Findings[i]
			}
		}
		if got == nil || got.Line != c.realLine || got.KeyID != real[3:25] || len(rep.Findings) != c.findings || rep.NotListed != 0 || rep.Incomplete != !c.wantComplete {
			t.Fatalf("%s decoys: real key %+v; %d findings, %d not listed, incomplete %q", c.sub, got, len(rep.Findings), rep.NotListed, rep.IncompleteWhy)
		}
		if c.decoyCount > 0 {
			if rep.Findings[0].Count != c.decoyCount || rep.Findings[0].Line != 1 {
				t.Errorf("the decoy: %+v", rep.Findings[0])
			}
			if text := string(outputs(t, rep)["text"]); !strings.Contains(text, " (5000 times in this file)") {
				t.Errorf("text does not count the decoy:\n%.2000s", text)
			}
		}
	}

	// more distinct keys than MaxKeys: those left out are counted, and the
	// result is incomplete
	b.Reset()
	for range MaxKeys + 100 {
		b.WriteString("SENDGRID_API_KEY=" + sgKey(r) + "\n")
	}
	writeFile(t, filepath.Join(dir, "many/.env"), b.Bytes())
	rep = guardedScan(t, []string{filepath.Join(dir, "many")}, Options{})
	// (a few random keys read as placeholders, "dummy" or "your", and are
	// no finding)
	if len(rep.Findings) != MaxKeys || rep.NotListed < 50 || rep.KeysNotListed != rep.NotListed || !rep.Incomplete ||
		rep.IncompleteWhy[0] != fmt.Sprintf("%d distinct credentials not listed (over %d)", rep.KeysNotListed, MaxKeys) {
		t.Fatalf("over MaxKeys: %d findings, %d not listed (%d keys), incomplete %q", len(rep.Findings), rep.NotListed, rep.KeysNotListed, rep.IncompleteWhy)
	}
}

// Places of a key already listed are listed up to MaxFindings, and one
// key id listed many times cannot push out a distinct one.
func TestScanListerPriority(t *testing.T) {
	l := newLister()
	mk := func(id, fp string) Finding { return Finding{Provider: "sendgrid", KeyID: id, Fingerprint: fp} }
	var list []Finding
	var repeats []Finding
	for i := range MaxFindings + 10 {
		repeats = append(repeats, mk("same", fmt.Sprint("fp", i)))
	}
	list = l.add(list, repeats)
	list = l.add(list, []Finding{mk("other", "x")})
	if len(list) != MaxFindings+2 || l.notListed != 9 || l.keysNotListed != 0 || list[len(list)-1].KeyID != "other" {
		t.Fatalf("%d listed, %d not listed (%d keys), last %+v", len(list), l.notListed, l.keysNotListed, list[len(list)-1])
	}
}

// SARIF artifact URIs parse back (net/url) to the exact file path: a file
// named like an encoded traversal, with '#', '?', '%', spaces, ';',
// non-ASCII and invalid UTF-8 in it.
func TestScanSARIFURIs(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	dir := t.TempDir()
	names := []string{
		"x%2f..%2f..%2fhome%2fdeploy%2f.env", "a#frag.env", "q?x=1.env", "100%.env", "sp ace;semi,colon:at@.env",
		"é日本.env", "bad\xff\xfe.env", "plus+eq=amp&dollar$.env", "%00.env", "..%2e.env",
	}
	for _, n := range names {
		writeFile(t, filepath.Join(dir, "we?ird#dir%20", n), []byte("SENDGRID_API_KEY="+sgKey(r)+"\n"))
	}
	rep := guardedScan(t, []string{dir}, Options{})
	if len(rep.Findings) != len(names) {
		t.Fatalf("%d findings", len(rep.Findings))
	}
	var sl struct {
		Runs []struct {
			Results []struct {
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
	out := outputs(t, rep)
	if err := json.Unmarshal(out["sarif"], &sl); err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, f := range rep.Findings {
		paths[f.File] = true
	}
	seen := 0
	for _, res := range sl.Runs[0].Results {
		for _, l := range res.Locations {
			uri := l.PhysicalLocation.ArtifactLocation.URI
			u, err := url.Parse(uri)
			if err != nil {
				t.Errorf("%q: %v", uri, err)
				continue
			}
			if u.Scheme != "file" || u.Host != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
				t.Errorf("%q parses as %+v", uri, u)
			}
			if !paths[u.Path] {
				t.Errorf("%q parses to %q, which is no finding's file", uri, u.Path)
			}
			if strings.Contains(u.Path, "leakscan") || filepath.Base(u.Path) == ".env" {
				seen++
			}
		}
	}
	if seen == 0 && len(sl.Runs[0].Results) == 0 {
		t.Fatal("no SARIF results")
	}
	checkClean(t, "sarif", out["sarif"])
	// and the function itself, relative paths included
	for _, p := range []string{"/a/b c/d#e?f%g", "/", "rel/x:y", "c:d/e", "./a", "/\x1b[2J/\xff"} {
		uri := fileURI(p)
		u, err := url.Parse(uri)
		if err != nil {
			t.Errorf("%q -> %q: %v", p, uri, err)
			continue
		}
		want := filepath.ToSlash(p)
		if u.Path != want || u.RawQuery != "" || u.Fragment != "" || (strings.HasPrefix(p, "/") != (u.Scheme == "file")) {
			t.Errorf("%q -> %q -> %+v", p, uri, u)
		}
	}
}

// The configs read for the default roots may be the attacker's: a named
// pipe, a link to /dev/urandom and one to /dev/zero in sites-enabled, a
// config over the size cap. They are not read, nothing blocks, and the
// good configs (one of them a link into sites-available, the Debian
// layout) still name their web roots, under the config root.
func TestScanConfigsHostile(t *testing.T) {
	sys := t.TempDir()
	en := filepath.Join(sys, "etc/nginx/sites-enabled")
	av := filepath.Join(sys, "etc/nginx/sites-available")
	writeFile(t, filepath.Join(av, "linked"), []byte("server {\n  root /srv/linked;\n}\n"))
	writeFile(t, filepath.Join(en, "good.conf"), []byte("server {\n\troot \"/srv/site\";\n}\n"))
	if err := os.Symlink("../sites-available/linked", filepath.Join(en, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(en, "fifo"), 0o644); err != nil {
		t.Skip("no named pipes here:", err)
	}
	// a link out of the config root (read as an image: not followed)
	evil := filepath.Join(t.TempDir(), "evil.conf")
	writeFile(t, evil, []byte("root /srv/evil;\n"))
	for name, target := range map[string]string{"urandom": "/dev/urandom", "zero": "/dev/zero", "outside": evil} {
		if err := os.Symlink(target, filepath.Join(en, name)); err != nil {
			t.Fatal(err)
		}
	}
	big := bytes.Repeat([]byte("# padding\n"), maxConfigSize/10+10)
	big = append(big, "DocumentRoot /srv/toofar\n"...)
	writeFile(t, filepath.Join(sys, "etc/apache2/sites-enabled/big.conf"), big)
	for _, d := range []string{"srv/site", "srv/linked", "srv/toofar", "srv/evil"} {
		if err := os.MkdirAll(filepath.Join(sys, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	roots, err := DefaultRootsContext(ctx, sys)
	if ctx.Err() != nil {
		t.Fatal("reading the configs hung")
	}
	// in the order of the configs: sites-enabled/good.conf, then linked
	want := []string{filepath.Join(sys, "srv/site"), filepath.Join(sys, "srv/linked")}
	if err != nil || strings.Join(roots, "|") != strings.Join(want, "|") {
		t.Fatalf("roots %q, %v; want %q", roots, err, want)
	}
	// the scan's own web roots come from the same configs
	writeFile(t, filepath.Join(sys, "srv/site/.env"), []byte("APP_KEY=base64:abcdefghijklmnopqrstuv\n"))
	rep := guardedScan(t, roots, Options{ConfigRoot: sys})
	if strings.Join(rep.WebRoots, "|") != strings.Join(want, "|") || len(rep.Exposures) != 1 || rep.Exposures[0].Kind != "env-in-webroot" {
		t.Fatalf("web roots %q, exposures %+v", rep.WebRoots, rep.Exposures)
	}
	// no config: the current directory
	if roots, err := DefaultRootsContext(ctx, t.TempDir()); err != nil || len(roots) != 1 || roots[0] != "." {
		t.Fatalf("no config: %q, %v", roots, err)
	}
}

// Reading the configs stops when the context ends, even when a read is
// stuck (the test's hook stands for a read the kernel does not interrupt).
func TestScanConfigsCancel(t *testing.T) {
	sys := t.TempDir()
	writeFile(t, filepath.Join(sys, "etc/nginx/sites-enabled/a.conf"), []byte("root /srv/a;\n"))
	writeFile(t, filepath.Join(sys, "etc/nginx/sites-enabled/b.conf"), []byte("root /srv/b;\n"))
	os.MkdirAll(filepath.Join(sys, "srv/a"), 0o755)
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	testConfigRead = func(p string) {
		if calls.Add(1) == 2 {
			cancel()
			<-release
		}
	}
	defer func() { close(release); testConfigRead = nil }()
	done := make(chan struct{})
	var roots []string
	var err error
	go func() {
		roots, err = DefaultRootsContext(ctx, sys)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(hangGuard):
		t.Fatal("a stuck config read held the cancelled lookup")
	}
	if !errors.Is(err, context.Canceled) || len(roots) != 1 || roots[0] != filepath.Join(sys, "srv/a") {
		t.Fatalf("roots %q, %v: want the one found before the stop, and context.Canceled", roots, err)
	}
	// and Scan, cancelled while its own config lookup is stuck, returns a
	// partial report
	calls.Store(0)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	tree := t.TempDir()
	writeFile(t, filepath.Join(tree, "x.txt"), []byte("x\n"))
	scanned := make(chan struct{})
	go func() {
		_, err = Scan(ctx, []string{tree}, Options{ConfigRoot: sys})
		close(scanned)
	}()
	select {
	case <-scanned:
	case <-time.After(hangGuard):
		t.Fatal("Scan held by a stuck config read")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Scan: %v", err)
	}
}

// A folder's path is built from the names above it.
func TestScanDirNodePath(t *testing.T) {
	for _, c := range []struct {
		root  string
		names []string
		want  string
	}{
		{"/", nil, "/"},
		{"/", []string{"etc"}, "/etc"},
		{"/", []string{"var", "www", "html"}, "/var/www/html"},
		{"/srv/site", []string{"a", "b c"}, "/srv/site/a/b c"},
	} {
		n := newRootNode(c.root, 0)
		for _, nm := range c.names {
			n = &dirNode{parent: n, name: nm, fd: noDir}
		}
		if got := n.path(); got != c.want {
			t.Errorf("%q + %q: %q, want %q", c.root, c.names, got, c.want)
		}
	}
}
