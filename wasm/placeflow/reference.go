package placeflow

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Reference is a rectangle of known size the shopper marks in a photo.
// WidthM is the side between the first two corners tapped.
type Reference struct {
	ID      string
	Label   string
	WidthM  float64
	HeightM float64
}

// References are the rectangles offered, smallest first. A bank card is
// deliberately absent: it is far too small for a room (see
// docs/placement.md). "custom" takes typed sides.
var References = []Reference{
	{ID: "a4", Label: "A4 sheet (21.0 × 29.7 cm)", WidthM: 0.210, HeightM: 0.297},
	{ID: "letter", Label: "US Letter sheet (8.5 × 11 in)", WidthM: 0.2159, HeightM: 0.2794},
	{ID: "rug", Label: "Rug (type its size below)", WidthM: 1.60, HeightM: 2.30},
	{ID: "door", Label: "Door (0.80 × 2.00 m)", WidthM: 0.80, HeightM: 2.00},
	{ID: "custom", Label: "Another rectangle (type its sides)", WidthM: 0, HeightM: 0},
}

// ReferenceByID returns the preset with that id.
func ReferenceByID(id string) (Reference, bool) {
	for _, r := range References {
		if r.ID == id {
			return r, true
		}
	}
	return Reference{}, false
}

// Typed sides must lie within the placement service's bounds.
const (
	MinSideM = 0.05
	MaxSideM = 10
)

// ErrLength reports a typed length that cannot be read or is out of range.
var ErrLength = errors.New("placeflow: invalid length")

// ParseLength reads a typed length such as "29.7", "29,7 cm", "11 in",
// `11"` or "0.8 m". A number without a unit is in defaultUnit ("cm", "in",
// "mm" or "m"). The result is in metres.
func ParseLength(text, defaultUnit string) (float64, error) {
	s := strings.ToLower(strings.TrimSpace(text))
	if s == "" {
		return 0, fmt.Errorf("%w: empty", ErrLength)
	}
	unit := defaultUnit
	for _, u := range []struct{ suffix, unit string }{
		{"inches", "in"}, {"inch", "in"}, {"in", "in"}, {`"`, "in"}, {"″", "in"},
		{"mm", "mm"}, {"cm", "cm"}, {"m", "m"},
	} {
		if strings.HasSuffix(s, u.suffix) {
			s = strings.TrimSpace(strings.TrimSuffix(s, u.suffix))
			unit = u.unit
			break
		}
	}
	s = strings.ReplaceAll(s, ",", ".")
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%w: %q is not a number", ErrLength, text)
	}
	if v <= 0 {
		return 0, fmt.Errorf("%w: %q must be more than zero", ErrLength, text)
	}
	switch unit {
	case "mm":
		return v / 1000, nil
	case "cm":
		return v / 100, nil
	case "in":
		return v * 0.0254, nil
	case "m":
		return v, nil
	}
	return 0, fmt.Errorf("%w: unknown unit %q", ErrLength, unit)
}

// ParseSide reads a reference side and checks it is 5 cm to 10 m.
func ParseSide(text, defaultUnit string) (float64, error) {
	m, err := ParseLength(text, defaultUnit)
	if err != nil {
		return 0, err
	}
	if m < MinSideM || m > MaxSideM {
		return 0, fmt.Errorf("%w: a side of %s is outside 5 cm to 10 m", ErrLength, strings.TrimSpace(text))
	}
	return m, nil
}
