#!/usr/bin/env bash
# Re-measures every figure of SECURITY.md: runs the trust tests verbosely and prints their
# "FIGURE name=value" lines. SWITCHBOARD_SOAK=1 runs the long forms (scripts/soak.sh does).
# PostgreSQL: set SWITCHBOARD_TEST_POSTGRES_URL (or PG*) for the second driver's figures.
set -euo pipefail
cd "$(dirname "$0")/.."
run() { # package, test regexp
  go test -count=1 -v -timeout 90m -run "$2" "$1" 2>&1 | tee -a "${TRUST_LOG:-/dev/null}" |
    grep -E 'FIGURE |^(--- FAIL|FAIL|ok) ' || true
}
echo "# secrets at rest"
run ./internal/seal '^TestTrust'
run ./internal/server '^TestAtRest'
run ./cmd/switchboard '^(TestBootFailsClosedOnEveryBadKeyring|TestNoPlaintextMode|TestBootRefuses.*|TestKeysRotateKilledHalfwayResumes)$'
echo "# crash safety"
run ./cmd/switchboard '^(TestCrashAcknowledgedWritesSurvive|TestOutage.*|TestDiskFullSQLite)$'
echo "# abuse"
run ./internal/server '^(TestJWTAbuse|TestJWTHugeBearer|TestRoleMatrix.*|TestVerbTampering|TestUnauthenticated|TestBOLA.*|TestMassAssignment|TestLimits.*|TestSlowHeaders|TestRateLimits|TestOversizeRSS|TestSignInLimit|TestFailedAuthBehindProxy|TestSSRFURLsRefusedAtCreate|TestCanaryCrawl)$'
run ./internal/outbound '^TestSSRF'
run ./internal/console '^TestConsoleAttacks$'
run ./internal/groupcommit '^TestPanicValueNotInError$'
