package httpapi

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"

	"github.com/vitrine-shop/vitrine/server/assetpipe"
	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

// Tokens maps merchant bearer tokens to merchant ids.
type Tokens map[string]string

// MinTokenBytes is the shortest accepted merchant token.
const MinTokenBytes = 8

// ParseTokens reads "merchantA=tokenA,merchantB=tokenB" (commas or
// newlines between pairs; '#' starts a comment line) into Tokens.
func ParseTokens(spec string) (Tokens, error) {
	t := Tokens{}
	sc := bufio.NewScanner(strings.NewReader(strings.ReplaceAll(spec, ",", "\n")))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		merchant, token, ok := strings.Cut(line, "=")
		merchant, token = strings.TrimSpace(merchant), strings.TrimSpace(token)
		if !ok || merchant == "" || !catalog.ValidSKU(merchant) {
			return nil, fmt.Errorf("httpapi: merchant token %q: want merchant=token with a merchant id of letters, digits, '.', '_' or '-'", line)
		}
		if len(token) < MinTokenBytes {
			return nil, fmt.Errorf("httpapi: merchant %s: token must be at least %d characters", merchant, MinTokenBytes)
		}
		if _, dup := t[token]; dup {
			return nil, fmt.Errorf("httpapi: merchant %s: token is already given to another merchant", merchant)
		}
		t[token] = merchant
	}
	return t, nil
}

// LoadTokens merges the tokens in spec and in the file at path (either may
// be empty).
func LoadTokens(spec, path string) (Tokens, error) {
	t, err := ParseTokens(spec)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return t, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("httpapi: merchant tokens file: %w", err)
	}
	more, err := ParseTokens(string(data))
	if err != nil {
		return nil, fmt.Errorf("httpapi: merchant tokens file %s: %w", path, err)
	}
	for tok, m := range more {
		if other, dup := t[tok]; dup && other != m {
			return nil, fmt.Errorf("httpapi: merchant %s: token is already given to %s", m, other)
		}
		t[tok] = m
	}
	return t, nil
}

// lookup finds the merchant for token, comparing in constant time against
// every known token.
func (t Tokens) lookup(token string) (string, bool) {
	found := ""
	for known, merchant := range t {
		if subtle.ConstantTimeCompare([]byte(known), []byte(token)) == 1 {
			found = merchant
		}
	}
	return found, found != ""
}

type merchantHandler func(w http.ResponseWriter, r *http.Request, merchant string)

