package checklist

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
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

// ErrNoStateDir is returned when there is no private place for the state:
// reclaim never falls back to a shared folder such as /tmp.
var ErrNoStateDir = errors.New("no private place for reclaim's state: HOME, XDG_STATE_HOME and XDG_CACHE_HOME are unset, and reclaim will not keep incidents in a shared folder such as /tmp; name a folder of your own with --state-dir DIR (or set HOME)")

// DefaultStateDir is $XDG_STATE_HOME/reclaim, else ~/.local/state/reclaim,
// else the user's cache dir ($XDG_CACHE_HOME/reclaim/state); with none of
// them it is ErrNoStateDir.
func DefaultStateDir() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "reclaim"), nil
	}
	if home, err := os.UserHomeDir(); err == nil && filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "reclaim"), nil
	}
	if c, err := os.UserCacheDir(); err == nil && filepath.IsAbs(c) {
		return filepath.Join(c, "reclaim", "state"), nil
	}
	return "", ErrNoStateDir
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

// Create makes a new incident folder, locks it and saves the incident. The
// folder is new (an existing one, damaged or not, is never reused).
func (s *Store) Create(inc *Incident, providerState []byte) (*Handle, error) {
	if err := s.safeRoot(true); err != nil {
		return nil, err
	}
	if !validID(inc.ID) {
		return nil, fmt.Errorf("bad incident id %q", inc.ID)
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

func validID(id string) bool {
	return id != "" && id != "." && id != ".." && !strings.ContainsAny(id, `/\`) && !strings.HasPrefix(id, ".")
}

// Open locks an existing incident and loads it with its provider state. A
// damaged or newer-schema state is a *DamagedError (with a copy of a
// damaged one kept beside it); the file is left as it was.
func (s *Store) Open(id string) (*Handle, *Incident, []byte, error) {
	if !validID(id) {
		return nil, nil, nil, fmt.Errorf("bad incident id %q", id)
	}
	if err := s.safeRoot(false); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil, fmt.Errorf("no incident %q in %s", id, s.root())
		}
		return nil, nil, nil, err
	}
	dir := filepath.Join(s.root(), id)
	if err := checkPrivateDir(dir, false); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil, nil, fmt.Errorf("no incident %q in %s", id, s.root())
		}
		return nil, nil, nil, err
	}
	if _, err := os.Lstat(filepath.Join(dir, StateFile)); err != nil {
		return nil, nil, nil, fmt.Errorf("no incident %q in %s", id, s.root())
	}
	h, err := lockDir(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	inc, err := inspectState(dir, true)
	if err != nil {
		h.Close()
		return nil, nil, nil, err
	}
	ps, err := readPrivateFile(filepath.Join(dir, ProviderFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		h.Close()
		return nil, nil, nil, err
	}
	return h, inc, ps, nil
}

// LoadIncident reads an incident folder's state without locking it. The
// folder and file must be the user's own (an *UnsafeError otherwise); a
// damaged or newer-schema state is a *DamagedError naming what is wrong and
// where its byte-for-byte copy is kept.
func LoadIncident(dir string) (*Incident, error) {
	if err := checkPrivateDir(dir, true); err != nil {
		return nil, err
	}
	return inspectState(dir, true)
}

// Summary is one line of the incident list.
type Summary struct {
	ID       string
	Title    string
	Updated  time.Time
	Drill    bool
	DryRun   bool
	Done     int
	Total    int // 0 when the progress could not be read
	Closed   bool
	Provider string
	// State is StateOK, or why it cannot be opened: StateDamaged,
	// StateNewer or StateRefused; Problem says what is wrong, Quarantine
	// where the copy of a damaged state is, Recovered what could be read.
	State      string
	Problem    string
	Quarantine string
	Recovered  string
}

// OK reports whether the incident can be opened.
func (s Summary) OK() bool { return s.State == StateOK }

// List returns every incident folder: those that open first, most recently
// updated first, then those that do not (damaged, newer, refused) with the
// reason, so that none is ever left out. A damaged state gets its copy.
func (s *Store) List() ([]Summary, error) {
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
	var out []Summary
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !(e.IsDir() || e.Type()&os.ModeSymlink != 0) {
			continue
		}
		dir := filepath.Join(s.root(), name)
		if err := checkPrivateDir(dir, false); err != nil {
			out = append(out, summaryOf(name, dir, err))
			continue
		}
		inc, err := inspectState(dir, true)
		if err != nil {
			out = append(out, summaryOf(name, dir, err))
			continue
		}
		sum := Summary{ID: inc.ID, Title: inc.Title, Updated: inc.Updated, Drill: inc.Drill, DryRun: inc.DryRun, Closed: !inc.Closed.IsZero(), State: StateOK}
		if sum.ID == "" {
			sum.ID = name
		}
		if a := inc.Account(); a != nil {
			sum.Done, sum.Total = a.Progress(StepIDs())
			sum.Provider = a.Provider
		}
		out = append(out, sum)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].OK() != out[j].OK() {
			return out[i].OK()
		}
		return out[i].Updated.After(out[j].Updated)
	})
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

// lockRE is what reclaim writes in a lock file.
var lockRE = regexp.MustCompile(`^(pid [0-9]+)?$`)

// openLockFile opens dir's lock file without following a link: an existing
// one must be a regular file of the user's own with one name; a new one is
// created exclusively. created says which.
func openLockFile(path string) (f *os.File, created bool, err error) {
	for range 5 {
		f, err = openNoFollow(path, os.O_RDWR, 0)
		if errors.Is(err, os.ErrNotExist) {
			f, err = openNoFollow(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, os.ErrExist) {
				continue // made meanwhile by another reclaim: open that one
			}
			if err != nil {
				return nil, false, err
			}
			return f, true, nil
		}
		if err != nil {
			if isSymlinkErr(path, err) {
				if fi, lerr := os.Lstat(path); lerr == nil {
					return nil, false, checkPrivate(path, fi, false)
				}
			}
			return nil, false, err
		}
		fi, err := f.Stat()
		if err == nil {
			err = checkPrivate(path, fi, false)
		}
		if err == nil {
			if _, n, ok := ownerOf(fi); ok && n > 1 {
				err = &UnsafeError{Path: path, Problem: fmt.Sprintf("has %d hard links (another name points at the same file)", n),
					Fix: fmt.Sprintf("if you did not make it, remove it (rm %s); reclaim makes a new lock file", shellQuote(path))}
			}
		}
		if err != nil {
			f.Close()
			return nil, false, err
		}
		return f, false, nil
	}
	return nil, false, fmt.Errorf("%s: could not be opened or created", path)
}

func lockDir(dir string) (*Handle, error) {
	path := filepath.Join(dir, LockFile)
	f, created, err := openLockFile(path)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 65)
	n, _ := f.ReadAt(buf, 0)
	held := strings.TrimSpace(string(buf[:n]))
	if err := lockFile(f); err != nil {
		f.Close()
		if held != "" && lockRE.MatchString(held) {
			return nil, fmt.Errorf("%w (%s): close it there first", ErrLocked, held)
		}
		return nil, fmt.Errorf("%w: close it there first", ErrLocked)
	}
	// Only a lock file reclaim wrote (empty or "pid N") is rewritten.
	if !created && (n > 64 || !lockRE.MatchString(string(buf[:n]))) {
		unlockFile(f)
		f.Close()
		return nil, &UnsafeError{Path: path, Problem: "holds something reclaim did not write, and reclaim will not overwrite it",
			Fix: fmt.Sprintf("look at it; if it is not needed, rm %s (reclaim makes a new lock file)", shellQuote(path))}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d", os.Getpid())), 0)
	// With the lock held nobody else writes here: a temporary state file
	// is what a killed reclaim left behind.
	removeStaleTemps(dir, time.Time{})
	return &Handle{Dir: dir, lock: f}, nil
}

// tempFiles are the temporary files WriteFileAtomic has open, for
// RemoveTempFiles.
var tempFiles = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

// RemoveTempFiles removes the temporary files of writes in flight: a
// signal handler calls it before the process exits.
func RemoveTempFiles() {
	tempFiles.Lock()
	defer tempFiles.Unlock()
	for p := range tempFiles.m {
		os.Remove(p)
		delete(tempFiles.m, p)
	}
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
	tempFiles.Lock()
	tempFiles.m[tmp] = true
	tempFiles.Unlock()
	defer func() {
		tempFiles.Lock()
		delete(tempFiles.m, tmp)
		tempFiles.Unlock()
		os.Remove(tmp) // no-op after a successful rename
	}()
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
