package options

// proOptions are the processing options of imgproxy Pro (docs/options.md,
// "imgproxy Pro options"). imgedge recognises their names so that a URL
// written for imgproxy Pro is refused with a message saying which option is
// missing (KindInvalidURL, 404, like imgproxy's open-source edition), not
// as an unknown option.
//
// To implement one: add its fields to Options, give its entry a maxArgs
// and a parse function (see table.go), and move the entry to optionTable.
// An entry with a nil parse function is refused before the allow-list
// (IMGPROXY_ALLOWED_PROCESSING_OPTIONS) is consulted; names listed there
// are accepted by the configuration check either way.
//
// Entries with a parse function are implemented (their functions sit in
// files named after their group, e.g. prosources.go, image_pro.go,
// autoquality.go). The
// watermark position ch, the pdf output format and encrypted source URLs
// ("/enc/") are implemented in the open-source parsers, as are format best,
// chained pipelines (chain.go) and the /info endpoint (info.go). Other
// imgproxy Pro URL features are refused as invalid values by those
// parsers, with the same 404: the gravity types obj and objw and the
// output format mp4.
var proOptions = []optionSpec{
	{name: "resizing_algorithm", aliases: []string{"ra"}, maxArgs: 1, parse: parseResizingAlgorithm},
	{name: "objects_position", aliases: []string{"obj_pos", "op"}},
	{name: "crop_aspect_ratio", aliases: []string{"crop_ar", "car"}, maxArgs: 2, parse: parseCropAspectRatio},
	{name: "background_alpha", aliases: []string{"bga"}, maxArgs: 1, parse: parseBackgroundAlpha},
	{name: "adjust", aliases: []string{"a"}, maxArgs: 3, parse: parseAdjust},
	{name: "brightness", aliases: []string{"br"}, maxArgs: 1, parse: parseBrightness},
	{name: "contrast", aliases: []string{"co"}, maxArgs: 1, parse: parseContrast},
	{name: "saturation", aliases: []string{"sa"}, maxArgs: 1, parse: parseSaturation},
	{name: "monochrome", aliases: []string{"mc"}, maxArgs: 2, parse: parseMonochrome},
	{name: "duotone", aliases: []string{"dt"}, maxArgs: 3, parse: parseDuotone},
	{name: "unsharp_masking", aliases: []string{"ush"}, maxArgs: 3, parse: parseUnsharpMasking},
	{name: "blur_areas", aliases: []string{"ba"}, maxArgs: 1 + 4*MaxBlurAreas, parse: parseBlurAreas},
	{name: "progressive_blur", aliases: []string{"pbl"}, maxArgs: 4, parse: parseProgressiveBlur},
	{name: "blur_detections", aliases: []string{"bd"}},
	{name: "draw_detections", aliases: []string{"dd"}},
	// imgproxy's docs give crop_objects the alias "co", which contrast
	// already has; "co" stays contrast.
	// The client library writes "c_obj"; it is refused by name too.
	{name: "crop_objects", aliases: []string{"c_obj"}},
	{name: "colorize", aliases: []string{"col"}, maxArgs: 3, parse: parseColorize},
	{name: "gradient", aliases: []string{"gr"}, maxArgs: 5, parse: parseGradient},
	{name: "watermark_url", aliases: []string{"wmu"}, maxArgs: 1, parse: parseWatermarkURL},
	{name: "watermark_text", aliases: []string{"wmt"}, maxArgs: 1, parse: parseWatermarkText},
	{name: "watermark_size", aliases: []string{"wms"}, maxArgs: 2, parse: parseWatermarkSize},
	{name: "watermark_rotate", aliases: []string{"wm_rot", "wmr"}, maxArgs: 1, parse: parseWatermarkRotate},
	{name: "watermark_shadow", aliases: []string{"wmsh"}, maxArgs: 1, parse: parseWatermarkShadow},
	// imgproxy's JavaScript client library writes style as "stl".
	{name: "style", aliases: []string{"st", "stl"}, maxArgs: 1, parse: parseStyle},
	{name: "dpi", maxArgs: 1, parse: parseDPI},
	{name: "color_profile", aliases: []string{"cp", "icc"}, maxArgs: 1, parse: parseColorProfile},
	{name: "autoquality", aliases: []string{"aq"}, maxArgs: 5, parse: parseAutoquality},
	{name: "jpeg_options", aliases: []string{"jpgo"}, maxArgs: 6, parse: parseJPEGOptions},
	{name: "png_options", aliases: []string{"pngo"}, maxArgs: 3, parse: parsePNGOptions},
	{name: "webp_options", aliases: []string{"webpo"}, maxArgs: 3, parse: parseWebPOptions},
	{name: "avif_options", aliases: []string{"avifo"}, maxArgs: 1, parse: parseAVIFOptions},
	{name: "page", aliases: []string{"pg"}, maxArgs: 1, parse: parsePage},
	{name: "pages", aliases: []string{"pgs"}, maxArgs: 1, parse: parsePages},
	{name: "disable_animation", aliases: []string{"da"}, maxArgs: 1, parse: boolField(func(o *Options) *bool { return &o.DisableAnimation })},
	{name: "video_thumbnail_second", aliases: []string{"vts"}},
	{name: "video_thumbnail_keyframes", aliases: []string{"vtk"}},
	{name: "video_thumbnail_tile", aliases: []string{"vtt"}},
	{name: "video_thumbnail_animation", aliases: []string{"vta"}},
	{name: "fallback_image_url", aliases: []string{"fiu"}, maxArgs: 1, parse: parseFallbackImageURL},
	{name: "bypass_cache", aliases: []string{"bc"}, maxArgs: 1, parse: parseBypassCache},
	{name: "cache_tags", aliases: []string{"ct"}, parse: parseCacheTags},
	{name: "hashsum", aliases: []string{"hs"}, maxArgs: 2, parse: parseHashsum},
}
