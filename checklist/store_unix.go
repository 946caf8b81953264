//go:build unix

package checklist

import (
	"errors"
	"os"
	"syscall"
)

// openNoFollow opens path without following a final symbolic link
// (O_NOFOLLOW) and without blocking on a FIFO or device (O_NONBLOCK).
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, flag|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, perm)
}

// isSymlinkErr reports whether err is what open(O_NOFOLLOW) returns for a
// symbolic link (ELOOP on Linux and macOS, EMLINK on FreeBSD, EFTYPE on
// NetBSD).
func isSymlinkErr(path string, err error) bool {
	if errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EMLINK) {
		return true
	}
	fi, lerr := os.Lstat(path)
	return lerr == nil && fi.Mode()&os.ModeSymlink != 0
}

// ownerOf returns a file's owner and link count; ok is false where the
// system does not say.
func ownerOf(fi os.FileInfo) (uid int, nlink uint64, ok bool) {
	st, isSys := fi.Sys().(*syscall.Stat_t)
	if !isSys {
		return 0, 0, false
	}
	return int(st.Uid), uint64(st.Nlink), true
}

// processAlive reports whether a process with this id exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// modeBitsMean is whether permission bits say who may write (not on
// Windows, where every file reads as 0666).
const modeBitsMean = true
