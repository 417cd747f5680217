//! Camera RAW: decode with rawler and develop to sRGB pixels.
//!
//! rawler (dnglab's decoder, LGPL-2.1) rather than rawloader: both decode
//! the common cameras, but rawloader reads uncompressed DNGs only through
//! StripOffsets (not tiles, as pidng and many converters write them) and
//! cannot read 14-bit packed data, while rawler read every test DNG:
//! striped and tiled, 12-, 14- and 16-bit
//! (`../shared/research/perf-anchors.md`). rawler also brings a real develop:
//! black and white levels, camera white balance, PPG demosaic, the camera's
//! D65 colour matrix to sRGB, highlight clipping that keeps hue, and the sRGB
//! curve.
//!
//! Both decoders can panic or run away on hostile files, so darkroom calls
//! this only inside this helper process (run by the workers with memory and
//! CPU limits); and rawler's licence keeps it out of the main binary.

use darkroom_pipeline::edit::{WhiteBalance, WorkingCopy};
use darkroom_pipeline::external::{
    CameraMatrices, Decoded, NeededLongEdge, WorkingColour, camera_multipliers,
    camera_to_linear_srgb, into_render_layout, resize_linear, shrunk_to_long_edge, to_linear,
};
use image::{DynamicImage, Rgb32FImage};
use rawler::RawImage;
use rawler::decoders::{RawDecodeParams, WellKnownIFD};
use rawler::imgop::chromatic_adaption::adapt_bradford;
use rawler::imgop::develop::RawDevelop;
use rawler::imgop::matrix::{multiply, normalize, pseudo_inverse, transform_1d};
use rawler::imgop::sensor::bayer::superpixel::Superpixel3Channel;
use rawler::imgop::sensor::{Demosaic, SensorType};
use rawler::imgop::srgb::srgb_apply_gamma_n;
use rawler::imgop::xyz::{Illuminant, SRGB_TO_XYZ_D65};
use rawler::pixarray::PixF32;
use rawler::rawimage::RawPhotometricInterpretation;

use darkroom_pipeline::{Limits, Orientation, PipelineError, SourceFormat};

mod half_size;

/// Decodes and develops a RAW file. The sensor's dimensions are checked
/// against `limits` from a metadata-only pass before its pixels are read.
/// When the largest output is at most half the sensor's size, each 2×2 Bayer
/// quad becomes one pixel (see [`develop_half`]); otherwise, or for sensors
/// that path does not cover, rawler's full develop runs.
pub fn decode_raw(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
    needed_long_edge: NeededLongEdge<'_>,
) -> Result<Decoded, PipelineError> {
    let corrupt = |reason: String| PipelineError::Corrupt { format, reason };
    let OpenedRaw {
        raw,
        orientation,
        half_is_enough,
        ..
    } = open_raw(format, bytes, limits, needed_long_edge)?;
    let image = match half_size_matrix(&raw).filter(|_| half_is_enough) {
        Some(matrices) => {
            let wb = as_shot_multipliers(&raw);
            // In one pass when the mosaic is integers (as cameras write it).
            match half_size::develop(&raw, wb, &matrices.camera_to_srgb) {
                Some(image) => Ok(image),
                None => develop_half(raw, &matrices.camera_to_srgb),
            }
        }
        None => develop_full(&raw),
    }
    .map_err(corrupt)?;
    // Sized from the developed (default-cropped) picture, not the sensor.
    Ok(Decoded::as_decoded(image, orientation, None))
}

/// A RAW's data, read once its dimensions passed the limits.
struct OpenedRaw {
    raw: RawImage,
    orientation: Orientation,
    /// The long edge the largest output needs, in sensor pixels.
    largest: u32,
    /// Whether half the sensor covers the largest output.
    half_is_enough: bool,
}

