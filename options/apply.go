package options

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"sync"
	"time"
)

// optionSpec is one processing option of the URL grammar (docs/options.md):
// its names, how many arguments it takes and the function that applies
// them. The option table (table.go, pro.go) holds one optionSpec per
// option; nothing else needs to change to add one.
type optionSpec struct {
	// name is the canonical (long) name; aliases are the other names
	// accepted in URLs. Every name is unique across the table.
	name    string
	aliases []string
	// maxArgs refuses a segment with more arguments ("too many arguments");
	// 0 = the parse function checks the count itself. A segment always has
	// at least one (maybe empty) argument.
	maxArgs int
	// security marks the options that IMGPROXY_ALLOW_SECURITY_OPTIONS must
	// allow (KindSecurityOption otherwise), checked before the arguments.
	security bool
	// parse applies args to st.o. name is the name as written in the URL
	// (for messages). parse must not keep st, name or args after it
	// returns: they live in pooled or request memory. nil marks an imgproxy
	// Pro option that imgedge recognises but does not implement: it is
	// refused with a message saying so (pro.go).
	parse func(st *parseState, name []byte, args [][]byte) error
}

// optionsByName maps every name and alias of the table to its entry.
// Built once at init from optionTable and proOptions; read-only after.
// (An init function, not an initialiser: the preset option's parse
// function reaches this map, which would be an initialisation cycle.)
var optionsByName map[string]*optionSpec

func init() { optionsByName = buildOptionIndex(optionTable, proOptions) }

func buildOptionIndex(tables ...[]optionSpec) map[string]*optionSpec {
	m := map[string]*optionSpec{}
	for _, t := range tables {
		for i := range t {
			e := &t[i]
			for _, n := range append([]string{e.name}, e.aliases...) {
				if _, dup := m[n]; dup {
					panic(fmt.Sprintf("BUG: options: option name %q is listed twice", n))
				}
				m[n] = e
			}
		}
	}
	return m
}

// lookupOption returns the table entry for a name or alias, nil if unknown.
func lookupOption(name []byte) *optionSpec { return optionsByName[b2s(name)] }

const (
	// maxPresetDepth bounds preset nesting (loop protection and stack use).
	maxPresetDepth = 16
	// argsBufLen is the number of arguments a segment splits into without
	// allocating; longer segments still work (the slice grows on the heap).
	argsBufLen = 16
)

// parseState is the per-Parse scratch state. It is pooled (acquireState /
// releaseState): the option parse functions are called through the table,
// and Go's escape analysis cannot see through such calls, so a state or an
// argument array on the stack would be moved to the heap on every request.
type parseState struct {
	p          *Parser
	o          *Options
	now        time.Time // for expires; zero = time.Now() when first needed
	fromPreset bool      // options come from a preset: exempt from the allow-list
	chain      [maxPresetDepth]int
	depth      int // presets being expanded, chain[:depth]
	// args[d] holds the arguments of the segment being applied at preset
	// depth d (a preset's segments are applied while the segment naming it
	// still holds its arguments).
	args [maxPresetDepth + 1][argsBufLen][]byte

	// Chained pipelines (chain.go): pipes[:npipes] are the pipelines so
	// far (pipes[0] is the request's Options), cur the one options apply
	// to (st.o == pipes[cur]); extra holds the ones after the first;
	// urlPipes counts those the URL itself started.
	pipes    [MaxPipelines]*Options
	extra    [MaxPipelines - 1]Options
	npipes   int
	cur      int
	urlPipes int
}

var statePool = sync.Pool{New: func() any { return new(parseState) }}

// acquireState returns a state applying options to o for p. Pair it with
// releaseState.
func (p *Parser) acquireState(o *Options, now time.Time) *parseState {
	st := statePool.Get().(*parseState)
	st.p, st.o, st.now = p, o, now
	st.pipes[0], st.npipes, st.cur, st.urlPipes = o, 1, 0, 1
	return st
}

// releaseState resets st (the argument slots are cleared as each segment
// finishes) and returns it to the pool.
func releaseState(st *parseState) {
	st.p, st.o, st.now, st.fromPreset, st.depth = nil, nil, time.Time{}, false, 0
	clear(st.pipes[:st.npipes])
	statePool.Put(st)
}

func invalid(format string, args ...any) error { return Errorf(KindInvalidURL, format, args...) }

