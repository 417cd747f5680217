//! Rendering renditions: the pipeline's steps, in order, in one place.

use image::DynamicImage;

use crate::decode::raw_preview::EmbeddedPreview;
use crate::decode::{Decoded, ShrinkOnLoad, decode, decode_jpeg};
use crate::edit::{Sharpening, quantise_8, sharpen};
use crate::encode::colour::convert_to_srgb;
use crate::encode::encode;
use crate::metadata::dng_dimensions;
use crate::metadata::kept_exif::KeptExif;
use crate::orient::Orientation;
use crate::resize::resize;
use crate::spec::{Fit, RenditionSpec};
use crate::timings::{Stage, timed};
use crate::{Limits, PipelineError, buffers, guard, sniff};

/// One encoded rendition.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The spec it was rendered with.
    pub spec: RenditionSpec,
    /// The encoded bytes.
    pub bytes: Vec<u8>,
    /// Width as displayed (after orientation).
    pub width: u32,
    /// Height as displayed (after orientation).
    pub height: u32,
    /// Width of the original as stored.
    pub source_width: u32,
    /// Height of the original as stored.
    pub source_height: u32,
    /// What the decoder went past to produce it (e.g. a truncated JPEG scan,
    /// filled in grey), for the log; `None` for a clean decode.
    pub decode_warning: Option<String>,
}

/// Decodes `original` once and renders every spec from it:
///
/// 1. sniff the format; refuse what this build cannot decode;
/// 2. decode with `limits` enforced by the decoder (a lying header cannot
///    allocate past them), reading the EXIF orientation and ICC profile; a
///    JPEG much larger than the largest output is decoded at 1/2, 1/4 or 1/8
///    scale, as far as `shrink` allows;
/// 3. for each spec, largest first: downscale (from the previous, larger
///    rendition when there is one — cheaper, and as sharp), convert to sRGB
///    (once, at the largest size), turn upright, encode with the metadata
///    the spec keeps (none by default).
pub fn render(
    original: &[u8],
    specs: &[RenditionSpec],
    limits: &Limits,
    shrink: ShrinkOnLoad,
) -> Result<Vec<Rendered>, PipelineError> {
    let format = sniff(original)
        .ok_or_else(|| PipelineError::UnsupportedType("unrecognised file".to_string()))?;
    guard(format, || {
        let needed = |w: u32, h: u32, o: Orientation| largest_long_edge(specs, w, h, o);
        let decoded = timed(Stage::Decode, || {
            decode(format, original, limits, &needed, shrink)
        })?;
        render_decoded(decoded, original, specs)
    })
}

/// Renders every spec from the JPEG preview a camera RAW embeds (see
/// `raw_preview.rs`; [`crate::plan`] chose it as large enough), turned by
/// the RAW's orientation. An error means the preview is broken.
///
/// The renditions' `source_width` and `source_height` are the raw image's
/// where the header gives them (DNG), the preview's otherwise.
pub(crate) fn render_embedded_preview(
    preview: &EmbeddedPreview<'_>,
    original: &[u8],
    specs: &[RenditionSpec],
    limits: &Limits,
    shrink: ShrinkOnLoad,
) -> Result<Vec<Rendered>, PipelineError> {
    let needed = |w: u32, h: u32, o: Orientation| largest_long_edge(specs, w, h, o);
    let decoded = timed(Stage::Decode, || {
        decode_jpeg(preview.jpeg, limits, &needed, shrink, preview.orientation)
    })?;
    let mut rendered = render_decoded(decoded, original, specs)?;
    if let Some((width, height)) = dng_dimensions(original) {
        for r in &mut rendered {
            (r.source_width, r.source_height) = (width, height);
        }
    }
    Ok(rendered)
}

/// The long edge of the largest resized (uncropped) output: what the
/// decoder may shrink to, asked once it knows the stored size and orientation.
fn largest_long_edge(specs: &[RenditionSpec], w: u32, h: u32, o: Orientation) -> u32 {
    specs
        .iter()
        .map(|s| Placement::of(s, w, h, o).resized)
        .map(|(rw, rh)| rw.max(rh))
        .max()
        .unwrap_or(0)
}

