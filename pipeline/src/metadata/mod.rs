//! Photo metadata from EXIF, read with kamadak-exif from a bounded buffer.

pub(crate) mod description;
pub(crate) mod icc;
pub(crate) mod info;
pub(crate) mod iptc;
pub(crate) mod kept_exif;
pub mod live_photo;
pub mod motion;
pub mod places;
pub(crate) mod strip_location;
pub(crate) mod tiff;
pub(crate) mod timezone;
pub mod xmp;

use std::io::Cursor;

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use exif::{Context, Exif, In, Tag, Value};
use serde::{Deserialize, Serialize};

pub use crate::metadata::description::{Description, LocationNames};
use crate::metadata::tiff::TiffBytes;

/// What the camera recorded about a photo. Every field is optional: phones,
/// scanners and editors all leave different gaps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhotoMetadata {
    /// Camera maker.
    pub make: Option<String>,
    /// Camera model.
    pub model: Option<String>,
    /// Lens maker.
    pub lens_make: Option<String>,
    /// Lens model.
    pub lens_model: Option<String>,
    /// Focal length in millimetres.
    pub focal_length_mm: Option<f64>,
    /// Aperture as an f-number.
    pub f_number: Option<f64>,
    /// Exposure time in seconds.
    pub exposure_time_s: Option<f64>,
    /// ISO sensitivity.
    pub iso: Option<u32>,
    /// When the photo was taken, ISO 8601, with the offset when the file records one.
    pub taken_at: Option<String>,
    /// EXIF orientation (1–8) as stored.
    pub orientation: Option<u16>,
    /// Where the photo was taken.
    pub gps: Option<Gps>,
    /// The photographer's rating (0–5) when the camera or an editor set one.
    pub rating: Option<i32>,
    /// What people wrote about the photo (XMP, else IPTC-IIM): title,
    /// caption, keywords, creator, copyright, label, place names.
    #[serde(flatten)]
    pub description: Description,
    /// The video a motion photo carries after its image, as its XMP
    /// declares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub motion_video: Option<motion::MotionVideo>,
    /// An iPhone Live Photo's content identifier (its maker note): the
    /// `.MOV` that names the same one is its video.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_photo_id: Option<String>,
}

/// A GPS position.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gps {
    /// Degrees north (negative: south).
    pub latitude: f64,
    /// Degrees east (negative: west).
    pub longitude: f64,
    /// Metres above sea level.
    pub altitude_m: Option<f64>,
}

impl PhotoMetadata {
    /// Milliseconds since the epoch of `taken_at`. A time without an offset is
    /// read as UTC: good enough to sort a timeline, and stable.
    pub fn taken_at_ms(&self) -> Option<i64> {
        let text = self.taken_at.as_deref()?;
        if let Ok(t) = DateTime::parse_from_rfc3339(text) {
            return Some(t.timestamp_millis());
        }
        NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|t| Utc.from_utc_datetime(&t).timestamp_millis())
    }
}

/// The EXIF in a file's leading bytes (any container kamadak-exif reads),
/// as much of it as can be read: a broken field costs that field, not the
/// rest. `None` when there is no readable EXIF at all.
pub(crate) fn read_exif(head: &[u8]) -> Option<Exif> {
    let mut reader = exif::Reader::new();
    reader.continue_on_error(true);
    match reader.read_from_container(&mut Cursor::new(head)) {
        Ok(exif) => Some(exif),
        Err(exif::Error::PartialResult(partial)) => Some(partial.into_inner().0),
        Err(_) => None,
    }
}

/// Just the EXIF orientation (what rendering needs), without the rest.
pub(crate) fn read_orientation(head: &[u8]) -> Option<u16> {
    orientation(&read_exif(head)?)
}

fn orientation(exif: &Exif) -> Option<u16> {
    uint(exif, Tag::Orientation)
        .and_then(|o| u16::try_from(o).ok())
        .filter(|o| (1..=8).contains(o))
}

