package sign

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/imgedge/imgedge/options"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex %q: %s", s, err)
	}
	return b
}

const (
	key1  = "736563726574"
	salt1 = "68656C6C6F"
	key3  = "943b421c9eb07c830af81030552c86009268de4e532ba2ee2eab8247c6da0881"
	salt3 = "520f986b998545b4785e0defbc4f3c1203f22de2374a3d53cb7a7fe9fea309c5"
	key7  = "746573742d6b6579"
	salt7 = "746573742d73616c74"
	key9  = "00112233445566778899aabbccddeeff"
	salt9 = "ffeeddccbbaa99887766554433221100"

	path1 = "/rs:fill:300:400:0/g:sm/aHR0cDovL2V4YW1w/bGUuY29tL2ltYWdl/cy9jdXJpb3NpdHku/anBn.png"
	path2 = "/rs:fill:300:400:0/g:sm/plain/http://example.com/images/curiosity.jpg@png"
	path3 = "/rs:fit:300:300/plain/http://img.example.com/pretty/image.jpg"
	path5 = "/rs:fit:300:300/plain/http%3A%2F%2Fexample.com%2Fimages%2Fcuriosity.jpg@webp"
	path9 = "/w:200/h:100/rt:fill/g:fp:0.5:0.3/plain/s3://bucket/path/to/img.png@avif"
)

// vectors are those of docs/signing.md "Test vectors".
var vectors = []struct {
	name            string
	key, salt, path string
	size            int
	want            string
}{
	{"1", key1, salt1, path1, 32, "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8"},
	{"2", key1, salt1, path2, 32, "v4il5rmSYrVOW341NliE_MPcqrwWLyWyeHNDz9YGFBs"},
	{"3", key3, salt3, path3, 32, "m3k5QADfcKPDj-SDI2AIogZbC3FlAXszuwhtWXYqavc"},
	{"4", key3, salt3, path3, 8, "m3k5QADfcKM"},
	{"5", key3, salt3, path5, 32, "ls9rSzOfWk9WhGxtWn9nOSFFfrpnjaUisD4F-DincQI"},
	{"6", key3, salt3, path5, 8, "ls9rSzOfWk8"},
	{"7", key7, salt7, "/asd", 32, "oWaL7QoW5TsgbuiS9-5-DI8S3Ibbo1gdB2SteJh3a20"},
	{"8", key7, salt7, "/asd", 8, "oWaL7QoW5Ts"},
	{"7-noslash", key7, salt7, "asd", 32, "oWaL7QoW5TsgbuiS9-5-DI8S3Ibbo1gdB2SteJh3a20"},
	{"9", key9, salt9, path9, 32, "ptgc1Sj0FHQMdBPqBi3il0NxF1ltpb5rMkUT4YszsZE"},
}

func TestVectors(t *testing.T) {
	for _, tc := range vectors {
		t.Run(tc.name, func(t *testing.T) {
			k, s := mustHex(t, tc.key), mustHex(t, tc.salt)
			if got := Sign(k, s, []byte(tc.path), tc.size); got != tc.want {
				t.Fatalf("Sign: got %q; want %q", got, tc.want)
			}
			v, err := New(Config{Keys: [][]byte{k}, Salts: [][]byte{s}, SignatureSize: tc.size})
			if err != nil {
				t.Fatal(err)
			}
			if err := v.Verify([]byte(tc.want), []byte(tc.path)); err != nil {
				t.Fatalf("Verify: got %v; want nil", err)
			}
		})
	}
}

