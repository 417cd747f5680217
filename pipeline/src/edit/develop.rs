//! From an original and a recipe to renditions, previews and exports.

use std::borrow::Cow;

use image::{DynamicImage, Rgb32FImage};
use serde::{Deserialize, Serialize};

use super::geometry::{edited_size, frame};
use super::light::{encode_in_place, quantise_8, to_linear};
use super::recipe::{EditRecipe, WhiteBalance};
use super::sharpen::sharpen;
use super::tiff_stream::{tiff16_length, write_tiff16};
use super::tone::apply_tone;
use super::white_balance::rendered_correction;
use super::{Matrix3, camera_multipliers};
use crate::decode::{Decoded, decode};
use crate::encode::colour::convert_to_srgb;
use crate::encode::{encode, encode_jpeg};
use crate::metadata::kept_exif::{KeptExif, kept_exif};
use crate::render::Placement;
use crate::resize::{resize, resize_linear, shrunk_to_long_edge};
use crate::spec::{KeepMetadata, RenditionSpec};
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
    fn to_linear_srgb(&self, image: &mut Rgb32FImage, recipe: &EditRecipe) {
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
    pixels: Rgb32FImage,
    orientation: Orientation,
    colour: WorkingColour,
    source_width: u32,
    source_height: u32,
    warning: Option<String>,
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
        if !format.can_render() {
            return Err(PipelineError::NoDecoder(format));
        }
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
        let mut source = DynamicImage::ImageRgb32F(finished);
        let mut exif_blocks = KeptExif::of(original);
        let mut out = Vec::with_capacity(specs.len());
        for (spec, placement) in plan {
            let (w, h) = placement.resized;
            let (w, h) = (w.min(source.width()), h.min(source.height()));
            if (w, h) != (source.width(), source.height()) {
                source = resize(&source, w, h)?;
            }
            let mut framed = placement
                .crop(&source)
                .unwrap_or_else(|| source.clone())
                .into_rgb32f();
            if let Some(sharpening) = &recipe.sharpening {
                sharpen(&mut framed, sharpening);
            }
            let eight_bit = quantise_8(&framed);
            let bytes = encode(&eight_bit, spec, exif_blocks.get(spec.keep()))?;
            out.push(Rendered {
                spec: spec.clone(),
                bytes,
                width: eight_bit.width(),
                height: eight_bit.height(),
                source_width: self.source_width,
                source_height: self.source_height,
                decode_warning: self.warning.clone(),
            });
        }
        Ok(out)
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

    /// The edited picture at this copy's full size (decode it with no specs
    /// for a full-resolution export), encoded as `format`. `original` is read
    /// for the EXIF a JPEG keeps.
    pub fn export(
        self,
        recipe: &EditRecipe,
        format: ExportFormat,
        original: Option<&[u8]>,
    ) -> Result<Exported, PipelineError> {
        let mut first = None;
        let mut bytes = Vec::new();
        self.export_to(
            recipe,
            format,
            original,
            &mut |head| {
                first = Some(head);
                true
            },
            &mut |chunk| {
                bytes.extend_from_slice(&chunk);
                true
            },
        )?;
        let head = first.ok_or_else(|| PipelineError::Encode("the export sent nothing".into()))?;
        Ok(Exported {
            bytes,
            width: head.width,
            height: head.height,
            decode_warning: head.decode_warning,
        })
    }

    /// [`WorkingCopy::export`] as it is sent: `head` hears the size and the
    /// file's length once the picture is finished (every error comes before
    /// it), then `sink` gets the file a chunk at a time — a TIFF strip by
    /// strip, quantised as it goes. Either returning false stops the export
    /// (the client went away).
    pub fn export_to(
        self,
        recipe: &EditRecipe,
        format: ExportFormat,
        original: Option<&[u8]>,
        head: &mut dyn FnMut(ExportHead) -> bool,
        sink: &mut dyn FnMut(Vec<u8>) -> bool,
    ) -> Result<(), PipelineError> {
        let WorkingCopy {
            pixels,
            orientation,
            colour,
            warning: decode_warning,
            ..
        } = self;
        let mut image = finish(Cow::Owned(pixels), orientation, &colour, recipe, None)?;
        if let Some(sharpening) = &recipe.sharpening {
            sharpen(&mut image, sharpening);
        }
        let (width, height) = image.dimensions();
        let head_of = |length: u64| ExportHead {
            width,
            height,
            length,
            decode_warning: decode_warning.clone(),
        };
        match format {
            ExportFormat::Jpeg { quality } => {
                let exif = original.and_then(|o| kept_exif(o, KeepMetadata::Exif));
                let eight_bit = quantise_8(&image);
                drop(image);
                let bytes = encode_jpeg(&eight_bit, quality.clamp(1, 100), exif.as_deref())?;
                if head(head_of(bytes.len() as u64)) {
                    sink(bytes);
                }
            }
            ExportFormat::Tiff16 => {
                if head(head_of(tiff16_length(width, height))) {
                    write_tiff16(&image, sink)?;
                }
            }
        }
        Ok(())
    }
}

