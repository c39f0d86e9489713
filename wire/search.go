package wire

// Visual search: a shopper's photo in, the most similar products out.
//
// The client sends a search.image text message announcing an upload
// stream, then the image's bytes as binary frames of kind
// FrameUploadChunk carrying that stream id, chunk indices 0, 1, 2, … in
// order, each payload at most ChunkSize bytes. When the announced
// SizeBytes have arrived the server checks SHA256 (when given), decodes
// the image (PNG or JPEG by its magic bytes, whatever the client claims;
// EXIF orientation honoured) and answers with search.results echoing the
// request id. Any failure (oversize, bad or truncated image, checksum
// mismatch, out-of-order chunk) is answered with an error echoing the id
// — invalid_image, too_large or bad_request — the stream is dropped and
// the session lives on. "Find similar" on a product page sends
// search.image with SKU set and no stream: the server searches with that
// product's own gallery vectors.
const (
	TypeSearchImage   = "search.image"
	TypeSearchResults = "search.results"
)

// Limits of visual search.
const (
	// MaxSearchImageBytes bounds one query image. The viewer resizes to
	// at most SearchImageSide pixels and sends JPEG, far below it.
	MaxSearchImageBytes = 4 << 20
	// MaxSearchImagePixels bounds the decoded image (checked from the
	// header before any pixel is decoded).
	MaxSearchImagePixels = 4096 * 4096
	// SearchImageSide is the longest side the viewer sends.
	SearchImageSide = 512
	// DefaultSearchResults is k when the request names none;
	// MaxSearchResults bounds it.
	DefaultSearchResults = 10
	MaxSearchResults     = 50
	// MaxOpenUploads bounds the upload streams one session has open.
	MaxOpenUploads = 2
	// MaxCategoryBytes bounds a category filter.
	MaxCategoryBytes = 64
)

// SearchImage asks for the products that look most like an image.
// Stream names the upload stream whose FrameUploadChunk frames carry the
// image, SizeBytes its exact length (1..MaxSearchImageBytes) and SHA256
// (optional) its hex-encoded digest. Instead of an image, SKU asks for
// products similar to a catalog product. K defaults to
// DefaultSearchResults. Category and PriceMax (0: no ceiling) filter the
// results.
type SearchImage struct {
	Stream    uint32  `json:"stream,omitempty"`
	SizeBytes int64   `json:"size_bytes,omitempty"`
	SHA256    string  `json:"sha256,omitempty"`
	SKU       string  `json:"sku,omitempty"`
	K         int     `json:"k,omitempty"`
	Category  string  `json:"category,omitempty"`
	PriceMax  float64 `json:"price_max,omitempty"`
}

// Why values: which part of the picture matched best.
const (
	WhyColour  = "colour"
	WhyShape   = "shape"
	WhyTexture = "texture"
)

// SearchResult is one product found by a visual search. Score is the
// cosine similarity of the best-matching gallery image, in [-1, 1].
type SearchResult struct {
	SKU       string  `json:"sku"`
	Score     float64 `json:"score"`
	Name      string  `json:"name"`
	PosterURL string  `json:"poster_url,omitempty"`
	Price     float64 `json:"price"`
	Currency  string  `json:"currency"`
	Why       string  `json:"why,omitempty"`
}

// SearchResults answers search.image, best first. Embedder names the
// descriptor that ranked them, name@version ("vitrine-desc@4"). Hint,
// when set, is one of the Hint values: something about the photo the
// shopper can do better.
type SearchResults struct {
	Stream   uint32         `json:"stream,omitempty"`
	Results  []SearchResult `json:"results"`
	Embedder string         `json:"embedder,omitempty"`
	TookMS   float64        `json:"took_ms,omitempty"`
	Hint     string         `json:"hint,omitempty"`
}

// Hint values of SearchResults.
const (
	// HintNoProduct: no product was told apart from the photo's
	// background (a blank wall, a busy pattern), so the results compare
	// the whole picture; cropping the photo to the product helps.
	HintNoProduct = "no_product"
)

// Validate checks a search.image request against the limits and fills
// in the default K.
func (s *SearchImage) Validate() *Error {
	switch {
	case s.SKU == "" && s.SizeBytes <= 0:
		return Errorf(CodeBadRequest, "search.image needs an image (size_bytes > 0 and a stream) or a sku")
	case s.SKU != "" && s.SizeBytes != 0:
		return Errorf(CodeBadRequest, "search.image takes an image or a sku, not both")
	case len(s.SKU) > MaxSKUBytes:
		return Errorf(CodeTooLarge, "sku is %d bytes; the limit is %d", len(s.SKU), MaxSKUBytes)
	case s.SizeBytes > MaxSearchImageBytes:
		return Errorf(CodeTooLarge, "search image is %d bytes; the limit is %d", s.SizeBytes, MaxSearchImageBytes)
	case s.SHA256 != "" && !isHex(s.SHA256, 64):
		return Errorf(CodeBadRequest, "sha256 must be 64 hexadecimal digits")
	case s.K < 0 || s.K > MaxSearchResults:
		return Errorf(CodeBadRequest, "k must be 1..%d", MaxSearchResults)
	case len(s.Category) > MaxCategoryBytes:
		return Errorf(CodeTooLarge, "category is %d bytes; the limit is %d", len(s.Category), MaxCategoryBytes)
	case s.PriceMax < 0 || s.PriceMax != s.PriceMax:
		return Errorf(CodeBadRequest, "price_max must be a non-negative number")
	}
	if s.K == 0 {
		s.K = DefaultSearchResults
	}
	return nil
}

// UploadChunks is the number of ChunkSize chunks an upload of size bytes
// takes; the last may be shorter.
func UploadChunks(size int64) int { return ChunkCount(size) }

func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
