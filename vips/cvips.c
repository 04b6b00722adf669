#define _GNU_SOURCE /* RTLD_DEFAULT */
#include "cvips.h"

#include <dlfcn.h>
#include <libimagequant.h>

int ie_startup(int concurrency, int enable_pdf) {
	if (VIPS_INIT("imgedge"))
		return -1;
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	vips_concurrency_set(concurrency);
	/* Only the loaders imgedge needs may run on untrusted input; the rest
	 * (magick, openslide, matlab, fits, csv, raw, vips, ...) are blocked. */
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
	vips_operation_block_set("VipsForeignLoadPng", FALSE);
	vips_operation_block_set("VipsForeignLoadWebp", FALSE);
	vips_operation_block_set("VipsForeignLoadNsgif", FALSE);
	vips_operation_block_set("VipsForeignLoadHeif", FALSE);
	vips_operation_block_set("VipsForeignLoadTiff", FALSE);
	vips_operation_block_set("VipsForeignLoadSvg", FALSE);
	vips_operation_block_set("VipsForeignLoadJxl", FALSE);
	if (enable_pdf)
		vips_operation_block_set("VipsForeignLoadPdf", FALSE);
	vips_operation_block_set("VipsForeignSaveJxl", FALSE);
	vips_operation_block_set("VipsForeignSaveMagick", TRUE);
	return 0;
}

void ie_unref(VipsImage *im) { if (im) g_object_unref(im); }
void ie_g_free(void *p) { g_free(p); }

const char *ie_error(void) { return vips_error_buffer(); }

/* Keep in sync with options.Format. */
enum { F_JPEG = 1, F_PNG, F_WEBP, F_AVIF, F_GIF, F_ICO, F_SVG, F_HEIC, F_BMP, F_TIFF, F_JXL, F_PDF };

int ie_load(int fmt, void *buf, size_t len, int access_seq, int shrink, double scale,
	int page, int n, int thumbnail, int unlimited, VipsImage **out) {
	VipsAccess acc = access_seq ? VIPS_ACCESS_SEQUENTIAL : VIPS_ACCESS_RANDOM;
	switch (fmt) {
	case F_JPEG:
		return vips_jpegload_buffer(buf, len, out, "access", acc, "shrink", shrink > 1 ? shrink : 1, NULL);
	case F_PNG:
		return vips_pngload_buffer(buf, len, out, "access", acc, "unlimited", unlimited, NULL);
	case F_WEBP:
		return vips_webpload_buffer(buf, len, out, "access", acc, "page", page, "n", n, "scale", scale > 0 ? scale : 1.0, NULL);
	case F_GIF:
		return vips_gifload_buffer(buf, len, out, "access", acc, "page", page, "n", n, NULL);
	case F_AVIF:
	case F_HEIC:
		return vips_heifload_buffer(buf, len, out, "access", acc, "thumbnail", thumbnail, NULL);
	case F_TIFF:
		return vips_tiffload_buffer(buf, len, out, "access", acc, "page", page, "n", n, NULL);
	case F_SVG:
		return vips_svgload_buffer(buf, len, out, "access", acc, "scale", scale > 0 ? scale : 1.0,
			"unlimited", unlimited, NULL);
	case F_JXL:
		return vips_jxlload_buffer(buf, len, out, "access", acc, NULL);
	case F_PDF:
		/* Rendered on white at 72 dpi × scale. */
		return vips_pdfload_buffer(buf, len, out, "access", acc, "page", page, "n", n,
			"scale", scale > 0 ? scale : 1.0, NULL);
	}
	vips_error("imgedge", "no libvips loader for format %d", fmt);
	return -1;
}

static const char *loader_nick(int fmt) {
	switch (fmt) {
	case F_JPEG: return "jpegload_buffer";
	case F_PNG: return "pngload_buffer";
	case F_WEBP: return "webpload_buffer";
	case F_GIF: return "gifload_buffer";
	case F_AVIF: case F_HEIC: return "heifload_buffer";
	case F_TIFF: return "tiffload_buffer";
	case F_SVG: return "svgload_buffer";
	case F_JXL: return "jxlload_buffer";
	case F_PDF: return "pdfload_buffer";
	}
	return NULL;
}

int ie_has_loader(int fmt) {
	const char *nick = loader_nick(fmt);
	return nick && vips_type_find("VipsOperation", nick) != 0;
}

int ie_get_int(VipsImage *im, const char *name, int def) {
	int v;
	if (vips_image_get_typeof(im, name) == 0 || vips_image_get_int(im, name, &v))
		return def;
	return v;
}

