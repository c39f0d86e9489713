package assetpipe

import (
	"bytes"
	"fmt"
	"image"
	"time"

	"github.com/vitrine-shop/vitrine/server/catalog"
	"github.com/vitrine-shop/vitrine/server/gltf"
	"github.com/vitrine-shop/vitrine/wire"
)

// Issue is one problem found in a model, with the JSON pointer it
// concerns and an explanation a merchant can act on.
type Issue struct {
	Severity string `json:"severity"` // "error", "warning" or "info"
	Code     string `json:"code"`
	Pointer  string `json:"pointer,omitempty"`
	Message  string `json:"message"`
	// Explanation says in plain words what the code means and what to do.
	Explanation string `json:"explanation"`
}

// LODReport describes one built level.
type LODReport struct {
	Level     int     `json:"level"`
	Triangles int     `json:"triangles"`
	Vertices  int     `json:"vertices"`
	SizeBytes int64   `json:"size_bytes"`
	Ratio     float64 `json:"ratio"`
	// SimplifyError is the largest simplification error (relative to the
	// mesh extent, attribute error included).
	SimplifyError float64 `json:"simplify_error"`
	// PosterDifference is ImageDifference between this level's poster and
	// level 0's, drawn with the same camera (0 = identical).
	PosterDifference float64 `json:"poster_difference"`
}

// ProcessReport is what processing found and did, for the merchant console and
// `vitrine asset process`.
type ProcessReport struct {
	At time.Time `json:"at"`
	// DeclaredM are the merchant's dimensions; MeasuredM the model's as
	// uploaded; NormalisedM after unit and up-axis fixes.
	DeclaredM   wire.Dimensions `json:"declared_m"`
	MeasuredM   wire.Dimensions `json:"measured_m"`
	NormalisedM wire.Dimensions `json:"normalised_m"`
	// MismatchPct compares NormalisedM with DeclaredM; DimensionsMismatch
	// is set when it exceeds MismatchTolerancePct.
	MismatchPct        float64 `json:"mismatch_pct"`
	DimensionsMismatch bool    `json:"dimensions_mismatch"`
	// Unit is the detected authoring unit and UnitScale its size in
	// metres; ZUp says the model was turned from Z up to Y up.
	Unit      string  `json:"unit"`
	UnitScale float64 `json:"unit_scale"`
	ZUp       bool    `json:"z_up"`
	Placement string  `json:"placement"`
	// BoundsMin and BoundsMax are the normalised model's bounds.
	BoundsMin   [3]float64  `json:"bounds_min"`
	BoundsMax   [3]float64  `json:"bounds_max"`
	SourceBytes int64       `json:"source_bytes"`
	LODs        []LODReport `json:"lods"`
	Issues      []Issue     `json:"issues,omitempty"`
	Notes       []string    `json:"notes,omitempty"`
	// ElapsedMS is the processing time in milliseconds.
	ElapsedMS int64 `json:"elapsed_ms"`
}

// HasErrors reports whether any issue is an error.
func (r *ProcessReport) HasErrors() bool {
	for _, is := range r.Issues {
		if is.Severity == "error" {
			return true
		}
	}
	return false
}

// Catalog condenses r into the catalog's report: problems are the error
// and warning issues (pointer, message and explanation) and a dimension
// mismatch; notes are the fixes applied and the levels built.
func (r *ProcessReport) Catalog() *catalog.Report {
	out := &catalog.Report{At: r.At, DeclaredM: r.DeclaredM, MeasuredM: r.NormalisedM, MismatchPct: r.MismatchPct}
	if r.DimensionsMismatch {
		out.Problems = append(out.Problems, fmt.Sprintf("the model measures %.3f × %.3f × %.3f m (w × h × d) but %.3f × %.3f × %.3f m was declared: a %.1f%% difference",
			r.NormalisedM.W, r.NormalisedM.H, r.NormalisedM.D, r.DeclaredM.W, r.DeclaredM.H, r.DeclaredM.D, r.MismatchPct))
	}
	for _, is := range r.Issues {
		if is.Severity == "info" {
			continue
		}
		out.Problems = append(out.Problems, is.String())
	}
	out.Notes = append(out.Notes, r.Notes...)
	for _, l := range r.LODs {
		out.Notes = append(out.Notes, fmt.Sprintf("level %d: %d triangles, %d vertices, %d bytes, poster difference %.3f", l.Level, l.Triangles, l.Vertices, l.SizeBytes, l.PosterDifference))
	}
	return out
}

