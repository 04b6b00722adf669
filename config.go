package main

// config.go holds THE configuration table: every environment variable
// imgedge reads, with its default, meaning, parser and destination. It is
// the single source for
//   - start-up parsing (loadConfig),
//   - `imgedge -h` (writeUsage),
//   - docs/config.md (`go run . -gen-config-docs`, checked by
//     TestConfigDocsUpToDate).
// Only package main reads the environment; values land in the Config
// structs of the packages that use them (edge.Config, fetch.Config, ...).

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/imgedge/imgedge/edge"
	"github.com/imgedge/imgedge/fetch"
	"github.com/imgedge/imgedge/options"
	"github.com/imgedge/imgedge/sign"
	"github.com/imgedge/imgedge/vips"
	"github.com/imgedge/imgedge/workers"
)

// config is everything parsed from the environment at start-up.
type config struct {
	// Server settings owned by main.
	Bind               string
	Network            string
	ReusePort          bool
	GracefulStop       time.Duration
	FreeMemoryInterval time.Duration
	LogFormat          string // pretty, structured, json, gcp
	LogLevel           string // error, warn, info, debug
	PrometheusBind     string
	FailOnDeprecation  bool
	EnvFile            string

	// Sources of images loaded by main at start-up (first non-empty wins).
	WatermarkData, WatermarkPath, WatermarkURL string
	FallbackData, FallbackPath, FallbackURL    string

	Edge    edge.Config
	Fetch   fetch.Config
	Sign    sign.Config
	Workers workers.Config
	Parser  options.ParserConfig
	Vips    vips.Config
	raw     procRaw
}

// procRaw holds processing variables that need a second step (files,
// cross-variable parsing) before they land in options.ParserConfig.
type procRaw struct {
	Presets          string
	PresetsSeparator string
	PresetsPath      string
	URLReplacements  string
}

// Section titles, in documentation order.
const (
	secServer     = "Server"
	secSecurity   = "Security"
	secSources    = "Sources"
	secProcessing = "Processing and formats"
	secResponse   = "Response"
	secObserve    = "Observability"
	secImgedge    = "imgedge extensions"
)

var sections = []string{secServer, secSecurity, secSources, secProcessing, secResponse, secObserve, secImgedge}

// newConfig returns a config holding the packages' zero-risk defaults; the
// table's defaults are applied on top by loadConfig.
func newConfig() *config {
	c := &config{
		Edge:  edge.DefaultConfig(),
		Fetch: fetch.DefaultConfig(),
		Vips:  vips.DefaultConfig(),
	}
	c.Parser.Defaults = options.DefaultOptions()
	return c
}

func defaultWorkers() string { return strconv.Itoa(runtime.NumCPU() * 2) }