int ie_has_alpha(VipsImage *im) { return vips_image_hasalpha(im); }

int ie_get_int_array(VipsImage *im, const char *name, int **out, int *n) {
	if (vips_image_get_typeof(im, name) != VIPS_TYPE_ARRAY_INT)
		return -1;
	return vips_image_get_array_int(im, name, out, n);
}

void ie_set_int_array(VipsImage *im, const char *name, int *arr, int n) { vips_image_set_array_int(im, name, arr, n); }
void ie_set_int(VipsImage *im, const char *name, int v) { vips_image_set_int(im, name, v); }
void ie_remove(VipsImage *im, const char *name) { vips_image_remove(im, name); }
gchar **ie_fields(VipsImage *im) { return vips_image_get_fields(im); }
void ie_strfreev(gchar **v) { g_strfreev(v); }

int ie_get_blob(VipsImage *im, const char *name, const void **data, size_t *len) {
	if (vips_image_get_typeof(im, name) == 0)
		return -1;
	return vips_image_get_blob(im, name, data, len);
}

static void free_blob(void *p, void *unused) { g_free(p); }

void ie_set_blob_copy(VipsImage *im, const char *name, const void *data, size_t len) {
	void *p = g_memdup2(data, len);
	vips_image_set_blob(im, name, (VipsCallbackFn) free_blob, p, len);
}

