package catalogen

import (
	"math"
)

// vec3 is a point or direction in metres.
type vec3 [3]float64

// vec2 is a 2D point: a profile (radius, height), an outline (x, y) or a
// texture coordinate.
type vec2 [2]float64

func (a vec3) add(b vec3) vec3    { return vec3{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func (a vec3) sub(b vec3) vec3    { return vec3{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func (a vec3) mul(s float64) vec3 { return vec3{a[0] * s, a[1] * s, a[2] * s} }
func (a vec3) dot(b vec3) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func (a vec3) length() float64    { return math.Sqrt(a.dot(a)) }
func (a vec3) cross(b vec3) vec3 {
	return vec3{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func (a vec3) norm() vec3 {
	l := a.length()
	if l < 1e-12 {
		return vec3{}
	}
	return a.mul(1 / l)
}

// mesh is an indexed triangle list with per-vertex normals and UVs (UVs
// in metres of surface; the material's tile size turns them into texture
// repeats). Triangles wind counter-clockwise seen from the side their
// normals point to.
type mesh struct {
	pos []vec3
	nrm []vec3
	uv  []vec2
	idx []uint32
}

func (m *mesh) vertex(p, n vec3, uv vec2) uint32 {
	m.pos = append(m.pos, p)
	m.nrm = append(m.nrm, n)
	m.uv = append(m.uv, uv)
	return uint32(len(m.pos) - 1)
}

func (m *mesh) tri(a, b, c uint32) { m.idx = append(m.idx, a, b, c) }

// merge appends o's triangles to m.
func (m *mesh) merge(o *mesh) {
	base := uint32(len(m.pos))
	m.pos = append(m.pos, o.pos...)
	m.nrm = append(m.nrm, o.nrm...)
	m.uv = append(m.uv, o.uv...)
	for _, i := range o.idx {
		m.idx = append(m.idx, base+i)
	}
}

// affine is a 3×4 matrix: a linear part (rows) and a translation.
type affine struct {
	r [3]vec3
	t vec3
}

func identity() affine { return affine{r: [3]vec3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}} }

func (a affine) apply(p vec3) vec3 {
	return vec3{a.r[0].dot(p) + a.t[0], a.r[1].dot(p) + a.t[1], a.r[2].dot(p) + a.t[2]}
}

func (a affine) linear(p vec3) vec3 { return vec3{a.r[0].dot(p), a.r[1].dot(p), a.r[2].dot(p)} }

// then returns the transform applying a first, then b.
func (a affine) then(b affine) affine {
	var out affine
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			out.r[i][j] = b.r[i][0]*a.r[0][j] + b.r[i][1]*a.r[1][j] + b.r[i][2]*a.r[2][j]
		}
	}
	out.t = b.apply(a.t)
	return out
}

func translate(x, y, z float64) affine { a := identity(); a.t = vec3{x, y, z}; return a }
func scaling(x, y, z float64) affine {
	return affine{r: [3]vec3{{x, 0, 0}, {0, y, 0}, {0, 0, z}}}
}
func rotateX(deg float64) affine {
	s, c := math.Sincos(deg * math.Pi / 180)
	return affine{r: [3]vec3{{1, 0, 0}, {0, c, -s}, {0, s, c}}}
}
func rotateZ(deg float64) affine {
	s, c := math.Sincos(deg * math.Pi / 180)
	return affine{r: [3]vec3{{c, -s, 0}, {s, c, 0}, {0, 0, 1}}}
}

// transform applies a to positions and its inverse transpose to normals;
// a mirroring transform also flips the winding.
func (m *mesh) transform(a affine) *mesh {
	// The rows of the cofactor matrix (det × inverse transpose) are these
	// cross products; the normals need only its direction.
	r := a.r
	cof := [3]vec3{r[1].cross(r[2]), r[2].cross(r[0]), r[0].cross(r[1])}
	for i := range m.pos {
		m.pos[i] = a.apply(m.pos[i])
		n := m.nrm[i]
		m.nrm[i] = vec3{cof[0].dot(n), cof[1].dot(n), cof[2].dot(n)}.norm()
	}
	if r[0].dot(r[1].cross(r[2])) < 0 {
		for i := 0; i+2 < len(m.idx); i += 3 {
			m.idx[i+1], m.idx[i+2] = m.idx[i+2], m.idx[i+1]
		}
	}
	return m
}

// grid adds a surface from a rows×cols lattice of points. Quads (r,c),
// (r+1,c), (r+1,c+1), (r,c+1) are split into triangles wound so their
// normal is along ∂P/∂col × ∂P/∂row. Normals are given, or computed from
// the faces and averaged over coincident points (which welds seams and
// poles).
func (m *mesh) grid(pts [][]vec3, nrm [][]vec3, uv [][]vec2) {
	rows, cols := len(pts), len(pts[0])
	if nrm == nil {
		acc := make([][]vec3, rows)
		for r := range acc {
			acc[r] = make([]vec3, cols)
		}
		for r := 0; r+1 < rows; r++ {
			for c := 0; c+1 < cols; c++ {
				p00, p01, p10, p11 := pts[r][c], pts[r][c+1], pts[r+1][c], pts[r+1][c+1]
				n1 := p01.sub(p00).cross(p11.sub(p00))
				n2 := p11.sub(p00).cross(p10.sub(p00))
				acc[r][c] = acc[r][c].add(n1).add(n2)
				acc[r][c+1] = acc[r][c+1].add(n1)
				acc[r+1][c+1] = acc[r+1][c+1].add(n1).add(n2)
				acc[r+1][c] = acc[r+1][c].add(n2)
			}
		}
		// Weld coincident points so seams and poles shade smoothly.
		type key [3]int64
		q := func(p vec3) key {
			return key{int64(math.Round(p[0] * 1e7)), int64(math.Round(p[1] * 1e7)), int64(math.Round(p[2] * 1e7))}
		}
		sum := map[key]vec3{}
		for r := range pts {
			for c := range pts[r] {
				k := q(pts[r][c])
				sum[k] = sum[k].add(acc[r][c])
			}
		}
		nrm = make([][]vec3, rows)
		for r := range pts {
			nrm[r] = make([]vec3, cols)
			for c := range pts[r] {
				nrm[r][c] = sum[q(pts[r][c])].norm()
			}
		}
	}
	base := uint32(len(m.pos))
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			m.vertex(pts[r][c], nrm[r][c], uv[r][c])
		}
	}
	at := func(r, c int) uint32 { return base + uint32(r*cols+c) }
	for r := 0; r+1 < rows; r++ {
		for c := 0; c+1 < cols; c++ {
			a, b, cc, d := at(r, c), at(r, c+1), at(r+1, c+1), at(r+1, c)
			if degenerate(pts[r][c], pts[r][c+1], pts[r+1][c+1]) {
				if !degenerate(pts[r][c], pts[r+1][c+1], pts[r+1][c]) {
					m.tri(a, cc, d)
				}
				continue
			}
			m.tri(a, b, cc)
			if !degenerate(pts[r][c], pts[r+1][c+1], pts[r+1][c]) {
				m.tri(a, cc, d)
			}
		}
	}
}

// smoothNormals recomputes every normal from the area-weighted normals of
// the faces around it, welding coincident positions.
func (m *mesh) smoothNormals() *mesh {
	type key [3]int64
	q := func(p vec3) key {
		return key{int64(math.Round(p[0] * 1e7)), int64(math.Round(p[1] * 1e7)), int64(math.Round(p[2] * 1e7))}
	}
	sum := map[key]vec3{}
	for t := 0; t+2 < len(m.idx); t += 3 {
		a, b, c := m.pos[m.idx[t]], m.pos[m.idx[t+1]], m.pos[m.idx[t+2]]
		n := b.sub(a).cross(c.sub(a))
		for _, p := range []vec3{a, b, c} {
			sum[q(p)] = sum[q(p)].add(n)
		}
	}
	for i, p := range m.pos {
		if n := sum[q(p)].norm(); n.length() > 0 {
			m.nrm[i] = n
		}
	}
	return m
}

func degenerate(a, b, c vec3) bool { return b.sub(a).cross(c.sub(a)).length() < 1e-12 }

// lathe revolves a profile of (radius, height) points around the y axis
// (segments steps, counter-clockwise seen from above starting at +z).
// The profile runs so that its surface's outside is on its right, e.g.
// upward along an outer wall. Points listed in sharp split the surface
// into separately smoothed runs (creases).
func lathe(profile []vec2, segments int, sharp ...int) *mesh {
	m := &mesh{}
	isSharp := map[int]bool{}
	for _, s := range sharp {
		isSharp[s] = true
	}
	// Cumulative profile length gives v in metres.
	lengths := make([]float64, len(profile))
	for i := 1; i < len(profile); i++ {
		lengths[i] = lengths[i-1] + math.Hypot(profile[i][0]-profile[i-1][0], profile[i][1]-profile[i-1][1])
	}
	maxR := 0.0
	for _, p := range profile {
		maxR = math.Max(maxR, p[0])
	}
	start := 0
	for i := 1; i < len(profile); i++ {
		if i == len(profile)-1 || isSharp[i] {
			run := profile[start : i+1]
			pts := make([][]vec3, len(run))
			uvs := make([][]vec2, len(run))
			for r, p := range run {
				pts[r] = make([]vec3, segments+1)
				uvs[r] = make([]vec2, segments+1)
				for s := 0; s <= segments; s++ {
					theta := 2 * math.Pi * float64(s%segments) / float64(segments)
					sin, cos := math.Sincos(theta)
					pts[r][s] = vec3{p[0] * sin, p[1], p[0] * cos}
					uvs[r][s] = vec2{2 * math.Pi * maxR * float64(s) / float64(segments), -lengths[start+r]}
				}
			}
			m.grid(pts, nil, uvs)
			start = i
		}
	}
	return m
}

// roundedBox is a box of the given size centred at the origin whose edges
// and corners are rounded with radius (segments steps per quarter circle).
func roundedBox(size vec3, radius float64, segments int) *mesh {
	half := size.mul(0.5)
	radius = math.Min(radius, math.Min(half[0], math.Min(half[1], half[2]))*0.999)
	if radius <= 0 {
		segments = 0
		radius = 0
	}
	coords := func(h float64) []float64 {
		inner := h - radius
		var out []float64
		for k := segments; k > 0; k-- {
			out = append(out, -inner-radius*math.Sin(float64(k)*math.Pi/2/float64(segments)))
		}
		mid := max(2, int(math.Ceil(2*inner/0.05)))
		for k := 0; k <= mid; k++ {
			out = append(out, -inner+2*inner*float64(k)/float64(mid))
		}
		for k := 1; k <= segments; k++ {
			out = append(out, inner+radius*math.Sin(float64(k)*math.Pi/2/float64(segments)))
		}
		return out
	}
	m := &mesh{}
	for axis := 0; axis < 3; axis++ {
		for _, sign := range []float64{1, -1} {
			u, v := (axis+1)%3, (axis+2)%3 // u × v = +axis
			if sign < 0 {
				u, v = v, u
			}
			us, vs := coords(half[u]), coords(half[v])
			pts := make([][]vec3, len(vs))
			nrm := make([][]vec3, len(vs))
			uvs := make([][]vec2, len(vs))
			for r, b := range vs {
				pts[r] = make([]vec3, len(us))
				nrm[r] = make([]vec3, len(us))
				uvs[r] = make([]vec2, len(us))
				for c, a := range us {
					var q vec3
					q[axis] = sign * half[axis]
					q[u], q[v] = a, b
					var centre vec3
					for k := 0; k < 3; k++ {
						centre[k] = math.Max(-(half[k] - radius), math.Min(half[k]-radius, q[k]))
					}
					n := q.sub(centre).norm()
					if radius == 0 || n.length() == 0 {
						n = vec3{}
						n[axis] = sign
					}
					pts[r][c] = centre.add(n.mul(radius))
					nrm[r][c] = n
					if size[u] >= size[v] {
						uvs[r][c] = vec2{a, -b}
					} else {
						uvs[r][c] = vec2{b, -a}
					}
				}
			}
			// grid winds along ∂P/∂col × ∂P/∂row = u × v = +axis·sign.
			m.grid(pts, nrm, uvs)
		}
	}
	return m
}

// box is a sharp-edged box from lo to hi.
func box(lo, hi vec3) *mesh {
	c := lo.add(hi).mul(0.5)
	return roundedBox(hi.sub(lo), 0, 0).transform(translate(c[0], c[1], c[2]))
}

// cylinder is a capped cylinder of radius r along y from y0 to y1, with a
// rounded edge of radius bevel.
func cylinder(r, y0, y1, bevel float64, segments int) *mesh {
	profile := []vec2{{0, y0}}
	sharp := []int{}
	if bevel > 0 {
		const steps = 3
		for k := 0; k <= steps; k++ {
			a := float64(k) / steps * math.Pi / 2
			profile = append(profile, vec2{r - bevel + bevel*math.Sin(a), y0 + bevel - bevel*math.Cos(a)})
		}
		for k := 0; k <= steps; k++ {
			a := float64(k) / steps * math.Pi / 2
			profile = append(profile, vec2{r - bevel + bevel*math.Cos(a), y1 - bevel + bevel*math.Sin(a)})
		}
	} else {
		profile = append(profile, vec2{r, y0}, vec2{r, y1})
		sharp = append(sharp, 1, 2)
	}
	profile = append(profile, vec2{0, y1})
	if bevel > 0 {
		sharp = append(sharp, 1, len(profile)-2)
	}
	return lathe(profile, segments, sharp...)
}

// frame is an orthonormal frame along a swept path.
type frame struct{ t, n, b vec3 }

// sweep sweeps a closed cross-section (points in the frame's n–b plane,
// listed counter-clockwise seen looking along the path) along path. When
// closed, the path is a loop; otherwise the ends are capped flat. scale
// gives a per-path-point factor on the section (nil for 1). up seeds the
// parallel-transported frame.
func sweep(path []vec3, closed bool, section []vec2, scale func(i int) vec2, up vec3) *mesh {
	n := len(path)
	tangents := make([]vec3, n)
	for i := range path {
		var d vec3
		switch {
		case closed:
			d = path[(i+1)%n].sub(path[(i-1+n)%n])
		case i == 0:
			d = path[1].sub(path[0])
		case i == n-1:
			d = path[n-1].sub(path[n-2])
		default:
			d = path[i+1].sub(path[i-1])
		}
		tangents[i] = d.norm()
	}
	frames := make([]frame, n)
	nv := up.sub(tangents[0].mul(up.dot(tangents[0]))).norm()
	for i := range path {
		t := tangents[i]
		nv = nv.sub(t.mul(nv.dot(t))).norm()
		frames[i] = frame{t: t, n: nv, b: t.cross(nv)}
	}
	rows := n
	if closed {
		rows = n + 1
	}
	cols := len(section) + 1
	pts := make([][]vec3, rows)
	uvs := make([][]vec2, rows)
	along := 0.0
	for r := 0; r < rows; r++ {
		i := r % n
		if r > 0 {
			along += path[i].sub(path[(r-1)%n]).length()
		}
		f := frames[i]
		s := vec2{1, 1}
		if scale != nil {
			s = scale(i)
		}
		pts[r] = make([]vec3, cols)
		uvs[r] = make([]vec2, cols)
		around := 0.0
		for c := 0; c < cols; c++ {
			q := section[c%len(section)]
			if c > 0 {
				prev := section[c-1]
				around += math.Hypot((q[0]-prev[0])*s[0], (q[1]-prev[1])*s[1])
			}
			pts[r][c] = path[i].add(f.n.mul(q[0] * s[0])).add(f.b.mul(q[1] * s[1]))
			uvs[r][c] = vec2{along, around}
		}
	}
	m := &mesh{}
	// Columns run around the section (counter-clockwise about +t), rows
	// along +t: ∂P/∂col × ∂P/∂row points outward.
	m.grid(pts, nil, uvs)
	if !closed {
		for _, end := range []int{0, n - 1} {
			f := frames[end]
			normal := f.t
			if end == 0 {
				normal = f.t.mul(-1)
			}
			s := vec2{1, 1}
			if scale != nil {
				s = scale(end)
			}
			centre := m.vertex(path[end], normal, vec2{})
			ring := make([]uint32, len(section))
			for c, q := range section {
				p := path[end].add(f.n.mul(q[0] * s[0])).add(f.b.mul(q[1] * s[1]))
				ring[c] = m.vertex(p, normal, vec2{q[0] * s[0], q[1] * s[1]})
			}
			for c := range ring {
				a, b := ring[c], ring[(c+1)%len(ring)]
				if end == 0 {
					m.tri(centre, b, a)
				} else {
					m.tri(centre, a, b)
				}
			}
		}
	}
	return m
}

// circle is a counter-clockwise circle of radius r with k points.
func circle(r float64, k int) []vec2 {
	return ellipse(r, r, k)
}

func ellipse(rx, ry float64, k int) []vec2 {
	out := make([]vec2, k)
	for i := range out {
		s, c := math.Sincos(2 * math.Pi * float64(i) / float64(k))
		out[i] = vec2{rx * c, ry * s}
	}
	return out
}

// roundedRect is a counter-clockwise rectangle w×h centred at the origin
// with corner radius r (k points per corner).
func roundedRect(w, h, r float64, k int) []vec2 {
	r = math.Min(r, math.Min(w, h)/2*0.999)
	var out []vec2
	corners := []struct{ cx, cy, a0 float64 }{
		{w/2 - r, h/2 - r, 0}, {-w/2 + r, h/2 - r, 90}, {-w/2 + r, -h/2 + r, 180}, {w/2 - r, -h/2 + r, 270},
	}
	for _, c := range corners {
		for i := 0; i <= k; i++ {
			a := (c.a0 + 90*float64(i)/float64(k)) * math.Pi / 180
			out = append(out, vec2{c.cx + r*math.Cos(a), c.cy + r*math.Sin(a)})
		}
	}
	return out
}

// extrude extrudes a counter-clockwise outline in the x–y plane from
// z=z0 to z=z1 with flat caps. Side normals are smooth across vertices
// whose edges turn by less than smoothDeg.
func extrude(outline []vec2, z0, z1, smoothDeg float64) *mesh {
	m := &mesh{}
	n := len(outline)
	edgeNormal := func(i int) vec3 {
		a, b := outline[i], outline[(i+1)%n]
		return vec3{b[1] - a[1], -(b[0] - a[0]), 0}.norm()
	}
	cosSmooth := math.Cos(smoothDeg * math.Pi / 180)
	vertexNormal := func(i, edge int) vec3 {
		prev, next := edgeNormal((i-1+n)%n), edgeNormal(i)
		if prev.dot(next) >= cosSmooth {
			return prev.add(next).norm()
		}
		return edgeNormal(edge)
	}
	along := 0.0
	for i := 0; i < n; i++ {
		j := (i + 1) % n
		a, b := outline[i], outline[j]
		na, nb := vertexNormal(i, i), vertexNormal(j, i)
		l := math.Hypot(b[0]-a[0], b[1]-a[1])
		v0 := m.vertex(vec3{a[0], a[1], z0}, na, vec2{along, 0})
		v1 := m.vertex(vec3{b[0], b[1], z0}, nb, vec2{along + l, 0})
		v2 := m.vertex(vec3{b[0], b[1], z1}, nb, vec2{along + l, -(z1 - z0)})
		v3 := m.vertex(vec3{a[0], a[1], z1}, na, vec2{along, -(z1 - z0)})
		m.tri(v0, v1, v2)
		m.tri(v0, v2, v3)
		along += l
	}
	tris := triangulate(outline)
	for _, cap := range []struct {
		z    float64
		n    vec3
		flip bool
	}{{z1, vec3{0, 0, 1}, false}, {z0, vec3{0, 0, -1}, true}} {
		base := uint32(len(m.pos))
		for _, p := range outline {
			m.vertex(vec3{p[0], p[1], cap.z}, cap.n, vec2{p[0], -p[1]})
		}
		for t := 0; t+2 < len(tris); t += 3 {
			if cap.flip {
				m.tri(base+tris[t], base+tris[t+2], base+tris[t+1])
			} else {
				m.tri(base+tris[t], base+tris[t+1], base+tris[t+2])
			}
		}
	}
	return m
}

// triangulate ear-clips a simple counter-clockwise polygon.
func triangulate(poly []vec2) []uint32 {
	idx := make([]int, len(poly))
	for i := range idx {
		idx[i] = i
	}
	cross := func(o, a, b vec2) float64 { return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0]) }
	inside := func(p, a, b, c vec2) bool {
		return cross(a, b, p) >= 0 && cross(b, c, p) >= 0 && cross(c, a, p) >= 0
	}
	var out []uint32
	guard := 0
	for len(idx) > 3 && guard < 10*len(poly)*len(poly) {
		guard++
		clipped := false
		for i := range idx {
			ia, ib, ic := idx[(i-1+len(idx))%len(idx)], idx[i], idx[(i+1)%len(idx)]
			a, b, c := poly[ia], poly[ib], poly[ic]
			if cross(a, b, c) <= 1e-14 {
				continue
			}
			ear := true
			for _, j := range idx {
				if j == ia || j == ib || j == ic {
					continue
				}
				if inside(poly[j], a, b, c) {
					ear = false
					break
				}
			}
			if !ear {
				continue
			}
			out = append(out, uint32(ia), uint32(ib), uint32(ic))
			idx = append(idx[:i], idx[i+1:]...)
			clipped = true
			break
		}
		if !clipped {
			break
		}
	}
	if len(idx) == 3 {
		out = append(out, uint32(idx[0]), uint32(idx[1]), uint32(idx[2]))
	}
	return out
}

// smoothPath samples a closed or open Catmull–Rom spline through points,
// steps samples per segment.
func smoothPath(points []vec3, closed bool, steps int) []vec3 {
	n := len(points)
	get := func(i int) vec3 {
		if closed {
			return points[(i%n+n)%n]
		}
		return points[max(0, min(n-1, i))]
	}
	segs := n - 1
	if closed {
		segs = n
	}
	var out []vec3
	for s := 0; s < segs; s++ {
		p0, p1, p2, p3 := get(s-1), get(s), get(s+1), get(s+2)
		for k := 0; k < steps; k++ {
			t := float64(k) / float64(steps)
			t2, t3 := t*t, t*t*t
			var p vec3
			for c := 0; c < 3; c++ {
				p[c] = 0.5 * (2*p1[c] + (-p0[c]+p2[c])*t + (2*p0[c]-5*p1[c]+4*p2[c]-p3[c])*t2 + (-p0[c]+3*p1[c]-3*p2[c]+p3[c])*t3)
			}
			out = append(out, p)
		}
	}
	if !closed {
		out = append(out, points[n-1])
	}
	return out
}
