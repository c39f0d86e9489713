package wire

// Consent levels a shopper can grant in hello.
const (
	ConsentNone            = "none"
	ConsentAnalytics       = "analytics"
	ConsentPersonalisation = "personalisation"
)

// Placement kinds of a product: where it goes in the world.
const (
	PlacementFloor = "floor"
	PlacementWall  = "wall"
	PlacementTable = "table"
	PlacementFace  = "face"
	PlacementWrist = "wrist"
	PlacementFeet  = "feet"
)

// Placements lists every placement kind, in a stable order.
var Placements = []string{PlacementFloor, PlacementWall, PlacementTable, PlacementFace, PlacementWrist, PlacementFeet}

// ValidPlacement reports whether p is a known placement kind.
func ValidPlacement(p string) bool {
	for _, q := range Placements {
		if p == q {
			return true
		}
	}
	return false
}

// Product statuses, in lifecycle order.
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusReady      = "ready"
	StatusFailed     = "failed"
)

// Hello is the body of a client's hello: the protocol version it speaks,
// the consent it grants, and optionally a session id to resume.
type Hello struct {
	Version int    `json:"version"`
	Consent string `json:"consent,omitempty"`
	Session string `json:"session,omitempty"`
	Client  string `json:"client,omitempty"`
}

// HelloReply answers hello. Session is the pseudonymous session id, an
// unguessable secret; sending it back in a later hello resumes the session.
type HelloReply struct {
	Version int    `json:"version"`
	Session string `json:"session"`
	Resumed bool   `json:"resumed"`
	Consent string `json:"consent"`
	Server  string `json:"server,omitempty"`
	// Limits tells the client the bounds the server enforces.
	Limits ClientLimits `json:"limits"`
}

// ClientLimits is the part of the limits a client needs to know.
type ClientLimits struct {
	MaxTextFrameBytes   int `json:"max_text_frame_bytes"`
	MaxBinaryFrameBytes int `json:"max_binary_frame_bytes"`
	ChunkSize           int `json:"chunk_size"`
	MaxPageSize         int `json:"max_page_size"`
	MaxOpenStreams      int `json:"max_open_streams"`
	MessagesPerSecond   int `json:"messages_per_second"`
}

// CurrentLimits returns the limits of this protocol version.
func CurrentLimits() ClientLimits {
	return ClientLimits{
		MaxTextFrameBytes:   MaxTextFrameBytes,
		MaxBinaryFrameBytes: MaxBinaryFrameBytes,
		ChunkSize:           ChunkSize,
		MaxPageSize:         MaxPageSize,
		MaxOpenStreams:      MaxOpenStreams,
		MessagesPerSecond:   MessagesPerSecond,
	}
}

// Dimensions are a product's real outer size in metres: width (x), height
// (y, up) and depth (z).
type Dimensions struct {
	W float64 `json:"w"`
	H float64 `json:"h"`
	D float64 `json:"d"`
}

// Product is the shopper-facing view of a catalog product.
type Product struct {
	SKU         string     `json:"sku"`
	Name        string     `json:"name"`
	Category    string     `json:"category"`
	Description string     `json:"description,omitempty"`
	Price       float64    `json:"price"`
	Currency    string     `json:"currency"`
	Merchant    string     `json:"merchant"`
	DimensionsM Dimensions `json:"dimensions_m"`
	Placement   string     `json:"placement"`
	Status      string     `json:"status"`
	Version     int64      `json:"version"`
	PosterURL   string     `json:"poster_url,omitempty"`
	ImageURLs   []string   `json:"image_urls,omitempty"`
	// ModelBytes is the size of the streamable model, 0 when there is none.
	ModelBytes int64 `json:"model_bytes,omitempty"`
	// LODs lists the model's levels of detail, finest (0) first, so a
	// viewer can open the coarsest without asking for level 0 first.
	LODs []LODInfo `json:"lods,omitempty"`
}

// CatalogList asks for a page of ready products. Category filters exactly;
// Query matches case-insensitively within the name. Offset is the number of
// matching products to skip; Limit defaults to DefaultPageSize.
type CatalogList struct {
	Category string `json:"category,omitempty"`
	Query    string `json:"query,omitempty"`
	Offset   int    `json:"offset,omitempty"`
	Limit    int    `json:"limit,omitempty"`
}

// CatalogListReply is one page of products. NextOffset is 0 when this is
// the last page; Categories lists every category with ready products.
type CatalogListReply struct {
	Products   []Product `json:"products"`
	Total      int       `json:"total"`
	NextOffset int       `json:"next_offset,omitempty"`
	Categories []string  `json:"categories"`
}

// CatalogGet asks for one product.
type CatalogGet struct {
	SKU string `json:"sku"`
}

// CatalogGetReply answers catalog.get.
type CatalogGetReply struct {
	Product Product `json:"product"`
}

// ModelOpen asks the server to stream a product's model. Version, when
// set, pins the product version the client already holds chunks of; if the
// product has moved on the server answers with the new version from chunk
// 0. FromChunk resumes an interrupted stream.
//
// LOD names the level of detail: 0 (the default) is the full model,
// higher levels are coarser; model.meta lists the levels a product has,
// so a viewer can open the coarsest first and then finer ones.
type ModelOpen struct {
	SKU       string `json:"sku"`
	Version   int64  `json:"version,omitempty"`
	FromChunk int    `json:"from_chunk,omitempty"`
	LOD       int    `json:"lod,omitempty"`
}

// LODInfo describes one level of detail of a model.
type LODInfo struct {
	Level     int   `json:"level"`
	Triangles int   `json:"triangles"`
	SizeBytes int64 `json:"size_bytes"`
}

// MaxLODs bounds the levels of detail of one model.
const MaxLODs = 8

// ModelMeta announces a model stream before its chunks. Binary frames with
// Stream in their header follow, chunk indices FromChunk … Chunks-1, then
// model.done. SHA256 is of the whole model, hex-encoded.
type ModelMeta struct {
	Stream      uint32     `json:"stream"`
	SKU         string     `json:"sku"`
	Version     int64      `json:"version"`
	Format      string     `json:"format"`
	SizeBytes   int64      `json:"size_bytes"`
	ChunkSize   int        `json:"chunk_size"`
	Chunks      int        `json:"chunks"`
	FromChunk   int        `json:"from_chunk"`
	SHA256      string     `json:"sha256"`
	DimensionsM Dimensions `json:"dimensions_m"`
	BoundsMin   [3]float64 `json:"bounds_min"`
	BoundsMax   [3]float64 `json:"bounds_max"`
	// LOD is the level this stream carries; LODs lists every level the
	// product has, finest (0) first. All levels share the same bounds.
	LOD  int       `json:"lod"`
	LODs []LODInfo `json:"lods"`
}

// ModelDone ends a model stream. Chunks is the number of chunk frames the
// server sent in this stream (from FromChunk on).
type ModelDone struct {
	Stream    uint32 `json:"stream"`
	SKU       string `json:"sku"`
	Version   int64  `json:"version"`
	Sent      int    `json:"sent"`
	SizeBytes int64  `json:"size_bytes"`
	LOD       int    `json:"lod"`
}

// ModelCancel stops a running stream. The server answers with a
// model.cancel echoing the request id and the stream; no chunk of that
// stream follows the answer.
type ModelCancel struct {
	Stream uint32 `json:"stream"`
}

// FormatGLB is the only model format streamed in version 1.
const FormatGLB = "glb"
