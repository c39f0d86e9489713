package placement

import (
	"fmt"
	"math"

	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/wire"
)

// Physical constants of try-on scales and the fit rules. The rule
// constants are conventions of opticians and the trade, documented in
// docs/placement.md; they are not measured here.
const (
	// IrisDiameterMM is the mean horizontal visible iris diameter of
	// adults, IrisSigmaMM its spread between people (1σ).
	IrisDiameterMM = 11.7
	IrisSigmaMM    = 0.5
	// CardWidthMM and CardHeightMM are an ID-1 bank card's size.
	CardWidthMM  = 85.60
	CardHeightMM = 53.98
	// CardSystematicRel is the relative 1σ of a card held to the forehead
	// rather than in the plane of the eyes (about 1 cm nearer).
	CardSystematicRel = 0.015
	// EndPieceMM is the width of each end piece of a frame, outside the
	// lenses.
	EndPieceMM = 5.0
	// FrameWidthToleranceMM: a frame within this of the face width fits
	// "regular".
	FrameWidthToleranceMM = 8.0
	// StrapMaxOffsetMM and StrapMinOffsetMM: a watch whose total length laid
	// flat (case and strap, the product's depth) is L fits wrists from
	// L − StrapMinOffsetMM to L − StrapMaxOffsetMM (buckle overlap and the
	// span of the holes).
	StrapMaxOffsetMM = 40.0
	StrapMinOffsetMM = 90.0
	// ShoeMinAllowanceMM and ShoeMaxAllowanceMM: a shoe of outer length L
	// (the product's depth) suits feet from L − ShoeMaxAllowanceMM to
	// L − ShoeMinAllowanceMM (toe room plus the shoe's walls).
	ShoeMinAllowanceMM = 25.0
	ShoeMaxAllowanceMM = 40.0
	// DefaultSigmaMM is the 1σ of a length the shopper types or measures
	// with a tape.
	DefaultSigmaMM = 2.0
	mmPerInch      = 25.4
)

// Size is a length in millimetres with the half-width of its 95% interval.
type Size struct {
	MM            float64
	HalfWidth95MM float64
}

func (s Size) wire() *wire.PlaceSize {
	return &wire.PlaceSize{MM: s.MM, UncertaintyMM: s.HalfWidth95MM, In: s.MM / mmPerInch, UncertaintyIn: s.HalfWidth95MM / mmPerInch}
}

// Scale is an image scale in millimetres per pixel with its relative 1σ.
type Scale struct {
	MMPerPx  float64
	RelSigma float64
}

// IrisScale derives the image scale from an iris diameter measured in
// pixels with 1σ noise sigmaPx.
func IrisScale(irisPx, sigmaPx float64) (Scale, error) {
	if err := checkPixels("iris diameter", irisPx, sigmaPx); err != nil {
		return Scale{}, err
	}
	rel := math.Hypot(IrisSigmaMM/IrisDiameterMM, sigmaPx/irisPx)
	return Scale{MMPerPx: IrisDiameterMM / irisPx, RelSigma: rel}, nil
}

// CardScale derives the image scale from a bank card's width (and, when
// heightPx > 0, height) in pixels, combining both by inverse variance.
func CardScale(widthPx, heightPx, sigmaPx float64) (Scale, error) {
	if err := checkPixels("card width", widthPx, sigmaPx); err != nil {
		return Scale{}, err
	}
	sw, vw := CardWidthMM/widthPx, (sigmaPx/widthPx)*(sigmaPx/widthPx)
	s, v := sw, vw
	if heightPx != 0 {
		if err := checkPixels("card height", heightPx, sigmaPx); err != nil {
			return Scale{}, err
		}
		sh, vh := CardHeightMM/heightPx, (sigmaPx/heightPx)*(sigmaPx/heightPx)
		if math.Abs(sw-sh)/sw > 0.15 {
			return Scale{}, fmt.Errorf("placement: card is %.0f×%.0f px, not a bank card's proportions; hold it flat facing the camera: %w", widthPx, heightPx, ErrScale)
		}
		// Combine relative variances.
		s = (sw/vw + sh/vh) / (1/vw + 1/vh)
		v = 1 / (1/vw + 1/vh)
	}
	return Scale{MMPerPx: s, RelSigma: math.Sqrt(v + CardSystematicRel*CardSystematicRel)}, nil
}

func checkPixels(what string, px, sigma float64) error {
	if !finite(px, sigma) {
		return fmt.Errorf("placement: %s: %w", what, ErrNotFinite)
	}
	if px < 4 || px > MaxImageSidePx {
		return fmt.Errorf("placement: %s %g px must be 4-%d: %w", what, px, MaxImageSidePx, ErrScale)
	}
	if sigma < 0 || sigma > MaxSigmaPx {
		return fmt.Errorf("placement: %s noise %g px must be 0-%g: %w", what, sigma, MaxSigmaPx, ErrScale)
	}
	return nil
}

