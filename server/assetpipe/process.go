package assetpipe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

// ProcessInput is what processing needs besides the model's bytes.
type ProcessInput struct {
	DeclaredM wire.Dimensions
	Placement string
	Limits    gltf.Limits // zero means gltf.DefaultLimits
	Budget    Budget      // zero means no budget
	LOD       LODOptions  // Root, Placement and (when 0) SourceBytes are filled in by Process
	Poster    PosterOptions
}

// Outputs is everything processing made from one model.
type Outputs struct {
	// LODs are the levels, finest (level 0, the normalised full model)
	// first.
	LODs []LODResult
	// Poster is a transparent-background PNG (PosterOptions.Size square);
	// Views are the ring of PNG views, the first from the front.
	Poster []byte
	Views  [][]byte
	// Shapes is the silhouette sheet (RenderShapes) as a PNG.
	Shapes []byte
	Report *ProcessReport
}

// InvalidModelError is returned when a model is refused: it fails
// validation or exceeds the budget. Report lists every issue.
type InvalidModelError struct {
	Report *ProcessReport
}

func (e *InvalidModelError) Error() string {
	for _, is := range e.Report.Issues {
		if is.Severity == "error" {
			return "assetpipe: model refused: " + is.Code + " " + is.Pointer + ": " + is.Message
		}
	}
	return "assetpipe: model refused"
}

// Process runs the whole pipeline on a model upload (GLB, or a zip of a
// .gltf and its resources): validation and budget, measurement, unit,
// up-axis and origin normalisation, the chain of levels of detail, the
// poster and ring of views, and the faithfulness of each level's poster
// to the full model's. A model refused for its content fails with
// *InvalidModelError.
func Process(ctx context.Context, data []byte, in ProcessInput) (*Outputs, error) {
	start := time.Now()
	if in.Limits == (gltf.Limits{}) {
		in.Limits = gltf.DefaultLimits()
	}
	rep := &ProcessReport{At: start.UTC(), DeclaredM: in.DeclaredM, Placement: in.Placement, SourceBytes: int64(len(data))}
	asset, err := gltf.Parse(data, in.Limits)
	if err != nil {
		var inv *gltf.InvalidError
		if errors.As(err, &inv) {
			rep.Issues = IssuesFromProblems(inv.Problems)
			return nil, &InvalidModelError{Report: rep}
		}
		return nil, fmt.Errorf("assetpipe: parse: %w", err)
	}
	rep.Issues = append(rep.Issues, IssuesFromProblems(asset.Warnings)...)
	if issues := in.Budget.Check(asset, int64(len(data))); len(issues) > 0 {
		rep.Issues = append(rep.Issues, issues...)
		return nil, &InvalidModelError{Report: rep}
	}
	lo, hi, err := asset.Bounds()
	if err != nil {
		rep.Issues = append(rep.Issues, Issue{Severity: "error", Code: "NO_GEOMETRY", Message: err.Error(), Explanation: "The model's scene draws nothing: add a mesh to the scene."})
		return nil, &InvalidModelError{Report: rep}
	}
	norm := Normalise(lo, hi, in.DeclaredM, in.Placement)
	rep.MeasuredM, rep.NormalisedM = norm.MeasuredM, norm.NormalisedM
	rep.MismatchPct = norm.MismatchPct
	rep.DimensionsMismatch = norm.MismatchPct > MismatchTolerancePct
	rep.Unit, rep.UnitScale, rep.ZUp = norm.Unit.Name, norm.Unit.Metres, norm.ZUp
	rep.BoundsMin, rep.BoundsMax = norm.BoundsMin, norm.BoundsMax
	rep.Notes = append(rep.Notes, norm.Notes...)
	if rep.DimensionsMismatch {
		rep.Issues = append(rep.Issues, Issue{Severity: "warning", Code: "DIMENSIONS_MISMATCH", Pointer: "/dimensions_m",
			Message:     fmt.Sprintf("measured %.3f × %.3f × %.3f m, declared %.3f × %.3f × %.3f m (%.1f%%)", norm.NormalisedM.W, norm.NormalisedM.H, norm.NormalisedM.D, in.DeclaredM.W, in.DeclaredM.H, in.DeclaredM.D, norm.MismatchPct),
			Explanation: Explain("DIMENSIONS_MISMATCH")})
	}
	lodOpts := in.LOD
	lodOpts.Root, lodOpts.Placement = &norm.Transform, in.Placement
	if lodOpts.SourceBytes == 0 {
		// The coarsest level's budget is a share of the upload as sent.
		lodOpts.SourceBytes = int64(len(data))
	}
	lods, notes, err := BuildLODs(ctx, asset, lodOpts)
	if err != nil {
		return nil, err
	}
	rep.Notes = append(rep.Notes, notes...)
	out := &Outputs{LODs: lods, Report: rep}
	if err := renderOutputs(ctx, out, in.Poster, in.Placement); err != nil {
		return nil, err
	}
	rep.ElapsedMS = time.Since(start).Milliseconds()
	return out, nil
}

