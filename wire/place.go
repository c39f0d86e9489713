package wire

// Message types of the place.* family: room and try-on sizing. Each
// request is answered by a message of the same type echoing its id.
const (
	TypePlaceMeasure = "place.measure"
	TypePlaceFit     = "place.fit"
	TypePlacePose    = "place.pose"
	TypePlaceTryOn   = "place.tryon"
)

// Limits of place.* requests (the placement package enforces the
// geometric ones in detail).
const (
	// PlaceMaxImageSidePx bounds each side of the photo the points refer to.
	PlaceMaxImageSidePx = 16384
	// PlaceReferenceCorners is the number of reference corners.
	PlaceReferenceCorners = 4
	// PlaceMeasurePoints is the number of points place.measure measures
	// between.
	PlaceMeasurePoints = 2
	// PlaceMaxSigmaPx bounds a stated click noise.
	PlaceMaxSigmaPx = 20.0
	// PlaceDefaultClearanceM is the clearance place.fit adds to the
	// product's footprint when the request states none.
	PlaceDefaultClearanceM = 0.05
	// PlaceMaxClearanceM bounds the clearance.
	PlaceMaxClearanceM = 1.0
	// PlaceMaxBodyBytes bounds a place.* body (also the HTTP body of
	// POST /api/v1/place/measure).
	PlaceMaxBodyBytes = 8 << 10
)

// Surfaces a reference can lie on (PlaceReference.Surface).
const (
	SurfaceFloor = "floor" // a floor or table top: horizontal, below the camera
	SurfaceWall  = "wall"
)

// Fit verdicts of place.fit and place.tryon.
const (
	VerdictFits       = "fits"
	VerdictTight      = "tight"
	VerdictDoesNotFit = "does_not_fit"
)

// PlaceImage is the size of the photo all pixel coordinates refer to, with
// y pointing down from the top-left corner. FocalPx, when known (EXIF),
// is the focal length in pixels.
type PlaceImage struct {
	W       int     `json:"w"`
	H       int     `json:"h"`
	FocalPx float64 `json:"focal_px,omitempty"`
}

// PlaceReference is a rectangle of known size on a plane, as clicked:
// corner 0 to 1 is its width, 1 to 2 its height, going round it. Surface
// (floor or wall, optional) helps rule out a mirrored camera pose.
type PlaceReference struct {
	CornersPx [][2]float64 `json:"corners_px"`
	WidthM    float64      `json:"width_m"`
	HeightM   float64      `json:"height_m"`
	Surface   string       `json:"surface,omitempty"`
}

// PlaceMeasure asks for the distance on the reference's plane between two
// image points. CornerSigmaPx is the clicks' 1σ noise in pixels (default
// 1); PointSigmaPx that of the two points (default CornerSigmaPx). It is
// also the body of POST /api/v1/place/measure.
type PlaceMeasure struct {
	Image         PlaceImage     `json:"image"`
	Reference     PlaceReference `json:"reference"`
	PointsPx      [][2]float64   `json:"points_px"`
	CornerSigmaPx float64        `json:"corner_sigma_px,omitempty"`
	PointSigmaPx  float64        `json:"point_sigma_px,omitempty"`
}

// PlaceMeasureReply is the measured distance and the half-width of its 95%
// interval (LowM…HighM, which may be asymmetric). Trustworthy is false
// when the interval is wider than 10% of the distance; Suggestion then
// says how to take a better photo.
type PlaceMeasureReply struct {
	DistanceM     float64 `json:"distance_m"`
	UncertaintyM  float64 `json:"uncertainty_m"`
	LowM          float64 `json:"low_m"`
	HighM         float64 `json:"high_m"`
	DistanceIn    float64 `json:"distance_in"`
	UncertaintyIn float64 `json:"uncertainty_in"`
	// RelativeUncertainty is UncertaintyM / DistanceM.
	RelativeUncertainty float64 `json:"relative_uncertainty"`
	Trustworthy         bool    `json:"trustworthy"`
	Suggestion          string  `json:"suggestion,omitempty"`
	// MetresPerPixel is the plane's scale at the midpoint of the points.
	MetresPerPixel float64 `json:"metres_per_pixel"`
	// FocalPx is the focal length the estimate settled on.
	FocalPx float64 `json:"focal_px"`
	// Ambiguous is true when two camera poses fit the reference; the
	// interval covers both.
	Ambiguous bool   `json:"ambiguous,omitempty"`
	Method    string `json:"method"`
}

