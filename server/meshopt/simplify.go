package meshopt

import (
	"fmt"
	"math"
	"slices"
)

// Mesh is an indexed triangle list. Normals and UVs are optional (nil) and
// otherwise hold one entry per position; they steer simplification (a
// collapse that would smear a normal or stretch a texture costs more) but
// are not modified: the simplifier only ever moves a vertex onto another
// existing vertex, so every attribute a caller keeps alongside stays valid.
type Mesh struct {
	Positions [][3]float32
	Normals   [][3]float32
	UVs       [][2]float32
	Indices   []uint32
}

// SimplifyOptions controls Simplify.
type SimplifyOptions struct {
	// TargetRatio is the fraction of triangles to keep, in (0,1]; it is
	// used when TargetIndexCount is 0.
	TargetRatio float64
	// TargetIndexCount is the index count (three per triangle) to reach.
	TargetIndexCount int
	// TargetError bounds the geometric deviation, relative to the mesh's
	// largest extent (0.01 is 1% of it): no collapse exceeds it. Attribute
	// error ranks collapses but is not bounded.
	// 0 means no bound: stop only at the target count or when nothing more
	// can collapse.
	TargetError float64
	// LockBorder forbids moving any vertex on an open border, so that the
	// mesh's outline is kept exactly (useful when pieces must stay joined).
	// Otherwise border vertices may only slide along their border.
	LockBorder bool
	// NormalWeight and UVWeight scale how much attribute change costs
	// against geometric change; 0 means the defaults (0.5 and 1.0).
	NormalWeight, UVWeight float64
}

// SimplifyResult is what Simplify returns.
type SimplifyResult struct {
	// Indices is the simplified triangle list, referring to the input's
	// vertices.
	Indices []uint32
	// Error is the largest geometric collapse error committed (the
	// quadric's area-weighted distance), relative to the mesh extent and
	// comparable with TargetError.
	Error float64
	// Locked, Border and Seam count vertices by how they were classified.
	Locked, Border, Seam int
}

// Vertex kinds, as in meshoptimizer: a manifold vertex may move to any
// neighbour; a border vertex only along its open border to another border
// vertex; a seam vertex (two attribute wedges at one position, such as a UV
// seam or a hard edge) only along the seam, both wedges together; a locked
// vertex never moves.
const (
	kindManifold = iota
	kindBorder
	kindSeam
	kindLocked
)

// canCollapse[from][to] says whether a vertex of kind from may move onto a
// vertex of kind to.
var canCollapse = [4][4]bool{
	{true, true, true, true},
	{false, true, false, false},
	{false, false, true, false},
	{false, false, false, false},
}

// hasOpposite[k0][k1] says whether an edge between such vertices is seen
// from both triangles (so it is enumerated twice and one copy is skipped).
var hasOpposite = [4][4]bool{
	{true, true, true, true},
	{true, false, true, false},
	{true, true, true, true},
	{true, false, true, false},
}

const (
	none     = -1 // no open edge
	multiple = -2 // more than one open edge
	// borderWeight scales the plane quadrics that keep borders and seams
	// in place, relative to the surface quadrics.
	borderWeight = 10
	maxAttrs     = 5
	// flipCosine is the smallest cosine allowed between a triangle's
	// normal before and after a collapse.
	flipCosine = 0.2
)

// quadric is a symmetric 4×4 error quadric (plane distance squared) with
// the accumulated weight used to turn its error into an average.
type quadric struct {
	a00, a11, a22, a01, a02, a12 float64
	b0, b1, b2, c, w             float64
}

func (q *quadric) add(r *quadric) {
	q.a00 += r.a00
	q.a11 += r.a11
	q.a22 += r.a22
	q.a01 += r.a01
	q.a02 += r.a02
	q.a12 += r.a12
	q.b0 += r.b0
	q.b1 += r.b1
	q.b2 += r.b2
	q.c += r.c
	q.w += r.w
}

