// Command genhistory writes a deterministic git repository with a long
// history for the git-history leak scan benchmark (bench/githistory.sh),
// and a ground-truth manifest of the credentials planted in it; `genhistory
// score` scores a tool's output against that manifest.
//
//	go run ./bench/genhistory -out /tmp/hist -commits 10000 -seed 1
//	go run ./bench/genhistory score -truth /tmp/hist.truth.json -format reclaim -in out.json
//
// The repository is a PHP/JS web app: a few hundred files in a few dozen
// folders, each commit editing one to three of them, topic branches merged
// back, tags, a lock file and a front-end bundle rewritten now and then.
// Credentials of every email provider the scanner knows are added across the
// history and most are removed later (a key in HEAD, keys in deleted files,
// a rotated key), and besides:
//
//   - two on an unmerged branch (feature/sms-notifications);
//   - one in a stash (staged, then `git stash`);
//   - one only in a commit no ref or reflog reaches (git commit-tree);
//   - one only in a commit that `git reset --hard` dropped (reflog only).
//
// Decoys are committed too and stay: placeholders (SG.your_api_key_here,
// key-xxxx…), the Mailgun documentation key, Postmark MessageIDs and UUIDs,
// commit ids and hashes. Every value is random from the seed; the same flags
// give the same history, commit ids and manifest (git 2.39 here).
//
// The manifest goes to DIR.truth.json (outside the repository). It lists each
// planted secret with its provider, kind, value and where it lives; score
// compares by value (reclaim's JSON carries fingerprints, sha256 of the value).
// Standard library only.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

const (
	hexLower = "0123456789abcdef"
	alnum    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	urlsafe  = alnum + "_-"
)

// Secret is one planted credential.
type Secret struct {
	Provider string `json:"provider"`
	Kind     string `json:"kind"`
	Value    string `json:"value"`
	Where    string `json:"where"` // removed, in-head, deleted-file, rotated, unmerged-branch, stash, unreachable, reflog-only
	Path     string `json:"path"`
	Commit   int    `json:"commit,omitempty"` // index of the commit that added it (0: not on main)
}

// Decoy is a value that looks like a credential and is not one.
type Decoy struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
	Path  string `json:"path"`
}

// Manifest is the ground truth.
type Manifest struct {
	Generator string   `json:"generator"`
	Seed      uint64   `json:"seed"`
	Commits   int      `json:"commits"`
	Repo      string   `json:"repo"`
	Secrets   []Secret `json:"secrets"`
	Decoys    []Decoy  `json:"decoys"`
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "score" {
		score(os.Args[2:])
		return
	}
	out := flag.String("out", "", "repository to write (must not exist, or -clean)")
	commits := flag.Int("commits", 10000, "commits on main")
	seed := flag.Uint64("seed", 1, "random seed")
	clean := flag.Bool("clean", false, "delete -out first")
	flag.Parse()
	if *out == "" || *commits < 200 {
		fmt.Fprintln(os.Stderr, "usage: genhistory -out DIR [-commits N (>= 200)] [-seed S] [-clean]")
		os.Exit(2)
	}
	if *clean {
		check(os.RemoveAll(*out))
	}
	if _, err := os.Stat(*out); err == nil {
		fail("%s exists (use -clean)", *out)
	}
	start := time.Now()
	g := newGen(*seed, *out, *commits)
	g.run()
	m := Manifest{Generator: "genhistory/1", Seed: *seed, Commits: *commits, Repo: filepath.Base(*out), Secrets: g.secrets, Decoys: g.decoys}
	b, err := json.MarshalIndent(m, "", "  ")
	check(err)
	check(os.WriteFile(strings.TrimSuffix(*out, "/")+".truth.json", append(b, '\n'), 0o644))
	var size int64
	filepath.Walk(filepath.Join(*out, ".git", "objects"), func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	fmt.Fprintf(os.Stderr, "genhistory: %s: %d commits on main, %d secrets, %d decoys, objects %.1f MB, %s\n",
		*out, *commits, len(g.secrets), len(g.decoys), float64(size)/1e6, time.Since(start).Round(time.Millisecond))
}

func check(err error) {
	if err != nil {
		fail("%v", err)
	}
}

func fail(f string, a ...any) {
	fmt.Fprintf(os.Stderr, "genhistory: "+f+"\n", a...)
	os.Exit(1)
}

type gen struct {
	r       *rand.Rand
	dir     string
	commits int
	files   map[string][]string // path -> lines, the tip of main
	paths   []string            // sorted keys of files (kept in sync)
	secrets []Secret
	decoys  []Decoy
	w       *bufio.Writer
	mark    int
	when    int64
	words   []string
	frozen  map[string]bool // files the plants own: ordinary commits leave them alone
}

func newGen(seed uint64, dir string, commits int) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), dir: dir, commits: commits, files: map[string][]string{}, when: 1546300800, frozen: map[string]bool{"config/sendgrid.php": true}}
	g.words = strings.Fields(`user order invoice payment mail queue report account customer product cart
		session cookie cache config route event listener notify template render view model repo service
		handler request response client server status error retry batch import export sync update delete
		create list find filter sort page limit offset count total amount price tax discount coupon ship
		address email phone name title body subject sender recipient attachment file upload image thumb`)
	return g
}

