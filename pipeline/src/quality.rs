//! How close a rendition is to a reference: the measure the benches
//! (`w1-quality`) and the quality tests share.

use image::RgbImage;

/// Peak signal-to-noise ratio in dB between two images of the same size
/// (infinite for identical pixels). Panics on different sizes: comparing
/// those is a caller's bug, not a measurement.
pub fn psnr(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "PSNR needs equal sizes");
    let squared_error: f64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| (f64::from(*x) - f64::from(*y)).powi(2))
        .sum();
    let mse = squared_error / a.as_raw().len() as f64;
    10.0 * (255.0f64.powi(2) / mse).log10()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_level_off_everywhere_is_48_decibels() {
        let a = RgbImage::from_pixel(4, 4, image::Rgb([100, 100, 100]));
        let b = RgbImage::from_pixel(4, 4, image::Rgb([101, 101, 101]));
        assert!((psnr(&a, &b) - 48.13).abs() < 0.01);
        assert!(psnr(&a, &a).is_infinite());
    }
}
