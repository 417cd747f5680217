//! HEIC and AVIF decoding through the system's libheif, loaded when first
//! needed (`dlopen` of `libheif.so.1`; Debian's `libheif1`, which brings the
//! HEVC and AV1 decoders): nothing is needed to build darkroom, and a
//! machine without the library says so for each such photo instead of
//! failing to start. libheif and the codecs under it are C libraries, LGPL
//! in part, so like the RAW decoder they are loaded only into this helper
//! executable and run behind its memory and time limits.
//!
//! `DARKROOM_LIBHEIF` names the library file to load instead (another
//! version, or a path that does not exist, to try the "not installed" case).
//!
//! libheif applies the file's own transformations (`irot`, `imir`, `clap`)
//! while decoding, so the pixels come back upright: the EXIF orientation a
//! HEIC may also carry is not applied again (the HEIF spec gives the
//! transformations precedence).
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::OnceLock;

use image::{DynamicImage, RgbImage};

use darkroom_pipeline::external::Decoded;
use darkroom_pipeline::nclx::{Cicp, Converter};
use darkroom_pipeline::{Limits, Orientation, PipelineError, SourceFormat};

/// libheif's C API, the few functions used, as declared in `libheif/heif.h`
/// (1.x: stable across the versions distributions ship).
mod ffi {
    use super::*;

    /// `struct heif_error`, returned by value.
    #[repr(C)]
    pub struct HeifError {
        pub code: c_int,
        pub subcode: c_int,
        pub message: *const c_char,
    }

    pub const ERROR_OK: c_int = 0;
    pub const COLORSPACE_RGB: c_int = 1;
    pub const CHROMA_INTERLEAVED_RGB: c_int = 10;
    pub const CHROMA_INTERLEAVED_RRGGBB_LE: c_int = 14;
    pub const CHANNEL_INTERLEAVED: c_int = 10;
    const fn fourcc(code: &[u8; 4]) -> c_int {
        ((code[0] as c_int) << 24)
            | ((code[1] as c_int) << 16)
            | ((code[2] as c_int) << 8)
            | code[3] as c_int
    }
    pub const PROFILE_RICC: c_int = fourcc(b"rICC");
    pub const PROFILE_PROF: c_int = fourcc(b"prof");
    pub const PROFILE_NCLX: c_int = fourcc(b"nclx");

    /// `struct heif_color_profile_nclx`'s leading (version 1) fields.
    #[repr(C)]
    pub struct Nclx {
        pub version: u8,
        pub color_primaries: c_int,
        pub transfer_characteristics: c_int,
        pub matrix_coefficients: c_int,
        pub full_range_flag: u8,
    }

    pub type Context = c_void;
    pub type Handle = c_void;
    pub type Image = c_void;

    /// The functions, resolved from the loaded library.
    pub struct Libheif {
        pub context_alloc: unsafe extern "C" fn() -> *mut Context,
        pub context_free: unsafe extern "C" fn(*mut Context),
        pub read_from_memory_without_copy:
            unsafe extern "C" fn(*mut Context, *const c_void, usize, *const c_void) -> HeifError,
        pub primary_image_handle: unsafe extern "C" fn(*mut Context, *mut *mut Handle) -> HeifError,
        pub handle_width: unsafe extern "C" fn(*const Handle) -> c_int,
        pub handle_height: unsafe extern "C" fn(*const Handle) -> c_int,
        pub handle_release: unsafe extern "C" fn(*const Handle),
        pub color_profile_type: unsafe extern "C" fn(*const Handle) -> c_int,
        pub raw_color_profile_size: unsafe extern "C" fn(*const Handle) -> usize,
        pub raw_color_profile: unsafe extern "C" fn(*const Handle, *mut c_void) -> HeifError,
        pub decode_image: unsafe extern "C" fn(
            *const Handle,
            *mut *mut Image,
            c_int,
            c_int,
            *const c_void,
        ) -> HeifError,
        pub image_width: unsafe extern "C" fn(*const Image, c_int) -> c_int,
        pub image_height: unsafe extern "C" fn(*const Image, c_int) -> c_int,
        pub plane_readonly: unsafe extern "C" fn(*const Image, c_int, *mut c_int) -> *const u8,
        pub image_release: unsafe extern "C" fn(*const Image),
        pub nclx_profile: unsafe extern "C" fn(*const Handle, *mut *mut Nclx) -> HeifError,
        pub nclx_free: unsafe extern "C" fn(*mut Nclx),
        pub bits_per_pixel_range: unsafe extern "C" fn(*const Image, c_int) -> c_int,
        /// Kept loaded for as long as the functions above are used.
        _library: libloading::Library,
    }

