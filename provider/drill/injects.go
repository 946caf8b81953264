package drill

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"reclaim/provider"
)

// The drill clock is the time since the drill started (its epoch), read
// from the wall clock unless SetClock gave it another source (tests and the
// autopilot, so that nothing sleeps).

func (a *Account) wall() time.Time {
	if a.now != nil {
		return a.now()
	}
	return time.Now()
}

func (a *Account) elapsedLocked() time.Duration {
	d := a.wall().Sub(a.st.Epoch)
	if d < 0 {
		return 0
	}
	return d
}

// Elapsed is the drill clock: the time since the drill started.
func (a *Account) Elapsed() time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.elapsedLocked()
}

// SetClock makes now the drill clock's source (nil: the wall clock).
func (a *Account) SetClock(now func() time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.now = now
}

// Of returns the drill account behind p (an engine's provider, perhaps a
// styled view of it), or nil when p is not a drill.
func Of(p provider.Provider) *Account {
	if s, ok := p.(provider.Simulator); ok {
		a, _ := s.Unstyled().(*Account)
		return a
	}
	return nil
}

// Notice is an inject that struck, as the player is told.
type Notice struct {
	// Seq counts notices from 1; Notices(after) returns those after a seq.
	Seq    int           `json:"seq"`
	Inject string        `json:"inject"`
	Kind   string        `json:"kind"`
	At     time.Duration `json:"at"` // drill clock
	// By is what set it off: "schedule", "step STEP" or "facilitator".
	By      string `json:"by"`
	Title   string `json:"title"`
	Message string `json:"message,omitempty"`
	// Revisit names the steps the player should go back to.
	Revisit []string `json:"revisit,omitempty"`
}

// InjectStatus is one of the scenario's injects, struck or pending.
type InjectStatus struct {
	Name  string        `json:"name"`
	Kind  string        `json:"kind"`
	Title string        `json:"title"`
	When  string        `json:"when"` // "at T+5:00" or "after step audit.webhooks"
	Fired bool          `json:"fired"`
	At    time.Duration `json:"at,omitempty"` // when it struck (drill clock)
	By    string        `json:"by,omitempty"`
}

type firedInject struct {
	Name string        `json:"name"`
	At   time.Duration `json:"at"`
	By   string        `json:"by"`
}

func (a *Account) firedLocked(name string) (firedInject, bool) {
	for _, f := range a.st.Fired {
		if f.Name == name {
			return f, true
		}
	}
	return firedInject{}, false
}

// fireDueLocked sets off the time-based injects whose time has come, in
// time order.
func (a *Account) fireDueLocked() {
	el := a.elapsedLocked()
	var due []Inject
	for _, in := range a.sc.Injects {
		if in.AfterStep == "" && in.at > 0 && in.at <= el {
			if _, done := a.firedLocked(in.Name); !done {
				due = append(due, in)
			}
		}
	}
	sort.SliceStable(due, func(i, j int) bool { return due[i].at < due[j].at })
	for _, in := range due {
		a.applyLocked(in, "schedule")
	}
}

// Tick sets off the injects that are due and returns those that struck now.
// A UI calls it with its clock's tick; every provider call does it too.
func (a *Account) Tick() []Notice {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.st.Notices)
	a.fireDueLocked()
	return slices.Clone(a.st.Notices[n:])
}

// Notices sets off the injects that are due and returns every notice with
// a Seq after after (0: all). Each reader keeps its own cursor, so a UI and
// a facilitator can both read them.
func (a *Account) Notices(after int) []Notice {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fireDueLocked()
	var out []Notice
	for _, n := range a.st.Notices {
		if n.Seq > after {
			out = append(out, n)
		}
	}
	return out
}

// Injects lists the scenario's injects, struck and pending.
func (a *Account) Injects() []InjectStatus {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.fireDueLocked()
	out := make([]InjectStatus, 0, len(a.sc.Injects))
	for _, in := range a.sc.Injects {
		s := InjectStatus{Name: in.Name, Kind: in.Kind, Title: in.Title, When: in.When()}
		if f, ok := a.firedLocked(in.Name); ok {
			s.Fired, s.At, s.By = true, f.At, f.By
		}
		out = append(out, s)
	}
	return out
}

