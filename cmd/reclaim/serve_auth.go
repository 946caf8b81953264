package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"
	"golang.org/x/crypto/bcrypt"
	gossh "golang.org/x/crypto/ssh"

	"reclaim/provider"
)

// identity is who a session belongs to. key names the player's state
// folder; it is derived from what the client proved (its public key, or the
// password user), never from anything it merely offered.
type identity struct {
	key         string // 32 hex digits: sha256 of the key (or "password:USER")
	fingerprint string // SHA256:… of the key, or "password user NAME"
	name        string // for the facilitator view and the log, sanitized
	facilitator bool
}

func keyIdentity(pk ssh.PublicKey, comment string) identity {
	sum := sha256.Sum256(append([]byte("pk:"), pk.Marshal()...))
	fp := gossh.FingerprintSHA256(pk)
	name := strings.TrimSpace(comment)
	if name == "" {
		name = "key " + strings.TrimPrefix(fp, "SHA256:")[:12]
	}
	return identity{key: hex.EncodeToString(sum[:16]), fingerprint: fp, name: provider.SanitizeN(name, 40)}
}

func userIdentity(kind, user string) identity {
	sum := sha256.Sum256([]byte(kind + ":" + user))
	name := provider.SanitizeN(user, 40)
	return identity{key: hex.EncodeToString(sum[:16]), fingerprint: kind + " user " + name, name: name}
}

// identify works out the session's player from the key it authenticated
// with (charm.land/ssh takes it from the connection's permissions, so it is
// the key whose signature was checked) or, without a key, its user name.
func (ds *drillServer) identify(sess ssh.Session) (identity, error) {
	if pk := sess.PublicKey(); pk != nil {
		if ds.facilitators != nil {
			if comment, ok := ds.facilitators.lookup(pk); ok {
				id := keyIdentity(pk, comment)
				id.facilitator = true
				return id, nil
			}
		}
		if ds.players != nil {
			if comment, ok := ds.players.lookup(pk); ok {
				return keyIdentity(pk, comment), nil
			}
		}
		if ds.cfg.insecureNoAuth {
			return keyIdentity(pk, sess.User()), nil
		}
		return identity{}, errors.New("your key is no longer accepted by this server")
	}
	if ds.passwords != nil && ds.passwords.has(sess.User()) {
		return userIdentity("password", sess.User()), nil
	}
	if ds.cfg.insecureNoAuth {
		return userIdentity("name", sess.User()), nil
	}
	return identity{}, errors.New("no accepted key or password user")
}

// publicKeyAuth accepts a key listed in --authorized-keys or
// --facilitator-keys (any key under --insecure-no-auth).
func (ds *drillServer) publicKeyAuth(ctx ssh.Context, key ssh.PublicKey) bool {
	if rateLimited(ctx) {
		return false
	}
	if ds.cfg.insecureNoAuth {
		return true
	}
	if ds.facilitators != nil {
		if _, ok := ds.facilitators.lookup(key); ok {
			return true
		}
	}
	if ds.players != nil {
		if _, ok := ds.players.lookup(key); ok {
			return true
		}
	}
	return false
}

func (ds *drillServer) passwordAuth(ctx ssh.Context, password string) bool {
	if rateLimited(ctx) {
		return false
	}
	ok := ds.passwords.check(ctx.User(), password)
	if !ok {
		ds.log.printf("password refused for user %q from %s", provider.SanitizeN(ctx.User(), 40), hostOf(ctx.RemoteAddr()))
	}
	return ok
}

// ---- files ----

// fileStamp tells a changed file from an unchanged one.
type fileStamp struct {
	mod  time.Time
	size int64
}

