package main

// The section of the configuration table for the watermark, source and
// integrity options of imgproxy Pro (docs/options.md): custom watermarks
// and fallback images, encrypted source URLs, bypass_cache and cache_tags.

import (
	"encoding/hex"
	"errors"

	"github.com/imgedge/imgedge/edge"
)

func proSourcesSection(c *config) section {
	e, p, v := &c.Edge, &c.Parser, &c.Vips
	return section{
		title: "Watermarks, fallback images and source URLs (imgproxy Pro options)",
		rows: []envVar{
			{name: "IMGPROXY_SOURCE_URL_ENCRYPTION_KEY", secret: true,
				help: "Hex-encoded AES key (16, 24 or 32 bytes) of `/enc/` source URLs (AES-CBC, docs/url-format.md); empty = `/enc/` URLs answer 404.",
				set:  setHexBytes(&p.SourceURLEncryptionKey)},
			{name: "IMGPROXY_WATERMARKS_CACHE_SIZE", def: "256",
				help: "How many `watermark_url` images and `watermark_text` renderings stay in memory; `0` = fetch and decode for every request.",
				set: func(s string) error {
					if err := setInt(&v.WatermarksCacheSize, 0, 1<<20)(s); err != nil {
						return err
					}
					e.WatermarksCacheSize = v.WatermarksCacheSize // edge keeps the bytes, vips the decoded mark
					return nil
				}},
			{name: "IMGPROXY_WATERMARK_PREPROCESS_URL", def: "false",
				help: "Apply `IMGPROXY_URL_REPLACEMENTS` and `IMGPROXY_BASE_URL` to `watermark_url` values too.",
				set:  setBool(&p.WatermarkPreprocessURL)},
			{name: "IMGEDGE_WATERMARK_FONT", def: "sans 16",
				help: "Pango font description of `watermark_text` (imgproxy Pro's fixed default is `sans 16`).",
				set:  setString(&v.WatermarkFont)},
			{name: "IMGEDGE_WATERMARK_FONTS_DIR",
				help: "Directory of font files (`.ttf`, `.otf`, `.ttc`, …, searched recursively) loaded at start-up for `watermark_text`, in addition to the system's fonts.",
				set:  setString(&v.WatermarkFontsDir)},
			{name: "IMGPROXY_FALLBACK_IMAGES_CACHE_SIZE", def: "256",
				help: "How many `fallback_image_url` images stay in memory; `0` = fetch for every failed request.",
				set:  setInt(&e.FallbackImagesCacheSize, 0, 1<<20)},
			{name: "IMGPROXY_FALLBACK_IMAGE_PREPROCESS_URL", def: "false",
				help: "Apply `IMGPROXY_URL_REPLACEMENTS` and `IMGPROXY_BASE_URL` to `fallback_image_url` values too.",
				set:  setBool(&p.FallbackImagePreprocessURL)},
			{name: "IMGPROXY_ALLOW_BYPASS_CACHE", def: "false",
				help: "Allow the `bypass_cache` option (403 otherwise): it skips the source cache and request coalescing.",
				set:  setBool(&p.AllowBypassCache)},
			{name: "IMGPROXY_CACHE_TAGS_FORMAT", def: edge.CacheTagsAll,
				help: "Headers carrying `cache_tags`: `all`, `cloudflare` (`Cache-Tag`), `cloudfront` (`X-Amz-Meta-Cache-Tag`) or `none`.",
				set:  setOneOf(&e.CacheTagsFormat, edge.CacheTagsAll, edge.CacheTagsCloudflare, edge.CacheTagsCloudFront, edge.CacheTagsNone)},
		},
	}
}

// setHexBytes decodes a hex value; the message never contains the value.
func setHexBytes(dst *[]byte) func(string) error {
	return func(v string) error {
		b, err := hex.DecodeString(v)
		if err != nil {
			return errors.New("not valid hex")
		}
		*dst = b
		return nil
	}
}
