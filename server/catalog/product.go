package catalog

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/vitrine-shop/vitrine/wire"
)

// Errors callers branch on; they are wrapped with the SKU and operation.
var (
	ErrNotFound = errors.New("catalog: product not found")
	ErrInvalid  = errors.New("catalog: invalid product")
)

// Product is a catalog entry as stored in its manifest.
type Product struct {
	SKU         string          `json:"sku"`
	Name        string          `json:"name"`
	Category    string          `json:"category"`
	Description string          `json:"description,omitempty"`
	Price       float64         `json:"price"`
	Currency    string          `json:"currency"`
	Merchant    string          `json:"merchant"`
	DimensionsM wire.Dimensions `json:"dimensions_m"`
	Placement   string          `json:"placement"`
	Status      string          `json:"status"`
	// Version grows by one on every update of the product.
	Version int64     `json:"version"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
	// Model is the streamable model; nil until one is uploaded.
	Model *Model `json:"model,omitempty"`
	// PendingModel is a stored upload being processed; it replaces Model
	// when processing succeeds.
	PendingModel *Model `json:"pending_model,omitempty"`
	// Frame holds eyewear sizes, for products worn on the face.
	Frame *Frame `json:"frame,omitempty"`
	// Images are the merchant's product photos, in upload order.
	Images []Image `json:"images,omitempty"`
	// PosterKey is the blob key of the picture shown in listings.
	PosterKey string `json:"poster_key,omitempty"`
	// ViewKeys are rendered views of the model (a ring around it), which
	// visual search indexes.
	ViewKeys []string `json:"view_keys,omitempty"`
	// ShapeKey is the model's silhouette sheet (a row of silhouettes from
	// many viewpoints), against which visual search checks the shape of
	// what a shopper photographed.
	ShapeKey string `json:"shape_key,omitempty"`
	// Report is the latest processing report.
	Report *Report `json:"report,omitempty"`
}

// Model describes a product's stored model.
type Model struct {
	Key         string          `json:"key"`
	Format      string          `json:"format"`
	SizeBytes   int64           `json:"size_bytes"`
	SHA256      string          `json:"sha256"`
	BoundsMin   [3]float64      `json:"bounds_min"`
	BoundsMax   [3]float64      `json:"bounds_max"`
	DimensionsM wire.Dimensions `json:"dimensions_m"`
	Triangles   int             `json:"triangles"`
	Vertices    int             `json:"vertices"`
	// LODs are the coarser levels of detail (level 1 and up), each a
	// standalone GLB with the same bounds; level 0 is the model itself.
	LODs []LOD `json:"lods,omitempty"`
	// SourceKey is the merchant's upload the levels were made from, when
	// processing replaced it with a normalised level 0.
	SourceKey string `json:"source_key,omitempty"`
}

// LOD is one stored level of detail of a model.
type LOD struct {
	Level     int    `json:"level"`
	Key       string `json:"key"`
	SizeBytes int64  `json:"size_bytes"`
	SHA256    string `json:"sha256"`
	Triangles int    `json:"triangles"`
	Vertices  int    `json:"vertices"`
}

// Levels lists every level of detail of m, finest (level 0, the model
// itself) first.
func (m *Model) Levels() []LOD {
	levels := []LOD{{Level: 0, Key: m.Key, SizeBytes: m.SizeBytes, SHA256: m.SHA256, Triangles: m.Triangles, Vertices: m.Vertices}}
	for _, l := range m.LODs {
		if l.Level > 0 {
			levels = append(levels, l)
		}
	}
	return levels
}

// Image is one stored product photo.
type Image struct {
	ID          string `json:"id"`
	Key         string `json:"key"`
	ContentType string `json:"content_type"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	SizeBytes   int64  `json:"size_bytes"`
}

// Frame is the size of a pair of glasses, as printed on its temple.
type Frame struct {
	LensWidthMM float64 `json:"lens_width_mm"`
	BridgeMM    float64 `json:"bridge_mm"`
	TempleMM    float64 `json:"temple_mm"`
}

