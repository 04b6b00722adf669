package fetch

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	s3crypto "github.com/aws/amazon-s3-encryption-client-go/v4/client"
	s3cryptomaterials "github.com/aws/amazon-s3-encryption-client-go/v4/materials"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgedge/imgedge/options"
)

// stsResponder answers AWS STS AssumeRole (query protocol, XML) on
// loopback and counts the calls. expires sets the Expiration of the
// credentials it hands out.
type stsResponder struct {
	calls   atomic.Int32
	expires time.Duration
	mu      sync.Mutex
	forms   []string // RoleArn|ExternalId|access key of the caller
}

const (
	stsAccessKey = "ASIAIMGEDGETEST"
	stsToken     = "session-token-from-sts"
)

func (s *stsResponder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "AssumeRole" {
		http.Error(w, "unexpected STS call", http.StatusBadRequest)
		return
	}
	s.calls.Add(1)
	s.mu.Lock()
	s.forms = append(s.forms, r.Form.Get("RoleArn")+"|"+r.Form.Get("ExternalId")+"|"+credentialOf(r))
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>`+
		`<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey>`+
		`<SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>`+
		`<AssumedRoleUser><Arn>%s/imgedge</Arn><AssumedRoleId>AROATEST:imgedge</AssumedRoleId></AssumedRoleUser>`+
		`</AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		stsAccessKey, stsToken, time.Now().Add(s.expires).UTC().Format(time.RFC3339), r.Form.Get("RoleArn"))
}

// credentialOf returns the access key id a SigV4-signed request was signed with.
func credentialOf(r *http.Request) string {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// TestS3AssumeRole points STS at a loopback responder (AWS_ENDPOINT_URL_STS)
// and checks that S3 requests are signed with the assumed role's
// credentials and that STS is called once while they are valid, and again
// once they have expired.
func TestS3AssumeRole(t *testing.T) {
	sts := &stsResponder{expires: time.Hour}
	stsSrv := httptest.NewServer(sts)
	defer stsSrv.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", stsSrv.URL)

	var s3Keys sync.Map // access key ids seen by S3
	var badToken atomic.Int32
	record := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s3Keys.Store(credentialOf(r), true)
			if credentialOf(r) == stsAccessKey && r.Header.Get("X-Amz-Security-Token") != stsToken {
				badToken.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}
	f, client := s3EnvWrapped(t, func(c *Config) {
		c.S3AssumeRoleARN = "arn:aws:iam::123456789012:role/images"
		c.S3AssumeRoleExternalID = "ext-42"
	}, record)
	s3Put(t, client, "images", "a.png", []byte("role"), "image/png")
	for i := 0; i < 5; i++ {
		if got := mustFetch(t, f, context.Background(), "s3://images/a.png", nil, nil); string(got) != "role" {
			t.Fatalf("fetch %d: got %q", i, got)
		}
	}
	if n := sts.calls.Load(); n != 1 {
		t.Fatalf("got %d AssumeRole calls for 5 fetches (+ setup); want 1 (cached credentials)", n)
	}
	sts.mu.Lock()
	form := sts.forms[0]
	sts.mu.Unlock()
	if want := "arn:aws:iam::123456789012:role/images|ext-42|test-key"; form != want {
		t.Fatalf("AssumeRole got RoleArn|ExternalId|caller %q; want %q", form, want)
	}
	if _, ok := s3Keys.Load(stsAccessKey); !ok {
		t.Fatal("no S3 request was signed with the assumed role's credentials")
	}
	if n := badToken.Load(); n != 0 {
		t.Fatalf("%d S3 requests lacked the role's session token", n)
	}

	// Credentials that are already expired are fetched again on each use.
	expired := &stsResponder{expires: -time.Minute}
	expSrv := httptest.NewServer(expired)
	defer expSrv.Close()
	t.Setenv("AWS_ENDPOINT_URL_STS", expSrv.URL)
	g, _ := s3EnvWrapped(t, func(c *Config) { c.S3AssumeRoleARN = "arn:aws:iam::123456789012:role/images" }, nil)
	before := expired.calls.Load()
	for i := 0; i < 3; i++ {
		if src, err := g.Fetch(context.Background(), "s3://images/a.png", nil, 0); err == nil {
			src.Release()
		}
	}
	if n := expired.calls.Load() - before; n != 3 {
		t.Fatalf("expired credentials: got %d AssumeRole calls for 3 fetches; want 3", n)
	}
}

// kmsResponder answers AWS KMS GenerateDataKey and Decrypt (JSON 1.1) on
// loopback: data keys are random, the "ciphertext" is an opaque handle.
// []byte fields travel as base64 in JSON, as in the AWS JSON protocol.
type kmsResponder struct {
	mu       sync.Mutex
	keys     map[string][]byte
	decrypts atomic.Int32
}

func (k *kmsResponder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		KeyId          string
		CiphertextBlob []byte
		NumberOfBytes  int
		KeySpec        string
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	k.mu.Lock()
	defer k.mu.Unlock()
	switch r.Header.Get("X-Amz-Target") {
	case "TrentService.GenerateDataKey":
		plain := make([]byte, 32)
		rand.Read(plain)
		handle := make([]byte, 48)
		rand.Read(handle)
		k.keys[string(handle)] = plain
		json.NewEncoder(w).Encode(map[string]any{"KeyId": in.KeyId, "Plaintext": plain, "CiphertextBlob": handle})
	case "TrentService.Decrypt":
		k.decrypts.Add(1)
		plain, ok := k.keys[string(in.CiphertextBlob)]
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(`{"__type":"InvalidCiphertextException","message":"unknown data key"}`))
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"KeyId": "arn:aws:kms:eu-central-1:123456789012:key/test",
			"Plaintext": plain, "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"})
	default:
		http.Error(w, "unexpected KMS call "+r.Header.Get("X-Amz-Target"), http.StatusBadRequest)
	}
}

