//! Safe wrappers over `native/jpeg_shim.c`, a flat C interface to the
//! system's libjpeg-turbo: DCT-scaled decoding and baseline encoding.
//!
//! The shim handles libjpeg's setjmp/longjmp errors inside C; here every call
//! returns a `Result` with libjpeg's own message.

use std::ffi::{CStr, c_char, c_int};
use std::marker::PhantomData;
use std::ptr::NonNull;

use image::{DynamicImage, GrayImage, RgbImage};

mod ffi {
    use std::ffi::{c_char, c_int, c_void};

    #[repr(C)]
    pub struct Decoder {
        _opaque: [u8; 0],
    }

    #[repr(C)]
    #[derive(Default)]
    pub struct Header {
        pub width: u32,
        pub height: u32,
        pub components: i32,
        pub color_space: i32,
        pub adobe_transform: i32,
        pub progressive: i32,
    }

    unsafe extern "C" {
        pub fn drk_decoder_new() -> *mut Decoder;
        pub fn drk_decoder_free(d: *mut Decoder);
        pub fn drk_decoder_message(d: *const Decoder) -> *const c_char;
        pub fn drk_decoder_warnings(d: *const Decoder) -> c_int;
        pub fn drk_decoder_first_warning(d: *const Decoder) -> *const c_char;
        pub fn drk_decoder_header(
            d: *mut Decoder,
            data: *const u8,
            len: usize,
            out: *mut Header,
        ) -> c_int;
        pub fn drk_decoder_icc(d: *mut Decoder, out: *mut *mut u8, out_len: *mut usize) -> c_int;
        pub fn drk_decoder_start(
            d: *mut Decoder,
            scale_num: c_int,
            out_color_space: c_int,
            out_width: *mut u32,
            out_height: *mut u32,
            out_components: *mut i32,
        ) -> c_int;
        pub fn drk_decoder_read(
            d: *mut Decoder,
            pixels: *mut u8,
            stride: usize,
            capacity: usize,
        ) -> c_int;
        pub fn drk_encode(
            pixels: *const u8,
            width: u32,
            height: u32,
            components: c_int,
            stride: usize,
            quality: c_int,
            arithmetic: c_int,
            exif: *const u8,
            exif_len: usize,
            icc: *const u8,
            icc_len: usize,
            out: *mut *mut u8,
            out_len: *mut usize,
            message: *mut c_char,
            message_len: usize,
        ) -> c_int;
        pub fn drk_free(p: *mut c_void);
    }
}

// libjpeg's J_COLOR_SPACE values (jpeglib.h).
const JCS_GRAYSCALE: c_int = 1;
const JCS_RGB: c_int = 2;
const JCS_YCBCR: c_int = 3;
const JCS_CMYK: c_int = 4;
const JCS_YCCK: c_int = 5;

/// How a JPEG stores its colour, from the frame header and APP14.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JpegColor {
    Grey,
    /// YCbCr or RGB: decoded to RGB.
    Rgb,
    /// CMYK or YCCK, decoded to CMYK. `inverted` when an Adobe APP14 marker
    /// is present: Photoshop (and every encoder copying it) stores 255 − ink.
    Cmyk {
        inverted: bool,
    },
}

/// What a JPEG's header says.
#[derive(Clone, Copy, Debug)]
pub(crate) struct JpegHeader {
    pub width: u32,
    pub height: u32,
    pub color: JpegColor,
}

/// Pixels decoded by libjpeg: `channels` bytes per pixel, rows packed.
pub(crate) struct JpegPixels {
    pub width: u32,
    pub height: u32,
    pub color: JpegColor,
    pub pixels: Vec<u8>,
    /// libjpeg's first warning (truncated or corrupt entropy data, which it
    /// fills in grey and goes past), when there was one.
    pub warning: Option<String>,
}

impl JpegPixels {
    /// The pixels as an image (CMYK converted to RGB), and the warning;
    /// `None` if the buffer does not match the dimensions.
    pub(crate) fn into_image(self) -> (Option<DynamicImage>, Option<String>) {
        let (w, h) = (self.width, self.height);
        let image = match self.color {
            JpegColor::Rgb => RgbImage::from_raw(w, h, self.pixels).map(DynamicImage::ImageRgb8),
            JpegColor::Grey => GrayImage::from_raw(w, h, self.pixels).map(DynamicImage::ImageLuma8),
            JpegColor::Cmyk { inverted } => {
                RgbImage::from_raw(w, h, cmyk_to_rgb(&self.pixels, inverted))
                    .map(DynamicImage::ImageRgb8)
            }
        };
        (image, self.warning)
    }
}