// table returns the rows of the configuration table with destinations in c.
func table(c *config) []envVar {
	e, f, v, p, d, raw := &c.Edge, &c.Fetch, &c.Vips, &c.Parser, &c.Parser.Defaults, &c.raw
	dep := func(n string) []alias { return []alias{{name: n, deprecated: true}} }
	return []envVar{
		// ---------------- Server ----------------
		{name: "IMGPROXY_BIND", section: secServer, def: ":8080", defDoc: "`:8080` (or `:$PORT` when `PORT` is set)",
			help: "Listen address `host:port`, or a socket path with `IMGPROXY_NETWORK=unix`. Port `0` picks a free port; the chosen address is logged (`msg=listening addr=...`).",
			set:  setString(&c.Bind)},
		{name: "IMGPROXY_NETWORK", section: secServer, def: "tcp",
			help: "Listener network: `tcp`, `tcp4`, `tcp6` or `unix`.",
			set:  setOneOf(&c.Network, "tcp", "tcp4", "tcp6", "unix")},
		{name: "IMGPROXY_PATH_PREFIX", section: secServer,
			help: "Prefix of every route (also `/health`), e.g. `/img`: a leading `/` and no trailing `/`.",
			set:  func(s string) error { e.PathPrefix, p.PathPrefix = s, s; return nil }},
		{name: "IMGPROXY_TIMEOUT", section: secServer, def: "10", aliases: dep("IMGPROXY_WRITE_TIMEOUT"),
			help: "Seconds a processing request may take in all (queue wait, download, processing); on expiry 503.",
			set:  setSeconds(&e.RequestTimeout, true)},
		{name: "IMGPROXY_READ_REQUEST_TIMEOUT", section: secServer, def: "10", aliases: dep("IMGPROXY_READ_TIMEOUT"),
			help: "Seconds to read a whole incoming request.",
			set:  setSeconds(&e.ReadRequestTimeout, true)},
		{name: "IMGPROXY_WRITE_RESPONSE_TIMEOUT", section: secServer, def: "10",
			help: "Seconds to write a response.",
			set:  setSeconds(&e.WriteResponseTimeout, true)},
		{name: "IMGPROXY_KEEP_ALIVE_TIMEOUT", section: secServer, def: "10",
			help: "Seconds an idle client connection is kept open; `0` disables keep-alive.",
			set:  setSeconds(&e.KeepAliveTimeout, false)},
		{name: "IMGPROXY_CLIENT_KEEP_ALIVE_TIMEOUT", section: secServer, def: "90",
			help: "Seconds an idle connection to an origin stays pooled; `0` disables origin keep-alive.",
			set:  setSeconds(&f.ClientKeepAliveTimeout, false)},
		{name: "IMGPROXY_DOWNLOAD_TIMEOUT", section: secServer, def: "5",
			help: "Seconds to fetch a source image; on expiry 504.",
			set:  setSeconds(&f.DownloadTimeout, true)},
		{name: "IMGPROXY_GRACEFUL_STOP_TIMEOUT", section: secServer, def: "20",
			help: "Seconds in-flight requests get to finish after SIGTERM/SIGINT (health answers 503 meanwhile).",
			set:  setSeconds(&c.GracefulStop, false)},
		{name: "IMGPROXY_CONCURRENCY", section: secServer, defFunc: defaultWorkers, defDoc: "CPU cores × 2",
			aliases: []alias{{name: "IMGPROXY_WORKERS"}},
			help:    "Images processed at once (the worker pool size); other requests wait in the queue.",
			set:     setInt(&c.Workers.Workers, 1, 1<<16)},
		{name: "IMGPROXY_REQUESTS_QUEUE_SIZE", section: secServer, def: "0",
			help: "Requests that may wait for a worker; more get 429 at once. `0` = unbounded (waiting is limited by `IMGPROXY_TIMEOUT`).",
			set:  setInt(&c.Workers.QueueSize, 0, 1<<30)},
		{name: "IMGPROXY_MAX_CLIENTS", section: secServer, def: "2048",
			help: "Simultaneous client connections; `0` = unlimited.",
			set:  setInt(&e.MaxClients, 0, 1<<30)},
		{name: "IMGPROXY_SO_REUSEPORT", section: secServer, def: "false",
			help: "Set `SO_REUSEPORT` on the listener so several processes can share the port.",
			set:  setBool(&c.ReusePort)},
		{name: "IMGPROXY_USER_AGENT", section: secServer, def: fetch.DefaultUserAgent,
			help: "User-Agent of source requests; `%current_version` is replaced by the version.",
			set:  setString(&f.UserAgent)},
		{name: "IMGPROXY_MAX_REDIRECTS", section: secServer, def: "10",
			help: "Redirects followed when fetching a source; `0` follows none.",
			set:  setInt(&f.MaxRedirects, 0, 1000)},
		{name: "IMGPROXY_IGNORE_SSL_VERIFICATION", section: secServer, def: "false",
			help: "Skip TLS certificate checks of HTTPS sources (development only).",
			set:  setBool(&f.IgnoreSSLVerification)},
		{name: "IMGPROXY_ALLOW_ORIGIN", section: secServer,
			help: "When set, CORS headers with this origin on GET, HEAD and OPTIONS.",
			set:  setString(&e.AllowOrigin)},
		{name: "IMGPROXY_SECRET", section: secServer, secret: true,
			help: "When set, processing requests need `Authorization: Bearer <secret>`, else 403.",
			set:  setString(&e.Secret)},
		{name: "IMGPROXY_FREE_MEMORY_INTERVAL", section: secServer, def: "10",
			help: "Seconds between returns of freed memory to the OS; `0` disables.",
			set:  setSeconds(&c.FreeMemoryInterval, false)},
		{name: "IMGPROXY_FAIL_ON_DEPRECATION", section: secServer, def: "false",
			help: "Refuse to start when a deprecated variable name (listed as \"deprecated\" below) is used.",
			set:  setBool(&c.FailOnDeprecation)},
		{name: "IMGPROXY_ENV_LOCAL_FILE_PATH", section: secServer,
			help: "File of `NAME=value` lines read before all other variables; variables set in the environment win over the file.",
			set:  setString(&c.EnvFile)},

		// ---------------- Security ----------------
		{name: "IMGPROXY_KEY", section: secSecurity, secret: true,
			help: "Hex-encoded signing key(s), comma-separated. Empty key and salt = signing off (`/insecure/` and `/_/` URLs).",
			set:  setHexList(&c.Sign.Keys)},
		{name: "IMGPROXY_SALT", section: secSecurity, secret: true,
			help: "Hex-encoded salt(s), one per key.",
			set:  setHexList(&c.Sign.Salts)},
		{name: "IMGPROXY_SIGNATURE_SIZE", section: secSecurity, def: "32",
			help: "Bytes of the HMAC kept in signatures, 1–32.",
			set:  setInt(&c.Sign.SignatureSize, 1, 32)},
		{name: "IMGPROXY_TRUSTED_SIGNATURES", section: secSecurity, secret: true,
			help: "Comma list of signatures accepted without checking.",
			set:  setList(&c.Sign.Trusted)},
		{name: "IMGPROXY_MAX_SRC_RESOLUTION", section: secSecurity, def: "50",
			help: "Largest source in megapixels (frames summed for animations); larger → 422.",
			set:  setMegapixels(&d.Limits.MaxSrcResolution)},
		{name: "IMGPROXY_MAX_SRC_FILE_SIZE", section: secSecurity, def: "0",
			help: "Largest source in bytes; larger → 422. `0` = no limit.",
			set: func(s string) error {
				if err := setInt64(&d.Limits.MaxSrcFileSize)(s); err != nil {
					return err
				}
				f.MaxSrcFileSize = d.Limits.MaxSrcFileSize
				return nil
			}},
		{name: "IMGPROXY_MAX_ANIMATION_FRAMES", section: secSecurity, def: "1",
			help: "Animation frames processed; `1` turns animations into their first frame.",
			set:  setInt(&d.Limits.MaxAnimationFrames, 1, 1<<20)},
		{name: "IMGPROXY_MAX_ANIMATION_FRAME_RESOLUTION", section: secSecurity, def: "0",
			help: "When > 0, animated sources are checked per frame against this many megapixels instead of the summed check.",
			set:  setMegapixels(&d.Limits.MaxAnimationFrameResolution)},
		{name: "IMGPROXY_MAX_RESULT_DIMENSION", section: secSecurity, def: "0",
			help: "When > 0, larger requested results are refused (422) before processing.",
			set:  setInt(&d.Limits.MaxResultDimension, 0, 1<<30)},
		{name: "IMGPROXY_MAX_SVG_CHECK_BYTES", section: secSecurity, def: "32768",
			help: "Bytes read from the start of a source to recognise SVG.",
			set:  setInt(&v.MaxSVGCheckBytes, 0, 1<<30)},
		{name: "IMGPROXY_ALLOWED_PROCESSING_OPTIONS", section: secSecurity,
			help: "Comma list of option names allowed in URLs (long and short names count separately); empty = all.",
			set:  setList(&p.AllowedProcessingOptions)},
		{name: "IMGPROXY_ALLOW_SECURITY_OPTIONS", section: secSecurity, def: "false",
			help: "Allow the security options (`max_src_resolution`, `max_src_file_size`, `max_animation_frames`, `max_animation_frame_resolution`, `max_result_dimension`) in URLs; else 403.",
			set:  setBool(&p.AllowSecurityOptions)},
		{name: "IMGPROXY_ALLOWED_SOURCES", section: secSecurity,
			help: "Comma list of source URL prefixes; `*` matches a run of characters other than `/`. End host patterns with `/`. No match → 404.",
			set:  setList(&p.AllowedSources)},
		{name: "IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES", section: secSecurity, def: "false",
			help: "Allow sources on 127.0.0.0/8, ::1 and the unspecified addresses.",
			set:  setBool(&f.AllowLoopback)},
		{name: "IMGPROXY_ALLOW_LINK_LOCAL_SOURCE_ADDRESSES", section: secSecurity, def: "false",
			help: "Allow sources on link-local addresses (169.254.0.0/16 incl. cloud metadata, fe80::/10, ...).",
			set:  setBool(&f.AllowLinkLocal)},
		{name: "IMGPROXY_ALLOW_PRIVATE_SOURCE_ADDRESSES", section: secSecurity, def: "false",
			help: "Allow sources on private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). **Default false: stricter than imgproxy (true).**",
			set:  setBool(&f.AllowPrivate)},
		{name: "IMGPROXY_PNG_UNLIMITED", section: secSecurity, def: "false",
			help: "Lift libvips' limits on PNG text chunks.",
			set:  setBool(&v.PNGUnlimited)},
		{name: "IMGPROXY_SVG_UNLIMITED", section: secSecurity, def: "false",
			help: "Lift the SVG loader's 10 MB limit.",
			set:  setBool(&v.SVGUnlimited)},
		{name: "IMGPROXY_SANITIZE_SVG", section: secSecurity, def: "true",
			help: "Remove scripts, event handlers and external references from SVG sources.",
			set:  setBool(&v.SanitizeSVG)},

		// ---------------- Sources ----------------
		{name: "IMGPROXY_LOCAL_FILESYSTEM_ROOT", section: secSources,
			help: "Enables `local:///path` sources, served from this directory only (nothing above it is reachable). Empty = disabled.",
			set: func(s string) error {
				if err := checkReadableDir(s); err != nil {
					return err
				}
				f.LocalRoot = s
				return nil
			}},
		{name: "IMGPROXY_SOURCE_URL_QUERY_SEPARATOR", section: secSources, def: "?", keepEmpty: true,
			help: "Splits the object name of `s3://`, `gs://`, `abs://` sources from their version/generation. Set but empty disables it.",
			set:  setString(&f.SourceURLQuerySeparator)},
		{name: "IMGPROXY_BASE_URL", section: secSources,
			help: "Prefix added to every source URL that does not already start with it.",
			set:  setString(&p.BaseURL)},
		{name: "IMGPROXY_URL_REPLACEMENTS", section: secSources,
			help: "`pattern=replacement;...` source URL prefix rewrites (`*` wildcard, `${N}` in the replacement), applied before `IMGPROXY_BASE_URL`.",
			set:  setString(&raw.URLReplacements)},
		{name: "IMGPROXY_BASE64_URL_INCLUDES_FILENAME", section: secSources, def: "false",
			help: "The last segment after a base64 source URL is an ignored SEO file name.",
			set:  setBool(&p.Base64URLIncludesFilename)},
		{name: "IMGPROXY_USE_S3", section: secSources, def: "false",
			help: "Enable `s3://bucket/key[?versionId]` sources (AWS standard credential chain).",
			set:  setBool(&f.UseS3)},
		{name: "IMGPROXY_S3_REGION", section: secSources, defDoc: "`AWS_REGION`, else `us-west-1`",
			help: "Initial S3 region; a bucket's real region is learned and remembered.",
			set:  setString(&f.S3Region)},
		{name: "IMGPROXY_S3_ENDPOINT", section: secSources,
			help: "Custom S3 endpoint (MinIO, ...); `http://` disables TLS.",
			set:  setString(&f.S3Endpoint)},
		{name: "IMGPROXY_S3_ENDPOINT_USE_PATH_STYLE", section: secSources, def: "true",
			help: "Path-style (`endpoint/bucket`) instead of virtual-host (`bucket.endpoint`) addressing.",
			set:  setBool(&f.S3EndpointUsePathStyle)},
		{name: "IMGPROXY_S3_ALLOWED_BUCKETS", section: secSources,
			help: "Comma list; when set, other buckets are refused (404).",
			set:  setList(&f.S3AllowedBuckets)},
		{name: "IMGPROXY_S3_DENIED_BUCKETS", section: secSources,
			help: "Comma list of refused buckets (404).",
			set:  setList(&f.S3DeniedBuckets)},
		{name: "IMGPROXY_USE_GCS", section: secSources, def: "false",
			help: "Enable `gs://bucket/key[?generation]` sources.",
			set:  setBool(&f.UseGCS)},
		{name: "IMGPROXY_GCS_KEY", section: secSources, secret: true,
			help: "Service-account JSON key; empty = ambient Google credentials.",
			set:  setString(&f.GCSKey)},
		{name: "IMGPROXY_GCS_ENDPOINT", section: secSources,
			help: "Custom GCS endpoint (e.g. fake-gcs-server).",
			set:  setString(&f.GCSEndpoint)},
		{name: "IMGPROXY_GCS_ALLOWED_BUCKETS", section: secSources,
			help: "Comma list; when set, other buckets are refused (404).",
			set:  setList(&f.GCSAllowedBuckets)},
		{name: "IMGPROXY_GCS_DENIED_BUCKETS", section: secSources,
			help: "Comma list of refused buckets (404).",
			set:  setList(&f.GCSDeniedBuckets)},
		{name: "IMGPROXY_USE_ABS", section: secSources, def: "false",
			help: "Enable `abs://container/blob` Azure Blob Storage sources.",
			set:  setBool(&f.UseABS)},
		{name: "IMGPROXY_ABS_NAME", section: secSources,
			help: "Azure storage account name.",
			set:  setString(&f.ABSName)},
		{name: "IMGPROXY_ABS_KEY", section: secSources, secret: true,
			help: "Azure storage account key; empty = Azure default credentials (environment, workload or managed identity).",
			set:  setString(&f.ABSKey)},
		{name: "IMGPROXY_ABS_ENDPOINT", section: secSources,
			help: "Custom Azure Blob endpoint (e.g. Azurite's `http://127.0.0.1:10000/devstoreaccount1`).",
			set:  setString(&f.ABSEndpoint)},
		{name: "IMGPROXY_ABS_ALLOWED_BUCKETS", section: secSources,
			help: "Comma list of containers; when set, others are refused (404).",
			set:  setList(&f.ABSAllowedContainers)},
		{name: "IMGPROXY_ABS_DENIED_BUCKETS", section: secSources,
			help: "Comma list of refused containers (404).",
			set:  setList(&f.ABSDeniedContainers)},

		// ---------------- Processing and formats ----------------
		{name: "IMGPROXY_QUALITY", section: secProcessing, def: "80",
			help: "Default output quality, 1–100.",
			set:  setInt(&v.Quality, 1, 100)},
		{name: "IMGPROXY_FORMAT_QUALITY", section: secProcessing, def: "webp=79,avif=63,jxl=77",
			help: "Per-format default quality `format=q,...`, merged over the default.",
			set:  setFormatQuality(&v.FormatQuality)},
		{name: "IMGPROXY_AUTO_WEBP", section: secProcessing, def: "false", aliases: dep("IMGPROXY_ENABLE_WEBP_DETECTION"),
			help: "Answer WebP when no format is requested and `Accept` has `image/webp` (adds `Vary: Accept`).",
			set:  setBool(&e.AutoWebP)},
		{name: "IMGPROXY_AUTO_AVIF", section: secProcessing, def: "false", aliases: dep("IMGPROXY_ENABLE_AVIF_DETECTION"),
			help: "Answer AVIF when no format is requested and `Accept` has `image/avif`.",
			set:  setBool(&e.AutoAVIF)},
		{name: "IMGPROXY_AUTO_JXL", section: secProcessing, def: "false",
			help: "Answer JPEG XL when no format is requested and `Accept` has `image/jxl`.",
			set:  setBool(&e.AutoJXL)},
		{name: "IMGPROXY_ENFORCE_WEBP", section: secProcessing, def: "false",
			help: "Like `IMGPROXY_AUTO_WEBP`, and also over a format given in the URL.",
			set:  setBool(&e.EnforceWebP)},
		{name: "IMGPROXY_ENFORCE_AVIF", section: secProcessing, def: "false",
			help: "Like `IMGPROXY_AUTO_AVIF`, and also over a format given in the URL.",
			set:  setBool(&e.EnforceAVIF)},
		{name: "IMGPROXY_ENFORCE_JXL", section: secProcessing, def: "false",
			help: "Like `IMGPROXY_AUTO_JXL`, and also over a format given in the URL.",
			set:  setBool(&e.EnforceJXL)},
		{name: "IMGPROXY_ENABLE_CLIENT_HINTS", section: secProcessing, def: "false",
			help: "Default width and dpr from `Sec-CH-Width`/`Width` and `Sec-CH-DPR`/`DPR` request headers.",
			set: func(s string) error {
				if err := setBool(&e.EnableClientHints)(s); err != nil {
					return err
				}
				p.EnableClientHints = e.EnableClientHints
				return nil
			}},
		{name: "IMGPROXY_PREFERRED_FORMATS", section: secProcessing, def: "jpeg,png,gif",
			help: "Output format candidates, in order, when none is requested.",
			set:  setFormats(&e.PreferredFormats)},
		{name: "IMGPROXY_SKIP_PROCESSING_FORMATS", section: secProcessing,
			help: "Source formats returned unprocessed when the output format is the same or unspecified.",
			set:  setFormatSet(&d.SkipProcessing)},
		{name: "IMGPROXY_ALWAYS_RASTERIZE_SVG", section: secProcessing, def: "false",
			help: "Rasterise SVG sources even when no output format is requested.",
			set:  setBool(&v.AlwaysRasterizeSVG)},
		{name: "IMGPROXY_STRIP_METADATA", section: secProcessing, def: "true",
			help: "Strip EXIF/XMP/IPTC metadata from results.",
			set:  setBool(&d.StripMetadata)},
		{name: "IMGPROXY_KEEP_COPYRIGHT", section: secProcessing, def: "true",
			help: "Keep copyright fields when stripping metadata.",
			set:  setBool(&d.KeepCopyright)},
		{name: "IMGPROXY_STRIP_COLOR_PROFILE", section: secProcessing, def: "true",
			help: "Convert to sRGB and drop the ICC profile.",
			set:  setBool(&d.StripColorProfile)},
		{name: "IMGPROXY_AUTO_ROTATE", section: secProcessing, def: "true",
			help: "Rotate by the EXIF orientation.",
			set:  setBool(&d.AutoRotate)},
		{name: "IMGPROXY_ENFORCE_THUMBNAIL", section: secProcessing, def: "false",
			help: "Use the embedded thumbnail of HEIC/AVIF sources when present.",
			set:  setBool(&d.EnforceThumbnail)},
		{name: "IMGPROXY_PRESERVE_HDR", section: secProcessing, def: "false",
			help: "Keep high bit depth when the output format supports it.",
			set:  setBool(&d.PreserveHDR)},
		{name: "IMGPROXY_USE_LINEAR_COLORSPACE", section: secProcessing, def: "false",
			help: "Resize in linear light (slower, truer for some images).",
			set:  setBool(&v.UseLinearColorspace)},
		{name: "IMGPROXY_DISABLE_SHRINK_ON_LOAD", section: secProcessing, def: "false",
			help: "Decode JPEG/WebP at full size instead of shrinking while decoding.",
			set:  setBool(&v.DisableShrinkOnLoad)},
		{name: "IMGPROXY_JPEG_PROGRESSIVE", section: secProcessing, def: "false",
			help: "Write progressive JPEG.",
			set:  setBool(&v.JPEGProgressive)},
		{name: "IMGPROXY_PNG_INTERLACED", section: secProcessing, def: "false",
			help: "Write interlaced PNG.",
			set:  setBool(&v.PNGInterlaced)},
		{name: "IMGPROXY_PNG_QUANTIZE", section: secProcessing, def: "false",
			help: "Write palette (quantised) PNG.",
			set:  setBool(&v.PNGQuantize)},
		{name: "IMGPROXY_PNG_QUANTIZATION_COLORS", section: secProcessing, def: "256",
			help: "Palette size for quantised PNG, 2–256.",
			set:  setInt(&v.PNGQuantizationColors, 2, 256)},
		{name: "IMGPROXY_WEBP_EFFORT", section: secProcessing, def: "4",
			help: "WebP encoder effort, 1–6.",
			set:  setInt(&v.WebPEffort, 1, 6)},
		{name: "IMGPROXY_WEBP_PRESET", section: secProcessing, def: "default",
			help: "WebP preset: `default`, `photo`, `picture`, `drawing`, `icon` or `text`.",
			set:  setOneOf(&v.WebPPreset, "default", "photo", "picture", "drawing", "icon", "text")},
		{name: "IMGPROXY_AVIF_SPEED", section: secProcessing, def: "8",
			help: "AVIF encoder speed, 0 (slow, small) – 9 (fast).",
			set:  setInt(&v.AVIFSpeed, 0, 9)},
		{name: "IMGPROXY_JXL_EFFORT", section: secProcessing, def: "4",
			help: "JPEG XL encoder effort, 1–9.",
			set:  setInt(&v.JXLEffort, 1, 9)},
		{name: "IMGPROXY_WATERMARK_DATA", section: secProcessing, secret: true,
			help: "Watermark image as base64 (first of `_DATA`, `_PATH`, `_URL` that is set wins; loaded at start-up).",
			set:  setString(&c.WatermarkData)},
		{name: "IMGPROXY_WATERMARK_PATH", section: secProcessing,
			help: "Watermark image file.",
			set:  setString(&c.WatermarkPath)},
		{name: "IMGPROXY_WATERMARK_URL", section: secProcessing,
			help: "Watermark image URL (fetched once at start-up with the source rules).",
			set:  setString(&c.WatermarkURL)},
		{name: "IMGPROXY_WATERMARK_OPACITY", section: secProcessing, def: "1",
			help: "Base watermark opacity (0 < x ≤ 1), multiplied by the URL's opacity.",
			set:  setFloat(&v.WatermarkOpacity, 0, 1)},
		{name: "IMGPROXY_PRESETS", section: secProcessing,
			help: "Preset definitions `name=options,...`; the preset `default` applies to every request.",
			set:  setString(&raw.Presets)},
		{name: "IMGPROXY_PRESETS_SEPARATOR", section: secProcessing, def: ",",
			help: "Separator between the definitions in `IMGPROXY_PRESETS`.",
			set:  setString(&raw.PresetsSeparator)},
		{name: "IMGPROXY_PRESETS_PATH", section: secProcessing,
			help: "File with one preset definition per line (`#` comments).",
			set:  setString(&raw.PresetsPath)},
		{name: "IMGPROXY_ONLY_PRESETS", section: secProcessing, def: "false",
			help: "URLs name presets only, not options.",
			set:  setBool(&p.OnlyPresets)},
		{name: "IMGPROXY_ARGUMENTS_SEPARATOR", section: secProcessing, def: ":",
			help: "Separator of option arguments in URLs.",
			set:  setString(&p.ArgumentsSeparator)},

		// ---------------- Response ----------------
		{name: "IMGPROXY_TTL", section: secResponse, def: "31536000",
			help: "`Cache-Control: max-age` of successful responses in seconds; `0` → `no-cache`.",
			set:  setSeconds(&e.TTL, false)},
		{name: "IMGPROXY_CACHE_CONTROL_PASSTHROUGH", section: secResponse, def: "false",
			help: "Reuse the origin's `Cache-Control` (or `Expires`) instead of `IMGPROXY_TTL`.",
			set:  setBool(&e.CacheControlPassthrough)},
		{name: "IMGPROXY_USE_ETAG", section: secResponse, def: "true",
			help: "Send ETags and answer `If-None-Match` with 304.",
			set:  setBool(&e.UseETag)},
		{name: "IMGPROXY_ETAG_BUSTER", section: secResponse,
			help: "Mixed into ETags; change it to invalidate cached validators.",
			set:  setString(&e.ETagBuster)},
		{name: "IMGPROXY_USE_LAST_MODIFIED", section: secResponse, def: "true",
			help: "Send the origin's `Last-Modified` and answer `If-Modified-Since` with 304.",
			set:  setBool(&e.UseLastModified)},
		{name: "IMGPROXY_LAST_MODIFIED_BUSTER", section: secResponse,
			help: "RFC 3339 time; `Last-Modified` is never older than it.",
			set:  setTime(&e.LastModifiedBuster)},
		{name: "IMGPROXY_RETURN_ATTACHMENT", section: secResponse, def: "false",
			help: "`Content-Disposition: attachment` unless the URL says otherwise.",
			set:  setBool(&d.ReturnAttachment)},
		{name: "IMGPROXY_SET_CANONICAL_HEADER", section: secResponse, def: "false",
			help: "`Link: <source>; rel=\"canonical\"` for http(s) sources.",
			set:  setBool(&e.SetCanonicalHeader)},
		{name: "IMGPROXY_ENABLE_DEBUG_HEADERS", section: secResponse, def: "false",
			help: "Add `X-Origin-Content-Length`, `X-Origin-Width/Height`, `X-Result-Width/Height`.",
			set:  setBool(&e.EnableDebugHeaders)},
		{name: "IMGPROXY_FALLBACK_IMAGE_DATA", section: secResponse, secret: true,
			help: "Fallback image as base64, served (processed with the request's options) when the source cannot be fetched.",
			set:  setString(&c.FallbackData)},
		{name: "IMGPROXY_FALLBACK_IMAGE_PATH", section: secResponse,
			help: "Fallback image file.",
			set:  setString(&c.FallbackPath)},
		{name: "IMGPROXY_FALLBACK_IMAGE_URL", section: secResponse,
			help: "Fallback image URL (fetched once at start-up).",
			set:  setString(&c.FallbackURL)},
		{name: "IMGPROXY_FALLBACK_IMAGE_HTTP_CODE", section: secResponse, def: "200",
			help: "Status of fallback responses; `0` = the original error's status.",
			set:  setInt(&e.FallbackImageHTTPCode, 0, 599)},
		{name: "IMGPROXY_FALLBACK_IMAGE_TTL", section: secResponse, def: "0",
			help: "`max-age` of fallback responses in seconds; `0` = `IMGPROXY_TTL`.",
			set:  setSeconds(&e.FallbackImageTTL, false)},
		{name: "IMGPROXY_DEVELOPMENT_ERRORS_MODE", section: secResponse, def: "false",
			help: "Detailed error bodies (never in production).",
			set:  setBool(&e.DevelopmentErrorsMode)},

		// ---------------- Observability ----------------
		{name: "IMGPROXY_LOG_FORMAT", section: secObserve, defDoc: "`pretty` on a terminal, else `structured`",
			help: "`pretty` (human-readable), `structured` (logfmt), `json`, or `gcp` (JSON with Google Cloud field names).",
			set:  setOneOf(&c.LogFormat, "pretty", "structured", "json", "gcp")},
		{name: "IMGPROXY_LOG_LEVEL", section: secObserve, def: "info",
			help: "`error`, `warn`, `info` or `debug`.",
			set:  setOneOf(&c.LogLevel, "error", "warn", "info", "debug")},
		{name: "IMGPROXY_PROMETHEUS_BIND", section: secObserve,
			help: "Address of a separate Prometheus listener (every path serves the metrics); must differ from `IMGPROXY_BIND`. Empty = off.",
			set:  setString(&c.PrometheusBind)},
		{name: "IMGPROXY_PROMETHEUS_NAMESPACE", section: secObserve,
			help: "Prefix of metric names (`<ns>_requests_total`).",
			set: func(s string) error {
				e.MetricsNamespace, c.Workers.Namespace = s, s
				return nil
			}},
		{name: "IMGPROXY_HEALTH_CHECK_PATH", section: secObserve,
			help: "Extra path answering like `/health`.",
			set:  setString(&e.HealthCheckPath)},

		// ---------------- imgedge extensions ----------------
		{name: "IMGEDGE_COALESCE", section: secImgedge, def: "true",
			help: "Process identical in-flight requests (same source, options and negotiated format) once and send the result to all of them.",
			set:  setBool(&e.Coalesce)},
		{name: "IMGEDGE_ENABLE_PDF", section: secImgedge, def: "false",
			help: "Load the first page of PDF sources (poppler); off by default because imgproxy OSS refuses PDF with 422.",
			set:  setBool(&v.EnablePDF)},
		{name: "IMGEDGE_DRAIN_DELAY", section: secImgedge, def: "3",
			help: "Seconds after SIGTERM during which imgedge keeps serving while `/health` answers 503, so a load balancer stops sending before the listener closes; counted inside `IMGPROXY_GRACEFUL_STOP_TIMEOUT`. `0` = close at once (imgproxy's behaviour).",
			set:  setSeconds(&e.DrainDelay, false)},
		{name: "IMGEDGE_SOURCE_CACHE_SIZE", section: secImgedge, def: "0",
			help: "Bytes of an in-memory cache of recently fetched sources (several sizes of one source download it once); `0` = off.",
			set:  setInt64(&f.SourceCacheSize)},
	}
}

