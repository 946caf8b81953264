package tui

import (
	"strings"

	"rsc.io/qr"
)

// qrHalfBlocks draws a QR code with half-block characters: two modules per
// character cell vertically, so a version-4 code fits in about 20 rows and
// 37 columns. Dark modules are drawn as spaces on a light quiet zone, which
// phones read on dark and light terminals alike; no colour is needed.
func qrHalfBlocks(text string) (string, error) {
	code, err := qr.Encode(text, qr.L)
	if err != nil {
		return "", err
	}
	const quiet = 1
	n := code.Size
	dark := func(x, y int) bool {
		if x < 0 || y < 0 || x >= n || y >= n {
			return false
		}
		return code.Black(x, y)
	}
	var b strings.Builder
	for y := -quiet; y < n+quiet; y += 2 {
		for x := -quiet; x < n+quiet; x++ {
			top, bottom := dark(x, y), dark(x, y+1)
			switch {
			case top && bottom:
				b.WriteRune(' ')
			case top:
				b.WriteRune('▄')
			case bottom:
				b.WriteRune('▀')
			default:
				b.WriteRune('█')
			}
		}
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n"), nil
}
