package loadgen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
)

// Machine describes where the load tool ran (the server, over loopback, shares it).
type Machine struct {
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GoVersion  string `json:"go_version"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model,omitempty"` // from /proc/cpuinfo where there is one
}

// Describe describes this machine.
func Describe() Machine {
	return Machine{
		GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GoVersion: runtime.Version(),
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), CPUModel: cpuModel("/proc/cpuinfo"),
	}
}

// cpuModel is the first "model name" of a Linux cpuinfo file ("" when there is none).
func cpuModel(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteTable writes the report as a table, one row per scenario and concurrency; with a floor,
// its req/s, its p99 and the ratio of the server's req/s to it close each row.
func (r *Report) WriteTable(w io.Writer) error {
	m := r.Machine
	fmt.Fprintf(w, "%s/%s, %s, %d CPUs (GOMAXPROCS %d)", m.GOOS, m.GOARCH, m.GoVersion, m.NumCPU, m.GOMAXPROCS)
	if m.CPUModel != "" {
		fmt.Fprintf(w, ", %s", m.CPUModel)
	}
	fmt.Fprintf(w, "\n%s workspace %s, %gs per run after %gs warmup, %d seeded connections\n\n",
		r.URL, r.Workspace, r.Duration, r.Warmup, r.Seeded)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "scenario\tc\trequests\treq/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\t"
	if r.Floor {
		head += "floor req/s\tfloor p99 ms\tratio\t"
	}
	fmt.Fprintln(tw, head)
	for _, res := range r.Results {
		s := res.Server
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t", res.Scenario, res.Concurrency,
			s.Requests, s.RPS, s.P50, s.P90, s.P99, s.Max, errorText(s))
		if f := res.Floor; f != nil {
			fmt.Fprintf(tw, "%.0f\t%.2f\t%.2f\t", f.RPS, f.P99, res.Ratio)
			if f.ErrorCount > 0 {
				fmt.Fprintf(tw, "floor errors %s\t", errorText(*f))
			}
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, res := range r.Results {
		for _, st := range []*Stats{&res.Server, res.Floor} {
			if st != nil && st.TransportEx != "" {
				fmt.Fprintf(w, "%s c=%d: transport error, e.g.: %s\n", res.Scenario, res.Concurrency, st.TransportEx)
			}
		}
	}
	return nil
}

// errorText is "0" or the errors by key, e.g. "401:12 transport:1".
func errorText(s Stats) string {
	if s.ErrorCount == 0 {
		return "0"
	}
	keys := make([]string, 0, len(s.Errors))
	for k := range s.Errors {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, s.Errors[k])
	}
	return strings.Join(parts, " ")
}
