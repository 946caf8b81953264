package leakscan

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"reclaim/provider"
)

// ---- web roots ----

// webRootNames are folder names that are a web root wherever they are.
var webRootNames = map[string]bool{"public": true, "public_html": true, "htdocs": true, "httpdocs": true, "wwwroot": true}

type webRoots struct {
	roots []string // absolute, cleaned, from configs and options
}

// newWebRoots collects the web roots named by nginx/Apache configs: the
// system's (under configRoot, normally "/") and, for each scanned root that
// holds an etc/ folder (a server image or backup), that tree's, mapped into
// it. It stops reading configs when ctx ends.
func newWebRoots(ctx context.Context, configRoot string, scanRoots, extra []string) *webRoots {
	w := &webRoots{}
	add := func(p string) {
		p = filepath.Clean(p)
		if p != "/" && p != "." && !slices.Contains(w.roots, p) {
			w.roots = append(w.roots, p)
		}
	}
	sys, _ := configuredWebRoots(ctx, configRoot)
	for _, r := range sys {
		add(r)
		// a root read through a symbolic link is walked at its target
		if t, err := filepath.EvalSymlinks(r); err == nil {
			add(t)
		}
	}
	for _, sr := range scanRoots {
		if sr == "/" || ctx.Err() != nil {
			continue
		}
		if fi, err := os.Stat(filepath.Join(sr, "etc")); err == nil && fi.IsDir() {
			img, _ := configuredWebRoots(ctx, sr)
			for _, r := range img {
				add(r)
			}
		}
	}
	for _, r := range extra {
		if a, err := filepath.Abs(r); err == nil {
			add(a)
		}
	}
	return w
}

func (w *webRoots) configured() []string { return w.roots }

// contains reports whether path is inside a web root.
func (w *webRoots) contains(path string) bool {
	return w.isRoot(path) || w.containsDir(filepath.Dir(path))
}

// isRoot reports whether path is one of the web roots.
func (w *webRoots) isRoot(path string) bool {
	for _, r := range w.roots {
		if path == r {
			return true
		}
	}
	return false
}

// containsDir reports whether every file in dir is inside a web root.
func (w *webRoots) containsDir(dir string) bool {
	for _, r := range w.roots {
		if strings.HasPrefix(dir, r) && (len(dir) == len(r) || dir[len(r)] == '/') {
			return true
		}
	}
	// folder names: public, public_html, htdocs; "www" unless it is the
	// /var/www parent of sites; "html" under www.
	prev := ""
	for _, c := range strings.Split(dir, string(filepath.Separator)) {
		if webRootNames[c] || (c == "www" && prev != "var") || (c == "html" && prev == "www") {
			return true
		}
		prev = c
	}
	return false
}

// configGlobs are the nginx and Apache site configs, under the root of a
// system.
var configGlobs = []string{
	"etc/nginx/nginx.conf", "etc/nginx/sites-enabled/*", "etc/nginx/conf.d/*.conf", "etc/nginx/sites-available/*",
	"etc/apache2/sites-enabled/*", "etc/apache2/apache2.conf", "etc/httpd/conf/httpd.conf", "etc/httpd/conf.d/*.conf",
}

// maxConfigSize is the most read from one config file.
const maxConfigSize = 1 << 20

// maxConfigRoots caps the web roots taken from configs (each file scanned
// is checked against them).
const maxConfigRoots = 1000

// testConfigRead, when set (tests), is called before each config file is
// read: a read stuck in the kernel.
var testConfigRead func(path string)

// ConfiguredWebRoots reads the nginx ("root …;") and Apache ("DocumentRoot
// …") site configs under base (normally "/") and returns the web roots they
// name, under base ("/var/www" in an image at /mnt/img is
// "/mnt/img/var/www").
func ConfiguredWebRoots(base string) []string {
	out, _ := configuredWebRoots(context.Background(), base)
	return out
}

