/* imgedge: C helpers of the /info endpoint, format best and autoquality
 * (vips/image_info.go); kept apart from cvips.c. */
#ifndef IMGEDGE_CINFO_H
#define IMGEDGE_CINFO_H

#include <stddef.h>
#include <vips/vips.h>

int ie_webpsave_lossless(VipsImage *in, void **buf, size_t *len, int effort);
int ie_jxlsave_lossless(VipsImage *in, void **buf, size_t *len, int effort);
char *ie_exif_text(const void *data, size_t len);
const char *ie_interpretation_name(VipsImage *in);
const char *ie_band_format_name(VipsImage *in);

#endif