// plane returns the quadric of the plane n·p + d = 0 weighted by w.
func plane(n [3]float64, d, w float64) quadric {
	return quadric{
		a00: w * n[0] * n[0], a11: w * n[1] * n[1], a22: w * n[2] * n[2],
		a01: w * n[0] * n[1], a02: w * n[0] * n[2], a12: w * n[1] * n[2],
		b0: w * n[0] * d, b1: w * n[1] * d, b2: w * n[2] * d, c: w * d * d, w: w,
	}
}

// raw is the unnormalised error pᵀAp + 2b·p + c.
func (q *quadric) raw(p [3]float64) float64 {
	x, y, z := p[0], p[1], p[2]
	return q.a00*x*x + q.a11*y*y + q.a22*z*z + 2*(q.a01*x*y+q.a02*x*z+q.a12*y*z) +
		2*(q.b0*x+q.b1*y+q.b2*z) + q.c
}

func (q *quadric) error(p [3]float64) float64 {
	if q.w == 0 {
		return 0
	}
	return math.Abs(q.raw(p)) / q.w
}

// attrQuadric is Hoppe's attribute quadric as meshoptimizer keeps it: for
// each attribute k, the triangle's linear fit a_k ≈ g_k·p + d_k, so that
// the error of giving position p the attribute values a is
// Σ_k w (g_k·p + d_k − a_k)².
type attrQuadric struct {
	q quadric
	g [maxAttrs][3]float64
	d [maxAttrs]float64
}

func (q *attrQuadric) add(r *attrQuadric, n int) {
	q.q.add(&r.q)
	for k := 0; k < n; k++ {
		q.g[k][0] += r.g[k][0]
		q.g[k][1] += r.g[k][1]
		q.g[k][2] += r.g[k][2]
		q.d[k] += r.d[k]
	}
}

func (q *attrQuadric) error(p [3]float64, a *[maxAttrs]float64, n int) float64 {
	if q.q.w == 0 {
		return 0
	}
	r := q.q.raw(p)
	for k := 0; k < n; k++ {
		r += q.q.w*a[k]*a[k] - 2*a[k]*(q.g[k][0]*p[0]+q.g[k][1]*p[1]+q.g[k][2]*p[2]+q.d[k])
	}
	return math.Abs(r) / q.q.w
}

type collapse struct {
	v0, v1 uint32
	bidi   bool
	cost   float64 // geometric and attribute error: the ranking
	geo    float64 // geometric error alone: what TargetError bounds
}

// simplifier holds the state of one Simplify run.
type simplifier struct {
	pos      [][3]float64 // normalised to the unit box
	attrs    [][maxAttrs]float64
	nattr    int
	remap    []uint32 // canonical vertex of each position
	wedge    []uint32 // ring of vertices sharing a position
	kind     []uint8
	loop     []int32 // next vertex along an open edge, or none/multiple
	loopback []int32
	vq       []quadric     // per canonical vertex
	aq       []attrQuadric // per vertex
	// Scratch reused by every pass, so that passes allocate nothing.
	picks         []collapse
	keys          []uint64
	order         []int
	collapseRemap []uint32
	locked        []bool
	adj           triangleAdjacency
}

