package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	sbclient "github.com/switchboardhq/switchboard/client"
)

// Exit codes of the commands that talk to a server (see docs/cli.md). 0 success, 1 any other
// failure and 2 a command line that cannot be used are Run's own.
const (
	exitNotFound     = 3 // 404: no such object in the workspace
	exitConflict     = 4 // 409 (name taken, in use) or 412 (stale --revision)
	exitUnauthorized = 5 // 401 or 403: no or a bad token, or a role or scope too low
	exitUnavailable  = 6 // the server cannot be reached, or answers 502, 503 or 504
)

// exitCoder is an error that carries its exit code; Run returns it.
type exitCoder interface {
	error
	ExitCode() int
}

// exitError is a failure with its own exit code.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the process exit code for the error.
func (e *exitError) ExitCode() int { return e.code }

// usageArgs makes a wrong number of arguments a usage error (exit 2), as a wrong flag is.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// remoteCmds are the commands that talk to a running server (SWITCHBOARD_URL,
// SWITCHBOARD_TOKEN) through the Go sbclient.
func remoteCmds(o *options) []*cobra.Command {
	return []*cobra.Command{connectionsCmd(o), connectorsCmd(o), webhooksCmd(o), auditCmd(o)}
}

// remote holds the flags of a command that talks to a server.
type remote struct {
	o         *options
	url       string
	token     string
	workspace string
	output    string
}

// remoteFlags adds the server flags to cmd as persistent flags (its subcommands get them).
func remoteFlags(o *options, cmd *cobra.Command) *remote {
	r := &remote{o: o}
	r.addFlags(cmd, true, true)
	return r
}

// addFlags adds --url, --token, and when asked --workspace and --output, to cmd (persistent
// ones, for a group of commands) .
func (r *remote) addFlags(cmd *cobra.Command, persistent, workspace bool) {
	f := cmd.Flags()
	if persistent {
		f = cmd.PersistentFlags()
	}
	f.StringVar(&r.url, "url", env("SWITCHBOARD_URL", "http://127.0.0.1:8080"), "base URL of the Switchboard server (env SWITCHBOARD_URL)")
	// No default from the environment here: help would print it.
	f.StringVar(&r.token, "token", "", "API key or JWT to call the server with; prefer the env var, argv is visible to other users (env SWITCHBOARD_TOKEN)")
	if workspace {
		f.StringVar(&r.workspace, "workspace", env("SWITCHBOARD_WORKSPACE", "default"), "workspace to act in (env SWITCHBOARD_WORKSPACE)")
	}
	f.StringVarP(&r.output, "output", "o", "table", "output format: table, json or yaml")
}

// client checks the output format and returns a client of the server.
func (r *remote) client() (*sbclient.Client, error) {
	if _, err := parseFormat(r.output); err != nil {
		return nil, err
	}
	if r.token == "" {
		r.token = os.Getenv("SWITCHBOARD_TOKEN")
	}
	c, err := sbclient.New(r.url, r.token, sbclient.WithUserAgent("switchboard-cli"))
	if err != nil {
		return nil, usageError{fmt.Errorf("--url: %w", err)}
	}
	return c, nil
}

// fail turns an error of the client into one with the exit code and a message that says
// what to do. Neither holds the token: the client never puts it in an error.
func (r *remote) fail(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*sbclient.Error](err); ok {
		msg := strings.TrimPrefix(e.Error(), "switchboard: ")
		switch e.Status {
		case 404:
			return &exitError{exitNotFound, errors.New(msg)}
		case 409, 412:
			return &exitError{exitConflict, errors.New(msg)}
		case 401:
			return &exitError{exitUnauthorized, fmt.Errorf("%s: set a valid API key with --token or SWITCHBOARD_TOKEN", msg)}
		case 403:
			return &exitError{exitUnauthorized, fmt.Errorf("%s: the token's role or scopes do not allow this in workspace %q", msg, r.workspace)}
		case 502, 503, 504:
			return &exitError{exitUnavailable, errors.New(msg)}
		}
		return errors.New(msg)
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return &exitError{exitUnavailable, fmt.Errorf("cannot reach the server at %s (is it running? --url or SWITCHBOARD_URL): %w", r.url, unwrapURLError(err))}
	}
	return err
}

// unwrapURLError drops the method and URL net/http puts before the cause (the message
// names the URL once already).
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}

func connectorsCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{Use: "connectors", Short: "List and show the connectors a workspace can use (remote)"}
	r := remoteFlags(o, cmd)
	var global bool
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List the connectors: the built-in catalog and the workspace's own",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			ws := r.workspace
			if global {
				ws = ""
			}
			var items []sbclient.Connector
			for ctr, err := range c.AllConnectors(cmd.Context(), ws, sbclient.ListOptions{PageSize: limit}) {
				if err != nil {
					return r.fail(err)
				}
				items = append(items, ctr)
			}
			return printList(r, items, connectorColumns)
		},
	}
	list.Flags().BoolVar(&global, "global", false, "list the global catalog (GET /v1/connectors) rather than the workspace's")
	list.Flags().IntVar(&limit, "limit", 100, "connectors fetched per request (1-1000)")
	get := &cobra.Command{
		Use:   "get KEY_OR_ID",
		Short: "Show a connector with its versions, config schema and secret fields",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			ws := r.workspace
			if global {
				ws = ""
			}
			ctr, err := c.GetConnector(cmd.Context(), ws, args[0])
			if err != nil {
				return r.fail(err)
			}
			return r.printOne(ctr, connectorFields(ctr))
		},
	}
	get.Flags().BoolVar(&global, "global", false, "look in the global catalog (GET /v1/connectors/{id})")
	cmd.AddCommand(list, get)
	return cmd
}
