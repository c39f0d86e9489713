package vsearch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// Benchmarks print the figures docs/vsearch.md quotes:
//
//	go test -run '^$' -bench . -benchtime 2000x ./server/vsearch/
//
// Synthetic vectors have the built-in descriptor's dimension and are
// drawn around 1000 random centres (clustered like real descriptors).
// The 1M-vector cases run only with VITRINE_BENCH_1M=1 (about 1.6 GB of
// vectors, and minutes of graph building).

const benchDim = descriptorDim

// noisePerDim spreads each synthetic vector around its centre: with 389
// dimensions the noise has norm ≈0.5, so members of a cluster have
// cosine ≈0.8 with each other, as views of one product do with the
// built-in descriptor.
const noisePerDim = 0.025

// maxGraphBench is the largest synthetic index that gets an HNSW graph
// in the benchmarks: building runs at a few thousand vectors per second
// on two cores, so 1M would take most of an hour.
const maxGraphBench = 200_000

type benchIndex struct {
	exact, approx *Index
	queries       [][]float32
	buildRate     float64 // vectors per second into the HNSW index
}

var (
	benchMu      sync.Mutex
	benchIndexes = map[int]*benchIndex{}
)

// syntheticVectors fills one contiguous array with n clustered unit
// vectors, in parallel.
func syntheticVectors(n, dim int, seed uint64) [][]float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	const nCentres = 1000
	centres := make([][]float32, nCentres)
	for c := range centres {
		centres[c] = make([]float32, dim)
		for j := range centres[c] {
			centres[c][j] = float32(rng.NormFloat64())
		}
		Normalize(centres[c])
	}
	flat := make([]float32, n*dim)
	out := make([][]float32, n)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)+2))
			for i := w; i < n; i += workers {
				v := flat[i*dim : (i+1)*dim : (i+1)*dim]
				c := centres[r.IntN(nCentres)]
				for j := range v {
					v[j] = c[j] + noisePerDim*float32(r.NormFloat64())
				}
				Normalize(v)
				out[i] = v
			}
		}(w)
	}
	wg.Wait()
	return out
}

func getBenchIndex(b *testing.B, n int) *benchIndex {
	benchMu.Lock()
	defer benchMu.Unlock()
	if bi := benchIndexes[n]; bi != nil {
		return bi
	}
	b.Logf("building %d-vector indexes…", n)
	// Queries come from the same distribution as the indexed vectors
	// (the same centres) but are not indexed themselves.
	const nQueries = 1000
	all := syntheticVectors(n+nQueries, benchDim, 42)
	vs, queries := all[:n], all[n:]
	space := Space{Name: "bench", Version: "1", Dim: benchDim}
	exact := NewIndex(space, Options{HNSWThreshold: 1 << 30})
	for i, v := range vs {
		if err := exact.Add(fmt.Sprintf("p%07d", i), "", 0, [][]float32{v}); err != nil {
			b.Fatal(err)
		}
	}
	bi := &benchIndex{exact: exact, queries: queries}
	if n <= maxGraphBench {
		approx := NewIndex(space, Options{HNSWThreshold: 1 << 30})
		approx.vecs, approx.owner, approx.products, approx.bySKU = exact.vecs, exact.owner, exact.products, exact.bySKU
		start := time.Now()
		approx.mu.Lock()
		approx.buildGraphLocked()
		approx.mu.Unlock()
		bi.approx, bi.buildRate = approx, float64(n)/time.Since(start).Seconds()
	}
	benchIndexes[n] = bi
	return bi
}

func benchSizes() []int {
	sizes := []int{10_000, 100_000}
	if os.Getenv("VITRINE_BENCH_1M") != "" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

func reportLatencies(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	p := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(p(0.5), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
}

// BenchmarkSearch measures query latency (one query per op), exact and
// HNSW, and for HNSW its recall@10 against the exact answer, its build
// rate and memory per vector.
func BenchmarkSearch(b *testing.B) {
	for _, n := range benchSizes() {
		for _, kind := range []string{"exact", "hnsw"} {
			b.Run(fmt.Sprintf("%s/n=%d", kind, n), func(b *testing.B) {
				bi := getBenchIndex(b, n)
				x := bi.exact
				if kind == "hnsw" {
					if bi.approx == nil {
						b.Skipf("no HNSW graph above %d vectors in benchmarks", maxGraphBench)
					}
					x = bi.approx
				}
				lat := make([]time.Duration, 0, b.N)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					q := bi.queries[i%len(bi.queries)]
					t0 := time.Now()
					if _, err := x.Search(q, 10, Filter{}, nil); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				b.StopTimer()
				reportLatencies(b, lat)
				st := x.Stats()
				b.ReportMetric(float64(st.Bytes)/float64(n), "bytes/vector")
				if kind == "hnsw" {
					b.ReportMetric(bi.buildRate, "build-vectors/s")
					b.ReportMetric(recallAt10(b, bi, 200), "recall@10")
				}
			})
		}
	}
}

func recallAt10(b *testing.B, bi *benchIndex, nq int) float64 {
	found := 0
	for _, q := range bi.queries[:nq] {
		want, _ := bi.exact.Search(q, 10, Filter{}, nil)
		got, _ := bi.approx.Search(q, 10, Filter{}, nil)
		set := map[string]bool{}
		for _, h := range want {
			set[h.SKU] = true
		}
		for _, h := range got {
			if set[h.SKU] {
				found++
			}
		}
	}
	return float64(found) / float64(nq*10)
}

func benchQueryImages(b *testing.B) [][]byte {
	files, _ := filepath.Glob("testdata/eval/queries/*/*.jpg")
	if len(files) == 0 {
		b.Skip("no committed query images")
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// BenchmarkEmbed measures decoding plus embedding of the committed query
// images (256–320 px JPEGs) with each embedder.
func BenchmarkEmbed(b *testing.B) {
	images := benchQueryImages(b)
	for _, e := range []Embedder{NewDescriptor(), ColourHistogram{}} {
		b.Run(e.Name(), func(b *testing.B) {
			ctx := context.Background()
			lat := make([]time.Duration, 0, b.N)
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				img, err := DecodeQueryImage(images[i%len(images)], 4<<20, 4096*4096)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := e.Embed(ctx, img); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			reportLatencies(b, lat)
		})
	}
}

// BenchmarkWholeQuery measures decode + embed + HNSW search at 100k
// products, the latency a shopper sees minus the network.
func BenchmarkWholeQuery(b *testing.B) {
	images := benchQueryImages(b)
	bi := getBenchIndex(b, 100_000)
	s := &Service{emb: NewDescriptor(), index: bi.approx}
	s.index.space = SpaceOf(s.emb)
	defer func() { s.index.space = Space{Name: "bench", Version: "1", Dim: benchDim} }()
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		img, err := DecodeQueryImage(images[i%len(images)], 4<<20, 4096*4096)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Search(ctx, img, 10, Filter{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportLatencies(b, lat)
}
