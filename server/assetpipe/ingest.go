// Package assetpipe turns merchant uploads into catalog-ready assets: it
// checks and measures 3D models, checks product photos, stores them in the
// blob store and moves the product through its statuses.
package assetpipe

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // register decoders for product photos
	_ "image/png"
	"log/slog"
	"math"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

// Catalog is what the pipeline needs of the catalog.
type Catalog interface {
	Get(ctx context.Context, sku string) (catalog.Product, error)
	Update(ctx context.Context, sku string, fn func(p *catalog.Product) error) (catalog.Product, error)
}

// Config configures a Pipeline.
type Config struct {
	Store   blob.Store
	Catalog Catalog
	// Process runs, or queues, the processing of a product's pending
	// model: Processor.Enqueue in the server, ModelProcessor.Process where
	// the caller wants the result at once. Required.
	Process func(ctx context.Context, sku string) error
	Limits  gltf.Limits
	// Budget is checked as soon as a model is uploaded, so an upload over
	// it is refused at once and nothing is stored; zero means none here
	// (processing applies its own).
	Budget Budget
	// MaxImagePixels and MaxImageSide bound product photos.
	MaxImagePixels int64
	MaxImageSide   int
	Logger         *slog.Logger
	Now            func() time.Time
}

// Pipeline ingests models and photos.
type Pipeline struct {
	cfg Config
}

// MismatchTolerancePct is the declared-versus-measured size difference
// above which the report flags a problem.
const MismatchTolerancePct = 2.0

// New returns a Pipeline; zero limits take defaults.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Store == nil || cfg.Catalog == nil || cfg.Process == nil {
		return nil, errors.New("assetpipe: Config.Store, Catalog and Process are required")
	}
	if cfg.Limits == (gltf.Limits{}) {
		cfg.Limits = gltf.DefaultLimits()
	}
	if cfg.MaxImagePixels == 0 {
		cfg.MaxImagePixels = 40_000_000
	}
	if cfg.MaxImageSide == 0 {
		cfg.MaxImageSide = 8192
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Pipeline{cfg: cfg}, nil
}

// NewInline returns a Pipeline that processes every upload before
// IngestModel returns, with a ModelProcessor on cfg's store and catalog
// (cfg.Process is ignored): for seeding, tools and tests.
func NewInline(cfg Config) (*Pipeline, error) {
	if cfg.Store == nil || cfg.Catalog == nil {
		return nil, errors.New("assetpipe: Config.Store and Catalog are required")
	}
	budget := cfg.Budget
	if budget == (Budget{}) {
		budget = DefaultBudget()
	}
	mp := NewModelProcessor(ModelProcessorConfig{Store: cfg.Store, Catalog: cfg.Catalog, Limits: cfg.Limits, Budget: budget, Logger: cfg.Logger})
	cfg.Process = mp.Process
	return New(cfg)
}

// ImageError says why a photo was refused.
type ImageError struct{ Reason string }

func (e *ImageError) Error() string { return "assetpipe: image: " + e.Reason }

