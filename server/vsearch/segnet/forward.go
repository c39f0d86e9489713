package segnet

import (
	"fmt"
	"math"
	"sync"
)

// segment is the number of output pixels of one row processed together:
// the kernel tile's width.
const segment = 16

// workspace holds one evaluation's activations and scratch for one input
// size. Forward takes one from the Net's pool, so that concurrent calls
// never share mutable memory and steady-state calls allocate nothing;
// each training worker owns one, with the gradient buffers too.
type workspace struct {
	w, h int

	// Activations. cat2 is [up(u1) ; e1] at full resolution and cat1 is
	// [up(c3) ; e3] at half resolution: e1 and e3 are written straight into
	// their concatenations, so the decoder's concat costs nothing. Each
	// tensor's border is as wide as the widest dilation of a conv reading
	// or producing it.
	in, cat2, e2, cat1, e4, c1, c2, c3, u1, u2 tensor

	panel []float32 // im2col panel of a stride-2 conv: [k][segment]
	offs  [9]int    // per-tap offsets handed to the kernel
	tile  [64]float32

	// Training only: the logits and their loss gradient, the gradients
	// of the activations (same layouts) and backward scratch.
	logits, dOut                                    []float32
	dCat2, dE2, dCat1, dE4, dC1, dC2, dC3, dU1, dU2 tensor
	xT, dzT, acc, colT, dzPanel, dzSeg              []float32
}

// Borders of the activations: the largest dilation among the convs that
// read each tensor or produce it (an input gradient is a convolution of
// the output gradient).
const (
	padFull    = 1 // in, cat2, u2
	padHalf    = 1 // e2, cat1, u1
	padE4      = 2 // read by c1
	padC1      = 4 // read by c2
	padContext = 8 // c2 (read by c3) and c3 (dilation 8)
)

// newWorkspace sizes a workspace for n at w×h, with the backward buffers
// when grads is set.
func newWorkspace(n *Net, w, h int, grads bool) *workspace {
	c := n.cfg
	w2, h2, w4, h4 := w/2, h/2, w/4, h/4
	ws := &workspace{w: w, h: h}
	ws.in = newTensor(c.In, w, h, padFull)
	ws.cat2 = newTensor(c.Up1+c.E1, w, h, padFull)
	ws.e2 = newTensor(c.E2, w2, h2, padHalf)
	ws.cat1 = newTensor(c.E4+c.E2, w2, h2, padHalf)
	ws.e4 = newTensor(c.E4, w4, h4, padE4)
	ws.c1 = newTensor(c.E4, w4, h4, padC1)
	ws.c2 = newTensor(c.E4, w4, h4, padContext)
	ws.c3 = newTensor(c.E4, w4, h4, padContext)
	ws.u1 = newTensor(c.Up1, w2, h2, padHalf)
	ws.u2 = newTensor(c.Up2, w, h, padFull)
	maxPanel := 0
	for i := range n.convs {
		if l := &n.convs[i]; l.stride != 1 {
			maxPanel = max(maxPanel, l.k*segment)
		}
	}
	ws.panel = make([]float32, maxPanel)
	if !grads {
		return ws
	}
	like := func(t tensor) tensor { return newTensor(t.c, t.w, t.h, t.pad) }
	ws.dCat2, ws.dE2, ws.dCat1, ws.dE4 = like(ws.cat2), like(ws.e2), like(ws.cat1), like(ws.e4)
	ws.dC1, ws.dC2, ws.dC3 = like(ws.c1), like(ws.c2), like(ws.c3)
	ws.dU1, ws.dU2 = like(ws.u1), like(ws.u2)
	ws.logits = make([]float32, w*h)
	ws.dOut = make([]float32, w*h)
	xT, dzT, acc, colT, dzPanel, dzSeg := 0, 0, 0, 0, 0, 0
	inputs := n.convInputs(ws)
	for i := range n.convs {
		l := &n.convs[i]
		x := inputs[i]
		if l.stride == 1 {
			xT = max(xT, x.plane()*l.cinBlocks4*4)
			dzT = max(dzT, (x.h*x.rowStride())*l.coBlocks16*16)
			acc = max(acc, 9*l.cinBlocks4*l.coBlocks16*64)
		} else {
			colT = max(colT, l.kBlocks16*dwChunk*16)
			dzPanel = max(dzPanel, l.coBlocks4*dwChunk*4)
			dzSeg = max(dzSeg, l.cout*segment)
			acc = max(acc, l.coBlocks4*l.kBlocks16*64)
		}
	}
	ws.xT = make([]float32, xT)
	ws.dzT = make([]float32, dzT)
	ws.acc = make([]float32, acc)
	ws.colT = make([]float32, colT)
	ws.dzPanel = make([]float32, dzPanel)
	ws.dzSeg = make([]float32, dzSeg)
	return ws
}

