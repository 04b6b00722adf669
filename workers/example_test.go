package workers_test

import (
	"context"
	"fmt"
	"time"

	"github.com/imgedge/imgedge/options/refcount"
	"github.com/imgedge/imgedge/workers"
)

// image is a produced result shared by coalesced requests; its buffer is
// freed after the last response was written.
type image struct {
	refcount.Count
	data []byte
}

func Example() {
	pool, err := workers.New(workers.Config{Workers: 2, QueueSize: 8})
	if err != nil {
		panic(err)
	}
	defer pool.Close(context.Background())
	var group workers.Group

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // IMGPROXY_TIMEOUT
	defer cancel()
	v, shared, err := group.Do(ctx, "/rs:fit:300:0/source.jpg@webp", func(ctx context.Context) (workers.Shared, error) {
		img := &image{}
		if err := pool.Do(ctx, func() {
			img.data = []byte("encoded image") // fetch + libvips on a pinned worker
		}); err != nil {
			return nil, err // KindQueueFull, KindTimeout, KindCanceled, ...
		}
		img.Init(func() { img.data = nil }) // e.g. free C memory
		return img, nil
	})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer v.Release() // after the response body was written
	fmt.Printf("%s (shared: %v)\n", v.(*image).data, shared)
	// Output: encoded image (shared: false)
}
