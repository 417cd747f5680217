//! HEIC and AVIF decoding through the system's libheif (the optional `heif`
//! cargo feature; Debian: `apt-get install libheif-dev`). libheif and the
//! codecs under it (libde265, dav1d/aom) are C libraries, LGPL in part, so
//! like the RAW decoder they are linked only into this helper executable
//! and run behind its memory and time limits.
//!
//! libheif applies the file's own transformations (`irot`, `imir`, `clap`)
//! while decoding, so the pixels come back upright: the EXIF orientation a
//! HEIC may also carry is not applied again (the HEIF spec gives the
//! transformations precedence).
#![allow(unsafe_code)]

use std::ffi::{c_char, c_int, c_void};

use image::{DynamicImage, RgbImage};

use darkroom_pipeline::external::Decoded;
use darkroom_pipeline::{Limits, Orientation, PipelineError, SourceFormat};

mod ffi {
    use super::*;

    unsafe extern "C" {
        pub fn drk_heif_decode(
            data: *const u8,
            len: usize,
            max_pixels: u64,
            max_edge: u32,
            width: *mut u32,
            height: *mut u32,
            pixels: *mut *mut u8,
            icc: *mut *mut u8,
            icc_len: *mut usize,
            message: *mut c_char,
            message_len: usize,
        ) -> c_int;
        pub fn drk_heif_free(p: *mut c_void);
    }
}

const TOO_LARGE: c_int = 2;

