//go:build !unix

package checklist

import (
	"fmt"
	"os"
)

// openNoFollow refuses a symbolic link, then opens path. Without
// O_NOFOLLOW the check and the open are two steps.
func openNoFollow(path string, flag int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return nil, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("is a symbolic link")}
	}
	return os.OpenFile(path, flag, perm)
}

func isSymlinkErr(path string, err error) bool {
	fi, lerr := os.Lstat(path)
	return lerr == nil && fi.Mode()&os.ModeSymlink != 0
}

// ownerOf: this system does not expose owners through os.FileInfo.
func ownerOf(fi os.FileInfo) (uid int, nlink uint64, ok bool) { return 0, 0, false }

// processAlive cannot tell here, so every process counts as alive and
// nothing named after one is removed.
func processAlive(pid int) bool { return pid > 0 }

const modeBitsMean = false