/// Steps 3 and on of [`render`], from decoded pixels; `original` is read
/// again only for the EXIF that specs keep.
fn render_decoded(
    decoded: Decoded,
    original: &[u8],
    specs: &[RenditionSpec],
) -> Result<Vec<Rendered>, PipelineError> {
    let Decoded {
        image,
        orientation,
        source_width,
        source_height,
        warning,
        icc,
    } = decoded;
    // Each spec's resized size (stored orientation, before any crop),
    // from the original's size, not the (possibly DCT-scaled) decode, so
    // shrink-on-load never changes an output's dimensions.
    let placements = Placement::plan(specs, source_width, source_height, orientation);
    let finishing = Finishing {
        orientation,
        icc,
        sharpening: None,
        original: Some(original),
        source_size: (source_width, source_height),
        warning,
    };
    finish_renditions(image, placements, finishing)
}

/// What [`finish_renditions`] does to every rendition besides resizing it.
pub(crate) struct Finishing<'a> {
    /// How the pixels are stored: turned upright last, on the small picture.
    pub(crate) orientation: Orientation,
    /// The ICC profile the pixels are in, when they are not sRGB already.
    pub(crate) icc: Option<Vec<u8>>,
    /// An edit's output sharpening (float pixels only).
    pub(crate) sharpening: Option<&'a Sharpening>,
    /// The original, for the EXIF that specs keep.
    pub(crate) original: Option<&'a [u8]>,
    /// The original's size as stored, reported with each rendition.
    pub(crate) source_size: (u32, u32),
    /// What the decoder went past, reported with each rendition.
    pub(crate) warning: Option<String>,
}

/// The one finishing loop, for unedited renders (8- or 16-bit pixels) and
/// edits (sRGB-encoded float pixels) alike: for each placement, largest
/// first, the steps [`crate::plan::Step`] lists from `Resize` on.
pub(crate) fn finish_renditions(
    mut source: DynamicImage,
    placements: Vec<(&RenditionSpec, Placement)>,
    finishing: Finishing<'_>,
) -> Result<Vec<Rendered>, PipelineError> {
    let Finishing {
        orientation,
        mut icc,
        sharpening,
        original,
        source_size: (source_width, source_height),
        mut warning,
    } = finishing;
    // The kept EXIF blocks, read from the original once per level asked.
    let mut exif_blocks = KeptExif::of(original);
    let mut out = Vec::with_capacity(placements.len());
    // `source` holds the previous (larger) resized pixels, uncropped and
    // in stored orientation: each smaller rendition is made from it.
    for (spec, placement) in placements {
        // Resize.
        let (w, h) = placement.resized;
        let (w, h) = (w.min(source.width()), h.min(source.height()));
        if (w, h) != (source.width(), source.height()) {
            let smaller = timed(Stage::Resize, || resize(&source, w, h))?;
            buffers::recycle(std::mem::replace(&mut source, smaller));
        }
        // Convert to sRGB: once, on the largest rendition; the smaller ones
        // inherit it.
        if let Some(profile) = icc.take()
            && let Err(e) = timed(Stage::Colour, || convert_to_srgb(&profile, &mut source))
        {
            warning.get_or_insert(e);
        }
        // Crop.
        let cropped = placement.crop(&source);
        let framed = cropped.as_ref().unwrap_or(&source);
        // Sharpen, at the rendition's own size.
        let sharpened = sharpening.and_then(|s| sharpened(framed, s));
        let framed = sharpened.as_ref().unwrap_or(framed);
        // To 8 bits: resized and colour-converted at 16 bits or in float,
        // reduced once per rendition.
        let eight_bit = to_eight_bits(framed);
        let framed = eight_bit.as_ref().unwrap_or(framed);
        let exif = exif_blocks.get(spec.keep());
        // Orient and encode. Most photos need no turning: encode the pixels
        // as they are, and copy only to turn a small, final image.
        let bytes = if orientation == Orientation::Normal {
            timed(Stage::Encode, || encode(framed, spec, exif))?
        } else {
            let upright = timed(Stage::Orient, || orientation.upright(framed));
            let bytes = timed(Stage::Encode, || encode(&upright, spec, exif))?;
            buffers::recycle(upright);
            bytes
        };
        let (width, height) = orientation.upright_size(framed.width(), framed.height());
        out.push(Rendered {
            spec: spec.clone(),
            bytes,
            width,
            height,
            source_width,
            source_height,
            decode_warning: warning.clone(),
        });
    }
    buffers::recycle(source);
    Ok(out)
}

