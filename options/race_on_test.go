//go:build race

package options_test

// raceEnabled: the race detector makes sync.Pool drop items and changes
// escape analysis, so allocation pins are skipped under -race.
const raceEnabled = true
