package checklist

import "fmt"

// ProgressText words a count from (*AccountState).Progress the way every
// output does (start screen, header, report, autopilot): "N/M steps", N the
// steps done or skipped, M the steps that apply (n/a ones are not counted).
func ProgressText(finished, total int) string {
	return fmt.Sprintf("%d/%d steps", finished, total)
}
