package vips

/*
#include "cvips.h"
*/
import "C"

import (
	"context"
	"sync"

	"github.com/imgedge/imgedge/options"
)

// canceller lets a finished context stop a running libvips computation
// (copy to memory, encoding). libvips checks an "eval" handler while it
// computes an image; imgedge connects one (image.watch) to every image it
// computes. The handler reads a token (cvips.c IeCancel) that is current
// for the calling OS thread, and the token is fired from another goroutine
// when ctx ends. This is why processing needs its own binding: govips
// keeps the VipsImage private and cannot connect the handler.
type canceller struct {
	mu   sync.Mutex
	tok  *C.IeCancel // nil once closed
	stop func() bool
}

// startCancel makes a new token current for the calling OS thread (the
// caller has locked it) and fires it when ctx ends. close must follow, on
// the same thread, before the thread runs anything else.
func startCancel(ctx context.Context) *canceller {
	c := &canceller{tok: C.ie_cancel_new()}
	C.ie_set_cancel(c.tok)
	c.stop = context.AfterFunc(ctx, c.fire)
	return c
}

func (c *canceller) fire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tok != nil {
		C.ie_cancel_fire(c.tok)
	}
}

// close detaches the token from the thread and frees it; a fire racing
// with close is harmless.
func (c *canceller) close() {
	c.stop()
	C.ie_set_cancel(nil)
	c.mu.Lock()
	C.ie_cancel_free(c.tok)
	c.tok = nil
	c.mu.Unlock()
}

// interrupted converts a finished context into an *options.Error.
func interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return options.Wrap(options.KindOf(err), "processing interrupted", err)
	}
	return nil
}
