// Package eval measures visual search quality on a labelled set: a
// gallery folder and a queries folder, each holding one sub-folder per
// product label with that product's images. For every embedder it embeds
// both (queries as the service does, with every hypothesis of a
// vsearch.QueryEmbedder), ranks the gallery's products for each query by
// their best-matching image and hypothesis, each hypothesis' similarities
// less its penalty (the same pooling, vsearch.HypothesisScore, the index
// and service use), and reports Recall@1/5/10 over products and
// mean average precision over gallery images.
package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"  // labelled sets are JPEG
	_ "image/png" // and PNG
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/vitrine-shop/vitrine/server/vsearch"
	"github.com/vitrine-shop/vitrine/server/vsearch/eval/synth"
)

// Item is one labelled image.
type Item struct {
	Label string
	Path  string
	Image image.Image
}

// Limits on what LoadSet reads: a labelled set is trusted but bounded.
const (
	maxSetImages     = 20000
	maxSetImageBytes = 8 << 20
)

// ShapeSheetFile is the name, in a gallery label's folder, of the
// product's silhouette sheet (vsearch.NewShapeBankSheet), as the asset
// pipeline renders it from the product's model. It is not a gallery
// image; LoadShapes reads it.
const ShapeSheetFile = synth.ShapeSheetFile

// LoadSet reads every .jpg, .jpeg and .png in dir's immediate
// sub-folders (but ShapeSheetFile), labelled by the sub-folder's name, in
// sorted order.
func LoadSet(dir string) ([]Item, error) {
	labels, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("eval: read set: %w", err)
	}
	var items []Item
	for _, l := range labels {
		if !l.IsDir() {
			continue
		}
		files, err := os.ReadDir(filepath.Join(dir, l.Name()))
		if err != nil {
			return nil, fmt.Errorf("eval: read label %s: %w", l.Name(), err)
		}
		for _, f := range files {
			ext := strings.ToLower(filepath.Ext(f.Name()))
			if f.IsDir() || (ext != ".jpg" && ext != ".jpeg" && ext != ".png") || f.Name() == ShapeSheetFile {
				continue
			}
			if len(items) >= maxSetImages {
				return nil, fmt.Errorf("eval: %s holds more than %d images", dir, maxSetImages)
			}
			path := filepath.Join(dir, l.Name(), f.Name())
			img, err := loadImage(path)
			if err != nil {
				return nil, err
			}
			items = append(items, Item{Label: l.Name(), Path: path, Image: img})
		}
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("eval: %s holds no labelled images", dir)
	}
	return items, nil
}

// LoadShapes reads the silhouette sheet (ShapeSheetFile) of each label
// folder in dir that has one, as the gallery's shape banks by label.
func LoadShapes(dir string) (map[string]*vsearch.ShapeBank, error) {
	labels, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("eval: read set: %w", err)
	}
	out := map[string]*vsearch.ShapeBank{}
	for _, l := range labels {
		path := filepath.Join(dir, l.Name(), ShapeSheetFile)
		if !l.IsDir() {
			continue
		}
		img, err := loadImage(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if out[l.Name()], err = vsearch.NewShapeBankSheet(img); err != nil {
			return nil, fmt.Errorf("eval: %s: %w", path, err)
		}
	}
	return out, nil
}

// loadImage reads one image of a labelled set, within its bounds.
func loadImage(path string) (image.Image, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	img, err := vsearch.DecodeQueryImage(data, maxSetImageBytes, 4096*4096)
	if err != nil {
		return nil, fmt.Errorf("eval: %s: %w", path, err)
	}
	return img, nil
}

