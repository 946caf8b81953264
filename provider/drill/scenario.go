package drill

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"

	"reclaim/provider"
)

// The scenario format is documented in docs/scenarios.md; keep the two in
// step.

//go:embed scenarios/*.yaml
var scenarioFS embed.FS

// FormatVersion is the scenario format this build reads ("version: 1").
const FormatVersion = 1

// DefaultScenario is the built-in drill.
const DefaultScenario = "sendgrid-leaked-key"

// maxScenarioFile caps a scenario file's size.
const maxScenarioFile = 256 << 10

// maxScenarioDepth caps how deeply a scenario file's collections nest
// (block and flow together; the built-ins need 5). The preflight refuses a
// deeper file before go-yaml's parser and decoder, which take time and
// memory that grow with the depth, ever see it.
const maxScenarioDepth = 32

// Scenario is a drill: the account before the compromise, what the attacker
// left, what strikes during the drill and what a good response achieves.
type Scenario struct {
	Version int    `yaml:"version"`
	ID      string `yaml:"name"`
	Title   string `yaml:"title"`
	// Lesson is the one thing the scenario teaches (shown by --list).
	Lesson   string `yaml:"lesson"`
	Briefing string `yaml:"briefing"`
	// Style is the provider the drill account behaves like.
	Style string `yaml:"provider"`
	// AlsoLeaked names other providers' credentials that leaked with this
	// one (a shared .env): the part of a multi-provider leak that is easy
	// to forget.
	AlsoLeaked   []OtherCredential `yaml:"also_leaked"`
	Detected     string            `yaml:"detected"`
	Suspended    bool              `yaml:"suspended"`
	StillSending bool              `yaml:"still_sending"`
	// RateLimit makes every Nth API call wait as for a 429 that the real
	// adapter waits out.
	RateLimit    *RateLimit                 `yaml:"rate_limit"`
	Account      AccountSpec                `yaml:"account"`
	KnownGood    KnownGood                  `yaml:"known_good"`
	Attacker     AttackerSpec               `yaml:"attacker"`
	Server       ServerSpec                 `yaml:"server"`
	Console      map[provider.Item][]string `yaml:"console"`
	Answers      map[string]string          `yaml:"answers"`
	Injects      []Inject                   `yaml:"injects"`
	Expectations []Expectation              `yaml:"expectations"`
	// Risks overrides the penalty of a risky action (RiskKinds).
	Risks map[string]int `yaml:"risks"`

	// Keys is every key at the start, known_good's then the attacker's
	// (made at load; a benchmark may add more before New).
	Keys []KeySpec `yaml:"-"`
	// Source is "built-in" or the path of the file it was read from.
	Source string `yaml:"-"`
	raw    []byte
	style  *style
}

// OtherCredential is another provider's credential in the same leak.
type OtherCredential struct {
	Provider string `yaml:"provider"`
	What     string `yaml:"what"`
	Console  string `yaml:"console"`
}

// RateLimit: every Every-th call waits Wait (in a drill with latency).
type RateLimit struct {
	Every int    `yaml:"every"`
	Wait  string `yaml:"wait"`
	wait  time.Duration
}

// AccountSpec is the account's profile.
type AccountSpec struct {
	Username string `yaml:"username"`
	Email    string `yaml:"email"`
	Company  string `yaml:"company"`
	Type     string `yaml:"type"`
	Created  Offset `yaml:"created"`
	// YourIP is the address the owner connects from.
	YourIP string `yaml:"your_ip"`
	// SessionKey is the id of the key reclaim uses (a known_good key).
	SessionKey string `yaml:"session_key"`
}

// KnownGood is the account before the compromise.
type KnownGood struct {
	Keys         []KeySpec         `yaml:"keys"`
	Teammates    []TeammateSpec    `yaml:"teammates"`
	Subusers     []SubuserSpec     `yaml:"subusers"`
	Webhooks     []WebhookSpec     `yaml:"webhooks"`
	Senders      []SenderSpec      `yaml:"senders"`
	MailSettings []MailSettingSpec `yaml:"mail_settings"`
	AllowList    []string          `yaml:"allow_list"`
	Activity     []ActivitySpec    `yaml:"activity"`
	Mail         NormalMail        `yaml:"mail"`
	// Secrets are account secrets other than API keys (auth tokens, SMTP
	// logins, signing keys), for styles whose API lists them.
	Secrets []SecretSpec `yaml:"secrets"`
}

// SecretSpec is an account secret that is not an API key.
type SecretSpec struct {
	ID      string `yaml:"id"`
	Kind    string `yaml:"kind"`
	Name    string `yaml:"name"`
	Domain  string `yaml:"domain"`
	Created Offset `yaml:"created"`
}

// AttackerSpec is what the attacker holds and left in the account.
type AttackerSpec struct {
	// LeakedKeys are known_good keys whose secret the attacker holds.
	LeakedKeys []string `yaml:"leaked_keys"`
	// LeakedSecrets are known_good secrets the attacker holds, until they
	// are rotated.
	LeakedSecrets []string `yaml:"leaked_secrets"`
	// KnowsPassword: the attacker logs in with the password until it is
	// changed (credential stuffing).
	KnowsPassword bool              `yaml:"knows_password"`
	Keys          []KeySpec         `yaml:"keys"`
	Teammates     []TeammateSpec    `yaml:"teammates"`
	Subusers      []SubuserSpec     `yaml:"subusers"`
	Webhooks      []WebhookSpec     `yaml:"webhooks"`
	Senders       []SenderSpec      `yaml:"senders"`
	MailSettings  []MailSettingSpec `yaml:"mail_settings"`
	Activity      []ActivitySpec    `yaml:"activity"`
	Mail          SpikeMail         `yaml:"mail"`
}

// KeySpec is an API key.
type KeySpec struct {
	ID         string   `yaml:"id"`
	Name       string   `yaml:"name"`
	Scopes     []string `yaml:"scopes"`
	FullAccess bool     `yaml:"full_access"`
	Created    Offset   `yaml:"created"`
	Subuser    string   `yaml:"subuser"`
	Master     bool     `yaml:"master"`   // Mailjet style: the master key
	Inactive   bool     `yaml:"inactive"` // Mailjet style: deactivated
}

// TeammateSpec is a teammate or a pending invite.
type TeammateSpec struct {
	Username string `yaml:"username"`
	Email    string `yaml:"email"`
	Name     string `yaml:"name"`
	Admin    bool   `yaml:"admin"`
	Owner    bool   `yaml:"owner"`
	Pending  bool   `yaml:"pending"`
	Token    string `yaml:"token"`
	Created  Offset `yaml:"created"`
}

// SubuserSpec is a subuser.
type SubuserSpec struct {
	Username string `yaml:"username"`
	Email    string `yaml:"email"`
	Created  Offset `yaml:"created"`
}

// WebhookSpec is an event webhook or an inbound-parse route.
type WebhookSpec struct {
	ID       string `yaml:"id"`
	Kind     string `yaml:"kind"`
	URL      string `yaml:"url"`
	Hostname string `yaml:"hostname"`
	Disabled bool   `yaml:"disabled"`
	Created  Offset `yaml:"created"`
}

