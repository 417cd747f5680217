//! IPTC-IIM: the caption record news agencies and older editors (Photo
//! Mechanic, Photoshop before XMP) write into a JPEG's APP13 segment, as
//! resource 0x0404 of Photoshop's image resources.
//!
//! Read: object name (title), caption, keywords, by-line (creator),
//! copyright, date and time created, sublocation, city, province/state,
//! country code and name. Text is UTF-8 when the envelope says so (or when
//! it decodes as such), else Latin-1, as the old tools wrote it.

use chrono::{NaiveDate, NaiveTime};

use crate::metadata::description::Description;
use crate::metadata::{format_capture_time, parse_offset};

/// The IIM record of a JPEG's leading bytes, if it has one.
pub(crate) fn read(head: &[u8]) -> Description {
    match jpeg_iim(head) {
        Some(iim) => parse_iim(iim),
        None => Description::default(),
    }
}

/// The IIM bytes in the first APP13 before the image data.
fn jpeg_iim(head: &[u8]) -> Option<&[u8]> {
    if !head.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut at = 2;
    while at + 4 <= head.len() {
        if head[at] != 0xFF {
            return None;
        }
        let marker = head[at + 1];
        if marker == 0xFF {
            at += 1; // fill byte
            continue;
        }
        // Start of scan or end of image: no metadata after this.
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([head[at + 2], head[at + 3]]));
        let body = head.get(at + 4..at + 2 + len)?;
        if marker == 0xED
            && let Some(resources) = body.strip_prefix(b"Photoshop 3.0\0")
        {
            return photoshop_resource(resources, 0x0404);
        }
        at += 2 + len;
    }
    None
}

/// One resource of Photoshop's image resource blocks ("8BIM", id, padded
/// Pascal name, size, data padded to even).
fn photoshop_resource(mut blocks: &[u8], wanted: u16) -> Option<&[u8]> {
    while blocks.len() >= 12 && blocks.starts_with(b"8BIM") {
        let id = u16::from_be_bytes([blocks[4], blocks[5]]);
        let name_len = usize::from(blocks[6]);
        // The length byte and the name together are padded to even.
        let name_total = (1 + name_len).next_multiple_of(2);
        let size_at = 6 + name_total;
        let size_bytes: [u8; 4] = blocks.get(size_at..size_at + 4)?.try_into().ok()?;
        let size = u32::from_be_bytes(size_bytes) as usize;
        let data_at = size_at + 4;
        let data = blocks.get(data_at..data_at.checked_add(size)?)?;
        if id == wanted {
            return Some(data);
        }
        blocks = blocks.get(data_at + size.next_multiple_of(2)..)?;
    }
    None
}