/// Decodes the primary image of a HEIC or AVIF file, upright, 8-bit RGB,
/// with its ICC profile; the stored size is checked against `limits` before
/// any pixel buffer exists.
pub fn decode_heif(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Decoded, PipelineError> {
    let (mut width, mut height) = (0u32, 0u32);
    let mut pixels: *mut u8 = std::ptr::null_mut();
    let mut icc: *mut u8 = std::ptr::null_mut();
    let mut icc_len = 0usize;
    let mut message = [0 as c_char; 256];
    // SAFETY: `bytes` is live for the call; every out-pointer is a live local;
    // `message` is writable for its length.
    let rc = unsafe {
        ffi::drk_heif_decode(
            bytes.as_ptr(),
            bytes.len(),
            limits.max_pixels,
            limits.max_edge,
            &mut width,
            &mut height,
            &mut pixels,
            &mut icc,
            &mut icc_len,
            message.as_mut_ptr(),
            message.len(),
        )
    };
    if rc == TOO_LARGE {
        limits.check_dimensions(width, height)?;
    }
    if rc != 0 {
        // SAFETY: the shim writes a NUL-terminated message on failure.
        let reason = unsafe { std::ffi::CStr::from_ptr(message.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        return Err(PipelineError::Corrupt { format, reason });
    }
    // SAFETY: on success the shim returns malloc'd buffers of the stated
    // sizes (the ICC one possibly NULL), copied here and freed by the
    // allocator that made them.
    let (rgb, icc) = unsafe {
        let len = width as usize * height as usize * 3;
        let rgb = std::slice::from_raw_parts(pixels, len).to_vec();
        ffi::drk_heif_free(pixels.cast());
        let profile = (!icc.is_null()).then(|| std::slice::from_raw_parts(icc, icc_len).to_vec());
        ffi::drk_heif_free(icc.cast());
        (rgb, profile)
    };
    let image = RgbImage::from_raw(width, height, rgb).ok_or_else(|| PipelineError::Corrupt {
        format,
        reason: "the decoder returned fewer pixels than it promised".into(),
    })?;
    Ok(Decoded::as_decoded(
        DynamicImage::ImageRgb8(image),
        Orientation::Normal,
        icc,
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::process::Command;

    use super::*;
    use darkroom_pipeline::{RenditionSpec, ShrinkOnLoad, render, sniff};

    fn corpus(relative: &str) -> Option<Vec<u8>> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../shared/corpus/formats")
            .join(relative);
        match std::fs::read(&path) {
            Ok(bytes) => Some(bytes),
            Err(_) => {
                eprintln!("skipped {relative}: no shared corpus at {}", path.display());
                None
            }
        }
    }

    /// A gradient picture written as `extension` by libvips (whose HEIF
    /// saver is libheif with x265 or aom), or `None` without `vips`.
    fn made_by_vips(extension: &str) -> Option<(RgbImage, Vec<u8>)> {
        let dir = tempfile::tempdir().unwrap();
        let picture = RgbImage::from_fn(320, 200, |x, y| {
            image::Rgb([(x * 255 / 320) as u8, (y * 255 / 200) as u8, 100])
        });
        let png = dir.path().join("in.png");
        picture.save(&png).unwrap();
        let out = dir.path().join(format!("out.{extension}"));
        let made = Command::new("vips")
            .arg("copy")
            .arg(&png)
            .arg(format!("{}[Q=90]", out.display()))
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            eprintln!("skipped the {extension} fixture: vips (libvips-tools) is not installed");
            return None;
        }
        Some((picture, std::fs::read(out).unwrap()))
    }

    #[test]
    fn heic_and_avif_decode_to_their_pictures() {
        for extension in ["heic", "avif"] {
            let Some((picture, bytes)) = made_by_vips(extension) else {
                continue;
            };
            let format = sniff(&bytes).unwrap();
            assert!(format.is_heif() && format.can_render(), "{extension}");
            let decoded = decode_heif(format, &bytes, &Limits::default()).unwrap();
            assert_eq!(
                (decoded.image.width(), decoded.image.height()),
                (320, 200),
                "{extension}"
            );
            let psnr = darkroom_pipeline::quality::psnr(&picture, &decoded.image.to_rgb8());
            assert!(psnr > 30.0, "{extension}: {psnr:.1} dB");
        }
    }

    #[test]
    fn camera_heic_and_avif_files_render() {
        for (file, displayed) in [
            ("heic/IMG_2682.heic", (4032, 3024)),
            ("avif/8bit-sRGB.avif", (1617, 1080)),
            ("avif/10bit-HDR-P3-nclx.avif", (3681, 5594)),
        ] {
            let Some(bytes) = corpus(file) else { continue };
            crate::install_decoders();
            let spec: RenditionSpec = "thumb:256".parse().unwrap();
            let out = render(&bytes, &[spec], &Limits::default(), ShrinkOnLoad::Fast).unwrap();
            let (w, h) = (out[0].width, out[0].height);
            assert_eq!(w.max(h), 256, "{file}");
            // Same aspect as the picture shown (to rounding).
            let expected = f64::from(displayed.0) / f64::from(displayed.1);
            assert!(
                (f64::from(w) / f64::from(h) - expected).abs() < 0.02,
                "{file}: {w}×{h}"
            );
            let thumb = image::load_from_memory(&out[0].bytes).unwrap().to_rgb8();
            let mean: f64 = thumb.as_raw().iter().map(|&v| f64::from(v)).sum::<f64>()
                / thumb.as_raw().len() as f64;
            assert!(
                (10.0..245.0).contains(&mean),
                "{file}: not blank ({mean:.0})"
            );
        }
    }

    #[test]
    fn broken_and_oversized_files_are_errors() {
        let Some((_, bytes)) = made_by_vips("heic") else {
            return;
        };
        for cut in [16, 100, bytes.len() / 2, bytes.len() - 10] {
            assert!(
                decode_heif(SourceFormat::Heic, &bytes[..cut], &Limits::default()).is_err(),
                "cut at {cut}"
            );
        }
        let small = Limits {
            max_pixels: 10_000,
            ..Limits::default()
        };
        assert!(matches!(
            decode_heif(SourceFormat::Heic, &bytes, &small),
            Err(PipelineError::LimitExceeded { .. })
        ));
    }
}
