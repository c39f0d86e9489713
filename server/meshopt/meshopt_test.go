package meshopt

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// grid returns an n×n-quad plane in z=0 over [0,1]², with UVs equal to x,y.
func grid(n int) Mesh {
	var m Mesh
	for y := 0; y <= n; y++ {
		for x := 0; x <= n; x++ {
			fx, fy := float32(x)/float32(n), float32(y)/float32(n)
			m.Positions = append(m.Positions, [3]float32{fx, fy, 0})
			m.Normals = append(m.Normals, [3]float32{0, 0, 1})
			m.UVs = append(m.UVs, [2]float32{fx, fy})
		}
	}
	at := func(x, y int) uint32 { return uint32(y*(n+1) + x) }
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			m.Indices = append(m.Indices, at(x, y), at(x+1, y), at(x+1, y+1), at(x, y), at(x+1, y+1), at(x, y+1))
		}
	}
	return m
}

// sphere returns a UV sphere of radius r with a UV seam along one meridian
// (the first and last columns are separate vertices at equal positions)
// and single vertices at the poles fans.
func sphere(r float32, rings, segments int) Mesh {
	var m Mesh
	for i := 0; i <= rings; i++ {
		theta := math.Pi * float64(i) / float64(rings)
		for j := 0; j <= segments; j++ {
			phi := 2 * math.Pi * float64(j%segments) / float64(segments)
			n := [3]float32{float32(math.Sin(theta) * math.Cos(phi)), float32(math.Cos(theta)), float32(math.Sin(theta) * math.Sin(phi))}
			if i == 0 || i == rings {
				n = [3]float32{0, float32(math.Cos(theta)), 0}
			}
			m.Positions = append(m.Positions, [3]float32{n[0] * r, n[1] * r, n[2] * r})
			m.Normals = append(m.Normals, n)
			m.UVs = append(m.UVs, [2]float32{float32(j) / float32(segments), float32(i) / float32(rings)})
		}
	}
	at := func(i, j int) uint32 { return uint32(i*(segments+1) + j) }
	for i := 0; i < rings; i++ {
		for j := 0; j < segments; j++ {
			a, b, c, d := at(i, j), at(i, j+1), at(i+1, j+1), at(i+1, j)
			if i != 0 {
				m.Indices = append(m.Indices, a, c, b)
			}
			if i != rings-1 {
				m.Indices = append(m.Indices, a, d, c)
			}
		}
	}
	return m
}

// positionEdges counts directed edges between welded positions.
func positionEdges(m Mesh, indices []uint32) map[[2][3]float32]int {
	edges := map[[2][3]float32]int{}
	for i := 0; i < len(indices); i += 3 {
		for k := range 3 {
			a, b := m.Positions[indices[i+k]], m.Positions[indices[i+(k+1)%3]]
			edges[[2][3]float32{a, b}]++
		}
	}
	return edges
}

func TestSimplifyPlaneKeepsBorder(t *testing.T) {
	for _, lock := range []bool{false, true} {
		m := grid(32)
		res, err := Simplify(m, SimplifyOptions{TargetRatio: 0.1, LockBorder: lock})
		if err != nil {
			t.Fatal(err)
		}
		tris := len(res.Indices) / 3
		if tris >= len(m.Indices)/3/2 {
			t.Errorf("lock=%v: %d triangles left of %d; a flat plane should simplify far", lock, tris, len(m.Indices)/3)
		}
		// Every open edge of the result lies on the square's outline, and
		// the outline's length is still 4.
		edges := positionEdges(m, res.Indices)
		perimeter := 0.0
		for e := range edges {
			if edges[[2][3]float32{e[1], e[0]}] > 0 {
				continue
			}
			onOutline := (e[0][0] == e[1][0] && (e[0][0] == 0 || e[0][0] == 1)) || (e[0][1] == e[1][1] && (e[0][1] == 0 || e[0][1] == 1))
			if !onOutline {
				t.Fatalf("lock=%v: open edge %v is not on the plane's border", lock, e)
			}
			perimeter += math.Hypot(float64(e[1][0]-e[0][0]), float64(e[1][1]-e[0][1]))
		}
		if math.Abs(perimeter-4) > 1e-5 {
			t.Errorf("lock=%v: border length %g, want 4", lock, perimeter)
		}
		if lock {
			used := map[uint32]bool{}
			for _, v := range res.Indices {
				used[v] = true
			}
			for i, p := range m.Positions {
				if (p[0] == 0 || p[0] == 1 || p[1] == 0 || p[1] == 1) && !used[uint32(i)] {
					t.Fatalf("LockBorder: border vertex %d %v was removed", i, p)
				}
			}
		}
	}
}

