package main

// The Sources section of the configuration table: where source images come
// from (local files, HTTP, S3, GCS, Azure Blob) and how source URLs are
// rewritten.

import "github.com/imgedge/imgedge/options"

func sourcesSection(c *config) section {
	f, p := &c.Fetch, &c.Parser
	return section{
		title: "Sources",
		rows: []envVar{
			{name: "IMGPROXY_LOCAL_FILESYSTEM_ROOT",
				help: "Enables `local:///path` sources, served from this directory only (nothing above it is reachable). Empty = disabled.",
				set: func(s string) error {
					if err := checkReadableDir(s); err != nil {
						return err
					}
					f.LocalRoot = s
					return nil
				}},
			{name: "IMGPROXY_SOURCE_URL_QUERY_SEPARATOR", def: "?", keepEmpty: true,
				help: "Splits the object name of `s3://`, `gs://`, `abs://` sources from their version/generation. Set but empty disables it.",
				set:  setString(&f.SourceURLQuerySeparator)},
			{name: "IMGPROXY_BASE_URL",
				help: "Prefix added to every source URL that does not already start with it.",
				set:  setString(&p.BaseURL)},
			{name: "IMGPROXY_URL_REPLACEMENTS",
				help: "`pattern=replacement;...` source URL prefix rewrites (`*` wildcard, `${N}` in the replacement), applied before `IMGPROXY_BASE_URL`.",
				set: func(s string) (err error) {
					p.URLReplacements, err = options.ParseURLReplacements(s)
					return err
				}},
			{name: "IMGPROXY_BASE64_URL_INCLUDES_FILENAME", def: "false",
				help: "The last segment after a base64 source URL is an ignored SEO file name.",
				set:  setBool(&p.Base64URLIncludesFilename)},
			{name: "IMGPROXY_USE_S3", def: "false",
				help: "Enable `s3://bucket/key[?versionId]` sources (AWS standard credential chain).",
				set:  setBool(&f.UseS3)},
			{name: "IMGPROXY_S3_REGION", defDoc: "`AWS_REGION`, else `us-west-1`",
				help: "Initial S3 region; a bucket's real region is learned and remembered.",
				set:  setString(&f.S3Region)},
			{name: "IMGPROXY_S3_ENDPOINT",
				help: "Custom S3 endpoint (MinIO, ...); `http://` disables TLS.",
				set:  setString(&f.S3Endpoint)},
			{name: "IMGPROXY_S3_ENDPOINT_USE_PATH_STYLE", def: "true",
				help: "Path-style (`endpoint/bucket`) instead of virtual-host (`bucket.endpoint`) addressing.",
				set:  setBool(&f.S3EndpointUsePathStyle)},
			{name: "IMGPROXY_S3_ALLOWED_BUCKETS",
				help: "Comma list; when set, other buckets are refused (404).",
				set:  setList(&f.S3AllowedBuckets)},
			{name: "IMGPROXY_S3_DENIED_BUCKETS",
				help: "Comma list of refused buckets (404).",
				set:  setList(&f.S3DeniedBuckets)},
			{name: "IMGPROXY_USE_GCS", def: "false",
				help: "Enable `gs://bucket/key[?generation]` sources.",
				set:  setBool(&f.UseGCS)},
			{name: "IMGPROXY_GCS_KEY", secret: true,
				help: "Service-account JSON key; empty = ambient Google credentials.",
				set:  setString(&f.GCSKey)},
			{name: "IMGPROXY_GCS_ENDPOINT",
				help: "Custom GCS endpoint (e.g. fake-gcs-server).",
				set:  setString(&f.GCSEndpoint)},
			{name: "IMGPROXY_GCS_ALLOWED_BUCKETS",
				help: "Comma list; when set, other buckets are refused (404).",
				set:  setList(&f.GCSAllowedBuckets)},
			{name: "IMGPROXY_GCS_DENIED_BUCKETS",
				help: "Comma list of refused buckets (404).",
				set:  setList(&f.GCSDeniedBuckets)},
			{name: "IMGPROXY_USE_ABS", def: "false",
				help: "Enable `abs://container/blob` Azure Blob Storage sources.",
				set:  setBool(&f.UseABS)},
			{name: "IMGPROXY_ABS_NAME",
				help: "Azure storage account name.",
				set:  setString(&f.ABSName)},
			{name: "IMGPROXY_ABS_KEY", secret: true,
				help: "Azure storage account key; empty = Azure default credentials (environment, workload or managed identity).",
				set:  setString(&f.ABSKey)},
			{name: "IMGPROXY_ABS_ENDPOINT",
				help: "Custom Azure Blob endpoint (e.g. Azurite's `http://127.0.0.1:10000/devstoreaccount1`).",
				set:  setString(&f.ABSEndpoint)},
			{name: "IMGPROXY_ABS_ALLOWED_BUCKETS",
				help: "Comma list of containers; when set, others are refused (404).",
				set:  setList(&f.ABSAllowedContainers)},
			{name: "IMGPROXY_ABS_DENIED_BUCKETS",
				help: "Comma list of refused containers (404).",
				set:  setList(&f.ABSDeniedContainers)},
		},
	}
}