// Measure converts a length in pixels (1σ sigmaPx) to millimetres.
func (s Scale) Measure(px, sigmaPx float64) (Size, error) {
	if err := checkPixels("length", px, sigmaPx); err != nil {
		return Size{}, err
	}
	rel := math.Hypot(s.RelSigma, sigmaPx/px)
	mm := px * s.MMPerPx
	return Size{MM: mm, HalfWidth95MM: z95 * rel * mm}, nil
}

func typedSize(what string, mm, sigmaMM, lo, hi float64) (Size, error) {
	if !finite(mm, sigmaMM) {
		return Size{}, fmt.Errorf("placement: %s: %w", what, ErrNotFinite)
	}
	if mm < lo || mm > hi {
		return Size{}, fmt.Errorf("placement: %s %g mm must be %g-%g: %w", what, mm, lo, hi, ErrScale)
	}
	if sigmaMM < 0 || sigmaMM > 20 {
		return Size{}, fmt.Errorf("placement: %s noise %g mm must be 0-20: %w", what, sigmaMM, ErrScale)
	}
	return Size{MM: mm, HalfWidth95MM: z95 * sigmaMM}, nil
}

// Plausible ranges of adult (and older children's) body measures, mm.
const (
	minPDMM, maxPDMM         = 40.0, 80.0
	minFaceMM, maxFaceMM     = 100.0, 200.0
	minWristMM, maxWristMM   = 100.0, 300.0
	minFootMM, maxFootMM     = 100.0, 380.0
	glassesRegular           = "regular"
	glassesNarrow            = "narrow"
	glassesWide              = "wide"
	directionSmall           = "small"
	directionLarge           = "large"
	pdFrameMinusTolerance    = 2.0
	pdFramePlusTolerance     = 10.0
	nominalShoeAllowanceMM   = (ShoeMinAllowanceMM + ShoeMaxAllowanceMM) / 2
	glassesUnknownFaceAdvice = "Measure your face width too for a surer answer."
)

// FrameWidthMM is a frame's total width: two lenses, the bridge and two
// end pieces.
func FrameWidthMM(f catalog.Frame) float64 { return 2*f.LensWidthMM + f.BridgeMM + 2*EndPieceMM }

// Advice is a try-on size answer.
type Advice struct {
	Verdict string
	Fit     string
	Message string
}

// bandVerdict classifies an interval [low, high] of a quantity against
// the accepted range [min, max].
func bandVerdict(low, high, min, max float64) string {
	switch {
	case low >= min && high <= max:
		return wire.VerdictFits
	case high < min || low > max:
		return wire.VerdictDoesNotFit
	}
	return wire.VerdictTight
}

// GlassesAdvice recommends a frame fit. With a face width the frame's
// total width is compared with it (regular within ±FrameWidthToleranceMM);
// with only a pupillary distance, the frame's lens-centre distance (lens
// width + bridge) is compared with it (regular from PD − 2 to PD + 10 mm).
func GlassesAdvice(pd, faceWidth *Size, frame catalog.Frame) (Advice, error) {
	if !(frame.LensWidthMM > 0 && frame.BridgeMM > 0) {
		return Advice{}, fmt.Errorf("placement: product has no frame sizes: %w", ErrBadRequest)
	}
	total := FrameWidthMM(frame)
	centres := frame.LensWidthMM + frame.BridgeMM
	var a Advice
	switch {
	case faceWidth != nil:
		diff := total - faceWidth.MM
		a.Verdict = bandVerdict(diff-faceWidth.HalfWidth95MM, diff+faceWidth.HalfWidth95MM, -FrameWidthToleranceMM, FrameWidthToleranceMM)
		a.Fit = classify(diff, -FrameWidthToleranceMM, FrameWidthToleranceMM, glassesNarrow, glassesWide, glassesRegular)
		a.Message = fmt.Sprintf("The frame is %.0f mm (%.1f in) wide (%.0f-%.0f-%.0f with %.0f mm end pieces); your face is %.0f ± %.0f mm, so it fits %s.",
			total, total/mmPerInch, frame.LensWidthMM, frame.BridgeMM, frame.TempleMM, EndPieceMM, faceWidth.MM, faceWidth.HalfWidth95MM, fitWords(a.Fit))
		if pd != nil && centres < pd.MM-pdFrameMinusTolerance {
			a.Message += fmt.Sprintf(" Its lens centres are %.0f mm apart, closer than your pupils (%.0f mm).", centres, pd.MM)
		}
	case pd != nil:
		diff := centres - pd.MM
		a.Verdict = bandVerdict(diff-pd.HalfWidth95MM, diff+pd.HalfWidth95MM, -pdFrameMinusTolerance, pdFramePlusTolerance)
		a.Fit = classify(diff, -pdFrameMinusTolerance, pdFramePlusTolerance, glassesNarrow, glassesWide, glassesRegular)
		a.Message = fmt.Sprintf("The lens centres are %.0f mm apart; your pupils are %.0f ± %.1f mm apart, so it fits %s. %s",
			centres, pd.MM, pd.HalfWidth95MM, fitWords(a.Fit), glassesUnknownFaceAdvice)
	default:
		return Advice{}, fmt.Errorf("placement: glasses: give a pupillary distance or a face width: %w", ErrBadRequest)
	}
	return a, nil
}

