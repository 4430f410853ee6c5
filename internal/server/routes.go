package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/api"
	"github.com/switchboardhq/switchboard/internal/httpx"
	"github.com/switchboardhq/switchboard/internal/securechannel"
)

// Route describes a mounted route, for the OpenAPI and authorization tests.
type Route struct {
	Method string
	Path   string
	Public bool   // served without authentication
	Family string // "" for the native API and the public routes, else the compat family
}

// family is a vendor compatibility API mounted next to the native one.
type family struct {
	name   string
	routes []httpx.Route
}

// routes is the one place where every surface is mounted.
func (s *Server) routes() {
	s.public("GET", "/healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	s.public("GET", "/readyz", http.HandlerFunc(s.ready))
	s.public("GET", SecureChannelPath, securechannel.Handler(s.secureChannelKey()))
	// The metrics cover every tenant: an admin or owner reads them (Prometheus sends the key
	// as a bearer). The API's description needs any valid credential.
	s.handle("GET", "/metrics", s.authenticate(httpx.Route{Handler: adminOnly(
		promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))}), false)
	s.handle("GET", "/openapi.json", s.authenticate(httpx.Route{Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(api.OpenAPI())
		})}), false)
	// The OAuth2 connect link and callback: their token and state are the credentials.
	for _, rt := range s.api.PublicRoutes() {
		s.public(rt.Method, rt.Path, rt.Handler)
	}
	for _, rt := range s.api.Routes() {
		s.handle(rt.Method, rt.Path, s.authenticate(httpx.Route{Handler: rt.Handler}), false)
	}
	for _, f := range s.families {
		for _, rt := range f.routes {
			s.handle(rt.Method, rt.Path, s.authenticate(s.withSecureChannel(rt)), false)
		}
	}
	if s.console != nil {
		// The console checks its own session cookie (and CSRF token) in place of a bearer.
		for _, rt := range s.console.Routes() {
			h := rt.Handler
			if rt.Method == "POST" && rt.Path == "/console/login" {
				h = s.limitSignIn(h)
			}
			s.handle(rt.Method, rt.Path, h, rt.Public)
		}
		// Anything else under /console/ gets the console's HTML 404 or 405, not a JSON one.
		s.mux.Handle("/console/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.console.Fallback(s.allowedMethods(r)).ServeHTTP(w, r)
		}))
	}
	s.mux.Handle("/", http.HandlerFunc(s.unmatched))
}

// consoleHeaders gives every response under /console the console's security headers,
// including the redirects http.ServeMux answers itself (/console to /console/, an unclean
// path to its clean form) before any console handler runs.
func (s *Server) consoleHeaders(next http.Handler) http.Handler {
	if s.console == nil {
		return next
	}
	secured := s.console.Secure(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/console" || strings.HasPrefix(r.URL.Path, "/console/") {
			secured.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Routes lists every mounted route.
func (s *Server) Routes() []Route {
	out := []Route{
		{Method: "GET", Path: "/healthz", Public: true}, {Method: "GET", Path: "/readyz", Public: true},
		{Method: "GET", Path: "/metrics"}, {Method: "GET", Path: "/openapi.json"},
		{Method: "GET", Path: SecureChannelPath, Public: true},
	}
	for _, rt := range s.api.PublicRoutes() {
		out = append(out, Route{Method: rt.Method, Path: rt.Path, Public: true})
	}
	for _, rt := range s.api.Routes() {
		out = append(out, Route{Method: rt.Method, Path: rt.Path})
	}
	for _, f := range s.families {
		for _, rt := range f.routes {
			out = append(out, Route{Method: rt.Method, Path: rt.Path, Family: f.name})
		}
	}
	if s.console != nil {
		for _, rt := range s.console.Routes() {
			out = append(out, Route{Method: rt.Method, Path: rt.Path, Public: rt.Public, Family: ConsoleFamily})
		}
	}
	return out
}

// ConsoleFamily is the Family of the web console's routes in Routes. They answer HTML and
// authenticate with the console's session cookie: without one a GET redirects (303) to
// /console/login and a POST is refused (403).
const ConsoleFamily = "console"

// adminOnly lets h answer only a principal with the admin role or above.
func adminOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := switchboard.PrincipalFrom(r.Context()); p == nil || !p.Role.AtLeast(switchboard.RoleAdmin) {
			httpx.WriteError(w, r, switchboard.Errorf(switchboard.CodeForbidden, "forbidden"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (s *Server) public(method, path string, h http.Handler) { s.handle(method, path, h, true) }

// handle mounts h and records its pattern for the metrics and logs of the request.
func (s *Server) handle(method, path string, h http.Handler, _ bool) {
	pattern := method + " " + path
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ri, ok := r.Context().Value(routeKey{}).(*routeInfo); ok {
			ri.pattern = pattern
		}
		h.ServeHTTP(w, r)
	}))
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.cfg.Service.Store().Ping(ctx); err != nil {
		s.cfg.Logger.Warn("readiness check failed", "err", err)
		httpx.WriteError(w, r, switchboard.Errorf(switchboard.CodeUnavailable, "unavailable"))
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// unmatched answers requests no route takes: 405 with Allow when the path exists for other
// methods, 404 otherwise, both in the API's error shape.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r); len(allow) > 0 {
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		e := switchboard.Errorf(switchboard.CodeInvalid, "method_not_allowed", "Method", r.Method)
		w.Header().Set("Content-Type", "application/json")
		httpx.WriteJSON(w, http.StatusMethodNotAllowed, map[string]any{
			"code": string(e.Code), "message": httpx.Message(r, e), "request_id": httpx.RequestIDFrom(r.Context()),
		})
		return
	}
	httpx.WriteError(w, r, switchboard.Errorf(switchboard.CodeNotFound, "route_not_found"))
}

// allowedMethods lists the methods a route exists for at r's path (none when only a catch-all
// takes it).
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" && p != "/" && p != "/console/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// FamilyRoutes lists the mounted routes of one family ("" = the native API and the public
// routes).
func (s *Server) FamilyRoutes(name string) []Route {
	var out []Route
	for _, r := range s.Routes() {
		if r.Family == name {
			out = append(out, r)
		}
	}
	return out
}