// String is the issue as one line for merchants: "severity CODE at
// /pointer: message — what it means".
func (is Issue) String() string {
	line := is.Severity + " " + is.Code
	if is.Pointer != "" {
		line += " at " + is.Pointer
	}
	return line + ": " + is.Message + " — " + is.Explanation
}

// IssuesFromProblems turns the gltf package's problems into issues with
// explanations.
func IssuesFromProblems(problems []gltf.Problem) []Issue {
	out := make([]Issue, 0, len(problems))
	for _, p := range problems {
		out = append(out, Issue{Severity: p.Severity.String(), Code: p.Code, Pointer: p.Pointer, Message: p.Message, Explanation: Explain(p.Code)})
	}
	return out
}

// explanations maps issue codes (the Khronos glTF-Validator's, which the
// gltf package reuses, and Vitrine's own) to plain words.
var explanations = map[string]string{
	"EMPTY_FILE":                          "The file is empty. Export the model again and upload the .glb file.",
	"NOT_GLTF":                            "This is not a model Vitrine reads. Upload a binary glTF (.glb), a zip holding a .gltf file and its textures, or a zip holding an .obj with its .mtl and textures.",
	"GLB_INVALID_MAGIC":                   "The file does not start like a .glb file; it may be another format renamed to .glb.",
	"GLB_INVALID_VERSION":                 "The .glb file uses an old glTF version; re-export it as glTF 2.0.",
	"GLB_LENGTH_MISMATCH":                 "The file's declared length does not match its size: it was probably cut short during upload or export.",
	"GLB_LENGTH_TOO_SMALL":                "The file is shorter than its header says: it was probably truncated.",
	"GLB_TRUNCATED":                       "The file is shorter than its header says: it was cut short during upload or export; export it again.",
	"GLB_CHUNK_LENGTH_UNALIGNED":          "The file's internal sections are misaligned; the exporter wrote a broken .glb.",
	"GLB_CHUNK_TOO_BIG":                   "An internal section claims to be longer than the file: the file is truncated or corrupt.",
	"GLB_UNEXPECTED_END_OF_CHUNK_HEADER":  "The file ends in the middle of a section header: it was truncated.",
	"GLB_UNEXPECTED_END_OF_CHUNK_DATA":    "The file ends in the middle of a section: it was truncated.",
	"INVALID_JSON":                        "The model's description (its JSON) is not valid JSON; the file is corrupt or hand-edited.",
	"TYPE_MISMATCH":                       "A property has the wrong kind of value (for example text where a number belongs).",
	"UNDEFINED_PROPERTY":                  "A required property is missing from the model's description.",
	"VALUE_NOT_IN_RANGE":                  "A value is outside the range glTF allows.",
	"VALUE_NOT_IN_LIST":                   "A value is not one of those glTF allows.",
	"UNRESOLVED_REFERENCE":                "Something refers to an item (mesh, material, accessor…) that does not exist.",
	"INVALID_ACCESSOR_RANGE":              "Geometry data points outside the file's binary data: the file is truncated or corrupt.",
	"ACCESSOR_TOTAL_OFFSET_ALIGNMENT":     "Geometry data is misaligned in the binary buffer; re-export the model.",
	"ACCESSOR_INDEX_OOB":                  "A triangle refers to a vertex that does not exist; the mesh is corrupt.",
	"ACCESSOR_INVALID_FLOAT":              "Some vertex values are not numbers (NaN or infinity); fix or re-export the mesh.",
	"ACCESSOR_ELEMENT_OUT_OF_MIN_BOUND":   "Vertex data goes beyond the bounds the file declares, so the model would be measured wrongly.",
	"ACCESSOR_ELEMENT_OUT_OF_MAX_BOUND":   "Vertex data goes beyond the bounds the file declares, so the model would be measured wrongly.",
	"ACCESSOR_MIN_MISMATCH":               "The declared bounds are looser than the data; the size may be overestimated.",
	"ACCESSOR_MAX_MISMATCH":               "The declared bounds are looser than the data; the size may be overestimated.",
	"ACCESSOR_NON_UNIT":                   "Some normals or tangents are not unit length; lighting will look wrong.",
	"ACCESSOR_INDEX_TRIANGLE_DEGENERATE":  "Some triangles have no area; they draw nothing and can be removed.",
	"ACCESSOR_SPARSE_INDICES_INVALID":     "Sparse geometry data is malformed.",
	"BUFFER_VIEW_TOO_LONG":                "A block of binary data is longer than its buffer: the file is truncated or corrupt.",
	"BUFFER_MISSING_GLB_DATA":             "The model's binary data is missing from the .glb file.",
	"BUFFER_EXTERNAL_BYTELENGTH_MISMATCH": "A .bin file has a different size than the model says.",
	"URI_NOT_ALLOWED":                     "The model points to a file outside the upload (a web address, an absolute path or ‘..’). Pack everything into the .glb or the zip.",
	"EXTERNAL_RESOURCE_MISSING":           "A file the model needs (a .bin or texture) is not in the upload.",
	"NODE_LOOP":                           "The node hierarchy contains a cycle: a node is its own ancestor.",
	"NODE_PARENT_OVERRIDE":                "A node has more than one parent, which glTF forbids.",
	"UNSUPPORTED_EXTENSION":               "The model requires an extension Vitrine cannot display; export without it (for example without Draco or meshopt compression).",
	"IMAGE_UNRECOGNIZED_FORMAT":           "A texture is neither PNG nor JPEG; convert it.",
	"IMAGE_MIME_TYPE_INVALID":             "A texture's declared type does not match its content.",
	"IMAGE_DATA_INVALID":                  "A texture cannot be read; it is corrupt.",
	"IMAGE_TOO_LARGE":                     "A texture is too large; resize it (at most 8192 pixels a side).",
	"IMAGE_NPOT_DIMENSIONS":               "A texture's sides are not powers of two; it works, but 1024 or 2048 pixels mip-maps best.",
	"LIMIT_EXCEEDED":                      "The model is larger than Vitrine accepts; reduce its detail or texture sizes.",
	"ZIP_BOMB":                            "The zip file expands far more than real models do and was refused.",
	"BUDGET_TRIANGLES":                    "The model has more triangles than the budget allows; simplify it before uploading.",
	"BUDGET_VERTICES":                     "The model has more vertices than the budget allows; simplify it or merge duplicate vertices.",
	"BUDGET_TEXTURES":                     "The model uses more textures than the budget allows; combine them into an atlas.",
	"BUDGET_TEXTURE_SIZE":                 "A texture is larger than the budget allows; resize it.",
	"BUDGET_BYTES":                        "The file is larger than the budget allows; compress textures or reduce detail.",
	"OBJ_SYNTAX":                          "A line of the OBJ or MTL file cannot be read; the file is corrupt or was written by a broken exporter.",
	"OBJ_VERTEX_INVALID":                  "A vertex, texture coordinate or normal is not a finite number (NaN, infinity or text); fix or re-export the mesh.",
	"OBJ_INDEX_OOB":                       "A face refers to a vertex, texture coordinate or normal that is not defined above it; the OBJ file is corrupt or truncated.",
	"OBJ_FACE_INVALID":                    "A face is malformed (fewer than three corners, or corners written in different v/vt/vn forms).",
	"OBJ_NO_GEOMETRY":                     "The OBJ file has no faces; export the model as polygons.",
	"OBJ_FILE_UNREADABLE":                 "A file the OBJ upload names cannot be read: a corrupt zip entry, or a link that leads out of the model's folder.",
	"OBJ_MTL_MISSING":                     "The OBJ names a material file (.mtl) that is not in the upload; zip the .obj together with its .mtl files and textures.",
	"OBJ_TEXTURE_MISSING":                 "A texture the .mtl file names is not in the upload; add it to the zip, in the folder the .mtl names it from.",
	"OBJ_MATERIAL_MISSING":                "A material the OBJ uses is not defined in its .mtl files; those faces are drawn plain grey.",
	"OBJ_MATERIAL_DUPLICATE":              "The .mtl files define a material twice; the first definition is used.",
	"OBJ_MATERIAL_INVISIBLE":              "A material is fully transparent, so its faces will not show; check the .mtl file's d or Tr value.",
	"OBJ_MTL_UNSUPPORTED":                 "A material setting has no equivalent in the viewer's materials and was left out.",
	"OBJ_UNSUPPORTED":                     "Part of the OBJ file (lines, points, curves, vertex colours) cannot be shown and was left out.",
	"OBJ_TRIANGULATED":                    "Faces with more than three corners were split into triangles.",
	"OBJ_CONCAVE_FACES":                   "Some faces are concave or cross themselves and were split simply; they may look wrong. Triangulate them in your 3D tool before exporting.",
	"OBJ_DEGENERATE_FACES":                "Some faces use the same vertex twice and have no area; they were removed.",
	"OBJ_NORMALS_COMPUTED":                "The OBJ has no normals for some faces; they were computed (smooth within smoothing groups, flat elsewhere).",
	"OBJ_NORMAL_INVALID":                  "Some normals in the OBJ are zero-length; the face's own normal is used instead.",
	"OBJ_BUMP_MAP_IGNORED":                "The bump map is a height map; the viewer needs a tangent-space normal map. Bake a normal map and name it with norm or map_Bump.",
	"DIMENSIONS_MISMATCH":                 "The model's measured size differs from the declared dimensions by more than 2%; check the model's scale or the declared size.",
}

