//go:build js && wasm

package main

import (
	"github.com/g3n/engine/camera"
	"github.com/g3n/engine/math32"

	"github.com/vitrine-shop/vitrine/wire"
)

// roomSaved is the 3D view's camera and model placement kept while the
// viewer draws the product over a room photo, restored afterwards.
type roomSaved struct {
	camPos         math32.Vector3
	camQuat        math32.Quaternion
	fov, near, far float32
	active         bool
	modelVisible   bool
}

var roomState roomSaved

// enterRoom switches the viewer to drawing over the room photo: a
// transparent background, no orbiting, the product hidden until the
// first pose. Call on the loop.
func (v *viewer) enterRoom() {
	if roomState.active {
		return
	}
	roomState = roomSaved{
		camPos: v.cam.Position(), camQuat: v.cam.Quaternion(),
		fov: v.cam.Fov(), near: v.cam.Near(), far: v.cam.Far(), active: true,
	}
	v.orbit.SetEnabled(camera.OrbitNone)
	v.app.Gls().ClearColor(0, 0, 0, 0)
	v.hideRoomModel()
}

// hideRoomModel hides the product until a pose places it. Call on the
// loop.
func (v *viewer) hideRoomModel() {
	if v.model != nil {
		v.model.SetVisible(false)
	}
	if v.shadow != nil {
		v.shadow.SetVisible(false)
	}
}

// roomPose draws the product where place.pose put it: the camera at the
// origin looking down -z with the photo's field of view (fovYDeg for the
// stage, see placeflow.Fit.FovYDeg), the model's glTF frame mapped by
// ModelViewGL, and the contact shadow under it. Call on the loop.
func (v *viewer) roomPose(p wire.PlacePoseReply, fovYDeg float64) {
	if !roomState.active || v.model == nil {
		return
	}
	v.cam.SetPosition(0, 0, 0)
	v.cam.SetQuaternion(0, 0, 0, 1)
	v.cam.SetFov(float32(fovYDeg))
	v.cam.SetNear(0.05)
	v.cam.SetFar(100)
	var mv math32.Matrix4
	for i, x := range p.ModelViewGL {
		mv[i] = float32(x)
	}
	v.model.SetMatrix(&mv)
	v.model.SetVisible(true)
	if v.shadow != nil {
		// The shadow was built around the model's centre.
		var centre, m math32.Matrix4
		lo, hi := v.shown.lo, v.shown.hi
		centre.MakeTranslation(float32((lo[0]+hi[0])/2), float32((lo[1]+hi[1])/2), float32((lo[2]+hi[2])/2))
		m.MultiplyMatrices(&mv, &centre)
		v.shadow.SetMatrix(&m)
		v.shadow.SetVisible(p.PlaneNormal != [3]float64{} && !isWallPose(p))
	}
}

// isWallPose tells a wall placement by the plane's normal: nearly
// horizontal in the camera's frame.
func isWallPose(p wire.PlacePoseReply) bool {
	n := p.PlaneNormal
	return n[1]*n[1] < 0.36*(n[0]*n[0]+n[1]*n[1]+n[2]*n[2])
}

// leaveRoom restores the 3D view. Call on the loop.
func (v *viewer) leaveRoom() {
	if !roomState.active {
		return
	}
	s := roomState
	roomState = roomSaved{}
	v.app.Gls().ClearColor(background.R, background.G, background.B, 1)
	v.cam.SetPositionVec(&s.camPos)
	v.cam.SetQuaternionQuat(&s.camQuat)
	v.cam.SetFov(s.fov)
	v.cam.SetNear(s.near)
	v.cam.SetFar(s.far)
	if v.model != nil {
		var id math32.Matrix4
		id.Identity()
		v.model.SetMatrix(&id)
		lo, hi := v.shown.lo, v.shown.hi
		v.model.SetPosition(float32(-(lo[0]+hi[0])/2), float32(-(lo[1]+hi[1])/2), float32(-(lo[2]+hi[2])/2))
		v.model.SetVisible(true)
	}
	if v.shadow != nil {
		var id math32.Matrix4
		id.Identity()
		v.shadow.SetMatrix(&id)
		v.shadow.SetVisible(true)
	}
	v.setVisible(v.visible)
}
