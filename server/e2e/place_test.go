package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"
	xdraw "golang.org/x/image/draw"

	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
)

// The room scene the fake camera films: a pinhole camera 1.5 m above a
// wooden floor, pitched 40° down, looking at an A4 sheet lying on the
// floor about 2.2 m ahead. World axes: x right, y forward, z up.
const (
	roomW, roomH = 1280, 720
	roomFocalPx  = 900.0
	roomHeightM  = 1.5
	roomPitchDeg = 40.0
)

// roomCam projects world points into the room video's pixels.
type roomCam struct {
	r      [3][3]float64 // world → camera (x right, y down, z forward)
	centre [3]float64
}

func newRoomCam() roomCam {
	p := roomPitchDeg * math.Pi / 180
	c, s := math.Cos(p), math.Sin(p)
	return roomCam{
		r:      [3][3]float64{{1, 0, 0}, {0, -s, -c}, {0, c, -s}},
		centre: [3]float64{0, 0, roomHeightM},
	}
}

func (c roomCam) project(w [3]float64) (x, y float64) {
	d := [3]float64{w[0] - c.centre[0], w[1] - c.centre[1], w[2] - c.centre[2]}
	var q [3]float64
	for i := range 3 {
		q[i] = c.r[i][0]*d[0] + c.r[i][1]*d[1] + c.r[i][2]*d[2]
	}
	return roomFocalPx*q[0]/q[2] + roomW/2, roomFocalPx*q[1]/q[2] + roomH/2
}

// floorAt returns the floor point seen at pixel (x, y), or false above
// the horizon.
func (c roomCam) floorAt(x, y float64) ([2]float64, bool) {
	v := [3]float64{(x - roomW/2) / roomFocalPx, (y - roomH/2) / roomFocalPx, 1}
	var d [3]float64
	for i := range 3 {
		d[i] = c.r[0][i]*v[0] + c.r[1][i]*v[1] + c.r[2][i]*v[2]
	}
	if d[2] >= -1e-9 {
		return [2]float64{}, false
	}
	t := -c.centre[2] / d[2]
	return [2]float64{c.centre[0] + t*d[0], c.centre[1] + t*d[1]}, true
}

// a4Corners are the sheet's corners on the floor, going round, the first
// side along its 21 cm width.
func a4Corners() [4][2]float64 {
	centre := [2]float64{0.15, 2.2}
	a := 20 * math.Pi / 180
	u := [2]float64{math.Cos(a), math.Sin(a)}  // along the width
	v := [2]float64{-math.Sin(a), math.Cos(a)} // along the height
	hw, hh := 0.105, 0.1485
	var out [4][2]float64
	for i, s := range [4][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
		out[i] = [2]float64{centre[0] + s[0]*hw*u[0] + s[1]*hh*v[0], centre[1] + s[0]*hw*u[1] + s[1]*hh*v[1]}
	}
	return out
}

// inQuad tells whether floor point p lies inside the convex quad q.
func inQuad(p [2]float64, q [4][2]float64) bool {
	sign := 0.0
	for i := range 4 {
		a, b := q[i], q[(i+1)%4]
		cross := (b[0]-a[0])*(p[1]-a[1]) - (b[1]-a[1])*(p[0]-a[0])
		if sign == 0 {
			sign = cross
		} else if sign*cross < 0 {
			return false
		}
	}
	return true
}

// renderRoom draws the scene, 3×3 supersampled: oak planks with grain and
// a white A4 sheet.
func renderRoom() *image.RGBA {
	cam := newRoomCam()
	sheet := a4Corners()
	img := image.NewRGBA(image.Rect(0, 0, roomW, roomH))
	for y := 0; y < roomH; y++ {
		for x := 0; x < roomW; x++ {
			var r, g, b float64
			for sy := 0; sy < 3; sy++ {
				for sx := 0; sx < 3; sx++ {
					p, ok := cam.floorAt(float64(x)+(float64(sx)+0.5)/3, float64(y)+(float64(sy)+0.5)/3)
					switch {
					case !ok:
						r, g, b = r+200, g+196, b+188
					case inQuad(p, sheet):
						r, g, b = r+246, g+245, b+240
					default:
						plank := math.Floor(p[0] / 0.14)
						grain := 0.5 + 0.5*math.Sin(p[1]*37+plank*1.7+math.Sin(p[1]*5+plank)*2)
						tone := 0.85 + 0.1*(plank*0.37-math.Floor(plank*0.37)) + 0.06*grain
						if p[0]-0.14*plank < 0.004 {
							tone *= 0.55 // the joint between planks
						}
						r, g, b = r+158*tone, g+112*tone, b+74*tone
					}
				}
			}
			img.SetRGBA(x, y, color.RGBA{uint8(r / 9), uint8(g / 9), uint8(b / 9), 255})
		}
	}
	return img
}