func TestSimplifyHitsTarget(t *testing.T) {
	m := sphere(1, 48, 96)
	total := len(m.Indices) / 3
	for _, ratio := range []float64{0.5, 0.25, 0.1, 0.03} {
		res, err := Simplify(m, SimplifyOptions{TargetRatio: ratio})
		if err != nil {
			t.Fatal(err)
		}
		got := len(res.Indices) / 3
		want := int(float64(total) * ratio)
		if got > want*11/10+4 || got < want*9/10 {
			t.Errorf("ratio %g: %d triangles, want %d ±10%%", ratio, got, want)
		}
	}
}

func TestSimplifySphereErrorBound(t *testing.T) {
	m := sphere(1, 48, 96)
	for _, bound := range []float64{0.002, 0.01, 0.03} {
		res, err := Simplify(m, SimplifyOptions{TargetRatio: 0.01, TargetError: bound})
		if err != nil {
			t.Fatal(err)
		}
		if res.Error > bound {
			t.Errorf("bound %g: reported error %g exceeds it", bound, res.Error)
		}
		// Deviation of the surface: the centroid of each triangle lies
		// inside the sphere by at most a small multiple of the bound
		// (extent 2, so bound·2 is the allowed distance in metres).
		worst := 0.0
		for i := 0; i < len(res.Indices); i += 3 {
			var c [3]float64
			for k := range 3 {
				p := m.Positions[res.Indices[i+k]]
				for a := range 3 {
					c[a] += float64(p[a]) / 3
				}
			}
			worst = math.Max(worst, 1-math.Sqrt(c[0]*c[0]+c[1]*c[1]+c[2]*c[2]))
		}
		if worst > 4*bound*2 {
			t.Errorf("bound %g: a triangle centroid is %g inside the unit sphere", bound, worst)
		}
		if len(res.Indices) >= len(m.Indices) && bound >= 0.01 {
			t.Errorf("bound %g: nothing was simplified", bound)
		}
	}
}