// Measure checks a model upload (GLB, a zip of .gltf and resources, a zip
// of .obj, .mtl and textures, or a bare .obj; see ParseModel) against the
// limits and Config.Budget and returns the GLB to store and its
// measurements. Content problems, budget ones included, come back as
// *gltf.InvalidError.
func (p *Pipeline) Measure(data []byte) ([]byte, catalog.Model, error) {
	asset, glb, err := ParseModel(data, p.cfg.Limits)
	if err != nil {
		return nil, catalog.Model{}, err
	}
	if issues := p.cfg.Budget.Check(asset, int64(len(glb))); len(issues) > 0 {
		inv := &gltf.InvalidError{}
		for _, is := range issues {
			inv.Problems = append(inv.Problems, gltf.Problem{Severity: gltf.SeverityError, Code: is.Code, Pointer: is.Pointer, Message: is.Message})
		}
		return nil, catalog.Model{}, inv
	}
	lo, hi, err := asset.Bounds()
	if err != nil {
		return nil, catalog.Model{}, fmt.Errorf("assetpipe: measure: %w", err)
	}
	stats := asset.Stats()
	sum := sha256.Sum256(glb)
	m := catalog.Model{
		Format:      wire.FormatGLB,
		SizeBytes:   int64(len(glb)),
		SHA256:      hex.EncodeToString(sum[:]),
		BoundsMin:   lo,
		BoundsMax:   hi,
		DimensionsM: wire.Dimensions{W: round6(hi[0] - lo[0]), H: round6(hi[1] - lo[1]), D: round6(hi[2] - lo[2])},
		Triangles:   stats.Triangles,
		Vertices:    stats.Vertices,
	}
	return glb, m, nil
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// IngestModel checks and measures a model upload for sku, stores it as
// the product's pending model (status processing) and hands the product
// to Config.Process, which makes the levels of detail, poster and views
// and marks it ready (or failed). A refused upload changes nothing and
// stores nothing. The product returned is as it stands after Process
// returned: still processing when the work was queued.
func (p *Pipeline) IngestModel(ctx context.Context, sku string, data []byte) (catalog.Product, error) {
	glb, model, err := p.Measure(data)
	if err != nil {
		return catalog.Product{}, err
	}
	model.Key = catalog.ProductPrefix(sku) + "uploads/" + newID() + ".glb"
	if err := p.cfg.Store.Put(ctx, model.Key, bytes.NewReader(glb), int64(len(glb)), blob.PutOptions{ContentType: "model/gltf-binary"}); err != nil {
		return catalog.Product{}, fmt.Errorf("assetpipe: store model of %s: %w", sku, err)
	}
	// A pending model left by an earlier upload is superseded; the orphan
	// sweep removes its file.
	prod, err := p.cfg.Catalog.Update(ctx, sku, func(prod *catalog.Product) error {
		prod.Status = wire.StatusProcessing
		prod.PendingModel = &model
		return nil
	})
	if err != nil {
		p.discard(ctx, model.Key)
		return catalog.Product{}, err
	}
	if err := p.cfg.Process(ctx, sku); err != nil {
		// The upload is stored and the product stays in processing: the
		// processor picks it up again at the next start.
		return prod, fmt.Errorf("assetpipe: process %s: %w", sku, err)
	}
	return p.cfg.Catalog.Get(ctx, sku)
}

// IngestImage checks a product photo (PNG or JPEG, bounded dimensions,
// fully decodable) and appends it to sku's images; the first photo becomes
// the poster when the product has none.
func (p *Pipeline) IngestImage(ctx context.Context, sku string, data []byte) (catalog.Product, catalog.Image, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return catalog.Product{}, catalog.Image{}, &ImageError{Reason: "not a PNG or JPEG image (" + err.Error() + ")"}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return catalog.Product{}, catalog.Image{}, &ImageError{Reason: "image has no pixels"}
	}
	if cfg.Width > p.cfg.MaxImageSide || cfg.Height > p.cfg.MaxImageSide || int64(cfg.Width)*int64(cfg.Height) > p.cfg.MaxImagePixels {
		return catalog.Product{}, catalog.Image{}, &ImageError{Reason: fmt.Sprintf("image is %d×%d; the limit is %d px a side and %d pixels", cfg.Width, cfg.Height, p.cfg.MaxImageSide, p.cfg.MaxImagePixels)}
	}
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return catalog.Product{}, catalog.Image{}, &ImageError{Reason: "image does not decode (" + err.Error() + ")"}
	}
	ext, ctype := ".png", "image/png"
	if format == "jpeg" {
		ext, ctype = ".jpg", "image/jpeg"
	}
	id := newID()
	img := catalog.Image{ID: id, Key: catalog.ProductPrefix(sku) + "images/" + id + ext, ContentType: ctype,
		Width: cfg.Width, Height: cfg.Height, SizeBytes: int64(len(data))}
	if err := p.cfg.Store.Put(ctx, img.Key, bytes.NewReader(data), int64(len(data)), blob.PutOptions{ContentType: ctype}); err != nil {
		return catalog.Product{}, catalog.Image{}, fmt.Errorf("assetpipe: store image of %s: %w", sku, err)
	}
	prod, err := p.cfg.Catalog.Update(ctx, sku, func(prod *catalog.Product) error {
		if len(prod.Images) >= catalog.MaxImages {
			return fmt.Errorf("assetpipe: %s: %w", sku, ErrTooManyImages)
		}
		prod.Images = append(prod.Images, img)
		if prod.PosterKey == "" {
			prod.PosterKey = img.Key
		}
		return nil
	})
	if err != nil {
		p.discard(ctx, img.Key)
		return catalog.Product{}, catalog.Image{}, err
	}
	return prod, img, nil
}

// ErrTooManyImages is returned when a product already has catalog.MaxImages photos.
var ErrTooManyImages = fmt.Errorf("a product holds at most %d images", catalog.MaxImages)

// discard deletes a stored file that nothing will reference; failures are
// logged, and the orphan sweep removes what is left.
func (p *Pipeline) discard(ctx context.Context, key string) {
	if err := p.cfg.Store.Delete(context.WithoutCancel(ctx), key); err != nil {
		p.cfg.Logger.Warn("assetpipe: could not delete unreferenced file", "key", key, "err", err)
	}
}

// newID returns a random 16-byte hex id for file names.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
