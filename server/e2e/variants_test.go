package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
)

// TestViewerVariantPicker uploads a box with KHR_materials_variants
// (Sand, Red, Blue) through the merchant API, opens it in the shop and
// checks the "Colour" radio group: labelled, the default variant checked,
// keyboard operable, announced, and that choosing a variant recolours the
// model on the canvas without opening another model stream.
func TestViewerVariantPicker(t *testing.T) {
	e := Server(t)
	if e.MerchantToken == "" {
		t.Skip("e2e: no merchant token for this server (set VITRINE_E2E_MERCHANT_TOKEN)")
	}
	sku := fmt.Sprintf("e2e-variant-box-%d", time.Now().UnixNano()%1_000_000_000)
	t.Cleanup(func() { deleteProduct(t, e, sku) })
	uploadVariantBox(t, e, sku)

	b := browsertest.New(t)
	shots := browsertest.ScreenshotDir(t)
	t.Logf("screenshots in %s", shots)
	ctx := b.Ctx
	wait := func(expr string, timeout time.Duration) {
		t.Helper()
		if err := b.WaitFor(expr, timeout); err != nil {
			t.Fatalf("%v\nserver log:\n%s", err, e.ServerLog())
		}
	}
	eval := func(expr string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}
	run := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		stepCtx, cancel := context.WithTimeout(ctx, pageTimeout)
		defer cancel()
		if err := chromedp.Do(stepCtx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// settle lets the frame loop draw what a choice changed.
	settle := func() {
		t.Helper()
		settleCtx, cancel := context.WithTimeout(ctx, pageTimeout)
		defer cancel()
		if _, err := chromedp.Run(settleCtx, chromedp.Evaluate[bool](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))))`, chromedp.EvalAwaitPromise)); err != nil {
			t.Fatalf("settle: %v", err)
		}
	}
	pageShot := func(name string) {
		t.Helper()
		if path, _, err := b.ElementScreenshot(ctx, shots, name, "#product-view"); err != nil {
			t.Error(err)
		} else {
			t.Logf("screenshot %s", path)
		}
	}

	run("open the box", chromedp.Navigate(e.URL("/p/"+sku)))
	wait(`document.body.dataset.state === "model-loaded"`, modelTimeout)
	wait(`!document.getElementById("variant-picker")?.hidden && window.vitrineVariant === 0`, pageTimeout)
	wait(fmt.Sprintf(`window.vitrineFrames >= %d`, framesWanted), pageTimeout)

	if got := eval(`document.getElementById("variant-picker").getAttribute("role")`); got != "radiogroup" {
		t.Errorf("picker role %q, want radiogroup", got)
	}
	if got := eval(`document.getElementById(document.getElementById("variant-picker").getAttribute("aria-labelledby")).textContent`); got != "Colour" {
		t.Errorf("picker labelled %q, want Colour", got)
	}
	if got := eval(`[...document.querySelectorAll('#variant-picker input[type=radio]')].map(i => i.closest("label").textContent).join(",")`); got != "Sand,Red,Blue" {
		t.Errorf("options %q, want Sand,Red,Blue", got)
	}
	if got := eval(`document.querySelector('#variant-picker input:checked')?.closest("label").textContent || ""`); got != "Sand" {
		t.Errorf("checked option %q, want the default Sand", got)
	}
	pageShot("variants-01-page")
	sand := centreColour(t, canvasShot(t, b, shots, "variants-02-sand"))
	opens := eval(`String(window.vitrineModelOpens)`)

	// The keyboard: focus the checked radio, arrow to the next.
	eval(`document.querySelector('#variant-picker input:checked').focus(), ""`)
	run("arrow to Red", chromedp.KeyEvent(kb.ArrowRight))
	wait(`window.vitrineVariant === 1`, pageTimeout)
	if got := eval(`document.querySelector('#variant-picker input:checked').closest("label").textContent`); got != "Red" {
		t.Errorf("after ArrowRight %q is checked, want Red", got)
	}
	wait(`document.getElementById("status").textContent === "Colour: Red."`, pageTimeout)
	settle()
	red := centreColour(t, canvasShot(t, b, shots, "variants-03-red"))
	pageShot("variants-04-page-red")

	run("click Blue", chromedp.Click(chromedp.CSS(`#variant-picker label:nth-child(3)`)))
	wait(`window.vitrineVariant === 2`, pageTimeout)
	settle()
	blue := centreColour(t, canvasShot(t, b, shots, "variants-05-blue"))

	t.Logf("centre colours: sand %v red %v blue %v", sand, red, blue)
	if !(red[0] > red[2]+40 && red[0] > red[1]+40) {
		t.Errorf("Red variant centre %v is not red", red)
	}
	if !(blue[2] > blue[0]+40) {
		t.Errorf("Blue variant centre %v is not blue", blue)
	}
	if !(sand[0] > sand[2]+10 && math.Abs(sand[0]-red[0])+math.Abs(sand[1]-red[1]) > 40) {
		t.Errorf("Sand centre %v is not sand, or not unlike red %v", sand, red)
	}
	if after := eval(`String(window.vitrineModelOpens)`); after != opens {
		t.Errorf("choosing colours opened model streams: %s before, %s after", opens, after)
	}
}