// PlaceFit asks whether product SKU fits the free space the shopper
// marked on the reference's plane: two points along a wall (a width) or
// four corners of a rectangle on the floor (width then depth, going
// round). AngleDeg turns the product on the plane (0: its width along the
// free space's first side). ClearanceM is added to the footprint (default
// PlaceDefaultClearanceM; send 0 explicitly for none).
type PlaceFit struct {
	SKU           string         `json:"sku"`
	Image         PlaceImage     `json:"image"`
	Reference     PlaceReference `json:"reference"`
	FreeSpacePx   [][2]float64   `json:"free_space_px"`
	AngleDeg      float64        `json:"angle_deg,omitempty"`
	ClearanceM    *float64       `json:"clearance_m,omitempty"`
	CornerSigmaPx float64        `json:"corner_sigma_px,omitempty"`
	PointSigmaPx  float64        `json:"point_sigma_px,omitempty"`
}

// PlaceMargin is one dimension of a fit answer: the free space measured,
// the space the product needs, and the margin between them with its 95%
// interval, in centimetres and inches.
type PlaceMargin struct {
	Dimension  string  `json:"dimension"`
	AvailableM float64 `json:"available_m"`
	RequiredM  float64 `json:"required_m"`
	MarginCM   float64 `json:"margin_cm"`
	LowCM      float64 `json:"low_cm"`
	HighCM     float64 `json:"high_cm"`
	MarginIn   float64 `json:"margin_in"`
	LowIn      float64 `json:"low_in"`
	HighIn     float64 `json:"high_in"`
}

// PlaceFitReply answers place.fit: "fits" when every margin's 95% lower
// bound is ≥ 0, "does_not_fit" when some margin's upper bound is < 0,
// otherwise "tight". Message says it in plain words (for the page and its
// ARIA live region).
type PlaceFitReply struct {
	SKU         string        `json:"sku"`
	Verdict     string        `json:"verdict"`
	Margins     []PlaceMargin `json:"margins"`
	ClearanceM  float64       `json:"clearance_m"`
	Trustworthy bool          `json:"trustworthy"`
	Suggestion  string        `json:"suggestion,omitempty"`
	Message     string        `json:"message"`
}

// PlacePose asks what the viewer needs to draw product SKU standing on the
// reference's plane at the tapped image point, turned by AngleDeg about
// the plane's normal.
type PlacePose struct {
	SKU           string         `json:"sku"`
	Image         PlaceImage     `json:"image"`
	Reference     PlaceReference `json:"reference"`
	TapPx         [2]float64     `json:"tap_px"`
	AngleDeg      float64        `json:"angle_deg,omitempty"`
	CornerSigmaPx float64        `json:"corner_sigma_px,omitempty"`
}

// PlaceIntrinsics are the pinhole camera intrinsics for the image size.
type PlaceIntrinsics struct {
	Fx float64 `json:"fx"`
	Fy float64 `json:"fy"`
	Cx float64 `json:"cx"`
	Cy float64 `json:"cy"`
	W  int     `json:"w"`
	H  int     `json:"h"`
}

