package segnet

// tensor is a C×H×W activation (or its gradient) stored with a zero
// border of pad pixels around each channel's plane, so that a 3×3
// convolution of dilation up to pad reads it without bounds tests.
// Only the interior is ever written; the border stays zero.
type tensor struct {
	c, w, h, pad int
	// data holds c planes of (h+2·pad)×(w+2·pad) and tensorSlack more
	// elements, which partial 16-pixel segments may read past the last
	// plane.
	data []float32
}

// tensorSlack is the number of zero elements after a tensor's last plane.
const tensorSlack = segment

// newTensor allocates a zero c×h×w tensor with the given border.
func newTensor(c, w, h, pad int) tensor {
	t := tensor{c: c, w: w, h: h, pad: pad}
	t.data = make([]float32, c*t.plane()+tensorSlack)
	return t
}

// rowStride is the distance between vertically adjacent elements.
func (t tensor) rowStride() int { return t.w + 2*t.pad }

// plane is the distance between channels.
func (t tensor) plane() int { return (t.h + 2*t.pad) * (t.w + 2*t.pad) }

// at is the index of element (c, y, x) of the interior in data.
func (t tensor) at(c, y, x int) int {
	return c*t.plane() + (y+t.pad)*t.rowStride() + x + t.pad
}

// row is interior row y of channel c.
func (t tensor) row(c, y int) []float32 {
	i := t.at(c, y, 0)
	return t.data[i : i+t.w : i+t.w]
}

// channels is the view of channels [from, from+c).
func (t tensor) channels(from, c int) tensor {
	return tensor{c: c, w: t.w, h: t.h, pad: t.pad, data: t.data[from*t.plane():]}
}

// planes is the c planes of t, borders included.
func (t tensor) planes() []float32 { return t.data[:t.c*t.plane()] }

// zeroBorder clears every plane's border.
func (t tensor) zeroBorder() {
	rs, p := t.rowStride(), t.plane()
	for ch := 0; ch < t.c; ch++ {
		pl := t.data[ch*p : (ch+1)*p]
		clear(pl[:t.pad*rs])
		clear(pl[(t.pad+t.h)*rs:])
		for y := t.pad; y < t.pad+t.h; y++ {
			clear(pl[y*rs : y*rs+t.pad])
			clear(pl[y*rs+t.pad+t.w : (y+1)*rs])
		}
	}
}
