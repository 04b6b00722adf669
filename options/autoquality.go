package options

// The autoquality option and the "best" output format
// (docs/options.md "Autoquality" and "Best format"): the URL side. The
// search itself runs in vips (vips/autoquality.go, vips/best.go) with the
// server defaults of IMGPROXY_AUTOQUALITY_* and IMGPROXY_BEST_FORMAT_*.

// AutoqualityMethod is how the quality of a lossy result is chosen.
type AutoqualityMethod uint8

// Autoquality methods. AutoqualityDefault means "not given in the URL":
// IMGPROXY_AUTOQUALITY_METHOD decides. imgproxy's "ml" method needs a
// neural network model and is refused by the parser.
const (
	AutoqualityDefault AutoqualityMethod = iota
	AutoqualityNone                      // the usual quality chain
	AutoqualitySize                      // highest quality whose result fits Target bytes
	AutoqualityDSSIM                     // lowest quality whose DSSIM stays within Target
)

var autoqualityNames = [...]string{"", "none", "size", "dssim"}

// String returns the method's URL name ("" for AutoqualityDefault).
func (m AutoqualityMethod) String() string {
	if int(m) < len(autoqualityNames) {
		return autoqualityNames[m]
	}
	return ""
}

// ParseAutoqualityMethod maps a method name to its value; ok is false for
// unknown names and for "ml" (main uses it for IMGPROXY_AUTOQUALITY_METHOD).
func ParseAutoqualityMethod(s string) (m AutoqualityMethod, ok bool) {
	for i, n := range autoqualityNames {
		if i > 0 && n == s {
			return AutoqualityMethod(i), true
		}
	}
	return AutoqualityDefault, false
}

// Autoquality is the autoquality option as the URL gave it. Every zero
// field (and HasAllowedError false) means "the server default", resolved
// by vips per output format, as Quality 0 is.
type Autoquality struct {
	Method AutoqualityMethod
	// Target is bytes for AutoqualitySize, a DSSIM value for
	// AutoqualityDSSIM; 0 = IMGPROXY_AUTOQUALITY_TARGET.
	Target float64
	// Min and Max bound the quality (1..100); 0 =
	// IMGPROXY_AUTOQUALITY_FORMAT_MIN/MAX for the format, then
	// IMGPROXY_AUTOQUALITY_MIN/MAX.
	Min, Max int
	// AllowedError is how far from Target a DSSIM may be to stop the
	// search early, when HasAllowedError.
	AllowedError    float64
	HasAllowedError bool
}

// parseAutoquality applies "method:target:min:max:allowed_error"; every
// argument is optional and an empty one keeps the current value.
func parseAutoquality(st *parseState, name []byte, args [][]byte) error {
	aq := st.o.Autoquality
	if a := args[0]; len(a) > 0 {
		switch string(a) {
		case "ml":
			return invalid("autoquality method %q needs a neural network model, which imgedge does not have; use dssim", a)
		}
		m, ok := ParseAutoqualityMethod(string(a))
		if !ok {
			return invalid("invalid autoquality method %q: want none, size or dssim", a)
		}
		aq.Method = m
	}
	if len(args) > 1 && len(args[1]) > 0 {
		v, err := parseFloat(args[1])
		if err != nil || v <= 0 || v > 1<<31 {
			return invalid("invalid autoquality target %q: want a number > 0", args[1])
		}
		aq.Target = v
	}
	for i, dst := range []*int{&aq.Min, &aq.Max} {
		if len(args) > 2+i && len(args[2+i]) > 0 {
			q, err := quality(args[2+i])
			if err != nil || q == 0 {
				return invalid("invalid %s quality bound %q: want an integer in 1..100", name, args[2+i])
			}
			*dst = q
		}
	}
	if aq.Min > 0 && aq.Max > 0 && aq.Min > aq.Max {
		return invalid("invalid %s: min quality %d is above max quality %d", name, aq.Min, aq.Max)
	}
	if len(args) > 4 && len(args[4]) > 0 {
		v, err := parseFloat(args[4])
		if err != nil || v < 0 || v > 1 {
			return invalid("invalid autoquality allowed error %q: want a number in [0, 1]", args[4])
		}
		aq.AllowedError, aq.HasAllowedError = v, true
	}
	st.o.Autoquality = aq
	return nil
}

// setOutputFormat applies a format name from the format option or the
// URL extension: "best" selects the best-format search, anything else a
// fixed format.
func setOutputFormat(o *Options, name []byte) bool {
	if string(name) == "best" {
		o.Format, o.BestFormat = FormatUnknown, true
		return true
	}
	f, ok := ParseFormat(b2s(name))
	if !ok {
		return false
	}
	o.Format, o.BestFormat = f, false
	return true
}

func (a *Autoquality) appendKey(dst []byte) []byte {
	dst = appendInts(dst, int64(a.Method), int64(a.Min), int64(a.Max))
	dst = appendFloats(dst, a.Target, a.AllowedError)
	return appendBools(dst, a.HasAllowedError)
}
