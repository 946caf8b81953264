package checklist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// How an incident's state reads, as listed.
const (
	StateOK      = "ok"
	StateDamaged = "damaged" // state.json empty, truncated, garbage or missing parts: kept, copied, never resumed
	StateNewer   = "newer"   // saved by a newer reclaim: listed read-only, left unchanged
	StateRefused = "refused" // another user could change it: not read (see UnsafeError)
)

// ErrDamaged is matched (errors.Is) by a *DamagedError.
var ErrDamaged = errors.New("incident state is damaged")

// QuarantinePrefix starts the name of the byte-for-byte copy reclaim keeps
// of a damaged state.json, next to it: state.json.damaged-<UTC time>.
const QuarantinePrefix = StateFile + ".damaged-"

// DamagedError is an incident whose state.json cannot be resumed. The file
// itself is never changed; Quarantine is the copy kept of it.
type DamagedError struct {
	ID    string // the folder's name
	Dir   string
	State string // StateDamaged or StateNewer
	// Reason follows "state.json ": "is truncated: its JSON stops after 812 bytes".
	Reason        string
	Quarantine    string // path of the copy ("" when none was made)
	QuarantineErr error  // why no copy could be made
	// Recovered says, honestly, what could be read of it.
	Recovered string
	// Partial is what could be read (never saved back); nil when nothing.
	Partial *Incident
	// done, total: progress as far as it could be read (total 0: unknown).
	done, total int
}

// Is makes errors.Is(err, ErrDamaged) true.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// Problem is the one-line reason, without the advice.
func (e *DamagedError) Problem() string { return "state.json " + e.Reason }

func (e *DamagedError) Error() string {
	var b strings.Builder
	if e.State == StateNewer {
		fmt.Fprintf(&b, "incident %s cannot be opened: its state.json %s. The file is left unchanged.", e.ID, e.Reason)
		if e.Recovered != "" {
			b.WriteString(" " + e.Recovered)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "incident %s is damaged: its state.json %s. The file is left as it was", e.ID, e.Reason)
	switch {
	case e.Quarantine != "":
		fmt.Fprintf(&b, ", and a byte-for-byte copy is kept at %s.", e.Quarantine)
	case e.QuarantineErr != nil:
		fmt.Fprintf(&b, "; no copy of it could be made (%v).", e.QuarantineErr)
	default:
		b.WriteString(".")
	}
	if e.Recovered != "" {
		b.WriteString(" " + e.Recovered)
	}
	b.WriteString(" It cannot be resumed: start a new incident beside it (\"reclaim drill\" or \"reclaim\"); \"reclaim incidents\" keeps listing it as damaged.")
	return b.String()
}

// stateHead is what can be read from the start of a state file.
type stateHead struct {
	Schema  int       `json:"schema"`
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	Updated time.Time `json:"updated"`
	Drill   bool      `json:"drill"`
	Closed  time.Time `json:"closed"`
}

// salvageHead reads the top-level fields of a state file one by one and
// stops at the first that cannot be read: a truncated file still yields the
// id and title that come first.
func salvageHead(b []byte) (h stateHead, any bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return h, false
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return h, any
		}
		key, _ := kt.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return h, any
		}
		var err2 error
		switch key {
		case "schema":
			err2 = json.Unmarshal(raw, &h.Schema)
		case "id":
			err2 = json.Unmarshal(raw, &h.ID)
		case "title":
			err2 = json.Unmarshal(raw, &h.Title)
		case "updated":
			err2 = json.Unmarshal(raw, &h.Updated)
		case "drill":
			err2 = json.Unmarshal(raw, &h.Drill)
		case "closed":
			err2 = json.Unmarshal(raw, &h.Closed)
		default:
			continue
		}
		if err2 == nil {
			any = true
		}
	}
	return h, any
}

