package assetpipe

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/vitrine-shop/vitrine/server/gltf"
)

// Wavefront OBJ input. An OBJ upload (a zip of one .obj, its .mtl files
// and textures, or a bare .obj that needs nothing else) is parsed here
// under strict limits, converted to a glTF asset by objConvert and then
// takes exactly the path a GLB upload takes. Problems carry a location
// "file:line" where a glTF problem carries a JSON pointer.

// objLimits bounds what an OBJ upload may hold; objLimitsFrom derives it
// from the glTF limits so that both formats meet the same ceilings.
type objLimits struct {
	maxLineBytes   int
	maxPositions   int // v statements
	maxTexcoords   int // vt statements
	maxNormals     int // vn statements
	maxTriangles   int // after triangulation
	maxFaceCorners int // corners of one f statement
	maxMaterials   int
	maxMTLFiles    int
	maxImages      int
	// earClipBudget bounds the work spent triangulating concave faces
	// (point-in-triangle tests over the whole file).
	earClipBudget int64
}

func objLimitsFrom(lim gltf.Limits) objLimits {
	return objLimits{
		maxLineBytes:   64 << 10,
		maxPositions:   lim.MaxVertices,
		maxTexcoords:   lim.MaxVertices,
		maxNormals:     lim.MaxVertices,
		maxTriangles:   lim.MaxTriangles,
		maxFaceCorners: 1024,
		maxMaterials:   lim.MaxMaterials,
		maxMTLFiles:    16,
		maxImages:      lim.MaxImages,
		earClipBudget:  50_000_000,
	}
}

// objCorner is one face corner: 0-based indices into the position,
// texture-coordinate and normal lists, -1 when absent.
type objCorner struct{ v, vt, vn int32 }

// objTri is one triangle after triangulation. flat is the index of its
// face's computed normal when the face has no vn and is not smoothed
// (-1 otherwise); smooth is its smoothing group (0 = off).
type objTri struct {
	c      [3]objCorner
	flat   int32
	smooth int32
}

// objGroup holds the triangles drawn with one material, in file order.
type objGroup struct {
	material string
	line     int // the usemtl line (0 for faces before any usemtl)
	tris     []objTri
}

// objFile is a parsed OBJ file.
type objFile struct {
	name         string
	positions    [][3]float32
	texcoords    [][2]float32
	normals      [][3]float32
	faceNormals  [][3]float32 // one per face without vn, for flat shading
	groups       []*objGroup
	mtllibs      []objRef // in file order, deduplicated
	triangles    int
	ngons        int // faces with more than three corners
	earClipped   int // concave faces triangulated by ear clipping
	concaveFans  int // concave faces fanned because the ear-clipping budget ran out
	degenerate   int // triangles dropped for repeating a vertex
	smoothed     bool
	unsupported  map[string]int // statement keyword → first line
	vertexColors bool
}

// objRef is a file an OBJ or MTL names, with where it was named.
type objRef struct {
	path string
	line int
}

// maxOBJProblems bounds the problems one upload reports, so a file with
// millions of bad lines cannot exhaust memory through its report.
const maxOBJProblems = 1000

// objProblems collects problems with a bound on their number, like the
// gltf package's report.
type objProblems struct {
	list      []gltf.Problem
	errors    int
	truncated bool
}

func (r *objProblems) add(sev gltf.Severity, code string, where any, format string, args ...any) {
	if sev == gltf.SeverityError {
		r.errors++
	}
	if len(r.list) >= maxOBJProblems {
		if !r.truncated {
			r.truncated = true
			r.list = append(r.list, gltf.Problem{Severity: gltf.SeverityInfo, Code: "TOO_MANY_PROBLEMS", Message: fmt.Sprintf("only the first %d problems are listed", maxOBJProblems)})
		}
		return
	}
	r.list = append(r.list, gltf.Problem{Severity: sev, Code: code, Pointer: fmt.Sprint(where), Message: fmt.Sprintf(format, args...)})
}

// errorf reports an error at where (a string, or a lineRef formatted
// only now).
func (r *objProblems) errorf(code string, where any, format string, args ...any) {
	r.add(gltf.SeverityError, code, where, format, args...)
}

// warnf reports a warning at where.
func (r *objProblems) warnf(code string, where any, format string, args ...any) {
	r.add(gltf.SeverityWarning, code, where, format, args...)
}