// PlacePoseReply is the camera and plane for a 3D viewer. PlaneRotation
// (row-major 3×3) and PlaneTranslationM map plane coordinates (metres,
// z along the plane's normal) to camera coordinates in the
// computer-vision convention (x right, y down, z forward). ModelMatrix
// (column-major 4×4) maps the product's glTF coordinates (metres, y up,
// +z its front) to those camera coordinates; ModelViewGL maps them to
// OpenGL eye coordinates (y up, looking down -z) and ProjectionGL is the
// matching OpenGL projection for the image (near 0.05 m, far 100 m).
type PlacePoseReply struct {
	SKU               string          `json:"sku"`
	Intrinsics        PlaceIntrinsics `json:"intrinsics"`
	PlaneRotation     [9]float64      `json:"plane_rotation"`
	PlaneTranslationM [3]float64      `json:"plane_translation_m"`
	PlaneNormal       [3]float64      `json:"plane_normal"`
	TapPlaneM         [2]float64      `json:"tap_plane_m"`
	ModelMatrix       [16]float64     `json:"model_matrix"`
	ModelViewGL       [16]float64     `json:"model_view_gl"`
	ProjectionGL      [16]float64     `json:"projection_gl"`
	MetresPerPixel    float64         `json:"metres_per_pixel"`
	DistanceM         float64         `json:"distance_m"`
}

// PlaceTryOn asks for a size answer for a worn product. For glasses give
// the face measurements in millimetres, or in pixels together with a scale
// (the iris diameter in pixels, or a bank card's width, and optionally
// height, in pixels); for a watch the wrist circumference; for shoes the
// foot length. SigmaPx is the 1σ noise of pixel measurements (default 1);
// SigmaMM that of millimetre measurements (default 2).
type PlaceTryOn struct {
	SKU                 string  `json:"sku"`
	PupillaryDistanceMM float64 `json:"pupillary_distance_mm,omitempty"`
	FaceWidthMM         float64 `json:"face_width_mm,omitempty"`
	PupillaryDistancePx float64 `json:"pupillary_distance_px,omitempty"`
	FaceWidthPx         float64 `json:"face_width_px,omitempty"`
	IrisDiameterPx      float64 `json:"iris_diameter_px,omitempty"`
	CardWidthPx         float64 `json:"card_width_px,omitempty"`
	CardHeightPx        float64 `json:"card_height_px,omitempty"`
	WristMM             float64 `json:"wrist_mm,omitempty"`
	FootMM              float64 `json:"foot_mm,omitempty"`
	SigmaPx             float64 `json:"sigma_px,omitempty"`
	SigmaMM             float64 `json:"sigma_mm,omitempty"`
}

// PlaceSize is a measured size in millimetres and inches with the
// half-width of its 95% interval.
type PlaceSize struct {
	MM            float64 `json:"mm"`
	UncertaintyMM float64 `json:"uncertainty_mm"`
	In            float64 `json:"in"`
	UncertaintyIn float64 `json:"uncertainty_in"`
}

// PlaceShoeSizes are a foot length's sizes in the common systems.
type PlaceShoeSizes struct {
	Mondopoint float64 `json:"mondopoint"`
	EU         float64 `json:"eu"`
	UK         float64 `json:"uk"`
	USMen      float64 `json:"us_men"`
	USWomen    float64 `json:"us_women"`
}

// PlaceTryOnReply answers place.tryon. Verdict is fits, tight or
// does_not_fit; Fit names the frame fit for glasses (narrow, regular or
// wide) or the direction of a misfit for watches and shoes (small, large);
// Message explains it in plain words.
type PlaceTryOnReply struct {
	SKU     string `json:"sku"`
	Kind    string `json:"kind"`
	Verdict string `json:"verdict"`
	Fit     string `json:"fit,omitempty"`
	Message string `json:"message"`
	// MMPerPx is the image scale used, when pixel measurements were given.
	MMPerPx           *PlaceSize      `json:"mm_per_px,omitempty"`
	PupillaryDistance *PlaceSize      `json:"pupillary_distance,omitempty"`
	FaceWidth         *PlaceSize      `json:"face_width,omitempty"`
	FrameWidth        *PlaceSize      `json:"frame_width,omitempty"`
	Wrist             *PlaceSize      `json:"wrist,omitempty"`
	StrapMinMM        float64         `json:"strap_min_mm,omitempty"`
	StrapMaxMM        float64         `json:"strap_max_mm,omitempty"`
	Foot              *PlaceSize      `json:"foot,omitempty"`
	FootSizes         *PlaceShoeSizes `json:"foot_sizes,omitempty"`
	ProductSizes      *PlaceShoeSizes `json:"product_sizes,omitempty"`
}
