package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/auth"
	"github.com/switchboardhq/switchboard/internal/httpx"
)

type routeKey struct{}

// routeInfo is filled in by the matched route so the outer middleware can label metrics and
// logs with the route pattern (never the raw path, which holds ids).
type routeInfo struct{ pattern string }

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "switchboard_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "switchboard_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route", "method"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// middleware wraps the mux: request id, panic recovery, metrics, access log and the
// security headers every answer carries.
func (s *Server) middleware(next http.Handler) http.Handler {
	inner := httpx.Recover(next)
	return httpx.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &routeInfo{}
		r = r.WithContext(contextWithRoute(r, ri))
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Cache-Control", "no-store")
		sw := &statusWriter{ResponseWriter: w}
		inner.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		route := ri.pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
		s.metrics.latency.WithLabelValues(route, r.Method).Observe(d.Seconds())
		s.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", httpx.RequestIDFrom(r.Context())),
			slog.String("method", r.Method), slog.String("route", route),
			slog.Int("status", sw.status), slog.Duration("duration", d))
	}))
}

func contextWithRoute(r *http.Request, ri *routeInfo) context.Context {
	return context.WithValue(r.Context(), routeKey{}, ri)
}

// authenticate requires a valid credential, read where the route says, and puts its
// principal into the context. Failures are written in the route's error shape.
func (s *Server) authenticate(rt httpx.Route) http.Handler {
	writeError := rt.WriteError
	if writeError == nil {
		writeError = httpx.WriteError
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var (
			p   *switchboard.Principal
			err error
		)
		// A client whose credentials were refused too often is refused before any is
		// checked: that is what stops guessing keys.
		if s.failedAuth != nil {
			if blocked, wait := s.failedAuth.blocked(s.clientAddr(r)); blocked {
				writeRateLimited(w, r, wait, writeError)
				return
			}
		}
		if rt.Token == httpx.TokenHuaweiOrBearerOrXAuthToken && huaweiSigned(r) {
			body, ok := s.readBody(w, r, writeError)
			if !ok {
				return
			}
			p, err = s.authenticateSigned(r, body)
		} else {
			token, ok := tokenFrom(r, rt.Token)
			if !ok {
				// No credential at all is not a guess: it does not count as a failure.
				writeError(w, r, switchboard.Errorf(switchboard.CodeUnauthenticated, "unauthenticated"))
				return
			}
			p, err = s.cfg.Auth.Authenticate(r.Context(), token)
		}
		if err != nil {
			if switchboard.ErrorCode(err) == switchboard.CodeUnauthenticated {
				s.cfg.Logger.Info("authentication failed", "request_id", httpx.RequestIDFrom(r.Context()), "reason", err)
				if s.failedAuth != nil {
					s.failedAuth.allow(s.clientAddr(r))
				}
			}
			writeError(w, r, err)
			return
		}
		if s.perPrincipal != nil {
			if ok, wait := s.perPrincipal.allow(p.TenantID + "\x00" + p.Subject); !ok {
				writeRateLimited(w, r, wait, writeError)
				return
			}
		}
		rt.Handler.ServeHTTP(w, r.WithContext(switchboard.WithPrincipal(r.Context(), p)))
	})
}

// huaweiSigned reports whether r carries one Authorization header of the SDK-HMAC-SHA256
// scheme.
func huaweiSigned(r *http.Request) bool {
	v := r.Header.Values("Authorization")
	return len(v) == 1 && auth.IsHuaweiAuthorization(v[0])
}

// readBody reads r's body, up to the body limit, for a signature over it, and replaces r.Body
// with a reader of the same bytes for the handler. Over the limit it writes 413 in the route's
// error shape and reports false.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, writeError func(http.ResponseWriter, *http.Request, error)) ([]byte, bool) {
	limit := s.cfg.BodyLimit
	if limit <= 0 {
		limit = api.DefaultBodyLimit
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			writeError(w, r, switchboard.Errorf(switchboard.CodeTooLarge, "body.too_large", "Limit", limit))
			return nil, false
		}
		writeError(w, r, &switchboard.Error{Code: switchboard.CodeInvalid, Message: "body.malformed", Cause: err})
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

// authenticateSigned verifies the signature of r over its raw body.
func (s *Server) authenticateSigned(r *http.Request, body []byte) (*switchboard.Principal, error) {
	sa, ok := s.cfg.Auth.(SignatureAuthenticator)
	if !ok {
		return nil, &switchboard.Error{Code: switchboard.CodeUnauthenticated, Message: "unauthenticated",
			Cause: errors.New("signed requests are not supported by the authenticator")}
	}
	return sa.AuthenticateHuawei(r.Context(), r, body)
}

// tokenFrom reads the caller's credential from where src says.
func tokenFrom(r *http.Request, src httpx.TokenSource) (string, bool) {
	switch src {
	case httpx.TokenBearerOrXAuthToken, httpx.TokenHuaweiOrBearerOrXAuthToken:
		return auth.BearerOrAuthToken(r, true)
	case httpx.TokenBearerOrBare:
		if t, ok := auth.BearerToken(r); ok {
			return t, true
		}
		return auth.BareToken(r)
	}
	return auth.BearerToken(r)
}