// SenderSpec is a sender identity or an authenticated domain.
type SenderSpec struct {
	ID         string `yaml:"id"`
	Kind       string `yaml:"kind"`
	Address    string `yaml:"address"`
	Unverified bool   `yaml:"unverified"`
	Created    Offset `yaml:"created"`
}

// MailSettingSpec is a mail setting.
type MailSettingSpec struct {
	Name     string `yaml:"name"`
	Enabled  bool   `yaml:"enabled"`
	Forwards bool   `yaml:"forwards"`
	Value    string `yaml:"value"`
}

// ActivitySpec is a line of access activity.
type ActivitySpec struct {
	IP       string `yaml:"ip"`
	Location string `yaml:"location"`
	Method   string `yaml:"method"`
	Refused  bool   `yaml:"refused"`
	First    Offset `yaml:"first"`
	Last     Offset `yaml:"last"`
	Count    int    `yaml:"count"`
}

// NormalMail is the owner's daily mail.
type NormalMail struct {
	From     string   `yaml:"from"`
	PerDay   int      `yaml:"per_day"`
	Subjects []string `yaml:"subjects"`
}

// SpikeMail is the attacker's mail: PerDay messages on each of Days
// (relative to the drill's start: 0 is today, -1 yesterday).
type SpikeMail struct {
	From     string   `yaml:"from"`
	Days     []int    `yaml:"days"`
	PerDay   int      `yaml:"per_day"`
	Subjects []string `yaml:"subjects"`
}

// ServerSpec is the simulated server the leak scan reads.
type ServerSpec struct {
	Files []ServerFile `yaml:"files"`
}

// ServerFile is one file of the simulated server: its Content (with
// placeholders, see docs/scenarios.md) or a Generate'd one.
type ServerFile struct {
	Path     string `yaml:"path"`
	Content  string `yaml:"content"`
	Generate string `yaml:"generate"`
}

// Inject is something that strikes during the drill.
type Inject struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// At is a duration from the drill's start ("5m"); AfterStep a step id:
	// exactly one is set.
	At        string   `yaml:"at"`
	AfterStep string   `yaml:"after_step"`
	Title     string   `yaml:"title"`
	Message   string   `yaml:"message"`
	Revisit   []string `yaml:"revisit"`
	// Kind-specific fields.
	Teammate *TeammateSpec `yaml:"teammate"`
	Key      *KeySpec      `yaml:"key"`
	Subuser  *SubuserSpec  `yaml:"subuser"`
	URL      string        `yaml:"url"`
	Spike    *SpikeMail    `yaml:"spike"`
	Leak     *LeakSpec     `yaml:"leak"`
	at       time.Duration
}

// LeakSpec is a key that leaks mid-drill into a file on the server.
type LeakSpec struct {
	Key     string `yaml:"key"`
	Path    string `yaml:"path"`
	Content string `yaml:"content"`
}

// Expectation is one thing a good response achieves, and its points.
type Expectation struct {
	ID     string `yaml:"id"`
	Title  string `yaml:"title"`
	Points int    `yaml:"points"`
	Check  Check  `yaml:"check"`
	// Lesson and Runbook are what the after-action report says when the
	// expectation is missed (defaults by check kind).
	Lesson  string `yaml:"lesson"`
	Runbook string `yaml:"runbook"`
}

// Check is a declarative predicate on the final account and the journal.
type Check struct {
	Kind     string   `yaml:"kind"`
	Key      string   `yaml:"key"`
	URL      string   `yaml:"url"`
	Teammate string   `yaml:"teammate"`
	Step     string   `yaml:"step"`
	Question string   `yaml:"question"`
	Any      []string `yaml:"any"`
}

// Inject kinds.
const (
	InjectTeammateAdded   = "teammate_added"
	InjectKeyCreated      = "key_created"
	InjectSubuserAdded    = "subuser_added"
	InjectWebhookReadded  = "webhook_readded"
	InjectVolumeSpike     = "volume_spike"
	InjectKeyLeakedInCI   = "key_leaked_in_ci_log"
	InjectSupportReply    = "support_reply"
	InjectNotice          = "notice"
	GenerateAndroxgh0st   = "androxgh0st_access_log"
	defaultCILogPath      = "var/lib/ci/builds/1187/log.txt"
	placeholderKey        = "key"
	placeholderSendGridID = "sendgrid_key" // the older name of placeholderKey
)

// InjectKinds is the closed set of inject kinds.
var InjectKinds = []string{InjectTeammateAdded, InjectKeyCreated, InjectSubuserAdded, InjectWebhookReadded, InjectVolumeSpike, InjectKeyLeakedInCI, InjectSupportReply, InjectNotice}

// Check kinds.
const (
	CheckNoAttackerAccess       = "no_attacker_access"
	CheckNoAttackerKeys         = "no_attacker_keys"
	CheckNoAttackerTeammates    = "no_attacker_teammates"
	CheckNoAttackerSubusers     = "no_attacker_subusers"
	CheckNoAttackerWebhooks     = "no_attacker_webhooks"
	CheckNoAttackerMailSettings = "no_attacker_mail_settings"
	CheckKeyRevoked             = "key_revoked"
	CheckKeyKept                = "key_kept"
	CheckWebhookAbsent          = "webhook_absent"
	CheckTeammateAbsent         = "teammate_absent"
	CheckStepDone               = "step_done"
	CheckRevokeAfterVerified    = "key_revoked_after_replacement_verified"
	CheckAllowListKeepsOwner    = "ip_allowlist_keeps_owner"
	CheckPasswordChanged        = "password_changed"
	CheckRootCauseRecorded      = "root_cause_recorded"
	CheckAnswerMentions         = "answer_mentions"
	CheckScanFound              = "scan_found"
)

// checkParams says which parameters each check kind takes: r required,
// o optional.
var checkParams = map[string]map[string]byte{
	CheckNoAttackerAccess:       {},
	CheckNoAttackerKeys:         {},
	CheckNoAttackerTeammates:    {},
	CheckNoAttackerSubusers:     {},
	CheckNoAttackerWebhooks:     {},
	CheckNoAttackerMailSettings: {},
	CheckKeyRevoked:             {"key": 'r'},
	CheckKeyKept:                {"key": 'r'},
	CheckWebhookAbsent:          {"url": 'r'},
	CheckTeammateAbsent:         {"teammate": 'r'},
	CheckStepDone:               {"step": 'r'},
	CheckRevokeAfterVerified:    {},
	CheckAllowListKeepsOwner:    {},
	CheckPasswordChanged:        {},
	CheckRootCauseRecorded:      {"any": 'o'},
	CheckAnswerMentions:         {"step": 'r', "question": 'r', "any": 'r'},
	CheckScanFound:              {"any": 'r'},
}