func classify(v, lo, hi float64, below, above, within string) string {
	switch {
	case v < lo:
		return below
	case v > hi:
		return above
	}
	return within
}

func fitWords(fit string) string {
	switch fit {
	case glassesNarrow:
		return "narrow (too small for your face)"
	case glassesWide:
		return "wide (too large for your face)"
	}
	return "regular (right for your face)"
}

// StrapRangeMM returns the wrist circumferences a watch of the given
// dimensions fits: its depth is its total length laid flat.
func StrapRangeMM(d wire.Dimensions) (min, max float64) {
	l := d.D * 1000
	return l - StrapMinOffsetMM, l - StrapMaxOffsetMM
}

// WatchAdvice compares a wrist circumference with a watch's strap range.
func WatchAdvice(wrist Size, d wire.Dimensions) (Advice, error) {
	lo, hi := StrapRangeMM(d)
	if !(lo > 0) {
		return Advice{}, fmt.Errorf("placement: watch length %g m is too short to have a strap range: %w", d.D, ErrScale)
	}
	a := Advice{Verdict: bandVerdict(wrist.MM-wrist.HalfWidth95MM, wrist.MM+wrist.HalfWidth95MM, lo, hi)}
	a.Fit = classify(wrist.MM, lo, hi, directionLarge, directionSmall, "")
	a.Message = fmt.Sprintf("The strap fits wrists of %.0f-%.0f mm (%.1f-%.1f in); yours is %.0f ± %.0f mm.", lo, hi, lo/mmPerInch, hi/mmPerInch, wrist.MM, wrist.HalfWidth95MM)
	switch a.Fit {
	case directionLarge:
		a.Message += " The strap is too long for your wrist."
	case directionSmall:
		a.Message += " The strap is too short for your wrist."
	}
	return a, nil
}

// ShoeSizes converts a foot length to the common size systems, rounded to
// half sizes: Mondopoint is the foot length in mm; EU (Paris points) is
// 1.5 × (foot cm + 1.5); UK is 3 × foot in − 23 (last = foot + 2/3 in,
// UK = 3 × last − 25); US men is UK + 1 and US women US men + 1.5.
func ShoeSizes(footMM float64) wire.PlaceShoeSizes {
	in := footMM / mmPerInch
	half := func(v float64) float64 { return math.Round(2*v) / 2 }
	uk := 3*in - 23
	return wire.PlaceShoeSizes{
		Mondopoint: math.Round(footMM),
		EU:         half(1.5 * (footMM/10 + 1.5)),
		UK:         half(uk),
		USMen:      half(uk + 1),
		USWomen:    half(uk + 2.5),
	}
}

// ShoeAdvice compares a foot length with a shoe's outer length (its
// depth): it suits feet from L − 40 mm to L − 25 mm.
func ShoeAdvice(foot Size, d wire.Dimensions) (Advice, wire.PlaceShoeSizes, error) {
	l := d.D * 1000
	lo, hi := l-ShoeMaxAllowanceMM, l-ShoeMinAllowanceMM
	if !(lo > 0) {
		return Advice{}, wire.PlaceShoeSizes{}, fmt.Errorf("placement: shoe length %g m is implausible: %w", d.D, ErrScale)
	}
	product := ShoeSizes(l - nominalShoeAllowanceMM)
	own := ShoeSizes(foot.MM)
	a := Advice{Verdict: bandVerdict(foot.MM-foot.HalfWidth95MM, foot.MM+foot.HalfWidth95MM, lo, hi)}
	a.Fit = classify(foot.MM, lo, hi, directionLarge, directionSmall, "")
	a.Message = fmt.Sprintf("This shoe is about EU %.1f / UK %.1f / US men %.1f and suits feet of %.0f-%.0f mm (%.1f-%.1f in); your foot is %.0f ± %.0f mm (EU %.1f / UK %.1f / US men %.1f / US women %.1f).",
		product.EU, product.UK, product.USMen, lo, hi, lo/mmPerInch, hi/mmPerInch, foot.MM, foot.HalfWidth95MM, own.EU, own.UK, own.USMen, own.USWomen)
	switch a.Fit {
	case directionLarge:
		a.Message += " It will be too large."
	case directionSmall:
		a.Message += " It will be too small."
	}
	return a, product, nil
}
