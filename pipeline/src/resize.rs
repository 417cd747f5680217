//! Downscaling with fast_image_resize (SIMD convolution, Lanczos3).

use std::cell::RefCell;

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::{DynamicImage, GrayImage, RgbImage};

use crate::{PipelineError, buffers};

thread_local! {
    // A Resizer owns scratch buffers; one per thread avoids reallocating them
    // for every rendition.
    static RESIZER: RefCell<Resizer> = RefCell::new(Resizer::new());
}

/// Resizes to exactly `width × height` (same pixel type as the source).
pub(crate) fn resize(
    src: &DynamicImage,
    width: u32,
    height: u32,
) -> Result<DynamicImage, PipelineError> {
    let channels = usize::from(src.color().bytes_per_pixel());
    let pixels = buffers::take(width as usize * height as usize * channels);
    let mut dst = match src {
        DynamicImage::ImageRgb8(_) => {
            RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8)
        }
        DynamicImage::ImageLuma8(_) => {
            GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8)
        }
        _ => None,
    }
    .unwrap_or_else(|| DynamicImage::new(width, height, src.color()));
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    RESIZER
        .with(|r| r.borrow_mut().resize(src, &mut dst, &options))
        .map_err(|e| PipelineError::Encode(format!("resize: {e}")))?;
    Ok(dst)
}

/// The size of a `width × height` picture shrunk to a long edge of
/// `long_edge`; `None` when it is no larger than that already.
pub fn shrunk_to_long_edge(width: u32, height: u32, long_edge: u32) -> Option<(u32, u32)> {
    let long = width.max(height);
    if long_edge >= long {
        return None;
    }
    let scale = f64::from(long_edge) / f64::from(long);
    let size = |v: u32| ((f64::from(v) * scale).round() as u32).max(1);
    Some((size(width), size(height)))
}

/// Resizes linear-light f32 RGB to exactly `width × height`.
pub fn resize_linear(
    src: &image::Rgb32FImage,
    width: u32,
    height: u32,
) -> Result<image::Rgb32FImage, PipelineError> {
    let mut dst = image::Rgb32FImage::new(width, height);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    RESIZER
        .with(|r| r.borrow_mut().resize(src, &mut dst, &options))
        .map_err(|e| PipelineError::Encode(format!("resize: {e}")))?;
    Ok(dst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resizes_to_exact_size_and_keeps_flat_colour() {
        let src = DynamicImage::ImageRgb8(image::RgbImage::from_pixel(
            300,
            200,
            image::Rgb([10, 200, 30]),
        ));
        let out = resize(&src, 30, 20).unwrap().to_rgb8();
        assert_eq!(out.dimensions(), (30, 20));
        assert_eq!(out.get_pixel(15, 10), &image::Rgb([10, 200, 30]));
    }
}