// Simplify reduces m's triangle count toward the target by collapsing
// edges in order of increasing quadric error, never moving a vertex off
// its border or seam, never flipping a triangle, and stopping at
// TargetError. The result refers to m's vertices (unused ones are not
// removed; see OptimizeVertexFetch).
func Simplify(m Mesh, opt SimplifyOptions) (SimplifyResult, error) {
	if err := validate(m); err != nil {
		return SimplifyResult{}, err
	}
	target := opt.TargetIndexCount
	if target == 0 {
		if !(opt.TargetRatio > 0 && opt.TargetRatio <= 1) {
			return SimplifyResult{}, fmt.Errorf("%w: target ratio %g is outside (0,1]", ErrInvalid, opt.TargetRatio)
		}
		target = int(float64(len(m.Indices)/3)*opt.TargetRatio) * 3
	}
	if target < 0 || math.IsNaN(opt.TargetError) || opt.TargetError < 0 {
		return SimplifyResult{}, fmt.Errorf("%w: negative or NaN target", ErrInvalid)
	}
	errorLimit := math.Inf(1)
	if opt.TargetError > 0 {
		errorLimit = opt.TargetError * opt.TargetError
	}
	nw, uw := opt.NormalWeight, opt.UVWeight
	if nw == 0 {
		nw = 0.5
	}
	if uw == 0 {
		uw = 1
	}
	res := SimplifyResult{}
	if len(m.Indices) <= target {
		res.Indices = slices.Clone(m.Indices)
		return res, nil
	}
	// Work on the vertices the triangles use only: a coarse level
	// simplified from a finer one's indices touches a fraction of the
	// mesh's vertices, and every per-vertex array below shrinks with it.
	m, original := compactMesh(m)
	indices := m.Indices
	s := newSimplifier(m, nw, uw, opt.LockBorder, indices)
	for _, k := range s.kind {
		switch k {
		case kindLocked:
			res.Locked++
		case kindBorder:
			res.Border++
		case kindSeam:
			res.Seam++
		}
	}
	s.fillQuadrics(indices)
	worst := 0.0
	for pass := 0; pass < 100 && len(indices) > target; pass++ {
		collapses := s.pickCollapses(indices)
		s.picks = collapses
		if len(collapses) == 0 {
			break
		}
		s.rankCollapses(collapses)
		order := s.sortCollapses(collapses)
		triangleGoal := (len(indices) - target) / 3
		edgeGoal := triangleGoal / 2
		// Each pass commits collapses up to 1.5× the cost of the one that
		// would meet the goal, as meshoptimizer does; near the end, when
		// the goal is a few dozen collapses, the bound reaches at least
		// the cheapest 1/64 of candidates, so that the last triangles go
		// in one more pass rather than a handful of passes over the whole
		// mesh that commit two or three collapses each.
		passLimit := math.Inf(1)
		if bound := max(edgeGoal, len(order)/64); bound < len(order) {
			passLimit = 1.5 * collapses[order[bound]].cost
		}
		collapseRemap, done, passWorst := s.performCollapses(indices, collapses, order, triangleGoal, passLimit, errorLimit)
		if done == 0 {
			break
		}
		worst = math.Max(worst, passWorst)
		indices = s.applyRemap(indices, collapseRemap)
		remapLoops(s.loop, collapseRemap)
		remapLoops(s.loopback, collapseRemap)
	}
	if original != nil {
		for i, v := range indices {
			indices[i] = original[v]
		}
	}
	res.Indices = indices
	res.Error = math.Sqrt(worst)
	return res, nil
}

// compactMesh returns m restricted to the vertices its indices use, in
// their original order (so that ties break as they would on m), with
// fresh indices, and the original vertex of each compact one; original is
// nil when every vertex is used and m is returned with cloned indices.
func compactMesh(m Mesh) (Mesh, []uint32) {
	local := make([]int32, len(m.Positions))
	for _, v := range m.Indices {
		local[v] = 1
	}
	used := 0
	for i, u := range local {
		if u != 0 {
			local[i] = int32(used)
			used++
		} else {
			local[i] = -1
		}
	}
	if used == len(m.Positions) {
		m.Indices = slices.Clone(m.Indices)
		return m, nil
	}
	original := make([]uint32, used)
	out := Mesh{Positions: make([][3]float32, used), Indices: make([]uint32, len(m.Indices))}
	if m.Normals != nil {
		out.Normals = make([][3]float32, used)
	}
	if m.UVs != nil {
		out.UVs = make([][2]float32, used)
	}
	for i, l := range local {
		if l < 0 {
			continue
		}
		original[l] = uint32(i)
		out.Positions[l] = m.Positions[i]
		if m.Normals != nil {
			out.Normals[l] = m.Normals[i]
		}
		if m.UVs != nil {
			out.UVs[l] = m.UVs[i]
		}
	}
	for i, v := range m.Indices {
		out.Indices[i] = uint32(local[v])
	}
	return out, original
}

