//go:build !linux

package leakscan

// rewind moves back to the start of the file, to read it again.
func (f rfile) rewind() error {
	_, err := f.f.Seek(0, 0)
	return err
}