func TestSimplifyKeepsSeamsWatertight(t *testing.T) {
	m := sphere(1, 24, 48)
	if e := positionEdges(m, m.Indices); len(e) == 0 {
		t.Fatal("no edges")
	}
	res, err := Simplify(m, SimplifyOptions{TargetRatio: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Seam == 0 {
		t.Fatal("the UV seam was not detected")
	}
	edges := positionEdges(m, res.Indices)
	for e, n := range edges {
		if edges[[2][3]float32{e[1], e[0]}] != n {
			t.Fatalf("edge %v has no matching opposite edge: the seam or surface cracked", e)
		}
	}
	// UVs across the seam stay on their own side: no triangle spans
	// more than half the texture horizontally.
	for i := 0; i < len(res.Indices); i += 3 {
		lo, hi := float32(2), float32(-1)
		for k := range 3 {
			u := m.UVs[res.Indices[i+k]][0]
			lo, hi = min(lo, u), max(hi, u)
		}
		if hi-lo > 0.5 {
			t.Fatalf("triangle %d spans u %g..%g: it crosses the UV seam", i/3, lo, hi)
		}
	}
}

func TestSimplifyDeterministic(t *testing.T) {
	m := sphere(1, 16, 32)
	a, err := Simplify(m, SimplifyOptions{TargetRatio: 0.3})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Simplify(m, SimplifyOptions{TargetRatio: 0.3})
	if !slices.Equal(a.Indices, b.Indices) {
		t.Fatal("two runs gave different results")
	}
}

func TestSimplifyRejects(t *testing.T) {
	for name, m := range map[string]Mesh{
		"not triangles": {Positions: make([][3]float32, 3), Indices: []uint32{0, 1}},
		"out of range":  {Positions: make([][3]float32, 3), Indices: []uint32{0, 1, 3}},
		"normals":       {Positions: make([][3]float32, 3), Normals: make([][3]float32, 2), Indices: []uint32{0, 1, 2}},
		"NaN":           {Positions: [][3]float32{{float32(math.NaN()), 0, 0}, {}, {}}, Indices: []uint32{0, 1, 2}},
	} {
		if _, err := Simplify(m, SimplifyOptions{TargetRatio: 0.5}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	if _, err := Simplify(grid(2), SimplifyOptions{TargetRatio: 1.5}); !errors.Is(err, ErrInvalid) {
		t.Errorf("ratio 1.5: got %v, want ErrInvalid", err)
	}
}

func TestVertexCacheImprovesACMR(t *testing.T) {
	m := grid(64)
	tris := len(m.Indices) / 3
	rng := rand.New(rand.NewPCG(1, 2))
	shuffled := make([]uint32, 0, len(m.Indices))
	for _, t := range rng.Perm(tris) {
		shuffled = append(shuffled, m.Indices[3*t:3*t+3]...)
	}
	before := ACMR(shuffled, len(m.Positions), 16)
	opt, err := OptimizeVertexCache(shuffled, len(m.Positions))
	if err != nil {
		t.Fatal(err)
	}
	after := ACMR(opt, len(m.Positions), 16)
	if !(after < before*0.5) || after > 0.9 {
		t.Errorf("ACMR %.3f → %.3f; want at most half and under 0.9", before, after)
	}
	// Same triangles, same windings.
	canon := func(ix []uint32) [][3]uint32 {
		var out [][3]uint32
		for i := 0; i < len(ix); i += 3 {
			a, b, c := ix[i], ix[i+1], ix[i+2]
			for a > b || a > c {
				a, b, c = b, c, a
			}
			out = append(out, [3]uint32{a, b, c})
		}
		slices.SortFunc(out, func(x, y [3]uint32) int { return slices.Compare(x[:], y[:]) })
		return out
	}
	if !slices.Equal(canon(shuffled), canon(opt)) {
		t.Fatal("cache optimisation changed the triangle set")
	}
}

func TestACMRKnownAnswers(t *testing.T) {
	tests := []struct {
		name    string
		indices []uint32
		want    float64
	}{
		{"one triangle", []uint32{0, 1, 2}, 3},
		{"strip of two", []uint32{0, 1, 2, 2, 1, 3}, 2},
		{"repeated", []uint32{0, 1, 2, 0, 1, 2}, 1.5},
	}
	for _, tt := range tests {
		if got := ACMR(tt.indices, 4, 16); got != tt.want {
			t.Errorf("%s: ACMR %g, want %g", tt.name, got, tt.want)
		}
	}
}

func TestOptimizeVertexFetch(t *testing.T) {
	indices := []uint32{5, 2, 7, 7, 2, 0}
	remap, used, err := OptimizeVertexFetch(indices, 8)
	if err != nil {
		t.Fatal(err)
	}
	if used != 4 || !slices.Equal(indices, []uint32{0, 1, 2, 2, 1, 3}) {
		t.Fatalf("got %v (%d used)", indices, used)
	}
	vals := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	if got := Gather(vals, remap, used); !slices.Equal(got, []string{"f", "c", "h", "a"}) {
		t.Fatalf("Gather = %v", got)
	}
}

func TestPositionGrid(t *testing.T) {
	pts := [][3]float32{{-1, 0, 2}, {3, 0.5, 2.25}, {0.123, 0.456, 2.1}}
	g, err := NewPositionGrid(14, pts)
	if err != nil {
		t.Fatal(err)
	}
	// The step is the extent over 16383 rounded up to three significant
	// digits; offsets are short decimals at or below the minimum.
	if exact := 4.0 / 16383; g.Step < exact || g.Step > exact*1.01 {
		t.Fatalf("step %g, want within 1%% above %g", g.Step, exact)
	}
	if text := strconv.FormatFloat(g.Step, 'f', -1, 64); text != "0.000245" {
		t.Errorf("step encodes as %s, want 0.000245", text)
	}
	for c, lo := range [3]float64{-1, 0, 2} {
		if g.Offset[c] > lo || len(strconv.FormatFloat(g.Offset[c], 'f', -1, 64)) > 8 {
			t.Errorf("offset %d is %v for a minimum of %v", c, g.Offset[c], lo)
		}
	}
	for _, p := range pts {
		d := g.Dequantize(g.Quantize(p))
		for c := range 3 {
			if math.Abs(d[c]-float64(p[c])) > g.Step/2+1e-7 {
				t.Errorf("%v → %v: off by more than half a step", p, d)
			}
		}
	}
	if _, err := NewPositionGrid(17, pts); !errors.Is(err, ErrInvalid) {
		t.Error("17 bits accepted")
	}
}

func TestQuantizeNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 1000 {
		n := [3]float32{float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())}
		q := QuantizeNormal(n)
		l := math.Sqrt(float64(q[0])*float64(q[0])+float64(q[1])*float64(q[1])+float64(q[2])*float64(q[2])) / 127
		if math.Abs(l-1) > 0.006 {
			t.Fatalf("%v → %v has length %g", n, q, l)
		}
	}
	if got := QuantizeSnorm8(-1); got != -127 {
		t.Errorf("QuantizeSnorm8(-1) = %d", got)
	}
	if got := QuantizeUnorm16(1); got != 65535 {
		t.Errorf("QuantizeUnorm16(1) = %d", got)
	}
}

func BenchmarkSimplifySphere(b *testing.B) {
	m := sphere(1, 256, 512)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Simplify(m, SimplifyOptions{TargetRatio: 0.1}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(m.Indices)/3), "triangles")
}

func TestSimplifySloppyReachesTarget(t *testing.T) {
	// Many small closed boxes with split normals: edge collapse locks
	// their corners, clustering does not.
	var m Mesh
	for b := range 200 {
		ox := float32(b%20) * 0.05
		oy := float32(b/20) * 0.05
		s := sphere(0.02, 6, 8)
		base := uint32(len(m.Positions))
		for _, p := range s.Positions {
			m.Positions = append(m.Positions, [3]float32{p[0] + ox, p[1] + oy, p[2]})
		}
		for _, ix := range s.Indices {
			m.Indices = append(m.Indices, ix+base)
		}
	}
	for _, target := range []int{3000, 900, 300} {
		out, cell, err := SimplifySloppy(m, target)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) > target || len(out) < target/4 {
			t.Errorf("target %d: got %d indices", target, len(out))
		}
		if !(cell > 0 && cell <= 1) {
			t.Errorf("target %d: cell size %g", target, cell)
		}
		for _, v := range out {
			if int(v) >= len(m.Positions) {
				t.Fatal("index out of range")
			}
		}
	}
}

