package httpx

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/debug"

	"github.com/switchboardhq/switchboard"
)

// Request headers read and written by the middleware.
const (
	HeaderRequestID  = "X-Request-Id"
	HeaderClientHash = "X-Client-Hash"
)

// Bounds on client-supplied request metadata: it is stored with audit events, so a client
// must not be able to make it arbitrarily large or put odd bytes in it.
const (
	maxRequestID  = 64
	maxClientHash = 128
	maxUserAgent  = 256
)

// RequestID is middleware that gives every request an id and records where it came from. It
// keeps a client's X-Request-Id when that is 1 to 64 characters of [A-Za-z0-9._-] (so ids can
// be followed across services) and otherwise makes a new "req_..." id; either way the id is
// echoed in the X-Request-Id response header. It puts a switchboard.RequestInfo with the id,
// the peer IP (from RemoteAddr: trusting X-Forwarded-For is the job of a proxy-aware layer
// that knows which proxies are trusted), a sane X-Client-Hash and a bounded User-Agent into
// the request context.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(HeaderRequestID)
		if !validToken(id, maxRequestID, false) {
			id = switchboard.NewID(switchboard.PrefixRequest)
		}
		w.Header().Set(HeaderRequestID, id)
		info := switchboard.RequestInfo{
			RequestID: id,
			IP:        remoteIP(r.RemoteAddr),
			UserAgent: clip(r.UserAgent(), maxUserAgent),
		}
		if h := r.Header.Get(HeaderClientHash); validToken(h, maxClientHash, true) {
			info.ClientHash = h
		}
		next.ServeHTTP(w, r.WithContext(switchboard.WithRequestInfo(r.Context(), info)))
	})
}

// RequestIDFrom returns the request id RequestID put into ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	return switchboard.RequestInfoFrom(ctx).RequestID
}

// validToken reports whether s is 1 to max characters of [A-Za-z0-9._-], plus the base64
// characters +/=: when hash is set.
func validToken(s string, max int, hash bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, c := range []byte(s) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		case hash && (c == '+' || c == '/' || c == '=' || c == ':'):
		default:
			return false
		}
	}
	return true
}

// remoteIP returns the host part of a RemoteAddr ("192.0.2.1:1234", "[2001:db8::1]:80").
func remoteIP(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	// Not host:port (a unix socket, a test): keep what there is, bounded.
	return clip(addr, 64)
}

// Recover is middleware that turns a panic in next into a 5000 response without internal
// text, logged at Error level with the request id, PanicSummary(value) and the stack (never the
// request body). http.ErrAbortHandler is re-raised: it is net/http's way to abort a response
// on purpose. When the handler had already started its response, only the log is written.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &recordingWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			slog.ErrorContext(r.Context(), "panic",
				"request_id", RequestIDFrom(r.Context()),
				"method", r.Method, "path", r.URL.Path,
				"panic", PanicSummary(v),
				"stack", string(debug.Stack()))
			if rw.wrote {
				return
			}
			// The log above has the detail: write the body without SafeError logging it again.
			w.Header().Del("Content-Length")
			writeError(w, r, &switchboard.Error{Code: switchboard.CodeInternal, Message: "internal"})
		}()
		next.ServeHTTP(rw, r)
	})
}

// PanicSummary describes a recovered panic value for a log line without its contents: a
// handler's panic value may hold a secret it was handling (an error that quotes a DSN, a
// token). A runtime error keeps its message, which holds only numbers and type names; any
// other value is named by its type.
func PanicSummary(v any) string {
	if re, ok := v.(runtime.Error); ok {
		return re.Error()
	}
	return fmt.Sprintf("value of type %T", v)
}

// recordingWriter notes whether the response has started, so Recover doesn't write a second
// status line. Unwrap lets http.ResponseController reach the writer's other abilities
// (Flush, Hijack, deadlines).
type recordingWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *recordingWriter) WriteHeader(status int) {
	// 1xx informational responses don't start the final response.
	if status >= 200 {
		w.wrote = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recordingWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *recordingWriter) Flush() {
	w.wrote = true
	// Like http.Flusher, which has no error to report: a failed flush shows on the next write.
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
