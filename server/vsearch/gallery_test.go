package vsearch

import (
	"bytes"
	"context"
	"testing"

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
