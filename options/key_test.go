package options

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// leaves calls fn for every settable leaf of v (a struct value reached
// through a pointer), with its path: numbers, bools, strings, the elements
// of arrays, and time.Time as a whole.
func leaves(t *testing.T, v reflect.Value, path string, fn func(path string, f reflect.Value)) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			fn(path, v)
			return
		}
		for i := range v.NumField() {
			leaves(t, v.Field(i), path+"."+v.Type().Field(i).Name, fn)
		}
	case reflect.Array:
		for i := range v.Len() {
			leaves(t, v.Index(i), path+"["+string(rune('0'+i%10))+"]", fn)
		}
	case reflect.Pointer: // Previous: the chained pipeline before, a leaf here
		fn(path, v)
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		fn(path, v)
	default:
		t.Fatalf("%s: kind %s is new to Options: encode it in AppendKey and teach this test to change it", path, v.Kind())
	}
}

// perturb sets leaf f to a value different from its current one; step
// picks one of two different new values.
func perturb(f reflect.Value, step int) {
	switch f.Kind() {
	case reflect.Bool:
		f.SetBool(!f.Bool())
	case reflect.String:
		f.SetString(f.String() + string(rune('a'+step)))
	case reflect.Float32, reflect.Float64:
		f.SetFloat(f.Float() + 0.25*float64(step+1))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		f.SetInt(f.Int() + int64(step+1))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		f.SetUint(f.Uint() + uint64(step+1))
	case reflect.Pointer: // *Options (Previous): another pipeline in front
		prev := Options{Width: step + 1}
		if !f.IsNil() {
			prev = *f.Interface().(*Options)
			prev.Width += step + 1
		}
		f.Set(reflect.ValueOf(&prev))
	case reflect.Struct: // time.Time
		tm := f.Interface().(time.Time)
		if tm.IsZero() {
			tm = time.Unix(1700000000, 0)
		}
		f.Set(reflect.ValueOf(tm.Add(time.Duration(step+1) * 1500 * time.Millisecond)))
	}
}

// TestAppendKeyCoversEveryField fails when a field of Options (or of a
// struct inside it) is not part of the coalescing key: two requests that
// differ only in that field would otherwise share one result.
func TestAppendKeyCoversEveryField(t *testing.T) {
	var filled Options // every field non-zero
	leaves(t, reflect.ValueOf(&filled).Elem(), "Options", func(_ string, f reflect.Value) { perturb(f, 2) })
	for name, base := range map[string]Options{"zero": {}, "filled": filled} {
		baseKey := base.AppendKey(nil)
		if again := base.AppendKey(nil); !bytes.Equal(again, baseKey) {
			t.Fatalf("%s: the key of one value changed between calls", name)
		}
		n := 0
		leaves(t, reflect.ValueOf(&base).Elem(), "Options", func(path string, bf reflect.Value) {
			n++
			var keys [2][]byte
			for step := range 2 {
				o := base
				var leaf reflect.Value
				leaves(t, reflect.ValueOf(&o).Elem(), "Options", func(p string, f reflect.Value) {
					if p == path {
						leaf = f
					}
				})
				perturb(leaf, step)
				keys[step] = o.AppendKey(nil)
				if bytes.Equal(keys[step], baseKey) {
					t.Errorf("%s: changing %s does not change the key: encode it in AppendKey", name, path)
				}
			}
			if bf.Kind() != reflect.Bool && bytes.Equal(keys[0], keys[1]) {
				t.Errorf("%s: two different values of %s give the same key", name, path)
			}
		})
		if n < 60 {
			t.Fatalf("%s: walked %d fields; the walk is broken", name, n)
		}
	}
}

func TestAppendKeyAllocations(t *testing.T) {
	var o Options
	o.FormatQuality[1], o.Quality, o.Width, o.Dpr = 80, 90, 300, 2
	o.CacheBuster, o.Filename, o.Expires = "cb", "name", time.Unix(1700000000, 0)
	buf := make([]byte, 0, 1024)
	if got := testing.AllocsPerRun(100, func() { buf = o.AppendKey(buf[:0]) }); got != 0 {
		t.Fatalf("got %.1f allocs per key; want 0", got)
	}
}