int ie_copy_memory(VipsImage *in, VipsImage **out) {
	*out = vips_image_copy_memory(in);
	return *out ? 0 : -1;
}
int ie_copy(VipsImage *in, VipsImage **out) { return vips_copy(in, out, NULL); }
int ie_extract_area(VipsImage *in, VipsImage **out, int l, int t, int w, int h) {
	return vips_extract_area(in, out, l, t, w, h, NULL);
}
int ie_extract_band(VipsImage *in, VipsImage **out, int band, int n) {
	return vips_extract_band(in, out, band, "n", n, NULL);
}
int ie_resize(VipsImage *in, VipsImage **out, double hscale, double vscale, int kernel) {
	return vips_resize(in, out, hscale, "vscale", vscale, "kernel", (VipsKernel) kernel, NULL);
}
int ie_rot(VipsImage *in, VipsImage **out, int angle) {
	VipsAngle a = VIPS_ANGLE_D0;
	switch (angle) {
	case 90: a = VIPS_ANGLE_D90; break;
	case 180: a = VIPS_ANGLE_D180; break;
	case 270: a = VIPS_ANGLE_D270; break;
	}
	return vips_rot(in, out, a, NULL);
}
int ie_flip(VipsImage *in, VipsImage **out, int vertical) {
	return vips_flip(in, out, vertical ? VIPS_DIRECTION_VERTICAL : VIPS_DIRECTION_HORIZONTAL, NULL);
}
int ie_embed(VipsImage *in, VipsImage **out, int x, int y, int w, int h, double *bg, int n, int copy) {
	if (copy)
		return vips_embed(in, out, x, y, w, h, "extend", VIPS_EXTEND_COPY, NULL);
	VipsArrayDouble *a = vips_array_double_new(bg, n);
	int r = vips_embed(in, out, x, y, w, h, "extend", VIPS_EXTEND_BACKGROUND, "background", a, NULL);
	vips_area_unref(VIPS_AREA(a));
	return r;
}
int ie_smartcrop(VipsImage *in, VipsImage **out, int w, int h) {
	return vips_smartcrop(in, out, w, h, "interesting", VIPS_INTERESTING_ATTENTION, NULL);
}
int ie_find_trim(VipsImage *in, double threshold, double *bg, int n, int *l, int *t, int *w, int *h) {
	VipsArrayDouble *a = vips_array_double_new(bg, n);
	int r = vips_find_trim(in, l, t, w, h, "threshold", threshold, "background", a, NULL);
	vips_area_unref(VIPS_AREA(a));
	return r;
}
int ie_getpoint(VipsImage *in, int x, int y, double *out, int max) {
	double *v;
	int n, i;
	if (vips_getpoint(in, &v, &n, x, y, NULL))
		return -1;
	for (i = 0; i < n && i < max; i++)
		out[i] = v[i];
	g_free(v);
	return n;
}
int ie_flatten(VipsImage *in, VipsImage **out, double *bg, int n) {
	VipsArrayDouble *a = vips_array_double_new(bg, n);
	int r = vips_flatten(in, out, "background", a, NULL);
	vips_area_unref(VIPS_AREA(a));
	return r;
}
int ie_gaussblur(VipsImage *in, VipsImage **out, double sigma) { return vips_gaussblur(in, out, sigma, NULL); }
int ie_sharpen(VipsImage *in, VipsImage **out, double sigma) { return vips_sharpen(in, out, "sigma", sigma, NULL); }
int ie_shrink(VipsImage *in, VipsImage **out, double h, double v) { return vips_shrink(in, out, h, v, NULL); }
int ie_zoom(VipsImage *in, VipsImage **out, int h, int v) { return vips_zoom(in, out, h, v, NULL); }
int ie_premultiply(VipsImage *in, VipsImage **out) { return vips_premultiply(in, out, NULL); }
int ie_unpremultiply(VipsImage *in, VipsImage **out) { return vips_unpremultiply(in, out, NULL); }
int ie_cast(VipsImage *in, VipsImage **out, int format) { return vips_cast(in, out, (VipsBandFormat) format, NULL); }
int ie_colourspace(VipsImage *in, VipsImage **out, int interp) {
	return vips_colourspace(in, out, (VipsInterpretation) interp, NULL);
}
int ie_icc_to_srgb(VipsImage *in, VipsImage **out, int depth, int intent) {
	if (intent == VIPS_INTENT_PERCEPTUAL)
		return vips_icc_transform(in, out, "srgb", "embedded", TRUE, "depth", depth,
			"intent", intent, NULL);
	/* vips_icc_transform to the built-in sRGB ignores the input intent:
	 * import to Lab with it, then convert. */
	VipsImage *lab;
	if (vips_icc_import(in, &lab, "embedded", TRUE, "intent", intent, NULL))
		return -1;
	int rc = vips_colourspace(lab, out, depth == 16 ? VIPS_INTERPRETATION_RGB16 : VIPS_INTERPRETATION_sRGB, NULL);
	g_object_unref(lab);
	return rc;
}
int ie_icc_export_embedded(VipsImage *in, VipsImage **out, int intent) {
	/* no output_profile: libvips uses the profile attached to the image */
	return vips_icc_export(in, out, "depth", 8, "intent", intent, NULL);
}
int ie_composite_over(VipsImage *base, VipsImage *overlay, VipsImage **out, int x, int y) {
	return vips_composite2(base, overlay, out, VIPS_BLEND_MODE_OVER, "x", x, "y", y, NULL);
}
int ie_linear_alpha(VipsImage *in, VipsImage **out, double opacity) {
	double a[4] = {1, 1, 1, 1}, b[4] = {0, 0, 0, 0};
	int n = in->Bands;
	if (n > 4) {
		vips_error("imgedge", "too many bands");
		return -1;
	}
	a[n - 1] = opacity;
	VipsImage *t;
	if (vips_linear(in, &t, a, b, n, NULL))
		return -1;
	int r = vips_cast(t, out, in->BandFmt, NULL);
	g_object_unref(t);
	return r;
}
int ie_bandjoin_const1(VipsImage *in, VipsImage **out, double c) { return vips_bandjoin_const1(in, out, c, NULL); }
int ie_arrayjoin(VipsImage **in, int n, VipsImage **out) { return vips_arrayjoin(in, out, n, "across", 1, NULL); }
int ie_replicate(VipsImage *in, VipsImage **out, int across, int down) { return vips_replicate(in, out, across, down, NULL); }
int ie_black(VipsImage **out, int w, int h, int bands) { return vips_black(out, w, h, "bands", bands, NULL); }
int ie_avg(VipsImage *in, double *out) { return vips_avg(in, out, NULL); }
int ie_write_to_memory(VipsImage *in, void **buf, size_t *len) {
	*buf = vips_image_write_to_memory(in, len);
	return *buf ? 0 : -1;
}

/* Whether the libjpeg in the process is mozjpeg, looked up once. */
static int ie_has_mozjpeg(void) {
	static gsize moz = 0; /* 0 unknown, 1 no, 2 yes */
	if (g_once_init_enter(&moz))
		g_once_init_leave(&moz, dlsym(RTLD_DEFAULT, "jpeg_c_bool_param_supported") ? 2 : 1);
	return moz == 2;
}

/* Savers never strip: metadata is filtered in Go before saving so that
 * keep_copyright and strip_color_profile=false can be honoured.
 * The mozjpeg-only options are passed only when the process has mozjpeg:
 * with libjpeg-turbo libvips would warn on every save and ignore them. */