// ignoredVars are imgproxy variables imgedge knows but does not implement:
// they are accepted with a warning so that an imgproxy environment starts.
var ignoredVars = map[string]string{
	"IMGPROXY_DOWNLOAD_BUFFER_SIZE":              "removed in imgproxy 4; no effect",
	"IMGPROXY_BUFFER_POOL_CALIBRATION_THRESHOLD": "removed in imgproxy 4; no effect",
	"IMGPROXY_REPORT_DOWNLOADING_ERRORS":         "no error-tracker integrations",
	"IMGPROXY_HEALTH_CHECK_MESSAGE":              "imgproxy Pro; the body of /health is fixed",
	"IMGPROXY_SOURCE_URL_ENCRYPTION_KEY":         "imgproxy Pro (encrypted source URLs)",
	"IMGPROXY_USE_SWIFT":                         "OpenStack Swift sources are not supported",
	"IMGPROXY_COOKIE_PASSTHROUGH":                "cookie passthrough is not supported",
	"IMGPROXY_SYSLOG_ENABLE":                     "syslog output is not supported; collect stderr",
	"IMGPROXY_S3_USE_DECRYPTION_CLIENT":          "client-side-encrypted S3 objects are not supported",
	"IMGPROXY_S3_ASSUME_ROLE_ARN":                "use the AWS credential chain (AWS_ROLE_ARN) instead",
	"IMGPROXY_MAX_CHAINED_PIPELINES":             "imgproxy Pro",
	"IMGPROXY_ALLOWED_INFO_OPTIONS":              "imgproxy Pro",
}

