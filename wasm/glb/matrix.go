package glb

import (
	"fmt"
	"math"
)

// mat4 is a column-major 4×4 matrix, as glTF stores node matrices.
type mat4 [16]float64

func identity() mat4 {
	return mat4{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}
}

// at returns the element in row r, column c.
func (m *mat4) at(r, c int) float64 { return m[c*4+r] }

func (m mat4) mul(o mat4) mat4 {
	var out mat4
	for c := range 4 {
		for r := range 4 {
			var s float64
			for k := range 4 {
				s += m.at(r, k) * o.at(k, c)
			}
			out[c*4+r] = s
		}
	}
	return out
}

// localMatrix is a node's transform: its matrix, or translation × rotation
// × scale.
func localMatrix(n node) (mat4, error) {
	for _, v := range [][]float64{n.Matrix, n.Translation, n.Rotation, n.Scale} {
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return mat4{}, fmt.Errorf("%w: transform is not finite", ErrInvalid)
			}
		}
	}
	if n.Matrix != nil {
		if len(n.Matrix) != 16 {
			return mat4{}, fmt.Errorf("%w: matrix has %d elements", ErrInvalid, len(n.Matrix))
		}
		var m mat4
		copy(m[:], n.Matrix)
		return m, nil
	}
	t, r, s := [3]float64{}, [4]float64{0, 0, 0, 1}, [3]float64{1, 1, 1}
	if n.Translation != nil {
		if len(n.Translation) != 3 {
			return mat4{}, fmt.Errorf("%w: translation has %d elements", ErrInvalid, len(n.Translation))
		}
		copy(t[:], n.Translation)
	}
	if n.Rotation != nil {
		if len(n.Rotation) != 4 {
			return mat4{}, fmt.Errorf("%w: rotation has %d elements", ErrInvalid, len(n.Rotation))
		}
		copy(r[:], n.Rotation)
		l := math.Sqrt(r[0]*r[0] + r[1]*r[1] + r[2]*r[2] + r[3]*r[3])
		if l < 1e-9 {
			return mat4{}, fmt.Errorf("%w: rotation quaternion has zero length", ErrInvalid)
		}
		for i := range r {
			r[i] /= l
		}
	}
	if n.Scale != nil {
		if len(n.Scale) != 3 {
			return mat4{}, fmt.Errorf("%w: scale has %d elements", ErrInvalid, len(n.Scale))
		}
		copy(s[:], n.Scale)
	}
	x, y, z, w := r[0], r[1], r[2], r[3]
	rot := [9]float64{ // row-major 3×3
		1 - 2*(y*y+z*z), 2 * (x*y - z*w), 2 * (x*z + y*w),
		2 * (x*y + z*w), 1 - 2*(x*x+z*z), 2 * (y*z - x*w),
		2 * (x*z - y*w), 2 * (y*z + x*w), 1 - 2*(x*x+y*y),
	}
	var m mat4
	for c := range 3 {
		for row := range 3 {
			m[c*4+row] = rot[row*3+c] * s[c]
		}
	}
	m[12], m[13], m[14], m[15] = t[0], t[1], t[2], 1
	return m, nil
}

func (m mat4) transformPoints(p []float32) {
	for i := 0; i+2 < len(p); i += 3 {
		x, y, z := float64(p[i]), float64(p[i+1]), float64(p[i+2])
		p[i] = float32(m[0]*x + m[4]*y + m[8]*z + m[12])
		p[i+1] = float32(m[1]*x + m[5]*y + m[9]*z + m[13])
		p[i+2] = float32(m[2]*x + m[6]*y + m[10]*z + m[14])
	}
}

// mat3 is a row-major 3×3 matrix.
type mat3 [9]float64

func (m mat4) determinant() float64 {
	a := m.upper()
	return a[0]*(a[4]*a[8]-a[5]*a[7]) - a[1]*(a[3]*a[8]-a[5]*a[6]) + a[2]*(a[3]*a[7]-a[4]*a[6])
}

// upper returns the upper-left 3×3 of m in row-major order.
func (m mat4) upper() mat3 {
	return mat3{m.at(0, 0), m.at(0, 1), m.at(0, 2), m.at(1, 0), m.at(1, 1), m.at(1, 2), m.at(2, 0), m.at(2, 1), m.at(2, 2)}
}

// normalMatrix is the inverse transpose of m's upper 3×3, which keeps
// normals perpendicular to surfaces under non-uniform scale. A singular
// matrix yields the identity.
func (m mat4) normalMatrix() mat3 {
	a := m.upper()
	det := m.determinant()
	if math.Abs(det) < 1e-20 {
		return mat3{1, 0, 0, 0, 1, 0, 0, 0, 1}
	}
	// The inverse transpose is the cofactor matrix divided by det.
	return mat3{
		(a[4]*a[8] - a[5]*a[7]) / det, -(a[3]*a[8] - a[5]*a[6]) / det, (a[3]*a[7] - a[4]*a[6]) / det,
		-(a[1]*a[8] - a[2]*a[7]) / det, (a[0]*a[8] - a[2]*a[6]) / det, -(a[0]*a[7] - a[1]*a[6]) / det,
		(a[1]*a[5] - a[2]*a[4]) / det, -(a[0]*a[5] - a[2]*a[3]) / det, (a[0]*a[4] - a[1]*a[3]) / det,
	}
}

func (m mat3) transformNormals(n []float32) {
	for i := 0; i+2 < len(n); i += 3 {
		x, y, z := float64(n[i]), float64(n[i+1]), float64(n[i+2])
		n[i] = float32(m[0]*x + m[1]*y + m[2]*z)
		n[i+1] = float32(m[3]*x + m[4]*y + m[5]*z)
		n[i+2] = float32(m[6]*x + m[7]*y + m[8]*z)
	}
	normalizeAll(n)
}

// transformTangents maps tangents (x, y, z, w per vertex) by m's upper
// 3×3, as directions on the surface, renormalises them and sets w to the
// bitangent's sign, flipped when m mirrors.
func (m mat4) transformTangents(t []float32, mirrored bool) {
	a := m.upper()
	for i := 0; i+3 < len(t); i += 4 {
		x, y, z := float64(t[i]), float64(t[i+1]), float64(t[i+2])
		tx, ty, tz := a[0]*x+a[1]*y+a[2]*z, a[3]*x+a[4]*y+a[5]*z, a[6]*x+a[7]*y+a[8]*z
		if l := math.Sqrt(tx*tx + ty*ty + tz*tz); l > 1e-12 {
			tx, ty, tz = tx/l, ty/l, tz/l
		} else {
			tx, ty, tz = 1, 0, 0
		}
		w := float32(1)
		if (t[i+3] < 0) != mirrored {
			w = -1
		}
		t[i], t[i+1], t[i+2], t[i+3] = float32(tx), float32(ty), float32(tz), w
	}
}
