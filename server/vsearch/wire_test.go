package vsearch

import (
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

// TestSearchImageValidate covers the search.image request checks that
// wire defines (wire's own tests belong to its owner; the contract is
// exercised here, where it is used).
func TestSearchImageValidate(t *testing.T) {
	sha := strings.Repeat("ab", 32)
	cases := []struct {
		name string
		req  wire.SearchImage
		code wire.Code
		k    int
	}{
		{"image", wire.SearchImage{Stream: 1, SizeBytes: 1000, SHA256: sha}, "", wire.DefaultSearchResults},
		{"find similar", wire.SearchImage{SKU: "chair-oak", K: 5}, "", 5},
		{"nothing", wire.SearchImage{}, wire.CodeBadRequest, 0},
		{"both", wire.SearchImage{SKU: "a", SizeBytes: 10}, wire.CodeBadRequest, 0},
		{"too big", wire.SearchImage{SizeBytes: wire.MaxSearchImageBytes + 1}, wire.CodeTooLarge, 0},
		{"bad sha", wire.SearchImage{SizeBytes: 10, SHA256: "xyz"}, wire.CodeBadRequest, 0},
		{"k too large", wire.SearchImage{SizeBytes: 10, K: wire.MaxSearchResults + 1}, wire.CodeBadRequest, 0},
		{"negative price", wire.SearchImage{SizeBytes: 10, PriceMax: -1}, wire.CodeBadRequest, 0},
		{"long category", wire.SearchImage{SizeBytes: 10, Category: strings.Repeat("c", wire.MaxCategoryBytes+1)}, wire.CodeTooLarge, 0},
	}
	for _, tc := range cases {
		err := tc.req.Validate()
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.code != "" && (err == nil || err.Code != tc.code):
			t.Errorf("%s: err %v, want %s", tc.name, err, tc.code)
		case tc.code == "" && tc.req.K != tc.k:
			t.Errorf("%s: k %d, want %d", tc.name, tc.req.K, tc.k)
		}
	}
}
