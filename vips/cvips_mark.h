// Wrappers for the watermark options of imgproxy Pro (text, rotation,
// shadow); conventions as in cvips.h.
#ifndef IMGEDGE_CVIPS_MARK_H
#define IMGEDGE_CVIPS_MARK_H

#include <vips/vips.h>

/* text renders Pango markup as sRGB with alpha (black unless the markup
 * says otherwise). fontfile may be NULL. */
int ie_text(VipsImage **out, const char *text, const char *font, int dpi, const char *fontfile);
/* mark_rotate turns a 4-band uchar image by angle degrees clockwise on a
 * transparent background (premultiplied, so edges do not darken). */
int ie_mark_rotate(VipsImage *in, VipsImage **out, double angle);
/* mark_shadow embeds a 4-band uchar image in a margin and draws it over
 * its own alpha, blurred with sigma, in black. */
int ie_mark_shadow(VipsImage *in, VipsImage **out, double sigma, int margin);

#endif
