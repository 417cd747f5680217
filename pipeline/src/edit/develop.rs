//! From an original and a recipe to renditions: the working copy's pixels
//! through geometry, white balance and tone ([`finish`]), for renditions
//! and previews; exports are in `export.rs`.

use std::borrow::Cow;

use image::Rgb32FImage;

use super::geometry::{edited_size, frame};
use super::light::encode_in_place;
use super::recipe::EditRecipe;
use super::tone::apply_tone;
use super::working_copy::{WorkingColour, WorkingCopy};
use crate::resize::resize_linear;
use crate::spec::RenditionSpec;
use crate::{Limits, Orientation, PipelineError, Rendered, ShrinkOnLoad};

/// Geometry, white balance and tone on a working copy's `pixels`: the
/// edited picture in sRGB-encoded f32, about `size` when given (within a
/// pixel or two: the caller resizes or crops to exact sizes), else whole.
///
/// The pixels are shrunk first, to the scale the output needs, so that
/// turning, straightening and the tone work touch only output-sized pixels
/// (resizing commutes with all of them up to resampling). Owned pixels that
/// no step moves are used as they are (a full-size export copies nothing).
pub(super) fn finish(
    pixels: Cow<'_, Rgb32FImage>,
    orientation: Orientation,
    colour: &WorkingColour,
    recipe: &EditRecipe,
    size: Option<(u32, u32)>,
) -> Result<Rgb32FImage, PipelineError> {
    let (pw, ph) = pixels.dimensions();
    let (uw, uh) = orientation.upright_size(pw, ph);
    let (fw, fh) = edited_size(uw, uh, recipe);
    let scale = size.map_or(1.0, |(w, h)| {
        (f64::from(w) / fw).max(f64::from(h) / fh).min(1.0)
    });
    let pixels = if scale < 0.999 {
        let dimension = |v: u32| ((f64::from(v) * scale).ceil() as u32).max(1);
        Cow::Owned(resize_linear(&pixels, dimension(pw), dimension(ph))?)
    } else {
        pixels
    };
    let mut image = frame(pixels, orientation, recipe);
    if let Some((w, h)) = size {
        let (w, h) = (w.min(image.width()), h.min(image.height()));
        let (extra_w, extra_h) = (image.width() - w, image.height() - h);
        if extra_w <= 2 && extra_h <= 2 {
            // Rounding left a pixel or two: trim them from the centre
            // rather than resample the whole picture.
            if (extra_w, extra_h) != (0, 0) {
                image =
                    image::imageops::crop_imm(&image, extra_w / 2, extra_h / 2, w, h).to_image();
            }
        } else {
            image = resize_linear(&image, w, h)?;
        }
    }
    colour.to_linear_srgb(&mut image, recipe);
    apply_tone(&mut image, recipe);
    encode_in_place(&mut image);
    Ok(image)
}

