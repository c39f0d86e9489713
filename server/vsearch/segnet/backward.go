package segnet

import "math"

// dwChunk is how many pixels one weight-gradient product reduces over at
// a time, keeping its packed operands in cache.
const dwChunk = 256

// backward propagates the loss gradient of the logits (in ws.dOut)
// through the network as last evaluated by forward on ws, adding the
// parameter gradients to grad (laid out as n.params).
func (n *Net) backward(ws *workspace, grad []float32) {
	c := n.cfg
	w, h := ws.w, ws.h

	// The 1×1 output conv.
	g := ws.dOut[:w*h]
	var gb float64
	for _, v := range g {
		gb += float64(v)
	}
	grad[n.outBOff] += float32(gb)
	for ch, wc := range n.outW {
		var gw float64
		for y := 0; y < h; y++ {
			gr := g[y*w : (y+1)*w]
			dst := ws.dU2.row(ch, y)[:len(gr)]
			for x, v := range ws.u2.row(ch, y)[:len(gr)] {
				gw += float64(v * gr[x])
				dst[x] = wc * gr[x]
			}
		}
		grad[n.outWOff+ch] += float32(gw)
	}

	x := n.convInputs(ws)
	e1, dE1 := x[layerE2], ws.dCat2.channels(c.Up1, c.E1)
	e3, dE3 := x[layerE4], ws.dCat1.channels(c.E4, c.E2)
	n.convs[layerU2].backward(ws, ws.cat2, ws.u2, ws.dU2, &ws.dCat2, false, grad)
	upsample2Backward(ws.dU1, ws.dCat2.channels(0, c.Up1))
	n.convs[layerU1].backward(ws, ws.cat1, ws.u1, ws.dU1, &ws.dCat1, false, grad)
	upsample2Backward(ws.dC3, ws.dCat1.channels(0, c.E4))
	n.convs[layerC3].backward(ws, ws.c2, ws.c3, ws.dC3, &ws.dC2, false, grad)
	n.convs[layerC2].backward(ws, ws.c1, ws.c2, ws.dC2, &ws.dC1, false, grad)
	n.convs[layerC1].backward(ws, ws.e4, ws.c1, ws.dC1, &ws.dE4, false, grad)
	// e3 feeds both e4 and (through the concat) u1: e4 adds its share to
	// the gradient u1 left in dE3; likewise e2 adds to e1's.
	n.convs[layerE4].backward(ws, e3, ws.e4, ws.dE4, &dE3, true, grad)
	n.convs[layerE3].backward(ws, ws.e2, e3, dE3, &ws.dE2, false, grad)
	n.convs[layerE2].backward(ws, e1, ws.e2, ws.dE2, &dE1, true, grad)
	n.convs[layerE1].backward(ws, ws.in, e1, dE1, nil, false, grad)
}

// backward takes the layer's input x, its output y and the loss gradient
// dy of y (overwritten with the gradient of the pre-activation), adds the
// weight and bias gradients to grad and, unless dx is nil, writes (or
// with accumulate, adds) the gradient of x to dx's interior.
func (l *conv) backward(ws *workspace, x, y, dy tensor, dx *tensor, accumulate bool, grad []float32) {
	// ReLU: the borders are zero in y, so this also keeps dy's zero.
	gb := grad[l.bOff : l.bOff+l.cout]
	p := dy.plane()
	for co := range gb {
		gb[co] += reluBackward(y.data[co*p:(co+1)*p], dy.data[co*p:(co+1)*p])
	}
	if l.stride == 1 {
		l.weightGradient(ws, x, dy, grad)
		if dx != nil {
			l.inputGradient(ws, dy, *dx, accumulate)
		}
		return
	}
	l.backwardStrided(ws, x, dy, dx, accumulate, grad)
}

