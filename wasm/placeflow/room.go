package placeflow

import (
	"errors"
	"fmt"
	"math"

	"github.com/vitrine-shop/vitrine/wire"
)

// Step is where the room flow stands.
type Step int

const (
	// StepPhoto: no photo yet.
	StepPhoto Step = iota
	// StepCorners: the shopper taps the reference's four corners.
	StepCorners
	// StepPlace: the reference is marked; the next tap places the product.
	StepPlace
	// StepPlaced: the product stands in the photo; taps and drags move it.
	StepPlaced
	// StepFreeSpace: the shopper marks the free space to check.
	StepFreeSpace
)

// Room is the state of the "View in your room" flow for one photo. Points
// are in the photo's pixels. The page owns one Room on its controller
// goroutine.
type Room struct {
	ImgW, ImgH int
	Ref        Reference
	// Surface is wire.SurfaceFloor or wire.SurfaceWall: what the
	// reference lies on (and the product stands on or hangs from).
	Surface string
	Corners []Point
	// CornerSigmaPx is the corners' 1σ in image pixels: from sub-pixel
	// refinement when it succeeded, else the click precision.
	CornerSigmaPx float64
	Refined       bool
	// Tap is where the product stands, once placed.
	Tap      *Point
	AngleDeg float64
	// Free is the free space marked so far; FreePoints is how many make
	// it (2: a width along a wall, 4: a rectangle on the floor).
	Free       []Point
	FreePoints int
	marking    bool
}

// NewRoom starts the flow for a photo of w×h pixels and a product placed
// by placement (wire.Placement*): wall products default to a wall
// reference and a two-point width, others to the floor and a rectangle.
func NewRoom(w, h int, placement string) *Room {
	r := &Room{ImgW: w, ImgH: h, Ref: References[0], Surface: wire.SurfaceFloor, FreePoints: 4, CornerSigmaPx: 1}
	if placement == wire.PlacementWall {
		r.Surface, r.FreePoints = wire.SurfaceWall, 2
	}
	return r
}

// Step says what the next tap does.
func (r *Room) Step() Step {
	switch {
	case r == nil || r.ImgW == 0:
		return StepPhoto
	case len(r.Corners) < 4:
		return StepCorners
	case r.marking:
		return StepFreeSpace
	case r.Tap == nil:
		return StepPlace
	}
	return StepPlaced
}

// Tap handles a tap at p (image pixels) and reports what changed.
func (r *Room) TapAt(p Point) Step {
	switch r.Step() {
	case StepCorners:
		r.Corners = append(r.Corners, p)
		r.Refined = false
	case StepPlace, StepPlaced:
		q := p
		r.Tap = &q
	case StepFreeSpace:
		if len(r.Free) >= r.FreePoints {
			r.Free = r.Free[:0]
		}
		r.Free = append(r.Free, p)
	}
	return r.Step()
}

// ResetCorners starts marking the reference again.
func (r *Room) ResetCorners() {
	r.Corners, r.Tap, r.Free, r.marking, r.Refined = nil, nil, nil, false, false
}

// StartFreeSpace begins marking the free space with n points (2 or 4).
func (r *Room) StartFreeSpace(n int) {
	if n != 2 && n != 4 {
		n = 4
	}
	r.FreePoints, r.Free, r.marking = n, nil, true
}

// StopFreeSpace returns to moving the product.
func (r *Room) StopFreeSpace() { r.marking = false }

// FreeComplete reports whether the free space is fully marked.
func (r *Room) FreeComplete() bool { return len(r.Free) == r.FreePoints }

// Rotate turns the product by delta degrees, keeping the angle in
// (-180, 180].
func (r *Room) Rotate(delta float64) {
	a := math.Mod(r.AngleDeg+delta, 360)
	if a > 180 {
		a -= 360
	} else if a <= -180 {
		a += 360
	}
	r.AngleDeg = a
}

// Handle names a draggable point: a corner (0-3), the product (Index -1)
// or a free-space point.
type Handle struct {
	Kind  HandleKind
	Index int
}

// HandleKind says what a handle moves.
type HandleKind int

const (
	NoHandle HandleKind = iota
	CornerHandle
	ProductHandle
	FreeHandle
)

// HandleAt returns the handle within radius image pixels of p: none
// while the corners are being tapped; corners first (they matter most),
// then free-space points; the product (within three radii of where it
// stands) only while it is being moved, not while free space is marked.
func (r *Room) HandleAt(p Point, radius float64) Handle {
	step := r.Step()
	if step == StepPhoto || step == StepCorners {
		return Handle{}
	}
	if i := Nearest(r.Corners, p, radius); i >= 0 {
		return Handle{CornerHandle, i}
	}
	if i := Nearest(r.Free, p, radius); i >= 0 {
		return Handle{FreeHandle, i}
	}
	if step == StepPlaced && r.Tap != nil && math.Hypot(r.Tap.X-p.X, r.Tap.Y-p.Y) <= radius*3 {
		return Handle{ProductHandle, -1}
	}
	return Handle{}
}

