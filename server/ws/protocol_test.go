package ws

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/vitrine-shop/vitrine/wire"
)

func TestHello(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name        string
		body        string
		wantCode    wire.Code // empty: a hello reply
		wantConsent string
	}{
		{"new session, default consent", `{"version":1}`, "", wire.ConsentNone},
		{"new session with analytics", `{"version":1,"consent":"analytics"}`, "", wire.ConsentAnalytics},
		{"new session with personalisation", `{"version":1,"consent":"personalisation","client":"viewer/1"}`, "", wire.ConsentPersonalisation},
		{"unknown fields are tolerated", `{"version":1,"future":{"x":1}}`, "", wire.ConsentNone},
		{"unknown session id starts a fresh one", `{"version":1,"session":"bm90LWEtc2Vzc2lvbg"}`, "", wire.ConsentNone},
		{"version too new", `{"version":2}`, wire.CodeUnsupportedVersion, ""},
		{"version missing", `{}`, wire.CodeUnsupportedVersion, ""},
		{"consent unknown", `{"version":1,"consent":"everything"}`, wire.CodeBadRequest, ""},
		{"version of the wrong type", `{"version":"1"}`, wire.CodeBadJSON, ""},
		{"session of the wrong type", `{"version":1,"session":7}`, wire.CodeBadJSON, ""},
		{"session id too long", `{"version":1,"session":"` + strings.Repeat("a", wire.MaxSessionBytes+1) + `"}`, wire.CodeTooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.dial(t)
			c.sendRaw(websocket.TextMessage, []byte(`{"type":"hello","id":"h1","body":`+tt.body+`}`))
			if tt.wantCode != "" {
				c.expectError("h1", tt.wantCode)
				// The session lives on and a correct hello still works.
				c.hello(wire.Hello{Version: wire.Version})
				return
			}
			var reply wire.HelloReply
			c.expect(wire.TypeHello, "h1", &reply)
			raw, err := base64.RawURLEncoding.DecodeString(reply.Session)
			if err != nil || len(raw) != 32 {
				t.Errorf("session %q is not 32 base64url bytes (err %v)", reply.Session, err)
			}
			if reply.Resumed {
				t.Error("a new session says resumed")
			}
			if reply.Consent != tt.wantConsent {
				t.Errorf("consent %q, want %q", reply.Consent, tt.wantConsent)
			}
			if reply.Version != wire.Version || reply.Limits != wire.CurrentLimits() {
				t.Errorf("reply version %d limits %+v, want %d %+v", reply.Version, reply.Limits, wire.Version, wire.CurrentLimits())
			}
		})
	}
}

func TestHelloResume(t *testing.T) {
	var clock *fakeClock
	f := newFixture(t, withClock(&clock), func(c *Config) { c.SessionTTL = time.Hour })

	first := f.dial(t)
	created := first.hello(wire.Hello{Version: wire.Version, Consent: wire.ConsentAnalytics})
	_ = first.ws.Close()
	waitFor(t, "the connection to end", func() bool { return f.hub.Sessions() == 0 })

	tests := []struct {
		name        string
		advance     time.Duration
		hello       wire.Hello
		wantResumed bool
		wantConsent string
	}{
		{"known id resumes and keeps consent", 30 * time.Minute, wire.Hello{Session: created.Session}, true, wire.ConsentAnalytics},
		{"hello may change consent", 30 * time.Minute, wire.Hello{Session: created.Session, Consent: wire.ConsentPersonalisation}, true, wire.ConsentPersonalisation},
		{"the changed consent is remembered", 59 * time.Minute, wire.Hello{Session: created.Session}, true, wire.ConsentPersonalisation},
		{"an expired id starts a fresh session", 61 * time.Minute, wire.Hello{Session: created.Session}, false, wire.ConsentNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock.Advance(tt.advance)
			c := f.dial(t)
			tt.hello.Version = wire.Version
			reply := c.hello(tt.hello)
			if reply.Resumed != tt.wantResumed || reply.Consent != tt.wantConsent {
				t.Errorf("resumed %v consent %q, want %v %q", reply.Resumed, reply.Consent, tt.wantResumed, tt.wantConsent)
			}
			if sameID := reply.Session == created.Session; sameID != tt.wantResumed {
				t.Errorf("session id reused = %v, want %v", sameID, tt.wantResumed)
			}
			// Disconnecting counts as a use: wait for it before the clock moves.
			_ = c.ws.Close()
			waitFor(t, "the connection to end", func() bool { return f.hub.Sessions() == 0 })
		})
	}
}

