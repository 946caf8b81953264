//go:build linux

package leakscan

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// hostileRepo is a repository with one good key (found whatever else is
// wrong) for the hostile cases to add to.
func hostileRepo(t *testing.T, seed uint64) (*tRepo, string) {
	dir := t.TempDir()
	r := newTRepo(t, dir, "")
	good := sgKey(rand.New(rand.NewPCG(seed, 9)))
	c := r.commit(map[string]string{".env": "SENDGRID_API_KEY=" + good + "\n"}, "init")
	r.ref("refs/heads/main", c)
	return r, good
}

// checkPartial checks that a hostile repository gave a clear partial
// result: the good key found, the report incomplete with a reason naming
// the repository, and clean outputs.
func checkPartial(t *testing.T, rep *Report, good string, want string) {
	t.Helper()
	found := false
	for _, f := range rep.Findings {
		if f.Fingerprint == Fingerprint([]byte(good)) {
			found = true
		}
	}
	if !found {
		t.Error("the good key was not found")
	}
	why := strings.Join(rep.IncompleteReasons(), "; ")
	if !rep.Incomplete || !strings.Contains(why, "git history of") || !strings.Contains(why, want) {
		t.Errorf("incomplete %v, reasons %q; want one with %q", rep.Incomplete, why, want)
	}
	for name, out := range outputs(t, rep) {
		checkClean(t, name, out)
		if name == "text" && !strings.Contains(string(out), "INCOMPLETE RESULT") {
			t.Errorf("text output does not say the result is incomplete:\n%s", out)
		}
	}
}