// Metrics are one embedder's figures on a labelled set.
type Metrics struct {
	Embedder string
	Queries  int
	// RecallAt1, RecallAt5 and RecallAt10 are the fractions of queries
	// whose product is among the first 1, 5 and 10 ranked products.
	RecallAt1, RecallAt5, RecallAt10 float64
	// MAP is the mean over queries of the average precision of the
	// ranking of gallery images (relevant: the query product's images).
	MAP float64
	// EmbedTime is the mean time to embed one image.
	EmbedTime time.Duration
	// PerLabelRecallAt1 is Recall@1 per query label.
	PerLabelRecallAt1 map[string]float64
	// PerBackgroundRecallAt1 is Recall@1 per background kind of the
	// generated query sets (synth.BackgroundOf); empty for other sets.
	PerBackgroundRecallAt1 map[string]float64
}

// EmbedAll embeds items with e on all CPUs, in order.
func EmbedAll(ctx context.Context, e vsearch.Embedder, items []Item) ([][]float32, time.Duration, error) {
	return embedEach(items, "embed "+e.Name(), func(img image.Image) ([]float32, error) { return e.Embed(ctx, img) })
}

// EmbedQueries embeds query items as the search service does
// (vsearch.EmbedHypotheses: one or more vectors each, with their
// penalties) on all CPUs, in order.
func EmbedQueries(ctx context.Context, e vsearch.Embedder, items []Item) ([][]vsearch.Hypothesis, time.Duration, error) {
	return embedEach(items, "embed query with "+e.Name(), func(img image.Image) ([]vsearch.Hypothesis, error) {
		return vsearch.EmbedHypotheses(ctx, e, img)
	})
}

// embedEach runs embed on every item's image on all CPUs and returns the
// results in order with the mean CPU time per image (wall time × workers
// ÷ images). The first failure, in item order, is the error; what names
// the work in it.
func embedEach[T any](items []Item, what string, embed func(image.Image) (T, error)) ([]T, time.Duration, error) {
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	out, err := Parallel(len(items), workers, func(i int) (T, error) {
		v, err := embed(items[i].Image)
		if err != nil {
			return v, fmt.Errorf("eval: %s: %s: %w", what, items[i].Path, err)
		}
		return v, nil
	})
	if err != nil {
		return nil, 0, err
	}
	busy := time.Since(start) * time.Duration(workers)
	return out, busy / time.Duration(max(len(items), 1)), nil
}

// JPEGRoundTrip compresses img at quality and decodes it again, as a
// shopper's upload arrives; the generated training pictures go through it.
func JPEGRoundTrip(img image.Image, quality int) (image.Image, error) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		return nil, fmt.Errorf("eval: encode: %w", err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		return nil, fmt.Errorf("eval: decode: %w", err)
	}
	return out, nil
}

