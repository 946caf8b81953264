//go:build linux

package leakscan

import "syscall"

// rewind moves back to the start of the file, to read it again.
func (f rfile) rewind() error {
	_, err := syscall.Seek(int(f), 0, 0)
	return err
}
