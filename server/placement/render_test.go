package placement

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
)

// renderScene draws sc as a grey photo: a white sheet (its reference) on
// a wooden floor, antialiased by supersampling near the sheet, with
// Gaussian sensor noise of noiseSigma (0-1 scale), quantised to 8 bits.
func renderScene(sc scene, noiseSigma float64, rng *rand.Rand) *image.Gray {
	c := sc.cam
	r := c.rot
	t := r.apply(c.centre).scale(-1)
	k := mat3{{c.f, 0, c.cx}, {0, c.f, c.cy}, {0, 0, 1}}
	var m mat3
	m.setCol(0, r.col(0))
	m.setCol(1, r.col(1))
	m.setCol(2, t)
	toFloor, err := Homography(k.mul(m)).Inverse()
	if err != nil {
		panic(err)
	}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range sc.ref.CornersPx {
		minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
		minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
	}
	shade := func(x, y float64) float64 {
		q, w, ok := toFloor.Apply([2]float64{x, y})
		if !ok || w < 0 {
			return 0.8 // wall / sky above the horizon
		}
		p := vec3{q[0], q[1], 0}.sub(sc.refOrig)
		s, tt := p.dot(sc.refU), p.dot(sc.refV)
		if s >= 0 && s <= sc.refW && tt >= 0 && tt <= sc.refH {
			return 0.92
		}
		plank := math.Floor(q[0] / 0.14)
		h := math.Sin(plank*12.9898+math.Floor(q[1]/1.2+plank*0.37)*78.233) * 43758.5453
		h -= math.Floor(h)
		grain := 0.04 * math.Sin(q[1]*90+3*math.Sin(q[0]*40))
		v := 0.32 + 0.12*h + grain
		if math.Mod(q[0]+100*0.14, 0.14) < 0.004 {
			v -= 0.1
		}
		return v
	}
	img := image.NewGray(image.Rect(0, 0, sc.img.W, sc.img.H))
	const ss = 4
	for y := 0; y < sc.img.H; y++ {
		for x := 0; x < sc.img.W; x++ {
			var v float64
			if float64(x) > minX-20 && float64(x) < maxX+20 && float64(y) > minY-20 && float64(y) < maxY+20 {
				for j := 0; j < ss; j++ {
					for i := 0; i < ss; i++ {
						v += shade(float64(x)+(float64(i)+0.5)/ss, float64(y)+(float64(j)+0.5)/ss)
					}
				}
				v /= ss * ss
			} else {
				v = shade(float64(x)+0.5, float64(y)+0.5)
			}
			v += rng.NormFloat64() * noiseSigma
			img.SetGray(x, y, color.Gray{Y: uint8(math.Round(255 * math.Min(math.Max(v, 0), 1)))})
		}
	}
	return img
}
