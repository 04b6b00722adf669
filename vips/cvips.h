// Small non-variadic wrappers around libvips for package vips. cgo cannot
// call variadic C functions, so every libvips operation we use gets a thin
// wrapper here. Ownership: every VipsImage** out parameter returns a new
// reference that the Go caller must g_object_unref; every void** buf
// returned by a saver is g_malloc'd and must be g_free'd by the caller.
#ifndef IMGEDGE_CVIPS_H
#define IMGEDGE_CVIPS_H

#include <stdlib.h>
#include <vips/vips.h>

int ie_startup(int concurrency, int enable_pdf);
void ie_unref(VipsImage *im);
void ie_g_free(void *p);
const char *ie_error(void);

/* loaders; fmt values mirror options.Format */
int ie_load(int fmt, void *buf, size_t len, int access_seq, int shrink, double scale,
	int page, int n, int thumbnail, int unlimited, VipsImage **out);
int ie_has_loader(int fmt);
int ie_load_any(void *buf, size_t len);
int ie_live_objects(void);

/* header helpers */
int ie_get_int(VipsImage *im, const char *name, int def);
int ie_has_alpha(VipsImage *im);
int ie_get_int_array(VipsImage *im, const char *name, int **out, int *n);
void ie_set_int_array(VipsImage *im, const char *name, int *arr, int n);
void ie_set_int(VipsImage *im, const char *name, int v);
void ie_remove(VipsImage *im, const char *name);
gchar **ie_fields(VipsImage *im);
void ie_strfreev(gchar **v);
int ie_get_blob(VipsImage *im, const char *name, const void **data, size_t *len);
void ie_set_blob_copy(VipsImage *im, const char *name, const void *data, size_t len);

/* operations */
int ie_copy_memory(VipsImage *in, VipsImage **out);
int ie_copy(VipsImage *in, VipsImage **out);
int ie_extract_area(VipsImage *in, VipsImage **out, int l, int t, int w, int h);
int ie_extract_band(VipsImage *in, VipsImage **out, int band, int n);
int ie_resize(VipsImage *in, VipsImage **out, double hscale, double vscale, int kernel);
int ie_rot(VipsImage *in, VipsImage **out, int angle);
int ie_flip(VipsImage *in, VipsImage **out, int vertical);
int ie_embed(VipsImage *in, VipsImage **out, int x, int y, int w, int h, double *bg, int n, int copy);
int ie_smartcrop(VipsImage *in, VipsImage **out, int w, int h);
int ie_find_trim(VipsImage *in, double threshold, double *bg, int n, int *l, int *t, int *w, int *h);
int ie_getpoint(VipsImage *in, int x, int y, double *out, int max);
int ie_flatten(VipsImage *in, VipsImage **out, double *bg, int n);
int ie_gaussblur(VipsImage *in, VipsImage **out, double sigma);
int ie_sharpen(VipsImage *in, VipsImage **out, double sigma);
int ie_shrink(VipsImage *in, VipsImage **out, double h, double v);
int ie_zoom(VipsImage *in, VipsImage **out, int h, int v);
int ie_premultiply(VipsImage *in, VipsImage **out);
int ie_unpremultiply(VipsImage *in, VipsImage **out);
int ie_cast(VipsImage *in, VipsImage **out, int format);
int ie_colourspace(VipsImage *in, VipsImage **out, int interp);
int ie_icc_to_srgb(VipsImage *in, VipsImage **out, int depth, int intent);
int ie_icc_export_embedded(VipsImage *in, VipsImage **out, int intent); /* Lab in */
int ie_composite_over(VipsImage *base, VipsImage *overlay, VipsImage **out, int x, int y);
int ie_linear_alpha(VipsImage *in, VipsImage **out, double opacity);
int ie_bandjoin_const1(VipsImage *in, VipsImage **out, double c);
int ie_bandjoin2(VipsImage *a, VipsImage *b, VipsImage **out);
int ie_arrayjoin(VipsImage **in, int n, VipsImage **out);
int ie_replicate(VipsImage *in, VipsImage **out, int across, int down);
int ie_black(VipsImage **out, int w, int h, int bands);
int ie_avg(VipsImage *in, double *out);
int ie_write_to_memory(VipsImage *in, void **buf, size_t *len);

/* savers */
int ie_jpegsave(VipsImage *in, void **buf, size_t *len, int q, int progressive, int no_subsample,
	int trellis, int overshoot, int optimize_scans, int quant_table);
int ie_pngsave(VipsImage *in, void **buf, size_t *len, int interlace, int palette, int bitdepth, int compression);
int ie_webpsave(VipsImage *in, void **buf, size_t *len, int q, int effort, int preset,
	int lossless, int near_lossless, int smart_subsample);
int ie_heifsave(VipsImage *in, void **buf, size_t *len, int q, int compression, int effort, int subsample);
int ie_gifsave(VipsImage *in, void **buf, size_t *len);
int ie_tiffsave(VipsImage *in, void **buf, size_t *len, int q);
int ie_jxlsave(VipsImage *in, void **buf, size_t *len, int q, int effort);

/* imgproxy Pro image options: see cvips.c */
int ie_linear(VipsImage *in, VipsImage **out, double *a, double *b, int n, int uchar);
int ie_blend(VipsImage *cond, VipsImage *in1, VipsImage *in2, VipsImage **out);
int ie_insert(VipsImage *main, VipsImage *sub, VipsImage **out, int x, int y);
int ie_matrix(VipsImage *in, VipsImage **out, int kind, double *m, int w, int h, double scale);
int ie_xyz(VipsImage **out, int w, int h);
int ie_icc_transform_to(VipsImage *in, VipsImage **out, const char *profile);
int ie_quantise(VipsImage *in, VipsImage **out, int colors);

/* cancellation: see cvips.c */
typedef struct _IeCancel IeCancel;
IeCancel *ie_cancel_new(void);
void ie_cancel_free(IeCancel *c);
void ie_cancel_fire(IeCancel *c);
void ie_set_cancel(IeCancel *c);
unsigned long ie_watch(VipsImage *im);
void ie_unwatch(VipsImage *im, unsigned long id);

#endif