// infof reports an info at where.
func (r *objProblems) infof(code string, where any, format string, args ...any) {
	r.add(gltf.SeverityInfo, code, where, format, args...)
}

// sorted returns errors first, then warnings, then infos, each in
// discovery order.
func (r *objProblems) sorted() []gltf.Problem {
	out := make([]gltf.Problem, 0, len(r.list))
	for _, sev := range []gltf.Severity{gltf.SeverityError, gltf.SeverityWarning, gltf.SeverityInfo} {
		for _, p := range r.list {
			if p.Severity == sev {
				out = append(out, p)
			}
		}
	}
	return out
}

func at(file string, line int) string { return file + ":" + strconv.Itoa(line) }

// lineRef is a location formatted only when a problem is reported.
type lineRef struct {
	file string
	line int
}

func (l lineRef) String() string { return at(l.file, l.line) }

// splitFields appends the space-separated fields of line to dst, as
// strings.Fields does for ASCII white space, without allocating.
func splitFields(line string, dst []string) []string {
	start := -1
	for i := 0; i < len(line); i++ {
		if c := line[i]; c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' {
			if start >= 0 {
				dst = append(dst, line[start:i])
				start = -1
			}
		} else if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		dst = append(dst, line[start:])
	}
	return dst
}

// objLines calls fn for each line of data (without its line ending or
// comment), numbered from 1, and stops when fn returns false. A line
// ending in a backslash continues on the next one (fn gets them joined,
// numbered by the first). A line longer than maxLine, joined or not, is
// reported and ends the scan.
func objLines(data []byte, name string, maxLine int, r *objProblems, fn func(n int, line string) bool) {
	n := 0
	var joined []byte // continued lines so far
	first := 0        // the number of the first continued line
	for len(data) > 0 {
		n++
		end := bytes.IndexByte(data, '\n')
		var raw []byte
		if end < 0 {
			raw, data = data, nil
		} else {
			raw, data = data[:end], data[end+1:]
		}
		if len(raw)+len(joined) > maxLine {
			r.errorf("LIMIT_EXCEEDED", at(name, n), "the line is %d bytes, over the limit of %d", len(raw)+len(joined), maxLine)
			return
		}
		raw = bytes.TrimSuffix(raw, []byte{'\r'})
		if bytes.IndexByte(raw, 0) >= 0 {
			r.errorf("OBJ_SYNTAX", at(name, n), "the line holds a NUL byte: this is not a text file")
			return
		}
		if i := bytes.IndexByte(raw, '#'); i >= 0 {
			raw = raw[:i]
		} else if bytes.HasSuffix(raw, []byte{'\\'}) && len(data) > 0 {
			if joined == nil {
				first = n
			}
			joined = append(append(joined, raw[:len(raw)-1]...), ' ')
			continue
		}
		line, num := string(raw), n
		if joined != nil {
			line, num = string(append(joined, raw...)), first
			joined = nil
		}
		if !fn(num, line) {
			return
		}
	}
}

