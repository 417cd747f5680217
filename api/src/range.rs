//! `Range: bytes=…` for originals (single ranges; anything else serves whole).

use std::ops::Range;

/// What a Range header asks of a body of `len` bytes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// No (usable) range: send everything.
    Whole,
    /// One satisfiable range.
    Partial(Range<u64>),
    /// A syntactically valid range that lies outside the body: 416.
    Unsatisfiable,
}

/// Parses a Range header value against a body of `len` bytes (RFC 9110 §14).
pub(crate) fn parse_range(header: Option<&str>, len: u64) -> RangeRequest {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        // Multipart ranges are rare for photos; a full response is allowed.
        return RangeRequest::Whole;
    }
    let Some((start, end)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let range = match (start.trim(), end.trim()) {
        ("", "") => return RangeRequest::Whole,
        ("", suffix) => match suffix.parse::<u64>() {
            Ok(0) => return RangeRequest::Unsatisfiable,
            Ok(n) => len.saturating_sub(n)..len,
            Err(_) => return RangeRequest::Whole,
        },
        (start, end) => {
            let Ok(start) = start.parse::<u64>() else {
                return RangeRequest::Whole;
            };
            let end = match end {
                "" => len,
                end => match end.parse::<u64>() {
                    Ok(end) if end >= start => end.saturating_add(1).min(len),
                    _ => return RangeRequest::Whole,
                },
            };
            if start >= len {
                return RangeRequest::Unsatisfiable;
            }
            start..end
        }
    };
    if range.is_empty() {
        RangeRequest::Unsatisfiable
    } else {
        RangeRequest::Partial(range)
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
