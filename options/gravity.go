package options

import "math"

type gravitySet uint16

func (s gravitySet) has(t GravityType) bool { return s&(1<<t) != 0 }

const compassGravities = gravitySet(1<<GravityCenter | 1<<GravityNorth | 1<<GravitySouth | 1<<GravityEast |
	1<<GravityWest | 1<<GravityNorthEast | 1<<GravityNorthWest | 1<<GravitySouthEast | 1<<GravitySouthWest)

// Allowed gravity types per option (docs/options.md).
const (
	gravityAll       = compassGravities | 1<<GravitySmart | 1<<GravityFocusPoint
	gravityNoSmart   = compassGravities | 1<<GravityFocusPoint
	gravityWatermark = compassGravities | 1<<GravityReplicate | 1<<GravityChessboard
)

func gravityType(a []byte) (GravityType, bool) {
	switch string(a) {
	case "ce":
		return GravityCenter, true
	case "no":
		return GravityNorth, true
	case "so":
		return GravitySouth, true
	case "ea":
		return GravityEast, true
	case "we":
		return GravityWest, true
	case "noea":
		return GravityNorthEast, true
	case "nowe":
		return GravityNorthWest, true
	case "soea":
		return GravitySouthEast, true
	case "sowe":
		return GravitySouthWest, true
	case "sm":
		return GravitySmart, true
	case "fp":
		return GravityFocusPoint, true
	case "re":
		return GravityReplicate, true
	case "ch":
		return GravityChessboard, true
	}
	return 0, false
}

// parseGravity parses "type[:x[:y]]" into g. sm takes no offsets, fp
// needs both coordinates in [0,1]; empty offsets mean 0.
func parseGravity(name []byte, args [][]byte, g *Gravity, allowed gravitySet) error {
	t, ok := gravityType(args[0])
	if !ok || !allowed.has(t) {
		return invalid("invalid %s gravity %q", name, args[0])
	}
	n := len(args)
	switch {
	case t == GravitySmart && n > 1:
		return invalid("%s gravity sm takes no offsets, got %d arguments", name, n)
	case t == GravityFocusPoint && n != 3:
		return invalid("%s gravity fp needs x and y, got %d arguments", name, n-1)
	case n > 3:
		return invalid("too many %s gravity arguments: %d, at most 3", name, n)
	}
	var xy [2]float64
	for i := 1; i < n; i++ {
		if len(args[i]) == 0 && t != GravityFocusPoint {
			continue
		}
		v, err := parseFloat(args[i])
		if err != nil || (t == GravityFocusPoint && (v < 0 || v > 1)) || math.Abs(v) > 1e9 {
			return invalid("invalid %s gravity offset %q", name, args[i])
		}
		xy[i-1] = v
	}
	*g = Gravity{Type: t, X: xy[0], Y: xy[1]}
	return nil
}