/// The datasets of records 1 (envelope: the character set) and 2
/// (application: the caption fields).
fn parse_iim(mut data: &[u8]) -> Description {
    let mut utf8 = false;
    let mut d = Description::default();
    let mut creators: Vec<String> = Vec::new();
    let (mut date, mut time) = (None, None);
    while data.len() >= 5 && data[0] == 0x1C {
        let (record, dataset) = (data[1], data[2]);
        let len = u16::from_be_bytes([data[3], data[4]]);
        // An extended dataset (length's top bit) is never a caption field.
        if len & 0x8000 != 0 {
            break;
        }
        let Some(value) = data.get(5..5 + usize::from(len)) else {
            break;
        };
        data = &data[5 + usize::from(len)..];
        match (record, dataset) {
            // "ESC % G": the application record is UTF-8.
            (1, 90) => utf8 = value == b"\x1b%G",
            (2, _) => {
                let Some(text) = decode(value, utf8) else {
                    continue;
                };
                let first = |slot: &mut Option<String>, text: String| {
                    slot.get_or_insert(text);
                };
                match dataset {
                    5 => first(&mut d.title, text),
                    120 => first(&mut d.caption, text),
                    25 => d.keywords.push(text),
                    80 => creators.push(text),
                    116 => first(&mut d.copyright, text),
                    55 => date = NaiveDate::parse_from_str(&text, "%Y%m%d").ok(),
                    60 => time = Some(text),
                    92 => first(&mut d.location.sublocation, text),
                    90 => first(&mut d.location.city, text),
                    95 => first(&mut d.location.region, text),
                    100 => first(&mut d.location.country_code, text),
                    101 => first(&mut d.location.country, text),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if !creators.is_empty() {
        d.creator = Some(creators.join("; "));
    }
    d.taken_at = date.and_then(|date| capture_time(date, time.as_deref()?));
    d
}

/// Date created (CCYYMMDD) with time created (HHMMSS±HHMM): a date alone
/// is not a capture time.
fn capture_time(date: NaiveDate, time: &str) -> Option<String> {
    let clock = NaiveTime::parse_from_str(time.get(..6)?, "%H%M%S").ok()?;
    let offset = time.get(6..).and_then(|o| {
        let (sign, digits) = o.split_at_checked(1)?;
        let (h, m) = digits.split_at_checked(2)?;
        parse_offset(&format!("{sign}{h}:{m}"))
    });
    Some(format_capture_time(date.and_time(clock), offset))
}

/// A text dataset, trimmed; empty text is no value.
fn decode(value: &[u8], utf8: bool) -> Option<String> {
    let text = match std::str::from_utf8(value) {
        Ok(text) => text.to_string(),
        // Declared UTF-8 but broken: keep what decodes.
        Err(_) if utf8 => String::from_utf8_lossy(value).into_owned(),
        // Latin-1, byte for byte.
        Err(_) => value.iter().map(|&b| char::from(b)).collect(),
    };
    let text = text.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    (!text.is_empty()).then(|| text.to_string())
}

/// Test fixtures: IIM records as a JPEG carries them.
#[cfg(any(test, feature = "testing"))]
pub(crate) mod build {
    /// An APP13 segment holding `datasets` (record 2 unless given as
    /// (record, dataset)), UTF-8 declared when `utf8`.
    pub(crate) fn app13(datasets: &[((u8, u8), &[u8])], utf8: bool) -> Vec<u8> {
        let mut iim = Vec::new();
        let mut push = |record: u8, dataset: u8, value: &[u8]| {
            iim.extend_from_slice(&[0x1C, record, dataset]);
            iim.extend_from_slice(&(value.len() as u16).to_be_bytes());
            iim.extend_from_slice(value);
        };
        if utf8 {
            push(1, 90, b"\x1b%G");
        }
        for ((record, dataset), value) in datasets {
            push(*record, *dataset, value);
        }
        let mut body = b"Photoshop 3.0\0".to_vec();
        // A resource before the one wanted, with an odd-length name.
        body.extend_from_slice(b"8BIM\x04\x25\x03abc\0\0\0\x02xx");
        body.extend_from_slice(b"8BIM\x04\x04\0\0");
        body.extend_from_slice(&(iim.len() as u32).to_be_bytes());
        body.extend_from_slice(&iim);
        if iim.len() % 2 == 1 {
            body.push(0);
        }
        let mut segment = vec![0xFF, 0xED];
        segment.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        segment.extend_from_slice(&body);
        segment
    }
}

#[cfg(test)]
mod tests {
    use super::build::app13;
    use super::*;

    fn jpeg_with(segment: &[u8]) -> Vec<u8> {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(b"\xff\xe0\x00\x10JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        jpeg.extend_from_slice(segment);
        jpeg.extend_from_slice(b"\xff\xda\x00\x02");
        jpeg
    }

    #[test]
    fn a_photo_desk_caption_is_read() {
        let segment = app13(
            &[
                ((2, 5), "Skógafoss".as_bytes()),
                ((2, 120), b"Spray and light"),
                ((2, 25), b"iceland"),
                ((2, 25), b"waterfall"),
                ((2, 80), b"Ada Lovelace"),
                ((2, 116), "© Ada".as_bytes()),
                ((2, 55), b"20210506"),
                ((2, 60), b"070809+0200"),
                ((2, 90), b"Skogar"),
                ((2, 95), b"Suourland"),
                ((2, 100), b"ISL"),
                ((2, 101), b"Iceland"),
            ],
            true,
        );
        let d = read(&jpeg_with(&segment));
        assert_eq!(d.title.as_deref(), Some("Skógafoss"));
        assert_eq!(d.caption.as_deref(), Some("Spray and light"));
        assert_eq!(d.keywords, ["iceland", "waterfall"]);
        assert_eq!(d.creator.as_deref(), Some("Ada Lovelace"));
        assert_eq!(d.copyright.as_deref(), Some("© Ada"));
        assert_eq!(d.taken_at.as_deref(), Some("2021-05-06T07:08:09+02:00"));
        assert_eq!(d.location.city.as_deref(), Some("Skogar"));
        assert_eq!(d.location.region.as_deref(), Some("Suourland"));
        assert_eq!(d.location.country_code.as_deref(), Some("ISL"));
        assert_eq!(d.location.country.as_deref(), Some("Iceland"));
    }

    #[test]
    fn latin1_text_and_a_date_without_time() {
        let segment = app13(&[((2, 5), b"Caf\xe9"), ((2, 55), b"20210506")], false);
        let d = read(&jpeg_with(&segment));
        assert_eq!(d.title.as_deref(), Some("Café"));
        assert_eq!(d.taken_at, None);
    }

    #[test]
    fn truncated_and_foreign_segments_give_nothing_and_never_panic() {
        let segment = app13(&[((2, 5), b"A title long enough")], true);
        let jpeg = jpeg_with(&segment);
        for cut in 0..jpeg.len() {
            let _ = read(&jpeg[..cut]);
            let mut flipped = jpeg.clone();
            flipped[cut] ^= 0xFF;
            let _ = read(&flipped);
        }
        assert!(read(b"not a jpeg").is_empty());
        let mut other_app13 = segment.clone();
        other_app13[4..18].copy_from_slice(b"Something else");
        assert!(read(&jpeg_with(&other_app13)).is_empty());
    }
}
