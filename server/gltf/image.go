package gltf

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
)

// Image MIME types glTF 2.0 core allows, the only ones Vitrine accepts.
const (
	mimePNG  = "image/png"
	mimeJPEG = "image/jpeg"
)

var (
	pngSignature  = []byte("\x89PNG\r\n\x1a\n")
	jpegSignature = []byte{0xFF, 0xD8, 0xFF}
)

// sniffImage returns the MIME type the bytes' signature identifies, or "".
func sniffImage(data []byte) string {
	switch {
	case bytes.HasPrefix(data, pngSignature):
		return mimePNG
	case bytes.HasPrefix(data, jpegSignature):
		return mimeJPEG
	}
	return ""
}

// checkImage sniffs an image's format, compares it with the declared MIME
// type and reads its header (never the pixels) to reject decompression
// bombs: a side over MaxImageSide or more than MaxImagePixels pixels.
func checkImage(data []byte, declared, pointer string, lim Limits, r *report) {
	sniffed := sniffImage(data)
	if sniffed == "" {
		r.errorf("IMAGE_UNRECOGNIZED_FORMAT", pointer, "the image data is neither PNG nor JPEG")
		return
	}
	if declared != "" && declared != sniffed {
		r.errorf("IMAGE_MIME_TYPE_INVALID", pointer+"/mimeType", "the image is declared %s but its bytes are %s", declared, sniffed)
		return
	}
	var cfg image.Config
	var err error
	if sniffed == mimePNG {
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		r.errorf("IMAGE_DATA_INVALID", pointer, "the %s header cannot be read: %v", sniffed, err)
		return
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		r.errorf("IMAGE_DATA_INVALID", pointer, "the image is %d×%d pixels", cfg.Width, cfg.Height)
		return
	}
	if cfg.Width > lim.MaxImageSide || cfg.Height > lim.MaxImageSide {
		r.errorf("IMAGE_TOO_LARGE", pointer, "MaxImageSide: the image is %d×%d pixels, a side over the limit of %d", cfg.Width, cfg.Height, lim.MaxImageSide)
		return
	}
	if pixels := int64(cfg.Width) * int64(cfg.Height); pixels > lim.MaxImagePixels {
		r.errorf("IMAGE_TOO_LARGE", pointer, "MaxImagePixels: the image is %d×%d = %d pixels, over the limit of %d", cfg.Width, cfg.Height, pixels, lim.MaxImagePixels)
		return
	}
	if cfg.Width&(cfg.Width-1) != 0 || cfg.Height&(cfg.Height-1) != 0 {
		r.infof("IMAGE_NPOT_DIMENSIONS", pointer, "the image is %d×%d; power-of-two sizes mipmap best", cfg.Width, cfg.Height)
	}
}
