//go:build !race

package segnet

// raceEnabled reports a -race build, whose sync.Pool drops items on purpose.
const raceEnabled = false
