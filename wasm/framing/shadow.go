package framing

import "math"

// Shadow places the soft contact shadow under a model: a horizontal quad
// centred under the bounding box, a little below its bottom (so it never
// fights with a base lying on the ground), larger than the footprint so
// the shadow fades out around it.
type Shadow struct {
	Centre [3]float64 // centre of the quad
	// HalfX and HalfZ are the quad's half extents along x and z.
	HalfX, HalfZ float64
	// Core is the footprint's share of the quad's half extents, 0..1:
	// inside it the shadow is nearly solid (the shader's ShadowParams.y).
	Core float64
	// Opacity is the shadow's density at its centre, 0..1.
	Opacity float64
}

// Shadow tuning: the quad reaches spread × the footprint plus a share of
// the model's height (taller things throw wider, softer shadows); flat
// objects get a lighter shadow than bulky ones.
const (
	shadowSpread      = 1.25
	shadowHeightShare = 0.25
	shadowMinOpacity  = 0.35
	shadowMaxOpacity  = 0.6
	// shadowLift puts the quad this share of the model's size below its
	// base, avoiding z-fighting with a flat bottom.
	shadowLift = 0.002
)

// GroundShadow sizes the contact shadow for the box [min, max] (y up).
// Degenerate boxes still yield a small, valid shadow.
func GroundShadow(min, max [3]float64) Shadow {
	var size [3]float64
	var centre [3]float64
	for i := range 3 {
		lo, hi := min[i], max[i]
		if hi < lo {
			lo, hi = hi, lo
		}
		if math.IsNaN(lo) || math.IsNaN(hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
			lo, hi = 0, 0
		}
		size[i] = hi - lo
		centre[i] = (lo + hi) / 2
	}
	largest := math.Max(size[0], math.Max(size[1], size[2]))
	if !(largest > 1e-6) {
		largest = 0.1
	}
	// A box with no footprint (a flat wall panel seen edge-on) still
	// gets a shadow of a sensible size.
	footX := math.Max(size[0], largest*0.05) / 2
	footZ := math.Max(size[2], largest*0.05) / 2
	grow := shadowHeightShare * size[1] / 2
	halfX := footX*shadowSpread + grow
	halfZ := footZ*shadowSpread + grow
	core := math.Min(footX/halfX, footZ/halfZ)
	// Bulk: the share of the largest side the height takes; a rug or a
	// frame lying flat is light, a cabinet is dark.
	bulk := math.Min(size[1]/largest, 1)
	return Shadow{
		Centre:  [3]float64{centre[0], centre[1] - size[1]/2 - shadowLift*largest, centre[2]},
		HalfX:   halfX,
		HalfZ:   halfZ,
		Core:    core,
		Opacity: shadowMinOpacity + (shadowMaxOpacity-shadowMinOpacity)*bulk,
	}
}

// CastsGroundShadow reports whether a product with the given placement
// (wire's placement kinds) stands on something: floor and table products
// (and feet, shown standing) do; wall, face and wrist products do not.
// An unknown or empty placement is treated as standing.
func CastsGroundShadow(placement string) bool {
	switch placement {
	case "wall", "face", "wrist":
		return false
	}
	return true
}