// writeY4M writes img as a Y4M video of n identical frames (I420, BT.601
// limited range), the format Chromium's fake camera plays.
func writeY4M(path string, img image.Image, n int) error {
	bnd := img.Bounds()
	w, h := bnd.Dx(), bnd.Dy()
	ys := make([]byte, w*h)
	us := make([]byte, (w/2)*(h/2))
	vs := make([]byte, (w/2)*(h/2))
	rgb := func(x, y int) (float64, float64, float64) {
		r, g, b, _ := img.At(bnd.Min.X+x, bnd.Min.Y+y).RGBA()
		return float64(r >> 8), float64(g >> 8), float64(b >> 8)
	}
	clamp := func(v float64) byte { return byte(math.Max(0, math.Min(255, math.Round(v)))) }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			r, g, b := rgb(x, y)
			ys[y*w+x] = clamp(16 + 0.257*r + 0.504*g + 0.098*b)
		}
	}
	for y := 0; y < h/2; y++ {
		for x := 0; x < w/2; x++ {
			var r, g, b float64
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				rr, gg, bb := rgb(2*x+d[0], 2*y+d[1])
				r, g, b = r+rr/4, g+gg/4, b+bb/4
			}
			us[y*(w/2)+x] = clamp(128 - 0.148*r - 0.291*g + 0.439*b)
			vs[y*(w/2)+x] = clamp(128 + 0.439*r - 0.368*g - 0.071*b)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	fmt.Fprintf(bw, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	for range n {
		bw.WriteString("FRAME\n")
		bw.Write(ys)
		bw.Write(us)
		bw.Write(vs)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// placeSession is a browser on the shop with the steps tests share.
type placeSession struct {
	t     *testing.T
	e     *Env
	b     *browsertest.Browser
	shots string
}

func newPlaceSession(t *testing.T, e *Env, flags map[string]any) *placeSession {
	b := browsertest.New(t, browsertest.Options{Flags: flags})
	return &placeSession{t: t, e: e, b: b, shots: browsertest.ScreenshotDir(t)}
}

func (s *placeSession) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.b.Ctx, pageTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		s.t.Fatalf("%s: %v\nserver log:\n%s", what, err, s.e.ServerLog())
	}
}

func (s *placeSession) wait(expr string, timeout time.Duration) {
	s.t.Helper()
	if err := s.b.WaitFor(expr, timeout); err != nil {
		state := s.eval(`JSON.stringify(window.vitrinePlace || null)`)
		s.t.Fatalf("%v\nvitrinePlace: %s\nserver log:\n%s", err, state, s.e.ServerLog())
	}
}

func (s *placeSession) eval(expr string) string {
	s.t.Helper()
	v, err := chromedp.Run(s.b.Ctx, chromedp.Evaluate[string](`String(`+expr+`)`))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

func (s *placeSession) number(expr string) float64 {
	s.t.Helper()
	v, err := chromedp.Run(s.b.Ctx, chromedp.Evaluate[float64](`Number(`+expr+`)`))
	if err != nil {
		s.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// setCamera grants or refuses the page's camera permission.
func (s *placeSession) setCamera(setting browser.PermissionSetting) {
	s.t.Helper()
	c := chromedp.FromContext(s.b.Ctx)
	ctx, cancel := context.WithTimeout(s.b.Ctx, pageTimeout)
	defer cancel()
	_, err := cdp.Call(ctx, c.Browser, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: "camera"}, Setting: setting, Origin: s.e.BaseURL,
	})
	if err != nil {
		s.t.Fatalf("set camera permission %s: %v", setting, err)
	}
}

// settle lets the page reach the screen (two animation frames).
func (s *placeSession) settle() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.b.Ctx, pageTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise)); err != nil {
		s.t.Fatalf("settle: %v", err)
	}
}

