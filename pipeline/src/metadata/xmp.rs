//! XMP: the packet editors and cameras write beside EXIF. The rating and the
//! capture time are read from it, as attributes or simple elements (keywords
//! and faces, in rdf:Bag structures, want a real XML parser).

use chrono::{DateTime, NaiveDateTime};

use crate::metadata::format_capture_time;

/// The XMP packet in a file's leading bytes, if any.
fn packet(head: &[u8]) -> Option<&[u8]> {
    const OPEN: &[u8] = b"<x:xmpmeta";
    const CLOSE: &[u8] = b"</x:xmpmeta>";
    let start = find(head, OPEN)?;
    let end = start + find(&head[start..], CLOSE)? + CLOSE.len();
    Some(&head[start..end])
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `xmp:Rating`, as an attribute (`xmp:Rating="3"`) or an element
/// (`<xmp:Rating>3</xmp:Rating>`); 0–5 only (−1, "rejected", is not a rating).
pub(crate) fn rating(head: &[u8]) -> Option<i32> {
    let xmp = packet(head)?;
    let value_after = |marker: &[u8], terminator: u8| -> Option<i32> {
        let at = find(xmp, marker)? + marker.len();
        let rest = &xmp[at..];
        let len = rest.iter().take(8).position(|&b| b == terminator)?;
        std::str::from_utf8(&rest[..len]).ok()?.trim().parse().ok()
    };
    value_after(b"xmp:Rating=\"", b'"')
        .or_else(|| value_after(b"xmp:Rating='", b'\''))
        .or_else(|| value_after(b"<xmp:Rating>", b'<'))
        .filter(|r| (0..=5).contains(r))
}

/// A simple property's text: `name="…"`, `name='…'` or `<name>…</name>`.
fn property(xmp: &[u8], name: &str) -> Option<String> {
    let after = |marker: &[u8], terminator: u8| -> Option<String> {
        let at = find(xmp, marker)? + marker.len();
        let rest = &xmp[at..];
        let len = rest.iter().take(64).position(|&b| b == terminator)?;
        Some(std::str::from_utf8(&rest[..len]).ok()?.trim().to_string())
    };
    after(format!("{name}=\"").as_bytes(), b'"')
        .or_else(|| after(format!("{name}='").as_bytes(), b'\''))
        .or_else(|| after(format!("<{name}>").as_bytes(), b'<'))
}

/// The capture time XMP records: exif:DateTimeOriginal, then
/// photoshop:DateCreated, then xmp:CreateDate, in darkroom's form. A date
/// alone (XMP allows "2022" or "2022-01-10") is not a capture time.
pub(crate) fn capture_time(head: &[u8]) -> Option<String> {
    let xmp = packet(head)?;
    [
        "exif:DateTimeOriginal",
        "photoshop:DateCreated",
        "xmp:CreateDate",
    ]
    .into_iter()
    .find_map(|name| parse_date(&property(xmp, name)?))
}

/// An XMP date-time (ISO 8601: minutes or seconds, optional fraction,
/// optional offset or Z).
fn parse_date(text: &str) -> Option<String> {
    for format in ["%Y-%m-%dT%H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M%:z"] {
        let normalised = text.replace('Z', "+00:00");
        if let Ok(t) = DateTime::parse_from_str(&normalised, format) {
            return Some(format_capture_time(t.naive_local(), Some(*t.offset())));
        }
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .into_iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(|naive| format_capture_time(naive, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_capture_times_in_order_of_preference() {
        let both = b"<x:xmpmeta><rdf:Description xmp:CreateDate='2022-01-10T15:15:44.31' \
                     photoshop:DateCreated=\"2021-05-06T07:08:09+02:00\"/></x:xmpmeta>";
        assert_eq!(
            capture_time(both).as_deref(),
            Some("2021-05-06T07:08:09+02:00")
        );
        let naive =
            b"<x:xmpmeta><xmp:CreateDate>2022-01-10T15:15:44.31</xmp:CreateDate></x:xmpmeta>";
        assert_eq!(
            capture_time(naive).as_deref(),
            Some("2022-01-10T15:15:44.310")
        );
        let utc = b"<x:xmpmeta><exif:DateTimeOriginal>2020-02-03T04:05Z</exif:DateTimeOriginal></x:xmpmeta>";
        assert_eq!(
            capture_time(utc).as_deref(),
            Some("2020-02-03T04:05:00+00:00")
        );
        let date_only = b"<x:xmpmeta photoshop:DateCreated='2022-01-10'></x:xmpmeta>";
        assert_eq!(capture_time(date_only), None);
    }

    #[test]
    fn reads_attribute_and_element_ratings() {
        let attr = b"junk<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:Description xmp:Rating=\"4\"/></x:xmpmeta>";
        assert_eq!(rating(attr), Some(4));
        let element =
            b"<x:xmpmeta><rdf:Description><xmp:Rating>0</xmp:Rating></rdf:Description></x:xmpmeta>";
        assert_eq!(rating(element), Some(0));
    }

    #[test]
    fn ignores_what_is_not_a_rating() {
        assert_eq!(
            rating(b"<x:xmpmeta><xmp:Rating>-1</xmp:Rating></x:xmpmeta>"),
            None
        );
        assert_eq!(
            rating(b"<x:xmpmeta xmp:Rating=\"99999999999\"></x:xmpmeta>"),
            None
        );
        assert_eq!(rating(b"xmp:Rating=\"3\" but no packet"), None);
        assert_eq!(
            rating(b"<x:xmpmeta xmp:Rating=\"3"),
            None,
            "unterminated packet"
        );
    }
}
