//go:build race

package edge

// raceEnabled: sync.Pool drops items under the race detector, so
// allocation pins are skipped there.
const raceEnabled = true