int ie_jpegsave(VipsImage *in, void **buf, size_t *len, int q, int progressive, int no_subsample,
	int trellis, int overshoot, int optimize_scans, int quant_table) {
	VipsForeignSubsample ss = no_subsample ? VIPS_FOREIGN_SUBSAMPLE_OFF : VIPS_FOREIGN_SUBSAMPLE_AUTO;
	if (!ie_has_mozjpeg())
		return vips_jpegsave_buffer(in, buf, len, "Q", q, "interlace", progressive, "optimize_coding", TRUE,
			"subsample_mode", ss, NULL);
	return vips_jpegsave_buffer(in, buf, len, "Q", q, "interlace", progressive, "optimize_coding", TRUE,
		"subsample_mode", ss, "trellis_quant", trellis, "overshoot_deringing", overshoot,
		"optimize_scans", optimize_scans, "quant_table", quant_table, NULL);
}
int ie_pngsave(VipsImage *in, void **buf, size_t *len, int interlace, int palette, int bitdepth, int compression) {
	if (palette)
		return vips_pngsave_buffer(in, buf, len, "interlace", interlace, "palette", TRUE, "bitdepth", bitdepth,
			"compression", compression, "filter", VIPS_FOREIGN_PNG_FILTER_NONE, NULL);
	return vips_pngsave_buffer(in, buf, len, "interlace", interlace, "compression", compression,
		"filter", VIPS_FOREIGN_PNG_FILTER_ALL, NULL);
}
int ie_webpsave(VipsImage *in, void **buf, size_t *len, int q, int effort, int preset,
	int lossless, int near_lossless, int smart_subsample) {
	return vips_webpsave_buffer(in, buf, len, "Q", q, "effort", effort, "preset", preset, "lossless", lossless,
		"near_lossless", near_lossless, "smart_subsample", smart_subsample, NULL);
}
int ie_heifsave(VipsImage *in, void **buf, size_t *len, int q, int compression, int effort, int subsample) {
	return vips_heifsave_buffer(in, buf, len, "Q", q, "compression", compression, "effort", effort,
		"subsample_mode", subsample, NULL);
}
int ie_gifsave(VipsImage *in, void **buf, size_t *len) { return vips_gifsave_buffer(in, buf, len, NULL); }
int ie_tiffsave(VipsImage *in, void **buf, size_t *len, int q) { return vips_tiffsave_buffer(in, buf, len, "Q", q, NULL); }
int ie_jxlsave(VipsImage *in, void **buf, size_t *len, int q, int effort) {
	return vips_jxlsave_buffer(in, buf, len, "Q", q, "effort", effort, NULL);
}
int ie_bandjoin2(VipsImage *a, VipsImage *b, VipsImage **out) { return vips_bandjoin2(a, b, out, NULL); }

/* Generic loader (libvips picks by content); used by tests to prove that
 * blocked loaders stay blocked. */
int ie_load_any(void *buf, size_t len) {
	VipsImage *im = vips_image_new_from_buffer(buf, len, "", NULL);
	if (!im)
		return -1;
	int r = vips_image_wio_input(im);
	g_object_unref(im);
	return r;
}

static void *count_object(VipsObject *object, void *a, void *b) {
	(*(int *) a)++;
	return NULL;
}

/* Number of live VipsObjects (images, operations): the leak test's
 * counter for leaks that hold no pixel memory. */
int ie_live_objects(void) {
	int n = 0;
	vips_object_map((VipsSListMap2Fn) count_object, &n, NULL);
	return n;
}

/* Cancellation (IMGPROXY_TIMEOUT inside libvips). A request owns one
 * IeCancel; ie_set_cancel makes it current for the calling thread (Process
 * locks its goroutine to one thread). ie_watch connects an "eval" handler
 * to an image about to be computed: once the token fires, the handler sets
 * the image's kill flag and libvips stops the computation with an error.
 * ie_unwatch removes the handler before the token can be freed. */
struct _IeCancel {
	gint fired;
};

static __thread IeCancel *ie_current_cancel;

IeCancel *ie_cancel_new(void) { return g_new0(IeCancel, 1); }
void ie_cancel_free(IeCancel *c) { g_free(c); }
void ie_cancel_fire(IeCancel *c) { g_atomic_int_set(&c->fired, 1); }
void ie_set_cancel(IeCancel *c) { ie_current_cancel = c; }

static void ie_eval_cb(VipsImage *im, VipsProgress *progress, void *user) {
	IeCancel *c = user;
	if (g_atomic_int_get(&c->fired))
		vips_image_set_kill(im, TRUE);
}

unsigned long ie_watch(VipsImage *im) {
	IeCancel *c = ie_current_cancel;
	if (!c)
		return 0;
	vips_image_set_progress(im, TRUE);
	return g_signal_connect(im, "eval", G_CALLBACK(ie_eval_cb), c);
}

