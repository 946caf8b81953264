package leakscan

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// Archive fixtures are built at run time: keys come from the test
// generators (no key-shaped literal on disk).

type member struct {
	name string
	body []byte
}

func m(name, body string) member { return member{name, []byte(body)} }

// zipOf builds a zip: deflated members written by archive/zip (with data
// descriptors, as a streaming writer does), or stored ones with their sizes
// in the local header (store).
func zipOf(t testing.TB, store bool, ms ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, x := range ms {
		var w interface{ Write([]byte) (int, error) }
		var err error
		if store {
			w, err = zw.CreateRaw(&zip.FileHeader{Name: x.name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(x.body),
				CompressedSize64: uint64(len(x.body)), UncompressedSize64: uint64(len(x.body))})
		} else {
			w, err = zw.Create(x.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.Write(x.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func tarOf(t testing.TB, ms ...member) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, x := range ms {
		if err := tw.WriteHeader(&tar.Header{Name: x.name, Mode: 0o644, Size: int64(len(x.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(x.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func gzOf(b []byte) []byte {
	var o bytes.Buffer
	w := gzip.NewWriter(&o)
	w.Write(b)
	w.Close()
	return o.Bytes()
}

func zstdOf(t testing.TB, b []byte) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(b, nil)
}

// bz2Of compresses with the bzip2 tool (Go has no bzip2 writer).
func bz2Of(t testing.TB, b []byte) []byte {
	t.Helper()
	if _, err := exec.LookPath("bzip2"); err != nil {
		if os.Getenv("RECLAIM_E2E") == "1" {
			t.Fatal("bzip2 is not installed (RECLAIM_E2E=1)")
		}
		t.Skip("bzip2 is not installed: apt-get install bzip2")
	}
	cmd := exec.Command("bzip2", "-c")
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func archScan(t testing.TB, root string) *Report {
	t.Helper()
	return guardedScan(t, []string{root}, Options{Archives: true, ConfigRoot: t.TempDir()})
}

// findingAt returns the finding of secret (by fingerprint), or nil.
func findingOf(rep *Report, secret string) *Finding {
	fp := Fingerprint([]byte(secret))
	for i := range rep.Findings {
		if rep.Findings[i].Fingerprint == fp {
			return &rep.Findings[i]
		}
	}
	return nil
}

// wpConfig is a wp-config.php with a SendGrid key on line 12.
func wpConfig(key string) string {
	var b strings.Builder
	b.WriteString("<?php\n")
	for i := 2; i < 12; i++ {
		fmt.Fprintf(&b, "// line %d\n", i)
	}
	b.WriteString("define( 'SENDGRID_API_KEY', '" + key + "' );\n")
	return b.String()
}

func TestArchiveFormats(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	dir := t.TempDir()
	keys := map[string]string{}
	key := func(n string) string { k := sgKey(r); keys[n] = k; return k }
	mg := func(n string) string { k := "key-" + rnd(r, hexA, 32); keys[n] = k; return k }

	writeFile(t, filepath.Join(dir, "public_html/backup.zip"), zipOf(t, false,
		m("site/wp-config.php", wpConfig(key("zip"))),
		m("site/readme.txt", "SENDGRID_API_KEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n"), // decoy: placeholder
		m("site/logo.png", "\x89PNG\r\n\x1a\n"+key("png-not-read")),
	))
	writeFile(t, filepath.Join(dir, "stored.zip"), zipOf(t, true, m("a/.env", "MAILGUN_SECRET="+mg("stored")+"\n")))
	writeFile(t, filepath.Join(dir, "site.tar.gz"), gzOf(tarOf(t, m("./app/.env", "\n\nSENDGRID_API_KEY="+key("tgz")+"\n"))))
	writeFile(t, filepath.Join(dir, "plain.tar"), tarOf(t, m("etc/app.conf", "token: "+key("tar")+"\n")))
	writeFile(t, filepath.Join(dir, "notes.txt.gz"), gzOf([]byte("x\n"+key("gz")+"\n")))
	writeFile(t, filepath.Join(dir, "dump.sql.zst"), zstdOf(t, []byte("INSERT INTO options VALUES ('"+key("zst")+"');\n")))
	// nested: zip → tar.gz → zip → file, three containers deep
	deep := zipOf(t, false, m("creds.txt", "MAILGUN_API_KEY="+mg("nested")+"\n"))
	writeFile(t, filepath.Join(dir, "outer.zip"), zipOf(t, false, m("inner.tar.gz", string(gzOf(tarOf(t, m("deep.zip", string(deep))))))))
	// a file with no archive name but a gzip body
	writeFile(t, filepath.Join(dir, "blob"), gzOf([]byte("SG key "+key("noext")+"\n")))

	rep := archScan(t, dir)
	want := map[string]struct {
		file, member string
		line         int
	}{
		"zip":    {"public_html/backup.zip", "site/wp-config.php", 12},
		"stored": {"stored.zip", "a/.env", 1},
		"tgz":    {"site.tar.gz", "app/.env", 3},
		"tar":    {"plain.tar", "etc/app.conf", 1},
		"gz":     {"notes.txt.gz", "notes.txt", 2},
		"zst":    {"dump.sql.zst", "dump.sql", 1},
		"nested": {"outer.zip", "inner.tar.gz!/deep.zip!/creds.txt", 1},
		"noext":  {"blob", "blob", 1},
	}
	for n, w := range want {
		f := findingOf(rep, keys[n])
		if f == nil {
			t.Errorf("%s: key not found", n)
			continue
		}
		if f.File != filepath.Join(dir, w.file) || f.Member != w.member || f.Line != w.line {
			t.Errorf("%s: found at %s:%d (member %q), want %s!/%s:%d", n, f.File, f.Line, f.Member, w.file, w.member, w.line)
		}
	}
	if f := findingOf(rep, keys["png-not-read"]); f != nil {
		t.Errorf("a key inside a PNG member was reported: %+v", f)
	}
	if len(rep.Findings) != len(want) {
		for _, f := range rep.Findings {
			t.Logf("finding %s:%d %s", f.Place(), f.Line, f.Redacted)
		}
		t.Errorf("%d findings, want %d (no placeholder, no PNG)", len(rep.Findings), len(want))
	}
	text := string(outputs(t, rep)["text"])
	if !strings.Contains(text, "public_html/backup.zip!/site/wp-config.php:12") {
		t.Errorf("the text report does not name the member as backup.zip!/site/wp-config.php:12:\n%s", text)
	}
	a := rep.Archives
	if a == nil || a.Read != 8 || a.Skipped == 0 || rep.Incomplete {
		t.Errorf("archive stats %+v, incomplete %v %v", a, rep.Incomplete, rep.IncompleteWhy)
	}
	// the zip in a web root is still flagged as a downloadable backup
	if !hasExposure(rep, "backup-archive-in-webroot") {
		t.Error("backup.zip in a web root is not reported as an exposure")
	}

	// with Options.Archives off, archives are skipped as before
	off := guardedScan(t, []string{dir}, Options{ConfigRoot: t.TempDir()})
	for n := range want {
		if n != "tar" && findingOf(off, keys[n]) != nil {
			t.Errorf("archives off: %s found", n)
		}
	}
	if off.Archives != nil {
		t.Error("archives off: Report.Archives is set")
	}
}

func TestArchiveBzip2(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	dir := t.TempDir()
	k1, k2 := sgKey(r), sgKey(r)
	writeFile(t, filepath.Join(dir, "db.sql.bz2"), bz2Of(t, []byte("-- dump\n"+k1+"\n")))
	writeFile(t, filepath.Join(dir, "etc.tar.bz2"), bz2Of(t, tarOf(t, m("etc/msmtprc", "password "+k2+"\n"))))
	rep := archScan(t, dir)
	if f := findingOf(rep, k1); f == nil || f.Member != "db.sql" || f.Line != 2 {
		t.Errorf(".bz2: %+v", f)
	}
	if f := findingOf(rep, k2); f == nil || f.Member != "etc/msmtprc" {
		t.Errorf(".tar.bz2: %+v", f)
	}
}

func hasExposure(rep *Report, kind string) bool {
	for _, x := range rep.Exposures {
		if x.Kind == kind {
			return true
		}
	}
	return false
}

// setArchiveLimits lowers the archive limits for one test.
func setArchiveLimits(t *testing.T, bytes, entries, bombMin int64) {
	ob, oe, om := maxArchiveBytes, maxArchiveEntries, bombMinBytes
	maxArchiveBytes, maxArchiveEntries, bombMinBytes = bytes, entries, bombMin
	t.Cleanup(func() { maxArchiveBytes, maxArchiveEntries, bombMinBytes = ob, oe, om })
}

func TestArchiveBombs(t *testing.T) {
	setArchiveLimits(t, 1<<30, 100_000, 1<<20)
	r := rand.New(rand.NewPCG(11, 12))
	dir := t.TempDir()
	zeros := make([]byte, 16<<20)
	// 42.zip style: zips of zips, each leaf a file of zeros that declares
	// 16 MiB from ~16 KiB
	leaf := zipOf(t, false, m("0.dat", string(zeros)))
	level := leaf
	for i := 0; i < 2; i++ {
		var ms []member
		for j := 0; j < 4; j++ {
			ms = append(ms, m(fmt.Sprintf("%x.zip", j), string(level)))
		}
		level = zipOf(t, false, ms...)
	}
	good := sgKey(r)
	writeFile(t, filepath.Join(dir, "42.zip"), zipOf(t, false, m("lib.zip", string(level)), m("readme.txt", good)))
	// a high-ratio gzip stream (no declared size): measured
	writeFile(t, filepath.Join(dir, "flat.gz"), gzOf(zeros))
	// a zip member whose sizes are in its local header (stored writer with
	// a deflated body)
	var raw bytes.Buffer
	fw, _ := zipFlate(zeros)
	zw := zip.NewWriter(&raw)
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "big.log", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros), CompressedSize64: uint64(len(fw)), UncompressedSize64: uint64(len(zeros))})
	w.Write(fw)
	zw.Close()
	writeFile(t, filepath.Join(dir, "declared.zip"), raw.Bytes())
	// decoy: a log that compresses well but is no bomb
	var log strings.Builder
	for i := 0; log.Len() < 4<<20; i++ {
		fmt.Fprintf(&log, "10.0.%d.%d - - [12/Mar/2024:10:00:00 +0000] \"GET /page/%d HTTP/1.1\" 200 %d\n", i%256, i%199, i, i%5000)
	}
	writeFile(t, filepath.Join(dir, "ok.log.gz"), gzOf([]byte(log.String())))

	rep := archScan(t, dir)
	var bombs []string
	for _, x := range rep.Exposures {
		if x.Kind == "decompression-bomb" {
			bombs = append(bombs, strings.TrimPrefix(x.Path, dir+"/"))
		}
	}
	for _, want := range []string{"42.zip", "flat.gz", "declared.zip!/big.log"} {
		found := false
		for _, b := range bombs {
			found = found || strings.HasPrefix(b, want)
		}
		if !found {
			t.Errorf("%s not reported as a decompression bomb (bombs: %q)", want, bombs)
		}
	}
	for _, b := range bombs {
		if strings.HasPrefix(b, "ok.log.gz") {
			t.Errorf("a well-compressed log is called a bomb: %s", b)
		}
	}
	if rep.Archives.Bombs != 3 || !rep.Incomplete || !strings.Contains(strings.Join(rep.IncompleteWhy, ";"), "decompression bomb") {
		t.Errorf("bombs %d, incomplete %v %q", rep.Archives.Bombs, rep.Incomplete, rep.IncompleteWhy)
	}
	// not expanded: far less than one leaf's 16 MiB per bomb was scanned
	if rep.Archives.Bytes > 4<<20+8<<20 {
		t.Errorf("%d bytes expanded and scanned: the bombs were expanded", rep.Archives.Bytes)
	}
	if findingOf(rep, good) == nil {
		t.Error("the key next to the bomb in 42.zip was not found")
	}
}

// zipFlate deflates b as a zip member body.
func zipFlate(b []byte) ([]byte, error) {
	var o bytes.Buffer
	zw := zip.NewWriter(&o)
	w, _ := zw.Create("x")
	w.Write(b)
	zw.Close()
	zr, err := zip.NewReader(bytes.NewReader(o.Bytes()), int64(o.Len()))
	if err != nil {
		return nil, err
	}
	rc, err := zr.File[0].OpenRaw()
	if err != nil {
		return nil, err
	}
	var body bytes.Buffer
	body.ReadFrom(rc)
	return body.Bytes(), nil
}

func TestArchiveCapsAndDepth(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	dir := t.TempDir()
	var ms []member
	for i := 0; i < 30; i++ {
		ms = append(ms, m(fmt.Sprintf("f%02d.txt", i), "nothing\n"))
	}
	writeFile(t, filepath.Join(dir, "many.zip"), zipOf(t, false, ms...))
	// five containers deep: the innermost is past maxArchiveDepth (4)
	k := sgKey(r)
	b := zipOf(t, false, m("key.txt", k))
	for i := 0; i < 4; i++ {
		b = zipOf(t, false, m(fmt.Sprintf("l%d.zip", i), string(b)))
	}
	writeFile(t, filepath.Join(dir, "deep.zip"), b)
	// four deep: read
	k4 := sgKey(r)
	b = zipOf(t, false, m("key.txt", k4))
	for i := 0; i < 3; i++ {
		b = zipOf(t, false, m(fmt.Sprintf("l%d.zip", i), string(b)))
	}
	writeFile(t, filepath.Join(dir, "four.zip"), b)

	setArchiveLimits(t, 1<<30, 20, 32<<20)
	rep := archScan(t, dir)
	a := rep.Archives
	if a.Capped != 1 || !strings.HasSuffix(a.CappedFirst, "many.zip") {
		t.Errorf("entries cap: capped %d first %q", a.Capped, a.CappedFirst)
	}
	if a.TooDeep != 1 || !strings.Contains(a.TooDeepFirst, "deep.zip!/l3.zip!/l2.zip!/l1.zip!/l0.zip") {
		t.Errorf("depth: too deep %d first %q", a.TooDeep, a.TooDeepFirst)
	}
	if findingOf(rep, k) != nil {
		t.Error("a key five archives deep was read")
	}
	if f := findingOf(rep, k4); f == nil || f.Member != "l2.zip!/l1.zip!/l0.zip!/key.txt" {
		t.Errorf("a key four archives deep: %+v", f)
	}
	why := strings.Join(rep.IncompleteWhy, "; ")
	if !strings.Contains(why, "up to the caps") || !strings.Contains(why, "nested deeper than 4") {
		t.Errorf("incomplete reasons: %q", why)
	}

	// the expanded-bytes cap
	setArchiveLimits(t, 1<<20, 100_000, 32<<20)
	dir2 := t.TempDir()
	var big strings.Builder
	for big.Len() < 3<<20 {
		big.WriteString(rnd(r, anA, 79) + "\n")
	}
	writeFile(t, filepath.Join(dir2, "big.log.gz"), gzOf([]byte(big.String()+sgKey(r)+"\n")))
	rep = archScan(t, dir2)
	if rep.Archives.Capped != 1 || !rep.Incomplete || len(rep.Findings) != 0 {
		t.Errorf("bytes cap: %+v, findings %d", rep.Archives, len(rep.Findings))
	}
}

func TestArchiveBrokenAndDecoys(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	dir := t.TempDir()
	k := sgKey(r)
	full := gzOf(tarOf(t, m("a/.env", "SENDGRID_API_KEY="+k+"\n"), m("b/big.txt", strings.Repeat(rnd(r, anA, 60)+"\n", 20000))))
	writeFile(t, filepath.Join(dir, "cut.tar.gz"), full[:len(full)*2/3])
	// fake archives: real magic bytes, random bodies (as the benchmark corpus has)
	writeFile(t, filepath.Join(dir, "fake.gz"), []byte("\x1f\x8b"+rnd(r, anA, 5000)))
	writeFile(t, filepath.Join(dir, "fake.zip"), []byte("PK\x03\x04"+rnd(r, anA, 5000)))
	writeFile(t, filepath.Join(dir, "fake.7z"), []byte("7z\xbc\xaf\x27\x1c"+rnd(r, anA, 100)))
	rep := archScan(t, dir)
	if f := findingOf(rep, k); f == nil || f.Member != "a/.env" {
		t.Errorf("the key before the damage: %+v", f)
	}
	a := rep.Archives
	if a.Broken != 3 || a.Unsupported != 1 || !rep.Incomplete {
		t.Errorf("broken %d (want 3), unsupported %d (want 1), incomplete %v", a.Broken, a.Unsupported, rep.Incomplete)
	}
	if len(rep.Findings) != 1 {
		t.Errorf("%d findings, want 1", len(rep.Findings))
	}
}

func TestArchiveRotatedLogForensics(t *testing.T) {
	dir := t.TempDir()
	lines := []string{
		`198.51.100.7 - - [12/Mar/2024:10:00:00 +0000] "GET /.env HTTP/1.1" 200 812 "-" "Mozilla/5.0"`,
		`198.51.100.8 - - [13/Mar/2024:11:00:00 +0000] "GET /.env HTTP/1.1" 404 0 "-" "Mozilla/5.0"`,
		`203.0.113.6 - - [15/Mar/2024:13:00:00 +0000] "POST /?0x[]=androxgh0st HTTP/1.1" 200 10 "-" "python"`,
	}
	writeFile(t, filepath.Join(dir, "var/log/nginx/access.log.2.gz"), gzOf([]byte(strings.Join(lines, "\n")+"\n")))
	// decoy: the same lines in a compressed file that is no web log
	writeFile(t, filepath.Join(dir, "home/u/notes.txt.gz"), gzOf([]byte(strings.Join(lines, "\n")+"\n")))
	rep := archScan(t, dir)
	got := map[string]Trace{}
	for _, tr := range rep.Traces {
		got[tr.Probe] = tr
	}
	env, andro := got["/.env"], got["androxgh0st"]
	place := filepath.Join(dir, "var/log/nginx/access.log.2.gz") + "!/access.log.2"
	if env.Requests != 2 || env.Served != 1 || env.File != place || env.FirstLn != 1 {
		t.Errorf("/.env trace: %+v", env)
	}
	if andro.Requests != 1 || andro.File != place || andro.FirstLn != 3 {
		t.Errorf("androxgh0st trace: %+v", andro)
	}
	if len(rep.Traces) != 2 {
		t.Errorf("%d traces, want 2 (none from notes.txt.gz): %+v", len(rep.Traces), rep.Traces)
	}
}

// dockerSave builds a legacy `docker save` tarball: manifest.json, the
// config <hex>.json, and <id>/layer.tar for each layer; one layer is an
// OCI-style gzip blob as Docker 25 writes.
func dockerSave(t testing.TB, env []string, history []string, layers ...[]byte) ([]byte, []string) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(len(layers)), 3))
	cfg := map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{"Env": env, "Cmd": []string{"php-fpm"}},
		"history": func() []map[string]string {
			var h []map[string]string
			for _, c := range history {
				h = append(h, map[string]string{"created_by": c})
			}
			return h
		}(),
		"rootfs": map[string]any{"type": "layers"},
	}
	cb, _ := json.Marshal(cfg)
	cfgName := rnd(r, hexA, 64) + ".json"
	var ms []member
	var names []string
	for i, l := range layers {
		id := rnd(r, hexA, 64)
		if i%2 == 1 {
			n := "blobs/sha256/" + id
			ms = append(ms, member{n, gzOf(l)})
			names = append(names, n)
			continue
		}
		ms = append(ms, member{id + "/layer.tar", l}, m(id+"/VERSION", "1.0"))
		names = append(names, id+"/layer.tar")
	}
	man, _ := json.Marshal([]map[string]any{{"Config": cfgName, "RepoTags": []string{"shop:latest"}, "Layers": names}})
	ms = append(ms, member{cfgName, cb}, member{"manifest.json", man})
	return tarOf(t, ms...), names
}

func TestDockerSaveTarball(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	dir := t.TempDir()
	kEnv, kHist, kL0, kL1 := sgKey(r), sgKey(r), sgKey(r), "key-"+rnd(r, hexA, 32)
	l0 := tarOf(t, m("etc/php/conf.d/mail.ini", "sendgrid.key = "+kL0+"\n"), m("bin/true", "\x7fELF\x02\x01\x01\x00"+sgKey(r)))
	l1 := tarOf(t, m("var/www/.env", "APP_ENV=prod\nMAILGUN_SECRET="+kL1+"\n"), m(".wh.old.env", ""))
	img, layers := dockerSave(t, []string{"PATH=/usr/bin", "SENDGRID_API_KEY=" + kEnv}, []string{
		"/bin/sh -c #(nop) ADD file:abc in /",
		"/bin/sh -c #(nop)  ENV MAIL_KEY=" + kHist,
	}, l0, l1)
	writeFile(t, filepath.Join(dir, "shop.tar"), img)
	rep := archScan(t, dir)
	file := filepath.Join(dir, "shop.tar")
	cfgMember := func(f *Finding) bool {
		return f != nil && f.Layer == "config" && strings.HasSuffix(f.Member, ".json!/Env") && f.Line == 2
	}
	if f := findingOf(rep, kEnv); !cfgMember(f) || f.File != file {
		t.Errorf("ENV in the config: %+v", f)
	}
	if f := findingOf(rep, kHist); f == nil || f.Layer != "config" || !strings.HasSuffix(f.Member, "!/history") || f.Line != 2 {
		t.Errorf("ENV in the build history: %+v", f)
	}
	if f := findingOf(rep, kL0); f == nil || f.Layer != layers[0][:12] || f.Member != layers[0]+"!/etc/php/conf.d/mail.ini" {
		t.Errorf("layer 0: %+v (layer %s)", f, layers[0])
	}
	if f := findingOf(rep, kL1); f == nil || f.Layer != "sha256:"+strings.TrimPrefix(layers[1], "blobs/sha256/")[:12] || f.Member != layers[1]+"!/var/www/.env" || f.Line != 2 {
		t.Errorf("layer 1 (gzip blob): %+v (layer %s)", f, layers[1])
	}
	if len(rep.Findings) != 4 {
		t.Errorf("%d findings, want 4 (none from the ELF binary)", len(rep.Findings))
	}
	if a := rep.Archives; a.Images != 1 || a.Layers != 2 {
		t.Errorf("images %d layers %d", a.Images, a.Layers)
	}
	text := string(outputs(t, rep)["text"])
	if !strings.Contains(text, "[image layer config]") {
		t.Errorf("the text report does not name the layer:\n%s", text)
	}
}

func TestOCILayoutFolder(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	dir := t.TempDir()
	kEnv, kL, kZ := sgKey(r), sgKey(r), sgKey(r)
	blob := func(b []byte) string {
		id := rnd(r, hexA, 64)
		writeFile(t, filepath.Join(dir, "img/blobs/sha256", id), b)
		return id
	}
	cb, _ := json.Marshal(map[string]any{"config": map[string]any{"Env": []string{"A=1", "B=2", "SENDGRID_API_KEY=" + kEnv}}, "rootfs": map[string]any{"type": "layers"}})
	cfg := blob(cb)
	l := blob(gzOf(tarOf(t, m("srv/app/config.yml", "sendgrid:\n  key: "+kL+"\n"))))
	z := blob(zstdOf(t, tarOf(t, m("root/.bash_history", "export SENDGRID_API_KEY="+kZ+"\n"))))
	man, _ := json.Marshal(map[string]any{"schemaVersion": 2, "config": map[string]any{"digest": "sha256:" + cfg}, "layers": []map[string]any{{"digest": "sha256:" + l}, {"digest": "sha256:" + z}}})
	mid := blob(man)
	writeFile(t, filepath.Join(dir, "img/index.json"), []byte(`{"schemaVersion":2,"manifests":[{"digest":"sha256:`+mid+`"}]}`))
	writeFile(t, filepath.Join(dir, "img/oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`))
	rep := archScan(t, dir)
	if f := findingOf(rep, kEnv); f == nil || f.Layer != "config" || f.Member != "Env" || f.Line != 3 || !strings.HasSuffix(f.File, cfg) {
		t.Errorf("config ENV: %+v", f)
	}
	if f := findingOf(rep, kL); f == nil || f.Layer != "sha256:"+l[:12] || f.Member != "srv/app/config.yml" || f.Line != 2 {
		t.Errorf("gzip layer: %+v", f)
	}
	if f := findingOf(rep, kZ); f == nil || f.Layer != "sha256:"+z[:12] || f.Member != "root/.bash_history" {
		t.Errorf("zstd layer: %+v", f)
	}
	if a := rep.Archives; a.Images != 1 || a.Layers != 2 || len(rep.Findings) != 3 {
		t.Errorf("images %d layers %d findings %d", a.Images, a.Layers, len(rep.Findings))
	}
}

// Many small members of a tar.gz (several in the first 8 KiB, which the
// compressed stream's sniff read holds while the tar's members are read):
// each key is found in its own member, at its line.
func TestArchiveSmallMembers(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	dir := t.TempDir()
	var ms []member
	keys := map[string]string{}
	for i := 0; i < 40; i++ {
		k := sgKey(r)
		n := fmt.Sprintf("conf/%02d.env", i)
		keys[n] = k
		ms = append(ms, m(n, strings.Repeat("#\n", i%5)+"SENDGRID_API_KEY="+k+"\n"))
	}
	writeFile(t, filepath.Join(dir, "small.tgz"), gzOf(tarOf(t, ms...)))
	writeFile(t, filepath.Join(dir, "small.zip"), zipOf(t, false, ms...))
	rep := archScan(t, dir)
	for i := 0; i < 40; i++ {
		n := fmt.Sprintf("conf/%02d.env", i)
		hits := 0
		for _, f := range rep.Findings {
			if f.Fingerprint == Fingerprint([]byte(keys[n])) {
				hits++
				if f.Member != n || f.Line != i%5+1 {
					t.Errorf("%s: found at %s:%d, want line %d", n, f.Place(), f.Line, i%5+1)
				}
			}
		}
		if hits != 2 {
			t.Errorf("%s: found %d times, want 2 (tgz and zip)", n, hits)
		}
	}
	if len(rep.Findings) != 80 {
		t.Errorf("%d findings, want 80", len(rep.Findings))
	}
}

// A stopped scan stops inside an archive: the expander checks the stop
// flag on every read, and nothing more is expanded.
func TestArchiveStops(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	var big strings.Builder
	for big.Len() < 8<<20 {
		big.WriteString(rnd(r, anA, 99) + "\n")
	}
	data := gzOf([]byte(big.String()))
	ch := make(chan struct{})
	s := &fileScanner{e: getEngine(), buf: make([]byte, chunkSize+overlap), stop: &stopFlag{done: ch}, fileCap: 1 << 30, archives: true}
	s.archState()
	job := &archJob{path: "/x/big.log.gz"}
	// the scan is stopped once a quarter of the compressed stream is read
	src := &stopAfter{r: bytes.NewReader(data), n: len(data) / 4, stop: func() { close(ch) }}
	err := s.openArchive(job, kindGzip, src, "", 1, "")
	if err != errStopped || job.expanded == 0 || job.expanded > int64(big.Len())/2 {
		t.Errorf("stopped scan: err %v, %d of %d bytes expanded", err, job.expanded, big.Len())
	}
}

type stopAfter struct {
	r    *bytes.Reader
	n    int
	stop func()
}

func (s *stopAfter) Read(p []byte) (int, error) {
	k, err := s.r.Read(p)
	if s.n -= k; s.n <= 0 && s.stop != nil {
		s.stop()
		s.stop = nil
	}
	return k, err
}

// A root that is an archive is read (reclaim scan backup.zip).
func TestArchiveAsRoot(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	k := sgKey(r)
	p := filepath.Join(t.TempDir(), "backup.zip")
	writeFile(t, p, zipOf(t, false, m("wp-config.php", wpConfig(k))))
	rep := guardedScan(t, []string{p}, Options{Archives: true, ConfigRoot: t.TempDir()})
	if f := findingOf(rep, k); f == nil || f.File != p || f.Member != "wp-config.php" || f.Line != 12 {
		t.Errorf("archive as root: %+v", f)
	}
	if err := rep.RootsError(); err != nil {
		t.Error(err)
	}
}

// A zstd stream whose window is over maxZstdWindow (zstd --long, or a
// hostile one: each nested level would hold its window) is not read: it is
// counted as cut at a cap, named, and the result is incomplete; a stream
// with an ordinary window is read.
func TestZstdWindowCapped(t *testing.T) {
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(3, 4))
	big, small := sgKey(r), sgKey(r)
	var o bytes.Buffer
	enc, err := zstd.NewWriter(&o, zstd.WithWindowSize(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	enc.Write([]byte("SENDGRID_API_KEY=" + big + "\n"))
	// more than a block: the frame states its window, not its size
	enc.Write(bytes.Repeat([]byte("GET /index.html 200\n"), 64<<10))
	enc.Close()
	writeFile(t, filepath.Join(dir, "long.log.zst"), o.Bytes())
	writeFile(t, filepath.Join(dir, "app.log.zst"), zstdOf(t, []byte("SENDGRID_API_KEY="+small+"\n")))
	rep := guardedScan(t, []string{dir}, Options{Archives: true})
	if len(rep.Findings) != 1 || rep.Findings[0].Redacted != Redact([]byte(small)) {
		t.Fatalf("findings: %+v", rep.Findings)
	}
	if rep.Archives == nil || rep.Archives.Capped != 1 || !strings.HasSuffix(rep.Archives.CappedFirst, "long.log.zst") || rep.Archives.Broken != 0 {
		t.Fatalf("archives: %+v", rep.Archives)
	}
	if why := strings.Join(rep.IncompleteReasons(), "; "); !strings.Contains(why, "8.0 MiB zstd window") && !strings.Contains(why, "zstd window") {
		t.Fatalf("incomplete reasons: %s", why)
	}
}
