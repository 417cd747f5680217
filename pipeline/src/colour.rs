//! Colour management: pixels in an ICC-tagged space (Display P3, Adobe RGB,
//! ProPhoto…) are converted to sRGB, the space every browser assumes for an
//! untagged rendition. Done after the resize, on rendition-sized pixels, as
//! libvips' thumbnail does: a few milliseconds instead of a pass over 24 MP.

use std::sync::OnceLock;

use image::DynamicImage;
use moxcms::{ColorProfile, DataColorSpace, Layout, RenderingIntent, TransformOptions};

/// The sRGB profile every RGB rendition is tagged with (612 bytes, "sRGB
/// IEC61966-2.1"), so that colour-managed viewers need not guess.
pub(crate) fn srgb_profile() -> &'static [u8] {
    static PROFILE: OnceLock<Vec<u8>> = OnceLock::new();
    PROFILE.get_or_init(|| {
        ColorProfile::new_srgb()
            .encode()
            .expect("invariant: moxcms encodes its own sRGB profile")
    })
}

/// Converts `image` in place from the space `icc` describes to sRGB. RGB only:
/// greyscale stays as it is, and so do pixels whose profile cannot be used
/// (then the reason comes back, for a warning; the rendition still renders).
pub(crate) fn convert_to_srgb(icc: &[u8], image: &mut DynamicImage) -> Result<(), String> {
    let DynamicImage::ImageRgb8(rgb) = image else {
        return Ok(());
    };
    let source = ColorProfile::new_from_slice(icc).map_err(|e| format!("ICC profile: {e}"))?;
    if source.color_space != DataColorSpace::Rgb {
        return Err(format!(
            "ICC profile is for {:?} pixels, not RGB",
            source.color_space
        ));
    }
    let options = TransformOptions {
        // libvips' default intent for thumbnails.
        rendering_intent: RenderingIntent::RelativeColorimetric,
        ..TransformOptions::default()
    };
    let transform = source
        .create_transform_8bit(Layout::Rgb, &ColorProfile::new_srgb(), Layout::Rgb, options)
        .map_err(|e| format!("ICC profile: {e}"))?;
    let input = rgb.as_raw().clone();
    transform
        .transform(&input, rgb)
        .map_err(|e| format!("ICC transform: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(profile: &ColorProfile, rgb: [u8; 3]) -> [u8; 3] {
        let mut image = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(4, 4, image::Rgb(rgb)));
        convert_to_srgb(&profile.encode().unwrap(), &mut image).unwrap();
        image.to_rgb8().get_pixel(2, 2).0
    }

    #[test]
    fn wide_gamut_primaries_become_their_srgb_equivalents() {
        let p3 = ColorProfile::new_display_p3();
        // P3's pure red lies outside sRGB: clipped to sRGB's own red.
        let red = pixel(&p3, [255, 0, 0]);
        assert!(red[0] == 255 && red[1] < 10 && red[2] < 10, "{red:?}");
        // A P3 mid green is a more saturated sRGB green. (65, 182, 90) worked
        // by hand: decode sRGB's curve, apply the linear P3→sRGB matrix
        // (1.2249 −0.2247 0 / −0.0420 1.0419 0 / −0.0197 −0.0786 1.0979),
        // encode again.
        let green = pixel(&p3, [100, 180, 100]);
        assert!(
            green
                .iter()
                .zip([65, 182, 90])
                .all(|(a, b)| a.abs_diff(b) <= 2),
            "{green:?}"
        );
        // Neutral greys stay neutral.
        let grey = pixel(&p3, [128, 128, 128]);
        assert!(grey.iter().all(|&c| c.abs_diff(128) <= 1), "{grey:?}");
        // Adobe RGB: its mid green is far more saturated than sRGB's.
        let adobe = pixel(&ColorProfile::new_adobe_rgb(), [100, 180, 100]);
        assert!(adobe[0] < 80, "{adobe:?}");
    }

    #[test]
    fn srgb_to_srgb_changes_nothing_that_matters() {
        let same = pixel(&ColorProfile::new_srgb(), [12, 200, 99]);
        assert!(
            same.iter()
                .zip([12, 200, 99])
                .all(|(a, b)| a.abs_diff(b) <= 1),
            "{same:?}"
        );
    }

    #[test]
    fn broken_profiles_are_reported_not_fatal() {
        let mut image = DynamicImage::ImageRgb8(image::RgbImage::new(2, 2));
        assert!(convert_to_srgb(b"not a profile", &mut image).is_err());
        let mut truncated = ColorProfile::new_display_p3().encode().unwrap();
        truncated.truncate(100);
        assert!(convert_to_srgb(&truncated, &mut image).is_err());
    }
}
