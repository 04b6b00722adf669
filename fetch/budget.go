package fetch

import (
	"context"
	"fmt"

	"github.com/imgedge/imgedge/options"
)

// Download memory: a caller that bounds the bytes its downloads hold
// (edge's download stage) passes an options.ByteBudget to FetchBudget. The
// readers reserve from it before they allocate buffer space: the announced
// length of a body at once, a body of unknown length as its buffer grows
// (the reservation follows the largest buffer allocated). Sources served
// from the source cache are already in memory and reserve nothing.

// budget is the reservation of one fetch; a nil *budget reserves nothing.
type budget struct {
	b    options.ByteBudget
	held int64
}

type budgetKey struct{}

// withBudget returns ctx carrying a budget for b (nil b: ctx unchanged).
func withBudget(ctx context.Context, b options.ByteBudget) context.Context {
	if b == nil {
		return ctx
	}
	return context.WithValue(ctx, budgetKey{}, &budget{b: b})
}

// budgetFrom returns the fetch's budget, or nil.
func budgetFrom(ctx context.Context) *budget {
	bg, _ := ctx.Value(budgetKey{}).(*budget)
	return bg
}

// reserve makes sure total bytes are reserved, waiting for the budget under
// ctx. A wait cut short by ctx returns ctx's error (wrapped, not as an
// *options.Error) so that classifyErr tells the download timeout from the
// request's deadline as for a stalled read.
func (bg *budget) reserve(ctx context.Context, total int64) error {
	if bg == nil || total <= bg.held {
		return nil
	}
	if err := bg.b.Grow(ctx, total-bg.held); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return fmt.Errorf("fetch: waiting for download memory: %w", cerr)
		}
		return err
	}
	bg.held = total
	return nil
}

// bufferCap returns the capacity getBuffer(n) allocates: the memory a
// buffer for n bytes takes.
func bufferCap(n int) int {
	if c := classFor(n); c >= 0 {
		return classSize(c)
	}
	return n
}