/// Reads EXIF from a file's leading bytes. Missing or broken EXIF gives empty
/// metadata, never an error: metadata is never a reason to refuse a photo.
pub(crate) fn read_metadata(head: &[u8]) -> PhotoMetadata {
    let described = xmp::embedded(head).or(iptc::read(head));
    let written_time = described.taken_at.clone();
    let mut metadata = match read_exif(head) {
        Some(exif) => from_exif(&exif, written_time),
        None => PhotoMetadata {
            taken_at: written_time,
            ..PhotoMetadata::default()
        },
    };
    // Editors (Lightroom, digiKam…) often record the rating only in XMP.
    if metadata.rating.is_none() {
        metadata.rating = described.rating.map(i32::from);
    }
    metadata.description = described;
    metadata.motion_video = xmp::packet(head).and_then(motion::declared);
    metadata.taken_at = metadata
        .taken_at
        .take()
        .map(|t| with_offset_from_position(t, metadata.gps.as_ref()));
    metadata
}

/// A capture time without an offset, from a photo that records where it was
/// taken, gets the offset of that place's time zone on that date (the camera
/// clock is taken to be local time, as cameras are set).
fn with_offset_from_position(taken_at: String, gps: Option<&Gps>) -> String {
    let Some(gps) = gps else { return taken_at };
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"]
        .into_iter()
        .find_map(|format| NaiveDateTime::parse_from_str(&taken_at, format).ok())
        .and_then(|naive| {
            let offset = crate::metadata::timezone::offset_at(gps.latitude, gps.longitude, naive)?;
            Some(format_capture_time(naive, Some(offset)))
        })
        .unwrap_or(taken_at)
}

fn from_exif(exif: &Exif, written_time: Option<String>) -> PhotoMetadata {
    PhotoMetadata {
        make: ascii(exif, Tag::Make),
        model: ascii(exif, Tag::Model),
        lens_make: ascii(exif, Tag::LensMake),
        lens_model: ascii(exif, Tag::LensModel),
        focal_length_mm: rational(exif, Tag::FocalLength, 0),
        f_number: rational(exif, Tag::FNumber, 0),
        exposure_time_s: rational(exif, Tag::ExposureTime, 0),
        iso: uint(exif, Tag::PhotographicSensitivity),
        taken_at: taken_at(exif, written_time),
        orientation: orientation(exif),
        gps: gps(exif),
        rating: uint(exif, Tag(Context::Tiff, 0x4746))
            .and_then(|r| i32::try_from(r).ok())
            .filter(|r| (0..=5).contains(r)),
        description: Description::default(),
        motion_video: None,
        live_photo_id: live_photo_id(exif),
    }
}

/// The Live Photo content identifier in an iPhone's maker note.
fn live_photo_id(exif: &Exif) -> Option<String> {
    match &field(exif, Tag::MakerNote)?.value {
        Value::Undefined(note, _) => live_photo::still_identifier(note),
        _ => None,
    }
}

fn field(exif: &Exif, tag: Tag) -> Option<&exif::Field> {
    exif.get_field(tag, In::PRIMARY)
}

fn ascii(exif: &Exif, tag: Tag) -> Option<String> {
    match &field(exif, tag)?.value {
        Value::Ascii(parts) => {
            let text = String::from_utf8_lossy(parts.first()?);
            let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
            (!text.is_empty()).then(|| text.to_string())
        }
        _ => None,
    }
}

fn uint(exif: &Exif, tag: Tag) -> Option<u32> {
    field(exif, tag)?.value.get_uint(0)
}

fn rational(exif: &Exif, tag: Tag, index: usize) -> Option<f64> {
    let value = match &field(exif, tag)?.value {
        Value::Rational(v) => v.get(index).filter(|r| r.denom != 0).map(|r| r.to_f64()),
        Value::SRational(v) => v.get(index).filter(|r| r.denom != 0).map(|r| r.to_f64()),
        _ => None,
    }?;
    value.is_finite().then_some(value)
}

/// The capture time, in this order: EXIF DateTimeOriginal, then
/// DateTimeDigitized (each with its offset and sub-seconds when recorded),
/// then the one XMP or IPTC records (`xmp`; see [`xmp`] and [`iptc`]),
/// then the GPS date and time (UTC by definition), then
/// EXIF DateTime (the file's modification time).
fn taken_at(exif: &Exif, written: Option<String>) -> Option<String> {
    local_time(
        exif,
        Tag::DateTimeOriginal,
        Tag::OffsetTimeOriginal,
        Tag::SubSecTimeOriginal,
    )
    .or_else(|| {
        local_time(
            exif,
            Tag::DateTimeDigitized,
            Tag::OffsetTimeDigitized,
            Tag::SubSecTimeDigitized,
        )
    })
    .or(written)
    .or_else(|| gps_time(exif))
    .or_else(|| local_time(exif, Tag::DateTime, Tag::OffsetTime, Tag::SubSecTime))
}

