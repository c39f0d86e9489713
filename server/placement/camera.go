package placement

import (
	"fmt"
	"math"
)

// Camera is a pinhole camera with square pixels looking at the reference's
// plane. Plane coordinates are metres with the reference's corner 0 at the
// origin, corner 1 on +x and corner 3 on +y; camera coordinates follow the
// computer-vision convention (x right, y down, z forward), so a plane point
// (X, Y) is at R·(X, Y, 0) + T in front of the camera.
type Camera struct {
	FocalPx float64
	Cx, Cy  float64
	R       [3][3]float64
	T       [3]float64
}

// Project maps a plane point (metres) to the image; depth is its distance
// along the optical axis (positive in front of the camera).
func (c Camera) Project(xy [2]float64) (px [2]float64, depth float64) {
	r := mat3(c.R)
	p := r.col(0).scale(xy[0]).add(r.col(1).scale(xy[1])).add(vec3(c.T))
	return [2]float64{c.FocalPx*p[0]/p[2] + c.Cx, c.FocalPx*p[1]/p[2] + c.Cy}, p[2]
}

// Homography returns K·[r1 r2 t], the plane-to-image homography of c.
func (c Camera) Homography() Homography {
	k := mat3{{c.FocalPx, 0, c.Cx}, {0, c.FocalPx, c.Cy}, {0, 0, 1}}
	var m mat3
	r := mat3(c.R)
	m.setCol(0, r.col(0))
	m.setCol(1, r.col(1))
	m.setCol(2, vec3(c.T))
	return Homography(k.mul(m))
}

// Normal returns the plane's unit normal in camera coordinates, pointing
// to the side the camera is on.
func (c Camera) Normal() [3]float64 {
	n := mat3(c.R).col(2)
	if n.dot(vec3(c.T)) > 0 {
		n = n.scale(-1)
	}
	return n
}

// FocalFromHomography recovers the focal length (pixels) of a camera with
// square pixels and principal point (cx, cy) from its plane-to-image
// homography, using both constraints on the rotation's first two columns
// (orthogonal, equal length) in least squares for 1/f². ok is false when
// the homography does not determine it (a plane seen nearly face-on) or no
// real focal length fits. scale is a typical image length (the long side)
// used to condition the arithmetic.
func FocalFromHomography(h Homography, cx, cy, scale float64) (f float64, ok bool) {
	t := mat3{{1 / scale, 0, -cx / scale}, {0, 1 / scale, -cy / scale}, {0, 0, 1}}
	m := t.mul(mat3(h))
	h1, h2 := m.col(0), m.col(1)
	// Put both columns on a comparable scale: the constraints are
	// homogeneous in H, so an overall factor does not matter.
	n := math.Sqrt(h1.dot(h1) + h2.dot(h2))
	h1, h2 = h1.scale(1/n), h2.scale(1/n)
	a1 := h1[0]*h2[0] + h1[1]*h2[1]
	b1 := h1[2] * h2[2]
	a2 := h1[0]*h1[0] + h1[1]*h1[1] - h2[0]*h2[0] - h2[1]*h2[1]
	b2 := h1[2]*h1[2] - h2[2]*h2[2]
	den := a1*a1 + a2*a2
	if den == 0 {
		return 0, false
	}
	// The perspective terms b1, b2 vanish for a face-on plane; then the
	// focal length is unobservable.
	if math.Hypot(b1, b2) < 1e-9*math.Sqrt(den) {
		return 0, false
	}
	w := -(a1*b1 + a2*b2) / den
	if !(w > 0) {
		return 0, false
	}
	f = scale / math.Sqrt(w)
	if !finite(f) || f < MinFocalRel*scale || f > MaxFocalRel*scale {
		return 0, false
	}
	return f, true
}

// DecomposeHomography recovers the pose of a camera with focal length f and
// principal point (cx, cy) from its plane-to-image homography (plane in
// metres). The rotation's first two columns are made orthonormal
// symmetrically, and the sign is chosen so the plane is in front.
func DecomposeHomography(h Homography, f, cx, cy float64) (Camera, error) {
	kInv := mat3{{1 / f, 0, -cx / f}, {0, 1 / f, -cy / f}, {0, 0, 1}}
	m := kInv.mul(mat3(h))
	m1, m2, m3 := m.col(0), m.col(1), m.col(2)
	n1, n2 := m1.norm(), m2.norm()
	if n1 == 0 || n2 == 0 || !finite(n1, n2) {
		return Camera{}, fmt.Errorf("placement: decompose homography: %w", ErrNoSolution)
	}
	lambda := 2 / (n1 + n2)
	if m3[2] < 0 {
		lambda = -lambda
	}
	r1, r2 := orthonormalPair(m1.scale(lambda), m2.scale(lambda))
	var r mat3
	r.setCol(0, r1)
	r.setCol(1, r2)
	r.setCol(2, r1.cross(r2))
	t := m3.scale(lambda)
	if !(t[2] > 0) {
		return Camera{}, fmt.Errorf("placement: decompose homography: plane behind the camera: %w", ErrNoSolution)
	}
	return Camera{FocalPx: f, Cx: cx, Cy: cy, R: r, T: t}, nil
}

