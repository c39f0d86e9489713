package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/vitrine-shop/vitrine/server/internal/browsertest"
)

// processingTimeout bounds a model's processing (levels of detail, poster
// and views) on a busy machine.
const processingTimeout = 3 * time.Minute

// TestMerchantConsole walks a merchant's path through the console at
// /merchant: a refused token, sign-in, a product whose metadata is first
// refused field by field, a model uploaded through the file input with
// real progress, processing followed to "ready", the report (declared vs
// measured size with the mismatch flagged, problems by JSON pointer, the
// levels of detail with their poster differences, poster and views), a 3D
// preview, a photo, a truncated model refused with nothing changed, the
// phone layout and sign-out.
func TestMerchantConsole(t *testing.T) {
	e := Server(t)
	if e.MerchantToken == "" {
		t.Skip("e2e: no merchant token for this server (set VITRINE_E2E_MERCHANT_TOKEN)")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	mugGLB := filepath.Join(root, "assets", "models", "mug-sage.glb")
	mugPhoto := filepath.Join(root, "assets", "photos", "mug-sage-1.jpg")
	glbBytes, err := os.ReadFile(mugGLB)
	if err != nil {
		t.Fatal(err)
	}
	// A GLB cut short after its header and part of its JSON chunk.
	broken := filepath.Join(t.TempDir(), "mug-truncated.glb")
	if err := os.WriteFile(broken, glbBytes[:3000], 0o644); err != nil {
		t.Fatal(err)
	}
	sku := fmt.Sprintf("e2e-console-mug-%d", time.Now().UnixNano()%1_000_000_000)
	t.Cleanup(func() { deleteProduct(t, e, sku) })

	b := browsertest.New(t)
	shots := browsertest.ScreenshotDir(t)
	t.Logf("screenshots in %s", shots)
	ctx := b.Ctx
	pg := newPage(t, b, e, shots)
	run, wait, eval := pg.run, pg.wait, pg.eval
	shot := pg.shot
	text := func(id string) string {
		t.Helper()
		return eval(fmt.Sprintf(`document.getElementById(%q).innerText`, id))
	}
	fullShot := func(name string) {
		t.Helper()
		shotCtx, cancel := context.WithTimeout(ctx, pageTimeout)
		png, err := chromedp.Run(shotCtx, chromedp.FullScreenshot(90))
		cancel()
		if err != nil {
			t.Fatalf("full screenshot %s: %v", name, err)
		}
		path := filepath.Join(shots, name+".jpg")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", path)
	}

	// Sign in: a wrong token is refused next to the field, the right one
	// opens the console.
	run("open the console", chromedp.Navigate(e.URL("/merchant")))
	wait(`document.body.dataset.state === "signin"`, pageTimeout)
	checkParsers(t, eval)
	if focused := eval(`document.activeElement.id`); focused != "token" {
		t.Errorf("focus starts on %q; want the token field", focused)
	}
	run("try a wrong token", chromedp.SendKeys(chromedp.CSS("#token"), "not-a-merchant-token"), chromedp.Click(chromedp.CSS("#signin-submit")))
	wait(`document.getElementById("token-error").textContent.includes("not accepted")`, pageTimeout)
	if inv := eval(`document.getElementById("token").getAttribute("aria-invalid")`); inv != "true" {
		t.Errorf("token field aria-invalid=%q after a refused token; want true", inv)
	}
	eval(`document.getElementById("token").value = ""`)
	run("sign in", chromedp.SendKeys(chromedp.CSS("#token"), e.MerchantToken), chromedp.Click(chromedp.CSS("#signin-submit")))
	wait(`document.body.dataset.state === "console" && !document.getElementById("products-section").hidden`, pageTimeout)
	if stored := eval(`sessionStorage.getItem("vitrine.merchantToken") || ""`); stored != e.MerchantToken {
		t.Errorf("sessionStorage holds %q; want the token", stored)
	}

	// Create a product: the server's validation errors land beside the
	// fields they name; fixed, the product opens. The declared depth is
	// 9 cm where the mug measures 8.5 cm, so the report must flag it.
	run("open the product form", chromedp.Click(chromedp.CSS("#new-product")))
	wait(`!document.getElementById("editor-section").hidden && document.activeElement.id === "editor-heading"`, pageTimeout)
	run("fill in a product with mistakes",
		chromedp.SendKeys(chromedp.CSS("#f-sku"), sku),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "Console mug"),
		chromedp.SendKeys(chromedp.CSS("#f-category"), "Kitchen Things!"),
		chromedp.SendKeys(chromedp.CSS("#f-description"), "Stoneware mug uploaded by the end-to-end test."),
		chromedp.SendKeys(chromedp.CSS("#f-price"), "12.5"),
		chromedp.SendKeys(chromedp.CSS("#f-h"), "0.095"),
		chromedp.SendKeys(chromedp.CSS("#f-d"), "0.09"),
		chromedp.SetValue(chromedp.CSS("#f-placement"), "table"),
		chromedp.Click(chromedp.CSS("#product-submit")))
	wait(`document.getElementById("f-category-error").textContent !== "" && document.getElementById("f-w-error").textContent !== ""`, pageTimeout)
	for _, id := range []string{"f-category", "f-w"} {
		if inv := eval(fmt.Sprintf(`document.getElementById(%q).getAttribute("aria-invalid")`, id)); inv != "true" {
			t.Errorf("%s aria-invalid=%q after the server refused it; want true", id, inv)
		}
	}
	if msg := text("f-w-error"); !strings.Contains(msg, "metres") {
		t.Errorf("width error reads %q; want the server's message about metres", msg)
	}
	if msg := text("f-name-error"); msg != "" {
		t.Errorf("name has error %q though it is valid", msg)
	}
	if focused := eval(`document.activeElement.id`); focused != "f-category" {
		t.Errorf("after a refused form focus is on %q; want the first invalid field, f-category", focused)
	}
	shot("merchant-01-form-errors")
	run("fix the mistakes",
		chromedp.SetValue(chromedp.CSS("#f-category"), "kitchen"),
		chromedp.SendKeys(chromedp.CSS("#f-w"), "0.12"),
		chromedp.Click(chromedp.CSS("#product-submit")))
	wait(fmt.Sprintf(`location.hash === %q && !document.getElementById("detail-section").hidden`, "#/p/"+sku), pageTimeout)
	if who := text("account-name"); who != "Signed in as "+e2eMerchant && e.Log != "" {
		t.Errorf("header reads %q; want Signed in as %s", who, e2eMerchant)
	}
	wait(`document.getElementById("detail-heading").textContent === "Console mug" && document.getElementById("detail-status").dataset.status === "pending"`, pageTimeout)

	// Upload the model through the file input: the progress bar follows
	// the bytes sent up to 100%, then processing runs to "ready" while the
	// page polls.
	// Uploads are throttled to ~50 KB/s so the ~100 KB model takes about
	// two seconds and the bar moves through intermediate values.
	throttleUploads(t, b, 50<<10)
	run("choose the model file", chromedp.SetUploadFiles(chromedp.CSS("#model-file"), []string{mugGLB}))
	wait(`(v => v > 0 && v < 100)(Number(document.getElementById("model-progress").getAttribute("aria-valuenow")))`, pageTimeout)
	run("scroll to the upload", chromedp.ScrollIntoView(chromedp.CSS("#model-upload")))
	shot("merchant-02-uploading")
	wait(`document.getElementById("model-transfer").dataset.state === "done"`, pageTimeout)
	throttleUploads(t, b, -1)
	if v := eval(`document.getElementById("model-progress").getAttribute("aria-valuenow")`); v != "100" {
		t.Errorf("model progress bar ends at aria-valuenow=%q; want 100", v)
	}
	if w := eval(`document.getElementById("model-progress-bar").style.width`); w != "100%" {
		t.Errorf("model progress bar width %q; want 100%%", w)
	}
	progress := text("model-progress-text")
	if !strings.Contains(progress, "(100 %)") || !strings.Contains(progress, "99.4 KB of 99.4 KB") {
		t.Errorf("model progress reads %q; want 99.4 KB of 99.4 KB (100 %%)", progress)
	}
	var progressLog []struct {
		Kind          string
		Loaded, Total int64
	}
	if err := json.Unmarshal([]byte(eval(`JSON.stringify(window.vitrineMerchant.progressLog)`)), &progressLog); err != nil {
		t.Fatal(err)
	}
	if len(progressLog) == 0 {
		t.Fatal("no upload progress events were recorded")
	}
	var partial []int64
	for i, ev := range progressLog {
		if i > 0 && ev.Loaded < progressLog[i-1].Loaded {
			t.Errorf("upload progress went back from %d to %d bytes", progressLog[i-1].Loaded, ev.Loaded)
		}
		if ev.Loaded > 0 && ev.Loaded < ev.Total {
			partial = append(partial, ev.Loaded)
		}
	}
	if len(partial) == 0 {
		t.Errorf("the progress bar saw no intermediate values (events %+v); want bytes sent between 0 and the total", progressLog)
	}
	t.Logf("model upload: %d progress events, intermediate bytes %v", len(progressLog), partial)
	last := progressLog[len(progressLog)-1]
	if last.Kind != "model" || last.Loaded != int64(len(glbBytes)) || last.Total != int64(len(glbBytes)) {
		t.Errorf("last progress event %+v; want the model's %d bytes of %d", last, len(glbBytes), len(glbBytes))
	}
	wait(`document.getElementById("detail-status").dataset.status === "ready"`, processingTimeout)
	wait(fmt.Sprintf(`document.querySelector('#products-body tr[data-sku=%q]').dataset.status === "ready"`, sku), pageTimeout)
	history := eval(fmt.Sprintf(`window.vitrineMerchant.statusHistory(%q).join(",")`, sku))
	if history != "pending,processing,ready" {
		t.Errorf("the console saw statuses %q; want pending,processing,ready (followed without a reload)", history)
	}

	// The report.
	wait(`!document.getElementById("report-body").hidden && document.querySelectorAll("#levels-body tr").length >= 2`, pageTimeout)
	dims := eval(`[...document.querySelectorAll("#dims-body tr")].map(r => r.dataset.axis + "|" + [...r.cells].map(c => c.textContent).join("|") + "|" + r.className).join("\n")`)
	checkDimsRow(t, dims, "d|Depth|9.0 cm|8.5 cm|", "flagged")
	checkDimsRow(t, dims, "w|Width|12.0 cm|12.0 cm|0.0 %", "")
	checkDimsRow(t, dims, "h|Height|9.5 cm|9.5 cm|0.0 %", "")
	if m := text("mismatch"); !strings.Contains(m, "5.6 %") || !strings.Contains(m, "more than the 2 %") {
		t.Errorf("mismatch line reads %q; want the 5.6 %% difference flagged against 2 %%", m)
	}
	problem := eval(`(() => { const r = document.querySelector('#problems-body tr[data-code="DIMENSIONS_MISMATCH"]'); return r ? [...r.cells].map(c => c.textContent).join(" | ") : ""; })()`)
	for _, want := range []string{"warning", "DIMENSIONS_MISMATCH", "/dimensions_m", "measured 0.120", "differs from the declared dimensions"} {
		if !strings.Contains(problem, want) {
			t.Errorf("DIMENSIONS_MISMATCH row reads %q; want it to contain %q", problem, want)
		}
	}
	levels := eval(`[...document.querySelectorAll("#levels-body tr")].map(r => [...r.cells].map(c => c.textContent.trim()).join("|")).join("\n")`)
	levelRows := strings.Split(levels, "\n")
	if len(levelRows) < 3 {
		t.Errorf("levels table has %d rows; want level 0 and at least two coarser levels:\n%s", len(levelRows), levels)
	}
	for i, row := range levelRows {
		cells := strings.Split(row, "|")
		if len(cells) != 6 || !strings.HasPrefix(cells[0], fmt.Sprint(i)) || !strings.Contains(cells[4], ".") || !strings.Contains(cells[5], "Preview") {
			t.Errorf("level row %d reads %q; want level, triangles, vertices, size, a poster difference and a preview button", i, row)
		}
	}
	if !strings.HasPrefix(levelRows[0], "0 (full detail)|3,688|") {
		t.Errorf("level 0 row reads %q; want the mug's 3,688 triangles", levelRows[0])
	}
	wait(`document.querySelectorAll("#views img").length === 8 && [...document.querySelectorAll("#views img, #poster-img")].every(i => i.complete && i.naturalWidth > 0)`, pageTimeout)
	if alt := eval(`document.querySelector("#views img").alt`); !strings.Contains(alt, "View 1 of 8") {
		t.Errorf("first view's alt is %q; want it to say View 1 of 8", alt)
	}
	shot("merchant-03-report")
	fullShot("merchant-04-report-full")

	// Preview a level in the shop viewer.
	run("preview level 1", chromedp.Click(chromedp.CSS(`#levels-body button[data-level="1"]`)))
	wait(`!document.getElementById("preview").hidden && document.activeElement.id === "preview-heading"`, pageTimeout)
	if src := eval(`document.getElementById("preview-frame").getAttribute("src")`); src != "/p/"+sku+"?lod=1" {
		t.Errorf("preview iframe src %q; want /p/%s?lod=1", src, sku)
	}
	wait(`(document.getElementById("preview-frame").dataset.levels || "") !== ""`, modelTimeout)
	// The viewer honours ?lod: it draws that level alone.
	if shown := eval(`document.getElementById("preview-frame").dataset.levels`); shown != "1" {
		t.Errorf("the preview of level 1 drew levels %q; want 1 alone", shown)
	}
	if c := text("preview-caption"); !strings.Contains(c, "Showing level 1 only") {
		t.Errorf("preview caption reads %q; want it to say level 1 is shown", c)
	}
	shot("merchant-05-preview")
	run("close the preview", chromedp.Click(chromedp.CSS("#preview-close")))
	wait(`document.getElementById("preview").hidden`, pageTimeout)

	// A photo.
	run("choose a photo", chromedp.SetUploadFiles(chromedp.CSS("#photo-file"), []string{mugPhoto}))
	wait(`document.getElementById("photo-transfer").dataset.state === "done" && document.querySelectorAll("#photo-list img").length === 1`, pageTimeout)
	if v := eval(`document.getElementById("photo-progress").getAttribute("aria-valuenow")`); v != "100" {
		t.Errorf("photo progress bar ends at %q; want 100", v)
	}
	if p := text("photo-progress-text"); !strings.Contains(p, "1 of 1 photo stored") {
		t.Errorf("photo progress reads %q; want 1 of 1 photo stored", p)
	}

	// A truncated model is refused with its problems shown, and nothing
	// changes.
	before := getProduct(t, e, sku)
	run("choose a truncated model", chromedp.SetUploadFiles(chromedp.CSS("#model-file"), []string{broken}))
	wait(`document.getElementById("model-transfer").dataset.state === "failed" && !document.getElementById("model-error").hidden`, pageTimeout)
	refusal := text("model-error")
	for _, want := range []string{"refused", "nothing was changed", "GLB_TRUNCATED", "truncated"} {
		if !strings.Contains(refusal, want) {
			t.Errorf("refusal reads %q; want it to contain %q", refusal, want)
		}
	}
	if rows := eval(`String(document.querySelectorAll("#model-error li[data-code=GLB_TRUNCATED]").length)`); rows == "0" {
		t.Errorf("the refusal has no problem rows:\n%s", refusal)
	}
	after := getProduct(t, e, sku)
	if after.Version != before.Version || after.Status != "ready" || after.Model.Key != before.Model.Key {
		t.Errorf("after the refused upload the product is version %d, %s, model %s; want it unchanged (version %d, ready, %s)",
			after.Version, after.Status, after.Model.Key, before.Version, before.Model.Key)
	}
	if s := eval(`document.getElementById("detail-status").dataset.status`); s != "ready" {
		t.Errorf("after the refused upload the page shows status %q; want ready", s)
	}
	run("scroll to the refusal", chromedp.ScrollIntoView(chromedp.CSS("#model-upload")))
	shot("merchant-06-refused")

	// The live region told the story.
	said := eval(`window.vitrineMerchant.announcements.join("\n")`)
	for _, want := range []string{"Signed in.", "Created Console mug.", "Uploading mug-sage.glb", "Upload 25 % done.", "Upload 75 % done.", "Model sent.", "Console mug is ready",
		"1 of 1 photo stored.", "The model was refused: 1 problem. Nothing was changed."} {
		if !strings.Contains(said, want) {
			t.Errorf("the live region never said %q; it said:\n%s", want, said)
		}
	}
	if live := eval(`document.getElementById("announcer").getAttribute("aria-live") + " " + document.getElementById("announcer").getAttribute("role")`); live != "polite status" {
		t.Errorf("announcer has aria-live and role %q; want polite status", live)
	}

	// The product list, with the poster as thumbnail.
	run("back to the list", chromedp.Click(chromedp.CSS(`#detail-section a.back`)))
	wait(fmt.Sprintf(`!document.getElementById("products-section").hidden && document.querySelector('#products-body tr[data-sku=%q] img.thumb') !== null`, sku), pageTimeout)
	wait(`[...document.querySelectorAll("#products-body img")].every(i => i.complete && i.naturalWidth > 0)`, pageTimeout)
	row := eval(fmt.Sprintf(`document.querySelector('#products-body tr[data-sku=%q]').innerText`, sku))
	for _, want := range []string{"Console mug", sku, "Ready"} {
		if !strings.Contains(row, want) {
			t.Errorf("product row reads %q; want %q", row, want)
		}
	}
	shot("merchant-07-list")

	// Phone-sized: no sideways scrolling of the page (a mobile browser
	// widens its layout viewport to fit content that is too wide, so the
	// width must stay the device's).
	run("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	wait(`window.innerWidth === 390 && document.documentElement.scrollWidth <= 390`, pageTimeout)
	shot("merchant-08-phone-list")
	run("open the product on the phone", chromedp.Click(chromedp.CSS(fmt.Sprintf(`#products-body tr[data-sku=%q] a.product-link`, sku))))
	wait(`!document.getElementById("detail-section").hidden && !document.getElementById("report-body").hidden`, pageTimeout)
	wait(`window.innerWidth === 390 && document.documentElement.scrollWidth <= 390`, pageTimeout)
	if path, _, err := b.ElementScreenshot(ctx, shots, "merchant-09-phone-report", "#report"); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("screenshot %s", path)
	}
	run("desktop viewport", chromedp.EmulateViewport(browsertest.DefaultWidth, browsertest.DefaultHeight))

	// Sign out forgets the token.
	run("sign out", chromedp.Click(chromedp.CSS("#sign-out")))
	wait(`document.body.dataset.state === "signin" && document.activeElement.id === "token"`, pageTimeout)
	if stored := eval(`String(sessionStorage.getItem("vitrine.merchantToken"))`); stored != "null" {
		t.Errorf("after sign-out sessionStorage holds %q", stored)
	}
	if ex := b.Exceptions(); len(ex) > 0 {
		t.Errorf("JavaScript exceptions: %v", ex)
	}
}

