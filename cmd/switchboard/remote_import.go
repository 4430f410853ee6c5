package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	sbclient "github.com/switchboardhq/switchboard/client"
)

// importRow is one connection of an import file: where it is (a CSV line, or the 1-based
// index in a JSON array) and what to create.
type importRow struct {
	Row  int
	Body sbclient.ConnectionCreate
	// config cells of a CSV row, typed by the connector's schema before sending.
	cells map[string]string
}

// importResult is what became of one row; it is the JSON/YAML output of import.
type importResult struct {
	Row    int    `json:"row"`
	Name   string `json:"connection_name"`
	ID     string `json:"id,omitempty"`
	Status string `json:"status"` // created, skipped (--skip-existing), failed, not_attempted
	Error  string `json:"error,omitempty"`
	code   int    // exit code of a failure
}

func connImportCmd(r *remote) *cobra.Command {
	var outFormat string
	var parallel int
	var skipExisting bool
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Create connections in bulk from a CSV or JSON file, with progress on stderr",
		Long: `Create every connection of FILE ("-" for stdin): a JSON array of create bodies (the
API's ConnectionCreate fields), or a CSV file with a header row naming the columns
connector_id, connection_name, and any of connector_version, description, environment,
external_xref, tags (separated by ";"), enabled, paused, and config.<field> for each config
field, secret ones included (empty cells are left out).

Progress (N/M rows, rows per second) goes to stderr, a line per failed row with its error,
then a summary; stdout gets one result per row. Each row is sent with an Idempotency-Key
made of the file's hash and the row, so running the same file again after an interruption
does not create a row twice. Exit 1 when any row failed.`,
		Example: `  switchboard connections import connections.csv
  switchboard connections import --skip-existing -o json connections.json > results.json`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if parallel < 1 || parallel > 64 {
				return usageError{fmt.Errorf("--parallel %d: want 1 to 64", parallel)}
			}
			c, err := r.client()
			if err != nil {
				return err
			}
			data, err := readInput(cmd, args[0])
			if err != nil {
				return err
			}
			if outFormat == "" {
				outFormat = "csv"
				if t := bytes.TrimSpace(data); len(t) > 0 && (t[0] == '[' || t[0] == '{') ||
					strings.EqualFold(filepath.Ext(args[0]), ".json") {
					outFormat = "json"
				}
			}
			var rows []importRow
			switch outFormat {
			case "json":
				rows, err = parseImportJSON(data)
			case "csv":
				rows, err = parseImportCSV(data)
			default:
				return usageError{fmt.Errorf("--format %q: want csv or json", outFormat)}
			}
			if err != nil {
				return usageError{fmt.Errorf("%s: %w", args[0], err)}
			}
			sum := sha256.Sum256(data)
			imp := &importer{r: r, c: c, rows: rows, parallel: parallel, skipExisting: skipExisting,
				keyPrefix: "import-" + hex.EncodeToString(sum[:8]) + "-", schemas: map[string]json.RawMessage{}}
			results := imp.run(cmd.Context())
			if err := printList(r, results, importColumns); err != nil {
				return err
			}
			return imp.verdict(results)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&outFormat, "format", "", "csv or json (default: from the file's extension or first character)")
	fl.IntVar(&parallel, "parallel", 4, "rows sent at once (1-64)")
	fl.BoolVar(&skipExisting, "skip-existing", false, "count a row whose name is taken (409) as skipped, not failed")
	return cmd
}

func readInput(cmd *cobra.Command, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(cmd.InOrStdin())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{err}
	}
	return data, nil
}

func parseImportJSON(data []byte) ([]importRow, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, errors.New("want a JSON array of connections")
	}
	rows := make([]importRow, 0, len(raws))
	for i, raw := range raws {
		var b sbclient.ConnectionCreate
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) {
				err = errors.New("not JSON")
			}
			return nil, fmt.Errorf("item %d: %w", i+1, err)
		}
		rows = append(rows, importRow{Row: i + 1, Body: b})
	}
	return rows, nil
}

