package photoquery

import (
	"fmt"
	"image"
	"math"
)

// Rect is a crop rectangle in fractions of the picture's width and
// height: X and Y its top-left corner, W and H its size, all in [0, 1].
type Rect struct{ X, Y, W, H float64 }

// MinSide is the smallest crop side, as a fraction of the picture.
const MinSide = 0.1

// Step is how far one key press moves or resizes the crop.
const Step = 0.02

// Full is the whole picture, the default crop.
func Full() Rect { return Rect{0, 0, 1, 1} }

// Clamp keeps the rectangle inside the picture and at least MinSide.
func (r Rect) Clamp() Rect {
	fix := func(v float64) float64 {
		if math.IsNaN(v) {
			return 0
		}
		return v
	}
	r.X, r.Y, r.W, r.H = fix(r.X), fix(r.Y), fix(r.W), fix(r.H)
	r.W = math.Min(math.Max(r.W, MinSide), 1)
	r.H = math.Min(math.Max(r.H, MinSide), 1)
	r.X = math.Min(math.Max(r.X, 0), 1-r.W)
	r.Y = math.Min(math.Max(r.Y, 0), 1-r.H)
	return r
}

// Move shifts the rectangle, keeping it inside the picture.
func (r Rect) Move(dx, dy float64) Rect {
	r.X += dx
	r.Y += dy
	return r.Clamp()
}

// Resize grows or shrinks the rectangle from its bottom-right corner,
// keeping its top-left corner and staying inside the picture.
func (r Rect) Resize(dw, dh float64) Rect {
	r = r.Clamp()
	r.W = math.Min(math.Max(r.W+dw, MinSide), 1-r.X)
	r.H = math.Min(math.Max(r.H+dh, MinSide), 1-r.Y)
	return r
}

// Key applies a key press: arrows move the crop, Shift+arrows resize it;
// ok is false for other keys.
func (r Rect) Key(key string, shift bool) (Rect, bool) {
	var dx, dy float64
	switch key {
	case "ArrowLeft":
		dx = -Step
	case "ArrowRight":
		dx = Step
	case "ArrowUp":
		dy = -Step
	case "ArrowDown":
		dy = Step
	default:
		return r, false
	}
	if shift {
		return r.Resize(dx, dy), true
	}
	return r.Move(dx, dy), true
}

// Pixels is the rectangle in pixels of a w×h picture, at least 1×1.
func (r Rect) Pixels(w, h int) image.Rectangle {
	r = r.Clamp()
	x0 := int(math.Round(r.X * float64(w)))
	y0 := int(math.Round(r.Y * float64(h)))
	x1 := int(math.Round((r.X + r.W) * float64(w)))
	y1 := int(math.Round((r.Y + r.H) * float64(h)))
	x1, y1 = min(max(x1, x0+1), w), min(max(y1, y0+1), h)
	x0, y0 = min(x0, x1-1), min(y0, y1-1)
	return image.Rect(x0, y0, x1, y1)
}

// IsFull reports whether the rectangle covers the whole picture.
func (r Rect) IsFull() bool { return r.Clamp() == Full() }

// Describe words the crop for screen readers.
func (r Rect) Describe() string {
	r = r.Clamp()
	if r.IsFull() {
		return "Crop: the whole photo."
	}
	return fmt.Sprintf("Crop: %d%% wide and %d%% tall, %d%% from the left and %d%% from the top.",
		pct(r.W), pct(r.H), pct(r.X), pct(r.Y))
}

func pct(v float64) int { return int(math.Round(v * 100)) }
