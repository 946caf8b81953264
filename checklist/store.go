package checklist

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// File names inside an incident folder.
const (
	StateFile    = "state.json"
	ProviderFile = "provider.json" // a drill account's simulated state
	LockFile     = "lock"
	ReportMD     = "report.md"
	ReportJSON   = "report.json"
)

// DefaultStateDir is $XDG_STATE_HOME/reclaim, else ~/.local/state/reclaim.
func DefaultStateDir() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "reclaim")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "reclaim")
	}
	return filepath.Join(os.TempDir(), "reclaim-state")
}

// Store holds incidents, one folder each, under Dir/incidents.
type Store struct{ Dir string }

// ErrLocked is returned when another reclaim has the incident open.
var ErrLocked = errors.New("incident is open in another reclaim")

func (s *Store) root() string { return filepath.Join(s.Dir, "incidents") }

// Handle is an open, locked incident folder.
type Handle struct {
	Dir  string
	lock *os.File
}

// NewIncidentID makes a sortable, unique id.
func NewIncidentID(now time.Time, tag string) string {
	b := make([]byte, 2)
	_, _ = rand.Read(b)
	id := now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
	if tag != "" {
		id += "-" + tag
	}
	return id
}

// Create makes a new incident folder, locks it and saves the incident.
func (s *Store) Create(inc *Incident, providerState []byte) (*Handle, error) {
	if err := os.MkdirAll(s.root(), 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	dir := filepath.Join(s.root(), inc.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return nil, fmt.Errorf("incident folder: %w", err)
	}
	h, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	if err := h.Save(inc, providerState); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Open locks an existing incident and loads it with its provider state.
func (s *Store) Open(id string) (*Handle, *Incident, []byte, error) {
	if strings.ContainsAny(id, `/\`) || id == "" || id == "." || id == ".." {
		return nil, nil, nil, fmt.Errorf("bad incident id %q", id)
	}
	dir := filepath.Join(s.root(), id)
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err != nil {
		return nil, nil, nil, fmt.Errorf("no incident %q in %s", id, s.root())
	}
	h, err := lockDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	inc, err := LoadIncident(dir)
	if err != nil {
		h.Close()
		return nil, nil, nil, err
	}
	ps, err := os.ReadFile(filepath.Join(dir, ProviderFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		h.Close()
		return nil, nil, nil, err
	}
	return h, inc, ps, nil
}

// LoadIncident reads an incident folder's state without locking it.
func LoadIncident(dir string) (*Incident, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, err
	}
	var inc Incident
	if err := json.Unmarshal(b, &inc); err != nil {
		return nil, fmt.Errorf("%s is damaged: %w", filepath.Join(dir, StateFile), err)
	}
	if inc.Schema > SchemaVersion {
		return nil, fmt.Errorf("incident %s was saved by a newer reclaim (schema %d): upgrade reclaim", inc.ID, inc.Schema)
	}
	return &inc, nil
}

// Summary is one line of the incident list.
type Summary struct {
	ID       string
	Title    string
	Updated  time.Time
	Drill    bool
	Done     int
	Total    int
	Closed   bool
	Provider string
}

// List returns incidents, most recently updated first.
func (s *Store) List() ([]Summary, error) {
	ents, err := os.ReadDir(s.root())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Summary
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		inc, err := LoadIncident(filepath.Join(s.root(), e.Name()))
		if err != nil {
			continue
		}
		sum := Summary{ID: inc.ID, Title: inc.Title, Updated: inc.Updated, Drill: inc.Drill, Closed: !inc.Closed.IsZero()}
		if a := inc.Account(); a != nil {
			sum.Done, sum.Total = a.Progress(StepIDs())
			sum.Provider = a.Provider
		}
		out = append(out, sum)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out, nil
}

// Save writes the incident (and the provider's state, if any) atomically.
func (h *Handle) Save(inc *Incident, providerState []byte) error {
	inc.Schema = SchemaVersion
	b, err := json.MarshalIndent(inc, "", "  ")
	if err != nil {
		return err
	}
	if providerState != nil {
		if err := WriteFileAtomic(filepath.Join(h.Dir, ProviderFile), providerState); err != nil {
			return err
		}
	}
	return WriteFileAtomic(filepath.Join(h.Dir, StateFile), b)
}

// Close releases the lock.
func (h *Handle) Close() {
	if h != nil && h.lock != nil {
		unlockFile(h.lock)
		h.lock.Close()
		h.lock = nil
	}
}

func lockDir(dir string) (*Handle, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := lockFile(f); err != nil {
		holder, _ := os.ReadFile(f.Name())
		f.Close()
		msg := strings.TrimSpace(string(holder))
		if msg != "" {
			return nil, fmt.Errorf("%w (%s): close it there first", ErrLocked, msg)
		}
		return nil, fmt.Errorf("%w: close it there first", ErrLocked)
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d", os.Getpid())), 0)
	return &Handle{Dir: dir, lock: f}, nil
}

// WriteFileAtomic writes data with mode 0600 through a temporary file,
// fsync and rename, so a crash leaves either the old or the new file.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
