package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/auth"
)

// configCmds are the commands about the configuration itself.
func configCmds(o *options) []*cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Check the configuration, print its reference"}
	cmd.AddCommand(configCheckCmd(o), configReferenceCmd())
	return []*cobra.Command{cmd}
}

func configCheckCmd(o *options) *cobra.Command {
	var envFile string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check the configuration serve would run with and explain what is wrong, one line per problem",
		Long: `Check the configuration serve would run with: the same flags, SWITCHBOARD_* variables and
files. It checks the listen addresses, the JWT settings (and fetches the JWKS), the outbound
allow-list, the database (reachable or creatable, migrations pending or ahead of this binary),
the keyring (readable, well-formed, the one the database was written with) and TLS files if
any are set. It changes nothing: no migration runs and no keyring is generated.

Each line starts with ok, warning or problem; the exit code is 1 when there is a problem.
Secrets (the HS256 secret, the database password, keys) are never printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if envFile != "" {
				return rerunWithEnvFile(cmd, o, envFile)
			}
			return checkConfig(cmd.Context(), o, cmd.Flags())
		},
	}
	// Exactly serve's flags, with serve's defaults: what is checked is what serve reads.
	cmd.Flags().AddFlagSet(serveCmd(o).Flags())
	cmd.Flags().StringVar(&envFile, "env-file", "", "read variables from this file of KEY=VALUE lines first (systemd EnvironmentFile, docker --env-file), over the environment; flags still win")
	return cmd
}

// checkReport prints the outcome of each check, one line each, with secrets masked.
type checkReport struct {
	w        io.Writer
	secrets  []string
	problems int
	warnings int
}

func (r *checkReport) print(kind, area, msg string) {
	for _, line := range strings.Split(msg, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		for _, s := range r.secrets {
			line = strings.ReplaceAll(line, s, "****")
		}
		fmt.Fprintf(r.w, "%-8s %s: %s\n", kind, area, line)
	}
}

func (r *checkReport) ok(area, format string, a ...any) {
	r.print("ok", area, fmt.Sprintf(format, a...))
}

func (r *checkReport) warn(area, format string, a ...any) {
	r.warnings++
	r.print("warning", area, fmt.Sprintf(format, a...))
}

func (r *checkReport) problem(area, format string, a ...any) {
	r.problems++
	r.print("problem", area, fmt.Sprintf(format, a...))
}

// secret adds a value that must never be printed. Short values are not masked: they would
// mask ordinary words (and a secret that short is reported as too short anyway).
func (r *checkReport) secret(s string) {
	if len(s) >= 6 {
		r.secrets = append(r.secrets, s)
	}
}

// flags reads serve's settings by flag name, so the check follows serve's flags as they are.
type flags struct {
	fs *pflag.FlagSet
	r  *checkReport
}

var envInUsage = regexp.MustCompile(`\benv (SWITCHBOARD_[A-Z0-9_]+)`)

// label names a flag for the user: --addr (SWITCHBOARD_ADDR).
func (f flags) label(name string) string {
	fl := f.fs.Lookup(name)
	if fl == nil {
		return "--" + name
	}
	if m := envInUsage.FindStringSubmatch(fl.Usage); m != nil {
		return "--" + name + " (" + m[1] + ")"
	}
	return "--" + name
}

func (f flags) str(name string) string {
	fl := f.fs.Lookup(name)
	if fl == nil {
		f.r.problem("internal", "serve has no flag --%s: config check is out of date", name)
		return ""
	}
	return fl.Value.String()
}

func (f flags) list(name string) []string {
	v, err := f.fs.GetStringSlice(name)
	if err != nil {
		f.r.problem("internal", "serve flag --%s: %v", name, err)
	}
	return v
}

func (f flags) int(name string) int {
	v, err := strconv.Atoi(f.str(name))
	if err != nil {
		f.r.problem("internal", "serve flag --%s is not a number", name)
	}
	return v
}

// checkConfig runs every check and returns an error when any found a problem.
func checkConfig(ctx context.Context, o *options, fs *pflag.FlagSet) error {
	// Packages log through the default logger (the JWKS client's fetch); the report is the
	// only output here.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	r := &checkReport{w: o.stdout}
	f := flags{fs: fs, r: r}
	r.secret(f.str("jwt-hs256-secret"))
	if pw := dsnPassword(o.databaseURL); pw != "" {
		r.secret(pw)
	}

	checkServeSettings(f, r)
	checkListen(f, r, "addr", "listen")
	if f.str("debug-addr") != "" {
		checkListen(f, r, "debug-addr", "debug")
	}
	checkPublicURL(f, r)
	checkOutbound(f, r)
	checkJWT(ctx, f, r)
	checkTLSFiles(f, r)
	checkStorage(ctx, o, r)

	if r.problems > 0 {
		return fmt.Errorf("the configuration has %d problem(s)", r.problems)
	}
	fmt.Fprintf(o.stdout, "configuration ok (%d warning(s))\n", r.warnings)
	return nil
}

func checkServeSettings(f flags, r *checkReport) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(f.str("log-level"))); err != nil {
		r.problem("log", "%s %q: want debug, info, warn or error", f.label("log-level"), f.str("log-level"))
	}
	if v := f.str("read-audit"); v != "buffered" && v != "sync" {
		r.problem("audit", "%s %q: want buffered or sync", f.label("read-audit"), v)
	}
	if f.int("webhook-workers") < 0 {
		r.problem("webhooks", "%s must be a number >= 0", f.label("webhook-workers"))
	}
	for _, name := range []string{"rate-limit", "rate-limit-burst", "failed-auth-limit", "failed-auth-burst"} {
		if v, err := strconv.ParseFloat(f.str(name), 64); err == nil && v < 0 {
			r.problem("rate-limit", "%s %s: must be >= 0", f.label(name), f.str(name))
		}
	}
	for _, s := range f.list("trusted-proxies") {
		if _, err := parsePrefixes("trusted-proxies", []string{s}); err != nil {
			r.problem("trusted-proxies", "%v: want a CIDR such as 10.0.0.5/32 or a single address", err)
		}
	}
}

// checkListen checks that an address parses and that serve could listen on it now.
func checkListen(f flags, r *checkReport, name, area string) {
	addr := f.str(name)
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		r.problem(area, "%s %q: want HOST:PORT (e.g. 127.0.0.1:8080, 0.0.0.0:8080, :8080): %v", f.label(name), addr, err)
		return
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil {
		if _, lerr := net.LookupPort("tcp", port); lerr != nil {
			r.problem(area, "%s %q: port %q is not a number from 0 to 65535", f.label(name), addr, port)
			return
		}
	} else if n == 0 {
		r.warn(area, "%s %q: port 0 makes serve listen on a random port", f.label(name), addr)
	}
	ln, err := net.Listen("tcp", addr)
	switch {
	case err == nil:
		ln.Close()
		r.ok(area, "%s %s: can listen", f.label(name), addr)
	case errors.Is(err, syscall.EADDRINUSE):
		r.warn(area, "%s %s: the address is in use now (by a running serve?): %v", f.label(name), addr, err)
	default:
		r.problem(area, "%s %s: cannot listen: %v", f.label(name), addr, err)
	}
	if name == "debug-addr" {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			r.warn(area, "%s %s is not a loopback address: the pprof profiles are served without authentication", f.label(name), addr)
		}
	}
}

func checkPublicURL(f flags, r *checkReport) {
	raw := f.str("public-url")
	if raw == "" {
		r.ok("public-url", "%s not set: connect links and the OAuth2 redirect URI use the listen address", f.label("public-url"))
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		r.problem("public-url", "%s: %v", f.label("public-url"), err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		r.problem("public-url", "%s %q: want an absolute http(s) URL such as https://switchboard.example.com", f.label("public-url"), raw)
	case u.RawQuery != "" || u.Fragment != "":
		r.problem("public-url", "%s %q: must have no query or fragment (paths are appended to it)", f.label("public-url"), raw)
	case u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		r.warn("public-url", "%s %q is plain http: OAuth2 providers send the authorization code to it in clear", f.label("public-url"), raw)
	default:
		r.ok("public-url", "%s %s", f.label("public-url"), raw)
	}
}

func checkOutbound(f flags, r *checkReport) {
	list := f.list("outbound-allow")
	bad := 0
	for _, s := range list {
		if _, err := parsePrefixes("outbound-allow", []string{s}); err != nil {
			r.problem("outbound", "%v: want a CIDR such as 10.0.0.0/8 or a single address", err)
			bad++
		}
	}
	if bad == 0 && len(list) > 0 {
		r.ok("outbound", "health checks and webhooks may also reach %s", strings.Join(list, ", "))
	}
}

// nopKeys stands in for the key store when auth.New only validates the JWT settings.
type nopKeys struct{}

func (nopKeys) GetAPIKeyByHash(context.Context, []byte) (*switchboard.APIKey, error) {
	return nil, switchboard.NotFound("api_key")
}

// refuseTransport keeps auth.New from fetching the JWKS; checkJWKS fetches it itself.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("not fetched by config check")
}

func checkJWT(ctx context.Context, f flags, r *checkReport) {
	secret, jwksURL := f.str("jwt-hs256-secret"), f.str("jwks-url")
	issuer, audience := f.str("jwt-issuer"), f.str("jwt-audience")
	if secret == "" && jwksURL == "" {
		if issuer != "" || audience != "" {
			r.warn("jwt", "%s and %s have no effect without %s or %s: only API keys are accepted",
				f.label("jwt-issuer"), f.label("jwt-audience"), f.label("jwt-hs256-secret"), f.label("jwks-url"))
			return
		}
		r.ok("jwt", "off: bearer tokens are API keys only")
		return
	}
	// serve's own validation of the settings (auth.New), one method at a time so that each
	// problem is reported, and without a fetch: checkJWKS fetches the key set itself.
	validate := func(cfg auth.Config) error {
		cfg.HTTPClient = &http.Client{Transport: refuseTransport{}}
		a, err := auth.New(ctx, nopKeys{}, cfg)
		if err != nil {
			return errors.New(strings.TrimPrefix(err.Error(), "auth: "))
		}
		return a.Close()
	}
	if secret != "" {
		if err := validate(auth.Config{HS256Secret: []byte(secret)}); err != nil {
			r.problem("jwt", "%s is %d bytes: %v", f.label("jwt-hs256-secret"), len(secret), err)
		} else {
			r.ok("jwt", "HS256 tokens accepted (%s: %d bytes)", f.label("jwt-hs256-secret"), len(secret))
		}
	}
	if jwksURL != "" {
		err := validate(auth.Config{JWKSURL: jwksURL, Issuer: issuer, Audience: audience})
		switch {
		case err == nil:
			checkJWKS(ctx, f, r, jwksURL)
		case audience == "":
			r.problem("jwt", "%s needs %s: an identity provider signs tokens for many applications", f.label("jwks-url"), f.label("jwt-audience"))
		default:
			r.problem("jwt", "%s: %v", f.label("jwks-url"), err)
		}
	}
	if issuer == "" {
		r.warn("jwt", "%s not set: tokens of any issuer are accepted", f.label("jwt-issuer"))
	}
	if audience == "" && jwksURL == "" {
		r.warn("jwt", "%s not set: tokens meant for other applications are accepted", f.label("jwt-audience"))
	}
}

// checkJWKS fetches the key set as serve would and counts the keys it can verify with.
func checkJWKS(ctx context.Context, f flags, r *checkReport, raw string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		r.problem("jwt", "%s: %v", f.label("jwks-url"), err)
		return
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.problem("jwt", "%s: fetch: %v", f.label("jwks-url"), err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		r.problem("jwt", "%s: fetch: HTTP %d", f.label("jwks-url"), resp.StatusCode)
		return
	}
	var set struct {
		Keys []struct {
			Kty string `json:"kty"`
			Use string `json:"use"`
		} `json:"keys"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		r.problem("jwt", "%s: not a JWKS: %v", f.label("jwks-url"), err)
		return
	}
	usable := 0
	for _, k := range set.Keys {
		if (k.Kty == "RSA" || k.Kty == "EC") && (k.Use == "" || k.Use == "sig") {
			usable++
		}
	}
	if usable == 0 {
		r.problem("jwt", "%s: the key set has no RSA or EC signing key (%d keys)", f.label("jwks-url"), len(set.Keys))
		return
	}
	r.ok("jwt", "RS256/ES256 tokens accepted: %s has %d signing key(s)", f.label("jwks-url"), usable)
}

