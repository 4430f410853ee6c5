package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	sbclient "github.com/switchboardhq/switchboard/client"
)

func auditCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Read the workspace's audit trail (remote; admin role)"}
	r := remoteFlags(o, cmd)
	var f sbclient.AuditFilter
	var limit int
	var everything bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List audit events, oldest first; one page unless --all",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			f.PageSize = limit
			items, err := collectPages(r, everything, "more events: --page-token %s (or --all)",
				func(token string) (*sbclient.Page[sbclient.AuditEvent], error) {
					if token != "" {
						f.PageToken = token
					}
					return c.ListAudit(cmd.Context(), r.workspace, f)
				})
			if err != nil {
				return err
			}
			return printList(r, items, auditColumns)
		},
	}
	lf := list.Flags()
	lf.StringVar(&f.Action, "action", "", "only events of this action, e.g. connection.create")
	lf.StringVar(&f.ObjectID, "object", "", "only events about this object id (a connection, a key, ...)")
	lf.IntVar(&limit, "limit", 100, "events per page (1-1000)")
	lf.BoolVar(&everything, "all", false, "page through every event")
	lf.StringVar(&f.PageToken, "page-token", "", "start at this page (the token a previous list printed)")

	var t tailer
	tail := &cobra.Command{
		Use:   "tail",
		Short: "Print the last audit events; with --follow, print new ones as they come until interrupted",
		Long: `Print the last --lines audit events, then, with --follow, poll every --interval and print
each new event as it comes, until interrupted (Ctrl-C, SIGTERM); that stop is exit 0.
Output: aligned lines (table), one JSON object per line (json), or YAML documents (yaml).
A failed poll is reported on stderr and retried, except a 401, 403 or 404, which stop it.
The server lists events oldest first, so the first read pages through the whole trail.`,
		Example: "  switchboard audit tail --follow --action connection.credentials.read",
		Args:    usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := r.client()
			if err != nil {
				return err
			}
			if t.interval < 100*time.Millisecond {
				return usageError{fmt.Errorf("--interval %s: want at least 100ms", t.interval)}
			}
			if t.lines < 0 {
				return usageError{fmt.Errorf("--lines %d: want 0 or more", t.lines)}
			}
			t.r, t.c = r, c
			return t.run(cmd.Context())
		},
	}
	tf := tail.Flags()
	tf.IntVarP(&t.lines, "lines", "n", 10, "how many of the last events to print first")
	tf.BoolVarP(&t.follow, "follow", "f", false, "keep printing new events until interrupted")
	tf.DurationVar(&t.interval, "interval", 2*time.Second, "how often --follow asks for new events")
	tf.StringVar(&t.filter.Action, "action", "", "only events of this action")
	tf.StringVar(&t.filter.ObjectID, "object", "", "only events about this object id")
	cmd.AddCommand(list, tail)
	return cmd
}

// tailer prints the end of the audit trail and follows it. The API pages oldest first with
// opaque tokens, so it keeps the token of the page that holds the last event it printed and
// reads that page again, printing the events after that one.
type tailer struct {
	r        *remote
	c        *sbclient.Client
	filter   sbclient.AuditFilter
	lines    int
	follow   bool
	interval time.Duration

	token  string // the page the last event printed is on
	lastID string
}

func (t *tailer) run(ctx context.Context) error {
	if _, err := parseFormat(t.r.output); err != nil {
		return err
	}
	var last []sbclient.AuditEvent
	err := t.poll(ctx, func(evs []sbclient.AuditEvent) {
		last = append(last, evs...)
		if len(last) > t.lines {
			last = last[len(last)-t.lines:]
		}
	})
	if err != nil {
		return t.r.fail(err)
	}
	if err := t.print(last); err != nil {
		return err
	}
	if !t.follow {
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return nil // interrupted: the normal end of a tail
		case <-time.After(t.interval):
		}
		var printErr error
		err := t.poll(ctx, func(evs []sbclient.AuditEvent) {
			if printErr == nil {
				printErr = t.print(evs)
			}
		})
		if printErr != nil {
			return printErr
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			ferr := t.r.fail(err)
			if ee, ok := errors.AsType[*exitError](ferr); ok && ee.code != exitUnavailable {
				return ferr
			}
			fmt.Fprintf(t.r.o.stderr, "audit tail: %v (retrying)\n", ferr)
		}
	}
}

// poll reads every event after the last one seen and hands them to emit, page by page.
func (t *tailer) poll(ctx context.Context, emit func([]sbclient.AuditEvent)) error {
	for {
		f := t.filter
		f.PageSize, f.PageToken = 1000, t.token
		p, err := t.c.ListAudit(ctx, t.r.workspace, f)
		if err != nil {
			return err
		}
		// Ids sort in the order the server lists them: skip what was printed already.
		i := sort.Search(len(p.Items), func(i int) bool { return p.Items[i].ID > t.lastID })
		if fresh := p.Items[i:]; len(fresh) > 0 {
			t.lastID = fresh[len(fresh)-1].ID
			emit(fresh)
		}
		if p.NextPageToken == "" {
			return nil
		}
		t.token = p.NextPageToken
	}
}

func (t *tailer) print(evs []sbclient.AuditEvent) error {
	out := t.r.o.stdout
	for i := range evs {
		ev := &evs[i]
		switch outFormat(strings.ToLower(t.r.output)) {
		case formatJSON:
			b, err := json.Marshal(ev)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s\n", b)
		case formatYAML:
			fmt.Fprintln(out, "---")
			if err := writeEncoded(out, formatYAML, ev); err != nil {
				return err
			}
		default:
			// Fixed widths rather than a tabwriter: lines come one batch at a time.
			fmt.Fprintf(out, "%-20s  %-28s  %-32s  %-32s  %s\n", fmtTime(ev.CreatedAt), outCell(ev.Action),
				outCell(ev.ObjectID), outCell(ev.Actor), outCell(ev.RequestID))
		}
	}
	return nil
}

var auditColumns = []outColumn[sbclient.AuditEvent]{
	{"TIME", func(e *sbclient.AuditEvent) string { return fmtTime(e.CreatedAt) }},
	{"ACTION", func(e *sbclient.AuditEvent) string { return e.Action }},
	{"OBJECT", func(e *sbclient.AuditEvent) string { return e.ObjectID }},
	{"ACTOR", func(e *sbclient.AuditEvent) string { return e.Actor }},
	{"IP", func(e *sbclient.AuditEvent) string { return e.IP }},
	{"REQUEST", func(e *sbclient.AuditEvent) string { return e.RequestID }},
	{"ID", func(e *sbclient.AuditEvent) string { return e.ID }},
}
