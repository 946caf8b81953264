//go:build race

package leakscan

const raceEnabled = true
