package placement

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// MeasureRequest is the body of POST /api/v1/place/measure and of
// place.measure.
type MeasureRequest = wire.PlaceMeasure

// MeasureResult answers MeasureRequest.
type MeasureResult = wire.PlaceMeasureReply

// DecodeMeasureRequest parses a MeasureRequest strictly: at most
// wire.PlaceMaxBodyBytes, one JSON object, no unknown fields, and then the
// request's own validation. Errors wrap ErrBadRequest (or a more specific
// input error).
func DecodeMeasureRequest(data []byte) (MeasureRequest, error) {
	var req MeasureRequest
	if len(data) > wire.PlaceMaxBodyBytes {
		return req, fmt.Errorf("placement: request is %d bytes; the limit is %d: %w", len(data), wire.PlaceMaxBodyBytes, ErrBadRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return MeasureRequest{}, fmt.Errorf("placement: request: %v: %w", err, ErrBadRequest)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return MeasureRequest{}, fmt.Errorf("placement: request: data after the JSON object: %w", ErrBadRequest)
	}
	if err := checkMeasure(req); err != nil {
		return MeasureRequest{}, err
	}
	return req, nil
}

func checkMeasure(req MeasureRequest) error {
	if len(req.PointsPx) != wire.PlaceMeasurePoints {
		return fmt.Errorf("placement: points_px has %d points; want %d: %w", len(req.PointsPx), wire.PlaceMeasurePoints, ErrBadRequest)
	}
	_, err := referenceOf(req.Reference)
	return err
}

func referenceOf(r wire.PlaceReference) (Reference, error) {
	if len(r.CornersPx) != wire.PlaceReferenceCorners {
		return Reference{}, fmt.Errorf("placement: reference corners_px has %d corners; want %d: %w", len(r.CornersPx), wire.PlaceReferenceCorners, ErrBadRequest)
	}
	ref := Reference{WidthM: r.WidthM, HeightM: r.HeightM}
	copy(ref.CornersPx[:], r.CornersPx)
	return ref, nil
}

func surfaceOf(s string) (Surface, error) {
	switch s {
	case "":
		return SurfaceUnknown, nil
	case wire.SurfaceFloor:
		return SurfaceFloor, nil
	case wire.SurfaceWall:
		return SurfaceWall, nil
	}
	return 0, fmt.Errorf("placement: surface %q must be %q, %q or empty: %w", s, wire.SurfaceFloor, wire.SurfaceWall, ErrBadRequest)
}

// planeOf estimates the plane a place.* request describes.
func planeOf(img wire.PlaceImage, r wire.PlaceReference, cornerSigma, pointSigma float64) (*Plane, error) {
	ref, err := referenceOf(r)
	if err != nil {
		return nil, err
	}
	surface, err := surfaceOf(r.Surface)
	if err != nil {
		return nil, err
	}
	return Estimate(ImageSize{W: img.W, H: img.H}, ref, Options{
		FocalPx:       img.FocalPx,
		CornerSigmaPx: cornerSigma,
		PointSigmaPx:  pointSigma,
		Surface:       surface,
	})
}

// Measure answers a MeasureRequest: the distance on the reference's plane
// between the two points, with its 95% interval.
func Measure(req MeasureRequest) (MeasureResult, error) {
	if err := checkMeasure(req); err != nil {
		return MeasureResult{}, err
	}
	p, err := planeOf(req.Image, req.Reference, req.CornerSigmaPx, req.PointSigmaPx)
	if err != nil {
		return MeasureResult{}, err
	}
	a, b := req.PointsPx[0], req.PointsPx[1]
	if dist(a, b) < 1 {
		return MeasureResult{}, fmt.Errorf("placement: the two points coincide: %w", ErrDegenerate)
	}
	d, err := p.Distance(a, b)
	if err != nil {
		return MeasureResult{}, err
	}
	mid := [2]float64{(a[0] + b[0]) / 2, (a[1] + b[1]) / 2}
	mpp, err := p.MetresPerPixel(mid)
	if err != nil {
		return MeasureResult{}, err
	}
	res := MeasureResult{
		DistanceM:           d.M,
		UncertaintyM:        d.HalfWidth95M,
		LowM:                math.Max(d.LowM, 0),
		HighM:               d.HighM,
		DistanceIn:          d.M / 0.0254,
		UncertaintyIn:       d.HalfWidth95M / 0.0254,
		RelativeUncertainty: d.RelativeHalfWidth(),
		MetresPerPixel:      mpp.M,
		FocalPx:             p.Camera().FocalPx,
		Ambiguous:           p.Ambiguous(),
		Method:              "planar pose fit (rotation, translation, focal length) with focal prior",
	}
	res.Trustworthy, res.Suggestion = p.advise(res.RelativeUncertainty, req.PointsPx)
	return res, nil
}

// Fit answers place.fit for product.
func Fit(req wire.PlaceFit, product catalog.Product) (wire.PlaceFitReply, error) {
	p, err := planeOf(req.Image, req.Reference, req.CornerSigmaPx, req.PointSigmaPx)
	if err != nil {
		return wire.PlaceFitReply{}, err
	}
	clearance := wire.PlaceDefaultClearanceM
	if req.ClearanceM != nil {
		clearance = *req.ClearanceM
	}
	r, err := p.CheckFit(req.FreeSpacePx, FootprintOf(product.DimensionsM, product.Placement), req.AngleDeg, clearance)
	if err != nil {
		return wire.PlaceFitReply{}, err
	}
	out := wire.PlaceFitReply{SKU: product.SKU, Verdict: r.Verdict, ClearanceM: r.ClearanceM, Trustworthy: r.Trustworthy, Suggestion: r.Suggestion, Message: r.Message}
	for _, m := range r.Margins {
		out.Margins = append(out.Margins, wire.PlaceMargin{
			Dimension: m.Dimension, AvailableM: m.Available.M, RequiredM: m.RequiredM,
			MarginCM: 100 * m.MarginM, LowCM: 100 * m.LowM, HighCM: 100 * m.HighM,
			MarginIn: m.MarginM / 0.0254, LowIn: m.LowM / 0.0254, HighIn: m.HighM / 0.0254,
		})
	}
	return out, nil
}

// Pose answers place.pose for product.
func Pose(req wire.PlacePose, product catalog.Product) (wire.PlacePoseReply, error) {
	p, err := planeOf(req.Image, req.Reference, req.CornerSigmaPx, 0)
	if err != nil {
		return wire.PlacePoseReply{}, err
	}
	out, err := p.RenderPose(req.TapPx, req.AngleDeg, product.Placement == wire.PlacementWall)
	if err != nil {
		return wire.PlacePoseReply{}, err
	}
	out.SKU = product.SKU
	return out, nil
}

// Try-on kinds of PlaceTryOnReply.Kind.
const (
	KindGlasses = "glasses"
	KindWatch   = "watch"
	KindShoes   = "shoes"
)

// TryOn answers place.tryon for product, by its placement kind: face
// (glasses), wrist (watch) or feet (shoes).
func TryOn(req wire.PlaceTryOn, product catalog.Product) (wire.PlaceTryOnReply, error) {
	sigmaMM := req.SigmaMM
	if sigmaMM == 0 {
		sigmaMM = DefaultSigmaMM
	}
	sigmaPx := req.SigmaPx
	if sigmaPx == 0 {
		sigmaPx = DefaultSigmaPx
	}
	out := wire.PlaceTryOnReply{SKU: product.SKU}
	switch product.Placement {
	case wire.PlacementFace:
		out.Kind = KindGlasses
		if product.Frame == nil {
			return out, fmt.Errorf("placement: %s has no frame sizes: %w", product.SKU, ErrBadRequest)
		}
		pd, face, scale, err := faceSizes(req, sigmaPx, sigmaMM)
		if err != nil {
			return out, err
		}
		a, err := GlassesAdvice(pd, face, *product.Frame)
		if err != nil {
			return out, err
		}
		out.Verdict, out.Fit, out.Message = a.Verdict, a.Fit, a.Message
		frame := Size{MM: FrameWidthMM(*product.Frame)}
		out.FrameWidth = frame.wire()
		if pd != nil {
			out.PupillaryDistance = pd.wire()
		}
		if face != nil {
			out.FaceWidth = face.wire()
		}
		if scale != nil {
			out.MMPerPx = Size{MM: scale.MMPerPx, HalfWidth95MM: z95 * scale.RelSigma * scale.MMPerPx}.wire()
		}
	case wire.PlacementWrist:
		out.Kind = KindWatch
		wrist, err := typedSize("wrist circumference", req.WristMM, sigmaMM, minWristMM, maxWristMM)
		if err != nil {
			return out, err
		}
		a, err := WatchAdvice(wrist, product.DimensionsM)
		if err != nil {
			return out, err
		}
		out.Verdict, out.Fit, out.Message = a.Verdict, a.Fit, a.Message
		out.Wrist = wrist.wire()
		out.StrapMinMM, out.StrapMaxMM = StrapRangeMM(product.DimensionsM)
	case wire.PlacementFeet:
		out.Kind = KindShoes
		foot, err := typedSize("foot length", req.FootMM, sigmaMM, minFootMM, maxFootMM)
		if err != nil {
			return out, err
		}
		a, sizes, err := ShoeAdvice(foot, product.DimensionsM)
		if err != nil {
			return out, err
		}
		own := ShoeSizes(foot.MM)
		out.Verdict, out.Fit, out.Message = a.Verdict, a.Fit, a.Message
		out.Foot, out.FootSizes, out.ProductSizes = foot.wire(), &own, &sizes
	default:
		return out, fmt.Errorf("placement: %s is placed on the %s, not worn: %w", product.SKU, product.Placement, ErrBadRequest)
	}
	return out, nil
}

// faceSizes turns a try-on request's face measurements into millimetres:
// typed in mm, or in pixels with an iris or card scale.
func faceSizes(req wire.PlaceTryOn, sigmaPx, sigmaMM float64) (pd, face *Size, scale *Scale, err error) {
	px := req.PupillaryDistancePx != 0 || req.FaceWidthPx != 0
	if px {
		var s Scale
		switch {
		case req.CardWidthPx != 0:
			s, err = CardScale(req.CardWidthPx, req.CardHeightPx, sigmaPx)
		case req.IrisDiameterPx != 0:
			s, err = IrisScale(req.IrisDiameterPx, sigmaPx)
		default:
			return nil, nil, nil, fmt.Errorf("placement: face measured in pixels needs iris_diameter_px or card_width_px: %w", ErrBadRequest)
		}
		if err != nil {
			return nil, nil, nil, err
		}
		scale = &s
	}
	measure := func(what string, mm, pxv, lo, hi float64) (*Size, error) {
		switch {
		case mm != 0:
			v, err := typedSize(what, mm, sigmaMM, lo, hi)
			return &v, err
		case pxv != 0:
			v, err := scale.Measure(pxv, sigmaPx)
			if err != nil {
				return nil, err
			}
			if v.MM < lo || v.MM > hi {
				return nil, fmt.Errorf("placement: %s comes out at %.0f mm, outside %g-%g; check the scale: %w", what, v.MM, lo, hi, ErrScale)
			}
			return &v, nil
		}
		return nil, nil
	}
	if pd, err = measure("pupillary distance", req.PupillaryDistanceMM, req.PupillaryDistancePx, minPDMM, maxPDMM); err != nil {
		return nil, nil, nil, err
	}
	if face, err = measure("face width", req.FaceWidthMM, req.FaceWidthPx, minFaceMM, maxFaceMM); err != nil {
		return nil, nil, nil, err
	}
	return pd, face, scale, nil
}
