package fetch

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/bloberror"

	"github.com/imgedge/imgedge/options"
)

// absSource reads abs://container/blob with azblob: shared key when
// IMGPROXY_ABS_KEY is set, else the Azure default credential chain.
type absSource struct {
	client              *azblob.Client
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
	opts := &azblob.ClientOptions{ClientOptions: azcore.ClientOptions{
		// One retry: the download timeout bounds the whole fetch anyway.
		Retry: policy.RetryOptions{MaxRetries: 1, RetryDelay: 100 * time.Millisecond, MaxRetryDelay: time.Second},
	}}
	var (
		client *azblob.Client
		err    error
	)
	if cfg.ABSKey != "" {
		cred, cerr := azblob.NewSharedKeyCredential(cfg.ABSName, cfg.ABSKey)
		if cerr != nil {
			return nil, errorf("IMGPROXY_ABS_KEY: %w", cerr)
		}
		client, err = azblob.NewClientWithSharedKeyCredential(endpoint, cred, opts)
	} else {
		cred, cerr := azidentity.NewDefaultAzureCredential(nil)
		if cerr != nil {
			return nil, errorf("IMGPROXY_USE_ABS: no IMGPROXY_ABS_KEY and no default Azure credentials: %w", cerr)
		}
		client, err = azblob.NewClient(endpoint, cred, opts)
	}
	if err != nil {
		return nil, errorf("IMGPROXY_ABS_ENDPOINT: cannot create the client for %q: %w", endpoint, err)
	}
	return &absSource{client: client, allowList: cfg.ABSAllowedContainers, denyList: cfg.ABSDeniedContainers}, nil
}

func (s *absSource) name() string { return "abs" }

func (s *absSource) allowed(container string) bool {
	return bucketAllowed(s.allowList, s.denyList, container)
}

func (s *absSource) open(ctx context.Context, ref objectRef, cond *options.Conditional) (*object, error) {
	var o azblob.DownloadStreamOptions
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
	resp, err := s.client.DownloadStream(policy.WithCaptureResponse(ctx, &raw), ref.bucket, ref.key, &o)
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
			props, err := s.client.ServiceClient().NewContainerClient(ref.bucket).NewBlobClient(ref.key).GetProperties(ctx, nil)
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