// reluBackward zeroes dy where y (a ReLU's output) is not positive and
// returns the sum of the result. It is branch-free: the ReLU pattern is
// close to random, and a branch per element mispredicts often.
func reluBackward(y, dy []float32) float32 {
	dy = dy[:len(y)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(y); i += 4 {
		yv := (*[4]float32)(y[i : i+4])
		dv := (*[4]float32)(dy[i : i+4])
		d0 := math.Float32frombits(math.Float32bits(dv[0]) & positiveMask(yv[0]))
		d1 := math.Float32frombits(math.Float32bits(dv[1]) & positiveMask(yv[1]))
		d2 := math.Float32frombits(math.Float32bits(dv[2]) & positiveMask(yv[2]))
		d3 := math.Float32frombits(math.Float32bits(dv[3]) & positiveMask(yv[3]))
		dv[0], dv[1], dv[2], dv[3] = d0, d1, d2, d3
		s0 += d0
		s1 += d1
		s2 += d2
		s3 += d3
	}
	for ; i < len(y); i++ {
		dy[i] = math.Float32frombits(math.Float32bits(dy[i]) & positiveMask(y[i]))
		s0 += dy[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// positiveMask is all ones if v > 0 and zero otherwise (v ≥ 0 is a ReLU
// output, so its sign bit is clear and its bits are positive exactly when
// v is).
func positiveMask(v float32) uint32 {
	return uint32(-int32(math.Float32bits(v)) >> 31)
}

// weightGradient adds to grad the weight gradient of a stride-1 conv:
// dW[co][ci][tap] = Σ_p dz[co][p]·x[ci][p+offset(tap)]. Both operands are
// transposed to pixel-major order over x's padded grid, so that every tap
// is a product of two strided panels.
func (l *conv) weightGradient(ws *workspace, x, dz tensor, grad []float32) {
	cinPad, coPad := l.cinBlocks4*4, l.coBlocks16*16
	xp, rs := x.plane(), x.rowStride()
	xT := ws.xT[:xp*cinPad]
	// Transpose in blocks of pixels so the block of xT being written stays
	// in L1.
	const block = 64
	var zeros [block]float32
	for q0 := 0; q0 < xp; q0 += block {
		nb := min(block, xp-q0)
		dst := xT[q0*cinPad : (q0+nb)*cinPad]
		for ci := 0; ci < cinPad; ci += 4 {
			var src [4][]float32
			for i := range src {
				if ci+i < l.cin {
					src[i] = x.data[(ci+i)*xp+q0 : (ci+i)*xp+q0+nb]
				} else {
					src[i] = zeros[:nb]
				}
			}
			s0, s1, s2, s3 := src[0][:nb], src[1][:nb], src[2][:nb], src[3][:nb]
			for j := range nb {
				d := (*[4]float32)(dst[j*cinPad+ci:])
				d[0], d[1], d[2], d[3] = s0[j], s1[j], s2[j], s3[j]
			}
		}
	}
	// Reduce over x's grid from its first interior pixel to its last;
	// the border columns in between carry a zero gradient.
	q0 := x.at(0, 0, 0)
	nq := x.at(0, x.h-1, x.w-1) + 1 - q0
	dzT := ws.dzT[:nq*coPad]
	clear(dzT)
	for co := 0; co < l.cout; co++ {
		for yy := 0; yy < x.h; yy++ {
			at := (x.at(0, yy, 0)-q0)*coPad + co
			for j, v := range dz.row(co, yy) {
				dzT[at+j*coPad] = v
			}
		}
	}
	rel := tapOffsets(rs, l.dil)
	nTiles := l.cinBlocks4 * l.coBlocks16
	acc := ws.acc[:9*nTiles*64]
	clear(acc)
	offs := ws.offs[:1]
	for qc := 0; qc < nq; qc += dwChunk {
		kc := min(dwChunk, nq-qc)
		for tap := 0; tap < 9; tap++ {
			xq := (q0 + qc + rel[tap]) * cinPad
			for cib := 0; cib < l.cinBlocks4; cib++ {
				a := xT[xq+cib*4:]
				for cb := 0; cb < l.coBlocks16; cb++ {
					offs[0] = qc*coPad + cb*16
					t := (tap*nTiles + cib*l.coBlocks16 + cb) * 64
					kernel(kc, 1, a, cinPad, 0, dzT, coPad, offs, (*[64]float32)(acc[t:t+64]))
				}
			}
		}
	}
	gw := grad[l.wOff : l.wOff+l.cout*l.k]
	for co := 0; co < l.cout; co++ {
		row := gw[co*l.k : (co+1)*l.k]
		for ci := 0; ci < l.cin; ci++ {
			at := ((ci>>2)*l.coBlocks16+co>>4)*64 + (ci&3)*16 + (co & 15)
			taps := (*[9]float32)(row[ci*9 : ci*9+9])
			for tap := range taps {
				taps[tap] += acc[at+tap*nTiles*64]
			}
		}
	}
}

// inputGradient writes (or adds) to dx the input gradient of a stride-1
// conv: a convolution of dz with the transposed, flipped kernel, read in
// place from dz's padded planes.
func (l *conv) inputGradient(ws *workspace, dz, dx tensor, accumulate bool) {
	rel := tapOffsets(dz.rowStride(), l.dil)
	offs := ws.offs[:]
	tile := &ws.tile
	aLen := 9 * l.cout * 4
	for oy := 0; oy < dx.h; oy++ {
		for ox0 := 0; ox0 < dx.w; ox0 += segment {
			cnt := min(segment, dx.w-ox0)
			base := dz.at(0, oy, ox0)
			for tap := range offs {
				offs[tap] = base - rel[tap]
			}
			for cib := 0; cib < l.cinBlocks4; cib++ {
				*tile = [64]float32{}
				kernel(l.cout, 9, l.wb[cib*aLen:(cib+1)*aLen], 4, l.cout*4, dz.data, dz.plane(), offs, tile)
				for i := 0; i < 4; i++ {
					ci := cib*4 + i
					if ci >= l.cin {
						break
					}
					dst := dx.row(ci, oy)[ox0 : ox0+cnt]
					src := tile[i*16 : i*16+cnt]
					if accumulate {
						for j, v := range src {
							dst[j] += v
						}
					} else {
						copy(dst, src)
					}
				}
			}
		}
	}
}

// backwardStrided is the weight and input gradient of a stride-2 conv,
// through its patch matrix: dW = dz·colᵀ over chunks of pixels packed
// pixel-major, and dcol = Wᵀ·dz scattered back to the patches' sources.
func (l *conv) backwardStrided(ws *workspace, x, dz tensor, dx *tensor, accumulate bool, grad []float32) {
	if dx != nil && !accumulate {
		clear(dx.planes())
	}
	kPad := l.kBlocks16 * 16
	acc := ws.acc[:l.coBlocks4*l.kBlocks16*64]
	clear(acc)
	colT := ws.colT[:l.kBlocks16*dwChunk*16]
	dzPanel := ws.dzPanel[:l.coBlocks4*dwChunk*4]
	dzSeg := ws.dzSeg[:l.cout*segment]
	offs := ws.offs[:1]
	t := 0
	flush := func() {
		for kb := 0; kb < l.kBlocks16; kb++ {
			offs[0] = kb * dwChunk * 16
			for cb := 0; cb < l.coBlocks4; cb++ {
				at := (cb*l.kBlocks16 + kb) * 64
				kernel(t, 1, dzPanel[cb*dwChunk*4:], 4, 0, colT, 16, offs, (*[64]float32)(acc[at:at+64]))
			}
		}
		t = 0
	}
	for oy := 0; oy < dz.h; oy++ {
		for ox0 := 0; ox0 < dz.w; ox0 += segment {
			cnt := min(segment, dz.w-ox0)
			im2col(colT, t*16, dwChunk*16, 1, 16, x, l.stride, l.dil, oy, ox0, cnt, kPad)
			for co := 0; co < l.coBlocks4*4; co++ {
				at := (co>>2)*dwChunk*4 + t*4 + (co & 3)
				j := 0
				if co < l.cout {
					for _, v := range dz.row(co, oy)[ox0 : ox0+cnt] {
						dzPanel[at+j*4] = v
						j++
					}
				}
				for ; j < segment; j++ {
					dzPanel[at+j*4] = 0
				}
			}
			t += segment
			if t == dwChunk {
				flush()
			}
			if dx == nil {
				continue
			}
			for co := 0; co < l.cout; co++ {
				dst := dzSeg[co*segment : (co+1)*segment]
				copy(dst, dz.row(co, oy)[ox0:ox0+cnt])
				clear(dst[cnt:])
			}
			offs[0] = 0
			for kb := 0; kb < l.kBlocks4; kb++ {
				tile := &ws.tile
				*tile = [64]float32{}
				kernel(l.cout, 1, l.wb[kb*l.cout*4:(kb+1)*l.cout*4], 4, 0, dzSeg, segment, offs, tile)
				l.col2im(*dx, tile, kb, oy, ox0, cnt)
			}
		}
	}
	if t > 0 {
		flush()
	}
	if dx != nil {
		// col2im also wrote the gradient of the zero padding; drop it.
		dx.zeroBorder()
	}
	gw := grad[l.wOff : l.wOff+l.cout*l.k]
	for co := 0; co < l.cout; co++ {
		cb, i := co>>2, co&3
		row := gw[co*l.k : (co+1)*l.k]
		for k := range row {
			row[k] += acc[(cb*l.kBlocks16+(k>>4))*64+i*16+(k&15)]
		}
	}
}

// col2im adds tile (patch values 4kb..4kb+3 × pixels j < cnt of output
// row oy from column ox0) to the positions of dx they were gathered from,
// border included.
func (l *conv) col2im(dx tensor, tile *[64]float32, kb, oy, ox0, cnt int) {
	s, d := l.stride, l.dil
	rs, p := dx.rowStride(), dx.plane()
	for i := 0; i < 4; i++ {
		k := kb*4 + i
		if k >= l.k {
			return
		}
		ci, r := k/9, k%9
		start := ci*p + (oy*s+(r/3-1)*d+dx.pad)*rs + dx.pad + ox0*s + (r%3-1)*d
		dst := dx.data[start : start+(cnt-1)*s+1]
		for j, v := range tile[i*16 : i*16+cnt] {
			dst[j*s] += v
		}
	}
}

// upsample2Backward writes to dsrc's interior the gradient of upsample2
// given ddst: the sum of each 2×2 block of ddst's interior.
func upsample2Backward(dsrc, ddst tensor) {
	for ch := 0; ch < dsrc.c; ch++ {
		for y := 0; y < dsrc.h; y++ {
			sr := dsrc.row(ch, y)
			r0 := ddst.row(ch, 2*y)[:2*len(sr)]
			r1 := ddst.row(ch, 2*y+1)[:2*len(sr)]
			for x := range sr {
				sr[x] = r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]
			}
		}
	}
}