func (s *placeSession) shot(name string) {
	s.t.Helper()
	s.settle()
	path, _, err := s.b.Screenshot(s.b.Ctx, s.shots, name)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("screenshot %s", path)
}

func (s *placeSession) stageImage() image.Image {
	s.t.Helper()
	s.settle()
	_, data, err := s.b.ElementScreenshot(s.b.Ctx, s.t.TempDir(), "stage", "#stage")
	if err != nil {
		s.t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		s.t.Fatal(err)
	}
	return img
}

// photoMapper maps the photo's pixels to page coordinates, as shown
// (object-fit: contain) in the stage.
type photoMapper struct{ left, top, scale, offX, offY float64 }

func (s *placeSession) mapper(id string, imgW, imgH int) photoMapper {
	s.t.Helper()
	var r struct{ Left, Top, Width, Height float64 }
	raw := s.eval(fmt.Sprintf(`JSON.stringify((() => { const r = document.getElementById(%q).getBoundingClientRect();
		return {Left: r.left, Top: r.top, Width: r.width, Height: r.height}; })())`, id))
	if err := json.Unmarshal([]byte(raw), &r); err != nil {
		s.t.Fatalf("stage rectangle %q: %v", raw, err)
	}
	sc := math.Min(r.Width/float64(imgW), r.Height/float64(imgH))
	return photoMapper{left: r.Left, top: r.Top, scale: sc,
		offX: (r.Width - sc*float64(imgW)) / 2, offY: (r.Height - sc*float64(imgH)) / 2}
}

func (m photoMapper) page(x, y float64) (float64, float64) {
	return m.left + m.offX + m.scale*x, m.top + m.offY + m.scale*y
}

// stage converts photo pixels to stage-screenshot pixels.
func (m photoMapper) stage(x, y float64) (float64, float64) {
	return m.offX + m.scale*x, m.offY + m.scale*y
}

// clickPhoto clicks the photo's pixel (x, y) where the page shows it now
// (the page may have scrolled since the last click).
func (s *placeSession) clickPhoto(x, y float64) {
	s.t.Helper()
	px, py := s.mapper("place-marks", roomW, roomH).page(x, y)
	s.run(fmt.Sprintf("click the photo at %.1f,%.1f", x, y), chromedp.MouseClickXY(px, py))
}