// configuredWebRoots is ConfiguredWebRoots, stopped by ctx: it returns
// ctx.Err() as soon as ctx ends (within the time of one read of at most
// 1 MiB, and without waiting for that read if it is stuck), with the roots
// found so far.
//
// The configs may be the attacker's: each is opened like a scanned file
// (O_NOFOLLOW|O_NONBLOCK, read only if fstat says it is a regular file)
// and read up to maxConfigSize, so a named pipe, a device or a link to
// /dev/urandom in sites-enabled cannot hang it. A symbolic link (the usual
// sites-enabled layout) is read at its target when that is a regular file
// (under base, for an image).
func configuredWebRoots(ctx context.Context, base string) ([]string, error) {
	if a, err := filepath.Abs(base); err == nil {
		base = a
	}
	var (
		mu    sync.Mutex
		found []string
		seen  = map[string]bool{}
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		var files []string
		for _, g := range configGlobs {
			if ctx.Err() != nil {
				return
			}
			m, _ := filepath.Glob(filepath.Join(base, g))
			files = append(files, m...)
		}
		for _, f := range files {
			if ctx.Err() != nil {
				return
			}
			if testConfigRead != nil {
				testConfigRead(f)
			}
			b, err := readConfig(ctx, base, f)
			if err != nil {
				continue
			}
			for _, r := range configRoots(b) {
				r = filepath.Join(base, r)
				mu.Lock()
				if !seen[r] && len(found) < maxConfigRoots {
					seen[r] = true
					found = append(found, r)
				}
				mu.Unlock()
			}
		}
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(found), ctx.Err()
}

// readConfig reads at most maxConfigSize of the config file path, if it is
// a regular file (or a link to one, under base).
func readConfig(ctx context.Context, base, path string) ([]byte, error) {
	if fi, err := os.Lstat(path); err != nil {
		return nil, err
	} else if fi.Mode()&fs.ModeSymlink != 0 {
		t, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, err
		}
		if base != "/" {
			rb, err := filepath.EvalSymlinks(base)
			if err != nil {
				return nil, err
			}
			if rel, err := filepath.Rel(rb, t); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return nil, errLink // out of the image
			}
		}
		path = t
	}
	f, st, err := openRead(noDir, filepath.Base(path), path)
	if err != nil {
		return nil, err
	}
	defer f.close()
	b := make([]byte, 0, min(max(st.size, 512), maxConfigSize))
	buf := make([]byte, 64<<10)
	for len(b) < maxConfigSize {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		n, err := f.readOnce(path, buf[:min(len(buf), maxConfigSize-len(b))])
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		b = append(b, buf[:n]...)
	}
	return b, nil
}

// configRoots are the absolute web roots a config names ("root …;",
// "DocumentRoot …"), as written (the caller drops repeats).
func configRoots(b []byte) []string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		line := strings.TrimSpace(l)
		var v string
		switch {
		case strings.HasPrefix(line, "root ") || strings.HasPrefix(line, "root\t"):
			v = strings.TrimSuffix(strings.TrimSpace(line[5:]), ";")
		case strings.HasPrefix(strings.ToLower(line), "documentroot "):
			v = strings.TrimSpace(line[len("documentroot "):])
		default:
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		if strings.HasPrefix(v, "/") && !strings.ContainsAny(v, "$") {
			out = append(out, filepath.Clean(v))
		}
	}
	return out
}

// systemRoot is where the system's configs are read when no other root is
// given ("/"; the package's tests point it at an empty folder, so that no
// test reads the machine's /etc).
var systemRoot = "/"

// DefaultRoots are what "reclaim scan" looks at with no argument: the web
// roots the local nginx/Apache configs name (those that exist), else the
// current directory.
func DefaultRoots() []string {
	out, _ := DefaultRootsContext(context.Background(), "")
	return out
}

// DefaultRootsContext is DefaultRoots for the system at configRoot ("" is
// "/"), stopped by ctx: when ctx ends it returns at once, with the roots
// found so far (none: nil, not the current directory) and ctx.Err().
func DefaultRootsContext(ctx context.Context, configRoot string) ([]string, error) {
	if configRoot == "" {
		configRoot = systemRoot
	}
	roots, err := configuredWebRoots(ctx, configRoot)
	var out []string
	for _, r := range roots {
		if fi, err := os.Stat(r); err == nil && fi.IsDir() {
			out = append(out, r)
		}
	}
	if err != nil {
		return out, err
	}
	if len(out) == 0 {
		out = []string{"."}
	}
	return out, nil
}

// ---- exposures found from the path alone ----

var wpBackupSuffixes = []string{"~", ".bak", ".old", ".save", ".orig", ".swp", ".txt", ".backup", ".copy", ".1", ".tmp", ".dist.bak"}

