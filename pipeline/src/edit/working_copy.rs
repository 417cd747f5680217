//! The working copy: an original decoded once for editing (linear f32, no
//! larger than its outputs need), rendered again for every change of the
//! recipe, and carried across the helper's process boundary.

use std::borrow::Cow;

use image::{DynamicImage, Rgb32FImage};
use serde::{Deserialize, Serialize};

use super::develop::finish;
use super::geometry::edited_size;
use super::light::to_linear;
use super::recipe::{EditRecipe, WhiteBalance};
use super::white_balance::rendered_correction;
use super::{Matrix3, camera_multipliers};
use crate::decode::{Decoded, decode};
use crate::encode::colour::convert_to_srgb;
use crate::render::{Finishing, Placement, finish_renditions};
use crate::resize::{resize, shrunk_to_long_edge};
use crate::spec::RenditionSpec;
use crate::{Limits, Orientation, PipelineError, Rendered, ShrinkOnLoad, guard, sniff};

/// The largest picture edited at full size (an export): 120 MP is about
/// 1.4 GB of f32 pixels.
pub const MAX_FULL_SIZE_EDIT_PIXELS: u64 = 120_000_000;

/// What the working copy's numbers mean.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkingColour {
    /// Linear sRGB as a camera or program rendered it, already balanced:
    /// the recipe's white balance is a relative correction.
    Rendered,
    /// Linear sRGB developed from a RAW with this white balance (the
    /// camera's when `None`) applied to the raw data.
    Developed {
        /// The white balance set on the raw data (`None`: the camera's).
        white_balance: Option<WhiteBalance>,
    },
    /// Linear camera RGB from a RAW, not yet balanced.
    Camera {
        /// CIE XYZ → camera RGB (see [`crate::external::CameraMatrices`]).
        xyz_to_camera: Matrix3,
        /// White-balanced camera RGB → linear sRGB.
        camera_to_srgb: Matrix3,
        /// The camera's as-shot white balance multipliers.
        as_shot: [f32; 3],
    },
}

impl WorkingColour {
    /// Turns working pixels into balanced linear sRGB.
    pub(super) fn to_linear_srgb(&self, image: &mut Rgb32FImage, recipe: &EditRecipe) {
        match self {
            WorkingColour::Rendered => {
                if let Some(wb) = &recipe.white_balance {
                    let m = rendered_correction(wb.temperature, wb.tint);
                    for p in image.pixels_mut() {
                        let [r, g, b] = p.0;
                        p.0 = [0, 1, 2].map(|i| m[i][0] * r + m[i][1] * g + m[i][2] * b);
                    }
                }
            }
            WorkingColour::Developed { .. } => {}
            WorkingColour::Camera {
                xyz_to_camera,
                camera_to_srgb,
                as_shot,
            } => {
                let multipliers = recipe
                    .white_balance
                    .as_ref()
                    .and_then(|wb| camera_multipliers(xyz_to_camera, wb))
                    .unwrap_or(*as_shot);
                for p in image.pixels_mut() {
                    p.0 =
                        crate::decode::raw::camera_to_linear_srgb(p.0, multipliers, camera_to_srgb);
                }
            }
        }
    }
}

/// An original decoded for editing: linear f32 pixels in stored
/// orientation, as large as the outputs it was decoded for need. Made once
/// when a photo is opened for editing and kept (see the workers' preview
/// cache), so that each slider move costs the recipe, not a decode.
#[derive(Clone, Debug)]
pub struct WorkingCopy {
    pub(super) pixels: Rgb32FImage,
    pub(super) orientation: Orientation,
    pub(super) colour: WorkingColour,
    pub(super) source_width: u32,
    pub(super) source_height: u32,
    pub(super) warning: Option<String>,
}

/// The working copy's header when it crosses a process boundary.
#[derive(Serialize, Deserialize)]
struct WireHeader {
    width: u32,
    height: u32,
    orientation: u16,
    colour: WorkingColour,
    source_width: u32,
    source_height: u32,
    warning: Option<String>,
}

