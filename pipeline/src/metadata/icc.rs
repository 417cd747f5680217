//! ICC profiles: just enough parsing to name one.

/// The profile's description (its `desc` tag), e.g. "sRGB IEC61966-2.1".
/// Handles v2 (`desc` type, ASCII) and v4 (`mluc`, UTF-16) profiles; every
/// offset is bounds-checked, so a broken profile gives `None`.
pub(crate) fn description(icc: &[u8]) -> Option<String> {
    let be32 = |at: usize| -> Option<usize> {
        Some(u32::from_be_bytes(icc.get(at..at.checked_add(4)?)?.try_into().ok()?) as usize)
    };
    let count = be32(128)?.min(256);
    for i in 0..count {
        let entry = 132 + i * 12;
        if icc.get(entry..entry + 4)? != b"desc" {
            continue;
        }
        let (offset, size) = (be32(entry + 4)?, be32(entry + 8)?);
        let tag = icc.get(offset..offset.checked_add(size)?)?;
        let text = match tag.get(0..4)? {
            b"desc" => {
                let len = u32::from_be_bytes(tag.get(8..12)?.try_into().ok()?) as usize;
                String::from_utf8_lossy(tag.get(12..12usize.checked_add(len)?)?).to_string()
            }
            b"mluc" => {
                // First record: language, country, length, offset (from the tag start).
                let len = u32::from_be_bytes(tag.get(20..24)?.try_into().ok()?) as usize;
                let at = u32::from_be_bytes(tag.get(24..28)?.try_into().ok()?) as usize;
                let units: Vec<u16> = tag
                    .get(at..at.checked_add(len)?)?
                    .chunks_exact(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]))
                    .collect();
                String::from_utf16_lossy(&units)
            }
            _ => return None,
        };
        let text = text
            .trim_matches(|c: char| c == '\0' || c.is_whitespace())
            .to_string();
        return (!text.is_empty()).then_some(text);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal profile with one `desc` tag of the given body.
    fn profile_with_desc(body: &[u8]) -> Vec<u8> {
        let mut icc = vec![0u8; 128];
        icc.extend_from_slice(&1u32.to_be_bytes());
        icc.extend_from_slice(b"desc");
        icc.extend_from_slice(&144u32.to_be_bytes());
        icc.extend_from_slice(&(body.len() as u32).to_be_bytes());
        icc.extend_from_slice(body);
        icc
    }

    #[test]
    fn reads_v2_and_v4_descriptions() {
        let mut v2 = b"desc\0\0\0\0".to_vec();
        v2.extend_from_slice(&5u32.to_be_bytes());
        v2.extend_from_slice(b"sRGB\0");
        assert_eq!(
            description(&profile_with_desc(&v2)).as_deref(),
            Some("sRGB")
        );

        let mut v4 = b"mluc\0\0\0\0".to_vec();
        v4.extend_from_slice(&1u32.to_be_bytes()); // records
        v4.extend_from_slice(&12u32.to_be_bytes()); // record size
        v4.extend_from_slice(b"enUS");
        v4.extend_from_slice(&6u32.to_be_bytes()); // bytes
        v4.extend_from_slice(&28u32.to_be_bytes()); // offset
        v4.extend_from_slice(&[0, b'P', 0, b'3', 0, b'!']);
        assert_eq!(description(&profile_with_desc(&v4)).as_deref(), Some("P3!"));
    }

    #[test]
    fn broken_profiles_give_none() {
        assert_eq!(description(&[]), None);
        assert_eq!(description(&[0xFF; 200]), None);
        let mut lying = profile_with_desc(b"desc\0\0\0\0\xff\xff\xff\xff");
        lying.truncate(150);
        assert_eq!(description(&lying), None);
    }
}