func pathExposure(path, name string, w *webRoots) *Exposure {
	lname := strings.ToLower(name)
	switch {
	case strings.HasPrefix(lname, ".env"):
		if w.contains(path) {
			return &Exposure{Path: path, Kind: "env-in-webroot", Severity: "critical", Detail: "an .env file in a web root: bots request /.env on every site, and it holds every key of the app"}
		}
		if lname != ".env" && lname != ".env.example" && lname != ".env.sample" && lname != ".env.dist" && lname != ".env.testing" && lname != ".env.local" && lname != ".env.production" {
			return &Exposure{Path: path, Kind: "env-backup", Severity: "medium", Detail: "a copy of an .env file: it holds the same keys and is easy to forget when rotating"}
		}
	case strings.HasPrefix(lname, "wp-config.php") && lname != "wp-config.php":
		for _, s := range wpBackupSuffixes {
			if lname == "wp-config.php"+s {
				return &Exposure{Path: path, Kind: "wp-config-backup", Severity: sevIf(w.contains(path)), Detail: "a wp-config.php backup is served as plain text, with the database password, salts and mail keys"}
			}
		}
	case (strings.HasPrefix(lname, ".wp-config.php") && strings.HasSuffix(lname, ".swp")):
		return &Exposure{Path: path, Kind: "wp-config-backup", Severity: sevIf(w.contains(path)), Detail: "an editor swap file of wp-config.php"}
	case strings.HasSuffix(lname, ".sql") || strings.HasSuffix(lname, ".sql.gz"):
		if w.contains(path) {
			return &Exposure{Path: path, Kind: "sql-dump-in-webroot", Severity: "high", Detail: "a database dump in a web root: plugin settings (mail keys) and user hashes can be downloaded"}
		}
	case strings.HasSuffix(lname, ".wpress") || ((strings.HasSuffix(lname, ".zip") || strings.HasSuffix(lname, ".tar.gz") || strings.HasSuffix(lname, ".tgz")) && strings.Contains(lname, "backup")):
		if w.contains(path) {
			return &Exposure{Path: path, Kind: "backup-archive-in-webroot", Severity: "high", Detail: "a site backup in a web root: it holds the configuration and keys"}
		}
	}
	return nil
}

// exposedConfig reports whether a file is a configuration file worth listing
// every secret of even without a provider key in it.
func exposedConfig(path, lname string, inWeb bool) bool {
	if strings.HasPrefix(lname, ".env") && lname != ".env.example" && lname != ".env.sample" {
		return true
	}
	return strings.HasPrefix(lname, "wp-config.php") && lname != "wp-config.php" || lname == "wp-config.php" && inWeb
}

// ---- attack traces in access logs ----

func isWebLog(path, lname string) bool {
	return isWebLogName(lname, isLogDir(filepath.Dir(path)))
}

// isLogDir reports whether dir is (in) an nginx, Apache or httpd folder.
func isLogDir(dir string) bool {
	dir = filepath.ToSlash(dir)
	return strings.Contains(dir, "/nginx") || strings.Contains(dir, "/apache") || strings.Contains(dir, "/httpd")
}

// isWebLogName reports whether a file named lname (lower case) in a folder
// for which isLogDir is logDir is a web-server access log.
func isWebLogName(lname string, logDir bool) bool {
	if strings.Contains(lname, "access") && strings.Contains(lname, "log") {
		return true
	}
	return logDir && strings.Contains(lname, ".log") && !strings.Contains(lname, "error")
}

type traceKey struct{ file, probe string }

func mergeTrace(m map[traceKey]*Trace, t Trace) {
	k := traceKey{t.File, t.Probe}
	cur := m[k]
	if cur == nil {
		c := t
		c.IPs = slices.Clone(t.IPs)
		c.IPCount = max(t.IPCount, len(c.IPs))
		m[k] = &c
		return
	}
	cur.Requests += t.Requests
	cur.Served += t.Served
	for _, ip := range t.IPs {
		if !slices.Contains(cur.IPs, ip) {
			cur.IPCount++
			if len(cur.IPs) < 50 {
				cur.IPs = append(cur.IPs, ip)
			}
		}
	}
	if !t.First.IsZero() && (cur.First.IsZero() || t.First.Before(cur.First)) {
		cur.First = t.First
		cur.FirstLn = t.FirstLn
	}
	if t.Last.After(cur.Last) {
		cur.Last = t.Last
	}
}

