package main

// The imgproxy Pro features section of the configuration table: the /info
// endpoint, format best, autoquality and chained pipelines (docs/info.md,
// docs/options.md).

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/imgedge/imgedge/options"
)

func proSection(c *config) section {
	v, p, d := &c.Vips, &c.Parser, &c.Parser.Defaults
	aq, best := &v.Autoquality, &v.BestFormat
	var infoPresets, infoPresetsPath, infoOnly string
	return section{
		title: "imgproxy Pro features",
		rows: []envVar{
			{name: "IMGPROXY_MAX_CHAINED_PIPELINES", def: "0",
				help: fmt.Sprintf("Most pipelines a URL may chain with `/-/`; 0 = up to the hard cap of %d (pipelines from presets are not counted).", options.MaxPipelines),
				set:  setInt(&p.MaxChainedPipelines, 0, 1<<20)},
			{name: "IMGPROXY_ALLOWED_INFO_OPTIONS",
				help: "Info options (names as written in URLs) allowed in `/info` URLs; empty = all. Presets are not checked.",
				set:  setList(&p.AllowedInfoOptions)},
			{name: "IMGPROXY_INFO_PRESETS",
				help: "Info presets `name=options`, separated by `IMGPROXY_PRESETS_SEPARATOR`; `default` applies to every `/info` URL.",
				set:  setString(&infoPresets)},
			{name: "IMGPROXY_INFO_PRESETS_PATH",
				help: "File with one info preset per line (`#` starts a comment).",
				set:  setString(&infoPresetsPath)},
			{name: "IMGPROXY_INFO_ONLY_PRESETS",
				help: "`/info` URLs name info presets only; unset = the value of `IMGPROXY_ONLY_PRESETS`.",
				set:  setString(&infoOnly)},
			{name: "IMGPROXY_BEST_FORMAT_COMPLEXITY_THRESHOLD", def: "5.5",
				help: "Format `best`: images whose colour entropy (bits) is below this get lossless encodings only, the others lossy ones.",
				set:  setFloat(&best.ComplexityThreshold, -1, 1e6)},
			{name: "IMGPROXY_BEST_FORMAT_MAX_RESOLUTION", def: "0",
				help: "Format `best`: results over this many megapixels are encoded once, in the candidate that usually wins; 0 = always try all.",
				set:  setMegapixels(&best.MaxResolution)},
			{name: "IMGPROXY_BEST_FORMAT_BY_DEFAULT", def: "false",
				help: "Use format `best` when a URL names no output format.",
				set:  setBool(&d.BestFormat)},
			{name: "IMGPROXY_BEST_FORMAT_ALLOW_SKIPS", def: "false",
				help: "With format `best`, still pass SVG and `IMGPROXY_SKIP_PROCESSING_FORMATS` sources through unprocessed.",
				set:  setBool(&best.AllowSkips)},
			{name: "IMGPROXY_AUTOQUALITY_METHOD", def: "none",
				help: "Autoquality method: `none`, `size` (highest quality within a byte target) or `dssim` (lowest quality within a DSSIM target). `ml` is not available.",
				set: func(s string) error {
					m, ok := options.ParseAutoqualityMethod(strings.TrimSpace(s))
					if !ok {
						return fmt.Errorf("%q is not none, size or dssim", s)
					}
					aq.Method = m
					return nil
				}},
			{name: "IMGPROXY_AUTOQUALITY_TARGET", def: "0.02",
				help: "Autoquality target: bytes for `size`, DSSIM for `dssim`.",
				set:  setFloat(&aq.Target, 0, 1<<31)},
			{name: "IMGPROXY_AUTOQUALITY_MIN", def: "70",
				help: "Lowest quality autoquality may use.",
				set:  setInt(&aq.Min, 1, 100)},
			{name: "IMGPROXY_AUTOQUALITY_FORMAT_MIN", def: "avif=60",
				help: "Per-format lowest quality `format=q,...` (others use `IMGPROXY_AUTOQUALITY_MIN`).",
				set:  setFormatQuality(&aq.FormatMin)},
			{name: "IMGPROXY_AUTOQUALITY_MAX", def: "80",
				help: "Highest quality autoquality may use.",
				set:  setInt(&aq.Max, 1, 100)},
			{name: "IMGPROXY_AUTOQUALITY_FORMAT_MAX", def: "avif=65",
				help: "Per-format highest quality `format=q,...` (others use `IMGPROXY_AUTOQUALITY_MAX`).",
				set:  setFormatQuality(&aq.FormatMax)},
			{name: "IMGPROXY_AUTOQUALITY_ALLOWED_ERROR", def: "0.002",
				help: "`dssim`: a DSSIM this close below the target ends the search early.",
				set:  setFloat(&aq.AllowedError, -1, 1)},
			{name: "IMGPROXY_AUTOQUALITY_MAX_RESOLUTION", def: "0",
				help: "Results over this many megapixels use the usual quality instead of autoquality; 0 = no limit.",
				set:  setMegapixels(&aq.MaxResolution)},
		},
		resolve: func(lookupFunc) error {
			p.InfoOnlyPresets = p.OnlyPresets
			if s := strings.TrimSpace(infoOnly); s != "" {
				b, err := strconv.ParseBool(s)
				if err != nil {
					return options.ConfigErrorf("IMGPROXY_INFO_ONLY_PRESETS", "cannot parse %q as a boolean", s)
				}
				p.InfoOnlyPresets = b
			}
			presets, err := options.ParsePresets(infoPresets, c.raw.PresetsSeparator)
			if err != nil {
				return options.ConfigErrorf("IMGPROXY_INFO_PRESETS", "%w", err)
			}
			if infoPresetsPath != "" {
				content, err := os.ReadFile(infoPresetsPath)
				if err != nil {
					return options.ConfigErrorf("IMGPROXY_INFO_PRESETS_PATH", "%w", err)
				}
				more, err := options.ParsePresetsFile(string(content))
				if err != nil {
					return options.ConfigErrorf("IMGPROXY_INFO_PRESETS_PATH", "%s: %w", infoPresetsPath, err)
				}
				for k, val := range more {
					if _, dup := presets[k]; dup {
						return options.ConfigErrorf("IMGPROXY_INFO_PRESETS_PATH", "info preset %q is also defined in IMGPROXY_INFO_PRESETS", k)
					}
					presets[k] = val
				}
			}
			if len(presets) > 0 {
				p.InfoPresets = presets
			}
			return nil
		},
	}
}
