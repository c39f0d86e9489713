// Package framing computes where the viewer's camera goes so that a model
// fills the view: the orbit target, the camera position, the clip planes
// and the zoom range, from the model's bounding box, the camera's field of
// view and the canvas aspect ratio.
package framing

import "math"

// Shot is a camera placement.
type Shot struct {
	Target   [3]float64 // point the camera orbits and looks at
	Position [3]float64 // camera position
	Near     float64    // near clip plane distance
	Far      float64    // far clip plane distance
	// MinDistance and MaxDistance bound the orbit zoom.
	MinDistance float64
	MaxDistance float64
	// Radius is the model's bounding-sphere radius.
	Radius float64
}

// viewDirection points from the target towards the camera: in front,
// a little to the right and above, the three-quarter view of product
// photography.
var viewDirection = normalize([3]float64{0.55, 0.45, 1})

// Frame places a perspective camera with vertical field of view fovYDeg
// (degrees) and aspect (width/height) so that the box [min, max], seen
// from the three-quarter view direction, fits the view: every corner
// projects inside the frame shrunk by margin (1 = corners may touch the
// edges; 1.15 leaves 15% room). Fitting the corners rather than the
// bounding sphere frames long, thin products (a watch, a sofa) tightly.
// Degenerate input (empty box, zero aspect) still yields a usable shot
// around the box centre.
func Frame(min, max [3]float64, fovYDeg, aspect, margin float64) Shot {
	var centre, half [3]float64
	var diag float64
	for i := range 3 {
		lo, hi := min[i], max[i]
		if hi < lo {
			lo, hi = hi, lo
		}
		if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			lo, hi = 0, 0
		}
		centre[i] = (lo + hi) / 2
		half[i] = (hi - lo) / 2
		diag += (hi - lo) * (hi - lo)
	}
	radius := math.Sqrt(diag) / 2
	if !(radius > 1e-6) {
		radius = 0.5
		half = [3]float64{0.29, 0.29, 0.29}
	}
	if !(aspect > 0) || math.IsInf(aspect, 0) {
		aspect = 1
	}
	if !(fovYDeg > 1 && fovYDeg < 179) {
		fovYDeg = 45
	}
	if !(margin >= 1) {
		margin = 1
	}
	tanY := math.Tan(fovYDeg*math.Pi/360) / margin
	tanX := tanY * aspect

	// Camera basis: back points from the target to the camera.
	back := viewDirection
	right := normalize(cross([3]float64{0, 1, 0}, back))
	up := cross(back, right)
	distance := 0.0
	for corner := range 8 {
		var p [3]float64
		for i := range 3 {
			p[i] = half[i]
			if corner&(1<<i) != 0 {
				p[i] = -half[i]
			}
		}
		depth := dot(p, back) // towards the camera
		need := depth + math.Max(math.Abs(dot(p, right))/tanX, math.Abs(dot(p, up))/tanY)
		distance = math.Max(distance, need)
	}
	// Never inside the model.
	distance = math.Max(distance, radius*1.05)
	var pos [3]float64
	for i := range 3 {
		pos[i] = centre[i] + back[i]*distance
	}
	return Shot{
		Target:      centre,
		Position:    pos,
		Near:        math.Max(distance-radius*4, distance/100),
		Far:         distance + radius*20,
		MinDistance: math.Min(radius*1.1, distance*0.8),
		MaxDistance: distance * 4,
		Radius:      radius,
	}
}

func dot(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func cross(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}

func normalize(v [3]float64) [3]float64 {
	l := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	return [3]float64{v[0] / l, v[1] / l, v[2] / l}
}