// parseProbe reads one combined-format access-log line holding a probe:
// `IP - - [time] "GET /path HTTP/1.1" status …`.
func parseProbe(line []byte, rule, at int) (Trace, bool) {
	q1 := bytes.IndexByte(line, '"')
	if q1 < 0 {
		return Trace{}, false
	}
	q2 := bytes.IndexByte(line[q1+1:], '"')
	if q2 < 0 {
		return Trace{}, false
	}
	q2 += q1 + 1
	// the probe must be in the request, not the referrer or user agent
	if at < q1 || at > q2 {
		return Trace{}, false
	}
	req := line[q1+1 : q2]
	var probe string
	switch rule {
	case ruleAndrox:
		probe = "androxgh0st"
	case ruleProbeAWS:
		probe = "/.aws/credentials"
	case ruleProbeGit:
		probe = "/.git/"
		if provider.ContainsFold(req, "/.git/config") {
			probe = "/.git/config"
		}
	case ruleProbeEnv:
		i := provider.IndexFold(req, 0, len(req), "/.env")
		e := i + 5
		for e < len(req) && req[e] != ' ' && req[e] != '?' && req[e] != '"' {
			e++
		}
		p := string(req[i:e])
		if len(p) > 24 {
			p = p[:24]
		}
		probe = p
	}
	t := Trace{Probe: probe, Requests: 1}
	sp := bytes.IndexByte(line, ' ')
	if sp > 0 && sp < 46 {
		t.IPs = []string{string(line[:sp])}
		t.IPCount = 1
	}
	if ob := bytes.IndexByte(line[:q1], '['); ob >= 0 {
		if cb := bytes.IndexByte(line[ob:q1], ']'); cb > 0 {
			if tm, err := time.Parse("02/Jan/2006:15:04:05 -0700", string(line[ob+1:ob+cb])); err == nil {
				t.First, t.Last = tm.UTC(), tm.UTC()
			}
		}
	}
	rest := bytes.TrimLeft(line[q2+1:], " ")
	if len(rest) >= 3 && string(rest[:3]) == "200" && (len(rest) == 3 || rest[3] == ' ') {
		t.Served = 1
	}
	return t, true
}

// ---- "also exposed — rotate too": the other secrets in a file ----

var secretWords = []string{"password", "passwd", "secret", "token", "salt", "private", "app_key", "_key", "apikey", "api_key", "credential", "dsn"}

func classify(name []byte) (prov, kind string) {
	ln := strings.ToLower(string(name))
	switch {
	case strings.Contains(ln, "aws"):
		return "aws", "secret"
	case strings.Contains(ln, "stripe"):
		return "stripe", "secret"
	case ln == "app_key" || ln == "key" && false:
		return "laravel", "app_key"
	case strings.HasSuffix(ln, "_salt") || ln == "auth_key" || ln == "secure_auth_key" || ln == "logged_in_key" || ln == "nonce_key":
		return "wordpress", "salt"
	case strings.Contains(ln, "db_") || strings.Contains(ln, "database") || strings.Contains(ln, "mysql") || strings.Contains(ln, "postgres") || strings.Contains(ln, "redis"):
		return "database", "password"
	case strings.Contains(ln, "mail") || strings.Contains(ln, "smtp"):
		return "mail", "password"
	}
	return "other", "secret"
}

