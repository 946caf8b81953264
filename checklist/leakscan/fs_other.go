//go:build !linux

package leakscan

import (
	"io"
	"os"
)

type rfile struct{ f *os.File }

type dirFD int

const noDir dirFD = -1

func (d dirFD) close() {}

func openRead(dir dirFD, name, path string) (rfile, error) {
	f, err := os.Open(path)
	return rfile{f}, err
}

func (f rfile) readFull(path string, b []byte) (int, error) { return io.ReadFull(f.f, b) }

func (f rfile) close() { f.f.Close() }

func listDir(dir string, buf []byte, fn func(name string, typ entryType)) (dirFD, error) {
	ents, err := os.ReadDir(dir)
	for _, d := range ents {
		t := typeOther
		switch {
		case d.IsDir():
			t = typeDir
		case d.Type().IsRegular():
			t = typeReg
		}
		fn(d.Name(), t)
	}
	return noDir, err
}