func validate(m Mesh) error {
	n := len(m.Positions)
	if n > MaxVertices || len(m.Indices) > MaxIndices {
		return fmt.Errorf("%w: %d vertices and %d indices exceed the bounds %d and %d", ErrInvalid, n, len(m.Indices), MaxVertices, MaxIndices)
	}
	if len(m.Indices)%3 != 0 {
		return fmt.Errorf("%w: %d indices is not a multiple of 3", ErrInvalid, len(m.Indices))
	}
	if m.Normals != nil && len(m.Normals) != n {
		return fmt.Errorf("%w: %d normals for %d positions", ErrInvalid, len(m.Normals), n)
	}
	if m.UVs != nil && len(m.UVs) != n {
		return fmt.Errorf("%w: %d UVs for %d positions", ErrInvalid, len(m.UVs), n)
	}
	for i, ix := range m.Indices {
		if int(ix) >= n {
			return fmt.Errorf("%w: index %d is %d, beyond the %d vertices", ErrInvalid, i, ix, n)
		}
	}
	for i, p := range m.Positions {
		for _, c := range p {
			if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
				return fmt.Errorf("%w: position %d is not finite", ErrInvalid, i)
			}
		}
	}
	return nil
}

func newSimplifier(m Mesh, normalWeight, uvWeight float64, lockBorder bool, indices []uint32) *simplifier {
	n := len(m.Positions)
	s := &simplifier{pos: make([][3]float64, n)}
	lo, hi := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}, [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for _, p := range m.Positions {
		for c := range 3 {
			lo[c] = math.Min(lo[c], float64(p[c]))
			hi[c] = math.Max(hi[c], float64(p[c]))
		}
	}
	extent := math.Max(hi[0]-lo[0], math.Max(hi[1]-lo[1], hi[2]-lo[2]))
	if !(extent > 0) {
		extent = 1
	}
	for i, p := range m.Positions {
		for c := range 3 {
			s.pos[i][c] = (float64(p[c]) - lo[c]) / extent
		}
	}
	if m.Normals != nil {
		s.nattr += 3
	}
	if m.UVs != nil {
		s.nattr += 2
	}
	if s.nattr > 0 {
		s.attrs = make([][maxAttrs]float64, n)
		for i := range n {
			k := 0
			if m.Normals != nil {
				for c := range 3 {
					s.attrs[i][k] = float64(m.Normals[i][c]) * normalWeight
					k++
				}
			}
			if m.UVs != nil {
				for c := range 2 {
					s.attrs[i][k] = float64(m.UVs[i][c]) * uvWeight
					k++
				}
			}
		}
	}
	s.buildRemap(m.Positions)
	s.classify(indices, lockBorder)
	return s
}

// buildRemap maps each vertex to the first vertex with bit-identical
// position and links vertices sharing a position into wedge rings. It
// hashes into an open-addressing table at most half full.
func (s *simplifier) buildRemap(positions [][3]float32) {
	n := len(positions)
	s.remap = make([]uint32, n)
	s.wedge = make([]uint32, n)
	size := 1
	for size < 2*n {
		size <<= 1
	}
	table := make([]int32, size)
	for i := range table {
		table[i] = -1
	}
	key := func(p [3]float32) [3]uint32 {
		return [3]uint32{math.Float32bits(p[0] + 0), math.Float32bits(p[1] + 0), math.Float32bits(p[2] + 0)}
	}
	for i, p := range positions {
		k := key(p)
		h := (uint64(k[0])*73856093 ^ uint64(k[1])*19349663 ^ uint64(k[2])*83492791) * 0x9E3779B97F4A7C15
		slot := (h >> 32) & uint64(size-1)
		r := uint32(i)
		for {
			j := table[slot]
			if j < 0 {
				table[slot] = int32(i)
				break
			}
			if key(positions[j]) == k {
				r = uint32(j)
				break
			}
			slot = (slot + 1) & uint64(size-1)
		}
		s.remap[i] = r
		s.wedge[i] = uint32(i)
		if r != uint32(i) {
			s.wedge[i] = s.wedge[r]
			s.wedge[r] = uint32(i)
		}
	}
}

// edgeSet is a compact adjacency of directed edges a→b.
type edgeSet struct {
	offsets []int32
	targets []uint32
}

