package photoquery

import "encoding/binary"

// maxScan bounds how far into a JPEG Orientation looks for the Exif
// segment: it comes right after SOI (APP0/APP1) in every camera's files.
const maxScan = 256 << 10

// Orientation returns the EXIF orientation (1..8) of a JPEG, or 1 when
// it has none or it cannot be read. It reads only the APP1 Exif segment's
// first IFD, within bounds, and never fails.
func Orientation(jpg []byte) int {
	if len(jpg) < 4 || jpg[0] != 0xFF || jpg[1] != 0xD8 {
		return 1
	}
	end := min(len(jpg), maxScan)
	for i := 2; i+4 <= end; {
		if jpg[i] != 0xFF {
			return 1
		}
		marker := jpg[i+1]
		switch {
		case marker == 0xFF: // fill byte
			i++
			continue
		case marker == 0xD8 || marker >= 0xD0 && marker <= 0xD7 || marker == 0x01:
			i += 2 // markers without a length
			continue
		case marker == 0xDA || marker == 0xD9: // start of scan, end of image
			return 1
		}
		n := int(binary.BigEndian.Uint16(jpg[i+2 : i+4]))
		if n < 2 || i+2+n > len(jpg) {
			return 1
		}
		seg := jpg[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) >= 6 && string(seg[:6]) == "Exif\x00\x00" {
			if o := tiffOrientation(seg[6:]); o != 0 {
				return o
			}
		}
		i += 2 + n
	}
	return 1
}

// tiffOrientation reads tag 0x0112 from IFD0 of a TIFF structure, or 0.
func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:4]) {
	case "II*\x00":
		bo = binary.LittleEndian
	case "MM\x00*":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int64(bo.Uint32(t[4:8]))
	if off < 8 || off+2 > int64(len(t)) {
		return 0
	}
	count := int(bo.Uint16(t[off : off+2]))
	for k := 0; k < count && k < 512; k++ {
		e := off + 2 + int64(k)*12
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:e+2]) != 0x0112 {
			continue
		}
		if typ := bo.Uint16(t[e+2 : e+4]); typ != 3 { // SHORT
			return 0
		}
		if o := int(bo.Uint16(t[e+8 : e+10])); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}
