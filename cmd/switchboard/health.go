package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard"
	"github.com/switchboardhq/switchboard/internal/health"
)

// startHealth runs the health-check scheduler until ctx is done or the returned stop is
// called (stop waits for it to finish). interval 0 runs nothing.
func startHealth(ctx context.Context, svc *switchboard.Service, interval time.Duration, log *slog.Logger) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	s := &health.Scheduler{Service: svc, Interval: interval, Logger: log}
	wg.Go(func() { s.Run(ctx) })
	log.Info("health checks scheduled", "interval", interval.String())
	return func() {
		cancel()
		wg.Wait()
	}
}

// parsePrefixes parses the CIDRs of flag such as 10.0.0.0/8 (a bare address is one host).
func parsePrefixes(flag string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return nil, fmt.Errorf("--%s %q: not a CIDR", flag, s)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