/// CMYK (or Adobe-inverted CMYK) to RGB, the naive way: each ink subtracts
/// from its complementary primary and black from all three. Good enough for
/// a recognisable picture; a CMYK ICC profile would do better.
fn cmyk_to_rgb(cmyk: &[u8], inverted: bool) -> Vec<u8> {
    let mut rgb = Vec::with_capacity(cmyk.len() / 4 * 3);
    for px in cmyk.chunks_exact(4) {
        // `clear` is the share of paper left uncovered by each ink, 0..=255.
        let clear = |v: u8| if inverted { v } else { 255 - v };
        let k = u32::from(clear(px[3]));
        for &ink in &px[..3] {
            rgb.push(((u32::from(clear(ink)) * k + 127) / 255) as u8);
        }
    }
    rgb
}

/// A decoder that has read a JPEG's header and can decode it at a scale.
pub(crate) struct JpegDecoder<'a> {
    raw: NonNull<ffi::Decoder>,
    header: JpegHeader,
    _data: PhantomData<&'a [u8]>,
}

impl Drop for JpegDecoder<'_> {
    fn drop(&mut self) {
        // SAFETY: `raw` came from drk_decoder_new and is freed exactly once.
        unsafe { ffi::drk_decoder_free(self.raw.as_ptr()) }
    }
}

impl<'a> JpegDecoder<'a> {
    /// Reads the header of `data` (which the decoder borrows).
    pub(crate) fn new(data: &'a [u8]) -> Result<Self, String> {
        // SAFETY: no arguments; NULL means out of memory.
        let raw = NonNull::new(unsafe { ffi::drk_decoder_new() })
            .ok_or_else(|| "out of memory".to_string())?;
        let mut decoder = JpegDecoder {
            raw,
            header: JpegHeader {
                width: 0,
                height: 0,
                color: JpegColor::Rgb,
            },
            _data: PhantomData,
        };
        let mut header = ffi::Header::default();
        // SAFETY: `data` outlives the decoder (the lifetime 'a ties them);
        // `header` is a valid out-pointer.
        let rc = unsafe {
            ffi::drk_decoder_header(raw.as_ptr(), data.as_ptr(), data.len(), &mut header)
        };
        if rc != 0 {
            return Err(decoder.message());
        }
        let color = match header.color_space {
            JCS_GRAYSCALE => JpegColor::Grey,
            JCS_RGB | JCS_YCBCR => JpegColor::Rgb,
            JCS_CMYK | JCS_YCCK => JpegColor::Cmyk {
                inverted: header.adobe_transform >= 0,
            },
            other => {
                return Err(format!(
                    "unsupported colour space {other} with {} components",
                    header.components
                ));
            }
        };
        decoder.header = JpegHeader {
            width: header.width,
            height: header.height,
            color,
        };
        Ok(decoder)
    }

    pub(crate) fn header(&self) -> JpegHeader {
        self.header
    }

    /// The embedded ICC profile, when there is a complete one.
    pub(crate) fn icc_profile(&self) -> Option<Vec<u8>> {
        let mut out: *mut u8 = std::ptr::null_mut();
        let mut len = 0usize;
        // SAFETY: valid decoder past its header; out-pointers are live locals.
        let rc = unsafe { ffi::drk_decoder_icc(self.raw.as_ptr(), &mut out, &mut len) };
        if rc != 1 || out.is_null() {
            return None;
        }
        // SAFETY: on 1 the shim hands over a malloc'd buffer of `len` bytes,
        // copied here and freed with the allocator that made it.
        let icc = unsafe { std::slice::from_raw_parts(out, len) }.to_vec();
        unsafe { ffi::drk_free(out.cast()) };
        Some(icc)
    }

