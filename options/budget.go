package options

import "context"

// ByteBudget is a reservation of memory that a download enlarges before
// it allocates buffer space for a source (implemented by edge's download
// stage, workers.Ticket). Grow reserves n more bytes, waiting while the
// budget is used up, and returns an error when ctx ends first; the
// reservation is released by its owner, not by the downloader. A
// ByteBudget is used by one download at a time.
type ByteBudget interface {
	Grow(ctx context.Context, n int64) error
}
