package vsearch

import (
	"context"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/disintegration/imaging"
)

type zzItem struct {
	label, path string
	img         image.Image
}

func zzLoad(t *testing.T, dir string) []zzItem {
	var out []zzItem
	labels, _ := os.ReadDir(dir)
	for _, l := range labels {
		if !l.IsDir() {
			continue
		}
		files, _ := os.ReadDir(filepath.Join(dir, l.Name()))
		for _, f := range files {
			p := filepath.Join(dir, l.Name(), f.Name())
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			img, err := DecodeQueryImage(data, 8<<20, 4096*4096)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, zzItem{l.Name(), p, img})
		}
	}
	return out
}

type zzQ struct {
	label string
	vecs  [][]float32
	pen   []float32
	iou   []float64
}

func TestZZOracle(t *testing.T) {
	sets := os.Getenv("ZZORACLE")
	if sets == "" {
		t.Skip()
	}
	ctx := context.Background()
	d := NewDescriptor()
	gal := zzLoad(t, "testdata/eval/gallery")
	gv := make([][]float32, len(gal))
	for i, g := range gal {
		gv[i], _ = d.Embed(ctx, g.img)
	}
	for _, dir := range strings.Split(sets, ",") {
		items := zzLoad(t, dir+"/queries")
		qs := make([]zzQ, len(items))
		sem := make(chan struct{}, 2)
		done := make(chan struct{}, len(items))
		for qi := range items {
			go func() {
				sem <- struct{}{}
				defer func() { <-sem; done <- struct{}{} }()
				it := items[qi]
				small, _, _ := smallCutout(it.img, workSide)
				li := toLab(small)
				fgs, cues, _ := hypotheses(li)
				mp := filepath.Join(dir, "masks", it.label, strings.TrimSuffix(filepath.Base(it.path), ".jpg")+".png")
				f, err := os.Open(mp)
				if err != nil {
					panic(err)
				}
				mi, _ := png.Decode(f)
				f.Close()
				g := image.NewGray(mi.Bounds())
				draw.Draw(g, g.Rect, mi, g.Rect.Min, draw.Src)
				tr := imaging.Resize(g, li.w, li.h, imaging.Box)
				q := zzQ{label: it.label}
				for h, fg := range fgs {
					b, _ := d.describe(li, fg)
					q.vecs = append(q.vecs, d.combine(b))
					q.pen = append(q.pen, HypothesisPenalty(cues[h], d.penaltyWeights))
					in, un := 0, 0
					for k, m := range fg.mask {
						tt := tr.Pix[4*k] >= 128
						if m && tt {
							in++
						}
						if m || tt {
							un++
						}
					}
					q.iou = append(q.iou, float64(in)/float64(max(un, 1)))
				}
				qs[qi] = q
			}()
		}
		for range items {
			<-done
		}
		r1 := func(pick func(q zzQ) []int, usePen bool) int {
			hit := 0
			for _, q := range qs {
				best := map[string]float32{}
				hs := pick(q)
				for g := range gal {
					s := float32(-9)
					for _, h := range hs {
						v := Dot(q.vecs[h], gv[g])
						if usePen {
							v -= q.pen[h]
						}
						s = max(s, v)
					}
					if b, ok := best[gal[g].label]; !ok || s > b {
						best[gal[g].label] = s
					}
				}
				type ls struct {
					l string
					s float32
				}
				var r []ls
				for l, s := range best {
					r = append(r, ls{l, s})
				}
				sort.Slice(r, func(i, j int) bool { return r[i].s > r[j].s })
				if r[0].l == q.label {
					hit++
				}
			}
			return hit
		}
		all := func(q zzQ) []int {
			var o []int
			for i := range q.vecs {
				o = append(o, i)
			}
			return o
		}
		first := func(q zzQ) []int { return []int{0} }
		oracle := func(q zzQ) []int {
			b := 0
			for i := range q.iou {
				if q.iou[i] > q.iou[b] {
					b = i
				}
			}
			return []int{b}
		}
		var miou, mfirst float64
		for _, q := range qs {
			b := 0.0
			for _, v := range q.iou {
				b = max(b, v)
			}
			miou += b
			mfirst += q.iou[0]
		}
		n := float64(len(qs))
		fmt.Printf("%s: all %d, first %d, oracle %d (of %d); best IoU %.3f first IoU %.3f\n", dir, r1(all, true), r1(first, false), r1(oracle, false), len(qs), miou/n, mfirst/n)
	}
}