    /// Decodes at `eighths`/8 of the stored size (libjpeg scales in the DCT
    /// domain: 1, 2 and 4 skip most of the inverse DCT). The caller checks the
    /// header's dimensions against its limits first.
    pub(crate) fn decode(self, eighths: u8) -> Result<JpegPixels, String> {
        let out_space = match self.header.color {
            JpegColor::Grey => JCS_GRAYSCALE,
            JpegColor::Rgb => JCS_RGB,
            JpegColor::Cmyk { .. } => JCS_CMYK,
        };
        let (mut width, mut height, mut channels) = (0u32, 0u32, 0i32);
        // SAFETY: valid decoder; out-pointers are live locals.
        let rc = unsafe {
            ffi::drk_decoder_start(
                self.raw.as_ptr(),
                c_int::from(eighths),
                out_space,
                &mut width,
                &mut height,
                &mut channels,
            )
        };
        if rc != 0 {
            return Err(self.message());
        }
        let stride = width as usize * usize::try_from(channels).unwrap_or(0);
        let mut pixels = crate::buffers::take(stride * height as usize);
        // SAFETY: `pixels` holds `capacity` bytes; the shim checks that the
        // rows it writes fit in it.
        let rc = unsafe {
            ffi::drk_decoder_read(self.raw.as_ptr(), pixels.as_mut_ptr(), stride, pixels.len())
        };
        if rc != 0 {
            return Err(self.message());
        }
        // SAFETY: valid decoder.
        let warning = (unsafe { ffi::drk_decoder_warnings(self.raw.as_ptr()) } > 0)
            .then(|| c_message(unsafe { ffi::drk_decoder_first_warning(self.raw.as_ptr()) }));
        Ok(JpegPixels {
            width,
            height,
            color: self.header.color,
            pixels,
            warning,
        })
    }

    fn message(&self) -> String {
        // SAFETY: the shim keeps a NUL-terminated message in the decoder.
        c_message(unsafe { ffi::drk_decoder_message(self.raw.as_ptr()) })
    }
}

/// What an encoded JPEG carries besides its pixels.
#[derive(Clone, Copy, Default)]
pub(crate) struct JpegMarkers<'a> {
    /// An EXIF block (TIFF structure), written as APP1 after the JFIF header.
    pub exif: Option<&'a [u8]>,
    /// An ICC profile, written as APP2 segments.
    pub icc: Option<&'a [u8]>,
}

/// Encodes 8-bit greyscale (`channels` 1) or RGB (3) pixels, rows packed, as
/// a baseline JPEG the way libvips does by default: 4:2:0 chroma below
/// quality 90, 4:4:4 from 90, standard Huffman tables. Deterministic.
pub(crate) fn encode(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u8,
    quality: u8,
    markers: JpegMarkers<'_>,
) -> Result<Vec<u8>, String> {
    encode_with(pixels, width, height, channels, quality, false, markers)
}

/// [`encode`] with arithmetic coding instead of Huffman: for tests, which
/// need such files and have no other encoder for them.
#[cfg(test)]
pub(crate) fn encode_arithmetic(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u8,
    quality: u8,
) -> Result<Vec<u8>, String> {
    encode_with(
        pixels,
        width,
        height,
        channels,
        quality,
        true,
        JpegMarkers::default(),
    )
}

fn encode_with(
    pixels: &[u8],
    width: u32,
    height: u32,
    channels: u8,
    quality: u8,
    arithmetic: bool,
    markers: JpegMarkers<'_>,
) -> Result<Vec<u8>, String> {
    let stride = width as usize * usize::from(channels);
    if !matches!(channels, 1 | 3) || pixels.len() < stride * height as usize {
        return Err("pixel buffer does not match its dimensions".into());
    }
    if width == 0 || height == 0 || width > 65_500 || height > 65_500 {
        return Err(format!("{width}×{height} cannot be a JPEG"));
    }
    // One APP1 segment holds 65533 bytes, "Exif\0\0" included.
    if markers.exif.is_some_and(|exif| exif.len() > 65_527) {
        return Err("the EXIF block is larger than a JPEG segment".into());
    }
    let (exif, icc) = (markers.exif, markers.icc);
    let mut out: *mut u8 = std::ptr::null_mut();
    let mut out_len = 0usize;
    let mut message = [0 as c_char; 200];
    // SAFETY: `pixels` holds height rows of `stride` bytes (checked above);
    // the out-pointers are live locals; `message` is writable for its length.
    let rc = unsafe {
        ffi::drk_encode(
            pixels.as_ptr(),
            width,
            height,
            c_int::from(channels),
            stride,
            c_int::from(quality.clamp(1, 100)),
            c_int::from(arithmetic),
            exif.map_or(std::ptr::null(), <[u8]>::as_ptr),
            exif.map_or(0, <[u8]>::len),
            icc.map_or(std::ptr::null(), <[u8]>::as_ptr),
            icc.map_or(0, <[u8]>::len),
            &mut out,
            &mut out_len,
            message.as_mut_ptr(),
            message.len(),
        )
    };
    if rc != 0 {
        return Err(c_message(message.as_ptr()));
    }
    // SAFETY: on success the shim returns a malloc'd buffer of `out_len`
    // bytes, which is copied and then freed with the allocator that made it.
    let bytes = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
    unsafe { ffi::drk_free(out.cast()) };
    Ok(bytes)
}