func (g *gen) str(alpha string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alpha[g.r.IntN(len(alpha))]
	}
	return string(b)
}
func (g *gen) hex(n int) string        { return g.str(hexLower, n) }
func (g *gen) word() string            { return g.words[g.r.IntN(len(g.words))] }
func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }
func (g *gen) uuid() string {
	return g.hex(8) + "-" + g.hex(4) + "-4" + g.hex(3) + "-" + g.pick([]string{"8", "9", "a", "b"}) + g.hex(3) + "-" + g.hex(12)
}

// code is one line of made-up source for a file of this extension.
func (g *gen) code(ext string) string {
	a, b, c := g.word(), g.word(), g.word()
	switch ext {
	case ".php":
		switch g.r.IntN(5) {
		case 0:
			return fmt.Sprintf("        $%s = $this->%s->%s($%s, %d);", a, b, c, a, g.r.IntN(1000))
		case 1:
			return fmt.Sprintf("    public function %s%s(%s $%s): ?%s", a, title(b), title(c), c, title(a))
		case 2:
			return fmt.Sprintf("        if ($%s->%s() > %d) { return $this->%s; }", a, b, g.r.IntN(500), c)
		case 3:
			return fmt.Sprintf("        // %s the %s before the %s is %s", a, b, c, g.word())
		}
		return fmt.Sprintf("        '%s_%s' => env('%s_%s', '%s'),", a, b, strings.ToUpper(a), strings.ToUpper(b), c)
	case ".js":
		switch g.r.IntN(4) {
		case 0:
			return fmt.Sprintf("  const %s = await %s.%s(%s, { %s: %d });", a, b, c, a, g.word(), g.r.IntN(100))
		case 1:
			return fmt.Sprintf("  export function %s%s(%s) { return %s.map((x) => x.%s); }", a, title(b), c, c, a)
		case 2:
			return fmt.Sprintf("  // %s %s %s", a, b, c)
		}
		return fmt.Sprintf("  if (%s.%s !== %d) %s.%s();", a, b, g.r.IntN(50), c, g.word())
	case ".css":
		return fmt.Sprintf(".%s-%s { margin: %dpx %dpx; color: #%s; }", a, b, g.r.IntN(40), g.r.IntN(40), g.hex(6))
	case ".md":
		return fmt.Sprintf("The %s %s sends the %s to the %s %s when the %s is %s.", a, b, c, g.word(), g.word(), g.word(), g.word())
	case ".yml":
		return fmt.Sprintf("  %s_%s: %s", a, b, c)
	}
	return fmt.Sprintf("%s %s %s %d", a, b, c, g.r.IntN(10000))
}

func (g *gen) setFile(p string, lines []string) {
	if _, ok := g.files[p]; !ok {
		g.paths = append(g.paths, p)
		sort.Strings(g.paths)
	}
	g.files[p] = lines
}

func (g *gen) delFile(p string) {
	delete(g.files, p)
	i := sort.SearchStrings(g.paths, p)
	if i < len(g.paths) && g.paths[i] == p {
		g.paths = append(g.paths[:i], g.paths[i+1:]...)
	}
}

// newFile makes a file of about n lines.
func (g *gen) newFile(p string, n int) []string {
	ext := filepath.Ext(p)
	lines := make([]string, 0, n)
	for range n {
		lines = append(lines, g.code(ext))
	}
	return lines
}

// bundle is a built (not minified) front-end bundle, rewritten whole.
func (g *gen) bundle(kb int) []string {
	var lines []string
	for size := 0; size < kb<<10; {
		var b strings.Builder
		for b.Len() < 100 {
			fmt.Fprintf(&b, "function %s%s(%s){return %s.%s(%d)};", g.word(), g.hex(4), g.word(), g.word(), g.word(), g.r.IntN(999))
		}
		lines = append(lines, b.String())
		size += b.Len() + 1
	}
	return lines
}

// lockFile is a composer.lock-like file: package entries with hashes.
func (g *gen) lockFile(n int) []string {
	lines := []string{"{", `    "packages": [`}
	for i := range n {
		lines = append(lines, fmt.Sprintf(`        {"name": "%s/%s-%d", "version": "v%d.%d.%d", "dist": {"shasum": "%s", "reference": "%s"}},`,
			g.word(), g.word(), i, g.r.IntN(9), g.r.IntN(20), g.r.IntN(30), g.hex(40), g.hex(40)))
	}
	return append(lines, "    ]", "}")
}

