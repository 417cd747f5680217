//! The half-size develop in one pass over the sensor's integers.
//!
//! What [`super::develop_half`] does in steps over whole f32 copies of the
//! picture (black and white levels, 2×2 quads, red and blue moved to each
//! quad's centre, the default crop, white balance, colour matrix, highlight
//! clipping, sRGB curve), done here row by row straight from the mosaic's
//! u16 values: no f32 copy of the sensor (96 MB for 24 MP) and no
//! whole-picture intermediates (a few rows of light per thread), and the
//! sRGB curve read from a table instead of a `powf` per channel. Output rows
//! are split between the threads the workers gave this helper.
//!
//! Used for integer mosaics of RGB Bayer sensors, which is what cameras
//! write; float DNGs take the stepwise path.

use image::{DynamicImage, ImageBuffer};
use rawler::RawImage;
use rawler::imgop::srgb::srgb_apply_gamma;

use darkroom_pipeline::external::camera_to_linear_srgb;

/// Steps of the linear-light table: 16 bits, so that the deepest shadows
/// (where the sRGB curve is steepest) stay within a twentieth of an 8-bit
/// level of the exact curve.
const CURVE_STEPS: usize = 1 << 16;

/// Where each colour sits in a 2×2 quad, as indexes into `[top-left,
/// top-right, bottom-left, bottom-right]`.
#[derive(Clone, Copy)]
struct QuadLayout {
    red: usize,
    greens: [usize; 2],
    blue: usize,
}

impl QuadLayout {
    fn of(pattern: &str) -> Option<Self> {
        let (red, greens, blue) = match pattern {
            "RGGB" => (0, [1, 2], 3),
            "BGGR" => (3, [1, 2], 0),
            "GBRG" => (2, [0, 3], 1),
            "GRBG" => (1, [0, 3], 2),
            _ => return None,
        };
        Some(QuadLayout { red, greens, blue })
    }

    /// Where red and blue sit as (x, y) signs: −1 for the left column or top
    /// row, +1 for the right column or bottom row.
    fn corner(site: usize) -> (i8, i8) {
        (
            if site.is_multiple_of(2) { -1 } else { 1 },
            if site < 2 { -1 } else { 1 },
        )
    }
}

/// A sensor's integer mosaic and how to read it as light.
struct Mosaic<'a> {
    values: &'a [u16],
    /// Samples per sensor row.
    stride: usize,
    /// The active area's top-left corner on the sensor.
    origin: (usize, usize),
    /// Black level and 1 / (white − black) per site of the sensor's 2×2
    /// pattern (counted from the sensor's corner, as rawler keeps them).
    black: [f32; 4],
    scale: [f32; 4],
}

impl Mosaic<'_> {
    /// The light at one site of every quad of quad row `qy` (0 at black),
    /// from quad column `first` on, into `out`.
    fn light_row(&self, qy: usize, site: usize, first: usize, out: &mut [f32]) {
        let row = self.origin.1 + 2 * qy + site / 2;
        let col = self.origin.0 + 2 * first + site % 2;
        // A site's colour, black and white are the same all along a row.
        let pattern_site = (row & 1) * 2 + (col & 1);
        let (black, scale) = (self.black[pattern_site], self.scale[pattern_site]);
        let start = row * self.stride + col;
        // Every other sample: pairs, of which the first (the last may be
        // alone at the row's end).
        let end = (start + 2 * out.len()).min(self.values.len());
        for (out, pair) in out.iter_mut().zip(self.values[start..end].chunks(2)) {
            *out = (f32::from(pair[0]) - black).max(0.0) * scale;
        }
    }
}

/// The light one output row is made from, before white balance: red's and
/// blue's samples in the row and in the row they are moved towards (see
/// [`recentre`]), and both green sites of each quad.
struct RowLight {
    red: [Vec<f32>; 2],
    blue: [Vec<f32>; 2],
    greens: [Vec<f32>; 2],
}

impl RowLight {
    fn new(width: usize) -> Self {
        let row = || vec![0.0; width];
        RowLight {
            red: [row(), row()],
            blue: [row(), row()],
            greens: [row(), row()],
        }
    }
}