func newV(t testing.TB, keys, salts string, size int, trusted ...string) *Verifier {
	t.Helper()
	k, err := ParseHexList(keys)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseHexList(salts)
	if err != nil {
		t.Fatal(err)
	}
	v, err := New(Config{Keys: k, Salts: s, SignatureSize: size, Trusted: trusted})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestVerifyCases(t *testing.T) {
	multi := newV(t, key1+", "+key9, salt1+","+salt9, 0)
	single := newV(t, key1, salt1, 0)
	v3 := newV(t, key3, salt3, 32)
	off := newV(t, "", "", 0)
	trusted := newV(t, key1, salt1, 0, "my-trusted-sig", "other")
	cases := []struct {
		name      string
		v         *Verifier
		sig, path string
		want      options.ErrorKind // KindUnexpected = accepted
	}{
		{"multi pair 1", multi, "v4il5rmSYrVOW341NliE_MPcqrwWLyWyeHNDz9YGFBs", path2, 0},
		{"multi pair 2", multi, "ptgc1Sj0FHQMdBPqBi3il0NxF1ltpb5rMkUT4YszsZE", path9, 0},
		{"multi swapped 1", multi, "ptgc1Sj0FHQMdBPqBi3il0NxF1ltpb5rMkUT4YszsZE", path2, options.KindForbidden},
		{"multi swapped 2", multi, "v4il5rmSYrVOW341NliE_MPcqrwWLyWyeHNDz9YGFBs", path9, options.KindForbidden},
		{"padding appended", single, "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8=", path1, options.KindForbidden},
		{"std alphabet", single, "oKfUtW34Dvo2BGQehJFR4Nr0/rIjOtdtzJ3QFsUcXH8", path1, options.KindForbidden},
		{"plus alphabet", v3, "m3k5QADfcKPDj+SDI2AIogZbC3FlAXszuwhtWXYqavc", path3, options.KindForbidden},
		{"truncated while size 32", v3, "m3k5QADfcKM", path3, options.KindForbidden},
		{"insecure while on", single, "insecure", path1, options.KindForbidden},
		{"empty while on", single, "", path1, options.KindForbidden},
		{"other path", single, "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8", path1 + "x", options.KindForbidden},
		{"decoded path signed differently", v3, "ls9rSzOfWk9WhGxtWn9nOSFFfrpnjaUisD4F-DincQI",
			"/rs:fit:300:300/plain/http://example.com/images/curiosity.jpg@webp", options.KindForbidden},
		{"flipped char", single, "pKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8", path1, options.KindForbidden},
		{"too long", single, "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8AAAA", path1, options.KindForbidden},
		{"off insecure", off, "insecure", path1, 0},
		{"off underscore", off, "_", path1, 0},
		{"off option-like", off, "rs:fit:1:1", path1, options.KindSignatureIsOption},
		{"off empty", off, "", path1, options.KindForbidden},
		{"trusted", trusted, "my-trusted-sig", "/anything", 0},
		{"trusted prefix only", trusted, "my-trusted", "/anything", options.KindForbidden},
		{"trusted still hmac", trusted, "oKfUtW34Dvo2BGQehJFR4Nr0_rIjOtdtzJ3QFsUcXH8", path1, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Verify([]byte(tc.sig), []byte(tc.path))
			if tc.want == 0 {
				if err != nil {
					t.Fatalf("got %v; want nil", err)
				}
				return
			}
			var oe *options.Error
			if !errors.As(err, &oe) {
				t.Fatalf("got %v; want *options.Error kind %s", err, tc.want)
			}
			if oe.Kind != tc.want {
				t.Fatalf("got kind %s (%v); want %s", oe.Kind, err, tc.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	k := [][]byte{[]byte("k")}
	s := [][]byte{[]byte("s")}
	cases := []struct {
		name string
		cfg  Config
		want string // substring; "" = valid
	}{
		{"off", Config{}, ""},
		{"one pair", Config{Keys: k, Salts: s}, ""},
		{"size 1", Config{Keys: k, Salts: s, SignatureSize: 1}, ""},
		{"size 32", Config{Keys: k, Salts: s, SignatureSize: 32}, ""},
		{"key without salt", Config{Keys: k}, "IMGPROXY_SALT: missing"},
		{"salt without key", Config{Salts: s}, "IMGPROXY_KEY: missing"},
		{"count mismatch", Config{Keys: [][]byte{[]byte("a"), []byte("b")}, Salts: s}, "IMGPROXY_SALT: 1 salts for 2 keys"},
		{"empty key with salt", Config{Keys: [][]byte{{}}, Salts: s}, "IMGPROXY_KEY: key #1 is empty"},
		{"empty salt", Config{Keys: k, Salts: [][]byte{nil}}, "IMGPROXY_SALT: salt #1 is empty"},
		{"size 33", Config{Keys: k, Salts: s, SignatureSize: 33}, "IMGPROXY_SIGNATURE_SIZE: 33 is outside 1..32"},
		{"size negative", Config{Keys: k, Salts: s, SignatureSize: -1}, "IMGPROXY_SIGNATURE_SIZE: -1"},
		{"empty trusted", Config{Trusted: []string{""}}, "IMGPROXY_TRUSTED_SIGNATURES: signature #1 is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("got %v; want nil", err)
				}
				if _, err := New(tc.cfg); err != nil {
					t.Fatalf("New: got %v; want nil", err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error starting with %q", err, tc.want)
			}
			if _, err := New(tc.cfg); err == nil {
				t.Fatalf("New: got nil error; want %q", tc.want)
			}
		})
	}
}

func TestParseHexList(t *testing.T) {
	got, err := ParseHexList(" 736563726574 , 00FFaa ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || string(got[0]) != "secret" || hex.EncodeToString(got[1]) != "00ffaa" {
		t.Fatalf("got %x; want [secret 00ffaa]", got)
	}
	for _, s := range []string{"", "  "} {
		got, err := ParseHexList(s)
		if err != nil || got != nil {
			t.Fatalf("ParseHexList(%q): got %v, %v; want nil, nil", s, got, err)
		}
	}
	bad := []struct{ in, want string }{
		{"abc", "entry #1 has odd length 3"},
		{"00,zz", "entry #2 has a non-hex character at offset 0"},
		{"0g", "entry #1 has a non-hex character at offset 1"},
		{"00,,11", "entry #2 is empty"},
		{"00,", "entry #2 is empty"},
	}
	for _, tc := range bad {
		_, err := ParseHexList(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseHexList(%q): got %v; want error containing %q", tc.in, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), tc.in) && len(tc.in) > 3 {
			t.Errorf("ParseHexList(%q): error %q echoes the secret", tc.in, err)
		}
	}
}

func TestEnabled(t *testing.T) {
	if newV(t, "", "", 0).Enabled() {
		t.Fatal("got Enabled() true without keys; want false")
	}
	v := newV(t, key1, salt1, 8)
	if !v.Enabled() || v.Size() != 8 {
		t.Fatalf("got Enabled %v Size %d; want true 8", v.Enabled(), v.Size())
	}
}

func TestVerifyAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race")
	}
	v := newV(t, key1+","+key9, salt1+","+salt9, 0, "trusted")
	sig, path := []byte("ptgc1Sj0FHQMdBPqBi3il0NxF1ltpb5rMkUT4YszsZE"), []byte(path9)
	for name, s := range map[string][]byte{"valid second pair": sig, "invalid": []byte("ptgc1Sj0FHQMdBPqBi3il0NxF1ltpb5rMkUT4YszsZF"), "trusted": []byte("trusted")} {
		allocs := testing.AllocsPerRun(200, func() { _ = v.Verify(s, path) })
		if allocs != 0 {
			t.Errorf("%s: got %v allocs per Verify; want 0", name, allocs)
		}
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := newV(t, key1, salt1, 0)
	done := make(chan error, 8)
	for range 8 {
		go func() {
			for range 200 {
				if err := v.Verify([]byte("v4il5rmSYrVOW341NliE_MPcqrwWLyWyeHNDz9YGFBs"), []byte(path2)); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatalf("got %v; want nil", err)
		}
	}
}
