package meshopt

import (
	"fmt"
	"math"
	"slices"
)

// SimplifySloppy reduces indices to at most targetIndexCount indices by
// vertex clustering, ignoring topology: positions are snapped to a uniform
// grid whose resolution is searched so that the surviving triangle count
// comes closest to the target from below (or, for a part that would
// vanish, draws the fewest triangles above zero), each grid cell keeps the vertex
// nearest its cell's mean position, and triangles that collapse or repeat
// are dropped. It reaches targets that edge collapse cannot (meshes of
// many small closed parts, hard edges everywhere) at the cost of
// fidelity, so it suits only the coarsest level of detail. It returns the
// triangle list and the cell size relative to the mesh extent.
func SimplifySloppy(m Mesh, targetIndexCount int) ([]uint32, float64, error) {
	if err := validate(m); err != nil {
		return nil, 0, err
	}
	if targetIndexCount < 0 {
		return nil, 0, fmt.Errorf("%w: negative target", ErrInvalid)
	}
	if len(m.Indices) <= targetIndexCount {
		return slices.Clone(m.Indices), 0, nil
	}
	used := make([]bool, len(m.Positions))
	for _, v := range m.Indices {
		used[v] = true
	}
	lo, hi := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}, [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for i, p := range m.Positions {
		if !used[i] {
			continue
		}
		for c := range 3 {
			lo[c] = math.Min(lo[c], float64(p[c]))
			hi[c] = math.Max(hi[c], float64(p[c]))
		}
	}
	extent := math.Max(hi[0]-lo[0], math.Max(hi[1]-lo[1], hi[2]-lo[2]))
	if !(extent > 0) {
		return []uint32{}, 0, nil
	}
	cells := make([]uint64, len(m.Positions))
	assign := func(grid int) {
		g := float64(grid)
		for i, p := range m.Positions {
			if !used[i] {
				continue
			}
			var key uint64
			for c := range 3 {
				q := uint64(math.Min(g-1, math.Floor((float64(p[c])-lo[c])/extent*g)))
				key = key<<21 | q
			}
			cells[i] = key
		}
	}
	count := func() int {
		n := 0
		for i := 0; i < len(m.Indices); i += 3 {
			a, b, c := cells[m.Indices[i]], cells[m.Indices[i+1]], cells[m.Indices[i+2]]
			if a != b && b != c && a != c {
				n += 3
			}
		}
		return n
	}
	// Largest grid whose surviving count is within the target.
	best := 1
	low, high := 1, 1<<20
	for low <= high {
		mid := low + (high-low)/2
		assign(mid)
		if count() <= targetIndexCount {
			best, low = mid, mid+1
		} else {
			high = mid - 1
		}
	}
	assign(best)
	if count() == 0 {
		// A part too small for the target vanishes at every grid within
		// it: keep the coarsest grid that still draws something instead.
		low, high = best+1, 1<<20
		for low <= high {
			mid := low + (high-low)/2
			assign(mid)
			if count() > 0 {
				best, high = mid, mid-1
			} else {
				low = mid + 1
			}
		}
		assign(best)
	}
	// Representative per cell: the vertex nearest the cell's mean.
	type acc struct {
		sum [3]float64
		n   int
		rep uint32
		d   float64
	}
	byCell := map[uint64]*acc{}
	for i, p := range m.Positions {
		if !used[i] {
			continue
		}
		a := byCell[cells[i]]
		if a == nil {
			a = &acc{d: math.Inf(1)}
			byCell[cells[i]] = a
		}
		for c := range 3 {
			a.sum[c] += float64(p[c])
		}
		a.n++
	}
	for i, p := range m.Positions {
		if !used[i] {
			continue
		}
		a := byCell[cells[i]]
		d := 0.0
		for c := range 3 {
			x := float64(p[c]) - a.sum[c]/float64(a.n)
			d += x * x
		}
		if d < a.d {
			a.d, a.rep = d, uint32(i)
		}
	}
	out := make([]uint32, 0, targetIndexCount)
	seen := map[[3]uint32]bool{}
	for i := 0; i < len(m.Indices); i += 3 {
		ca, cb, cc := cells[m.Indices[i]], cells[m.Indices[i+1]], cells[m.Indices[i+2]]
		if ca == cb || cb == cc || ca == cc {
			continue
		}
		t := [3]uint32{byCell[ca].rep, byCell[cb].rep, byCell[cc].rep}
		key := t
		for key[0] > key[1] || key[0] > key[2] {
			key = [3]uint32{key[1], key[2], key[0]}
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, t[0], t[1], t[2])
	}
	return out, 1 / float64(best), nil
}
