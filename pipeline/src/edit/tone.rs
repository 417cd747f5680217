//! Tone and colour, in linear light (f32 linear sRGB), in this order:
//! exposure, white and black points, the tone curve (shadows, highlights,
//! contrast, on luminance, so hue and saturation are kept), saturation and
//! vibrance, monochrome, vignette. Values may leave 0..1 in between; they
//! are clamped only when encoded.

use image::Rgb32FImage;

use super::recipe::{EditRecipe, Monochrome, Vignette};

/// Luminance of linear sRGB (Rec. 709 weights).
#[inline]
pub(crate) fn luminance([r, g, b]: [f32; 3]) -> f32 {
    0.2126 * r + 0.7152 * g + 0.0722 * b
}

/// The tone curve as a table over √Y in 0..1 (fine steps in the shadows),
/// read with linear interpolation; identity above 1.
struct ToneCurve {
    table: Vec<f32>,
}

const CURVE_STEPS: usize = 4096;

impl ToneCurve {
    /// `None` when shadows, highlights and contrast are all zero.
    fn of(recipe: &EditRecipe) -> Option<Self> {
        let (s, h, c) = (
            recipe.shadows / 100.0,
            recipe.highlights / 100.0,
            recipe.contrast / 100.0,
        );
        if s == 0.0 && h == 0.0 && c == 0.0 {
            return None;
        }
        let mut table = Vec::with_capacity(CURVE_STEPS + 1);
        let mut previous = 0.0f32;
        for i in 0..=CURVE_STEPS {
            let root = i as f32 / CURVE_STEPS as f32;
            let y = root * root;
            // A perceptual coordinate: v = 0.5 is Y ≈ 0.19, middle grey.
            let v = y.powf(1.0 / 2.4);
            // Shadows peak a fifth of the way up (v = 0.2), highlights four
            // fifths, each fading fast from there, so that neither moves
            // the other's tones much; both leave black and white where they
            // are. The 0.9 keeps the curve rising at ±100.
            let (dark, light) = (1.0 - v, v);
            let v = v + 0.9 * s * v * dark.powi(4) + 0.9 * h * light.powi(4) * (1.0 - v);
            // Contrast: an S about middle grey, slope 1 ± 0.75·c there.
            let k = 0.75 * c;
            let v = v - k * (std::f32::consts::TAU * v).sin() / std::f32::consts::TAU;
            let out = v.clamp(0.0, 1.0).powf(2.4).max(previous);
            previous = out;
            table.push(out);
        }
        Some(ToneCurve { table })
    }

    #[inline]
    fn apply(&self, y: f32) -> f32 {
        if y >= 1.0 {
            return y;
        }
        let x = y.max(0.0).sqrt() * CURVE_STEPS as f32;
        let i = (x as usize).min(CURVE_STEPS - 1);
        let f = x - i as f32;
        self.table[i] + (self.table[i + 1] - self.table[i]) * f
    }
}

/// Applies the recipe's tonal and colour operations to linear sRGB pixels.
/// White balance comes before, where the pixels are made (see
/// `develop.rs`): for a RAW it belongs to the camera data.
pub(crate) fn apply_tone(image: &mut Rgb32FImage, recipe: &EditRecipe) {
    let gain = recipe.exposure.exp2();
    // White point: +100 makes 0.5 white; −100 makes 2.0 white.
    let white = (-recipe.whites / 100.0).exp2();
    // Black point: −100 clips the lowest 1 % of linear light to black,
    // +100 lifts black to 1 %.
    let black = -recipe.blacks / 100.0 * 0.01;
    let levels = (white != 1.0 || black != 0.0).then(|| (black, 1.0 / (white - black)));
    let curve = ToneCurve::of(recipe);
    let saturation = 1.0 + recipe.saturation / 100.0;
    let vibrance = recipe.vibrance / 100.0;
    let colour = saturation != 1.0 || vibrance != 0.0;
    let mix = recipe.monochrome.as_ref();
    let vignette = recipe
        .vignette
        .as_ref()
        .map(|v| VignetteField::new(v, image.width(), image.height()));
    let width = image.width() as usize;
    for (index, pixel) in image.pixels_mut().enumerate() {
        let mut rgb = pixel.0;
        if gain != 1.0 {
            rgb = rgb.map(|v| v * gain);
        }
        if let Some((black, scale)) = levels {
            rgb = rgb.map(|v| (v - black) * scale);
        }
        if let Some(curve) = &curve {
            let y = luminance(rgb);
            if y > 0.0 {
                let g = curve.apply(y) / y;
                rgb = rgb.map(|v| v * g);
            }
        }
        if colour {
            rgb = saturate(rgb, saturation, vibrance);
        }
        if let Some(mix) = mix {
            rgb = [monochrome(rgb, mix); 3];
        }
        if let Some(field) = &vignette {
            let g = field.gain(index % width, index / width);
            rgb = rgb.map(|v| v * g);
        }
        pixel.0 = rgb;
    }
}

