package auth

import "time"

// SetNow replaces the clock a uses to check X-Sdk-Date.
func SetNow(a *Authenticator, now func() time.Time) { a.now = now }