// applySegment applies one "name<sep>arg<sep>arg" segment: it finds the
// option, checks the allow-list, the security switch and the argument
// count, then calls the option's parse function.
func (st *parseState) applySegment(seg []byte) error {
	i := st.p.indexSep(seg)
	name := seg[:i]
	e := lookupOption(name)
	if e == nil {
		return invalid("unknown processing option %q", name)
	}
	if e.parse == nil {
		return invalid("processing option %q is only available in imgproxy pro", name)
	}
	if st.p.allowed != nil && !st.fromPreset {
		if _, ok := st.p.allowed[b2s(name)]; !ok {
			return invalid("processing option %q is not allowed", name)
		}
	}
	if e.security && !st.p.allowSec {
		return Errorf(KindSecurityOption, "security processing option %q is not allowed", name)
	}
	buf := &st.args[st.depth]
	args := st.p.splitArgs(buf[:0], seg[i+len(st.p.sep):])
	defer clear(buf[:min(len(args), len(buf))])
	if e.maxArgs > 0 && len(args) > e.maxArgs {
		return invalid("too many arguments for %q: %d, at most %d", name, len(args), e.maxArgs)
	}
	return e.parse(st, name, args)
}

func (p *Parser) splitArgs(dst [][]byte, s []byte) [][]byte {
	for {
		i := p.indexSep(s)
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+len(p.sep):]
	}
}

// indexSep finds the argument separator. Option segments are a few bytes
// long, where a plain loop beats the vectorised bytes.IndexByte set-up.
func (p *Parser) indexSep(s []byte) int {
	if len(p.sep) != 1 {
		return bytes.Index(s, p.sep)
	}
	c := p.sep[0]
	for i := range s {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// presetList applies a separator-joined list of preset names (only-presets mode).
func (st *parseState) presetList(seg []byte) error {
	buf := &st.args[st.depth]
	names := st.p.splitArgs(buf[:0], seg)
	defer clear(buf[:min(len(names), len(buf))])
	for _, name := range names {
		if err := st.presetByName(name); err != nil {
			return err
		}
	}
	return nil
}

func (st *parseState) presetByName(name []byte) error {
	i, ok := st.p.presetIndex[b2s(name)]
	if !ok {
		return invalid("unknown preset %q", name)
	}
	return st.applyPreset(i)
}

// applyPreset applies preset i unless it is already being expanded
// (imgproxy skips such self/loop references with a warning).
func (st *parseState) applyPreset(i int) error {
	for _, j := range st.chain[:st.depth] {
		if j == i {
			return nil
		}
	}
	if st.depth == len(st.chain) {
		return invalid("presets nested deeper than %d", len(st.chain))
	}
	st.chain[st.depth] = i
	st.depth++
	saved, pipe := st.fromPreset, st.cur
	st.fromPreset = true
	defer func() {
		st.depth--
		st.fromPreset = saved
	}()
	for _, seg := range st.p.presets[i].segments {
		var err error
		if isChainSep(seg) {
			err = st.nextPipeline() // a preset's pipelines follow the one it is used in
		} else {
			err = st.applySegment(seg)
		}
		if err != nil {
			return err
		}
	}
	st.switchPipeline(pipe)
	return nil
}

// dimension parses a pixel size in 0..the parser's maximum dimension.
func (st *parseState) dimension(name, a []byte) (int, error) {
	v, err := parseInt(a)
	if err != nil || v < 0 || v > int64(st.p.maxDim) {
		return 0, invalid("invalid %s %q: want an integer in 0..%d", name, a, st.p.maxDim)
	}
	return int(v), nil
}

// parseBool is Go's ParseBool; anything else (incl. empty) is false, never an error.
func parseBool(a []byte) bool {
	switch string(a) {
	case "1", "t", "T", "true", "TRUE", "True":
		return true
	}
	return false
}

func parseInt(a []byte) (int64, error) {
	return strconv.ParseInt(b2s(a), 10, 64)
}

var errNotFinite = Errorf(KindInvalidURL, "number is not finite")

// parseFloat parses a decimal float and refuses NaN and infinities.
func parseFloat(a []byte) (float64, error) {
	v, err := strconv.ParseFloat(b2s(a), 64)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, errNotFinite
	}
	return v, nil
}

// parseHexColor parses RGB or RRGGBB hex (any case, no "#").
func parseHexColor(a []byte) (Color, bool) {
	for _, c := range a {
		if !isHex(c) {
			return Color{}, false
		}
	}
	switch len(a) {
	case 3:
		return Color{unhex(a[0]) * 17, unhex(a[1]) * 17, unhex(a[2]) * 17}, true
	case 6:
		return Color{unhex(a[0])<<4 | unhex(a[1]), unhex(a[2])<<4 | unhex(a[3]), unhex(a[4])<<4 | unhex(a[5])}, true
	}
	return Color{}, false
}
