package checklist

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// SchemaVersion is bumped when the state file's shape changes incompatibly.
const SchemaVersion = 1

// Status of a step.
type Status string

const (
	StatusTodo    Status = "todo"
	StatusDone    Status = "done"
	StatusSkipped Status = "skipped"
	StatusNA      Status = "n/a"
	// StatusOpen is a step the owner went through without its claim being
	// earned (answered No, left unanswered, or contradicted by the
	// provider's data): the report lists it as an open item.
	StatusOpen Status = "open"
)

// Incident is everything reclaim knows about one recovery. It is saved after
// every change and never holds a secret.
type Incident struct {
	Schema  int       `json:"schema"`
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	Drill   bool      `json:"drill,omitempty"`
	// DryRun marks an incident run with --dry-run: nothing was changed on
	// the account, and its report says so on every line that matters.
	DryRun bool `json:"dry_run,omitempty"`
	// Autopilot marks an incident whose questions the autopilot answered
	// from a drill's script: the report never calls them the owner's.
	Autopilot bool            `json:"autopilot,omitempty"`
	Scenario  string          `json:"scenario,omitempty"`
	Accounts  []*AccountState `json:"accounts"`
	Journal   []JournalEntry  `json:"journal"`
	Closed    time.Time       `json:"closed,omitzero"`
}

// AccountState is one provider account within an incident.
type AccountState struct {
	Provider string                `json:"provider"`
	Label    string                `json:"label"`
	Steps    map[StepID]*StepState `json:"steps"`
	Before   *Inventory            `json:"inventory_before,omitempty"`
	After    *Inventory            `json:"inventory_after,omitempty"`
	Findings []Finding             `json:"findings,omitempty"`
	// Recognised key ids the owner vouched for in the evidence review.
	Recognised []string `json:"recognised_keys,omitempty"`
	// Vouched are the account objects ("kind:id", see ReviewObject) the
	// owner marked as theirs; everything else stays unreviewed.
	Vouched []string `json:"vouched,omitempty"`
	// NewKeys are replacement keys reclaim created (metadata only).
	NewKeys []NewKeyRecord `json:"new_keys,omitempty"`
	// Places where the old key lived, ticked off as they are updated.
	KeyPlaces []KeyPlace `json:"key_places,omitempty"`
	// Scans are the leak scans run in the Investigate step, with what each
	// root yielded (files and bytes read), so a report can prove a scan read
	// something.
	Scans []ScanRecord `json:"scans,omitempty"`
	// Baseline is the baseline the incident started from (baseline*.go).
	Baseline *BaselineUse `json:"baseline,omitempty"`
	// Current step the user was on, for resume.
	Cursor StepID `json:"cursor,omitempty"`
}

// NewKeyRecord is what reclaim keeps of a key it created: never the secret.
type NewKeyRecord struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Scopes   []string  `json:"scopes"`
	Created  time.Time `json:"created"`
	Verified time.Time `json:"verified,omitzero"`
	StoredIn string    `json:"stored_in,omitempty"` // "keyring" or "memory (this session only)"
}

// KeyPlace is a place where a credential has to be updated.
type KeyPlace struct {
	Where   string    `json:"where"`
	Updated time.Time `json:"updated,omitzero"`
}

// StepState is the recorded progress of one step.
type StepState struct {
	Status   Status            `json:"status"`
	Reason   string            `json:"reason,omitempty"` // why skipped / not applicable
	Answers  map[string]string `json:"answers,omitempty"`
	Evidence []Evidence        `json:"evidence,omitempty"`
	Started  time.Time         `json:"started,omitzero"`
	Finished time.Time         `json:"finished,omitzero"`
	// Level says how the step's claim is known (verified, attested, open,
	// skipped, n/a); Statement is the sentence the report makes of it.
	Level     Level  `json:"level,omitempty"`
	Statement string `json:"statement,omitempty"`
	// Attestations are the owner's answers the claim rests on.
	Attestations []Attestation `json:"attestations,omitempty"`
}

// Evidence is one recorded observation.
type Evidence struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Summary string    `json:"summary"`
}

// JournalEntry is one line of the incident journal. Entries are hash-chained:
// each carries the hash of the one before, so a later edit shows.
type JournalEntry struct {
	Seq     int       `json:"seq"`
	At      time.Time `json:"at"` // UTC
	Account string    `json:"account,omitempty"`
	Step    StepID    `json:"step,omitempty"`
	Action  string    `json:"action"`
	Target  string    `json:"target,omitempty"`
	Outcome string    `json:"outcome"` // "ok", "failed", "dry-run", "info", "already done"
	Detail  string    `json:"detail,omitempty"`
	Prev    string    `json:"prev"`
	Hash    string    `json:"hash"`
}

func (j JournalEntry) digest() string {
	c := j
	c.Hash = ""
	b, _ := json.Marshal(c)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// VerifyJournal checks the hash chain and returns the final hash.
func VerifyJournal(entries []JournalEntry) (string, error) {
	prev := ""
	for i, e := range entries {
		if e.Prev != prev {
			return "", fmt.Errorf("journal entry %d: chain broken (prev hash mismatch)", e.Seq)
		}
		if e.digest() != e.Hash {
			return "", fmt.Errorf("journal entry %d: altered (hash mismatch)", e.Seq)
		}
		if e.Seq != i+1 {
			return "", fmt.Errorf("journal entry %d: out of order", e.Seq)
		}
		prev = e.Hash
	}
	return prev, nil
}

func (inc *Incident) appendJournal(e JournalEntry) JournalEntry {
	e.Seq = len(inc.Journal) + 1
	e.At = e.At.UTC()
	if n := len(inc.Journal); n > 0 {
		e.Prev = inc.Journal[n-1].Hash
	}
	e.Hash = e.digest()
	inc.Journal = append(inc.Journal, e)
	return e
}

// JournalHead is the final hash of the journal chain.
func (inc *Incident) JournalHead() string {
	if n := len(inc.Journal); n > 0 {
		return inc.Journal[n-1].Hash
	}
	return ""
}

// Account returns the first account (the UI handles one for now).
func (inc *Incident) Account() *AccountState {
	if len(inc.Accounts) == 0 {
		return nil
	}
	return inc.Accounts[0]
}

// Clone returns a deep copy, for handing to a UI goroutine.
func (inc *Incident) Clone() *Incident {
	b, err := json.Marshal(inc)
	if err != nil {
		panic(err)
	}
	var c Incident
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}

// Step returns a step's state, creating it as todo.
func (a *AccountState) Step(id StepID) *StepState {
	if a.Steps == nil {
		a.Steps = map[StepID]*StepState{}
	}
	s, ok := a.Steps[id]
	if !ok {
		s = &StepState{Status: StatusTodo}
		a.Steps[id] = s
	}
	return s
}

// Progress counts finished steps (done or skipped) out of those that apply;
// an open step is not finished.
func (a *AccountState) Progress(ids []StepID) (finished, total int) {
	for _, id := range ids {
		s, ok := a.Steps[id]
		if ok && s.Status == StatusNA {
			continue
		}
		total++
		if ok && (s.Status == StatusDone || s.Status == StatusSkipped) {
			finished++
		}
	}
	return
}