// ignoredPrefixes cover families of integration and Pro variables.
var ignoredPrefixes = []string{
	"IMGPROXY_NEW_RELIC_", "IMGPROXY_DATADOG_", "IMGPROXY_OPEN_TELEMETRY_", "IMGPROXY_CLOUD_WATCH_",
	"IMGPROXY_BUGSNAG_", "IMGPROXY_HONEYBADGER_", "IMGPROXY_SENTRY_", "IMGPROXY_AIRBRAKE_",
	"IMGPROXY_SWIFT_", "IMGPROXY_SYSLOG_", "IMGPROXY_COOKIE_", "IMGPROXY_S3_ASSUME_ROLE_",
	"IMGPROXY_ENV_AWS_", "IMGPROXY_ENV_GCP_",
}

// loadConfig parses the environment (through lookup) into a config.
// environ lists NAME=value pairs to scan for unknown variables (nil skips
// the scan). warnings are to be logged once a logger exists. The error is
// one line naming the variable.
func loadConfig(lookup lookupFunc, environ []string) (c *config, warnings []string, err error) {
	warn := func(s string) { warnings = append(warnings, s) }

	// IMGPROXY_ENV_LOCAL_FILE_PATH first: the file feeds every other lookup.
	if path, ok := lookup("IMGPROXY_ENV_LOCAL_FILE_PATH"); ok && strings.TrimSpace(path) != "" {
		fileVars, err := readEnvFile(strings.TrimSpace(path))
		if err != nil {
			return nil, nil, fmt.Errorf("IMGPROXY_ENV_LOCAL_FILE_PATH: %w", err)
		}
		envLookup := lookup
		lookup = func(k string) (string, bool) {
			if v, ok := envLookup(k); ok {
				return v, true
			}
			v, ok := fileVars[k]
			return v, ok
		}
		for k, v := range fileVars {
			environ = append(environ, k+"="+v)
		}
	}

	c = newConfig()
	rows := table(c)
	var deprecated []string
	for i := range rows {
		a, err := rows[i].apply(lookup, warn)
		if err != nil {
			return nil, nil, err
		}
		if a.deprecated {
			deprecated = append(deprecated, a.name)
			warn(fmt.Sprintf("%s is deprecated; use %s", a.name, rows[i].name))
		}
	}
	if c.FailOnDeprecation && len(deprecated) > 0 {
		return nil, nil, fmt.Errorf("%s: deprecated name used and IMGPROXY_FAIL_ON_DEPRECATION is true", deprecated[0])
	}

	// PORT: the platform convention (Heroku, Cloud Run) when IMGPROXY_BIND is unset.
	if v, ok := lookup("IMGPROXY_BIND"); !ok || strings.TrimSpace(v) == "" {
		if port, ok := lookup("PORT"); ok && strings.TrimSpace(port) != "" {
			port = strings.TrimSpace(port)
			if _, err := parseInt(port, 0, 65535); err != nil {
				return nil, nil, fmt.Errorf("PORT: %w", err)
			}
			c.Bind = ":" + port
		}
	}
	if err := c.check(); err != nil {
		return nil, nil, err
	}
	if environ != nil {
		for _, s := range unknownVars(rows, environ) {
			warn(s)
		}
	}
	return c, warnings, nil
}

