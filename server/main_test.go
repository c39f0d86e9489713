package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/vitrine-shop/vitrine/server/blob/s3store"
	"github.com/vitrine-shop/vitrine/server/gltf/gltftest"
	"github.com/vitrine-shop/vitrine/server/internal/miniotest"
	"github.com/vitrine-shop/vitrine/wire"
)

// The test binary doubles as the vitrine binary: with this variable set,
// TestMain runs the command line instead of the tests, so the process
// tests below start, signal and kill real server processes.
const runMainEnv = "VITRINE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	code := m.Run()
	miniotest.StopShared()
	os.Exit(code)
}

const testToken = "test-token-123456"

// proc is a vitrine server running as a child process.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	logs *syncBuffer
	done chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs `vitrine serve` with args and waits for /readyz.
func startServer(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	addr := freeAddr(t)
	web := t.TempDir()
	if err := os.WriteFile(filepath.Join(web, "index.html"), []byte("<!doctype html><title>Vitrine</title>"), 0o644); err != nil {
		t.Fatal(err)
	}
	full := append([]string{"serve", "-addr", addr, "-web", web, "-wal-dir", t.TempDir(), "-merchant-tokens", "m1=" + testToken, "-log-format", "json"}, args...)
	cmd := exec.Command(os.Args[0], full...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1"), env...)
	p := &proc{t: t, cmd: cmd, base: "http://" + addr, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("server %s logs:\n%s", addr, p.logs.String())
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			t.Fatalf("server exited during start: %v\n%s", err, p.logs.String())
		default:
		}
		if res, err := http.Get(p.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server not ready within 60s:\n%s", p.logs.String())
	return nil
}

func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

func (p *proc) api(method, path string, body io.Reader) (int, []byte) {
	p.t.Helper()
	req, _ := http.NewRequest(method, p.base+path, body)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if method == "POST" && strings.HasSuffix(path, "/products") {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

// wsClient speaks vitrine.v1 to a server.
type wsClient struct {
	t    *testing.T
	conn *websocket.Conn
	n    int
}

func dial(t *testing.T, base string) *wsClient {
	t.Helper()
	d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}, HandshakeTimeout: 5 * time.Second}
	conn, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &wsClient{t: t, conn: conn}
	c.call(wire.TypeHello, wire.Hello{Version: wire.Version, Consent: wire.ConsentNone}, nil)
	return c
}

// call sends a request and decodes the reply body into out; an error reply fails the test.
func (c *wsClient) call(typ string, body, out any) {
	c.t.Helper()
	c.n++
	id := fmt.Sprint(c.n)
	frame, err := wire.Encode(typ, id, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if err := c.conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		c.t.Fatal(err)
	}
	env := c.next()
	if env.Type == wire.TypeError || env.ID != id {
		c.t.Fatalf("%s: got %s %s", typ, env.Type, env.Body)
	}
	if out != nil {
		if err := json.Unmarshal(env.Body, out); err != nil {
			c.t.Fatal(err)
		}
	}
}

func (c *wsClient) next() wire.Envelope {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	kind, data, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatal(err)
	}
	if kind != websocket.TextMessage {
		c.t.Fatalf("got a binary frame; want text")
	}
	env, e := wire.DecodeEnvelope(data)
	if e != nil {
		c.t.Fatal(e)
	}
	return env
}

// fetchModel streams a product's model and returns its bytes, checked
// against the announced size and SHA-256.
func (c *wsClient) fetchModel(sku string) []byte {
	c.t.Helper()
	var meta wire.ModelMeta
	c.call(wire.TypeModelOpen, wire.ModelOpen{SKU: sku}, &meta)
	var model []byte
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		kind, data, err := c.conn.ReadMessage()
		if err != nil {
			c.t.Fatal(err)
		}
		if kind == websocket.BinaryMessage {
			h, payload, e := wire.DecodeFrame(data)
			if e != nil || h.Stream != meta.Stream {
				c.t.Fatalf("frame %+v %v", h, e)
			}
			model = append(model, payload...)
			continue
		}
		env, e := wire.DecodeEnvelope(data)
		if e != nil || env.Type != wire.TypeModelDone {
			c.t.Fatalf("got %s %s during stream", env.Type, env.Body)
		}
		break
	}
	sum := sha256.Sum256(model)
	if int64(len(model)) != meta.SizeBytes || hex.EncodeToString(sum[:]) != meta.SHA256 {
		c.t.Fatalf("model of %d bytes does not match meta (%d bytes, sha %s)", len(model), meta.SizeBytes, meta.SHA256)
	}
	return model
}