/// GPSDateStamp + GPSTimeStamp as UTC.
fn gps_time(exif: &Exif) -> Option<String> {
    let date =
        chrono::NaiveDate::parse_from_str(&ascii(exif, Tag::GPSDateStamp)?, "%Y:%m:%d").ok()?;
    let h = rational(exif, Tag::GPSTimeStamp, 0)?;
    let m = rational(exif, Tag::GPSTimeStamp, 1)?;
    let s = rational(exif, Tag::GPSTimeStamp, 2)?;
    let millis = ((h * 3600.0 + m * 60.0 + s) * 1000.0).round();
    if !(0.0..86_400_000.0).contains(&millis) {
        return None;
    }
    let time = date.and_hms_opt(0, 0, 0)? + chrono::Duration::milliseconds(millis as i64);
    Some(
        Utc.from_utc_datetime(&time)
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    )
}

fn local_time(exif: &Exif, tag: Tag, offset_tag: Tag, subsec_tag: Tag) -> Option<String> {
    let text = ascii(exif, tag)?;
    let naive = NaiveDateTime::parse_from_str(&text, "%Y:%m:%d %H:%M:%S").ok()?;
    let subsec = ascii(exif, subsec_tag)
        .filter(|s| s.chars().all(|c| c.is_ascii_digit()))
        .and_then(|s| format!("0.{s}").parse::<f64>().ok())
        .map(|f| chrono::Duration::milliseconds((f * 1000.0).round() as i64))
        .unwrap_or_default();
    let offset = ascii(exif, offset_tag).and_then(|o| parse_offset(&o));
    Some(format_capture_time(naive + subsec, offset))
}

/// darkroom's form of a capture time: ISO 8601, milliseconds only when
/// recorded, the offset only when known (a naive time is the camera's clock).
pub(crate) fn format_capture_time(naive: NaiveDateTime, offset: Option<FixedOffset>) -> String {
    let has_fraction = naive.and_utc().timestamp_subsec_millis() != 0;
    match offset.and_then(|o| o.from_local_datetime(&naive).single()) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false),
        None if has_fraction => naive.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        None => naive.format("%Y-%m-%dT%H:%M:%S").to_string(),
    }
}

pub(crate) fn parse_offset(text: &str) -> Option<FixedOffset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let secs = h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60;
    FixedOffset::east_opt(sign * secs)
}

fn gps(exif: &Exif) -> Option<Gps> {
    let coordinate = |tag: Tag, ref_tag: Tag, negative: &str| -> Option<f64> {
        let deg = rational(exif, tag, 0)?;
        let min = rational(exif, tag, 1).unwrap_or(0.0);
        let sec = rational(exif, tag, 2).unwrap_or(0.0);
        let value = deg + min / 60.0 + sec / 3600.0;
        let sign = match ascii(exif, ref_tag) {
            Some(r) if r.eq_ignore_ascii_case(negative) => -1.0,
            _ => 1.0,
        };
        Some(sign * value)
    };
    let latitude = coordinate(Tag::GPSLatitude, Tag::GPSLatitudeRef, "S")?;
    let longitude = coordinate(Tag::GPSLongitude, Tag::GPSLongitudeRef, "W")?;
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    // Phones write zeroes when they had no fix: that is no location, not the
    // Gulf of Guinea.
    if latitude == 0.0 && longitude == 0.0 {
        return None;
    }
    let below_sea = matches!(
        field(exif, Tag::GPSAltitudeRef).and_then(|f| f.value.get_uint(0)),
        Some(1)
    );
    let altitude_m = rational(exif, Tag::GPSAltitude, 0).map(|a| if below_sea { -a } else { a });
    Some(Gps {
        latitude,
        longitude,
        altitude_m,
    })
}

/// What sniffing needs from a TIFF header's first IFD.
#[derive(Default)]
pub(crate) struct TiffIfd0 {
    pub has_dng_version: bool,
    pub make: Option<String>,
}

