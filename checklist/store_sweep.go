package checklist

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// DrillTreePrefix starts the name of the temporary folder holding a drill's
// fake server files: reclaim-drill-server-<pid>-<random>, the pid being
// that of the reclaim that made it.
const DrillTreePrefix = "reclaim-drill-server-"

// NewDrillTree makes the temporary folder (0700) for a drill's fake server.
func NewDrillTree() (string, error) {
	return os.MkdirTemp("", fmt.Sprintf("%s%d-", DrillTreePrefix, os.Getpid()))
}

// sweepMargin absorbs the coarse clocks of process start times (whole
// seconds since boot) and file times.
const sweepMargin = 2 * time.Second

// tempRE matches the temporary files of WriteFileAtomic in an incident
// folder; lockedTempRE those that only the lock holder writes.
var (
	tempRE       = regexp.MustCompile(`^\.(state\.json|provider\.json|report\.(md|json|html))\.[0-9]+\.tmp$`)
	lockedTempRE = regexp.MustCompile(`^\.(state|provider)\.json\.[0-9]+\.tmp$`)
)

// ownedByMe reports whether fi (from Lstat) is a file or folder of the
// current user's, not a link. Where owners are unknown it is false, so
// nothing is removed.
func ownedByMe(fi os.FileInfo) bool {
	if fi.Mode()&os.ModeSymlink != 0 {
		return false
	}
	uid, _, ok := ownerOf(fi)
	return ok && uid == os.Geteuid()
}

// removeStaleTemps removes an incident folder's temporary state files: all
// of them (before zero, called with the folder's lock held), or those last
// written before before.
func removeStaleTemps(dir string, before time.Time) []string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		if before.IsZero() && !lockedTempRE.MatchString(name) || !tempRE.MatchString(name) {
			continue
		}
		p := filepath.Join(dir, name)
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || !ownedByMe(fi) {
			continue
		}
		if !before.IsZero() && !fi.ModTime().Before(before) {
			continue
		}
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// procInfo tells about live processes: when one started, and when the
// oldest live reclaim did. known is false where the system does not say
// (no /proc): then only what is certain is removed.
type procInfo struct {
	btime  time.Time
	known  bool
	oldest time.Time
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's start time (100 on
// every Linux port).
const clockTicks = 100

func readProcInfo() procInfo {
	var pi procInfo
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return pi
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "btime "); ok {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				pi.btime, pi.known = time.Unix(n, 0), true
			}
		}
	}
	if !pi.known {
		return pi
	}
	self, ok := pi.start(os.Getpid())
	if !ok {
		pi.known = false
		return pi
	}
	pi.oldest = self
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil || !strings.HasPrefix(strings.TrimSpace(string(comm)), "reclaim") {
			continue
		}
		if t, ok := pi.start(pid); ok && t.Before(pi.oldest) {
			pi.oldest = t
		}
	}
	return pi
}

// start is when a process started (field 22 of /proc/<pid>/stat).
func (pi procInfo) start(pid int) (time.Time, bool) {
	if !pi.known {
		return time.Time{}, false
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return time.Time{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return time.Time{}, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return time.Time{}, false
	}
	ticks, err := strconv.ParseInt(f[19], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return pi.btime.Add(time.Duration(ticks) * time.Second / clockTicks), true
}

// staleDrillTree says whether a drill tree was left by a reclaim that is no
// longer running: its pid is gone, or now belongs to a process started
// after the tree was made; a tree of an older build (no pid in its name)
// when it is older than every live reclaim.
func staleDrillTree(name string, fi os.FileInfo, pi procInfo) bool {
	rest := strings.TrimPrefix(name, DrillTreePrefix)
	if pidStr, _, ok := strings.Cut(rest, "-"); ok {
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid <= 0 {
			return false
		}
		if !processAlive(pid) {
			return true
		}
		t, ok := pi.start(pid)
		return ok && t.After(fi.ModTime().Add(sweepMargin))
	}
	if _, err := strconv.ParseUint(rest, 10, 64); err != nil {
		return false
	}
	return pi.known && fi.ModTime().Before(pi.oldest.Add(-sweepMargin))
}

// SweepLeftovers removes what a killed reclaim (SIGKILL cannot be caught)
// left behind: drill server trees in the temporary folder whose reclaim is
// gone, and temporary state files in stateDir's incident folders older than
// every live reclaim. Only paths named as reclaim names them, owned by the
// current user and not links, are removed; an unsafe stateDir is left
// alone. It returns what it removed.
func SweepLeftovers(stateDir string) []string {
	var removed []string
	var pi procInfo
	var piRead bool
	info := func() procInfo {
		if !piRead {
			pi, piRead = readProcInfo(), true
		}
		return pi
	}
	tmp := os.TempDir()
	if ents, err := os.ReadDir(tmp); err == nil {
		for _, e := range ents {
			name := e.Name()
			if !strings.HasPrefix(name, DrillTreePrefix) || !e.IsDir() {
				continue
			}
			p := filepath.Join(tmp, name)
			fi, err := os.Lstat(p)
			if err != nil || !fi.IsDir() || !ownedByMe(fi) || !staleDrillTree(name, fi, info()) {
				continue
			}
			if os.RemoveAll(p) == nil {
				removed = append(removed, p)
			}
		}
	}
	if stateDir == "" {
		return removed
	}
	st := &Store{Dir: stateDir}
	if st.safeRoot(false) != nil {
		return removed
	}
	ents, err := os.ReadDir(st.root())
	if err != nil {
		return removed
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(st.root(), e.Name())
		if checkPrivateDir(dir, false) != nil {
			continue
		}
		if !hasTemp(dir) || !info().known {
			continue
		}
		removed = append(removed, removeStaleTemps(dir, info().oldest.Add(-sweepMargin))...)
	}
	return removed
}

func hasTemp(dir string) bool {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range ents {
		if tempRE.MatchString(e.Name()) {
			return true
		}
	}
	return false
}
