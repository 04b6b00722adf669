package main

// The Security section of the configuration table: signing, source limits,
// the URL allow-lists and the address classes sources may use.

import "github.com/imgedge/imgedge/options"

func securitySection(c *config) section {
	f, v, p, d := &c.Fetch, &c.Vips, &c.Parser, &c.Parser.Defaults
	return section{
		title: "Security",
		rows: []envVar{
			{name: "IMGPROXY_KEY", secret: true,
				help: "Hex-encoded signing key(s), comma-separated. Empty key and salt = signing off (`/insecure/` and `/_/` URLs).",
				set:  setHexList(&c.Sign.Keys)},
			{name: "IMGPROXY_SALT", secret: true,
				help: "Hex-encoded salt(s), one per key.",
				set:  setHexList(&c.Sign.Salts)},
			{name: "IMGPROXY_SIGNATURE_SIZE", def: "32",
				help: "Bytes of the HMAC kept in signatures, 1–32.",
				set:  setInt(&c.Sign.SignatureSize, 1, 32)},
			{name: "IMGPROXY_TRUSTED_SIGNATURES", secret: true,
				help: "Comma list of signatures accepted without checking.",
				set:  setList(&c.Sign.Trusted)},
			{name: "IMGPROXY_MAX_SRC_RESOLUTION", def: "50",
				help: "Largest source in megapixels (frames summed for animations); larger → 422.",
				set:  setMegapixels(&d.Limits.MaxSrcResolution)},
			{name: "IMGPROXY_MAX_SRC_FILE_SIZE", def: "0",
				help: "Largest source in bytes; larger → 422. `0` = no limit.",
				set: func(s string) error {
					if err := setInt64(&d.Limits.MaxSrcFileSize)(s); err != nil {
						return err
					}
					f.MaxSrcFileSize = d.Limits.MaxSrcFileSize
					return nil
				}},
			{name: "IMGPROXY_MAX_ANIMATION_FRAMES", def: "1",
				help: "Animation frames processed; `1` turns animations into their first frame.",
				set:  setInt(&d.Limits.MaxAnimationFrames, 1, 1<<20)},
			{name: "IMGPROXY_MAX_ANIMATION_FRAME_RESOLUTION", def: "0",
				help: "When > 0, animated sources are checked per frame against this many megapixels instead of the summed check.",
				set:  setMegapixels(&d.Limits.MaxAnimationFrameResolution)},
			{name: "IMGPROXY_MAX_RESULT_DIMENSION", def: "0",
				help: "When > 0, larger requested results are refused (422) before processing.",
				set:  setInt(&d.Limits.MaxResultDimension, 0, 1<<30)},
			{name: "IMGPROXY_MAX_SVG_CHECK_BYTES", def: "32768",
				help: "Bytes read from the start of a source to recognise SVG.",
				set:  setInt(&v.MaxSVGCheckBytes, 0, 1<<30)},
			{name: "IMGPROXY_ALLOWED_PROCESSING_OPTIONS",
				help: "Comma list of option names allowed in URLs (long and short names count separately); empty = all.",
				set:  setList(&p.AllowedProcessingOptions)},
			{name: "IMGPROXY_ALLOW_SECURITY_OPTIONS", def: "false",
				help: "Allow the security options (`max_src_resolution`, `max_src_file_size`, `max_animation_frames`, `max_animation_frame_resolution`, `max_result_dimension`) in URLs; else 403.",
				set:  setBool(&p.AllowSecurityOptions)},
			{name: "IMGPROXY_ALLOWED_SOURCES",
				help: "Comma list of source URL prefixes; `*` matches a run of characters other than `/`. End host patterns with `/`. No match → 404.",
				set:  setList(&p.AllowedSources)},
			{name: "IMGPROXY_ALLOW_LOOPBACK_SOURCE_ADDRESSES", def: "false",
				help: "Allow sources on 127.0.0.0/8, ::1 and the unspecified addresses.",
				set:  setBool(&f.AllowLoopback)},
			{name: "IMGPROXY_ALLOW_LINK_LOCAL_SOURCE_ADDRESSES", def: "false",
				help: "Allow sources on link-local addresses (169.254.0.0/16 incl. cloud metadata, fe80::/10, ...).",
				set:  setBool(&f.AllowLinkLocal)},
			{name: "IMGPROXY_ALLOW_PRIVATE_SOURCE_ADDRESSES", def: "false",
				help: "Allow sources on private addresses (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7). **Default false: stricter than imgproxy (true).**",
				set:  setBool(&f.AllowPrivate)},
			{name: "IMGPROXY_PNG_UNLIMITED", def: "false",
				help: "Lift libvips' limits on PNG text chunks.",
				set:  setBool(&v.PNGUnlimited)},
			{name: "IMGPROXY_SVG_UNLIMITED", def: "false",
				help: "Lift the SVG loader's 10 MB limit.",
				set:  setBool(&v.SVGUnlimited)},
			{name: "IMGPROXY_SANITIZE_SVG", def: "true",
				help: "Remove scripts, event handlers and external references from SVG sources.",
				set:  setBool(&v.SanitizeSVG)},
		},
		validate: func() error {
			// One salt per key; the sign package checks the pairs themselves.
			switch k, s := len(c.Sign.Keys), len(c.Sign.Salts); {
			case k == s:
				return nil
			case s == 0:
				return options.ConfigErrorf("IMGPROXY_SALT", "missing; IMGPROXY_KEY is set, so a salt is required (one per key)")
			case k == 0:
				return options.ConfigErrorf("IMGPROXY_KEY", "missing; IMGPROXY_SALT is set, so a key is required (one per salt)")
			default:
				return options.ConfigErrorf("IMGPROXY_SALT", "%d salts for %d keys in IMGPROXY_KEY; give one salt per key", s, k)
			}
		},
	}
}
