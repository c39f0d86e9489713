package placement

import (
	"fmt"
	"math"
)

// Method selects the plane estimator.
type Method int

const (
	// MethodPose (the default) fits a constrained planar pose — rotation,
	// translation and focal length — to the clicked corners of the known
	// rectangle, with a prior on the focal length.
	MethodPose Method = iota
	// MethodDLT uses the plain four-point homography; it is the baseline
	// the docs compare against.
	MethodDLT
)

// The focal-length prior used when the focal length is not known: phone
// main cameras have horizontal fields of view of about 60–90° on the
// image's long side, that is f between 0.50 and 0.87 times the long side.
// The prior is log-normal, centred on the geometric middle of that range,
// with the range spanning ±2σ.
const (
	PriorFocalRel      = 0.658
	PriorFocalLogSigma = 0.137
	// KnownFocalRelSigma is the relative 1σ given to a focal length taken
	// from EXIF when the caller states none.
	KnownFocalRelSigma = 0.02
)

// z95 is the two-sided 95% quantile of the standard normal distribution.
const z95 = 1.959964

// Options tune Estimate.
type Options struct {
	Method Method
	// FocalPx is the focal length in pixels when known (for example from
	// EXIF: focal length in mm × image width in px ÷ sensor width in mm);
	// 0 means unknown.
	FocalPx float64
	// FocalRelSigma is the relative 1σ of FocalPx (default
	// KnownFocalRelSigma).
	FocalRelSigma float64
	// NoFocalPrior estimates an unknown focal length from the reference
	// alone, without the phone-camera prior.
	NoFocalPrior bool
	// CornerSigmaPx is the 1σ noise of each clicked corner coordinate
	// (default DefaultSigmaPx); PointSigmaPx that of measured points
	// (default CornerSigmaPx).
	CornerSigmaPx float64
	PointSigmaPx  float64
	// Surface says what the reference lies on. A small reference seen from
	// afar admits two camera poses that reproject its corners almost
	// equally well (the plane tilted towards or away from the camera);
	// knowing the surface is a floor or a wall usually rules one out. With
	// SurfaceUnknown both are kept and intervals span both.
	Surface Surface
}

// Surface is the kind of plane the reference lies on.
type Surface int

const (
	// SurfaceUnknown makes no assumption.
	SurfaceUnknown Surface = iota
	// SurfaceFloor is a horizontal plane below the camera (a floor or a
	// table top) photographed with the phone held upright.
	SurfaceFloor
	// SurfaceWall is a vertical plane photographed with the phone upright.
	SurfaceWall
)

// Thresholds of the surface test on the plane's normal n (facing the
// camera, camera coordinates, y down): a floor has -n.y ≥ floorMinUp; a wall
// has |n.y| ≤ wallMaxUp.
const (
	floorMinUp = 0.1
	wallMaxUp  = 0.6
	// ambiguityCost is the cost difference (sum of squared normalised
	// residuals) under which a second pose is not ruled out by the corners:
	// the 99% point of χ² with one degree of freedom.
	ambiguityCost = 6.63
)

func (s Surface) admits(c Camera) bool {
	n := c.Normal()
	switch s {
	case SurfaceFloor:
		return -n[1] >= floorMinUp
	case SurfaceWall:
		return math.Abs(n[1]) <= wallMaxUp
	}
	return true
}

// Reference is a rectangle of known size on the plane, as clicked in the
// image: corner 0 to corner 1 is its width, corner 1 to corner 2 its
// height, going round the rectangle.
type Reference struct {
	CornersPx [4][2]float64
	WidthM    float64
	HeightM   float64
}

// Plane is a measured plane: the homography between the reference's plane
// (metres) and the image, and the camera that sees it.
type Plane struct {
	img       ImageSize
	ref       Reference
	opts      Options
	logF0     float64
	logFSigma float64
	sol       solution
	// alts are other camera poses the corners do not rule out; lengths'
	// intervals cover them too.
	alts []solution
}

// solution is one estimate of the plane from a set of corners.
type solution struct {
	toImage Homography // plane metres → image px
	toPlane Homography // image px → plane metres
	camera  Camera
	// signW is the sign of the homogeneous w of the reference's own
	// points under toPlane; points on the plane share it.
	signW float64
	fit   *poseFit
	cost  float64
}

