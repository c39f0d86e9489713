package recsview

import (
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

func TestReason(t *testing.T) {
	for _, tc := range []struct {
		item wire.RecItem
		want string
	}{
		{wire.RecItem{Reason: "because you viewed Fjord Oak Dining Chair", Kind: wire.RecsKindSession}, "Because you viewed Fjord Oak Dining Chair"},
		{wire.RecItem{Reason: "often bought with Linen Sofa", Kind: wire.RecsKindBought}, "Often bought with Linen Sofa"},
		{wire.RecItem{Reason: "écrit en français"}, "Écrit en français"},
		{wire.RecItem{Kind: wire.RecsKindCoView}, "Related to what you viewed"},
		{wire.RecItem{Kind: wire.RecsKindPopular}, "Popular right now"},
		{wire.RecItem{}, "Popular right now"},
	} {
		if got := Reason(tc.item); got != tc.want {
			t.Errorf("Reason(%+v) = %q, want %q", tc.item, got, tc.want)
		}
	}
}

func TestHomeHeadingAndNote(t *testing.T) {
	popular := []wire.RecItem{{SKU: "a", Kind: wire.RecsKindPopular}, {SKU: "b", Kind: wire.RecsKindPopular}}
	mixed := append([]wire.RecItem{{SKU: "c", Kind: wire.RecsKindSession}}, popular...)
	if got := HomeHeading(popular); got != "Popular" {
		t.Errorf("popular list heading %q", got)
	}
	if got := HomeHeading(nil); got != "Popular" {
		t.Errorf("empty list heading %q", got)
	}
	if got := HomeHeading(mixed); got != "Picked for you" {
		t.Errorf("personal list heading %q", got)
	}
	if note := HomeNote(popular, wire.ConsentNone); !strings.Contains(note, "Your data") {
		t.Errorf("note without personalisation does not say where to allow it: %q", note)
	}
	if note := HomeNote(popular, wire.ConsentPersonalisation); strings.Contains(note, "Allow") {
		t.Errorf("note with personalisation asks for it: %q", note)
	}
}

func TestRequests(t *testing.T) {
	for _, r := range []wire.RecsGet{ProductRequest("chair"), HomeRequest()} {
		if werr := wire.ValidateRecsGet(&r); werr != nil {
			t.Errorf("%+v is invalid: %v", r, werr)
		}
	}
	if r := ProductRequest("chair"); r.Slot != wire.RecsSlotProduct || r.SKU != "chair" || r.Count != 8 {
		t.Errorf("ProductRequest = %+v", r)
	}
}

func TestSignature(t *testing.T) {
	a := []wire.RecItem{{SKU: "a", Kind: "popular"}, {SKU: "b", Kind: "session"}}
	b := []wire.RecItem{{SKU: "b", Kind: "session"}, {SKU: "a", Kind: "popular"}}
	if Signature(a) == Signature(b) {
		t.Error("reordered lists share a signature")
	}
	if Signature(a) != "a:popular|b:session" {
		t.Errorf("Signature = %q", Signature(a))
	}
}
