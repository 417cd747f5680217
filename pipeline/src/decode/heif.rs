//! HEIF containers (HEIC, AVIF): the primary image's stored size and ICC
//! profile, read from the `meta` box without decoding anything.
//!
//! `meta` names the primary item (`pitm`), lists item properties (`iprp` →
//! `ipco`: `ispe` for the size, `colr` for the colour profile) and which of
//! them belong to which item (`ipma`). Thumbnails and grid tiles carry their
//! own `ispe`, so the association matters. Every read is bounds-checked: a
//! hostile box gives `None`, never a panic.

/// The primary image's size and ICC profile, as far as the header says.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct HeifHeader {
    pub dimensions: Option<(u32, u32)>,
    pub icc: Option<Vec<u8>>,
}

/// Reads the header from the file's first bytes (`meta` comes first in
/// every HEIC/AVIF seen; a file whose `meta` lies past `head` gives nothing).
pub(crate) fn header(head: &[u8]) -> HeifHeader {
    let Some(meta) = boxes(head)
        .find(|b| &b.kind == b"meta")
        .and_then(|b| b.body.get(4..))
    else {
        return HeifHeader::default();
    };
    let primary = boxes(meta).find(|b| &b.kind == b"pitm").and_then(|b| {
        let version = *b.body.first()?;
        if version == 0 {
            be16(b.body, 4).map(u32::from)
        } else {
            be32(b.body, 4)
        }
    });
    let Some(iprp) = boxes(meta).find(|b| &b.kind == b"iprp") else {
        return HeifHeader::default();
    };
    let properties: Vec<Box<'_>> = boxes(iprp.body)
        .find(|b| &b.kind == b"ipco")
        .map(|ipco| boxes(ipco.body).collect())
        .unwrap_or_default();
    let associated: Option<Vec<usize>> = primary.and_then(|item| {
        boxes(iprp.body)
            .filter(|b| &b.kind == b"ipma")
            .find_map(|ipma| associations(ipma.body, item))
    });
    // Without a usable association, the largest size is the primary's: it
    // is never smaller than its thumbnails or tiles.
    let chosen: Vec<&Box<'_>> = match &associated {
        Some(indices) => indices
            .iter()
            .filter_map(|&i| properties.get(i.checked_sub(1)?))
            .collect(),
        None => properties.iter().collect(),
    };
    let dimensions = chosen
        .iter()
        .filter(|b| &b.kind == b"ispe")
        .filter_map(|b| Some((be32(b.body, 4)?, be32(b.body, 8)?)))
        .max_by_key(|&(w, h)| u64::from(w) * u64::from(h));
    let profile = |b: &&Box<'_>| {
        let kind = b.body.get(..4)?;
        (&b.kind == b"colr" && (kind == b"prof" || kind == b"rICC")).then(|| b.body[4..].to_vec())
    };
    // A grid image (what iPhones write) carries its profile on its tiles,
    // not on the grid item: then the first tile's profile is the picture's.
    let icc = chosen
        .iter()
        .find_map(profile)
        .or_else(|| properties.iter().find_map(|b| profile(&b)));
    HeifHeader { dimensions, icc }
}

/// The property indices (1-based, into `ipco`) associated with `item` in
/// an `ipma` box, or `None` when the item is not listed or the box is cut.
fn associations(ipma: &[u8], item: u32) -> Option<Vec<usize>> {
    let version = *ipma.first()?;
    let wide_index = ipma.get(3)? & 1 == 1;
    let count = be32(ipma, 4)?;
    let mut at = 8;
    for _ in 0..count.min(1 << 16) {
        let id = if version < 1 {
            let id = u32::from(be16(ipma, at)?);
            at += 2;
            id
        } else {
            let id = be32(ipma, at)?;
            at += 4;
            id
        };
        let n = usize::from(*ipma.get(at)?);
        at += 1;
        let mut indices = Vec::with_capacity(n);
        for _ in 0..n {
            if wide_index {
                indices.push(usize::from(be16(ipma, at)? & 0x7FFF));
                at += 2;
            } else {
                indices.push(usize::from(ipma.get(at)? & 0x7F));
                at += 1;
            }
        }
        if id == item {
            return Some(indices);
        }
    }
    None
}

