package vsearch

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
	"github.com/vitrine-shop/vitrine/server/catalog"
)

// emptyCatalog lists no products.
type emptyCatalog struct{}

func (emptyCatalog) List(context.Context, catalog.Query) (catalog.Page, error) {
	return catalog.Page{}, nil
}
func (emptyCatalog) Get(_ context.Context, sku string) (catalog.Product, error) {
	return catalog.Product{}, catalog.ErrNotFound
}
func (emptyCatalog) Generation() uint64 { return 1 }

// TestOpenGalleryRebuildsCorruptIndex: a saved index that fails its checks
// must not stop the server; the gallery starts empty and re-embeds.
func TestOpenGalleryRebuildsCorruptIndex(t *testing.T) {
	ctx := context.Background()
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	emb := NewDescriptor()
	key := "vsearch/" + sanitizeKey(SpaceOf(emb).String()) + ".vsix"
	junk := []byte("not an index file at all")
	if err := store.Put(ctx, key, bytes.NewReader(junk), int64(len(junk)), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	g, err := OpenGallery(ctx, emb, store, emptyCatalog{}, nil)
	if err != nil {
		t.Fatalf("OpenGallery with a corrupt index: %v", err)
	}
	if n := g.Service().Index().Stats().Products; n != 0 {
		t.Fatalf("gallery holds %d products, want an empty index", n)
	}
}

// TestSaveRemovesStaleIndexes: saving the index deletes the files of the
// same embedder's other versions unwritten for staleIndexAge, and nothing
// else: not a version written recently, not another embedder's index, not
// other files.
func TestSaveRemovesStaleIndexes(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	store, err := fsstore.New(root)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-staleIndexAge - time.Hour)
	write := func(key string, modified time.Time) {
		data := []byte("an index of another version")
		if err := store.Put(ctx, key, bytes.NewReader(data), int64(len(data)), blob.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(key)), modified, modified); err != nil {
			t.Fatal(err)
		}
	}
	stale := []string{"vsearch/vitrine-desc@5_389.vsix", "vsearch/vitrine-desc@5_389.vsix.json", "vsearch/vitrine-desc@6_389.vsix", "vsearch/vitrine-desc@6_389.vsix.shapes"}
	kept := []string{
		"vsearch/vitrine-desc@6+w=1_1_1_1_389.vsix", // written recently: a server may still run it
		"vsearch/hsv-hist@1_128.vsix",               // another embedder
		"vsearch/vitrine-desc@5_389.notes",          // not an index
	}
	for _, k := range stale {
		write(k, old)
	}
	write(kept[0], time.Now())
	write(kept[1], old)
	write(kept[2], old)

	g, err := OpenGallery(ctx, NewDescriptor(), store, emptyCatalog{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	err = g.saveLocked(ctx)
	g.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range stale {
		if _, err := store.Stat(ctx, k); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("%s: Stat = %v, want it removed", k, err)
		}
	}
	for _, k := range append(kept, g.key, g.key+".json", g.key+".shapes") {
		if _, err := store.Stat(ctx, k); err != nil {
			t.Errorf("%s: Stat = %v, want it kept", k, err)
		}
	}
}

// listCatalog lists fixed products.
type listCatalog []catalog.Product

func (c listCatalog) List(context.Context, catalog.Query) (catalog.Page, error) {
	return catalog.Page{Products: c}, nil
}
func (c listCatalog) Get(_ context.Context, sku string) (catalog.Product, error) {
	for _, p := range c {
		if p.SKU == sku {
			return p, nil
		}
	}
	return catalog.Product{}, catalog.ErrNotFound
}
func (listCatalog) Generation() uint64 { return 1 }

// TestGalleryReadsShapeSheets: Sync gives each product the shape bank of
// its sheet (shape_key); a product whose sheet is unreadable is indexed
// without one; the banks are saved with the index and a second server
// loads them.
func TestGalleryReadsShapeSheets(t *testing.T) {
	ctx := context.Background()
	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	put := func(key string, img image.Image) {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		if err := store.Put(ctx, key, bytes.NewReader(buf.Bytes()), int64(buf.Len()), blob.PutOptions{ContentType: "image/png"}); err != nil {
			t.Fatal(err)
		}
	}
	tall := shapeMask{w: 0.3, h: 0.8}
	put("media/products/a/views/1.png", cutout(96, tall, color.NRGBA{150, 90, 40, 255}))
	put("media/products/a/shapes/1.png", sheet(64, tall, shapeMask{w: 0.8, h: 0.3}))
	put("media/products/b/views/1.png", cutout(96, tall, color.NRGBA{40, 90, 150, 255}))
	put("media/products/b/shapes/1.png", image.NewGray(image.Rect(0, 0, 100, 64))) // not a sheet
	cat := listCatalog{
		{SKU: "a", Version: 1, ViewKeys: []string{"media/products/a/views/1.png"}, ShapeKey: "media/products/a/shapes/1.png"},
		{SKU: "b", Version: 1, ViewKeys: []string{"media/products/b/views/1.png"}, ShapeKey: "media/products/b/shapes/1.png"},
	}
	g, err := OpenGallery(ctx, NewDescriptor(), store, cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := g.Service().Index().Stats().Products; n != 2 {
		t.Fatalf("%d products indexed, want 2", n)
	}
	if b := g.Service().Shapes("a"); b == nil || b.Len() != 2 {
		t.Fatalf("a's bank: %v, want its sheet's 2 silhouettes", b)
	}
	if b := g.Service().Shapes("b"); b != nil {
		t.Errorf("b's unreadable sheet gave a bank: %v", b)
	}
	again, err := OpenGallery(ctx, NewDescriptor(), store, cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := again.Service().Shapes("a"); b == nil || b.Len() != 2 {
		t.Fatalf("reopened: a's bank %v, want it loaded with the index", b)
	}
}
