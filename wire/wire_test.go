package wire

import (
	"bytes"
	"encoding/json"
	"go/build"
	"strings"
	"testing"
)

func TestDecodeEnvelope(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		code  Code // "" means valid
		typ   string
	}{
		{"valid", `{"type":"hello","id":"1","body":{"version":1}}`, "", "hello"},
		{"no body", `{"type":"catalog.list","id":"2"}`, "", "catalog.list"},
		{"null body", `{"type":"catalog.list","body":null}`, "", "catalog.list"},
		{"unknown fields tolerated", `{"type":"hello","future":true,"body":{"version":1,"x":2}}`, "", "hello"},
		{"leading space", "  \n{\"type\":\"hello\"}", "", "hello"},
		{"empty", ``, CodeBadJSON, ""},
		{"array", `[1,2]`, CodeBadJSON, ""},
		{"string", `"hello"`, CodeBadJSON, ""},
		{"truncated", `{"type":"hel`, CodeBadJSON, ""},
		{"no type", `{"id":"1"}`, CodeBadRequest, ""},
		{"type not string", `{"type":5}`, CodeBadJSON, ""},
		{"body not object", `{"type":"hello","body":[1]}`, CodeBadJSON, ""},
		{"body a number", `{"type":"hello","body":7}`, CodeBadJSON, ""},
		{"long id", `{"type":"hello","id":"` + strings.Repeat("x", MaxIDBytes+1) + `"}`, CodeTooLarge, ""},
		{"long type", `{"type":"` + strings.Repeat("x", MaxTypeBytes+1) + `"}`, CodeTooLarge, ""},
		{"invalid utf8", "{\"type\":\"\xff\"}", CodeBadJSON, ""},
		{"oversize", `{"type":"hello","body":{"pad":"` + strings.Repeat("x", MaxTextFrameBytes) + `"}}`, CodeTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := DecodeEnvelope([]byte(tt.frame))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("DecodeEnvelope(%q) error %v; want none", tt.frame, err)
				}
				if env.Type != tt.typ {
					t.Fatalf("type = %q; want %q", env.Type, tt.typ)
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeEnvelope(%q) = %+v; want error %s", tt.frame, env, tt.code)
			}
			if err.Code != tt.code {
				t.Fatalf("DecodeEnvelope(%q) code %s (%s); want %s", tt.frame, err.Code, err.Message, tt.code)
			}
		})
	}
}

