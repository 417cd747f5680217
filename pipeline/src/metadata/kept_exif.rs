//! The EXIF a rendition keeps from its original when its spec asks for it
//! (`KEEP` = `copyright` or `exif`): fields picked from a fixed list and
//! written out as a fresh TIFF-structured EXIF block.
//!
//! A list of what to keep, rather than of what to drop, is what makes "never
//! location" hold: GPS tags, maker notes (some cameras record position in
//! them), serial numbers and thumbnails are simply not on it. Nor is the
//! orientation, since renditions are stored upright; nor the colour space,
//! since renditions are converted to sRGB and tagged with its profile.

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Tag};

use crate::metadata::read_exif;
use crate::spec::KeepMetadata;

/// Who made the picture and who owns it.
const COPYRIGHT: &[Tag] = &[Tag::Artist, Tag::Copyright];

/// The camera, the exposure and the moment, as a photographer publishing a
/// picture may want it shown.
const CAMERA_AND_EXPOSURE: &[Tag] = &[
    Tag::ExifVersion,
    Tag::Make,
    Tag::Model,
    Tag::LensMake,
    Tag::LensModel,
    Tag::LensSpecification,
    Tag::DateTime,
    Tag::DateTimeOriginal,
    Tag::DateTimeDigitized,
    Tag::OffsetTime,
    Tag::OffsetTimeOriginal,
    Tag::OffsetTimeDigitized,
    Tag::SubSecTime,
    Tag::SubSecTimeOriginal,
    Tag::SubSecTimeDigitized,
    Tag::ExposureTime,
    Tag::FNumber,
    Tag::ExposureProgram,
    Tag::PhotographicSensitivity,
    Tag::ExposureBiasValue,
    Tag::MeteringMode,
    Tag::Flash,
    Tag::FocalLength,
    Tag::FocalLengthIn35mmFilm,
    Tag::WhiteBalance,
    Tag::ExposureMode,
    Tag::ImageDescription,
    Tag::Software,
];

/// The kept EXIF blocks of one original, each level read from it once
/// however many renditions keep it.
pub(crate) struct KeptExif<'a> {
    original: Option<&'a [u8]>,
    blocks: Vec<(KeepMetadata, Option<Vec<u8>>)>,
}

impl<'a> KeptExif<'a> {
    /// For renditions of `original` (`None`: they keep nothing).
    pub(crate) fn of(original: Option<&'a [u8]>) -> Self {
        KeptExif {
            original,
            blocks: Vec::new(),
        }
    }

    /// The block renditions with `keep` carry (see [`kept_exif`]).
    pub(crate) fn get(&mut self, keep: KeepMetadata) -> Option<&[u8]> {
        let at = match self.blocks.iter().position(|(k, _)| *k == keep) {
            Some(at) => at,
            None => {
                let block = self.original.and_then(|o| kept_exif(o, keep));
                self.blocks.push((keep, block));
                self.blocks.len() - 1
            }
        };
        self.blocks[at].1.as_deref()
    }
}