void ie_unwatch(VipsImage *im, unsigned long id) {
	if (!id)
		return;
	g_signal_handler_disconnect(im, id);
	vips_image_set_progress(im, FALSE);
	vips_image_set_kill(im, FALSE);
}

/* Operations of the imgproxy Pro image options (vips/image_pro.go). */

/* vips_linear with one constant per band (or one band made n bands),
 * float output, or uchar (rounded and clipped) when uchar is set. */
int ie_linear(VipsImage *in, VipsImage **out, double *a, double *b, int n, int uchar) {
	return vips_linear(in, out, a, b, n, "uchar", uchar, NULL);
}

/* out = in1 where cond is 255, in2 where 0, blended in between. */
int ie_blend(VipsImage *cond, VipsImage *in1, VipsImage *in2, VipsImage **out) {
	return vips_ifthenelse(cond, in1, in2, out, "blend", TRUE, NULL);
}

int ie_insert(VipsImage *main, VipsImage *sub, VipsImage **out, int x, int y) {
	return vips_insert(main, sub, out, x, y, NULL);
}

/* A w×h matrix operation: kind 0 convolves (float precision, mask
 * divided by scale), kind 1 recombines bands (w inputs, h outputs). */
int ie_matrix(VipsImage *in, VipsImage **out, int kind, double *m, int w, int h, double scale) {
	VipsImage *mask = vips_image_new_matrix_from_array(w, h, m, w * h);
	if (!mask)
		return -1;
	vips_image_set_double(mask, "scale", scale);
	int r = kind == 0 ? vips_conv(in, out, mask, "precision", VIPS_PRECISION_FLOAT, NULL) : vips_recomb(in, out, mask, NULL);
	g_object_unref(mask);
	return r;
}

/* A 2-band image whose pixels hold their own x and y. */
int ie_xyz(VipsImage **out, int w, int h) { return vips_xyz(out, w, h, NULL); }

/* Converts to one of libvips' built-in profiles ("srgb", "cmyk"), from the
 * embedded profile or the one the interpretation implies, and attaches it. */
int ie_icc_transform_to(VipsImage *in, VipsImage **out, const char *profile) {
	return vips_icc_transform(in, out, profile, "embedded", TRUE, "intent", VIPS_INTENT_RELATIVE, "depth", 8, NULL);
}

/* Reduces an 8-bit RGBA image to at most colors colours with libimagequant
 * (the quantiser libvips' palette savers use), dithered; the result is a
 * new RGBA image in memory. */
int ie_quantise(VipsImage *in, VipsImage **out, int colors) {
	if (in->Bands != 4 || in->BandFmt != VIPS_FORMAT_UCHAR) {
		vips_error("imgedge", "quantise needs 8-bit RGBA");
		return -1;
	}
	size_t len;
	unsigned char *pix = vips_image_write_to_memory(in, &len);
	if (!pix)
		return -1;
	int w = in->Xsize, h = in->Ysize, rc = -1;
	liq_attr *attr = liq_attr_create();
	liq_image *img = NULL;
	liq_result *res = NULL;
	unsigned char *idx = NULL;
	if (!attr || liq_set_max_colors(attr, colors) != LIQ_OK)
		goto done;
	img = liq_image_create_rgba(attr, pix, w, h, 0);
	if (!img || liq_image_quantize(img, attr, &res) != LIQ_OK)
		goto done;
	liq_set_dithering_level(res, 1.0);
	idx = g_malloc((size_t) w * h);
	if (liq_write_remapped_image(res, img, idx, (size_t) w * h) != LIQ_OK)
		goto done;
	const liq_palette *pal = liq_get_palette(res);
	for (size_t i = 0; i < (size_t) w * h; i++) {
		liq_color c = pal->entries[idx[i]];
		pix[4 * i] = c.r;
		pix[4 * i + 1] = c.g;
		pix[4 * i + 2] = c.b;
		pix[4 * i + 3] = c.a;
	}
	*out = vips_image_new_from_memory_copy(pix, len, w, h, 4, VIPS_FORMAT_UCHAR);
	if (*out) {
		(*out)->Type = VIPS_INTERPRETATION_sRGB;
		rc = 0;
	}
done:
	if (rc)
		vips_error("imgedge", "palette quantisation failed");
	g_free(idx);
	if (res)
		liq_result_destroy(res);
	if (img)
		liq_image_destroy(img);
	if (attr)
		liq_attr_destroy(attr);
	g_free(pix);
	return rc;
}