// convInputs lists the input tensor of each conv in ws.
func (n *Net) convInputs(ws *workspace) [numConvs]tensor {
	c := n.cfg
	return [numConvs]tensor{
		layerE1: ws.in,
		layerE2: ws.cat2.channels(c.Up1, c.E1),
		layerE3: ws.e2,
		layerE4: ws.cat1.channels(c.E4, c.E2),
		layerC1: ws.e4,
		layerC2: ws.c1,
		layerC3: ws.c2,
		layerU1: ws.cat1,
		layerU2: ws.cat2,
	}
}

// workspacePools holds a Net's spare forward workspaces, one pool per
// input size, so that callers mixing sizes still reuse their scratch.
type workspacePools struct {
	mu     sync.RWMutex
	bySize map[[2]int]*sync.Pool
}

// newWorkspacePools returns an empty set of pools.
func newWorkspacePools() *workspacePools {
	return &workspacePools{bySize: make(map[[2]int]*sync.Pool)}
}

// maxPooledSizes bounds how many distinct input sizes keep a pool; other
// sizes allocate their workspace per call.
const maxPooledSizes = 16

// pool returns the pool for w×h inputs, or nil when too many sizes have
// pools already.
func (p *workspacePools) pool(w, h int) *sync.Pool {
	key := [2]int{w, h}
	p.mu.RLock()
	pl := p.bySize[key]
	p.mu.RUnlock()
	if pl != nil {
		return pl
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if pl = p.bySize[key]; pl == nil && len(p.bySize) < maxPooledSizes {
		pl = new(sync.Pool)
		p.bySize[key] = pl
	}
	return pl
}

// checkSize reports whether a w×h input fits the network.
func checkSize(w, h int) error {
	if w < 4 || h < 4 || w > MaxSide || h > MaxSide || w%4 != 0 || h%4 != 0 {
		return fmt.Errorf("%w: %d×%d, want sides that are multiples of 4 in [4, %d]", ErrSize, w, h, MaxSide)
	}
	return nil
}

// Forward writes to logits the foreground logit of each pixel of the w×h
// input in (n.Config().In planes of w×h, channel-major). w and h must be
// multiples of 4 no larger than MaxSide, len(in) must be In*w*h and
// len(logits) w*h. It is safe for concurrent use.
func (n *Net) Forward(in []float32, w, h int, logits []float32) error {
	if n.workspaces == nil {
		return fmt.Errorf("%w: forward on an empty network", ErrConfig)
	}
	if err := checkSize(w, h); err != nil {
		return err
	}
	if len(in) != n.cfg.In*w*h {
		return fmt.Errorf("%w: input has %d values, want %d×%d×%d", ErrSize, len(in), n.cfg.In, w, h)
	}
	if len(logits) != w*h {
		return fmt.Errorf("%w: logits has %d values, want %d×%d", ErrSize, len(logits), w, h)
	}
	pool := n.workspaces.pool(w, h)
	var ws *workspace
	if pool != nil {
		ws, _ = pool.Get().(*workspace)
	}
	if ws == nil {
		ws = newWorkspace(n, w, h, false)
	}
	n.forward(ws, in, logits)
	if pool != nil {
		pool.Put(ws)
	}
	return nil
}

// forward runs the network on in (sized as ws), keeping every activation
// in ws, and writes the logits.
func (n *Net) forward(ws *workspace, in []float32, logits []float32) {
	c := n.cfg
	w, h := ws.w, ws.h
	for ch := 0; ch < c.In; ch++ {
		for y := 0; y < h; y++ {
			copy(ws.in.row(ch, y), in[(ch*h+y)*w:(ch*h+y+1)*w])
		}
	}
	x := n.convInputs(ws)
	n.convs[layerE1].forward(ws, x[layerE1], x[layerE2]) // e1 → cat2[Up1:]
	n.convs[layerE2].forward(ws, x[layerE2], ws.e2)
	n.convs[layerE3].forward(ws, ws.e2, x[layerE4]) // e3 → cat1[E4:]
	n.convs[layerE4].forward(ws, x[layerE4], ws.e4)
	n.convs[layerC1].forward(ws, ws.e4, ws.c1)
	n.convs[layerC2].forward(ws, ws.c1, ws.c2)
	n.convs[layerC3].forward(ws, ws.c2, ws.c3)
	upsample2(ws.cat1.channels(0, c.E4), ws.c3)
	n.convs[layerU1].forward(ws, ws.cat1, ws.u1)
	upsample2(ws.cat2.channels(0, c.Up1), ws.u1)
	n.convs[layerU2].forward(ws, ws.cat2, ws.u2)

	logits = logits[:w*h]
	b := n.outB[0]
	for i := range logits {
		logits[i] = b
	}
	for ch, wc := range n.outW {
		for y := 0; y < h; y++ {
			dst := logits[y*w : (y+1)*w]
			for x, v := range ws.u2.row(ch, y)[:len(dst)] {
				dst[x] += wc * v
			}
		}
	}
}

// tapOffsets returns, for a tensor with the given row stride, the offset
// of each of the nine taps (row-major, dilation d) from the centre.
func tapOffsets(rowStride, d int) [9]int {
	var offs [9]int
	for tap := range offs {
		offs[tap] = (tap/3-1)*d*rowStride + (tap%3-1)*d
	}
	return offs
}

// forward computes y = ReLU(conv(x) + b); y is x's size over the stride.
func (l *conv) forward(ws *workspace, x, y tensor) {
	if l.stride != 1 {
		l.forwardStrided(ws, x, y)
		return
	}
	rel := tapOffsets(x.rowStride(), l.dil)
	offs := ws.offs[:]
	tile := &ws.tile
	aLen := 9 * l.cin * 4
	for oy := 0; oy < y.h; oy++ {
		for ox0 := 0; ox0 < y.w; ox0 += segment {
			cnt := min(segment, y.w-ox0)
			base := x.at(0, oy, ox0)
			for tap := range offs {
				offs[tap] = base + rel[tap]
			}
			for cb := 0; cb < l.coBlocks4; cb++ {
				*tile = [64]float32{}
				kernel(l.cin, 9, l.wf[cb*aLen:(cb+1)*aLen], 4, l.cin*4, x.data, x.plane(), offs, tile)
				l.storeTile(tile, y, cb, oy, ox0, cnt)
			}
		}
	}
}

// storeTile writes ReLU(tile + bias) for output channels 4cb..4cb+3 to
// pixels ox0..ox0+cnt-1 of row oy of y.
func (l *conv) storeTile(tile *[64]float32, y tensor, cb, oy, ox0, cnt int) {
	at, p := y.at(cb*4, oy, ox0), y.plane()
	for i := 0; i < 4; i++ {
		co := cb*4 + i
		if co >= l.cout {
			return
		}
		bias := l.b[co]
		dst := y.data[at+i*p : at+i*p+cnt]
		src := tile[i*16 : i*16+len(dst)]
		for j, v := range src {
			dst[j] = relu(v + bias)
		}
	}
}

// relu is max(v, 0) without a branch: the sign of a pre-activation is
// close to random, so a branch would often mispredict (and the builtin
// max's NaN and signed-zero handling costs more still).
func relu(v float32) float32 {
	b := math.Float32bits(v)
	return math.Float32frombits(b &^ uint32(int32(b)>>31))
}

// forwardStrided is forward for a stride-2 conv: it gathers each row
// segment's patches into a panel, then multiplies.
func (l *conv) forwardStrided(ws *workspace, x, y tensor) {
	panel := ws.panel[:l.k*segment]
	tile := &ws.tile
	offs := ws.offs[:1]
	offs[0] = 0
	for oy := 0; oy < y.h; oy++ {
		for ox0 := 0; ox0 < y.w; ox0 += segment {
			cnt := min(segment, y.w-ox0)
			im2col(panel, 0, segment*16, segment, 1, x, l.stride, l.dil, oy, ox0, cnt, l.k)
			for cb := 0; cb < l.coBlocks4; cb++ {
				*tile = [64]float32{}
				kernel(l.k, 1, l.wf[cb*l.k*4:(cb+1)*l.k*4], 4, 0, panel, segment, offs, tile)
				l.storeTile(tile, y, cb, oy, ox0, cnt)
			}
		}
	}
}

// im2col gathers the 3×3 patches (stride s, dilation d ≤ x.pad) of x
// under output pixels (ox0+j, oy), j < cnt, of a row. Value k (channel,
// then ky, then kx) of pixel j goes to dst[base + (k>>4)*kbStride +
// (k&15)*kkStride + j*js] for k < kPad and j < segment; pixels j ≥ cnt
// and k ≥ x.c*9 are zero.
func im2col(dst []float32, base, kbStride, kkStride, js int, x tensor, s, d, oy, ox0, cnt, kPad int) {
	rs, p := x.rowStride(), x.plane()
	k := 0
	for ci := 0; ci < x.c; ci++ {
		for ky := -1; ky <= 1; ky++ {
			rowStart := ci*p + (oy*s+ky*d+x.pad)*rs + x.pad + ox0*s
			for kx := -1; kx <= 1; kx++ {
				off := base + (k>>4)*kbStride + (k&15)*kkStride
				k++
				if js == 1 && s == 2 && cnt == segment {
					src := (*[2*segment - 1]float32)(x.data[rowStart+kx*d:])
					out := (*[segment]float32)(dst[off : off+segment])
					for j := range out {
						out[j] = src[2*j]
					}
					continue
				}
				src := x.data[rowStart+kx*d : rowStart+kx*d+(cnt-1)*s+1]
				if js == 1 {
					out := dst[off : off+segment]
					for j := range cnt {
						out[j] = src[j*s]
					}
					clear(out[cnt:])
					continue
				}
				for j := range cnt {
					dst[off+j*js] = src[j*s]
				}
				for j := cnt; j < segment; j++ {
					dst[off+j*js] = 0
				}
			}
		}
	}
	for ; k < kPad; k++ {
		off := base + (k>>4)*kbStride + (k&15)*kkStride
		for j := 0; j < segment; j++ {
			dst[off+j*js] = 0
		}
	}
}

// upsample2 writes to dst's interior the nearest-neighbour ×2 upsampling
// of src's interior.
func upsample2(dst, src tensor) {
	for ch := 0; ch < src.c; ch++ {
		for y := 0; y < src.h; y++ {
			sr := src.row(ch, y)
			d0 := dst.row(ch, 2*y)
			d0 = d0[:2*len(sr)]
			for x, v := range sr {
				d0[2*x] = v
				d0[2*x+1] = v
			}
			copy(dst.row(ch, 2*y+1), d0)
		}
	}
}
