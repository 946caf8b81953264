//go:build linux

package leakscan

import (
	"io/fs"
	"os"
	"strings"
	"syscall"
	"unsafe"
)

// The scanner opens tens of thousands of small files: it uses the raw
// system calls, so that a file costs open, fstat, read and close and
// nothing else (os.Open also sets and clears O_NONBLOCK and tries to
// register the file with the network poller: four more calls per file).
//
// A tree on a compromised server is hostile: a file may be swapped for a
// named pipe, a device or a symbolic link between the listing and the open.
// Files are opened with O_NOFOLLOW|O_NONBLOCK (a link is refused, a pipe
// opens without waiting for a writer) and fstat must say "regular file"
// before the first read; a read that would block ends the file. Folders
// are opened by name relative to their open parent (openDir), never by
// path, so O_NOFOLLOW guards every name on the way, not only the last.

type rfile int

// dirFD is an open folder (its files are opened relative to it, so that the
// kernel does not walk the whole path again for each), or -1.
type dirFD int

const noDir dirFD = -1

func (d dirFD) close() {
	if d >= 0 {
		syscall.Close(int(d))
	}
}

// fileStat is what fstat says about a file that was opened.
type fileStat struct {
	size   int64
	sparse bool // fewer blocks than its size: holes can be skipped
}

