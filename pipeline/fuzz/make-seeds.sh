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
# RAW-shaped seeds for the embedded-preview path: a DNG-tagged TIFF whose
# IFD0 points at a JPEG (JPEGInterchangeFormat), and a Fujifilm RAF header.
python3 - <<'PY'
import struct
jpeg = open("seeds/prog.jpg", "rb").read()
entries = [(0x0112, 3, 1, 6), (0x0201, 4, 1, 0), (0x0202, 4, 1, len(jpeg)), (0xC612, 1, 4, 0x0401)]
at = 8 + 2 + 12 * len(entries) + 4
entries[1] = (0x0201, 4, 1, at)
tiff = b"II*\0" + struct.pack("<IH", 8, len(entries))
for tag, kind, count, value in entries:
    tiff += struct.pack("<HHII", tag, kind, count, value)
open("seeds/preview.dng", "wb").write(tiff + struct.pack("<I", 0) + jpeg)
raf = b"FUJIFILMCCD-RAW 0201FF383501".ljust(84, b"\0") + struct.pack(">II", 100, len(jpeg))
open("seeds/preview.raf", "wb").write(raf.ljust(100, b"\0") + jpeg)
PY
# Located seeds for strip_location: GPS, an XMP city and an IPTC city written
# by exiftool into a JPEG, a PNG and the DNG above; and a JPEG with a second
# image appended after its end, as MPF and motion photos do.
if command -v exiftool >/dev/null; then
  for f in seeds/prog.jpg seeds/small.png seeds/preview.dng; do
    ext=${f##*.}
    exiftool -m -q -q -GPSLatitude=48.8584 -GPSLatitudeRef=N -GPSLongitude=2.2945 -GPSLongitudeRef=E \
      -XMP-photoshop:City=Paris -IPTC:City=Paris -o "seeds/located.$ext" "$f" || true
  done
  cat seeds/located.jpg seeds/located.jpg > seeds/located-two-images.jpg
fi
ls seeds | wc -l
