//! XMP: the packet editors and cameras write beside EXIF. For now only the
//! rating is read from it (dates and keywords want a real XML parser).

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

#[cfg(test)]
mod tests {
    use super::*;

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