/// Reads IFD0 of a TIFF-structured file, bounded by `head`: every offset is
/// checked, so a hostile header yields an empty answer, not a panic.
pub(crate) fn tiff_ifd0_tags(head: &[u8]) -> TiffIfd0 {
    let mut out = TiffIfd0::default();
    let tiff = TiffBytes::new(head);
    let Some(ifd0) = tiff.first_ifd() else {
        return out;
    };
    for entry in tiff.entries(ifd0) {
        match entry.tag {
            0xC612 => out.has_dng_version = true,
            0x010F => {
                out.make = tiff.blob(&entry).map(|b| {
                    String::from_utf8_lossy(b)
                        .trim_matches('\0')
                        .trim()
                        .to_string()
                });
            }
            _ => {}
        }
    }
    out
}

/// A DNG's raw image size as stored: the IFD marked as the main image
/// (NewSubfileType 0) — IFD0 in some files, one of IFD0's SubIFDs in most
/// (where IFD0 holds a small preview). `None` when the prefix does not reach it.
pub(crate) fn dng_dimensions(head: &[u8]) -> Option<(u32, u32)> {
    let tiff = TiffBytes::new(head);
    tiff.all_ifds().into_iter().find_map(|ifd| {
        let entries = tiff.entries(ifd);
        (tiff.tag_value(&entries, 0x00FE).unwrap_or(0) == 0).then_some(())?;
        Some((
            tiff.tag_value(&entries, 0x0100)?,
            tiff.tag_value(&entries, 0x0101)?,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dng_size_comes_from_the_main_image_not_the_preview() {
        // Little-endian TIFF: IFD0 at 8 is a 256×171 preview (NewSubfileType
        // 1) with one SubIFD at 62: the 6000×4000 raw image.
        let mut tiff = b"II*\0\x08\0\0\0".to_vec();
        let entry = |tag: u16, kind: u16, value: u32| {
            let mut e = tag.to_le_bytes().to_vec();
            e.extend_from_slice(&kind.to_le_bytes());
            e.extend_from_slice(&1u32.to_le_bytes());
            e.extend_from_slice(&value.to_le_bytes());
            e
        };
        tiff.extend_from_slice(&4u16.to_le_bytes());
        for e in [
            entry(0xFE, 4, 1),
            entry(0x100, 3, 256),
            entry(0x101, 3, 171),
            entry(0x14A, 4, 62),
        ] {
            tiff.extend_from_slice(&e);
        }
        tiff.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(tiff.len(), 62);
        tiff.extend_from_slice(&3u16.to_le_bytes());
        for e in [
            entry(0xFE, 4, 0),
            entry(0x100, 4, 6000),
            entry(0x101, 4, 4000),
        ] {
            tiff.extend_from_slice(&e);
        }
        tiff.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(dng_dimensions(&tiff), Some((6000, 4000)));
        for cut in 0..tiff.len() {
            let _ = dng_dimensions(&tiff[..cut]);
        }
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("+02:00"), FixedOffset::east_opt(7200));
        assert_eq!(parse_offset("-05:30"), FixedOffset::east_opt(-19800));
        assert_eq!(parse_offset("Z"), None);
    }

    #[test]
    fn taken_at_ms_reads_offsets_and_naive_times() {
        let with_offset = PhotoMetadata {
            taken_at: Some("2024-05-01T12:00:00+02:00".into()),
            ..Default::default()
        };
        let naive = PhotoMetadata {
            taken_at: Some("2024-05-01T10:00:00".into()),
            ..Default::default()
        };
        assert_eq!(with_offset.taken_at_ms(), naive.taken_at_ms());
        assert!(naive.taken_at_ms().is_some());
    }

    #[test]
    fn garbage_gives_empty_metadata() {
        assert_eq!(
            read_metadata(b"\xFF\xD8\xFF\xE1\xFF\xFFExif\0\0II*\0"),
            PhotoMetadata::default()
        );
        assert_eq!(read_metadata(&[]), PhotoMetadata::default());
    }

    #[test]
    fn hostile_tiff_header_is_bounded() {
        // IFD0 offset far past the buffer, and an entry count larger than the data.
        assert!(!tiff_ifd0_tags(b"II*\0\xff\xff\xff\x7f").has_dng_version);
        assert!(tiff_ifd0_tags(b"II*\0\x08\0\0\0\xff\xff").make.is_none());
    }
}
