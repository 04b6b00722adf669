package main

// The Processing section of the configuration table: processing defaults
// every request starts from, the watermark, presets and the URL grammar.

import (
	"math"

	"github.com/imgedge/imgedge/options"
)

func processingSection(c *config) section {
	v, p, d, raw := &c.Vips, &c.Parser, &c.Parser.Defaults, &c.raw
	return section{
		title: "Processing",
		rows: []envVar{
			{name: "IMGPROXY_ENABLE_CLIENT_HINTS", def: "false",
				help: "Default width and dpr from `Sec-CH-Width`/`Width` and `Sec-CH-DPR`/`DPR` request headers.",
				set:  setBool(&p.EnableClientHints)},
			{name: "IMGPROXY_ALWAYS_RASTERIZE_SVG", def: "false",
				help: "Rasterise SVG sources even when no output format is requested.",
				set:  setBool(&v.AlwaysRasterizeSVG)},
			{name: "IMGPROXY_STRIP_METADATA", def: "true",
				help: "Strip EXIF/XMP/IPTC metadata from results.",
				set:  setBool(&d.StripMetadata)},
			{name: "IMGPROXY_KEEP_COPYRIGHT", def: "true",
				help: "Keep copyright fields when stripping metadata.",
				set:  setBool(&d.KeepCopyright)},
			{name: "IMGPROXY_STRIP_METADATA_DPI", def: "72",
				help: "(Pro) Density written when metadata is stripped and no `dpi` option is given.",
				set:  setFloat(&v.StripMetadataDPI, 0, options.MaxDPI)},
			{name: "IMGPROXY_STRIP_COLOR_PROFILE", def: "true",
				help: "Convert to sRGB and drop the ICC profile.",
				set:  setBool(&d.StripColorProfile)},
			{name: "IMGPROXY_AUTO_ROTATE", def: "true",
				help: "Rotate by the EXIF orientation.",
				set:  setBool(&d.AutoRotate)},
			{name: "IMGPROXY_ENFORCE_THUMBNAIL", def: "false",
				help: "Use the embedded thumbnail of HEIC/AVIF sources when present.",
				set:  setBool(&d.EnforceThumbnail)},
			{name: "IMGPROXY_PRESERVE_HDR", def: "false",
				help: "Keep high bit depth when the output format supports it.",
				set:  setBool(&d.PreserveHDR)},
			{name: "IMGPROXY_COLOR_PROFILES_DIR", def: "/usr/share/color/icc",
				help: "(Pro) Directory of the ICC profiles `color_profile` may name (`name`, `name.icc` or `name.icm`).",
				set:  setString(&v.ColorProfilesDir)},
			{name: "IMGPROXY_UNSHARP_MASKING_MODE", def: "none",
				help: "(Pro) When to sharpen after resizing: `none` (open-source imgproxy's pixels; imgproxy Pro defaults to `auto`), `auto` (downscaled images without `sharpen`) or `always`.",
				set:  setParsed(&d.UnsharpMasking.Mode, options.ParseUnsharpMode)},
			{name: "IMGPROXY_UNSHARP_MASKING_WEIGHT", def: "1",
				help: "(Pro) Unsharp masking weight of the neighbouring pixels (> 0; larger is sharper).",
				set:  setFloat(&d.UnsharpMasking.Weight, 0, options.MaxUnsharpWeight)},
			{name: "IMGPROXY_UNSHARP_MASKING_DIVIDER", def: "24",
				help: "(Pro) Unsharp masking divider (> 0; smaller is sharper).",
				set:  setFloat(&d.UnsharpMasking.Divider, 0, math.MaxFloat32)},
			{name: "IMGPROXY_USE_LINEAR_COLORSPACE", def: "false",
				help: "Resize in linear light (slower, truer for some images).",
				set:  setBool(&v.UseLinearColorspace)},
			{name: "IMGPROXY_DISABLE_SHRINK_ON_LOAD", def: "false",
				help: "Decode JPEG/WebP at full size instead of shrinking while decoding.",
				set:  setBool(&v.DisableShrinkOnLoad)},
			{name: "IMGPROXY_WATERMARK_DATA", secret: true,
				help: "Watermark image as base64 (first of `_DATA`, `_PATH`, `_URL` that is set wins; loaded at start-up).",
				set:  setString(&c.WatermarkData)},
			{name: "IMGPROXY_WATERMARK_PATH",
				help: "Watermark image file.",
				set:  setString(&c.WatermarkPath)},
			{name: "IMGPROXY_WATERMARK_URL",
				help: "Watermark image URL (fetched once at start-up with the source rules).",
				set:  setString(&c.WatermarkURL)},
			{name: "IMGPROXY_WATERMARK_OPACITY", def: "1",
				help: "Base watermark opacity (0 < x ≤ 1), multiplied by the URL's opacity.",
				set:  setFloat(&v.WatermarkOpacity, 0, 1)},
			{name: "IMGPROXY_PRESETS",
				help: "Preset definitions `name=options,...`; the preset `default` applies to every request.",
				set:  setString(&raw.Presets)},
			{name: "IMGPROXY_PRESETS_SEPARATOR", def: ",",
				help: "Separator between the definitions in `IMGPROXY_PRESETS`.",
				set:  setString(&raw.PresetsSeparator)},
			{name: "IMGPROXY_PRESETS_PATH",
				help: "File with one preset definition per line (`#` comments).",
				set:  setString(&raw.PresetsPath)},
			{name: "IMGPROXY_ONLY_PRESETS", def: "false",
				help: "URLs name presets only, not options.",
				set:  setBool(&p.OnlyPresets)},
			{name: "IMGPROXY_ARGUMENTS_SEPARATOR", def: ":",
				help: "Separator of option arguments in URLs.",
				set:  setString(&p.ArgumentsSeparator)},
		},
		resolve: func(lookupFunc) error { return c.readPresets() },
		validate: func() error {
			if c.Parser.ArgumentsSeparator == "" {
				return options.ConfigErrorf("IMGPROXY_ARGUMENTS_SEPARATOR", "must not be empty")
			}
			if c.Parser.OnlyPresets && len(c.Parser.Presets) == 0 {
				return options.ConfigErrorf("IMGPROXY_ONLY_PRESETS", "true but no presets are defined (IMGPROXY_PRESETS, IMGPROXY_PRESETS_PATH)")
			}
			return nil
		},
	}
}
