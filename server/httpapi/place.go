package httpapi

import (
	"errors"
	"net/http"

	"github.com/vitrine-shop/vitrine/server/placement"
	"github.com/vitrine-shop/vitrine/wire"
)

// placeMeasure serves POST /api/v1/place/measure: the distance between two
// image points on a reference rectangle's plane, with its 95% interval.
func (s *server) placeMeasure(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !isJSON(ct) {
		s.fail(w, http.StatusUnsupportedMediaType, wire.Errorf(wire.CodeUnsupportedMedia, "send the request as application/json, not %s", ct))
		return
	}
	data, e := s.readBody(w, r, wire.PlaceMaxBodyBytes, "request")
	if e != nil {
		s.fail(w, statusFor(e), e)
		return
	}
	req, err := placement.DecodeMeasureRequest(data)
	if err == nil {
		var res placement.MeasureResult
		if res, err = placement.Measure(req); err == nil {
			writeJSON(w, http.StatusOK, res)
			return
		}
	}
	if errors.Is(err, placement.ErrInvalid) {
		s.fail(w, http.StatusBadRequest, wire.Errorf(wire.CodeBadRequest, "%v", err))
		return
	}
	s.internal(w, r, "measure", err)
}
