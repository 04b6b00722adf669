//go:build !race

package options_test

const raceEnabled = false
