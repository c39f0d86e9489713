package assetpipe

import (
	"math"
	"strconv"
	"strings"
)

// mtlMaterial is one newmtl block of an MTL file. Colours are taken as
// the linear factors glTF expects (as other OBJ-to-glTF converters do).
type mtlMaterial struct {
	name  string
	where string // file:line of its newmtl
	dir   string // folder of its MTL file inside the upload

	kd, ks, ke          [3]float64
	hasKd, hasKs, hasKe bool
	ns, d, tr, pr, pm   float64
	hasNs, hasD, hasTr  bool
	hasPr, hasPm        bool

	mapKd, mapD, mapBump, mapPr, mapPm, mapKe mtlMap
}

// mtlMap is a texture statement: the file it names and its options.
type mtlMap struct {
	path  string
	where string
	// bumpScale is -bm (1 when absent).
	bumpScale float64
	// ignored lists options Vitrine does not apply (-s, -o, -t, -mm,
	// -clamp …) for a warning.
	ignored []string
}

func (m mtlMap) set() bool { return m.path != "" }

// mtlOptionArgs is how many arguments each texture option takes; -o, -s
// and -t take one to three numbers.
var mtlOptionArgs = map[string]int{"-blendu": 1, "-blendv": 1, "-boost": 1, "-cc": 1, "-clamp": 1, "-imfchan": 1,
	"-texres": 1, "-type": 1, "-bm": 1, "-mm": 2, "-o": 3, "-s": 3, "-t": 3}

// parseMapArgs splits a texture statement's arguments into its options
// and the file name (the rest, which may hold spaces).
func parseMapArgs(args []string, where string) (mtlMap, string) {
	m := mtlMap{where: where, bumpScale: 1}
	i := 0
	for i < len(args) {
		opt := strings.ToLower(args[i])
		n, known := mtlOptionArgs[opt]
		if !known {
			break
		}
		i++
		taken := 0
		for taken < n && i < len(args) {
			if _, err := strconv.ParseFloat(args[i], 64); err != nil && opt != "-blendu" && opt != "-blendv" && opt != "-cc" && opt != "-clamp" && opt != "-imfchan" && opt != "-type" {
				break
			}
			taken++
			i++
		}
		if taken == 0 {
			return m, "option " + opt + " has no value"
		}
		vals := args[i-taken : i]
		switch opt {
		case "-bm":
			v, err := strconv.ParseFloat(vals[0], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return m, "-bm " + truncate(vals[0], 20) + " is not a number"
			}
			m.bumpScale = v
		case "-s":
			if !allEqual(vals, 1) {
				m.ignored = append(m.ignored, opt+" "+strings.Join(vals, " "))
			}
		case "-o", "-t", "-mm":
			if !allEqual(vals, 0) && !(opt == "-mm" && len(vals) == 2 && vals[1] == "1" && vals[0] == "0") {
				m.ignored = append(m.ignored, opt+" "+strings.Join(vals, " "))
			}
		case "-clamp":
			if strings.EqualFold(vals[0], "on") {
				m.ignored = append(m.ignored, "-clamp on")
			}
		}
	}
	if i >= len(args) {
		return m, "names no file"
	}
	m.path = strings.Join(args[i:], " ")
	return m, ""
}

func allEqual(vals []string, want float64) bool {
	for _, v := range vals {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f != want {
			return false
		}
	}
	return true
}

