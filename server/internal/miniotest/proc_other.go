//go:build !linux

package miniotest

import "os/exec"

// setParentDeathSignal has no equivalent outside Linux; Start's cleanup and
// StopShared are then the only way the server stops.
func setParentDeathSignal(cmd *exec.Cmd) {}
