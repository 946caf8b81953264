package checklist

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnsafe is returned (wrapped in an *UnsafeError) for state that someone
// other than its owner could change: a folder or file owned by another
// user, writable by its group or by everyone, or a symbolic link where
// reclaim keeps its own files.
var ErrUnsafe = errors.New("state another user could change")

// UnsafeError says what is wrong with a path in the state directory and
// the command that fixes it.
type UnsafeError struct {
	Path    string
	Problem string // "is writable by every user (mode 0777)"
	Fix     string // "chmod 700 /path"
}

func (e *UnsafeError) Error() string {
	return fmt.Sprintf("%s %s: reclaim refuses it, as another user could change reclaim's state or files through it. Fix: %s", e.Path, e.Problem, e.Fix)
}

// Is makes errors.Is(err, ErrUnsafe) true.
func (e *UnsafeError) Is(target error) bool { return target == ErrUnsafe }

// maxStateBytes bounds what reclaim reads of a state file.
const maxStateBytes = 256 << 20

// userName renders a uid as "name (uid N)".
func userName(uid int) string {
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return fmt.Sprintf("%s (uid %d)", u.Username, uid)
	}
	return fmt.Sprintf("uid %d", uid)
}

// chownTarget is what to pass to chown for the current user.
func chownTarget() string {
	uid := os.Geteuid()
	if u, err := user.LookupId(strconv.Itoa(uid)); err == nil && u.Username != "" {
		return u.Username
	}
	return strconv.Itoa(uid)
}

// checkPrivate refuses a folder (dir) or file that is not the current
// user's own: a symbolic link (fi from Lstat), another owner, or write
// access for the group or everyone. what names it in the message.
func checkPrivate(path string, fi os.FileInfo, dir bool) error {
	if fi.Mode()&os.ModeSymlink != 0 {
		target, _ := os.Readlink(path)
		return &UnsafeError{Path: path, Problem: fmt.Sprintf("is a symbolic link (to %s), and reclaim follows no link inside its state directory", target),
			Fix: fmt.Sprintf("if you did not make it, remove the link (rm %s)%s", shellQuote(path), linkFixTail(path, dir))}
	}
	if dir && !fi.IsDir() {
		return &UnsafeError{Path: path, Problem: "is not a folder", Fix: fmt.Sprintf("move it away (mv %s %s.old)", shellQuote(path), shellQuote(path))}
	}
	if !dir && !fi.Mode().IsRegular() {
		return &UnsafeError{Path: path, Problem: fmt.Sprintf("is not a regular file (%s)", fi.Mode().Type()), Fix: fmt.Sprintf("remove it (rm %s) if you did not make it", shellQuote(path))}
	}
	if uid, _, ok := ownerOf(fi); ok && uid != os.Geteuid() {
		return &UnsafeError{Path: path, Problem: fmt.Sprintf("is owned by %s, not by you (%s)", userName(uid), userName(os.Geteuid())),
			Fix: fmt.Sprintf("if it is yours, sudo chown %s%s %s; otherwise use --state-dir DIR with a folder of your own", recursive(dir), chownTarget(), shellQuote(path))}
	}
	if !modeBitsMean {
		return nil
	}
	mode := "600"
	if dir {
		mode = "700"
	}
	perm := fi.Mode().Perm()
	switch {
	case perm&0o002 != 0:
		return &UnsafeError{Path: path, Problem: fmt.Sprintf("is writable by every user (mode %04o)", perm), Fix: fmt.Sprintf("chmod %s %s", mode, shellQuote(path))}
	case perm&0o020 != 0:
		return &UnsafeError{Path: path, Problem: fmt.Sprintf("is writable by its group (mode %04o)", perm), Fix: fmt.Sprintf("chmod %s %s", mode, shellQuote(path))}
	}
	return nil
}

