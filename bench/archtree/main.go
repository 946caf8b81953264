// Command archtree builds the tree of bench/archives.sh from a gencorpus
// tree, and scores reclaim's findings inside its archives.
//
//	archtree -corpus DIR -truth DIR.truth.json -out TREE [-share 0.10]
//	archtree -check reclaim.json -expected TREE.expected.json
//
// Build: TREE is a hard-linked copy of the corpus (same bytes, same page
// cache) whose fake archives (gencorpus writes magic bytes and random
// data) are removed, and to which real archives are added until they hold
// -share of the tree's bytes: every nginx access log rotated into
// access.log.2.gz, Laravel logs into laravel-*.log.1.gz, then site and app
// folders copied into var/backups as .tar.gz and .zip (in turn), with the
// originals left in place. TREE.expected.json lists each email-provider
// key planted in an archived file, with the archive and member it must be
// reported at.
//
// Check: recall is the expected (archive, member, key) found in reclaim's
// JSON; a false positive is a finding inside an archive whose value is
// no planted secret of any kind; traces counts the attack traces read from
// .gz logs.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

type secret struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Provider string `json:"provider"`
	Value    string `json:"value"`
}

type manifest struct {
	Secrets []secret `json:"secrets"`
	Decoys  []struct {
		Value string `json:"value"`
	} `json:"decoys"`
}

type expected struct {
	File        string `json:"file"`   // the archive, relative to the tree
	Member      string `json:"member"` // the member
	Fingerprint string `json:"fingerprint"`
}

type expectedFile struct {
	Tree     string     `json:"tree"`
	Keys     []expected `json:"keys"`
	Known    []string   `json:"known"` // fingerprints of every planted secret value
	Archives int        `json:"archives"`
	Bytes    int64      `json:"bytes"`
	ArchBts  int64      `json:"archive_bytes"`
}

var inScope = map[string]bool{"sendgrid": true, "mailjet": true, "mailgun": true, "postmark": true, "brevo": true, "twilio": true, "mailchimp": true, "mandrill": true}

func fp(v string) string {
	s := sha256.Sum256([]byte(v))
	return "sha256:" + hex.EncodeToString(s[:])
}

func main() {
	corpus := flag.String("corpus", "", "gencorpus tree")
	truth := flag.String("truth", "", "its manifest")
	out := flag.String("out", "", "tree to build")
	share := flag.Float64("share", 0.10, "share of the tree's bytes in archives and .gz logs")
	check := flag.String("check", "", "reclaim JSON to score")
	exp := flag.String("expected", "", "expected.json of the tree")
	flag.Parse()
	var err error
	if *check != "" {
		err = score(*check, *exp)
	} else {
		err = build(*corpus, *truth, *out, *share)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "archtree:", err)
		os.Exit(1)
	}
}

func treeBytes(root string) (total, arch int64, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		total += fi.Size()
		if isArchive(p) {
			arch += fi.Size()
		}
		return nil
	})
	return
}

func isArchive(p string) bool {
	l := strings.ToLower(p)
	for _, s := range []string{".gz", ".tgz", ".zip"} {
		if strings.HasSuffix(l, s) {
			return true
		}
	}
	return false
}

func build(corpus, truthPath, out string, share float64) error {
	if corpus == "" || truthPath == "" || out == "" {
		return fmt.Errorf("need -corpus, -truth and -out")
	}
	var man manifest
	b, err := os.ReadFile(truthPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &man); err != nil {
		return err
	}
	os.RemoveAll(out)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if o, err := exec.Command("cp", "-al", corpus, out).CombinedOutput(); err != nil {
		return fmt.Errorf("cp -al: %v: %s", err, o)
	}
	// the corpus's fake archives (magic bytes and random data) go
	var fakes []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && isArchive(p) {
			fakes = append(fakes, p)
		}
		return nil
	})
	for _, p := range fakes {
		os.Remove(p)
	}
	ef := expectedFile{Tree: out}
	known := map[string]bool{}
	for _, s := range man.Secrets {
		known[fp(s.Value)] = true
	}
	for k := range known {
		ef.Known = append(ef.Known, k)
	}
	sort.Strings(ef.Known)
	expect := func(archive, dirRel string, member func(rel string) string) {
		for _, s := range man.Secrets {
			if !inScope[s.Provider] {
				continue
			}
			if dirRel != "" && !strings.HasPrefix(s.File, dirRel+"/") && s.File != dirRel {
				continue
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(s.File, dirRel), "/")
			ef.Keys = append(ef.Keys, expected{File: archive, Member: member(rel), Fingerprint: fp(s.Value)})
		}
	}
	// rotated logs: a gzip copy of each access log and Laravel log
	var logs []string
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n := d.Name()
			if (strings.Contains(p, "/var/log/nginx/") && n == "access.log") || (strings.Contains(p, "/storage/logs/") && strings.HasSuffix(n, ".log")) {
				logs = append(logs, p)
			}
		}
		return nil
	})
	sort.Strings(logs)
	for _, p := range logs {
		dst := p + ".1.gz"
		if filepath.Base(p) == "access.log" {
			dst = p + ".2.gz"
		}
		if err := gzipFile(p, dst); err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		relDst, _ := filepath.Rel(out, dst)
		expect(relDst, rel, func(string) string { return filepath.Base(strings.TrimSuffix(dst, ".gz")) })
		ef.Archives++
	}
	// backups of site and app folders until the share is reached: the
	// biggest folders that fit in what is left (an archive is never bigger
	// than what it holds, so the share is not overshot), none inside
	// another, originals left in place
	total, arch, err := treeBytes(out)
	if err != nil {
		return err
	}
	// what an archive adds to the tree adds to the total too
	left := int64((share*float64(total) - float64(arch)) / (1 - share))
	type cand struct {
		dir  string
		size int64
	}
	var cands []cand
	for _, top := range []string{"var/www", "srv", "home"} {
		filepath.WalkDir(filepath.Join(out, top), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if d.Name() == ".git" {
				return filepath.SkipDir // fake packs: random bytes
			}
			var n int64
			walkFiles(p, func(_, _ string, fi fs.FileInfo) error { n += fi.Size(); return nil })
			if n >= 256<<10 {
				cands = append(cands, cand{p, n})
			}
			return nil
		})
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].size != cands[j].size {
			return cands[i].size > cands[j].size
		}
		return cands[i].dir < cands[j].dir
	})
	backups := filepath.Join(out, "var/backups")
	os.MkdirAll(backups, 0o755)
	var chosen []string
	for _, c := range cands {
		if left < int64(float64(total)*0.002) {
			break
		}
		if c.size > left {
			continue
		}
		overlap := false
		for _, s := range chosen {
			if strings.HasPrefix(c.dir, s+"/") || strings.HasPrefix(s, c.dir+"/") {
				overlap = true
			}
		}
		if overlap {
			continue
		}
		chosen = append(chosen, c.dir)
		rel, _ := filepath.Rel(out, c.dir)
		name := strings.NewReplacer("/", "-").Replace(rel)
		var dst string
		if len(chosen)%2 == 1 {
			dst = filepath.Join(backups, name+".tar.gz")
			err = tarGz(c.dir, dst)
		} else {
			dst = filepath.Join(backups, name+".zip")
			err = zipDir(c.dir, dst)
		}
		if err != nil {
			return err
		}
		fi, err := os.Stat(dst)
		if err != nil {
			return err
		}
		left -= fi.Size()
		relDst, _ := filepath.Rel(out, dst)
		expect(relDst, rel, func(r string) string { return r })
		ef.Archives++
	}
	ef.Bytes, ef.ArchBts, err = treeBytes(out)
	if err != nil {
		return err
	}
	j, _ := json.MarshalIndent(ef, "", " ")
	fmt.Printf("tree %s: %d bytes, %d in %d archives and .gz logs (%.1f%%), %d keys expected inside them\n",
		out, ef.Bytes, ef.ArchBts, ef.Archives, 100*float64(ef.ArchBts)/float64(ef.Bytes), len(ef.Keys))
	return os.WriteFile(strings.TrimSuffix(out, "/")+".expected.json", j, 0o644)
}

func gzipFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	if _, err := io.Copy(zw, in); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func walkFiles(dir string, fn func(p, rel string, fi fs.FileInfo) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		return fn(p, filepath.ToSlash(rel), fi)
	})
}

func tarGz(dir, dst string) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	tw := tar.NewWriter(zw)
	err = walkFiles(dir, func(p, rel string, fi fs.FileInfo) error {
		h, err := tar.FileInfoHeader(fi, "")
		if err != nil {
			return err
		}
		h.Name = rel
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(tw, in)
		return err
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

func zipDir(dir, dst string) error {
	f, err := os.Create(dst)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	err = walkFiles(dir, func(p, rel string, fi fs.FileInfo) error {
		h, err := zip.FileInfoHeader(fi)
		if err != nil {
			return err
		}
		h.Name, h.Method = rel, zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		_, err = io.Copy(w, in)
		return err
	})
	if err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}

type report struct {
	Findings []struct {
		File        string `json:"file"`
		Member      string `json:"member"`
		Fingerprint string `json:"fingerprint"`
	} `json:"findings"`
	Traces []struct {
		File     string `json:"file"`
		Requests int    `json:"requests"`
	} `json:"attack_traces"`
	Archives *struct {
		Read    int64 `json:"read"`
		Members int64 `json:"members"`
		Bytes   int64 `json:"bytes"`
		Broken  int64 `json:"broken"`
		Bombs   int64 `json:"bombs"`
	} `json:"archives"`
}

func score(repPath, expPath string) error {
	var ef expectedFile
	b, err := os.ReadFile(expPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &ef); err != nil {
		return err
	}
	var rep report
	b, err = os.ReadFile(repPath)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		return err
	}
	type key struct{ file, member, fp string }
	got := map[key]bool{}
	known := map[string]bool{}
	for _, k := range ef.Known {
		known[k] = true
	}
	fps := 0
	for _, f := range rep.Findings {
		if f.Member == "" {
			continue
		}
		rel, _ := filepath.Rel(ef.Tree, f.File)
		got[key{rel, f.Member, f.Fingerprint}] = true
		if !known[f.Fingerprint] {
			fps++
			fmt.Fprintf(os.Stderr, "false positive: %s!/%s\n", rel, f.Member)
		}
	}
	found := 0
	for _, e := range ef.Keys {
		if got[key{e.File, e.Member, e.Fingerprint}] {
			found++
		} else {
			fmt.Fprintf(os.Stderr, "missed: %s!/%s\n", e.File, e.Member)
		}
	}
	traces := 0
	for _, t := range rep.Traces {
		if strings.Contains(t.File, ".gz!/") {
			traces += t.Requests
		}
	}
	a := rep.Archives
	if a == nil {
		return fmt.Errorf("the report has no archive stats (archives off?)")
	}
	fmt.Printf("{\"in_archives_found\":%d,\"in_archives_expected\":%d,\"false_positives_in_archives\":%d,\"probe_requests_from_gz_logs\":%d,\"archives_read\":%d,\"members\":%d,\"expanded_bytes\":%d,\"broken\":%d,\"bombs\":%d}\n",
		found, len(ef.Keys), fps, traces, a.Read, a.Members, a.Bytes, a.Broken, a.Bombs)
	return nil
}
