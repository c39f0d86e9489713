package glb

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestDecodesSampleCatalog decodes every sample model the server seeds
// itself with and checks that its bounds match the product's declared
// real size, which proves node transforms and accessors are read right.
func TestDecodesSampleCatalog(t *testing.T) {
	dir := filepath.Join("..", "..", "assets")
	raw, err := os.ReadFile(filepath.Join(dir, "catalog.json"))
	if err != nil {
		t.Skipf("no sample catalog: %v", err)
	}
	var entries []struct {
		SKU         string `json:"sku"`
		Model       string `json:"model"`
		DimensionsM struct {
			W, H, D float64
		} `json:"dimensions_m"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatalf("catalog.json: %v", err)
	}
	if len(entries) == 0 {
		t.Fatal("catalog.json lists no products")
	}
	for _, e := range entries {
		t.Run(e.SKU, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "models", e.Model))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Decode(data, Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if len(m.Meshes) == 0 {
				t.Fatal("no meshes")
			}
			for i, img := range m.Images {
				if _, err := DecodeImage(img, 1024); err != nil {
					t.Errorf("image %d: %v", i, err)
				}
			}
			want := [3]float64{e.DimensionsM.W, e.DimensionsM.H, e.DimensionsM.D}
			for k := range 3 {
				got := float64(m.BoundsMax[k] - m.BoundsMin[k])
				if math.Abs(got-want[k]) > 0.02*want[k]+0.001 {
					t.Errorf("extent on axis %d is %.4f m, the product is %.4f m", k, got, want[k])
				}
			}
		})
	}
}
