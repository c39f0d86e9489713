package format

import (
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

func TestDimensionsFor(t *testing.T) {
	chair := wire.Dimensions{W: 0.45, H: 0.8, D: 0.52}
	tests := []struct {
		locale, want string
	}{
		{"en-US", "17.7 × 31.5 × 20.5 in"},
		{"en_us", "17.7 × 31.5 × 20.5 in"},
		{"en-GB", "45 × 80 × 52 cm"},
		{"fr-FR", "45 × 80 × 52 cm"},
		{"", "45 × 80 × 52 cm"},
	}
	for _, tc := range tests {
		if got := DimensionsFor(chair, tc.locale); got != tc.want {
			t.Errorf("DimensionsFor(%q) = %q, want %q", tc.locale, got, tc.want)
		}
	}
}

func TestLength(t *testing.T) {
	tests := []struct {
		metres       float64
		locale, want string
	}{
		{0.0254, "en-US", "1 in"},
		{1, "en-US", "39.4 in"},
		{0.455, "de-DE", "45.5 cm"},
		{-1, "en-US", "0 in"},
	}
	for _, tc := range tests {
		if got := Length(tc.metres, tc.locale); got != tc.want {
			t.Errorf("Length(%v, %q) = %q, want %q", tc.metres, tc.locale, got, tc.want)
		}
	}
}
