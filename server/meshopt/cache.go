package meshopt

import (
	"fmt"
	"math"
)

// Forsyth's vertex cache optimisation parameters ("Linear-Speed Vertex
// Cache Optimisation", Tom Forsyth, 2006).
const (
	forsythCacheSize    = 16
	forsythDecayPower   = 1.5
	forsythLastTriScore = 0.75
	forsythValenceScale = 2.0
	forsythValencePower = 0.5
	// forsythMaxValence caps the valence the score table covers.
	forsythMaxValence = 64
)

var (
	cacheScores   [forsythCacheSize]float64
	valenceScores [forsythMaxValence + 1]float64
)

func init() {
	for i := range cacheScores {
		if i < 3 {
			cacheScores[i] = forsythLastTriScore
		} else {
			cacheScores[i] = math.Pow(1-float64(i-3)/float64(forsythCacheSize-3), forsythDecayPower)
		}
	}
	for v := 1; v <= forsythMaxValence; v++ {
		valenceScores[v] = forsythValenceScale * math.Pow(float64(v), -forsythValencePower)
	}
}

func vertexScore(cachePos, valence int) float64 {
	if valence == 0 {
		return -1
	}
	s := valenceScores[min(valence, forsythMaxValence)]
	if cachePos >= 0 {
		s += cacheScores[cachePos]
	}
	return s
}

// OptimizeVertexCache reorders the triangles of indices (a triangle list
// over vertexCount vertices) so that a post-transform vertex cache reuses
// vertices often, using Forsyth's greedy scoring over a 16-entry LRU
// cache. It returns a new slice; each triangle keeps its winding.
func OptimizeVertexCache(indices []uint32, vertexCount int) ([]uint32, error) {
	if err := checkIndices(indices, vertexCount); err != nil {
		return nil, err
	}
	triCount := len(indices) / 3
	if triCount == 0 {
		return []uint32{}, nil
	}
	// Triangles around each vertex (CSR), with the live count in valence.
	offsets := make([]int32, vertexCount+1)
	for _, v := range indices {
		offsets[v+1]++
	}
	for i := 1; i <= vertexCount; i++ {
		offsets[i] += offsets[i-1]
	}
	valence := make([]int32, vertexCount)
	adj := make([]uint32, len(indices))
	for t := 0; t < triCount; t++ {
		for k := range 3 {
			v := indices[3*t+k]
			adj[offsets[v]+valence[v]] = uint32(t)
			valence[v]++
		}
	}
	score := make([]float64, vertexCount)
	cachePos := make([]int32, vertexCount)
	for v := range score {
		cachePos[v] = -1
		score[v] = vertexScore(-1, int(valence[v]))
	}
	triScore := make([]float64, triCount)
	for t := range triScore {
		triScore[t] = score[indices[3*t]] + score[indices[3*t+1]] + score[indices[3*t+2]]
	}
	emitted := make([]bool, triCount)
	out := make([]uint32, 0, len(indices))
	cache := make([]uint32, 0, forsythCacheSize+3)
	next := make([]uint32, 0, forsythCacheSize+3)
	best := -1
	cursor := 0
	for len(out) < len(indices) {
		if best < 0 {
			for cursor < triCount && emitted[cursor] {
				cursor++
			}
			best = cursor
		}
		t := best
		emitted[t] = true
		tri := [3]uint32{indices[3*t], indices[3*t+1], indices[3*t+2]}
		out = append(out, tri[0], tri[1], tri[2])
		// Remove t from its vertices' live lists.
		for _, v := range tri {
			list := adj[offsets[v] : offsets[v]+valence[v]]
			for i, x := range list {
				if x == uint32(t) {
					list[i] = list[len(list)-1]
					break
				}
			}
			valence[v]--
		}
		// New cache: the triangle's vertices first, then the old order.
		next = append(next[:0], tri[:]...)
		for _, v := range cache {
			if v != tri[0] && v != tri[1] && v != tri[2] {
				next = append(next, v)
			}
		}
		for _, v := range cache {
			cachePos[v] = -1
		}
		cache, next = next, cache
		for i, v := range cache {
			if i < forsythCacheSize {
				cachePos[v] = int32(i)
			}
		}
		// Rescore the vertices that moved (including those just evicted)
		// and the live triangles around them; pick the best.
		best = -1
		bestScore := -1.0
		for _, v := range cache {
			newScore := vertexScore(int(cachePos[v]), int(valence[v]))
			diff := newScore - score[v]
			score[v] = newScore
			for _, lt := range adj[offsets[v] : offsets[v]+valence[v]] {
				triScore[lt] += diff
				if triScore[lt] > bestScore || (triScore[lt] == bestScore && int(lt) < best) {
					best, bestScore = int(lt), triScore[lt]
				}
			}
		}
		if len(cache) > forsythCacheSize {
			cache = cache[:forsythCacheSize]
		}
	}
	return out, nil
}

// ACMR returns the average cache miss ratio of drawing indices with a FIFO
// post-transform cache of cacheSize entries: vertex shader invocations per
// triangle (1 when every triangle shares two vertices with the last ones;
// 3 with no reuse). It returns 0 for an empty list.
func ACMR(indices []uint32, vertexCount, cacheSize int) float64 {
	if len(indices) < 3 || cacheSize < 1 {
		return 0
	}
	stamp := make([]int, vertexCount)
	for i := range stamp {
		stamp[i] = -1 << 62
	}
	misses, clock := 0, 0
	for _, v := range indices {
		if int(v) >= vertexCount {
			continue
		}
		if clock-stamp[v] > cacheSize {
			stamp[v] = clock
			clock++
			misses++
		}
	}
	return float64(misses) / float64(len(indices)/3)
}

// OptimizeVertexFetch renumbers vertices in the order indices first use
// them, so that vertex fetches walk memory forward. It rewrites indices in
// place and returns remap, with remap[old] the new index of vertex old or
// -1 when no triangle uses it, and the count of used vertices.
func OptimizeVertexFetch(indices []uint32, vertexCount int) (remap []int32, used int, err error) {
	if err := checkIndices(indices, vertexCount); err != nil {
		return nil, 0, err
	}
	remap = make([]int32, vertexCount)
	for i := range remap {
		remap[i] = -1
	}
	for i, v := range indices {
		if remap[v] < 0 {
			remap[v] = int32(used)
			used++
		}
		indices[i] = uint32(remap[v])
	}
	return remap, used, nil
}

// Gather returns the elements of values in their new order after
// OptimizeVertexFetch: out[remap[i]] = values[i] for each used vertex i.
func Gather[T any](values []T, remap []int32, used int) []T {
	if values == nil {
		return nil
	}
	out := make([]T, used)
	for i, r := range remap {
		if r >= 0 && i < len(values) {
			out[r] = values[i]
		}
	}
	return out
}

func checkIndices(indices []uint32, vertexCount int) error {
	if vertexCount < 0 || vertexCount > MaxVertices || len(indices) > MaxIndices {
		return fmt.Errorf("%w: %d vertices and %d indices exceed the bounds %d and %d", ErrInvalid, vertexCount, len(indices), MaxVertices, MaxIndices)
	}
	if len(indices)%3 != 0 {
		return fmt.Errorf("%w: %d indices is not a multiple of 3", ErrInvalid, len(indices))
	}
	for i, v := range indices {
		if int(v) >= vertexCount {
			return fmt.Errorf("%w: index %d is %d, beyond the %d vertices", ErrInvalid, i, v, vertexCount)
		}
	}
	return nil
}