func newEdgeSet(n int, indices []uint32, mapv func(uint32) uint32) edgeSet {
	e := edgeSet{offsets: make([]int32, n+1), targets: make([]uint32, len(indices))}
	for i := 0; i < len(indices); i += 3 {
		for k := range 3 {
			e.offsets[mapv(indices[i+k])+1]++
		}
	}
	for i := 1; i <= n; i++ {
		e.offsets[i] += e.offsets[i-1]
	}
	fill := slices.Clone(e.offsets[:n])
	for i := 0; i < len(indices); i += 3 {
		for k := range 3 {
			a, b := mapv(indices[i+k]), mapv(indices[i+(k+1)%3])
			e.targets[fill[a]] = b
			fill[a]++
		}
	}
	return e
}

func (e *edgeSet) has(a, b uint32) bool {
	for _, t := range e.targets[e.offsets[a]:e.offsets[a+1]] {
		if t == b {
			return true
		}
	}
	return false
}

// classify sets each vertex's kind and its open-edge loop links.
func (s *simplifier) classify(indices []uint32, lockBorder bool) {
	n := len(s.pos)
	id := func(v uint32) uint32 { return v }
	edges := newEdgeSet(n, indices, id)
	// An edge open in index space but closed between positions only
	// separates attribute wedges; posOpen marks positions on a real
	// (geometric) border.
	posEdges := newEdgeSet(n, indices, func(v uint32) uint32 { return s.remap[v] })
	posOpen := make([]bool, n)
	openOut := make([]int32, n)
	openInc := make([]int32, n)
	for i := range openOut {
		openOut[i], openInc[i] = none, none
	}
	for i := 0; i < len(indices); i += 3 {
		for k := range 3 {
			a, b := indices[i+k], indices[i+(k+1)%3]
			if edges.has(b, a) {
				continue
			}
			if !posEdges.has(s.remap[b], s.remap[a]) {
				posOpen[s.remap[a]], posOpen[s.remap[b]] = true, true
			}
			if openOut[a] == none {
				openOut[a] = int32(b)
			} else if openOut[a] != int32(b) {
				openOut[a] = multiple
			}
			if openInc[b] == none {
				openInc[b] = int32(a)
			} else if openInc[b] != int32(a) {
				openInc[b] = multiple
			}
		}
	}
	valid := func(v int32, self uint32) bool { return v >= 0 && uint32(v) != self }
	s.kind = make([]uint8, n)
	for i := range n {
		if s.remap[i] != uint32(i) {
			continue
		}
		v := uint32(i)
		var k uint8
		switch w := s.wedge[v]; {
		case w == v:
			oi, oo := openInc[v], openOut[v]
			switch {
			case oi == none && oo == none, !posOpen[v]:
				// A lone wedge moves every triangle at its position, so
				// collapsing it cannot crack the surface even when its
				// neighbours are split into wedges.
				k = kindManifold
			case valid(oi, v) && valid(oo, v) && oi != oo:
				k = kindBorder
			default:
				k = kindLocked
			}
		case s.wedge[w] == v:
			oiv, oov, oiw, oow := openInc[v], openOut[v], openInc[w], openOut[w]
			k = kindLocked
			if valid(oiv, v) && valid(oov, v) && valid(oiw, w) && valid(oow, w) &&
				s.remap[oiv] == s.remap[oow] && s.remap[oov] == s.remap[oiw] && s.remap[oiv] != s.remap[oov] {
				k = kindSeam
			}
		default:
			k = kindLocked
		}
		if k == kindBorder && lockBorder {
			k = kindLocked
		}
		for w := v; ; {
			s.kind[w] = k
			if w = s.wedge[w]; w == v {
				break
			}
		}
	}
	s.loop, s.loopback = openOut, openInc
}