// throttleUploads limits the tab's upload throughput to bytesPerSecond
// (-1 lifts the limit).
func throttleUploads(t *testing.T, b *browsertest.Browser, bytesPerSecond float64) {
	t.Helper()
	c := chromedp.FromContext(b.Ctx)
	ctx, cancel := context.WithTimeout(b.Ctx, pageTimeout)
	defer cancel()
	if _, err := cdp.Call(ctx, c.Target, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("network.enable: %v", err)
	}
	rules := []*network.Conditions{{DownloadThroughput: -1, UploadThroughput: bytesPerSecond}}
	if _, err := cdp.Call(ctx, c.Target, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
		t.Fatalf("throttle uploads to %g B/s: %v", bytesPerSecond, err)
	}
}

// checkParsers runs the console's report parsers on the formats the server
// writes.
func checkParsers(t *testing.T, eval func(string) string) {
	t.Helper()
	tests := []struct{ expr, want string }{
		{`JSON.stringify(window.vitrineMerchant.parseProblem("error ACCESSOR_INDEX_OOB at /accessors/3/min: index 9 is past 8 vertices — A triangle refers to a vertex that does not exist; the mesh is corrupt."))`,
			`{"severity":"error","code":"ACCESSOR_INDEX_OOB","pointer":"/accessors/3/min","message":"index 9 is past 8 vertices","explanation":"A triangle refers to a vertex that does not exist; the mesh is corrupt."}`},
		{`JSON.stringify(window.vitrineMerchant.parseProblem("error GLB_TRUNCATED: the GLB header declares 10 bytes but the file has only 3: it was truncated"))`,
			`{"severity":"error","code":"GLB_TRUNCATED","pointer":"","message":"the GLB header declares 10 bytes but the file has only 3: it was truncated","explanation":""}`},
		{`JSON.stringify(window.vitrineMerchant.parseProblem("warning UNUSED_OBJECT /meshes/1: unused"))`,
			`{"severity":"warning","code":"UNUSED_OBJECT","pointer":"/meshes/1","message":"unused","explanation":""}`},
		{`JSON.stringify(window.vitrineMerchant.parseProblem("the model measures 1 × 1 × 1 m"))`, `null`},
		{`window.vitrineMerchant.describePointer("/meshes/0/primitives/1/attributes/POSITION")`, `mesh 0 › primitive 1 › attributes › POSITION`},
		{`JSON.stringify(window.vitrineMerchant.parseLevelNote("level 2: 316 triangles, 334 vertices, 18140 bytes, poster difference 0.100"))`,
			`{"level":2,"triangles":316,"vertices":334,"sizeBytes":18140,"posterDifference":0.1}`},
		{`JSON.stringify(window.vitrineMerchant.parseLevelNote("the origin was moved by 0.010 m"))`, `null`},
		{`window.vitrineMerchant.fieldOfDetail("dimensions_m.w: must be a length in metres above 0 and at most 50")`, `dimensions_m.w`},
		{`window.vitrineMerchant.fieldOfDetail("frame: lens_width_mm must be 30-80")`, `frame`},
		{`window.vitrineMerchant.fieldOfDetail("something else")`, ``},
	}
	for _, tt := range tests {
		if got := eval(tt.expr); got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.expr, got, tt.want)
		}
	}
}