/// Develops an integer RGB Bayer mosaic at half size, to 16-bit sRGB.
/// `None` when this file is not one this path covers (the caller then takes
/// the stepwise path).
pub(super) fn develop(
    raw: &RawImage,
    multipliers: [f32; 3],
    cam_to_srgb: &[[f32; 3]; 3],
) -> Option<DynamicImage> {
    let rawler::RawImageData::Integer(values) = &raw.data else {
        return None;
    };
    let rawler::rawimage::RawPhotometricInterpretation::Cfa(config) = &raw.photometric else {
        return None;
    };
    let active = raw.active_area.unwrap_or(rawler::imgop::Rect::new(
        rawler::imgop::Point::new(0, 0),
        rawler::imgop::Dim2::new(raw.width, raw.height),
    ));
    // The same quads as rawler's super-pixel demosaic: whole quads of the
    // active area, from its corner.
    let (half_w, half_h) = (active.d.w / 2, active.d.h / 2);
    let fits = active.p.x + active.d.w <= raw.width && active.p.y + active.d.h <= raw.height;
    if !fits || half_w < 2 || half_h < 2 || values.len() < raw.width * raw.height {
        return None;
    }
    let layout = QuadLayout::of(&config.cfa.shift(active.p.x, active.p.y).name)?;
    let black = raw.blacklevel.as_bayer_array();
    let white = raw.whitelevel.as_bayer_array();
    let scale = [0, 1, 2, 3].map(|i| 1.0 / (white[i] - black[i]));
    if scale.iter().any(|s| !s.is_finite() || *s <= 0.0) {
        return None;
    }
    let mosaic = Mosaic {
        values,
        stride: raw.width,
        origin: (active.p.x, active.p.y),
        black,
        scale,
    };
    let (cx, cy, cw, ch) =
        super::default_crop_in_half(raw, half_w, half_h).unwrap_or((0, 0, half_w, half_h));
    let curve = srgb_curve();
    let mut out = vec![0u16; cw * ch * 3];
    let (red_x, red_y) = QuadLayout::corner(layout.red);
    let (blue_x, blue_y) = QuadLayout::corner(layout.blue);
    let develop_rows = |first_row: usize, rows: &mut [u16]| {
        // Quad columns cx−1 ..= cx+cw (within the picture): each output
        // pixel's own and its horizontal neighbours' samples.
        let left = cx.saturating_sub(1);
        let right = (cx + cw + 1).min(half_w);
        let mut light = RowLight::new(right - left);
        for (i, row) in rows.chunks_exact_mut(cw * 3).enumerate() {
            let qy = cy + first_row + i;
            for (k, y) in [qy, neighbour(qy, red_y, half_h)].into_iter().enumerate() {
                mosaic.light_row(y, layout.red, left, &mut light.red[k]);
            }
            for (k, y) in [qy, neighbour(qy, blue_y, half_h)].into_iter().enumerate() {
                mosaic.light_row(y, layout.blue, left, &mut light.blue[k]);
            }
            for (k, site) in layout.greens.into_iter().enumerate() {
                mosaic.light_row(qy, site, left, &mut light.greens[k]);
            }
            let red = recentre(&mut light.red, red_x);
            let blue = recentre(&mut light.blue, blue_x);
            // The output's columns within the planes (which start at `left`).
            let columns = cx - left..cx - left + cw;
            let greens = light.greens[0][columns.clone()]
                .iter()
                .zip(&light.greens[1][columns.clone()]);
            let colours = red[columns.clone()].iter().zip(&blue[columns]).zip(greens);
            for (pixel, ((&red, &blue), (&g1, &g2))) in row.chunks_exact_mut(3).zip(colours) {
                let green = (g1 + g2) / 2.0;
                let linear = camera_to_linear_srgb([red, green, blue], multipliers, cam_to_srgb);
                for (out, v) in pixel.iter_mut().zip(linear) {
                    // `as u16` saturates (and takes NaN to 0): every step
                    // is in the table.
                    *out = curve[usize::from((v * (CURVE_STEPS - 1) as f32 + 0.5) as u16)];
                }
            }
        }
    };
    let threads = develop_threads().min(ch);
    let band = ch.div_ceil(threads);
    std::thread::scope(|scope| {
        for (index, rows) in out.chunks_mut(band * cw * 3).enumerate() {
            let develop_rows = &develop_rows;
            scope.spawn(move || develop_rows(index * band, rows));
        }
    });
    ImageBuffer::from_raw(cw as u32, ch as u32, out).map(DynamicImage::ImageRgb16)
}

/// The quad a quarter of the way towards the centre from a corner sample:
/// the next one for a sample left of (or above) the centre, the previous one
/// otherwise, staying inside the picture.
fn neighbour(i: usize, sign: i8, len: usize) -> usize {
    if sign < 0 {
        (i + 1).min(len - 1)
    } else {
        i.saturating_sub(1)
    }
}

/// Moves one colour's corner samples of a row a quarter of a quad towards
/// each quad's centre, by bilinear weights (9/16, 3/16, 3/16, 1/16), done as
/// two passes of 3/4 own and 1/4 neighbour: down, from `planes[1]` (the
/// neighbouring row) into `planes[0]`, then across, into `planes[1]`, which
/// is returned. `sign_x` is the samples' side, as [`neighbour`]'s `sign`.
fn recentre(planes: &mut [Vec<f32>; 2], sign_x: i8) -> &[f32] {
    let [own, across] = planes;
    for (own, other) in own.iter_mut().zip(across.iter()) {
        *own = 0.75 * *own + 0.25 * other;
    }
    let last = own.len() - 1;
    if sign_x < 0 {
        for ((out, here), next) in across.iter_mut().zip(&own[..last]).zip(&own[1..]) {
            *out = 0.75 * here + 0.25 * next;
        }
        across[last] = own[last];
    } else {
        for ((out, here), previous) in across[1..].iter_mut().zip(&own[1..]).zip(&own[..last]) {
            *out = 0.75 * here + 0.25 * previous;
        }
        across[0] = own[0];
    }
    across
}

/// Threads for the rows: as many as the workers gave this helper (the
/// `RAYON_NUM_THREADS` that rawler follows too), else one per core.
fn develop_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The sRGB curve from 16-bit linear light to 16-bit encoded values, as a
/// table with an entry for every u16 (so that indexing needs no check).
fn srgb_curve() -> Box<[u16; CURVE_STEPS]> {
    let mut curve = Box::new([0u16; CURVE_STEPS]);
    for (i, entry) in curve.iter_mut().enumerate() {
        let linear = i as f32 / (CURVE_STEPS - 1) as f32;
        *entry = (srgb_apply_gamma(linear).clamp(0.0, 1.0) * 65535.0).round() as u16;
    }
    curve
}
