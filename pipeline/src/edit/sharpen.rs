//! Unsharp mask on the finished (sRGB-encoded) output, on luminance only:
//! each pixel gains `amount` × (its luminance − the blurred luminance),
//! equally in every channel, so edges get crisper without colour fringes.

use image::Rgb32FImage;

use super::recipe::Sharpening;
use super::tone::luminance;

/// Sharpens `image` (sRGB-encoded f32) in place.
pub(crate) fn sharpen(image: &mut Rgb32FImage, sharpening: &Sharpening) {
    let (w, h) = (image.width() as usize, image.height() as usize);
    if w == 0 || h == 0 || sharpening.amount <= 0.0 {
        return;
    }
    let luma: Vec<f32> = image.pixels().map(|p| luminance(p.0)).collect();
    let blurred = gaussian_blur(&luma, w, h, sharpening.radius);
    let amount = sharpening.amount / 100.0;
    for ((pixel, y), b) in image.pixels_mut().zip(&luma).zip(&blurred) {
        let detail = amount * (y - b);
        pixel.0 = pixel.0.map(|v| v + detail);
    }
}

/// A separable Gaussian blur of one plane, edges extended.
fn gaussian_blur(plane: &[f32], w: usize, h: usize, sigma: f32) -> Vec<f32> {
    let radius = (sigma * 3.0).ceil().max(1.0) as isize;
    let mut kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-((i * i) as f32) / (2.0 * sigma * sigma)).exp())
        .collect();
    let total: f32 = kernel.iter().sum();
    kernel.iter_mut().for_each(|k| *k /= total);
    let clamp = |i: isize, len: usize| i.clamp(0, len as isize - 1) as usize;
    let mut across = vec![0.0; plane.len()];
    for y in 0..h {
        let row = &plane[y * w..(y + 1) * w];
        for x in 0..w {
            across[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, weight)| weight * row[clamp(x as isize + k as isize - radius, w)])
                .sum();
        }
    }
    let mut out = vec![0.0; plane.len()];
    for y in 0..h {
        for x in 0..w {
            out[y * w + x] = kernel
                .iter()
                .enumerate()
                .map(|(k, weight)| {
                    weight * across[clamp(y as isize + k as isize - radius, h) * w + x]
                })
                .sum();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn flat_areas_are_left_alone_and_edges_gain_contrast() {
        let flat = Rgb32FImage::from_pixel(20, 20, Rgb([0.3, 0.5, 0.2]));
        let mut out = flat.clone();
        sharpen(
            &mut out,
            &Sharpening {
                amount: 150.0,
                radius: 1.0,
            },
        );
        for (a, b) in out.pixels().zip(flat.pixels()) {
            for i in 0..3 {
                assert!((a.0[i] - b.0[i]).abs() < 1e-5);
            }
        }
        // A step from 0.2 to 0.8: the dark side dips, the bright side
        // overshoots, far from the edge nothing changes.
        let mut step = Rgb32FImage::from_fn(40, 4, |x, _| Rgb([if x < 20 { 0.2 } else { 0.8 }; 3]));
        sharpen(
            &mut step,
            &Sharpening {
                amount: 100.0,
                radius: 1.0,
            },
        );
        assert!(step.get_pixel(19, 1).0[0] < 0.15);
        assert!(step.get_pixel(20, 1).0[0] > 0.85);
        assert!((step.get_pixel(2, 1).0[0] - 0.2).abs() < 1e-5);
        // Grey stays grey: the same detail goes into every channel.
        let p = step.get_pixel(19, 1).0;
        assert!(p[0] == p[1] && p[1] == p[2]);
    }
}
