package vsearch

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/disintegration/imaging"
)

// Errors of DecodeQueryImage, to branch on with errors.Is. All of them
// mean the client sent an unacceptable image (wire.CodeInvalidImage, or
// wire.CodeTooLarge for ErrImageTooLarge).
var (
	// ErrImageEmpty: no bytes at all.
	ErrImageEmpty = errors.New("vsearch: image is empty")
	// ErrImageFormat: the bytes are neither PNG nor JPEG, whatever the
	// claimed content type.
	ErrImageFormat = errors.New("vsearch: image is not PNG or JPEG")
	// ErrImageTooLarge: more bytes than allowed.
	ErrImageTooLarge = errors.New("vsearch: image has too many bytes")
	// ErrImageDimensions: zero width or height, or more pixels than
	// allowed (a decompression bomb).
	ErrImageDimensions = errors.New("vsearch: image dimensions are unacceptable")
	// ErrImageCorrupt: the header is valid but the data is truncated or
	// malformed.
	ErrImageCorrupt = errors.New("vsearch: image data is corrupt or truncated")
)

// Image formats DecodeQueryImage accepts.
const (
	FormatJPEG = "jpeg"
	FormatPNG  = "png"
)

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
)

// SniffImage returns FormatJPEG or FormatPNG from data's magic bytes, or
// "" for anything else.
func SniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, pngMagic):
		return FormatPNG
	case bytes.HasPrefix(data, jpegMagic):
		return FormatJPEG
	}
	return ""
}

// DecodeQueryImage decodes a shopper's query image: at most maxBytes
// bytes, PNG or JPEG by its magic bytes (any claimed MIME type is
// ignored), its header checked (1..maxPixels pixels) before any pixel is
// decoded, and a JPEG turned upright according to its EXIF orientation.
// Every failure wraps one of the ErrImage* errors.
func DecodeQueryImage(data []byte, maxBytes int64, maxPixels int) (image.Image, error) {
	if len(data) == 0 {
		return nil, ErrImageEmpty
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrImageTooLarge, len(data), maxBytes)
	}
	format := SniffImage(data)
	var decodeConfig func([]byte) (image.Config, error)
	var decode func([]byte) (image.Image, error)
	switch format {
	case FormatPNG:
		decodeConfig = func(b []byte) (image.Config, error) { return png.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return png.Decode(bytes.NewReader(b)) }
	case FormatJPEG:
		decodeConfig = func(b []byte) (image.Config, error) { return jpeg.DecodeConfig(bytes.NewReader(b)) }
		decode = func(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }
	default:
		return nil, ErrImageFormat
	}
	cfg, err := decodeConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s header: %v", ErrImageCorrupt, format, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, fmt.Errorf("%w: %d×%d", ErrImageDimensions, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return nil, fmt.Errorf("%w: %d×%d is more than %d pixels", ErrImageDimensions, cfg.Width, cfg.Height, maxPixels)
	}
	img, err := decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrImageCorrupt, format, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("%w: decoded %v, header said %d×%d", ErrImageCorrupt, b, cfg.Width, cfg.Height)
	}
	if format == FormatJPEG {
		img = applyOrientation(img, JPEGOrientation(data))
	}
	return img, nil
}

// maxExifScan bounds how many bytes of JPEG segments JPEGOrientation
// walks before giving up: EXIF must come before the image data anyway.
const maxExifScan = 256 << 10

// JPEGOrientation returns the EXIF orientation (1..8) of a JPEG, or 1
// when it has none or it cannot be read. It walks the marker segments
// before the scan data (at most maxExifScan bytes), finds the APP1 "Exif"
// segment and reads tag 0x0112 of IFD0, honouring the TIFF byte order and
// checking every offset against the segment's bounds.
func JPEGOrientation(data []byte) int {
	if !bytes.HasPrefix(data, jpegMagic[:2]) {
		return 1
	}
	pos := 2
	for pos+4 <= len(data) && pos < maxExifScan {
		if data[pos] != 0xFF {
			return 1
		}
		marker := data[pos+1]
		if marker == 0xFF { // fill byte
			pos++
			continue
		}
		if marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01 {
			pos += 2
			continue
		}
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			return 1
		}
		length := int(binary.BigEndian.Uint16(data[pos+2 : pos+4]))
		if length < 2 || pos+2+length > len(data) {
			return 1
		}
		segment := data[pos+4 : pos+2+length]
		if marker == 0xE1 && bytes.HasPrefix(segment, []byte("Exif\x00\x00")) {
			if o := tiffOrientation(segment[6:]); o != 0 {
				return o
			}
		}
		pos += 2 + length
	}
	return 1
}

// tiffOrientation reads the orientation tag from a TIFF structure, or 0.
func tiffOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 0
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return 0
	}
	if order.Uint16(tiff[2:4]) != 42 {
		return 0
	}
	ifd := int(order.Uint32(tiff[4:8]))
	if ifd < 8 || ifd+2 > len(tiff) {
		return 0
	}
	count := int(order.Uint16(tiff[ifd : ifd+2]))
	for i := 0; i < count && i < 512; i++ {
		e := ifd + 2 + 12*i
		if e+12 > len(tiff) {
			return 0
		}
		if order.Uint16(tiff[e:e+2]) != 0x0112 {
			continue
		}
		typ, n := order.Uint16(tiff[e+2:e+4]), order.Uint32(tiff[e+4:e+8])
		if typ != 3 || n < 1 { // SHORT
			return 0
		}
		v := int(order.Uint16(tiff[e+8 : e+10]))
		if v < 1 || v > 8 {
			return 0
		}
		return v
	}
	return 0
}

// applyOrientation turns img upright for EXIF orientation o (1..8).
func applyOrientation(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return img
}