// TestPlaceRoomWithFakeCamera: the chair in a filmed room. The shopper
// takes a photo with the (fake) camera, taps the A4 sheet's corners, which
// the page refines onto the sheet's edges, taps a spot and sees the chair
// drawn there at its true size, then marks free spaces on the floor and
// turns it by 15°, then marks free spaces on the floor and gets "fits"
// for 1 × 1 m and "does not fit" for 50 × 50 cm (turned, the 45 × 52 cm
// chair needs 62 × 67 cm with 5 cm clearance).
func TestPlaceRoomWithFakeCamera(t *testing.T) {
	e := Server(t)
	video := filepath.Join(t.TempDir(), "room.y4m")
	if err := writeY4M(video, renderRoom(), 3); err != nil {
		t.Fatal(err)
	}
	s := newPlaceSession(t, e, browsertest.FakeCamera(video))
	cam := newRoomCam()

	s.run("open the chair", chromedp.Navigate(e.URL("/p/chair-oak")))
	s.wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	s.wait(`!document.getElementById("room-open").hidden && !document.getElementById("room-open").disabled`, pageTimeout)
	// Headless Chromium has no navigator.xr: the AR button stays hidden
	// and the photo flow is offered.
	s.wait(`window.vitrinePlace && String(window.vitrinePlace.xr).startsWith("unsupported")`, pageTimeout)
	if hidden := s.eval(`document.getElementById("ar-open").hidden`); hidden != "true" {
		t.Errorf("View in AR is shown without WebXR")
	}
	if hidden := s.eval(`document.getElementById("tryon-open").hidden`); hidden != "true" {
		t.Errorf("Try on is offered for a chair")
	}

	s.run("view in your room", chromedp.Click(chromedp.CSS("#room-open")))
	s.wait(`window.vitrinePlace.state === "room-photo" && document.activeElement && document.activeElement.id === "place-heading"`, pageTimeout)
	if checked := s.eval(`document.querySelector('input[name="room-surface"]:checked').value`); checked != "floor" {
		t.Errorf("a floor product starts with the reference on the %q", checked)
	}
	s.run("use the camera", chromedp.Click(chromedp.CSS("#room-camera")))
	s.wait(`window.vitrinePlace.state === "room-camera" && !document.getElementById("room-capture").hidden`, pageTimeout)
	s.run("take the photo", chromedp.Click(chromedp.CSS("#room-capture")))
	s.wait(`window.vitrinePlace.photo && window.vitrinePlace.photo.w === 1280 && window.vitrinePlace.photo.h === 720`, pageTimeout)
	s.wait(`window.vitrinePlace.state === "room-corners"`, pageTimeout)

	m := s.mapper("place-marks", roomW, roomH)
	truth := a4Corners()
	var want [4][2]float64
	for i, c := range truth {
		x, y := cam.project([3]float64{c[0], c[1], 0})
		want[i] = [2]float64{x, y}
		// Tap roughly, as a finger would: 2-3 px off.
		s.clickPhoto(x+[4]float64{2.5, -2, 1.5, -2.5}[i], y+[4]float64{-2, 2.5, 2, -1.5}[i])
	}
	s.wait(`window.vitrinePlace.refined !== undefined`, pageTimeout)
	if s.eval(`window.vitrinePlace.refined`) != "true" {
		t.Fatalf("the corners were not refined onto the sheet's edges")
	}
	for i := range 4 {
		gx := s.number(fmt.Sprintf(`window.vitrinePlace.corners[%d][0]`, i))
		gy := s.number(fmt.Sprintf(`window.vitrinePlace.corners[%d][1]`, i))
		if d := math.Hypot(gx-want[i][0], gy-want[i][1]); d > 0.6 {
			t.Errorf("corner %d refined to (%.2f, %.2f), %.2f px from the truth (%.2f, %.2f)", i+1, gx, gy, d, want[i][0], want[i][1])
		}
	}
	sigma := s.number(`window.vitrinePlace.sigmaPx`)
	if !(sigma > 0 && sigma < 0.5) {
		t.Errorf("refined corners claim σ = %g px; want a sub-pixel figure", sigma)
	}
	if p := s.eval(`document.getElementById("room-precision").textContent`); !strings.Contains(p, "±") {
		t.Errorf("precision line reads %q", p)
	}
	s.shot("room-01-corners")
	before := s.stageImage()

	// Place the chair left of the sheet and nearer, where all of it is
	// in the photo.
	spot := [3]float64{-0.45, 1.9, 0}
	tx, ty := cam.project(spot)
	frames := s.number(`window.vitrineFrames`)
	s.clickPhoto(tx, ty)
	s.wait(`window.vitrinePlace.poses >= 1`, pageTimeout)
	s.wait(fmt.Sprintf(`window.vitrineFrames > %g`, frames), pageTimeout)
	after := s.stageImage()
	s.shot("room-02-placed")
	checkChairDrawn(t, before, after, cam, m, spot)

	// Turn it: a new pose is asked for and drawn.
	poses := s.number(`window.vitrinePlace.poses`)
	s.run("rotate", chromedp.Click(chromedp.CSS("#room-rotate-right")))
	s.wait(fmt.Sprintf(`window.vitrinePlace.poses > %g`, poses), pageTimeout)

	// Free space: a 1 × 1 m square of floor fits the chair.
	s.run("mark the free space", chromedp.Click(chromedp.CSS("#room-mark-free")))
	s.wait(`window.vitrinePlace.state === "room-free"`, pageTimeout)
	square := func(x0, y0, side float64) {
		for _, c := range [4][2]float64{{x0, y0}, {x0 + side, y0}, {x0 + side, y0 + side}, {x0, y0 + side}} {
			px, py := cam.project([3]float64{c[0], c[1], 0})
			s.clickPhoto(px, py)
		}
	}
	square(-0.9, 2.5, 1.0)
	s.wait(`window.vitrinePlace.fit !== undefined`, pageTimeout)
	if v := s.eval(`window.vitrinePlace.fit`); v != "fits" {
		t.Errorf("a 1 × 1 m space: verdict %q, want fits (%s)", v, s.eval(`document.getElementById("room-fit").innerText`))
	}
	checkFitText(t, s, "Fits")
	s.shot("room-03-fit")

	// 50 × 50 cm is too small for the turned chair with its clearance.
	s.eval(`(window.vitrinePlace.fit = undefined, "")`)
	square(-0.7, 2.6, 0.5)
	s.wait(`window.vitrinePlace.fit !== undefined`, pageTimeout)
	if v := s.eval(`window.vitrinePlace.fit`); v != "does_not_fit" {
		t.Errorf("a 50 × 50 cm space: verdict %q, want does_not_fit (%s)", v, s.eval(`document.getElementById("room-fit").innerText`))
	}
	checkFitText(t, s, "Does not fit")
	s.shot("room-04-does-not-fit")

	// Back to the 3D view.
	s.run("close", chromedp.Click(chromedp.CSS("#place-panel .place-close")))
	s.wait(`window.vitrinePlace.state === "closed" && !document.getElementById("place-photo")`, pageTimeout)
	if ex := s.b.Exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d exceptions: %q", len(ex), ex)
	}
}

