#!/usr/bin/env python3
"""libvips' side of the edit benchmark (benches/src/edit.rs runs it).

The same work as darkroom's editor, in pyvips: open a photo for editing
(a 2048 px working copy in memory), then render a 1440 px JPEG preview per
slider change — straighten 2°, crop, resize, exposure, an S-curve with
shadows and highlights, saturation, vignette, sharpening — and a full-size
export with the same recipe. Prints one JSON line of medians in ms.

    python3 benches/edit-vips.py PHOTO [--changes 30]
"""

import argparse
import json
import math
import statistics
import time

import pyvips

WORKING_EDGE = 2048
PREVIEW_EDGE = 1440


def clamp(x, low, high):
    """`x` limited to low..high (vips_clamp arrived only in libvips 8.16)."""
    return (x < low).ifthenelse(low, (x > high).ifthenelse(high, x))


def edit(image, exposure, long_edge=None):
    """The recipe on `image`; resized to `long_edge` when given."""
    # Straighten 2° and keep the largest centred rectangle of the same shape.
    w, h = image.width, image.height
    theta = math.radians(2)
    keep = min(w / (w * math.cos(theta) + h * math.sin(theta)),
               h / (w * math.sin(theta) + h * math.cos(theta)))
    turned = image.similarity(angle=-2)
    cw, ch = int(w * keep), int(h * keep)
    turned = turned.crop((turned.width - cw) // 2, (turned.height - ch) // 2, cw, ch)
    # The crop: 5 % off each side.
    x = turned.crop(int(cw * 0.05), int(ch * 0.05), int(cw * 0.9), int(ch * 0.9))
    if long_edge:
        x = x.resize(long_edge / max(x.width, x.height), kernel="lanczos3")
    # Linear light, exposure, tone curve in a perceptual coordinate.
    x = x.colourspace("scrgb") * (2 ** exposure)
    v = clamp(x, 0, 1) ** (1 / 2.4)
    v = v + 0.9 * 0.25 * v * (1 - v) ** 4 - 0.9 * 0.3 * (v ** 4) * (1 - v)
    v = v - 0.15 * (v * 360).math("sin") / (2 * math.pi)
    x = clamp(v, 0, 1) ** 2.4
    # Saturation about luminance.
    y = x[0] * 0.2126 + x[1] * 0.7152 + x[2] * 0.0722
    x = y + (x - y) * 1.1
    # Vignette: an elliptical falloff to the corners.
    xy = pyvips.Image.xyz(x.width, x.height)
    dx = xy[0] / x.width - 0.5
    dy = xy[1] / x.height - 0.5
    r = ((dx * dx + dy * dy) * 2) ** 0.5
    t = clamp((r - 0.5) / 0.5, 0, 1)
    x = x * (2 ** (-0.375 * t * t * (3 - 2 * t)))
    x = x.colourspace("srgb")
    return x.sharpen(sigma=1.0)


def timed(fn, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("photo")
    parser.add_argument("--changes", type=int, default=30)
    args = parser.parse_args()
    pyvips.cache_set_max(0)  # every change computed, as an editor would

    copy = {}

    def first_preview():
        working = pyvips.Image.thumbnail(args.photo, WORKING_EDGE).copy_memory()
        copy["working"] = working
        edit(working, 0.0, PREVIEW_EDGE).jpegsave_buffer(Q=85)

    first = timed(first_preview, 5)
    changes = []
    for i in range(args.changes):
        exposure = -1 + 2 * i / max(args.changes - 1, 1)
        changes += timed(lambda: edit(copy["working"], exposure, PREVIEW_EDGE)
                         .jpegsave_buffer(Q=85), 1)
    changes.sort()

    def export():
        full = pyvips.Image.new_from_file(args.photo, access="sequential")
        edit(full, 0.3).jpegsave_buffer(Q=92)

    exports = timed(export, 3)
    print(json.dumps({
        "first_preview_ms": statistics.median(first),
        "change_median_ms": statistics.median(changes),
        "change_p95_ms": changes[min(len(changes) - 1, int(len(changes) * 0.95))],
        "export_jpeg_ms": statistics.median(exports),
        "vips": pyvips.version(0) * 100 + pyvips.version(1),
    }))


if __name__ == "__main__":
    main()
