package leakscan

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reclaim/provider/detecttest"
	"slices"
	"strings"
	"testing"
)

var rnd = detecttest.Rand

const hexA, anA = "0123456789abcdef", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// plant writes a small server tree with one secret of each kind and returns
// the tree and every secret planted (provider credentials and others).
func plant(t *testing.T) (string, []string) {
	t.Helper()
	r := rand.New(rand.NewPCG(21, 22))
	dir := t.TempDir()
	sg := "S" + "G." + rnd(r, anA, 22) + "." + rnd(r, anA+"_-", 43)
	br := "xkey" + "sib-" + rnd(r, hexA, 64) + "-" + rnd(r, anA, 16)
	mg := "key-" + rnd(r, hexA, 32)
	pm := rnd(r, hexA, 8) + "-" + rnd(r, hexA, 4) + "-4" + rnd(r, hexA, 3) + "-a" + rnd(r, hexA, 3) + "-" + rnd(r, hexA, 12)
	mjk, mjs := rnd(r, hexA, 32), rnd(r, hexA, 32)
	sid, tok := "AC"+rnd(r, hexA, 32), rnd(r, hexA, 32)
	dbpw := "Pw-" + rnd(r, anA, 18)
	aws := "AKIA" + rnd(r, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	env := strings.Join([]string{
		"APP_DEBUG=true",
		"DB_PASSWORD=" + dbpw,
		"AWS_ACCESS_KEY_ID=" + aws,
		"SENDGRID_API_KEY=" + sg,
		"BREVO_API_KEY=" + br,
		"MAILGUN_SECRET=" + mg,
		"POSTMARK_TOKEN=" + pm,
		"MAILJET_APIKEY=" + mjk,
		"MAILJET_APISECRET=" + mjs,
		"TWILIO_SID=" + sid,
		"TWILIO_AUTH_TOKEN=" + tok,
	}, "\n") + "\n"
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app/.env", env)
	write("app/public/.env", env)
	write("app/public/info.php", "<?php\nphpinfo();\n")
	write("app/public/.git/config", "[core]\n")
	write("site/public_html/wp-config.php.bak", "<?php\ndefine( 'DB_PASSWORD', '"+dbpw+"' );\n")
	write("var/log/nginx/access.log", strings.Join([]string{
		`198.51.100.7 - - [12/Mar/2024:10:00:00 +0000] "GET /.env HTTP/1.1" 200 812 "-" "Mozilla/5.0"`,
		`198.51.100.8 - - [13/Mar/2024:11:00:00 +0000] "GET /.env HTTP/1.1" 404 0 "-" "Mozilla/5.0"`,
		`203.0.113.5 - - [14/Mar/2024:12:00:00 +0000] "GET /.git/config HTTP/1.1" 403 0 "-" "curl"`,
		`203.0.113.6 - - [15/Mar/2024:13:00:00 +0000] "POST /?0x[]=androxgh0st HTTP/1.1" 200 10 "-" "python"`,
	}, "\n")+"\n")
	write("bin/blob.dat", "\x7fELF\x02\x01\x01\x00"+sg) // an executable: skipped by type
	return dir, []string{sg, br, mg, pm, mjk, mjs, sid, tok, dbpw, aws}
}

func TestScanPlanted(t *testing.T) {
	dir, secrets := plant(t)
	rep, err := Scan(context.Background(), []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// 8 provider credentials in each of the two .env files
	if len(rep.Findings) != 16 {
		for _, f := range rep.Findings {
			t.Logf("%s:%d %s %s", f.File, f.Line, f.Provider, f.Kind)
		}
		t.Fatalf("got %d findings, want 16", len(rep.Findings))
	}
	for _, f := range rep.Findings {
		if f.Provider == "sendgrid" && f.KeyID != secrets[0][3:25] {
			t.Errorf("sendgrid key id %q", f.KeyID)
		}
		if !strings.HasPrefix(f.Fingerprint, "sha256:") || len(f.Fingerprint) != 71 {
			t.Errorf("fingerprint %q", f.Fingerprint)
		}
	}
	kinds := map[string]bool{}
	for _, x := range rep.Exposures {
		kinds[x.Kind] = true
	}
	for _, k := range []string{"env-in-webroot", "phpinfo", "git-in-webroot", "wp-config-backup", "laravel-debug"} {
		if !kinds[k] {
			t.Errorf("missing exposure %s (got %v)", k, kinds)
		}
	}
	also := map[string]bool{}
	for _, f := range rep.AlsoExposed {
		also[f.Fingerprint] = true
	}
	for _, s := range secrets[8:] {
		if !also[Fingerprint([]byte(s))] {
			t.Errorf("also-exposed misses %s", Redact([]byte(s)))
		}
	}
	probes := map[string]Trace{}
	for _, tr := range rep.Traces {
		probes[tr.Probe] = tr
	}
	if e := probes["/.env"]; e.Requests != 2 || e.Served != 1 || e.IPCount != 2 || e.First.Day() != 12 || e.Last.Day() != 13 {
		t.Errorf("/.env trace %+v", e)
	}
	if g := probes["/.git/config"]; g.Requests != 1 || g.Served != 0 {
		t.Errorf("/.git/config trace %+v", g)
	}
	if a := probes["androxgh0st"]; a.Requests != 1 || a.Served != 1 {
		t.Errorf("androxgh0st trace %+v", a)
	}
}

// No secret may appear in any output: text, JSON, SARIF (the checklist's
// findings are checked in checklist/scan_findings_test.go).
func TestNoSecretInOutput(t *testing.T) {
	dir, secrets := plant(t)
	rep, err := Scan(context.Background(), []string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var text, js, sarif bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteSARIF(&sarif, rep, "test"); err != nil {
		t.Fatal(err)
	}
	var sl map[string]any
	if err := json.Unmarshal(sarif.Bytes(), &sl); err != nil || sl["version"] != "2.1.0" {
		t.Fatalf("SARIF: %v %v", err, sl["version"])
	}
	for name, out := range map[string][]byte{"text": text.Bytes(), "json": js.Bytes(), "sarif": sarif.Bytes()} {
		for _, s := range secrets {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s output contains a secret (%s)", name, Redact([]byte(s)))
			}
		}
	}
	var ids []string
	for _, f := range rep.Findings {
		if f.KeyID != "" && f.Provider == "sendgrid" && !slices.Contains(ids, f.KeyID) {
			ids = append(ids, f.KeyID)
		}
	}
	if len(ids) != 1 || ids[0] != secrets[0][3:25] {
		t.Errorf("leaked SendGrid key ids %v", ids)
	}
}

// The engine's adapter returns the scanner's report, its roots' statistics
// included, and reports progress.
func TestAdapter(t *testing.T) {
	dir, secrets := plant(t)
	var calls int
	sc := NewLeakScanner([]string{dir}, Options{})
	rep, err := sc.Scan(context.Background(), func(files, b int64, n int) { calls++ })
	if err != nil {
		t.Fatal(err)
	}
	if calls == 0 || rep == nil || sc.Last != rep {
		t.Fatalf("progress calls %d, report %p (last %p)", calls, rep, sc.Last)
	}
	if len(rep.RootStats) != 1 || rep.RootStats[0].Path != dir || rep.RootStats[0].Files == 0 {
		t.Fatalf("root stats %+v", rep.RootStats)
	}
	keys := 0
	for _, f := range rep.Findings {
		if f.Provider == "sendgrid" && f.KeyID == secrets[0][3:25] {
			keys++
		}
	}
	if keys != 2 {
		t.Errorf("%d SendGrid findings with the key id, want 2", keys)
	}
	if got := sc.DefaultRoots(); len(got) != 1 || got[0] != dir {
		t.Errorf("default roots %v", got)
	}
	sc.SetRoots([]string{"/x"})
	if got := sc.DefaultRoots(); len(got) != 1 || got[0] != "/x" {
		t.Errorf("roots after SetRoots %v", got)
	}
}

func TestCancel(t *testing.T) {
	dir, _ := plant(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Scan(ctx, []string{dir}, Options{}); err == nil {
		t.Fatal("a cancelled scan returned no error")
	}
}

// Large files are streamed: a key across a chunk boundary is still found once.
func TestChunkBoundary(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	sg := "S" + "G." + rnd(r, anA, 22) + "." + rnd(r, anA, 43)
	for _, off := range []int{chunkSize - 40, chunkSize - overlap/2 - 10, chunkSize - overlap - 5, chunkSize + 3, 2*chunkSize - overlap - 30} {
		dir := t.TempDir()
		line := strings.Repeat("a", 99) + "\n"
		var b strings.Builder
		for b.Len() < off {
			b.WriteString(line)
		}
		pre := b.String()[:off]
		body := pre + "=" + sg + "\n" + strings.Repeat(line, 30000)
		p := filepath.Join(dir, "big.log")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := Scan(context.Background(), []string{dir}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		wantLine := strings.Count(pre, "\n") + 1
		if len(rep.Findings) != 1 || rep.Findings[0].Line != wantLine {
			t.Errorf("offset %d: findings %+v, want 1 on line %d", off, rep.Findings, wantLine)
		}
	}
}

// The recall test: a small generated corpus from ../shared/bench must give
// 100 % recall of planted provider credentials and no false positive.
func TestRecallGeneratedCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	e2e := os.Getenv("RECLAIM_E2E") == "1"
	missing := func(what string) {
		if e2e {
			t.Fatalf("RECLAIM_E2E=1 but %s", what)
		}
		t.Skip(what)
	}
	bench, _ := filepath.Abs("../../../shared/bench")
	if _, err := os.Stat(filepath.Join(bench, "gencorpus", "main.go")); err != nil {
		missing("../shared/bench/gencorpus is not available")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		missing("the go tool is not on PATH")
	}
	tmp := t.TempDir()
	corpus := filepath.Join(tmp, "corpus")
	cmd := exec.Command(goBin, "run", "./gencorpus", "-out", corpus, "-size-mb", "10", "-seed", "7")
	cmd.Dir = bench
	if out, err := cmd.CombinedOutput(); err != nil {
		missing("gencorpus failed: " + err.Error() + ": " + string(out))
	}
	rep, err := Scan(context.Background(), []string{corpus}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Secrets []struct{ File, Provider, Kind, Value, Where string }
		Decoys  []struct{ File, Kind, Value string }
	}
	b, err := os.ReadFile(corpus + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	inScope := map[string]bool{"sendgrid": true, "mailjet": true, "mailgun": true, "postmark": true, "brevo": true, "twilio": true, "mailchimp": true, "mandrill": true}
	planted := map[[2]string]bool{} // file, fingerprint: every planted secret of any kind
	for _, s := range m.Secrets {
		planted[[2]string{s.File, Fingerprint([]byte(s.Value))}] = true
	}
	found := map[[2]string]bool{}
	for _, f := range rep.Findings {
		rel, _ := filepath.Rel(corpus, f.File)
		k := [2]string{rel, f.Fingerprint}
		if !planted[k] {
			t.Errorf("false positive: %s:%d %s %s %s", rel, f.Line, f.Provider, f.Kind, f.Redacted)
		}
		found[k] = true
	}
	n := 0
	for _, s := range m.Secrets {
		if !inScope[s.Provider] {
			continue
		}
		n++
		if !found[[2]string{s.File, Fingerprint([]byte(s.Value))}] {
			t.Errorf("missed %s %s in %s (%s)", s.Provider, s.Kind, s.File, s.Where)
		}
	}
	if n == 0 {
		t.Fatal("the manifest lists no provider credentials")
	}
	t.Logf("%d/%d planted provider credentials, %d files, %d bytes", len(found), n, rep.Files, rep.Bytes)
}
