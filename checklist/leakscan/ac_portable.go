package leakscan

import "encoding/binary"

// nextBlockPortable is nextBlock for any machine: eight pairs from one
// 8-byte load and the byte after it.
func nextBlockPortable(t *[1 << 16]uint8, b []byte, i int) int {
	for ; i+9 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if t[uint16(w)]|t[uint16(w>>8)]|t[uint16(w>>16)]|t[uint16(w>>24)]|
			t[uint16(w>>32)]|t[uint16(w>>40)]|t[uint16(w>>48)]|t[uint16(w>>56)|uint16(b[i+8])<<8] != 0 {
			return i
		}
	}
	return i
}
