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
// before the first read; a read that would block ends the file.

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

// listDir calls fn for every entry of dir but "." and "..", with the entry
// type from the directory itself (typeUnknown when the file system does not
// say). buf is scratch space for the raw entries. It stops early, with no
// error, when stop is set. It returns the folder open, for openRead (the
// caller closes it), or noDir on error.
func listDir(dir string, buf []byte, stop *stopFlag, fn func(name string, typ entryType)) (d dirFD, rerr error) {
	const flags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_DIRECTORY | syscall.O_NOFOLLOW | syscall.O_NONBLOCK
	fd, err := syscall.Open(dir, flags, 0)
	for err == syscall.EINTR {
		fd, err = syscall.Open(dir, flags, 0)
	}
	if err != nil {
		return noDir, &fs.PathError{Op: "open", Path: dir, Err: err}
	}
	defer func() {
		if rerr != nil {
			syscall.Close(fd)
			d = noDir
		}
	}()
	for {
		if stop.Load() {
			return dirFD(fd), nil
		}
		n, err := syscall.Getdents(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return noDir, &fs.PathError{Op: "readdirent", Path: dir, Err: err}
		}
		if n <= 0 {
			return dirFD(fd), nil
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
