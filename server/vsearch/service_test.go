package vsearch

import (
	"context"
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/vitrine-shop/vitrine/server/blob"
	"github.com/vitrine-shop/vitrine/server/blob/fsstore"
)

func TestServiceIndexSearchPersist(t *testing.T) {
	ctx := context.Background()
	red, blue, green := color.NRGBA{200, 40, 40, 255}, color.NRGBA{40, 60, 200, 255}, color.NRGBA{40, 160, 60, 255}
	products := []struct {
		sku, category string
		price         float64
		views         []scene
	}{
		{"red-disc", "toys", 10, []scene{
			{w: 120, h: 120, shape: "disc", fg: red, cx: 0.5, cy: 0.5, r: 0.3},
			{w: 120, h: 120, shape: "disc", fg: red, cx: 0.5, cy: 0.5, r: 0.2},
		}},
		{"blue-disc", "toys", 20, []scene{{w: 120, h: 120, shape: "disc", fg: blue, cx: 0.5, cy: 0.5, r: 0.3}}},
		{"red-bar", "tools", 30, []scene{{w: 120, h: 120, shape: "bar", fg: red, cx: 0.5, cy: 0.5, r: 0.35}}},
		{"green-bar", "tools", 40, []scene{{w: 120, h: 120, shape: "bar", fg: green, cx: 0.5, cy: 0.5, r: 0.35}}},
	}
	s := NewService(NewDescriptor(), Options{})
	for _, p := range products {
		var imgs []image.Image
		for _, v := range p.views {
			imgs = append(imgs, v.draw())
		}
		if err := s.IndexProduct(ctx, p.sku, p.category, p.price, imgs); err != nil {
			t.Fatal(err)
		}
	}
	query := scene{w: 160, h: 120, busy: true, shape: "disc", fg: red, cx: 0.45, cy: 0.4, r: 0.18}.draw()
	cases := []struct {
		name   string
		filter Filter
		want   string
	}{
		{"no filter", Filter{}, "red-disc"},
		{"category", Filter{Category: "tools"}, "red-bar"},
		{"price", Filter{MinPrice: 15, MaxPrice: 25}, "blue-disc"},
	}
	for _, tc := range cases {
		res, err := s.Search(ctx, query, 3, tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 || res[0].SKU != tc.want {
			t.Fatalf("%s: results %+v, want %s first", tc.name, res, tc.want)
		}
		for _, r := range res {
			if r.Why != "colour" && r.Why != "shape" && r.Why != "texture" {
				t.Errorf("%s: why %q", tc.name, r.Why)
			}
		}
	}

	store, err := fsstore.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, store, "vsearch/gallery.vsix"); err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadService(ctx, NewDescriptor(), store, "vsearch/gallery.vsix", Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := loaded.Search(ctx, query, 1, Filter{})
	if err != nil || len(res) != 1 || res[0].SKU != "red-disc" {
		t.Fatalf("after load: %+v %v", res, err)
	}
	if _, err := LoadService(ctx, ColourHistogram{}, store, "vsearch/gallery.vsix", Options{}); !errors.Is(err, ErrSpaceMismatch) {
		t.Errorf("other embedder: err %v", err)
	}
	empty, err := LoadService(ctx, NewDescriptor(), store, "vsearch/none", Options{})
	if !errors.Is(err, blob.ErrNotFound) || empty == nil || empty.Index().Stats().Products != 0 {
		t.Errorf("missing index: %v %v", empty, err)
	}
	if !s.Remove("red-disc") {
		t.Fatal("remove")
	}
	res, _ = s.Search(ctx, query, 1, Filter{})
	if len(res) == 1 && res[0].SKU == "red-disc" {
		t.Error("removed product still found")
	}
}
