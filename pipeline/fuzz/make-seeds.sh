#!/usr/bin/env bash
# Small seed files for the fuzz targets (not committed): thumbnails of the
# shared corpus as baseline and progressive JPEG (with their EXIF), PNG, WebP
# and TIFF. Needs libvips-tools.  Usage: fuzz/make-seeds.sh [SHARED_CORPUS]
set -euo pipefail
cd "$(dirname "$0")"
S=${1:-../../../shared/corpus}
mkdir -p seeds
i=0
for f in "$S"/nature/* "$S"/orientation/Landscape_1.jpg "$S"/orientation/Landscape_6.jpg "$S"/metadata/*; do
  i=$((i + 1))
  vipsthumbnail "$f" --size 96 -o "$PWD/seeds/s$i.jpg[Q=70]" 2>/dev/null || true
done
first=$(ls "$S"/nature | head -1)
vipsthumbnail "$S/nature/$first" --size 80 -o "$PWD/seeds/prog.jpg[Q=60,interlace]"
for ext in png webp tif; do vips copy seeds/prog.jpg "seeds/small.$ext"; done
ls seeds | wc -l
