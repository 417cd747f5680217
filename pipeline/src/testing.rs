//! Test fixtures shared with the workspace's integration tests (feature
//! `testing`): files made in code, so no binary fixture is committed.

use image::Rgb32FImage;

/// What a camera with linear-sRGB primaries and neutral (as-shot)
/// `neutral` records of `scene`: its linear values, scaled per channel.
pub fn camera_from_srgb(scene: &image::RgbImage, neutral: [f32; 3]) -> Rgb32FImage {
    Rgb32FImage::from_fn(scene.width(), scene.height(), |x, y| {
        let p = scene.get_pixel(x, y).0;
        image::Rgb(
            [0, 1, 2].map(|c| crate::edit::srgb_to_linear(f32::from(p[c]) / 255.0) * neutral[c]),
        )
    })
}

/// A grey card of `reflectance` (0.18: middle grey) under a light of
/// `kelvin`, as a camera with linear-sRGB primaries records it (green =
/// `reflectance`): the scene for white balance tests.
pub fn grey_card_under(kelvin: f32, reflectance: f32) -> [f32; 3] {
    crate::edit::light_in_linear_srgb(kelvin, 0.0).map(|v| v * reflectance)
}

/// A linear value as an 8-bit sRGB level, as renditions encode it.
pub fn srgb_level(linear: f32) -> u8 {
    (crate::edit::linear_to_srgb(linear) * 255.0).round() as u8
}

/// A DNG holding `camera` as a camera would record it: an RGGB mosaic of
/// its linear values (0..1, clipped), 14-bit above a black level of 1024,
/// in 16-bit words, one strip, from a camera whose primaries are linear
/// sRGB's (ColorMatrix1 = XYZ → linear sRGB, D65) and whose as-shot neutral
/// is `as_shot_neutral`. `orientation` is EXIF's.
pub fn bayer_dng(camera: &Rgb32FImage, as_shot_neutral: [f32; 3], orientation: u16) -> Vec<u8> {
    bayer_dng_with(camera, as_shot_neutral, orientation, &|_| {
        (Vec::new(), Vec::new())
    })
}

/// An IFD entry for the fixture builders: tag, type, count, value bytes
/// (inline when 4 bytes or fewer, else stored out of line).
type Field = (u16, u16, u32, Vec<u8>);

