package assets

import (
	"bytes"
	"context"
	"encoding/json"
	"image/jpeg"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vitrine-shop/vitrine/assets/internal/catalogen"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

const (
	maxModelBytes = 1536 << 10
	maxTotalBytes = 8 << 20
	photoSide     = 512
	// boundsTolerance is how closely a model's bounds must match its
	// declared dimensions, in metres.
	boundsTolerance = 1e-6
)

func products(t *testing.T) []Product {
	t.Helper()
	ps, err := Products()
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestCatalogEntries(t *testing.T) {
	ps := products(t)
	if len(ps) < 11 {
		t.Fatalf("catalog has %d products, want at least 11", len(ps))
	}
	data, err := ReadFile("catalog.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var strict []Product
	if err := dec.Decode(&strict); err != nil {
		t.Errorf("catalog.json has fields Product does not know: %v", err)
	}
	seen := map[string]bool{}
	placements := map[string]bool{}
	for _, p := range ps {
		if seen[p.SKU] {
			t.Errorf("SKU %q appears twice", p.SKU)
		}
		seen[p.SKU] = true
		placements[p.Placement] = true
		if !wire.ValidPlacement(p.Placement) {
			t.Errorf("%s: placement %q is not valid", p.SKU, p.Placement)
		}
		cp := catalog.Product{
			SKU: p.SKU, Name: p.Name, Category: p.Category, Description: p.Description,
			Price: p.Price, Currency: p.Currency, DimensionsM: p.DimensionsM, Placement: p.Placement,
		}
		for _, problem := range cp.Validate() {
			t.Errorf("%s: catalog would reject it: %s", p.SKU, problem)
		}
		if (p.Placement == wire.PlacementFace) != (p.Frame != nil) {
			t.Errorf("%s: placement %s with frame %v; eyewear (and only eyewear) needs frame sizes", p.SKU, p.Placement, p.Frame)
		}
		if len(p.Photos) != 3 {
			t.Errorf("%s: %d photos, want 3", p.SKU, len(p.Photos))
		}
	}
	for _, want := range wire.Placements {
		if !placements[want] {
			t.Errorf("no sample product has placement %q", want)
		}
	}
}

func TestModelsMatchDimensions(t *testing.T) {
	for _, p := range products(t) {
		t.Run(p.SKU, func(t *testing.T) {
			data, err := ReadFile("models/" + p.Model)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > maxModelBytes {
				t.Errorf("model is %d bytes, limit %d", len(data), maxModelBytes)
			}
			m, err := gltf.Parse(data, gltf.DefaultLimits())
			if err != nil {
				t.Fatalf("parse GLB: %v", err)
			}
			for _, w := range m.Warnings {
				t.Errorf("parser warning: %v", w)
			}
			lo, hi, err := m.Bounds()
			if err != nil {
				t.Fatal(err)
			}
			dims := [3]float64{p.DimensionsM.W, p.DimensionsM.H, p.DimensionsM.D}
			for k := 0; k < 3; k++ {
				if got := hi[k] - lo[k]; math.Abs(got-dims[k]) > boundsTolerance {
					t.Errorf("axis %d: model measures %.9f m, catalog says %.9f m", k, got, dims[k])
				}
			}
			// Origin conventions by placement.
			wantLo := [3]float64{-dims[0] / 2, 0, -dims[2] / 2}
			switch p.Placement {
			case wire.PlacementWall:
				wantLo[2] = 0
			case wire.PlacementFace, wire.PlacementWrist:
				wantLo[1] = -dims[1] / 2
			}
			for k := 0; k < 3; k++ {
				if math.Abs(lo[k]-wantLo[k]) > boundsTolerance {
					t.Errorf("axis %d: model starts at %.9f, want %.9f for a %s item", k, lo[k], wantLo[k], p.Placement)
				}
			}
			if len(m.Doc.Materials) == 0 {
				t.Error("model has no materials")
			}
		})
	}
}

func TestPhotosEmbedded(t *testing.T) {
	for _, p := range products(t) {
		for _, name := range p.Photos {
			data, err := ReadFile("photos/" + name)
			if err != nil {
				t.Errorf("%s: %v", p.SKU, err)
				continue
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
			if err != nil {
				t.Errorf("%s: photo %s is not a JPEG: %v", p.SKU, name, err)
				continue
			}
			if cfg.Width != photoSide || cfg.Height != photoSide {
				t.Errorf("%s: photo %s is %d×%d, want %d×%d", p.SKU, name, cfg.Width, cfg.Height, photoSide, photoSide)
			}
		}
	}
}

func TestEmbeddedSize(t *testing.T) {
	total := 0
	err := fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += int(info.Size())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total > maxTotalBytes {
		t.Errorf("embedded catalog is %d bytes, budget %d", total, maxTotalBytes)
	}
}

// TestGeneratorReproducesEmbeddedFiles regenerates the catalog and models
// and one photo in-process and compares them byte for byte with the
// embedded files: the generator is deterministic and the committed output
// is up to date.
func TestGeneratorReproducesEmbeddedFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerates the catalog")
	}
	dir := t.TempDir()
	if err := catalogen.Generate(context.Background(), dir, catalogen.Options{}); err != nil {
		t.Fatal(err)
	}
	names := []string{"catalog.json"}
	for _, p := range products(t) {
		names = append(names, "models/"+p.Model)
	}
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		want, err := ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: regenerated bytes differ from the embedded file; run go generate ./assets", name)
		}
	}
	photo, err := catalogen.Photo(context.Background(), "mug-sage", 0)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := ReadFile("photos/mug-sage-1.jpg"); err != nil || !bytes.Equal(photo, want) {
		t.Errorf("photos/mug-sage-1.jpg: regenerated photo differs from the embedded one (err %v)", err)
	}
}
