package leakscan

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// histKeys are the keys of the history tests, built at run time.
type histKeys struct {
	sg1, sg2, mg, mg2, mg3, pm, br, br2, sid, tok string
}

func newHistKeys(seed uint64) histKeys {
	r := rand.New(rand.NewPCG(seed, 16))
	uuid := func() string {
		return rnd(r, hexA, 8) + "-" + rnd(r, hexA, 4) + "-4" + rnd(r, hexA, 3) + "-a" + rnd(r, hexA, 3) + "-" + rnd(r, hexA, 12)
	}
	return histKeys{
		sg1: sgKey(r), sg2: sgKey(r),
		mg: "key-" + rnd(r, hexA, 32), mg2: "key-" + rnd(r, hexA, 32), mg3: "key-" + rnd(r, hexA, 32),
		pm:  uuid(),
		br:  "xkey" + "sib-" + rnd(r, hexA, 64) + "-" + rnd(r, anA, 16),
		br2: "xkey" + "sib-" + rnd(r, hexA, 64) + "-" + rnd(r, anA, 16),
		sid: "AC" + rnd(r, hexA, 32), tok: rnd(r, hexA, 32),
	}
}

// decoys every history repository holds (placeholders, the Mailgun
// documentation key, a Postmark MessageID): none may be reported.
func decoyFiles(r *rand.Rand) map[string]string {
	return map[string]string{
		".env.example":       "SENDGRID_API_KEY=SG.your_api_key_here\nMAILGUN_SECRET=key-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		"docs/mailgun.md":    "curl --user 'api:key-3ax6xnjp29jd6fds4gc373sgvjxteol0' https://api.mailgun.net/v3/samples.mailgun.org/log\n",
		"docs/postmark.json": `{"provider": "postmark", "MessageID": "` + rnd(r, hexA, 8) + "-" + rnd(r, hexA, 4) + "-4" + rnd(r, hexA, 3) + "-a" + rnd(r, hexA, 3) + "-" + rnd(r, hexA, 12) + `"}` + "\n",
	}
}

func withFiles(base map[string]string, add map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range add {
		out[k] = v
	}
	return out
}