/// [`bayer_dng`] with `extra` IFD0 entries and bytes after the raw data:
/// `extra` is given the offset where its bytes will start (and must give
/// the same sizes whatever it is given).
fn bayer_dng_with(
    camera: &Rgb32FImage,
    as_shot_neutral: [f32; 3],
    orientation: u16,
    extra: &dyn Fn(u32) -> (Vec<Field>, Vec<u8>),
) -> Vec<u8> {
    const BLACK: f32 = 1024.0;
    const WHITE: f32 = 16383.0;
    let (w, h) = camera.dimensions();
    let mut mosaic = Vec::with_capacity((w * h * 2) as usize);
    for y in 0..h {
        for x in 0..w {
            let channel = match (y % 2, x % 2) {
                (0, 0) => 0,
                (1, 1) => 2,
                _ => 1,
            };
            let linear = camera.get_pixel(x, y)[channel].clamp(0.0, 1.0);
            let value = (BLACK + linear * (WHITE - BLACK)).round() as u16;
            mosaic.extend_from_slice(&value.to_le_bytes());
        }
    }
    let srational = |v: f64| {
        let mut b = ((v * 10_000.0).round() as i32).to_le_bytes().to_vec();
        b.extend_from_slice(&10_000i32.to_le_bytes());
        b
    };
    let rational = |v: f64| {
        let mut b = ((v * 10_000.0).round() as u32).to_le_bytes().to_vec();
        b.extend_from_slice(&10_000u32.to_le_bytes());
        b
    };
    // ColorMatrix1: XYZ → camera, here XYZ → linear sRGB.
    let xyz_to_srgb: Vec<f64> = crate::edit::XYZ_TO_SRGB
        .as_flattened()
        .iter()
        .map(|&v| f64::from(v))
        .collect();
    // (tag, type, count, value bytes); types: 1 BYTE, 2 ASCII, 3 SHORT,
    // 4 LONG, 5 RATIONAL, 10 SRATIONAL.
    let short = |v: u16| v.to_le_bytes().to_vec();
    let long = |v: u32| v.to_le_bytes().to_vec();
    let ascii = |s: &str| {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        b
    };
    let mut entries: Vec<Field> = vec![
        (254, 4, 1, long(0)),
        (256, 4, 1, long(w)),
        (257, 4, 1, long(h)),
        (258, 3, 1, short(16)),
        (259, 3, 1, short(1)),
        (262, 3, 1, short(32803)),
        (271, 2, 9, ascii("darkroom")),
        (272, 2, 9, ascii("test-cam")),
        (273, 4, 1, long(0)), // strip offset, patched below
        (274, 3, 1, short(orientation)),
        (277, 3, 1, short(1)),
        (278, 4, 1, long(h)),
        (279, 4, 1, long(w * h * 2)),
        (33421, 3, 2, [short(2), short(2)].concat()),
        (33422, 1, 4, vec![0, 1, 1, 2]),
        (50706, 1, 4, vec![1, 4, 0, 0]),
        (50708, 2, 18, ascii("darkroom test-cam")),
        (50714, 4, 1, long(BLACK as u32)),
        (50717, 4, 1, long(WHITE as u32)),
        (
            50721,
            10,
            9,
            xyz_to_srgb.iter().flat_map(|&v| srational(v)).collect(),
        ),
        (
            50728,
            5,
            3,
            as_shot_neutral
                .iter()
                .flat_map(|&v| rational(f64::from(v)))
                .collect(),
        ),
        (50778, 3, 1, short(21)), // D65
    ];
    // IFD0 at 8, its values after it, then the raw data, then `extra`'s.
    let ifd0 = |entries: &[Field]| ifd_at(8, entries.to_vec());
    let tail_at = |entries: &[Field]| (8 + ifd0(entries).len() + mosaic.len()) as u32;
    let (sizing, _) = extra(0);
    let at = tail_at(&[entries.clone(), sizing].concat());
    let (fields, tail) = extra(at);
    entries.extend(fields);
    let strip_at = 8 + ifd0(&entries).len() as u32;
    entries.iter_mut().find(|e| e.0 == 273).unwrap().3 = long(strip_at);
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&ifd0(&entries));
    debug_assert_eq!(out.len() as u32, strip_at);
    out.extend_from_slice(&mosaic);
    debug_assert_eq!(out.len() as u32, at);
    out.extend_from_slice(&tail);
    out
}

/// The two files a camera set to RAW+JPEG writes of one exposure taken at
/// `taken` (EXIF's `YYYY:MM:DD HH:MM:SS`): a DNG whose picture develops
/// red and a JPEG of the same size that is green, so a test can tell which
/// one a rendition came from; both from camera `darkroom` `test-cam`.
pub struct CapturePair {
    /// The DNG.
    pub raw: Vec<u8>,
    /// The camera's JPEG.
    pub jpeg: Vec<u8>,
}

/// The colour the RAW of a [`CapturePair`] develops to.
pub const PAIR_RAW_COLOUR: [u8; 3] = [200, 40, 40];
/// The colour of the JPEG of a [`CapturePair`].
pub const PAIR_JPEG_COLOUR: [u8; 3] = [40, 180, 60];

