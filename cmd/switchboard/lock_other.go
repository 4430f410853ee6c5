//go:build !unix

package main

// lockDataDir does nothing where flock is missing: one serve per SQLite database is then up
// to the operator.
func lockDataDir(string) (func(), error) { return func() {}, nil }