// CheckKinds is the closed set of check kinds, sorted.
func CheckKinds() []string {
	out := make([]string, 0, len(checkParams))
	for k := range checkParams {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Risky actions the debrief detects from the journal and the account.
const (
	RiskRevokedBeforeVerified = "revoked_before_replacement_verified"
	RiskAllowListLocksOut     = "allow_list_locks_owner_out"
)

// RiskKinds are the risky actions and their default penalties.
var RiskKinds = map[string]int{RiskRevokedBeforeVerified: 10, RiskAllowListLocksOut: 10}

// Penalty is what a risky action costs in this scenario.
func (sc *Scenario) Penalty(kind string) int {
	if p, ok := sc.Risks[kind]; ok {
		return p
	}
	return RiskKinds[kind]
}

// MaxScore is the sum of the expectations' points.
func (sc *Scenario) MaxScore() int {
	n := 0
	for _, x := range sc.Expectations {
		n += x.Points
	}
	return n
}

// When says when an inject strikes ("at 5m", "after rotate.revoke").
func (in Inject) When() string {
	if in.AfterStep != "" {
		return "after step " + in.AfterStep
	}
	return "at T+" + FormatClock(in.at)
}

// AtDuration is a time-based inject's time from the drill's start.
func (in Inject) AtDuration() time.Duration { return in.at }

// FormatClock writes a drill-clock duration as H:MM:SS (M:SS under an hour).
func FormatClock(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// StepIDs are the procedure's step ids (checklist.StepIDs, which a test
// keeps equal): the drill cannot import the checklist.
var StepIDs = []string{
	"triage", "evidence.inventory", "evidence.review", "investigate.questions", "investigate.scan",
	"rotate.create", "rotate.verify", "rotate.revoke", "rotate.secrets", "rotate.deadcheck", "password.reset",
	"twofactor.enrol", "audit.account", "audit.keys", "audit.payment", "audit.twofactor",
	"audit.teammates", "audit.ipaccess", "audit.webhooks", "audit.subusers", "audit.mailsettings",
	"audit.senders", "audit.mail", "report.support",
}

// Scenarios lists the built-in scenario names.
func Scenarios() []string {
	ents, _ := scenarioFS.ReadDir("scenarios")
	var out []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			out = append(out, n)
		}
	}
	return out
}

// About says what a drill on the scenario simulates, for a menu: "a
// simulated compromised SendGrid account" (name: as LoadScenario takes it;
// "" is the default scenario). A scenario that does not load is described
// without its provider.
func About(name string) string {
	if name == "" {
		name = DefaultScenario
	}
	if sc, err := LoadScenario(name); err == nil && sc.style != nil {
		return "a simulated compromised " + sc.style.s.Name + " account"
	}
	return "a simulated compromised account"
}

// IsScenarioFile reports whether a --scenario value names a file (it
// contains a path separator or ends in .yaml or .yml) rather than a
// built-in.
func IsScenarioFile(s string) bool {
	return strings.ContainsRune(s, '/') || strings.ContainsRune(s, filepath.Separator) || strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml")
}

// LoadScenario reads a built-in scenario by name, or a scenario file when
// name is a path (IsScenarioFile).
func LoadScenario(name string) (*Scenario, error) {
	if IsScenarioFile(name) {
		return LoadScenarioFile(name)
	}
	file := path.Join("scenarios", name+".yaml")
	b, err := scenarioFS.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("no drill scenario %q (have: %s)", provider.SanitizeN(name, 60), strings.Join(Scenarios(), ", "))
	}
	sc, err := ParseScenario(file, b)
	if err != nil {
		return nil, err
	}
	if sc.ID != name {
		return nil, fmt.Errorf("%s: name: %q does not match the file name", file, sc.ID)
	}
	sc.Source = "built-in"
	return sc, nil
}

// LoadScenarioFile reads and validates a scenario file.
func LoadScenarioFile(file string) (*Scenario, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("drill scenario: %w", err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("drill scenario %s: not a regular file", provider.SanitizeN(file, 200))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxScenarioFile+1))
	if err != nil {
		return nil, fmt.Errorf("drill scenario: %w", err)
	}
	if len(b) > maxScenarioFile {
		return nil, fmt.Errorf("drill scenario %s: larger than %d bytes", provider.SanitizeN(file, 200), maxScenarioFile)
	}
	sc, err := ParseScenario(file, b)
	if err != nil {
		return nil, err
	}
	sc.Source = file
	return sc, nil
}

// Problem is one thing wrong in a scenario file.
type Problem struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// LoadError lists what is wrong in a scenario file, each as
// FILE:LINE: field: message.
type LoadError struct {
	File     string
	Problems []Problem
}

func (e *LoadError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d: ", provider.SanitizeN(e.File, 200), p.Line)
		if p.Field != "" {
			b.WriteString(provider.SanitizeN(p.Field, 120) + ": ")
		}
		b.WriteString(provider.SanitizeN(p.Message, 800))
	}
	return b.String()
}

// ParseScenario decodes and validates a scenario; file names it in errors.
func ParseScenario(file string, b []byte) (*Scenario, error) {
	le := &LoadError{File: file}
	if len(b) > maxScenarioFile {
		le.Problems = append(le.Problems, Problem{Line: 1, Message: fmt.Sprintf("larger than %d bytes", maxScenarioFile)})
		return nil, le
	}
	// One linear pass over the tokens refuses anchors, aliases, merge keys
	// and deep nesting before anything expands or recurses; the parser
	// reuses the tokens.
	tokens := lexer.Tokenize(string(b))
	if tokens.InvalidToken() == nil {
		if p := preflight(tokens); p != nil {
			le.Problems = append(le.Problems, *p)
			return nil, le
		}
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		le.Problems = append(le.Problems, yamlProblem(err, nil))
		return nil, le
	}
	ix := indexYAML(f)
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		le.Problems = append(le.Problems, Problem{Line: 1, Message: "a scenario file holds exactly one YAML document"})
		return nil, le
	}
	if _, ok := f.Docs[0].Body.(*ast.MappingNode); !ok {
		le.Problems = append(le.Problems, Problem{Line: 1, Message: "a scenario is a mapping (version: 1, name: …)"})
		return nil, le
	}
	var sc Scenario
	if err := yaml.UnmarshalWithOptions(b, &sc, yaml.DisallowUnknownField()); err != nil {
		le.Problems = append(le.Problems, yamlProblem(err, ix))
		return nil, le
	}
	v := &validator{ix: ix, sc: &sc}
	v.validate()
	if len(v.problems) > 0 {
		slices.SortStableFunc(v.problems, func(a, b Problem) int { return a.Line - b.Line })
		le.Problems = v.problems
		return nil, le
	}
	sc.raw = slices.Clone(b)
	sc.Keys = append(slices.Clone(sc.KnownGood.Keys), sc.Attacker.Keys...)
	return &sc, nil
}