// FireInject sets off one of the scenario's injects now (a facilitator's
// command), whatever its schedule.
func (a *Account) FireInject(name string) (Notice, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i := slices.IndexFunc(a.sc.Injects, func(in Inject) bool { return in.Name == name })
	if i < 0 {
		var names []string
		for _, in := range a.sc.Injects {
			names = append(names, in.Name)
		}
		if len(names) == 0 {
			return Notice{}, fmt.Errorf("scenario %s has no injects", a.sc.ID)
		}
		return Notice{}, fmt.Errorf("no inject %q in scenario %s (have: %s)", provider.SanitizeN(name, 60), a.sc.ID, strings.Join(names, ", "))
	}
	if f, ok := a.firedLocked(name); ok {
		return Notice{}, fmt.Errorf("inject %s already struck at T+%s", name, FormatClock(f.At))
	}
	return a.applyLocked(a.sc.Injects[i], "facilitator"), nil
}

// Subscribe returns a channel that receives each notice as it strikes, and
// a function that ends the subscription. A slow reader misses notices
// rather than blocking the drill: Notices(after) has them all.
func (a *Account) Subscribe() (<-chan Notice, func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.subs == nil {
		a.subs = map[int]chan Notice{}
	}
	id := a.nextSub
	a.nextSub++
	ch := make(chan Notice, 16)
	a.subs[id] = ch
	return ch, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if c, ok := a.subs[id]; ok {
			delete(a.subs, id)
			close(c)
		}
	}
}

// StepFinished implements the engine's step observer: it sets off the
// injects that strike after the step (any status) and reports whether one
// did (the engine then saves).
func (a *Account) StepFinished(step, status string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := len(a.st.Notices)
	a.fireDueLocked()
	for _, in := range a.sc.Injects {
		if in.AfterStep == step {
			if _, done := a.firedLocked(in.Name); !done {
				a.applyLocked(in, "step "+step)
			}
		}
	}
	return len(a.st.Notices) > n
}

// applyLocked makes an inject happen to the account and tells the player.
func (a *Account) applyLocked(in Inject, by string) Notice {
	el := a.elapsedLocked()
	now := a.wall().UTC().Truncate(time.Second)
	at := a.st.Attacker
	switch in.Kind {
	case InjectTeammateAdded:
		t := in.Teammate.teammate(now)
		t.Created = now
		a.st.Teammates = append(a.st.Teammates, t)
		if t.Pending {
			at.Invites = appendNew(at.Invites, t.Token)
		} else {
			at.Teammates = appendNew(at.Teammates, t.Username)
		}
	case InjectKeyCreated:
		a.addAttackerKeyLocked(*in.Key, now)
	case InjectSubuserAdded:
		a.st.Subusers = append(a.st.Subusers, provider.Subuser{Username: in.Subuser.Username, Email: in.Subuser.Email, Created: now})
		at.Subusers = appendNew(at.Subusers, in.Subuser.Username)
	case InjectWebhookReadded:
		if !slices.ContainsFunc(a.st.Webhooks, func(w provider.Webhook) bool { return w.URL == in.URL }) {
			i := slices.IndexFunc(a.sc.Attacker.Webhooks, func(w WebhookSpec) bool { return w.URL == in.URL })
			spec := a.sc.Attacker.Webhooks[i]
			// A new id in the style of the account's own (numeric ones
			// where the scenario's are).
			id := fmt.Sprintf("wh-r%d", a.st.NextID)
			if numericIDs(a.st.Webhooks) {
				id = fmt.Sprint(900 + a.st.NextID)
			}
			a.st.NextID++
			a.st.Webhooks = append(a.st.Webhooks, provider.Webhook{ID: id, Kind: spec.Kind, URL: spec.URL, Hostname: spec.Hostname, Enabled: true, Created: now})
		}
		at.WebhookURLs = appendNew(at.WebhookURLs, in.URL)
	case InjectVolumeSpike:
		s := in.Spike
		a.st.Bursts = append(a.st.Bursts, burst{At: now, From: s.From, Count: s.PerDay, Subjects: slices.Clone(s.Subjects)})
		if in.Key != nil {
			a.addAttackerKeyLocked(*in.Key, now)
		}
	case InjectKeyLeakedInCI:
		l := *in.Leak
		if l.Path == "" {
			l.Path = defaultCILogPath
		}
		if l.Content == "" {
			l.Content = defaultCILog(a.style.credentialEnv(), l.Key)
		}
		a.st.Leaks = append(a.st.Leaks, l)
		at.Leaked = appendNew(at.Leaked, l.Key)
		if a.treeDir != "" {
			_ = a.style.writeTreeFiles(a.treeDir, []ServerFile{{Path: l.Path, Content: l.Content}}, a.st.Epoch)
		}
	}
	n := Notice{Seq: len(a.st.Notices) + 1, Inject: in.Name, Kind: in.Kind, At: el, By: by, Title: in.Title, Message: in.Message, Revisit: slices.Clone(in.Revisit)}
	a.st.Notices = append(a.st.Notices, n)
	a.st.Fired = append(a.st.Fired, firedInject{Name: in.Name, At: el, By: by})
	a.trackLocked(in.Name)
	for _, ch := range a.subs {
		select {
		case ch <- n:
		default:
		}
	}
	return n
}