// parseFloats parses the fields as numbers finite in float32; want is the
// number required, upTo the number allowed.
func parseFloats(fields []string, want, upTo int) ([]float64, string) {
	if len(fields) < want || len(fields) > upTo {
		if want == upTo {
			return nil, fmt.Sprintf("has %d numbers, want %d", len(fields), want)
		}
		return nil, fmt.Sprintf("has %d numbers, want %d to %d", len(fields), want, upTo)
	}
	out := make([]float64, len(fields))
	for i, f := range fields {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil && !isRangeErr(err) {
			return nil, fmt.Sprintf("%q is not a number", truncate(f, 40))
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
			return nil, fmt.Sprintf("%q is not a finite number", truncate(f, 40))
		}
		out[i] = v
	}
	return out, ""
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseOBJ parses an OBJ file's statements. It keeps going after an error
// (to report as much as it can in one pass) except when a limit is hit.
func parseOBJ(data []byte, name string, lim objLimits, r *objProblems) *objFile {
	o := &objFile{name: name, unsupported: map[string]int{}}
	group := &objGroup{}
	o.groups = []*objGroup{group}
	byMaterial := map[string]*objGroup{"": group}
	smooth := int32(0)
	earBudget := lim.earClipBudget
	var corners []objCorner
	var fields []string
	seenLib := map[string]bool{}
	objLines(data, name, lim.maxLineBytes, r, func(n int, line string) bool {
		fields = splitFields(line, fields[:0])
		if len(fields) == 0 {
			return true
		}
		where := lineRef{name, n}
		switch kw, args := fields[0], fields[1:]; kw {
		case "v":
			if len(o.positions) >= lim.maxPositions {
				r.errorf("LIMIT_EXCEEDED", where, "more than %d vertex positions", lim.maxPositions)
				return false
			}
			// x y z [w], or x y z r g b (a common vertex-colour extension).
			if len(args) == 6 {
				o.vertexColors = true
				args = args[:3]
			}
			v, msg := parseFloats(args, 3, 4)
			if msg != "" {
				r.errorf("OBJ_VERTEX_INVALID", where, "vertex %d %s", len(o.positions)+1, msg)
				v = []float64{0, 0, 0} // keep the numbering of later vertices
			}
			o.positions = append(o.positions, [3]float32{float32(v[0]), float32(v[1]), float32(v[2])})
		case "vt":
			if len(o.texcoords) >= lim.maxTexcoords {
				r.errorf("LIMIT_EXCEEDED", where, "more than %d texture coordinates", lim.maxTexcoords)
				return false
			}
			v, msg := parseFloats(args, 1, 3)
			if msg != "" {
				r.errorf("OBJ_VERTEX_INVALID", where, "texture coordinate %d %s", len(o.texcoords)+1, msg)
				v = []float64{0, 0}
			}
			if len(v) == 1 {
				v = append(v, 0)
			}
			// OBJ's v axis points up from the image's bottom, glTF's down
			// from its top.
			o.texcoords = append(o.texcoords, [2]float32{float32(v[0]), float32(1 - v[1])})
		case "vn":
			if len(o.normals) >= lim.maxNormals {
				r.errorf("LIMIT_EXCEEDED", where, "more than %d normals", lim.maxNormals)
				return false
			}
			v, msg := parseFloats(args, 3, 3)
			if msg != "" {
				r.errorf("OBJ_VERTEX_INVALID", where, "normal %d %s", len(o.normals)+1, msg)
				v = []float64{0, 0, 0}
			}
			o.normals = append(o.normals, [3]float32{float32(v[0]), float32(v[1]), float32(v[2])})
		case "f":
			if len(args) < 3 {
				r.errorf("OBJ_FACE_INVALID", where, "a face needs at least 3 corners, this one has %d", len(args))
				return true
			}
			if len(args) > lim.maxFaceCorners {
				r.errorf("LIMIT_EXCEEDED", where, "the face has %d corners, over the limit of %d", len(args), lim.maxFaceCorners)
				return false
			}
			corners = corners[:0]
			ok := true
			for i, a := range args {
				c, msg := o.parseCorner(a)
				if msg != "" {
					r.errorf(codeForCorner(msg), where, "corner %d (%q): %s", i+1, truncate(a, 40), msg)
					ok = false
					break
				}
				if i > 0 && (c.vt < 0) != (corners[0].vt < 0) || i > 0 && (c.vn < 0) != (corners[0].vn < 0) {
					r.errorf("OBJ_FACE_INVALID", where, "corner %d (%q) does not have the same v/vt/vn form as the first corner", i+1, truncate(a, 40))
					ok = false
					break
				}
				corners = append(corners, c)
			}
			if !ok {
				return true
			}
			o.addFace(group, corners, smooth, &earBudget)
			if o.triangles > lim.maxTriangles {
				r.errorf("LIMIT_EXCEEDED", where, "more than %d triangles after triangulation", lim.maxTriangles)
				return false
			}
		case "usemtl":
			mat := strings.Join(args, " ")
			g, ok := byMaterial[mat]
			if !ok {
				if len(byMaterial) > lim.maxMaterials {
					r.errorf("LIMIT_EXCEEDED", where, "more than %d materials", lim.maxMaterials)
					return false
				}
				g = &objGroup{material: mat, line: n}
				byMaterial[mat] = g
				o.groups = append(o.groups, g)
			}
			group = g
		case "mtllib":
			// The file names are separated by spaces; a name with spaces
			// (which exporters do write) is taken whole when it ends in .mtl.
			names := args
			if joined := strings.Join(args, " "); len(args) > 1 && strings.HasSuffix(strings.ToLower(joined), ".mtl") && !allEndIn(args, ".mtl") {
				names = []string{joined}
			}
			for _, lib := range names {
				if seenLib[lib] {
					continue
				}
				if len(o.mtllibs) >= lim.maxMTLFiles {
					r.errorf("LIMIT_EXCEEDED", where, "more than %d .mtl files", lim.maxMTLFiles)
					return false
				}
				seenLib[lib] = true
				o.mtllibs = append(o.mtllibs, objRef{path: lib, line: n})
			}
		case "s":
			smooth = 0
			if len(args) == 1 && args[0] != "off" {
				g, err := strconv.ParseInt(args[0], 10, 32)
				if err != nil || g < 0 {
					r.warnf("OBJ_SYNTAX", where, "smoothing group %q is not a number or off; smoothing is off", truncate(args[0], 40))
				} else {
					smooth = int32(g)
				}
			}
		case "o", "g", "vp", "mg", "bevel", "c_interp", "d_interp", "lod", "shadow_obj", "trace_obj":
			// Object and group names carry no geometry; the model becomes
			// one mesh with a primitive per material.
		default:
			if _, seen := o.unsupported[kw]; !seen && len(o.unsupported) < 32 {
				o.unsupported[kw] = n
			}
		}
		return true
	})
	return o
}

func allEndIn(names []string, ext string) bool {
	for _, n := range names {
		if !strings.HasSuffix(strings.ToLower(n), ext) {
			return false
		}
	}
	return true
}

func codeForCorner(msg string) string {
	if strings.Contains(msg, "out of range") || strings.Contains(msg, "index 0") {
		return "OBJ_INDEX_OOB"
	}
	return "OBJ_FACE_INVALID"
}

// parseCorner parses "v", "v/vt", "v//vn" or "v/vt/vn". Positive indices
// count from 1; negative ones count back from the latest element; both
// must name an element defined above the face.
func (o *objFile) parseCorner(s string) (objCorner, string) {
	c := objCorner{-1, -1, -1}
	var parts [3]string
	n := 0
	for rest := s; ; n++ {
		if n == 3 {
			return c, "not of the form v, v/vt, v//vn or v/vt/vn"
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			parts[n] = rest
			n++
			break
		}
		parts[n], rest = rest[:i], rest[i+1:]
	}
	if parts[0] == "" {
		return c, "not of the form v, v/vt, v//vn or v/vt/vn"
	}
	counts := [3]int{len(o.positions), len(o.texcoords), len(o.normals)}
	kinds := [3]string{"vertex", "texture coordinate", "normal"}
	plurals := [3]string{"vertices", "texture coordinates", "normals"}
	var out [3]int32
	for i := range out {
		out[i] = -1
		if i >= n || parts[i] == "" {
			continue
		}
		ix, err := strconv.ParseInt(parts[i], 10, 64)
		if err != nil && !isRangeErr(err) {
			return c, fmt.Sprintf("%q is not an integer index", truncate(parts[i], 40))
		}
		switch {
		case ix == 0:
			return c, fmt.Sprintf("%s index 0 is invalid (indices count from 1)", kinds[i])
		case ix > 0 && ix <= int64(counts[i]):
			out[i] = int32(ix - 1)
		case ix < 0 && -ix <= int64(counts[i]):
			out[i] = int32(int64(counts[i]) + ix)
		default:
			return c, fmt.Sprintf("%s index %s is out of range: %d %s are defined above this face", kinds[i], truncate(parts[i], 24), counts[i], plurals[i])
		}
	}
	return objCorner{out[0], out[1], out[2]}, ""
}

// addFace triangulates a face into group: a triangle as is, a convex
// polygon as a fan, a concave one by ear clipping (while the file's
// ear-clipping budget lasts, then as a fan). Triangles that repeat a
// vertex are dropped.
func (o *objFile) addFace(g *objGroup, corners []objCorner, smooth int32, earBudget *int64) {
	normal := newellNormal(o.positions, corners)
	flat := int32(-1)
	if corners[0].vn < 0 {
		if smooth == 0 {
			flat = int32(len(o.faceNormals))
			o.faceNormals = append(o.faceNormals, unitOr(normal, [3]float32{0, 1, 0}))
		} else {
			o.smoothed = true
		}
	}
	emit := func(a, b, c int) {
		ca, cb, cc := corners[a], corners[b], corners[c]
		if ca.v == cb.v || cb.v == cc.v || ca.v == cc.v {
			o.degenerate++
			return
		}
		g.tris = append(g.tris, objTri{c: [3]objCorner{ca, cb, cc}, flat: flat, smooth: smooth})
		o.triangles++
	}
	n := len(corners)
	if n == 3 {
		emit(0, 1, 2)
		return
	}
	o.ngons++
	pts := project(o.positions, corners, normal)
	if isConvex(pts) {
		for i := 1; i+1 < n; i++ {
			emit(0, i, i+1)
		}
		return
	}
	if tris, ok := earClip(pts, earBudget); ok {
		o.earClipped++
		for _, t := range tris {
			emit(t[0], t[1], t[2])
		}
		return
	}
	o.concaveFans++
	for i := 1; i+1 < n; i++ {
		emit(0, i, i+1)
	}
}

// newellNormal is the polygon's area-weighted normal (twice its vector
// area), robust for non-planar and concave polygons.
func newellNormal(pos [][3]float32, corners []objCorner) [3]float64 {
	var n [3]float64
	for i := range corners {
		a := pos[corners[i].v]
		b := pos[corners[(i+1)%len(corners)].v]
		n[0] += (float64(a[1]) - float64(b[1])) * (float64(a[2]) + float64(b[2]))
		n[1] += (float64(a[2]) - float64(b[2])) * (float64(a[0]) + float64(b[0]))
		n[2] += (float64(a[0]) - float64(b[0])) * (float64(a[1]) + float64(b[1]))
	}
	return n
}

func unitOr(v [3]float64, fallback [3]float32) [3]float32 {
	l := math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2])
	if !(l > 1e-30) || math.IsInf(l, 0) {
		return fallback
	}
	return [3]float32{float32(v[0] / l), float32(v[1] / l), float32(v[2] / l)}
}

