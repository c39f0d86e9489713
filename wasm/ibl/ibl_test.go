package ibl

import (
	"bytes"
	"compress/flate"
	"errors"
	"math"
	"testing"
)

// small is a quick bake for tests that check properties rather than the
// embedded data.
var small = Options{Width: 128, Height: 64, Levels: 5, SourceScale: 2, SuperSample: 2, Samples: 96, LUTSize: 16, LUTSamples: 256}

func bakeSmall(t *testing.T) *Lighting {
	t.Helper()
	l, err := Bake(small)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestEmbeddedMatchesBake checks lighting.bin is the bake of
// DefaultOptions by today's code: run go generate ./wasm/ibl after
// changing the studio or the bake.
func TestEmbeddedMatchesBake(t *testing.T) {
	if testing.Short() {
		t.Skip("a full bake takes seconds")
	}
	got, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := Bake(DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	data, err := Encode(fresh)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Decode(data) // the same RGBE quantisation as the file
	if err != nil {
		t.Fatal(err)
	}
	if got.Width != want.Width || got.Height != want.Height || got.Levels != want.Levels || got.LUTSize != want.LUTSize {
		t.Fatalf("embedded %d×%d×%d LUT %d, bake %d×%d×%d LUT %d", got.Width, got.Height, got.Levels, got.LUTSize, want.Width, want.Height, want.Levels, want.LUTSize)
	}
	// Floating-point contraction may move a value across a rounding
	// step on other platforms: allow two steps of the 9-bit mantissa.
	for level := range want.Levels {
		w, h := want.LevelSize(level)
		for r := range h {
			for c := range w {
				g, w := got.Texel(level, c, r), want.Texel(level, c, r)
				m := max(w[0], w[1], w[2])
				for k := range 3 {
					if d := math.Abs(float64(g[k] - w[k])); d > float64(m)/128+1e-6 {
						t.Fatalf("level %d texel %d,%d: embedded %v, bake %v (stale lighting.bin? go generate ./wasm/ibl)", level, c, r, g, w)
					}
				}
			}
		}
	}
	for i := range want.LUT {
		if d := int(got.LUT[i]) - int(want.LUT[i]); d < -1 || d > 1 {
			t.Fatalf("LUT byte %d: embedded %d, bake %d", i, got.LUT[i], want.LUT[i])
		}
	}
	for k := range 9 {
		for c := range 3 {
			if d := math.Abs(float64(got.SH[k][c] - want.SH[k][c])); d > 1e-4 {
				t.Fatalf("SH[%d][%d]: embedded %g, bake %g", k, c, got.SH[k][c], want.SH[k][c])
			}
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	l := bakeSmall(t)
	data, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.SH != l.SH || !bytes.Equal(back.LUT, l.LUT) {
		t.Fatal("SH or LUT changed in the round trip")
	}
	for level := range l.Levels {
		w, h := l.LevelSize(level)
		for r := range h {
			for c := range w {
				a, b := l.Texel(level, c, r), back.Texel(level, c, r)
				m := max(a[0], a[1], a[2])
				for k := range 3 {
					// RGB9_E5 keeps 9 bits of the largest channel.
					if d := math.Abs(float64(a[k] - b[k])); d > float64(m)/256+1e-9 {
						t.Fatalf("level %d texel %d,%d: %v became %v", level, c, r, a, b)
					}
				}
			}
		}
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	good, err := Encode(bakeSmall(t))
	if err != nil {
		t.Fatal(err)
	}
	huge := append([]byte(nil), good...)
	huge[6], huge[7] = 0xff, 0xff // width 65535
	badSH := append([]byte(nil), good...)
	copy(badSH[14:], []byte{0, 0, 0xc0, 0x7f}) // NaN
	tests := map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XIBL"), good[4:]...),
		"truncated": good[:len(good)/2],
		"header":    good[:headerBytes-1],
		"huge":      huge,
		"nan":       badSH,
		"trailing":  appendDeflated(good[:headerBytes], make([]byte, (128*64+64*32+32*16+16*8+8*4)*4+16*16*2+10)),
		"version":   append(append([]byte("VIBL"), 1, 0), good[6:]...),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(data); !errors.Is(err, ErrFormat) {
				t.Errorf("Decode = %v, want ErrFormat", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	good, err := Encode(bakeSmallF(f))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:headerBytes+3])
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := Decode(data)
		if err != nil {
			return
		}
		if len(l.Packed) != l.Texels() || len(l.LUT) != l.LUTSize*l.LUTSize*2 {
			t.Fatal("decoded sizes disagree with the header")
		}
	})
}

func bakeSmallF(f *testing.F) *Lighting {
	l, err := Bake(small)
	if err != nil {
		f.Fatal(err)
	}
	return l
}

func TestBakeRejectsBadOptions(t *testing.T) {
	for _, o := range []Options{{}, {Width: 64, Height: 32, Levels: 1, SourceScale: 1, SuperSample: 1, Samples: 1, LUTSize: 4, LUTSamples: 1}, {Width: 1 << 14, Height: 32, Levels: 4, SourceScale: 1, SuperSample: 1, Samples: 1, LUTSize: 4, LUTSamples: 1}} {
		if _, err := Bake(o); err == nil {
			t.Errorf("Bake(%+v) accepted", o)
		}
	}
}

func TestRGB9E5(t *testing.T) {
	for _, v := range [][3]float32{{0, 0, 0}, {1, 1, 1}, {0.18, 0.2, 0.25}, {12, 3, 0.01}, {1e-4, 2e-4, 0}, {511.9, 0, 0}, {1e6, 1, 1}} {
		r, g, b := UnpackRGB9E5(PackRGB9E5(v[0], v[1], v[2]))
		m := min(max(v[0], v[1], v[2]), rgb9e5Max)
		for i, got := range []float32{r, g, b} {
			want := min(v[i], rgb9e5Max)
			if math.Abs(float64(got-want)) > float64(m)/512+1e-9 {
				t.Errorf("%v → %v %v %v", v, r, g, b)
			}
		}
	}
	// GL's example values: 1.0 packs to mantissa 256, exponent 16.
	if p := PackRGB9E5(1, 0, 0); p != 256|16<<27 {
		t.Errorf("PackRGB9E5(1,0,0) = %#x, want %#x", p, uint32(256|16<<27))
	}
	if p := PackRGB9E5(-1, float32(math.NaN()), 0); p != 0 {
		t.Errorf("negative and NaN pack to %#x, want 0", p)
	}
}

func TestDirectionInvertsEquirectUV(t *testing.T) {
	for _, uv := range [][2]float64{{0.1, 0.2}, {0.5, 0.5}, {0.9, 0.7}, {0.25, 0.95}} {
		d := Direction(uv[0]*64, uv[1]*32, 64, 32)
		u, v := EquirectUV(d)
		if math.Abs(u-uv[0]) > 1e-9 || math.Abs(v-uv[1]) > 1e-9 {
			t.Errorf("(%v) → %v → (%v, %v)", uv, d, u, v)
		}
	}
	// The documented convention: the map's centre looks down −z, its top
	// row up.
	if d := Direction(32, 16, 64, 32); math.Abs(d[2]+1) > 1e-9 {
		t.Errorf("centre looks at %v, want −z", d)
	}
}

// TestLUT checks the split-sum table against its limits and against
// Karis's analytic fit of the same integral (mobile approximation,
// "Physically Based Shading on Mobile", 2014).
func TestLUT(t *testing.T) {
	l := bakeSmall(t)
	n := l.LUTSize
	at := func(i, j int) (float64, float64) {
		return float64(l.LUT[(j*n+i)*2]) / 255, float64(l.LUT[(j*n+i)*2+1]) / 255
	}
	// Smooth, head-on: all light reflects, scale ≈ 1, bias ≈ 0.
	if s, b := at(n-1, 0); s < 0.9 || b > 0.05 {
		t.Errorf("NdotV≈1, roughness≈0: scale %.3f bias %.3f, want ≈1, ≈0", s, b)
	}
	var sumErr float64
	for j := range n {
		for i := range n {
			s, b := at(i, j)
			if s+b > 1.01 {
				t.Errorf("(%d,%d) reflects more than it receives: %.3f", i, j, s+b)
			}
			nv, r := (float64(i)+0.5)/float64(n), (float64(j)+0.5)/float64(n)
			as, ab := karisApprox(nv, r)
			sumErr += math.Abs(s-as) + math.Abs(b-ab)
		}
	}
	if mean := sumErr / float64(2*n*n); mean > 0.04 {
		t.Errorf("mean difference from Karis's fit %.3f, want < 0.04", mean)
	}
	// More roughness, less mirror reflection at normal incidence.
	if s0, _ := at(n-1, 1); func() bool { s1, _ := at(n-1, n-1); return s1 >= s0 }() {
		t.Error("scale does not fall with roughness")
	}
}

func karisApprox(nv, r float64) (scale, bias float64) {
	c0 := [4]float64{-1, -0.0275, -0.572, 0.022}
	c1 := [4]float64{1, 0.0425, 1.04, -0.04}
	rr := [4]float64{r*c0[0] + c1[0], r*c0[1] + c1[1], r*c0[2] + c1[2], r*c0[3] + c1[3]}
	a004 := math.Min(rr[0]*rr[0], math.Exp2(-9.28*nv))*rr[0] + rr[1]
	return a004*-1.04 + rr[2], a004*1.04 + rr[3]
}

// bruteIrradiance integrates the studio's radiance times the clamped
// cosine around n, divided by π.
func bruteIrradiance(n [3]float64, w, h int) [3]float64 {
	var out [3]float64
	for r := range h {
		theta := math.Pi * (float64(r) + 0.5) / float64(h)
		dOmega := (2 * math.Pi / float64(w)) * (math.Pi / float64(h)) * math.Sin(theta)
		for c := range w {
			d := Direction(float64(c)+0.5, float64(r)+0.5, w, h)
			cos := dot(d, n)
			if cos <= 0 {
				continue
			}
			rad := StudioRadiance(d)
			for k := range 3 {
				out[k] += rad[k] * cos * dOmega / math.Pi
			}
		}
	}
	return out
}

func TestIrradianceSH(t *testing.T) {
	l := bakeSmall(t)
	dirs := map[string][3]float64{
		"up": {0, 1, 0}, "down": {0, -1, 0}, "left": {-1, 0, 0}, "right": {1, 0, 0},
		"front": {0, 0, 1}, "back": {0, 0, -1}, "diagonal": normalize([3]float64{1, 1, 1}),
	}
	got := map[string]float64{}
	for name, n := range dirs {
		sh := l.IrradianceAt(n)
		want := bruteIrradiance(n, 256, 128)
		// Nine coefficients smooth the cosine lobe's tail; the
		// documented error bound for natural lighting is a few percent
		// of the mean (Ramamoorthi and Hanrahan).
		for k := range 3 {
			if math.Abs(sh[k]-want[k]) > 0.08*want[k]+0.03 {
				t.Errorf("%s: SH irradiance %.3f, integrated %.3f", name, sh[k], want[k])
			}
		}
		got[name] = sh[1]
		t.Logf("%-8s irradiance/π %.3f (integrated %.3f)", name, sh[1], want[1])
	}
	// The studio look: lit from above and the key side, never dark.
	if !(got["up"] > got["front"] && got["left"] > got["right"] && got["front"] > got["down"]) {
		t.Errorf("studio not lit from above and the left: %v", got)
	}
	if got["down"] < 0.15 || got["up"] > 2 {
		t.Errorf("studio irradiance out of a sensible range: %v", got)
	}
}

// TestPrefilter checks each level keeps the environment's mean radiance
// (prefiltering moves light, it does not make or lose it) and gets
// smoother as roughness rises.
func TestPrefilter(t *testing.T) {
	l := bakeSmall(t)
	var means, peaks []float64
	for level := range l.Levels {
		var sum, wsum, peak float64
		lw, lh := l.LevelSize(level)
		for r := range lh {
			w := math.Sin(math.Pi * (float64(r) + 0.5) / float64(lh))
			for c := range lw {
				v := l.Texel(level, c, r)
				for _, x := range v {
					if !(x >= 0) || math.IsInf(float64(x), 0) {
						t.Fatalf("level %d texel %d,%d: %v", level, c, r, v)
					}
				}
				sum += w * float64(v[1])
				wsum += w
				peak = math.Max(peak, float64(v[1]))
			}
		}
		means = append(means, sum/wsum)
		peaks = append(peaks, peak)
	}
	t.Logf("means %.3f, peaks %.3f", means, peaks)
	for level := 1; level < l.Levels; level++ {
		if math.Abs(means[level]-means[0]) > 0.08*means[0] {
			t.Errorf("level %d mean %.3f, level 0 %.3f", level, means[level], means[0])
		}
		if peaks[level] > peaks[level-1]+1e-3 {
			t.Errorf("level %d peak %.3f above level %d's %.3f", level, peaks[level], level-1, peaks[level-1])
		}
	}
	if peaks[0] < 2*ceilingRadiance {
		t.Errorf("mirror level peaks at %.2f: the light boxes are missing", peaks[0])
	}
}

func appendDeflated(prefix, body []byte) []byte {
	var buf bytes.Buffer
	buf.Write(prefix)
	zw, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		panic(err)
	}
	zw.Write(body)
	zw.Close()
	return buf.Bytes()
}

// BenchmarkEmbedded measures the viewer's start-up cost: inflating and
// decoding lighting.bin and making the RGBA upload array. Run it under
// GOOS=js GOARCH=wasm too (node on PATH) for the browser figure.
func BenchmarkEmbedded(b *testing.B) {
	for b.Loop() {
		l, err := Embedded()
		if err != nil {
			b.Fatal(err)
		}
		_ = l.Packed
	}
}