/// Reads a RAW's header, checks its dimensions against `limits` before
/// reading its pixels, then reads them.
fn open_raw(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
    needed_long_edge: NeededLongEdge<'_>,
) -> Result<OpenedRaw, PipelineError> {
    let corrupt = |reason: String| PipelineError::Corrupt { format, reason };
    let source = crate::original::raw_source(bytes);
    let decoder = rawler::get_decoder(&source).map_err(|e| corrupt(e.to_string()))?;
    let params = RawDecodeParams::default();
    let dimension = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    let from_ifd = (format == SourceFormat::Dng)
        .then(|| dng_dimensions(decoder.as_ref()))
        .flatten();
    let (width, height) = match from_ifd {
        Some(size) => size,
        // rawler's metadata-only pass, which other formats' decoders keep
        // to their headers.
        None => {
            let header = decoder
                .raw_image(&source, &params, true)
                .map_err(|e| corrupt(e.to_string()))?;
            (header.width, header.height)
        }
    };
    let (width, height) = (dimension(width), dimension(height));
    limits.check_dimensions(width, height)?;
    let raw = decoder
        .raw_image(&source, &params, false)
        .map_err(|e| corrupt(e.to_string()))?;
    let orientation = Orientation::from_exif(raw.orientation.to_u16());
    let largest = needed_long_edge(width, height, orientation);
    Ok(OpenedRaw {
        raw,
        orientation,
        largest,
        half_is_enough: u64::from(largest) * 2 <= u64::from(width.max(height)),
    })
}

/// A DNG's sensor size from its raw IFD, read without decoding a pixel.
/// rawler's metadata-only pass (`raw_image` with `dummy`) decodes every
/// pixel of a DNG all the same: the limits would be checked only after the
/// work they guard against, and the pixels decoded twice.
fn dng_dimensions(decoder: &dyn rawler::decoders::Decoder) -> Option<(usize, usize)> {
    use rawler::tags::TiffCommonTag;
    let ifd = decoder.ifd(WellKnownIFD::Raw).ok()??;
    let value = |tag| Some(ifd.get_entry(tag)?.value.force_usize(0));
    let (width, height) = (
        value(TiffCommonTag::ImageWidth)?,
        value(TiffCommonTag::ImageLength)?,
    );
    (width > 0 && height > 0).then_some((width, height))
}

/// rawler's full develop: PPG demosaic at full resolution, in f32.
fn develop_full(raw: &RawImage) -> Result<DynamicImage, String> {
    let developed = RawDevelop::default()
        .develop_intermediate(raw)
        .map_err(|e| e.to_string())?
        .to_dynamic_image()
        .ok_or_else(|| "the develop produced no image".to_string())?;
    // 16-bit from the develop, kept so until the renditions are encoded.
    Ok(into_render_layout(developed))
}

/// The camera-to-sRGB matrix when the half-size develop covers this sensor:
/// RGB Bayer with a three-colour matrix. `None` for X-Trans, four-colour,
/// linear or monochrome files, which the full develop handles.
fn half_size_matrix(raw: &RawImage) -> Option<CameraMatrices> {
    let RawPhotometricInterpretation::Cfa(config) = &raw.photometric else {
        return None;
    };
    if raw.cpp != 1 || !config.cfa.is_rgb() || config.sensor != SensorType::Bayer {
        return None;
    }
    camera_matrices(raw)
}

/// The half-size develop for RGB Bayer sensors: black and white levels, each
/// 2×2 quad to one RGB pixel (both greens averaged: no interpolation, so no
/// demosaic artefacts), camera white balance, the camera's colour matrix to
/// sRGB, highlight clipping that keeps hue, the sRGB curve, the default crop.
/// The same steps as rawler's full develop, in the same order, on a quarter
/// of the pixels.
fn develop_half(raw: RawImage, cam_to_srgb: &[[f32; 3]; 3]) -> Result<DynamicImage, String> {
    let wb = as_shot_multipliers(&raw);
    let quads = half_size_camera(raw)?;
    let (w, h) = quads.dimensions();
    let mut rgb = Vec::with_capacity(quads.len());
    for quad in quads.pixels() {
        let encoded = srgb_apply_gamma_n(camera_to_linear_srgb(quad.0, wb, cam_to_srgb));
        rgb.extend(encoded.map(|v| (v.clamp(0.0, 1.0) * 65535.0).round() as u16));
    }
    // 16 bits, kept until the renditions are encoded.
    let image = image::ImageBuffer::from_raw(w, h, rgb)
        .ok_or_else(|| "the develop produced no image".to_string())?;
    Ok(DynamicImage::ImageRgb16(image))
}

