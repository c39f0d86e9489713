package recs

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

const (
	benchProducts   = 100_000
	benchEvents     = 10_000_000
	benchCategories = 200
)

var (
	benchOnce   sync.Once
	benchEngine *Engine
	benchHeapMB float64
	benchBuild  time.Duration
)

// benchState builds the state 10M ingested events over 100k products
// leave behind. Replaying 10M events through Observe takes minutes on the
// shared 2-core machine, so the aggregated state is synthesised directly,
// at its worst case for Get: every product has full neighbour lists
// (MaxNeighbours per relation, mostly within its category, weights as a
// Zipf-distributed 10M-event stream gives them), every category a full
// popularity list, and 100k sessions a full history and a cart. Then 100k
// real events go through Observe on top, so the incremental path ran too.
func benchState() *Engine {
	benchOnce.Do(func() {
		start := time.Now()
		e := New(Options{})
		items := make([]Item, benchProducts)
		for i := range items {
			items[i] = Item{SKU: fmt.Sprintf("p%06d", i), Name: fmt.Sprintf("Product %d", i),
				Category: fmt.Sprintf("c%03d", i%benchCategories), Merchant: fmt.Sprintf("m%02d", i%37)}
		}
		e.SetCatalog(items)
		rng := rand.New(rand.NewPCG(1, 2))
		perCat := benchProducts / benchCategories
		// Views per product under Zipf(1.05) popularity within a category,
		// scaled so that they sum to benchEvents.
		var norm float64
		for r := 1; r <= perCat; r++ {
			norm += 1 / math.Pow(float64(r), 1.05)
		}
		neighbour := func(i int) int32 {
			if rng.IntN(10) == 0 {
				return int32(rng.IntN(benchProducts))
			}
			return int32(rng.IntN(perCat)*benchCategories + i%benchCategories)
		}
		for i := range e.items {
			it := &e.items[i]
			rank := i/benchCategories + 1
			it.pop = float64(benchEvents) / float64(benchCategories) / norm / math.Pow(float64(rank), 1.05)
			for _, list := range []*neighbours{&it.next, &it.coView, &it.bought} {
				for len(*list) < e.opt.MaxNeighbours {
					id := neighbour(i)
					if int(id) != i {
						list.add(id, float32(1+rng.ExpFloat64()*it.pop/100), e.opt.MaxNeighbours)
					}
				}
			}
			e.catList(it.info.Category).offer(int32(i), e.items)
			e.global.offer(int32(i), e.items)
		}
		for s := range e.opt.MaxSessions {
			st := &sessionState{lastSeen: time.Now()}
			for range e.opt.HistoryLen {
				st.recent = append(st.recent, int32(rng.IntN(benchProducts)))
			}
			for range 3 {
				st.cart = append(st.cart, int32(rng.IntN(benchProducts)))
			}
			e.sessions[fmt.Sprint("s", s)] = st
		}
		for s := range 10_000 {
			batch := make([]wire.Event, 10)
			for j := range batch {
				batch[j] = wire.Event{ID: "e", Type: wire.EventProductView, SKU: items[rng.IntN(benchProducts)].SKU}
			}
			e.Observe(fmt.Sprint("s", s), wire.ConsentPersonalisation, batch)
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		benchEngine, benchHeapMB, benchBuild = e, float64(ms.HeapAlloc)/(1<<20), time.Since(start)
	})
	return benchEngine
}

// BenchmarkGet measures recs.get on 100k products after 10M ingested
// events, reporting p50 and p99 latency and the heap the state holds.
func BenchmarkGet(b *testing.B) {
	e := benchState()
	b.Logf("state of %d events over %d products synthesised in %s; heap %.0f MB", benchEvents, benchProducts, benchBuild.Round(time.Millisecond), benchHeapMB)
	rng := rand.New(rand.NewPCG(3, 4))
	zipf := rand.NewZipf(rng, 1.05, 1, benchProducts-1)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sku := fmt.Sprintf("p%06d", zipf.Uint64())
		session := fmt.Sprint("s", rng.IntN(e.opt.MaxSessions))
		t0 := time.Now()
		items := e.Get(Request{Session: session, Consent: wire.ConsentPersonalisation, SKU: sku, Slot: wire.RecsSlotProduct, Count: 10})
		lat = append(lat, time.Since(t0))
		if len(items) == 0 {
			b.Fatal("empty recommendations")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(benchHeapMB, "heap-MB")
}

// BenchmarkObserve measures incremental ingest into the recommenders.
func BenchmarkObserve(b *testing.B) {
	e := New(Options{})
	items := make([]Item, benchProducts)
	for i := range items {
		items[i] = Item{SKU: fmt.Sprintf("p%06d", i), Category: fmt.Sprintf("c%03d", i%benchCategories)}
	}
	e.SetCatalog(items)
	rng := rand.New(rand.NewPCG(5, 6))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Observe(fmt.Sprint("s", i/10), wire.ConsentPersonalisation, []wire.Event{{ID: "e", Type: wire.EventProductView, SKU: items[rng.IntN(benchProducts)].SKU}})
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
