package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/loadgen"
)

func benchCmd(o *options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure a running server (bench run) and fill a store for scale runs (bench seed)",
	}
	cmd.AddCommand(benchRunCmd(o), benchSeedCmd(o))
	return cmd
}

func benchRunCmd(o *options) *cobra.Command {
	var (
		c           loadgen.Config
		scenarios   string
		concurrency string
		jsonPath    string
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Drive a running server with keep-alive load and print req/s, latency and errors per scenario",
		Long: `Drive a running server over keep-alive connections: each scenario at each concurrency for
--duration after --warmup, printing requests, req/s, p50/p90/p99/max latency and errors by status.
With --floor, a bare net/http server in this process answers the same routes with a body of the
same size and status, measured right before each real run: the ratio is ours / floor req/s.

Scenarios: ` + strings.Join(loadgen.Scenarios(), ", ") + ` ("all" for every one).
The token needs the editor role and credentials:read in the workspace (the owner key serve
prints on first start has both; auth0 also creates organizations: admin).`,
		Example: `  switchboard bench run --floor --scenarios create,credentials,get,list --concurrency 32,128 --duration 10s
  switchboard bench run --floor --scenarios slash,secmaster,versori,unified,auth0 --concurrency 32 --json compat.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if c.Scenarios, err = parseScenarios(scenarios); err != nil {
				return usageError{fmt.Errorf("--scenarios: %w", err)}
			}
			if c.Concurrency, err = parseConcurrency(concurrency); err != nil {
				return usageError{fmt.Errorf("--concurrency: %w", err)}
			}
			if c.Token == "" {
				// Read here, not as the flag's default, so that help never prints it.
				c.Token = os.Getenv("SWITCHBOARD_TOKEN")
			}
			if err := c.Validate(); err != nil {
				return usageError{err}
			}
			c.Progress = o.stderr
			rep, err := loadgen.Run(cmd.Context(), c)
			if err != nil {
				return err
			}
			if err := rep.WriteTable(o.stdout); err != nil {
				return err
			}
			if jsonPath == "" {
				return nil
			}
			f, err := os.Create(jsonPath)
			if err != nil {
				return err
			}
			if err := rep.WriteJSON(f); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.URL, "url", env("SWITCHBOARD_URL", "http://127.0.0.1:8080"), "URL of the running server (env SWITCHBOARD_URL)")
	f.StringVar(&c.Token, "token", "", "API key or JWT to send (env SWITCHBOARD_TOKEN)")
	f.StringVar(&c.Workspace, "workspace", switchboard.DefaultID, "workspace the scenarios act in")
	f.StringVar(&scenarios, "scenarios", "create,credentials,get,list", "comma-separated scenarios, or all")
	f.StringVar(&concurrency, "concurrency", "32,128", "comma-separated numbers of concurrent workers; each scenario runs at each")
	f.DurationVar(&c.Duration, "duration", 10*time.Second, "measured time of each run")
	f.DurationVar(&c.Warmup, "warmup", time.Second, "unmeasured time before each run, on the same connections")
	f.IntVar(&c.Seed, "seed", 1000, "connections the credentials, get and auth0 scenarios pick among: existing kafka connections are reused, missing ones created through the API")
	f.BoolVar(&c.Floor, "floor", false, "also measure a bare net/http server answering the same routes, for ratios measured in the same run")
	f.StringVar(&jsonPath, "json", "", "also write every result and the machine description as JSON to this file")
	return cmd
}

// parseScenarios parses a comma-separated list of scenario names ("all": every one).
func parseScenarios(s string) ([]string, error) {
	if strings.TrimSpace(s) == "all" {
		return loadgen.Scenarios(), nil
	}
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(loadgen.Scenarios(), name) {
			return nil, fmt.Errorf("unknown scenario %q (known: %s, or all)", name, strings.Join(loadgen.Scenarios(), ", "))
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		return nil, errors.New("no scenario")
	}
	return out, nil
}

// parseConcurrency parses a comma-separated list of positive numbers.
func parseConcurrency(s string) ([]int, error) {
	var out []int
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		n, err := strconv.Atoi(part)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a number of workers >= 1", part)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("no number given")
	}
	return out, nil
}

// seedConfigs are configs the seed command knows for built-in connectors; others take --config.
var seedConfigs = map[string]string{
	"kafka":       `{"kafkaAddr":"10.0.0.1:9092","userName":"svc","password":"bench-password-0123456789"}`,
	"http-bearer": `{"base_url":"https://api.example.com","token":"bench-token-0123456789"}`,
}

type seedOptions struct {
	count     int
	workspace string
	connector string
	config    string
	workers   int
	every     time.Duration
}

func benchSeedCmd(o *options) *cobra.Command {
	so := &seedOptions{}
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Fill the database with connections, fast, for scale runs (opens it directly, as serve does)",
		Long: `Create --count connections in the database directly, through the service (validated, sealed
and audited like any other), from --workers goroutines at once so that concurrent writes share
commits. Run it with the server stopped, then start serve; it also works beside a running server
on the same database. On an empty database it bootstraps, like serve's first start, and prints
the owner API key.`,
		Example: `  switchboard bench seed --data-dir /tmp/benchdata --count 100000
  switchboard bench seed --count 1000000 --connector http-bearer`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if so.count < 1 {
				return usageError{errors.New("--count must be >= 1")}
			}
			if so.workers < 1 {
				return usageError{errors.New("--workers must be >= 1")}
			}
			cfgJSON := so.config
			if cfgJSON == "" {
				if cfgJSON = seedConfigs[so.connector]; cfgJSON == "" {
					return usageError{fmt.Errorf("--config is needed for connector %q (known without it: kafka, http-bearer)", so.connector)}
				}
			}
			var config map[string]any
			if err := json.Unmarshal([]byte(cfgJSON), &config); err != nil {
				return usageError{fmt.Errorf("--config: %w", err)}
			}
			return seed(cmd.Context(), o, so, config)
		},
	}
	f := cmd.Flags()
	f.IntVar(&so.count, "count", 0, "connections to create")
	f.StringVar(&so.workspace, "workspace", switchboard.DefaultID, "workspace to create them in")
	f.StringVar(&so.connector, "connector", "kafka", "connector of the connections")
	f.StringVar(&so.config, "config", "", "config of each connection as a JSON object (default: a sample for kafka and http-bearer)")
	f.IntVar(&so.workers, "workers", 64, "connections created at once")
	f.DurationVar(&so.every, "progress", 3*time.Second, "how often progress is shown on stderr")
	return cmd
}

func seed(ctx context.Context, o *options, so *seedOptions, config map[string]any) error {
	if err := o.refuseKeyringBeforeOpen(ctx, true); err != nil {
		return err
	}
	store, err := o.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()
	_, env, err := o.openKeyring(ctx, store, true)
	if err != nil {
		return err
	}
	svc, err := newService(store, env)
	if err != nil {
		return err
	}
	key, created, err := svc.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if created {
		// As serve's first start would have: the key is shown this once.
		announceOwnerKey(o.stderr, key)
		fmt.Fprintln(o.stderr)
	}
	ws, err := store.GetWorkspace(ctx, so.workspace)
	if err != nil {
		return fmt.Errorf("workspace %q: %w", so.workspace, err)
	}
	ctx = switchboard.WithPrincipal(ctx, switchboard.SystemPrincipal(ws.TenantID))
	var rnd [4]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	prefix := "seed-" + hex.EncodeToString(rnd[:]) + "-"

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next, done atomic.Int64
		errOnce    sync.Once
		firstErr   error
		wg         sync.WaitGroup
	)
	start := time.Now()
	for range min(so.workers, so.count) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(so.count) {
					return
				}
				_, _, err := svc.CreateConnection(ctx, ws.ID, switchboard.ConnectionInput{
					ConnectorID: so.connector, Name: prefix + strconv.FormatInt(i, 10), Config: maps.Clone(config),
				}, "")
				if err != nil {
					errOnce.Do(func() { firstErr = err; cancel() })
					return
				}
				done.Add(1)
			}
		})
	}
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		t := time.NewTicker(so.every)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				n := done.Load()
				fmt.Fprintf(o.stderr, "seeded %d/%d (%.0f/s)\n", n, so.count, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	wg.Wait()
	close(stopProgress)
	<-progressDone
	n := done.Load()
	elapsed := time.Since(start)
	if firstErr != nil {
		return fmt.Errorf("after %d connections: %w", n, firstErr)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("after %d connections: %w", n, err)
	}
	fmt.Fprintf(o.stdout, "seeded %d %s connections in workspace %s in %.1fs (%.0f/s)\n",
		n, so.connector, ws.ID, elapsed.Seconds(), float64(n)/elapsed.Seconds())
	return nil
}