/// The camera's as-shot white balance multipliers (1, 1, 1 when it has none).
fn as_shot_multipliers(raw: &RawImage) -> [f32; 3] {
    if raw.wb_coeffs[0].is_nan() {
        [1.0; 3]
    } else {
        [raw.wb_coeffs[0], raw.wb_coeffs[1], raw.wb_coeffs[2]]
    }
}

/// The first steps of the half-size develop: black and white levels, each
/// 2×2 quad to one pixel of camera RGB (linear, 0..1, not yet balanced),
/// red and blue moved to the quad's centre, the default crop.
fn half_size_camera(mut raw: RawImage) -> Result<Rgb32FImage, String> {
    let RawPhotometricInterpretation::Cfa(config) = raw.photometric.clone() else {
        return Err("not a colour-filter-array sensor".into());
    };
    raw.apply_scaling().map_err(|e| e.to_string())?;
    // apply_scaling left the mosaic as f32: take it rather than copy it.
    let data = match std::mem::replace(&mut raw.data, rawler::RawImageData::Float(Vec::new())) {
        rawler::RawImageData::Float(values) => values,
        other => other.as_f32().into_owned(),
    };
    let mosaic = PixF32::new_with(data, raw.width, raw.height);
    let active = raw.active_area.unwrap_or(mosaic.rect());
    let mut quads =
        Superpixel3Channel::new().demosaic(&mosaic, &config.cfa, &config.colors, active);
    drop(mosaic);
    // Red and blue sit in opposite corners of each quad, a quarter of a
    // half-size pixel off its centre (the greens average to the centre):
    // resample them to the centre so colour edges line up with luminance.
    if let Some((red, blue)) = corner_offsets(&config.cfa.shift(active.p.x, active.p.y).name) {
        recentre(&mut quads.data, quads.width, quads.height, 0, red);
        recentre(&mut quads.data, quads.width, quads.height, 2, blue);
    }
    let (w, h) = (quads.width as u32, quads.height as u32);
    let flat: Vec<f32> = quads.data.iter().flatten().copied().collect();
    let mut image = Rgb32FImage::from_raw(w, h, flat)
        .ok_or_else(|| "the develop produced no image".to_string())?;
    if let Some((cx, cy, cw, ch)) = default_crop_in_half(&raw, w as usize, h as usize) {
        let [cx, cy, cw, ch] = [cx, cy, cw, ch].map(|v| v as u32);
        image = image::imageops::crop_imm(&image, cx, cy, cw, ch).to_image();
    }
    Ok(image)
}

/// The file's default crop in half-size coordinates within the active area
/// (`width` × `height` quads), as (x, y, width, height); `None` when it has
/// none, crops nothing, or does not fit.
fn default_crop_in_half(
    raw: &RawImage,
    width: usize,
    height: usize,
) -> Option<(usize, usize, usize, usize)> {
    let crop = raw.crop_area?;
    let (origin_x, origin_y) = raw.active_area.map_or((0, 0), |a| (a.p.x, a.p.y));
    let cx = crop.p.x.checked_sub(origin_x)? / 2;
    let cy = crop.p.y.checked_sub(origin_y)? / 2;
    let (cw, ch) = (crop.d.w / 2, crop.d.h / 2);
    let fits = cx + cw <= width && cy + ch <= height;
    (fits && (cw, ch) != (width, height) && cw > 0 && ch > 0).then_some((cx, cy, cw, ch))
}

/// Where red and blue sit in a 2×2 quad of each Bayer pattern, as (x, y)
/// signs: −1 for the left column or top row, +1 for the right or bottom.
fn corner_offsets(pattern: &str) -> Option<((i8, i8), (i8, i8))> {
    match pattern {
        "RGGB" => Some(((-1, -1), (1, 1))),
        "BGGR" => Some(((1, 1), (-1, -1))),
        "GRBG" => Some(((1, -1), (-1, 1))),
        "GBRG" => Some(((-1, 1), (1, -1))),
        _ => None,
    }
}

