package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	sbclient "github.com/switchboardhq/switchboard/client"
)

// secretName matches config field names that hold secrets by their look. The connector's
// schema (its writeOnly fields) is checked too; this catches them before any request, and
// fields of connectors whose schema says nothing.
var secretName = regexp.MustCompile(`(?i)pass(word|wd|phrase)?|secret|token|api[-_]?key|apikey|access[-_]?key|private[-_]?key|credential`)

// baitFlags are flags a user may try to pass a secret with. They exist (hidden) only to be
// refused with the reason, rather than "unknown flag".
var baitFlags = []string{"password", "secret", "secrets", "api-key", "apikey", "client-secret", "secret-key",
	"access-token", "refresh-token", "private-key", "credential", "credentials"}

// configInput is what a create or update reads config and secrets from: non-secret fields
// from --config and --file, secrets only from stdin or a file.
type configInput struct {
	config       []string
	unset        []string
	file         string
	secretsStdin bool
	secretsFile  string
	bait         map[string]*string
}

func (in *configInput) addFlags(fl *pflag.FlagSet, fileHelp string) {
	fl.StringArrayVar(&in.config, "config", nil, "non-secret config field as key=value (repeatable; typed by the connector's schema); secrets are refused here")
	fl.StringVar(&in.file, "file", "", fileHelp)
	fl.BoolVar(&in.secretsStdin, "secrets-from-stdin", false, `read secret config fields as a JSON object from stdin, e.g. {"token":"..."}`)
	fl.StringVar(&in.secretsFile, "secrets-file", "", "read secret config fields from this JSON object file")
	in.bait = map[string]*string{}
	for _, name := range baitFlags {
		in.bait[name] = fl.String(name, "", "refused: secrets are never taken from the command line")
		_ = fl.MarkHidden(name)
	}
}

// refusal says why a secret on the command line is refused, without echoing it.
func refusal(what string) error {
	return usageError{fmt.Errorf("refusing %s on the command line: secrets never go in argv, "+
		"which other users can read (ps, /proc) and the shell keeps in its history. "+
		"Pass them as a JSON object on stdin (--secrets-from-stdin) or in a file (--secrets-file FILE). "+
		"If that was a real secret, treat it as exposed and rotate it", what)}
}

// pairs parses --config and refuses keys that look secret, before anything is sent.
func (in *configInput) pairs(cmd *cobra.Command) (map[string]string, error) {
	for _, name := range baitFlags {
		if cmd.Flags().Changed(name) {
			return nil, refusal("--" + name)
		}
	}
	out := map[string]string{}
	for _, kv := range in.config {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--config %q: want key=value", clipArg(kv))}
		}
		if secretName.MatchString(k) {
			return nil, refusal(fmt.Sprintf("config field %q (its name says it is secret)", k))
		}
		out[k] = v
	}
	if in.secretsStdin && in.secretsFile != "" {
		return nil, usageError{errors.New("--secrets-from-stdin and --secrets-file: give one")}
	}
	return out, nil
}

// clipArg shows what a malformed --config was, never a value: the text before any "=".
func clipArg(kv string) string {
	k, _, _ := strings.Cut(kv, "=")
	if len(k) > 40 {
		k = k[:40] + "…"
	}
	return k
}

// checkSecrets refuses --config keys the connector's schema marks secret.
func checkSecrets(pairs map[string]string, secret []string) error {
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if slices.Contains(secret, k) {
			return refusal(fmt.Sprintf("config field %q (the connector marks it secret)", k))
		}
	}
	return nil
}