/// Makes a [`CapturePair`] taken at `taken`.
pub fn capture_pair(taken: &str) -> CapturePair {
    const NEUTRAL: [f32; 3] = [0.5, 1.0, 0.6667];
    let (w, h) = (96, 64);
    let red = image::RgbImage::from_pixel(w, h, image::Rgb(PAIR_RAW_COLOUR));
    let camera = camera_from_srgb(&red, NEUTRAL);
    let date = exif_ascii(taken);
    let raw = bayer_dng_with(&camera, NEUTRAL, 1, &|at| {
        let exif_ifd = ifd_at(at, vec![(0x9003, 2, date.len() as u32, date.clone())]);
        (vec![(0x8769, 4, 1, at.to_le_bytes().to_vec())], exif_ifd)
    });
    let green = image::RgbImage::from_pixel(w, h, image::Rgb(PAIR_JPEG_COLOUR));
    let mut encoded = Vec::new();
    image::DynamicImage::ImageRgb8(green)
        .write_to(
            &mut std::io::Cursor::new(&mut encoded),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    // EXIF: IFD0 (Make, Model, Exif pointer) → Exif IFD (DateTimeOriginal).
    let ifd0 = |exif_at: u32| {
        ifd_at(
            8,
            vec![
                (271, 2, 9, exif_ascii("darkroom")),
                (272, 2, 9, exif_ascii("test-cam")),
                (0x8769, 4, 1, exif_at.to_le_bytes().to_vec()),
            ],
        )
    };
    let exif_at = 8 + ifd0(0).len() as u32;
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&ifd0(exif_at));
    tiff.extend_from_slice(&ifd_at(
        exif_at,
        vec![(0x9003, 2, date.len() as u32, date.clone())],
    ));
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut jpeg = encoded[..2].to_vec();
    jpeg.extend_from_slice(&jpeg_segment(0xE1, &app1));
    jpeg.extend_from_slice(&encoded[2..]);
    CapturePair { raw, jpeg }
}

/// The first bytes of an MP4 (a `ftyp` box, then an `mdat` of `seed`'s
/// bytes): enough for darkroom to know a video, not enough to play.
pub fn tiny_mp4(seed: u8) -> Vec<u8> {
    let mut video = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom".to_vec();
    let data = vec![seed; 500];
    video.extend_from_slice(&((data.len() + 8) as u32).to_be_bytes());
    video.extend_from_slice(b"mdat");
    video.extend_from_slice(&data);
    video
}

/// A motion photo as a Pixel writes it: `jpeg` with XMP whose container
/// directory declares a `MotionPhoto` item of `video`'s length, then
/// `video` after the image.
pub fn motion_photo(jpeg: &[u8], video: &[u8]) -> Vec<u8> {
    let xmp = format!(
        r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
 xmlns:Container="http://ns.google.com/photos/1.0/container/"
 xmlns:Item="http://ns.google.com/photos/1.0/container/item/"
 GCamera:MotionPhoto="1" GCamera:MotionPhotoVersion="1">
<Container:Directory><rdf:Seq>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="image/jpeg" Item:Semantic="Primary" Item:Length="0" Item:Padding="0"/></rdf:li>
<rdf:li rdf:parseType="Resource"><Container:Item Item:Mime="video/mp4" Item:Semantic="MotionPhoto" Item:Length="{}" Item:Padding="0"/></rdf:li>
</rdf:Seq></Container:Directory></rdf:Description></rdf:RDF></x:xmpmeta>"#,
        video.len()
    );
    let mut file = described_jpeg(jpeg, Some(&xmp), &[]);
    file.extend_from_slice(video);
    file
}

/// An iPhone's maker note naming a Live Photo's content identifier (tag
/// 0x0011), as Apple writes it: `Apple iOS\0`, version 1, `MM`, an IFD whose
/// offsets count from the note's start.
pub fn apple_maker_note(content_identifier: &str) -> Vec<u8> {
    let value = exif_ascii(content_identifier);
    let mut note = b"Apple iOS\0\0\x01MM".to_vec();
    note.extend_from_slice(&1u16.to_be_bytes());
    let value_at = (note.len() + 12 + 4) as u32;
    note.extend_from_slice(&0x0011u16.to_be_bytes());
    note.extend_from_slice(&2u16.to_be_bytes());
    note.extend_from_slice(&(value.len() as u32).to_be_bytes());
    note.extend_from_slice(&value_at.to_be_bytes());
    note.extend_from_slice(&0u32.to_be_bytes());
    note.extend_from_slice(&value);
    note
}