// check validates combinations of variables and the package configs.
func (c *config) check() error {
	if len(c.Sign.Keys) != len(c.Sign.Salts) {
		switch {
		case len(c.Sign.Salts) == 0:
			return errors.New("IMGPROXY_SALT: missing; IMGPROXY_KEY is set, so a salt is required (one per key)")
		case len(c.Sign.Keys) == 0:
			return errors.New("IMGPROXY_KEY: missing; IMGPROXY_SALT is set, so a key is required (one per salt)")
		default:
			return fmt.Errorf("IMGPROXY_SALT: %d salts for %d keys in IMGPROXY_KEY; give one salt per key", len(c.Sign.Salts), len(c.Sign.Keys))
		}
	}
	if c.Network != "unix" {
		if _, _, err := net.SplitHostPort(c.Bind); err != nil {
			return fmt.Errorf("IMGPROXY_BIND: %q is not host:port (for a socket path set IMGPROXY_NETWORK=unix)", c.Bind)
		}
	}
	if c.PrometheusBind != "" {
		if _, _, err := net.SplitHostPort(c.PrometheusBind); err != nil {
			return fmt.Errorf("IMGPROXY_PROMETHEUS_BIND: %q is not host:port", c.PrometheusBind)
		}
		if c.PrometheusBind == c.Bind && !strings.HasSuffix(c.Bind, ":0") {
			return fmt.Errorf("IMGPROXY_PROMETHEUS_BIND: %q must differ from IMGPROXY_BIND", c.PrometheusBind)
		}
	}
	if c.Parser.ArgumentsSeparator == "" {
		return errors.New("IMGPROXY_ARGUMENTS_SEPARATOR: must not be empty")
	}
	if c.raw.PresetsSeparator == "" {
		return errors.New("IMGPROXY_PRESETS_SEPARATOR: must not be empty")
	}
	presets, err := options.ParsePresets(c.raw.Presets, c.raw.PresetsSeparator)
	if err != nil {
		return fmt.Errorf("IMGPROXY_PRESETS: %w", err)
	}
	if c.raw.PresetsPath != "" {
		content, err := os.ReadFile(c.raw.PresetsPath)
		if err != nil {
			return fmt.Errorf("IMGPROXY_PRESETS_PATH: %w", err)
		}
		filePresets, err := options.ParsePresetsFile(string(content))
		if err != nil {
			return fmt.Errorf("IMGPROXY_PRESETS_PATH: %s: %w", c.raw.PresetsPath, err)
		}
		for k, v := range filePresets {
			if _, dup := presets[k]; dup {
				return fmt.Errorf("IMGPROXY_PRESETS_PATH: preset %q is also defined in IMGPROXY_PRESETS", k)
			}
			presets[k] = v
		}
	}
	if len(presets) > 0 {
		c.Parser.Presets = presets
	}
	if c.Parser.URLReplacements, err = options.ParseURLReplacements(c.raw.URLReplacements); err != nil {
		return fmt.Errorf("IMGPROXY_URL_REPLACEMENTS: %w", err)
	}
	if c.Parser.OnlyPresets && len(presets) == 0 {
		return errors.New("IMGPROXY_ONLY_PRESETS: true but no presets are defined (IMGPROXY_PRESETS, IMGPROXY_PRESETS_PATH)")
	}
	if err := c.Sign.Validate(); err != nil {
		return err
	}
	if err := c.Workers.Validate(); err != nil {
		return fmt.Errorf("IMGPROXY_CONCURRENCY: %w", err)
	}
	if err := c.Fetch.Validate(); err != nil {
		return err
	}
	// The drain delay is spent inside the graceful-stop budget: keep at
	// least half of that budget for in-flight requests to finish.
	if c.Edge.DrainDelay > c.GracefulStop/2 {
		c.Edge.DrainDelay = c.GracefulStop / 2
	}
	if err := c.Edge.Validate(); err != nil {
		return err
	}
	if err := c.Vips.Validate(); err != nil {
		return err
	}
	if err := c.Parser.Validate(); err != nil {
		return err
	}
	return nil
}