    impl Libheif {
        /// Loads the library and resolves every function, or says why not.
        pub fn load() -> Result<Self, String> {
            let names: Vec<String> = match std::env::var("DARKROOM_LIBHEIF") {
                Ok(path) => vec![path],
                Err(_) => ["libheif.so.1", "libheif.so", "libheif.1.dylib"]
                    .map(String::from)
                    .into(),
            };
            let mut tried = Vec::new();
            for name in &names {
                // SAFETY: loading libheif runs its initialisers, which only
                // set up its own state.
                match unsafe { libloading::Library::new(name) } {
                    Ok(library) => {
                        return Self::resolve(library).map_err(|e| format!("{name}: {e}"));
                    }
                    Err(e) => tried.push(format!("{name}: {e}")),
                }
            }
            Err(tried.join("; "))
        }

        fn resolve(library: libloading::Library) -> Result<Self, libloading::Error> {
            // SAFETY: each symbol is looked up by its libheif name and given
            // the signature `libheif/heif.h` declares for it.
            unsafe {
                Ok(Libheif {
                    context_alloc: *library.get(b"heif_context_alloc\0")?,
                    context_free: *library.get(b"heif_context_free\0")?,
                    read_from_memory_without_copy: *library
                        .get(b"heif_context_read_from_memory_without_copy\0")?,
                    primary_image_handle: *library
                        .get(b"heif_context_get_primary_image_handle\0")?,
                    handle_width: *library.get(b"heif_image_handle_get_width\0")?,
                    handle_height: *library.get(b"heif_image_handle_get_height\0")?,
                    handle_release: *library.get(b"heif_image_handle_release\0")?,
                    color_profile_type: *library
                        .get(b"heif_image_handle_get_color_profile_type\0")?,
                    raw_color_profile_size: *library
                        .get(b"heif_image_handle_get_raw_color_profile_size\0")?,
                    raw_color_profile: *library
                        .get(b"heif_image_handle_get_raw_color_profile\0")?,
                    decode_image: *library.get(b"heif_decode_image\0")?,
                    image_width: *library.get(b"heif_image_get_width\0")?,
                    image_height: *library.get(b"heif_image_get_height\0")?,
                    plane_readonly: *library.get(b"heif_image_get_plane_readonly\0")?,
                    image_release: *library.get(b"heif_image_release\0")?,
                    nclx_profile: *library.get(b"heif_image_handle_get_nclx_color_profile\0")?,
                    nclx_free: *library.get(b"heif_nclx_color_profile_free\0")?,
                    bits_per_pixel_range: *library.get(b"heif_image_get_bits_per_pixel_range\0")?,
                    _library: library,
                })
            }
        }
    }
}

/// libheif, loaded on first use (once per helper process).
fn libheif() -> Result<&'static ffi::Libheif, String> {
    static LIBHEIF: OnceLock<Result<ffi::Libheif, String>> = OnceLock::new();
    LIBHEIF
        .get_or_init(ffi::Libheif::load)
        .as_ref()
        .map_err(Clone::clone)
}

/// Whether this machine can decode HEIC and AVIF (libheif loads).
pub fn available() -> Result<(), String> {
    libheif().map(|_| ())
}

/// What libheif objects a decode holds, released however it ends.
struct Held<'a> {
    lib: &'a ffi::Libheif,
    context: *mut ffi::Context,
    handle: *mut ffi::Handle,
    image: *mut ffi::Image,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        // SAFETY: each pointer is null or owned by this value alone.
        unsafe {
            if !self.image.is_null() {
                (self.lib.image_release)(self.image);
            }
            if !self.handle.is_null() {
                (self.lib.handle_release)(self.handle);
            }
            if !self.context.is_null() {
                (self.lib.context_free)(self.context);
            }
        }
    }
}