// parseImportCSV reads a CSV import; an unknown column or a malformed file stops it before
// anything is sent. A cell's value is never quoted in an error: config cells hold secrets.
func parseImportCSV(data []byte) ([]importRow, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = 0
	head, err := cr.Read()
	if err != nil {
		return nil, errors.New("no CSV header row")
	}
	aliases := map[string]string{
		"connector": "connector_id", "name": "connection_name", "version": "connector_version",
		"external_ref": "external_xref", "tag": "tags",
	}
	known := map[string]bool{"connector_id": true, "connection_name": true, "connector_version": true, "description": true,
		"environment": true, "external_xref": true, "tags": true, "enabled": true, "paused": true}
	for i, h := range head {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF"))
		if a, ok := aliases[h]; ok {
			h = a
		}
		if !known[h] && (!strings.HasPrefix(h, "config.") || len(h) == len("config.")) {
			return nil, fmt.Errorf("unknown CSV column %q (want connector_id, connection_name, config.<field>, ...)", h)
		}
		head[i] = h
	}
	var rows []importRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if pe, ok := errors.AsType[*csv.ParseError](err); ok {
				return nil, fmt.Errorf("CSV line %d: %v", pe.Line, pe.Err)
			}
			return nil, err
		}
		line, _ := cr.FieldPos(0)
		row := importRow{Row: line, cells: map[string]string{}}
		b := &row.Body
		for i, v := range rec {
			if v == "" {
				continue
			}
			switch h := head[i]; h {
			case "connector_id":
				b.ConnectorID = v
			case "connection_name":
				b.Name = v
			case "connector_version":
				b.ConnectorVersion = v
			case "description":
				b.Description = v
			case "environment":
				b.Environment = v
			case "external_xref":
				b.ExternalXref = v
			case "tags":
				for t := range strings.SplitSeq(v, ";") {
					if t = strings.TrimSpace(t); t != "" {
						b.Tags = append(b.Tags, t)
					}
				}
			case "enabled", "paused":
				on, err := strconv.ParseBool(v)
				if err != nil {
					return nil, fmt.Errorf("CSV line %d: %s: want true or false", line, h)
				}
				if h == "paused" {
					b.Paused = on
				} else {
					b.Enabled = new(on)
				}
			default:
				row.cells[strings.TrimPrefix(h, "config.")] = v
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// importer sends the rows of an import.
type importer struct {
	r            *remote
	c            *sbclient.Client
	rows         []importRow
	parallel     int
	skipExisting bool
	keyPrefix    string

	mu      sync.Mutex // stderr, schemas
	schemas map[string]json.RawMessage
}

func (imp *importer) run(ctx context.Context) []importResult {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	results := make([]importResult, len(imp.rows))
	var done atomic.Int64
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(imp.parallel, max(len(imp.rows), 1)) {
		wg.Go(func() {
			for i := range next {
				results[i] = imp.one(ctx, i)
				if res := results[i]; res.Status == "failed" {
					imp.logf("row %d (%s): %s\n", res.Row, outCell(res.Name), res.Error)
					if res.code == exitUnauthorized || res.code == exitUnavailable {
						stop(errors.New(res.Error)) // every other row would fail the same way
					}
				}
				done.Add(1)
			}
		})
	}
	start := time.Now()
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				imp.progress(int(done.Load()), start, false)
			case <-ctx.Done():
				return
			}
		}
	}()
	for i := range imp.rows {
		if ctx.Err() != nil {
			for j := i; j < len(imp.rows); j++ {
				results[j] = importResult{Row: imp.rows[j].Row, Name: imp.rows[j].Body.Name, Status: "not_attempted"}
			}
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	stop(nil)
	<-progressDone
	imp.progress(int(done.Load()), start, true)
	n := map[string]int{}
	for _, res := range results {
		n[res.Status]++
	}
	imp.logf("imported %d of %d connections: %d failed, %d skipped, %d not attempted, in %s\n",
		n["created"], len(imp.rows), n["failed"], n["skipped"], n["not_attempted"], time.Since(start).Round(time.Millisecond))
	return results
}

// progress prints N/M rows and the rate: over one line on a terminal, a line each else.
func (imp *importer) progress(n int, start time.Time, final bool) {
	rate := float64(n) / max(time.Since(start).Seconds(), 1e-3)
	imp.mu.Lock()
	defer imp.mu.Unlock()
	w := imp.r.o.stderr
	if f, ok := w.(*os.File); ok && isTTY(f) {
		fmt.Fprintf(w, "\rimport: %d/%d rows, %.1f rows/s", n, len(imp.rows), rate)
		if final {
			fmt.Fprintln(w)
		}
		return
	}
	fmt.Fprintf(w, "import: %d/%d rows, %.1f rows/s\n", n, len(imp.rows), rate)
}

func (imp *importer) logf(outFormat string, args ...any) {
	imp.mu.Lock()
	defer imp.mu.Unlock()
	w := imp.r.o.stderr
	if f, ok := w.(*os.File); ok && isTTY(f) {
		fmt.Fprint(w, "\r\033[K") // clear the progress line first
	}
	fmt.Fprintf(w, outFormat, args...)
}

// one creates row i.
func (imp *importer) one(ctx context.Context, i int) importResult {
	row := imp.rows[i]
	res := importResult{Row: row.Row, Name: row.Body.Name}
	fail := func(err error) importResult {
		res.Status, res.Error, res.code = "failed", err.Error(), 1
		if ee, ok := errors.AsType[*exitError](err); ok {
			res.code = ee.code
		}
		return res
	}
	body := row.Body
	if body.ConnectorID == "" {
		return fail(errors.New("no connector_id"))
	}
	if len(row.cells) > 0 {
		schema, err := imp.schema(ctx, body.ConnectorID, body.ConnectorVersion)
		if err != nil {
			return fail(err)
		}
		cfg, err := coerce(schema, row.cells)
		if err != nil {
			return fail(errors.New(strings.TrimPrefix(err.Error(), "--config ")))
		}
		body.Config = mergeConfig(body.Config, cfg)
	}
	body.IdempotencyKey = imp.keyPrefix + strconv.Itoa(row.Row)
	conn, err := imp.c.CreateConnection(ctx, imp.r.workspace, body)
	if err != nil {
		if imp.skipExisting && sbclient.HasCode(err, sbclient.CodeConflict) {
			res.Status = "skipped"
			return res
		}
		if ctx.Err() != nil {
			res.Status = "not_attempted"
			return res
		}
		return fail(imp.r.fail(err))
	}
	res.ID, res.Status = conn.ID, "created"
	return res
}

// schema returns a connector version's schema, fetched once per import.
func (imp *importer) schema(ctx context.Context, connector, version string) (json.RawMessage, error) {
	key := connector + "@" + version
	imp.mu.Lock()
	s, ok := imp.schemas[key]
	imp.mu.Unlock()
	if ok {
		return s, nil
	}
	s, _, err := imp.r.schemaOf(ctx, imp.c, connector, version)
	if err != nil {
		return nil, err
	}
	imp.mu.Lock()
	imp.schemas[key] = s
	imp.mu.Unlock()
	return s, nil
}

// verdict is the exit of an import: 0 when every row was created or skipped; when rows
// failed, the exit code they share (5 when every failure was a 401, say), else 1.
func (imp *importer) verdict(results []importResult) error {
	code, failed := 0, 0
	for _, res := range results {
		if res.Status != "failed" {
			continue
		}
		failed++
		if code == 0 {
			code = res.code
		} else if code != res.code {
			code = 1
		}
	}
	if failed == 0 {
		return nil
	}
	err := fmt.Errorf("%d of %d rows failed", failed, len(results))
	if code > 1 {
		return &exitError{code, err}
	}
	return err
}

var importColumns = []outColumn[importResult]{
	{"ROW", func(r *importResult) string { return strconv.Itoa(r.Row) }},
	{"NAME", func(r *importResult) string { return r.Name }},
	{"ID", func(r *importResult) string { return r.ID }},
	{"RESULT", func(r *importResult) string { return r.Status }},
	{"ERROR", func(r *importResult) string { return r.Error }},
}
