//! `Range: bytes=…` for originals (single ranges; anything else serves whole).

use actix_web::http::header::Range;

/// What a Range header asks of a body of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// No (usable) range: send everything.
    Whole,
    /// One satisfiable range.
    Partial(std::ops::Range<u64>),
    /// A syntactically valid range that lies outside the body: 416.
    Unsatisfiable,
}

/// Parses a Range header value against a body of `len` bytes (RFC 9110
/// §14), with actix's typed header; what it cannot parse is served whole.
pub(crate) fn parse_range(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(Ok(Range::Bytes(specs))) = header.map(str::parse::<Range>) else {
        return RangeRequest::Whole;
    };
    match specs.as_slice() {
        // Multipart ranges are rare for photos; a full response is allowed.
        [one] => match one.to_satisfiable_range(len) {
            Some((first, last)) => RangeRequest::Partial(first..last + 1),
            None => RangeRequest::Unsatisfiable,
        },
        _ => RangeRequest::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::*;

    #[test]
    fn parses_ranges() {
        assert_eq!(parse_range(None, 100), Whole);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), Partial(0..10));
        assert_eq!(parse_range(Some("bytes=90-"), 100), Partial(90..100));
        assert_eq!(parse_range(Some("bytes=-10"), 100), Partial(90..100));
        assert_eq!(parse_range(Some("bytes=-1000"), 100), Partial(0..100));
        assert_eq!(parse_range(Some("bytes=50-5000"), 100), Partial(50..100));
        assert_eq!(parse_range(Some("bytes=999999999-"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse_range(Some("bytes=9-1"), 100), Whole);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), Whole);
    }
}
