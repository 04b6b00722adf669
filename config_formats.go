package main

// The Formats and quality section of the configuration table: output
// quality, format negotiation and the encoders' settings.

import "github.com/imgedge/imgedge/options"

func formatsSection(c *config) section {
	e, v, d := &c.Edge, &c.Vips, &c.Parser.Defaults
	return section{
		title: "Formats and quality",
		rows: []envVar{
			{name: "IMGPROXY_QUALITY", def: "80",
				help: "Default output quality, 1–100.",
				set:  setInt(&v.Quality, 1, 100)},
			{name: "IMGPROXY_FORMAT_QUALITY", def: "webp=79,avif=63,jxl=77",
				help: "Per-format default quality `format=q,...`, merged over the default.",
				set:  setFormatQuality(&v.FormatQuality)},
			{name: "IMGPROXY_AUTO_WEBP", def: "false", aliases: deprecated("IMGPROXY_ENABLE_WEBP_DETECTION"),
				help: "Answer WebP when no format is requested and `Accept` has `image/webp` (adds `Vary: Accept`).",
				set:  setBool(&e.AutoWebP)},
			{name: "IMGPROXY_AUTO_AVIF", def: "false", aliases: deprecated("IMGPROXY_ENABLE_AVIF_DETECTION"),
				help: "Answer AVIF when no format is requested and `Accept` has `image/avif`.",
				set:  setBool(&e.AutoAVIF)},
			{name: "IMGPROXY_AUTO_JXL", def: "false",
				help: "Answer JPEG XL when no format is requested and `Accept` has `image/jxl`.",
				set:  setBool(&e.AutoJXL)},
			{name: "IMGPROXY_ENFORCE_WEBP", def: "false",
				help: "Like `IMGPROXY_AUTO_WEBP`, and also over a format given in the URL.",
				set:  setBool(&e.EnforceWebP)},
			{name: "IMGPROXY_ENFORCE_AVIF", def: "false",
				help: "Like `IMGPROXY_AUTO_AVIF`, and also over a format given in the URL.",
				set:  setBool(&e.EnforceAVIF)},
			{name: "IMGPROXY_ENFORCE_JXL", def: "false",
				help: "Like `IMGPROXY_AUTO_JXL`, and also over a format given in the URL.",
				set:  setBool(&e.EnforceJXL)},
			{name: "IMGPROXY_PREFERRED_FORMATS", def: formatList(options.DefaultPreferredFormats()),
				help: "Output format candidates, in order, when none is requested.",
				set:  setFormats(&e.PreferredFormats)},
			{name: "IMGPROXY_SKIP_PROCESSING_FORMATS",
				help: "Source formats returned unprocessed when the output format is the same or unspecified.",
				set:  setFormatSet(&d.SkipProcessing)},
			{name: "IMGPROXY_JPEG_PROGRESSIVE", def: "false",
				help: "Write progressive JPEG.",
				set:  setBool(&v.JPEGProgressive)},
			{name: "IMGPROXY_PNG_INTERLACED", def: "false",
				help: "Write interlaced PNG.",
				set:  setBool(&v.PNGInterlaced)},
			{name: "IMGPROXY_PNG_QUANTIZE", def: "false",
				help: "Write palette (quantised) PNG.",
				set:  setBool(&v.PNGQuantize)},
			{name: "IMGPROXY_PNG_QUANTIZATION_COLORS", def: "256",
				help: "Palette size for quantised PNG, 2–256.",
				set:  setInt(&v.PNGQuantizationColors, 2, 256)},
			{name: "IMGPROXY_WEBP_EFFORT", def: "4",
				help: "WebP encoder effort, 1–6.",
				set:  setInt(&v.WebPEffort, 1, 6)},
			{name: "IMGPROXY_WEBP_PRESET", def: "default",
				help: "WebP preset: `default`, `photo`, `picture`, `drawing`, `icon` or `text`.",
				set:  setOneOf(&v.WebPPreset, "default", "photo", "picture", "drawing", "icon", "text")},
			{name: "IMGPROXY_AVIF_SPEED", def: "8",
				help: "AVIF encoder speed, 0 (slow, small) – 9 (fast).",
				set:  setInt(&v.AVIFSpeed, 0, 9)},
			{name: "IMGPROXY_JXL_EFFORT", def: "4",
				help: "JPEG XL encoder effort, 1–9.",
				set:  setInt(&v.JXLEffort, 1, 9)},
		},
	}
}
