//go:build unix

package fsstore

import (
	"io/fs"
	"syscall"
)

// inode is the file's inode number. Every Put renames a fresh temporary
// file into place, so the inode changes on every write even when the
// filesystem's timestamps are too coarse to tell two writes apart.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