func (a *Account) addAttackerKeyLocked(k KeySpec, now time.Time) {
	if slices.ContainsFunc(a.st.Keys, func(x provider.APIKey) bool { return x.ID == k.ID }) {
		return
	}
	key := k.key(now)
	key.Created = now
	a.st.Keys = append(a.st.Keys, key)
	a.st.Attacker.Keys = appendNew(a.st.Attacker.Keys, k.ID)
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// defaultCILog is a public CI build log that prints a key's credential
// into the environment variable env.
func defaultCILog(env, keyID string) string {
	return strings.Join([]string{
		"[build 1187] Running deploy for acme-newsletter (branch main)",
		"[build 1187] $ ./scripts/deploy.sh --verbose",
		"+ export " + env + "={{" + placeholderKey + " " + keyID + "}}",
		"+ php artisan config:cache",
		"[build 1187] Configuration cache cleared!",
		"[build 1187] Build log retention: public (project is open source)",
		"",
	}, "\n")
}

// Containment is when the attacker's access was all removed (drill clock).
type Containment struct {
	// Contained: no attacker access remains now.
	Contained bool `json:"contained"`
	// Reached: the account was contained at least once; First is the first
	// time, Last the latest time it became contained again.
	Reached bool          `json:"reached,omitempty"`
	First   time.Duration `json:"first,omitempty"`
	Last    time.Duration `json:"last,omitempty"`
	// Reopened lists when an inject gave the attacker access back.
	Reopened []Reopening `json:"reopened,omitempty"`
}

// Reopening is an inject that gave the attacker access back.
type Reopening struct {
	At     time.Duration `json:"at"`
	Inject string        `json:"inject"`
}

// trackLocked records containment after a change (by: the inject that
// made it, if any).
func (a *Account) trackLocked(by string) {
	open := len(a.openAccessLocked()) > 0
	c := &a.st.Contain
	switch {
	case !open && !c.Contained:
		el := a.elapsedLocked()
		c.Contained, c.Last = true, el
		if !c.Reached {
			c.Reached, c.First = true, el
		}
	case open && c.Contained:
		c.Contained = false
		if c.Reached {
			c.Reopened = append(c.Reopened, Reopening{At: a.elapsedLocked(), Inject: by})
		}
	}
}

// openAccessLocked lists the attacker's access that remains.
func (a *Account) openAccessLocked() []string {
	at := a.st.Attacker
	if at == nil {
		return nil
	}
	var out []string
	for _, k := range a.st.Keys {
		mine, leaked := slices.Contains(at.Keys, k.ID), slices.Contains(at.Leaked, k.ID)
		switch {
		case !mine && !leaked:
		case k.Master:
			if a.st.MasterReset.IsZero() {
				out = append(out, fmt.Sprintf("the leaked master key %s… (secret not reset)", short(k.ID)))
			}
		case !k.Inactive && leaked:
			out = append(out, fmt.Sprintf("leaked key %q (%s…)", provider.SanitizeN(k.Name, 40), short(k.ID)))
		case !k.Inactive:
			out = append(out, fmt.Sprintf("attacker key %q (%s…)", provider.SanitizeN(k.Name, 40), short(k.ID)))
		}
	}
	for _, t := range a.st.Teammates {
		if (t.Pending && slices.Contains(at.Invites, t.Token)) || (!t.Pending && slices.Contains(at.Teammates, t.Username)) {
			who := t.Username
			if t.Pending {
				who = "invite for " + t.Email
			}
			out = append(out, "teammate "+provider.SanitizeN(who, 60))
		}
	}
	for _, s := range a.st.Subusers {
		if !s.Disabled && slices.Contains(at.Subusers, s.Username) {
			out = append(out, "subuser "+provider.SanitizeN(s.Username, 60))
		}
	}
	for _, w := range a.st.Webhooks {
		if slices.Contains(at.WebhookURLs, w.URL) {
			out = append(out, fmt.Sprintf("%s webhook to %s", w.Kind, provider.SanitizeN(w.URL, 80)))
		}
	}
	if at.Password && a.st.PasswordHash == "" {
		out = append(out, "the account password the attacker knows")
	}
	out = append(out, a.openSecretsLocked(at.Secrets)...)
	return out
}

// Outcome is the drill account as a debrief reads it: the account now, the
// attacker's footholds, containment, the injects and when steps finished.
type Outcome struct {
	Scenario        *Scenario
	Epoch           time.Time
	Clock           time.Duration
	Keys            []provider.APIKey
	Teammates       []provider.Teammate
	Subusers        []provider.Subuser
	Webhooks        []provider.Webhook
	MailSettings    []provider.MailSetting
	AllowList       []provider.AllowRule
	PasswordChanged bool
	MasterReset     bool
	// The attacker's footholds (scenario and injects).
	AttackerKeys         []string
	LeakedKeys           []string
	AttackerTeammates    []string
	AttackerInvites      []string
	AttackerSubusers     []string
	AttackerWebhookURLs  []string
	AttackerMailSettings []string
	AttackerPassword     bool
	// OpenAccess is the attacker's access that remains.
	OpenAccess  []string
	Containment Containment
	Notices     []Notice
	Injects     []InjectStatus
}

// Outcome returns the account as a debrief reads it.
func (a *Account) Outcome() Outcome {
	a.mu.Lock()
	a.fireDueLocked()
	at := *a.st.Attacker
	o := Outcome{
		Scenario: a.sc, Epoch: a.st.Epoch, Clock: a.elapsedLocked(),
		Keys: slices.Clone(a.st.Keys), Teammates: slices.Clone(a.st.Teammates), Subusers: slices.Clone(a.st.Subusers),
		Webhooks: slices.Clone(a.st.Webhooks), MailSettings: slices.Clone(a.st.MailSettings), AllowList: slices.Clone(a.st.AllowList),
		PasswordChanged: a.st.PasswordHash != "", MasterReset: !a.st.MasterReset.IsZero(),
		AttackerKeys: slices.Clone(at.Keys), LeakedKeys: slices.Clone(at.Leaked), AttackerTeammates: slices.Clone(at.Teammates),
		AttackerInvites: slices.Clone(at.Invites), AttackerSubusers: slices.Clone(at.Subusers), AttackerWebhookURLs: slices.Clone(at.WebhookURLs),
		AttackerMailSettings: slices.Clone(at.MailSettings), AttackerPassword: at.Password,
		OpenAccess: a.openAccessLocked(), Containment: a.st.Contain, Notices: slices.Clone(a.st.Notices),
	}
	o.Containment.Reopened = slices.Clone(o.Containment.Reopened)
	a.mu.Unlock()
	o.Injects = a.Injects()
	return o
}

// writeTreeFiles renders files into the server tree at dir.
func (st *style) writeTreeFiles(dir string, files []ServerFile, epoch time.Time) error {
	keys := map[string]string{}
	for _, f := range files {
		var body string
		switch f.Generate {
		case GenerateAndroxgh0st:
			body = androxgh0stLog(epoch)
		default:
			body = renderTemplate(f.Content, dir, keys, st.credentialFor)
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// numericIDs reports whether every webhook id is a number (and there is one).
func numericIDs(ws []provider.Webhook) bool {
	for _, w := range ws {
		if _, err := strconv.Atoi(w.ID); err != nil {
			return false
		}
	}
	return len(ws) > 0
}