// checkAuthFile refuses an auth file others may write (they could add a
// key or a user), or, with private, read (bcrypt hashes can be cracked
// offline), and anything but a regular file.
func checkAuthFile(path, flag string, private bool) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, fmt.Errorf("%s: %w", flag, err)
	}
	if !fi.Mode().IsRegular() {
		return fileStamp{}, fmt.Errorf("%s %s: not a regular file", flag, path)
	}
	if runtime.GOOS != "windows" {
		if fi.Mode().Perm()&0o022 != 0 {
			return fileStamp{}, fmt.Errorf("%s %s is writable by other users, who could let themselves in: chmod go-w %s", flag, path, shellQuoteArg(path))
		}
		if private && fi.Mode().Perm()&0o044 != 0 {
			return fileStamp{}, fmt.Errorf("%s %s is readable by other users (bcrypt hashes can be cracked offline): chmod 600 %s", flag, path, shellQuoteArg(path))
		}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

func shellQuoteArg(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(provider.Sanitize(s), "'", `'\''`) + "'"
}

// maxAuthFile caps what is read of an auth file.
const maxAuthFile = 4 << 20

func readAuthFile(path, flag string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if len(b) > maxAuthFile {
		return nil, fmt.Errorf("%s %s is larger than %d MB", flag, path, maxAuthFile>>20)
	}
	return b, nil
}

// keyList is an authorized_keys file, read again when it changes (a player
// added during a session needs no restart). A change that does not parse is
// logged and the previous keys stay in force.
type keyList struct {
	path, flag string
	log        *serveLog
	mu         sync.Mutex
	stamp      fileStamp
	keys       map[string]string // marshalled key → comment
}

func loadKeyList(path, flag string, log *serveLog) (*keyList, error) {
	k := &keyList{path: path, flag: flag, log: log}
	if err := k.reload(); err != nil {
		return nil, err
	}
	if len(k.keys) == 0 {
		return nil, fmt.Errorf("%s %s holds no public key", flag, path)
	}
	return k, nil
}

func (k *keyList) reload() error {
	st, err := checkAuthFile(k.path, k.flag, false)
	if err != nil {
		return err
	}
	b, err := readAuthFile(k.path, k.flag)
	if err != nil {
		return err
	}
	keys, err := parseAuthorizedKeys(b, k.path)
	if err != nil {
		return fmt.Errorf("%s %w", k.flag, err)
	}
	k.keys, k.stamp = keys, st
	return nil
}

// lookup reports whether key is listed, and its comment.
func (k *keyList) lookup(key ssh.PublicKey) (string, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if fi, err := os.Stat(k.path); err == nil && (fi.ModTime() != k.stamp.mod || fi.Size() != k.stamp.size) {
		if err := k.reload(); err != nil {
			k.log.printf("%s changed but was not taken: %v; the previous keys stay in force", k.flag, err)
			k.stamp = fileStamp{mod: fi.ModTime(), size: fi.Size()} // say it once
		} else {
			k.log.printf("%s read again: %d keys", k.flag, len(k.keys))
		}
	}
	c, ok := k.keys[string(key.Marshal())]
	return c, ok
}

// parseAuthorizedKeys reads OpenSSH authorized_keys lines; a line that is
// not a key is an error with its line number. Options (from=, command=…)
// are not honoured: every listed key gets the drill.
func parseAuthorizedKeys(b []byte, path string) (map[string]string, error) {
	keys := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		pk, comment, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: not an OpenSSH public key line (%v)", path, n, err)
		}
		keys[string(pk.Marshal())] = comment
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return keys, nil
}

// passwordFile holds user:bcrypt-hash lines, read again when changed.
type passwordFile struct {
	path  string
	log   *serveLog
	mu    sync.Mutex
	stamp fileStamp
	users map[string][]byte
	// dummy is compared against for unknown users, so a refusal takes as
	// long whether or not the user exists.
	dummy []byte
}

func loadPasswordFile(path string, log *serveLog) (*passwordFile, error) {
	p := &passwordFile{path: path, log: log}
	if err := p.reload(); err != nil {
		return nil, err
	}
	if len(p.users) == 0 {
		return nil, fmt.Errorf("--passwords %s holds no user:bcrypt-hash line", path)
	}
	cost := bcrypt.DefaultCost
	for _, h := range p.users {
		if c, err := bcrypt.Cost(h); err == nil {
			cost = c
		}
		break
	}
	pw := make([]byte, 16)
	_, _ = rand.Read(pw)
	d, err := bcrypt.GenerateFromPassword(pw, cost)
	if err != nil {
		return nil, err
	}
	p.dummy = d
	return p, nil
}

func (p *passwordFile) reload() error {
	st, err := checkAuthFile(p.path, "--passwords", true)
	if err != nil {
		return err
	}
	b, err := readAuthFile(p.path, "--passwords")
	if err != nil {
		return err
	}
	users, err := parsePasswords(b, p.path)
	if err != nil {
		return err
	}
	p.users, p.stamp = users, st
	return nil
}

// parsePasswords reads user:hash lines ("htpasswd -nBC 12 USER" writes
// one); errors name the file and line, never the hash.
func parsePasswords(b []byte, path string) (map[string][]byte, error) {
	users := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		user, hash, ok := strings.Cut(line, ":")
		user = strings.TrimSpace(user)
		if !ok || user == "" || strings.ContainsAny(user, " \t") {
			return nil, fmt.Errorf("--passwords %s:%d: want user:bcrypt-hash", path, n)
		}
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return nil, fmt.Errorf("--passwords %s:%d: the hash for %q is not a bcrypt hash (make one with: htpasswd -nBC 12 %s)", path, n, provider.SanitizeN(user, 40), shellQuoteArg(user))
		}
		if _, dup := users[user]; dup {
			return nil, fmt.Errorf("--passwords %s:%d: user %q is listed twice", path, n, provider.SanitizeN(user, 40))
		}
		users[user] = []byte(hash)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--passwords %s: %v", path, err)
	}
	return users, nil
}

func (p *passwordFile) current() (map[string][]byte, []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if fi, err := os.Stat(p.path); err == nil && (fi.ModTime() != p.stamp.mod || fi.Size() != p.stamp.size) {
		if err := p.reload(); err != nil {
			p.log.printf("--passwords changed but was not taken: %v; the previous users stay in force", err)
			p.stamp = fileStamp{mod: fi.ModTime(), size: fi.Size()}
		}
	}
	return p.users, p.dummy
}

func (p *passwordFile) has(user string) bool {
	users, _ := p.current()
	_, ok := users[user]
	return ok
}

// check compares in constant work whether or not the user exists.
func (p *passwordFile) check(user, password string) bool {
	users, dummy := p.current()
	h, ok := users[user]
	if !ok {
		_ = bcrypt.CompareHashAndPassword(dummy, []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword(h, []byte(password)) == nil
}