// Length is a measured length with its 95% interval [LowM, HighM];
// HalfWidth95M is the larger distance from M to either end.
type Length struct {
	M            float64
	HalfWidth95M float64
	LowM         float64
	HighM        float64
}

func newLength(v, low, high float64) Length {
	return Length{M: v, LowM: low, HighM: high, HalfWidth95M: math.Max(v-low, high-v)}
}

// RelativeHalfWidth is the 95% half-width as a fraction of the length.
func (l Length) RelativeHalfWidth() float64 {
	if l.M == 0 {
		return math.Inf(1)
	}
	return l.HalfWidth95M / math.Abs(l.M)
}

// Estimate measures the plane of ref in an image of size img.
func Estimate(img ImageSize, ref Reference, opts Options) (*Plane, error) {
	if err := img.Validate(); err != nil {
		return nil, err
	}
	if err := checkReferenceSize(ref.WidthM, ref.HeightM); err != nil {
		return nil, err
	}
	if err := checkQuad("reference", ref.CornersPx, img); err != nil {
		return nil, err
	}
	if err := checkSigma("corner sigma", opts.CornerSigmaPx); err != nil {
		return nil, err
	}
	if err := checkSigma("point sigma", opts.PointSigmaPx); err != nil {
		return nil, err
	}
	if opts.CornerSigmaPx == 0 {
		opts.CornerSigmaPx = DefaultSigmaPx
	}
	if opts.PointSigmaPx == 0 {
		opts.PointSigmaPx = opts.CornerSigmaPx
	}
	p := &Plane{img: img, ref: ref, opts: opts}
	long := img.longSide()
	switch {
	case opts.FocalPx != 0:
		if !finite(opts.FocalPx, opts.FocalRelSigma) {
			return nil, fmt.Errorf("placement: focal length: %w", ErrNotFinite)
		}
		if opts.FocalPx < MinFocalRel*long || opts.FocalPx > MaxFocalRel*long {
			return nil, fmt.Errorf("placement: focal length %g px is implausible for a %d×%d image: %w", opts.FocalPx, img.W, img.H, ErrScale)
		}
		if opts.FocalRelSigma < 0 || opts.FocalRelSigma > 1 {
			return nil, fmt.Errorf("placement: focal sigma %g must be 0-1: %w", opts.FocalRelSigma, ErrScale)
		}
		if opts.FocalRelSigma == 0 {
			opts.FocalRelSigma = KnownFocalRelSigma
			p.opts.FocalRelSigma = KnownFocalRelSigma
		}
		p.logF0, p.logFSigma = math.Log(opts.FocalPx), opts.FocalRelSigma
	case !opts.NoFocalPrior:
		p.logF0, p.logFSigma = math.Log(PriorFocalRel*long), PriorFocalLogSigma
	default:
		p.logF0, p.logFSigma = math.Log(PriorFocalRel*long), 0
	}
	if p.opts.Method == MethodDLT {
		sol, err := p.solve(ref.CornersPx, p.logF0, nil)
		if err != nil {
			return nil, err
		}
		p.sol = sol
		return p, nil
	}
	sols, err := p.solveAll(ref.CornersPx)
	if err != nil {
		return nil, err
	}
	p.sol, p.alts = sols[0], sols[1:]
	return p, nil
}

// solveAll finds the camera poses that fit the corners: the best one
// first, then the others whose cost is within ambiguityCost of it. Poses
// the surface rules out are dropped, unless it rules out all of them.
func (p *Plane) solveAll(corners [4][2]float64) ([]solution, error) {
	first, err := p.solve(corners, p.logF0, nil)
	if err != nil {
		return nil, err
	}
	cands := []solution{first}
	// The Necker-reversed pose: mirror the plane in the plane through the
	// reference's centre perpendicular to the line of sight. Under weak
	// perspective both project the same; a full fit from there finds the
	// second minimum when there is one.
	flipped := p.necker(first.camera)
	fit := p.newFit(corners, p.logF0, flipped)
	if cost, err := fit.solve(); err == nil {
		cam := fit.camera(fit.params)
		if n1, n2 := vec3(cam.Normal()), vec3(first.camera.Normal()); n1.dot(n2) < math.Cos(1*math.Pi/180) {
			if sol, err := p.finish(solution{fit: fit, cost: cost, camera: cam, toImage: cam.Homography().normalised()}); err == nil {
				cands = append(cands, sol)
			}
		}
	}
	admitted := cands[:0:0]
	for _, c := range cands {
		if p.opts.Surface.admits(c.camera) {
			admitted = append(admitted, c)
		}
	}
	if len(admitted) == 0 {
		admitted = cands
	}
	best := 0
	for i := range admitted {
		if admitted[i].cost < admitted[best].cost {
			best = i
		}
	}
	out := []solution{admitted[best]}
	for i := range admitted {
		if i != best && admitted[i].cost-admitted[best].cost < ambiguityCost {
			out = append(out, admitted[i])
		}
	}
	return out, nil
}