func (g *gen) initialTree() {
	dirs := []struct {
		dir string
		ext string
		n   int
	}{
		{"app/Http/Controllers", ".php", 24}, {"app/Models", ".php", 18}, {"app/Services", ".php", 14}, {"app/Jobs", ".php", 10},
		{"app/Mail", ".php", 8}, {"app/Listeners", ".php", 8}, {"config", ".php", 16}, {"database/migrations", ".php", 30},
		{"routes", ".php", 4}, {"tests/Feature", ".php", 20}, {"tests/Unit", ".php", 16}, {"resources/js", ".js", 20},
		{"resources/js/components", ".js", 24}, {"resources/css", ".css", 8}, {"docs", ".md", 12}, {"deploy", ".yml", 6},
		{"resources/views/emails", ".php", 12}, {"lib/legacy", ".php", 10},
	}
	for _, d := range dirs {
		for i := range d.n {
			p := fmt.Sprintf("%s/%s%s%d%s", d.dir, g.word(), title(g.word()), i, d.ext)
			g.setFile(p, g.newFile(p, 40+g.r.IntN(220)))
		}
	}
	g.setFile("README.md", g.newFile("README.md", 80))
	g.setFile("composer.lock", g.lockFile(400))
	g.setFile("public/js/app.js", g.bundle(160))
	env := []string{"APP_NAME=shop", "APP_ENV=production", "APP_DEBUG=false", "DB_HOST=127.0.0.1", "DB_DATABASE=shop", "MAIL_MAILER=smtp", "QUEUE_CONNECTION=redis"}
	g.setFile(".env", env)
	ex := append([]string(nil), env...)
	ex = append(ex, "SENDGRID_API_KEY=SG.your_api_key_here", "MAILGUN_SECRET=key-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "POSTMARK_TOKEN=00000000-0000-0000-0000-000000000000", "TWILIO_SID=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX")
	g.setFile(".env.example", ex)
	g.decoys = append(g.decoys, Decoy{"placeholder", "SG.your_api_key_here", ".env.example"}, Decoy{"placeholder", "key-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", ".env.example"},
		Decoy{"placeholder", "00000000-0000-0000-0000-000000000000", ".env.example"}, Decoy{"placeholder", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", ".env.example"})
	doc := g.newFile("docs/mailgun.md", 30)
	doc = append(doc, "Example from the Mailgun docs: `curl -s --user 'api:key-3ax6xnjp29jd6fds4gc373sgvjxteol0' https://api.mailgun.net/v3/samples.mailgun.org/log`")
	g.setFile("docs/mailgun.md", doc)
	g.decoys = append(g.decoys, Decoy{"doc-example", "key-3ax6xnjp29jd6fds4gc373sgvjxteol0", "docs/mailgun.md"})
	var fx []string
	for range 20 {
		id := g.uuid()
		fx = append(fx, fmt.Sprintf(`{"provider": "postmark", "MessageID": "%s", "SubmittedAt": "2019-03-01T10:00:00Z", "ErrorCode": 0}`, id))
		g.decoys = append(g.decoys, Decoy{"postmark-message-id", id, "tests/fixtures/postmark.json"})
	}
	g.setFile("tests/fixtures/postmark.json", fx)
	var nt []string
	for range 10 {
		u, md5, sha := g.uuid(), g.hex(32), g.hex(64)
		nt = append(nt, "request id "+u+" md5 "+md5+" sha256 "+sha)
		g.decoys = append(g.decoys, Decoy{"uuid", u, "docs/notes.txt"}, Decoy{"md5", md5, "docs/notes.txt"}, Decoy{"sha256", sha, "docs/notes.txt"})
	}
	g.setFile("docs/notes.txt", nt)
}

func (g *gen) sendgrid() string { return "S" + "G." + g.str(urlsafe, 22) + "." + g.str(urlsafe, 43) }

// plant is a credential event on main: at commit add, lines go into path;
// at commit remove (0: never) they are taken out again, or the file deleted.
type plant struct {
	add, remove int
	path        string
	lines       []string
	deleteFile  bool
	secrets     []Secret
}

func (g *gen) plants() []plant {
	n := g.commits
	at := func(f float64) int { return max(2, int(f*float64(n))) }
	s := func(prov, kind, v string) Secret { return Secret{Provider: prov, Kind: kind, Value: v} }
	var ps []plant
	add := func(a, r float64, path string, deleteFile bool, lines []string, ss ...Secret) {
		rm := 0
		if r > 0 {
			rm = at(r)
		}
		ps = append(ps, plant{add: at(a), remove: rm, path: path, lines: lines, deleteFile: deleteFile, secrets: ss})
	}
	sg1 := g.sendgrid()
	add(0.012, 0.04, ".env", false, []string{"SENDGRID_API_KEY=" + sg1}, s("sendgrid", "api_key", sg1))
	mg1 := "key-" + g.hex(32)
	add(0.05, 0.21, "config/services.php", false, []string{"    'mailgun' => ['domain' => 'mg.shop.test', 'secret' => '" + mg1 + "'],"}, s("mailgun", "api_key", mg1))
	mg2 := g.hex(32) + "-" + g.hex(8) + "-" + g.hex(8)
	add(0.08, 0.33, ".env", false, []string{"MAILGUN_SECRET=" + mg2}, s("mailgun", "api_key", mg2))
	br1 := "xkey" + "sib-" + g.hex(64) + "-" + g.str(alnum, 16)
	add(0.11, 0.15, "config/mail.php", false, []string{"        'brevo_key' => '" + br1 + "',"}, s("brevo", "api_key", br1))
	br2 := "xsmtp" + "sib-" + g.hex(64) + "-" + g.str(alnum, 16)
	add(0.14, 0.52, ".env", false, []string{"MAIL_PASSWORD=" + br2}, s("brevo", "smtp_key", br2))
	pm := g.uuid()
	add(0.17, 0.41, ".env", false, []string{"POSTMARK_TOKEN=" + pm}, s("postmark", "server_token", pm))
	mjk, mjs := g.hex(32), g.hex(32)
	add(0.2, 0.6, ".env", false, []string{"MAILJET_APIKEY=" + mjk, "MAILJET_APISECRET=" + mjs}, s("mailjet", "api_key", mjk), s("mailjet", "secret_key", mjs))
	sid, tok := "AC"+g.hex(32), g.hex(32)
	add(0.23, 0.7, ".env", false, []string{"TWILIO_SID=" + sid, "TWILIO_AUTH_TOKEN=" + tok}, s("twilio", "account_sid", sid), s("twilio", "auth_token", tok))
	sk, sks := "SK"+g.hex(32), g.str(alnum, 32)
	add(0.27, 0.3, "config/twilio.php", false, []string{"<?php", "return ['twilio' => [", "    'api_key' => '" + sk + "',", "    'api_secret' => '" + sks + "',", "]];"}, s("twilio", "api_key_sid", sk), s("twilio", "api_key_secret", sks))
	mc := g.hex(32) + fmt.Sprintf("-us%d", 1+g.r.IntN(21))
	add(0.31, 0.36, "deploy/newsletter.sh", true, []string{"#!/bin/sh", "MAILCHIMP_API_KEY=" + mc, "curl -s https://us6.api.mailchimp.com/3.0/lists --user \"any:$MAILCHIMP_API_KEY\""}, s("mailchimp", "api_key", mc))
	md := "md-" + g.str(alnum, 22)
	add(0.34, 0.45, "lib/legacy/mandrill.php", false, []string{"<?php", "$mandrill = new Mandrill('" + md + "');"}, s("mandrill", "api_key", md))
	sg2 := g.sendgrid()
	add(0.38, 0.39, "deploy/old-deploy.sh", true, []string{"#!/bin/sh", "export SENDGRID_API_KEY=" + sg2, "php artisan queue:restart"}, s("sendgrid", "api_key", sg2))
	sg3 := g.sendgrid()
	add(0.44, 0.62, "docker-compose.yml", false, []string{"services:", "  worker:", "    environment:", "      SENDGRID_API_KEY: " + sg3}, s("sendgrid", "api_key", sg3))
	mg3 := "key-" + g.hex(32)
	add(0.48, 0.5, "tests/Feature/MailgunWebhookTest.php", false, []string{"        $mg = Mailgun::create('" + mg3 + "');"}, s("mailgun", "api_key", mg3))
	mjt := g.str(alnum, 32)
	add(0.55, 0.8, ".env", false, []string{"MJ_API_TOKEN=" + mjt}, s("mailjet", "v4_token", mjt))
	pub := "pubkey-" + g.hex(32)
	add(0.58, 0, "resources/js/mailgun-validate.js", false, []string{"  const MAILGUN_PUBLIC_KEY = '" + pub + "';"}, s("mailgun", "public_key", pub))
	sg4 := g.sendgrid()
	add(0.66, 0, ".env", false, []string{"SENDGRID_API_KEY=" + sg4}, s("sendgrid", "api_key", sg4))
	pm2 := g.uuid()
	add(0.72, 0.9, "config/services.php", false, []string{"    'postmark' => ['token' => env('POSTMARK_TOKEN', '" + pm2 + "')],"}, s("postmark", "server_token", pm2))
	br3 := "xkey" + "sib-" + g.hex(64) + "-" + g.str(alnum, 16)
	add(0.77, 0.95, "app/Services/BrevoClient.php", false, []string{"    private const API_KEY = '" + br3 + "';"}, s("brevo", "api_key", br3))
	mg4 := "key-" + g.hex(32)
	add(0.85, 0, "config/mailgun.php", false, []string{"<?php", "return ['secret' => '" + mg4 + "', 'endpoint' => 'api.eu.mailgun.net'];"}, s("mailgun", "api_key", mg4))
	for i := range ps {
		for j := range ps[i].secrets {
			ps[i].secrets[j].Path = ps[i].path
			ps[i].secrets[j].Commit = ps[i].add
			switch {
			case ps[i].remove == 0:
				ps[i].secrets[j].Where = "in-head"
			case ps[i].deleteFile:
				ps[i].secrets[j].Where = "deleted-file"
			default:
				ps[i].secrets[j].Where = "removed"
			}
		}
	}
	return ps
}

// ---- git fast-import stream ----

func (g *gen) data(b []byte) {
	fmt.Fprintf(g.w, "data %d\n", len(b))
	g.w.Write(b)
	g.w.WriteByte('\n')
}

func (g *gen) join(lines []string) []byte {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, '\n')
	}
	return b
}

func (g *gen) tick() int64 {
	g.when += 1800 + int64(g.r.IntN(7200))
	return g.when
}

var people = []string{"Ana Lima <ana@shop.test>", "Ben Okafor <ben@shop.test>", "Chen Wei <chen@shop.test>", "Dana Ruiz <dana@shop.test>", "deploy-bot <deploy@shop.test>"}

// commit writes a commit on ref with the given changed files (nil lines:
// deleted) and returns its mark.
func (g *gen) commit(ref, msg string, from int, merge int, changes map[string][]string) int {
	g.mark++
	t := g.tick()
	who := g.pick(people)
	fmt.Fprintf(g.w, "commit %s\nmark :%d\nauthor %s %d +0000\ncommitter %s %d +0000\n", ref, g.mark, who, t, who, t)
	g.data([]byte(msg))
	if from > 0 {
		fmt.Fprintf(g.w, "from :%d\n", from)
	}
	if merge > 0 {
		fmt.Fprintf(g.w, "merge :%d\n", merge)
	}
	keys := make([]string, 0, len(changes))
	for p := range changes {
		keys = append(keys, p)
	}
	sort.Strings(keys)
	for _, p := range keys {
		if changes[p] == nil {
			fmt.Fprintf(g.w, "D %s\n", p)
			continue
		}
		fmt.Fprintf(g.w, "M 100644 inline %s\n", p)
		g.data(g.join(changes[p]))
	}
	g.w.WriteByte('\n')
	return g.mark
}

// edit changes a few lines of a file: replaced, inserted or deleted.
func (g *gen) edit(p string) []string {
	lines := append([]string(nil), g.files[p]...)
	ext := filepath.Ext(p)
	if p == "public/js/app.js" {
		return g.bundle(120 + g.r.IntN(80))
	}
	if p == "composer.lock" {
		for range 1 + g.r.IntN(6) {
			i := 2 + g.r.IntN(max(1, len(lines)-4))
			lines[i] = fmt.Sprintf(`        {"name": "%s/%s-%d", "version": "v%d.%d.%d", "dist": {"shasum": "%s", "reference": "%s"}},`,
				g.word(), g.word(), i, g.r.IntN(9), g.r.IntN(20), g.r.IntN(30), g.hex(40), g.hex(40))
		}
		return lines
	}
	for range 1 + g.r.IntN(4) {
		if len(lines) == 0 {
			lines = append(lines, g.code(ext))
			continue
		}
		i := g.r.IntN(len(lines))
		switch k := g.r.IntN(10); {
		case k < 5:
			lines[i] = g.code(ext)
		case k < 8 || len(lines) < 20:
			lines = append(lines[:i], append([]string{g.code(ext)}, lines[i:]...)...)
		default:
			lines = append(lines[:i], lines[i+1:]...)
		}
	}
	return lines
}

// editable are the files ordinary commits touch (not the planted ones).
func (g *gen) editable() string {
	for {
		p := g.paths[g.r.IntN(len(g.paths))]
		switch {
		case g.frozen[p] || p == ".env" || p == ".env.example" || strings.HasPrefix(p, "tests/fixtures") || p == "docs/notes.txt" || p == "docs/mailgun.md":
			continue
		case p == "public/js/app.js", p == "composer.lock" && g.r.IntN(6) != 0:
			continue
		}
		return p
	}
}

func (g *gen) message(p string) string {
	verbs := []string{"Fix", "Update", "Refactor", "Add", "Tidy", "Speed up", "Document"}
	msg := fmt.Sprintf("%s %s in %s\n", g.pick(verbs), g.word(), filepath.Base(p))
	if g.r.IntN(15) == 0 {
		h := g.hex(40)
		msg += "\nThis reverts commit " + h + ".\n"
	}
	return msg
}

func (g *gen) git(env []string, stdin []byte, args ...string) string {
	cmd := exec.Command("git", args...)
	cmd.Dir = g.dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+g.dir, "GIT_AUTHOR_NAME=Ana Lima", "GIT_AUTHOR_EMAIL=ana@shop.test",
		"GIT_COMMITTER_NAME=Ana Lima", "GIT_COMMITTER_EMAIL=ana@shop.test")
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		fail("git %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

func (g *gen) dateEnv() []string {
	t := fmt.Sprintf("%d +0000", g.tick())
	return []string{"GIT_AUTHOR_DATE=" + t, "GIT_COMMITTER_DATE=" + t}
}

func (g *gen) run() {
	check(os.MkdirAll(g.dir, 0o755))
	g.git(nil, nil, "init", "-q", "-b", "main")
	g.git(nil, nil, "config", "user.name", "Ana Lima")
	g.git(nil, nil, "config", "user.email", "ana@shop.test")
	g.git(nil, nil, "remote", "add", "origin", "https://github.com/example-shop/shop.git")
	cmd := exec.Command("git", "fast-import", "--quiet", "--done")
	cmd.Dir = g.dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	check(err)
	check(cmd.Start())
	g.w = bufio.NewWriterSize(in, 1<<20)

	g.initialTree()
	all := map[string][]string{}
	for p, l := range g.files {
		all[p] = l
	}
	head := g.commit("refs/heads/main", "Initial import\n", 0, 0, all)
	plants := g.plants()
	for _, p := range plants {
		g.frozen[p.path] = true
	}
	byCommit := map[int][]int{}
	for i, p := range plants {
		byCommit[p.add] = append(byCommit[p.add], i)
		if p.remove > 0 {
			byCommit[p.remove] = append(byCommit[p.remove], i)
		}
	}
	rotateAt := int(0.9 * float64(g.commits))
	unmergedAt := int(0.75 * float64(g.commits))
	var unmergedBase int
	for c := 1; c < g.commits; c++ {
		changes := map[string][]string{}
		msg := ""
		for _, pi := range byCommit[c] {
			p := plants[pi]
			cur := g.files[p.path]
			if p.add == c {
				if _, ok := g.files[p.path]; !ok {
					cur = nil
				}
				cur = append(append([]string(nil), cur...), p.lines...)
				msg = fmt.Sprintf("Configure %s\n", filepath.Base(p.path))
			} else if p.deleteFile {
				g.delFile(p.path)
				changes[p.path] = nil
				msg = fmt.Sprintf("Remove %s\n", filepath.Base(p.path))
				continue
			} else {
				var keep []string
				for _, l := range cur {
					if !contains(p.lines, l) {
						keep = append(keep, l)
					}
				}
				cur = keep
				msg = fmt.Sprintf("Move secrets out of %s\n", filepath.Base(p.path))
			}
			g.setFile(p.path, cur)
			changes[p.path] = cur
		}
		if c == rotateAt {
			// a key rotated in place: the old one stays in history
			old, nw := g.sendgrid(), g.sendgrid()
			g.setFile("config/sendgrid.php", []string{"<?php", "return ['api_key' => '" + old + "'];"})
			changes["config/sendgrid.php"] = g.files["config/sendgrid.php"]
			msg = "Add SendGrid config\n"
			head = g.commit("refs/heads/main", msg, head, 0, changes)
			c++
			g.setFile("config/sendgrid.php", []string{"<?php", "return ['api_key' => '" + nw + "'];"})
			changes = map[string][]string{"config/sendgrid.php": g.files["config/sendgrid.php"]}
			msg = "Rotate the SendGrid key\n"
			g.secrets = append(g.secrets, Secret{"sendgrid", "api_key", old, "rotated", "config/sendgrid.php", c - 1}, Secret{"sendgrid", "api_key", nw, "in-head", "config/sendgrid.php", c})
		}
		if len(changes) == 0 && c%25 == 0 {
			// the committed front-end build, rebuilt
			g.setFile("public/js/app.js", g.bundle(140+g.r.IntN(80)))
			changes["public/js/app.js"] = g.files["public/js/app.js"]
			msg = "Build assets\n"
		}
		if len(changes) == 0 {
			for range 1 + g.r.IntN(3) {
				p := g.editable()
				g.setFile(p, g.edit(p))
				changes[p] = g.files[p]
			}
			if g.r.IntN(60) == 0 {
				p := fmt.Sprintf("app/Services/%s%sService.php", title(g.word()), title(g.word()))
				if _, ok := g.files[p]; !ok {
					g.setFile(p, g.newFile(p, 60+g.r.IntN(100)))
					changes[p] = g.files[p]
				}
			}
			for p := range changes {
				msg = g.message(p)
				break
			}
		}
		// a topic branch merged back now and then
		if c%500 == 250 && len(byCommit[c]) == 0 {
			tip := head
			for k := range 3 {
				p := g.editable()
				g.setFile(p, g.edit(p))
				tip = g.commit("refs/heads/topic", fmt.Sprintf("Topic work %d\n", k), tip, 0, map[string][]string{p: g.files[p]})
			}
			head = g.commit("refs/heads/main", "Merge branch 'topic'\n", head, tip, changes)
			continue
		}
		head = g.commit("refs/heads/main", msg, head, 0, changes)
		if c == unmergedAt {
			unmergedBase = head
		}
		if c%1000 == 0 {
			fmt.Fprintf(g.w, "tag v%d.0\nfrom :%d\ntagger %s %d +0000\n", c/1000, head, people[0], g.when)
			g.data([]byte(fmt.Sprintf("Release %d.0\n", c/1000)))
		}
	}
	for _, p := range plants {
		g.secrets = append(g.secrets, p.secrets...)
	}
	// the unmerged branch: Twilio credentials for an SMS feature
	sid, tok := "AC"+g.hex(32), g.hex(32)
	tip := unmergedBase
	sms := append(g.newFile("app/Services/SmsNotifier.php", 40), "    private $sid = '"+sid+"';", "    private $token = '"+tok+"'; // twilio auth token")
	tip = g.commit("refs/heads/feature/sms-notifications", "Start SMS notifications\n", tip, 0, map[string][]string{"app/Services/SmsNotifier.php": sms})
	sms = append(sms[:40:40], "    private $sid;", "    private $token;")
	tip = g.commit("refs/heads/feature/sms-notifications", "Read Twilio credentials from the environment\n", tip, 0, map[string][]string{"app/Services/SmsNotifier.php": sms})
	g.secrets = append(g.secrets, Secret{"twilio", "account_sid", sid, "unmerged-branch", "app/Services/SmsNotifier.php", 0}, Secret{"twilio", "auth_token", tok, "unmerged-branch", "app/Services/SmsNotifier.php", 0})
	fmt.Fprintf(g.w, "done\n")
	check(g.w.Flush())
	check(in.Close())
	check(cmd.Wait())
	g.git(nil, nil, "update-ref", "-d", "refs/heads/topic")

	// pack as a maintained repository is: one pack, refs packed
	g.git(nil, nil, "repack", "-a", "-d", "-f", "-q", "--window=10", "--depth=50")
	g.git(nil, nil, "pack-refs", "--all")
	g.git(nil, nil, "checkout", "-q", "-f", "main")

	// a key committed and dropped with reset --hard: only the reflog has it
	mg := "key-" + g.hex(32)
	writeFile(filepath.Join(g.dir, "config/queue-mail.php"), "<?php\nreturn ['mailgun_secret' => '"+mg+"'];\n")
	g.git(nil, nil, "add", "config/queue-mail.php")
	g.git(g.dateEnv(), nil, "commit", "-q", "-m", "WIP queue mail")
	g.git(nil, nil, "reset", "-q", "--hard", "HEAD~1")
	g.secrets = append(g.secrets, Secret{"mailgun", "api_key", mg, "reflog-only", "config/queue-mail.php", 0})

	// a stash: staged, then stashed
	br := "xkey" + "sib-" + g.hex(64) + "-" + g.str(alnum, 16)
	env := string(g.join(g.files[".env"])) + "BREVO_API_KEY=" + br + "\n"
	writeFile(filepath.Join(g.dir, ".env"), env)
	g.git(nil, nil, "add", ".env")
	g.git(g.dateEnv(), nil, "stash", "push", "-q", "-m", "try brevo")
	g.secrets = append(g.secrets, Secret{"brevo", "api_key", br, "stash", ".env", 0})

	// a commit no ref or reflog reaches
	sg := g.sendgrid()
	blob := g.git(nil, []byte("SENDGRID_API_KEY="+sg+"\n"), "hash-object", "-w", "--stdin")
	tree := g.git(nil, []byte("100644 blob "+blob+"\t.env.staging\n"), "mktree")
	g.git(g.dateEnv(), []byte("staging env\n"), "commit-tree", tree, "-p", "HEAD")
	g.secrets = append(g.secrets, Secret{"sendgrid", "api_key", sg, "unreachable", ".env.staging", 0})
}

func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func writeFile(p, s string) {
	check(os.MkdirAll(filepath.Dir(p), 0o755))
	check(os.WriteFile(p, []byte(s), 0o644))
}

// ---- scoring ----

// score reads a tool's output and prints recall and false positives as one
// JSON line (stdout) and the missed secrets (stderr, redacted).
//
//	-format reclaim: reclaim scan --format json (findings and also_exposed, by fingerprint)
//	-format gitleaks: gitleaks --report-format json (Secret, Match)
//	-format rg: rg -o output (one match per line)
func score(args []string) {
	fs := flag.NewFlagSet("score", flag.ExitOnError)
	truth := fs.String("truth", "", "manifest")
	format := fs.String("format", "", "reclaim | gitleaks | rg")
	in := fs.String("in", "", "tool output")
	fs.Parse(args)
	var m Manifest
	b, err := os.ReadFile(*truth)
	check(err)
	check(json.Unmarshal(b, &m))
	out, err := os.ReadFile(*in)
	check(err)
	found := map[string]bool{}
	fps := map[string]bool{}
	decoyHits, wrongFacts := 0, 0
	byFP := map[string]string{}
	for _, s := range m.Secrets {
		sum := sha256.Sum256([]byte(s.Value))
		byFP["sha256:"+hex.EncodeToString(sum[:])] = s.Value
	}
	isDecoy := func(v string) bool {
		for _, d := range m.Decoys {
			if strings.Contains(v, d.Value) {
				return true
			}
		}
		return false
	}
	// a reported string counts for every planted value it contains
	match := func(reported string) {
		hit := false
		for _, s := range m.Secrets {
			if strings.Contains(reported, s.Value) {
				found[s.Value], hit = true, true
			}
		}
		if !hit && !fps[reported] {
			fps[reported] = true
			if isDecoy(reported) {
				decoyHits++
			}
		}
	}
	switch *format {
	case "reclaim":
		var rep struct {
			Findings []struct {
				Fingerprint string `json:"fingerprint"`
				Provider    string `json:"provider"`
				InHead      *bool  `json:"in_head"`
				Ref         string `json:"ref"`
			} `json:"findings"`
		}
		check(json.Unmarshal(out, &rep))
		where := map[string]string{}
		for _, s := range m.Secrets {
			where[s.Value] = s.Where
		}
		for _, f := range rep.Findings {
			if v, ok := byFP[f.Fingerprint]; ok {
				found[v] = true
				// the history's facts: still in HEAD or not, and what reaches it
				want := where[v] == "in-head"
				if f.InHead != nil && *f.InHead != want {
					wrongFacts++
					fmt.Fprintf(os.Stderr, "wrong in_head for %s (%s): %v\n", redact(v), where[v], *f.InHead)
				}
				wantRef := map[string]string{"stash": "stash", "unreachable": "unreachable", "reflog-only": "reflog", "unmerged-branch": "refs/heads/feature/sms-notifications"}[where[v]]
				if wantRef == "" {
					wantRef = "refs/heads/main"
				}
				if f.Ref != wantRef {
					wrongFacts++
					fmt.Fprintf(os.Stderr, "wrong ref for %s (%s): %q\n", redact(v), where[v], f.Ref)
				}
			} else if !fps[f.Fingerprint] {
				fps[f.Fingerprint] = true
			}
		}
	case "gitleaks":
		var rs []struct {
			Secret string `json:"Secret"`
			Match  string `json:"Match"`
		}
		if len(bytes.TrimSpace(out)) > 0 {
			check(json.Unmarshal(out, &rs))
		}
		for _, r := range rs {
			if r.Secret != "" {
				match(r.Secret)
			} else {
				match(r.Match)
			}
		}
	case "rg":
		for _, l := range strings.Split(string(out), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				match(l)
			}
		}
	default:
		fail("unknown -format %q", *format)
	}
	var missed []string
	for _, s := range m.Secrets {
		if !found[s.Value] {
			missed = append(missed, fmt.Sprintf("%s %s (%s, %s)", s.Provider, s.Kind, s.Where, redact(s.Value)))
		}
	}
	for _, x := range missed {
		fmt.Fprintln(os.Stderr, "missed:", x)
	}
	res := map[string]any{"found": len(found), "planted": len(m.Secrets), "false_positives": len(fps), "decoys_reported": decoyHits}
	if *format == "reclaim" {
		res["wrong_facts"] = wrongFacts
	}
	enc, _ := json.Marshal(res)
	io.WriteString(os.Stdout, string(enc)+"\n")
}

func redact(s string) string {
	if len(s) < 12 {
		return "…"
	}
	return s[:4] + "…" + s[len(s)-3:]
}