// preflight refuses what the scenario format leaves out and what would
// make go-yaml's parser or decoder eat time and memory: anchors, aliases
// and merge keys (a few lines of aliases expand to billions of nodes) and
// collections nested deeper than maxScenarioDepth. It is one pass over the
// tokens and allocates nothing but a small stack.
func preflight(tokens token.Tokens) *Problem {
	type level struct {
		col int
		seq bool
	}
	var stack []level
	flow := 0
	deep := func(tk *token.Token) *Problem {
		return &Problem{Line: tk.Position.Line, Message: fmt.Sprintf("nested deeper than %d levels: a scenario needs far fewer", maxScenarioDepth)}
	}
	// block enters a block mapping (seq false) or sequence at col: a
	// shallower or equal column closes what is open to its right.
	block := func(col int, seq bool) bool {
		for len(stack) > 0 {
			top := stack[len(stack)-1]
			if top.col > col || (top.col == col && top.seq && !seq) {
				stack = stack[:len(stack)-1]
				continue
			}
			if top.col == col && top.seq == seq {
				return true
			}
			break
		}
		stack = append(stack, level{col, seq})
		return len(stack) <= maxScenarioDepth
	}
	// name is an anchor's or alias's name: the token after it.
	name := func(i int) string {
		if i+1 < len(tokens) && tokens[i+1].Position.Line == tokens[i].Position.Line {
			return provider.SanitizeN(tokens[i+1].Value, 40)
		}
		return ""
	}
	for i, tk := range tokens {
		switch tk.Type {
		case token.AnchorType:
			return &Problem{Line: tk.Position.Line, Message: fmt.Sprintf("YAML anchors (&%s) are not allowed in a scenario file: write each value out", name(i))}
		case token.AliasType:
			return &Problem{Line: tk.Position.Line, Message: fmt.Sprintf("YAML aliases (*%s) are not allowed in a scenario file: write the value out (quote text that starts with *)", name(i))}
		case token.MergeKeyType:
			return &Problem{Line: tk.Position.Line, Message: "YAML merge keys (<<) are not allowed in a scenario file: write the fields out"}
		case token.DocumentHeaderType:
			stack, flow = stack[:0], 0
		case token.SequenceStartType, token.MappingStartType:
			flow++
			if flow+len(stack) > maxScenarioDepth {
				return deep(tk)
			}
		case token.SequenceEndType, token.MappingEndType:
			if flow > 0 {
				flow--
			}
		case token.SequenceEntryType, token.MappingKeyType:
			if flow == 0 && !block(tk.Position.Column, tk.Type == token.SequenceEntryType) {
				return deep(tk)
			}
		case token.MappingValueType:
			if flow > 0 || i == 0 {
				continue
			}
			// The mapping starts at its key (and the key's tag).
			k := tokens[i-1]
			for j := i - 2; j >= 0 && tokens[j].Type == token.TagType && tokens[j].Position.Line == k.Position.Line; j-- {
				k = tokens[j]
			}
			if !block(k.Position.Column, false) {
				return deep(tk)
			}
		}
	}
	return nil
}

// yamlIndex maps paths ("injects[2].at") to nodes, and tokens' positions
// to paths (a decode error's token comes from the decoder's own parse).
type yamlIndex struct {
	byPath map[string]ast.Node
	byPos  map[[2]int]string
}

func posOf(tk *token.Token) [2]int { return [2]int{tk.Position.Line, tk.Position.Column} }

func indexYAML(f *ast.File) *yamlIndex {
	ix := &yamlIndex{byPath: map[string]ast.Node{}, byPos: map[[2]int]string{}}
	for _, d := range f.Docs {
		if d.Body != nil {
			ix.walk(d.Body, "")
		}
	}
	return ix
}

func joinPath(parent, key string) string {
	if strings.ContainsAny(key, ".[]\" ") {
		key = strconv.Quote(key)
	}
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (ix *yamlIndex) walk(n ast.Node, p string) {
	if n == nil {
		return
	}
	if tk := n.GetToken(); tk != nil {
		if _, ok := ix.byPos[posOf(tk)]; !ok {
			ix.byPos[posOf(tk)] = p
		}
	}
	switch n := n.(type) {
	case *ast.MappingNode:
		for _, mv := range n.Values {
			ix.walk(mv, p)
		}
	case *ast.MappingValueNode:
		key := ""
		if n.Key != nil {
			if tk := n.Key.GetToken(); tk != nil {
				key = tk.Value
			}
		}
		cp := joinPath(p, key)
		if _, ok := ix.byPath[cp]; !ok {
			ix.byPath[cp] = n
		}
		if n.Key != nil {
			if tk := n.Key.GetToken(); tk != nil {
				ix.byPos[posOf(tk)] = cp
			}
		}
		ix.walk(n.Value, cp)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			cp := fmt.Sprintf("%s[%d]", p, i)
			ix.byPath[cp] = v
			ix.walk(v, cp)
		}
	case *ast.TagNode:
		ix.walk(n.Value, p)
	case *ast.AnchorNode:
		ix.walk(n.Value, p)
	case *ast.CommentGroupNode:
	}
}

