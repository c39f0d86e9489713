package render

import (
	"fmt"
	"math"
)

// Camera is a perspective pinhole camera in world space (metres, y up).
type Camera struct {
	Eye, Target, Up [3]float64
	// FovYDeg is the full vertical field of view in degrees.
	FovYDeg float64
	// Near and Far bound the rendered depth range along the view direction.
	Near, Far float64
}

// frameMargin is the fraction of the half-image a framed box may fill.
const frameMargin = 0.9

// FrameCamera returns a camera looking at the box [min,max] from the
// direction given by yawDeg (0 looks from +z toward -z, positive turns the
// camera toward +x) and pitchDeg (positive looks down from above), with
// the given vertical field of view and image aspect (width/height). The
// camera is placed so every corner of the box projects inside the image
// with a small margin, and the box's projection is centred.
func FrameCamera(min, max [3]float64, yawDeg, pitchDeg, fovYDeg, aspect float64) Camera {
	if !(fovYDeg > 1 && fovYDeg < 170) {
		fovYDeg = 35
	}
	if !(aspect > 0) || math.IsInf(aspect, 0) {
		aspect = 1
	}
	pitchDeg = math.Max(-89, math.Min(89, pitchDeg))
	yaw, pitch := yawDeg*math.Pi/180, pitchDeg*math.Pi/180
	toEye := [3]float64{math.Cos(pitch) * math.Sin(yaw), math.Sin(pitch), math.Cos(pitch) * math.Cos(yaw)}
	up := [3]float64{0, 1, 0}
	forward := scale3(toEye, -1)
	right := normalize3(cross3(forward, up))
	camUp := cross3(right, forward)

	center := scale3(add3(min, max), 0.5)
	corners := make([][3]float64, 0, 8)
	for i := 0; i < 8; i++ {
		c := min
		if i&1 != 0 {
			c[0] = max[0]
		}
		if i&2 != 0 {
			c[1] = max[1]
		}
		if i&4 != 0 {
			c[2] = max[2]
		}
		corners = append(corners, c)
	}
	radius := length3(sub3(max, center))
	if radius == 0 || math.IsNaN(radius) || math.IsInf(radius, 0) {
		radius = 1
	}
	tanY := math.Tan(fovYDeg * math.Pi / 360)
	tanX := tanY * aspect

	// distanceFor is the smallest eye distance from target along toEye that
	// keeps every corner inside the margin-shrunk frustum.
	distanceFor := func(target [3]float64) float64 {
		dist := 0.0
		for _, c := range corners {
			rel := sub3(c, target)
			x, y, z := dot3(rel, right), dot3(rel, camUp), dot3(rel, forward)
			dist = math.Max(dist, math.Abs(x)/(tanX*frameMargin)-z)
			dist = math.Max(dist, math.Abs(y)/(tanY*frameMargin)-z)
		}
		return dist
	}
	target := center
	dist := distanceFor(target)
	// Re-centre the projected box: move the target sideways by the offset
	// of the projection's centre, then refit the distance.
	for iter := 0; iter < 4; iter++ {
		eye := add3(target, scale3(toEye, dist))
		minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		for _, c := range corners {
			rel := sub3(c, eye)
			depth := dot3(rel, forward)
			if depth <= 0 {
				break
			}
			x, y := dot3(rel, right)/(depth*tanX), dot3(rel, camUp)/(depth*tanY)
			minX, maxX = math.Min(minX, x), math.Max(maxX, x)
			minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		}
		if math.IsInf(minX, 0) {
			break
		}
		shiftX := (minX + maxX) / 2 * tanX * dist
		shiftY := (minY + maxY) / 2 * tanY * dist
		target = add3(target, add3(scale3(right, shiftX), scale3(camUp, shiftY)))
		dist = distanceFor(target)
	}
	dist = math.Max(dist, radius*0.05)
	eye := add3(target, scale3(toEye, dist))
	centreDepth := dot3(sub3(center, eye), forward)
	near := math.Max((centreDepth-radius)*0.5, dist*1e-3)
	far := centreDepth + radius*2 + near
	return Camera{Eye: eye, Target: target, Up: up, FovYDeg: fovYDeg, Near: near, Far: far}
}

// view is a camera prepared for projection.
type view struct {
	eye                [3]float64
	right, up, forward [3]float64
	focalX, focalY     float64 // pixels per unit of x/z and y/z
	centreX, centreY   float64 // principal point in pixels
	near, far          float64
	width, height      int
}

func newView(cam Camera, width, height int) (view, error) {
	for _, v := range [][3]float64{cam.Eye, cam.Target, cam.Up} {
		for _, c := range v {
			if math.IsNaN(c) || math.IsInf(c, 0) {
				return view{}, fmt.Errorf("%w: camera has a non-finite vector", ErrInvalid)
			}
		}
	}
	if !(cam.FovYDeg > 0 && cam.FovYDeg < 180) {
		return view{}, fmt.Errorf("%w: field of view %g° is not in (0,180)", ErrInvalid, cam.FovYDeg)
	}
	if !(cam.Near > 0) || !(cam.Far > cam.Near) || math.IsInf(cam.Far, 0) {
		return view{}, fmt.Errorf("%w: near %g and far %g must satisfy 0 < near < far", ErrInvalid, cam.Near, cam.Far)
	}
	forward := sub3(cam.Target, cam.Eye)
	if length3(forward) == 0 {
		return view{}, fmt.Errorf("%w: camera eye and target coincide", ErrInvalid)
	}
	forward = normalize3(forward)
	right := cross3(forward, cam.Up)
	if length3(right) < 1e-9 {
		return view{}, fmt.Errorf("%w: camera up is parallel to the view direction", ErrInvalid)
	}
	right = normalize3(right)
	up := cross3(right, forward)
	tanY := math.Tan(cam.FovYDeg * math.Pi / 360)
	focalY := float64(height) / 2 / tanY
	return view{
		eye: cam.Eye, right: right, up: up, forward: forward,
		focalX: focalY, focalY: focalY,
		centreX: float64(width) / 2, centreY: float64(height) / 2,
		near: cam.Near, far: cam.Far, width: width, height: height,
	}, nil
}

// toView returns p in camera coordinates: x right, y up, z forward depth.
func (v *view) toView(p [3]float64) [3]float64 {
	rel := sub3(p, v.eye)
	return [3]float64{dot3(rel, v.right), dot3(rel, v.up), dot3(rel, v.forward)}
}

// project maps a camera-space point with z > 0 to pixel coordinates.
func (v *view) project(c [3]float64) (x, y float64) {
	return v.centreX + c[0]/c[2]*v.focalX, v.centreY - c[1]/c[2]*v.focalY
}

func add3(a, b [3]float64) [3]float64 { return [3]float64{a[0] + b[0], a[1] + b[1], a[2] + b[2]} }
func sub3(a, b [3]float64) [3]float64 { return [3]float64{a[0] - b[0], a[1] - b[1], a[2] - b[2]} }
func scale3(a [3]float64, s float64) [3]float64 {
	return [3]float64{a[0] * s, a[1] * s, a[2] * s}
}
func dot3(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }
func cross3(a, b [3]float64) [3]float64 {
	return [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
}
func length3(a [3]float64) float64 { return math.Sqrt(dot3(a, a)) }
func normalize3(a [3]float64) [3]float64 {
	l := length3(a)
	if l == 0 {
		return a
	}
	return scale3(a, 1/l)
}