// coerce types --config values by the schema's property types: a number, boolean, array or
// object property takes its value as JSON; anything else is a string.
func coerce(schema json.RawMessage, pairs map[string]string) (map[string]any, error) {
	var s struct {
		Properties map[string]struct {
			Type json.RawMessage `json:"type"`
		} `json:"properties"`
	}
	_ = json.Unmarshal(schema, &s) // no schema: every value a string
	out := make(map[string]any, len(pairs))
	for k, v := range pairs {
		out[k] = v
		var types []string
		t := s.Properties[k].Type
		if json.Unmarshal(t, &types) != nil {
			var one string
			if json.Unmarshal(t, &one) == nil {
				types = []string{one}
			}
		}
		if len(types) == 0 || slices.Contains(types, "string") {
			continue
		}
		var x any
		if err := json.Unmarshal([]byte(v), &x); err != nil {
			// The value is not quoted: an import cell may be a secret.
			return nil, usageError{fmt.Errorf("--config %s: the schema wants %s", k, strings.Join(types, " or "))}
		}
		out[k] = x
	}
	return out, nil
}

// readSecrets reads the secret fields from stdin or the secrets file (nil when neither).
func (in *configInput) readSecrets(cmd *cobra.Command, stderr io.Writer) (map[string]any, error) {
	var (
		data []byte
		err  error
		from string
	)
	switch {
	case in.secretsStdin:
		from = "stdin"
		r := cmd.InOrStdin()
		if f, ok := r.(*os.File); ok && isTTY(f) {
			fmt.Fprintln(stderr, `Reading secrets as a JSON object from stdin ({"field":"value"}), end with Ctrl-D:`)
		}
		data, err = io.ReadAll(io.LimitReader(r, 1<<20))
	case in.secretsFile != "":
		from = in.secretsFile
		if fi, serr := os.Stat(in.secretsFile); serr == nil && fi.Mode().Perm()&0o077 != 0 {
			fmt.Fprintf(stderr, "warning: %s is readable by other users (mode %v); chmod 600 it\n", in.secretsFile, fi.Mode().Perm())
		}
		data, err = os.ReadFile(in.secretsFile)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("secrets from %s: %w", from, err)
	}
	return decodeObject(data, "secrets from "+from)
}

// decodeObject decodes a JSON object. Its errors name the offset only: the input holds
// secrets, and a syntax error of encoding/json quotes the character it stopped at.
func decodeObject(data []byte, what string) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, usageError{fmt.Errorf("%s: not a JSON object (syntax error at byte %d)", what, se.Offset)}
		}
		return nil, usageError{fmt.Errorf("%s: not a JSON object", what)}
	}
	return m, nil
}

// decodeFile decodes a JSON file into v, refusing fields v does not have.
func decodeFile(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return usageError{fmt.Errorf("--file: %w", err)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			err = fmt.Errorf("syntax error at byte %d", se.Offset)
		}
		return usageError{fmt.Errorf("--file %s: %w", path, err)}
	}
	return nil
}

