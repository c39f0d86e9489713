//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package miniotest

import "context"

// lockExclusive is unavailable without flock; building MinIO then needs a
// prebuilt binary named by VITRINE_MINIO_BIN.
func lockExclusive(ctx context.Context, path string, onWait func()) (unlock func(), err error) {
	return nil, errLockUnsupported
}