// buildHistRepo writes, without git, a repository whose history holds each
// key in one place a history can hold it (see the table in
// TestGitHistorySynthetic); some blobs are packed, as full objects, offset
// deltas and ref deltas, the rest loose.
func buildHistRepo(t testing.TB, dir string, k histKeys) (ids map[string]string) {
	r := newTRepo(t, dir, "https://github.com/acme/shop.git")
	dec := decoyFiles(rand.New(rand.NewPCG(3, 4)))
	ids = map[string]string{}
	// config/mail.php in three versions, packed: full, offset delta (adds
	// a Mailgun key), ref delta (drops it, adds a Postmark token)
	m1 := "<?php\nreturn [\n    'driver' => 'smtp',\n    'host' => 'smtp.example.test',\n];\n"
	m2 := m1 + "$mg = Mailgun::create('" + k.mg + "');\n"
	m3 := m1 + "    'postmark' => ['token' => env('POSTMARK_TOKEN', '" + k.pm + "')],\n"
	m2id := objID("blob", []byte(m2))
	r.pack("mail", []pObj{
		{kind: objBlob, content: []byte(m1)},
		{kind: objBlob, content: []byte(m2), ofsBase: 1},
		{kind: objBlob, content: []byte(m3), refBase: m2id, delta: mkDelta([]byte(m2), []byte(m3))},
	})
	env1 := "APP_NAME=shop\nSENDGRID_API_KEY=" + k.sg1 + "\n"
	env2 := "APP_NAME=shop\n"
	c1 := r.commit(withFiles(dec, map[string]string{".env": env1, "config/mail.php": m1}), "Initial import")
	c2 := r.commit(withFiles(dec, map[string]string{".env": env2, "config/mail.php": m2}), "Mail config", c1)
	c3 := r.commit(withFiles(dec, map[string]string{".env": env2, "config/mail.php": m3}), "Rotate\n\nthe old brevo key was "+k.br2, c2)
	c4 := r.commit(withFiles(dec, map[string]string{".env": env2, "config/mail.php": m2, "deploy.sh": "BREVO_API_KEY=" + k.br + "\n"}), "Deploy script", c2)
	r.ref("refs/heads/main", c3)
	r.ref("refs/heads/feature", c4)
	// the stash: an index commit and a work-tree commit
	stashFiles := withFiles(dec, map[string]string{".env": env2 + "TWILIO_SID=" + k.sid + "\nTWILIO_AUTH_TOKEN=" + k.tok + "\n", "config/mail.php": m3})
	ci := r.commit(stashFiles, "index on main", c3)
	cs := r.commit(stashFiles, "On main: try twilio", c3, ci)
	r.ref("refs/stash", cs)
	r.write("logs/refs/stash", strings.Repeat("0", 40)+" "+hex.EncodeToString(cs)+" Ana <ana@example.test> 1600100000 +0000\tOn main: try twilio\n")
	// a commit only the reflog holds (committed, then reset --hard)
	cr := r.commit(withFiles(dec, map[string]string{".env": env2, "config/mail.php": m3, "config/queue.php": "<?php return ['mailgun_secret' => '" + k.mg2 + "'];\n"}), "WIP", c3)
	r.write("logs/HEAD", hex.EncodeToString(c3)+" "+hex.EncodeToString(cr)+" Ana <ana@example.test> 1600200000 +0000\tcommit: WIP\n"+
		hex.EncodeToString(cr)+" "+hex.EncodeToString(c3)+" Ana <ana@example.test> 1600200100 +0000\treset: moving to HEAD~1\n")
	// a commit nothing reaches, and a blob no commit holds
	cu := r.commit(withFiles(dec, map[string]string{".env.staging": "SENDGRID_API_KEY=" + k.sg2 + "\n"}), "staging", c3)
	d := r.loose("blob", []byte("MAILGUN_SECRET="+k.mg3+"\n"))
	for name, id := range map[string][]byte{"c1": c1, "c2": c2, "c3": c3, "c4": c4, "index": ci, "stash": cs, "reflog": cr, "unreachable": cu, "dangling": d} {
		ids[name] = hex.EncodeToString(id)
	}
	return ids
}