// checkFitText asserts the verdict is shown and spoken, with margins in
// centimetres and inches and their intervals.
func checkFitText(t *testing.T, s *placeSession, verdict string) {
	t.Helper()
	shown := s.eval(`document.getElementById("room-fit").innerText`)
	for _, want := range []string{verdict, " cm", " in", "95%"} {
		if !strings.Contains(shown, want) {
			t.Errorf("fit answer %q lacks %q", shown, want)
		}
	}
	if spoken := s.eval(`document.getElementById("status").textContent`); !strings.HasPrefix(spoken, verdict) || !strings.Contains(spoken, " in)") {
		t.Errorf("live region says %q; want the verdict %q with inches", spoken, verdict)
	}
}

// checkChairDrawn compares the stage before and after placing the chair:
// pixels change where the chair (0.45 × 0.52 × 0.9 m) and its shadow
// project, reaching up to about its true height, and hardly anywhere else.
func checkChairDrawn(t *testing.T, before, after image.Image, cam roomCam, m photoMapper, spot [3]float64) {
	t.Helper()
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	topY := math.Inf(1)
	for _, dx := range []float64{-0.4, 0.4} {
		for _, dy := range []float64{-0.4, 0.4} {
			for _, z := range []float64{0, 0.9} {
				px, py := cam.project([3]float64{spot[0] + dx, spot[1] + dy, z})
				sx, sy := m.stage(px, py)
				minX, minY, maxX, maxY = math.Min(minX, sx), math.Min(minY, sy), math.Max(maxX, sx), math.Max(maxY, sy)
			}
		}
	}
	// The chair stands with its front towards the camera: its top is the
	// highest (smallest y) of its footprint's corners lifted to 0.9 m.
	front := [2]float64{cam.centre[0] - spot[0], cam.centre[1] - spot[1]}
	n := math.Hypot(front[0], front[1])
	front = [2]float64{front[0] / n, front[1] / n}
	right := [2]float64{-front[1], front[0]}
	for _, a := range []float64{-0.225, 0.225} {
		for _, b := range []float64{-0.26, 0.26} {
			px, py := cam.project([3]float64{spot[0] + a*right[0] + b*front[0], spot[1] + a*right[1] + b*front[1], 0.9})
			_, sy := m.stage(px, py)
			topY = math.Min(topY, sy)
		}
	}
	const pad = 10
	b := after.Bounds()
	var inside, insideChanged, outside, outsideChanged int
	cMinY := math.Inf(1)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r0, g0, b0, _ := before.At(x, y).RGBA()
			r1, g1, b1, _ := after.At(x, y).RGBA()
			diff := math.Abs(float64(r0)-float64(r1)) + math.Abs(float64(g0)-float64(g1)) + math.Abs(float64(b0)-float64(b1))
			changed := diff > 3*20*257
			fx, fy := float64(x)+0.5, float64(y)+0.5
			if fx >= minX-pad && fx <= maxX+pad && fy >= minY-pad && fy <= maxY+pad {
				inside++
				if changed {
					insideChanged++
					cMinY = math.Min(cMinY, fy)
				}
			} else {
				outside++
				if changed {
					outsideChanged++
				}
			}
		}
	}
	t.Logf("chair region %.0f,%.0f–%.0f,%.0f: %d of %d pixels changed; elsewhere %d of %d; drawn top at y=%.0f, expected about %.0f",
		minX, minY, maxX, maxY, insideChanged, inside, outsideChanged, outside, cMinY, topY)
	if insideChanged < inside/25 {
		t.Errorf("only %d of %d pixels changed where the chair should stand", insideChanged, inside)
	}
	if outsideChanged > outside/200 {
		t.Errorf("%d pixels changed away from the chair (of %d)", outsideChanged, outside)
	}
	if math.Abs(cMinY-topY) > 0.12*(maxY-minY)+6 {
		t.Errorf("the chair's top is drawn at y=%.0f; at its true height it would be near y=%.0f", cMinY, topY)
	}
}