// necker returns the camera pose mirrored through the plane that contains
// the reference's centre and is perpendicular to the line of sight.
func (p *Plane) necker(c Camera) Camera {
	r := mat3(c.R)
	centre := r.apply(vec3{p.ref.WidthM / 2, p.ref.HeightM / 2, 0}).add(vec3(c.T))
	v := centre.unit()
	mirror := func(a vec3) vec3 { return a.sub(v.scale(2 * a.dot(v))) }
	r1, r2 := mirror(r.col(0)), mirror(r.col(1))
	var rf mat3
	rf.setCol(0, r1)
	rf.setCol(1, r2)
	rf.setCol(2, r1.cross(r2))
	t := centre.sub(rf.apply(vec3{p.ref.WidthM / 2, p.ref.HeightM / 2, 0}))
	return Camera{FocalPx: c.FocalPx, Cx: c.Cx, Cy: c.Cy, R: rf, T: t}
}

// Ambiguous reports whether more than one camera pose fits the corners
// (within the noise) on the stated surface.
func (p *Plane) Ambiguous() bool { return len(p.alts) > 0 }

// modelCorners returns the reference's corners in plane coordinates.
func (p *Plane) modelCorners() [4][2]float64 {
	w, h := p.ref.WidthM, p.ref.HeightM
	return [4][2]float64{{0, 0}, {w, 0}, {w, h}, {0, h}}
}

// solve estimates the plane from corners. warm, when set, is the solution
// to start the pose fit from (used when differentiating).
func (p *Plane) solve(corners [4][2]float64, logF0 float64, warm *solution) (solution, error) {
	model := p.modelCorners()
	cx, cy := float64(p.img.W)/2, float64(p.img.H)/2
	long := p.img.longSide()
	var sol solution
	if p.opts.Method == MethodDLT || warm == nil {
		h, err := DLT(model[:], corners[:])
		if err != nil {
			return solution{}, err
		}
		if p.opts.Method == MethodDLT {
			sol.toImage = h
			f, ok := FocalFromHomography(h, cx, cy, long)
			if !ok {
				f = math.Exp(logF0)
			}
			if cam, err := DecomposeHomography(h, f, cx, cy); err == nil {
				sol.camera = cam
			}
			return p.finish(sol)
		}
		// Start the pose fit from the closed-form decompositions with the
		// homography's own focal length and with the prior's, keeping the
		// better fit.
		starts := []float64{logF0}
		if f, ok := FocalFromHomography(h, cx, cy, long); ok {
			starts = append(starts, math.Log(f))
		}
		bestCost := math.Inf(1)
		var best *poseFit
		for _, lf := range starts {
			cam, err := DecomposeHomography(h, math.Exp(lf), cx, cy)
			if err != nil {
				continue
			}
			fit := p.newFit(corners, logF0, cam)
			cost, err := fit.solve()
			if err != nil {
				continue
			}
			if cost < bestCost {
				bestCost, best = cost, fit
			}
		}
		if best == nil {
			return solution{}, fmt.Errorf("placement: no camera pose fits the reference corners: %w", ErrNoSolution)
		}
		sol.fit, sol.cost = best, bestCost
	} else {
		fit := *warm.fit
		fit.obs = corners
		fit.logF0 = logF0
		cost, err := fit.solve()
		if err != nil {
			return solution{}, err
		}
		sol.fit, sol.cost = &fit, cost
	}
	sol.camera = sol.fit.camera(sol.fit.params)
	sol.toImage = sol.camera.Homography().normalised()
	return p.finish(sol)
}

