package placement

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

var simSpread = 1.5

var simScenes = flag.Int("sim", 0, "run the accuracy report over this many simulated scenes per configuration")

// scene is a simulated photo of a reference on the floor and a segment to
// measure, with ground truth.
type scene struct {
	img     ImageSize
	cam     simCamera
	ref     Reference // true corners
	refW    float64
	refH    float64
	pts     [2][2]float64 // true image points of the segment
	lengthM float64
	refOrig vec3
	refU    vec3
	refV    vec3
}

type simCamera struct {
	f, cx, cy float64
	rot       mat3 // world → camera
	centre    vec3
}

func (c simCamera) project(p vec3) ([2]float64, bool) {
	q := c.rot.apply(p.sub(c.centre))
	if q[2] <= 0.05 {
		return [2]float64{}, false
	}
	return [2]float64{c.f*q[0]/q[2] + c.cx, c.f*q[1]/q[2] + c.cy}, true
}

func inImage(p [2]float64, img ImageSize, margin float64) bool {
	return p[0] >= margin && p[1] >= margin && p[0] <= float64(img.W)-margin && p[1] <= float64(img.H)-margin
}

// lookAt builds a camera at centre looking at target with a roll angle.
func lookAt(centre, target vec3, roll float64) mat3 {
	z := target.sub(centre).unit()
	x := z.cross(vec3{0, 0, 1}).unit()
	y := z.cross(x)
	c, s := math.Cos(roll), math.Sin(roll)
	x, y = x.scale(c).add(y.scale(s)), y.scale(c).sub(x.scale(s))
	return mat3{x, y, z}
}

// newScene draws a random scene: a camera 1.2–1.8 m high with a phone's
// focal length looking at a reference lying on the floor about 2 m away,
// and a segment 0.5–2 m long on the floor in view.
func newScene(rng *rand.Rand, refW, refH float64, img ImageSize) scene {
	for {
		h := 1.2 + 0.6*rng.Float64()
		f := 1000 + 600*rng.Float64()
		dist := 1.5 + rng.Float64()
		side := (rng.Float64() - 0.5) * 0.6
		refCentre := vec3{side, dist, 0}
		aim := refCentre.add(vec3{(rng.Float64() - 0.5) * 0.6, (rng.Float64() - 0.5) * 0.6, 0})
		roll := (rng.Float64() - 0.5) * 10 * math.Pi / 180
		cam := simCamera{f: f, cx: float64(img.W) / 2, cy: float64(img.H) / 2, centre: vec3{0, 0, h}}
		cam.rot = lookAt(cam.centre, aim, roll)
		yaw := rng.Float64() * 2 * math.Pi
		u := vec3{math.Cos(yaw), math.Sin(yaw), 0}
		v := vec3{-math.Sin(yaw), math.Cos(yaw), 0}
		orig := refCentre.sub(u.scale(refW / 2)).sub(v.scale(refH / 2))
		sc := scene{img: img, cam: cam, refW: refW, refH: refH, refOrig: orig, refU: u, refV: v}
		sc.ref = Reference{WidthM: refW, HeightM: refH}
		ok := true
		for i, m := range [4][2]float64{{0, 0}, {refW, 0}, {refW, refH}, {0, refH}} {
			p, vis := cam.project(orig.add(u.scale(m[0])).add(v.scale(m[1])))
			if !vis || !inImage(p, img, 10) {
				ok = false
				break
			}
			sc.ref.CornersPx[i] = p
		}
		if !ok {
			continue
		}
		for tries := 0; tries < 100; tries++ {
			length := 0.5 + 1.5*rng.Float64()
			mid := refCentre.add(vec3{(rng.Float64() - 0.5) * 2 * simSpread, (rng.Float64() - 0.5) * 2 * simSpread, 0})
			a := rng.Float64() * 2 * math.Pi
			d := vec3{math.Cos(a), math.Sin(a), 0}.scale(length / 2)
			p1, v1 := cam.project(mid.sub(d))
			p2, v2 := cam.project(mid.add(d))
			if v1 && v2 && inImage(p1, img, 5) && inImage(p2, img, 5) {
				sc.pts = [2][2]float64{p1, p2}
				sc.lengthM = length
				return sc
			}
		}
	}
}

// noisy returns the scene's reference and points with Gaussian noise.
func (sc scene) noisy(rng *rand.Rand, cornerSigma, pointSigma float64) (Reference, [2][2]float64) {
	ref := sc.ref
	for i := range ref.CornersPx {
		ref.CornersPx[i][0] += rng.NormFloat64() * cornerSigma
		ref.CornersPx[i][1] += rng.NormFloat64() * cornerSigma
	}
	pts := sc.pts
	for i := range pts {
		pts[i][0] += rng.NormFloat64() * pointSigma
		pts[i][1] += rng.NormFloat64() * pointSigma
	}
	return ref, pts
}

type simStats struct {
	relErr  []float64
	covered int
	relHW   []float64
	failed  int
	// trusted counts the cases whose relative half-width is within
	// TrustRelHalfWidth, and trustedCovered those of them covered.
	trusted        int
	trustedCovered int
}