func TestDecodeBody(t *testing.T) {
	env, _ := DecodeEnvelope([]byte(`{"type":"model.open","body":{"sku":"chair-1","from_chunk":3,"unknown":1}}`))
	var m ModelOpen
	if err := DecodeBody(env, &m); err != nil {
		t.Fatal(err)
	}
	if m.SKU != "chair-1" || m.FromChunk != 3 {
		t.Fatalf("decoded %+v", m)
	}
	env, _ = DecodeEnvelope([]byte(`{"type":"model.open","body":{"sku":5}}`))
	err := DecodeBody(env, &m)
	if err == nil || err.Code != CodeBadJSON || !strings.Contains(err.Message, `"sku"`) {
		t.Fatalf("wrong field type gave %v; want bad_json naming sku", err)
	}
	env, _ = DecodeEnvelope([]byte(`{"type":"catalog.list"}`))
	var q CatalogList
	if err := DecodeBody(env, &q); err != nil || q != (CatalogList{}) {
		t.Fatalf("absent body gave %+v, %v", q, err)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	frame, err := Encode(TypeHello, "7", HelloReply{Version: Version, Session: "s", Limits: CurrentLimits()})
	if err != nil {
		t.Fatal(err)
	}
	env, derr := DecodeEnvelope(frame)
	if derr != nil {
		t.Fatal(derr)
	}
	var r HelloReply
	if derr := DecodeBody(env, &r); derr != nil {
		t.Fatal(derr)
	}
	if env.ID != "7" || r.Session != "s" || r.Limits.ChunkSize != ChunkSize {
		t.Fatalf("round trip gave %+v %+v", env, r)
	}
	// The fixed field names of ARCHITECTURE.md.
	var raw map[string]any
	if err := json.Unmarshal(env.Body, &raw); err != nil {
		t.Fatal(err)
	}
	if _, ok := raw["session"]; !ok {
		t.Fatalf("hello reply body lacks \"session\": %s", env.Body)
	}
	if _, err := Encode("x", "", func() {}); err == nil {
		t.Fatal("Encode of an unencodable body succeeded")
	}
}

func TestProductFieldNames(t *testing.T) {
	b, _ := json.Marshal(CatalogListReply{Products: []Product{{SKU: "a", PosterURL: "/p.jpg"}}})
	for _, field := range []string{`"products"`, `"sku"`, `"name"`, `"category"`, `"dimensions_m"`, `"poster_url"`} {
		if !bytes.Contains(b, []byte(field)) {
			t.Errorf("catalog.list reply lacks %s: %s", field, b)
		}
	}
}

func TestFrames(t *testing.T) {
	h := FrameHeader{Kind: FrameModelChunk, Stream: 0xdeadbeef, Index: 42}
	frame := AppendFrame(nil, h, []byte("payload"))
	if len(frame) != FrameHeaderSize+7 {
		t.Fatalf("frame is %d bytes", len(frame))
	}
	got, payload, err := DecodeFrame(frame)
	if err != nil || got != h || string(payload) != "payload" {
		t.Fatalf("DecodeFrame = %+v %q %v", got, payload, err)
	}
	for _, bad := range [][]byte{nil, {1, 2, 3}, AppendFrame(nil, FrameHeader{Kind: 9}, nil)} {
		if _, _, err := DecodeFrame(bad); err == nil || err.Code != CodeBadRequest {
			t.Errorf("DecodeFrame(%v) = %v; want bad_request", bad, err)
		}
	}
	if _, p, err := DecodeFrame(AppendFrame(nil, FrameHeader{Kind: FrameUploadChunk}, nil)); err != nil || len(p) != 0 {
		t.Errorf("empty payload: %v %v", p, err)
	}
}

func TestChunkCount(t *testing.T) {
	for _, tt := range []struct {
		size int64
		want int
	}{{0, 0}, {-1, 0}, {1, 1}, {ChunkSize, 1}, {ChunkSize + 1, 2}, {10 * ChunkSize, 10}} {
		if got := ChunkCount(tt.size); got != tt.want {
			t.Errorf("ChunkCount(%d) = %d; want %d", tt.size, got, tt.want)
		}
	}
}

func TestLimitsConsistent(t *testing.T) {
	if MaxReadBytes() < MaxTextFrameBytes || MaxReadBytes() < MaxBinaryFrameBytes {
		t.Fatal("read limit below a frame limit")
	}
	if PingPeriod >= PongWait {
		t.Fatal("ping period must be shorter than pong wait")
	}
	if DefaultPageSize > MaxPageSize {
		t.Fatal("default page over the maximum")
	}
}

func TestValidPlacement(t *testing.T) {
	for _, p := range Placements {
		if !ValidPlacement(p) {
			t.Errorf("%s not valid", p)
		}
	}
	for _, p := range []string{"", "ceiling", "Floor"} {
		if ValidPlacement(p) {
			t.Errorf("%q valid", p)
		}
	}
}

// TestStandardLibraryOnly keeps the contract importable by both ends.
func TestStandardLibraryOnly(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range append(pkg.Imports, pkg.TestImports...) {
		if strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") || imp == "net/http" || imp == "syscall/js" {
			t.Errorf("wire imports %s; it must use the standard library only (and not net/http or syscall/js)", imp)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"type":"hello","id":"1","body":{"version":1,"consent":"none"}}`,
		`{"type":"model.open","body":{"sku":"x","from_chunk":2}}`,
		`{"type":"catalog.list","body":{"query":"chair","limit":5}}`,
		`{}`, `[]`, ``, `{"type":"`,
	} {
		f.Add([]byte(seed))
	}
	f.Add(AppendFrame(nil, FrameHeader{Kind: FrameUploadChunk, Stream: 1, Index: 2}, []byte("x")))
	f.Fuzz(func(t *testing.T, data []byte) {
		if h, payload, err := DecodeFrame(data); err == nil {
			again := AppendFrame(nil, h, payload)
			if !bytes.Equal(again, data) {
				t.Fatalf("frame round trip changed bytes")
			}
		}
		env, err := DecodeEnvelope(data)
		if err != nil {
			if err.Code == "" || err.Message == "" {
				t.Fatalf("error without code or message: %+v", err)
			}
			return
		}
		if env.Type == "" || len(env.ID) > MaxIDBytes {
			t.Fatalf("accepted envelope breaks limits: %+v", env)
		}
		for _, v := range []any{&Hello{}, &CatalogList{}, &ModelOpen{}, &CatalogGet{}} {
			_ = DecodeBody(env, v)
		}
		if _, err := Encode(env.Type, env.ID, env.Body); err != nil {
			t.Fatalf("re-encode of accepted envelope failed: %v", err)
		}
	})
}
