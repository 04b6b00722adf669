package options_test

import (
	"errors"
	"testing"

	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
)

var (
	testKey  = []byte("test-key")
	testSalt = []byte("test-salt")
)

func newPair(t testing.TB, pcfg options.ParserConfig, scfg sign.Config) (*options.Parser, *sign.Verifier) {
	t.Helper()
	p, err := options.NewParser(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := sign.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	return p, v
}

// handle is what edge does: Split, Verify, Parse.
func handle(p *options.Parser, v *sign.Verifier, uri string, dst *options.Request) error {
	sig, path, err := p.Split([]byte(uri))
	if err != nil {
		return err
	}
	if err := v.Verify(sig, path); err != nil {
		return err
	}
	return p.Parse(path, options.Hints{}, dst)
}

func kind(err error) options.ErrorKind {
	var e *options.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return options.KindUnexpected
}

func TestSignRoundTrip(t *testing.T) {
	scfg := sign.Config{Keys: [][]byte{testKey}, Salts: [][]byte{testSalt}}
	p, v := newPair(t, options.ParserConfig{PathPrefix: "/img"}, scfg)
	paths := []string{
		"/rs:fill:300:400:0/g:sm/plain/http://example.com/images/curiosity.jpg@png",
		"/w:100/plain/http%3A%2F%2Fexample.com%2Fa%20b.jpg",
		"/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.webp",
		"/plain/local:///dir/a.png",
	}
	for _, path := range paths {
		sig := sign.Sign(testKey, testSalt, []byte(path), 32)
		var r options.Request
		if err := handle(p, v, "/img/"+sig+path+"?cache=1", &r); err != nil {
			t.Errorf("%s: got %v; want nil", path, err)
		}
		// A tampered path must fail.
		if err := handle(p, v, "/img/"+sig+path+"x", &r); kind(err) != options.KindForbidden {
			t.Errorf("%s tampered: got %v; want KindForbidden", path, err)
		}
	}
	// docs/signing.md normalisation example: %3A and http:/ repaired before checking.
	k, _ := sign.ParseHexList("736563726574")
	s, _ := sign.ParseHexList("68656C6C6F")
	p2, v2 := newPair(t, options.ParserConfig{}, sign.Config{Keys: k, Salts: s})
	var r options.Request
	uri := "/v4il5rmSYrVOW341NliE_MPcqrwWLyWyeHNDz9YGFBs/rs%3Afill%3A300%3A400%3A0/g%3Asm/plain/http:/example.com/images/curiosity.jpg@png"
	if err := handle(p2, v2, uri, &r); err != nil {
		t.Fatalf("normalised URL: got %v; want nil", err)
	}
	if r.SourceURL != "http://example.com/images/curiosity.jpg" || r.Options.Width != 300 || r.Options.Format != options.FormatPNG {
		t.Fatalf("got %+v", r)
	}
	// docs/signing.md test vector #1 with a query string: still valid.
	uri = "/oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png?foo=bar"
	if err := handle(p2, v2, uri, &r); err != nil {
		t.Fatalf("vector #1 with query: got %v; want nil", err)
	}
	if r.SourceURL != "http://example.com/images/curiosity.jpg" || r.Options.Height != 400 || r.Options.Gravity.Type != options.GravitySmart {
		t.Fatalf("vector #1: got %+v", r)
	}
	// Signing on: the "insecure" placeholder is refused.
	if err := handle(p2, v2, "/insecure/rs:fill:300:400:0/g:sm/plain/http://example.com/images/curiosity.jpg@png", &r); kind(err) != options.KindForbidden {
		t.Fatalf("insecure with signing on: got %v; want KindForbidden", err)
	}
	// Signing off: placeholder accepted, option-like signature refused.
	p3, v3 := newPair(t, options.ParserConfig{}, sign.Config{})
	if err := handle(p3, v3, "/insecure/w:1/plain/http://x/a.jpg", &r); err != nil {
		t.Fatalf("insecure: got %v; want nil", err)
	}
	if err := handle(p3, v3, "/rs:fit:1:1/plain/http://x/a.jpg", &r); kind(err) != options.KindSignatureIsOption {
		t.Fatalf("option as signature: got %v; want KindSignatureIsOption", err)
	}
}