// inspectState reads dir's state.json and says whether it can be used.
// It returns the incident, or a *DamagedError (the file is never changed;
// with quarantine, a copy of a damaged one is kept next to it), or another
// error (an *UnsafeError for state another user could change, or I/O).
func inspectState(dir string, quarantine bool) (*Incident, error) {
	path := filepath.Join(dir, StateFile)
	id := filepath.Base(dir)
	b, err := readPrivateFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, &DamagedError{ID: id, Dir: dir, State: StateDamaged, Reason: "is missing",
			Recovered: "Nothing could be recovered: the steps and the journal are kept in state.json."}
	}
	if err != nil {
		return nil, err
	}
	inc, d := classifyState(id, dir, b)
	if d == nil {
		return inc, nil
	}
	if quarantine && d.State == StateDamaged {
		d.Quarantine, d.QuarantineErr = quarantineCopy(dir, b, time.Now())
	}
	return nil, d
}

// classifyState parses a state file, or says why it cannot be resumed and
// what of it could be read.
func classifyState(id, dir string, b []byte) (*Incident, *DamagedError) {
	d := &DamagedError{ID: id, Dir: dir, State: StateDamaged}
	if len(bytes.TrimSpace(b)) == 0 {
		if len(b) == 0 {
			d.Reason = "is empty (0 bytes)"
		} else {
			d.Reason = fmt.Sprintf("holds only white space (%d bytes)", len(b))
		}
		d.Recovered = "Nothing could be recovered: the journal is kept inside state.json, so there is nothing to rebuild the steps from."
		return nil, d
	}
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se) && se.Offset >= int64(len(b)):
			d.Reason = fmt.Sprintf("is truncated: its JSON stops after %d bytes", len(b))
		case errors.As(err, &se):
			d.Reason = fmt.Sprintf("is not valid JSON (%s at byte %d of %d)", se.Error(), se.Offset, len(b))
		default:
			d.Reason = fmt.Sprintf("is not valid JSON (%v)", err)
		}
		h, any := salvageHead(b)
		if any && (h.Title != "" || h.ID != "") {
			d.Partial = &Incident{Schema: h.Schema, ID: h.ID, Title: h.Title, Updated: h.Updated, Drill: h.Drill, Closed: h.Closed}
			d.Recovered = fmt.Sprintf("Only its title (%q) could be read; its steps and journal were in the unreadable part, and the journal is kept inside state.json, so progress cannot be rebuilt.", h.Title)
		} else {
			d.Recovered = "Nothing could be recovered: the journal is kept inside state.json, so there is nothing to rebuild the steps from."
		}
		return nil, d
	}
	var head stateHead
	_ = json.Unmarshal(b, &head) // best effort: a field of another type stays zero
	if head.Schema > SchemaVersion {
		d.State = StateNewer
		d.Reason = fmt.Sprintf("was saved by a newer reclaim (schema %d; this reclaim reads schema %d): upgrade reclaim to open it", head.Schema, SchemaVersion)
		var inc Incident
		if json.Unmarshal(b, &inc) == nil {
			d.Partial = &inc
			if a := inc.Account(); a != nil && len(a.Steps) > 0 {
				d.done, d.total = a.Progress(StepIDs())
			}
		} else {
			d.Partial = &Incident{Schema: head.Schema, ID: head.ID, Title: head.Title, Updated: head.Updated, Drill: head.Drill, Closed: head.Closed}
		}
		d.Recovered = "It is listed read-only, with the title and progress this reclaim can read."
		return nil, d
	}
	var inc Incident
	if err := json.Unmarshal(b, &inc); err != nil {
		d.Reason = fmt.Sprintf("does not have the shape of a reclaim state (%v)", err)
		d.Partial = &Incident{Schema: head.Schema, ID: head.ID, Title: head.Title, Updated: head.Updated, Drill: head.Drill, Closed: head.Closed}
		if head.Title != "" {
			d.Recovered = fmt.Sprintf("Only its title (%q) could be read; the rest does not have the shape reclaim writes, so progress cannot be rebuilt.", head.Title)
		} else {
			d.Recovered = "Nothing could be recovered: the journal is kept inside state.json, so there is nothing to rebuild the steps from."
		}
		return nil, d
	}
	switch a := inc.Account(); {
	case head.Schema == 0 && inc.ID == "" && len(inc.Journal) == 0:
		d.Reason = "has no schema, id or journal: it is not a state reclaim wrote"
	case a == nil:
		d.Reason = "has no account: its steps, inventory and findings are missing"
	case len(a.Steps) == 0:
		d.Reason = fmt.Sprintf("has no steps for its account (%s): its progress is missing", a.Provider)
	default:
		return &inc, nil
	}
	d.Partial = &inc
	d.Recovered = journalRecovery(d, &inc)
	return nil, d
}

