//go:build !linux

package leakscan

import (
	"io"
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

func listDir(dir string, buf []byte, stop *stopFlag, fn func(name string, typ entryType)) (dirFD, error) {
	ents, err := os.ReadDir(dir)
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
	return noDir, err
}

func pseudoMounts() []string { return nil }
