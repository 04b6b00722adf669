#!/usr/bin/env bash
# Regenerates the sample images served by `make run` (IMGPROXY_LOCAL_FILESYSTEM_ROOT=testdata/samples)
# and used by the end-to-end tests. Everything is synthesised with the libvips CLI (Debian package
# libvips-tools), so no third-party picture is shipped. Each output stays well under 100 KB.
#
#   photo.jpg   1200x800 sRGB JPEG: smooth gradients, ripples and a little grain (a "photo")
#   photo.webp  800x533 lossy WebP of the same picture
#   alpha.png   400x400 RGBA PNG: a soft disc on a transparent background
#   anim.gif    160x120 animated GIF, 4 frames
#   logo.svg    240x120 hand-written SVG (not generated; kept in git as text)
set -euo pipefail
cd "$(dirname "$0")"
command -v vips >/dev/null || { echo "make.sh: the vips CLI is missing (apt-get install libvips-tools)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# photo: three bands built from coordinates, a sine pattern and a radial term, plus mild noise.
vips xyz "$tmp/xy.v" 1200 800
vips extract_band "$tmp/xy.v" "$tmp/x.v" 0
vips extract_band "$tmp/xy.v" "$tmp/y.v" 1
vips sines "$tmp/s.v" 1200 800 --hfreq 0.004 --vfreq 0.003
vips eye "$tmp/e.v" 1200 800 --factor 0.4
vips linear "$tmp/x.v" "$tmp/r0.v" 0.18 30
vips linear "$tmp/y.v" "$tmp/g0.v" 0.22 40
vips linear "$tmp/s.v" "$tmp/b0.v" 70 120
vips linear "$tmp/e.v" "$tmp/e2.v" 40 0
vips add "$tmp/r0.v" "$tmp/e2.v" "$tmp/r.v"
vips subtract "$tmp/g0.v" "$tmp/e2.v" "$tmp/g.v"
vips add "$tmp/b0.v" "$tmp/e2.v" "$tmp/b.v"
vips bandjoin "$tmp/r.v $tmp/g.v $tmp/b.v" "$tmp/rgb.v"
vips gaussnoise "$tmp/n.v" 1200 800 --mean 0 --sigma 2
vips add "$tmp/rgb.v" "$tmp/n.v" "$tmp/rgbn.v"
vips cast "$tmp/rgbn.v" "$tmp/u8.v" uchar
vips copy "$tmp/u8.v" "$tmp/photo.v" --interpretation srgb
vips jpegsave "$tmp/photo.v" photo.jpg --Q 80 --strip
vips thumbnail photo.jpg "$tmp/small.v" 800
vips webpsave "$tmp/small.v" photo.webp --Q 70 --strip

# alpha.png: a red-to-blue disc whose alpha fades out towards the edge.
vips xyz "$tmp/dxy.v" 400 400
vips linear "$tmp/dxy.v" "$tmp/c.v" -- 1 -200
vips multiply "$tmp/c.v" "$tmp/c.v" "$tmp/sq.v"
vips bandmean "$tmp/sq.v" "$tmp/m.v"
vips linear "$tmp/m.v" "$tmp/d2.v" 2 0
vips math2_const "$tmp/d2.v" "$tmp/d.v" pow 0.5
vips linear "$tmp/d.v" "$tmp/a.v" -- -1.6 320
vips extract_band "$tmp/dxy.v" "$tmp/dx.v" 0
vips linear "$tmp/dx.v" "$tmp/pr.v" 0.6 20
vips linear "$tmp/dx.v" "$tmp/pb.v" -- -0.6 260
vips linear "$tmp/dx.v" "$tmp/pg.v" 0 90
vips bandjoin "$tmp/pr.v $tmp/pg.v $tmp/pb.v $tmp/a.v" "$tmp/rgba.v"
vips cast "$tmp/rgba.v" "$tmp/rgba8.v" uchar
vips copy "$tmp/rgba8.v" "$tmp/rgbas.v" --interpretation srgb
vips pngsave "$tmp/rgbas.v" alpha.png --compression 9 --filter all --strip

# anim.gif: four frames of the photo, shifted, stacked vertically with page-height set.
vips resize "$tmp/photo.v" "$tmp/q.v" 0.25
vips crop "$tmp/q.v" "$tmp/strip.v" 0 0 160 120
for i in 1 2 3; do
	vips crop "$tmp/q.v" "$tmp/f$i.v" $((i * 40)) $((i * 25)) 160 120
	vips join "$tmp/strip.v" "$tmp/f$i.v" "$tmp/strip$i.v" vertical
	mv "$tmp/strip$i.v" "$tmp/strip.v"
done
vips cast "$tmp/strip.v" "$tmp/anim.v" uchar
vips gifsave "$tmp/anim.v" anim.gif --page-height 120 --strip

ls -l photo.jpg photo.webp alpha.png anim.gif
