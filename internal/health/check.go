// Package health runs connector health checks (the "health_check" block of a connector
// version, see internal/catalog) against connections, through the SSRF-guarded client of
// internal/outbound, and schedules them periodically across replicas.
package health

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	sb "github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/catalog"
	"github.com/switchboardhq/switchboard/internal/outbound"
)

// Checker runs health checks; it implements switchboard.HealthChecker.
type Checker struct {
	guard  *outbound.Guard
	client *http.Client
	now    func() time.Time
}

// New returns a Checker whose requests go through an outbound guard with cfg.
func New(cfg outbound.Config) *Checker {
	g := outbound.NewGuard(cfg)
	return &Checker{guard: g, client: g.Client(), now: sb.Now}
}

var _ sb.HealthChecker = (*Checker)(nil)

// errNotConfigured marks a check that cannot be run for this connection.
type errNotConfigured struct{ reason string }

func (e errNotConfigured) Error() string { return e.reason }

// Check runs v's health check against c. Secrets fill only header and basic-auth templates;
// the result's Error names what failed (the host, the status) and never a value of c.
func (ch *Checker) Check(ctx context.Context, v *sb.ConnectorVersion, c *sb.Connection) sb.HealthResult {
	res := sb.HealthResult{}
	if v == nil || len(v.HealthCheck) == 0 {
		res.NotConfigured = true
		return res
	}
	var hc catalog.HealthCheck
	if err := json.Unmarshal(v.HealthCheck, &hc); err != nil {
		res.NotConfigured = true
		return res
	}
	f := newFiller(v.Schema, c)
	var err error
	switch hc.Type {
	case "http":
		err = ch.checkHTTP(ctx, &hc, f)
	case "tcp":
		err = ch.checkTCP(ctx, &hc, f)
	default:
		err = errNotConfigured{"unknown check type"}
	}
	res.CheckedAt = ch.now()
	if _, ok := err.(errNotConfigured); ok {
		res.NotConfigured = true
		return res
	}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Healthy = true
	return res
}

func (ch *Checker) checkHTTP(ctx context.Context, hc *catalog.HealthCheck, f *filler) error {
	method, err := f.fill(hc.Method, false)
	if err != nil {
		return err
	}
	raw, err := f.fill(hc.URL, false)
	if err != nil {
		return err
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("the check's URL is not a valid http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, strings.ToUpper(method), u.String(), nil)
	if err != nil {
		return fmt.Errorf("the check's request is not valid")
	}
	req.Header.Set("User-Agent", "Switchboard-HealthCheck/1")
	for k, v := range hc.Headers {
		name, err := f.fill(k, false)
		if err != nil {
			return err
		}
		value, err := f.fill(v, true)
		if err != nil {
			return err
		}
		req.Header.Set(name, value)
	}
	if hc.BasicAuth != nil {
		user, err := f.fill(hc.BasicAuth.Username, true)
		if err != nil {
			return err
		}
		pass, err := f.fill(hc.BasicAuth.Password, true)
		if err != nil {
			return err
		}
		req.SetBasicAuth(user, pass)
	}
	resp, err := ch.guard.Do(ch.client, req)
	if err != nil {
		return err // *outbound.Error: names the host only
	}
	for _, s := range hc.ExpectStatus {
		if resp.StatusCode == s {
			return nil
		}
	}
	return fmt.Errorf("unexpected status %d from %s", resp.StatusCode, u.Hostname())
}

func (ch *Checker) checkTCP(ctx context.Context, hc *catalog.HealthCheck, f *filler) error {
	addrs, err := f.fill(hc.Address, false)
	if err != nil {
		return err
	}
	port, err := f.fill(hc.Port, false)
	if err != nil {
		return err
	}
	var last error
	for _, a := range strings.Split(addrs, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		host, p, err := net.SplitHostPort(a)
		if err != nil {
			host, p = strings.Trim(a, "[]"), port
		}
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			last = fmt.Errorf("no valid port for %s", host)
			continue
		}
		conn, err := ch.guard.DialContext(ctx, "tcp", net.JoinHostPort(host, p))
		if err == nil {
			conn.Close()
			return nil
		}
		last = err
	}
	if last == nil {
		return errNotConfigured{"no address"}
	}
	return last
}

// filler replaces {{config.NAME}} templates with the connection's config values, the
// schema's defaults, and (only where secret is allowed) the connection's secrets.
type filler struct {
	config   map[string]any
	defaults map[string]any
	secrets  map[string]sb.Secret
}

func newFiller(schema json.RawMessage, c *sb.Connection) *filler {
	var doc struct {
		Properties map[string]struct {
			Default any `json:"default"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(schema, &doc) // a schema without properties has no defaults
	f := &filler{config: c.Config, defaults: map[string]any{}, secrets: c.Secrets}
	for name, p := range doc.Properties {
		if p.Default != nil {
			f.defaults[name] = p.Default
		}
	}
	return f
}

// fill expands the templates of s. A template naming a field with no value (or a secret
// field where secrets may not go: method, URL, address) makes the check not configured.
func (f *filler) fill(s string, secretOK bool) (string, error) {
	var fail error
	out := templateRef.ReplaceAllStringFunc(s, func(m string) string {
		name, ok := strings.CutPrefix(strings.TrimSpace(m[2:len(m)-2]), "config.")
		if !ok {
			fail = errNotConfigured{"bad template"}
			return ""
		}
		if sec, ok := f.secrets[name]; ok && !sec.IsZero() {
			if !secretOK {
				fail = errNotConfigured{"a secret field where secrets may not go"}
				return ""
			}
			return sec.Reveal()
		}
		v, ok := f.config[name]
		if !ok || v == nil {
			v, ok = f.defaults[name]
		}
		switch v := v.(type) {
		case string:
			if ok {
				return v
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		case bool:
			return strconv.FormatBool(v)
		case json.Number:
			return v.String()
		}
		fail = errNotConfigured{"missing field"}
		return ""
	})
	return out, fail
}

var templateRef = regexp.MustCompile(`\{\{\s*[^{}]*?\s*\}\}`)