/// How large to decode: the long edge, in stored pixels, that gives every
/// output its size after the recipe's geometry; the stored size itself for
/// `None` (a full-size export).
fn needed_source_edge(
    specs: Option<&[RenditionSpec]>,
    recipe: &EditRecipe,
    width: u32,
    height: u32,
    orientation: Orientation,
) -> u32 {
    let long = width.max(height);
    let Some(specs) = specs else {
        return long;
    };
    let (uw, uh) = orientation.upright_size(width, height);
    let (fw, fh) = edited_size(uw, uh, recipe);
    let largest = specs
        .iter()
        .map(|s| Placement::of(s, fw.round() as u32, fh.round() as u32, Orientation::Normal))
        .map(|p| p.resized.0.max(p.resized.1))
        .max()
        .unwrap_or(1);
    let scale = f64::from(largest) / fw.max(fh);
    ((scale * f64::from(long)).ceil() as u32).clamp(1, long)
}

impl WorkingCopy {
    /// A working copy of `pixels` (linear, in stored orientation) of an
    /// original whose developed size was `source_width × source_height`.
    pub fn new(
        pixels: Rgb32FImage,
        orientation: Orientation,
        colour: WorkingColour,
        (source_width, source_height): (u32, u32),
    ) -> Self {
        WorkingCopy {
            pixels,
            orientation,
            colour,
            source_width,
            source_height,
            warning: None,
        }
    }

    /// Whether the copy holds camera data not yet white-balanced, so that
    /// any white balance can be applied to it without decoding again.
    pub fn holds_camera_data(&self) -> bool {
        matches!(self.colour, WorkingColour::Camera { .. })
    }

    /// Decodes `original` for outputs as large as `specs` need after
    /// `recipe`'s geometry, or at full size for `None`. A RAW's white
    /// balance can change later without decoding again unless the RAW had
    /// to be developed at full size (see [`WorkingCopy::serves`]).
    pub fn decode(
        original: &[u8],
        recipe: &EditRecipe,
        specs: Option<&[RenditionSpec]>,
        limits: &Limits,
        shrink: ShrinkOnLoad,
    ) -> Result<Self, PipelineError> {
        let format = sniff(original)
            .ok_or_else(|| PipelineError::UnsupportedType("unrecognised file".to_string()))?;
        // Full size in f32 is 12 bytes a pixel, and an edit holds a copy or
        // two: refused from the header, before the memory is spent.
        let full_size = Limits {
            max_pixels: limits.max_pixels.min(MAX_FULL_SIZE_EDIT_PIXELS),
            ..*limits
        };
        let limits = if specs.is_none() { &full_size } else { limits };
        guard(format, || {
            let needed =
                |w: u32, h: u32, o: Orientation| needed_source_edge(specs, recipe, w, h, o);
            if format.is_camera_raw() {
                return crate::external::installed(format)?.decode_raw_for_edit(
                    format,
                    original,
                    limits,
                    &needed,
                    recipe.white_balance.as_ref(),
                );
            }
            let decoded = decode(format, original, limits, &needed, shrink)?;
            Self::from_decoded(decoded, &needed)
        })
    }

    /// Shrinks decoded pixels to what is needed (in their own encoding, as
    /// unedited renditions are), converts them to sRGB and linearises them.
    fn from_decoded(
        decoded: Decoded,
        needed: &dyn Fn(u32, u32, Orientation) -> u32,
    ) -> Result<Self, PipelineError> {
        let Decoded {
            mut image,
            orientation,
            source_width,
            source_height,
            mut warning,
            icc,
        } = decoded;
        let target = needed(source_width, source_height, orientation);
        if let Some((w, h)) = shrunk_to_long_edge(image.width(), image.height(), target) {
            image = resize(&image, w, h)?;
        }
        if let Some(profile) = icc
            && let Err(e) = convert_to_srgb(&profile, &mut image)
        {
            warning.get_or_insert(e);
        }
        Ok(WorkingCopy {
            pixels: to_linear(&image),
            orientation,
            colour: WorkingColour::Rendered,
            source_width,
            source_height,
            warning,
        })
    }

