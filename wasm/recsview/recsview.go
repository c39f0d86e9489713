// Package recsview decides what the viewer shows of recommendations: the
// requests for the product page and the front page, the headings, and
// each card's reason text. It is pure Go and tested natively; the cards
// are built in the viewer's js/wasm files.
package recsview

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vitrine-shop/vitrine/wire"
)

// Counts of the two lists.
const (
	ProductCount = 8
	HomeCount    = 8
)

// ProductHeading titles the list on a product page.
const ProductHeading = "You may also like"

// ProductRequest asks for the product page's list around sku.
func ProductRequest(sku string) wire.RecsGet {
	return wire.RecsGet{SKU: sku, Slot: wire.RecsSlotProduct, Count: ProductCount}
}

// HomeRequest asks for the front page's list.
func HomeRequest() wire.RecsGet {
	return wire.RecsGet{Slot: wire.RecsSlotHome, Count: HomeCount}
}

// Personal reports whether an item was chosen from what this shopper did
// (rather than from what is popular).
func Personal(item wire.RecItem) bool {
	return item.Kind != "" && item.Kind != wire.RecsKindPopular
}

// HomeHeading titles the front page's list: "Picked for you" when any item
// follows the shopper's own views, else "Popular".
func HomeHeading(items []wire.RecItem) string {
	for _, it := range items {
		if Personal(it) {
			return "Picked for you"
		}
	}
	return "Popular"
}

// HomeNote is the line under the front page's heading. It tells a
// shopper who has not allowed personalisation where to turn it on.
func HomeNote(items []wire.RecItem, consent string) string {
	switch {
	case HomeHeading(items) == "Picked for you":
		return "Based on what you looked at in this visit. Each card says why it is here."
	case consent != wire.ConsentPersonalisation:
		return "What shoppers look at most. Allow personalised recommendations under “Your data” to see picks based on your visit."
	}
	return "What shoppers look at most. View a few products and this list follows your taste."
}

// Reason is an item's reason as a card shows it: the server's reason with
// a capital first letter ("Because you viewed Fjord Oak Dining Chair"), or
// a reason made from the kind when the server gave none.
func Reason(item wire.RecItem) string {
	r := strings.TrimSpace(item.Reason)
	if r == "" {
		switch item.Kind {
		case wire.RecsKindSession, wire.RecsKindCoView:
			r = "related to what you viewed"
		case wire.RecsKindBought:
			r = "often bought together"
		case wire.RecsKindSimilar:
			r = "looks similar"
		default:
			r = "popular right now"
		}
	}
	first, size := utf8.DecodeRuneInString(r)
	return string(unicode.ToUpper(first)) + r[size:]
}

// Signature identifies a list's contents and order, so the viewer (and its
// tests) can tell when recommendations changed.
func Signature(items []wire.RecItem) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(it.SKU)
		b.WriteByte(':')
		b.WriteString(it.Kind)
	}
	return b.String()
}
