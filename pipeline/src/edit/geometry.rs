//! Geometry, in this order: the EXIF orientation, quarter turns, flips,
//! straightening (with its automatic crop), the crop. All of it is in
//! proportions of the frame, so the same recipe gives the same picture from
//! a thumbnail-sized working copy and from the full-size original.

use std::borrow::Cow;

use image::{Rgb32FImage, imageops};

use super::recipe::{Crop, EditRecipe, parse_aspect};
use crate::Orientation;

/// Turns stored pixels upright.
#[cfg(test)]
pub(crate) fn orient(image: Rgb32FImage, orientation: Orientation) -> Rgb32FImage {
    orientation.upright_f32(&image)
}

/// The edited frame from stored pixels: the EXIF orientation and the
/// recipe's quarter turns and flips as one pixel move, then straightening
/// and the crop in one pass — and no copy at all when nothing moves.
pub(crate) fn frame(
    pixels: Cow<'_, Rgb32FImage>,
    orientation: Orientation,
    recipe: &EditRecipe,
) -> Rgb32FImage {
    let turned = match orientation.then(recipe.turn()) {
        Orientation::Normal => pixels,
        turn => Cow::Owned(turn.upright_f32(&pixels)),
    };
    straighten_and_crop(turned, recipe)
}

/// The recipe's geometry applied to upright pixels.
#[cfg(test)]
pub(crate) fn apply_geometry(image: Rgb32FImage, recipe: &EditRecipe) -> Rgb32FImage {
    frame(Cow::Owned(image), Orientation::Normal, recipe)
}

/// Straightening and the crop in one pass: only the kept pixels are
/// computed, each sampled once (bilinearly when straightening, copied
/// otherwise).
fn straighten_and_crop(image: Cow<'_, Rgb32FImage>, recipe: &EditRecipe) -> Rgb32FImage {
    let (w, h) = image.dimensions();
    // The straightened frame's size (the whole picture when not turned).
    let (sw, sh) = if recipe.straighten == 0.0 {
        (w, h)
    } else {
        let keep = straighten_scale(f64::from(w), f64::from(h), recipe.straighten);
        (
            ((f64::from(w) * keep).floor() as u32).max(1),
            ((f64::from(h) * keep).floor() as u32).max(1),
        )
    };
    let (cx, cy, cw, ch) = match &recipe.crop {
        Some(crop) => crop_rect(crop, sw, sh),
        None => (0, 0, sw, sh),
    };
    if recipe.straighten == 0.0 {
        return if (cx, cy, cw, ch) == (0, 0, w, h) {
            image.into_owned()
        } else {
            imageops::crop_imm(image.as_ref(), cx, cy, cw, ch).to_image()
        };
    }
    let (sin, cos) = f64::from(recipe.straighten).to_radians().sin_cos();
    let (sin, cos) = (sin as f32, cos as f32);
    let source = image.as_raw();
    let (wi, hi) = (w as usize, h as usize);
    let (max_x, max_y) = ((w - 1) as f32, (h - 1) as f32);
    let (centre_x, centre_y) = (w as f32 / 2.0, h as f32 / 2.0);
    let (frame_x, frame_y) = (sw as f32 / 2.0, sh as f32 / 2.0);
    let mut out = Vec::with_capacity(cw as usize * ch as usize * 3);
    for y in cy..cy + ch {
        let dy = y as f32 + 0.5 - frame_y;
        for x in cx..cx + cw {
            // The output pixel's centre, relative to the frame's centre,
            // turned back (clockwise on screen, y pointing down) into the
            // source; minus a half for pixel-centre coordinates.
            let dx = x as f32 + 0.5 - frame_x;
            let sx = (centre_x + dx * cos - dy * sin - 0.5).clamp(0.0, max_x);
            let sy = (centre_y + dx * sin + dy * cos - 0.5).clamp(0.0, max_y);
            let (x0, y0) = (sx as usize, sy as usize);
            let (x1, y1) = ((x0 + 1).min(wi - 1), (y0 + 1).min(hi - 1));
            let (fx, fy) = (sx - x0 as f32, sy - y0 as f32);
            let at = |xx: usize, yy: usize| (yy * wi + xx) * 3;
            let (a, b, c, d) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
            for channel in 0..3 {
                let top = source[a + channel] + (source[b + channel] - source[a + channel]) * fx;
                let bottom = source[c + channel] + (source[d + channel] - source[c + channel]) * fx;
                out.push(top + (bottom - top) * fy);
            }
        }
    }
    Rgb32FImage::from_raw(cw, ch, out).expect("invariant: three samples per pixel")
}