// merchant authenticates the bearer token: 401 without a valid one.
func (s *server) merchant(h merchantHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vitrine"`)
			s.fail(w, http.StatusUnauthorized, wire.Errorf(wire.CodeUnauthorized, "send the merchant token as Authorization: Bearer <token>"))
			return
		}
		merchant, ok := s.cfg.Merchants.lookup(strings.TrimSpace(token))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="vitrine", error="invalid_token"`)
			s.fail(w, http.StatusUnauthorized, wire.Errorf(wire.CodeUnauthorized, "unknown merchant token"))
			return
		}
		h(w, r, merchant)
	}
}

type productHandler func(w http.ResponseWriter, r *http.Request, p catalog.Product)

// owned loads {sku} and checks it belongs to the merchant: 404 if it does
// not exist, 403 if it is another merchant's.
func (s *server) owned(h productHandler) merchantHandler {
	return func(w http.ResponseWriter, r *http.Request, merchant string) {
		sku := r.PathValue("sku")
		p, err := s.cfg.Catalog.Get(r.Context(), sku)
		if errors.Is(err, catalog.ErrNotFound) {
			s.fail(w, http.StatusNotFound, wire.Errorf(wire.CodeNotFound, "no product %q", sku))
			return
		}
		if err != nil {
			s.internal(w, r, "read product", err)
			return
		}
		if p.Merchant != merchant {
			s.fail(w, http.StatusForbidden, wire.Errorf(wire.CodeForbidden, "product %q belongs to another merchant", sku))
			return
		}
		h(w, r, p)
	}
}

// merchantProduct is the merchant's view of a product: everything stored,
// plus the public URLs.
type merchantProduct struct {
	catalog.Product
	PosterURL string   `json:"poster_url,omitempty"`
	ModelURL  string   `json:"model_url,omitempty"`
	ImageURLs []string `json:"image_urls,omitempty"`
}

func view(p catalog.Product) merchantProduct {
	v := merchantProduct{Product: p, PosterURL: catalog.MediaURL(p.PosterKey)}
	if p.Model != nil {
		v.ModelURL = catalog.MediaURL(p.Model.Key)
	}
	for _, im := range p.Images {
		v.ImageURLs = append(v.ImageURLs, catalog.MediaURL(im.Key))
	}
	return v
}

// productInput is the metadata a merchant sends.
type productInput struct {
	SKU         string          `json:"sku"`
	Name        string          `json:"name"`
	Category    string          `json:"category"`
	Description string          `json:"description"`
	Price       float64         `json:"price"`
	Currency    string          `json:"currency"`
	DimensionsM wire.Dimensions `json:"dimensions_m"`
	Placement   string          `json:"placement"`
	Frame       *catalog.Frame  `json:"frame"`
}

func (in productInput) apply(p *catalog.Product) {
	p.SKU, p.Name, p.Category, p.Description = in.SKU, strings.TrimSpace(in.Name), in.Category, in.Description
	p.Price, p.Currency, p.DimensionsM, p.Placement, p.Frame = in.Price, in.Currency, in.DimensionsM, in.Placement, in.Frame
	if p.Currency == "" {
		p.Currency = "EUR"
	}
}

// createProduct creates a product (201), or updates the metadata of the
// merchant's existing product with that SKU (200).
func (s *server) createProduct(w http.ResponseWriter, r *http.Request, merchant string) {
	var in productInput
	if e := s.decodeJSON(w, r, &in); e != nil {
		s.fail(w, statusFor(e), e)
		return
	}
	var p catalog.Product
	in.apply(&p)
	p.Merchant = merchant
	if problems := p.Validate(); len(problems) > 0 {
		s.fail(w, http.StatusUnprocessableEntity, &wire.Error{Code: wire.CodeBadRequest, Message: "the product metadata is invalid", Details: problems})
		return
	}
	created, err := s.cfg.Catalog.Create(r.Context(), p)
	if err == nil {
		w.Header().Set("Location", "/api/v1/products/"+created.SKU)
		writeJSON(w, http.StatusCreated, view(created))
		return
	}
	if !errors.Is(err, catalog.ErrExists) {
		s.catalogError(w, r, "create product", err)
		return
	}
	existing, err := s.cfg.Catalog.Get(r.Context(), p.SKU)
	if err != nil {
		s.catalogError(w, r, "read product", err)
		return
	}
	if existing.Merchant != merchant {
		s.fail(w, http.StatusForbidden, wire.Errorf(wire.CodeForbidden, "product %q belongs to another merchant", p.SKU))
		return
	}
	updated, err := s.cfg.Catalog.Update(r.Context(), p.SKU, func(cur *catalog.Product) error {
		if cur.Merchant != merchant {
			return errNotOwner
		}
		in.apply(cur)
		return nil
	})
	if err != nil {
		s.catalogError(w, r, "update product", err)
		return
	}
	writeJSON(w, http.StatusOK, view(updated))
}

var errNotOwner = errors.New("httpapi: product changed owner")

func (s *server) catalogError(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		s.fail(w, http.StatusNotFound, wire.Errorf(wire.CodeNotFound, "%s: no such product", what))
	case errors.Is(err, errNotOwner):
		s.fail(w, http.StatusForbidden, wire.Errorf(wire.CodeForbidden, "%s: the product belongs to another merchant", what))
	case errors.Is(err, catalog.ErrInvalid):
		s.fail(w, http.StatusUnprocessableEntity, wire.Errorf(wire.CodeBadRequest, "%s: %v", what, err))
	case errors.Is(err, assetpipe.ErrTooManyImages):
		s.fail(w, http.StatusConflict, wire.Errorf(wire.CodeConflict, "%s: %v", what, assetpipe.ErrTooManyImages))
	default:
		s.internal(w, r, what, err)
	}
}

func (s *server) listProducts(w http.ResponseWriter, r *http.Request, merchant string) {
	page, err := s.cfg.Catalog.List(r.Context(), catalog.Query{Merchant: merchant, Limit: 1 << 30})
	if err != nil {
		s.internal(w, r, "list products", err)
		return
	}
	out := make([]merchantProduct, 0, len(page.Products))
	for _, p := range page.Products {
		out = append(out, view(p))
	}
	writeJSON(w, http.StatusOK, map[string]any{"products": out, "total": page.Total})
}

func (s *server) getProduct(w http.ResponseWriter, _ *http.Request, p catalog.Product) {
	writeJSON(w, http.StatusOK, view(p))
}

func (s *server) deleteProduct(w http.ResponseWriter, r *http.Request, p catalog.Product) {
	if err := s.cfg.Catalog.Delete(r.Context(), p.SKU); err != nil {
		s.catalogError(w, r, "delete product", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) putModel(w http.ResponseWriter, r *http.Request, p catalog.Product) {
	data, e := s.readBody(w, r, s.cfg.MaxModelBytes, "model")
	if e != nil {
		s.fail(w, statusFor(e), e)
		return
	}
	updated, err := s.cfg.Pipeline.IngestModel(r.Context(), p.SKU, data)
	var invalid *gltf.InvalidError
	if errors.As(err, &invalid) {
		e := &wire.Error{Code: wire.CodeInvalidGLTF, Message: "the upload is not a valid model (GLB, zipped glTF or OBJ): " + invalid.Error()}
		// Each detail reads like the processing report's problems:
		// "severity CODE at /pointer: message — what it means".
		for _, is := range assetpipe.IssuesFromProblems(invalid.Problems) {
			e.Details = append(e.Details, is.String())
		}
		s.fail(w, http.StatusUnprocessableEntity, e)
		return
	}
	if errors.Is(err, assetpipe.ErrQueueFull) {
		// The upload is stored; the processor takes it up at the latest on
		// the next start, and a new upload supersedes it.
		w.Header().Set("Retry-After", "60")
		s.fail(w, http.StatusServiceUnavailable, wire.Errorf(wire.CodeUnavailable, "the model is stored but the processing queue is full; it will be processed later"))
		return
	}
	if err != nil {
		s.catalogError(w, r, "store model", err)
		return
	}
	status := http.StatusOK
	if updated.Status == wire.StatusProcessing {
		// Levels of detail, poster and views are being made; GET the
		// product to follow its status and report.
		status = http.StatusAccepted
	}
	w.Header().Set("Location", "/api/v1/products/"+updated.SKU)
	writeJSON(w, status, view(updated))
}

func (s *server) postImage(w http.ResponseWriter, r *http.Request, p catalog.Product) {
	data, e := s.readBody(w, r, s.cfg.MaxImageBytes, "image")
	if e != nil {
		s.fail(w, statusFor(e), e)
		return
	}
	updated, img, err := s.cfg.Pipeline.IngestImage(r.Context(), p.SKU, data)
	var bad *assetpipe.ImageError
	if errors.As(err, &bad) {
		s.fail(w, http.StatusUnprocessableEntity, wire.Errorf(wire.CodeInvalidImage, "%s", bad.Reason))
		return
	}
	if err != nil {
		s.catalogError(w, r, "store image", err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"image": img, "url": catalog.MediaURL(img.Key), "product": view(updated)})
}

// readBody reads a whole upload body of at most limit bytes.
func (s *server) readBody(w http.ResponseWriter, r *http.Request, limit int64, what string) ([]byte, *wire.Error) {
	if r.ContentLength > limit {
		return nil, wire.Errorf(wire.CodeTooLarge, "the %s is %d bytes; the limit is %d", what, r.ContentLength, limit)
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(body); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, wire.Errorf(wire.CodeTooLarge, "the %s is over the %d-byte limit", what, limit)
		}
		return nil, wire.Errorf(wire.CodeBadRequest, "reading the %s failed: %v", what, err)
	}
	if buf.Len() == 0 {
		return nil, wire.Errorf(wire.CodeBadRequest, "the %s body is empty", what)
	}
	return buf.Bytes(), nil
}

func (s *server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) *wire.Error {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		return wire.Errorf(wire.CodeUnsupportedMedia, "send the metadata as application/json, not %s", ct)
	}
	data, e := s.readBody(w, r, s.cfg.MaxJSONBytes, "metadata")
	if e != nil {
		return e
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return wire.Errorf(wire.CodeBadJSON, "field %q must be %s, not %s", typeErr.Field, typeErr.Type, typeErr.Value)
		}
		return wire.Errorf(wire.CodeBadJSON, "the metadata is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return wire.Errorf(wire.CodeBadJSON, "the metadata must be one JSON object")
	}
	return nil
}

// isJSON reports whether a Content-Type header is absent or JSON.
func isJSON(contentType string) bool {
	if contentType == "" {
		return true
	}
	mediaType, _, err := mime.ParseMediaType(contentType)
	return err == nil && mediaType == "application/json"
}

func statusFor(e *wire.Error) int {
	switch e.Code {
	case wire.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case wire.CodeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case wire.CodeNotFound:
		return http.StatusNotFound
	case wire.CodeForbidden:
		return http.StatusForbidden
	case wire.CodeUnauthorized:
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}