func (p *Plane) newFit(corners [4][2]float64, logF0 float64, cam Camera) *poseFit {
	long := p.img.longSide()
	fit := &poseFit{
		model:     p.modelCorners(),
		obs:       corners,
		cx:        cam.Cx,
		cy:        cam.Cy,
		minLogF:   math.Log(MinFocalRel * long),
		maxLogF:   math.Log(MaxFocalRel * long),
		logF0:     logF0,
		logFSigma: p.logFSigma,
		sigmaPx:   p.opts.CornerSigmaPx,
		baseR:     mat3(cam.R),
	}
	fit.params[3], fit.params[4], fit.params[5] = cam.T[0], cam.T[1], cam.T[2]
	fit.params[6] = math.Log(cam.FocalPx)
	return fit
}

func (p *Plane) finish(sol solution) (solution, error) {
	inv, err := sol.toImage.Inverse()
	if err != nil {
		return solution{}, fmt.Errorf("placement: %w", ErrDegenerate)
	}
	sol.toPlane = inv
	centre := [2]float64{}
	for _, c := range p.ref.CornersPx {
		centre[0] += c[0] / 4
		centre[1] += c[1] / 4
	}
	_, w, ok := sol.toPlane.Apply(centre)
	if !ok {
		return solution{}, fmt.Errorf("placement: %w", ErrDegenerate)
	}
	sol.signW = math.Copysign(1, w)
	return sol, nil
}

// plane maps an image point onto the plane under sol.
func (sol *solution) plane(pt [2]float64) ([2]float64, error) {
	q, w, ok := sol.toPlane.Apply(pt)
	if !ok || math.Copysign(1, w) != sol.signW || math.Abs(w) < 1e-12*normH(sol.toPlane) {
		return q, fmt.Errorf("placement: point (%.1f, %.1f) is above the horizon of the reference's plane: %w", pt[0], pt[1], ErrBeyondHorizon)
	}
	return q, nil
}

func normH(h Homography) float64 {
	s := 0.0
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			s += h[i][j] * h[i][j]
		}
	}
	return math.Sqrt(s)
}

// Camera returns the estimated camera.
func (p *Plane) Camera() Camera { return p.sol.camera }

// ToImage returns the plane-to-image homography (plane in metres).
func (p *Plane) ToImage() Homography { return p.sol.toImage }

// ImageSize returns the size of the measured image.
func (p *Plane) ImageSize() ImageSize { return p.img }

// Reference returns the reference the plane was measured from.
func (p *Plane) Reference() Reference { return p.ref }

// ToPlane maps an image point to plane coordinates in metres.
func (p *Plane) ToPlane(pt [2]float64) ([2]float64, error) {
	if err := checkPoint("point", pt, p.img); err != nil {
		return [2]float64{}, err
	}
	return p.sol.plane(pt)
}

// MetresPerPixel returns the plane's scale at image point pt: the square
// root of the area the pixel at pt covers on the plane, in metres, with
// its 95% half-width.
func (p *Plane) MetresPerPixel(pt [2]float64) (Length, error) {
	if err := checkPoint("point", pt, p.img); err != nil {
		return Length{}, err
	}
	ls, err := p.propagate([][2]float64{pt}, func(sol *solution, pts [][2]float64) ([]float64, error) {
		return metresPerPixel(sol, pts[0])
	}, false)
	if err != nil {
		return Length{}, err
	}
	return ls[0], nil
}

func metresPerPixel(sol *solution, pt [2]float64) ([]float64, error) {
	const d = 0.5
	c, err := sol.plane(pt)
	if err != nil {
		return nil, err
	}
	x, err := sol.plane([2]float64{pt[0] + d, pt[1]})
	if err != nil {
		return nil, err
	}
	y, err := sol.plane([2]float64{pt[0], pt[1] + d})
	if err != nil {
		return nil, err
	}
	det := ((x[0]-c[0])*(y[1]-c[1]) - (x[1]-c[1])*(y[0]-c[0])) / (d * d)
	return []float64{math.Sqrt(math.Abs(det))}, nil
}

// Distance returns the distance on the plane between image points a and b,
// with the half-width of its 95% interval from the corner and point noise.
func (p *Plane) Distance(a, b [2]float64) (Length, error) {
	if err := checkPoint("point 0", a, p.img); err != nil {
		return Length{}, err
	}
	if err := checkPoint("point 1", b, p.img); err != nil {
		return Length{}, err
	}
	ls, err := p.propagate([][2]float64{a, b}, func(_ *solution, pts [][2]float64) ([]float64, error) {
		return []float64{math.Hypot(pts[1][0]-pts[0][0], pts[1][1]-pts[0][1])}, nil
	}, true)
	if err != nil {
		return Length{}, err
	}
	return ls[0], nil
}

