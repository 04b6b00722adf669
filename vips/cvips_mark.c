#include "cvips_mark.h"

int ie_text(VipsImage **out, const char *text, const char *font, int dpi, const char *fontfile) {
	if (fontfile)
		return vips_text(out, text, "font", font, "dpi", dpi, "rgba", TRUE, "fontfile", fontfile, NULL);
	return vips_text(out, text, "font", font, "dpi", dpi, "rgba", TRUE, NULL);
}

int ie_mark_rotate(VipsImage *in, VipsImage **out, double angle) {
	VipsImage *p = NULL, *r = NULL, *u = NULL;
	double bg[4] = {0, 0, 0, 0};
	int rc = -1;
	VipsArrayDouble *a = vips_array_double_new(bg, 4);
	if (vips_premultiply(in, &p, NULL) ||
		vips_rotate(p, &r, angle, "background", a, NULL) ||
		vips_unpremultiply(r, &u, NULL) ||
		vips_cast(u, out, VIPS_FORMAT_UCHAR, NULL))
		goto done;
	rc = 0;
done:
	vips_area_unref(VIPS_AREA(a));
	if (p) g_object_unref(p);
	if (r) g_object_unref(r);
	if (u) g_object_unref(u);
	return rc;
}

int ie_mark_shadow(VipsImage *in, VipsImage **out, double sigma, int margin) {
	VipsImage *e = NULL, *al = NULL, *bl = NULL, *k = NULL, *s = NULL, *sc = NULL, *c = NULL;
	double bg[4] = {0, 0, 0, 0};
	int rc = -1;
	int w = in->Xsize + 2 * margin, h = in->Ysize + 2 * margin;
	VipsArrayDouble *a = vips_array_double_new(bg, 4);
	if (vips_embed(in, &e, margin, margin, w, h, "extend", VIPS_EXTEND_BACKGROUND, "background", a, NULL) ||
		vips_extract_band(e, &al, 3, NULL) ||
		vips_gaussblur(al, &bl, sigma, NULL) ||
		vips_black(&k, w, h, "bands", 3, NULL) ||
		vips_bandjoin2(k, bl, &s, NULL) ||
		vips_copy(s, &sc, "interpretation", VIPS_INTERPRETATION_sRGB, NULL) ||
		vips_composite2(sc, e, &c, VIPS_BLEND_MODE_OVER, NULL) ||
		vips_cast(c, out, VIPS_FORMAT_UCHAR, NULL))
		goto done;
	rc = 0;
done:
	vips_area_unref(VIPS_AREA(a));
	if (e) g_object_unref(e);
	if (al) g_object_unref(al);
	if (bl) g_object_unref(bl);
	if (k) g_object_unref(k);
	if (s) g_object_unref(s);
	if (sc) g_object_unref(sc);
	if (c) g_object_unref(c);
	return rc;
}