// fillQuadrics accumulates surface, border and attribute quadrics.
func (s *simplifier) fillQuadrics(indices []uint32) {
	n := len(s.pos)
	s.vq = make([]quadric, n)
	if s.nattr > 0 {
		s.aq = make([]attrQuadric, n)
	}
	for i := 0; i < len(indices); i += 3 {
		v := [3]uint32{indices[i], indices[i+1], indices[i+2]}
		p0, p1, p2 := s.pos[v[0]], s.pos[v[1]], s.pos[v[2]]
		e1, e2 := sub(p1, p0), sub(p2, p0)
		nrm := cross(e1, e2)
		length := norm(nrm)
		if length == 0 {
			continue
		}
		area := length / 2
		unit := scale(nrm, 1/length)
		q := plane(unit, -dot(unit, p0), area)
		for _, x := range v {
			s.vq[s.remap[x]].add(&q)
		}
		// Border and seam edges get a plane through the edge,
		// perpendicular to the triangle, so they keep their shape.
		for k := range 3 {
			a, b := v[k], v[(k+1)%3]
			if (s.kind[a] != kindBorder && s.kind[a] != kindSeam) || s.loop[a] != int32(b) {
				continue
			}
			edge := sub(s.pos[b], s.pos[a])
			el := norm(edge)
			pn := cross(edge, unit)
			pl := norm(pn)
			if pl == 0 {
				continue
			}
			pn = scale(pn, 1/pl)
			eq := plane(pn, -dot(pn, s.pos[a]), el*el*borderWeight)
			s.vq[s.remap[a]].add(&eq)
			s.vq[s.remap[b]].add(&eq)
		}
		if s.nattr > 0 {
			s.addAttributeQuadric(v, e1, e2, area)
		}
	}
}

func (s *simplifier) addAttributeQuadric(v [3]uint32, e1, e2 [3]float64, area float64) {
	p0 := s.pos[v[0]]
	d11, d12, d22 := dot(e1, e1), dot(e1, e2), dot(e2, e2)
	det := d11*d22 - d12*d12
	if det == 0 {
		return
	}
	var aq attrQuadric
	aq.q.w = area
	for k := 0; k < s.nattr; k++ {
		a0, a1, a2 := s.attrs[v[0]][k], s.attrs[v[1]][k], s.attrs[v[2]][k]
		da1, da2 := a1-a0, a2-a0
		alpha := (d22*da1 - d12*da2) / det
		beta := (d11*da2 - d12*da1) / det
		g := add(scale(e1, alpha), scale(e2, beta))
		d := a0 - dot(g, p0)
		aq.q.a00 += area * g[0] * g[0]
		aq.q.a11 += area * g[1] * g[1]
		aq.q.a22 += area * g[2] * g[2]
		aq.q.a01 += area * g[0] * g[1]
		aq.q.a02 += area * g[0] * g[2]
		aq.q.a12 += area * g[1] * g[2]
		aq.q.b0 += area * g[0] * d
		aq.q.b1 += area * g[1] * d
		aq.q.b2 += area * g[2] * d
		aq.q.c += area * d * d
		aq.g[k] = scale(g, area)
		aq.d[k] = area * d
	}
	for _, x := range v {
		s.aq[x].add(&aq, s.nattr)
	}
}

// pickCollapses lists the edges that may collapse, as meshoptimizer does.
func (s *simplifier) pickCollapses(indices []uint32) []collapse {
	out := s.picks[:0]
	for i := 0; i < len(indices); i += 3 {
		for k := range 3 {
			i0, i1 := indices[i+k], indices[i+(k+1)%3]
			if s.remap[i0] == s.remap[i1] {
				continue
			}
			k0, k1 := s.kind[i0], s.kind[i1]
			if !canCollapse[k0][k1] && !canCollapse[k1][k0] {
				continue
			}
			if hasOpposite[k0][k1] && s.remap[i1] > s.remap[i0] {
				continue
			}
			if k0 == k1 && (k0 == kindBorder || k0 == kindSeam) && s.loop[i0] != int32(i1) {
				continue
			}
			switch {
			case canCollapse[k0][k1] && canCollapse[k1][k0]:
				out = append(out, collapse{v0: i0, v1: i1, bidi: true})
			case canCollapse[k0][k1]:
				out = append(out, collapse{v0: i0, v1: i1})
			default:
				out = append(out, collapse{v0: i1, v1: i0})
			}
		}
	}
	return out
}

// seamPartner returns the wedge that must move with a seam collapse
// i0→i1, and where it moves to.
func (s *simplifier) seamPartner(i0, i1 uint32) (s0, s1 uint32, ok bool) {
	s0 = s.wedge[i0]
	var t int32
	if s.loop[i0] == int32(i1) {
		t = s.loopback[s0]
	} else {
		t = s.loop[s0]
	}
	if t < 0 || s.remap[uint32(t)] != s.remap[i1] {
		return 0, 0, false
	}
	return s0, uint32(t), true
}

