// Package format turns catalog values into the short texts the viewer
// shows and announces: prices with their currency, real dimensions in
// centimetres, and byte sizes. It is pure Go so the exact strings are
// tested natively.
package format

import (
	"math"
	"strconv"
	"strings"

	"github.com/vitrine-shop/vitrine/wire"
)

// currency describes how a currency's amounts are written.
type currency struct {
	symbol   string // written before the amount; empty writes the code after it
	decimals int
}

var currencies = map[string]currency{
	"USD": {"$", 2},
	"EUR": {"€", 2},
	"GBP": {"£", 2},
	"JPY": {"¥", 0},
	"CHF": {"", 2},
	"SEK": {"", 2},
	"NOK": {"", 2},
	"DKK": {"", 2},
	"KRW": {"₩", 0},
	"INR": {"₹", 2},
	"CAD": {"CA$", 2},
	"AUD": {"A$", 2},
}

// Currency names an ISO 4217 currency as prices show it: its symbol
// ("€") or, for one written after the amount, its code ("SEK"); "" for
// an empty code.
func Currency(code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	if c, ok := currencies[code]; ok && c.symbol != "" {
		return c.symbol
	}
	return code
}

// Price writes amount in the given ISO 4217 currency with thousands
// separators: "$1,299.00", "€49.90", "¥3,000", "199.00 SEK". An unknown or
// empty code is written after the amount with two decimals.
func Price(amount float64, code string) string {
	code = strings.ToUpper(strings.TrimSpace(code))
	c, ok := currencies[code]
	if !ok {
		c = currency{decimals: 2}
	}
	if math.IsNaN(amount) || math.IsInf(amount, 0) {
		amount = 0
	}
	neg := amount < 0
	digits := strconv.FormatFloat(math.Abs(amount), 'f', c.decimals, 64)
	whole, frac, _ := strings.Cut(digits, ".")
	var b strings.Builder
	if neg {
		b.WriteString("−")
	}
	b.WriteString(c.symbol)
	b.WriteString(groupThousands(whole))
	if frac != "" {
		b.WriteString(".")
		b.WriteString(frac)
	}
	if c.symbol == "" && code != "" {
		b.WriteString(" ")
		b.WriteString(code)
	}
	return b.String()
}

func groupThousands(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	lead := len(digits) % 3
	if lead > 0 {
		b.WriteString(digits[:lead])
	}
	for i := lead; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteString(",")
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// Centimetres writes a length given in metres as centimetres, rounded to
// a millimetre and without a trailing ".0": 0.45 → "45", 0.045 → "4.5".
func Centimetres(metres float64) string {
	if math.IsNaN(metres) || math.IsInf(metres, 0) || metres < 0 {
		metres = 0
	}
	cm := math.Round(metres*1000) / 10
	return strconv.FormatFloat(cm, 'f', -1, 64)
}

// Dimensions writes width × height × depth in centimetres:
// "45 × 80 × 52 cm".
func Dimensions(d wire.Dimensions) string {
	return Centimetres(d.W) + " × " + Centimetres(d.H) + " × " + Centimetres(d.D) + " cm"
}

// DimensionsSpoken writes the dimensions for a screen reader, naming each
// axis: "45 cm wide, 80 cm high, 52 cm deep".
func DimensionsSpoken(d wire.Dimensions) string {
	return Centimetres(d.W) + " cm wide, " + Centimetres(d.H) + " cm high, " + Centimetres(d.D) + " cm deep"
}

// Bytes writes a size in bytes with a decimal unit: "900 B", "12.3 kB",
// "1.4 MB".
func Bytes(n int64) string {
	if n < 0 {
		n = 0
	}
	if n < 1000 {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"kB", "MB", "GB", "TB"}
	v := float64(n)
	unit := ""
	for _, u := range units {
		v /= 1000
		unit = u
		if v < 999.95 {
			break
		}
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + unit
}

// Percent writes done/total as a whole percentage, clamped to 0–100.
func Percent(done, total int64) string {
	if total <= 0 {
		return "0%"
	}
	p := done * 100 / total
	p = max(0, min(100, p))
	return strconv.FormatInt(p, 10) + "%"
}

// Inches writes a length given in metres as inches with one decimal and
// without a trailing ".0": 0.45 → "17.7", 0.0254 → "1".
func Inches(metres float64) string {
	if math.IsNaN(metres) || math.IsInf(metres, 0) || metres < 0 {
		metres = 0
	}
	in := math.Round(metres/0.0254*10) / 10
	return strconv.FormatFloat(in, 'f', -1, 64)
}

// UsesInches reports whether a BCP 47 locale (navigator.language) writes
// lengths in inches: United States English.
func UsesInches(locale string) bool {
	return strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(locale), "_", "-"), "en-US")
}

// DimensionsFor writes width × height × depth in the locale's unit:
// "17.7 × 31.5 × 20.5 in" for en-US, Dimensions otherwise.
func DimensionsFor(d wire.Dimensions, locale string) string {
	if !UsesInches(locale) {
		return Dimensions(d)
	}
	return Inches(d.W) + " × " + Inches(d.H) + " × " + Inches(d.D) + " in"
}

// Length writes one length in the locale's unit: "45 cm" or "17.7 in".
func Length(metres float64, locale string) string {
	if UsesInches(locale) {
		return Inches(metres) + " in"
	}
	return Centimetres(metres) + " cm"
}
