package framing

// Edge is a segment of the model's bounding box the dimensions overlay
// draws a guide along.
type Edge struct {
	From, To [3]float64
}

// Guides returns the bounding-box edges the true-size overlay labels:
// width along the bottom front edge, height up the front right edge and
// depth along the bottom right edge, the three edges facing the
// three-quarter view camera.
func Guides(min, max [3]float64) (width, height, depth Edge) {
	width = Edge{From: [3]float64{min[0], min[1], max[2]}, To: [3]float64{max[0], min[1], max[2]}}
	height = Edge{From: [3]float64{max[0], min[1], max[2]}, To: [3]float64{max[0], max[1], max[2]}}
	depth = Edge{From: [3]float64{max[0], min[1], max[2]}, To: [3]float64{max[0], min[1], min[2]}}
	return width, height, depth
}

// Project maps the point p through viewProj, a column-major
// view-projection matrix as OpenGL and g3n store it, to CSS pixels of a
// canvas w × h (origin top left, y down). ok is false for a point behind
// the camera.
func Project(viewProj [16]float32, p [3]float64, w, h float64) (x, y float64, ok bool) {
	m := func(i int) float64 { return float64(viewProj[i]) }
	cx := m(0)*p[0] + m(4)*p[1] + m(8)*p[2] + m(12)
	cy := m(1)*p[0] + m(5)*p[1] + m(9)*p[2] + m(13)
	cw := m(3)*p[0] + m(7)*p[1] + m(11)*p[2] + m(15)
	if !(cw > 1e-9) {
		return 0, 0, false
	}
	return (cx/cw + 1) / 2 * w, (1 - cy/cw) / 2 * h, true
}