// Move puts handle h at p (clamped to the photo).
func (r *Room) Move(h Handle, p Point) {
	p = Point{math.Min(math.Max(p.X, 0), float64(r.ImgW)), math.Min(math.Max(p.Y, 0), float64(r.ImgH))}
	switch h.Kind {
	case CornerHandle:
		if h.Index < len(r.Corners) {
			r.Corners[h.Index] = p
			r.Refined = false
		}
	case FreeHandle:
		if h.Index < len(r.Free) {
			r.Free[h.Index] = p
		}
	case ProductHandle:
		q := p
		r.Tap = &q
	}
}

// ErrNotReady is returned when a request is built before its points are
// marked.
var ErrNotReady = errors.New("placeflow: not enough points marked yet")

func (r *Room) reference() (wire.PlaceReference, error) {
	if len(r.Corners) != 4 {
		return wire.PlaceReference{}, fmt.Errorf("%w: %d of 4 corners", ErrNotReady, len(r.Corners))
	}
	var q [4]Point
	copy(q[:], r.Corners)
	if err := CheckQuad(q); err != nil {
		return wire.PlaceReference{}, err
	}
	if !(r.Ref.WidthM >= MinSideM && r.Ref.WidthM <= MaxSideM && r.Ref.HeightM >= MinSideM && r.Ref.HeightM <= MaxSideM) {
		return wire.PlaceReference{}, fmt.Errorf("%w: the reference's sides must be 5 cm to 10 m", ErrLength)
	}
	ref := wire.PlaceReference{WidthM: r.Ref.WidthM, HeightM: r.Ref.HeightM, Surface: r.Surface}
	for _, c := range r.Corners {
		ref.CornersPx = append(ref.CornersPx, [2]float64{c.X, c.Y})
	}
	return ref, nil
}

func (r *Room) sigma() float64 {
	return math.Min(math.Max(r.CornerSigmaPx, 0.05), wire.PlaceMaxSigmaPx)
}

// PoseRequest builds place.pose for the product at the tap point.
func (r *Room) PoseRequest(sku string) (wire.PlacePose, error) {
	ref, err := r.reference()
	if err != nil {
		return wire.PlacePose{}, err
	}
	if r.Tap == nil {
		return wire.PlacePose{}, fmt.Errorf("%w: no spot tapped", ErrNotReady)
	}
	return wire.PlacePose{
		SKU: sku, Image: wire.PlaceImage{W: r.ImgW, H: r.ImgH}, Reference: ref,
		TapPx: [2]float64{r.Tap.X, r.Tap.Y}, AngleDeg: r.AngleDeg, CornerSigmaPx: r.sigma(),
	}, nil
}

// FitRequest builds place.fit for the marked free space, with the
// product turned by the same angle as shown. Free-space points are
// clicked, so they carry clickSigmaPx.
func (r *Room) FitRequest(sku string, clickSigmaPx float64) (wire.PlaceFit, error) {
	ref, err := r.reference()
	if err != nil {
		return wire.PlaceFit{}, err
	}
	if !r.FreeComplete() {
		return wire.PlaceFit{}, fmt.Errorf("%w: %d of %d free-space points", ErrNotReady, len(r.Free), r.FreePoints)
	}
	req := wire.PlaceFit{
		SKU: sku, Image: wire.PlaceImage{W: r.ImgW, H: r.ImgH}, Reference: ref,
		AngleDeg: r.AngleDeg, CornerSigmaPx: r.sigma(),
		PointSigmaPx: math.Min(math.Max(clickSigmaPx, 0.05), wire.PlaceMaxSigmaPx),
	}
	for _, p := range r.Free {
		req.FreeSpacePx = append(req.FreeSpacePx, [2]float64{p.X, p.Y})
	}
	return req, nil
}

// Instruction is what the page asks the shopper to do now.
func (r *Room) Instruction() string {
	switch r.Step() {
	case StepPhoto:
		return "Choose a photo of your room, or use your camera."
	case StepCorners:
		names := [4]string{"first", "second", "third", "fourth"}
		n := len(r.Corners)
		if n == 0 {
			return fmt.Sprintf("Tap the %s corner of the %s, then go round it: the first two corners along its %s side.",
				names[0], shortName(r.Ref), sideName(r.Ref))
		}
		return fmt.Sprintf("Tap the %s corner (%d of 4).", names[n], n+1)
	case StepPlace:
		return "Tap where the product should stand."
	case StepPlaced:
		return "Drag the product to move it; use Rotate or the [ and ] keys to turn it."
	case StepFreeSpace:
		if r.FreeComplete() {
			return "Free space marked. Drag its marks to adjust it, tap to mark another, or press Done marking."
		}
		if r.FreePoints == 2 {
			return fmt.Sprintf("Tap the two ends of the free space along the wall (%d of 2).", min(len(r.Free)+1, 2))
		}
		return fmt.Sprintf("Tap the four corners of the free floor space, going round (%d of 4).", min(len(r.Free)+1, 4))
	}
	return ""
}

func shortName(r Reference) string {
	switch r.ID {
	case "a4":
		return "A4 sheet"
	case "letter":
		return "Letter sheet"
	case "door":
		return "door"
	case "rug":
		return "rug"
	}
	return "rectangle"
}

// sideName names the side between the first two corners: the width the
// request carries is the preset's first size.
func sideName(r Reference) string {
	if r.WidthM <= r.HeightM {
		return "short"
	}
	return "long"
}