/// A libheif error as `what: libheif's message`, or `None` for success.
fn failed(error: ffi::HeifError, what: &str) -> Option<String> {
    if error.code == ffi::ERROR_OK {
        return None;
    }
    let detail = if error.message.is_null() {
        String::new()
    } else {
        // SAFETY: libheif's messages are static NUL-terminated strings.
        unsafe { CStr::from_ptr(error.message) }
            .to_string_lossy()
            .into_owned()
    };
    Some(format!("{what}: {detail}"))
}

/// Decodes the primary image of a HEIC or AVIF file, upright, 8-bit RGB,
/// with its ICC profile; the stored size is checked against `limits` before
/// any pixel buffer exists.
pub fn decode_heif(
    format: SourceFormat,
    bytes: &[u8],
    limits: &Limits,
) -> Result<Decoded, PipelineError> {
    let lib = libheif().map_err(|e| PipelineError::DecoderUnavailable {
        format,
        reason: format!(
            "{} photos need libheif, which this server cannot load \
             (Debian/Ubuntu: apt-get install libheif1): {e}",
            format.name().to_uppercase()
        ),
    })?;
    let corrupt = |reason: String| PipelineError::Corrupt { format, reason };
    // SAFETY: every call below gets pointers libheif handed out (owned by
    // `held`, released once when it drops) or live locals; `bytes` outlives
    // the context that reads it without copying.
    unsafe {
        let mut held = Held {
            lib,
            context: (lib.context_alloc)(),
            handle: std::ptr::null_mut(),
            image: std::ptr::null_mut(),
        };
        if held.context.is_null() {
            return Err(corrupt("libheif is out of memory".into()));
        }
        let read = (lib.read_from_memory_without_copy)(
            held.context,
            bytes.as_ptr().cast(),
            bytes.len(),
            std::ptr::null(),
        );
        if let Some(e) = failed(read, "not a readable HEIF file") {
            return Err(corrupt(e));
        }
        let primary = (lib.primary_image_handle)(held.context, &mut held.handle);
        if let Some(e) = failed(primary, "no primary image") {
            return Err(corrupt(e));
        }
        let (w, h) = (
            (lib.handle_width)(held.handle),
            (lib.handle_height)(held.handle),
        );
        if w <= 0 || h <= 0 {
            return Err(corrupt("the primary image has no size".into()));
        }
        limits.check_dimensions(w as u32, h as u32)?;

        let profile_type = (lib.color_profile_type)(held.handle);
        let mut icc = None;
        if profile_type == ffi::PROFILE_RICC || profile_type == ffi::PROFILE_PROF {
            let n = (lib.raw_color_profile_size)(held.handle);
            if n > 0 && n < (16 << 20) {
                let mut profile = vec![0u8; n];
                let got = (lib.raw_color_profile)(held.handle, profile.as_mut_ptr().cast());
                if got.code == ffi::ERROR_OK {
                    icc = Some(profile);
                }
            }
        }

        // Described by code points, not a profile: wide gamut or HDR is
        // decoded at full depth and brought to sRGB here.
        let cicp = if icc.is_none() && profile_type == ffi::PROFILE_NCLX {
            let mut nclx: *mut ffi::Nclx = std::ptr::null_mut();
            let got = (lib.nclx_profile)(held.handle, &mut nclx);
            let cicp = (got.code == ffi::ERROR_OK && !nclx.is_null()).then(|| Cicp {
                primaries: (*nclx).color_primaries as u16,
                transfer: (*nclx).transfer_characteristics as u16,
            });
            if !nclx.is_null() {
                (lib.nclx_free)(nclx);
            }
            cicp.filter(|c| c.needs_conversion())
        } else {
            None
        };
        let chroma = match cicp {
            Some(_) => ffi::CHROMA_INTERLEAVED_RRGGBB_LE,
            None => ffi::CHROMA_INTERLEAVED_RGB,
        };
        let decoded = (lib.decode_image)(
            held.handle,
            &mut held.image,
            ffi::COLORSPACE_RGB,
            chroma,
            std::ptr::null(),
        );
        if let Some(e) = failed(decoded, "cannot decode") {
            return Err(corrupt(e));
        }
        let mut stride: c_int = 0;
        let plane = (lib.plane_readonly)(held.image, ffi::CHANNEL_INTERLEAVED, &mut stride);
        let ow = (lib.image_width)(held.image, ffi::CHANNEL_INTERLEAVED);
        let oh = (lib.image_height)(held.image, ffi::CHANNEL_INTERLEAVED);
        let bytes_per_sample = if cicp.is_some() { 2 } else { 1 };
        if plane.is_null()
            || ow <= 0
            || oh <= 0
            || (stride as i64) < i64::from(ow) * 3 * bytes_per_sample
        {
            return Err(corrupt("the decoder returned no usable pixels".into()));
        }
        limits.check_dimensions(ow as u32, oh as u32)?;
        let (ow, oh, stride) = (ow as usize, oh as usize, stride as usize);
        let row = ow * 3 * bytes_per_sample as usize;
        let mut rgb = Vec::with_capacity(ow * 3 * oh);
        match cicp {
            None => {
                for y in 0..oh {
                    rgb.extend_from_slice(std::slice::from_raw_parts(plane.add(stride * y), row));
                }
            }
            Some(cicp) => {
                let bits = (lib.bits_per_pixel_range)(held.image, ffi::CHANNEL_INTERLEAVED);
                let converter = Converter::new(bits.clamp(1, 16) as u8, cicp);
                let mut samples = Vec::with_capacity(ow * 3);
                for y in 0..oh {
                    let line = std::slice::from_raw_parts(plane.add(stride * y), row);
                    samples.clear();
                    samples.extend(
                        line.chunks_exact(2)
                            .map(|b| u16::from_le_bytes([b[0], b[1]])),
                    );
                    converter.convert(&samples, &mut rgb);
                }
            }
        }
        let image = RgbImage::from_raw(ow as u32, oh as u32, rgb)
            .ok_or_else(|| corrupt("the decoder returned fewer pixels than it promised".into()))?;
        Ok(Decoded::as_decoded(
            DynamicImage::ImageRgb8(image),
            Orientation::Normal,
            icc,
        ))
    }
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
            assert!(format.is_heif(), "{extension}");
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

    /// The phone's 10-bit PQ Display-P3 AVIF (nclx, no ICC profile) is
    /// tone-mapped and converted: reference white is bright, not the grey
    /// a straight 10-to-8-bit cut gives, and nothing is blown out.
    #[test]
    fn hdr_p3_avif_is_tone_mapped_to_srgb() {
        let Some(bytes) = corpus("avif/10bit-HDR-P3-nclx.avif") else {
            return;
        };
        let decoded = decode_heif(SourceFormat::Avif, &bytes, &Limits::default()).unwrap();
        assert!(decoded.icc.is_none(), "converted to sRGB already");
        let rgb = decoded.image.to_rgb8();
        let raw = rgb.as_raw();
        let mean = raw.iter().map(|&v| f64::from(v)).sum::<f64>() / raw.len() as f64;
        let clipped = raw.iter().filter(|&&v| v == 255).count() as f64 / raw.len() as f64;
        // The sky (the top tenth): a clear blue, where a straight cut of
        // the PQ code values gives a flat blue-grey.
        let (w, h) = rgb.dimensions();
        let mut sky = [0f64; 3];
        let mut n = 0.0;
        for y in 0..h / 10 {
            for x in w / 4..w * 3 / 4 {
                let p = rgb.get_pixel(x, y);
                for c in 0..3 {
                    sky[c] += f64::from(p[c]);
                }
                n += 1.0;
            }
        }
        let sky = sky.map(|v| v / n);
        eprintln!(
            "HDR AVIF: mean {mean:.1}, clipped {:.2} %, sky {sky:.0?}",
            clipped * 100.0
        );
        assert!((100.0..190.0).contains(&mean), "mean {mean:.1}");
        assert!(clipped < 0.01, "{:.2} % of samples at 255", clipped * 100.0);
        assert!(sky[2] > sky[0] + 60.0 && sky[2] > 150.0, "sky {sky:?}");
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