// centreColour averages the RGB of the middle tenth of a PNG.
func centreColour(t *testing.T, data []byte) [3]float64 {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	r := img.Bounds()
	w, h := r.Dx()/20, r.Dy()/20
	c := image.Pt(r.Min.X+r.Dx()/2, r.Min.Y+r.Dy()/2)
	var sum [3]float64
	n := 0.0
	for y := c.Y - h; y <= c.Y+h; y++ {
		for x := c.X - w; x <= c.X+w; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			sum[0] += float64(cr >> 8)
			sum[1] += float64(cg >> 8)
			sum[2] += float64(cb >> 8)
			n++
		}
	}
	return [3]float64{sum[0] / n, sum[1] / n, sum[2] / n}
}

// uploadVariantBox creates sku and uploads variantBoxGLB through the
// merchant API, waiting until the pipeline made it ready.
func uploadVariantBox(t *testing.T, e *Env, sku string) {
	t.Helper()
	api := func(method, path string, body io.Reader) (int, []byte) {
		req, err := http.NewRequest(method, e.URL(path), body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+e.MerchantToken)
		resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return resp.StatusCode, data
	}
	product := `{"sku":"` + sku + `","name":"Storage Cube (variants test)","category":"decor","price":35,"currency":"EUR",` +
		`"description":"A storage cube in three colours, uploaded by the end-to-end test.",` +
		`"dimensions_m":{"w":0.4,"h":0.4,"d":0.4},"placement":"floor"}`
	if code, body := api("POST", "/api/v1/products", strings.NewReader(product)); code != http.StatusCreated {
		t.Fatalf("create %s: %d %s", sku, code, body)
	}
	if code, body := api("PUT", "/api/v1/products/"+sku+"/model", bytes.NewReader(variantBoxGLB(t))); code != http.StatusAccepted {
		t.Fatalf("upload %s: %d %s", sku, code, body)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		code, body := api("GET", "/api/v1/products/"+sku, nil)
		var p struct{ Status string }
		_ = json.Unmarshal(body, &p)
		if code == http.StatusOK && p.Status == "ready" {
			return
		}
		if code != http.StatusOK || p.Status == "failed" || time.Now().After(deadline) {
			t.Fatalf("%s never became ready: %d %s", sku, code, body)
		}
		time.Sleep(250 * time.Millisecond) // polling the merchant API
	}
}

