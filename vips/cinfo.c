/* imgedge: C helpers of the /info endpoint, format best and autoquality.
 * See vips/image_info.go for what calls them. */
#include <string.h>
#include <libexif/exif-data.h>
#include "cinfo.h"

int ie_webpsave_lossless(VipsImage *in, void **buf, size_t *len, int effort) {
	return vips_webpsave_buffer(in, buf, len, "lossless", TRUE, "effort", effort, NULL);
}

int ie_jxlsave_lossless(VipsImage *in, void **buf, size_t *len, int effort) {
	return vips_jxlsave_buffer(in, buf, len, "lossless", TRUE, "effort", effort, NULL);
}

/* Appends s with tabs and line breaks turned into spaces. */
static void ie_append_clean(GString *out, const char *s) {
	for (; s && *s; s++)
		g_string_append_c(out, (*s == '\t' || *s == '\n' || *s == '\r') ? ' ' : *s);
}

/* ie_exif_text parses an EXIF blob (libvips' "exif-data": "Exif\0\0" and a
 * TIFF structure) with libexif and lists its entries, except those of the
 * thumbnail's IFD1, as lines "name\ttitle\tvalue\n": libexif's tag name,
 * its human-readable title and its formatted value. The result is
 * g_malloc'd (the caller g_frees it); NULL when nothing parses. */
char *ie_exif_text(const void *data, size_t len) {
	ExifData *ed = exif_data_new_from_data(data, (unsigned int) len);
	if (!ed)
		return NULL;
	GString *out = g_string_new(NULL);
	char value[1024];
	for (int ifd = 0; ifd < EXIF_IFD_COUNT; ifd++) {
		if (ifd == EXIF_IFD_1)
			continue;
		ExifContent *c = ed->ifd[ifd];
		for (unsigned int i = 0; c && i < c->count; i++) {
			ExifEntry *e = c->entries[i];
			const char *name = exif_tag_get_name_in_ifd(e->tag, (ExifIfd) ifd);
			const char *title = exif_tag_get_title_in_ifd(e->tag, (ExifIfd) ifd);
			if (!name || !title)
				continue;
			value[0] = 0;
			exif_entry_get_value(e, value, sizeof(value));
			ie_append_clean(out, name);
			g_string_append_c(out, '\t');
			ie_append_clean(out, title);
			g_string_append_c(out, '\t');
			ie_append_clean(out, value);
			g_string_append_c(out, '\n');
		}
	}
	exif_data_unref(ed);
	return g_string_free(out, FALSE);
}

/* Names as imgproxy's info answers them: libvips' enum nicknames. */
const char *ie_interpretation_name(VipsImage *in) {
	return vips_enum_nick(VIPS_TYPE_INTERPRETATION, vips_image_get_interpretation(in));
}

const char *ie_band_format_name(VipsImage *in) {
	return vips_enum_nick(VIPS_TYPE_BAND_FORMAT, vips_image_get_format(in));
}
