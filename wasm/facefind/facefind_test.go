package facefind

import (
	"image"
	"image/draw"
	_ "image/jpeg"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pigoDir is the pigo module's directory in the module cache, which holds
// a sample portrait (testdata/sample.jpg).
func pigoDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("pigo module not in the module cache: %v", err)
	}
	return dir
}

func detector(t *testing.T) *Detector {
	t.Helper()
	ff, err := os.ReadFile("../web/pigo-facefinder")
	if err != nil {
		t.Fatal(err)
	}
	pl, err := os.ReadFile("../web/pigo-puploc")
	if err != nil {
		t.Fatal(err)
	}
	d, err := New(ff, pl)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func grayOf(img image.Image) ([]uint8, int, int) {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(g, g.Rect, img, b.Min, draw.Src)
	return g.Pix, b.Dx(), b.Dy()
}

func TestFindsTheSamplePortrait(t *testing.T) {
	f, err := os.Open(filepath.Join(pigoDir(t), "testdata", "sample.jpg"))
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	gray, w, h := grayOf(img)
	face, ok := detector(t).Find(gray, w, h)
	if !ok {
		t.Fatal("no face found in pigo's sample portrait")
	}
	t.Logf("face %+v", face)
	if !face.Pupils {
		t.Fatal("no pupils found")
	}
	pd := math.Hypot(face.Right.X-face.Left.X, face.Right.Y-face.Left.Y)
	if pd < 0.25*face.SizePx || pd > 0.6*face.SizePx {
		t.Errorf("pupils %.0f px apart for a %.0f px face", pd, face.SizePx)
	}
	if face.Left.Y > face.Centre.Y || face.Right.Y > face.Centre.Y {
		t.Errorf("pupils %v %v below the face centre %v", face.Left, face.Right, face.Centre)
	}
}

func TestNoFaceInAFlatImage(t *testing.T) {
	gray := make([]uint8, 320*240)
	for i := range gray {
		gray[i] = 128
	}
	if face, ok := detector(t).Find(gray, 320, 240); ok {
		t.Errorf("found a face %+v in a flat grey image", face)
	}
}

func TestRejectsBadInput(t *testing.T) {
	if _, err := New(nil, nil); err == nil {
		t.Error("empty cascades accepted")
	}
	ff, err := os.ReadFile("../web/pigo-facefinder")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(ff[:100], ff[:100]); err == nil {
		t.Error("truncated cascades accepted")
	}
	if _, ok := detector(t).Find(make([]uint8, 10), 320, 240); ok {
		t.Error("short pixel buffer accepted")
	}
}