// unknownVars warns about IMGPROXY_*/IMGEDGE_* variables imgedge does not use.
func unknownVars(rows []envVar, environ []string) []string {
	known := map[string]bool{"IMGPROXY_ENV_LOCAL_FILE_PATH": true}
	for i := range rows {
		known[rows[i].name] = true
		for _, a := range rows[i].aliases {
			known[a.name] = true
		}
	}
	seen := map[string]bool{}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "IMGPROXY_") && !strings.HasPrefix(k, "IMGEDGE_") || known[k] {
			continue
		}
		seen[k] = true
	}
	var out []string
	for _, k := range sortedKeys(seen) {
		if why, ok := ignoredVars[k]; ok {
			out = append(out, fmt.Sprintf("%s is ignored: %s", k, why))
			continue
		}
		ignored := false
		for _, p := range ignoredPrefixes {
			if strings.HasPrefix(k, p) {
				ignored = true
				break
			}
		}
		if ignored {
			out = append(out, fmt.Sprintf("%s is ignored: not supported by imgedge", k))
		} else {
			out = append(out, fmt.Sprintf("%s is not a known variable; ignored (see imgedge -h)", k))
		}
	}
	return out
}

// writeUsage prints the `imgedge -h` text: the flags, then every variable
// with its default and meaning.
func writeUsage(w io.Writer) {
	fmt.Fprintf(w, `imgedge %s: a fast, imgproxy-compatible image server.

Usage:
  imgedge              start the server (configured by the variables below)
  imgedge health       GET /health on IMGPROXY_BIND; exit 0 when it answers 200
  imgedge -version     print the version
  imgedge -h           this help

Environment variables (unset or blank = default; booleans true/false/1/0;
durations in whole seconds; lists comma-separated):
`, version)
	rows := table(newConfig())
	for _, sec := range sections {
		fmt.Fprintf(w, "\n%s:\n", sec)
		for i := range rows {
			v := &rows[i]
			if v.section != sec {
				continue
			}
			fmt.Fprintf(w, "  %s (default %s)\n", v.name, plain(v.defaultText()))
			fmt.Fprintf(w, "      %s\n", plain(v.help))
			if len(v.aliases) > 0 {
				fmt.Fprintf(w, "      Also read: %s\n", aliasList(v.aliases, false))
			}
		}
	}
}