/// The EXIF block (a TIFF structure, without the `Exif\0\0` prefix JPEG puts
/// before it) that renditions with `keep` carry, or `None` when they carry
/// nothing: `keep` is `None`, or the original has none of the kept fields
/// (or no readable EXIF: metadata never fails a rendition).
pub(crate) fn kept_exif(original: &[u8], keep: KeepMetadata) -> Option<Vec<u8>> {
    let kept: &[&[Tag]] = match keep {
        KeepMetadata::None => return None,
        KeepMetadata::Copyright => &[COPYRIGHT],
        KeepMetadata::Exif => &[COPYRIGHT, CAMERA_AND_EXPOSURE],
    };
    let exif = read_exif(original)?;
    let fields: Vec<&Field> = exif
        .fields()
        .filter(|f| f.ifd_num == In::PRIMARY && kept.iter().any(|list| list.contains(&f.tag)))
        .collect();
    // An EXIF IFD holding only its version says nothing.
    if fields.iter().all(|f| f.tag == Tag::ExifVersion) {
        return None;
    }
    let mut writer = Writer::new();
    for field in fields {
        writer.push_field(field);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, exif.little_endian()).ok()?;
    Some(out.into_inner())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use exif::Value;

    /// A JPEG whose EXIF has a camera, a capture time, an orientation, an
    /// artist and copyright, a maker note and a GPS position.
    pub(crate) fn jpeg_with_private_exif(width: u16, height: u16) -> Vec<u8> {
        let ascii = |tag, text: &str| Field {
            tag,
            ifd_num: In::PRIMARY,
            value: Value::Ascii(vec![text.as_bytes().to_vec()]),
        };
        let rational = |tag, parts: &[(u32, u32)]| Field {
            tag,
            ifd_num: In::PRIMARY,
            value: Value::Rational(parts.iter().map(|&p| p.into()).collect()),
        };
        let fields = [
            ascii(Tag::Make, "Leica Camera AG"),
            ascii(Tag::Model, "LEICA Q3"),
            ascii(Tag::Artist, "Ada Photographer"),
            ascii(Tag::Copyright, "(c) 2026 Ada Photographer"),
            ascii(Tag::DateTimeOriginal, "2026:05:04 10:11:12"),
            ascii(Tag::OffsetTimeOriginal, "+02:00"),
            rational(Tag::FNumber, &[(28, 10)]),
            Field {
                tag: Tag::Orientation,
                ifd_num: In::PRIMARY,
                value: Value::Short(vec![6]),
            },
            Field {
                tag: Tag::MakerNote,
                ifd_num: In::PRIMARY,
                value: Value::Undefined(b"secret place".to_vec(), 0),
            },
            ascii(Tag::GPSLatitudeRef, "N"),
            rational(Tag::GPSLatitude, &[(48, 1), (51, 1), (24, 1)]),
            ascii(Tag::GPSLongitudeRef, "E"),
            rational(Tag::GPSLongitude, &[(2, 1), (21, 1), (7, 1)]),
        ];
        let mut writer = Writer::new();
        for field in &fields {
            writer.push_field(field);
        }
        let mut tiff = Cursor::new(Vec::new());
        writer.write(&mut tiff, false).unwrap();
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff.into_inner());

        let pixels = [120u8, 130, 140].repeat(usize::from(width) * usize::from(height));
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
        encoder.add_app_segment(1, app1).unwrap();
        encoder
            .encode(&pixels, width, height, jpeg_encoder::ColorType::Rgb)
            .unwrap();
        out
    }

    fn tags_of(tiff: &[u8]) -> Vec<Tag> {
        let exif = exif::Reader::new().read_raw(tiff.to_vec()).unwrap();
        exif.fields().map(|f| f.tag).collect()
    }

    #[test]
    fn keeps_what_is_asked_and_never_location() {
        let original = jpeg_with_private_exif(64, 48);
        assert_eq!(kept_exif(&original, KeepMetadata::None), None);

        let copyright = tags_of(&kept_exif(&original, KeepMetadata::Copyright).unwrap());
        assert_eq!(copyright, [Tag::Artist, Tag::Copyright]);

        let all = tags_of(&kept_exif(&original, KeepMetadata::Exif).unwrap());
        for tag in [
            Tag::Make,
            Tag::Model,
            Tag::Artist,
            Tag::Copyright,
            Tag::DateTimeOriginal,
            Tag::OffsetTimeOriginal,
            Tag::FNumber,
        ] {
            assert!(all.contains(&tag), "{tag} kept: {all:?}");
        }
        for tag in [
            Tag::Orientation,
            Tag::MakerNote,
            Tag::GPSLatitude,
            Tag::GPSLongitude,
            Tag::GPSLatitudeRef,
            Tag::GPSInfoIFDPointer,
        ] {
            assert!(!all.contains(&tag), "{tag} dropped: {all:?}");
        }
    }

    #[test]
    fn originals_without_exif_give_none() {
        let plain = crate::fixtures::jpeg(32, 32);
        assert_eq!(kept_exif(&plain, KeepMetadata::Exif), None);
        assert_eq!(kept_exif(b"not an image", KeepMetadata::Exif), None);
    }
}
