package placeflow

import (
	"errors"
	"fmt"
	"math"
)

// Point is an image or screen position in pixels, y down.
type Point struct{ X, Y float64 }

// Fit maps a photo of ImgW×ImgH pixels shown whole and centred in a box
// of BoxW×BoxH CSS pixels (CSS object-fit: contain).
type Fit struct {
	ImgW, ImgH int
	BoxW, BoxH float64
}

// Scale is CSS pixels per image pixel.
func (f Fit) Scale() float64 {
	if f.ImgW <= 0 || f.ImgH <= 0 || f.BoxW <= 0 || f.BoxH <= 0 {
		return 0
	}
	return math.Min(f.BoxW/float64(f.ImgW), f.BoxH/float64(f.ImgH))
}

// Offset is where the photo's top-left corner sits in the box.
func (f Fit) Offset() Point {
	s := f.Scale()
	return Point{(f.BoxW - s*float64(f.ImgW)) / 2, (f.BoxH - s*float64(f.ImgH)) / 2}
}

// ToImage maps a box position to image pixels; ok is false outside the
// photo.
func (f Fit) ToImage(p Point) (Point, bool) {
	s := f.Scale()
	if s == 0 {
		return Point{}, false
	}
	o := f.Offset()
	q := Point{(p.X - o.X) / s, (p.Y - o.Y) / s}
	return q, q.X >= 0 && q.Y >= 0 && q.X <= float64(f.ImgW) && q.Y <= float64(f.ImgH)
}

// ToBox maps image pixels to a box position.
func (f Fit) ToBox(p Point) Point {
	s := f.Scale()
	o := f.Offset()
	return Point{o.X + s*p.X, o.Y + s*p.Y}
}

// Clamp keeps an image point inside the photo.
func (f Fit) Clamp(p Point) Point {
	return Point{math.Min(math.Max(p.X, 0), float64(f.ImgW)), math.Min(math.Max(p.Y, 0), float64(f.ImgH))}
}

// FovYDeg is the vertical field of view, in degrees, of a symmetric
// perspective camera filling the whole box that draws the photo's pinhole
// camera (focal length fy in image pixels, principal point at the image
// centre) exactly over the photo. The photo is centred in the box, so its
// principal point is the box's centre and no off-axis frustum is needed.
func (f Fit) FovYDeg(fy float64) float64 {
	s := f.Scale()
	if s == 0 || fy <= 0 {
		return 0
	}
	halfImagePx := f.BoxH / s / 2
	return 2 * math.Atan(halfImagePx/fy) * 180 / math.Pi
}

// Quadrilateral problems CheckQuad reports.
var (
	ErrQuadSmall    = errors.New("placeflow: corners too close together")
	ErrQuadCrossing = errors.New("placeflow: corners not in order around the shape")
)

// minSidePx is the shortest side of a marked rectangle, in image pixels
// (the placement service refuses anything under 5 px).
const minSidePx = 8

// CheckQuad tells whether four points, in tapping order, go round a convex
// shape with sides long enough to measure.
func CheckQuad(q [4]Point) error {
	for i := range 4 {
		a, b := q[i], q[(i+1)%4]
		if math.Hypot(b.X-a.X, b.Y-a.Y) < minSidePx {
			return fmt.Errorf("%w: side %d is under %d px", ErrQuadSmall, i+1, minSidePx)
		}
	}
	sign := 0.0
	for i := range 4 {
		a, b, c := q[i], q[(i+1)%4], q[(i+2)%4]
		cross := (b.X-a.X)*(c.Y-b.Y) - (b.Y-a.Y)*(c.X-b.X)
		ab := math.Hypot(b.X-a.X, b.Y-a.Y)
		bc := math.Hypot(c.X-b.X, c.Y-b.Y)
		if math.Abs(cross) < 0.02*ab*bc { // corner angle's sine under 0.02
			return fmt.Errorf("%w: three corners are almost in a line", ErrQuadCrossing)
		}
		if sign == 0 {
			sign = math.Copysign(1, cross)
		} else if math.Copysign(1, cross) != sign {
			return ErrQuadCrossing
		}
	}
	return nil
}

// Nearest returns the index of the point within radius of p closest to
// it, or -1.
func Nearest(points []Point, p Point, radius float64) int {
	best, bestD := -1, radius
	for i, q := range points {
		if d := math.Hypot(q.X-p.X, q.Y-p.Y); d <= bestD {
			best, bestD = i, d
		}
	}
	return best
}