// checkDimsRow finds the dimensions row starting with prefix and checks its
// class.
func checkDimsRow(t *testing.T, rows, prefix, class string) {
	t.Helper()
	for _, row := range strings.Split(rows, "\n") {
		if strings.HasPrefix(row, prefix) {
			if !strings.HasSuffix(row, "|"+class) {
				t.Errorf("dimensions row %q: want class %q", row, class)
			}
			return
		}
	}
	t.Errorf("no dimensions row starting %q in:\n%s", prefix, rows)
}

// merchantProduct is the part of the merchant API's product the test reads.
type merchantProduct struct {
	Status  string `json:"status"`
	Version int64  `json:"version"`
	Model   struct {
		Key string `json:"key"`
	} `json:"model"`
}

func merchantRequest(t *testing.T, e *Env, method, sku string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, e.URL("/api/v1/products/"+sku), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.MerchantToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, sku, err)
	}
	return resp
}

func getProduct(t *testing.T, e *Env, sku string) merchantProduct {
	t.Helper()
	resp := merchantRequest(t, e, http.MethodGet, sku)
	defer resp.Body.Close()
	var p merchantProduct
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET product %s: %s", sku, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatalf("GET product %s: %v", sku, err)
	}
	return p
}

// deleteProduct removes the test's product so other tests see the seeded
// catalog only.
func deleteProduct(t *testing.T, e *Env, sku string) {
	resp := merchantRequest(t, e, http.MethodDelete, sku)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusNotFound {
		t.Errorf("DELETE %s: %s", sku, resp.Status)
	}
}