/// Renders `specs` of `original` as `recipe` edits it. An identity recipe
/// renders exactly as [`crate::render`] does.
pub fn render_edited(
    original: &[u8],
    specs: &[RenditionSpec],
    recipe: &EditRecipe,
    limits: &Limits,
    shrink: ShrinkOnLoad,
) -> Result<Vec<Rendered>, PipelineError> {
    if recipe.is_identity() {
        return crate::render(original, specs, limits, shrink);
    }
    use crate::timings::{Stage, timed};
    let copy = timed(Stage::Decode, || {
        WorkingCopy::decode(original, recipe, Some(specs), limits, shrink)
    })?;
    timed(Stage::Edit, || copy.render(recipe, specs, Some(original)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::jpeg;
    use image::ImageEncoder;

    fn recipe(json: &str) -> EditRecipe {
        EditRecipe::from_json(json.as_bytes()).unwrap()
    }

    fn specs(list: &[&str]) -> Vec<RenditionSpec> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn edited(original: &[u8], spec: &str, json: &str) -> image::RgbImage {
        let out = render_edited(
            original,
            &specs(&[spec]),
            &recipe(json),
            &Limits::default(),
            ShrinkOnLoad::Fast,
        )
        .unwrap();
        image::load_from_memory(&out[0].bytes).unwrap().to_rgb8()
    }

    fn mean(image: &image::RgbImage, channel: usize) -> f64 {
        image.pixels().map(|p| f64::from(p[channel])).sum::<f64>()
            / f64::from(image.width() * image.height())
    }

    #[test]
    fn an_identity_recipe_renders_the_unedited_bytes() {
        let original = jpeg(900, 600);
        let list = RenditionSpec::defaults();
        let plain =
            crate::render(&original, &list, &Limits::default(), ShrinkOnLoad::Fast).unwrap();
        let same = render_edited(
            &original,
            &list,
            &recipe(r#"{"exposure": 0, "crop": {"x": 0, "y": 0, "width": 1, "height": 1}}"#),
            &Limits::default(),
            ShrinkOnLoad::Fast,
        )
        .unwrap();
        for (a, b) in plain.iter().zip(&same) {
            assert_eq!(a.bytes, b.bytes, "{}", a.spec.name());
        }
    }

    #[test]
    fn every_geometry_operation_reaches_the_renditions() {
        // The fixture's red grows left to right, green top to bottom.
        let original = jpeg(1200, 800);
        let left_half = edited(
            &original,
            "p:600",
            r#"{"crop": {"x": 0, "y": 0, "width": 0.5, "height": 1}}"#,
        );
        // 600 × 800 of the original, inside a 600 px box.
        assert_eq!(left_half.dimensions(), (450, 600));
        assert!(left_half.pixels().all(|p| p[0] < 135), "only the left half");
        let turned = edited(&original, "p:600", r#"{"rotate": 90}"#);
        assert_eq!(turned.dimensions(), (400, 600));
        // Clockwise: the bottom edge (most green) is now on the left.
        assert!(turned.get_pixel(5, 300)[1] > turned.get_pixel(395, 300)[1] + 150);
        let flipped = edited(&original, "p:600", r#"{"flip_horizontal": true}"#);
        assert!(flipped.get_pixel(5, 200)[0] > flipped.get_pixel(595, 200)[0] + 150);
        let straight = edited(&original, "p:600", r#"{"straighten": 10}"#);
        // Same shape, the whole frame covered (no black corners).
        assert_eq!(straight.dimensions(), (600, 400));
        assert!(straight.get_pixel(0, 0)[1] > 10 || straight.get_pixel(0, 0)[0] > 10);
    }

    #[test]
    fn tone_and_colour_reach_the_renditions() {
        let original = jpeg(600, 400);
        let base = edited(&original, "p:300", r#"{"sharpening": {"amount": 0.001}}"#);
        let brighter = edited(&original, "p:300", r#"{"exposure": 1}"#);
        assert!(
            mean(&brighter, 2) > mean(&base, 2) * 1.25,
            "blue 90 → about 124"
        );
        let grey = edited(&original, "p:300", r#"{"monochrome": {}}"#);
        assert!(grey.pixels().all(|p| p[0] == p[1] && p[1] == p[2]));
        let vignette = edited(&original, "p:300", r#"{"vignette": {"amount": -100}}"#);
        // 1.5 stops down at the corner: sRGB 90 becomes about 53.
        assert!(vignette.get_pixel(0, 0)[2] < base.get_pixel(0, 0)[2] * 2 / 3);
        let cooler = edited(
            &original,
            "p:300",
            r#"{"white_balance": {"temperature": 3000}}"#,
        );
        assert!(mean(&cooler, 2) > mean(&base, 2) + 20.0);
        assert!(mean(&cooler, 0) < mean(&base, 0) - 5.0);
    }

    #[test]
    fn every_operation_shows_in_the_renditions() {
        let original = jpeg(600, 400);
        let base = edited(&original, "p:300", r#"{"sharpening": {"amount": 0.001}}"#);
        for json in [
            r#"{"rotate": 180}"#,
            r#"{"flip_vertical": true}"#,
            r#"{"straighten": 5}"#,
            r#"{"crop": {"x": 0.2, "y": 0.2, "width": 0.8, "height": 0.8, "aspect": "3:2"}}"#,
            r#"{"white_balance": {"temperature": 9000, "tint": 30}}"#,
            r#"{"exposure": -0.7}"#,
            r#"{"whites": 40}"#,
            r#"{"blacks": -60}"#,
            r#"{"highlights": -80}"#,
            r#"{"shadows": 80}"#,
            r#"{"contrast": 60}"#,
            r#"{"saturation": -60}"#,
            r#"{"vibrance": 80}"#,
            r#"{"monochrome": {"red": 100, "green": 0, "blue": 0}}"#,
            r#"{"vignette": {"amount": 60, "midpoint": 20}}"#,
        ] {
            let out = edited(&original, "p:300", json);
            let changed = if out.dimensions() == base.dimensions() {
                out.pixels()
                    .zip(base.pixels())
                    .map(|(a, b)| (0..3).map(|c| u32::from(a[c].abs_diff(b[c]))).sum::<u32>())
                    .sum::<u32>() as f64
                    / f64::from(out.width() * out.height() * 3)
            } else {
                f64::INFINITY
            };
            assert!(changed > 0.5, "{json}: mean change {changed:.2} levels");
        }
        // Sharpening shows where there are edges: a checkerboard's.
        let checks = image::RgbImage::from_fn(600, 400, |x, y| {
            image::Rgb([if (x / 12 + y / 12) % 2 == 0 { 60 } else { 190 }; 3])
        });
        let mut board = Vec::new();
        image::codecs::png::PngEncoder::new(&mut board)
            .write_image(checks.as_raw(), 600, 400, image::ExtendedColorType::Rgb8)
            .unwrap();
        let soft = edited(&board, "p:300", r#"{"sharpening": {"amount": 0.001}}"#);
        let crisp = edited(
            &board,
            "p:300",
            r#"{"sharpening": {"amount": 150, "radius": 1}}"#,
        );
        let spread = |i: &image::RgbImage| {
            let (lo, hi) = i
                .pixels()
                .fold((255, 0), |(lo, hi), p| (p[0].min(lo), p[0].max(hi)));
            hi - lo
        };
        assert!(
            spread(&crisp) > spread(&soft) + 20,
            "{} vs {}",
            spread(&crisp),
            spread(&soft)
        );
    }

    #[test]
    fn working_copies_cross_a_process_boundary_intact() {
        let original = jpeg(800, 600);
        let r = recipe(r#"{"exposure": 0.3}"#);
        let copy = WorkingCopy::decode(
            &original,
            &r,
            Some(&specs(&["p:400"])),
            &Limits::default(),
            ShrinkOnLoad::Fast,
        )
        .unwrap();
        assert!(
            copy.pixels.width() <= 400 + 1,
            "decoded no larger than needed"
        );
        let back = WorkingCopy::from_bytes(&copy.to_bytes()).unwrap();
        assert_eq!(back.pixels, copy.pixels);
        assert_eq!(back.colour, copy.colour);
        let a = copy.render(&r, &specs(&["p:300"]), None).unwrap();
        let b = back.render(&r, &specs(&["p:300"]), None).unwrap();
        assert_eq!(a[0].bytes, b[0].bytes);
        assert!(WorkingCopy::from_bytes(b"{}\n").is_err());
        assert!(WorkingCopy::from_bytes(&copy.to_bytes()[..100]).is_err());
    }
}