// cost returns the error of collapsing i0 onto i1: the total that ranks
// collapses and the geometric part that TargetError bounds.
func (s *simplifier) cost(i0, i1 uint32) (total, geo float64) {
	geo = s.vq[s.remap[i0]].error(s.pos[i1])
	if s.nattr == 0 {
		return geo, geo
	}
	total = geo + s.aq[i0].error(s.pos[i1], &s.attrs[i1], s.nattr)
	if s.kind[i0] == kindSeam {
		s0, s1, ok := s.seamPartner(i0, i1)
		if !ok {
			return math.Inf(1), math.Inf(1)
		}
		total += s.aq[s0].error(s.pos[s1], &s.attrs[s1], s.nattr)
	}
	return total, geo
}

func (s *simplifier) rankCollapses(cs []collapse) {
	for i := range cs {
		c := &cs[i]
		c.cost, c.geo = s.cost(c.v0, c.v1)
		if c.bidi {
			if back, geo := s.cost(c.v1, c.v0); back < c.cost {
				c.v0, c.v1, c.cost, c.geo = c.v1, c.v0, back, geo
			}
		}
	}
}

// performCollapses commits collapses in cost order, each position at most
// once per pass, until the triangle goal or the error limit is reached.
func (s *simplifier) performCollapses(indices []uint32, cs []collapse, order []int, triangleGoal int, limit, geoLimit float64) ([]uint32, int, float64) {
	n := len(s.pos)
	if s.collapseRemap == nil {
		s.collapseRemap = make([]uint32, n)
		s.locked = make([]bool, n)
	}
	remap, locked := s.collapseRemap, s.locked
	for i := range remap {
		remap[i] = uint32(i)
		locked[i] = false
	}
	s.adj.fill(n, indices)
	adj := s.adj
	triangles, done, worst := 0, 0, 0.0
	for _, oi := range order {
		c := cs[oi]
		if c.cost > limit || triangles >= triangleGoal || math.IsInf(c.cost, 1) {
			break
		}
		if c.geo > geoLimit {
			continue
		}
		i0, i1 := c.v0, c.v1
		r0, r1 := s.remap[i0], s.remap[i1]
		if locked[r0] || locked[r1] {
			continue
		}
		if s.flips(adj, indices, remap, i0, i1) {
			continue
		}
		if s.kind[i0] == kindSeam {
			s0, s1, ok := s.seamPartner(i0, i1)
			if !ok {
				continue
			}
			remap[i0], remap[s0] = i1, s1
			if s.nattr > 0 {
				s.aq[i1].add(&s.aq[i0], s.nattr)
				s.aq[s1].add(&s.aq[s0], s.nattr)
			}
		} else {
			remap[i0] = i1
			if s.nattr > 0 {
				s.aq[i1].add(&s.aq[i0], s.nattr)
			}
		}
		s.vq[r1].add(&s.vq[r0])
		locked[r0], locked[r1] = true, true
		if s.kind[i0] == kindBorder {
			triangles++
		} else {
			triangles += 2
		}
		done++
		worst = math.Max(worst, c.geo)
	}
	return remap, done, worst
}

// sortCollapses returns the collapse indices by increasing cost (as
// float32, ties by index): a stable radix sort of the costs' bits, 11
// bits a pass (costs are never negative, so their bits sort as
// integers).
func (s *simplifier) sortCollapses(cs []collapse) []int {
	n := len(cs)
	if cap(s.keys) < 2*n {
		s.keys = make([]uint64, 2*n)
	}
	keys, tmp := s.keys[:n], s.keys[n:2*n]
	for i, c := range cs {
		keys[i] = uint64(math.Float32bits(float32(c.cost)))<<32 | uint64(i)
	}
	var counts [1 << 11]int
	for shift := uint(32); shift < 64; shift += 11 {
		clear(counts[:])
		for _, k := range keys {
			counts[(k>>shift)&(1<<11-1)]++
		}
		sum := 0
		for b, c := range counts {
			counts[b] = sum
			sum += c
		}
		for _, k := range keys {
			b := (k >> shift) & (1<<11 - 1)
			tmp[counts[b]] = k
			counts[b]++
		}
		keys, tmp = tmp, keys
	}
	order := s.order[:0]
	for _, k := range keys {
		order = append(order, int(uint32(k)))
	}
	s.order = order
	return order
}

