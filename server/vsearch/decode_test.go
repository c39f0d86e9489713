package vsearch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// quadrants is a 4×2 image whose left half is red and right half blue,
// top row light and bottom row dark, so every orientation is visible.
func quadrants() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, 8, 4))
	for y := 0; y < 4; y++ {
		for x := 0; x < 8; x++ {
			c := color.NRGBA{255, 0, 0, 255}
			if x >= 4 {
				c = color.NRGBA{0, 0, 255, 255}
			}
			if y >= 2 {
				c.R, c.B = c.R/3, c.B/3
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func encodePNG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withExif inserts an APP1 Exif segment holding orientation o right after
// the JPEG's SOI marker, in the given TIFF byte order.
func withExif(jpg []byte, o uint16, order binary.AppendByteOrder) []byte {
	var tiff []byte
	if order == binary.LittleEndian {
		tiff = append(tiff, 'I', 'I')
	} else {
		tiff = append(tiff, 'M', 'M')
	}
	tiff = order.AppendUint16(tiff, 42)
	tiff = order.AppendUint32(tiff, 8)
	tiff = order.AppendUint16(tiff, 2) // two entries: an unrelated one, then orientation
	tiff = order.AppendUint16(tiff, 0x010F)
	tiff = order.AppendUint16(tiff, 2)
	tiff = order.AppendUint32(tiff, 1)
	tiff = order.AppendUint32(tiff, 0)
	tiff = order.AppendUint16(tiff, 0x0112)
	tiff = order.AppendUint16(tiff, 3)
	tiff = order.AppendUint32(tiff, 1)
	tiff = order.AppendUint16(tiff, o)
	tiff = order.AppendUint16(tiff, 0)
	tiff = order.AppendUint32(tiff, 0)
	seg := append([]byte("Exif\x00\x00"), tiff...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xFF, 0xE1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// pngHeader is a PNG signature and IHDR chunk declaring w×h, and nothing else.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	chunk := append([]byte("IHDR"), ihdr...)
	out := append([]byte{}, pngMagic...)
	out = binary.BigEndian.AppendUint32(out, 13)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

func TestDecodeQueryImageRejects(t *testing.T) {
	good := encodePNG(t, quadrants())
	jpg := encodeJPEG(t, quadrants())
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrImageEmpty},
		{"text", []byte("hello, I am an image/png"), ErrImageFormat},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), ErrImageFormat},
		{"too many bytes", append(good, make([]byte, 5000)...), ErrImageTooLarge},
		{"truncated png", good[:len(good)-20], ErrImageCorrupt},
		{"truncated jpeg", jpg[:len(jpg)/2], ErrImageCorrupt},
		{"jpeg header only", jpg[:4], ErrImageCorrupt},
		{"giant dimensions", pngHeader(100000, 100000), ErrImageDimensions},
		{"zero width", pngHeader(0, 10), ErrImageCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeQueryImage(tc.data, 4096, 1<<20)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDecodeQueryImageOrientation(t *testing.T) {
	jpg := encodeJPEG(t, quadrants())
	// Where the red-light quadrant's centre lands, and the upright size,
	// for each EXIF orientation.
	cases := []struct {
		orientation uint16
		w, h        int
		redX, redY  int
	}{
		{1, 8, 4, 1, 0},
		{2, 8, 4, 6, 0},
		{3, 8, 4, 6, 3},
		{4, 8, 4, 1, 3},
		{5, 4, 8, 0, 1},
		{6, 4, 8, 3, 1},
		{7, 4, 8, 3, 6},
		{8, 4, 8, 0, 6},
	}
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, tc := range cases {
			data := withExif(jpg, tc.orientation, order)
			if got := JPEGOrientation(data); got != int(tc.orientation) {
				t.Fatalf("%v orientation %d: read %d", order, tc.orientation, got)
			}
			img, err := DecodeQueryImage(data, 1<<20, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if b := img.Bounds(); b.Dx() != tc.w || b.Dy() != tc.h {
				t.Fatalf("orientation %d: size %v, want %d×%d", tc.orientation, b, tc.w, tc.h)
			}
			r, _, b, _ := img.At(img.Bounds().Min.X+tc.redX, img.Bounds().Min.Y+tc.redY).RGBA()
			if r>>8 < 180 || b>>8 > 80 {
				t.Errorf("orientation %d: pixel (%d,%d) is r=%d b=%d, want light red", tc.orientation, tc.redX, tc.redY, r>>8, b>>8)
			}
		}
	}
	if got := JPEGOrientation(jpg); got != 1 {
		t.Errorf("no EXIF: orientation %d", got)
	}
	if got := JPEGOrientation(withExif(jpg, 9, binary.BigEndian)); got != 1 {
		t.Errorf("invalid orientation 9 read as %d", got)
	}
}

func TestDecodeQueryImageAcceptsBoth(t *testing.T) {
	for name, data := range map[string][]byte{"png": encodePNG(t, quadrants()), "jpeg": encodeJPEG(t, quadrants())} {
		img, err := DecodeQueryImage(data, 1<<20, 32)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if img.Bounds().Dx() != 8 {
			t.Errorf("%s: bounds %v", name, img.Bounds())
		}
		if _, err := DecodeQueryImage(data, 1<<20, 31); !errors.Is(err, ErrImageDimensions) {
			t.Errorf("%s: 32 pixels over a 31-pixel limit: %v", name, err)
		}
	}
}

func FuzzDecodeQueryImage(f *testing.F) {
	f.Add(encodePNG(f, quadrants()))
	jpg := encodeJPEG(f, quadrants())
	f.Add(jpg)
	f.Add(withExif(jpg, 6, binary.LittleEndian))
	f.Add(pngHeader(3, 3))
	f.Fuzz(func(t *testing.T, data []byte) {
		img, err := DecodeQueryImage(data, 1<<20, 1<<16)
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Empty() || b.Dx()*b.Dy() > 1<<16 {
			t.Fatalf("accepted image with bounds %v", b)
		}
	})
}