    /// False when this copy cannot show `recipe`: a RAW developed at full
    /// size carries the white balance it was developed with.
    pub fn serves(&self, recipe: &EditRecipe) -> bool {
        match &self.colour {
            WorkingColour::Developed { white_balance } => *white_balance == recipe.white_balance,
            _ => true,
        }
    }

    /// Bytes of pixels held (for a cache's budget).
    pub fn memory_bytes(&self) -> usize {
        self.pixels.as_raw().len() * std::mem::size_of::<f32>()
    }

    /// Renders `specs` from this copy with `recipe`. `original` is read for
    /// the EXIF that specs keep (none when `None`).
    pub fn render(
        &self,
        recipe: &EditRecipe,
        specs: &[RenditionSpec],
        original: Option<&[u8]>,
    ) -> Result<Vec<Rendered>, PipelineError> {
        let (uw, uh) = self
            .orientation
            .upright_size(self.source_width, self.source_height);
        let (fw, fh) = edited_size(uw, uh, recipe);
        let plan = Placement::plan(
            specs,
            fw.round() as u32,
            fh.round() as u32,
            Orientation::Normal,
        );
        let Some((_, largest)) = plan.first() else {
            return Ok(Vec::new());
        };
        let finished = finish(
            Cow::Borrowed(&self.pixels),
            self.orientation,
            &self.colour,
            recipe,
            Some(largest.resized),
        )?;
        // Turned upright, converted and tone-mapped by the edit: what is
        // left is each rendition's size, crop, sharpening and encoding.
        let finishing = Finishing {
            orientation: Orientation::Normal,
            icc: None,
            sharpening: recipe.sharpening.as_ref(),
            original,
            source_size: (self.source_width, self.source_height),
            warning: self.warning.clone(),
        };
        finish_renditions(DynamicImage::ImageRgb32F(finished), plan, finishing)
    }

    /// The copy as bytes, to cross from the RAW helper process: a JSON
    /// header line, then the pixels as little-endian f32.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = WireHeader {
            width: self.pixels.width(),
            height: self.pixels.height(),
            orientation: self.orientation.to_exif(),
            colour: self.colour.clone(),
            source_width: self.source_width,
            source_height: self.source_height,
            warning: self.warning.clone(),
        };
        let mut out = serde_json::to_vec(&header).expect("invariant: headers serialise");
        out.push(b'\n');
        out.reserve(self.memory_bytes());
        for v in self.pixels.as_raw() {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Reads [`WorkingCopy::to_bytes`]' output back.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PipelineError> {
        let broken = |why: &str| PipelineError::Encode(format!("working copy: {why}"));
        let line_end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| broken("no header"))?;
        let header: WireHeader =
            serde_json::from_slice(&bytes[..line_end]).map_err(|e| broken(&e.to_string()))?;
        let body = &bytes[line_end + 1..];
        let expected = u64::from(header.width) * u64::from(header.height) * 12;
        if body.len() as u64 != expected {
            return Err(broken("pixel data of the wrong length"));
        }
        let values = body
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let pixels = Rgb32FImage::from_raw(header.width, header.height, values)
            .ok_or_else(|| broken("pixel data of the wrong length"))?;
        Ok(WorkingCopy {
            pixels,
            orientation: Orientation::from_exif(header.orientation),
            colour: header.colour,
            source_width: header.source_width,
            source_height: header.source_height,
            warning: header.warning,
        })
    }

    /// True when this copy has the pixels `specs` need after `recipe`'s
    /// geometry (a tight crop needs more of them) and can show its white
    /// balance.
    pub fn covers(&self, recipe: &EditRecipe, specs: &[RenditionSpec]) -> bool {
        let needed = needed_source_edge(
            Some(specs),
            recipe,
            self.source_width,
            self.source_height,
            self.orientation,
        );
        let have = self.pixels.width().max(self.pixels.height());
        let full = self.source_width.max(self.source_height);
        self.serves(recipe) && (have >= needed || have >= full)
    }
}