/// Resamples `channel` of a half-size image from its corner of each quad to
/// the quad's centre: a quarter pixel along each axis, by bilinear weights
/// 3/4 (own sample) and 1/4 (the neighbour on the centre's side).
fn recentre(
    pixels: &mut [[f32; 3]],
    width: usize,
    height: usize,
    channel: usize,
    (sx, sy): (i8, i8),
) {
    if width < 2 || height < 2 {
        return;
    }
    let plane: Vec<f32> = pixels.iter().map(|p| p[channel]).collect();
    // A sample left of centre takes a quarter from its right-hand neighbour.
    let step = |i: usize, sign: i8, len: usize| {
        if sign < 0 {
            (i + 1).min(len - 1)
        } else {
            i.saturating_sub(1)
        }
    };
    for y in 0..height {
        let ny = step(y, sy, height);
        for x in 0..width {
            let nx = step(x, sx, width);
            let at = |xx: usize, yy: usize| plane[yy * width + xx];
            pixels[y * width + x][channel] =
                0.5625 * at(x, y) + 0.1875 * at(nx, y) + 0.1875 * at(x, ny) + 0.0625 * at(nx, ny);
        }
    }
}

/// Scales an RGB colour-filter mosaic's sites by their colour's white
/// balance multiplier, and tells rawler's develop that the data is balanced.
/// Other sensors keep the multipliers for rawler to apply after demosaicing.
fn balance_mosaic(raw: &mut RawImage, multipliers: [f32; 3]) -> Result<(), String> {
    let RawPhotometricInterpretation::Cfa(config) = raw.photometric.clone() else {
        raw.wb_coeffs = [multipliers[0], multipliers[1], multipliers[2], f32::NAN];
        return Ok(());
    };
    if raw.cpp != 1 || !config.cfa.is_rgb() {
        raw.wb_coeffs = [multipliers[0], multipliers[1], multipliers[2], f32::NAN];
        return Ok(());
    }
    // Black and white levels first (to 0..1), so that the multipliers
    // scale light, not the black offset; rawler's develop finds it done.
    raw.apply_scaling().map_err(|e| e.to_string())?;
    let width = raw.width;
    if let rawler::RawImageData::Float(values) = &mut raw.data {
        for (index, value) in values.iter_mut().enumerate() {
            let colour = config.cfa.color_at(index / width, index % width);
            *value *= multipliers.get(colour).copied().unwrap_or(1.0);
        }
    }
    raw.wb_coeffs = [1.0; 4];
    Ok(())
}

/// The camera-RGB → linear-sRGB matrix from the file's colour matrix (D65,
/// or another illuminant's adapted to D65 as rawler does), each row of its
/// inverse normalised so that white stays white; and the XYZ → camera
/// matrix it came from. `None` for four-colour matrices.
fn camera_matrices(raw: &RawImage) -> Option<CameraMatrices> {
    let (illuminant, matrix) = raw.color_matrix_find_first([
        Illuminant::D65,
        Illuminant::A,
        Illuminant::B,
        Illuminant::C,
        Illuminant::D50,
        Illuminant::D55,
        Illuminant::D75,
        Illuminant::Daylight,
        Illuminant::Flash,
    ])?;
    let xyz_to_cam: [[f32; 3]; 3] = transform_1d::<3, 3>(&matrix)?;
    let xyz_to_cam = if illuminant == Illuminant::D65 {
        xyz_to_cam
    } else {
        adapt_bradford(&illuminant, &Illuminant::D65, &xyz_to_cam)
    };
    let srgb_to_cam = normalize(multiply(&xyz_to_cam, &SRGB_TO_XYZ_D65));
    Some(CameraMatrices {
        xyz_to_camera: xyz_to_cam,
        camera_to_srgb: pseudo_inverse(srgb_to_cam),
    })
}