func isTTY(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// schemaOf returns the schema and secret fields of a connector version ("" for the latest).
func (r *remote) schemaOf(ctx context.Context, c *sbclient.Client, connector, version string) (json.RawMessage, []string, error) {
	ctr, err := c.GetConnector(ctx, r.workspace, connector)
	if err != nil {
		return nil, nil, r.fail(fmt.Errorf("connector %q: %w", connector, err))
	}
	v := ctr.Version(version)
	if v == nil {
		return nil, nil, &exitError{exitNotFound, fmt.Errorf("connector %s has no version %q", connector, version)}
	}
	return v.Schema, v.SecretFields, nil
}

func connCreateCmd(r *remote) *cobra.Command {
	var in sbclient.ConnectionCreate
	var ci configInput
	var tags []string
	var disabled bool
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a connection; secrets only from stdin or a file",
		Long: `Create a connection of a connector.

Non-secret config fields come from --config key=value or from --file (a JSON object with the
API's create fields: connector_id, connection_name, config, ...; flags win over it). Secret
fields come only from stdin (--secrets-from-stdin, a JSON object) or --secrets-file, and are
merged into the config. A secret on the command line is refused (exit 2) before anything is
sent: the connector's schema says which fields are secret.`,
		Example: `  echo '{"token":"'"$API_TOKEN"'"}' | switchboard connections create --connector http-bearer \
    --name crm --config base_url=https://api.example.com --secrets-from-stdin`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			pairs, err := ci.pairs(cmd)
			if err != nil {
				return err
			}
			c, err := r.client()
			if err != nil {
				return err
			}
			body := sbclient.ConnectionCreate{}
			if ci.file != "" {
				if err := decodeFile(ci.file, &body); err != nil {
					return err
				}
			}
			fl := cmd.Flags()
			for name, set := range map[string]func(){
				"connector": func() { body.ConnectorID = in.ConnectorID }, "version": func() { body.ConnectorVersion = in.ConnectorVersion },
				"name": func() { body.Name = in.Name }, "description": func() { body.Description = in.Description },
				"environment": func() { body.Environment = in.Environment }, "external-ref": func() { body.ExternalXref = in.ExternalXref },
				"tag": func() { body.Tags = tags }, "paused": func() { body.Paused = in.Paused },
				"disabled": func() { body.Enabled = new(!disabled) }, "idempotency-key": func() { body.IdempotencyKey = in.IdempotencyKey },
			} {
				if fl.Changed(name) {
					set()
				}
			}
			if body.ConnectorID == "" {
				return usageError{errors.New("--connector (or connector_id in --file) is required")}
			}
			schema, secret, err := r.schemaOf(cmd.Context(), c, body.ConnectorID, body.ConnectorVersion)
			if err != nil {
				return err
			}
			if err := checkSecrets(pairs, secret); err != nil {
				return err
			}
			cfg, err := coerce(schema, pairs)
			if err != nil {
				return err
			}
			secrets, err := ci.readSecrets(cmd, r.o.stderr)
			if err != nil {
				return err
			}
			if len(cfg)+len(secrets) > 0 && body.Config == nil {
				body.Config = map[string]any{}
			}
			for k, v := range cfg {
				body.Config[k] = v
			}
			for k, v := range secrets {
				body.Config[k] = v
			}
			conn, err := c.CreateConnection(cmd.Context(), r.workspace, body)
			if err != nil {
				return r.fail(err)
			}
			return r.printOne(conn, connectionFields(conn))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&in.ConnectorID, "connector", "", "connector key or id (required unless --file names it)")
	fl.StringVar(&in.ConnectorVersion, "version", "", "connector version (default: the latest)")
	fl.StringVar(&in.Name, "name", "", "connection name, unique per connector in the workspace")
	fl.StringVar(&in.Description, "description", "", "free text")
	fl.StringVar(&in.Environment, "environment", "", "environment (default production)")
	fl.StringVar(&in.ExternalXref, "external-ref", "", "your own reference of the connection (external_xref)")
	fl.StringSliceVar(&tags, "tag", nil, "tag (repeatable or comma-separated)")
	fl.BoolVar(&in.Paused, "paused", false, "create it paused")
	fl.BoolVar(&disabled, "disabled", false, "create it disabled")
	fl.StringVar(&in.IdempotencyKey, "idempotency-key", "", "Idempotency-Key: a retry with the same key returns the first create")
	ci.addFlags(fl, "JSON file with the create body (the API's ConnectionCreate fields)")
	return cmd
}