// Every key a history can hold is found once, with the commit that added
// it, its path, the ref that reaches it and whether HEAD holds it; the
// decoys are not reported; no output holds a key.
func TestGitHistorySynthetic(t *testing.T) {
	dir := t.TempDir()
	k := newHistKeys(1)
	ids := buildHistRepo(t, dir, k)
	rep := guardedScan(t, nil, Options{GitRepos: []string{dir}})
	type want struct {
		path, commit, ref string
		inHead            bool
	}
	wants := map[string]want{
		k.sg1: {".env", ids["c1"], "refs/heads/main", false},
		k.mg:  {"config/mail.php", ids["c2"], "refs/heads/main", false},
		k.pm:  {"config/mail.php", ids["c3"], "refs/heads/main", true},
		k.br2: {"(commit message)", ids["c3"], "refs/heads/main", false},
		k.br:  {"deploy.sh", ids["c4"], "refs/heads/feature", false},
		k.sid: {".env", ids["index"], "stash", false},
		k.tok: {".env", ids["index"], "stash", false},
		k.mg2: {"config/queue.php", ids["reflog"], "reflog", false},
		k.sg2: {".env.staging", ids["unreachable"], "unreachable", false},
		k.mg3: {"", "", "unreachable", false},
	}
	byFP := map[string]string{}
	for s := range wants {
		byFP[Fingerprint([]byte(s))] = s
	}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		s, ok := byFP[f.Fingerprint]
		if !ok {
			t.Errorf("unexpected finding (a decoy?): %s %s at %s", f.Provider, f.Kind, Where(f))
			continue
		}
		if got[s] {
			t.Errorf("%s reported twice: %s", Redact([]byte(s)), Where(f))
		}
		got[s] = true
		w := wants[s]
		if f.Path != w.path || f.Commit != w.commit || f.Ref != w.ref || f.InHead == nil || *f.InHead != w.inHead || f.File != dir || !f.Public {
			inHead := "nil"
			if f.InHead != nil {
				inHead = map[bool]string{true: "true", false: "false"}[*f.InHead]
			}
			t.Errorf("%s %s: path %q commit %.12s ref %q in HEAD %s public %v file %q; want %+v", f.Provider, f.Kind, f.Path, f.Commit, f.Ref, inHead, f.Public, f.File, w)
		}
		if w.commit != "" && (f.AuthorDate.IsZero() || f.AuthorDate.Year() != 2020) {
			t.Errorf("%s: author date %v", f.Kind, f.AuthorDate)
		}
		if w.commit != "" {
			if _, off := f.AuthorDate.Zone(); off != 2*3600 {
				t.Errorf("%s: author date zone %d, want +0200", f.Kind, off)
			}
		}
		if w.path == "" && f.Blob != ids["dangling"] {
			t.Errorf("dangling blob finding names blob %q, want %s", f.Blob, ids["dangling"])
		}
	}
	for s := range wants {
		if !got[s] {
			t.Errorf("missed %s (%+v)", Redact([]byte(s)), wants[s])
		}
	}
	if len(rep.Repos) != 1 || rep.Repos[0].Public != "GitHub" || rep.Repos[0].Unreachable != 1 || rep.Incomplete {
		t.Errorf("repo stats %+v, incomplete %v %q", rep.Repos, rep.Incomplete, rep.IncompleteWhy)
	}
	if len(rep.RootStats) != 1 || rep.RootStats[0].Error != "" || rep.RootStats[0].Files == 0 {
		t.Errorf("root stats %+v", rep.RootStats)
	}
	outs := outputs(t, rep)
	for name, out := range outs {
		for s := range wants {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s output holds the key %s", name, Redact([]byte(s)))
			}
		}
		checkClean(t, name, out)
	}
	text := string(outs["text"])
	for _, s := range []string{dir + "@" + ids["c1"][:12] + ":.env:2", "refs/heads/feature", "no longer in HEAD", "still in HEAD", "[PUBLIC remote]", "Rewriting the history does not un-leak it", "1 unreachable commit"} {
		if !strings.Contains(text, s) {
			t.Errorf("text output lacks %q:\n%s", s, text)
		}
	}
}