// triangleAdjacency lists the triangles around each vertex.
type triangleAdjacency struct {
	offsets []int32
	tris    []uint32
	next    []int32 // scratch: the next free slot of each vertex
}

// fill rebuilds a for indices over n vertices, reusing its storage.
func (a *triangleAdjacency) fill(n int, indices []uint32) {
	if cap(a.offsets) < n+1 {
		a.offsets = make([]int32, n+1)
		a.next = make([]int32, n)
	}
	a.offsets = a.offsets[:n+1]
	clear(a.offsets)
	if cap(a.tris) < len(indices) {
		a.tris = make([]uint32, len(indices))
	}
	a.tris = a.tris[:len(indices)]
	for _, v := range indices {
		a.offsets[v+1]++
	}
	for i := 1; i <= n; i++ {
		a.offsets[i] += a.offsets[i-1]
	}
	next := a.next[:n]
	copy(next, a.offsets[:n])
	for i, v := range indices {
		a.tris[next[v]] = uint32(i / 3)
		next[v]++
	}
}

// flips reports whether moving i0 (and its wedges) onto i1's position
// would turn any surviving triangle around it over.
func (s *simplifier) flips(adj triangleAdjacency, indices []uint32, remap []uint32, i0, i1 uint32) bool {
	target := s.pos[i1]
	r1 := s.remap[i1]
	for w := i0; ; {
		for _, t := range adj.tris[adj.offsets[w]:adj.offsets[w+1]] {
			var a, b, c uint32
			switch {
			case indices[3*t] == w:
				a, b, c = indices[3*t], indices[3*t+1], indices[3*t+2]
			case indices[3*t+1] == w:
				a, b, c = indices[3*t+1], indices[3*t+2], indices[3*t]
			default:
				a, b, c = indices[3*t+2], indices[3*t], indices[3*t+1]
			}
			b, c = remap[b], remap[c]
			if s.remap[b] == r1 || s.remap[c] == r1 || s.remap[b] == s.remap[a] || s.remap[c] == s.remap[a] {
				continue // the triangle disappears
			}
			pa, pb, pc := s.pos[a], s.pos[b], s.pos[c]
			before := cross(sub(pb, pa), sub(pc, pa))
			after := cross(sub(pb, target), sub(pc, target))
			lb, la := norm(before), norm(after)
			if la == 0 || dot(before, after) <= flipCosine*lb*la {
				return true
			}
		}
		if w = s.wedge[w]; w == i0 {
			break
		}
	}
	return false
}

// applyRemap moves collapsed vertices and drops triangles that became
// degenerate (two corners at one position).
func (s *simplifier) applyRemap(indices []uint32, remap []uint32) []uint32 {
	out := indices[:0]
	for i := 0; i < len(indices); i += 3 {
		a, b, c := remap[indices[i]], remap[indices[i+1]], remap[indices[i+2]]
		ra, rb, rc := s.remap[a], s.remap[b], s.remap[c]
		if ra == rb || rb == rc || ra == rc {
			continue
		}
		out = append(out, a, b, c)
	}
	return out
}

// remapLoops follows collapses in the open-edge links.
func remapLoops(loop []int32, remap []uint32) {
	for i, l := range loop {
		if l < 0 {
			continue
		}
		r := remap[l]
		if r == uint32(i) {
			loop[i] = loop[l]
		} else {
			loop[i] = int32(r)
		}
	}
}

func add(a, b [3]float64) [3]float64 { return [3]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func sub(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func scale(a [3]float64, s float64) [3]float64 {
	return [3]float64{a[0] * s, a[1] * s, a[2] * s}
}
func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func norm(a [3]float64) float64 { return math.Sqrt(dot(a, a)) }