func TestMessagesBeforeHello(t *testing.T) {
	f := newFixture(t)
	c := f.dial(t)
	tests := []struct {
		typ  string
		body any
		want wire.Code
	}{
		{wire.TypeCatalogList, wire.CatalogList{}, wire.CodeBadRequest},
		{wire.TypeCatalogGet, wire.CatalogGet{SKU: "chair-1"}, wire.CodeBadRequest},
		{wire.TypeModelOpen, wire.ModelOpen{SKU: "chair-1"}, wire.CodeBadRequest},
		{wire.TypeModelCancel, wire.ModelCancel{Stream: 1}, wire.CodeBadRequest},
		{wire.TypeSearchImage, nil, wire.CodeBadRequest},
		{"teleport", nil, wire.CodeUnknownType},
	}
	for _, tt := range tests {
		c.send(tt.typ, "early", tt.body)
		werr := c.expectError("early", tt.want)
		if tt.want == wire.CodeBadRequest && werr.Message != "send hello first" {
			t.Errorf("%s before hello: message %q, want %q", tt.typ, werr.Message, "send hello first")
		}
	}
	c.hello(wire.Hello{Version: wire.Version})
	c.send(wire.TypeCatalogGet, "late", wire.CatalogGet{SKU: "chair-1"})
	c.expect(wire.TypeCatalogGet, "late", nil)
}

func TestMalformedMessagesKeepTheSession(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	tests := []struct {
		name   string
		frame  string
		wantID string
		want   wire.Code
	}{
		{"not JSON", `hello there`, "", wire.CodeBadJSON},
		{"truncated JSON", `{"type":"hello"`, "", wire.CodeBadJSON},
		{"array", `[{"type":"hello"}]`, "", wire.CodeBadJSON},
		{"string", `"catalog.list"`, "", wire.CodeBadJSON},
		{"empty", ``, "", wire.CodeBadJSON},
		{"invalid UTF-8", "{\"type\":\"\xff\"}", "", wire.CodeBadJSON},
		{"type of the wrong type", `{"type":5,"id":"a"}`, "", wire.CodeBadJSON},
		{"no type", `{"id":"b"}`, "b", wire.CodeBadRequest},
		{"type too long", `{"type":"` + strings.Repeat("x", wire.MaxTypeBytes+1) + `","id":"c"}`, "c", wire.CodeTooLarge},
		{"id too long", `{"type":"hello","id":"` + strings.Repeat("i", wire.MaxIDBytes+1) + `"}`, "", wire.CodeTooLarge},
		{"unknown type", `{"type":"teleport","id":"d"}`, "d", wire.CodeUnknownType},
		{"body not an object", `{"type":"catalog.list","id":"e","body":[1]}`, "e", wire.CodeBadJSON},
		{"field of the wrong type", `{"type":"catalog.list","id":"f","body":{"limit":"ten"}}`, "f", wire.CodeBadJSON},
		{"sku of the wrong type", `{"type":"catalog.get","id":"g","body":{"sku":12}}`, "g", wire.CodeBadJSON},
		{"stream of the wrong type", `{"type":"model.cancel","id":"h","body":{"stream":-1}}`, "h", wire.CodeBadJSON},
		{"text frame over its limit", `{"type":"catalog.list","pad":"` + strings.Repeat("p", wire.MaxTextFrameBytes) + `"}`, "", wire.CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(websocket.TextMessage, []byte(tt.frame))
			c.expectError(tt.wantID, tt.want)
			c.send(wire.TypeCatalogList, "after", wire.CatalogList{Limit: 1})
			c.expect(wire.TypeCatalogList, "after", nil)
		})
	}
}

func TestBinaryFramesFromClient(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	tests := []struct {
		name  string
		frame []byte
	}{
		{"shorter than a header", []byte{1, 2, 3}},
		{"unknown kind", wire.AppendFrame(nil, wire.FrameHeader{Kind: 9, Stream: 1}, []byte("x"))},
		{"upload chunk without an upload", wire.AppendFrame(nil, wire.FrameHeader{Kind: wire.FrameUploadChunk, Stream: 1}, []byte("jpeg"))},
		{"model chunk sent upstream", wire.AppendFrame(nil, wire.FrameHeader{Kind: wire.FrameModelChunk, Stream: 1}, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(websocket.BinaryMessage, tt.frame)
			c.expectError("", wire.CodeBadRequest)
			c.send(wire.TypeCatalogGet, "after", wire.CatalogGet{SKU: "lamp-1"})
			c.expect(wire.TypeCatalogGet, "after", nil)
		})
	}
}