// journalRecovery says what the journal of a state whose JSON is intact
// can rebuild: the progress it records (listed read-only).
func journalRecovery(d *DamagedError, inc *Incident) string {
	if len(inc.Journal) == 0 {
		if inc.Title != "" {
			return fmt.Sprintf("Only its title (%q) could be read; its journal is empty, so nothing can be rebuilt.", inc.Title)
		}
		return "Nothing could be recovered: its journal is empty."
	}
	chain := "hash chain intact"
	if _, err := VerifyJournal(inc.Journal); err != nil {
		chain = "hash chain broken: " + err.Error()
	}
	for _, c := range ClaimsFromJournal(inc.Journal) {
		switch c.Level {
		case LevelNA:
			continue
		case LevelVerified, LevelAttested, LevelBaseline, LevelSkipped:
			d.done++
		}
		d.total++
	}
	return fmt.Sprintf("Its title and journal (%d entries, %s) could be read, and progress was rebuilt from the journal: %d of %d steps finished. The inventory, findings and answers are not in the journal, so it is listed read-only and cannot be resumed.", len(inc.Journal), chain, d.done, d.total)
}

// quarantineCopy keeps a byte-for-byte copy of a damaged state file next
// to it (state.json.damaged-<UTC time>, 0600, created exclusively, never
// through a link). An existing copy with the same bytes is reused.
func quarantineCopy(dir string, b []byte, now time.Time) (string, error) {
	if old, _ := filepath.Glob(filepath.Join(dir, QuarantinePrefix+"*")); len(old) > 0 {
		for _, p := range old {
			fi, err := os.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() || fi.Size() != int64(len(b)) {
				continue
			}
			if c, err := readPrivateFile(p); err == nil && bytes.Equal(c, b) {
				return p, nil
			}
		}
	}
	base := filepath.Join(dir, QuarantinePrefix+now.UTC().Format("20060102T150405Z"))
	for i := 0; i < 100; i++ {
		p := base
		if i > 0 {
			p = fmt.Sprintf("%s-%d", base, i)
		}
		f, err := openNoFollow(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		if _, err := f.Write(b); err != nil {
			f.Close()
			os.Remove(p)
			return "", err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			os.Remove(p)
			return "", err
		}
		if err := f.Close(); err != nil {
			os.Remove(p)
			return "", err
		}
		return p, nil
	}
	return "", errors.New("too many copies with the same time")
}

// summaryOf lists an incident that cannot be opened.
func summaryOf(id, dir string, err error) Summary {
	s := Summary{ID: id, State: StateRefused, Problem: err.Error()}
	if fi, e := os.Lstat(filepath.Join(dir, StateFile)); e == nil {
		s.Updated = fi.ModTime().UTC()
	} else if fi, e := os.Lstat(dir); e == nil {
		s.Updated = fi.ModTime().UTC()
	}
	var d *DamagedError
	if !errors.As(err, &d) {
		return s
	}
	s.State, s.Problem, s.Quarantine, s.Recovered = d.State, d.Problem(), d.Quarantine, d.Recovered
	s.Done, s.Total = d.done, d.total
	if p := d.Partial; p != nil {
		s.Title, s.Drill, s.Closed = p.Title, p.Drill, !p.Closed.IsZero()
		if !p.Updated.IsZero() {
			s.Updated = p.Updated
		}
		if a := p.Account(); a != nil {
			s.Provider = a.Provider
		}
	}
	return s
}
