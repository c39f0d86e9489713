package signals

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// BenchmarkAppendGroupCommit measures durable ingest: 1, 64 and 256 concurrent
// appenders (sessions) each append batches of 20 events and wait for the
// fsync that makes them durable. One op is one batch.
func BenchmarkAppendGroupCommit(b *testing.B) {
	for _, appenders := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("appenders=%d", appenders), func(b *testing.B) {
			store := newStoreB(b)
			l, err := Open(context.Background(), Options{Dir: b.TempDir(), Store: store, NodeID: "bench", PseudonymKey: testKey})
			if err != nil {
				b.Fatal(err)
			}
			const perBatch = 20
			var session atomic.Int64
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			b.SetParallelism(max(1, appenders/runtime.GOMAXPROCS(0)))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				s := fmt.Sprint("bench-session-", session.Add(1))
				ev := make([]wire.Event, perBatch)
				n := 0
				for pb.Next() {
					for j := range ev {
						ev[j] = wire.Event{ID: fmt.Sprintf("e%d-%d", n, j), Type: wire.EventProductView, SKU: "sku-1", T: 1}
					}
					n++
					if _, err := l.Append(context.Background(), Batch{Session: s, Consent: wire.ConsentAnalytics, Events: ev}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			elapsed := b.Elapsed()
			runtime.ReadMemStats(&ms1)
			st := l.Stats()
			b.ReportMetric(float64(b.N*perBatch)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(st.StoredEvents)/float64(max(1, st.Commits)), "events/fsync")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/float64(b.N*perBatch), "B-alloc/event")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := l.Close(ctx); err != nil {
				b.Fatal(err)
			}
		})
	}
}
