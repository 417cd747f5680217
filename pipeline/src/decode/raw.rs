//! Camera RAW, as far as the pipeline itself goes: the colour arithmetic
//! that turns white-balanced camera data into linear sRGB.
//!
//! Reading a RAW's sensor data (rawler, LGPL-2.1) is not in this crate: it
//! lives in the `darkroom-helper` executable (`helper/`), which installs it
//! as the [`crate::external`] decoder, so that darkroom's main binary holds
//! no LGPL code. A working copy of a RAW made there holds camera data (see
//! [`crate::edit::WorkingCopy`]); the edits run here, in any process, with
//! the matrices the helper read from the file.

/// A camera's colour matrices, for D65.
#[derive(Clone, Copy, Debug)]
pub struct CameraMatrices {
    /// CIE XYZ → camera RGB: where a light's white lands in camera data.
    pub xyz_to_camera: [[f32; 3]; 3],
    /// White-balanced camera RGB → linear sRGB.
    pub camera_to_srgb: [[f32; 3]; 3],
}

/// One pixel of camera data to linear sRGB: white balance, the colour
/// matrix, highlight clipping that keeps hue.
#[inline]
pub fn camera_to_linear_srgb(
    camera: [f32; 3],
    multipliers: [f32; 3],
    camera_to_srgb: &[[f32; 3]; 3],
) -> [f32; 3] {
    let balanced = [0, 1, 2].map(|i| camera[i] * multipliers[i]);
    let m = camera_to_srgb;
    let srgb =
        [0, 1, 2].map(|i| m[i][0] * balanced[0] + m[i][1] * balanced[1] + m[i][2] * balanced[2]);
    clip_keeping_hue(srgb)
}

/// Highlight clipping as rawler's develop does it (`clip_euclidean_norm_avg`),
/// so that both develops agree: negatives to 0; a colour brighter than 1 in
/// any channel becomes the average of itself scaled down to fit (its hue)
/// and its Euclidean norm (its brightness, as grey).
#[inline]
fn clip_keeping_hue(pixel: [f32; 3]) -> [f32; 3] {
    let pixel = pixel.map(|v| v.max(0.0));
    let brightest = pixel.into_iter().fold(f32::NAN, f32::max);
    if brightest > 1.0 {
        let norm = pixel.iter().map(|v| v * v).sum::<f32>().sqrt() / 3f32.sqrt();
        pixel.map(|v| (v / brightest + norm) / 2.0)
    } else {
        pixel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

    #[test]
    fn camera_data_is_balanced_then_converted_and_highlights_keep_their_hue() {
        let out = camera_to_linear_srgb([0.2, 0.4, 0.1], [2.0, 1.0, 3.0], &IDENTITY);
        assert_eq!(out, [0.4, 0.4, 0.3]);
        assert_eq!(
            camera_to_linear_srgb([-0.5, 0.5, 0.5], [1.0; 3], &IDENTITY),
            [0.0, 0.5, 0.5]
        );
        // Over 1: red stays the largest channel, nothing exceeds the mean of
        // 1 and the norm, and the result is no longer over-bright.
        let [r, g, b] = camera_to_linear_srgb([2.0, 1.0, 0.5], [1.0; 3], &IDENTITY);
        assert!(r > g && g > b, "{r} {g} {b}");
        let norm = (4.0f32 + 1.0 + 0.25).sqrt() / 3f32.sqrt();
        assert!((r - (1.0 + norm) / 2.0).abs() < 1e-6);
        assert!((b - (0.25 + norm) / 2.0).abs() < 1e-6);
    }
}
