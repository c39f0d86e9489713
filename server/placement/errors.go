package placement

import (
	"errors"
	"fmt"
)

// ErrInvalid is wrapped by every error caused by the caller's input; the
// HTTP and WebSocket layers map it to bad_request. The more specific
// sentinels below all wrap it, so errors.Is(err, ErrInvalid) holds for them.
var ErrInvalid = errors.New("placement: invalid input")

// Specific input errors, each wrapping ErrInvalid.
var (
	// ErrNotFinite: a number is NaN or infinite.
	ErrNotFinite = fmt.Errorf("%w: number is not finite", ErrInvalid)
	// ErrImageSize: the image size is missing or outside the limits.
	ErrImageSize = fmt.Errorf("%w: image size out of range", ErrInvalid)
	// ErrOutsideImage: a point lies outside the image.
	ErrOutsideImage = fmt.Errorf("%w: point outside the image", ErrInvalid)
	// ErrDegenerate: the reference quadrilateral is too small or has
	// coincident corners.
	ErrDegenerate = fmt.Errorf("%w: degenerate quadrilateral", ErrInvalid)
	// ErrCollinear: three corners (or the measured points) are collinear.
	ErrCollinear = fmt.Errorf("%w: collinear points", ErrInvalid)
	// ErrNonConvex: the quadrilateral is not convex or its sides cross, so
	// it cannot be the image of a rectangle.
	ErrNonConvex = fmt.Errorf("%w: quadrilateral not convex", ErrInvalid)
	// ErrScale: a physical size is outside the plausible range.
	ErrScale = fmt.Errorf("%w: size out of range", ErrInvalid)
	// ErrBeyondHorizon: a point lies on or above the vanishing line of the
	// reference's plane, so it is not on that plane.
	ErrBeyondHorizon = fmt.Errorf("%w: point not on the reference's plane", ErrInvalid)
	// ErrNoSolution: no camera is consistent with the reference as clicked.
	ErrNoSolution = fmt.Errorf("%w: no camera fits the reference", ErrInvalid)
	// ErrBadRequest: a request is malformed (bad JSON, missing or unknown
	// fields, values out of range).
	ErrBadRequest = fmt.Errorf("%w: malformed request", ErrInvalid)
)

// ErrNoEdges is returned by RefineCorners when the sheet's edges cannot be
// found near the clicked corners; the clicked corners remain usable. It does
// not wrap ErrInvalid: the input was valid, the photo did not cooperate.
var ErrNoEdges = errors.New("placement: reference edges not found near the clicked corners")
