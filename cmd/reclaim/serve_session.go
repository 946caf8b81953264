package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/bubbletea"
	"github.com/charmbracelet/colorprofile"

	"reclaim/checklist"
	"reclaim/provider"
	"reclaim/provider/drill"
	"reclaim/tui"
)

// liveSession is one connected SSH session: a player's drill or a
// facilitator's view.
type liveSession struct {
	who       identity
	remote    string
	connected time.Time
	scenario  string // the server's, for new drills

	mu     sync.Mutex
	eng    *checklist.Engine // the drill open in it, once one is
	opened []*Session        // every incident it opened, saved and closed at the end
	// the facilitator view's cached score (serve_facilitator.go)
	score    string
	scoreAt  time.Time
	scoreEng *checklist.Engine

	stopOnce sync.Once
	reason   string        // why the server ended it ("" when the player quit)
	end      chan struct{} // closed to ask the session to end
	done     chan struct{} // closed once it has ended and its drill is saved
}

func newLiveSession(who identity, remote string, scenario string) *liveSession {
	return &liveSession{who: who, remote: remote, scenario: scenario, connected: time.Now(), end: make(chan struct{}), done: make(chan struct{})}
}

// stop asks the session to end, saying why; the first reason stays.
func (l *liveSession) stop(reason string) {
	l.stopOnce.Do(func() {
		l.mu.Lock()
		l.reason = reason
		l.mu.Unlock()
		close(l.end)
	})
}

func (l *liveSession) stopReason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

func (l *liveSession) engine() *checklist.Engine {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.eng
}

func (l *liveSession) opens(s *Session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.eng = s.Engine
	l.opened = append(l.opened, s)
}

// saveAll saves and closes every incident the session opened (a no-op for
// one the UI closed itself).
func (l *liveSession) saveAll() {
	l.mu.Lock()
	opened := l.opened
	l.mu.Unlock()
	for _, s := range opened {
		s.saveAndClose()
	}
}

// registry holds the sessions in progress, for the one-connection-per-player
// rule, the facilitator view and shutdown.
type registry struct {
	mu           sync.Mutex
	players      map[string]*liveSession // by identity.key
	facilitators map[*liveSession]bool
	closing      string // set by closeAll: no new sessions
}

func newRegistry() *registry {
	return &registry{players: map[string]*liveSession{}, facilitators: map[*liveSession]bool{}}
}

var errServerFull = errors.New("the drill server is full; try again later")

// takeoverWait bounds how long a new connection waits for the player's
// previous one to save and close.
const takeoverWait = 5 * time.Second

// claim registers a player's session. A session already open for the same
// player is taken over: it is told to end (and saves), then this one goes on.
func (r *registry) claim(l *liveSession, maxPlayers int) error {
	for attempt := 0; attempt < 2; attempt++ {
		r.mu.Lock()
		if r.closing != "" {
			r.mu.Unlock()
			return errors.New(r.closing)
		}
		old := r.players[l.who.key]
		if old == nil {
			if len(r.players) >= maxPlayers {
				r.mu.Unlock()
				return errServerFull
			}
			r.players[l.who.key] = l
			r.mu.Unlock()
			return nil
		}
		r.mu.Unlock()
		old.stop(fmt.Sprintf("this drill was opened again from %s, so this connection is closed", l.remote))
		select {
		case <-old.done:
		case <-time.After(takeoverWait):
			return errors.New("your previous connection is still saving its drill; try again in a few seconds")
		}
	}
	return errors.New("your drill was just opened from another connection; try again in a few seconds")
}

func (r *registry) addFacilitator(l *liveSession) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closing != "" {
		return errors.New(r.closing)
	}
	r.facilitators[l] = true
	return nil
}

// release removes a session once it has ended and saved.
func (r *registry) release(l *liveSession) {
	r.mu.Lock()
	if r.players[l.who.key] == l {
		delete(r.players, l.who.key)
	}
	delete(r.facilitators, l)
	r.mu.Unlock()
	close(l.done)
}

// live lists the players' sessions, oldest first.
func (r *registry) live() []*liveSession {
	r.mu.Lock()
	out := make([]*liveSession, 0, len(r.players))
	for _, l := range r.players {
		out = append(out, l)
	}
	r.mu.Unlock()
	sortLive(out)
	return out
}

func sortLive(ls []*liveSession) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && (ls[j].connected.Before(ls[j-1].connected) || ls[j].connected.Equal(ls[j-1].connected) && ls[j].who.key < ls[j-1].who.key); j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// closeAll refuses new sessions and asks every session to end; it returns
// them, to wait on their done.
func (r *registry) closeAll(reason string) []*liveSession {
	r.mu.Lock()
	r.closing = reason
	var all []*liveSession
	for _, l := range r.players {
		all = append(all, l)
	}
	for l := range r.facilitators {
		all = append(all, l)
	}
	r.mu.Unlock()
	for _, l := range all {
		l.stop(reason)
	}
	return all
}