// renderOutputs draws the poster, views and silhouette sheet from level 0
// and each level's poster for the faithfulness figure.
func renderOutputs(ctx context.Context, out *Outputs, opt PosterOptions, placement string) error {
	opt = opt.withDefaults()
	var full *image.NRGBA
	cam := PosterCamera(out.LODs[0].BoundsMin, out.LODs[0].BoundsMax, opt)
	// Levels are compared at the views' size: the figure barely moves and
	// each comparison costs a quarter of a full-size poster.
	compare := opt
	compare.Size = opt.ViewSize
	for i, l := range out.LODs {
		a, err := gltf.ParseGLB(l.GLB, gltf.DefaultLimits())
		if err != nil {
			return fmt.Errorf("assetpipe: re-read level %d: %w", l.Level, err)
		}
		scene, err := SceneFromAsset(ctx, a, SceneOptions{MaxTextureSide: 512})
		if err != nil {
			return err
		}
		img, err := RenderPoster(ctx, scene, cam, compare)
		if err != nil {
			return err
		}
		lr := LODReport{Level: l.Level, Triangles: l.Triangles, Vertices: l.Vertices, SizeBytes: l.SizeBytes, Ratio: l.Ratio, SimplifyError: l.SimplifyError}
		if i == 0 {
			full = img
			poster, err := RenderPoster(ctx, scene, cam, opt)
			if err != nil {
				return err
			}
			if out.Poster, err = EncodePNG(poster); err != nil {
				return err
			}
			views, err := RenderViews(ctx, scene, l.BoundsMin, l.BoundsMax, opt)
			if err != nil {
				return err
			}
			for _, v := range views {
				png, err := EncodePNG(v)
				if err != nil {
					return err
				}
				out.Views = append(out.Views, png)
			}
			if out.Shapes, err = shapeSheetPNG(ctx, scene, l.BoundsMin, l.BoundsMax, placement, opt.FovYDeg); err != nil {
				return err
			}
		} else {
			lr.PosterDifference = ImageDifference(full, img)
		}
		out.Report.LODs = append(out.Report.LODs, lr)
	}
	return nil
}

// ModelCatalog is what ModelProcessor needs of the catalog.
type ModelCatalog interface {
	Get(ctx context.Context, sku string) (catalog.Product, error)
	Update(ctx context.Context, sku string, fn func(p *catalog.Product) error) (catalog.Product, error)
}

// ModelProcessorConfig configures a ModelProcessor.
type ModelProcessorConfig struct {
	Store   blob.Store
	Catalog ModelCatalog
	Limits  gltf.Limits
	Budget  Budget
	LOD     LODOptions
	Poster  PosterOptions
	Logger  *slog.Logger
}

// StoredOutputs are the blob keys processing wrote for a product.
type StoredOutputs struct {
	// SourceKey is the upload the levels were made from.
	SourceKey string
	LODs      []catalog.LOD
	PosterKey string
	ViewKeys  []string
	ShapeKey  string
	Report    *ProcessReport
}

// ModelProcessor processes a product's pending model: it reads the stored
// upload, runs Process, stores the levels, poster and views under the
// product's prefix and promotes the pending model (level 0 becomes the
// model, the coarser levels its LODs) with the processing report. Its
// Process method is the job a Processor runs.
type ModelProcessor struct {
	cfg ModelProcessorConfig
}

