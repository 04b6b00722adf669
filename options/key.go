package options

import (
	"encoding/binary"
	"math"
)

// AppendKey appends an encoding of every field of o to dst and returns the
// extended slice. Two Options give the same bytes exactly when all their
// fields are equal, so the result (with the source URL and the
// negotiation) keys edge's request coalescing: requests that would produce
// the same image share one fetch and one processing. It does not allocate
// when dst has room (edge reuses one buffer per request).
//
// Every field must be encoded here: key_test.go changes each field of
// Options in turn and fails when the key does not change, so a field added
// to Options (or to a struct inside it) must be added here too.
func (o *Options) AppendKey(dst []byte) []byte {
	dst = appendInts(dst, int64(o.ResizingType), int64(o.Width), int64(o.Height), int64(o.MinWidth), int64(o.MinHeight))
	dst = appendFloats(dst, o.ZoomX, o.ZoomY, o.Dpr)
	dst = appendBools(dst, o.Enlarge)
	dst = o.Extend.appendKey(dst)
	dst = o.ExtendAspectRatio.appendKey(dst)
	dst = o.Gravity.appendKey(dst)
	dst = o.Crop.appendKey(dst)
	dst = o.Trim.appendKey(dst)
	dst = o.Padding.appendKey(dst)
	dst = appendBools(dst, o.AutoRotate, o.FlipH, o.FlipV)
	dst = appendInts(dst, int64(o.Rotate))
	dst = o.Background.appendKey(dst)
	dst = appendBools(dst, o.HasBackground)
	dst = appendFloats(dst, o.Blur, o.Sharpen)
	dst = appendInts(dst, int64(o.Pixelate))
	dst = o.Watermark.appendKey(dst)
	dst = appendBools(dst, o.StripMetadata, o.KeepCopyright, o.StripColorProfile, o.PreserveHDR, o.EnforceThumbnail)
	dst = appendInts(dst, int64(o.Quality), int64(o.MaxBytes), int64(o.Format), int64(o.SkipProcessing))
	for _, q := range o.FormatQuality {
		dst = binary.AppendVarint(dst, int64(q))
	}
	dst = o.appendProImageKey(dst)
	dst = appendBools(dst, o.Raw, o.ReturnAttachment, o.BestFormat)
	dst = o.Autoquality.appendKey(dst)
	dst = appendString(dst, o.CacheBuster)
	dst = appendString(dst, o.Filename)
	if o.Expires.IsZero() {
		dst = append(dst, 0)
	} else {
		dst = append(dst, 1)
		dst = appendInts(dst, o.Expires.Unix(), int64(o.Expires.Nanosecond()))
	}
	dst = o.Limits.appendKey(dst)
	dst = o.appendProSourcesKey(dst)
	// A chained request keys every pipeline (options/chain.go).
	if o.Previous == nil {
		return append(dst, 0)
	}
	return o.Previous.AppendKey(append(dst, 1))
}

// appendProSourcesKey encodes the source and integrity options of imgproxy
// Pro (prosources.go).
func (o *Options) appendProSourcesKey(dst []byte) []byte {
	dst = appendString(dst, o.FallbackImageURL)
	dst = o.Hashsum.appendKey(dst)
	dst = appendString(dst, o.Style)
	dst = appendBools(dst, o.BypassCache)
	return appendString(dst, o.CacheTags)
}

func (g *Gravity) appendKey(dst []byte) []byte {
	dst = appendInts(dst, int64(g.Type))
	return appendFloats(dst, g.X, g.Y)
}

func (c *Color) appendKey(dst []byte) []byte { return append(dst, c.R, c.G, c.B) }

func (e *Extend) appendKey(dst []byte) []byte {
	dst = appendBools(dst, e.Enabled)
	return e.Gravity.appendKey(dst)
}

func (c *Crop) appendKey(dst []byte) []byte {
	dst = appendFloats(dst, c.Width, c.Height)
	dst = c.Gravity.appendKey(dst)
	return appendBools(dst, c.HasGravity)
}

func (t *Trim) appendKey(dst []byte) []byte {
	dst = appendBools(dst, t.Enabled, t.HasColor, t.EqualHor, t.EqualVer)
	dst = appendFloats(dst, t.Threshold)
	return t.Color.appendKey(dst)
}

func (p *Padding) appendKey(dst []byte) []byte {
	dst = appendBools(dst, p.Enabled)
	return appendInts(dst, int64(p.Top), int64(p.Right), int64(p.Bottom), int64(p.Left))
}

func (w *Watermark) appendKey(dst []byte) []byte {
	dst = appendFloats(dst, w.Opacity, w.Scale, w.Rotate, w.Shadow)
	dst = appendInts(dst, int64(w.Width), int64(w.Height))
	dst = appendString(dst, w.URL)
	dst = appendString(dst, w.Text)
	return w.Position.appendKey(dst)
}

func (l *Limits) appendKey(dst []byte) []byte {
	return appendInts(dst, l.MaxSrcResolution, l.MaxSrcFileSize, int64(l.MaxAnimationFrames),
		l.MaxAnimationFrameResolution, int64(l.MaxResultDimension))
}

// appendInts appends each value as a varint (self-delimiting).
func appendInts(dst []byte, vs ...int64) []byte {
	for _, v := range vs {
		dst = binary.AppendVarint(dst, v)
	}
	return dst
}

// appendFloats appends each value's IEEE 754 bits.
func appendFloats(dst []byte, vs ...float64) []byte {
	for _, v := range vs {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v))
	}
	return dst
}

// appendBools appends the values as one bit each, eight to a byte.
func appendBools(dst []byte, vs ...bool) []byte {
	var b byte
	for i, v := range vs {
		if v {
			b |= 1 << (i % 8)
		}
		if i%8 == 7 || i == len(vs)-1 {
			dst = append(dst, b)
			b = 0
		}
	}
	return dst
}

// appendString appends s with its length in front (unambiguous for any
// content).
func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}