// ---- the drill backend of one player ----

// serveBackend is the UI's backend for one player: drills only, in the
// player's own state folder, secrets in memory (never the server's keyring),
// no real provider.
type serveBackend struct {
	b    *backend
	live *liveSession
}

func (s serveBackend) List() ([]checklist.Summary, error) { return s.b.List() }

func (s serveBackend) NewDrill(string) (*checklist.Engine, func(), error) {
	sess, err := s.b.NewDrill(s.live.scenario) // the server's scenario
	if err != nil {
		return nil, nil, err
	}
	s.live.opens(sess)
	return sess.Engine, sess.Close, nil
}

var errDrillsOnly = errors.New("the drill server runs drills only: recover a real account with reclaim on your own machine")

func (s serveBackend) Open(id string) (*checklist.Engine, func(), error) {
	list, err := s.b.List()
	if err != nil {
		return nil, nil, err
	}
	drillID := false
	for _, sum := range list {
		if sum.ID == id && sum.Drill {
			drillID = true
		}
	}
	if !drillID {
		return nil, nil, errDrillsOnly
	}
	sess, err := s.b.Open(id, "")
	if err != nil {
		return nil, nil, err
	}
	if !sess.Engine.Snapshot().Drill {
		sess.Close()
		return nil, nil, errDrillsOnly
	}
	s.live.opens(sess)
	return sess.Engine, sess.Close, nil
}

func (s serveBackend) Providers() []provider.Info      { return nil }
func (s serveBackend) Credential(provider.Info) string { return "" }
func (s serveBackend) NewRecovery(string, string) (*checklist.Engine, func(), error) {
	return nil, nil, errDrillsOnly
}

// ---- one SSH session ----

// sessionMiddleware is the server's only handler: every session is a drill
// or, for a facilitator key, the facilitator view.
func (ds *drillServer) sessionMiddleware(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		ds.handle(sess)
		next(sess)
	}
}

// sessionTerm is what the session's client says about its terminal.
type sessionTerm struct {
	term    string
	noColor bool
}

func termOf(sess ssh.Session, pty ssh.Pty) sessionTerm {
	t := sessionTerm{term: pty.Term}
	for _, kv := range sess.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "NO_COLOR":
			t.noColor = t.noColor || v != ""
		case "TERM":
			if t.term == "" {
				t.term = v
			}
		}
	}
	t.noColor = t.noColor || t.term == "dumb"
	return t
}

func (ds *drillServer) handle(sess ssh.Session) {
	remote := hostOf(sess.RemoteAddr())
	if len(sess.Command()) > 0 || sess.Subsystem() != "" {
		wish.Fatalln(sess, "reclaim serve: this server runs the drill only: connect without a command (ssh -t)")
		return
	}
	pty, winCh, ok := sess.Pty()
	if !ok {
		wish.Fatalln(sess, "reclaim serve: the drill needs a terminal: connect with ssh -t")
		return
	}
	who, err := ds.identify(sess)
	if err != nil {
		ds.log.printf("refused a session from %s: %v", remote, err)
		wish.Fatalln(sess, "reclaim serve: "+err.Error())
		return
	}
	t := termOf(sess, pty)
	l := newLiveSession(who, remote, ds.cfg.scenario)
	if who.facilitator {
		if err := ds.reg.addFacilitator(l); err != nil {
			wish.Fatalln(sess, "reclaim serve: "+err.Error())
			return
		}
		defer ds.reg.release(l)
		ds.log.printf("facilitator %s (%s) connected from %s", who.name, who.fingerprint, remote)
		m := newFacilitatorModel(ds.reg, ds.cfg.scenario)
		ds.runProgram(sess, l, m, winCh, t)
		ds.endMessage(sess, l, "")
		ds.log.printf("facilitator %s left", who.name)
		return
	}
	if err := ds.reg.claim(l, ds.cfg.maxSessions); err != nil {
		ds.log.printf("refused %s (%s) from %s: %v", who.name, who.fingerprint, remote, err)
		wish.Fatalln(sess, "reclaim serve: "+err.Error())
		return
	}
	defer ds.reg.release(l) // after the drill is saved: a takeover waits for it
	dir, err := ds.playerDir(who)
	if err != nil {
		ds.log.printf("player %s: state folder: %v", who.name, err)
		wish.Fatalln(sess, "reclaim serve: the server could not prepare your state folder; tell the facilitator")
		return
	}
	b := newBackend()
	b.store = &checklist.Store{Dir: dir}
	b.secrets = checklist.NewSecrets(nil) // memory only: never the server's keyring
	if err := b.store.Check(); err != nil {
		ds.log.printf("player %s: %v", who.name, err)
		wish.Fatalln(sess, "reclaim serve: the server's state folder is unsafe; tell the facilitator")
		return
	}
	ds.log.printf("player %s (%s) connected from %s; term %q", who.name, who.fingerprint, remote, provider.SanitizeN(t.term, 30))
	// The player's terminal, from the session; never the server's
	// environment, and no mail sent on a player's behalf.
	env := func(k string) string {
		switch k {
		case "TERM":
			return t.term
		case "NO_COLOR":
			if t.noColor {
				return "1"
			}
		}
		return ""
	}
	m := tui.New(serveBackend{b: b, live: l}, tui.Options{Drill: true, Scenario: ds.cfg.scenario, DrillAbout: drill.About(ds.cfg.scenario), NoColor: t.noColor, Getenv: env, NoMail: "sending mail is off on the drill server"})
	final := ds.runProgram(sess, l, m, winCh, t)
	l.saveAll()
	msg := ""
	if fm, ok := final.(*tui.Model); ok {
		if err := fm.ExitErr(); err != nil && !errors.Is(err, tui.ErrInterrupted) {
			msg = "reclaim: " + safeLines(err.Error())
		}
	}
	// Not the UI's ExitMessage: it names a command to run and a path on
	// the server, neither of which means anything to the player.
	if eng := l.engine(); msg == "" && eng != nil {
		if eng.Snapshot().Closed.IsZero() {
			msg = "reclaim serve: your drill is saved: connect again to resume."
		} else {
			msg = "reclaim serve: drill finished; its report is kept on the server."
		}
	}
	ds.endMessage(sess, l, msg)
	ds.log.printf("player %s left%s", who.name, reasonSuffix(l.stopReason()))
}