// NewModelProcessor returns a ModelProcessor.
func NewModelProcessor(cfg ModelProcessorConfig) *ModelProcessor {
	if cfg.Limits == (gltf.Limits{}) {
		cfg.Limits = gltf.DefaultLimits()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &ModelProcessor{cfg: cfg}
}

// Process processes sku's pending model; a product with none is left
// alone. A model refused for its content marks the product failed (or
// ready with its earlier model kept) with the report; other errors leave
// the product in processing so that the work is retried.
func (m *ModelProcessor) Process(ctx context.Context, sku string) error {
	prod, err := m.cfg.Catalog.Get(ctx, sku)
	if err != nil {
		return fmt.Errorf("assetpipe: process %s: %w", sku, err)
	}
	pending := prod.PendingModel
	if pending == nil || prod.Status != wire.StatusProcessing {
		return nil
	}
	data, err := m.read(ctx, pending.Key)
	if err != nil {
		return fmt.Errorf("assetpipe: process %s: %w", sku, err)
	}
	out, err := Process(ctx, data, ProcessInput{DeclaredM: prod.DimensionsM, Placement: prod.Placement, Limits: m.cfg.Limits, Budget: m.cfg.Budget, LOD: m.cfg.LOD, Poster: m.cfg.Poster})
	var invalid *InvalidModelError
	if errors.As(err, &invalid) {
		return m.refuse(ctx, sku, pending.Key, invalid.Report)
	}
	if err != nil {
		return fmt.Errorf("assetpipe: process %s: %w", sku, err)
	}
	stored, err := m.store(ctx, sku, pending.Key, out)
	if err != nil {
		return err
	}
	superseded := false
	var before map[string]bool // the files the product referenced before
	promoted, err := m.cfg.Catalog.Update(ctx, sku, func(p *catalog.Product) error {
		if p.PendingModel == nil || p.PendingModel.Key != pending.Key {
			superseded = true
			return errSuperseded
		}
		before = p.Keys()
		l0 := out.LODs[0]
		pm := *p.PendingModel
		pm.Key, pm.SizeBytes, pm.SHA256 = stored.LODs[0].Key, l0.SizeBytes, l0.SHA256
		pm.Triangles, pm.Vertices = l0.Triangles, l0.Vertices
		pm.BoundsMin, pm.BoundsMax = l0.BoundsMin, l0.BoundsMax
		// The size measured on the normalised source, not on level 0's
		// quantised positions (a few micrometres off).
		pm.DimensionsM = out.Report.NormalisedM
		pm.LODs = stored.LODs[1:]
		pm.SourceKey = stored.SourceKey
		p.Model, p.PendingModel = &pm, nil
		p.ViewKeys = stored.ViewKeys
		p.ShapeKey = stored.ShapeKey
		p.Status = wire.StatusReady
		p.Report = out.Report.Catalog()
		if p.PosterKey == "" || isRenderedPoster(sku, p.PosterKey) {
			p.PosterKey = stored.PosterKey
		}
		return nil
	})
	if superseded {
		m.discard(ctx, stored)
		return nil
	}
	if err != nil {
		m.discard(ctx, stored)
		return fmt.Errorf("assetpipe: process %s: %w", sku, err)
	}
	// The replaced model's files (levels, upload, rendered poster, views)
	// are no longer referenced.
	after := promoted.Keys()
	for key := range before {
		if !after[key] && !strings.HasPrefix(key, catalog.ProductPrefix(sku)+"images/") {
			if err := m.cfg.Store.Delete(context.WithoutCancel(ctx), key); err != nil {
				m.cfg.Logger.Warn("assetpipe: could not delete a replaced file", "key", key, "err", err)
			}
		}
	}
	m.cfg.Logger.Info("assetpipe: model processed", "sku", sku, "levels", len(out.LODs), "bytes", out.LODs[0].SizeBytes, "elapsed_ms", out.Report.ElapsedMS)
	return nil
}

var errSuperseded = errors.New("assetpipe: a newer upload superseded this one")

func isRenderedPoster(sku, key string) bool {
	prefix := catalog.ProductPrefix(sku) + "posters/"
	return len(key) > len(prefix) && key[:len(prefix)] == prefix
}

func (m *ModelProcessor) read(ctx context.Context, key string) ([]byte, error) {
	rc, info, err := m.cfg.Store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	defer rc.Close()
	if info.SizeBytes > m.cfg.Limits.MaxBytes {
		return nil, fmt.Errorf("read %s: %d bytes is over the %d-byte limit", key, info.SizeBytes, m.cfg.Limits.MaxBytes)
	}
	data, err := io.ReadAll(io.LimitReader(rc, m.cfg.Limits.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", key, err)
	}
	if int64(len(data)) > m.cfg.Limits.MaxBytes {
		return nil, fmt.Errorf("read %s: over the %d-byte limit", key, m.cfg.Limits.MaxBytes)
	}
	return data, nil
}

// store writes the outputs under the product's prefix with a fresh id.
func (m *ModelProcessor) store(ctx context.Context, sku, source string, out *Outputs) (*StoredOutputs, error) {
	id := newID()
	prefix := catalog.ProductPrefix(sku)
	s := &StoredOutputs{SourceKey: source, Report: out.Report}
	put := func(key string, data []byte, ctype string) error {
		if err := m.cfg.Store.Put(ctx, key, bytes.NewReader(data), int64(len(data)), blob.PutOptions{ContentType: ctype}); err != nil {
			m.discard(ctx, s)
			return fmt.Errorf("assetpipe: store %s: %w", key, err)
		}
		return nil
	}
	for _, l := range out.LODs {
		key := prefix + "lods/" + id + "-" + strconv.Itoa(l.Level) + ".glb"
		if err := put(key, l.GLB, "model/gltf-binary"); err != nil {
			return nil, err
		}
		s.LODs = append(s.LODs, catalog.LOD{Level: l.Level, Key: key, SizeBytes: l.SizeBytes, SHA256: l.SHA256, Triangles: l.Triangles, Vertices: l.Vertices})
	}
	s.PosterKey = prefix + "posters/" + id + ".png"
	if err := put(s.PosterKey, out.Poster, "image/png"); err != nil {
		return nil, err
	}
	for k, v := range out.Views {
		key := prefix + "views/" + id + "-" + strconv.Itoa(k) + ".png"
		if err := put(key, v, "image/png"); err != nil {
			return nil, err
		}
		s.ViewKeys = append(s.ViewKeys, key)
	}
	if out.Shapes != nil {
		s.ShapeKey = shapeKey(sku, id)
		if err := put(s.ShapeKey, out.Shapes, "image/png"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// refuse settles a product whose pending model was refused.
func (m *ModelProcessor) refuse(ctx context.Context, sku, key string, rep *ProcessReport) error {
	_, err := m.cfg.Catalog.Update(ctx, sku, func(p *catalog.Product) error {
		if p.PendingModel == nil || p.PendingModel.Key != key {
			return errSuperseded
		}
		p.PendingModel = nil
		p.Report = rep.Catalog()
		if p.Model != nil {
			p.Status = wire.StatusReady
			p.Report.Notes = append(p.Report.Notes, "the new upload was refused; the previous model is still served")
		} else {
			p.Status = wire.StatusFailed
		}
		return nil
	})
	if errors.Is(err, errSuperseded) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("assetpipe: refuse model of %s: %w", sku, err)
	}
	m.cfg.Logger.Info("assetpipe: model refused", "sku", sku, "issues", len(rep.Issues))
	return nil
}

// discard deletes stored outputs nothing will reference; failures are
// logged and left to the orphan sweep.
func (m *ModelProcessor) discard(ctx context.Context, s *StoredOutputs) {
	keys := append([]string{}, s.ViewKeys...)
	for _, l := range s.LODs {
		keys = append(keys, l.Key)
	}
	if s.PosterKey != "" {
		keys = append(keys, s.PosterKey)
	}
	if s.ShapeKey != "" {
		keys = append(keys, s.ShapeKey)
	}
	for _, k := range keys {
		if err := m.cfg.Store.Delete(context.WithoutCancel(ctx), k); err != nil {
			m.cfg.Logger.Warn("assetpipe: could not delete unreferenced file", "key", k, "err", err)
		}
	}
}
