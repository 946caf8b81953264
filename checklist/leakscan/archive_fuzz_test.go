package leakscan

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// archiveOnce reads data as an archive on disk would be read (by its
// magic bytes), with small caps; it must not panic or hang.
func archiveOnce(t testing.TB, data []byte) *archJob {
	s := &fileScanner{e: getEngine(), buf: make([]byte, chunkSize+overlap), stop: &stopFlag{}, fileCap: 4 << 20, archives: true}
	a := s.archState()
	job := &archJob{path: "/fuzz/x"}
	k := archiveKind(data)
	if k == kindNone || k == kindUnsupported {
		k = kindZip
	}
	_ = s.openArchive(job, k, bytes.NewReader(data), "", 1, "")
	if a.top != 0 {
		t.Fatalf("archive level stack not unwound: %d", a.top)
	}
	return job
}

func FuzzArchive(f *testing.F) {
	ob, oe, om := maxArchiveBytes, maxArchiveEntries, bombMinBytes
	maxArchiveBytes, maxArchiveEntries, bombMinBytes = 4<<20, 2000, 1<<20
	defer func() { maxArchiveBytes, maxArchiveEntries, bombMinBytes = ob, oe, om }()
	r := rand.New(rand.NewPCG(31, 32))
	k := sgKey(r)
	tr := tarOf(f, m("a/.env", "SENDGRID_API_KEY="+k+"\n"), m("b.txt", "x"))
	z := zipOf(f, false, m("a/.env", "SENDGRID_API_KEY="+k+"\n"), m("in.tgz", string(gzOf(tr))))
	zs := zipOf(f, true, m("s.txt", k))
	for _, seed := range [][]byte{tr, z, zs, gzOf(tr), gzOf([]byte(k)), zstdOf(f, tr), z[:len(z)/2], gzOf(tr)[:40], []byte("PK\x03\x04"), []byte("PK\x05\x06")} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) { archiveOnce(t, data) })
}

// Hostile member names (escape codes, bidi controls, "../") are shown
// sanitized, and never resolved as paths.
func TestArchiveHostileNames(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	dir := t.TempDir()
	k := sgKey(r)
	names := []string{"\x1b[2J\x1b]0;pwned\x07evil.env", "../../etc/\u202eenv.txt", "/abs/" + strings.Repeat("d/", 700) + "deep.env"}
	var ms []member
	for _, n := range names {
		ms = append(ms, m(n, "SENDGRID_API_KEY="+k+"\n"))
	}
	writeFile(t, filepath.Join(dir, "h.zip"), zipOf(t, false, ms...))
	writeFile(t, filepath.Join(dir, "h.tar"), tarOf(t, ms...))
	rep := archScan(t, dir)
	if len(rep.Findings) != 2 || rep.Findings[0].Count != 3 && rep.Findings[1].Count != 3 {
		for _, f := range rep.Findings {
			t.Logf("%q count %d", f.Place(), f.Count)
		}
	}
	n := 0
	for _, f := range rep.Findings {
		if f.Fingerprint == Fingerprint([]byte(k)) {
			n++
			if strings.HasPrefix(f.Member, "/") || strings.HasPrefix(f.Member, "./") || len(f.Member) > 1100 {
				t.Errorf("member path not cleaned: %q", f.Member)
			}
		}
	}
	if n != 6 {
		t.Errorf("%d findings of the key, want 6 (3 members × 2 archives)", n)
	}
	for name, out := range outputs(t, rep) {
		checkClean(t, name, out)
		if bytes.Contains(out, []byte(k)) {
			t.Errorf("%s output holds the key", name)
		}
	}
}

// Random bytes behind each magic number: no panic, no finding, the level
// stack unwound.
func TestArchiveGarbage(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	for _, magic := range []string{"\x1f\x8b", "\x1f\x8b\x08\x00", "PK\x03\x04", "BZh9", "\x28\xb5\x2f\xfd", ""} {
		for i := 0; i < 50; i++ {
			b := make([]byte, 600+r.IntN(5000))
			for j := range b {
				b[j] = byte(r.Uint32())
			}
			copy(b, magic)
			job := archiveOnce(t, b)
			if len(job.res.findings) != 0 {
				t.Errorf("%q: findings in garbage", fmt.Sprint(magic))
			}
		}
	}
}
