//! Reading TIFF structure (the container of DNG and most camera RAW files)
//! from untrusted bytes: every offset and count is checked, so a hostile
//! header gives an empty answer, never a panic or a large allocation.

/// TIFF integers in the file's byte order ("II" little, "MM" big), every
/// read bounds-checked.
pub(crate) struct TiffBytes<'a> {
    head: &'a [u8],
    big_endian: bool,
}

/// One IFD entry: its tag, type, count and where its value (or the offset of
/// its value, when larger than 4 bytes) sits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    pub tag: u16,
    pub kind: u16,
    pub count: u32,
    pub value_at: usize,
}

/// More entries than any real IFD has; a count past it is a broken file.
const MAX_ENTRIES: u16 = 512;

impl<'a> TiffBytes<'a> {
    /// `head`, in the byte order its first two bytes say.
    pub(crate) fn new(head: &'a [u8]) -> Self {
        TiffBytes {
            head,
            big_endian: head.starts_with(b"MM"),
        }
    }

    pub(crate) fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.head.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    pub(crate) fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.head.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    /// Where IFD0 starts.
    pub(crate) fn first_ifd(&self) -> Option<usize> {
        self.u32_at(4).map(|o| o as usize)
    }

    /// The entries of the IFD at `ifd` (as many as the bytes hold).
    pub(crate) fn entries(&self, ifd: usize) -> Vec<Entry> {
        let count = self.u16_at(ifd).unwrap_or(0).min(MAX_ENTRIES);
        (0..usize::from(count))
            .map_while(|i| {
                let entry = ifd.checked_add(2 + i * 12)?;
                Some(Entry {
                    tag: self.u16_at(entry)?,
                    kind: self.u16_at(entry + 2)?,
                    count: self.u32_at(entry + 4)?,
                    value_at: entry.checked_add(8)?,
                })
            })
            .collect()
    }

    /// The IFD after the one at `ifd` in its chain, if any.
    pub(crate) fn next_ifd(&self, ifd: usize) -> Option<usize> {
        let count = usize::from(self.u16_at(ifd)?.min(MAX_ENTRIES));
        let next = self.u32_at(ifd.checked_add(2 + count * 12)?)? as usize;
        (next != 0).then_some(next)
    }

    /// The first value of the entry tagged `tag` in an IFD's `entries`, for
    /// SHORT and LONG entries.
    pub(crate) fn tag_value(&self, entries: &[Entry], tag: u16) -> Option<u32> {
        self.scalar(find(entries, tag)?)
    }

    /// An entry's first value, for SHORT and LONG entries.
    pub(crate) fn scalar(&self, entry: &Entry) -> Option<u32> {
        self.values(entry).first().copied()
    }

    /// An entry's values, for SHORT and LONG entries (at most 64 of them:
    /// enough for strip and SubIFD lists of previews).
    pub(crate) fn values(&self, entry: &Entry) -> Vec<u32> {
        let size = match entry.kind {
            3 => 2,
            4 | 13 => 4,
            _ => return Vec::new(),
        };
        let count = entry.count.min(64) as usize;
        let at = if count * size <= 4 {
            Some(entry.value_at)
        } else {
            self.u32_at(entry.value_at).map(|o| o as usize)
        };
        let Some(at) = at else { return Vec::new() };
        (0..count)
            .map_while(|i| {
                let pos = at.checked_add(i * size)?;
                if size == 2 {
                    self.u16_at(pos).map(u32::from)
                } else {
                    self.u32_at(pos)
                }
            })
            .collect()
    }

    /// Where an entry's value lies (inline when it fits in 4 bytes, else at
    /// the offset the entry holds), whatever its type; not bounds-checked
    /// against the bytes.
    pub(crate) fn value_range(&self, entry: &Entry) -> Option<std::ops::Range<usize>> {
        let len = type_size(entry.kind).checked_mul(entry.count as usize)?;
        let at = if len <= 4 {
            entry.value_at
        } else {
            self.u32_at(entry.value_at)? as usize
        };
        Some(at..at.checked_add(len)?)
    }

    /// The bytes an entry's value occupies (any type), for byte blobs.
    pub(crate) fn blob(&self, entry: &Entry) -> Option<&'a [u8]> {
        self.head.get(self.value_range(entry)?)
    }

    /// The IFDs reachable from IFD0: its chain (IFD1 …) and, one level
    /// down, each one's SubIFDs — where DNG, NEF and ARW keep their raw
    /// data and previews. At most 32, each visited once.
    pub(crate) fn all_ifds(&self) -> Vec<usize> {
        let mut found = Vec::new();
        let mut next = self.first_ifd();
        while let Some(ifd) = next {
            if found.contains(&ifd) || found.len() >= 32 {
                break;
            }
            found.push(ifd);
            next = self.next_ifd(ifd);
        }
        let chain = found.clone();
        for ifd in chain {
            for entry in self.entries(ifd).iter().filter(|e| e.tag == 0x014A) {
                for sub in self.values(entry) {
                    let sub = sub as usize;
                    if !found.contains(&sub) && found.len() < 32 {
                        found.push(sub);
                    }
                }
            }
        }
        found
    }
}

/// Bytes one value of a TIFF field type takes.
pub(crate) fn type_size(kind: u16) -> usize {
    match kind {
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 => 8,
        _ => 1,
    }
}

/// The entry tagged `tag` in an IFD's `entries`.
pub(crate) fn find(entries: &[Entry], tag: u16) -> Option<&Entry> {
    entries.iter().find(|e| e.tag == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_headers_are_bounded() {
        // IFD0 offset far past the buffer; an entry count past the data; a
        // chain that points back at itself.
        assert!(TiffBytes::new(b"II*\0\xff\xff\xff\x7f").all_ifds().len() <= 1);
        assert!(
            TiffBytes::new(b"II*\0\x08\0\0\0\xff\xff")
                .entries(8)
                .is_empty()
        );
        let mut looping = b"II*\0\x08\0\0\0".to_vec();
        looping.extend_from_slice(&0u16.to_le_bytes());
        looping.extend_from_slice(&8u32.to_le_bytes());
        assert_eq!(TiffBytes::new(&looping).all_ifds(), vec![8]);
        let entry = Entry {
            tag: 0x111,
            kind: 4,
            count: u32::MAX,
            value_at: 4,
        };
        assert!(TiffBytes::new(b"II*\0\x08\0\0\0").values(&entry).is_empty());
        assert_eq!(TiffBytes::new(b"II*\0\x08\0\0\0").blob(&entry), None);
    }
}