// Explain returns the plain-words explanation of an issue code, or a
// general one for codes it does not know.
func Explain(code string) string {
	if e, ok := explanations[code]; ok {
		return e
	}
	return "The glTF validator reported this; see the message for details."
}

// Budget bounds what a model may cost a shopper's device. A zero field
// means no bound.
type Budget struct {
	MaxTriangles   int
	MaxVertices    int
	MaxTextures    int
	MaxTextureSide int
	MaxTotalBytes  int64
}

// DefaultBudget is the upload path's budget: 1M triangles and vertices,
// 16 textures of at most 4096 px, 64 MiB.
func DefaultBudget() Budget {
	return Budget{MaxTriangles: 1_000_000, MaxVertices: 1_000_000, MaxTextures: 16, MaxTextureSide: 4096, MaxTotalBytes: 64 << 20}
}

// Check returns an error issue for every bound a (of sizeBytes bytes)
// exceeds. Texture sides are read from image headers only.
func (b Budget) Check(a *gltf.Asset, sizeBytes int64) []Issue {
	var out []Issue
	add := func(code, pointer, format string, args ...any) {
		out = append(out, Issue{Severity: "error", Code: code, Pointer: pointer, Message: fmt.Sprintf(format, args...), Explanation: Explain(code)})
	}
	st := a.Stats()
	if b.MaxTriangles > 0 && st.Triangles > b.MaxTriangles {
		add("BUDGET_TRIANGLES", "/meshes", "the model draws %d triangles; the budget is %d", st.Triangles, b.MaxTriangles)
	}
	if b.MaxVertices > 0 && st.Vertices > b.MaxVertices {
		add("BUDGET_VERTICES", "/meshes", "the model has %d vertices; the budget is %d", st.Vertices, b.MaxVertices)
	}
	if b.MaxTextures > 0 && len(a.Doc.Textures) > b.MaxTextures {
		add("BUDGET_TEXTURES", "/textures", "the model has %d textures; the budget is %d", len(a.Doc.Textures), b.MaxTextures)
	}
	if b.MaxTextureSide > 0 {
		for i := range a.Doc.Images {
			w, h, err := imageSize(a, i)
			if err == nil && (w > b.MaxTextureSide || h > b.MaxTextureSide) {
				add("BUDGET_TEXTURE_SIZE", fmt.Sprintf("/images/%d", i), "the image is %d×%d pixels; the budget is %d a side", w, h, b.MaxTextureSide)
			}
		}
	}
	if b.MaxTotalBytes > 0 && sizeBytes > b.MaxTotalBytes {
		add("BUDGET_BYTES", "", "the file is %d bytes; the budget is %d", sizeBytes, b.MaxTotalBytes)
	}
	return out
}

// imageSize reads image i's width and height from its header.
func imageSize(a *gltf.Asset, i int) (int, int, error) {
	data, _, err := a.ImageBytes(i)
	if err != nil {
		return 0, 0, err
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return 0, 0, err
	}
	return cfg.Width, cfg.Height, nil
}