// A pack with a corrupt object: the others in the pack are still read.
func TestGitCorruptPack(t *testing.T) {
	r, good := hostileRepo(t, 1)
	k := newHistKeys(11)
	a, b := "MAILGUN_SECRET="+k.mg+"\n", "MAILGUN_SECRET="+k.mg2+"\n"
	r.pack("bad", []pObj{
		{kind: objBlob, content: []byte(a)},
		{kind: objBlob, content: []byte("filler that gets corrupted\n"), raw: bytes.Repeat([]byte{0xde, 0xad}, 40)},
		{kind: objBlob, content: []byte(b)},
	})
	rep := guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	checkPartial(t, rep, good, "corrupt")
	n := 0
	for _, f := range rep.Findings {
		if f.Fingerprint == Fingerprint([]byte(k.mg)) || f.Fingerprint == Fingerprint([]byte(k.mg2)) {
			n++
			if f.Ref != "unreachable" || f.Blob == "" {
				t.Errorf("dangling blob finding %+v", f)
			}
		}
	}
	if n != 2 || rep.Repos[0].Corrupt != 1 {
		t.Errorf("%d of the 2 packed keys found, %d corrupt", n, rep.Repos[0].Corrupt)
	}
	// and a pack whose index is garbage, one whose index does not match
	// it, one with no index
	writeFile(t, filepath.Join(r.git, "objects/pack/pack-x.pack"), []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x05garbage"))
	writeFile(t, filepath.Join(r.git, "objects/pack/pack-x.idx"), []byte("\xfftOc\x00\x00\x00\x02short"))
	writeFile(t, filepath.Join(r.git, "objects/pack/pack-y.pack"), []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x01"+strings.Repeat("z", 40)))
	writeFile(t, filepath.Join(r.git, "objects/pack/pack-z.pack"), []byte("not a pack at all"))
	rep = guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	checkPartial(t, rep, good, "corrupt")
	if rep.Repos[0].Corrupt != 4 || len(rep.Repos[0].Problems) == 0 {
		t.Errorf("corrupt %d, problems %q", rep.Repos[0].Corrupt, rep.Repos[0].Problems)
	}
}

// Two ref deltas based on each other, and an offset delta whose copy runs
// past its base: not resolved, counted, and the scan goes on.
func TestGitDeltaLoop(t *testing.T) {
	r, good := hostileRepo(t, 2)
	a := []byte("alpha alpha alpha\n")
	b := []byte("beta beta beta beta\n")
	ida, idb := objID("blob", a), objID("blob", b)
	bad := mkDelta(a, b)
	bad = append(bad[:len(bad)-len(b)-1], 0x90|0x01, 0xff, 0xff) // copy 255 bytes from offset 255: past the base
	r.pack("loop", []pObj{
		{kind: objBlob, content: a, refBase: idb, delta: mkDelta(b, a), id: ida},
		{kind: objBlob, content: b, refBase: ida, delta: mkDelta(a, b), id: idb},
		{kind: objBlob, content: a, id: objID("blob", []byte("base"))},
		{kind: objBlob, content: b, ofsBase: 3, delta: bad, id: objID("blob", []byte("other"))},
	})
	rep := guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	checkPartial(t, rep, good, "delta")
	if s := rep.Repos[0]; s.DeltaLoops == 0 || s.Corrupt == 0 {
		t.Errorf("loops %d, corrupt %d: %q", s.DeltaLoops, s.Corrupt, s.Problems)
	}
}

// Objects that claim to be huge: a blob of 10 GiB (streamed: it is short,
// so corrupt), a delta whose result would be 1 GiB (too big to hold), a
// zlib bomb (declared 100 bytes, inflating to 16 MiB: stopped after 101).
func TestGitHugeObjects(t *testing.T) {
	r, good := hostileRepo(t, 3)
	small := []byte("tiny\n")
	bomb := zlibBytes(bytes.Repeat([]byte("A"), 16<<20))
	huge := binaryDelta(len(small), 1<<30)
	r.pack("huge", []pObj{
		{kind: objBlob, content: small, size: 10 << 30, id: objID("blob", []byte("x"))},
		{kind: objBlob, content: small},
		{kind: objBlob, content: []byte("y"), ofsBase: 2, delta: huge, id: objID("blob", []byte("y"))},
		{kind: objBlob, content: []byte("z"), size: 100, raw: bomb, id: objID("blob", []byte("z"))},
	})
	rep := guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	checkPartial(t, rep, good, "too big")
	if s := rep.Repos[0]; s.TooBig == 0 || s.Corrupt < 2 {
		t.Errorf("too big %d, corrupt %d: %q", s.TooBig, s.Corrupt, s.Problems)
	}
}

// binaryDelta is delta data of a base of n bytes claiming a result of size.
func binaryDelta(n, size int) []byte {
	var d []byte
	for _, v := range []int{n, size} {
		for v >= 0x80 {
			d = append(d, byte(v)|0x80)
			v >>= 7
		}
		d = append(d, byte(v))
	}
	return append(d, 1, 'x')
}

// A path with escape sequences and bidi controls: the finding names it,
// and every output is clean.
func TestGitHostilePath(t *testing.T) {
	dir := t.TempDir()
	r := newTRepo(t, dir, "https://github.com/acme/\x1b]0;owned\x07.git")
	k := newHistKeys(12)
	name := "\x1b[2J\x1b]0;pwned\x07\u202egnp.env"
	c := r.commit(map[string]string{name: "SENDGRID_API_KEY=" + k.sg1 + "\n"}, "evil \x1b[31mmessage")
	r.ref("refs/heads/\x1b[1mmain", c)
	r.write("HEAD", "ref: refs/heads/\x1b[1mmain\n")
	rep := guardedScan(t, nil, Options{GitRepos: []string{dir}})
	if len(rep.Findings) != 1 || rep.Findings[0].Path != name {
		t.Fatalf("findings %+v", rep.Findings)
	}
	for name, out := range outputs(t, rep) {
		checkClean(t, name, out)
	}
}

// A 10,000-level tree (deeper than followed: counted, the key still found
// as a blob), and a tree that contains itself.
func TestGitDeepAndCyclicTrees(t *testing.T) {
	r, good := hostileRepo(t, 4)
	k := newHistKeys(13)
	blob := []byte("MAILGUN_SECRET=" + k.mg + "\n")
	bid := objID("blob", blob)
	objs := []pObj{{kind: objBlob, content: blob}}
	id := objID("tree", treeBytes(tEnt{"100644", ".env", bid}))
	objs = append(objs, pObj{kind: objTree, content: treeBytes(tEnt{"100644", ".env", bid})})
	for range 10000 {
		tb := treeBytes(tEnt{"40000", "d", id})
		objs = append(objs, pObj{kind: objTree, content: tb})
		id = objID("tree", tb)
	}
	cm := r.commitBytes(id, nil, "deep")
	objs = append(objs, pObj{kind: objCommit, content: cm})
	r.pack("deep", objs)
	r.ref("refs/heads/deep", objID("commit", cm))
	// a tree stored under an id its own entry names
	self := bytes.Repeat([]byte{0x42}, 20)
	r.looseAt(self, "tree", treeBytes(tEnt{"40000", "loop", self}, tEnt{"100644", "x", r.loose("blob", []byte("MAILGUN_SECRET="+k.mg2+"\n"))}))
	r.ref("refs/heads/cycle", r.loose("commit", r.commitBytes(self, nil, "cycle")))
	rep := guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	checkPartial(t, rep, good, "too deep or in a cycle")
	var deep, cyc bool
	for _, f := range rep.Findings {
		deep = deep || f.Fingerprint == Fingerprint([]byte(k.mg))
		if f.Fingerprint == Fingerprint([]byte(k.mg2)) {
			cyc = true
			if f.Path != "x" || f.Ref != "refs/heads/cycle" {
				t.Errorf("key beside the cycle: %+v", f)
			}
		}
	}
	if !deep || !cyc {
		t.Errorf("keys found: deep %v, beside the cycle %v", deep, cyc)
	}
	if rep.Repos[0].TooDeep < 2 {
		t.Errorf("too deep %d: %q", rep.Repos[0].TooDeep, rep.Repos[0].Problems)
	}
}

// Missing objects: a commit's tree, a tree's subtree, a commit's parent, a
// ref's commit. Each is counted; the rest is read.
func TestGitMissingObjects(t *testing.T) {
	r, good := hostileRepo(t, 5)
	k := newHistKeys(14)
	gone := bytes.Repeat([]byte{0x11}, 20)
	r.ref("refs/heads/a", r.loose("commit", r.commitBytes(gone, nil, "no tree")))
	sub := r.loose("tree", treeBytes(tEnt{"40000", "missing", gone}, tEnt{"100644", ".env", r.loose("blob", []byte("MAILGUN_SECRET="+k.mg+"\n"))}))
	r.ref("refs/heads/b", r.loose("commit", r.commitBytes(sub, [][]byte{bytes.Repeat([]byte{0x22}, 20)}, "no parent")))
	r.ref("refs/heads/c", bytes.Repeat([]byte{0x33}, 20))
	rep := guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	checkPartial(t, rep, good, "missing")
	found := false
	for _, f := range rep.Findings {
		if f.Fingerprint == Fingerprint([]byte(k.mg)) && f.Ref == "refs/heads/b" && f.Path == ".env" {
			found = true
		}
	}
	if !found || rep.Repos[0].Missing < 3 {
		t.Errorf("key beside the missing objects found %v; missing %d: %q", found, rep.Repos[0].Missing, rep.Repos[0].Problems)
	}
}

// Named pipes where a pack, an index, a ref and a loose object should be:
// never opened for a blocking read.
func TestGitFIFOs(t *testing.T) {
	r, good := hostileRepo(t, 6)
	for _, p := range []string{"objects/pack/pack-f.pack", "objects/pack/pack-g.idx", "packed-refs", "refs/heads/fifo", "logs/HEAD"} {
		if err := syscall.Mkfifo(filepath.Join(r.git, p), 0o644); err != nil {
			t.Skip("no named pipes here:", err)
		}
	}
	writeFile(t, filepath.Join(r.git, "objects/pack/pack-g.pack"), []byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00"+strings.Repeat("\x00", 20)))
	h := hex.EncodeToString(bytes.Repeat([]byte{0x44}, 20))
	if err := os.MkdirAll(filepath.Join(r.git, "objects", h[:2]), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(r.git, "objects", h[:2], h[2:]), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	checkPartial(t, rep, good, "corrupt")
}

// An index that claims far more than its pack holds (here a sparse file
// of 512 MiB next to a pack of 3 objects): refused by its size, never read
// into memory whole, the other packs and the good key still read.
func TestGitHugeSparseIndex(t *testing.T) {
	r, good := hostileRepo(t, 4)
	r.pack("sparse", []pObj{{kind: objBlob, content: []byte("a\n")}, {kind: objBlob, content: []byte("b\n")}, {kind: objBlob, content: []byte("c\n")}})
	idx := filepath.Join(r.git, "objects/pack/pack-sparse.idx")
	if err := os.Truncate(idx, 512<<20); err != nil {
		t.Fatal(err)
	}
	// and one whose size fits its claim of 2^24 objects, but whose object
	// ids are zeros (a hole): refused at its first chunk
	r.pack("holes", []pObj{{kind: objBlob, content: []byte("d\n")}})
	n := 1 << 24
	head := make([]byte, 8+1024)
	copy(head, "\xfftOc\x00\x00\x00\x02")
	for i := range 256 {
		binary.BigEndian.PutUint32(head[8+4*i:], uint32(n))
	}
	hidx := filepath.Join(r.git, "objects/pack/pack-holes.idx")
	writeFile(t, hidx, head)
	if err := os.Truncate(hidx, int64(8+1024+n*(20+8)+40)); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	rep := guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	runtime.ReadMemStats(&after)
	checkPartial(t, rep, good, "corrupt")
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("the scan allocated %d MiB for indexes of a few objects", got>>20)
	}
	if s := rep.Repos[0]; s.Corrupt != 2 {
		t.Errorf("corrupt %d, want the 2 bad indexes: %q", s.Corrupt, s.Problems)
	}
}

// A pack of a few KiB whose deltas each rebuild a whole large base: the
// history would expand thousands of times its size on disk (a delta
// bomb: 59 KiB made 7.8 GiB and 14 s of scanning, 80 MiB would take
// hours). Expansion stops at the budget, and the result says why.
func TestGitDeltaBomb(t *testing.T) {
	defer func(f int64, r int64) { gitExpandFloor, gitExpandRatio = f, r }(gitExpandFloor, gitExpandRatio)
	gitExpandFloor, gitExpandRatio = 8<<20, 1000
	r, _ := hostileRepo(t, 5)
	base := bytes.Repeat([]byte("the quick brown fox jumps over the lazy dog\n"), 1<<20/44)
	copyAll := binaryCopyDelta(len(base))
	objs := []pObj{{kind: objBlob, content: base}}
	for i := range 400 {
		objs = append(objs, pObj{kind: objBlob, content: base, ofsBase: 1, delta: copyAll, id: objID("blob", []byte(strings.Repeat("x", i+1)))})
	}
	r.pack("bomb", objs)
	rep := guardedScan(t, nil, Options{GitRepos: []string{r.dir}})
	s := rep.Repos[0]
	if s.Bytes > 16<<20 {
		t.Errorf("%s of blobs expanded from a pack of a few KiB", humanBytes(s.Bytes))
	}
	why := strings.Join(rep.IncompleteReasons(), "; ")
	if !rep.Incomplete || !strings.Contains(why, "times its size on disk") {
		t.Errorf("incomplete %v, reasons %q", rep.Incomplete, why)
	}
}

// binaryCopyDelta is delta data copying all n bytes of its base.
func binaryCopyDelta(n int) []byte {
	var d []byte
	for _, v := range []int{n, n} {
		for {
			b := byte(v & 0x7f)
			v >>= 7
			if v == 0 {
				d = append(d, b)
				break
			}
			d = append(d, b|0x80)
		}
	}
	return append(d, 0x80|0x10|0x20|0x40, byte(n), byte(n>>8), byte(n>>16))
}