/// Decodes a RAW for editing (see [`crate::edit::WorkingCopy`]): when half
/// the sensor is enough and the sensor is RGB Bayer, as linear camera data
/// not yet white-balanced, so that a white balance can be applied to it
/// as to the raw data, and changed, without decoding again; else developed
/// at full size with `white_balance` (or the camera's) set on the raw data
/// before demosaicing.
pub fn decode_raw_for_edit(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
    needed_long_edge: NeededLongEdge<'_>,
    white_balance: Option<&WhiteBalance>,
) -> Result<WorkingCopy, PipelineError> {
    let corrupt = |reason: String| PipelineError::Corrupt { format, reason };
    let OpenedRaw {
        mut raw,
        orientation,
        largest,
        half_is_enough,
    } = open_raw(format, bytes, limits, needed_long_edge)?;
    if let Some(matrices) = half_size_matrix(&raw).filter(|_| half_is_enough) {
        let as_shot = as_shot_multipliers(&raw);
        let mut pixels = half_size_camera(raw).map_err(corrupt)?;
        // The developed (default-cropped) picture's size, as `decode_raw`
        // gives it: twice the half-size develop's.
        let developed = (pixels.width() * 2, pixels.height() * 2);
        // No more than the outputs need: linear camera data shrinks exactly.
        if let Some((w, h)) = shrunk_to_long_edge(pixels.width(), pixels.height(), largest) {
            pixels = resize_linear(&pixels, w, h)?;
        }
        return Ok(WorkingCopy::new(
            pixels,
            orientation,
            WorkingColour::Camera {
                xyz_to_camera: matrices.xyz_to_camera,
                camera_to_srgb: matrices.camera_to_srgb,
                as_shot,
            },
            developed,
        ));
    }
    // White balance on the raw data, before rawler's demosaic.
    let multipliers = match white_balance {
        Some(wb) => camera_matrices(&raw)
            .and_then(|m| camera_multipliers(&m.xyz_to_camera, wb))
            .ok_or_else(|| corrupt("no colour matrix to white-balance with".into()))?,
        None => as_shot_multipliers(&raw),
    };
    balance_mosaic(&mut raw, multipliers).map_err(corrupt)?;
    let developed = develop_full(&raw).map_err(corrupt)?;
    let size = (developed.width(), developed.height());
    Ok(WorkingCopy::new(
        to_linear(&developed),
        orientation,
        WorkingColour::Developed {
            white_balance: white_balance.cloned(),
        },
        size,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use darkroom_pipeline::testing::{bayer_dng, camera_from_srgb};

    /// The one-pass develop gives the stepwise develop's picture: the same
    /// size and, pixel for pixel, within 16 of 65 535 (a sixteenth of an 8-bit level: the
    /// sRGB curve's table rounds linear light to 16 bits).
    #[test]
    fn the_one_pass_half_size_develop_matches_the_stepwise_one() {
        // Gradients, saturated colours and white: the balanced camera data
        // goes past 1, so highlight clipping runs too.
        let scene = image::RgbImage::from_fn(240, 160, |x, y| {
            image::Rgb([
                (x % 256) as u8,
                (y * 255 / 159) as u8,
                ((x * y) % 256) as u8,
            ])
        });
        let neutral = [0.5, 1.0, 0.667];
        let dng = bayer_dng(&camera_from_srgb(&scene, neutral), neutral, 1);
        let format = darkroom_pipeline::sniff(&dng).unwrap();
        let opened = open_raw(format, &dng, &Limits::default(), &|_, _, _| 64).unwrap();
        assert!(opened.half_is_enough);
        let matrices = half_size_matrix(&opened.raw).unwrap();
        let wb = as_shot_multipliers(&opened.raw);
        let one_pass = half_size::develop(&opened.raw, wb, &matrices.camera_to_srgb)
            .expect("an integer Bayer mosaic")
            .to_rgb16();
        let stepwise = develop_half(opened.raw, &matrices.camera_to_srgb)
            .unwrap()
            .to_rgb16();
        assert_eq!(one_pass.dimensions(), (120, 80));
        assert_eq!(one_pass.dimensions(), stepwise.dimensions());
        let worst = one_pass
            .as_raw()
            .iter()
            .zip(stepwise.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 16, "differs by {worst} of 65535");
    }
}
