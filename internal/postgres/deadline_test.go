package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard"
)

// A statement PostgreSQL does not answer within Wait fails as unavailable instead of holding
// its caller (and its pool connection) for as long as the server stays silent; the pool then
// goes on serving.
func TestStatementWaitIsBounded(t *testing.T) {
	t.Parallel()
	s := OpenTestStore(t)
	start := time.Now()
	_, err := s.pool.Exec(context.Background(), `SELECT pg_sleep(8)`)
	took := time.Since(start)
	if code := switchboard.ErrorCode(translate(err, "")); code != switchboard.CodeUnavailable {
		t.Fatalf("a statement over the wait: %v (code %q), want CodeUnavailable", err, code)
	}
	if took < Wait || took > Wait+2*time.Second {
		t.Errorf("the statement failed after %v, want about %v", took.Round(time.Millisecond), Wait)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("after a statement timed out, the pool: %v", err)
	}
}