// project maps the polygon onto the plane of its normal's two smaller
// axes, keeping the winding counter-clockwise seen from the normal.
func project(pos [][3]float32, corners []objCorner, n [3]float64) [][2]float64 {
	ax := 0
	for i := 1; i < 3; i++ {
		if math.Abs(n[i]) > math.Abs(n[ax]) {
			ax = i
		}
	}
	u, v := (ax+1)%3, (ax+2)%3
	if n[ax] < 0 {
		u, v = v, u
	}
	out := make([][2]float64, len(corners))
	for i, c := range corners {
		p := pos[c.v]
		out[i] = [2]float64{float64(p[u]), float64(p[v])}
	}
	return out
}

func cross2(o, a, b [2]float64) float64 {
	return (a[0]-o[0])*(b[1]-o[1]) - (a[1]-o[1])*(b[0]-o[0])
}

// isConvex reports whether no corner of the counter-clockwise polygon
// turns clockwise (collinear corners are allowed).
func isConvex(pts [][2]float64) bool {
	n := len(pts)
	for i := range pts {
		if cross2(pts[(i+n-1)%n], pts[i], pts[(i+1)%n]) < 0 {
			return false
		}
	}
	return true
}

// earClip triangulates a simple counter-clockwise polygon by cutting off
// ears, spending at most *budget point-in-triangle tests. It fails when
// the budget runs out or no ear is found (a self-intersecting polygon).
func earClip(pts [][2]float64, budget *int64) ([][3]int, bool) {
	idx := make([]int, len(pts))
	for i := range idx {
		idx[i] = i
	}
	out := make([][3]int, 0, len(pts)-2)
	for len(idx) > 3 {
		found := false
		m := len(idx)
		for i := 0; i < m; i++ {
			a, b, c := idx[(i+m-1)%m], idx[i], idx[(i+1)%m]
			if cross2(pts[a], pts[b], pts[c]) <= 0 {
				continue // reflex or flat corner
			}
			*budget -= int64(m)
			if *budget < 0 {
				return nil, false
			}
			ear := true
			for _, p := range idx {
				if p == a || p == b || p == c {
					continue
				}
				if inTriangle(pts[p], pts[a], pts[b], pts[c]) {
					ear = false
					break
				}
			}
			if ear {
				out = append(out, [3]int{a, b, c})
				idx = append(idx[:i], idx[i+1:]...)
				found = true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	out = append(out, [3]int{idx[0], idx[1], idx[2]})
	return out, true
}

func inTriangle(p, a, b, c [2]float64) bool {
	return cross2(a, b, p) >= 0 && cross2(b, c, p) >= 0 && cross2(c, a, p) >= 0
}
