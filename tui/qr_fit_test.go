package tui

import (
	"strings"
	"testing"

	"reclaim/checklist"
)

// TestQRCodeAndItsButtonFitAt80x24: the 2FA QR page draws its instruction,
// the whole code and the button to go on, even right after a step's status
// line was shown, at 80×24 and at the 70×22 minimum.
func TestQRCodeAndItsButtonFitAt80x24(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {70, 22}} {
		qrFits(t, sz[0], sz[1])
	}
}

func qrFits(t *testing.T, w, ht int) {
	h := newHarness(t, t.TempDir(), Options{Drill: true}, w, ht)
	h.press(h.m.c.Keys.Enter)
	for i := 0; i < 40 && !(h.m.step != nil && h.m.step.id == checklist.StepTwoFactor); i++ {
		h.finishStep()
	}
	h.press(h.m.c.Keys.Next) // the prefilled setup key: on to the QR page
	sc := h.screen()
	if !h.m.step.fullScreen() {
		t.Fatalf("not on the QR page:\n%s", sc)
	}
	fitsIn(t, sc, w, ht)
	if !strings.Contains(sc, "DRILL") {
		t.Errorf("%dx%d: the QR page does not say it is a drill:\n%s", w, ht, sc)
	}
	if w == 80 && !strings.HasPrefix(strings.TrimSpace(sc), "reclaim") {
		t.Errorf("80x24: the header should stay above the QR page:\n%s", sc)
	}
	if !strings.Contains(sc, "Scan it with your authenticator app") {
		t.Fatalf("%dx%d: no instruction above the QR code:\n%s", w, ht, sc)
	}
	if !strings.Contains(sc, "Scanned with the authenticator app") {
		t.Fatalf("the button under the QR code is not drawn at 80x24:\n%s", sc)
	}
	// The code's last row (the bottom finder pattern) is drawn: count rows
	// of QR blocks against the code's height.
	set, _ := checklist.ParseTOTPSetup(h.m.c.Eng.(*checklist.Engine).DrillAnswer(checklist.StepTwoFactor, "setup"))
	q, _ := qrHalfBlocks(set.QRURI())
	want := strings.Count(q, "\n") + 1
	got := 0
	for _, l := range strings.Split(sc, "\n") {
		if strings.Contains(l, "█") {
			got++
		}
	}
	if got < want {
		t.Fatalf("%d of the QR code's %d rows drawn:\n%s", got, want, sc)
	}
}