// Parallel calls f(0) … f(n-1) on workers goroutines (at least one) and
// returns the results in order; the error is the failure with the lowest
// index, as f returned it. Every call runs, even after a failure.
func Parallel[T any](n, workers int, f func(i int) (T, error)) ([]T, error) {
	out := make([]T, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = f(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Score ranks the gallery for each query given a similarity function
// sim(query, galleryItem) and returns the metrics.
func Score(gallery, queries []Item, sim func(q, g int) float32) Metrics {
	m := Metrics{Queries: len(queries), PerLabelRecallAt1: map[string]float64{}, PerBackgroundRecallAt1: map[string]float64{}}
	perBackgroundN := map[string]int{}
	labelCount := map[string]int{}
	for _, g := range gallery {
		labelCount[g.Label]++
	}
	perLabelN := map[string]int{}
	type scored struct {
		idx   int
		score float32
	}
	ranked := make([]scored, len(gallery))
	for q := range queries {
		truth := queries[q].Label
		best := map[string]float32{}
		for g := range gallery {
			s := sim(q, g)
			ranked[g] = scored{g, s}
			if b, ok := best[gallery[g].Label]; !ok || s > b {
				best[gallery[g].Label] = s
			}
		}
		// Product rank: 1 + products scoring strictly higher than the
		// truth (ties count against the query).
		rank := 1
		for label, s := range best {
			if label != truth && s >= best[truth] {
				rank++
			}
		}
		bg, generated := synth.BackgroundOfFile(queries[q].Path)
		if generated {
			perBackgroundN[bg]++
		}
		if rank <= 1 {
			m.RecallAt1++
			m.PerLabelRecallAt1[truth]++
			if generated {
				m.PerBackgroundRecallAt1[bg]++
			}
		}
		if rank <= 5 {
			m.RecallAt5++
		}
		if rank <= 10 {
			m.RecallAt10++
		}
		perLabelN[truth]++
		sort.SliceStable(ranked, func(i, j int) bool { return ranked[i].score > ranked[j].score })
		hits, ap := 0, 0.0
		for pos, r := range ranked {
			if gallery[r.idx].Label == truth {
				hits++
				ap += float64(hits) / float64(pos+1)
			}
		}
		if n := labelCount[truth]; n > 0 {
			m.MAP += ap / float64(n)
		}
	}
	if n := float64(len(queries)); n > 0 {
		m.RecallAt1 /= n
		m.RecallAt5 /= n
		m.RecallAt10 /= n
		m.MAP /= n
	}
	for label, n := range perLabelN {
		m.PerLabelRecallAt1[label] /= float64(n)
	}
	if len(perBackgroundN) > 0 && sum(perBackgroundN) == len(queries) {
		for bg, n := range perBackgroundN {
			m.PerBackgroundRecallAt1[bg] /= float64(n)
		}
	} else {
		clear(m.PerBackgroundRecallAt1)
	}
	return m
}

// Evaluate embeds gallery and queries with e and scores them, each
// product's score moved by its shape bank's agreement with the query
// (vsearch.ShapeScore; shapes by label, nil or partial for a gallery
// without sheets), as the service scores.
func Evaluate(ctx context.Context, e vsearch.Embedder, gallery, queries []Item, shapes map[string]*vsearch.ShapeBank) (Metrics, error) {
	gv, gt, err := EmbedAll(ctx, e, gallery)
	if err != nil {
		return Metrics{}, err
	}
	qv, qt, err := EmbedQueries(ctx, e, queries)
	if err != nil {
		return Metrics{}, err
	}
	m := ScoreEmbedded(gallery, queries, gv, qv, shapes, vsearch.ShapeWeight)
	m.Embedder = vsearch.SpaceOf(e).String()
	m.EmbedTime = (gt*time.Duration(len(gallery)) + qt*time.Duration(len(queries))) / time.Duration(len(gallery)+len(queries))
	return m, nil
}

// ScoreEmbedded scores embedded gallery images (gv) and queries (qv) as
// the service ranks: a product's score is the best over its images and the
// query's hypotheses of vsearch.HypothesisScore, then
// vsearch.ShapeScoreWeighted with its shape bank and shapeWeight.
func ScoreEmbedded(gallery, queries []Item, gv [][]float32, qv [][]vsearch.Hypothesis, shapes map[string]*vsearch.ShapeBank, shapeWeight float32) Metrics {
	// The shape term is the same for every image of a product: one per
	// query and label.
	shapeTerm := make([]map[string]float32, len(queries))
	for q := range queries {
		shapeTerm[q] = map[string]float32{}
		for _, g := range gallery {
			if _, ok := shapeTerm[q][g.Label]; !ok {
				shapeTerm[q][g.Label] = vsearch.ShapeScoreWeighted(0, qv[q], shapes[g.Label], shapeWeight)
			}
		}
	}
	return Score(gallery, queries, func(q, g int) float32 {
		best := float32(-2)
		for _, h := range qv[q] {
			best = max(best, vsearch.HypothesisScore(vsearch.Dot(h.Vector, gv[g]), h.Penalty))
		}
		return best + shapeTerm[q][gallery[g].Label]
	})
}

// RunEval evaluates each embedder on the labelled gallery and queries
// folders and prints a table of Recall@1/5/10 and mAP, one row per
// embedder, followed by Recall@1 per product. It is `vitrine eval search`.
func RunEval(ctx context.Context, w io.Writer, galleryDir, queriesDir string, embedders ...vsearch.Embedder) error {
	if len(embedders) == 0 {
		return fmt.Errorf("eval: no embedders to evaluate")
	}
	gallery, err := LoadSet(galleryDir)
	if err != nil {
		return err
	}
	queries, err := LoadSet(queriesDir)
	if err != nil {
		return err
	}
	shapes, err := LoadShapes(galleryDir)
	if err != nil {
		return err
	}
	var all []Metrics
	for _, e := range embedders {
		m, err := Evaluate(ctx, e, gallery, queries, shapes)
		if err != nil {
			return err
		}
		all = append(all, m)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "gallery: %d images of %d products (%d with shape banks); queries: %d\n\n", len(gallery), countLabels(gallery), len(shapes), len(queries))
	tw := tabwriter.NewWriter(&buf, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "embedder\tR@1\tR@5\tR@10\tmAP\tembed/img")
	for _, m := range all {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%s\n", m.Embedder, m.RecallAt1, m.RecallAt5, m.RecallAt10, m.MAP, m.EmbedTime.Round(10*time.Microsecond))
	}
	tw.Flush()
	// A set of a hundred-odd queries measures Recall@1 to about ±0.06:
	// say so beside the figure, so that a difference of a query or two
	// is read as the noise it is.
	fmt.Fprintf(&buf, "R@1 95%% interval (Wilson score, %d queries):", len(queries))
	for i, m := range all {
		lo, hi := WilsonInterval(int(math.Round(m.RecallAt1*float64(m.Queries))), m.Queries)
		sep := ";"
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&buf, "%s %s %.3f–%.3f", sep, m.Embedder, lo, hi)
	}
	fmt.Fprintln(&buf)
	fmt.Fprintln(&buf)
	labels := make([]string, 0, len(all[0].PerLabelRecallAt1))
	for l := range all[0].PerLabelRecallAt1 {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	recallTable(&buf, "R@1 per product", all, labels, func(m Metrics, l string) float64 { return m.PerLabelRecallAt1[l] })
	if bgs := backgrounds(all[0]); len(bgs) > 0 {
		fmt.Fprintln(&buf)
		recallTable(&buf, "R@1 per background", all, bgs, func(m Metrics, bg string) float64 { return m.PerBackgroundRecallAt1[bg] })
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("eval: write report: %w", err)
	}
	return nil
}

// WilsonInterval is the 95% Wilson score interval of a proportion of
// hits in n trials, such as Recall@1 over n queries: the range of true
// rates the measurement does not rule out. It is (0, 1) for n ≤ 0.
func WilsonInterval(hits, n int) (lo, hi float64) {
	if n <= 0 {
		return 0, 1
	}
	const z = 1.959963984540054 // the normal distribution's 97.5th percentile
	p, fn := float64(hits)/float64(n), float64(n)
	d := 1 + z*z/fn
	centre := (p + z*z/(2*fn)) / d
	half := z * math.Sqrt(p*(1-p)/fn+z*z/(4*fn*fn)) / d
	return max(0, centre-half), min(1, centre+half)
}

// recallTable writes a table of one figure per row and embedder: a header
// line naming the embedders, then each row's value for each.
func recallTable(w io.Writer, title string, all []Metrics, rows []string, value func(Metrics, string) float64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := title
	for _, m := range all {
		header += "\t" + m.Embedder
	}
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		line := r
		for _, m := range all {
			line += fmt.Sprintf("\t%.2f", value(m, r))
		}
		fmt.Fprintln(tw, line)
	}
	tw.Flush()
}

// backgrounds lists the background kinds m has figures for, in the
// generator's order.
func backgrounds(m Metrics) []string {
	var out []string
	for _, bg := range synth.Backgrounds {
		if _, ok := m.PerBackgroundRecallAt1[bg]; ok {
			out = append(out, bg)
		}
	}
	return out
}

func sum(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

func countLabels(items []Item) int {
	seen := map[string]bool{}
	for _, it := range items {
		seen[it.Label] = true
	}
	return len(seen)
}
