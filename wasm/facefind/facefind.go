// Package facefind finds a face and its pupils in a luminance image with
// pigo (github.com/esimov/pigo): a pixel-intensity-comparison cascade for
// the face and pigo's pupil localisation cascade for the eyes. It runs
// natively and in WebAssembly; the cascades are pigo's own files, which
// the viewer serves as /web/pigo-facefinder and /web/pigo-puploc and
// fetches only when the shopper opens the try-on.
package facefind

import (
	"errors"
	"fmt"
	"math"

	pigo "github.com/esimov/pigo/core"
)

// Point is an image position in pixels, y down.
type Point struct{ X, Y float64 }

// Face is a detected face: its centre and size (the side of the square
// the cascade matched), the detection score, and the pupils when they
// were found (Left has the smaller x).
type Face struct {
	Centre      Point
	SizePx      float64
	Score       float32
	Left, Right Point
	Pupils      bool
}

// Detector holds the unpacked cascades. It is not safe for concurrent
// use.
type Detector struct {
	face   *pigo.Pigo
	pupils *pigo.PuplocCascade
	// MinScore is the lowest detection score accepted (default 5, as in
	// pigo's examples).
	MinScore float32
}

// New unpacks pigo's facefinder and puploc cascade files.
func New(facefinder, puploc []byte) (d *Detector, err error) {
	defer func() {
		// pigo indexes the bytes without checking their length.
		if r := recover(); r != nil {
			d, err = nil, fmt.Errorf("facefind: corrupt cascade: %v", r)
		}
	}()
	if len(facefinder) < 16 || len(puploc) < 16 {
		return nil, errors.New("facefind: cascade files are empty")
	}
	f, err := pigo.NewPigo().Unpack(facefinder)
	if err != nil {
		return nil, fmt.Errorf("facefind: facefinder cascade: %w", err)
	}
	p, err := pigo.NewPuplocCascade().UnpackCascade(puploc)
	if err != nil {
		return nil, fmt.Errorf("facefind: puploc cascade: %w", err)
	}
	return &Detector{face: f, pupils: p, MinScore: 5}, nil
}

// maxDetectSide is the long side faces are searched at; larger frames
// are halved first (faces of a try-on fill much of the frame).
const maxDetectSide = 480

// Find returns the most confident face in the w×h luminance image gray
// (row-major, one byte per pixel) and its pupils; ok is false when no
// face scores MinScore.
func (d *Detector) Find(gray []uint8, w, h int) (face Face, ok bool) {
	if w < 32 || h < 32 || len(gray) < w*h {
		return Face{}, false
	}
	small, sw, sh, factor := gray, w, h, 1
	for max(sw, sh) > maxDetectSide {
		small, sw, sh = halve(small, sw, sh)
		factor *= 2
	}
	side := min(sw, sh)
	params := pigo.CascadeParams{
		MinSize:     max(side/6, 24),
		MaxSize:     side,
		ShiftFactor: 0.1,
		ScaleFactor: 1.1,
		ImageParams: pigo.ImageParams{Pixels: small, Rows: sh, Cols: sw, Dim: sw},
	}
	dets := d.face.ClusterDetections(d.face.RunCascade(params, 0), 0.2)
	best := -1
	for i, det := range dets {
		if det.Q >= d.MinScore && (best < 0 || det.Q > dets[best].Q) {
			best = i
		}
	}
	if best < 0 {
		return Face{}, false
	}
	det := dets[best]
	f := float64(factor)
	face = Face{
		Centre: Point{float64(det.Col) * f, float64(det.Row) * f},
		SizePx: float64(det.Scale) * f,
		Score:  det.Q,
	}
	img := pigo.ImageParams{Pixels: gray, Rows: h, Cols: w, Dim: w}
	row, col, scale := int(face.Centre.Y), int(face.Centre.X), face.SizePx
	eye := func(sign float64) (Point, bool) {
		loc := d.pupils.RunDetector(pigo.Puploc{
			Row:      row - int(0.085*scale),
			Col:      col + int(sign*0.185*scale),
			Scale:    float32(scale * 0.4),
			Perturbs: 63,
		}, img, 0, false)
		if loc == nil || loc.Row <= 0 || loc.Col <= 0 || loc.Row >= h || loc.Col >= w {
			return Point{}, false
		}
		return Point{float64(loc.Col) + 0.5, float64(loc.Row) + 0.5}, true
	}
	l, okL := eye(-1)
	r, okR := eye(1)
	if okL && okR {
		if r.X < l.X {
			l, r = r, l
		}
		// Both pupils must sit in the face's upper half, apart.
		dist := math.Hypot(r.X-l.X, r.Y-l.Y)
		if dist > 0.2*scale && dist < 0.7*scale {
			face.Left, face.Right, face.Pupils = l, r, true
		}
	}
	return face, true
}

// halve averages 2×2 blocks.
func halve(src []uint8, w, h int) ([]uint8, int, int) {
	hw, hh := w/2, h/2
	dst := make([]uint8, hw*hh)
	for y := 0; y < hh; y++ {
		for x := 0; x < hw; x++ {
			i := 2*y*w + 2*x
			dst[y*hw+x] = uint8((int(src[i]) + int(src[i+1]) + int(src[i+w]) + int(src[i+w+1]) + 2) / 4)
		}
	}
	return dst, hw, hh
}
