//! Between sRGB-encoded pixels and linear light, where edits are made in
//! f32. Both directions go through tables: a pow() per channel would cost
//! more than all of an edit's arithmetic.

use std::sync::OnceLock;

use image::{DynamicImage, ImageBuffer, Rgb32FImage};

/// The sRGB curve's inverse: encoded 0..1 → linear 0..1.
pub(crate) fn srgb_to_linear(v: f32) -> f32 {
    if v <= 0.040_45 {
        v / 12.92
    } else {
        ((v + 0.055) / 1.055).powf(2.4)
    }
}

/// The sRGB curve: linear 0..1 → encoded 0..1.
pub(crate) fn linear_to_srgb(v: f32) -> f32 {
    if v <= 0.003_130_8 {
        v * 12.92
    } else {
        1.055 * v.powf(1.0 / 2.4) - 0.055
    }
}

/// Linear values of every 16-bit code (8-bit codes are every 257th).
fn decode_table() -> &'static [f32] {
    static TABLE: OnceLock<Vec<f32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=u16::MAX)
            .map(|code| srgb_to_linear(f32::from(code) / 65535.0))
            .collect()
    })
}

/// The sRGB curve sampled at 65536 evenly spaced linear values (and one
/// more), read with linear interpolation: exact where the curve is linear
/// (the shadows), within 2e-6 elsewhere.
fn encode_table() -> &'static [f32] {
    static TABLE: OnceLock<Vec<f32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        (0..=65536u32)
            .map(|i| linear_to_srgb(i as f32 / 65536.0))
            .collect()
    })
}

/// Encodes one linear value (clamped to 0..1) with the table.
#[inline]
pub(crate) fn encode(v: f32) -> f32 {
    let table = encode_table();
    let x = v.clamp(0.0, 1.0) * 65536.0;
    let i = (x as usize).min(65535);
    let f = x - i as f32;
    table[i] + (table[i + 1] - table[i]) * f
}

/// Pixels (8 or 16 bits, RGB or grey, sRGB-encoded) as linear RGB f32.
pub fn to_linear(image: &DynamicImage) -> Rgb32FImage {
    let table = decode_table();
    let (w, h) = (image.width(), image.height());
    let data: Vec<f32> = match image {
        DynamicImage::ImageRgb8(i) => i
            .as_raw()
            .iter()
            .map(|&c| table[usize::from(c) * 257])
            .collect(),
        DynamicImage::ImageRgb16(i) => i.as_raw().iter().map(|&c| table[usize::from(c)]).collect(),
        DynamicImage::ImageLuma8(i) => i
            .as_raw()
            .iter()
            .flat_map(|&c| [table[usize::from(c) * 257]; 3])
            .collect(),
        DynamicImage::ImageLuma16(i) => i
            .as_raw()
            .iter()
            .flat_map(|&c| [table[usize::from(c)]; 3])
            .collect(),
        DynamicImage::ImageRgb32F(i) => return i.clone(),
        other => other
            .to_rgb16()
            .as_raw()
            .iter()
            .map(|&c| table[usize::from(c)])
            .collect(),
    };
    ImageBuffer::from_raw(w, h, data).expect("invariant: three channels per pixel")
}

/// Linear RGB → sRGB-encoded RGB, in place, clamped to 0..1.
pub(crate) fn encode_in_place(image: &mut Rgb32FImage) {
    for v in image.iter_mut() {
        *v = encode(*v);
    }
}

/// sRGB-encoded f32 (0..1) → 8 bits, rounded.
pub(crate) fn quantise_8(image: &Rgb32FImage) -> DynamicImage {
    let data = image
        .as_raw()
        .iter()
        .map(|v| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8)
        .collect();
    DynamicImage::ImageRgb8(
        ImageBuffer::from_raw(image.width(), image.height(), data).expect("invariant: same size"),
    )
}

/// One sRGB-encoded f32 sample (0..1) as 16 bits, rounded.
#[inline]
pub(crate) fn sample_16(v: f32) -> u16 {
    (v.clamp(0.0, 1.0) * 65535.0 + 0.5) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_agree_with_the_curve() {
        for i in 0..=1000 {
            let v = i as f32 / 1000.0;
            assert!((encode(v) - linear_to_srgb(v)).abs() < 2e-6, "{v}");
        }
        let grey = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(1, 1, image::Rgb([118; 3])));
        let linear = to_linear(&grey).get_pixel(0, 0).0[0];
        assert!((linear - srgb_to_linear(118.0 / 255.0)).abs() < 1e-6);
        let mut round = to_linear(&grey);
        encode_in_place(&mut round);
        assert_eq!(quantise_8(&round).to_rgb8().get_pixel(0, 0).0, [118; 3]);
    }
}