func reasonSuffix(r string) string {
	if r == "" {
		return ""
	}
	return ": " + r
}

// endMessage tells the client why its session ended, then ends it.
func (ds *drillServer) endMessage(sess ssh.Session, l *liveSession, msg string) {
	if r := l.stopReason(); r != "" {
		msg = "reclaim serve: " + r + "."
		if !l.who.facilitator {
			msg += " Your drill is saved: connect again to resume."
		}
	}
	if msg != "" {
		_, _ = io.WriteString(sess, strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", "\r\n")+"\r\n")
	}
	_ = sess.Exit(0)
}

// endGrace is how long a program told to quit has before it is killed.
const endGrace = time.Second

// runProgram runs m on the session until it quits, the client goes, or the
// session is ended (idle, maximum time, takeover, shutdown); it returns the
// final model.
func (ds *drillServer) runProgram(sess ssh.Session, l *liveSession, m tea.Model, winCh <-chan ssh.Window, t sessionTerm) tea.Model {
	ctx, cancel := context.WithCancel(sess.Context())
	defer cancel()
	in := &activityReader{r: sess}
	in.touch()
	// MakeOptions: the session as input and output, the window size and
	// the client's environment (with the pty's TERM) for the colour profile.
	opts := bubbletea.MakeOptions(sess)
	opts = append(opts, tea.WithInput(in), tea.WithContext(ctx), tea.WithoutSignalHandler())
	if t.noColor {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	p := tea.NewProgram(m, opts...)
	finished := make(chan struct{})
	go ds.watchSession(ctx, cancel, l, p, in, winCh, finished)
	final, err := p.Run()
	close(finished)
	if err != nil && !errors.Is(err, tea.ErrProgramKilled) {
		ds.log.printf("%s: the UI stopped: %v", l.who.name, err)
	}
	if final == nil {
		final = m
	}
	return final
}

// watchSession forwards resizes and ends the session on idle, on the
// maximum time, or when asked to (l.end).
func (ds *drillServer) watchSession(ctx context.Context, cancel context.CancelFunc, l *liveSession, p *tea.Program, in *activityReader, winCh <-chan ssh.Window, finished <-chan struct{}) {
	idle, maxT := ds.cfg.idleTimeout, time.NewTimer(ds.cfg.maxTimeout)
	defer maxT.Stop()
	every := min(time.Second, max(idle/10, 10*time.Millisecond))
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-finished:
			return
		case <-ctx.Done():
			return
		case w, ok := <-winCh:
			if !ok {
				winCh = nil
				continue
			}
			p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
		case <-tick.C:
			if in.idleFor() >= idle {
				l.stop(fmt.Sprintf("no key was pressed for %s", idle))
			}
		case <-maxT.C:
			l.stop(fmt.Sprintf("the session reached its time limit (%s)", ds.cfg.maxTimeout))
		case <-l.end:
			go p.Quit() // the usual way out: the terminal is restored
			select {
			case <-finished:
			case <-time.After(endGrace):
				cancel() // kills the program
			}
			return
		}
	}
}

// activityReader notes when the client last sent anything (a key press,
// a paste, a terminal reply): the idle timeout counts from it, not from the
// UI's own output.
type activityReader struct {
	r    io.Reader
	last atomic.Int64
}

func (a *activityReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.touch()
	}
	return n, err
}

func (a *activityReader) touch() { a.last.Store(time.Now().UnixNano()) }

func (a *activityReader) idleFor() time.Duration {
	return time.Since(time.Unix(0, a.last.Load()))
}