/// A Live Photo's still as an iPhone set to "Most Compatible" writes it: a
/// JPEG from Apple's camera whose maker note names `content_identifier`.
pub fn live_photo_jpeg(jpeg: &[u8], content_identifier: &str) -> Vec<u8> {
    let note = apple_maker_note(content_identifier);
    let ifd0 = |exif_at: u32| {
        ifd_at(
            8,
            vec![
                (271, 2, 6, exif_ascii("Apple")),
                (272, 2, 10, exif_ascii("iPhone 12")),
                (0x8769, 4, 1, exif_at.to_le_bytes().to_vec()),
            ],
        )
    };
    let exif_at = 8 + ifd0(0).len() as u32;
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&ifd0(exif_at));
    tiff.extend_from_slice(&ifd_at(exif_at, vec![(0x927C, 7, note.len() as u32, note)]));
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&jpeg_segment(0xE1, &app1));
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A Live Photo's video as an iPhone writes it: a QuickTime movie (`ftyp`
/// `qt  `), `media_bytes` of media data, then the `moov` box whose metadata
/// names `content_identifier`. Not playable: enough to pair.
pub fn live_photo_mov(content_identifier: &str, media_bytes: usize) -> Vec<u8> {
    fn boxed(kind: &[u8], contents: &[u8]) -> Vec<u8> {
        let mut b = ((contents.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(contents);
        b
    }
    let key = b"com.apple.quicktime.content.identifier";
    let mut keys = vec![0, 0, 0, 0];
    keys.extend_from_slice(&2u32.to_be_bytes());
    for name in [&b"com.apple.quicktime.make"[..], key] {
        keys.extend_from_slice(&((name.len() + 8) as u32).to_be_bytes());
        keys.extend_from_slice(b"mdta");
        keys.extend_from_slice(name);
    }
    let value = |text: &str| {
        let mut data = 1u32.to_be_bytes().to_vec(); // UTF-8
        data.extend_from_slice(&[0, 0, 0, 0]);
        data.extend_from_slice(text.as_bytes());
        boxed(b"data", &data)
    };
    let ilst = [
        boxed(&1u32.to_be_bytes(), &value("Apple")),
        boxed(&2u32.to_be_bytes(), &value(content_identifier)),
    ]
    .concat();
    let hdlr = boxed(b"hdlr", &[&[0u8; 8][..], b"mdta", &[0u8; 13][..]].concat());
    let meta = boxed(
        b"meta",
        &[hdlr, boxed(b"keys", &keys), boxed(b"ilst", &ilst)].concat(),
    );
    let moov = boxed(b"moov", &[boxed(b"mvhd", &[0u8; 100]), meta].concat());
    [
        boxed(b"ftyp", b"qt  \0\0\0\0qt  "),
        boxed(b"wide", b""),
        boxed(b"mdat", &vec![0x42; media_bytes]),
        moov,
    ]
    .concat()
}

/// An ASCII value as TIFF stores it: the text and a NUL.
fn exif_ascii(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    bytes.push(0);
    bytes
}

/// An IFD laid out at absolute offset `at` (little-endian), its values
/// that do not fit inline right after it.
fn ifd_at(at: u32, mut fields: Vec<Field>) -> Vec<u8> {
    fields.sort_by_key(|f| f.0);
    let mut values_at = at as usize + 2 + fields.len() * 12 + 4;
    let mut out = (fields.len() as u16).to_le_bytes().to_vec();
    let mut values = Vec::new();
    for (tag, kind, count, value) in &fields {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if value.len() <= 4 {
            let mut inline = value.clone();
            inline.resize(4, 0);
            out.extend_from_slice(&inline);
        } else {
            out.extend_from_slice(&(values_at as u32).to_le_bytes());
            values_at += value.len();
            values.extend_from_slice(value);
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&values);
    out
}

/// Places a camera can record, which must never leave through a link.
pub const PLACE_NAME: &str = "Montmartre";

/// A DNG (as [`bayer_dng`]) that says where it was taken in every place a
/// RAW can: a GPS IFD, XMP, a maker note naming [`PLACE_NAME`], and a JPEG
/// preview with its own GPS EXIF and XMP.
pub fn located_dng(camera: &Rgb32FImage, as_shot_neutral: [f32; 3]) -> Vec<u8> {
    let preview = located_jpeg(&small_jpeg());
    let xmp = format!("<x:xmpmeta><photoshop:City>{PLACE_NAME}</photoshop:City></x:xmpmeta>");
    bayer_dng_with(camera, as_shot_neutral, 1, &move |at| {
        let gps = gps_fields();
        let gps_ifd = ifd_at(at, gps);
        let exif_at = at + gps_ifd.len() as u32;
        let maker_note = format!("Panasonic\0\0\0City: {PLACE_NAME}").into_bytes();
        let exif_ifd = ifd_at(
            exif_at,
            vec![(0x927C, 7, maker_note.len() as u32, maker_note)],
        );
        let preview_at = exif_at + exif_ifd.len() as u32;
        let fields = vec![
            (0x8825, 4, 1, gps_at_value(at)),
            (0x8769, 4, 1, exif_at.to_le_bytes().to_vec()),
            (700, 1, xmp.len() as u32, xmp.clone().into_bytes()),
            (0x201, 4, 1, preview_at.to_le_bytes().to_vec()),
            (0x202, 4, 1, (preview.len() as u32).to_le_bytes().to_vec()),
        ];
        (fields, [gps_ifd, exif_ifd, preview.clone()].concat())
    })
}

fn gps_at_value(at: u32) -> Vec<u8> {
    at.to_le_bytes().to_vec()
}

/// GPS fields for 48°51'29.59"N 2°17'40"E.
fn gps_fields() -> Vec<Field> {
    let rationals = |v: [u32; 6]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    vec![
        (1, 2, 2, b"N\0".to_vec()),
        (2, 5, 3, rationals([48, 1, 51, 1, 2959, 100])),
        (3, 2, 2, b"E\0".to_vec()),
        (4, 5, 3, rationals([2, 1, 17, 1, 4000, 100])),
    ]
}

/// A 16×16 blue JPEG with no metadata.
pub fn small_jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(16, 16, image::Rgb([90, 120, 200]));
    let mut encoded = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut encoded),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    encoded
}

/// `jpeg` with an XMP packet (APP1, when given) and an IPTC-IIM record
/// (APP13, declared UTF-8, when `iim` has datasets: ((record, dataset),
/// value)) right after its SOI.
pub fn described_jpeg(jpeg: &[u8], xmp: Option<&str>, iim: &[((u8, u8), &[u8])]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    if let Some(xmp) = xmp {
        let mut body = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
        body.extend_from_slice(xmp.as_bytes());
        out.extend_from_slice(&jpeg_segment(0xE1, &body));
    }
    if !iim.is_empty() {
        out.extend_from_slice(&crate::metadata::iptc::build::app13(iim, true));
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A JPEG marker segment: FF, `marker`, its length, `body`.
pub fn jpeg_segment(marker: u8, body: &[u8]) -> Vec<u8> {
    let mut s = vec![0xFF, marker];
    s.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
    s.extend_from_slice(body);
    s
}

/// `jpeg` saying where it was taken everywhere a JPEG can: GPS EXIF whose
/// thumbnail has GPS EXIF of its own, XMP and IPTC naming [`PLACE_NAME`], and
/// after the image an MPF-style second image with GPS EXIF and a
/// motion-photo trailer naming the place.
pub fn located_jpeg(jpeg: &[u8]) -> Vec<u8> {
    // The EXIF block: IFD0 (Make, GPS pointer) → IFD1 (a thumbnail).
    let thumbnail = with_gps_exif(&small_jpeg());
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    let ifd0_len = 2 + 3 * 12 + 4;
    let make_at = 8 + ifd0_len;
    let gps_at = make_at + 8;
    let gps = ifd_at(gps_at, gps_fields());
    let ifd1_at = gps_at + gps.len() as u32;
    let ifd1_len = 2 + 2 * 12 + 4;
    let thumb_at = ifd1_at + ifd1_len;
    tiff.extend_from_slice(&3u16.to_le_bytes());
    for (tag, kind, count, value) in [
        (0x010Fu16, 2u16, 8u32, make_at),
        (0x8825, 4, 1, gps_at),
        (0x927C, 7, 4, u32::from_le_bytes(*b"Loc!")),
    ] {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        tiff.extend_from_slice(&value.to_le_bytes());
    }
    tiff.extend_from_slice(&ifd1_at.to_le_bytes());
    tiff.extend_from_slice(b"Abc\0\0\0\0\0");
    tiff.extend_from_slice(&gps);
    tiff.extend_from_slice(&ifd_at(
        ifd1_at,
        vec![
            (0x201, 4, 1, thumb_at.to_le_bytes().to_vec()),
            (0x202, 4, 1, (thumbnail.len() as u32).to_le_bytes().to_vec()),
        ],
    ));
    tiff.extend_from_slice(&thumbnail);
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&tiff);
    let xmp = format!(
        "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><photoshop:City>{PLACE_NAME}</photoshop:City></x:xmpmeta>"
    );
    let iptc = format!("Photoshop 3.0\08BIM\x04\x04 city {PLACE_NAME}");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&jpeg_segment(0xE1, &exif));
    out.extend_from_slice(&jpeg_segment(0xE1, xmp.as_bytes()));
    out.extend_from_slice(&jpeg_segment(0xED, iptc.as_bytes()));
    out.extend_from_slice(&jpeg_segment(0xE2, b"MPF\0MM\0*\0\0\0\x08"));
    out.extend_from_slice(&jpeg[2..]);
    // A second image, as MPF and appended previews put it, then a video.
    out.extend_from_slice(&with_gps_exif(&small_jpeg()));
    out.extend_from_slice(format!("ftypmp42 motion photo filmed at {PLACE_NAME}").as_bytes());
    out
}

/// `jpeg` with an EXIF segment that records a camera make (`Abc`) and a GPS
/// position (48°51'29.59"N 2°17'40"E): a photo that says where it was taken.
pub fn with_gps_exif(jpeg: &[u8]) -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.extend_from_slice(&2u16.to_le_bytes());
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(&count.to_le_bytes());
        t.extend_from_slice(&value);
    };
    entry(&mut tiff, 0x010F, 2, 4, *b"Abc\0");
    entry(&mut tiff, 0x8825, 4, 1, 38u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut tiff, 1, 2, 2, *b"N\0\0\0");
    entry(&mut tiff, 2, 5, 3, 92u32.to_le_bytes());
    entry(&mut tiff, 3, 2, 2, *b"E\0\0\0");
    entry(&mut tiff, 4, 5, 3, 116u32.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    for v in [48u32, 1, 51, 1, 2959, 100, 2, 1, 17, 1, 4000, 100] {
        tiff.extend_from_slice(&v.to_le_bytes());
    }
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend_from_slice(b"Exif\0\0");
    app1.extend_from_slice(&tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&app1);
    out.extend_from_slice(&jpeg[2..]);
    out
}
