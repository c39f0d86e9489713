package placeflow

import (
	"fmt"
	"math"
	"strings"

	"github.com/vitrine-shop/vitrine/wire"
)

// VerdictLabel is the headline for a fit verdict.
func VerdictLabel(verdict string) string {
	switch verdict {
	case wire.VerdictFits:
		return "Fits"
	case wire.VerdictTight:
		return "Tight fit"
	case wire.VerdictDoesNotFit:
		return "Does not fit"
	}
	return "No answer"
}

// signed formats v with an explicit sign and one decimal ("+2.5", "−1.0").
func signed(v float64, decimals int) string {
	s := fmt.Sprintf("%+.*f", decimals, v)
	if strings.HasPrefix(s, "-") {
		s = "−" + s[1:]
	}
	if s == "−0" || strings.HasPrefix(s, "−0.") && strings.Trim(s[len("−0."):], "0") == "" {
		s = "+" + s[len("−"):]
	}
	return s
}

// MarginLine describes one margin of a fit answer in centimetres and
// inches with the 95% interval, e.g. "Width: 1.20 m free, needs 0.50 m:
// +70.0 cm (95%: +65.1 to +74.9 cm) · +27.6 in (+25.6 to +29.5 in)".
func MarginLine(m wire.PlaceMargin) string {
	dim := capitalise(m.Dimension)
	return fmt.Sprintf("%s: %s free, needs %s: %s cm (95%%: %s to %s cm) · %s in (%s to %s in)",
		dim, metresText(m.AvailableM), metresText(m.RequiredM),
		signed(m.MarginCM, 1), signed(m.LowCM, 1), signed(m.HighCM, 1),
		signed(m.MarginIn, 1), signed(m.LowIn, 1), signed(m.HighIn, 1))
}

func metresText(m float64) string {
	if m < 1 {
		return fmt.Sprintf("%.1f cm", m*100)
	}
	return fmt.Sprintf("%.2f m", m)
}

// FitSpoken is the sentence for the live region: the verdict, each
// margin in centimetres and inches, and the advice when the answer is not
// trustworthy.
func FitSpoken(r wire.PlaceFitReply) string {
	var b strings.Builder
	b.WriteString(VerdictLabel(r.Verdict) + ".")
	for _, m := range r.Margins {
		word := "to spare"
		if m.MarginCM < 0 {
			word = "short"
		}
		fmt.Fprintf(&b, " %s: %.0f cm (%.1f in) %s, give or take %.0f cm.", capitalise(m.Dimension),
			math.Abs(m.MarginCM), math.Abs(m.MarginIn), word, math.Max(m.HighCM-m.MarginCM, m.MarginCM-m.LowCM))
	}
	if !r.Trustworthy {
		b.WriteString(" This measurement is not precise enough to be sure.")
		if r.Suggestion != "" {
			b.WriteString(" " + r.Suggestion)
		}
	}
	return b.String()
}

// PrecisionText says how precisely the reference's corners are known and
// what that means on the plane where the product stands: the corners' 1σ
// in image pixels and, with metresPerPixel from place.pose, the 95%
// half-width of one clicked position there.
func PrecisionText(sigmaPx float64, refined bool, metresPerPixel float64) string {
	how := "as tapped"
	if refined {
		how = "refined on the sheet's edges"
	}
	s := fmt.Sprintf("Corners %s: ±%.2f px (1σ)", how, sigmaPx)
	if metresPerPixel > 0 {
		mm := 1.96 * sigmaPx * metresPerPixel * 1000
		s += fmt.Sprintf(", about ±%.1f mm (%.2f in) on the %s where the product stands", mm, mm/25.4, "plane")
	}
	return s + "."
}

// TryOnLines renders a place.tryon answer as lines for the page: the
// message, then the measured sizes in millimetres and inches (the strap's
// range only when the message does not already give it).
func TryOnLines(r wire.PlaceTryOnReply) []string {
	lines := []string{r.Message}
	size := func(name string, s *wire.PlaceSize) {
		if s != nil {
			lines = append(lines, fmt.Sprintf("%s: %.1f mm ± %.1f (%.2f in ± %.2f)", name, s.MM, s.UncertaintyMM, s.In, s.UncertaintyIn))
		}
	}
	size("Pupillary distance", r.PupillaryDistance)
	size("Face width", r.FaceWidth)
	size("Frame width", r.FrameWidth)
	size("Wrist", r.Wrist)
	if r.StrapMinMM > 0 && !strings.Contains(strings.ToLower(r.Message), "strap") {
		lines = append(lines, fmt.Sprintf("Strap fits wrists of %.0f–%.0f mm (%.1f–%.1f in)", r.StrapMinMM, r.StrapMaxMM, r.StrapMinMM/25.4, r.StrapMaxMM/25.4))
	}
	size("Foot length", r.Foot)
	if s := r.FootSizes; s != nil {
		lines = append(lines, "Your size: "+shoeSizes(*s))
	}
	if s := r.ProductSizes; s != nil {
		lines = append(lines, "This shoe suits: "+shoeSizes(*s))
	}
	return lines
}

func shoeSizes(s wire.PlaceShoeSizes) string {
	return fmt.Sprintf("EU %g · UK %g · US men %g · US women %g · Mondopoint %g", s.EU, s.UK, s.USMen, s.USWomen, s.Mondopoint)
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
