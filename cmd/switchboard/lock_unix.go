//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir makes this serve the only one on the SQLite database of dir, for as long as
// the returned function has not been called (or the process lives: the kernel drops the lock
// of a process that dies). The SQLite store caches connection rows and keeps them right by
// watching its own writes, so a second serve on the same file would be served stale rows.
// Admin commands (apikey, keys, bench seed) do not take the lock: none changes a connection.
func lockDataDir(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	path := filepath.Join(dir, "serve.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// The file stays empty: a start refused later (a wrong keyring) must leave every file of
	// the data dir as it was.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another switchboard serve is using the database in %s: one serve per SQLite database (use PostgreSQL, --database-url, for several replicas)", dir)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