// orthonormalPair returns the orthonormal pair closest to (a, b),
// spreading the correction equally over both.
func orthonormalPair(a, b vec3) (vec3, vec3) {
	a, b = a.unit(), b.unit()
	c := a.add(b).unit()
	d := a.sub(b).unit()
	s := 1 / math.Sqrt2
	return c.add(d).scale(s), c.sub(d).scale(s)
}

// poseFit is the constrained planar pose problem: find R, T and f so that
// the reference's corners (known rectangle) reproject onto the clicked
// corners, optionally with a Gaussian prior on log f.
type poseFit struct {
	model      [4][2]float64
	obs        [4][2]float64
	cx, cy     float64
	minLogF    float64
	maxLogF    float64
	logF0      float64
	logFSigma  float64 // ≤ 0: no prior
	sigmaPx    float64
	baseR      mat3
	params     [7]float64 // rotation increment (3), T (3), log f
	iterations int
}

func (p *poseFit) camera(x [7]float64) Camera {
	r := p.baseR.mul(rodrigues(vec3{x[0], x[1], x[2]}))
	return Camera{FocalPx: math.Exp(x[6]), Cx: p.cx, Cy: p.cy, R: r, T: [3]float64{x[3], x[4], x[5]}}
}

// residuals returns the weighted residuals and ok=false if a corner falls
// behind the camera.
func (p *poseFit) residuals(x [7]float64, out []float64) bool {
	c := p.camera(x)
	for i, m := range p.model {
		px, depth := c.Project(m)
		if !(depth > 0) {
			return false
		}
		out[2*i] = (px[0] - p.obs[i][0]) / p.sigmaPx
		out[2*i+1] = (px[1] - p.obs[i][1]) / p.sigmaPx
	}
	if p.logFSigma > 0 {
		out[8] = (x[6] - p.logF0) / p.logFSigma
	}
	return true
}

func (p *poseFit) nResiduals() int {
	if p.logFSigma > 0 {
		return 9
	}
	return 8
}

func sumSquares(r []float64) float64 {
	s := 0.0
	for _, v := range r {
		s += v * v
	}
	return s
}

// solve runs Levenberg–Marquardt from the current parameters to
// convergence and returns the final cost (sum of squared residuals).
func (p *poseFit) solve() (float64, error) {
	n := p.nResiduals()
	r := make([]float64, n)
	rp := make([]float64, n)
	rm := make([]float64, n)
	jac := make([][7]float64, n)
	if !p.residuals(p.params, r) {
		return 0, fmt.Errorf("placement: pose fit: start behind the camera: %w", ErrNoSolution)
	}
	cost := sumSquares(r)
	lambda := 1e-3
	for p.iterations = 0; p.iterations < 100; p.iterations++ {
		for j := 0; j < 7; j++ {
			step := 1e-6
			if j >= 3 && j < 6 {
				step = 1e-6 * math.Max(1, math.Abs(p.params[5]))
			}
			xp, xm := p.params, p.params
			xp[j] += step
			xm[j] -= step
			okp, okm := p.residuals(xp, rp), p.residuals(xm, rm)
			for i := 0; i < n; i++ {
				switch {
				case okp && okm:
					jac[i][j] = (rp[i] - rm[i]) / (2 * step)
				case okp:
					jac[i][j] = (rp[i] - r[i]) / step
				case okm:
					jac[i][j] = (r[i] - rm[i]) / step
				default:
					jac[i][j] = 0
				}
			}
		}
		var jtj [7][7]float64
		var jtr [7]float64
		for i := 0; i < n; i++ {
			for a := 0; a < 7; a++ {
				jtr[a] += jac[i][a] * r[i]
				for b := a; b < 7; b++ {
					jtj[a][b] += jac[i][a] * jac[i][b]
				}
			}
		}
		for a := 0; a < 7; a++ {
			for b := 0; b < a; b++ {
				jtj[a][b] = jtj[b][a]
			}
		}
		improved := false
		var stepNorm float64
		for tries := 0; tries < 30; tries++ {
			a := make([][]float64, 7)
			b := make([]float64, 7)
			for i := 0; i < 7; i++ {
				a[i] = make([]float64, 7)
				copy(a[i], jtj[i][:])
				a[i][i] += lambda * math.Max(jtj[i][i], 1e-12)
				b[i] = -jtr[i]
			}
			delta, err := solveLinear(a, b)
			if err != nil {
				lambda *= 10
				continue
			}
			x := p.params
			for i := range delta {
				x[i] += delta[i]
			}
			x[6] = math.Min(math.Max(x[6], p.minLogF), p.maxLogF)
			if p.residuals(x, rp) {
				if c := sumSquares(rp); c <= cost {
					stepNorm = 0
					for i := range delta {
						stepNorm += delta[i] * delta[i]
					}
					stepNorm = math.Sqrt(stepNorm)
					gain := cost - c
					p.params = x
					copy(r, rp)
					cost = c
					lambda = math.Max(lambda/10, 1e-12)
					improved = true
					if gain <= 1e-16*(1+cost) && stepNorm < 1e-9 {
						stepNorm = 0
					}
					break
				}
			}
			lambda *= 10
		}
		// Fold the rotation increment into the base rotation so the
		// increment stays small (no singularity).
		p.baseR = p.baseR.mul(rodrigues(vec3{p.params[0], p.params[1], p.params[2]}))
		p.params[0], p.params[1], p.params[2] = 0, 0, 0
		if !improved || stepNorm < 1e-13 {
			break
		}
	}
	return cost, nil
}
