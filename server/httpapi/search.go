package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/vitrine-shop/vitrine/wire"
)

// Searcher answers visual searches for uploaded images.
type Searcher interface {
	SearchImage(ctx context.Context, data []byte, req wire.SearchImage) (wire.SearchResults, error)
}

// searchImage serves POST /api/v1/search/image?k=10[&category=…][&price_max=…]:
// the image bytes are the body (PNG or JPEG, whatever the Content-Type
// says), the answer {"results":[{sku, score, name, poster_url, price,
// currency, why}…]}.
func (s *server) searchImage(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Search == nil {
		s.fail(w, http.StatusServiceUnavailable, wire.Errorf(wire.CodeUnavailable, "this server has no visual search"))
		return
	}
	q := r.URL.Query()
	req := wire.SearchImage{Category: q.Get("category")}
	var err error
	if v := q.Get("k"); v != "" {
		if req.K, err = strconv.Atoi(v); err != nil || req.K < 1 {
			s.fail(w, http.StatusBadRequest, wire.Errorf(wire.CodeBadRequest, "k must be a whole number from 1 to %d", wire.MaxSearchResults))
			return
		}
	}
	if v := q.Get("price_max"); v != "" {
		if req.PriceMax, err = strconv.ParseFloat(v, 64); err != nil {
			s.fail(w, http.StatusBadRequest, wire.Errorf(wire.CodeBadRequest, "price_max must be a number"))
			return
		}
	}
	data, e := s.readBody(w, r, wire.MaxSearchImageBytes, "image")
	if e != nil {
		s.fail(w, statusFor(e), e)
		return
	}
	req.SizeBytes = int64(len(data))
	if werr := req.Validate(); werr != nil {
		s.fail(w, statusFor(werr), werr)
		return
	}
	res, err := s.cfg.Search.SearchImage(r.Context(), data, req)
	var werr *wire.Error
	if errors.As(err, &werr) {
		status := statusFor(werr)
		if werr.Code == wire.CodeInvalidImage {
			status = http.StatusUnprocessableEntity
		}
		s.fail(w, status, werr)
		return
	}
	if err != nil {
		s.internal(w, r, "search", err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