func TestCatalogList(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	allCategories := []string{"chairs", "kitchen", "lighting", "storage", "tables"}
	const readyProducts = 34 // 30 mugs, chair, lamp, wardrobe, table; not the pending sofa
	tests := []struct {
		name       string
		req        wire.CatalogList
		wantCode   wire.Code
		wantSKUs   []string // checked when set
		wantCount  int
		wantTotal  int
		wantNext   int
		wantFirst  string
		wantAbsent string
	}{
		{name: "default page", req: wire.CatalogList{}, wantCount: wire.DefaultPageSize, wantTotal: readyProducts, wantNext: wire.DefaultPageSize, wantFirst: "big-1", wantAbsent: "sofa-1"},
		{name: "second page", req: wire.CatalogList{Offset: 24, Limit: 24}, wantCount: 10, wantTotal: readyProducts, wantNext: 0},
		{name: "limit and offset", req: wire.CatalogList{Category: "kitchen", Offset: 5, Limit: 3}, wantSKUs: []string{"mug-05", "mug-06", "mug-07"}, wantTotal: 30, wantNext: 8},
		{name: "category", req: wire.CatalogList{Category: "lighting"}, wantSKUs: []string{"lamp-1"}, wantTotal: 1},
		{name: "text is case-insensitive", req: wire.CatalogList{Query: "OAK"}, wantSKUs: []string{"chair-1", "table-1"}, wantTotal: 2},
		{name: "not-ready products are not listed", req: wire.CatalogList{Query: "sofa"}, wantSKUs: []string{}, wantTotal: 0},
		{name: "offset past the end", req: wire.CatalogList{Offset: 1000}, wantSKUs: []string{}, wantTotal: readyProducts},
		{name: "limit above the maximum is clamped", req: wire.CatalogList{Limit: 5000}, wantCount: readyProducts, wantTotal: readyProducts},
		{name: "negative offset", req: wire.CatalogList{Offset: -1}, wantCode: wire.CodeBadRequest},
		{name: "offset too large", req: wire.CatalogList{Offset: MaxListOffset + 1}, wantCode: wire.CodeBadRequest},
		{name: "negative limit", req: wire.CatalogList{Limit: -5}, wantCode: wire.CodeBadRequest},
		{name: "query too long", req: wire.CatalogList{Query: strings.Repeat("q", wire.MaxQueryBytes+1)}, wantCode: wire.CodeTooLarge},
		{name: "query at the limit", req: wire.CatalogList{Query: strings.Repeat("q", wire.MaxQueryBytes)}, wantSKUs: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.send(wire.TypeCatalogList, "l", tt.req)
			if tt.wantCode != "" {
				c.expectError("l", tt.wantCode)
				return
			}
			var reply wire.CatalogListReply
			c.expect(wire.TypeCatalogList, "l", &reply)
			var skus []string
			for _, p := range reply.Products {
				skus = append(skus, p.SKU)
				if p.Status != wire.StatusReady {
					t.Errorf("listed %s with status %s", p.SKU, p.Status)
				}
				if p.Name == "" || p.Category == "" || p.PosterURL == "" || p.DimensionsM.W == 0 {
					t.Errorf("product %s lacks required fields: %+v", p.SKU, p)
				}
				if p.SKU == tt.wantAbsent {
					t.Errorf("%s is listed", p.SKU)
				}
			}
			if tt.wantSKUs != nil && strings.Join(skus, ",") != strings.Join(tt.wantSKUs, ",") {
				t.Errorf("skus %v, want %v", skus, tt.wantSKUs)
			}
			if tt.wantSKUs == nil && len(skus) != tt.wantCount {
				t.Errorf("%d products, want %d", len(skus), tt.wantCount)
			}
			if tt.wantFirst != "" && (len(skus) == 0 || skus[0] != tt.wantFirst) {
				t.Errorf("first product %v, want %s (sorted by name)", skus, tt.wantFirst)
			}
			if reply.Total != tt.wantTotal || reply.NextOffset != tt.wantNext {
				t.Errorf("total %d next %d, want %d %d", reply.Total, reply.NextOffset, tt.wantTotal, tt.wantNext)
			}
			if strings.Join(reply.Categories, ",") != strings.Join(allCategories, ",") {
				t.Errorf("categories %v, want %v", reply.Categories, allCategories)
			}
		})
	}
}

func TestCatalogGet(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	tests := []struct {
		name       string
		body       string
		wantCode   wire.Code
		wantStatus string
		wantBytes  int64
	}{
		{"ready product", `{"sku":"chair-1"}`, "", wire.StatusReady, int64(len(chairModel))},
		{"pending product is still returned", `{"sku":"sofa-1"}`, "", wire.StatusPending, 0},
		{"unknown product", `{"sku":"ghost-1"}`, wire.CodeNotFound, "", 0},
		{"missing sku", `{}`, wire.CodeBadRequest, "", 0},
		{"malformed sku", `{"sku":"../etc/passwd"}`, wire.CodeBadRequest, "", 0},
		{"sku too long", `{"sku":"` + strings.Repeat("s", 65) + `"}`, wire.CodeBadRequest, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.sendRaw(websocket.TextMessage, []byte(`{"type":"catalog.get","id":"g","body":`+tt.body+`}`))
			if tt.wantCode != "" {
				c.expectError("g", tt.wantCode)
				return
			}
			var reply wire.CatalogGetReply
			c.expect(wire.TypeCatalogGet, "g", &reply)
			if reply.Product.Status != tt.wantStatus || reply.Product.ModelBytes != tt.wantBytes {
				t.Errorf("status %s model bytes %d, want %s %d", reply.Product.Status, reply.Product.ModelBytes, tt.wantStatus, tt.wantBytes)
			}
		})
	}
}

func TestCatalogFailureIsInternal(t *testing.T) {
	f := newFixture(t)
	c := f.greeted(t)
	f.catalog.mu.Lock()
	f.catalog.err = errInjected
	f.catalog.mu.Unlock()
	c.send(wire.TypeCatalogList, "x", nil)
	werr := c.expectError("x", wire.CodeInternal)
	if strings.Contains(werr.Message, errInjected.Error()) {
		t.Errorf("internal error leaks its cause: %q", werr.Message)
	}
}
