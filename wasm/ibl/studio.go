package ibl

import "math"

// The neutral studio: a grey room around the product, lit by soft
// rectangular light boxes on the ceiling and walls, in the manner of
// <model-viewer>'s default "neutral" environment. Everything is defined
// procedurally, so the baked data can be rebuilt from this file alone.
//
// The room is an axis-aligned box around the origin (the product's
// centre): y is up, the shopper's camera starts on +z.

// room is the box the light boxes hang on, in the product's units (only
// ratios matter: the environment is seen from its centre).
var room = struct{ minX, maxX, minY, maxY, minZ, maxZ float64 }{
	minX: -1, maxX: 1, minY: -0.55, maxY: 1.1, minZ: -1, maxZ: 1,
}

// wall names a face of the room box.
type wall int

const (
	wallFloor wall = iota
	wallCeiling
	wallLeft  // x = minX
	wallRight // x = maxX
	wallBack  // z = minZ
	wallFront // z = maxZ, behind the camera
)

// lightBox is a rectangle on a wall, emitting radiance Intensity (linear,
// neutral white). The rectangle spans [a0,a1]×[b0,b1] in the wall's two
// in-plane coordinates: (x, z) on floor and ceiling, (z, y) on the side
// walls, (x, y) on the back and front walls.
type lightBox struct {
	on                 wall
	a0, a1, b0, b1     float64
	intensity          float64
	softA, softB       float64 // width of the fall-off at the edges
	tintR, tintG, tint float64 // multiplies the intensity per channel
}

// lights are the studio's light boxes. The large ceiling box and the key
// on the left light the product from above and the side; the fill on
// the right and the box behind the camera keep the shadow side and the
// front readable; a strip at the back draws the silhouette on glossy
// surfaces.
var lights = []lightBox{
	{on: wallCeiling, a0: -0.6, a1: 0.6, b0: -0.5, b1: 0.6, intensity: 1.3, softA: 0.1, softB: 0.1, tintR: 1, tintG: 1, tint: 1},
	{on: wallLeft, a0: -0.45, a1: 0.65, b0: 0.0, b1: 0.9, intensity: 1.6, softA: 0.08, softB: 0.08, tintR: 1, tintG: 0.99, tint: 0.97},
	{on: wallRight, a0: -0.6, a1: 0.2, b0: 0.05, b1: 0.8, intensity: 1.3, softA: 0.08, softB: 0.08, tintR: 0.97, tintG: 0.99, tint: 1},
	{on: wallFront, a0: -0.6, a1: 0.6, b0: -0.05, b1: 0.7, intensity: 1.4, softA: 0.1, softB: 0.1, tintR: 1, tintG: 1, tint: 1},
	{on: wallBack, a0: -0.7, a1: 0.7, b0: 0.5, b1: 0.8, intensity: 1.6, softA: 0.05, softB: 0.05, tintR: 1, tintG: 1, tint: 1},
}

// Wall radiances: a neutral grey room, darker below.
const (
	floorRadiance   = 0.55
	wallRadianceLow = 0.65 // at the floor
	wallRadianceTop = 0.8  // at the ceiling
	ceilingRadiance = 0.95
)

// StudioRadiance returns the linear RGB radiance the studio sends towards
// the origin from direction dir (any length but zero).
func StudioRadiance(dir [3]float64) [3]float64 {
	x, y, z := dir[0], dir[1], dir[2]
	// The nearest wall the ray from the origin meets.
	t := math.Inf(1)
	hit := wallFloor
	try := func(d, lo, hi float64, neg, pos wall) {
		switch {
		case d > 0:
			if s := hi / d; s < t {
				t, hit = s, pos
			}
		case d < 0:
			if s := lo / d; s < t {
				t, hit = s, neg
			}
		}
	}
	try(x, room.minX, room.maxX, wallLeft, wallRight)
	try(y, room.minY, room.maxY, wallFloor, wallCeiling)
	try(z, room.minZ, room.maxZ, wallBack, wallFront)
	if math.IsInf(t, 1) {
		return [3]float64{}
	}
	px, py, pz := x*t, y*t, z*t

	var base float64
	switch hit {
	case wallFloor:
		base = floorRadiance
	case wallCeiling:
		base = ceilingRadiance
	default:
		h := (py - room.minY) / (room.maxY - room.minY)
		base = wallRadianceLow + (wallRadianceTop-wallRadianceLow)*h
	}
	out := [3]float64{base, base, base}
	for _, l := range lights {
		if l.on != hit {
			continue
		}
		var a, b float64
		switch hit {
		case wallFloor, wallCeiling:
			a, b = px, pz
		case wallLeft, wallRight:
			a, b = pz, py
		default:
			a, b = px, py
		}
		w := edge(a, l.a0, l.a1, l.softA) * edge(b, l.b0, l.b1, l.softB)
		if w <= 0 {
			continue
		}
		out[0] += w * l.intensity * l.tintR
		out[1] += w * l.intensity * l.tintG
		out[2] += w * l.intensity * l.tint
	}
	return out
}

// edge is 1 inside [lo, hi], falling smoothly to 0 over soft outside it.
func edge(v, lo, hi, soft float64) float64 {
	d := math.Max(lo-v, v-hi)
	if d <= 0 {
		return 1
	}
	if d >= soft {
		return 0
	}
	s := 1 - d/soft
	return s * s * (3 - 2*s)
}