// variantBoxGLB is a 0.4 m cube on the floor with three material
// variants: Sand (its own material), Red and Blue.
func variantBoxGLB(t *testing.T) []byte {
	t.Helper()
	const s = 0.2
	faces := []struct{ n, u, v [3]float32 }{
		{[3]float32{1, 0, 0}, [3]float32{0, 0, -1}, [3]float32{0, 1, 0}},
		{[3]float32{-1, 0, 0}, [3]float32{0, 0, 1}, [3]float32{0, 1, 0}},
		{[3]float32{0, 1, 0}, [3]float32{1, 0, 0}, [3]float32{0, 0, -1}},
		{[3]float32{0, -1, 0}, [3]float32{1, 0, 0}, [3]float32{0, 0, 1}},
		{[3]float32{0, 0, 1}, [3]float32{1, 0, 0}, [3]float32{0, 1, 0}},
		{[3]float32{0, 0, -1}, [3]float32{-1, 0, 0}, [3]float32{0, 1, 0}},
	}
	var pos, nor []float32
	var idx []uint16
	for _, f := range faces {
		base := uint16(len(pos) / 3)
		for _, c := range [4][2]float32{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
			for k := range 3 {
				p := (f.n[k] + c[0]*f.u[k] + c[1]*f.v[k]) * s
				if k == 1 {
					p += s // standing on the floor
				}
				pos = append(pos, p)
				nor = append(nor, f.n[k])
			}
		}
		idx = append(idx, base, base+1, base+2, base, base+2, base+3)
	}
	var bin []byte
	for _, v := range pos {
		bin = binary.LittleEndian.AppendUint32(bin, math.Float32bits(v))
	}
	for _, v := range nor {
		bin = binary.LittleEndian.AppendUint32(bin, math.Float32bits(v))
	}
	for _, i := range idx {
		bin = binary.LittleEndian.AppendUint16(bin, i)
	}
	for len(bin)%4 != 0 {
		bin = append(bin, 0)
	}
	vb := len(pos) * 4
	solid := func(name string, r, g, b float64) map[string]any {
		return map[string]any{"name": name, "pbrMetallicRoughness": map[string]any{
			"baseColorFactor": []float64{r, g, b, 1}, "metallicFactor": 0, "roughnessFactor": 0.8}}
	}
	doc := map[string]any{
		"asset":          map[string]any{"version": "2.0", "generator": "vitrine e2e"},
		"extensionsUsed": []string{"KHR_materials_variants"},
		"extensions": map[string]any{"KHR_materials_variants": map[string]any{"variants": []any{
			map[string]any{"name": "Sand"}, map[string]any{"name": "Red"}, map[string]any{"name": "Blue"},
		}}},
		"scene":  0,
		"scenes": []any{map[string]any{"nodes": []int{0}}},
		"nodes":  []any{map[string]any{"mesh": 0, "name": "cube"}},
		"meshes": []any{map[string]any{"name": "cube", "primitives": []any{map[string]any{
			"attributes": map[string]int{"POSITION": 0, "NORMAL": 1},
			"indices":    2, "material": 0,
			"extensions": map[string]any{"KHR_materials_variants": map[string]any{"mappings": []any{
				map[string]any{"material": 0, "variants": []int{0}},
				map[string]any{"material": 1, "variants": []int{1}},
				map[string]any{"material": 2, "variants": []int{2}},
			}}},
		}}}},
		"materials": []any{solid("sand", 0.55, 0.42, 0.25), solid("red", 0.7, 0.03, 0.03), solid("blue", 0.03, 0.08, 0.6)},
		"accessors": []any{
			map[string]any{"bufferView": 0, "componentType": 5126, "count": len(pos) / 3, "type": "VEC3",
				"min": []float32{-s, 0, -s}, "max": []float32{s, 2 * s, s}},
			map[string]any{"bufferView": 1, "componentType": 5126, "count": len(nor) / 3, "type": "VEC3"},
			map[string]any{"bufferView": 2, "componentType": 5123, "count": len(idx), "type": "SCALAR"},
		},
		"bufferViews": []any{
			map[string]any{"buffer": 0, "byteOffset": 0, "byteLength": vb, "target": 34962},
			map[string]any{"buffer": 0, "byteOffset": vb, "byteLength": vb, "target": 34962},
			map[string]any{"buffer": 0, "byteOffset": 2 * vb, "byteLength": len(idx) * 2, "target": 34963},
		},
		"buffers": []any{map[string]any{"byteLength": len(bin)}},
	}
	js, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	for len(js)%4 != 0 {
		js = append(js, ' ')
	}
	total := 12 + 8 + len(js) + 8 + len(bin)
	out := binary.LittleEndian.AppendUint32(nil, 0x46546C67)
	out = binary.LittleEndian.AppendUint32(out, 2)
	out = binary.LittleEndian.AppendUint32(out, uint32(total))
	out = binary.LittleEndian.AppendUint32(out, uint32(len(js)))
	out = binary.LittleEndian.AppendUint32(out, 0x4E4F534A)
	out = append(out, js...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(bin)))
	out = binary.LittleEndian.AppendUint32(out, 0x004E4942)
	return append(out, bin...)
}
