package fetch

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/imgedge/imgedge/options"
)

// gcsSource reads gs://bucket/key[?generation] with cloud.google.com/go/storage.
// Objects have no content ETag on the media download, so the ETag is the
// object generation (it changes whenever the content is rewritten).
type gcsSource struct {
	client              *storage.Client
	allowList, denyList []string
}

func newGCSSource(cfg *Config) (*gcsSource, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var opts []option.ClientOption
	switch {
	case cfg.GCSKey != "":
		opts = append(opts, option.WithAuthCredentialsJSON(option.ServiceAccount, []byte(cfg.GCSKey)))
	case cfg.GCSEndpoint != "":
		// An emulator (fake-gcs-server) needs no credentials.
		opts = append(opts, option.WithoutAuthentication())
	}
	if cfg.GCSEndpoint != "" {
		// The JSON API download path works with custom endpoints and
		// emulators alike.
		opts = append(opts, option.WithEndpoint(cfg.GCSEndpoint), storage.WithJSONReads())
	}
	client, err := storage.NewClient(ctx, opts...)
	if err != nil {
		return nil, errorf("IMGPROXY_USE_GCS: cannot create the client: %w", err)
	}
	return &gcsSource{client: client, allowList: cfg.GCSAllowedBuckets, denyList: cfg.GCSDeniedBuckets}, nil
}

func (s *gcsSource) close() { s.client.Close() }

func (s *gcsSource) name() string { return "gs" }

func (s *gcsSource) allowed(bucket string) bool {
	return bucketAllowed(s.allowList, s.denyList, bucket)
}

func (s *gcsSource) open(ctx context.Context, ref objectRef, _ *options.Conditional) (*object, error) {
	h := s.client.Bucket(ref.bucket).Object(ref.key)
	if ref.version != "" {
		gen, err := strconv.ParseInt(ref.version, 10, 64)
		if err != nil || gen <= 0 {
			return nil, options.Errorf(options.KindUnreachable, "invalid gcs generation %q", ref.version)
		}
		h = h.Generation(gen)
	}
	// Validators are evaluated by openObject on the reader's attributes:
	// the media endpoint has no If-None-Match, and one request beats a
	// metadata round trip before every download.
	r, err := h.NewReader(ctx)
	if err != nil {
		return nil, gcsErr(ref, err)
	}
	a := r.Attrs
	obj := &object{
		body:         r,
		size:         r.Remain(),
		etag:         `"` + strconv.FormatInt(a.Generation, 10) + `"`,
		lastModified: httpTime(a.LastModified),
		contentType:  a.ContentType,
		cacheControl: a.CacheControl,
	}
	if a.Decompressed {
		obj.size = -1
	}
	return obj, nil
}

func gcsErr(ref objectRef, err error) error {
	if errors.Is(err, storage.ErrObjectNotExist) || errors.Is(err, storage.ErrBucketNotExist) {
		return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: http.StatusNotFound,
			Msg: "gcs object " + ref.bucket + "/" + ref.key + " not found", Err: err}
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Code >= 400 && ge.Code <= 599 {
		return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: ge.Code, Msg: "gcs read failed", Err: err}
	}
	return err
}