// TestS3DecryptionClient stores an object encrypted client-side by the
// S3 Encryption Client (KMS keyring against a loopback KMS responder) in
// gofakes3 and reads it back through a Fetcher with
// IMGPROXY_S3_USE_DECRYPTION_CLIENT.
func TestS3DecryptionClient(t *testing.T) {
	kmsFake := &kmsResponder{keys: map[string][]byte{}}
	kmsSrv := httptest.NewServer(kmsFake)
	defer kmsSrv.Close()
	t.Setenv("AWS_ENDPOINT_URL_KMS", kmsSrv.URL)

	f, client := s3Env(t, func(c *Config) { c.S3UseDecryptionClient = true })
	kmsClient := kms.New(kms.Options{Region: "eu-central-1", BaseEndpoint: aws.String(kmsSrv.URL),
		Credentials: client.Options().Credentials})
	cmm, err := s3cryptomaterials.NewCryptographicMaterialsManager(
		s3cryptomaterials.NewKmsKeyring(kmsClient, "arn:aws:kms:eu-central-1:123456789012:key/test"))
	if err != nil {
		t.Fatal(err)
	}
	enc, err := s3crypto.New(client, cmm)
	if err != nil {
		t.Fatal(err)
	}
	secret := randomBytes(50_000)
	_, err = enc.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("images"), Key: aws.String("secret.png"),
		Body: bytes.NewReader(secret), ContentType: aws.String("image/png")})
	if err != nil {
		t.Fatalf("encrypting PutObject: %v", err)
	}
	// What S3 holds is not the image.
	raw, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("images"), Key: aws.String("secret.png")})
	if err != nil {
		t.Fatal(err)
	}
	stored := new(bytes.Buffer)
	stored.ReadFrom(raw.Body)
	raw.Body.Close()
	if bytes.Equal(stored.Bytes(), secret) || len(raw.Metadata) == 0 {
		t.Fatalf("the stored object is not encrypted (metadata %v)", raw.Metadata)
	}

	var meta options.SourceMeta
	got := mustFetch(t, f, context.Background(), "s3://images/secret.png", nil, &meta)
	if !bytes.Equal(got, secret) {
		t.Fatalf("got %d bytes; want the %d decrypted bytes", len(got), len(secret))
	}
	if kmsFake.decrypts.Load() == 0 {
		t.Fatal("the data key was not decrypted through KMS")
	}
	// The size limit applies to the decrypted bytes.
	_, err = f.Fetch(context.Background(), "s3://images/secret.png", nil, 10_000)
	wantKind(t, err, options.KindSourceTooBig)
	// A plain object cannot be read through the decrypting client.
	s3Put(t, client, "images", "plain.png", []byte("plain"), "image/png")
	if _, err := f.Fetch(context.Background(), "s3://images/plain.png", nil, 0); err == nil {
		t.Fatal("plain object through the decryption client: got nil error")
	}
}
