// Package e2e holds the end-to-end tests of the web console: they build the real
// switchboard binary, start `switchboard serve` on loopback with a temporary data dir, and
// drive the console at /console in a real headless Chromium (through chromedp). The package
// has no code of its own; see README.md for how to run the tests and where the screenshots go.
package e2e
