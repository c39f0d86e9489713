//go:build !unix

package vsearch

import "time"

// cpuTime is not measured off unix; build rates per CPU second read 0.
func cpuTime() time.Duration { return 0 }
