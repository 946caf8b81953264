package tui

import (
	"fmt"
	"strconv"
)

func fmtType(v any) string { return fmt.Sprintf("%T", v) }
func itoa(i int) string    { return strconv.Itoa(i) }