// checkTLSFiles checks the certificate and key files of any tls-* flag serve has.
func checkTLSFiles(f flags, r *checkReport) {
	var cert, key string
	f.fs.VisitAll(func(fl *pflag.Flag) {
		if !strings.HasPrefix(fl.Name, "tls-") || fl.Value.Type() != "string" || fl.Value.String() == "" {
			return
		}
		path := fl.Value.String()
		if _, err := os.ReadFile(path); err != nil {
			r.problem("tls", "%s: %v", f.label(fl.Name), err)
			return
		}
		switch {
		case strings.HasPrefix(fl.Name, "tls-cert"):
			cert = path
		case strings.HasPrefix(fl.Name, "tls-key"):
			key = path
		}
	})
	if cert != "" && key != "" {
		if _, err := tls.LoadX509KeyPair(cert, key); err != nil {
			r.problem("tls", "certificate %s and key %s: %v", cert, key, err)
			return
		}
		r.ok("tls", "certificate %s and key %s match", cert, key)
	}
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// rerunWithEnvFile sets the variables of the file, then runs config check again with the
// flags given on the command line: flag defaults read the environment when the command tree
// is built, so the tree is built again.
func rerunWithEnvFile(cmd *cobra.Command, o *options, path string) error {
	vars, err := readEnvFile(path)
	if err != nil {
		return err
	}
	for _, kv := range vars {
		os.Setenv(kv[0], kv[1])
	}
	args := []string{"config", "check"}
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if fl.Name == "env-file" {
			return
		}
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				args = append(args, "--"+fl.Name+"="+v)
			}
			return
		}
		args = append(args, "--"+fl.Name+"="+fl.Value.String())
	})
	root := newRoot(&options{stdout: o.stdout, stderr: o.stderr, log: o.log})
	root.SetArgs(args)
	return root.ExecuteContext(cmd.Context())
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// readEnvFile reads KEY=VALUE lines: blank lines and # comments are skipped, "export " is
// allowed, and a value in matching single or double quotes loses them. Errors name the line,
// never its text (it may hold a secret).
func readEnvFile(path string) ([][2]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--env-file: %w", err)
	}
	var out [][2]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !envName.MatchString(k) {
			return nil, fmt.Errorf("--env-file %s line %d: not of the form KEY=VALUE", path, n)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		out = append(out, [2]string{k, v})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--env-file %s: %w", path, err)
	}
	return out, nil
}
