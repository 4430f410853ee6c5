package loadgen

import (
	"bytes"
	"context"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

func newRand() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }

// tally is what one worker saw; only the worker writes it until the run is over.
type tally struct {
	lat       []time.Duration
	status    map[int]int // answers other than the success status
	transport int
	example   string // the first transport error
}

// measure runs c workers sending s's requests to base for the warmup and then the measured
// duration. A request counts when it completes inside the measured window, whenever it was
// sent, so that throughput is neither inflated nor cut by the window's edges.
func (b *bench) measure(ctx context.Context, base string, s *scenario, c int) (Stats, error) {
	// Each run opens its own connections (during the warmup) and leaves none behind.
	defer b.client.CloseIdleConnections()
	h := http.Header{}
	s.header(h, b.cfg.Token, b.cfg.Workspace)
	from := time.Now().Add(b.cfg.Warmup)
	end := from.Add(b.cfg.Duration)
	tallies := make([]tally, c)
	var wg sync.WaitGroup
	for i := range c {
		wg.Go(func() { b.loop(ctx, base, s, h.Clone(), from, end, &tallies[i]) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Stats{}, err
	}
	return summarize(tallies, b.cfg.Duration), nil
}

// loop sends requests one after the other until end.
func (b *bench) loop(ctx context.Context, base string, s *scenario, h http.Header, from, end time.Time, t *tally) {
	w := &worker{rng: newRand(), floor: base != b.base}
	t.lat = make([]time.Duration, 0, 1024)
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(end) {
			return
		}
		path, body := s.next(b, w)
		status, err := b.send(ctx, s.method, base+path, body, h)
		t1 := time.Now()
		if t1.Before(from) || t1.After(end) {
			continue
		}
		t.lat = append(t.lat, t1.Sub(t0))
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			t.transport++
			if t.example == "" {
				t.example = err.Error()
			}
		case status != s.want:
			if t.status == nil {
				t.status = map[int]int{}
			}
			t.status[status]++
		}
	}
}

// send sends one request and reads its answer to the end without decoding it (a body left
// unread would cost the connection).
func (b *bench) send(ctx context.Context, method, url string, body []byte, h http.Header) (int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header = h // never written after setup: safe to share between one worker's requests
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// summarize merges the workers' tallies.
func summarize(ts []tally, d time.Duration) Stats {
	n := 0
	for i := range ts {
		n += len(ts[i].lat)
	}
	all := make([]time.Duration, 0, n)
	st := Stats{Seconds: d.Seconds()}
	for i := range ts {
		t := &ts[i]
		all = append(all, t.lat...)
		for code, k := range t.status {
			st.addError(strconv.Itoa(code), k)
		}
		if t.transport > 0 {
			st.addError("transport", t.transport)
			if st.TransportEx == "" {
				st.TransportEx = t.example
			}
		}
	}
	slices.Sort(all)
	st.Requests = len(all)
	st.RPS = float64(len(all)) / d.Seconds()
	if len(all) > 0 {
		st.P50 = ms(percentile(all, 0.50))
		st.P90 = ms(percentile(all, 0.90))
		st.P99 = ms(percentile(all, 0.99))
		st.Max = ms(all[len(all)-1])
	}
	return st
}

func (st *Stats) addError(key string, n int) {
	if st.Errors == nil {
		st.Errors = map[string]int{}
	}
	st.Errors[key] += n
	st.ErrorCount += n
}

// percentile is the nearest-rank percentile p (0..1] of sorted, which is not empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// ms is d in milliseconds, rounded to the microsecond.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