func linkFixTail(path string, dir bool) string {
	switch {
	case filepath.Base(path) == LockFile:
		return "; reclaim makes a new lock file"
	case dir:
		return " and move the real folder there"
	}
	return " and put the real file there"
}

func recursive(dir bool) string {
	if dir {
		return "-R "
	}
	return ""
}

// shellQuote quotes a path for a command the owner can paste.
func shellQuote(s string) string {
	for _, c := range s {
		if !(c == '/' || c == '.' || c == '-' || c == '_' || c == '+' || c == ',' || c == ':' || c == '@' ||
			c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}

// checkPrivateDir checks a folder by path (through a final symlink when
// follow is true: the state directory itself may be a link the owner made).
func checkPrivateDir(path string, follow bool) error {
	stat := os.Lstat
	if follow {
		stat = os.Stat
	}
	fi, err := stat(path)
	if err != nil {
		return err
	}
	return checkPrivate(path, fi, true)
}

// readPrivateFile reads one of reclaim's own files: opened without
// following a symbolic link and without blocking, then checked to be a
// regular file of the current user's that nobody else may write, and read
// up to maxStateBytes.
func readPrivateFile(path string) ([]byte, error) { return readPrivateFileMax(path, maxStateBytes) }

// readPrivateFileMax is readPrivateFile with another size limit.
func readPrivateFileMax(path string, limit int64) ([]byte, error) {
	f, err := openNoFollow(path, os.O_RDONLY, 0)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) && isSymlinkErr(path, err) {
			if fi, lerr := os.Lstat(path); lerr == nil {
				return nil, checkPrivate(path, fi, false)
			}
		}
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if err := checkPrivate(path, fi, false); err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		// Known from fstat: nothing of it is read.
		return nil, fmt.Errorf("%s is larger than %d MiB: not a state file reclaim wrote", path, limit>>20)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a state file reclaim wrote", path, limit>>20)
	}
	return b, nil
}

// Check says whether the state directory can be used: nil when it is the
// user's own and writable by nobody else, or does not exist yet;
// ErrNoStateDir or an *UnsafeError otherwise.
func (s *Store) Check() error {
	if err := s.safeRoot(false); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// safeRoot checks (and with create, makes) the state directory and its
// incidents folder: each must be the current user's and writable by
// nobody else.
func (s *Store) safeRoot(create bool) error { return safeStateFolder(s.Dir, s.root(), create) }

// safeStateFolder checks (and with create, makes) the state directory dir
// and its folder root (incidents, baselines): each must be the current
// user's and writable by nobody else, and so must dir's ancestors.
func safeStateFolder(dir, root string, create bool) error {
	if dir == "" {
		return ErrNoStateDir
	}
	if create {
		if err := os.MkdirAll(root, 0o700); err != nil {
			return fmt.Errorf("state directory: %w", err)
		}
	}
	if err := checkAncestors(filepath.Clean(dir)); err != nil {
		return err
	}
	if err := checkPrivateDir(filepath.Clean(dir), true); err != nil {
		return err
	}
	return checkPrivateDir(root, false)
}

// checkAncestors refuses a state directory below a folder that other users
// may write without the sticky bit (as /tmp has): there, anyone could
// replace the state directory, or the link to it, with their own.
func checkAncestors(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err == nil && fi.Mode().Perm()&0o022 != 0 && fi.Mode()&os.ModeSticky == 0 {
			return &UnsafeError{Path: p, Problem: fmt.Sprintf("is a folder above the state directory that other users may write (mode %04o, no sticky bit)", fi.Mode().Perm()), Fix: "chmod o-w,g-w " + shellQuote(p) + ", or use --state-dir with a folder under your home"}
		}
		if p == filepath.Dir(p) {
			return nil
		}
	}
}

// ReadPrivateFile reads a file of the state directory the way reclaim reads
// its own state: no symbolic link followed, a regular file of the current
// user's that nobody else may write, and a bounded size.
func ReadPrivateFile(path string) ([]byte, error) { return readPrivateFile(path) }
