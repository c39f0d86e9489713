package format

import (
	"fmt"
	"math"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

func TestCurrency(t *testing.T) {
	for code, want := range map[string]string{"EUR": "€", " usd ": "$", "SEK": "SEK", "XYZ": "XYZ", "": ""} {
		if got := Currency(code); got != want {
			t.Errorf("Currency(%q) = %q, want %q", code, got, want)
		}
	}
}

func TestPrice(t *testing.T) {
	for _, tc := range []struct {
		amount float64
		code   string
		want   string
	}{
		{129, "USD", "$129.00"},
		{1299.5, "USD", "$1,299.50"},
		{49.9, "eur", "€49.90"},
		{1234567.891, "GBP", "£1,234,567.89"},
		{3000, "JPY", "¥3,000"},
		{199, "SEK", "199.00 SEK"},
		{12, "XYZ", "12.00 XYZ"},
		{12, "", "12.00"},
		{0, "EUR", "€0.00"},
		{-5, "USD", "−$5.00"},
		{math.NaN(), "USD", "$0.00"},
		{999.999, "USD", "$1,000.00"},
	} {
		if got := Price(tc.amount, tc.code); got != tc.want {
			t.Errorf("Price(%v, %q) = %q, want %q", tc.amount, tc.code, got, tc.want)
		}
	}
}

func TestCentimetres(t *testing.T) {
	for _, tc := range []struct {
		metres float64
		want   string
	}{
		{0.45, "45"},
		{0.045, "4.5"},
		{1.8, "180"},
		{0.0004, "0"},
		{0.00051, "0.1"},
		{2.3456, "234.6"},
		{-1, "0"},
		{math.Inf(1), "0"},
	} {
		if got := Centimetres(tc.metres); got != tc.want {
			t.Errorf("Centimetres(%v) = %q, want %q", tc.metres, got, tc.want)
		}
	}
}

func TestDimensions(t *testing.T) {
	d := wire.Dimensions{W: 0.45, H: 0.8, D: 0.525}
	if got, want := Dimensions(d), "45 × 80 × 52.5 cm"; got != want {
		t.Errorf("Dimensions = %q, want %q", got, want)
	}
	if got, want := DimensionsSpoken(d), "45 cm wide, 80 cm high, 52.5 cm deep"; got != want {
		t.Errorf("DimensionsSpoken = %q, want %q", got, want)
	}
}

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{999, "999 B"},
		{1000, "1.0 kB"},
		{12345, "12.3 kB"},
		{999_949, "999.9 kB"},
		{999_999, "1.0 MB"},
		{1_400_000, "1.4 MB"},
		{3_000_000_000, "3.0 GB"},
		{-3, "0 B"},
	} {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		done, total int64
		want        string
	}{
		{0, 100, "0%"},
		{50, 200, "25%"},
		{200, 200, "100%"},
		{300, 200, "100%"},
		{5, 0, "0%"},
	} {
		if got := Percent(tc.done, tc.total); got != tc.want {
			t.Errorf("Percent(%d, %d) = %q, want %q", tc.done, tc.total, got, tc.want)
		}
	}
}

func ExampleDimensions() {
	fmt.Println(Dimensions(wire.Dimensions{W: 0.6, H: 0.95, D: 0.045}))
	// Output: 60 × 95 × 4.5 cm
}
