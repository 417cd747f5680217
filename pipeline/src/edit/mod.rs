//! Non-destructive editing: an [`EditRecipe`] applied to an original's
//! pixels, never to the original.
//!
//! The operations run in this fixed order (documented for users in
//! `docs/edit-recipe.md`):
//!
//! 1. **Decode** into linear light, f32: a rendered file (JPEG, PNG…) is
//!    decoded (shrunk on load as far as the outputs allow), converted to
//!    sRGB from its ICC profile and linearised; a camera RAW is kept as
//!    linear camera data, not yet white-balanced (see [`WorkingCopy`]).
//! 2. **Geometry**: EXIF orientation, quarter turns, flips, straighten (with
//!    its automatic crop), crop — in proportions of the frame.
//! 3. **Resize** to the largest output, in linear light.
//! 4. **White balance**: for a RAW, channel multipliers on the camera data
//!    and then the camera's matrix to sRGB; for a rendered file, a Bradford
//!    adaptation in linear sRGB.
//! 5. **Tone and colour** in linear light: exposure, whites and blacks,
//!    the tone curve (shadows, highlights, contrast), saturation and
//!    vibrance, monochrome, vignette.
//! 6. **Output**: the sRGB curve; then, for each output from the largest,
//!    resize, sharpen at that size, quantise, encode.
//!
//! A recipe that changes nothing ([`EditRecipe::is_identity`]) is not run at
//! all: the renditions are those of the unedited photo, byte for byte.

mod develop;
mod export;
mod geometry;
mod light;
mod recipe;
mod sharpen;
mod tiff_stream;
mod tone;
mod white_balance;
mod working_copy;

pub use develop::render_edited;
pub use export::{ExportFormat, ExportHead, Exported, export};
pub use light::to_linear;
pub use working_copy::{MAX_FULL_SIZE_EDIT_PIXELS, WorkingColour, WorkingCopy};
pub(crate) use {light::quantise_8, sharpen::sharpen};
// For the test fixtures (src/testing.rs).
pub use recipe::{
    Crop, EditRecipe, InvalidRecipe, Monochrome, RECIPE_VERSION, Sharpening, Vignette, WhiteBalance,
};
#[cfg(any(test, feature = "testing"))]
pub(crate) use {light::linear_to_srgb, light::srgb_to_linear, white_balance::XYZ_TO_SRGB};

/// A 3×3 colour matrix, rows by columns.
pub type Matrix3 = [[f32; 3]; 3];

/// The white of a light of `kelvin` and `tint`, in linear sRGB with green
/// 1: how a camera with sRGB primaries records a grey card under it (for
/// test fixtures).
#[cfg(any(test, feature = "testing"))]
pub(crate) fn light_in_linear_srgb(kelvin: f32, tint: f32) -> [f32; 3] {
    let xyz = white_balance::light_xyz(kelvin, tint);
    let m = white_balance::XYZ_TO_SRGB;
    let rgb = [0, 1, 2].map(|i| (0..3).map(|k| f64::from(m[i][k]) * xyz[k]).sum::<f64>());
    rgb.map(|v| (v / rgb[1]) as f32)
}

/// The camera channel multipliers that neutralise `white_balance`'s light.
pub fn camera_multipliers(
    xyz_to_camera: &Matrix3,
    white_balance: &WhiteBalance,
) -> Option<[f32; 3]> {
    white_balance::camera_multipliers(xyz_to_camera, white_balance.temperature, white_balance.tint)
}
