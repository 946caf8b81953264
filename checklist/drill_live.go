package checklist

import (
	"time"

	"reclaim/provider/drill"
)

// DrillNotice is an inject that struck during a drill.
type DrillNotice = drill.Notice

// DrillClock is the drill's running clock (false when this is no drill).
func (e *Engine) DrillClock() (time.Duration, bool) {
	d := drill.Of(e.prov)
	if d == nil {
		return 0, false
	}
	return d.Elapsed(), true
}

// DrillTick fires the injects that are due, saves the account they
// changed, and returns every notice after seq (those a facilitator fired
// too). It does I/O: a UI calls it from a command.
func (e *Engine) DrillTick(after int) ([]DrillNotice, error) {
	d := drill.Of(e.prov)
	if d == nil {
		return nil, nil
	}
	var err error
	if len(d.Tick()) > 0 {
		err = e.Save()
	}
	return d.Notices(after), err
}

// DrillNotices are the notices after seq so far (no I/O: nothing fires).
func (e *Engine) DrillNotices(after int) []DrillNotice {
	d := drill.Of(e.prov)
	if d == nil {
		return nil
	}
	return d.Notices(after)
}