struct Box<'a> {
    kind: [u8; 4],
    body: &'a [u8],
}

/// The boxes laid end to end in `data`; stops at the first that does not fit.
fn boxes(data: &[u8]) -> impl Iterator<Item = Box<'_>> {
    let mut rest = data;
    std::iter::from_fn(move || {
        let size = be32(rest, 0)? as usize;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, rest.len()),
            1 => (
                16,
                usize::try_from(u64::from_be_bytes(rest.get(8..16)?.try_into().ok()?)).ok()?,
            ),
            n => (8, n),
        };
        let body = rest.get(header..size)?;
        rest = &rest[size..];
        Some(Box { kind, body })
    })
}

fn be16(data: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        data.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn be32(data: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        data.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
        let mut out = ((body.len() + 8) as u32).to_be_bytes().to_vec();
        out.extend_from_slice(kind);
        out.extend_from_slice(body);
        out
    }

    fn ispe(w: u32, h: u32) -> Vec<u8> {
        bx(
            b"ispe",
            &[&[0u8; 4][..], &w.to_be_bytes(), &h.to_be_bytes()].concat(),
        )
    }

    /// A HEIF whose primary item 2 has the 4032×3024 size and an ICC
    /// profile, next to a 320×240 thumbnail (item 1) listed first.
    fn heif() -> Vec<u8> {
        let pitm = bx(b"pitm", &[0, 0, 0, 0, 0, 2]);
        let colr = bx(b"colr", &[&b"prof"[..], b"ICCDATA"].concat());
        let ipco = bx(b"ipco", &[ispe(320, 240), ispe(4032, 3024), colr].concat());
        // Version 0, flags 0: item 1 → property 1; item 2 → properties 2, 3.
        let ipma = bx(
            b"ipma",
            &[0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 1, 0x81, 0, 2, 2, 0x82, 3],
        );
        let iprp = bx(b"iprp", &[ipco, ipma].concat());
        let meta = bx(b"meta", &[&[0u8; 4][..], &pitm, &iprp].concat());
        [bx(b"ftyp", b"heic\0\0\0\0mif1heic"), meta].concat()
    }

    #[test]
    fn reads_the_primary_items_size_and_profile() {
        let h = header(&heif());
        assert_eq!(h.dimensions, Some((4032, 3024)));
        assert_eq!(h.icc.as_deref(), Some(&b"ICCDATA"[..]));
    }

    #[test]
    fn a_grids_profile_comes_from_its_tiles() {
        // Item 2 (the grid) has only its size; item 1 (a tile) the profile.
        let pitm = bx(b"pitm", &[0, 0, 0, 0, 0, 2]);
        let colr = bx(b"colr", &[&b"prof"[..], b"TILEICC"].concat());
        let ipco = bx(b"ipco", &[colr, ispe(512, 512), ispe(4032, 3024)].concat());
        let ipma = bx(
            b"ipma",
            &[0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 2, 0x81, 0x82, 0, 2, 1, 0x83],
        );
        let meta = bx(
            b"meta",
            &[&[0u8; 4][..], &pitm, &bx(b"iprp", &[ipco, ipma].concat())].concat(),
        );
        let h = header(&meta);
        assert_eq!(h.dimensions, Some((4032, 3024)));
        assert_eq!(h.icc.as_deref(), Some(&b"TILEICC"[..]));
    }

    #[test]
    fn every_truncation_is_harmless() {
        let file = heif();
        for cut in 0..file.len() {
            let _ = header(&file[..cut]);
        }
        assert_eq!(
            header(b"\0\0\0\x01ftyp\xff\xff\xff\xff\xff\xff\xff\xff"),
            HeifHeader::default()
        );
    }
}