/// Geometry, white balance and tone on a working copy's `pixels`: the
/// edited picture in sRGB-encoded f32, about `size` when given (within a
/// pixel or two: the caller resizes or crops to exact sizes), else whole.
///
/// The pixels are shrunk first, to the scale the output needs, so that
/// turning, straightening and the tone work touch only output-sized pixels
/// (resizing commutes with all of them up to resampling). Owned pixels that
/// no step moves are used as they are (a full-size export copies nothing).
fn finish(
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

/// Full-size export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    /// 8-bit JPEG of this quality (1–100).
    Jpeg {
        /// libjpeg quality.
        quality: u8,
    },
    /// 16-bit RGB TIFF (uncompressed, sRGB profile embedded), for further
    /// work in other software.
    Tiff16,
}

impl ExportFormat {
    /// The media type served.
    pub fn media_type(self) -> &'static str {
        match self {
            ExportFormat::Jpeg { .. } => "image/jpeg",
            ExportFormat::Tiff16 => "image/tiff",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Jpeg { .. } => "jpg",
            ExportFormat::Tiff16 => "tif",
        }
    }
}

/// An exported picture.
#[derive(Clone, Debug)]
pub struct Exported {
    /// The encoded file.
    pub bytes: Vec<u8>,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// What the decoder went past, if anything.
    pub decode_warning: Option<String>,
}

/// Renders `original` with `recipe` at full resolution. The JPEG keeps the
/// camera, exposure and copyright EXIF (never location).
pub fn export(
    original: &[u8],
    recipe: &EditRecipe,
    format: ExportFormat,
    limits: &Limits,
) -> Result<Exported, PipelineError> {
    WorkingCopy::decode(original, recipe, None, limits, ShrinkOnLoad::Exact)?.export(
        recipe,
        format,
        Some(original),
    )
}

/// What an export tells before its bytes.
#[derive(Clone, Debug)]
pub struct ExportHead {
    /// The picture's width.
    pub width: u32,
    /// Its height.
    pub height: u32,
    /// The file's length in bytes.
    pub length: u64,
    /// What the decoder went past, if anything.
    pub decode_warning: Option<String>,
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
    fn exports_are_full_size_in_jpeg_and_sixteen_bit_tiff() {
        let original = jpeg(640, 480);
        let r = recipe(
            r#"{"crop": {"x": 0.25, "y": 0.25, "width": 0.5, "height": 0.5}, "exposure": 0.5}"#,
        );
        let jpeg = export(
            &original,
            &r,
            ExportFormat::Jpeg { quality: 90 },
            &Limits::default(),
        )
        .unwrap();
        assert_eq!((jpeg.width, jpeg.height), (320, 240));
        let decoded = image::load_from_memory(&jpeg.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (320, 240));
        let tiff = export(&original, &r, ExportFormat::Tiff16, &Limits::default()).unwrap();
        let decoded = image::load_from_memory(&tiff.bytes).unwrap();
        assert!(matches!(decoded, DynamicImage::ImageRgb16(_)));
        assert_eq!((decoded.width(), decoded.height()), (320, 240));
        // The 16 bits are used: an 8-bit picture stretched to 16 bits would
        // hold multiples of 257 only.
        assert!(decoded.to_rgb16().pixels().any(|p| p[0] % 257 != 0));
    }

    #[test]
    fn a_full_size_export_larger_than_its_limit_is_refused_from_the_header() {
        // A JPEG whose header claims 12 000 × 11 000 (132 MP): within the
        // upload limits, over the full-size editing one.
        let mut bytes = jpeg(16, 16);
        let sof = bytes.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        bytes[sof + 5..sof + 7].copy_from_slice(&11_000u16.to_be_bytes());
        bytes[sof + 7..sof + 9].copy_from_slice(&12_000u16.to_be_bytes());
        let err = export(
            &bytes,
            &EditRecipe::default(),
            ExportFormat::Tiff16,
            &Limits::default(),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                PipelineError::LimitExceeded {
                    limit: MAX_FULL_SIZE_EDIT_PIXELS,
                    actual: 132_000_000,
                    ..
                }
            ),
            "{err}"
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