// The JSON carries the history locations; SARIF results carry them as
// properties, with a location fingerprint that does not change from one
// run to the next.
func TestGitHistoryJSONAndSARIF(t *testing.T) {
	dir := t.TempDir()
	k := newHistKeys(2)
	ids := buildHistRepo(t, dir, k)
	var sarifs [][]byte
	for range 2 {
		rep := guardedScan(t, nil, Options{GitRepos: []string{dir}})
		outs := outputs(t, rep)
		sarifs = append(sarifs, outs["sarif"])
		var js struct {
			Findings []map[string]any `json:"findings"`
			Repos    []map[string]any `json:"repos"`
		}
		if err := json.Unmarshal(outs["json"], &js); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range js.Findings {
			if f["fingerprint"] == Fingerprint([]byte(k.sg1)) {
				found = true
				if f["commit"] != ids["c1"] || f["path"] != ".env" || f["ref"] != "refs/heads/main" || f["in_head"] != false || f["public"] != true || f["author_date"] == nil || f["blob"] == nil {
					t.Errorf("JSON finding %v", f)
				}
			}
		}
		if !found || len(js.Repos) != 1 || js.Repos[0]["public"] != "GitHub" {
			t.Errorf("JSON: found %v, repos %v", found, js.Repos)
		}
	}
	type result struct {
		PartialFingerprints map[string]string `json:"partialFingerprints"`
		Properties          map[string]any    `json:"properties"`
		Locations           []struct {
			PhysicalLocation struct {
				ArtifactLocation struct{ URI string } `json:"artifactLocation"`
				Region           *struct{ StartLine int }
			} `json:"physicalLocation"`
		} `json:"locations"`
	}
	var runs [2][]result
	for i, b := range sarifs {
		var doc struct {
			Runs []struct {
				Results []result `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		runs[i] = doc.Runs[0].Results
	}
	if len(runs[0]) != len(runs[1]) || len(runs[0]) < 10 {
		t.Fatalf("SARIF results: %d and %d", len(runs[0]), len(runs[1]))
	}
	for i, r := range runs[0] {
		if !slices.Equal(mapKeys(r.PartialFingerprints), []string{"location/v1", "secretSha256/v1"}) || r.PartialFingerprints["location/v1"] != runs[1][i].PartialFingerprints["location/v1"] {
			t.Errorf("result %d fingerprints %v / %v", i, r.PartialFingerprints, runs[1][i].PartialFingerprints)
		}
		if r.Properties["ref"] == nil || r.Properties["severity"] != "critical" {
			t.Errorf("result %d properties %v", i, r.Properties)
		}
		if r.Locations[0].PhysicalLocation.Region != nil {
			t.Errorf("result %d: a history finding has a region in the file on disk", i)
		}
		if p, _ := r.Properties["path"].(string); p == ".env" && r.Locations[0].PhysicalLocation.ArtifactLocation.URI != fileURI(filepath.Join(dir, ".env")) {
			t.Errorf("result %d: uri %q", i, r.Locations[0].PhysicalLocation.ArtifactLocation.URI)
		}
	}
}

// A repository named by a relative path: its findings name it by its
// absolute path, like the walk's, so that SARIF locations are file URIs
// and re-runs from another folder deduplicate.
func TestGitRelativeRepoPath(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "repo")
	buildHistRepo(t, dir, newHistKeys(5))
	abs := guardedScan(t, nil, Options{GitRepos: []string{dir}})
	t.Chdir(parent)
	rel := guardedScan(t, nil, Options{GitRepos: []string{"repo"}})
	if len(rel.Findings) == 0 || len(rel.Findings) != len(abs.Findings) {
		t.Fatalf("findings: %d relative, %d absolute", len(rel.Findings), len(abs.Findings))
	}
	for i, f := range rel.Findings {
		if f.File != dir {
			t.Errorf("finding %d names the repository %q, want %q", i, f.File, dir)
		}
		if a, b := locationHash(f), locationHash(abs.Findings[i]); a != b {
			t.Errorf("finding %d: location fingerprint %s from the parent, %s by absolute path", i, a, b)
		}
		if uri, _, _ := sarifWhere(f); !strings.HasPrefix(uri, "file:///") {
			t.Errorf("finding %d: SARIF uri %q", i, uri)
		}
	}
	// the repository is still named as given in its summary
	if rel.RootStats[0].Path != "repo" || rel.Repos[0].Path != "repo" {
		t.Errorf("root %q, repo %q", rel.RootStats[0].Path, rel.Repos[0].Path)
	}
}

func mapKeys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// A repository built by git itself, packed by gc (with deltas), plus a
// stash, a reset commit and an unreachable one left loose; then the same
// in a SHA-256 repository.
func TestGitHistoryRealGit(t *testing.T) {
	gitBin(t)
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			k := newHistKeys(3)
			g := func(stdin string, args ...string) string { return runGit(t, dir, stdin, args...) }
			g("", "init", "-q", "-b", "main", "--object-format="+format)
			g("", "remote", "add", "origin", "git@gitlab.com:acme/shop.git")
			env := "APP_NAME=shop\n"
			body := strings.Repeat("// a line of code that stays the same from one version to the next\n", 40)
			for i := range 30 {
				e := env
				switch {
				case i >= 3 && i < 9:
					e += "SENDGRID_API_KEY=" + k.sg1 + "\n"
				case i >= 20:
					e += "MAILGUN_SECRET=" + k.mg + "\n"
				}
				writeFile(t, filepath.Join(dir, ".env"), []byte(e))
				writeFile(t, filepath.Join(dir, "app.php"), []byte(body+"// version "+string(rune('a'+i%26))+"\n"))
				g("", "add", "-A")
				g("", "commit", "-q", "-m", "change")
			}
			g("", "checkout", "-q", "-b", "feature")
			writeFile(t, filepath.Join(dir, "deploy.sh"), []byte("BREVO_API_KEY="+k.br+"\n"))
			g("", "add", "deploy.sh")
			g("", "commit", "-q", "-m", "deploy")
			g("", "checkout", "-q", "main")
			g("", "gc", "-q")
			writeFile(t, filepath.Join(dir, "config.php"), []byte("<?php return ['mailgun_secret' => '"+k.mg2+"'];\n"))
			g("", "add", "config.php")
			g("", "commit", "-q", "-m", "wip")
			g("", "reset", "-q", "--hard", "HEAD~1")
			writeFile(t, filepath.Join(dir, ".env"), []byte(env+"MAILGUN_SECRET="+k.mg+"\nTWILIO_SID="+k.sid+"\nTWILIO_AUTH_TOKEN="+k.tok+"\n"))
			g("", "stash", "-q")
			blob := g("SENDGRID_API_KEY="+k.sg2+"\n", "hash-object", "-w", "--stdin")
			tree := g("100644 blob "+blob+"\t.env.staging\n", "mktree")
			g("staging\n", "commit-tree", tree)
			rep := guardedScan(t, nil, Options{GitRepos: []string{dir}})
			want := map[string]string{k.sg1: "refs/heads/main", k.mg: "refs/heads/main", k.br: "refs/heads/feature", k.mg2: "reflog", k.sid: "stash", k.tok: "stash", k.sg2: "unreachable"}
			got := map[string]string{}
			for _, f := range rep.Findings {
				for s := range want {
					if f.Fingerprint == Fingerprint([]byte(s)) {
						got[s] = f.Ref
						if s == k.mg && (f.InHead == nil || !*f.InHead) {
							t.Errorf("the key in HEAD is not said to be: %+v", f)
						}
						if s == k.sg1 && (f.InHead == nil || *f.InHead || f.Path != ".env") {
							t.Errorf("the removed key: %+v", f)
						}
					}
				}
			}
			for s, ref := range want {
				if got[s] != ref {
					t.Errorf("%s: ref %q, want %q", Redact([]byte(s)), got[s], ref)
				}
			}
			if len(rep.Findings) != len(want) {
				for _, f := range rep.Findings {
					t.Logf("finding %s %s %s", f.Provider, f.Kind, Where(f))
				}
				t.Errorf("%d findings, want %d", len(rep.Findings), len(want))
			}
			if rep.Incomplete || len(rep.Repos) != 1 || rep.Repos[0].Public != "GitLab" || rep.Repos[0].Packs == 0 || rep.Repos[0].Loose == 0 {
				t.Errorf("incomplete %v %q, repos %+v", rep.Incomplete, rep.IncompleteWhy, rep.Repos)
			}
		})
	}
}

// With History, repositories under a root are found and their histories
// scanned: a work tree's .git and a bare repository.
func TestHistoryUnderRoots(t *testing.T) {
	root := t.TempDir()
	k := newHistKeys(4)
	buildHistRepo(t, filepath.Join(root, "var/www/shop"), k)
	// a bare repository: the git folder itself
	bare := filepath.Join(root, "srv/git/site.git")
	r := newTRepo(t, filepath.Join(root, "tmp-bare"), "")
	c := r.commit(map[string]string{".env": "MAILGUN_SECRET=" + k.mg3 + "\n"}, "init")
	r.ref("refs/heads/main", c)
	if err := os.MkdirAll(filepath.Dir(bare), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(r.git, bare); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(root, "tmp-bare"))
	// a folder named like a bare repository that is not one
	writeFile(t, filepath.Join(root, "srv/notes.git/readme.txt"), []byte("no repository here\n"))

	rep := guardedScan(t, []string{root}, Options{History: true})
	if len(rep.Repos) != 2 {
		t.Fatalf("repos %+v", rep.Repos)
	}
	var inHist, inBare bool
	for _, f := range rep.Findings {
		if f.Fingerprint == Fingerprint([]byte(k.sg1)) && f.Commit != "" && strings.HasSuffix(f.File, "var/www/shop") {
			inHist = true
		}
		if f.Fingerprint == Fingerprint([]byte(k.mg3)) && f.File == bare && f.Path == ".env" && f.Ref == "refs/heads/main" {
			inBare = true
		}
	}
	if !inHist || !inBare {
		t.Errorf("history findings: work tree %v, bare %v", inHist, inBare)
	}
	// without History, no repository is read
	rep = guardedScan(t, []string{root}, Options{})
	if len(rep.Repos) != 0 {
		t.Errorf("repos scanned without History: %+v", rep.Repos)
	}
	for _, f := range rep.Findings {
		if f.InHistory() {
			t.Errorf("history finding without History: %s", Where(f))
		}
	}
	// but the report says which repository's history was left unread,
	// and how to read it
	if want := filepath.Join(root, "var/www/shop"); !slices.Contains(rep.HistoryNotRead, want) {
		t.Errorf("history not read %q, want %q in it", rep.HistoryNotRead, want)
	}
	var text bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "--history") || !strings.Contains(text.String(), "var/www/shop") {
		t.Errorf("the text report does not say the history was not read:\n%s", text.String())
	}
	// nor with --git on another repository (only that one is read), and
	// a repository named with --git is not listed as unread
	shop := filepath.Join(root, "var/www/shop")
	rep = guardedScan(t, []string{root}, Options{GitRepos: []string{shop}})
	if len(rep.Repos) != 1 || slices.Contains(rep.HistoryNotRead, shop) {
		t.Errorf("--git shop: repos %d, not read %q", len(rep.Repos), rep.HistoryNotRead)
	}
}

// --git on something that is no repository is a root not read.
func TestGitNotARepo(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.txt"), []byte("hello\n"))
	rep := guardedScan(t, nil, Options{GitRepos: []string{dir, filepath.Join(dir, "missing")}})
	if err := rep.RootsError(); err == nil || !strings.Contains(err.Error(), "not a git repository") || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("roots error %v", err)
	}
	if why := rep.IncompleteReasons(); len(why) == 0 {
		t.Error("an unread repository leaves the result complete")
	}
}

// A cancelled scan returns at once, marked partial.
func TestGitHistoryCancelled(t *testing.T) {
	dir := t.TempDir()
	buildHistRepo(t, dir, newHistKeys(5))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	rep, err := Scan(ctx, nil, Options{GitRepos: []string{dir}})
	if err == nil || rep == nil || !rep.Partial {
		t.Fatalf("cancelled scan: err %v, report %v", err, rep)
	}
	if d := time.Since(start); d > hangGuard {
		t.Fatalf("took %s", d)
	}
}

// Credentials in .git/config remote URLs are found by the walk (and by
// --git, which reads the repository's config); URLs without one, ssh
// users, placeholders and variables are not.
func TestGitConfigCredentials(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	gh := "gh" + "p_" + rnd(r, anA, 36)
	gl := "glp" + "at-" + rnd(r, anA+"_-", 20)
	pw := rnd(r, anA, 18)
	tok := rnd(r, anA, 40)
	basic := rnd(r, anA, 48)
	dir := t.TempDir()
	cfg := strings.Join([]string{
		"[core]", "\tbare = false",
		`[remote "origin"]`, "\turl = https://" + gh + "@github.com/acme/site.git",
		`[remote "mirror"]`, "\turl = https://deploy-bot:" + gl + "@gitlab.example.com/acme/site.git",
		"\tpushurl = https://webmaster:" + pw + "@bitbucket.org/acme/site.git",
		`[submodule "lib"]`, "\turl = https://x-access-token:" + tok + "@github.com/acme/lib.git",
		`[http "https://github.com/"]`, "\textraheader = AUTHORIZATION: basic " + basic,
		// decoys
		`[remote "ssh"]`, "\turl = git@github.com:acme/site.git",
		`[remote "plain"]`, "\turl = https://github.com/acme/site.git",
		`[remote "user"]`, "\turl = https://alice@example.com/acme/site.git",
		`[remote "oauth"]`, "\turl = https://oauth2:${CI_JOB_TOKEN}@gitlab.com/acme/site.git",
		`[remote "ph"]`, "\turl = https://user:your_password_here@example.com/x.git",
		`[remote "ssh2"]`, "\turl = ssh://git@gitlab.com:22/acme/site.git",
	}, "\n") + "\n"
	writeFile(t, filepath.Join(dir, "site/.git/config"), []byte(cfg))
	writeFile(t, filepath.Join(dir, "site/notes/config"), []byte(cfg)) // not a git config: only the detectors read it
	rep := guardedScan(t, []string{dir}, Options{})
	want := map[string]string{gh: "github_pat_in_remote_url", gl: "gitlab_pat_in_remote_url", pw: "password_in_remote_url", tok: "password_in_remote_url", basic: "token_in_http_extraheader"}
	got := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Provider != "git" {
			continue
		}
		if !strings.HasSuffix(f.File, filepath.Join("site", ".git", "config")) {
			t.Errorf("git credential in %s", f.File)
		}
		matched := false
		for s, kind := range want {
			if f.Fingerprint == Fingerprint([]byte(s)) {
				matched, got[s] = true, true
				if f.Kind != kind || f.Line == 0 {
					t.Errorf("%s: kind %q line %d, want %q", Redact([]byte(s)), f.Kind, f.Line, kind)
				}
			}
		}
		if !matched {
			t.Errorf("unexpected git finding %s %s (a decoy?)", f.Kind, f.Redacted)
		}
	}
	for s := range want {
		if !got[s] {
			t.Errorf("missed %s (%s)", Redact([]byte(s)), want[s])
		}
	}
	for name, out := range outputs(t, rep) {
		for s := range want {
			if bytes.Contains(out, []byte(s)) {
				t.Errorf("%s output holds %s", name, Redact([]byte(s)))
			}
		}
	}
	// --git reads the config of the repository it is given
	r2 := newTRepo(t, filepath.Join(dir, "other"), "https://"+gh+"@github.com/acme/other.git")
	r2.ref("refs/heads/main", r2.commit(map[string]string{"a.txt": "hello\n"}, "init"))
	rep = guardedScan(t, nil, Options{GitRepos: []string{r2.dir}})
	if len(rep.Findings) != 1 || rep.Findings[0].Fingerprint != Fingerprint([]byte(gh)) || rep.Repos[0].Origin != "https://github.com/acme/other.git" {
		t.Errorf("--git config: findings %+v, origin %q", rep.Findings, rep.Repos[0].Origin)
	}
}

// The summary of a repository counts in words that agree with the counts.
func TestRepoSummaryPlurals(t *testing.T) {
	one := RepoStat{Path: "/r", Commits: 1, Blobs: 1, Bytes: 10, Refs: 1}.Summary()
	if !strings.Contains(one, "1 commit, 1 blob (") || !strings.Contains(one, "1 ref or reflog entry") {
		t.Errorf("summary %q", one)
	}
	two := RepoStat{Path: "/r", Commits: 2, Blobs: 2, Bytes: 10, Refs: 2}.Summary()
	if !strings.Contains(two, "2 commits, 2 blobs (") || !strings.Contains(two, "2 refs and reflog entries") {
		t.Errorf("summary %q", two)
	}
}