/// The size of the edited frame, in pixels of an upright `width × height`
/// picture (fractional: used to plan how large to decode).
pub(crate) fn edited_size(width: u32, height: u32, recipe: &EditRecipe) -> (f64, f64) {
    let (width, height) = recipe.turn().upright_size(width, height);
    let (mut w, mut h) = (f64::from(width), f64::from(height));
    let keep = straighten_scale(w, h, recipe.straighten);
    (w, h) = (w * keep, h * keep);
    if let Some(crop) = &recipe.crop {
        (_, _, w, h) = crop_box(crop, w, h);
    }
    (w.max(1.0), h.max(1.0))
}

/// How much of each side is kept when a `w × h` frame is turned by
/// `degrees` and cropped to the largest centred rectangle of the same shape
/// with no empty corners.
fn straighten_scale(w: f64, h: f64, degrees: f32) -> f64 {
    let theta = f64::from(degrees).to_radians().abs();
    let (s, c) = theta.sin_cos();
    (w / (w * c + h * s)).min(h / (w * s + h * c))
}

/// Turns the picture `degrees` counter-clockwise about its centre and keeps
/// the largest centred rectangle of the same aspect ratio that the turned
/// picture covers completely.
#[cfg(test)]
fn straighten(image: &Rgb32FImage, degrees: f32) -> Rgb32FImage {
    let recipe = EditRecipe {
        straighten: degrees,
        ..EditRecipe::default()
    };
    straighten_and_crop(Cow::Borrowed(image), &recipe)
}

/// The crop of a `width × height` frame, in fractional pixels: (x, y, w, h),
/// narrowed about its centre to the fixed aspect if any.
fn crop_box(crop: &Crop, width: f64, height: f64) -> (f64, f64, f64, f64) {
    let (mut x, mut y) = (f64::from(crop.x) * width, f64::from(crop.y) * height);
    let (mut w, mut h) = (
        f64::from(crop.width) * width,
        f64::from(crop.height) * height,
    );
    if let Some(ratio) = crop.aspect.as_deref().and_then(parse_aspect) {
        if w / h > ratio {
            let narrower = h * ratio;
            x += (w - narrower) / 2.0;
            w = narrower;
        } else {
            let shorter = w / ratio;
            y += (h - shorter) / 2.0;
            h = shorter;
        }
    }
    (x, y, w, h)
}

