package main

// reclaim serve: the drill over SSH (issue 13). Every player gets their own
// drill in their own state folder, keyed to the key (or password user) they
// log in with, so a dropped connection resumes where it stopped. The pieces:
//   serve.go             the command, its flags and their checks, start/stop
//   serve_auth.go        authorized keys, the bcrypt passwords file, identities
//   serve_hostkey.go     the host key (made on first run, 0600)
//   serve_ratelimit.go   new connections per minute per address
//   serve_session.go     one SSH session: its drill, timeouts, the registry
//   serve_facilitator.go the facilitator view (a key in --facilitator-keys)

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/recover"
	"github.com/spf13/cobra"
	gossh "golang.org/x/crypto/ssh"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
)

func init() {
	subcommands = append(subcommands, newServeCmd)
}

// serveConfig is what the flags say.
type serveConfig struct {
	listen          string
	authorizedKeys  string
	passwords       string
	facilitatorKeys string
	hostKey         string
	scenario        string
	insecureNoAuth  bool
	idleTimeout     time.Duration
	maxTimeout      time.Duration
	ratePerMinute   int
	maxSessions     int
	stateDir        string // the server's: players live in stateDir/players
}

const (
	defaultServeListen  = "127.0.0.1:2222"
	defaultIdleTimeout  = 30 * time.Minute
	defaultMaxTimeout   = 4 * time.Hour
	defaultRatePerMin   = 20
	defaultMaxSessions  = 50
	serveHandshakeLimit = 30 * time.Second
	// serveShutdownGrace bounds the clean stop on SIGTERM: the sessions are
	// told to quit, saved and closed within it, below main's signalGrace
	// (after which the exit hooks save whatever is left and the process exits).
	serveShutdownGrace = 2 * time.Second
)