// writeConfigDocs writes docs/config.md.
func writeConfigDocs(w io.Writer) {
	fmt.Fprint(w, `# Configuration

<!-- Generated by `+"`go run . -gen-config-docs > docs/config.md`"+` (make docs) from the table
in config.go. Do not edit by hand: TestConfigDocsUpToDate fails when this file and the table differ. -->

imgedge is configured only through environment variables, with imgproxy's names and defaults so that
an imgproxy deployment keeps working. `+"`imgedge -h`"+` prints the same list.

Rules for every variable:

- Unset or blank means the default.
- Booleans are `+"`true`/`false`"+` (also `+"`1`/`0`, `t`/`f`"+`, any case); anything else stops start-up.
- Durations are whole seconds; negative values stop start-up.
- Lists are comma-separated; spaces around items are ignored.
- A bad value stops start-up with one line naming the variable and the problem, and exit code 1.
- `+"`IMGPROXY_*`"+` and `+"`IMGEDGE_*`"+` variables that imgedge does not know are logged as a warning at start-up.
`)
	rows := table(newConfig())
	for _, sec := range sections {
		fmt.Fprintf(w, "\n## %s\n\n| Variable | Default | Meaning |\n|---|---|---|\n", sec)
		for i := range rows {
			v := &rows[i]
			if v.section != sec {
				continue
			}
			help := v.help
			if len(v.aliases) > 0 {
				help += " Also read: " + aliasList(v.aliases, true) + "."
			}
			fmt.Fprintf(w, "| `%s` | %s | %s |\n", v.name, v.defaultText(), strings.ReplaceAll(help, "|", "\\|"))
		}
	}
	fmt.Fprint(w, "\n## Accepted but ignored\n\nThese imgproxy variables start imgedge with a warning and have no effect:\n\n")
	keys := make(map[string]bool, len(ignoredVars))
	for k := range ignoredVars {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		fmt.Fprintf(w, "- `%s`: %s.\n", k, ignoredVars[k])
	}
	fmt.Fprint(w, "- Families: ")
	for i, p := range ignoredPrefixes {
		if i > 0 {
			fmt.Fprint(w, ", ")
		}
		fmt.Fprintf(w, "`%s*`", p)
	}
	fmt.Fprint(w, ".\n")
}

func aliasList(as []alias, md bool) string {
	parts := make([]string, len(as))
	for i, a := range as {
		n := a.name
		if md {
			n = "`" + n + "`"
		}
		if a.deprecated {
			n += " (deprecated)"
		}
		parts[i] = n
	}
	return strings.Join(parts, ", ")
}

// plain strips Markdown emphasis for terminal output.
func plain(s string) string {
	return strings.NewReplacer("`", "", "**", "").Replace(s)
}

// osLookup is os.LookupEnv as a lookupFunc.
var osLookup lookupFunc = os.LookupEnv
