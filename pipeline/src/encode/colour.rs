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
        let mut profile = ColorProfile::new_srgb()
            .encode()
            .expect("invariant: moxcms encodes its own sRGB profile");
        fix_header(&mut profile);
        align_tags(&profile)
    })
}

/// The profile with each tag's data starting on a 4-byte boundary, as
/// ICC.1 §7.3.1 requires: moxcms packs the copyright tag unaligned, and
/// libvips (lcms) then refuses the profile. Tags sharing data keep sharing it.
fn align_tags(profile: &[u8]) -> Vec<u8> {
    let be32 = |at: usize| u32::from_be_bytes(profile[at..at + 4].try_into().unwrap()) as usize;
    let count = be32(128);
    let table_end = 132 + 12 * count;
    let mut out = profile[..table_end].to_vec();
    // (old offset, new offset) of data already copied.
    let mut moved: Vec<(usize, usize)> = Vec::with_capacity(count);
    for entry in (132..table_end).step_by(12) {
        let (offset, size) = (be32(entry + 4), be32(entry + 8));
        let new_offset = match moved.iter().find(|(old, _)| *old == offset) {
            Some(&(_, new)) => new,
            None => {
                out.resize(out.len().next_multiple_of(4), 0);
                let new = out.len();
                out.extend_from_slice(&profile[offset..offset + size]);
                moved.push((offset, new));
                new
            }
        };
        out[entry + 4..entry + 8].copy_from_slice(&(new_offset as u32).to_be_bytes());
    }
    out.resize(out.len().next_multiple_of(4), 0);
    let size = out.len() as u32;
    out[..4].copy_from_slice(&size.to_be_bytes());
    out
}

/// moxcms stamps its profiles with the time they were made, which would make
/// the same rendition's bytes differ from one day to the next (renditions are
/// content-addressed), and writes a PCS illuminant a little off D50, for
/// which libvips (lcms) calls the profile bad and drops it. Both are fixed
/// here, in the header (ICC.1:2022 §7.2), which no checksum covers (the
/// profile ID is left zero, "not computed").
fn fix_header(profile: &mut [u8]) {
    // Creation date: 2024-01-01 00:00:00, six big-endian u16s at byte 24.
    const CREATED: [u16; 6] = [2024, 1, 1, 0, 0, 0];
    for (i, part) in CREATED.iter().enumerate() {
        profile[24 + 2 * i..26 + 2 * i].copy_from_slice(&part.to_be_bytes());
    }
    // The PCS illuminant, exactly the D50 the spec requires, as s15Fixed16.
    const D50: [u32; 3] = [0x0000_F6D6, 0x0001_0000, 0x0000_D32D];
    for (i, v) in D50.iter().enumerate() {
        profile[68 + 4 * i..72 + 4 * i].copy_from_slice(&v.to_be_bytes());
    }
}

/// Converts `image` in place from the space `icc` describes to sRGB. RGB only:
/// greyscale stays as it is, and so do pixels whose profile cannot be used
/// (then the reason comes back, for a warning; the rendition still renders).
pub(crate) fn convert_to_srgb(icc: &[u8], image: &mut DynamicImage) -> Result<(), String> {
    if !matches!(
        image,
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgb16(_)
    ) {
        return Ok(());
    }
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
    let srgb = ColorProfile::new_srgb();
    let failed = |e: moxcms::CmsError| format!("ICC profile: {e}");
    match image {
        DynamicImage::ImageRgb8(rgb) => {
            let transform = source
                .create_transform_8bit(Layout::Rgb, &srgb, Layout::Rgb, options)
                .map_err(failed)?;
            let input = rgb.as_raw().clone();
            transform.transform(&input, rgb).map_err(failed)
        }
        DynamicImage::ImageRgb16(rgb) => {
            let transform = source
                .create_transform_16bit(Layout::Rgb, &srgb, Layout::Rgb, options)
                .map_err(failed)?;
            let input = rgb.as_raw().clone();
            transform.transform(&input, rgb).map_err(failed)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_srgb_tag_is_dated_once_for_all_and_its_illuminant_is_d50() {
        let profile = srgb_profile();
        assert_eq!(&profile[24..36], &[7, 232, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            &profile[68..80],
            &[0, 0, 0xF6, 0xD6, 0, 1, 0, 0, 0, 0, 0xD3, 0x2D]
        );
        // Every tag's data on a 4-byte boundary.
        let count = u32::from_be_bytes(profile[128..132].try_into().unwrap()) as usize;
        for entry in (132..132 + 12 * count).step_by(12) {
            let offset = u32::from_be_bytes(profile[entry + 4..entry + 8].try_into().unwrap());
            assert_eq!(offset % 4, 0, "tag at {entry}");
        }
        assert_eq!(
            u32::from_be_bytes(profile[..4].try_into().unwrap()) as usize,
            profile.len()
        );
        // Still a profile moxcms reads as sRGB: converting sRGB to it is a no-op.
        let mut image =
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(2, 2, image::Rgb([200, 30, 90])));
        convert_to_srgb(profile, &mut image).unwrap();
        let px = image.to_rgb8().get_pixel(0, 0).0;
        assert!(
            px.iter()
                .zip([200, 30, 90])
                .all(|(a, b)| a.abs_diff(b) <= 1),
            "{px:?}"
        );
    }

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
