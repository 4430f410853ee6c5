package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard"
)

// startRefresher refreshes, every interval, the OAuth2 tokens of idle connections that expire
// within the refresh margin, until ctx is done or the returned stop is called (stop waits for
// it to finish). Every replica may run it: the database lease keeps each refresh to one.
// interval 0 runs nothing.
func startRefresher(ctx context.Context, svc *switchboard.Service, interval time.Duration, log *slog.Logger) (stop func()) {
	if interval <= 0 {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			n, err := svc.RefreshExpiring(ctx, 100)
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("token refresher", "err", err)
			case n > 0:
				log.Info("tokens refreshed", "count", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	log.Info("token refresher scheduled", "interval", interval.String())
	return func() {
		cancel()
		wg.Wait()
	}
}
