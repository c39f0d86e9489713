package photoquery

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/vitrine-shop/vitrine/wire"
)

// picture is w×h grey with a red top-left quarter.
func picture(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{128, 128, 128, 255}
			if x < w/2 && y < h/2 {
				c = color.RGBA{230, 20, 20, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func jpegOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withExif inserts an APP1 Exif segment holding one orientation tag.
func withExif(jpg []byte, bo binary.AppendByteOrder, orientation uint16) []byte {
	var tiff []byte
	if bo == binary.LittleEndian {
		tiff = []byte("II*\x00")
	} else {
		tiff = []byte("MM\x00*")
	}
	tiff = bo.AppendUint32(tiff, 8)
	tiff = bo.AppendUint16(tiff, 2) // two entries: an unrelated one first
	tiff = bo.AppendUint16(tiff, 0x010F)
	tiff = bo.AppendUint16(tiff, 2)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint32(tiff, 0)
	tiff = bo.AppendUint16(tiff, 0x0112)
	tiff = bo.AppendUint16(tiff, 3)
	tiff = bo.AppendUint32(tiff, 1)
	tiff = bo.AppendUint16(tiff, orientation)
	tiff = bo.AppendUint16(tiff, 0)
	tiff = bo.AppendUint32(tiff, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xFF, 0xD8, 0xFF, 0xE1}
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func isRed(c color.Color) bool {
	r, g, _, _ := c.RGBA()
	return r>>8 > 180 && g>>8 < 80
}

func TestOrientation(t *testing.T) {
	base := jpegOf(t, picture(40, 20))
	if o := Orientation(base); o != 1 {
		t.Errorf("no Exif: %d", o)
	}
	for _, bo := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for o := uint16(1); o <= 8; o++ {
			if got := Orientation(withExif(base, bo, o)); got != int(o) {
				t.Errorf("%v orientation %d read as %d", bo, o, got)
			}
		}
	}
	// Broken or hostile input never panics and reads as 1.
	exif := withExif(base, binary.BigEndian, 6)
	for i := 0; i < 80; i++ {
		if o := Orientation(exif[:i]); o != 1 && o != 6 {
			t.Errorf("prefix %d: %d", i, o)
		}
	}
	bad := bytes.Clone(exif)
	binary.BigEndian.PutUint32(bad[4+2+6+4:], 0xFFFFFFF0) // IFD offset far away
	if o := Orientation(bad); o != 1 {
		t.Errorf("bad IFD offset: %d", o)
	}
	for _, junk := range [][]byte{nil, []byte("hello"), {0xFF, 0xD8, 0xFF, 0xE1, 0, 0}, {0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF, 1}} {
		if o := Orientation(junk); o != 1 {
			t.Errorf("%q: %d", junk, o)
		}
	}
}

func TestDecodeTurnsThePhotoUpright(t *testing.T) {
	// Orientation 6: the camera was turned; the stored 40×20 picture is
	// shown rotated 90° clockwise, 20×40 with the red corner top-right.
	img, err := Decode(withExif(jpegOf(t, picture(40, 20)), binary.LittleEndian, 6))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 20 || b.Dy() != 40 {
		t.Fatalf("size %v", b)
	}
	if !isRed(img.At(15, 5)) || isRed(img.At(5, 5)) {
		t.Error("orientation 6 did not rotate clockwise")
	}
	img, err = Decode(withExif(jpegOf(t, picture(40, 20)), binary.BigEndian, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !isRed(img.At(35, 15)) || isRed(img.At(5, 5)) {
		t.Error("orientation 3 did not turn the picture over")
	}
	// PNG is decoded as is.
	var buf bytes.Buffer
	_ = png.Encode(&buf, picture(8, 6))
	if img, err := Decode(buf.Bytes()); err != nil || img.Bounds().Dx() != 8 {
		t.Errorf("png: %v %v", img, err)
	}
}

func TestDecodeRejectsBadFiles(t *testing.T) {
	good := jpegOf(t, picture(64, 64))
	hugeHeader := bytes.Clone(good)
	// Patch SOF0's height and width to 60000×60000.
	if i := bytes.Index(hugeHeader, []byte{0xFF, 0xC0}); i > 0 {
		binary.BigEndian.PutUint16(hugeHeader[i+5:], 60000)
		binary.BigEndian.PutUint16(hugeHeader[i+7:], 60000)
	} else {
		t.Fatal("no SOF0")
	}
	for name, tt := range map[string]struct {
		data []byte
		want error
	}{
		"empty":     {nil, ErrEmpty},
		"text":      {[]byte("this is not a photo"), ErrNotImage},
		"gif":       {[]byte("GIF89a\x01\x00\x01\x00"), ErrNotImage},
		"truncated": {good[:len(good)/2], ErrBroken},
		"header":    {good[:20], ErrBroken},
		"giant":     {hugeHeader, ErrTooManyPix},
		"file size": {append(bytes.Clone(good), make([]byte, MaxFileBytes)...), ErrTooLarge},
	} {
		_, err := Decode(tt.data)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", name, err, tt.want)
		}
		if msg := Message(err); msg == "" || strings.Contains(msg, "photoquery") {
			t.Errorf("%s: message %q", name, msg)
		}
	}
}

func TestPrepareCropsAndShrinks(t *testing.T) {
	img := picture(1600, 1000)
	out, err := Prepare(img, Full())
	if err != nil {
		t.Fatal(err)
	}
	if Format(out) != "jpeg" || len(out) > wire.MaxSearchImageBytes {
		t.Fatalf("%d bytes of %q", len(out), Format(out))
	}
	got, _ := jpeg.Decode(bytes.NewReader(out))
	if b := got.Bounds(); b.Dx() != wire.SearchImageSide || b.Dy() != 320 {
		t.Errorf("full crop is %v, want 512×320", b)
	}
	// The red top-left quarter alone: all red, its proportions kept.
	out, err = Prepare(img, Rect{0, 0, 0.5, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	got, _ = jpeg.Decode(bytes.NewReader(out))
	if b := got.Bounds(); b.Dx() != 512 || b.Dy() != 320 {
		t.Errorf("quarter crop is %v", b)
	}
	if !isRed(got.At(10, 10)) || !isRed(got.At(500, 300)) {
		t.Error("the crop is not the red quarter")
	}
	// A small picture is not enlarged.
	out, _ = Prepare(picture(100, 80), Full())
	got, _ = jpeg.Decode(bytes.NewReader(out))
	if b := got.Bounds(); b.Dx() != 100 || b.Dy() != 80 {
		t.Errorf("small picture became %v", b)
	}
	prev, err := Preview(picture(3000, 1500))
	if err != nil {
		t.Fatal(err)
	}
	got, _ = jpeg.Decode(bytes.NewReader(prev))
	if b := got.Bounds(); b.Dx() != PreviewSide || b.Dy() != PreviewSide/2 {
		t.Errorf("preview %v", b)
	}
}

func TestRect(t *testing.T) {
	r := Full()
	if !r.IsFull() || r.Describe() != "Crop: the whole photo." {
		t.Errorf("full: %v %q", r, r.Describe())
	}
	if r.Move(0.1, 0.1) != Full() {
		t.Error("the full crop moved")
	}
	r = r.Resize(-0.5, -0.4)
	if r != (Rect{0, 0, 0.5, 0.6}) {
		t.Errorf("resize: %+v", r)
	}
	r = r.Move(0.8, 0.1) // stops at the right edge
	if r.X != 0.5 || r.Y < 0.0999 || r.Y > 0.1001 {
		t.Errorf("move: %+v", r)
	}
	r = r.Resize(1, 1) // grows only to the edges
	if r.X+r.W > 1.0000001 || r.Y+r.H > 1.0000001 {
		t.Errorf("resize past the edge: %+v", r)
	}
	r = Rect{0.2, 0.2, 0.3, 0.3}.Resize(-1, -1)
	if r.W != MinSide || r.H != MinSide {
		t.Errorf("shrink below the minimum: %+v", r)
	}
	k, ok := Rect{0.2, 0.2, 0.3, 0.3}.Key("ArrowRight", false)
	if !ok || k.X < 0.219 || k.X > 0.221 || k.W != 0.3 {
		t.Errorf("ArrowRight: %+v", k)
	}
	k, ok = Rect{0.2, 0.2, 0.3, 0.3}.Key("ArrowDown", true)
	if !ok || k.Y != 0.2 || k.H < 0.319 || k.H > 0.321 {
		t.Errorf("Shift+ArrowDown: %+v", k)
	}
	if _, ok := Full().Key("Enter", false); ok {
		t.Error("Enter handled")
	}
	if got := (Rect{0.25, 0.5, 0.5, 0.5}).Pixels(200, 100); got != image.Rect(50, 50, 150, 100) {
		t.Errorf("pixels %v", got)
	}
	if got := (Rect{0.999, 0.999, 0.0001, 0.0001}).Pixels(3, 3); got.Empty() || !got.In(image.Rect(0, 0, 3, 3)) {
		t.Errorf("tiny crop %v", got)
	}
	if d := (Rect{0.1, 0.2, 0.5, 0.4}).Describe(); d != "Crop: 50% wide and 40% tall, 10% from the left and 20% from the top." {
		t.Errorf("describe %q", d)
	}
}

func TestWording(t *testing.T) {
	for score, want := range map[float64]int{-0.3: 0, 0: 0, 0.873: 87, 1: 100, 1.2: 100} {
		if got := Percent(score); got != want {
			t.Errorf("Percent(%v) = %d", score, got)
		}
	}
	if Why(wire.WhyColour) != "Colour match" || Why(wire.WhyShape) != "Shape match" || Why(wire.WhyTexture) != "Texture match" || Why("") == "" {
		t.Error("why wording")
	}
	if !strings.Contains(Hint(wire.HintNoProduct), "Crop") || Hint("") != "" || Hint("from-a-newer-server") != "" {
		t.Error("hint wording")
	}
	if Message(wire.Errorf(wire.CodeInvalidImage, "x")) == Message(errors.New("x")) {
		t.Error("invalid_image worded as a generic failure")
	}
}

func TestParsePriceMax(t *testing.T) {
	for in, want := range map[string]float64{"": 0, "  ": 0, "150": 150, " 99.5 ": 99.5, "99,5": 99.5, "0.01": 0.01, "1e9": 1e9} {
		if got, err := ParsePriceMax(in); err != nil || got != want {
			t.Errorf("ParsePriceMax(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "0,0", "-1", "abc", "NaN", "Inf", "1e10", "1,5,0", "€150", strings.Repeat("9", 40)} {
		if _, err := ParsePriceMax(in); !errors.Is(err, ErrPrice) {
			t.Errorf("ParsePriceMax(%q): %v; want ErrPrice", in, err)
		}
	}
	if !strings.Contains(Message(ErrPrice), "price") {
		t.Error("price error wording")
	}
}

func TestWithoutAndSummary(t *testing.T) {
	rs := []wire.SearchResult{{SKU: "a", Name: "A", Score: 0.91}, {SKU: "b", Name: "B"}, {SKU: "c", Name: "C"}}
	got := Without(rs, "b")
	if len(got) != 2 || got[0].SKU != "a" || got[1].SKU != "c" || len(rs) != 3 {
		t.Errorf("%+v", got)
	}
	if s := Summary(got); s != "2 similar products found. Best match: A, 91% match." {
		t.Errorf("%q", s)
	}
	if Summary(nil) != "No similar products found." || Summary(rs[:1]) != "1 similar product found: A." {
		t.Error("summary wording")
	}
}