func newServeCmd() *cobra.Command {
	c := serveConfig{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Host the drill over SSH: every player gets their own resumable drill",
		Long: `Host the drill for a team over SSH: players connect with "ssh -t -p PORT HOST"
and play the drill in their own terminal; nothing to install.

Authentication (one is required):
  --authorized-keys FILE   OpenSSH authorized_keys lines; the comment names the player
  --passwords FILE         user:bcrypt-hash lines (e.g. from "htpasswd -nBC 12 USER"),
                           mode 0600
  --insecure-no-auth       anyone may connect: only on a loopback address
Both files are read again when they change; neither may be writable by others.

Each player's drill is kept in STATE/players/<id> (0700), <id> derived from
their public key (or password user name), so a dropped connection resumes the
same drill: connect again and choose "Resume". One connection per player: a
new connection with the same key takes the drill over, and the older one is
closed with a message (its state is saved first).

The terminal size, resizes, TERM and NO_COLOR come from each SSH session
(ssh -o SetEnv=NO_COLOR=1), never from the server's environment; the server
ignores its own NO_COLOR, TERM and RECLAIM_SMTP_* (the drill sends no mail).

A key listed in --facilitator-keys gets the facilitator view instead of a
drill: the sessions in progress with player, scenario, clock, progress and
score, and injects sent to one player or to all.

Sessions end after --idle-timeout without a key press and after
--max-timeout. New connections are limited to --rate-limit a minute per
address (raise it when a whole team connects from behind one address); a
refused client is told why. The host key is made on first run (ed25519,
mode 0600) at --host-key, default STATE/host_ed25519. SIGTERM or SIGINT
stop the server: every session is told to quit and its drill is saved
(exit 143/130).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c.stateDir = stateDir()
			return runServe(cmd, c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.listen, "listen", defaultServeListen, "address to listen on, HOST:PORT (port 0 picks a free one)")
	f.StringVar(&c.authorizedKeys, "authorized-keys", "", "players' public keys (OpenSSH authorized_keys format)")
	f.StringVar(&c.passwords, "passwords", "", "players' passwords: user:bcrypt-hash lines")
	f.StringVar(&c.facilitatorKeys, "facilitator-keys", "", "public keys that get the facilitator view (authorized_keys format)")
	f.StringVar(&c.hostKey, "host-key", "", "host key file, made on first run (default STATE/host_ed25519)")
	f.StringVar(&c.scenario, "scenario", drill.DefaultScenario, "drill scenario for new drills: a built-in ("+strings.Join(drill.Scenarios(), ", ")+") or a scenario file")
	f.BoolVar(&c.insecureNoAuth, "insecure-no-auth", false, "let anyone connect (loopback addresses only)")
	f.DurationVar(&c.idleTimeout, "idle-timeout", defaultIdleTimeout, "end a session after this long without a key press")
	f.DurationVar(&c.maxTimeout, "max-timeout", defaultMaxTimeout, "end a session after this long in any case")
	f.IntVar(&c.ratePerMinute, "rate-limit", defaultRatePerMin, "new connections a minute per remote address")
	f.IntVar(&c.maxSessions, "max-sessions", defaultMaxSessions, "players connected at once, at most")
	return cmd
}

// validate checks the flags before anything is opened.
func (c *serveConfig) validate() error {
	host, _, err := net.SplitHostPort(c.listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %v (want HOST:PORT, e.g. %s)", c.listen, err, defaultServeListen)
	}
	if c.stateDir == "" {
		return checklist.ErrNoStateDir
	}
	if c.insecureNoAuth {
		if c.authorizedKeys != "" || c.passwords != "" {
			return errors.New("--insecure-no-auth lets anyone in: it cannot be combined with --authorized-keys or --passwords")
		}
		if !isLoopbackHost(host) {
			return fmt.Errorf("--insecure-no-auth is allowed on a loopback address only (127.0.0.1, ::1 or localhost), not %q: anyone who can reach the port would get in; use --authorized-keys or --passwords", host)
		}
	} else if c.authorizedKeys == "" && c.passwords == "" {
		return errors.New("no way to authenticate players: give --authorized-keys FILE (OpenSSH authorized_keys lines) and/or --passwords FILE (user:bcrypt-hash lines); --insecure-no-auth is allowed on a loopback address only")
	}
	if c.idleTimeout <= 0 {
		return fmt.Errorf("--idle-timeout must be positive, not %s", c.idleTimeout)
	}
	if c.maxTimeout <= 0 {
		return fmt.Errorf("--max-timeout must be positive, not %s", c.maxTimeout)
	}
	if c.ratePerMinute < 1 {
		return fmt.Errorf("--rate-limit must be at least 1 connection a minute, not %d", c.ratePerMinute)
	}
	if c.maxSessions < 1 {
		return fmt.Errorf("--max-sessions must be at least 1, not %d", c.maxSessions)
	}
	if _, err := drill.LoadScenario(c.scenario); err != nil {
		return fmt.Errorf("--scenario: %w", err)
	}
	return nil
}

// isLoopbackHost is true for localhost and loopback IP literals; an empty
// host (all interfaces) is not.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// drillServer is one running reclaim serve.
type drillServer struct {
	cfg          serveConfig
	log          *serveLog
	srv          *ssh.Server
	players      *keyList // --authorized-keys, nil without
	facilitators *keyList // --facilitator-keys, nil without
	passwords    *passwordFile
	limiter      *rateLimiter
	reg          *registry
	hostKeyPath  string
	hostKeyFP    string
}

// newDrillServer reads the auth files and the host key (making it on first
// run) and builds the SSH server; it listens on nothing yet.
func newDrillServer(c serveConfig, logw io.Writer) (*drillServer, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	ds := &drillServer{cfg: c, log: &serveLog{w: logw}, limiter: newRateLimiter(c.ratePerMinute), reg: newRegistry()}
	var err error
	if c.authorizedKeys != "" {
		if ds.players, err = loadKeyList(c.authorizedKeys, "--authorized-keys", ds.log); err != nil {
			return nil, err
		}
	}
	if c.facilitatorKeys != "" {
		if ds.facilitators, err = loadKeyList(c.facilitatorKeys, "--facilitator-keys", ds.log); err != nil {
			return nil, err
		}
	}
	if c.passwords != "" {
		if ds.passwords, err = loadPasswordFile(c.passwords, ds.log); err != nil {
			return nil, err
		}
	}
	// The players' folders live below the state directory: it must be
	// private (the same checks as every reclaim state directory).
	if err := os.MkdirAll(c.stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	if err := (&checklist.Store{Dir: c.stateDir}).Check(); err != nil {
		return nil, err
	}
	ds.hostKeyPath = c.hostKey
	if ds.hostKeyPath == "" {
		ds.hostKeyPath = filepath.Join(c.stateDir, "host_ed25519")
	}
	pemBytes, fp, created, err := ensureHostKey(ds.hostKeyPath)
	if err != nil {
		return nil, err
	}
	ds.hostKeyFP = fp
	if created {
		ds.log.printf("made a new host key at %s", ds.hostKeyPath)
	}
	opts := []ssh.Option{
		wish.WithHostKeyPEM(pemBytes),
		wish.WithVersion("reclaim"),
		wish.WithPublicKeyAuth(ds.publicKeyAuth),
		wish.WithBannerHandler(ds.banner),
		// Backstops at the connection level; the session ends itself
		// first, with a message (serve_session.go): output alone (the drill's
		// clock) keeps a connection "active" for these.
		wish.WithIdleTimeout(c.idleTimeout + time.Minute),
		wish.WithMaxTimeout(c.maxTimeout + time.Minute),
		wish.WithMiddleware(recover.Middleware(ds.sessionMiddleware)),
		func(s *ssh.Server) error {
			s.ConnCallback = ds.onConn
			s.HandshakeTimeout = serveHandshakeLimit
			return nil
		},
	}
	if ds.passwords != nil {
		opts = append(opts, wish.WithPasswordAuth(ds.passwordAuth))
	}
	if c.insecureNoAuth {
		// No key needed: a client without one logs in by keyboard-interactive
		// with no questions, and is told apart by its user name.
		opts = append(opts, wish.WithKeyboardInteractiveAuth(func(ctx ssh.Context, _ gossh.KeyboardInteractiveChallenge) bool { return !rateLimited(ctx) }))
	}
	if ds.srv, err = wish.NewServer(opts...); err != nil {
		return nil, err
	}
	return ds, nil
}

// playerDir is a player's private state folder (0700), made on demand.
func (ds *drillServer) playerDir(who identity) (string, error) {
	root := filepath.Join(ds.cfg.stateDir, "players")
	if err := os.MkdirAll(root, 0o700); err != nil {
		return "", err
	}
	dir := filepath.Join(root, who.key)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	return dir, nil
}

// runServe is reclaim serve.
func runServe(cmd *cobra.Command, c serveConfig) error {
	ds, err := newDrillServer(c, cmd.ErrOrStderr())
	if err != nil {
		return withCode(exitError, err)
	}
	if ignored := clearServerTerminalEnv(); len(ignored) > 0 {
		ds.log.printf("ignoring the server's %s: each session's terminal settings come from its SSH client", strings.Join(ignored, ", "))
	}
	ln, err := net.Listen("tcp", c.listen)
	if err != nil {
		return withCode(exitError, fmt.Errorf("listen on %s: %w", c.listen, err))
	}
	ds.log.printf("listening on %s; host key %s (%s); scenario %s; state in %s", ln.Addr(), ds.hostKeyFP, ds.hostKeyPath, c.scenario, c.stateDir)
	errc := make(chan error, 1)
	go func() { errc <- ds.srv.Serve(ln) }()
	select {
	case <-cmd.Context().Done():
		ds.shutdown("the drill server is shutting down", serveShutdownGrace)
		ds.log.printf("stopped; every session was saved")
		return withCode(exitAborted, nil) // main turns the signal into 143 or 130
	case err := <-errc:
		ds.shutdown("the drill server stopped", serveShutdownGrace)
		if errors.Is(err, ssh.ErrServerClosed) {
			return nil
		}
		return withCode(exitError, err)
	}
}

// shutdown stops accepting, tells every session to quit (each saves its
// drill on the way out), and waits for them up to grace before closing
// what is left.
func (ds *drillServer) shutdown(reason string, grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	lives := ds.reg.closeAll(reason)
	stopped := make(chan struct{})
	go func() { _ = ds.srv.Shutdown(ctx); close(stopped) }()
	for _, l := range lives {
		select {
		case <-l.done:
		case <-ctx.Done():
		}
	}
	select {
	case <-stopped:
	case <-ctx.Done():
	}
	_ = ds.srv.Close()
}

// clearServerTerminalEnv drops the server's own terminal and mail settings
// from its environment. Each player's UI takes TERM and NO_COLOR from its
// session (tui.Options.Getenv) and sends no mail (tui.Options.NoMail); this
// is a second guard, so nothing a later change reads from the process
// environment can leak the server's settings to a player.
func clearServerTerminalEnv() []string {
	var ignored []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "NO_COLOR" || k == "TERM" || k == "COLORTERM" || strings.HasPrefix(k, "RECLAIM_SMTP_") {
			os.Unsetenv(k)
			ignored = append(ignored, k)
		}
	}
	return ignored
}

// serveLog is the server's log on stderr: one line an event, no secrets,
// every client-supplied text sanitized by the caller.
type serveLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *serveLog) printf(format string, a ...any) {
	if l == nil || l.w == nil {
		return
	}
	line := provider.Sanitize(fmt.Sprintf(format, a...))
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s reclaim serve: %s\n", time.Now().Format("15:04:05"), line)
}