// pigoSample is pigo's sample portrait from the module cache.
func pigoSample(t *testing.T) image.Image {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/esimov/pigo").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Skipf("pigo module not in the module cache: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, "testdata", "sample.jpg"))
	if err != nil {
		t.Skipf("pigo's sample portrait: %v", err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestPlaceTryOnWithFakeCamera: the camera films pigo's sample portrait;
// the page finds the face and pupils, measures the iris, asks for a frame
// size, and draws the glasses over the eyes. Then a watch gets its size
// from a typed wrist circumference.
func TestPlaceTryOnWithFakeCamera(t *testing.T) {
	e := Server(t)
	// 640×480 frame, the 320×400 portrait scaled 1.2× and centred.
	portrait := pigoSample(t)
	frame := image.NewRGBA(image.Rect(0, 0, 640, 480))
	for i := range frame.Pix {
		frame.Pix[i] = 236
	}
	const scale, offX = 1.2, 128.0
	xdraw.CatmullRom.Scale(frame, image.Rect(int(offX), 0, int(offX)+384, 480), portrait, portrait.Bounds(), xdraw.Over, nil)
	video := filepath.Join(t.TempDir(), "face.y4m")
	if err := writeY4M(video, frame, 3); err != nil {
		t.Fatal(err)
	}
	s := newPlaceSession(t, e, browsertest.FakeCamera(video))

	s.run("open the glasses", chromedp.Navigate(e.URL("/p/glasses-tortoise")))
	s.wait(`!document.getElementById("tryon-open").hidden`, modelTimeout)
	if hidden := s.eval(`document.getElementById("room-open").hidden`); hidden != "true" {
		t.Errorf("View in your room is offered for glasses")
	}
	s.wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	s.run("try on", chromedp.Click(chromedp.CSS("#tryon-open")))
	s.wait(`window.vitrinePlace.state === "tryon"`, pageTimeout)
	s.run("use the camera", chromedp.Click(chromedp.CSS("#tryon-camera")))
	s.wait(`window.vitrinePlace.face === true`, modelTimeout)
	s.wait(`window.vitrinePlace.glasses >= 1`, modelTimeout)
	s.wait(`window.vitrinePlace.tryon !== undefined || window.vitrinePlace.tryonError !== undefined`, modelTimeout)
	if errText := s.eval(`window.vitrinePlace.tryonError || ""`); errText != "" {
		t.Fatalf("place.tryon failed: %s", errText)
	}
	answer := s.eval(`document.getElementById("tryon-result").innerText`)
	for _, want := range []string{"Pupillary distance", "mm", " in", "Frame width"} {
		if !strings.Contains(answer, want) {
			t.Errorf("try-on answer %q lacks %q", answer, want)
		}
	}
	t.Logf("try-on answer: %s", answer)
	// The pupils of the portrait are at (114.5, 183.5) and (204.5, 182.5);
	// in the 640×480 frame, ×1.2 and shifted by 128 px.
	pd := s.number(`window.vitrinePlace.pdPx`)
	if want := 90.0 * scale; math.Abs(pd-want) > 6 {
		t.Errorf("pupils measured %.1f px apart; want about %.0f", pd, want)
	}
	iris := s.number(`window.vitrinePlace.irisPx`)
	if r := iris / pd; r < 0.15 || r > 0.23 {
		t.Errorf("iris %.1f px for pupils %.1f px apart (ratio %.2f); a human iris is about 0.19 of the pupillary distance", iris, pd, r)
	}
	// The glasses are drawn centred between the pupils.
	m := s.mapper("tryon-overlay", 640, 480)
	wantX, wantY := m.stage(offX+scale*159.5, scale*183)
	gx := s.number(`window.vitrinePlace.glassesBox.x + window.vitrinePlace.glassesBox.w / 2`)
	gy := s.number(`window.vitrinePlace.glassesBox.y + window.vitrinePlace.glassesBox.h / 2`)
	if math.Hypot(gx-wantX, gy-wantY) > 8*m.scale+4 {
		t.Errorf("glasses centred at (%.0f, %.0f); the eyes are at (%.0f, %.0f)", gx, gy, wantX, wantY)
	}
	// Their pixels are on the overlay, around the eyes.
	painted := s.number(`(() => {
		const c = document.getElementById("tryon-overlay"), g = window.vitrinePlace.glassesBox;
		const k = c.width / c.clientWidth;
		const d = c.getContext("2d").getImageData(Math.round(g.x * k), Math.round(g.y * k), Math.max(1, Math.round(g.w * k)), Math.max(1, Math.round(g.h * k))).data;
		let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 128) n++;
		return n / (d.length / 4);
	})()`)
	if painted < 0.3 {
		t.Errorf("only %.0f%% of the glasses' box is painted", 100*painted)
	}
	s.shot("tryon-01-glasses")

	// A watch: typed wrist circumference.
	s.run("open the watch", chromedp.Navigate(e.URL("/p/watch-navy")))
	s.wait(`!document.getElementById("tryon-open").hidden`, modelTimeout)
	s.run("find the size", chromedp.Click(chromedp.CSS("#tryon-open")))
	s.wait(`window.vitrinePlace.state === "tryon" && !document.getElementById("tryon-size").hidden`, pageTimeout)
	s.run("type the wrist", chromedp.SendKeys(chromedp.CSS("#tryon-length"), "17"),
		chromedp.SetValue(chromedp.CSS("#tryon-unit"), "cm"),
		chromedp.Click(chromedp.CSS(`#tryon-size button[type="submit"]`)))
	s.wait(`window.vitrinePlace.tryon !== undefined && window.vitrinePlace.state === "tryon-sized"`, pageTimeout)
	answer = s.eval(`document.getElementById("tryon-result").innerText`)
	for _, want := range []string{"Wrist: 170.0 mm", " in", "wrists of 150"} {
		if !strings.Contains(answer, want) {
			t.Errorf("watch answer %q lacks %q", answer, want)
		}
	}
	if v := s.eval(`window.vitrinePlace.tryon`); v != "fits" {
		t.Errorf("a 17 cm wrist and a 24 cm watch: verdict %q, want fits", v)
	}
	s.shot("tryon-02-watch")
	if ex := s.b.Exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d exceptions: %q", len(ex), ex)
	}
}

// TestPlaceCameraRefused: a shopper who refuses the camera is told so,
// offered photos instead, and the page carries on.
func TestPlaceCameraRefused(t *testing.T) {
	e := Server(t)
	// A fake camera, but no automatic "allow": the permission decides.
	s := newPlaceSession(t, e, map[string]any{"use-fake-device-for-media-stream": true})
	s.run("open the chair", chromedp.Navigate(e.URL("/p/chair-oak")))
	s.wait(`!document.getElementById("room-open").hidden && !document.getElementById("room-open").disabled`, modelTimeout)
	s.run("view in your room", chromedp.Click(chromedp.CSS("#room-open")))
	s.wait(`window.vitrinePlace.state === "room-photo"`, pageTimeout)
	// A shopper who refuses the camera is told so and offered photos.
	s.setCamera(browser.PermissionSettingDenied)
	s.run("use the camera (refused)", chromedp.Click(chromedp.CSS("#room-camera")))
	s.wait(`window.vitrinePlace.cameraError !== undefined && !document.getElementById("room-error").hidden`, pageTimeout)
	if msg := s.eval(`document.getElementById("room-error").textContent`); !strings.Contains(msg, "not allowed") || !strings.Contains(msg, "choose a photo") {
		t.Errorf("refused camera: the page says %q", msg)
	}
	if st := s.eval(`window.vitrinePlace.state`); st != "room-photo" {
		t.Errorf("after a refused camera the flow is in state %q, want room-photo", st)
	}
	if ex := s.b.Exceptions(); len(ex) > 0 {
		t.Errorf("the page threw %d exceptions: %q", len(ex), ex)
	}
}
