package assetpipe

import (
	"fmt"
	"math"

	"github.com/vitrine-shop/vitrine/wire"
)

// RootTransform is the node transform that normalises a model: uniform
// Scale, then Rotation (unit quaternion x,y,z,w), then Translation, as a
// glTF node applies them.
type RootTransform struct {
	Scale       float64
	Rotation    [4]float64
	Translation [3]float64
}

// IsIdentity reports whether t changes nothing.
func (t RootTransform) IsIdentity() bool {
	return t.Scale == 1 && t.Rotation == [4]float64{0, 0, 0, 1} && t.Translation == [3]float64{}
}

// Unit is an authoring unit a model may have been exported in.
type Unit struct {
	Name   string
	Metres float64
}

// Units lists the authoring units Normalise recognises, metres first.
var Units = []Unit{{"m", 1}, {"cm", 0.01}, {"mm", 0.001}, {"in", 0.0254}}

// Normalisation is what Normalise decided about a model.
type Normalisation struct {
	Transform RootTransform
	// Unit is the detected authoring unit ("m" when nothing was fixed).
	Unit Unit
	// ZUp is set when the model was authored with Z up and was turned to
	// glTF's Y up.
	ZUp bool
	// MeasuredM is the model as uploaded (glTF units taken as metres);
	// NormalisedM after the fixes.
	MeasuredM, NormalisedM wire.Dimensions
	// MismatchPct is the largest difference between NormalisedM and the
	// declared dimensions, in percent (0 when none were declared).
	MismatchPct float64
	// BoundsMin and BoundsMax are the bounds after normalisation.
	BoundsMin, BoundsMax [3]float64
	// Notes explain each fix in plain words.
	Notes []string
}

// mismatchPct is the largest relative difference over the declared axes.
func mismatchPct(got, declared wire.Dimensions) float64 {
	worst := 0.0
	for _, a := range [][2]float64{{got.W, declared.W}, {got.H, declared.H}, {got.D, declared.D}} {
		if a[1] > 0 {
			worst = math.Max(worst, math.Abs(a[0]-a[1])/a[1]*100)
		}
	}
	return worst
}

// zUpRotation turns Z-up content to Y-up: −90° about X, (x,y,z) → (x,z,−y).
var zUpRotation = [4]float64{-math.Sqrt2 / 2, 0, 0, math.Sqrt2 / 2}

// Normalise compares a model's measured bounds (lo, hi, in glTF units)
// with the merchant's declared dimensions and decides the root transform:
//
//   - Units: when the model as uploaded differs from the declared size by
//     more than MismatchTolerancePct but reading it as centimetres,
//     millimetres or inches brings every declared axis within that
//     tolerance, it is scaled by 0.01, 0.001 or 0.0254.
//   - Up axis: likewise, when only swapping height and depth matches, the
//     model is turned from Z up to Y up.
//   - Origin, by placement: floor, table and feet items stand on y=0,
//     centred in x and z; wall items hang with their back on z=0, centred
//     in x and y; face items have the front of the frame on z=0, centred in
//     x and y (the anchor a try-on puts at the bridge of the nose); wrist
//     items are centred on the origin (the wrist's axis).
func Normalise(lo, hi [3]float64, declared wire.Dimensions, placement string) Normalisation {
	n := Normalisation{Unit: Units[0]}
	size := [3]float64{hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]}
	n.MeasuredM = wire.Dimensions{W: round6(size[0]), H: round6(size[1]), D: round6(size[2])}
	best := math.Inf(1)
	if declared.W > 0 || declared.H > 0 || declared.D > 0 {
		for _, zUp := range []bool{false, true} {
			for _, u := range Units {
				d := wire.Dimensions{W: size[0] * u.Metres, H: size[1] * u.Metres, D: size[2] * u.Metres}
				if zUp {
					d.H, d.D = d.D, d.H
				}
				m := mismatchPct(d, declared)
				if m <= MismatchTolerancePct && m < best-1e-9 && (best > MismatchTolerancePct) {
					best = m
					n.Unit, n.ZUp = u, zUp
				}
			}
			if best <= MismatchTolerancePct {
				break
			}
		}
	}
	t := RootTransform{Scale: n.Unit.Metres, Rotation: [4]float64{0, 0, 0, 1}}
	s := n.Unit.Metres
	nlo := [3]float64{lo[0] * s, lo[1] * s, lo[2] * s}
	nhi := [3]float64{hi[0] * s, hi[1] * s, hi[2] * s}
	if n.ZUp {
		t.Rotation = zUpRotation
		// (x,y,z) → (x,z,−y)
		nlo, nhi = [3]float64{nlo[0], nlo[2], -nhi[1]}, [3]float64{nhi[0], nhi[2], -nlo[1]}
	}
	c := [3]float64{(nlo[0] + nhi[0]) / 2, (nlo[1] + nhi[1]) / 2, (nlo[2] + nhi[2]) / 2}
	switch placement {
	case wire.PlacementWall:
		t.Translation = [3]float64{-c[0], -c[1], -nlo[2]}
	case wire.PlacementFace:
		t.Translation = [3]float64{-c[0], -c[1], -nhi[2]}
	case wire.PlacementWrist:
		t.Translation = [3]float64{-c[0], -c[1], -c[2]}
	default: // floor, table, feet and unknown
		t.Translation = [3]float64{-c[0], -nlo[1], -c[2]}
	}
	for i := range 3 {
		t.Translation[i] = round9(t.Translation[i])
		nlo[i] += t.Translation[i]
		nhi[i] += t.Translation[i]
	}
	n.Transform = t
	n.BoundsMin, n.BoundsMax = nlo, nhi
	n.NormalisedM = wire.Dimensions{W: round6(nhi[0] - nlo[0]), H: round6(nhi[1] - nlo[1]), D: round6(nhi[2] - nlo[2])}
	n.MismatchPct = math.Round(mismatchPct(n.NormalisedM, declared)*100) / 100
	if n.Unit.Metres != 1 {
		n.Notes = append(n.Notes, fmt.Sprintf("the model appears to be authored in %s (it measured %.3f × %.3f × %.3f units); it was scaled by %g to metres", n.Unit.Name, size[0], size[1], size[2], n.Unit.Metres))
	}
	if n.ZUp {
		n.Notes = append(n.Notes, "the model appears to be authored with Z up; it was turned to glTF's Y up")
	}
	if shift := math.Sqrt(t.Translation[0]*t.Translation[0] + t.Translation[1]*t.Translation[1] + t.Translation[2]*t.Translation[2]); shift > 1e-4 {
		n.Notes = append(n.Notes, fmt.Sprintf("the origin was moved by %.3f m to the %s convention", shift, placementConvention(placement)))
	}
	return n
}

func placementConvention(p string) string {
	switch p {
	case wire.PlacementWall:
		return "wall (back on z=0, centred in x and y)"
	case wire.PlacementFace:
		return "face (front on z=0, centred in x and y)"
	case wire.PlacementWrist:
		return "wrist (centred on the origin)"
	case wire.PlacementTable:
		return "table (standing on y=0, centred in x and z)"
	case wire.PlacementFeet:
		return "feet (standing on y=0, centred in x and z)"
	}
	return "floor (standing on y=0, centred in x and z)"
}

func round9(v float64) float64 { return math.Round(v*1e9) / 1e9 }
