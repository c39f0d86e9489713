package render

import "math"

// lighting is the studio rig, all in linear light: a warm key, a cool
// soft fill from the other side, hemisphere ambient and an environment of
// a bright sky, a dark floor and a softbox behind the key.
type lighting struct {
	eye          [3]float64
	key, fill    [3]float64
	keyColour    [3]float64
	fillColour   [3]float64
	skyAmbient   float64
	floorAmbient float64
}

func newLighting(v view, lightDir [3]float64) lighting {
	back := scale3(v.forward, -1)
	key := normalize3(lightDir)
	if length3(lightDir) == 0 || math.IsNaN(key[0]+key[1]+key[2]) {
		key = normalize3(add3(add3(scale3(v.right, -0.55), [3]float64{0, 0.85, 0}), scale3(back, 0.6)))
	}
	// The fill comes from the camera side opposite the key, low.
	side := 1.0
	if dot3(key, v.right) > 0 {
		side = -1
	}
	fill := normalize3(add3(add3(scale3(v.right, 0.75*side), [3]float64{0, 0.15, 0}), scale3(back, 0.65)))
	return lighting{
		eye:          v.eye,
		key:          key,
		fill:         fill,
		keyColour:    [3]float64{2.05, 1.98, 1.88},
		fillColour:   [3]float64{0.36, 0.39, 0.44},
		skyAmbient:   0.42,
		floorAmbient: 0.16,
	}
}

// shade returns the tone-mapped linear colour of triangle id at the
// perspective-correct barycentric weights (1-b1-b2, b1, b2).
func (r *renderer) shade(id int32, b1, b2 float64) [3]float64 {
	pm := &r.meshes[r.triMesh[id]]
	first := r.triFirst[id]
	i0, i1, i2 := pm.indices[first], pm.indices[first+1], pm.indices[first+2]
	b0 := 1 - b1 - b2
	m := pm.mesh
	p := interp3(m.Positions[i0], m.Positions[i1], m.Positions[i2], b0, b1, b2)
	face := vec64(r.faceN[id])
	n := face
	if len(m.Normals) != 0 {
		n = normalize3(interp3(m.Normals[i0], m.Normals[i1], m.Normals[i2], b0, b1, b2))
		if length3(n) == 0 || math.IsNaN(n[0]) {
			n = face
		}
	}
	toEye := normalize3(sub3(r.light.eye, p))
	if dot3(face, toEye) < 0 {
		// Back side of the triangle: shade it as its own front.
		n = scale3(n, -1)
	}
	// Keep interpolated normals from pointing away from the viewer at
	// silhouettes, which would otherwise render black fringes.
	if nv := dot3(n, toEye); nv < 0.02 {
		n = normalize3(add3(n, scale3(toEye, 0.02-nv)))
	}

	base := pm.base
	if pm.texture != nil {
		uv0, uv1, uv2 := m.UVs[i0], m.UVs[i1], m.UVs[i2]
		u := float64(uv0[0])*b0 + float64(uv1[0])*b1 + float64(uv2[0])*b2
		v := float64(uv0[1])*b0 + float64(uv1[1])*b1 + float64(uv2[1])*b2
		t := pm.texture.sample(u, v)
		base = [3]float64{base[0] * t[0], base[1] * t[1], base[2] * t[2]}
	}
	return r.light.shade(base, pm.metallic, pm.rough, n, toEye)
}

func interp3(a, b, c [3]float32, wa, wb, wc float64) [3]float64 {
	return [3]float64{
		float64(a[0])*wa + float64(b[0])*wb + float64(c[0])*wc,
		float64(a[1])*wa + float64(b[1])*wb + float64(c[1])*wc,
		float64(a[2])*wa + float64(b[2])*wb + float64(c[2])*wc,
	}
}

// shade evaluates the rig for a surface with linear albedo base at unit
// normal n seen from unit direction toEye, and tone-maps the result.
func (l *lighting) shade(base [3]float64, metallic, rough float64, n, toEye [3]float64) [3]float64 {
	nDotV := max(dot3(n, toEye), 1e-4)
	var f0 [3]float64
	for k := 0; k < 3; k++ {
		f0[k] = 0.04*(1-metallic) + base[k]*metallic
	}
	keyDot := max(0, dot3(n, l.key))
	fillDot := max(0, dot3(n, l.fill))
	hemi := l.floorAmbient + (l.skyAmbient-l.floorAmbient)*(0.5+0.5*n[1])

	// Key highlight: normalised Blinn–Phong whose exponent follows the
	// roughness (alpha = roughness²), with Schlick Fresnel.
	alpha := rough * rough
	shininess := min(max(2/(alpha*alpha)-2, 1), 8192)
	half := normalize3(add3(l.key, toEye))
	nDotH := max(0, dot3(n, half))
	vDotH := max(0, dot3(toEye, half))
	lobe := (shininess + 8) / (8 * math.Pi) * math.Pow(nDotH, shininess) * keyDot
	fresnelKey := pow5(1 - vDotH)

	// Environment reflection, blurred by roughness.
	refl := sub3(scale3(n, 2*dot3(n, toEye)), toEye)
	env := l.environment(refl, rough)
	fresnelEnv := pow5(1 - nDotV)
	gloss := max(1-rough, 0)

	var out [3]float64
	for k := 0; k < 3; k++ {
		fEnv := f0[k] + (max(gloss, f0[k])-f0[k])*fresnelEnv
		diffuse := base[k] * (1 - metallic) * (1 - fEnv) *
			(l.keyColour[k]*keyDot + l.fillColour[k]*fillDot + hemi)
		fKey := f0[k] + (1-f0[k])*fresnelKey
		specular := fKey * lobe * l.keyColour[k] * 0.5
		out[k] = toneMap(diffuse + specular + fEnv*env)
	}
	return out
}

// environment is the radiance of the studio seen along unit direction d:
// a floor, a sky brightening upward and a softbox toward the key, blurred
// toward its average as roughness grows.
func (l *lighting) environment(d [3]float64, rough float64) float64 {
	soft := 0.15 + rough*0.6
	t := smoothstep(-soft, soft, d[1])
	sky := 0.55 + 0.45*smoothstep(0, 1, d[1])
	e := 0.1*(1-t) + sky*t
	power := 2 + 120*(1-rough)*(1-rough)
	e += 2.4 * (1 - 0.7*rough) * math.Pow(max(0, dot3(d, l.key)), power)
	blur := rough * 0.6
	return e*(1-blur) + 0.45*blur
}

func smoothstep(a, b, x float64) float64 {
	t := clamp01((x - a) / (b - a))
	return t * t * (3 - 2*t)
}

// toneMap keeps values up to 0.8 linear and rolls brighter ones off
// smoothly toward 1, so highlights do not clip harshly while albedo
// colours stay faithful.
func toneMap(x float64) float64 {
	const knee = 0.8
	if x <= knee {
		return max(x, 0)
	}
	return knee + (1-knee)*(1-math.Exp(-(x-knee)/(1-knee)))
}

func pow5(x float64) float64 {
	x2 := x * x
	return x2 * x2 * x
}