// parseMTL parses an MTL file into materials, adding to mats (a name
// defined twice keeps its first definition, with a warning).
func parseMTL(data []byte, name, dir string, lim objLimits, mats map[string]*mtlMaterial, r *objProblems) {
	var cur *mtlMaterial
	objLines(data, name, lim.maxLineBytes, r, func(n int, line string) bool {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			return true
		}
		where := at(name, n)
		kw, args := strings.ToLower(fields[0]), fields[1:]
		if kw == "newmtl" {
			mname := strings.Join(args, " ")
			if _, dup := mats[mname]; dup {
				r.warnf("OBJ_MATERIAL_DUPLICATE", where, "material %q is defined again; the first definition is used", truncate(mname, 80))
				cur = &mtlMaterial{} // parsed and dropped
				return true
			}
			if len(mats) >= lim.maxMaterials {
				r.errorf("LIMIT_EXCEEDED", where, "more than %d materials", lim.maxMaterials)
				return false
			}
			cur = &mtlMaterial{name: mname, where: where, dir: dir}
			mats[mname] = cur
			return true
		}
		if cur == nil {
			r.warnf("OBJ_SYNTAX", where, "%q before any newmtl is ignored", truncate(fields[0], 40))
			return true
		}
		color := func(dst *[3]float64, has *bool) {
			if len(args) > 0 && (args[0] == "spectral" || args[0] == "xyz") {
				r.warnf("OBJ_MTL_UNSUPPORTED", where, "%s %s colours are not supported; the colour is ignored", fields[0], args[0])
				return
			}
			v, msg := parseFloats(args, 1, 3)
			if msg != "" {
				r.errorf("OBJ_SYNTAX", where, "%s %s", fields[0], msg)
				return
			}
			for i := range 3 {
				dst[i] = clamp01(v[min(i, len(v)-1)])
			}
			*has = true
		}
		scalar := func(dst *float64, has *bool) {
			v, msg := parseFloats(args, 1, 1)
			if msg != "" {
				r.errorf("OBJ_SYNTAX", where, "%s %s", fields[0], msg)
				return
			}
			*dst, *has = v[0], true
		}
		texture := func(dst *mtlMap) {
			m, msg := parseMapArgs(args, where)
			if msg != "" {
				r.errorf("OBJ_SYNTAX", where, "%s %s", fields[0], msg)
				return
			}
			*dst = m
		}
		switch kw {
		case "kd":
			color(&cur.kd, &cur.hasKd)
		case "ks":
			color(&cur.ks, &cur.hasKs)
		case "ke":
			color(&cur.ke, &cur.hasKe)
		case "ka":
			// Ambient colour has no place in metallic-roughness PBR.
		case "ns":
			scalar(&cur.ns, &cur.hasNs)
		case "d":
			if len(args) == 2 && args[0] == "-halo" {
				args = args[1:]
			}
			scalar(&cur.d, &cur.hasD)
		case "tr":
			scalar(&cur.tr, &cur.hasTr)
		case "pr":
			scalar(&cur.pr, &cur.hasPr)
		case "pm":
			scalar(&cur.pm, &cur.hasPm)
		case "map_kd":
			texture(&cur.mapKd)
		case "map_d":
			texture(&cur.mapD)
		case "map_bump", "bump", "norm", "map_kn":
			texture(&cur.mapBump)
		case "map_pr":
			texture(&cur.mapPr)
		case "map_pm":
			texture(&cur.mapPm)
		case "map_ke":
			texture(&cur.mapKe)
		case "ni", "illum", "tf", "sharpness", "map_ka", "map_ks", "map_ns", "refl", "disp", "decal", "ps", "pc", "pcr", "aniso", "anisor", "map_ps":
			// Index of refraction, illumination model, transmission filter,
			// specular and reflection maps, sheen and clearcoat: no
			// counterpart in the core material, skipped.
		default:
			r.infof("OBJ_MTL_UNSUPPORTED", where, "the MTL statement %q is not supported and is ignored", truncate(fields[0], 40))
		}
		return true
	})
}

// pbr derives the metallic-roughness factors and alpha of a material.
// Roughness is Pr when given, else from the Phong exponent Ns the way
// Blender writes it (Ns = 1000·(1−roughness)²), and 1 when the specular
// colour is black; metallic is Pm or 0; alpha is d, else 1−Tr.
func (m *mtlMaterial) pbr() (baseColor [4]float64, metallic, roughness float64) {
	baseColor = [4]float64{0.8, 0.8, 0.8, 1}
	if m.hasKd {
		baseColor = [4]float64{m.kd[0], m.kd[1], m.kd[2], 1}
	}
	switch {
	case m.hasD:
		baseColor[3] = clamp01(m.d)
	case m.hasTr:
		baseColor[3] = clamp01(1 - m.tr)
	}
	roughness = 1
	switch {
	case m.hasPr:
		roughness = clamp01(m.pr)
	case m.hasKs && m.ks == [3]float64{}:
		roughness = 1
	case m.hasNs:
		roughness = 1 - math.Sqrt(math.Max(0, math.Min(1000, m.ns))/1000)
	}
	if m.hasPm {
		metallic = clamp01(m.pm)
	}
	if math.IsNaN(roughness) {
		roughness = 1
	}
	return baseColor, metallic, roughness
}
