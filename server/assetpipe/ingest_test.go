package assetpipe_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/assets"
	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

// gltfZip turns a GLB into a zip of model/scene.gltf + model/scene.bin +
// model/textures/N.png|jpg, the way a merchant's tool would export it.
func gltfZip(t *testing.T, glb []byte) []byte {
	t.Helper()
	a, err := gltf.Parse(glb, gltf.DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	doc := *a.Doc
	files := map[string][]byte{}
	doc.Images = append([]gltf.Image(nil), doc.Images...)
	for i, im := range doc.Images {
		data, mime, err := a.ImageBytes(i)
		if err != nil {
			t.Fatal(err)
		}
		name := "textures/" + string(rune('a'+i)) + map[string]string{"image/png": ".png", "image/jpeg": ".jpg"}[mime]
		files["model/"+name] = data
		im.URI, im.BufferView, im.MimeType = name, nil, ""
		doc.Images[i] = im
	}
	doc.Buffers = []gltf.Buffer{{URI: "scene.bin", ByteLength: len(a.BIN)}}
	files["model/scene.bin"] = a.BIN
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	files["model/scene.gltf"] = js
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestIngestModelFromZip(t *testing.T) {
	ctx := context.Background()
	st, _ := fsstore.New(t.TempDir())
	cat, _ := catalog.Open(ctx, st, catalog.Options{})
	pipe, err := assetpipe.NewInline(assetpipe.Config{Store: st, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	samples, _ := assets.Products()
	s := samples[0]
	glb, err := assets.ReadFile("models/" + s.Model)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Create(ctx, catalog.Product{SKU: "z1", Name: s.Name, Category: s.Category, Price: 1, Currency: "EUR",
		Merchant: "m", DimensionsM: s.DimensionsM, Placement: s.Placement}); err != nil {
		t.Fatal(err)
	}
	p, err := pipe.IngestModel(ctx, "z1", gltfZip(t, glb))
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != wire.StatusReady || p.Model.DimensionsM != s.DimensionsM {
		t.Fatalf("zip upload: status %s measured %+v; want ready %+v", p.Status, p.Model.DimensionsM, s.DimensionsM)
	}
	rc, _, err := st.Get(ctx, p.Model.Key)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.HasPrefix(stored, []byte("glTF")) || int64(len(stored)) != p.Model.SizeBytes {
		t.Fatalf("stored %d bytes, not the packed GLB of %d", len(stored), p.Model.SizeBytes)
	}
	again, err := gltf.Parse(stored, gltf.DefaultLimits())
	if err != nil || len(again.Doc.Images) == 0 {
		t.Fatalf("packed GLB: %v (images %d)", err, len(again.Doc.Images))
	}
}

func TestIngestRefusesAndKeepsNothing(t *testing.T) {
	ctx := context.Background()
	st, _ := fsstore.New(t.TempDir())
	cat, _ := catalog.Open(ctx, st, catalog.Options{})
	pipe, err := assetpipe.NewInline(assetpipe.Config{Store: st, Catalog: cat, MaxImageSide: 100})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cat.Create(ctx, catalog.Product{SKU: "r1", Name: "R", Category: "c", Price: 1, Currency: "EUR",
		Merchant: "m", DimensionsM: wire.Dimensions{W: 1, H: 1, D: 1}, Placement: "floor"}); err != nil {
		t.Fatal(err)
	}
	var invalid *gltf.InvalidError
	if _, err := pipe.IngestModel(ctx, "r1", []byte("PK\x03\x04 not really a zip")); !errors.As(err, &invalid) {
		t.Fatalf("broken zip: %v; want *gltf.InvalidError", err)
	}
	photo, _ := assets.ReadFile("photos/chair-oak-1.jpg") // 512 px, over this pipeline's 100 px limit
	var bad *assetpipe.ImageError
	if _, _, err := pipe.IngestImage(ctx, "r1", photo); !errors.As(err, &bad) || !strings.Contains(bad.Reason, "limit") {
		t.Fatalf("oversize photo: %v", err)
	}
	if left, _ := st.List(ctx, catalog.ProductPrefix("r1")); len(left) != 0 {
		t.Fatalf("refused uploads left %v", left)
	}
	// Ingesting into a product that does not exist stores nothing either.
	unlimited, err := assetpipe.NewInline(assetpipe.Config{Store: st, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := unlimited.IngestImage(ctx, "ghost", photo); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("image for a missing product: %v", err)
	}
	if left, _ := st.List(ctx, catalog.ProductPrefix("ghost")); len(left) != 0 {
		t.Fatalf("left %v for a missing product", left)
	}
}
