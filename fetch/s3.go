package fetch

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	s3crypto "github.com/aws/amazon-s3-encryption-client-go/v4/client"
	s3cryptocommitment "github.com/aws/amazon-s3-encryption-client-go/v4/commitment"
	s3cryptomaterials "github.com/aws/amazon-s3-encryption-client-go/v4/materials"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/imgedge/imgedge/options"
)

// s3Source reads s3://bucket/key[?versionId] with aws-sdk-go-v2. The
// configuration (and so the credential chain, wrapped in the SDK's
// credentials cache) is loaded once in New; no STS or IMDS call happens per
// request while cached credentials are valid. With IMGPROXY_S3_ASSUME_ROLE_ARN
// the chain's credentials assume that role through STS, again behind a
// credentials cache: one AssumeRole call per session lifetime, not one per
// object. With IMGPROXY_S3_USE_DECRYPTION_CLIENT objects are read through
// the Amazon S3 Encryption Client, which decrypts client-side-encrypted
// objects with their KMS-wrapped data keys.
type s3Source struct {
	client *s3.Client // the plain client (also used by tests to store objects)
	// getter runs GetObject: client itself, or the decrypting client around it.
	getter              s3Getter
	decrypt             bool
	allowList, denyList []string
	// regions remembers the real region of buckets learned from a
	// PermanentRedirect answer (x-amz-bucket-region), so multi-region setups
	// pay the redirect once per bucket.
	regions sync.Map // bucket → region string
}

const defaultS3Region = "us-west-1"

func newS3Source(cfg *Config) (*s3Source, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.S3Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.S3Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, errorf("IMGPROXY_USE_S3: cannot load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		awsCfg.Region = defaultS3Region
	}
	if cfg.S3AssumeRoleARN != "" {
		awsCfg.Credentials = assumeRoleCredentials(awsCfg, cfg.S3AssumeRoleARN, cfg.S3AssumeRoleExternalID)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.S3Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.S3Endpoint)
			o.UsePathStyle = cfg.S3EndpointUsePathStyle
		}
		// Whole-object checksums are not worth a second pass over every
		// image; TLS already protects the transfer.
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	src := &s3Source{client: client, getter: client, allowList: cfg.S3AllowedBuckets, denyList: cfg.S3DeniedBuckets}
	if cfg.S3UseDecryptionClient {
		if src.getter, err = newDecryptingClient(awsCfg, client); err != nil {
			return nil, errorf("IMGPROXY_S3_USE_DECRYPTION_CLIENT: %w", err)
		}
		src.decrypt = true
	}
	return src, nil
}

