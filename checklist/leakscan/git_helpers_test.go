package leakscan

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

// tRepo writes a git repository object by object, without git: loose
// objects, packs with full and delta objects and their .idx, refs, reflogs.
// Hostile cases (a corrupt pack, a delta loop, a tree that contains itself)
// are written the same way.
type tRepo struct {
	t    testing.TB
	dir  string // work tree
	git  string // .git
	when int64
}

func newTRepo(t testing.TB, dir, origin string) *tRepo {
	t.Helper()
	r := &tRepo{t: t, dir: dir, git: filepath.Join(dir, ".git"), when: 1600000000}
	for _, d := range []string{"objects/pack", "refs/heads", "refs/tags", "logs/refs/heads"} {
		if err := os.MkdirAll(filepath.Join(r.git, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.write("HEAD", "ref: refs/heads/main\n")
	cfg := "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"
	if origin != "" {
		cfg += "[remote \"origin\"]\n\turl = " + origin + "\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
	}
	r.write("config", cfg)
	return r
}

func (r *tRepo) write(rel, s string) {
	r.t.Helper()
	writeFile(r.t, filepath.Join(r.git, rel), []byte(s))
}

// objID is the SHA-1 object id of content of a type.
func objID(kind string, content []byte) []byte {
	h := sha1.New()
	fmt.Fprintf(h, "%s %d\x00", kind, len(content))
	h.Write(content)
	return h.Sum(nil)
}

var (
	zipMu sync.Mutex
	zipW  *zlib.Writer
)

// zlibBytes deflates b as git does (zlib), with one writer reset each time (a
// new one allocates its whole state).
func zlibBytes(b []byte) []byte {
	zipMu.Lock()
	defer zipMu.Unlock()
	var buf bytes.Buffer
	if zipW == nil {
		zipW = zlib.NewWriter(&buf)
	} else {
		zipW.Reset(&buf)
	}
	zipW.Write(b)
	zipW.Close()
	return buf.Bytes()
}

// loose writes a loose object and returns its id.
func (r *tRepo) loose(kind string, content []byte) []byte {
	id := objID(kind, content)
	r.looseAt(id, kind, content)
	return id
}

// looseAt writes content as a loose object under id (which a hostile
// repository may choose freely).
func (r *tRepo) looseAt(id []byte, kind string, content []byte) {
	h := hex.EncodeToString(id)
	raw := append([]byte(fmt.Sprintf("%s %d\x00", kind, len(content))), content...)
	writeFile(r.t, filepath.Join(r.git, "objects", h[:2], h[2:]), zlibBytes(raw))
}

type tEnt struct {
	mode, name string
	id         []byte
}

func treeBytes(ents ...tEnt) []byte {
	sort.Slice(ents, func(i, j int) bool { return ents[i].name < ents[j].name })
	var b []byte
	for _, e := range ents {
		b = append(b, e.mode+" "+e.name+"\x00"...)
		b = append(b, e.id...)
	}
	return b
}

func (r *tRepo) commitBytes(tree []byte, parents [][]byte, msg string) []byte {
	r.when += 3600
	var b strings.Builder
	fmt.Fprintf(&b, "tree %x\n", tree)
	for _, p := range parents {
		fmt.Fprintf(&b, "parent %x\n", p)
	}
	fmt.Fprintf(&b, "author Ana <ana@example.test> %d +0200\ncommitter Ana <ana@example.test> %d +0200\n\n%s\n", r.when, r.when, msg)
	return []byte(b.String())
}

func (r *tRepo) ref(name string, id []byte) { r.write(name, hex.EncodeToString(id)+"\n") }

// file makes a one-level tree from path -> content (paths with one folder
// at most), loose, and returns its id.
func (r *tRepo) files(fs map[string]string) []byte {
	dirs := map[string][]tEnt{}
	var top []tEnt
	for p, c := range fs {
		id := r.loose("blob", []byte(c))
		if d, name, ok := strings.Cut(p, "/"); ok {
			dirs[d] = append(dirs[d], tEnt{"100644", name, id})
		} else {
			top = append(top, tEnt{"100644", p, id})
		}
	}
	for d, ents := range dirs {
		top = append(top, tEnt{"40000", d, r.loose("tree", treeBytes(ents...))})
	}
	return r.loose("tree", treeBytes(top...))
}

func (r *tRepo) commit(fs map[string]string, msg string, parents ...[]byte) []byte {
	return r.loose("commit", r.commitBytes(r.files(fs), parents, msg))
}

// pObj is an object to pack: a full object, or a delta against an earlier
// object of the pack (by its index: an offset delta) or any object (by id:
// a ref delta).
type pObj struct {
	kind    int // 1-4; the type of the delta's result for deltas
	content []byte
	ofsBase int    // index+1 of the base in the same pack, 0: none
	refBase []byte // base id
	delta   []byte // delta data (set by mkPack when ofsBase/refBase)
	id      []byte // forced id (hostile); nil: the content's
	size    int64  // forced size in the header; 0: the real one
	raw     []byte // forced compressed body (hostile); nil: zip of the data
}

var kindNames = map[int]string{1: "commit", 2: "tree", 3: "blob", 4: "tag"}

// mkDelta is delta data turning base into target: a copy of the common
// prefix, then the rest inserted.
func mkDelta(base, target []byte) []byte {
	var d []byte
	d = binary.AppendUvarint(d, uint64(len(base)))
	d = binary.AppendUvarint(d, uint64(len(target)))
	p := 0
	for p < len(base) && p < len(target) && p < 0xffffff && base[p] == target[p] {
		p++
	}
	if p > 0 {
		d = append(d, 0x80|0x10|0x20|0x40, byte(p), byte(p>>8), byte(p>>16))
	}
	for rest := target[p:]; len(rest) > 0; {
		n := min(len(rest), 127)
		d = append(d, byte(n))
		d = append(d, rest[:n]...)
		rest = rest[n:]
	}
	return d
}

// pack writes a pack of objs and its index v2; returns the ids.
func (r *tRepo) pack(name string, objs []pObj) [][]byte {
	r.t.Helper()
	var body bytes.Buffer
	body.WriteString("PACK")
	binary.Write(&body, binary.BigEndian, uint32(2))
	binary.Write(&body, binary.BigEndian, uint32(len(objs)))
	ids := make([][]byte, len(objs))
	offs := make([]int64, len(objs))
	for i, o := range objs {
		id := o.id
		if id == nil {
			id = objID(kindNames[o.kind], o.content)
		}
		ids[i] = id
		offs[i] = int64(body.Len())
		typ, data := o.kind, o.content
		switch {
		case o.ofsBase > 0:
			typ, data = objOfsDelta, o.delta
			if data == nil {
				data = mkDelta(objs[o.ofsBase-1].content, o.content)
			}
		case o.refBase != nil:
			typ, data = objRefDelta, o.delta
			if data == nil {
				r.t.Fatal("a ref delta needs its delta data")
			}
		}
		size := int64(len(data))
		if o.size != 0 {
			size = o.size
		}
		// header: type and size, 4 bits then 7 per byte
		c := byte(typ<<4) | byte(size&15)
		size >>= 4
		var hdr []byte
		for size > 0 {
			hdr = append(hdr, c|0x80)
			c = byte(size & 0x7f)
			size >>= 7
		}
		hdr = append(hdr, c)
		switch {
		case o.ofsBase > 0:
			ofs := offs[i] - offs[o.ofsBase-1]
			enc := []byte{byte(ofs & 0x7f)}
			for ofs >>= 7; ofs > 0; ofs >>= 7 {
				ofs--
				enc = append([]byte{byte(0x80 | ofs&0x7f)}, enc...)
			}
			hdr = append(hdr, enc...)
		case o.refBase != nil:
			hdr = append(hdr, o.refBase...)
		}
		body.Write(hdr)
		if o.raw != nil {
			body.Write(o.raw)
		} else {
			body.Write(zlibBytes(data))
		}
	}
	sum := sha1.Sum(body.Bytes())
	body.Write(sum[:])
	base := filepath.Join(r.git, "objects", "pack", "pack-"+name)
	writeFile(r.t, base+".pack", body.Bytes())
	// index v2
	order := make([]int, len(objs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return bytes.Compare(ids[order[a]], ids[order[b]]) < 0 })
	var idx bytes.Buffer
	idx.WriteString("\xfftOc")
	binary.Write(&idx, binary.BigEndian, uint32(2))
	var fan [256]uint32
	for _, id := range ids {
		for k := int(id[0]); k < 256; k++ {
			fan[k]++
		}
	}
	binary.Write(&idx, binary.BigEndian, fan)
	for _, i := range order {
		idx.Write(ids[i])
	}
	for range order {
		binary.Write(&idx, binary.BigEndian, uint32(0)) // crc32, not checked
	}
	for _, i := range order {
		binary.Write(&idx, binary.BigEndian, uint32(offs[i]))
	}
	idx.Write(sum[:])
	isum := sha1.Sum(idx.Bytes())
	idx.Write(isum[:])
	writeFile(r.t, base+".idx", idx.Bytes())
	return ids
}

// gitBin is the git binary for the tests that build repositories with it;
// they skip without one (fail under RECLAIM_E2E=1).
func gitBin(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("RECLAIM_E2E") == "1" {
			t.Fatal("git is not installed (RECLAIM_E2E=1)")
		}
		t.Skip("git is not installed")
	}
	return p
}

// runGit runs git in dir with a fixed identity and dates, and no user or
// system config.
func runGit(t testing.TB, dir string, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(gitBin(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=Ana", "GIT_AUTHOR_EMAIL=ana@example.test",
		"GIT_COMMITTER_NAME=Ana", "GIT_COMMITTER_EMAIL=ana@example.test", "GIT_AUTHOR_DATE=1600000000 +0000", "GIT_COMMITTER_DATE=1600000000 +0000")
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}