fn c_message(ptr: *const c_char) -> String {
    if ptr.is_null() {
        return "libjpeg error".into();
    }
    // SAFETY: the shim's messages are NUL-terminated C strings.
    unsafe { CStr::from_ptr(ptr) }
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rgb_and_reports_the_header() {
        let (w, h) = (64u32, 48u32);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| [(i % w * 4) as u8, (i / w * 5) as u8, 100])
            .collect();
        let jpeg = encode(&rgb, w, h, 3, 95, JpegMarkers::default()).unwrap();
        let decoder = JpegDecoder::new(&jpeg).unwrap();
        let header = decoder.header();
        assert_eq!((header.width, header.height), (64, 48));
        assert_eq!(header.color, JpegColor::Rgb);
        let full = decoder.decode(8).unwrap();
        assert_eq!(
            (full.width, full.height, full.pixels.len()),
            (64, 48, 64 * 48 * 3)
        );
        let worst = full
            .pixels
            .iter()
            .zip(&rgb)
            .map(|(a, b)| a.abs_diff(*b))
            .max()
            .unwrap();
        assert!(worst <= 12, "worst channel error {worst}");
        let quarter = JpegDecoder::new(&jpeg).unwrap().decode(2).unwrap();
        assert_eq!((quarter.width, quarter.height), (16, 12));
    }

    #[test]
    fn arithmetic_coded_jpegs_decode_at_every_scale() {
        let (w, h) = (128u32, 96u32);
        let rgb: Vec<u8> = (0..w * h)
            .flat_map(|i| [(i % w * 2) as u8, (i / w * 2) as u8, 50])
            .collect();
        let jpeg = encode_arithmetic(&rgb, w, h, 3, 90).unwrap();
        assert_ne!(
            jpeg,
            encode(&rgb, w, h, 3, 90, JpegMarkers::default()).unwrap()
        );
        // SOF9 (0xFFC9): a baseline-sequential arithmetic-coded frame.
        assert!(jpeg.windows(2).any(|m| m == [0xFF, 0xC9]), "no SOF9 marker");
        for eighths in [1, 2, 4, 8] {
            let out = JpegDecoder::new(&jpeg).unwrap().decode(eighths).unwrap();
            assert_eq!(out.width, w * u32::from(eighths) / 8);
            assert_eq!(out.warning, None);
            // The top-left corner is dark in red and green, whatever the scale.
            assert!(
                out.pixels[0] < 20 && out.pixels[1] < 20,
                "{:?}",
                &out.pixels[..3]
            );
        }
    }

    #[test]
    fn encoding_is_deterministic() {
        let grey = vec![128u8; 32 * 32];
        assert_eq!(
            encode(&grey, 32, 32, 1, 80, JpegMarkers::default()).unwrap(),
            encode(&grey, 32, 32, 1, 80, JpegMarkers::default()).unwrap()
        );
    }

    #[test]
    fn garbage_is_an_error_with_libjpegs_message() {
        let err = JpegDecoder::new(b"\xFF\xD8\xFF\xDBnot really")
            .err()
            .unwrap();
        assert!(!err.is_empty());
        let err = JpegDecoder::new(b"").err().unwrap();
        assert!(!err.is_empty());
    }

    #[test]
    fn truncated_entropy_data_decodes_with_a_warning() {
        let rgb = vec![200u8; 256 * 256 * 3];
        let mut jpeg = encode(&rgb, 256, 256, 3, 90, JpegMarkers::default()).unwrap();
        jpeg.truncate(jpeg.len() / 2);
        let out = JpegDecoder::new(&jpeg).unwrap().decode(8).unwrap();
        assert!(out.warning.is_some());
    }
}
