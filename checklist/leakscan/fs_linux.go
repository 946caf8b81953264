//go:build linux

package leakscan

import (
	"io"
	"io/fs"
	"syscall"
	"unsafe"
)

// The scanner opens tens of thousands of small files: it uses the raw
// system calls, so that a file costs open, read and close and nothing else
// (os.Open also sets and clears O_NONBLOCK and tries to register the file
// with the network poller: four more calls per file).

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

// openRead opens name in dir (path is the whole path, for errors and when
// dir is noDir).
func openRead(dir dirFD, name, path string) (rfile, error) {
	for {
		var fd int
		var err error
		if dir >= 0 {
			fd, err = syscall.Openat(int(dir), name, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
		} else {
			fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NOCTTY, 0)
		}
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return -1, &fs.PathError{Op: "open", Path: path, Err: err}
		}
		return rfile(fd), nil
	}
}

// read fills b as far as the file allows, like io.ReadFull: a short count
// means the end of the file (io.EOF when nothing was read at all).
func (f rfile) readFull(path string, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := syscall.Read(int(f), b[n:])
		if err == syscall.EINTR || err == syscall.EAGAIN {
			continue
		}
		if err != nil {
			return n, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if m <= 0 {
			if n == 0 {
				return 0, io.EOF
			}
			return n, io.ErrUnexpectedEOF
		}
		n += m
	}
	return n, nil
}

func (f rfile) close() { syscall.Close(int(f)) }

// listDir calls fn for every entry of dir but "." and "..", with the entry
// type from the directory itself (typeUnknown when the file system does not
// say). buf is scratch space for the raw entries. It returns the folder
// open, for openRead (the caller closes it), or noDir on error.
func listDir(dir string, buf []byte, fn func(name string, typ entryType)) (d dirFD, rerr error) {
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_DIRECTORY, 0)
	for err == syscall.EINTR {
		fd, err = syscall.Open(dir, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_DIRECTORY, 0)
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
			case syscall.DT_UNKNOWN:
				t = typeUnknown
			}
			fn(string(nm), t)
		}
	}
}
