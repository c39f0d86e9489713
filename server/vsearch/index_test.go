package vsearch

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
)

var testSpace = Space{Name: "test", Version: "1", Dim: 8}

func unit(v ...float32) []float32 {
	out := append([]float32(nil), v...)
	Normalize(out)
	return out
}

func axis(i int) []float32 {
	v := make([]float32, testSpace.Dim)
	v[i] = 1
	return v
}

func TestIndexExactKnownAnswers(t *testing.T) {
	x := NewIndex(testSpace, Options{})
	mustAdd := func(sku, cat string, price float64, vs ...[]float32) {
		t.Helper()
		if err := x.Add(sku, cat, price, vs); err != nil {
			t.Fatal(err)
		}
	}
	mustAdd("a", "chairs", 100, axis(0), axis(1))
	mustAdd("b", "chairs", 300, unit(1, 1, 0, 0, 0, 0, 0, 0))
	mustAdd("c", "lamps", 50, axis(2))
	mustAdd("d", "lamps", 500, unit(0, 0, 1, 1, 0, 0, 0, 0), axis(7))

	tests := []struct {
		name   string
		query  []float32
		k      int
		filter Filter
		want   []string
		score0 float32
	}{
		{"max over a product's vectors", axis(1), 4, Filter{}, []string{"a", "b", "c", "d"}, 1},
		{"k bounds the results", axis(2), 2, Filter{}, []string{"c", "d"}, 1},
		{"category filter", axis(0), 5, Filter{Category: "lamps"}, []string{"c", "d"}, 0},
		{"price ceiling", axis(3), 5, Filter{MaxPrice: 200}, []string{"a", "c"}, 0},
		{"price floor", axis(7), 5, Filter{MinPrice: 200}, []string{"d", "b"}, 1},
		{"category and price", axis(2), 5, Filter{Category: "lamps", MaxPrice: 100}, []string{"c"}, 1},
		{"nothing passes", axis(2), 5, Filter{Category: "sofas"}, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hits, err := x.Search(tc.query, tc.k, tc.filter, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range hits {
				got = append(got, h.SKU)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if len(hits) > 0 && abs32(hits[0].Score-tc.score0) > 1e-5 {
				t.Errorf("top score %v, want %v", hits[0].Score, tc.score0)
			}
		})
	}
}

func abs32(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

func TestIndexRejectsBadInput(t *testing.T) {
	x := NewIndex(testSpace, Options{})
	nan := axis(0)
	nan[3] = float32(nanValue())
	cases := []struct {
		name  string
		sku   string
		price float64
		vs    [][]float32
		want  error
	}{
		{"empty sku", "", 1, [][]float32{axis(0)}, ErrInvalidProduct},
		{"no vectors", "a", 1, nil, ErrInvalidProduct},
		{"negative price", "a", -1, [][]float32{axis(0)}, ErrInvalidProduct},
		{"wrong dimension", "a", 1, [][]float32{{1, 2}}, ErrSpaceMismatch},
		{"not finite", "a", 1, [][]float32{nan}, ErrInvalidProduct},
	}
	for _, tc := range cases {
		if err := x.Add(tc.sku, "", tc.price, tc.vs); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := x.Search([]float32{1}, 3, Filter{}, nil); !errors.Is(err, ErrSpaceMismatch) {
		t.Errorf("short query: err %v", err)
	}
}

func nanValue() float64 { var z float64; return z / z }

func TestIndexReplaceRemoveCompact(t *testing.T) {
	x := NewIndex(testSpace, Options{CompactRatio: 0.5})
	for i := 0; i < 4; i++ {
		if err := x.Add(fmt.Sprintf("p%d", i), "", 1, [][]float32{axis(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Replacing p0 moves it to axis 5.
	if err := x.Add("p0", "", 1, [][]float32{axis(5)}); err != nil {
		t.Fatal(err)
	}
	top := func(q []float32) string {
		hits, err := x.Search(q, 1, Filter{}, nil)
		if err != nil || len(hits) == 0 {
			t.Fatalf("search: %v %v", hits, err)
		}
		return hits[0].SKU
	}
	if got := top(axis(5)); got != "p0" {
		t.Errorf("replaced product: top %s", got)
	}
	if hits, _ := x.Search(axis(0), 5, Filter{}, nil); len(hits) != 4 || hits[0].Score > 0.5 {
		t.Errorf("old vector still matches: %+v", hits)
	}
	if !x.Remove("p1") || x.Remove("p1") {
		t.Error("Remove should report presence once")
	}
	st := x.Stats()
	if st.Products != 3 || st.Vectors != 3 || st.DeadVectors != 2 {
		t.Errorf("stats before compaction: %+v", st)
	}
	x.Remove("p2") // 3 dead of 5 ≥ 0.5: compacts
	st = x.Stats()
	if st.Products != 2 || st.Vectors != 2 || st.DeadVectors != 0 {
		t.Errorf("stats after compaction: %+v", st)
	}
	if got := top(axis(3)); got != "p3" {
		t.Errorf("after compaction: top %s", got)
	}
}

// clustered returns n unit vectors of dimension dim around nClusters
// random centres: the shape of real descriptor data, unlike uniform noise.
func clustered(rng *rand.Rand, n, dim, nClusters int, spread float32) [][]float32 {
	centres := make([][]float32, nClusters)
	for c := range centres {
		centres[c] = make([]float32, dim)
		for j := range centres[c] {
			centres[c][j] = float32(rng.NormFloat64())
		}
		Normalize(centres[c])
	}
	out := make([][]float32, n)
	for i := range out {
		c := centres[rng.IntN(nClusters)]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + spread*float32(rng.NormFloat64())/float32(dim)*8
		}
		Normalize(v)
		out[i] = v
	}
	return out
}

func bruteTop(vs [][]float32, q []float32, k int) []int {
	idx := make([]int, len(vs))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return Dot(q, vs[idx[a]]) > Dot(q, vs[idx[b]]) })
	return idx[:k]
}

func TestHNSWRecallAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, dim, k = 3000, 32, 10
	vs := clustered(rng, n, dim, 40, 0.5)
	space := Space{Name: "t", Version: "1", Dim: dim}
	x := NewIndex(space, Options{HNSWThreshold: 1000, Seed: 3})
	for i, v := range vs {
		if err := x.Add(fmt.Sprint(i), "", 0, [][]float32{v}); err != nil {
			t.Fatal(err)
		}
	}
	if !x.Stats().Approximate {
		t.Fatal("index above its threshold has no graph")
	}
	queries := clustered(rng, 100, dim, 40, 0.5)
	found := 0
	for _, q := range queries {
		hits, err := x.Search(q, k, Filter{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, i := range bruteTop(vs, q, k) {
			want[fmt.Sprint(i)] = true
		}
		for _, h := range hits {
			if want[h.SKU] {
				found++
			}
		}
	}
	recall := float64(found) / float64(len(queries)*k)
	if recall < 0.95 {
		t.Errorf("HNSW recall@10 = %.3f, want ≥ 0.95", recall)
	}
	t.Logf("HNSW recall@10 = %.3f", recall)
}

func TestHNSWDeletesAndFilters(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	const n, dim = 1500, 16
	vs := clustered(rng, n, dim, 20, 0.5)
	space := Space{Name: "t", Version: "1", Dim: dim}
	x := NewIndex(space, Options{HNSWThreshold: 500})
	for i, v := range vs {
		cat := "even"
		if i%2 == 1 {
			cat = "odd"
		}
		if err := x.Add(fmt.Sprint(i), cat, float64(i), [][]float32{v}); err != nil {
			t.Fatal(err)
		}
	}
	// The exact nearest neighbour of vs[7] is itself; removed, it must
	// never come back.
	x.Remove("7")
	hits, _ := x.Search(vs[7], 10, Filter{}, nil)
	for _, h := range hits {
		if h.SKU == "7" {
			t.Fatal("removed product returned")
		}
	}
	hits, _ = x.Search(vs[8], 10, Filter{Category: "even"}, nil)
	if len(hits) != 10 || hits[0].SKU != "8" {
		t.Fatalf("filtered search: %+v", hits)
	}
	for _, h := range hits {
		var i int
		fmt.Sscan(h.SKU, &i)
		if i%2 != 0 {
			t.Errorf("filter let %s through", h.SKU)
		}
	}
	// A narrow price filter falls back to an exact scan.
	hits, _ = x.Search(vs[0], 3, Filter{MinPrice: 100, MaxPrice: 102}, nil)
	if len(hits) != 3 {
		t.Errorf("narrow filter: %+v", hits)
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 7))
	space := Space{Name: "t", Version: "1", Dim: 16}
	x := NewIndex(space, Options{HNSWThreshold: 300})
	vs := clustered(rng, 800, 16, 10, 0.5)
	for i := 0; i < 400; i++ {
		if err := x.Add(fmt.Sprint(i), "c", float64(i), [][]float32{vs[2*i], vs[2*i+1]}); err != nil {
			t.Fatal(err)
		}
	}
	x.Remove("3")
	if err := x.Save(ctx, store, "vsearch/index.bin"); err != nil {
		t.Fatal(err)
	}
	y, err := Load(ctx, store, "vsearch/index.bin", space, Options{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	xs, ys := x.Stats(), y.Stats()
	xs.Bytes, ys.Bytes = 0, 0
	if xs != ys {
		t.Errorf("stats differ: %+v vs %+v", x.Stats(), y.Stats())
	}
	for _, q := range vs[:50] {
		a, _ := x.Search(q, 5, Filter{}, nil)
		b, _ := y.Search(q, 5, Filter{}, nil)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("results differ after load: %v vs %v", a, b)
		}
	}
	// The loaded index keeps working: adds and removes.
	if err := y.Add("new", "c", 1, [][]float32{vs[0]}); err != nil {
		t.Fatal(err)
	}

	t.Run("other embedder refused", func(t *testing.T) {
		for _, other := range []Space{{"t", "2", 16}, {"u", "1", 16}, {"t", "1", 8}} {
			if _, err := Load(ctx, store, "vsearch/index.bin", other, Options{}, 0); !errors.Is(err, ErrSpaceMismatch) {
				t.Errorf("%v: err %v, want ErrSpaceMismatch", other, err)
			}
		}
	})
	t.Run("corruption refused", func(t *testing.T) {
		data := x.encode()
		for _, bad := range [][]byte{data[:len(data)/2], append(append([]byte(nil), data[:100]...), data[101:]...), flip(data, 200), []byte("VSIX")} {
			if _, err := decodeIndex(bad, space, Options{}); !errors.Is(err, ErrCorruptIndex) {
				t.Errorf("corrupt file: err %v, want ErrCorruptIndex", err)
			}
		}
	})
	t.Run("size limit", func(t *testing.T) {
		if _, err := Load(ctx, store, "vsearch/index.bin", space, Options{}, 1000); !errors.Is(err, ErrCorruptIndex) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		if _, err := Load(ctx, store, "vsearch/none.bin", space, Options{}, 0); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("err %v", err)
		}
	})
}

func flip(b []byte, i int) []byte {
	out := append([]byte(nil), b...)
	out[i] ^= 0x40
	return out
}

func FuzzDecodeIndex(f *testing.F) {
	x := NewIndex(testSpace, Options{HNSWThreshold: 3})
	for i := 0; i < 5; i++ {
		_ = x.Add(fmt.Sprint(i), "c", 1, [][]float32{axis(i)})
	}
	data := x.encode()
	f.Add(data[4 : len(data)-4])
	f.Fuzz(func(t *testing.T, body []byte) {
		y, err := decodeBody(body, testSpace, Options{})
		if err != nil {
			return
		}
		if _, err := y.Search(axis(0), 3, Filter{}, nil); err != nil {
			t.Fatal(err)
		}
	})
}

// TestHNSWParallelBuild builds a graph on two goroutines (run it with
// -race) and checks the graph's invariants and its recall.
func TestHNSWParallelBuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	const n, dim, k = 6000, 24, 10
	vs := clustered(rng, n, dim, 50, 0.5)
	flat := make([]float32, 0, n*dim)
	for _, v := range vs {
		flat = append(flat, v...)
	}
	g := buildHNSW(flat, dim, n, 2, Options{M: 12, EfConstruction: 80, Seed: 5}.withDefaults())
	if g.locks != nil {
		t.Error("per-node locks kept after the build")
	}
	if int(g.levels[g.entry]) != g.top {
		t.Errorf("entry %d has level %d, top is %d", g.entry, g.levels[g.entry], g.top)
	}
	for id := range int32(n) {
		for l := 0; l <= int(g.levels[id]); l++ {
			ns := g.neighbours(id, l)
			if l == 0 && len(ns) == 0 && n > 1 {
				t.Fatalf("node %d has no neighbours on layer 0", id)
			}
			seen := map[int32]bool{}
			for _, nb := range ns {
				switch {
				case nb == id:
					t.Fatalf("node %d links to itself on layer %d", id, l)
				case seen[nb]:
					t.Fatalf("node %d links to %d twice on layer %d", id, nb, l)
				case int(g.levels[nb]) < l:
					t.Fatalf("node %d links to %d on layer %d above its level", id, nb, l)
				}
				seen[nb] = true
			}
		}
	}
	queries := clustered(rng, 100, dim, 50, 0.5)
	found := 0
	for _, q := range queries {
		want := map[int32]bool{}
		for _, i := range bruteTop(vs, q, k) {
			want[int32(i)] = true
		}
		got := 0
		g.search(flat, q, 64, func(id int32, _ float32) {
			if got < k && want[id] {
				found++
			}
			got++
		})
	}
	recall := float64(found) / float64(len(queries)*k)
	t.Logf("parallel build recall@10 = %.3f", recall)
	if recall < 0.95 {
		t.Errorf("parallel build recall@10 = %.3f, want ≥ 0.95", recall)
	}
}

// TestCompactDoesNotBlockSearches parks a compaction between building its
// graph and swapping it in, searches and changes the index meanwhile, and
// checks that the compacted index reflects every change.
func TestCompactDoesNotBlockSearches(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	const n, dim, k = 3000, 16, 10
	vs := clustered(rng, n+100, dim, 30, 0.5)
	space := Space{Name: "t", Version: "1", Dim: dim}
	x := NewIndex(space, Options{HNSWThreshold: 1000, CompactRatio: 0.9, Seed: 1})
	live := map[string][]float32{}
	add := func(sku string, v []float32) {
		t.Helper()
		if err := x.Add(sku, "", 0, [][]float32{v}); err != nil {
			t.Fatal(err)
		}
		live[sku] = v
	}
	remove := func(sku string) {
		t.Helper()
		if !x.Remove(sku) {
			t.Fatalf("remove %s: not indexed", sku)
		}
		delete(live, sku)
	}
	for i := 0; i < n; i++ {
		add(fmt.Sprint(i), vs[i])
	}
	for i := 0; i < 600; i++ {
		remove(fmt.Sprint(i))
	}

	parked, release, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	x.rebuildHook = func() {
		close(parked)
		<-release
	}
	go func() {
		x.Compact()
		close(done)
	}()
	<-parked
	if !x.mu.TryRLock() {
		t.Fatal("the index is write-locked while the compaction builds")
	}
	x.mu.RUnlock()
	// Searches, adds, replacements and removes all proceed now.
	if hits, err := x.Search(vs[1000], k, Filter{}, nil); err != nil || len(hits) != k || hits[0].SKU != "1000" {
		t.Fatalf("search during compaction: %v %v", hits, err)
	}
	for i := n; i < n+50; i++ {
		add(fmt.Sprint(i), vs[i])
	}
	for i := 600; i < 700; i++ {
		remove(fmt.Sprint(i))
	}
	add("1500", vs[n+60]) // replaced: its old vector must not match any more
	remove(fmt.Sprint(n + 10))
	close(release)
	<-done

	st := x.Stats()
	// Vectors removed or replaced during the compaction are its only dead.
	if st.Products != len(live) || st.Vectors != len(live) || st.DeadVectors != 100+1 || !st.Approximate {
		t.Errorf("stats after compaction: %+v, want %d live and 101 dead", st, len(live))
	}
	var skus []string
	var lvs [][]float32
	for sku, v := range live {
		skus = append(skus, sku)
		lvs = append(lvs, v)
	}
	found := 0
	for qi := 0; qi < 100; qi++ {
		q := vs[rng.IntN(n+50)]
		hits, err := x.Search(q, k, Filter{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for _, i := range bruteTop(lvs, q, k) {
			want[skus[i]] = true
		}
		for _, h := range hits {
			if _, ok := live[h.SKU]; !ok {
				t.Fatalf("removed product %s returned", h.SKU)
			}
			if want[h.SKU] {
				found++
			}
		}
	}
	if recall := float64(found) / 1000; recall < 0.95 {
		t.Errorf("recall@10 after compaction = %.3f, want ≥ 0.95", recall)
	}
	for _, sku := range []string{"1500", fmt.Sprint(n + 20)} {
		hits, _ := x.Search(live[sku], 1, Filter{}, nil)
		if len(hits) != 1 || hits[0].SKU != sku {
			t.Errorf("product %s changed during the compaction: top hit %+v", sku, hits)
		}
	}
}

// TestEfSearchForGraphSize: the default candidate list grows with the
// graph (recall@10 at 1M needs 384), and a configured one always wins.
func TestEfSearchForGraphSize(t *testing.T) {
	for _, c := range []struct {
		ef, n, want int
	}{
		{0, 10_000, DefaultEfSearch},
		{0, LargeGraphVectors - 1, DefaultEfSearch},
		{0, LargeGraphVectors, LargeEfSearch},
		{0, 1_000_000, LargeEfSearch},
		{200, 10, 200},
		{200, 1_000_000, 200},
	} {
		if got := (Options{EfSearch: c.ef}).withDefaults().efSearchFor(c.n); got != c.want {
			t.Errorf("EfSearch %d, %d vectors: ef %d, want %d", c.ef, c.n, got, c.want)
		}
	}
}