/// Float pixels sharpened; `None` for any other kind (only an edit's are
/// sharpened, and those are float).
fn sharpened(image: &DynamicImage, sharpening: &Sharpening) -> Option<DynamicImage> {
    let DynamicImage::ImageRgb32F(pixels) = image else {
        return None;
    };
    let mut pixels = pixels.clone();
    sharpen(&mut pixels, sharpening);
    Some(DynamicImage::ImageRgb32F(pixels))
}

/// `image` at 8 bits per channel, rounded; `None` when it is already.
fn to_eight_bits(image: &DynamicImage) -> Option<DynamicImage> {
    match image {
        DynamicImage::ImageRgb16(_) => Some(DynamicImage::ImageRgb8(image.to_rgb8())),
        DynamicImage::ImageLuma16(_) => Some(DynamicImage::ImageLuma8(image.to_luma8())),
        DynamicImage::ImageRgb32F(pixels) => Some(quantise_8(pixels)),
        _ => None,
    }
}

/// Where one rendition comes from: the size the picture is resized to (in
/// stored orientation), and for `Fit::Cover` the box cropped from its centre.
pub(crate) struct Placement {
    pub(crate) resized: (u32, u32),
    /// Crop box in stored orientation, when the fit crops.
    crop_to: Option<(u32, u32)>,
}

impl Placement {
    /// Every spec's placement on a `width × height` picture, largest first:
    /// each smaller rendition is then made from the one before it.
    pub(crate) fn plan(
        specs: &[RenditionSpec],
        width: u32,
        height: u32,
        orientation: Orientation,
    ) -> Vec<(&RenditionSpec, Placement)> {
        let mut plan: Vec<(&RenditionSpec, Placement)> = specs
            .iter()
            .map(|s| (s, Placement::of(s, width, height, orientation)))
            .collect();
        plan.sort_by_key(|(_, p)| {
            std::cmp::Reverse(u64::from(p.resized.0) * u64::from(p.resized.1))
        });
        plan
    }

    pub(crate) fn of(
        spec: &RenditionSpec,
        width: u32,
        height: u32,
        orientation: Orientation,
    ) -> Self {
        let (bw, bh) = Self::stored_box(spec, orientation);
        let (sw, sh) = (f64::from(width.max(1)), f64::from(height.max(1)));
        let scale = Self::scale(spec, width, height, orientation).min(1.0); // never upscale
        let resized = (
            ((sw * scale).round() as u32).clamp(1, width.max(1)),
            ((sh * scale).round() as u32).clamp(1, height.max(1)),
        );
        let crop_to = (spec.fit() == Fit::Cover).then(|| (bw.min(resized.0), bh.min(resized.1)));
        Placement { resized, crop_to }
    }

    /// The spec's box is in displayed pixels; this is it in stored ones.
    fn stored_box(spec: &RenditionSpec, orientation: Orientation) -> (u32, u32) {
        match spec.size() {
            (w, h) if orientation.swaps_dimensions() => (h, w),
            size => size,
        }
    }

    /// How much `spec` scales a `width × height` picture, before the
    /// never-upscale clamp: above 1 means the picture is too small for it.
    pub(crate) fn scale(
        spec: &RenditionSpec,
        width: u32,
        height: u32,
        orientation: Orientation,
    ) -> f64 {
        let (bw, bh) = Self::stored_box(spec, orientation);
        let (fx, fy) = (
            f64::from(bw) / f64::from(width.max(1)),
            f64::from(bh) / f64::from(height.max(1)),
        );
        match spec.fit() {
            Fit::Inside => fx.min(fy),
            Fit::Cover => fx.max(fy),
        }
    }

