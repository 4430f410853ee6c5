package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestPanicValueNotInError: a write that panics with a secret in the value (a string, an
// error, a struct) fails with ErrPanic whose text and chain name the type and stack only, so
// the store's "internal error" log line cannot carry the secret. A runtime error keeps its
// message (numbers and type names), which is what makes it debuggable.
func TestPanicValueNotInError(t *testing.T) {
	t.Parallel()
	const secret = "canary-QZXWVTSRPNMLKJHGFDCB"
	w := newWriter(t, newFakeDB(), 0)
	leaks := 0
	for _, v := range []any{
		secret,
		errors.New("dial failed for postgres://u:" + secret + "@db"),
		fmt.Errorf("wrapped: %w", errors.New(secret)),
		struct{ Token string }{secret},
		[]byte(secret),
	} {
		err := w.Do(context.Background(), func(context.Context, *fakeTx) error { panic(v) })
		if !errors.Is(err, ErrPanic) {
			t.Fatalf("panic(%T): %v, want ErrPanic", v, err)
		}
		pe, ok := errors.AsType[*PanicError](err)
		if !ok || pe.Value == nil || !strings.Contains(err.Error(), "groupcommit.") {
			t.Errorf("panic(%T): %v; want a *PanicError with the value kept and the stack in the text", v, err)
		}
		text := fmt.Sprintf("%v %+v %s %q", err, err, err, err)
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			text += e.Error()
		}
		if strings.Contains(text, secret) || strings.Contains(text, secret[7:19]) {
			leaks++
			t.Errorf("panic(%T): the error text holds the panic value: %.200s", v, text)
		}
	}
	err := w.Do(context.Background(), func(context.Context, *fakeTx) error {
		s := make([]byte, len(secret)%2) // at most 1 byte, unknown to the compiler
		_ = s[len(secret)]               // index out of range: a runtime error
		return nil
	})
	if !strings.Contains(fmt.Sprint(err), "index out of range") {
		t.Errorf("runtime error panic: %v; want its message", err)
	}
	t.Logf("FIGURE groupcommit_panic_value_leaks=%d", leaks)
}
