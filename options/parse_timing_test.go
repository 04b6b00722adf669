package options_test

import (
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
)

// typicalPath has 6 options and a plain source with an extension.
const typicalPath = "/rs:fill:300:200:1/g:sm/q:80/bl:0.5/dpr:2/cb:v42/plain/https://images.example.com/photos/2024/sunset.jpg@webp"

func BenchmarkSplitVerifyParse(b *testing.B) {
	p, v := newPair(b, options.ParserConfig{}, sign.Config{Keys: [][]byte{testKey}, Salts: [][]byte{testSalt}})
	uri := []byte("/" + sign.Sign(testKey, testSalt, []byte(typicalPath), 32) + typicalPath + "?x=1")
	var r options.Request
	b.ReportAllocs()
	for b.Loop() {
		sig, path, err := p.Split(uri)
		if err != nil {
			b.Fatal(err)
		}
		if err := v.Verify(sig, path); err != nil {
			b.Fatal(err)
		}
		if err := p.Parse(path, options.Hints{}, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitParseBase64(b *testing.B) {
	p, _ := newPair(b, options.ParserConfig{}, sign.Config{})
	uri := []byte("/insecure/rs:fill:300:400:0/g:sm/w:300/h:400/q:70/f:avif/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png")
	var r options.Request
	b.ReportAllocs()
	for b.Loop() {
		_, path, err := p.Split(uri)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Parse(path, options.Hints{}, &r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyOnly is the baseline: the HMAC alone.
func BenchmarkVerifyOnly(b *testing.B) {
	_, v := newPair(b, options.ParserConfig{}, sign.Config{Keys: [][]byte{testKey}, Salts: [][]byte{testSalt}})
	sig := []byte(sign.Sign(testKey, testSalt, []byte(typicalPath), 32))
	path := []byte(typicalPath)
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(sig, path); err != nil {
			b.Fatal(err)
		}
	}
}

func TestParseAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	p, v := newPair(t, options.ParserConfig{}, sign.Config{Keys: [][]byte{testKey}, Salts: [][]byte{testSalt}})
	uri := []byte("/" + sign.Sign(testKey, testSalt, []byte(typicalPath), 32) + typicalPath)
	var r options.Request
	allocs := testing.AllocsPerRun(100, func() {
		sig, path, err := p.Split(uri)
		if err == nil {
			err = v.Verify(sig, path)
		}
		if err == nil {
			err = p.Parse(path, options.Hints{}, &r)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	// Only the SourceURL and CacheBuster strings are allocated.
	if allocs > 2 {
		t.Fatalf("got %v allocs per request; want <= 2", allocs)
	}
}