const openFlags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOCTTY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// openRead opens name in dir (path is the whole path, for errors and when
// dir is noDir). It fails with errLink for a symbolic link and errSpecial
// for anything but a regular file, without waiting on either.
func openRead(dir dirFD, name, path string) (rfile, fileStat, error) {
	var fd int
	var err error
	for {
		if dir >= 0 {
			fd, err = syscall.Openat(int(dir), name, openFlags, 0)
		} else {
			fd, err = syscall.Open(path, openFlags, 0)
		}
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.ELOOP {
		return -1, fileStat{}, errLink
	}
	if err != nil {
		return -1, fileStat{}, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	var st syscall.Stat_t
	for {
		err = syscall.Fstat(fd, &st)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		syscall.Close(fd)
		return -1, fileStat{}, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		syscall.Close(fd)
		return -1, fileStat{}, errSpecial
	}
	return rfile(fd), fileStat{size: st.Size, sparse: st.Size > chunkSize && st.Blocks*512 < st.Size}, nil
}

// readOnce is one read system call: n > 0 bytes, or 0 at the end of the
// file. A read that would block (a pseudo-file such as /proc/kmsg, which
// honours O_NONBLOCK) is an error, never a wait.
func (f rfile) readOnce(path string, b []byte) (int, error) {
	for {
		n, err := syscall.Read(int(f), b)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			return 0, &fs.PathError{Op: "read", Path: path, Err: errWouldBlock}
		}
		if err != nil {
			return 0, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		return max(n, 0), nil
	}
}

// seekData moves to the first byte of data at or after off (SEEK_DATA):
// the offset, errNoData when only a hole is left, errNoSeekData when the
// file system cannot tell.
func (f rfile) seekData(off int64) (int64, error) {
	const seekData = 3
	for {
		n, err := syscall.Seek(int(f), off, seekData)
		switch err {
		case nil:
			return n, nil
		case syscall.EINTR:
			continue
		case syscall.ENXIO:
			return 0, errNoData
		}
		return 0, errNoSeekData
	}
}

func (f rfile) close() { syscall.Close(int(f)) }

// dirFlags opens a folder: only a folder (O_DIRECTORY), never through a
// symbolic link (O_NOFOLLOW).
const dirFlags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK

// fileID is what fstat says identifies a folder: a folder reopened later
// must be the one first opened.
type fileID struct{ dev, ino uint64 }

// openDir opens the folder name of the open folder parent: one name, never
// a path, so that a link anywhere on the way cannot be followed. With
// parent noDir, name is a root's path (resolved once, when the scan
// started). A symbolic link is refused (errLinkNow), anything but a folder
// too (errNotDir): a folder swapped for a link after it was listed is
// never walked into. path names the folder in errors.
func openDir(parent dirFD, name string, path func() string) (dirFD, error) {
	var fd int
	var err error
	for {
		if parent >= 0 {
			fd, err = syscall.Openat(int(parent), name, dirFlags, 0)
		} else {
			fd, err = syscall.Open(name, dirFlags, 0)
		}
		if err != syscall.EINTR {
			break
		}
	}
	switch err {
	case nil:
		return dirFD(fd), nil
	case syscall.ELOOP:
		err = errLinkNow
	case syscall.ENOTDIR:
		// O_DIRECTORY fails first on a link: say which it is now
		err = errNotDir
		if parent >= 0 {
			if t, terr := entryTypeAt(parent, name, ""); terr == nil && t == typeLink {
				err = errLinkNow
			}
		}
	}
	return noDir, &fs.PathError{Op: "open", Path: path(), Err: err}
}

// id is what fstat says identifies the open folder.
func (d dirFD) id() (fileID, error) {
	var st syscall.Stat_t
	for {
		err := syscall.Fstat(int(d), &st)
		if err == nil {
			return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
		}
		if err != syscall.EINTR {
			return fileID{}, err
		}
	}
}

// oPath is O_PATH (the same on every Linux port Go has): an fd that only
// names a file, opened without the side effects of opening a pipe or a
// device. The syscall package lacks it on some ports.
const oPath = 0x200000

// entryTypeAt says what name is in the open folder dir, without following
// a link (for file systems whose listings carry no type).
func entryTypeAt(dir dirFD, name, path string) (entryType, error) {
	fd, err := syscall.Openat(int(dir), name, oPath|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	for err == syscall.EINTR {
		fd, err = syscall.Openat(int(dir), name, oPath|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return typeOther, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return typeOther, &fs.PathError{Op: "fstat", Path: path, Err: err}
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		return typeDir, nil
	case syscall.S_IFREG:
		return typeReg, nil
	case syscall.S_IFLNK:
		return typeLink, nil
	}
	return typeOther, nil
}

// readLinkAt is where the link name in the open folder dir points ("" when
// it cannot be read); with dir noDir, path is read.
func readLinkAt(dir dirFD, name, path string) string {
	if dir < 0 {
		t, _ := os.Readlink(path)
		return t
	}
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return ""
	}
	buf := make([]byte, 4096)
	for {
		n, _, e := syscall.Syscall6(syscall.SYS_READLINKAT, uintptr(dir), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 || int(n) <= 0 || int(n) > len(buf) {
			return ""
		}
		return string(buf[:n])
	}
}

// listDir calls fn for every entry of the open folder fd but "." and "..",
// with the entry type from the folder itself (typeUnknown when the file
// system does not say). path names the folder in errors; buf is scratch
// space for the raw entries. It stops early, with no error, when stop is
// set.
func listDir(fd dirFD, path string, buf []byte, stop *stopFlag, fn func(name string, typ entryType)) error {
	for {
		if stop.Load() {
			return nil
		}
		n, err := syscall.Getdents(int(fd), buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "readdirent", Path: path, Err: err}
		}
		if n <= 0 {
			return nil
		}
		b := buf[:n]
		// struct linux_dirent64 { u64 ino; s64 off; u16 reclen; u8 type; char name[]; }
		for len(b) >= 19 {
			reclen := int(*(*uint16)(unsafe.Pointer(&b[16])))
			if reclen < 19 || reclen > len(b) {
				break
			}
			ino := *(*uint64)(unsafe.Pointer(&b[0]))
			typ := b[18]
			nm := b[19:reclen]
			for i, c := range nm {
				if c == 0 {
					nm = nm[:i]
					break
				}
			}
			b = b[reclen:]
			if ino == 0 || len(nm) == 0 || (len(nm) == 1 && nm[0] == '.') || (len(nm) == 2 && nm[0] == '.' && nm[1] == '.') {
				continue
			}
			t := typeOther
			switch typ {
			case syscall.DT_DIR:
				t = typeDir
			case syscall.DT_REG:
				t = typeReg
			case syscall.DT_LNK:
				t = typeLink
			case syscall.DT_UNKNOWN:
				t = typeUnknown
			}
			fn(string(nm), t)
		}
	}
}

// openFileLimit is the process's limit on open files (RLIMIT_NOFILE, which
// Go raises to the hard limit at start), or 0 when unknown.
func openFileLimit() uint64 {
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) != nil {
		return 0
	}
	return rl.Cur
}

// pseudoFSTypes are the file systems whose files are the kernel's state,
// not the server's: never walked into unless named as a root.
var pseudoFSTypes = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true, "debugfs": true, "tracefs": true,
	"securityfs": true, "cgroup": true, "cgroup2": true, "bpf": true, "pstore": true, "configfs": true,
	"fusectl": true, "efivarfs": true, "mqueue": true, "hugetlbfs": true, "binfmt_misc": true,
	"autofs": true, "rpc_pipefs": true, "nsfs": true, "selinuxfs": true,
}

// pseudoMounts lists the mount points of pseudo file systems, from
// /proc/self/mountinfo (nil when it cannot be read).
func pseudoMounts() []string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		// id parent major:minor root mountpoint options [optional…] - fstype source super
		f := strings.Fields(line)
		dash := -1
		for i, x := range f {
			if x == "-" {
				dash = i
				break
			}
		}
		if len(f) < 5 || dash < 0 || dash+1 >= len(f) || !pseudoFSTypes[f[dash+1]] {
			continue
		}
		out = append(out, unescapeMount(f[4]))
	}
	return out
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
