package progressive

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/vitrine-shop/vitrine/wasm/client"
	"github.com/vitrine-shop/vitrine/wire"
)

// PreviewParam is the page URL's query parameter that asks for exactly
// one level of detail (/p/mug-sage?lod=2): the merchant console uses it
// to look at every level the pipeline made.
const PreviewParam = "lod"

// ErrNoSuchLevel reports a preview of a level the model does not have.
var ErrNoSuchLevel = errors.New("progressive: no such level of detail")

// ParsePreview reads the preview level from a URL query string (without
// the leading "?"). ok is false when the query does not ask for one; a
// value that is not a level number (0 … wire.MaxLODs-1) is an error.
func ParsePreview(rawQuery string) (level int, ok bool, err error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return 0, false, fmt.Errorf("progressive: preview query: %w", err)
	}
	if !q.Has(PreviewParam) {
		return 0, false, nil
	}
	v := q.Get(PreviewParam)
	level, err = strconv.Atoi(v)
	if err != nil || level < 0 || level >= wire.MaxLODs {
		return 0, false, fmt.Errorf("%w: %s=%q is not a level between 0 and %d", ErrNoSuchLevel, PreviewParam, v, wire.MaxLODs-1)
	}
	return level, true, nil
}

// PreviewPlan is the plan of a preview of level: that level alone, with
// no coarser level before it. With lods unknown (empty) the level is
// planned as asked and the server judges it; otherwise a level the model
// does not list is ErrNoSuchLevel.
func PreviewPlan(lods []wire.LODInfo, level int) ([]int, error) {
	if len(lods) == 0 {
		return []int{level}, nil
	}
	for _, l := range lods {
		if l.Level == level {
			return []int{level}, nil
		}
	}
	return nil, fmt.Errorf("%w: level %d, the model has levels 0 to %d", ErrNoSuchLevel, level, len(lods)-1)
}

// LevelLabel describes the level a meta announces for the preview's
// label: "Level 2 of 4, 1,250 triangles" (levels are numbered from 0,
// the finest, as in the URL).
func LevelLabel(meta wire.ModelMeta) string {
	count := len(meta.LODs)
	if count == 0 {
		count = 1
	}
	triangles := -1
	for _, l := range meta.LODs {
		if l.Level == meta.LOD {
			triangles = l.Triangles
		}
	}
	label := fmt.Sprintf("Level %d of %d", meta.LOD, count)
	switch {
	case triangles == 1:
		label += ", 1 triangle"
	case triangles >= 0:
		label += ", " + groupDigits(triangles) + " triangles"
	}
	return label
}

// groupDigits writes n with thousands separators: 12480 → "12,480".
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + groupDigits(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// Preview delivers exactly one level of sku's model, as the only and
// final level: no coarser level first, nothing read from or written to
// the cache, so what is shown is what the server streams for that level.
func (l *Loader) Preview(ctx context.Context, sku string, level int, deliver func(Level) error, progress func(Progress)) error {
	plan, err := PreviewPlan(nil, level)
	if err != nil {
		return err
	}
	m, err := l.Open.Open(ctx, client.ModelRequest{
		SKU: sku,
		LOD: plan[0],
		Progress: func(held, total int64) {
			if progress != nil {
				progress(Progress{HeldBytes: held, TotalBytes: total, LevelsTotal: 1})
			}
		},
	})
	if err != nil {
		return fmt.Errorf("progressive: %s level %d: %w", sku, level, err)
	}
	if _, err := PreviewPlan(m.Meta.LODs, m.Meta.LOD); err != nil || m.Meta.LOD != level {
		return fmt.Errorf("progressive: %s: asked for level %d, the server sent level %d", sku, level, m.Meta.LOD)
	}
	if progress != nil {
		progress(Progress{HeldBytes: m.Meta.SizeBytes, TotalBytes: m.Meta.SizeBytes, LevelsDone: 1, LevelsTotal: 1})
	}
	return deliver(Level{Meta: m.Meta, Level: level, Data: m.Data, Final: true})
}