/// Moves each channel away from (or towards) the luminance: `saturation`
/// for all colours, `vibrance` weighted towards the muted ones.
#[inline]
fn saturate(rgb: [f32; 3], saturation: f32, vibrance: f32) -> [f32; 3] {
    let y = luminance(rgb);
    let max = rgb[0].max(rgb[1]).max(rgb[2]);
    let min = rgb[0].min(rgb[1]).min(rgb[2]);
    let chroma = if max > 0.0 {
        ((max - min) / max).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let factor = (saturation * (1.0 + vibrance * (1.0 - chroma))).max(0.0);
    rgb.map(|v| (y + (v - y) * factor).max(0.0))
}

#[inline]
fn monochrome([r, g, b]: [f32; 3], mix: &Monochrome) -> f32 {
    ((mix.red * r + mix.green * g + mix.blue * b) / 100.0).max(0.0)
}

/// The vignette's gain over the frame: an ellipse fitted to the frame, no
/// change inside `midpoint`, then a smooth step to `amount` × 1.5 stops at
/// the corners.
struct VignetteField {
    stops: f32,
    start: f32,
    width: f32,
    height: f32,
}

impl VignetteField {
    fn new(v: &Vignette, width: u32, height: u32) -> Self {
        VignetteField {
            stops: v.amount / 100.0 * 1.5,
            start: (v.midpoint / 100.0).min(0.999),
            width: width as f32,
            height: height as f32,
        }
    }

    /// The gain at pixel (`x`, `y`).
    #[inline]
    fn gain(&self, x: usize, y: usize) -> f32 {
        let dx = (x as f32 + 0.5) / self.width - 0.5;
        let dy = (y as f32 + 0.5) / self.height - 0.5;
        // 1 at the corners.
        let r = ((dx * dx + dy * dy) * 2.0).sqrt();
        let t = ((r - self.start) / (1.0 - self.start)).clamp(0.0, 1.0);
        let smooth = t * t * (3.0 - 2.0 * t);
        (self.stops * smooth).exp2()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn one(rgb: [f32; 3], recipe: &EditRecipe) -> [f32; 3] {
        let mut image = Rgb32FImage::from_pixel(1, 1, Rgb(rgb));
        apply_tone(&mut image, recipe);
        image.get_pixel(0, 0).0
    }

    fn recipe(json: &str) -> EditRecipe {
        EditRecipe::from_json(json.as_bytes()).unwrap()
    }

    fn close(a: f32, b: f32, tolerance: f32) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn plus_one_ev_doubles_linear_values_and_minus_one_halves_them() {
        let input = [0.1, 0.25, 0.4];
        let up = one(input, &recipe(r#"{"exposure": 1}"#));
        let down = one(input, &recipe(r#"{"exposure": -1}"#));
        for i in 0..3 {
            assert_eq!(up[i], input[i] * 2.0);
            assert_eq!(down[i], input[i] / 2.0);
        }
    }

    #[test]
    fn the_identity_changes_no_value() {
        let mut image = Rgb32FImage::from_fn(64, 64, |x, y| {
            Rgb([x as f32 / 63.0, y as f32 / 63.0, (x * y) as f32 / 3969.0])
        });
        let before = image.clone();
        apply_tone(&mut image, &EditRecipe::default());
        assert_eq!(image, before);
    }

    #[test]
    fn neutral_greys_stay_neutral_under_every_colour_control() {
        let every = recipe(
            r#"{"saturation": 80, "vibrance": -60, "contrast": 40, "shadows": 30,
                "highlights": -50, "whites": 20, "blacks": -10, "exposure": 0.5}"#,
        );
        for grey in [0.01, 0.1, 0.18, 0.5, 0.9] {
            let out = one([grey; 3], &every);
            assert!(
                close(out[0], out[1], 1e-6) && close(out[1], out[2], 1e-6),
                "{grey}: {out:?}"
            );
        }
    }

    #[test]
    fn saturation_scales_the_distance_from_grey() {
        let colour = [0.3, 0.25, 0.2];
        let y = luminance(colour);
        let none = one(colour, &recipe(r#"{"saturation": -100}"#));
        assert!(none.iter().all(|v| close(*v, y, 1e-6)), "{none:?}");
        let double = one(colour, &recipe(r#"{"saturation": 100}"#));
        for i in 0..3 {
            assert!(
                close(double[i], y + 2.0 * (colour[i] - y), 1e-6),
                "{double:?}"
            );
        }
        // Vibrance moves a muted colour more than a vivid one.
        let muted = [0.3, 0.25, 0.22];
        let vivid = [0.5, 0.05, 0.02];
        let spread = |c: [f32; 3]| c[0] - c[2];
        let boost = recipe(r#"{"vibrance": 100}"#);
        let muted_gain = spread(one(muted, &boost)) / spread(muted);
        let vivid_gain = spread(one(vivid, &boost)) / spread(vivid);
        assert!(muted_gain > vivid_gain + 0.5, "{muted_gain} {vivid_gain}");
    }

    #[test]
    fn contrast_pivots_on_middle_grey() {
        let more = recipe(r#"{"contrast": 60}"#);
        let less = recipe(r#"{"contrast": -60}"#);
        let pivot = 0.5f32.powf(2.4);
        assert!(close(one([pivot; 3], &more)[0], pivot, 2e-4));
        assert!(one([0.05; 3], &more)[0] < 0.05 * 0.9);
        assert!(one([0.6; 3], &more)[0] > 0.6 * 1.05);
        assert!(one([0.05; 3], &less)[0] > 0.05 * 1.1);
        assert!(one([0.6; 3], &less)[0] < 0.6 * 0.95);
        // Black and white stay put.
        assert_eq!(one([0.0; 3], &more)[0], 0.0);
        assert!(close(one([1.0; 3], &more)[0], 1.0, 1e-6));
    }

    #[test]
    fn shadows_and_highlights_each_move_their_own_tones() {
        let shadows = recipe(r#"{"shadows": 80}"#);
        let highlights = recipe(r#"{"highlights": -80}"#);
        let (dark, bright) = (0.02, 0.85);
        assert!(one([dark; 3], &shadows)[0] > dark * 1.5);
        assert!(one([bright; 3], &shadows)[0] < bright * 1.03);
        assert!(one([bright; 3], &highlights)[0] < bright * 0.93);
        assert!(one([dark; 3], &highlights)[0] > dark * 0.97);
        // Monotonic at the extremes: more light in, more light out.
        for json in [
            r#"{"shadows": -100, "highlights": 100, "contrast": 100}"#,
            r#"{"shadows": 100, "highlights": -100, "contrast": -100}"#,
        ] {
            let r = recipe(json);
            let mut last = -1.0;
            for i in 0..=200 {
                let v = one([i as f32 / 200.0; 3], &r)[0];
                assert!(v >= last, "{json} at {i}");
                last = v;
            }
        }
    }

    #[test]
    fn whites_and_blacks_move_the_end_points() {
        let out = one([0.5; 3], &recipe(r#"{"whites": 100}"#));
        assert!(close(out[0], 1.0, 1e-6), "{out:?}");
        let out = one([0.005; 3], &recipe(r#"{"blacks": -100}"#));
        assert!(out[0] < 0.0, "below the new black point: {out:?}");
        let out = one([0.0; 3], &recipe(r#"{"blacks": 100}"#));
        assert!(close(out[0], 0.01 / 1.01, 1e-6), "black lifted: {out:?}");
    }

    #[test]
    fn monochrome_mixes_the_channels_it_is_told_to() {
        let sky = [0.05, 0.2, 0.6];
        let grey = one(sky, &recipe(r#"{"monochrome": {}}"#));
        assert!(
            grey.iter().all(|v| close(*v, luminance(sky), 1e-5)),
            "{grey:?}"
        );
        let red_filter = one(
            sky,
            &recipe(r#"{"monochrome": {"red": 100, "green": 0, "blue": 0}}"#),
        );
        assert_eq!(red_filter, [0.05; 3]);
    }

    #[test]
    fn a_vignette_darkens_the_corners_and_leaves_the_centre() {
        let mut image = Rgb32FImage::from_pixel(101, 61, Rgb([0.5; 3]));
        apply_tone(
            &mut image,
            &recipe(r#"{"vignette": {"amount": -100, "midpoint": 50}}"#),
        );
        assert_eq!(image.get_pixel(50, 30).0, [0.5; 3]);
        let corner = image.get_pixel(0, 0).0[0];
        // 1.5 stops down at the very corner; the corner pixel's centre is
        // a hair inside it.
        assert!(close(corner, 0.5 * (-1.5f32).exp2(), 0.01), "{corner}");
        let edge = image.get_pixel(0, 30).0[0];
        assert!(edge < 0.5 && edge > corner, "{edge}");
    }
}