// BenchmarkOptimizeVertexCache orders a 262,144-triangle sphere whose
// triangles were shuffled, and reports the ACMR reached with 16- and
// 32-entry FIFO caches.
func BenchmarkOptimizeVertexCache(b *testing.B) {
	m := sphere(1, 256, 512)
	rng := rand.New(rand.NewPCG(5, 6))
	shuffled := make([]uint32, 0, len(m.Indices))
	for _, t := range rng.Perm(len(m.Indices) / 3) {
		shuffled = append(shuffled, m.Indices[3*t:3*t+3]...)
	}
	var out []uint32
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if out, err = OptimizeVertexCache(shuffled, len(m.Positions)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(ACMR(out, len(m.Positions), 16), "ACMR16")
	b.ReportMetric(ACMR(out, len(m.Positions), 32), "ACMR32")
}

// TestSortCollapsesOrdersByCostThenIndex checks the radix sort against
// the order it must give: increasing float32 cost, ties by index.
func TestSortCollapsesOrdersByCostThenIndex(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cs := make([]collapse, 5000)
	for i := range cs {
		switch i % 4 {
		case 0:
			cs[i].cost = float64(rng.IntN(50)) // many ties
		case 1:
			cs[i].cost = rng.Float64() * 1e-6
		case 2:
			cs[i].cost = rng.ExpFloat64() * 1e3
		default:
			cs[i].cost = math.Inf(1)
		}
	}
	var s simplifier
	got := slices.Clone(s.sortCollapses(cs))
	want := make([]int, len(cs))
	for i := range want {
		want[i] = i
	}
	slices.SortStableFunc(want, func(a, b int) int {
		return cmpFloat32(float32(cs[a].cost), float32(cs[b].cost))
	})
	if !slices.Equal(got, want) {
		t.Fatal("radix order differs from sorting by float32 cost, ties by index")
	}
}

func cmpFloat32(a, b float32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestSimplifyIgnoresUnusedVertices checks that vertices no triangle uses
// change nothing: the result on a mesh padded with unused vertices is the
// result on the mesh alone, in the padded numbering.
func TestSimplifyIgnoresUnusedVertices(t *testing.T) {
	m := sphere(1, 16, 32)
	opt := SimplifyOptions{TargetRatio: 0.2}
	want, err := Simplify(m, opt)
	if err != nil {
		t.Fatal(err)
	}
	// Interleave an unused vertex before each used one.
	var padded Mesh
	for i := range m.Positions {
		padded.Positions = append(padded.Positions, [3]float32{9, 9, float32(i)}, m.Positions[i])
		padded.Normals = append(padded.Normals, [3]float32{0, 0, 1}, m.Normals[i])
		padded.UVs = append(padded.UVs, [2]float32{}, m.UVs[i])
	}
	for _, v := range m.Indices {
		padded.Indices = append(padded.Indices, 2*v+1)
	}
	got, err := Simplify(padded, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Indices) != len(want.Indices) {
		t.Fatalf("%d indices, want %d", len(got.Indices), len(want.Indices))
	}
	for i, v := range got.Indices {
		if v != 2*want.Indices[i]+1 {
			t.Fatalf("index %d is %d, want %d", i, v, 2*want.Indices[i]+1)
		}
	}
}