// line is the line of path, or of its nearest ancestor in the file.
func (ix *yamlIndex) line(p string) int {
	if ix == nil {
		return 1
	}
	for p != "" {
		if n, ok := ix.byPath[p]; ok && n.GetToken() != nil {
			return n.GetToken().Position.Line
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 1
}

// yamlProblem turns a go-yaml error into a Problem with its line and the
// field's path.
func yamlProblem(err error, ix *yamlIndex) Problem {
	var ye yaml.Error
	if !errors.As(err, &ye) || ye.GetToken() == nil {
		return Problem{Line: 1, Message: err.Error()}
	}
	tk := ye.GetToken()
	p := Problem{Line: tk.Position.Line, Message: ye.GetMessage()}
	if ix != nil {
		p.Field = ix.byPos[posOf(tk)]
	}
	var te *yaml.TypeError
	var ue *yaml.UnknownFieldError
	var nt *yaml.UnexpectedNodeTypeError
	switch {
	case errors.As(err, &te):
		p.Message = fmt.Sprintf("expected %s, got %q", typeWords(te.DstType), tk.Value)
	case errors.As(err, &ue):
		p.Message = fmt.Sprintf("unknown field %q", tk.Value)
	case errors.As(err, &nt):
		p.Message = fmt.Sprintf("expected %s, got %s", nodeWords(nt.Expected), nodeWords(nt.Actual))
	}
	return p
}

func typeWords(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.String:
		return "text"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	case reflect.Pointer:
		return typeWords(t.Elem())
	}
	return t.String()
}

func nodeWords(t ast.NodeType) string {
	switch t {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.StringType:
		return "text"
	case ast.IntegerType, ast.FloatType:
		return "a number"
	case ast.BoolType:
		return "true or false"
	case ast.NullType:
		return "nothing"
	}
	return strings.ToLower(t.String())
}

// Offset is a time relative to the drill's start: "-2d", "-3h", "-40m" or
// "0" (empty is the start).
type Offset string

var offsetRE = regexp.MustCompile(`^(0|-[0-9]{1,5}[dhm])$`)

func (o Offset) valid() bool { return o == "" || offsetRE.MatchString(string(o)) }

func (o Offset) at(epoch time.Time) time.Time {
	s := string(o)
	if s == "" || s == "0" {
		return epoch
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil {
		return epoch
	}
	switch s[len(s)-1] {
	case 'd':
		return epoch.Add(time.Duration(n) * 24 * time.Hour)
	case 'h':
		return epoch.Add(time.Duration(n) * time.Hour)
	case 'm':
		return epoch.Add(time.Duration(n) * time.Minute)
	}
	return epoch
}

// validator checks a decoded scenario against the file's positions.
type validator struct {
	ix       *yamlIndex
	sc       *Scenario
	problems []Problem
}

func (v *validator) errf(p, format string, args ...any) {
	v.problems = append(v.problems, Problem{Line: v.ix.line(p), Field: p, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) required(p, val string) bool {
	if strings.TrimSpace(val) == "" {
		v.errf(p, "required")
		return false
	}
	return true
}

// text refuses control characters (other than newlines and tabs) in text
// that is shown as written.
func (v *validator) text(p, s string) {
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			v.errf(p, "control or direction-changing characters are not allowed here")
			return
		}
	}
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,47}$`)

var knownItems = []provider.Item{provider.ItemAPIKeys, provider.ItemPassword, provider.ItemTwoFactor, provider.ItemAccount, provider.ItemPayment, provider.ItemTeammates, provider.ItemIPAccess, provider.ItemWebhooks, provider.ItemParse, provider.ItemSubusers, provider.ItemMailSettings, provider.ItemSenders, provider.ItemActivity, provider.ItemMessages, provider.ItemSupport, provider.ItemSecurityLog}

// otherProviders are the providers also_leaked may name.
var otherProviders = []string{"sendgrid", "mailjet", "twilio", "mailgun", "postmark", "brevo", "mailchimp", "mandrill", "aws", "stripe"}

// detectedOptions are the triage step's answers to "how was it detected".
var detectedOptions = []string{"provider email", "forced reset", "leaked-key alert", "sending spike", "complaints", "other"}

func (v *validator) validate() {
	sc := v.sc
	switch {
	case sc.Version == 0:
		v.errf("version", "required (version: %d)", FormatVersion)
	case sc.Version != FormatVersion:
		v.errf("version", "unsupported version %d: this build reads version %d", sc.Version, FormatVersion)
	}
	if v.required("name", sc.ID) && !nameRE.MatchString(sc.ID) {
		v.errf("name", "use lower-case letters, digits and dashes (at most 48)")
	}
	for p, s := range map[string]string{"title": sc.Title, "lesson": sc.Lesson, "briefing": sc.Briefing} {
		if v.required(p, s) {
			v.text(p, s)
		}
	}
	if sc.Style == "" {
		v.errf("provider", "required (one of: %s)", strings.Join(provider.DrillStyles(), ", "))
	} else if st, err := lookupStyle(sc.Style); err != nil {
		v.errf("provider", "%s", err.Error())
	} else {
		sc.style = st
	}
	if sc.Detected != "" && !slices.Contains(detectedOptions, sc.Detected) {
		v.errf("detected", "%q is not one of: %s", sc.Detected, strings.Join(detectedOptions, ", "))
	}
	for i, o := range sc.AlsoLeaked {
		p := fmt.Sprintf("also_leaked[%d]", i)
		if v.required(p+".provider", o.Provider) && !slices.Contains(otherProviders, o.Provider) {
			v.errf(p+".provider", "%q is not one of: %s", o.Provider, strings.Join(otherProviders, ", "))
		}
		if v.required(p+".what", o.What) {
			v.text(p+".what", o.What)
		}
		v.text(p+".console", o.Console)
	}
	if rl := sc.RateLimit; rl != nil {
		if rl.Every < 2 {
			v.errf("rate_limit.every", "must be 2 or more (every Nth call is rate limited)")
		}
		d, err := time.ParseDuration(rl.Wait)
		switch {
		case rl.Wait == "":
			v.errf("rate_limit.wait", "required (e.g. 2s)")
		case err != nil:
			v.errf("rate_limit.wait", "%q is not a duration (e.g. 2s)", rl.Wait)
		case d <= 0 || d > time.Minute:
			v.errf("rate_limit.wait", "must be between 1ms and 1m")
		default:
			rl.wait = d
		}
	}
	v.account()
	v.objects()
	v.secrets()
	v.server()
	v.console()
	v.answers()
	v.injects()
	v.expectations()
	for k, n := range sc.Risks {
		p := joinPath("risks", k)
		if _, ok := RiskKinds[k]; !ok {
			v.errf(p, "unknown risk %q (known: %s, %s)", k, RiskRevokedBeforeVerified, RiskAllowListLocksOut)
		} else if n < 0 || n > 1000 {
			v.errf(p, "a penalty is between 0 and 1000 points")
		}
	}
}

func (v *validator) account() {
	a := v.sc.Account
	v.required("account.username", a.Username)
	v.required("account.email", a.Email)
	v.offset("account.created", a.Created)
	if v.required("account.your_ip", a.YourIP) {
		if _, err := netip.ParseAddr(a.YourIP); err != nil {
			v.errf("account.your_ip", "%q is not an IP address", a.YourIP)
		}
	}
	if v.required("account.session_key", a.SessionKey) && !slices.ContainsFunc(v.sc.KnownGood.Keys, func(k KeySpec) bool { return k.ID == a.SessionKey }) {
		v.errf("account.session_key", "%q is not one of known_good.keys", a.SessionKey)
	}
}

func (v *validator) offset(p string, o Offset) {
	if !o.valid() {
		v.errf(p, "%q is not a time before the drill's start (like -2d, -3h, -40m, or 0)", string(o))
	}
}

// objects checks both halves of the account: ids unique across them.
func (v *validator) objects() {
	sc := v.sc
	keys, users, invites, subs, hooks, senders := map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}, map[string]string{}
	mailset := map[string]string{}
	uniq := func(seen map[string]string, p, what, id string) {
		if prev, ok := seen[id]; ok {
			v.errf(p, "duplicate %s %q (also at %s)", what, id, prev)
			return
		}
		seen[id] = p
	}
	for _, half := range []struct {
		name string
		keys []KeySpec
		tm   []TeammateSpec
		sub  []SubuserSpec
		wh   []WebhookSpec
		snd  []SenderSpec
		ms   []MailSettingSpec
		act  []ActivitySpec
	}{
		{"known_good", sc.KnownGood.Keys, sc.KnownGood.Teammates, sc.KnownGood.Subusers, sc.KnownGood.Webhooks, sc.KnownGood.Senders, sc.KnownGood.MailSettings, sc.KnownGood.Activity},
		{"attacker", sc.Attacker.Keys, sc.Attacker.Teammates, sc.Attacker.Subusers, sc.Attacker.Webhooks, sc.Attacker.Senders, sc.Attacker.MailSettings, sc.Attacker.Activity},
	} {
		for i, k := range half.keys {
			p := fmt.Sprintf("%s.keys[%d]", half.name, i)
			v.key(p, k)
			if k.ID != "" {
				uniq(keys, p+".id", "key id", k.ID)
			}
			if half.name == "attacker" && k.Master {
				v.errf(p+".master", "the master key is the owner's: list it under known_good and name it in attacker.leaked_keys")
			}
		}
		for i, t := range half.tm {
			p := fmt.Sprintf("%s.teammates[%d]", half.name, i)
			v.teammate(p, t)
			if half.name == "attacker" && t.Owner {
				v.errf(p+".owner", "the attacker is never the account owner")
			}
			if t.Pending && t.Token != "" {
				uniq(invites, p+".token", "invite token", t.Token)
			} else if !t.Pending && t.Username != "" {
				uniq(users, p+".username", "teammate", t.Username)
			}
		}
		for i, s := range half.sub {
			p := fmt.Sprintf("%s.subusers[%d]", half.name, i)
			if !v.offers(hasSubusers) {
				v.errf(p, "a %s-style account has no subusers", v.styleName())
			}
			if v.required(p+".username", s.Username) {
				uniq(subs, p+".username", "subuser", s.Username)
			}
			v.offset(p+".created", s.Created)
		}
		for i, w := range half.wh {
			p := fmt.Sprintf("%s.webhooks[%d]", half.name, i)
			if v.required(p+".id", w.ID) {
				uniq(hooks, p+".id", "webhook id", w.ID)
			}
			v.required(p+".url", w.URL)
			switch w.Kind {
			case provider.WebhookEvent:
			case provider.WebhookParse:
				v.required(p+".hostname", w.Hostname)
			default:
				v.errf(p+".kind", "must be event or parse")
			}
			v.offset(p+".created", w.Created)
		}
		for i, s := range half.snd {
			p := fmt.Sprintf("%s.senders[%d]", half.name, i)
			if v.required(p+".id", s.ID) {
				uniq(senders, p+".id", "sender id", s.ID)
			}
			v.required(p+".address", s.Address)
			if s.Kind != "domain" && s.Kind != "single" {
				v.errf(p+".kind", "must be domain or single")
			}
			v.offset(p+".created", s.Created)
		}
		for i, m := range half.ms {
			p := fmt.Sprintf("%s.mail_settings[%d]", half.name, i)
			if !v.offers(hasMailSettings) {
				v.errf(p, "a %s-style account has no mail settings the API can read", v.styleName())
			}
			if v.required(p+".name", m.Name) {
				if prev, ok := mailset[m.Name]; ok && strings.HasPrefix(prev, half.name) {
					v.errf(p+".name", "duplicate mail setting %q (also at %s)", m.Name, prev)
				}
				mailset[m.Name] = p
			}
		}
		for i, a := range half.act {
			p := fmt.Sprintf("%s.activity[%d]", half.name, i)
			if v.required(p+".ip", a.IP) {
				if _, err := netip.ParseAddr(a.IP); err != nil {
					v.errf(p+".ip", "%q is not an IP address", a.IP)
				}
			}
			v.offset(p+".first", a.First)
			v.offset(p+".last", a.Last)
			if a.Count < 0 {
				v.errf(p+".count", "must not be negative")
			}
		}
	}
	for i, c := range sc.KnownGood.AllowList {
		p := fmt.Sprintf("known_good.allow_list[%d]", i)
		if !v.offers(hasAllowList) {
			v.errf(p, "a %s-style account has no IP allow list", v.styleName())
		}
		if _, err := parsePrefix(c); err != nil {
			v.errf(p, "%q is not an IP address or CIDR", c)
		}
	}
	for i, id := range sc.Attacker.LeakedKeys {
		p := fmt.Sprintf("attacker.leaked_keys[%d]", i)
		if !slices.ContainsFunc(sc.KnownGood.Keys, func(k KeySpec) bool { return k.ID == id }) {
			v.errf(p, "%q is not one of known_good.keys (the attacker's own keys go under attacker.keys)", id)
		}
	}
	if sc.Attacker.KnowsPassword && !v.offers(hasPasswordChange) {
		v.errf("attacker.knows_password", "a %s-style drill cannot change the password through the API, so it would never be contained", v.styleName())
	}
	m := &sc.KnownGood.Mail
	if m.PerDay < 0 || m.PerDay > 5000 {
		v.errf("known_good.mail.per_day", "must be between 0 and 5000")
	}
	if m.From == "" { // defaults: a newsletter from the account's domain
		_, dom, _ := strings.Cut(sc.Account.Email, "@")
		m.From = "news@" + firstNonEmpty(dom, "example.com")
	}
	if len(m.Subjects) == 0 {
		m.Subjects = []string{"Your order has shipped", "Our weekly newsletter", "Your invoice"}
	}
	v.spike("attacker.mail", sc.Attacker.Mail, false)
	if !slices.ContainsFunc(sc.KnownGood.Teammates, func(t TeammateSpec) bool { return t.Owner }) && len(sc.KnownGood.Teammates) > 0 {
		v.errf("known_good.teammates", "one teammate is the owner (owner: true)")
	}
}

func (v *validator) spike(p string, m SpikeMail, inject bool) {
	if m.PerDay == 0 && len(m.Days) == 0 && len(m.Subjects) == 0 && m.From == "" {
		if inject {
			v.errf(p, "required")
		}
		return
	}
	v.required(p+".from", m.From)
	if m.PerDay <= 0 || m.PerDay > 20000 {
		v.errf(p+".per_day", "must be between 1 and 20000")
	}
	if len(m.Subjects) == 0 {
		v.errf(p+".subjects", "required (at least one subject)")
	}
	if inject {
		if len(m.Days) > 0 {
			v.errf(p+".days", "an inject's spike is sent now: leave days out")
		}
		return
	}
	if len(m.Days) == 0 {
		v.errf(p+".days", "required (days before the drill's start: 0 is today, -1 yesterday)")
	}
	for i, d := range m.Days {
		if d > 0 || d < -29 {
			v.errf(fmt.Sprintf("%s.days[%d]", p, i), "a day is between -29 and 0 (the mail history covers 30 days)")
		}
	}
}

func (v *validator) key(p string, k KeySpec) {
	v.required(p+".id", k.ID)
	v.required(p+".name", k.Name)
	v.offset(p+".created", k.Created)
	if st := v.sc.style; k.Master && st != nil && !st.s.MasterKey {
		v.errf(p+".master", "a %s-style account has no master key", v.styleName())
	}
}

func (v *validator) teammate(p string, t TeammateSpec) {
	v.required(p+".email", t.Email)
	if t.Pending {
		v.required(p+".token", t.Token)
		if t.Owner {
			v.errf(p+".owner", "a pending invite is not the owner")
		}
	} else {
		v.required(p+".username", t.Username)
	}
	v.offset(p+".created", t.Created)
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

var placeholderRE = regexp.MustCompile(`\{\{([^{}]*)\}\}`)

// Capabilities the validator asks a style about.
const (
	hasSubusers = iota
	hasMailSettings
	hasAllowList
	hasPasswordChange
)

// offers reports whether the scenario's style has a capability (true while
// the style is unknown: that is reported once, under provider).
func (v *validator) offers(c int) bool {
	st := v.sc.style
	if st == nil {
		return true
	}
	switch c {
	case hasSubusers:
		return offers[provider.SubuserLister](st)
	case hasMailSettings:
		return offers[provider.MailSettingsLister](st)
	case hasAllowList:
		return offers[provider.AllowListWriter](st)
	case hasPasswordChange:
		return offers[provider.PasswordChanger](st)
	}
	return true
}

// styleName is the scenario's provider as messages name it.
func (v *validator) styleName() string {
	if st := v.sc.style; st != nil {
		return st.s.Name
	}
	return v.sc.Style
}

// placeholders a server file's content may use.
func (v *validator) template(p, s string) {
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		f := strings.Fields(m[1])
		if len(f) == 0 {
			v.errf(p, "empty placeholder {{}}")
			continue
		}
		switch f[0] {
		case placeholderKey, placeholderSendGridID:
			st := v.sc.style
			switch {
			case len(f) != 2:
				v.errf(p, "{{%s ID}} names a key id", f[0])
			case f[0] == placeholderSendGridID && v.sc.Style != DefaultStyle:
				v.errf(p, "{{sendgrid_key}} is for SendGrid-style drills: use {{key %s}}", f[1])
			case st != nil && !st.fitsID(f[1]):
				v.errf(p, "{{%s %s}}: a %s key id is %s", f[0], f[1], v.styleName(), st.idShape())
			case !v.isKey(f[1]):
				v.errf(p, "{{%s %s}}: no key has this id", f[0], f[1])
			}
		case "random", "hex", "HEX":
			n := 0
			if len(f) == 2 {
				n, _ = strconv.Atoi(f[1])
			}
			if n < 1 || n > 200 {
				v.errf(p, "{{%s N}} needs a length from 1 to 200", f[0])
			}
		case "twilio_sid", "twilio_token", "aws_key_id", "root":
			if len(f) != 1 {
				v.errf(p, "{{%s}} takes no argument", f[0])
			}
		default:
			v.errf(p, "unknown placeholder {{%s}} (known: sendgrid_key ID, random N, hex N, HEX N, twilio_sid, twilio_token, aws_key_id, root)", f[0])
		}
	}
}

func (v *validator) isKey(id string) bool {
	for _, ks := range [][]KeySpec{v.sc.KnownGood.Keys, v.sc.Attacker.Keys} {
		if slices.ContainsFunc(ks, func(k KeySpec) bool { return k.ID == id }) {
			return true
		}
	}
	for _, in := range v.sc.Injects {
		if in.Key != nil && in.Key.ID == id {
			return true
		}
	}
	return false
}

func (v *validator) relPath(p, s string) {
	if !v.required(p, s) {
		return
	}
	c := path.Clean(s)
	if path.IsAbs(s) || c == "." || c == ".." || strings.HasPrefix(c, "../") || strings.ContainsAny(s, "\\\x00") || c != s {
		v.errf(p, "%q must be a clean relative path inside the simulated server (no leading /, no ..)", s)
	}
}

func (v *validator) server() {
	seen := map[string]string{}
	for i, f := range v.sc.Server.Files {
		p := fmt.Sprintf("server.files[%d]", i)
		v.relPath(p+".path", f.Path)
		if prev, ok := seen[f.Path]; ok && f.Path != "" {
			v.errf(p+".path", "duplicate file (also at %s)", prev)
		}
		seen[f.Path] = p
		switch {
		case f.Generate != "" && f.Content != "":
			v.errf(p, "give content or generate, not both")
		case f.Generate != "":
			if f.Generate != GenerateAndroxgh0st {
				v.errf(p+".generate", "unknown generator %q (known: %s)", f.Generate, GenerateAndroxgh0st)
			}
		case f.Content == "":
			v.errf(p+".content", "required (or generate)")
		default:
			v.template(p+".content", f.Content)
		}
	}
}

func (v *validator) console() {
	for item, lines := range v.sc.Console {
		p := joinPath("console", string(item))
		if !slices.Contains(knownItems, item) {
			v.errf(p, "unknown console page %q", string(item))
		}
		for i, l := range lines {
			v.text(fmt.Sprintf("%s[%d]", p, i), l)
		}
	}
}

// stepOf splits "evidence.review.vouched" into its step and question.
func stepOf(key string) (string, string, bool) {
	best := ""
	for _, id := range StepIDs {
		if strings.HasPrefix(key, id+".") && len(id) > len(best) {
			best = id
		}
	}
	if best == "" || len(key) == len(best)+1 {
		return "", "", false
	}
	return best, key[len(best)+1:], true
}

func (v *validator) answers() {
	for k, a := range v.sc.Answers {
		if _, _, ok := stepOf(k); !ok {
			v.errf(joinPath("answers", k), "not STEP.QUESTION with a known step id (%s, …)", strings.Join(StepIDs[:3], ", "))
		}
		v.text(joinPath("answers", k), a)
	}
}

func (v *validator) step(p, id string) bool {
	if !slices.Contains(StepIDs, id) {
		v.errf(p, "unknown step id %q", id)
		return false
	}
	return true
}

func (v *validator) attackerURL(url string) bool {
	return slices.ContainsFunc(v.sc.Attacker.Webhooks, func(w WebhookSpec) bool { return w.URL == url })
}

// uniqueName checks a required name (an inject's, an expectation's): its
// spelling, and that no earlier one of the list (seen: name → path) has it.
func (v *validator) uniqueName(p, field, what, name string, seen map[string]string) {
	if !v.required(p+field, name) {
		return
	}
	if !nameRE.MatchString(name) {
		v.errf(p+field, "use lower-case letters, digits and dashes")
	}
	if prev, ok := seen[name]; ok {
		v.errf(p+field, "duplicate %s %q (also at %s)", what, name, prev)
	}
	seen[name] = p
}

func (v *validator) injects() {
	names := map[string]string{}
	for i := range v.sc.Injects {
		in := &v.sc.Injects[i]
		p := fmt.Sprintf("injects[%d]", i)
		v.uniqueName(p, ".name", "inject", in.Name, names)
		if v.required(p+".title", in.Title) {
			v.text(p+".title", in.Title)
		}
		v.text(p+".message", in.Message)
		switch {
		case in.At != "" && in.AfterStep != "":
			v.errf(p, "give at or after_step, not both")
		case in.At != "":
			d, err := time.ParseDuration(in.At)
			switch {
			case err != nil:
				v.errf(p+".at", "%q is not a duration (like 5m, 90s, 1h30m)", in.At)
			case d <= 0 || d > 24*time.Hour:
				v.errf(p+".at", "must be after the start and within 24h")
			default:
				in.at = d
			}
		case in.AfterStep != "":
			v.step(p+".after_step", in.AfterStep)
		default:
			v.errf(p, "required: at (like 5m) or after_step (a step id)")
		}
		for j, s := range in.Revisit {
			v.step(fmt.Sprintf("%s.revisit[%d]", p, j), s)
		}
		want := map[string]bool{}
		switch in.Kind {
		case InjectTeammateAdded:
			want["teammate"] = true
			if in.Teammate != nil {
				v.teammate(p+".teammate", *in.Teammate)
			}
		case InjectKeyCreated:
			want["key"] = true
		case InjectSubuserAdded:
			want["subuser"] = true
			if in.Subuser != nil {
				v.required(p+".subuser.username", in.Subuser.Username)
			}
			if !v.offers(hasSubusers) {
				v.errf(p+".kind", "a %s-style account has no subusers", v.styleName())
			}
		case InjectWebhookReadded:
			want["url"] = true
			if in.URL != "" && !v.attackerURL(in.URL) {
				v.errf(p+".url", "%q is not one of attacker.webhooks' URLs (the attacker re-adds one of theirs)", in.URL)
			}
		case InjectVolumeSpike:
			want["spike"] = true
			if in.Spike != nil {
				v.spike(p+".spike", *in.Spike, true)
			}
			if in.Key != nil {
				v.key(p+".key", *in.Key)
			}
		case InjectKeyLeakedInCI:
			want["leak"] = true
			if l := in.Leak; l != nil {
				if v.required(p+".leak.key", l.Key) && !slices.ContainsFunc(v.sc.KnownGood.Keys, func(k KeySpec) bool { return k.ID == l.Key }) {
					v.errf(p+".leak.key", "%q is not one of known_good.keys", l.Key)
				} else if l.Key == v.sc.Account.SessionKey {
					v.errf(p+".leak.key", "the session key cannot leak: reclaim is using it")
				}
				if l.Path != "" {
					v.relPath(p+".leak.path", l.Path)
				}
				v.template(p+".leak.content", l.Content)
				if st := v.sc.style; st != nil && !strings.Contains(st.s.Keys.Credential, "{id}") {
					v.errf(p+".kind", "a %s credential does not name its key, so a leaked one cannot be told apart: a key leaking in a CI log needs a style whose credentials do", v.styleName())
				}
			}
		case InjectSupportReply, InjectNotice:
			v.required(p+".message", in.Message)
		case "":
			v.errf(p+".kind", "required (%s)", strings.Join(InjectKinds, ", "))
		default:
			v.errf(p+".kind", "unknown inject kind %q (known: %s)", in.Kind, strings.Join(InjectKinds, ", "))
		}
		have := map[string]bool{"teammate": in.Teammate != nil, "key": in.Key != nil, "subuser": in.Subuser != nil, "url": in.URL != "", "spike": in.Spike != nil, "leak": in.Leak != nil}
		for _, f := range []string{"teammate", "key", "subuser", "url", "spike", "leak"} {
			switch {
			case want[f] && !have[f]:
				v.errf(p+"."+f, "required for a %s inject", in.Kind)
			case have[f] && !want[f] && !(f == "key" && in.Kind == InjectVolumeSpike) && in.Kind != "" && slices.Contains(InjectKinds, in.Kind):
				v.errf(p+"."+f, "not used by a %s inject", in.Kind)
			}
		}
		if in.Key != nil && in.Kind == InjectKeyCreated {
			v.key(p+".key", *in.Key)
		}
		if in.Key != nil && in.Key.ID != "" {
			n := 0
			for _, ks := range [][]KeySpec{v.sc.KnownGood.Keys, v.sc.Attacker.Keys} {
				for _, k := range ks {
					if k.ID == in.Key.ID {
						n++
					}
				}
			}
			if n > 0 {
				v.errf(p+".key.id", "key id %q is already in the account", in.Key.ID)
			}
		}
	}
}

func (v *validator) expectations() {
	sc := v.sc
	if len(sc.Expectations) == 0 {
		v.errf("expectations", "required: at least one expectation")
	}
	ids := map[string]string{}
	for i, x := range sc.Expectations {
		p := fmt.Sprintf("expectations[%d]", i)
		v.uniqueName(p, ".id", "expectation", x.ID, ids)
		if v.required(p+".title", x.Title) {
			v.text(p+".title", x.Title)
		}
		v.text(p+".lesson", x.Lesson)
		v.text(p+".runbook", x.Runbook)
		if x.Points < 1 || x.Points > 1000 {
			v.errf(p+".points", "must be between 1 and 1000")
		}
		v.check(p+".check", x.Check)
	}
}

func (v *validator) check(p string, c Check) {
	params, ok := checkParams[c.Kind]
	if c.Kind == "" {
		v.errf(p+".kind", "required (one of: %s)", strings.Join(CheckKinds(), ", "))
		return
	}
	if !ok {
		v.errf(p+".kind", "unknown check kind %q (known: %s)", c.Kind, strings.Join(CheckKinds(), ", "))
		return
	}
	have := map[string]bool{"key": c.Key != "", "url": c.URL != "", "teammate": c.Teammate != "", "step": c.Step != "", "question": c.Question != "", "any": len(c.Any) > 0}
	for _, f := range []string{"key", "url", "teammate", "step", "question", "any"} {
		switch {
		case params[f] == 'r' && !have[f]:
			v.errf(p+"."+f, "required by %s", c.Kind)
		case params[f] == 0 && have[f]:
			v.errf(p+"."+f, "not used by %s", c.Kind)
		}
	}
	sc := v.sc
	switch c.Kind {
	case CheckKeyRevoked, CheckKeyKept:
		if c.Key != "" && !v.isKey(c.Key) {
			v.errf(p+".key", "no key has id %q", c.Key)
		}
		if c.Key != "" && c.Key == sc.Account.SessionKey {
			v.errf(p+".key", "that is the session key reclaim uses")
		}
		if c.Kind == CheckKeyRevoked && slices.ContainsFunc(sc.KnownGood.Keys, func(k KeySpec) bool { return k.ID == c.Key && k.Master }) {
			v.errf(p+".key", "a master key is reset, never revoked: check step_done rotate.deadcheck")
		}
	case CheckWebhookAbsent:
		if c.URL != "" && !v.attackerURL(c.URL) && !slices.ContainsFunc(sc.KnownGood.Webhooks, func(w WebhookSpec) bool { return w.URL == c.URL }) {
			v.errf(p+".url", "no webhook has URL %q", c.URL)
		}
	case CheckTeammateAbsent:
		found := false
		for _, ts := range [][]TeammateSpec{sc.KnownGood.Teammates, sc.Attacker.Teammates} {
			for _, t := range ts {
				found = found || t.Username == c.Teammate || t.Email == c.Teammate
			}
		}
		for _, in := range sc.Injects {
			if t := in.Teammate; t != nil {
				found = found || t.Username == c.Teammate || t.Email == c.Teammate
			}
		}
		if c.Teammate != "" && !found {
			v.errf(p+".teammate", "no teammate has username or email %q", c.Teammate)
		}
	case CheckStepDone:
		if c.Step != "" {
			v.step(p+".step", c.Step)
		}
	case CheckAnswerMentions:
		if c.Step != "" {
			v.step(p+".step", c.Step)
		}
	case CheckAllowListKeepsOwner:
		if !v.offers(hasAllowList) {
			v.errf(p+".kind", "a %s-style account has no IP allow list", v.styleName())
		}
	case CheckPasswordChanged:
		if !v.offers(hasPasswordChange) {
			v.errf(p+".kind", "a %s-style drill changes the password in the console, which it cannot see", v.styleName())
		}
	}
}