// waitReady polls the merchant API until sku is ready (bounded).
func waitReady(t *testing.T, p *proc, sku string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, body := p.api("GET", "/api/v1/products/"+sku, nil)
		if code == 200 && strings.Contains(string(body), `"status": "ready"`) {
			return
		}
		if code != 200 || strings.Contains(string(body), `"status": "failed"`) || time.Now().After(deadline) {
			t.Fatalf("%s never became ready: %d %s", sku, code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func createProduct(t *testing.T, p *proc, sku string) {
	t.Helper()
	body := `{"sku":"` + sku + `","name":"Box ` + sku + `","category":"boxes","price":5,"currency":"EUR","dimensions_m":{"w":0.4,"h":0.3,"d":0.2},"placement":"floor"}`
	if code, b := p.api("POST", "/api/v1/products", strings.NewReader(body)); code != 201 {
		t.Fatalf("create %s: %d %s", sku, code, b)
	}
}

// TestTwoServersOneMinIO: two servers on one bucket serve one catalog; a
// product created and uploaded through one is listed, described and
// streamed by the other.
func TestTwoServersOneMinIO(t *testing.T) {
	mc := miniotest.Shared(t)
	bucket := mc.NewBucket(t)
	env := []string{"VITRINE_S3_ENDPOINT=" + mc.Endpoint, "VITRINE_S3_ACCESS_KEY=" + mc.AccessKey,
		"VITRINE_S3_SECRET_KEY=" + mc.SecretKey, "VITRINE_S3_BUCKET=" + bucket}
	a := startServer(t, env, "-seed=false", "-refresh", "200ms")
	b := startServer(t, env, "-seed=false", "-refresh", "200ms")

	createProduct(t, a, "box-1")
	glb := gltftest.Box(t, 0.4, 0.3, 0.2)
	if code, body := a.api("PUT", "/api/v1/products/box-1/model", bytes.NewReader(glb)); code != 202 {
		t.Fatalf("upload via a: %d %s", code, body)
	}
	// b answers the merchant API for it (it reads through to the store),
	// and sees the processing a's worker finishes.
	waitReady(t, b, "box-1")
	// … and lists it to shoppers once its refresh has run.
	cb := dial(t, b.base)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var page wire.CatalogListReply
		cb.call(wire.TypeCatalogList, wire.CatalogList{}, &page)
		if page.Total == 1 && page.Products[0].SKU == "box-1" && page.Products[0].Status == wire.StatusReady {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b lists %+v; want box-1", page)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var page wire.CatalogListReply
	cb.call(wire.TypeCatalogList, wire.CatalogList{}, &page)
	got := cb.fetchModel("box-1")
	if int64(len(got)) != page.Products[0].ModelBytes || !bytes.HasPrefix(got, []byte("glTF")) {
		t.Fatalf("b streamed %d bytes; the catalog says %d", len(got), page.Products[0].ModelBytes)
	}
	// A delete on b disappears from a.
	if code, body := b.api("DELETE", "/api/v1/products/box-1", nil); code != 204 {
		t.Fatalf("delete via b: %d %s", code, body)
	}
	ca := dial(t, a.base)
	deadline = time.Now().Add(10 * time.Second)
	for {
		var page wire.CatalogListReply
		ca.call(wire.TypeCatalogList, wire.CatalogList{}, &page)
		if page.Total == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a still lists %+v after the delete on b", page.Products)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := s3store.New(context.Background(), s3store.Config{Endpoint: mc.Endpoint, AccessKey: mc.AccessKey, SecretKey: mc.SecretKey, Bucket: bucket})
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := st.List(context.Background(), "products/box-1/"); len(left) != 0 {
		t.Fatalf("delete left %v in the bucket", left)
	}
}

// TestKillMidUpload: a server killed with SIGKILL while a model upload is
// half-sent leaves no half product: after a restart the product is as it
// was before the upload and no file of it is stored.
func TestKillMidUpload(t *testing.T) {
	for _, store := range []string{"fs", "s3"} {
		t.Run(store, func(t *testing.T) {
			var args, env []string
			data := t.TempDir()
			if store == "fs" {
				args = []string{"-data", data}
			} else {
				mc := miniotest.Shared(t)
				env = []string{"VITRINE_S3_ENDPOINT=" + mc.Endpoint, "VITRINE_S3_ACCESS_KEY=" + mc.AccessKey,
					"VITRINE_S3_SECRET_KEY=" + mc.SecretKey, "VITRINE_S3_BUCKET=" + mc.NewBucket(t)}
			}
			args = append(args, "-seed=false")
			p := startServer(t, env, args...)
			createProduct(t, p, "box-2")
			glb := gltftest.Box(t, 0.4, 0.3, 0.2)

			pr, pw := io.Pipe()
			req, _ := http.NewRequest("PUT", p.base+"/api/v1/products/box-2/model", pr)
			req.Header.Set("Authorization", "Bearer "+testToken)
			req.ContentLength = int64(len(glb))
			sent := make(chan error, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
					err = fmt.Errorf("upload finished with %d", res.StatusCode)
				}
				sent <- err
			}()
			if _, err := pw.Write(glb[:len(glb)/2]); err != nil {
				t.Fatal(err)
			}
			time.Sleep(200 * time.Millisecond) // the server is now reading the body
			p.kill()
			pw.Close()
			if err := <-sent; err == nil || strings.Contains(err.Error(), "finished") {
				t.Fatalf("upload outcome %v; want a broken connection", err)
			}

			p2 := startServer(t, env, args...)
			code, body := p2.api("GET", "/api/v1/products/box-2", nil)
			var got struct {
				Status  string `json:"status"`
				Version int64  `json:"version"`
				Model   any    `json:"model"`
			}
			if err := json.Unmarshal(body, &got); code != 200 || err != nil {
				t.Fatalf("after restart: %d %s", code, body)
			}
			if got.Status != wire.StatusPending || got.Version != 1 || got.Model != nil {
				t.Fatalf("after restart the product is %+v; want it untouched (pending, version 1, no model)", got)
			}
			if store == "fs" {
				var files []string
				_ = filepath.WalkDir(data, func(path string, d os.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						files = append(files, strings.TrimPrefix(path, data))
					}
					return nil
				})
				for _, f := range files {
					if !strings.HasPrefix(f, "/catalog/") {
						t.Errorf("left behind %s", f)
					}
				}
			}
			// The product still accepts a complete upload.
			if code, body := p2.api("PUT", "/api/v1/products/box-2/model", bytes.NewReader(glb)); code != 202 {
				t.Fatalf("upload after restart: %d %s", code, body)
			}
			waitReady(t, p2, "box-2")
		})
	}
}

// TestGracefulShutdown: SIGTERM closes WebSocket sessions with 1001 and the
// process exits 0.
func TestGracefulShutdown(t *testing.T) {
	p := startServer(t, nil, "-data", t.TempDir(), "-seed=false")
	c := dial(t, p.base)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = c.conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, _, err := c.conn.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("session ended with %v; want close 1001", err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, p.logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
	if !strings.Contains(p.logs.String(), "vitrine: stopped") {
		t.Fatalf("no clean stop in logs:\n%s", p.logs.String())
	}
}

func TestAssetCheckCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "box.glb")
	if err := os.WriteFile(good, gltftest.Box(t, 1, 1, 1), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.glb")
	glb := gltftest.Box(t, 1, 1, 1)
	if err := os.WriteFile(bad, glb[:len(glb)-9], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args      []string
		code      int
		wantLines bool
	}{
		{[]string{"asset", "check", good}, 0, false},
		{[]string{"asset", "check", bad}, 1, true},
		{[]string{"asset", "check"}, 2, false},
		{[]string{"asset", "check", filepath.Join(dir, "missing.glb")}, 2, false},
		{[]string{"asset", "frobnicate", good}, 2, false},
		{[]string{"nonsense"}, 2, false},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(tt.args, &stdout, &stderr); code != tt.code {
			t.Errorf("vitrine %v exited %d; want %d\nstdout: %s\nstderr: %s", tt.args, code, tt.code, &stdout, &stderr)
		}
		if tt.wantLines {
			sc := bufio.NewScanner(&stdout)
			n := 0
			for sc.Scan() {
				if !strings.HasPrefix(sc.Text(), "error ") && !strings.HasPrefix(sc.Text(), "warning ") && !strings.HasPrefix(sc.Text(), "info ") {
					t.Errorf("problem line %q does not start with its severity", sc.Text())
				}
				n++
			}
			if n == 0 {
				t.Errorf("vitrine %v printed no problem lines", tt.args)
			}
		}
	}
}

func TestServeFlagsFromEnv(t *testing.T) {
	env := map[string]string{"VITRINE_ADDR": ":9999", "VITRINE_S3_ENDPOINT": "minio:9000", "VITRINE_SEED": "false", "VITRINE_LOG_LEVEL": "debug"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := parseServeFlags([]string{"-addr", ":7000"}, lookup, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != ":7000" {
		t.Errorf("flag did not win over env: %s", cfg.Addr)
	}
	if cfg.S3.Endpoint != "minio:9000" || cfg.Seed || cfg.LogLevel.String() != "DEBUG" {
		t.Errorf("env not applied: %+v", cfg)
	}
	for _, bad := range []map[string]string{{"VITRINE_SEED": "maybe"}, {"VITRINE_REFRESH": "1ms"}, {"VITRINE_LOG_FORMAT": "xml"}} {
		lookup := func(k string) (string, bool) { v, ok := bad[k]; return v, ok }
		if _, err := parseServeFlags(nil, lookup, io.Discard); err == nil {
			t.Errorf("env %v accepted", bad)
		}
	}
}

// TestReadmeCurlExamples runs the README's merchant API examples, as
// written, against a real server, so the README stays true.
func TestReadmeCurlExamples(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("curl is not installed")
		}
		t.Skip("curl is not installed")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Merchant API")
	if !ok {
		t.Fatal("README has no Merchant API section")
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 || !strings.Contains(block, "curl") {
		t.Fatal("README's Merchant API section has no sh block with curl")
	}
	p := startServer(t, nil, "-data", t.TempDir(), "-seed=false", "-merchant-tokens", "demo=demo-token-change-me")
	script := strings.ReplaceAll(block, "localhost:8080", strings.TrimPrefix(p.base, "http://"))
	// -f turns an HTTP error into a failed command.
	script = "set -euo pipefail\ncurl() { command curl -fsS \"$@\"; }\n" + script
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = ".."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("README examples failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"status": "ready"`, `"poster_key"`, `"total": 1`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("README examples' output lacks %s:\n%s", want, out)
		}
	}
}

func TestEvalRecsCommand(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"eval", "recs", "-products", "200", "-sessions", "300"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	for _, want := range []string{"HitRate@10", "NDCG@10", "blend", "popular"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &stdout)
		}
	}
	for _, args := range [][]string{{"eval"}, {"eval", "nope"}, {"eval", "recs", "-products", "1"}} {
		if code := run(args, io.Discard, io.Discard); code != 2 {
			t.Errorf("vitrine %v exited %d; want 2", args, code)
		}
	}
}

// TestSignalsSurviveKill is the kill -9 test of the signal log, end to
// end: a client sends events over the WebSocket while the server is killed
// with SIGKILL at random moments and restarted; the client resends what
// was not acknowledged (same ids) and resumes its session. Every
// acknowledged event must be stored exactly once.
func TestSignalsSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts servers")
	}
	args := []string{"-data", t.TempDir(), "-wal-dir", t.TempDir(), "-seed=false"}
	rng := rand.New(rand.NewPCG(7, 11))
	const total, batchSize, maxKills = 240, 8, 5
	p := startServer(t, nil, args...)
	var (
		session string
		conn    *websocket.Conn
		acked   = map[string]bool{}
		pending []wire.Event
		next    int
		kills   int
		msgID   int
	)
	connect := func() {
		t.Helper()
		d := websocket.Dialer{Subprotocols: []string{wire.Subprotocol}, HandshakeTimeout: 5 * time.Second}
		c, _, err := d.Dial("ws"+strings.TrimPrefix(p.base, "http")+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		conn = c
		msgID++
		frame, _ := wire.Encode(wire.TypeHello, fmt.Sprint(msgID), wire.Hello{Version: wire.Version, Consent: wire.ConsentAnalytics, Session: session})
		if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
			t.Fatal(err)
		}
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatal(err)
		}
		env, _ := wire.DecodeEnvelope(data)
		var hello wire.HelloReply
		if err := json.Unmarshal(env.Body, &hello); err != nil || env.Type != wire.TypeHello {
			t.Fatalf("hello: %s %s", env.Type, env.Body)
		}
		if session != "" && (hello.Session != session || !hello.Resumed) {
			t.Fatalf("session not resumed after a restart: got %q resumed=%v", hello.Session, hello.Resumed)
		}
		session = hello.Session
	}
	connect()
	for next < total || len(pending) > 0 {
		if len(pending) == 0 {
			for ; len(pending) < batchSize && next < total; next++ {
				pending = append(pending, wire.Event{ID: fmt.Sprintf("e%04d", next), Type: wire.EventProductView, SKU: "box-1", T: time.Now().UnixMilli()})
			}
		}
		msgID++
		frame, _ := wire.Encode(wire.TypeSignal, fmt.Sprint(msgID), wire.Signal{Events: pending})
		killed := make(chan struct{})
		if kills < maxKills && rng.IntN(4) == 0 {
			kills++
			delay := time.Duration(rng.IntN(3000)) * time.Microsecond
			go func() { time.Sleep(delay); p.kill(); close(killed) }()
		} else {
			close(killed)
		}
		var ack wire.SignalAck
		err := conn.WriteMessage(websocket.TextMessage, frame)
		if err == nil {
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			var data []byte
			if _, data, err = conn.ReadMessage(); err == nil {
				env, _ := wire.DecodeEnvelope(data)
				if env.Type != wire.TypeSignalAck {
					t.Fatalf("signal answered with %s %s", env.Type, env.Body)
				}
				if err := json.Unmarshal(env.Body, &ack); err != nil {
					t.Fatal(err)
				}
			}
		}
		<-killed
		if err == nil {
			for _, id := range ack.IDs {
				acked[id] = true
			}
			pending = nil
		}
		if p.cmd.ProcessState != nil { // killed: restart on the same data and resend
			conn.Close()
			p = startServer(t, nil, args...)
			connect()
		}
	}
	if kills == 0 {
		t.Fatal("the seeded schedule killed nothing")
	}
	msgID++
	frame, _ := wire.Encode(wire.TypePrivacyExport, fmt.Sprint(msgID), nil)
	if err := conn.WriteMessage(websocket.TextMessage, frame); err != nil {
		t.Fatal(err)
	}
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	env, _ := wire.DecodeEnvelope(data)
	var export wire.PrivacyExportReply
	if err := json.Unmarshal(env.Body, &export); err != nil {
		t.Fatalf("export: %s %s", env.Type, env.Body)
	}
	stored := map[string]int{}
	for _, e := range export.Events {
		stored[e.ID]++
	}
	for id := range acked {
		if stored[id] != 1 {
			t.Errorf("acknowledged event %s is stored %d times", id, stored[id])
		}
	}
	for id, n := range stored {
		if n > 1 {
			t.Errorf("event %s is stored %d times", id, n)
		}
	}
	if len(acked) != total {
		t.Errorf("%d of %d events acknowledged", len(acked), total)
	}
	t.Logf("%d events, %d kills, %d stored", total, kills, len(stored))
}