// Report is what processing found: measured against declared size, and
// any problems in plain words.
type Report struct {
	At        time.Time       `json:"at"`
	DeclaredM wire.Dimensions `json:"declared_m"`
	MeasuredM wire.Dimensions `json:"measured_m"`
	// MismatchPct is the largest relative difference between declared and
	// measured dimensions, in percent.
	MismatchPct float64  `json:"mismatch_pct"`
	Problems    []string `json:"problems,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// Limits on product metadata.
const (
	MaxNameBytes        = 200
	MaxCategoryBytes    = 64
	MaxDescriptionBytes = 4000
	MaxImages           = 20
	MaxDimensionM       = 50.0
	MaxPrice            = 1e9
)

var (
	skuPattern      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	categoryPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9 _-]{0,63}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ValidSKU reports whether sku is a well-formed SKU: 1–64 letters, digits,
// dots, underscores or hyphens, starting with a letter or digit.
func ValidSKU(sku string) bool { return skuPattern.MatchString(sku) }

// Validate checks the merchant-supplied metadata of p and returns every
// problem found, each naming its field.
func (p *Product) Validate() []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if !ValidSKU(p.SKU) {
		add("sku: must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	}
	if strings.TrimSpace(p.Name) == "" {
		add("name: is required")
	} else if len(p.Name) > MaxNameBytes {
		add("name: is %d bytes; the limit is %d", len(p.Name), MaxNameBytes)
	}
	if !categoryPattern.MatchString(p.Category) {
		add("category: must be 1-64 lower-case letters, digits, spaces, '_' or '-'")
	}
	if len(p.Description) > MaxDescriptionBytes {
		add("description: is %d bytes; the limit is %d", len(p.Description), MaxDescriptionBytes)
	}
	if math.IsNaN(p.Price) || p.Price < 0 || p.Price > MaxPrice {
		add("price: must be between 0 and %g", MaxPrice)
	}
	if !currencyPattern.MatchString(p.Currency) {
		add("currency: must be a three-letter ISO 4217 code such as EUR")
	}
	for _, d := range []struct {
		name string
		v    float64
	}{{"w", p.DimensionsM.W}, {"h", p.DimensionsM.H}, {"d", p.DimensionsM.D}} {
		if math.IsNaN(d.v) || d.v <= 0 || d.v > MaxDimensionM {
			add("dimensions_m.%s: must be a length in metres above 0 and at most %g", d.name, MaxDimensionM)
		}
	}
	if f := p.Frame; f != nil {
		if !(f.LensWidthMM >= 30 && f.LensWidthMM <= 80) || !(f.BridgeMM >= 10 && f.BridgeMM <= 30) || !(f.TempleMM >= 100 && f.TempleMM <= 170) {
			add("frame: lens_width_mm must be 30-80, bridge_mm 10-30 and temple_mm 100-170")
		}
	}
	if !wire.ValidPlacement(p.Placement) {
		add("placement: must be one of %s", strings.Join(wire.Placements, ", "))
	}
	return problems
}

// MediaURL is the public URL path under which blob key is served.
func MediaURL(key string) string {
	if key == "" {
		return ""
	}
	return "/media/" + key
}

// Wire is the shopper-facing view of p.
func (p *Product) Wire() wire.Product {
	w := wire.Product{
		SKU:         p.SKU,
		Name:        p.Name,
		Category:    p.Category,
		Description: p.Description,
		Price:       p.Price,
		Currency:    p.Currency,
		Merchant:    p.Merchant,
		DimensionsM: p.DimensionsM,
		Placement:   p.Placement,
		Status:      p.Status,
		Version:     p.Version,
		PosterURL:   MediaURL(p.PosterKey),
	}
	for _, im := range p.Images {
		w.ImageURLs = append(w.ImageURLs, MediaURL(im.Key))
	}
	if p.Model != nil {
		w.ModelBytes = p.Model.SizeBytes
		for _, l := range p.Model.Levels() {
			w.LODs = append(w.LODs, wire.LODInfo{Level: l.Level, Triangles: l.Triangles, SizeBytes: l.SizeBytes})
		}
	}
	return w
}

// Query selects products for List.
type Query struct {
	// Category filters exactly when set.
	Category string
	// Text matches case-insensitively within the name when set.
	Text string
	// Merchant filters by owner when set.
	Merchant string
	// ReadyOnly leaves out products that have no ready model.
	ReadyOnly bool
	Offset    int
	Limit     int
}

// Page is one page of List results, sorted by name then SKU.
type Page struct {
	Products   []Product
	Total      int
	NextOffset int
	Categories []string
}
