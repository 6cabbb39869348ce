//go:build !race

package quicwire

// raceEnabled skips allocation counts, which the race detector changes.
const raceEnabled = false
