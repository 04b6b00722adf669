package fetch

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/imgedge/imgedge/options"
)

// absSource reads abs://container/blob with azblob's blob client: shared
// key when IMGPROXY_ABS_KEY is set, else the Azure default credential
// chain. It uses the azblob/blob sub-package only: the root azblob and
// azblob/container packages link Apache Arrow (for blob queries) into the
// binary.
type absSource struct {
	endpoint            string
	newClient           func(blobURL string) (*blob.Client, error)
	allowList, denyList []string
}

func newABSSource(cfg *Config) (*absSource, error) {
	endpoint := cfg.ABSEndpoint
	if endpoint == "" {
		endpoint = "https://" + cfg.ABSName + ".blob.core.windows.net/"
	}
	if !strings.HasSuffix(endpoint, "/") {
		endpoint += "/"
	}
	opts := &blob.ClientOptions{ClientOptions: azcore.ClientOptions{
		// One retry: the download timeout bounds the whole fetch anyway.
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 100 * time.Millisecond, MaxRetryDelay: time.Second},
	}}
	s := &absSource{endpoint: endpoint, allowList: cfg.ABSAllowedContainers, denyList: cfg.ABSDeniedContainers}
	if cfg.ABSKey != "" {
		cred, err := blob.NewSharedKeyCredential(cfg.ABSName, cfg.ABSKey)
		if err != nil {
			return nil, errorf("IMGPROXY_ABS_KEY: %w", err)
		}
		s.newClient = func(u string) (*blob.Client, error) { return blob.NewClientWithSharedKeyCredential(u, cred, opts) }
	} else {
		cred, err := azidentity.NewDefaultAzureCredential(nil)
		if err != nil {
			return nil, errorf("IMGPROXY_USE_ABS: no IMGPROXY_ABS_KEY and no default Azure credentials: %w", err)
		}
		s.newClient = func(u string) (*blob.Client, error) { return blob.NewClient(u, cred, opts) }
	}
	// Build one client now so that a bad endpoint fails at start-up.
	if _, err := s.client(objectRef{bucket: "c", key: "b"}); err != nil {
		return nil, errorf("IMGPROXY_ABS_ENDPOINT: cannot create the client for %q: %w", endpoint, err)
	}
	return s, nil
}

// client returns a client for one blob; its URL is built as azblob's
// container client builds it (the blob name path-escaped).
func (s *absSource) client(ref objectRef) (*blob.Client, error) {
	return s.newClient(runtime.JoinPaths(runtime.JoinPaths(s.endpoint, ref.bucket), url.PathEscape(ref.key)))
}

func (s *absSource) name() string { return "abs" }

func (s *absSource) allowed(container string) bool {
	return bucketAllowed(s.allowList, s.denyList, container)
}

func (s *absSource) open(ctx context.Context, ref objectRef, cond *options.Conditional) (*object, error) {
	bc, err := s.client(ref)
	if err != nil {
		return nil, err
	}
	var o blob.DownloadStreamOptions
	if cond != nil && (cond.IfNoneMatch != "" || cond.IfModifiedSince != "") {
		mac := &blob.ModifiedAccessConditions{}
		if cond.IfNoneMatch != "" {
			et := azcore.ETag(cond.IfNoneMatch)
			mac.IfNoneMatch = &et
		}
		// RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
		if t, err := http.ParseTime(cond.IfModifiedSince); cond.IfNoneMatch == "" && cond.IfModifiedSince != "" && err == nil {
			mac.IfModifiedSince = &t
		}
		o.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: mac}
	}
	// azblob turns a 304 into an empty success without headers; the
	// captured raw response still has the validators.
	var raw *http.Response
	resp, err := bc.DownloadStream(policy.WithCaptureResponse(ctx, &raw), &o)
	if err != nil {
		return nil, absErr(ref, err)
	}
	if resp.Body == nil || (raw != nil && raw.StatusCode == http.StatusNotModified) {
		if resp.Body != nil {
			resp.Body.Close()
		}
		obj := &object{size: -1, notModified: true}
		if raw != nil {
			h := raw.Header
			obj.etag, obj.lastModified = h.Get("ETag"), h.Get("Last-Modified")
			obj.cacheControl = h.Get("Cache-Control")
		}
		if obj.etag == "" && obj.lastModified == "" {
			// Azurite (and possibly the service) sends a bare 304: ask for
			// the validators with a HEAD request so the client gets them.
			props, err := bc.GetProperties(ctx, nil)
			if err != nil {
				return nil, absErr(ref, err)
			}
			if props.ETag != nil {
				obj.etag = quoteETag(string(*props.ETag))
			}
			if props.LastModified != nil {
				obj.lastModified = httpTime(*props.LastModified)
			}
			if props.CacheControl != nil {
				obj.cacheControl = *props.CacheControl
			}
		}
		return obj, nil
	}
	obj := &object{body: resp.Body, size: -1}
	if resp.ContentLength != nil {
		obj.size = *resp.ContentLength
	}
	if resp.ETag != nil {
		obj.etag = quoteETag(string(*resp.ETag))
	}
	if resp.LastModified != nil {
		obj.lastModified = httpTime(*resp.LastModified)
	}
	if resp.ContentType != nil {
		obj.contentType = *resp.ContentType
	}
	if resp.CacheControl != nil {
		obj.cacheControl = *resp.CacheControl
	}
	return obj, nil
}

func absErr(ref objectRef, err error) error {
	if bloberror.HasCode(err, bloberror.BlobNotFound, bloberror.ContainerNotFound, bloberror.ResourceNotFound) {
		return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: http.StatusNotFound,
			Msg: "abs blob " + ref.bucket + "/" + ref.key + " not found", Err: err}
	}
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.StatusCode >= 400 && re.StatusCode <= 599 {
		return &options.Error{Kind: options.KindUpstreamStatus, UpstreamStatus: re.StatusCode, Msg: "abs download failed", Err: err}
	}
	return err
}
