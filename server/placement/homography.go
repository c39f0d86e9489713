package placement

import (
	"fmt"
	"math"
)

// Homography maps points of one plane to another in homogeneous
// coordinates: (u, v, w) = H·(x, y, 1), and the point is (u/w, v/w).
type Homography [3][3]float64

// Apply maps p through h. ok is false when p maps to infinity (on or
// numerically at the vanishing line).
func (h Homography) Apply(p [2]float64) (q [2]float64, w float64, ok bool) {
	u := h[0][0]*p[0] + h[0][1]*p[1] + h[0][2]
	v := h[1][0]*p[0] + h[1][1]*p[1] + h[1][2]
	w = h[2][0]*p[0] + h[2][1]*p[1] + h[2][2]
	if w == 0 || math.IsNaN(w) {
		return q, w, false
	}
	q = [2]float64{u / w, v / w}
	return q, w, !math.IsInf(q[0], 0) && !math.IsInf(q[1], 0)
}

// Inverse returns the homography mapping back.
func (h Homography) Inverse() (Homography, error) {
	inv, err := mat3(h).inverse()
	if err != nil {
		return Homography{}, fmt.Errorf("placement: invert homography: %w", err)
	}
	return Homography(inv), nil
}

// normalised scales h so that its Frobenius norm is 1 and h[2][2] ≥ 0.
func (h Homography) normalised() Homography {
	s := 0.0
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			s += h[i][j] * h[i][j]
		}
	}
	s = math.Sqrt(s)
	if h[2][2] < 0 {
		s = -s
	}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			h[i][j] /= s
		}
	}
	return h
}

// hartley returns the similarity that moves the points' centroid to the
// origin and scales their mean distance from it to √2.
func hartley(pts [][2]float64) mat3 {
	var cx, cy float64
	for _, p := range pts {
		cx += p[0]
		cy += p[1]
	}
	cx /= float64(len(pts))
	cy /= float64(len(pts))
	d := 0.0
	for _, p := range pts {
		d += math.Hypot(p[0]-cx, p[1]-cy)
	}
	d /= float64(len(pts))
	s := 1.0
	if d > 0 {
		s = math.Sqrt2 / d
	}
	return mat3{{s, 0, -s * cx}, {0, s, -s * cy}, {0, 0, 1}}
}

// DLT estimates the homography mapping src[i] to dst[i] (at least four
// correspondences) by the Hartley-normalised direct linear transform: both
// point sets are normalised, the 2n×9 system's null vector is taken from the
// smallest eigenvector of AᵀA, and the normalisation is undone. With exactly
// four points in general position the result maps them exactly.
func DLT(src, dst [][2]float64) (Homography, error) {
	if len(src) != len(dst) || len(src) < 4 {
		return Homography{}, fmt.Errorf("placement: DLT needs at least 4 matching points, got %d and %d: %w", len(src), len(dst), ErrInvalid)
	}
	ts, td := hartley(src), hartley(dst)
	ata := make([][]float64, 9)
	for i := range ata {
		ata[i] = make([]float64, 9)
	}
	addRow := func(r [9]float64) {
		for i := 0; i < 9; i++ {
			for j := 0; j < 9; j++ {
				ata[i][j] += r[i] * r[j]
			}
		}
	}
	for i := range src {
		s := ts.apply(vec3{src[i][0], src[i][1], 1})
		d := td.apply(vec3{dst[i][0], dst[i][1], 1})
		x, y := s[0], s[1]
		u, v := d[0], d[1]
		addRow([9]float64{-x, -y, -1, 0, 0, 0, u * x, u * y, u})
		addRow([9]float64{0, 0, 0, -x, -y, -1, v * x, v * y, v})
	}
	vals, vecs := symmetricEigen(ata)
	best := 0
	for i := 1; i < 9; i++ {
		if vals[i] < vals[best] {
			best = i
		}
	}
	var hn mat3
	for i := 0; i < 9; i++ {
		hn[i/3][i%3] = vecs[i][best]
	}
	tdInv, err := td.inverse()
	if err != nil {
		return Homography{}, fmt.Errorf("placement: DLT: degenerate destination points: %w", ErrDegenerate)
	}
	h := Homography(tdInv.mul(hn).mul(ts))
	if math.Abs(mat3(h).det()) < 1e-300 {
		return Homography{}, fmt.Errorf("placement: DLT: singular homography: %w", ErrDegenerate)
	}
	return h.normalised(), nil
}
