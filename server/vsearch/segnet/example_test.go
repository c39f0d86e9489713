package segnet_test

import (
	"context"
	"fmt"

	"github.com/vitrine-shop/vitrine/server/vsearch/segnet"
)

// A network is created (or loaded with UnmarshalBinary), trained on
// samples, and evaluated on planar, channel-major input.
func Example() {
	net, err := segnet.New(segnet.Config{In: 1, E1: 4, E2: 4, E4: 4, Up1: 4, Up2: 4}, 1)
	if err != nil {
		panic(err)
	}
	const w, h = 8, 8
	in := make([]float32, w*h) // one channel: a bright 4×4 square
	target := make([]float32, w*h)
	for y := 2; y < 6; y++ {
		for x := 2; x < 6; x++ {
			in[y*w+x], target[y*w+x] = 1, 1
		}
	}
	samples := []segnet.Sample{{In: in, Target: target, W: w, H: h}}
	if err := net.Train(context.Background(), samples, segnet.TrainOptions{Epochs: 200, LR: 1e-2, Seed: 1}); err != nil {
		panic(err)
	}
	logits := make([]float32, w*h)
	if err := net.Forward(in, w, h, logits); err != nil {
		panic(err)
	}
	fmt.Printf("centre %.1f, corner %.1f\n", segnet.Sigmoid(logits[3*w+3]), segnet.Sigmoid(logits[0]))

	blob, err := net.MarshalBinary()
	if err != nil {
		panic(err)
	}
	var loaded segnet.Net
	if err := loaded.UnmarshalBinary(blob); err != nil {
		panic(err)
	}
	fmt.Println(len(blob), "bytes,", loaded.Params(), "parameters")
	// Output:
	// centre 1.0, corner 0.0
	// 6104 bytes, 1517 parameters
}