// measureFunc computes quantities from a solution and the measured points
// already mapped onto the plane (or, when mapped is false, the image
// points themselves).
type measureFunc func(sol *solution, pts [][2]float64) ([]float64, error)

// propagate evaluates fn at the estimate and propagates the corner noise,
// the point noise and the focal prior's spread to first order, by central
// differences that re-run the estimator. It returns the values and the
// half-widths of their 95% intervals. When mapped is true fn receives the
// points on the plane, otherwise in the image.
func (p *Plane) propagate(pts [][2]float64, fn measureFunc, mapped bool) ([]Length, error) {
	var out []Length
	for i, base := range append([]solution{p.sol}, p.alts...) {
		vals, hws, err := p.propagateFrom(&base, pts, fn, mapped)
		if err != nil {
			if i == 0 {
				return nil, err
			}
			// An alternative pose on which the points are not even on the
			// plane (above its horizon) does not describe the photo.
			continue
		}
		if i == 0 {
			out = make([]Length, len(vals))
			for k := range vals {
				out[k] = newLength(vals[k], vals[k]-hws[k], vals[k]+hws[k])
			}
			continue
		}
		for k := range vals {
			out[k] = newLength(out[k].M, math.Min(out[k].LowM, vals[k]-hws[k]), math.Max(out[k].HighM, vals[k]+hws[k]))
		}
	}
	return out, nil
}

// propagateFrom is propagate for one base solution.
func (p *Plane) propagateFrom(base *solution, pts [][2]float64, fn measureFunc, mapped bool) (vals, halfWidths []float64, err error) {
	eval := func(sol *solution, img [][2]float64) ([]float64, error) {
		if !mapped {
			return fn(sol, img)
		}
		on := make([][2]float64, len(img))
		for i, q := range img {
			if on[i], err = sol.plane(q); err != nil {
				return nil, err
			}
		}
		return fn(sol, on)
	}
	vals, err = eval(base, pts)
	if err != nil {
		return nil, nil, err
	}
	variance := make([]float64, len(vals))
	accumulate := func(plus, minus []float64, step, sigma float64) {
		for i := range variance {
			d := (plus[i] - minus[i]) / (2 * step) * sigma
			variance[i] += d * d
		}
	}
	const cornerStep = 0.01
	for k := 0; k < 8; k++ {
		var out [2][]float64
		for s, sign := range []float64{1, -1} {
			c := p.ref.CornersPx
			c[k/2][k%2] += sign * cornerStep
			sol, err := p.solve(c, p.logF0, base)
			if err != nil {
				return nil, nil, fmt.Errorf("placement: propagate corner noise: %w", err)
			}
			if out[s], err = eval(&sol, pts); err != nil {
				return nil, nil, fmt.Errorf("placement: propagate corner noise: %w", err)
			}
		}
		accumulate(out[0], out[1], cornerStep, p.opts.CornerSigmaPx)
	}
	if p.opts.Method == MethodPose && p.logFSigma > 0 {
		const logStep = 1e-4
		var out [2][]float64
		for s, sign := range []float64{1, -1} {
			sol, err := p.solve(p.ref.CornersPx, p.logF0+sign*logStep, base)
			if err != nil {
				return nil, nil, fmt.Errorf("placement: propagate focal prior: %w", err)
			}
			if out[s], err = eval(&sol, pts); err != nil {
				return nil, nil, fmt.Errorf("placement: propagate focal prior: %w", err)
			}
		}
		accumulate(out[0], out[1], logStep, p.logFSigma)
	}
	const pointStep = 0.01
	for k := 0; k < 2*len(pts); k++ {
		var out [2][]float64
		for s, sign := range []float64{1, -1} {
			q := append([][2]float64(nil), pts...)
			q[k/2][k%2] += sign * pointStep
			if out[s], err = eval(base, q); err != nil {
				return nil, nil, fmt.Errorf("placement: propagate point noise: %w", err)
			}
		}
		accumulate(out[0], out[1], pointStep, p.opts.PointSigmaPx)
	}
	halfWidths = make([]float64, len(vals))
	for i, v := range variance {
		halfWidths[i] = z95 * math.Sqrt(v)
	}
	return vals, halfWidths, nil
}