/// The crop in whole pixels of a `width × height` frame: (x, y, w, h), at
/// least one pixel.
pub(crate) fn crop_rect(crop: &Crop, width: u32, height: u32) -> (u32, u32, u32, u32) {
    let (x, y, w, h) = crop_box(crop, f64::from(width), f64::from(height));
    let x = (x.round() as u32).min(width - 1);
    let y = (y.round() as u32).min(height - 1);
    let w = (w.round() as u32).clamp(1, width - x);
    let h = (h.round() as u32).clamp(1, height - y);
    (x, y, w, h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn recipe(json: &str) -> EditRecipe {
        EditRecipe::from_json(json.as_bytes()).unwrap()
    }

    /// Every pixel different: (x, y, x·y) scaled.
    fn numbered(w: u32, h: u32) -> Rgb32FImage {
        Rgb32FImage::from_fn(w, h, |x, y| {
            Rgb([x as f32, y as f32, (x * 1000 + y) as f32])
        })
    }

    #[test]
    fn four_quarter_turns_give_the_input_back() {
        let input = numbered(7, 4);
        let mut image = input.clone();
        for _ in 0..4 {
            image = apply_geometry(image, &recipe(r#"{"rotate": 90}"#));
        }
        assert_eq!(image, input);
        let once = apply_geometry(input.clone(), &recipe(r#"{"rotate": 90}"#));
        assert_eq!(once.dimensions(), (4, 7));
        // Clockwise: the bottom-left pixel comes to the top left.
        assert_eq!(once.get_pixel(0, 0), input.get_pixel(0, 3));
        let twice = apply_geometry(input.clone(), &recipe(r#"{"flip_horizontal": true}"#));
        assert_eq!(
            apply_geometry(twice, &recipe(r#"{"flip_horizontal": true}"#)),
            input
        );
    }

    #[test]
    fn a_crop_has_exactly_the_requested_pixels() {
        let input = numbered(200, 100);
        let out = apply_geometry(
            input.clone(),
            &recipe(r#"{"crop": {"x": 0.25, "y": 0.1, "width": 0.5, "height": 0.3}}"#),
        );
        assert_eq!(out.dimensions(), (100, 30));
        for (x, y, p) in out.enumerate_pixels() {
            assert_eq!(p, input.get_pixel(x + 50, y + 10));
        }
        // A fixed 1:1 aspect narrows the wider side about its centre.
        let square = apply_geometry(
            input,
            &recipe(r#"{"crop": {"x": 0, "y": 0, "width": 1, "height": 1, "aspect": "1:1"}}"#),
        );
        assert_eq!(square.dimensions(), (100, 100));
        assert_eq!(square.get_pixel(0, 0).0[0], 50.0);
    }

    #[test]
    fn straightening_levels_a_tilted_horizon_and_leaves_no_empty_corners() {
        // A horizon rising 5° to the right on a 400 × 300 picture: sky (1)
        // above, ground (0) below.
        let tilt = 5f64.to_radians().tan();
        let (w, h) = (400u32, 300u32);
        let picture = Rgb32FImage::from_fn(w, h, |x, y| {
            let horizon = 150.0 - (f64::from(x) - 200.0) * tilt;
            Rgb([if f64::from(y) < horizon { 1.0 } else { 0.0 }; 3])
        });
        // Turning it 5° clockwise levels it.
        let level = straighten(&picture, -5.0);
        let horizon_at = |x: u32| {
            (0..level.height())
                .find(|&y| level.get_pixel(x, y).0[0] < 0.5)
                .unwrap()
        };
        let (left, right) = (horizon_at(5), horizon_at(level.width() - 5));
        assert!(left.abs_diff(right) <= 1, "{left} vs {right}");
        // Same shape, smaller, as the formula says.
        let keep = straighten_scale(400.0, 300.0, 5.0);
        assert_eq!(level.width(), (400.0 * keep).floor() as u32);
        assert_eq!(level.height(), (300.0 * keep).floor() as u32);
        // No empty corners: a white picture stays white to every corner.
        let white = Rgb32FImage::from_pixel(w, h, Rgb([1.0; 3]));
        let turned = straighten(&white, 12.0);
        assert!(turned.pixels().all(|p| p.0 == [1.0; 3]));
        assert_eq!(
            straighten_scale(400.0, 300.0, 0.0),
            1.0,
            "no turn, nothing cut"
        );
    }

    #[test]
    fn the_edited_size_matches_the_pixels() {
        let input = numbered(300, 200);
        let r = recipe(
            r#"{"rotate": 90, "straighten": 3, "crop": {"x": 0.1, "y": 0.2, "width": 0.5, "height": 0.5, "aspect": "4:5"}}"#,
        );
        let out = apply_geometry(input, &r);
        let (w, h) = edited_size(300, 200, &r);
        assert!(
            (f64::from(out.width()) - w).abs() <= 1.5,
            "{} vs {w}",
            out.width()
        );
        assert!(
            (f64::from(out.height()) - h).abs() <= 1.5,
            "{} vs {h}",
            out.height()
        );
    }

    #[test]
    fn orientations_match_the_eight_exif_meanings() {
        let input = numbered(3, 2);
        // Orientation 6 (turn clockwise): stored top-left shows top-right.
        let out = orient(input.clone(), Orientation::Rotate90);
        assert_eq!(out.dimensions(), (2, 3));
        assert_eq!(out.get_pixel(1, 0), input.get_pixel(0, 0));
        // 5 (transpose): (x, y) shows at (y, x).
        let out = orient(input.clone(), Orientation::Transpose);
        assert_eq!(out.get_pixel(1, 2), input.get_pixel(2, 1));
        // 7 (transverse): (x, y) shows at (h-1-y, w-1-x).
        let out = orient(input.clone(), Orientation::Transverse);
        assert_eq!(out.get_pixel(0, 0), input.get_pixel(2, 1));
    }
}
