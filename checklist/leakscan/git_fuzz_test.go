package leakscan

import (
	"bytes"
	"testing"
)

// applyDelta never panics, never copies outside its base, and returns
// exactly the size the delta declares, or an error.
func FuzzGitDelta(f *testing.F) {
	base := []byte("the quick brown fox jumps over the lazy dog\n")
	f.Add(base, mkDelta(base, []byte("the quick brown cat\n")))
	f.Add(base, binaryDelta(len(base), 1<<30))
	f.Add(base, []byte{byte(len(base)), 5, 0x91, 0xff, 0xff})
	f.Add([]byte{}, []byte{0, 0})
	f.Fuzz(func(t *testing.T, base, d []byte) {
		out, err := applyDelta(base, d, nil)
		if err != nil {
			return
		}
		_, i, _ := deltaVarint(d, 0)
		n, _, _ := deltaVarint(d, i)
		if uint64(len(out)) != n {
			t.Fatalf("result of %d bytes, declared %d", len(out), n)
		}
	})
}

// An index of any bytes is parsed or refused, never trusted past its end.
func FuzzGitIndex(f *testing.F) {
	dir := f.TempDir()
	r := newTRepo(f, dir, "")
	r.pack("seed", []pObj{{kind: objBlob, content: []byte("a\n")}, {kind: objBlob, content: []byte("ab\n"), ofsBase: 1}})
	idx, err := readSmall(dir+"/.git/objects/pack/pack-seed.idx", 1<<20)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(idx)
	f.Add(idx[:len(idx)/2])
	f.Add(append(bytes.Clone(idx[:8]), bytes.Repeat([]byte{0xff}, 1024)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &gitPack{end: 1 << 20}
		if err := p.parseIdx(b, 20); err != nil {
			return
		}
		if len(p.oids) != p.n*20 || len(p.offs) != p.n {
			t.Fatalf("%d objects, %d ids, %d offsets", p.n, len(p.oids)/20, len(p.offs))
		}
		for i := 1; i < p.n; i++ {
			if p.offs[i] <= p.offs[i-1] {
				t.Fatal("offsets not increasing")
			}
		}
	})
}