// alsoExposed lists secret-looking assignments in b other than the spans
// already reported: NAME=value, define('NAME', 'value'), 'name' => 'value',
// name: value; plus AWS access keys, Stripe live keys and private keys.
func alsoExposed(b []byte, path string, skip [][2]int, inWeb bool) []Finding {
	var out []Finding
	overlaps := func(s, e int) bool {
		for _, sp := range skip {
			if s < sp[1] && sp[0] < e {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	add := func(s, e, line int, prov, kind string) {
		if overlaps(s, e) {
			return
		}
		fp := Fingerprint(b[s:e])
		if seen[fp] {
			return
		}
		seen[fp] = true
		out = append(out, Finding{File: path, Line: line, Provider: prov, Kind: kind, Redacted: Redact(b[s:e]), Fingerprint: fp, Detector: "also-exposed", InWebRoot: inWeb})
	}
	line := 0
	for pos := 0; pos < len(b); {
		line++
		le := bytes.IndexByte(b[pos:], '\n')
		end := len(b)
		if le >= 0 {
			end = pos + le
		}
		ls := pos
		pos = end + 1
		if end-ls > 4096 || end == ls {
			continue
		}
		l := b[ls:end]
		if i := bytes.Index(l, []byte("-----BEGIN ")); i >= 0 && bytes.Contains(l, []byte("PRIVATE KEY-----")) {
			add(ls+i, end, line, "ssh", "private_key")
			continue
		}
		if i := bytes.Index(l, []byte("AKIA")); i >= 0 && provider.Exact(l, i+4, len(l), 16, &upperDigit, &provider.Alnum) && provider.BoundaryBefore(l, i, 0, &provider.Alnum) {
			add(ls+i, ls+i+20, line, "aws", "access_key_id")
		}
		for _, pre := range []string{"sk_live_", "rk_live_"} {
			if i := bytes.Index(l, []byte(pre)); i >= 0 {
				e := provider.RunEnd(l, i+len(pre), len(l), &provider.Alnum)
				if e-i-len(pre) >= 20 {
					add(ls+i, ls+e, line, "stripe", "secret_key")
				}
			}
		}
		// identifiers followed by an assignment and a value
		for i := 0; i < len(l); {
			if !provider.NameChar[l[i]] {
				i++
				continue
			}
			ne := provider.RunEnd(l, i, len(l), &provider.NameChar)
			name := l[i:ne]
			i = ne
			if !isSecretName(name) {
				continue
			}
			j := ne
			assigned := false
			for n := 0; j < len(l) && n < 8; n++ {
				c := l[j]
				if c == '=' || c == ':' || c == ',' {
					assigned = true
				}
				if c == '\'' || c == '"' || c == ' ' || c == '\t' || c == '=' || c == ':' || c == '>' || c == ',' {
					j++
					continue
				}
				break
			}
			if !assigned || j >= len(l) {
				continue
			}
			q := l[j-1]
			var ve int
			if q == '\'' || q == '"' {
				k := bytes.IndexByte(l[j:], q)
				if k < 0 {
					continue
				}
				ve = j + k
			} else {
				ve = j
				for ve < len(l) && l[ve] != ' ' && l[ve] != '\t' && l[ve] != ';' && l[ve] != ',' && l[ve] != ')' && l[ve] != '"' && l[ve] != '\'' && l[ve] != '\r' {
					ve++
				}
			}
			v := l[j:ve]
			if plausibleSecret(v) {
				prov, kind := classify(name)
				if bytes.EqualFold(name, []byte("APP_KEY")) || bytes.Equal(name, []byte("key")) && bytes.HasPrefix(v, []byte("base64:")) {
					prov, kind = "laravel", "app_key"
				}
				add(ls+j, ls+ve, line, prov, kind)
			}
			i = ve
		}
	}
	return out
}

var upperDigit = func() (c provider.ByteClass) {
	for _, r := range "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789" {
		c[r] = true
	}
	return c
}()

func isSecretName(name []byte) bool {
	if len(name) < 3 || len(name) > 64 {
		return false
	}
	for _, w := range secretWords {
		if provider.ContainsFold(name, w) {
			if provider.ContainsFold(name, "public") || provider.ContainsFold(name, "_id") && !provider.ContainsFold(name, "secret") {
				return false
			}
			return true
		}
	}
	return bytes.EqualFold(name, []byte("key")) || bytes.EqualFold(name, []byte("secret"))
}

func plausibleSecret(v []byte) bool {
	if len(v) < 8 || len(v) > 512 {
		return false
	}
	lv := strings.ToLower(string(v))
	for _, bad := range []string{"null", "true", "false", "env(", "getenv", "process.env", "${", "$_", "put your", "your_", "your-", "changeme", "change_me", "example", "xxxx", "secret_here", "password_here", "here"} {
		if strings.Contains(lv, bad) {
			return false
		}
	}
	if bytes.HasPrefix(v, []byte("http://")) || bytes.HasPrefix(v, []byte("https://")) || v[0] == '$' || v[0] == '(' || v[0] == '[' || v[0] == '{' {
		return false
	}
	digitsOnly := true
	for _, c := range v {
		if c < '0' || c > '9' {
			digitsOnly = false
			break
		}
	}
	return !digitsOnly && !provider.LooksPlaceholder(v)
}
