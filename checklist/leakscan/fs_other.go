//go:build !linux

package leakscan

import (
	"io"
	"io/fs"
	"os"
	"syscall"
)

type rfile struct{ f *os.File }

type dirFD int

const noDir dirFD = -1

func (d dirFD) close() {}

type fileStat struct {
	size   int64
	sparse bool
}

// openRead opens a regular file without following a link or waiting on a
// pipe (O_NONBLOCK), and checks what it opened.
func openRead(dir dirFD, name, path string) (rfile, fileStat, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSymlink != 0 {
		return rfile{}, fileStat{}, errLink
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return rfile{}, fileStat{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return rfile{}, fileStat{}, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return rfile{}, fileStat{}, errSpecial
	}
	return rfile{f}, fileStat{size: fi.Size()}, nil
}

func (f rfile) readOnce(path string, b []byte) (int, error) {
	n, err := f.f.Read(b)
	if err == io.EOF {
		return n, nil
	}
	return n, err
}

func (f rfile) seekData(off int64) (int64, error) { return 0, errNoSeekData }

func (f rfile) close() { f.f.Close() }

// fileID identifies an open folder: unused here (folders are opened by
// path).
type fileID struct{}

func (d dirFD) id() (fileID, error) { return fileID{}, nil }

// openDir checks that path is a folder and not a link. Without openat the
// walk opens by path: this build does not have the Linux build's guard
// against a folder swapped for a link while it is walked.
func openDir(parent dirFD, name string, path func() string) (dirFD, error) {
	p := path()
	fi, err := os.Lstat(p)
	switch {
	case err != nil:
		return noDir, err
	case fi.Mode()&os.ModeSymlink != 0:
		return noDir, &fs.PathError{Op: "open", Path: p, Err: errLinkNow}
	case !fi.IsDir():
		return noDir, &fs.PathError{Op: "open", Path: p, Err: errNotDir}
	}
	return 0, nil
}

func entryTypeAt(dir dirFD, name, path string) (entryType, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return typeOther, err
	}
	switch {
	case fi.IsDir():
		return typeDir, nil
	case fi.Mode().IsRegular():
		return typeReg, nil
	case fi.Mode()&os.ModeSymlink != 0:
		return typeLink, nil
	}
	return typeOther, nil
}

func readLinkAt(dir dirFD, name, path string) string {
	t, _ := os.Readlink(path)
	return t
}

func listDir(fd dirFD, path string, buf []byte, stop *stopFlag, fn func(name string, typ entryType)) error {
	ents, err := os.ReadDir(path)
	for _, d := range ents {
		if stop.Load() {
			break
		}
		t := typeOther
		switch {
		case d.Type()&os.ModeSymlink != 0:
			t = typeLink
		case d.IsDir():
			t = typeDir
		case d.Type().IsRegular():
			t = typeReg
		}
		fn(d.Name(), t)
	}
	return err
}

func openFileLimit() uint64 { return 0 }

func pseudoMounts() []string { return nil }