func connUpdateCmd(r *remote) *cobra.Command {
	var ci configInput
	var name, description, version, environment, externalRef string
	var tags []string
	var enable, disable, pause, resume bool
	var revision int64
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Change a connection; secrets only from stdin or a file",
		Long: `Change a connection: only what the flags (or --file, a JSON merge patch) name changes.
--config sets fields (merged into the config), --unset-config removes them. Secret fields come
only from stdin (--secrets-from-stdin) or --secrets-file. With --revision N the change applies
only if the connection is still at revision N (exit 4 otherwise).`,
		Example: `  switchboard connections update conn_123 --config base_url=https://api2.example.com --revision 3
  switchboard connections update conn_123 --secrets-file rotated.json`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			pairs, err := ci.pairs(cmd)
			if err != nil {
				return err
			}
			if (enable && disable) || (pause && resume) {
				return usageError{errors.New("--enable/--disable and --pause/--resume: give one of each pair")}
			}
			c, err := r.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var p sbclient.ConnectionPatch
			if ci.file != "" {
				if err := decodeFile(ci.file, &p); err != nil {
					return err
				}
			}
			fl := cmd.Flags()
			strFlags := map[string]struct {
				dst **string
				v   string
			}{
				"name": {&p.Name, name}, "description": {&p.Description, description}, "version": {&p.ConnectorVersion, version},
				"environment": {&p.Environment, environment}, "external-ref": {&p.ExternalXref, externalRef},
			}
			for flag, f := range strFlags {
				if fl.Changed(flag) {
					*f.dst = new(f.v)
				}
			}
			if fl.Changed("tag") {
				p.Tags = new(append([]string{}, tags...))
			}
			if enable || disable {
				p.Enabled = new(enable)
			}
			if pause || resume {
				p.Paused = new(pause)
			}
			if len(pairs) > 0 {
				conn, err := c.GetConnection(ctx, r.workspace, args[0])
				if err != nil {
					return r.fail(err)
				}
				v := conn.ConnectorVersion
				if p.ConnectorVersion != nil {
					v = *p.ConnectorVersion
				}
				schema, secret, err := r.schemaOf(ctx, c, conn.ConnectorID, v)
				if err != nil {
					return err
				}
				if err := checkSecrets(pairs, append(secret, conn.SecretFields...)); err != nil {
					return err
				}
				cfg, err := coerce(schema, pairs)
				if err != nil {
					return err
				}
				p.Config = mergeConfig(p.Config, cfg)
			}
			secrets, err := ci.readSecrets(cmd, r.o.stderr)
			if err != nil {
				return err
			}
			p.Config = mergeConfig(p.Config, secrets)
			for _, k := range ci.unset {
				p.Config = mergeConfig(p.Config, map[string]any{k: nil})
			}
			conn, err := c.UpdateConnection(ctx, r.workspace, args[0], p, revision)
			if err != nil {
				if sbclient.HasCode(err, sbclient.CodePreconditionFailed) {
					return &exitError{exitConflict, fmt.Errorf("%s changed since revision %d: read it again (connections get) and retry", args[0], revision)}
				}
				return r.fail(err)
			}
			return r.printOne(conn, connectionFields(conn))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "new name")
	fl.StringVar(&description, "description", "", "new description")
	fl.StringVar(&version, "version", "", "move to this connector version")
	fl.StringVar(&environment, "environment", "", "new environment")
	fl.StringVar(&externalRef, "external-ref", "", "new external reference (external_xref)")
	fl.StringSliceVar(&tags, "tag", nil, "replace the tags (repeatable or comma-separated; --tag '' clears them)")
	fl.BoolVar(&enable, "enable", false, "enable the connection")
	fl.BoolVar(&disable, "disable", false, "disable the connection")
	fl.BoolVar(&pause, "pause", false, "pause the connection")
	fl.BoolVar(&resume, "resume", false, "resume a paused connection")
	fl.StringArrayVar(&ci.unset, "unset-config", nil, "remove this config field (repeatable)")
	fl.Int64Var(&revision, "revision", 0, "apply only if the connection is at this revision (If-Match); exit 4 if it changed")
	ci.addFlags(fl, "JSON file with a merge patch of the connection (the API's ConnectionPatch fields)")
	return cmd
}

// merge sets add's keys in m, making m when needed.
func mergeConfig(m, add map[string]any) map[string]any {
	if len(add) == 0 {
		return m
	}
	if m == nil {
		m = map[string]any{}
	}
	for k, v := range add {
		m[k] = v
	}
	return m
}