// s3Getter is the one S3 call sources make; *s3.Client and the decrypting
// *client.S3EncryptionClientV4 both implement it.
type s3Getter interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// assumeRoleCredentials returns credentials of the role arn assumed with
// the credentials of awsCfg (the standard chain), cached until they
// expire. STS is reached like any AWS service (AWS_ENDPOINT_URL_STS
// overrides its endpoint).
func assumeRoleCredentials(awsCfg aws.Config, arn, externalID string) aws.CredentialsProvider {
	provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(awsCfg), arn, func(o *stscreds.AssumeRoleOptions) {
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
	// The provider itself calls STS on every Retrieve; the cache keeps the
	// session until shortly before it expires.
	return aws.NewCredentialsCache(provider)
}

// newDecryptingClient wraps client in the S3 Encryption Client (v4) with a
// KMS keyring that decrypts data keys of any KMS key the credentials may
// use. It reads objects written by the v1–v4 encryption clients with
// authenticated algorithms (AES-GCM, with or without key commitment); a
// plain object, or one in the legacy AES-CBC format, fails to read.
func newDecryptingClient(awsCfg aws.Config, client *s3.Client) (s3Getter, error) {
	keyring := s3cryptomaterials.NewKmsDecryptOnlyAnyKeyKeyring(kms.NewFromConfig(awsCfg))
	cmm, err := s3cryptomaterials.NewCryptographicMaterialsManager(keyring)
	if err != nil {
		return nil, err
	}
	return s3crypto.New(client, cmm, func(o *s3crypto.EncryptionClientOptions) {
		// This client never writes; it reads objects with and without key
		// commitment.
		o.CommitmentPolicy = s3cryptocommitment.FORBID_ENCRYPT_ALLOW_DECRYPT
	})
}

func (s *s3Source) name() string { return "s3" }

func (s *s3Source) allowed(bucket string) bool { return bucketAllowed(s.allowList, s.denyList, bucket) }

func (s *s3Source) open(ctx context.Context, ref objectRef, cond *options.Conditional) (*object, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(ref.bucket), Key: aws.String(ref.key)}
	if ref.version != "" {
		in.VersionId = aws.String(ref.version)
	}
	if cond != nil {
		if cond.IfNoneMatch != "" {
			in.IfNoneMatch = aws.String(cond.IfNoneMatch)
		}
		// RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match
		// is present; not every store agrees, so it is not sent then.
		if t, err := http.ParseTime(cond.IfModifiedSince); cond.IfNoneMatch == "" && cond.IfModifiedSince != "" && err == nil {
			in.IfModifiedSince = aws.Time(t)
		}
	}
	out, err := s.get(ctx, ref.bucket, in)
	if err != nil {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotModified {
			obj := &object{size: -1, notModified: true}
			h := re.Response.Header
			obj.etag, obj.lastModified = h.Get("ETag"), h.Get("Last-Modified")
			obj.cacheControl, obj.expires = h.Get("Cache-Control"), h.Get("Expires")
			return obj, nil
		}
		return nil, s3Err(ref, err)
	}
	obj := &object{
		body:            out.Body,
		size:            aws.ToInt64(out.ContentLength),
		etag:            aws.ToString(out.ETag),
		contentType:     aws.ToString(out.ContentType),
		cacheControl:    aws.ToString(out.CacheControl),
		expires:         aws.ToString(out.ExpiresString),
		contentEncoding: aws.ToString(out.ContentEncoding),
	}
	if out.ContentLength == nil || s.decrypt {
		// A decrypted body is shorter than the stored ciphertext.
		obj.size = -1
	}
	if out.LastModified != nil {
		obj.lastModified = httpTime(*out.LastModified)
	}
	return obj, nil
}

// get runs GetObject in the bucket's known region and retries once in the
// region S3 names when it answers with a redirect.
func (s *s3Source) get(ctx context.Context, bucket string, in *s3.GetObjectInput) (*s3.GetObjectOutput, error) {
	region, _ := s.regions.Load(bucket)
	out, err := s.getter.GetObject(ctx, in, withRegion(region))
	if err == nil {
		return out, nil
	}
	var re *smithyhttp.ResponseError
	if !errors.As(err, &re) || re.Response == nil {
		return nil, err
	}
	switch re.HTTPStatusCode() {
	case http.StatusMovedPermanently, http.StatusBadRequest, http.StatusTemporaryRedirect:
	default:
		return nil, err
	}
	newRegion := re.Response.Header.Get("X-Amz-Bucket-Region")
	if newRegion == "" || newRegion == region {
		return nil, err
	}
	s.regions.Store(bucket, newRegion)
	return s.getter.GetObject(ctx, in, withRegion(newRegion))
}

func withRegion(region any) func(*s3.Options) {
	r, _ := region.(string)
	return func(o *s3.Options) {
		if r != "" {
			o.Region = r
		}
	}
}

// s3Err maps S3 errors: missing key/bucket → 404, other HTTP statuses pass
// through as KindUpstreamStatus (403 stays 403, 5xx → 502 in edge).
func s3Err(ref objectRef, err error) error {
	var nsk *types.NoSuchKey
	var nsb *types.NoSuchBucket
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nsb) || errors.As(err, &nf) {
		return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: 404,
			Msg: "s3 object " + ref.bucket + "/" + ref.key + " not found", Err: err}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		if st := re.HTTPStatusCode(); st >= 400 && st <= 599 {
			return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: st, Msg: "s3 GetObject failed", Err: err}
		}
	}
	return err
}