    /// The centre crop for `Fit::Cover`; `None` when nothing is cut.
    pub(crate) fn crop(&self, resized: &DynamicImage) -> Option<DynamicImage> {
        let (w, h) = self.crop_to?;
        let (w, h) = (w.min(resized.width()), h.min(resized.height()));
        if (w, h) == (resized.width(), resized.height()) {
            return None;
        }
        let (x, y) = ((resized.width() - w) / 2, (resized.height() - h) / 2);
        Some(resized.crop_imm(x, y, w, h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFormat;
    use crate::fixtures::jpeg;
    use moxcms::ColorProfile;

    /// `render` with the default limits and shrink-on-load.
    fn render_fast(
        original: &[u8],
        specs: &[RenditionSpec],
    ) -> Result<Vec<Rendered>, PipelineError> {
        render(original, specs, &Limits::default(), ShrinkOnLoad::Fast)
    }

    #[test]
    fn renders_every_spec_at_its_size() {
        let out = render_fast(&jpeg(2000, 1000), &RenditionSpec::defaults()).unwrap();
        let sizes: Vec<_> = out
            .iter()
            .map(|r| (r.spec.name().to_string(), r.width, r.height))
            .collect();
        assert!(sizes.contains(&("thumb".into(), 256, 128)), "{sizes:?}");
        assert!(sizes.contains(&("preview".into(), 1440, 720)), "{sizes:?}");
        for r in &out {
            let decoded = image::load_from_memory(&r.bytes).unwrap();
            assert_eq!((decoded.width(), decoded.height()), (r.width, r.height));
        }
    }

    #[test]
    fn corrupt_input_is_an_error_not_a_panic() {
        let mut bytes = jpeg(64, 64);
        let len = bytes.len();
        bytes.truncate(len / 3);
        bytes.extend_from_slice(&[0xFF; 64]);
        // Truncated JPEGs may decode partially; what matters is no panic.
        let _ = render_fast(&bytes, &RenditionSpec::defaults());
        assert!(render_fast(b"\xFF\xD8\xFF\x00garbage", &RenditionSpec::defaults()).is_err());
    }

    /// In this process (not the helper) HEIF has no decoder: reported so.
    #[test]
    fn formats_without_decoder_are_reported() {
        let err =
            render_fast(b"\0\0\0\x18ftypheic\0\0\0\0", &RenditionSpec::defaults()).unwrap_err();
        assert!(matches!(err, PipelineError::NoDecoder(SourceFormat::Heic)));
    }

    #[test]
    fn rgb_renditions_are_tagged_srgb_and_deterministic() {
        let specs: Vec<RenditionSpec> = vec![
            "a:300:jpeg:80".parse().unwrap(),
            "b:100:png".parse().unwrap(),
        ];
        let once = render_fast(&jpeg(600, 400), &specs).unwrap();
        let again = render_fast(&jpeg(600, 400), &specs).unwrap();
        for (r, s) in once.iter().zip(&again) {
            assert_eq!(
                r.bytes,
                s.bytes,
                "{}: same input and spec, same bytes",
                r.spec.name()
            );
            let info = crate::info(&r.bytes).unwrap();
            assert_eq!(
                info.icc_profile.as_deref(),
                Some("sRGB IEC61966-2.1"),
                "{}",
                r.spec.name()
            );
        }
    }

    #[test]
    fn display_p3_sources_are_converted_to_srgb() {
        // A flat P3 mid green, tagged with a Display P3 profile: the rendition
        // must hold its sRGB equivalent, about (65, 182, 90) (worked in
        // colour.rs), not the P3 numbers (100, 180, 100) read as sRGB.
        let (w, h) = (600u16, 400u16);
        let pixels: Vec<u8> = [100u8, 180, 100].repeat(usize::from(w) * usize::from(h));
        let mut bytes = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut bytes, 95);
        encoder
            .add_icc_profile(&moxcms::ColorProfile::new_display_p3().encode().unwrap())
            .unwrap();
        encoder
            .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        let out = render_fast(&bytes, &RenditionSpec::defaults()).unwrap();
        for r in &out {
            assert_eq!(r.decode_warning, None);
            let px = image::load_from_memory(&r.bytes)
                .unwrap()
                .to_rgb8()
                .get_pixel(50, 50)
                .0;
            assert!(
                px.iter()
                    .zip([65, 182, 90])
                    .all(|(a, b)| a.abs_diff(b) <= 5),
                "{}: {px:?}",
                r.spec.name()
            );
        }
    }

    #[test]
    fn placements_keep_aspect_crop_to_the_box_and_never_upscale() {
        let at = |spec: &str, w, h, o| {
            let p = Placement::of(&spec.parse().unwrap(), w, h, o);
            (p.resized, p.crop_to)
        };
        let normal = Orientation::Normal;
        assert_eq!(at("t:256", 6000, 4000, normal), ((256, 171), None));
        assert_eq!(at("t:256", 4000, 6000, normal), ((171, 256), None));
        assert_eq!(at("t:256", 100, 50, normal), ((100, 50), None));
        assert_eq!(at("t:256", 100_000, 1, normal), ((256, 1), None));
        assert_eq!(at("b:1200x400", 6000, 4000, normal), ((600, 400), None));
        // Cover: scaled to fill, then the box is cut from the middle.
        assert_eq!(
            at("s:400x400-cover", 6000, 4000, normal),
            ((600, 400), Some((400, 400)))
        );
        // The box is in displayed pixels: a quarter turn swaps it (stored
        // 6000×4000 shows as 4000×6000; a 400×200 box is 200×400 stored).
        assert_eq!(
            at("s:400x200-cover", 6000, 4000, Orientation::Rotate90),
            ((600, 400), Some((200, 400)))
        );
        // Smaller than the box: no upscaling, the crop is what there is.
        assert_eq!(
            at("s:400x400-cover", 300, 100, normal),
            ((300, 100), Some((300, 100)))
        );
    }

    #[test]
    fn cover_renditions_fill_their_box_upright_and_leave_the_others_whole() {
        let specs: Vec<RenditionSpec> = vec![
            "square:200x200-cover".parse().unwrap(),
            "wide:1000x300".parse().unwrap(),
            "thumb:256".parse().unwrap(),
        ];
        let out = render_fast(&jpeg(2000, 1000), &specs).unwrap();
        let size = |name: &str| {
            let r = out.iter().find(|r| r.spec.name() == name).unwrap();
            let decoded = image::load_from_memory(&r.bytes).unwrap();
            assert_eq!(
                (decoded.width(), decoded.height()),
                (r.width, r.height),
                "{name}"
            );
            (r.width, r.height)
        };
        assert_eq!(size("square"), (200, 200));
        assert_eq!(size("wide"), (600, 300));
        // Made after the square from the same uncropped pixels: not cropped.
        assert_eq!(size("thumb"), (256, 128));
        // The square is the middle of the picture: the fixture's red channel
        // grows left to right, so its centre column is mid-red.
        let square = out.iter().find(|r| r.spec.name() == "square").unwrap();
        let px = image::load_from_memory(&square.bytes)
            .unwrap()
            .to_rgb8()
            .get_pixel(100, 100)
            .0;
        assert!(px[0].abs_diff(128) < 12, "{px:?}");
    }

    #[test]
    fn kept_metadata_reaches_every_format_and_location_never_does() {
        let original = crate::metadata::kept_exif::tests::jpeg_with_private_exif(640, 480);
        let source = crate::info(&original).unwrap();
        assert!(source.metadata.gps.is_some(), "the fixture has a position");
        let specs: Vec<RenditionSpec> = [
            "j:320:jpeg:80:exif",
            "w:320:webp:80:exif",
            "p:160:png:80:exif",
            "c:100:jpeg:80:copyright",
            "plain:100:jpeg:80",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        let out = render_fast(&original, &specs).unwrap();
        for r in &out {
            let name = r.spec.name();
            let info = crate::info(&r.bytes).unwrap();
            let m = &info.metadata;
            // Upright pixels (orientation 6 turned), and no tag saying otherwise.
            assert!(r.height > r.width, "{name}: {}×{}", r.width, r.height);
            assert_eq!(m.orientation.unwrap_or(1), 1, "{name}");
            assert_eq!(m.gps, None, "{name}");
            let camera = (m.make.as_deref(), m.model.as_deref());
            match name {
                "j" | "w" | "p" => {
                    assert_eq!(
                        camera,
                        (Some("Leica Camera AG"), Some("LEICA Q3")),
                        "{name}"
                    );
                    assert_eq!(m.taken_at.as_deref(), Some("2026-05-04T10:11:12+02:00"));
                    assert_eq!(m.f_number, Some(2.8), "{name}");
                }
                _ => assert_eq!(camera, (None, None), "{name}"),
            }
            let has_copyright = find(&r.bytes, b"(c) 2026 Ada Photographer");
            assert_eq!(has_copyright, name != "plain", "{name}");
            assert!(!find(&r.bytes, b"secret place"), "{name}: maker note");
        }
    }

    fn find(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn raw_renditions_come_from_a_large_enough_embedded_preview() {
        let preview = jpeg(600, 400);
        let raw = crate::decode::raw_preview::tests::dng_with_preview((1200, 800), &preview, 6);
        assert_eq!(sniff(&raw), Some(SourceFormat::Dng));
        let unedited = crate::edit::EditRecipe::default();
        let from_preview = |specs: &[RenditionSpec]| {
            let plan = crate::plan(&raw, &unedited, specs).unwrap();
            plan.tries_embedded_preview().then(|| {
                plan.run(&raw, specs, &Limits::default(), ShrinkOnLoad::Fast, None)
                    .unwrap()
            })
        };
        let specs: Vec<RenditionSpec> = vec!["thumb:256".parse().unwrap()];
        let out = from_preview(&specs).expect("a 600 px preview covers a 256 px thumb");
        // Turned by the RAW's orientation (6: a quarter turn clockwise).
        assert_eq!((out[0].width, out[0].height), (171, 256));
        assert_eq!((out[0].source_width, out[0].source_height), (1200, 800));
        // The gradient's red grows left to right in the stored preview; turned
        // clockwise, it grows top to bottom.
        let thumb = image::load_from_memory(&out[0].bytes).unwrap().to_rgb8();
        assert!(thumb.get_pixel(85, 250)[0] > thumb.get_pixel(85, 5)[0] + 150);

        // Too small for a 1440 px preview (or a 700 px-high box): developed instead.
        for too_big in ["preview:1440", "box:2000x700", "sq:500x500-cover"] {
            let specs = vec![too_big.parse().unwrap()];
            assert!(from_preview(&specs).is_none(), "{too_big}");
        }
        // Not a RAW: nothing to say. (A damaged preview: see plan.rs.)
        let plan = crate::plan(&preview, &unedited, &specs).unwrap();
        assert!(!plan.tries_embedded_preview());
    }

    #[test]
    fn sixteen_bit_sources_keep_their_precision_until_the_encode() {
        // Deep shadows of a 16-bit linear-light PNG (sRGB primaries, a
        // gamma-1 profile): linear values 0–2000 of 65535, which the sRGB
        // curve spreads over about 50 output levels. Cut to 8 bits before the
        // colour conversion they would be 9 levels, banding visibly.
        let mut linear = ColorProfile::new_srgb();
        for trc in [
            &mut linear.red_trc,
            &mut linear.green_trc,
            &mut linear.blue_trc,
        ] {
            *trc = Some(moxcms::ToneReprCurve::Parametric(vec![1.0]));
        }
        // Else moxcms would go by the sRGB CICP tag new_srgb() carries.
        linear.cicp = None;
        let (w, h) = (400u32, 8u32);
        let value = |x: u32| (x * 2000 / (w - 1)) as u16;
        let pixels: image::ImageBuffer<image::Rgb<u16>, Vec<u16>> =
            image::ImageBuffer::from_fn(w, h, |x, _| image::Rgb([value(x); 3]));
        let mut png = Vec::new();
        let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
        image::ImageEncoder::set_icc_profile(&mut encoder, linear.encode().unwrap()).unwrap();
        DynamicImage::ImageRgb16(pixels)
            .write_with_encoder(encoder)
            .unwrap();

        let specs = vec!["same:400:png".parse().unwrap()];
        let out = render_fast(&png, &specs).unwrap();
        let rendered = image::load_from_memory(&out[0].bytes).unwrap().to_rgb8();
        let srgb = |linear: f64| {
            let v = if linear <= 0.003_130_8 {
                12.92 * linear
            } else {
                1.055 * linear.powf(1.0 / 2.4) - 0.055
            };
            (v * 255.0).round() as u8
        };
        let mut levels = std::collections::BTreeSet::new();
        for x in 0..w {
            let got = rendered.get_pixel(x, 4)[1];
            let expected = srgb(f64::from(value(x)) / 65535.0);
            assert!(got.abs_diff(expected) <= 1, "x {x}: {got} vs {expected}");
            levels.insert(got);
        }
        assert!(levels.len() >= 45, "{} levels", levels.len());
    }
}
