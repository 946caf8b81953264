package checklist

// Baselines: a known-good snapshot of an account, taken while it is healthy
// (reclaim baseline), so that a drift check (reclaim check) and a later
// incident know at once what changed. A baseline is an Inventory read
// through the same capabilities the audit uses, without the access activity
// (which changes by the hour) and without any secret, sealed like a report
// (a digest of its canonical JSON) and, when the owner asks, signed with
// their SSH key in the "reclaim-baseline" namespace.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"reclaim/provider"
)

// Baseline file format.
const (
	BaselineFormat  = "reclaim-baseline"
	BaselineVersion = 1
	// BaselineSigNamespace is the sshsig namespace of baseline signatures
	// (ssh-keygen -Y sign -n reclaim-baseline): a report's signature never
	// passes for a baseline's, nor the reverse.
	BaselineSigNamespace = "reclaim-baseline"
	// BaselinesDir is the baselines' folder in the state directory.
	BaselinesDir = "baselines"
	// MaxBaselineBytes bounds a baseline file: an account read within the
	// audit's default caps makes a few MiB at most, and a file is parsed
	// in several times its size of memory.
	MaxBaselineBytes = 64 << 20
)

// Baseline is a known-good snapshot of one provider account.
type Baseline struct {
	Format       string    `json:"format"`
	Version      int       `json:"version"`
	ID           string    `json:"id"`
	Provider     string    `json:"provider"`
	ProviderName string    `json:"provider_name,omitempty"`
	Account      string    `json:"account,omitempty"` // "username <email>", as read
	TakenAt      time.Time `json:"taken_at"`
	// Drill marks the known-good state of a drill scenario.
	Drill    bool   `json:"drill,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	// Inventory is the account as read: keys (ids, names, scopes),
	// teammates and invites, subusers, webhooks and parse routes, mail
	// settings, senders and domains, the IP allow list, account secrets'
	// names, and the sending profile (Mail: per-day volume, the usual
	// subjects and from-addresses over 30 days). Which sections were read,
	// failed or were cut short is kept with it.
	Inventory *Inventory    `json:"inventory"`
	Seal      *BaselineSeal `json:"seal,omitempty"`

	// Signer is the SSH key that signed the file, when its signature was
	// checked against an allowed key (set by the store, never stored).
	Signer string `json:"-"`
	// Path is the file it was read from (set by the store).
	Path string `json:"-"`
}

// BaselineSeal binds a baseline file to its content: the digest of its
// canonical JSON without the seal.
type BaselineSeal struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	Digest  string `json:"digest"` // sha256, hex
}

// Errors of reading a baseline, for errors.Is.
var (
	ErrNoBaseline       = errors.New("no baseline")
	ErrBaselineAltered  = errors.New("the baseline was altered after it was recorded")
	ErrBaselineUnsigned = errors.New("the baseline is not signed by an allowed key")
)

// NewBaseline makes a baseline of an inventory: a copy without the access
// activity, with every key-shaped string masked as reports mask them.
func NewBaseline(inv *Inventory, info provider.Info, now time.Time) *Baseline {
	now = now.UTC()
	b := &Baseline{Format: BaselineFormat, Version: BaselineVersion, ID: NewIncidentID(now, info.ID), Provider: info.ID, ProviderName: info.Name, TakenAt: now, Inventory: normalizeInventory(inv)}
	b.Account = AccountLabel(b.Inventory)
	return b
}

// AccountLabel is how a baseline names the account of an inventory
// ("username <email>", as read; "" when the provider names none): a check
// or an incident uses only the baselines of the account it reads.
func AccountLabel(inv *Inventory) string {
	if inv == nil || inv.Account == nil {
		return ""
	}
	return provider.SanitizeN(inv.Account.Username+" <"+inv.Account.Email+">", 200)
}

// normalizeInventory is the form an inventory is kept and compared in: a
// deep copy without the access activity, every key-shaped string masked
// (ScrubSecrets), and every list sorted by identity, so that the live
// account and a baseline are compared like for like.
func normalizeInventory(inv *Inventory) *Inventory {
	if inv == nil {
		return nil
	}
	c := *inv
	c.Activity = nil
	b, err := json.Marshal(&c)
	if err != nil {
		return &c
	}
	var out Inventory
	if err := json.Unmarshal([]byte(ScrubSecrets(string(b))), &out); err != nil {
		return &c
	}
	out.Read = slicesDelete(out.Read, SecActivity)
	delete(out.Errors, SecActivity)
	delete(out.Truncated, SecActivity)
	sortInventory(&out)
	return &out
}

func slicesDelete(xs []string, x string) []string {
	out := xs[:0]
	for _, v := range xs {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// sortInventory orders every list by its objects' identity.
func sortInventory(inv *Inventory) {
	sort.SliceStable(inv.Keys, func(i, j int) bool { return inv.Keys[i].ID < inv.Keys[j].ID })
	sort.SliceStable(inv.Teammates, func(i, j int) bool { return teammateID(inv.Teammates[i]) < teammateID(inv.Teammates[j]) })
	sort.SliceStable(inv.Subusers, func(i, j int) bool { return inv.Subusers[i].Username < inv.Subusers[j].Username })
	sort.SliceStable(inv.Webhooks, func(i, j int) bool { return webhookID(inv.Webhooks[i]) < webhookID(inv.Webhooks[j]) })
	sort.SliceStable(inv.MailSettings, func(i, j int) bool { return inv.MailSettings[i].Name < inv.MailSettings[j].Name })
	sort.SliceStable(inv.Senders, func(i, j int) bool { return inv.Senders[i].ID < inv.Senders[j].ID })
	sort.SliceStable(inv.AllowList, func(i, j int) bool { return inv.AllowList[i].CIDR < inv.AllowList[j].CIDR })
	sort.SliceStable(inv.Secrets, func(i, j int) bool { return inv.Secrets[i].ID < inv.Secrets[j].ID })
}

// Encode renders the baseline as sealed, indented JSON. Characters a
// terminal would act on are escaped (\uXXXX), so the file is safe to cat
// and decodes to exactly what was read.
func (b *Baseline) Encode() ([]byte, error) {
	c := *b
	c.Seal = nil
	body, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	canon, err := canonicalJSON(body)
	if err != nil {
		return nil, err
	}
	c.Seal = &BaselineSeal{Version: BaselineVersion, ID: b.ID, Digest: digestOf(canon)}
	out, err := json.MarshalIndent(&c, "", "  ")
	if err != nil {
		return nil, err
	}
	b.Seal = c.Seal
	return append(escapeForTerminal(out), '\n'), nil
}

// EscapeJSONForTerminal is escapeForTerminal, for commands that print JSON.
func EscapeJSONForTerminal(b []byte) []byte { return escapeForTerminal(b) }

// escapeForTerminal is provider.TerminalSafeJSON: every character Sanitize would
// remove that encoding/json leaves raw is escaped as \uXXXX.
func escapeForTerminal(b []byte) []byte { return provider.TerminalSafeJSON(b) }

var baselineIDRE = regexp.MustCompile(`^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}(-[a-z0-9]{1,32})?$`)

// ParseBaseline reads a baseline file and checks its seal: a key given
// twice, data after the document, a seal with unknown fields or a digest
// that does not match the content is ErrBaselineAltered.
func ParseBaseline(data []byte) (*Baseline, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return nil, fmt.Errorf("%w: not a baseline (no JSON object)", ErrBaselineAltered)
	}
	if err := noDuplicateKeys(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBaselineAltered, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var b Baseline
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: damaged JSON: %v", ErrBaselineAltered, provider.SanitizeN(err.Error(), 200))
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the baseline", ErrBaselineAltered)
	}
	if b.Format != BaselineFormat {
		return nil, fmt.Errorf("%w: not a reclaim baseline (format %q)", ErrBaselineAltered, provider.SanitizeN(b.Format, 40))
	}
	if b.Version != BaselineVersion {
		return nil, fmt.Errorf("baseline format version %d: this reclaim reads version %d", b.Version, BaselineVersion)
	}
	if b.Seal == nil {
		return nil, fmt.Errorf("%w: it has no seal", ErrBaselineAltered)
	}
	var raw struct {
		Seal map[string]json.RawMessage `json:"seal"`
	}
	_ = json.Unmarshal(data, &raw)
	for k := range raw.Seal {
		switch k {
		case "version", "id", "digest":
		default:
			return nil, fmt.Errorf("%w: an unknown field %q in the seal", ErrBaselineAltered, provider.SanitizeN(k, 40))
		}
	}
	canon, err := canonicalJSON(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBaselineAltered, err)
	}
	if digestOf(canon) != b.Seal.Digest {
		return nil, fmt.Errorf("%w (its digest does not match its content)", ErrBaselineAltered)
	}
	if b.Seal.ID != b.ID || !baselineIDRE.MatchString(b.ID) {
		return nil, fmt.Errorf("%w: its seal names %q, its id is %q", ErrBaselineAltered, provider.SanitizeN(b.Seal.ID, 60), provider.SanitizeN(b.ID, 60))
	}
	if b.Inventory == nil {
		return nil, fmt.Errorf("%w: it holds no inventory", ErrBaselineAltered)
	}
	if b.Inventory.Errors == nil {
		b.Inventory.Errors = map[string]string{}
	}
	if b.Inventory.Truncated == nil {
		b.Inventory.Truncated = map[string]string{}
	}
	return &b, nil
}

// Date is the baseline's time as reports print it.
func (b *Baseline) Date() string { return b.TakenAt.UTC().Format("2006-01-02 15:04Z") }

// Counts summarises what the baseline holds ("12 keys, 3 teammates, …").
func (b *Baseline) Counts() string {
	inv := b.Inventory
	if inv == nil {
		return "nothing"
	}
	parts := []string{
		plural(len(inv.Keys), "key"), fmt.Sprintf("%d teammates and invites", len(inv.Teammates)), plural(len(inv.Subusers), "subuser"),
		fmt.Sprintf("%d webhooks and routes", len(inv.Webhooks)), plural(len(inv.MailSettings), "mail setting"), fmt.Sprintf("%d senders and domains", len(inv.Senders)),
		fmt.Sprintf("%d allow-list entries", len(inv.AllowList)),
	}
	if len(inv.Secrets) > 0 {
		parts = append(parts, plural(len(inv.Secrets), "account secret"))
	}
	if inv.Mail != nil {
		parts = append(parts, fmt.Sprintf("%d messages in 30 days", inv.Mail.Total))
	}
	return strings.Join(parts, ", ")
}

// ---- the store ----

// BaselineStore keeps baselines under a state directory, in
// Dir/baselines/ID.json (0600, written atomically; the folder 0700), each
// with ID.json.sig beside it when signed.
type BaselineStore struct {
	Dir string
	// Allowed, when set, are the keys a baseline must be signed by: one
	// without a valid signature by one of them is refused.
	Allowed []ssh.PublicKey
	// Err, when set, refuses every baseline with it (the required signers
	// could not be read).
	Err error
}

func (s *BaselineStore) root() string { return filepath.Join(s.Dir, BaselinesDir) }

// safeRoot checks (and with create, makes) the state directory and its
// baselines folder: each the user's own, writable by nobody else.
func (s *BaselineStore) safeRoot(create bool) error {
	if s == nil {
		return ErrNoStateDir
	}
	return safeStateFolder(s.Dir, s.root(), create)
}

// Path is where a baseline's file is.
func (s *BaselineStore) Path(id string) string { return filepath.Join(s.root(), id+".json") }

// Save writes a baseline (0600, atomically) and, with a signer, its
// signature beside it (FILE.sig, namespace reclaim-baseline). It returns
// the file's path.
func (s *BaselineStore) Save(b *Baseline, signer ssh.Signer) (string, error) {
	if !baselineIDRE.MatchString(b.ID) {
		return "", fmt.Errorf("bad baseline id %q", b.ID)
	}
	if err := s.safeRoot(true); err != nil {
		return "", err
	}
	data, err := b.Encode()
	if err != nil {
		return "", err
	}
	path := s.Path(b.ID)
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("%s exists already", path)
	}
	var sig []byte
	if signer != nil {
		if sig, err = signSSHSig(data, signer, BaselineSigNamespace); err != nil {
			return "", err
		}
	}
	if err := WriteFileAtomic(path, data); err != nil {
		return "", err
	}
	if sig != nil {
		if err := WriteFileAtomic(path+ReportSigExt, sig); err != nil {
			return path, err
		}
		b.Signer = ssh.FingerprintSHA256(signer.PublicKey())
	}
	b.Path = path
	return path, nil
}

// Load reads, checks and returns a baseline by id: its seal, and its
// signature when the store has Allowed keys (or when a signature lies
// beside it: a bad one is refused even when none is required).
func (s *BaselineStore) Load(id string) (*Baseline, error) {
	if s != nil && s.Err != nil {
		return nil, s.Err
	}
	if !baselineIDRE.MatchString(id) {
		return nil, fmt.Errorf("%w %q: baseline ids look like 20250102-150405-ab12-PROVIDER (see reclaim baseline --list)", ErrNoBaseline, provider.SanitizeN(id, 60))
	}
	if err := s.safeRoot(false); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w %s in %s", ErrNoBaseline, id, s.root())
		}
		return nil, err
	}
	path := s.Path(id)
	data, err := readPrivateFileMax(path, MaxBaselineBytes)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w %s in %s", ErrNoBaseline, id, s.root())
	}
	if err != nil {
		return nil, err
	}
	b, err := ParseBaseline(data)
	if err != nil {
		return nil, fmt.Errorf("baseline %s (%s): %w", id, path, err)
	}
	if b.ID != id {
		return nil, fmt.Errorf("baseline %s (%s): %w: the file holds baseline %s", id, path, ErrBaselineAltered, provider.SanitizeN(b.ID, 60))
	}
	b.Path = path
	if err := s.checkSignature(b, data); err != nil {
		return nil, fmt.Errorf("baseline %s (%s): %w", id, path, err)
	}
	return b, nil
}

// checkSignature checks FILE.sig: required (and by an Allowed key) when the
// store has Allowed keys; otherwise a signature present must at least be
// a sound reclaim-baseline signature over the file.
func (s *BaselineStore) checkSignature(b *Baseline, data []byte) error {
	sig, err := readPrivateFileMax(b.Path+ReportSigExt, 64<<10)
	if errors.Is(err, os.ErrNotExist) {
		if len(s.Allowed) > 0 {
			return fmt.Errorf("%w: it has no signature (%s)", ErrBaselineUnsigned, b.Path+ReportSigExt)
		}
		return nil
	}
	if err != nil {
		return err
	}
	allowed := s.Allowed
	if len(allowed) == 0 {
		// Nobody to check against: the key in the signature itself, so
		// that a file changed after it was signed is still refused.
		key, _, err := ParseReportSignature(sig)
		if err != nil {
			return fmt.Errorf("%w: its signature is damaged: %v", ErrBaselineAltered, err)
		}
		allowed = []ssh.PublicKey{key}
	}
	key, err := verifySSHSig(data, sig, allowed, BaselineSigNamespace)
	switch {
	case errors.Is(err, ErrSigUnknownKey):
		return fmt.Errorf("%w: %v", ErrBaselineUnsigned, err)
	case err != nil:
		return fmt.Errorf("%w: %v", ErrBaselineAltered, err)
	}
	if len(s.Allowed) > 0 {
		b.Signer = ssh.FingerprintSHA256(key)
	} else {
		b.Signer = ssh.FingerprintSHA256(key) + " (not checked against an allowed signer)"
	}
	return nil
}

// BaselineEntry is one line of the baseline list.
type BaselineEntry struct {
	ID       string    `json:"id"`
	Provider string    `json:"provider,omitempty"`
	Account  string    `json:"account,omitempty"`
	TakenAt  time.Time `json:"taken_at,omitzero"`
	Counts   string    `json:"counts,omitempty"`
	Drill    bool      `json:"drill,omitempty"`
	Signed   string    `json:"signed,omitempty"` // the signer's fingerprint
	// Problem says why it cannot be used (altered, unsigned, unreadable).
	Problem string `json:"problem,omitempty"`
	Path    string `json:"path"`
}

// List returns the baselines, newest first (those that cannot be used
// with the reason), for one provider or ("") all.
func (s *BaselineStore) List(providerID string) ([]BaselineEntry, error) {
	if err := s.safeRoot(false); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	ents, err := os.ReadDir(s.root())
	if err != nil {
		return nil, err
	}
	var out []BaselineEntry
	for _, e := range ents {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		ent := BaselineEntry{ID: provider.SanitizeN(id, 80), Path: filepath.Join(s.root(), e.Name())}
		b, err := s.Load(id)
		if err != nil {
			ent.Problem = provider.SanitizeN(err.Error(), 300)
			ent.Provider = providerOfID(id)
			ent.TakenAt = timeOfID(id)
		} else {
			ent.Provider, ent.Account, ent.TakenAt, ent.Counts, ent.Drill, ent.Signed = b.Provider, b.Account, b.TakenAt, b.Counts(), b.Drill, b.Signer
		}
		if providerID != "" && ent.Provider != providerID {
			continue
		}
		out = append(out, ent)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].TakenAt.Equal(out[j].TakenAt) {
			return out[i].TakenAt.After(out[j].TakenAt)
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

// providerOfID and timeOfID read what an id says (for a file that cannot
// be read): "20250102-150405-ab12-PROVIDER".
func providerOfID(id string) string {
	if parts := strings.SplitN(id, "-", 4); len(parts) == 4 {
		return provider.SanitizeN(parts[3], 32)
	}
	return ""
}

func timeOfID(id string) time.Time {
	if len(id) >= 15 {
		if t, err := time.Parse("20060102-150405", id[:15]); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Latest returns the newest baseline of a provider's account, checked.
// account is AccountLabel of what the provider reads now ("": any account):
// a baseline of another account of the same provider is never used (a
// state directory may serve two). When the newest cannot be used (altered,
// unsigned, unreadable: its account cannot be told) it is refused with the
// reason: reclaim never falls back to an older one silently, as the newest
// being altered is news in itself. ErrNoBaseline when there is none.
func (s *BaselineStore) Latest(providerID, account string) (*Baseline, error) {
	list, err := s.List(providerID)
	if err != nil {
		return nil, err
	}
	var others []string
	for _, ent := range list {
		if account != "" && ent.Problem == "" && ent.Account != "" && ent.Account != account {
			if !slices.Contains(others, ent.Account) {
				others = append(others, ent.Account)
			}
			continue
		}
		return s.Load(ent.ID)
	}
	p := provider.SanitizeN(providerID, 32)
	if len(others) > 0 {
		return nil, fmt.Errorf("%w for %s account %s in %s (only for %s): record one with reclaim baseline --provider %s", ErrNoBaseline, p, provider.SanitizeN(account, 200), s.root(), provider.SanitizeN(strings.Join(others, ", "), 400), p)
	}
	return nil, fmt.Errorf("%w for %s in %s: record one with reclaim baseline --provider %s", ErrNoBaseline, p, s.root(), p)
}
