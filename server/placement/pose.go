package placement

import (
	"fmt"
	"math"

	"github.com/vitrine-shop/vitrine/wire"
)

// Clip planes of PlacePoseReply.ProjectionGL.
const (
	NearM = 0.05
	FarM  = 100.0
)

// RenderPose returns what a 3D viewer needs to draw a product standing on
// the plane at the tapped image point at its true size: the intrinsics,
// the plane's pose, and the model matrix. On a floor or table (wall false)
// the model's up (+y) is the plane's normal and its front (+z) faces the
// camera before turning by angleDeg about the normal. Against a wall the
// model's front is the wall's normal and its up is the image's up
// projected onto the wall, turned by angleDeg about the normal.
func (p *Plane) RenderPose(tap [2]float64, angleDeg float64, wall bool) (wire.PlacePoseReply, error) {
	if !finite(angleDeg) || math.Abs(angleDeg) > 360 {
		return wire.PlacePoseReply{}, fmt.Errorf("placement: pose angle %g° must be within ±360: %w", angleDeg, ErrScale)
	}
	xy, err := p.ToPlane(tap)
	if err != nil {
		return wire.PlacePoseReply{}, err
	}
	cam := p.sol.camera
	r := mat3(cam.R)
	at := r.apply(vec3{xy[0], xy[1], 0}).add(vec3(cam.T))
	n := vec3(cam.Normal())
	alpha := angleDeg * math.Pi / 180
	turn := func(v, axis vec3) vec3 {
		return v.scale(math.Cos(alpha)).add(axis.cross(v).scale(math.Sin(alpha)))
	}
	var up, front vec3
	if wall {
		front = n
		camUp := vec3{0, -1, 0}
		up = camUp.sub(n.scale(camUp.dot(n)))
		if up.norm() < 1e-6 {
			up = vec3{0, 0, 1}.sub(n.scale(n[2]))
		}
		up = turn(up.unit(), n)
	} else {
		up = n
		toCam := at.scale(-1)
		front = toCam.sub(n.scale(toCam.dot(n)))
		if front.norm() < 1e-6 {
			front = vec3{0, 1, 0}.sub(n.scale(n[1]))
		}
		front = turn(front.unit(), n)
	}
	right := up.cross(front)
	var out wire.PlacePoseReply
	out.Intrinsics = wire.PlaceIntrinsics{Fx: cam.FocalPx, Fy: cam.FocalPx, Cx: cam.Cx, Cy: cam.Cy, W: p.img.W, H: p.img.H}
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			out.PlaneRotation[3*i+j] = r[i][j]
		}
	}
	out.PlaneTranslationM = cam.T
	out.PlaneNormal = n
	out.TapPlaneM = xy
	cols := [4]vec3{right, up, front, at}
	for c := 0; c < 4; c++ {
		for i := 0; i < 3; i++ {
			out.ModelMatrix[4*c+i] = cols[c][i]
			gl := cols[c][i]
			if i > 0 {
				gl = -gl
			}
			out.ModelViewGL[4*c+i] = gl
		}
	}
	out.ModelMatrix[15], out.ModelViewGL[15] = 1, 1
	out.ProjectionGL = projectionGL(cam.FocalPx, cam.Cx, cam.Cy, float64(p.img.W), float64(p.img.H))
	mpp, err := p.MetresPerPixel(tap)
	if err != nil {
		return wire.PlacePoseReply{}, err
	}
	out.MetresPerPixel = mpp.M
	out.DistanceM = at.norm()
	return out, nil
}

// projectionGL is the column-major OpenGL projection matching a pinhole
// camera with image y pointing down.
func projectionGL(f, cx, cy, w, h float64) [16]float64 {
	var m [16]float64
	m[0] = 2 * f / w
	m[5] = 2 * f / h
	m[8] = 1 - 2*cx/w
	m[9] = 2*cy/h - 1
	m[10] = -(FarM + NearM) / (FarM - NearM)
	m[11] = -1
	m[14] = -2 * FarM * NearM / (FarM - NearM)
	return m
}