func TestAssetProcessCommand(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "box.glb")
	if err := os.WriteFile(model, gltftest.Box(t, 40, 30, 20), 0o644); err != nil { // authored in centimetres
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"asset", "process", model, "-o", out, "-dims", "0.4,0.3,0.2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s %s", code, &stdout, &stderr)
	}
	for _, name := range []string{"lod0.glb", "poster.png", "view-0.png", "view-7.png", "shapes.png", "report.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	var report struct {
		Unit        string          `json:"unit"`
		NormalisedM wire.Dimensions `json:"normalised_m"`
	}
	data, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	if math.Abs(report.NormalisedM.W-0.4) > 1e-6 || !strings.Contains(strings.ToLower(report.Unit), "c") {
		t.Errorf("report %s; want the centimetre model detected and scaled to 0.4 m", data)
	}
	// Refused and unusable runs write nothing.
	bad := filepath.Join(dir, "bad.glb")
	if err := os.WriteFile(bad, []byte("glTF not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"asset", "process", bad, "-o", filepath.Join(dir, "o2")}, 1},
		{[]string{"asset", "process", model, "-o", out}, 2},
		{[]string{"asset", "process", model, "-o", filepath.Join(dir, "o3"), "-dims", "1,2"}, 2},
		{[]string{"asset", "process", model}, 2},
	} {
		if code := run(tt.args, io.Discard, io.Discard); code != tt.code {
			t.Errorf("vitrine %v exited %d; want %d", tt.args, code, tt.code)
		}
	}
	for _, o := range []string{"o2", "o3"} {
		if _, err := os.Stat(filepath.Join(dir, o)); !os.IsNotExist(err) {
			t.Errorf("%s written by a failed run", o)
		}
	}
}

func TestEvalSearchCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("embeds the whole evaluation set")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"eval", "search", "-gallery", "vsearch/testdata/eval/gallery", "-queries", "vsearch/testdata/eval/queries"}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	for _, want := range []string{"R@1", "mAP", "vitrine-desc", "hsv-hist"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, &stdout)
		}
	}
	if code := run([]string{"eval", "search", "-gallery", t.TempDir()}, io.Discard, io.Discard); code == 0 {
		t.Error("an empty gallery evaluated without error")
	}
}