func (s *simStats) quantile(q float64) float64 {
	if len(s.relErr) == 0 {
		return math.NaN()
	}
	v := append([]float64(nil), s.relErr...)
	sort.Float64s(v)
	return v[int(q*float64(len(v)-1)+0.5)]
}

func (s *simStats) medianHW() float64 {
	if len(s.relHW) == 0 {
		return math.NaN()
	}
	v := append([]float64(nil), s.relHW...)
	sort.Float64s(v)
	return v[len(v)/2]
}

type simConfig struct {
	name          string
	w, h          float64
	sigma         float64
	pointNoise    bool
	opts          Options
	exifFocalSeed bool // pass the true focal length as EXIF
}

// runSim measures n scenes drawn from seed with the given configuration.
func runSim(cfg simConfig, n int, seed uint64) simStats {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	noise := rand.New(rand.NewPCG(seed, 0x401e))
	img := ImageSize{W: 1920, H: 1440}
	var st simStats
	for i := 0; i < n; i++ {
		sc := newScene(rng, cfg.w, cfg.h, img)
		pointSigma := 0.0
		if cfg.pointNoise {
			pointSigma = cfg.sigma
		}
		ref, pts := sc.noisy(noise, cfg.sigma, pointSigma)
		opts := cfg.opts
		opts.CornerSigmaPx = cfg.sigma
		opts.PointSigmaPx = math.Max(pointSigma, 1e-6)
		if cfg.exifFocalSeed {
			opts.FocalPx = sc.cam.f
		}
		pl, err := Estimate(img, Reference{CornersPx: ref.CornersPx, WidthM: cfg.w, HeightM: cfg.h}, opts)
		if err != nil {
			st.failed++
			st.relErr = append(st.relErr, 1)
			continue
		}
		d, err := pl.Distance(clampPoint(pts[0], img), clampPoint(pts[1], img))
		if err != nil {
			st.failed++
			st.relErr = append(st.relErr, 1)
			continue
		}
		e := math.Abs(d.M-sc.lengthM) / sc.lengthM
		st.relErr = append(st.relErr, e)
		st.relHW = append(st.relHW, d.HalfWidth95M/sc.lengthM)
		in := math.Abs(d.M-sc.lengthM) <= d.HalfWidth95M
		if in {
			st.covered++
		}
		if d.RelativeHalfWidth() <= 0.10 {
			st.trusted++
			if in {
				st.trustedCovered++
			}
		}
	}
	return st
}

func clampPoint(p [2]float64, img ImageSize) [2]float64 {
	return [2]float64{math.Min(math.Max(p[0], 0), float64(img.W)), math.Min(math.Max(p[1], 0), float64(img.H))}
}

var simRefs = []struct {
	name string
	w, h float64
}{
	{"A4", 0.297, 0.210},
	{"bank card", 0.0856, 0.05398},
	{"1.0×0.6 m", 1.0, 0.6},
}

// TestAccuracyReport prints the accuracy table of docs/placement.md. It
// runs only with -sim=N, for example:
//
//	go test ./server/placement -run TestAccuracyReport -v -args -sim=2000
func TestAccuracyReport(t *testing.T) {
	if *simScenes == 0 {
		t.Skip("run with -args -sim=N to print the accuracy report")
	}
	methods := []struct {
		name string
		opts Options
		exif bool
	}{
		{"plain DLT", Options{Method: MethodDLT}, false},
		{"pose fit, f from the reference alone", Options{Method: MethodPose, NoFocalPrior: true}, false},
		{"pose fit + phone focal prior", Options{Method: MethodPose}, false},
		{"pose fit + phone focal prior + floor", Options{Method: MethodPose, Surface: SurfaceFloor}, false},
		{"pose fit + EXIF focal (±2%) + floor", Options{Method: MethodPose, Surface: SurfaceFloor}, true},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| reference | corner σ | method | median error | p95 error | coverage of 95%% interval | median ± (relative) | trusted (±≤10%%) | coverage when trusted |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, ref := range simRefs {
		for _, sigma := range []float64{0.2, 0.7} {
			for _, m := range methods {
				cfg := simConfig{w: ref.w, h: ref.h, sigma: sigma, opts: m.opts, exifFocalSeed: m.exif, pointNoise: true}
				st := runSim(cfg, *simScenes, 1)
				trustedCov := "–"
				if st.trusted > 0 {
					trustedCov = fmt.Sprintf("%.1f%%", 100*float64(st.trustedCovered)/float64(st.trusted))
				}
				fmt.Fprintf(&b, "| %s | %.1f px | %s | %.2f%% | %.1f%% | %.1f%% | %.1f%% | %.0f%% | %s |\n", ref.name, sigma, m.name,
					100*st.quantile(0.5), 100*st.quantile(0.95), 100*float64(st.covered)/float64(len(st.relErr)), 100*st.medianHW(),
					100*float64(st.trusted)/float64(len(st.relErr)), trustedCov)
			}
		}
	}
	t.Log("\n" + b.String())
}
