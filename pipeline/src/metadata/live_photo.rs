//! Live Photos: an iPhone keeps the seconds around a still as a QuickTime
//! `.MOV` beside its HEIC or JPEG. Both files carry the same Apple content
//! identifier — the still in its maker note (tag 0x0011), the video in its
//! QuickTime metadata (`com.apple.quicktime.content.identifier`) — which is
//! what pairs them, whatever their names.

/// The QuickTime key that holds a video's content identifier.
const CONTENT_IDENTIFIER_KEY: &[u8] = b"com.apple.quicktime.content.identifier";

/// The largest `moov` box kept while a video streams past (a Live Photo's is
/// a few tens of kilobytes; a long film's index is not needed).
const MAX_MOOV_BYTES: usize = 4 << 20;

/// Whether `head` starts a QuickTime movie (`ftyp` with the `qt  ` brand).
pub fn is_quicktime(head: &[u8]) -> bool {
    head.len() >= 12 && &head[4..8] == b"ftyp" && &head[8..12] == b"qt  "
}

/// The content identifier in an Apple maker note (`Apple iOS\0`, a version,
/// `MM`, then an IFD whose offsets count from the note's start).
pub(crate) fn still_identifier(maker_note: &[u8]) -> Option<String> {
    if !maker_note.starts_with(b"Apple iOS\0") || maker_note.get(12..14)? != b"MM" {
        return None;
    }
    let be16 = |at: usize| {
        Some(u16::from_be_bytes(
            maker_note.get(at..at + 2)?.try_into().ok()?,
        ))
    };
    let be32 = |at: usize| {
        Some(u32::from_be_bytes(
            maker_note.get(at..at + 4)?.try_into().ok()?,
        ))
    };
    let count = usize::from(be16(14)?);
    for i in 0..count.min(256) {
        let entry = 16 + i * 12;
        let (tag, kind, n) = (be16(entry)?, be16(entry + 2)?, be32(entry + 4)? as usize);
        if tag != 0x0011 || kind != 2 {
            continue;
        }
        let bytes = if n <= 4 {
            maker_note.get(entry + 8..entry + 8 + n)?
        } else {
            let at = be32(entry + 8)? as usize;
            maker_note.get(at..at.checked_add(n)?)?
        };
        return text(bytes);
    }
    None
}

/// A text value without its NULs and spaces, if any is left.
fn text(bytes: &[u8]) -> Option<String> {
    let value = String::from_utf8_lossy(bytes)
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .to_string();
    (!value.is_empty()).then_some(value)
}

/// Watches a QuickTime movie stream past, a chunk at a time, and keeps its
/// `moov` box (wherever it is: before or after the media data), so the
/// video's content identifier is known when the last byte has arrived
/// without the file ever being held whole.
#[derive(Default)]
pub struct MoovCapture {
    /// The bytes of a top-level box header not complete yet.
    header: Vec<u8>,
    /// Bytes left in the current top-level box; `None` between boxes, and
    /// `Some(u64::MAX)` for a box that runs to the end of the file.
    left: Option<u64>,
    /// The `moov` box's contents while it streams, then all of them.
    moov: Option<Vec<u8>>,
    capturing: bool,
    /// A header that cannot be one (the stream is not QuickTime after all).
    broken: bool,
}

impl MoovCapture {
    /// Takes the next bytes of the file.
    pub fn feed(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() && !self.broken {
            match self.left {
                Some(left) => {
                    let take = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    if self.capturing {
                        let moov = self.moov.get_or_insert_with(Vec::new);
                        if moov.len() + take <= MAX_MOOV_BYTES {
                            moov.extend_from_slice(&chunk[..take]);
                        } else {
                            self.capturing = false;
                            self.moov = None;
                        }
                    }
                    chunk = &chunk[take..];
                    let left = if left == u64::MAX {
                        left
                    } else {
                        left - take as u64
                    };
                    self.left = (left > 0).then_some(left);
                    if self.left.is_none() {
                        self.capturing = false;
                    }
                }
                None => {
                    let want = if self.header.len() >= 8 && self.header[..4] == [0, 0, 0, 1] {
                        16
                    } else {
                        8
                    };
                    let take = chunk.len().min(want - self.header.len());
                    self.header.extend_from_slice(&chunk[..take]);
                    chunk = &chunk[take..];
                    if self.header.len() == want {
                        self.start_box();
                    }
                }
            }
        }
    }

    /// A top-level box header is complete: how long its contents are, and
    /// whether to keep them.
    fn start_box(&mut self) {
        let size = u64::from(u32::from_be_bytes(self.header[..4].try_into().unwrap()));
        if size == 1 && self.header.len() < 16 {
            return; // the 64-bit size follows
        }
        let (total, header_len) = match size {
            0 => (u64::MAX, 8),
            1 => (
                u64::from_be_bytes(self.header[8..16].try_into().unwrap()),
                16,
            ),
            n => (n, 8),
        };
        if total != u64::MAX && total < header_len {
            self.broken = true;
            return;
        }
        let is_moov = &self.header[4..8] == b"moov";
        self.header.clear();
        let left = if total == u64::MAX {
            u64::MAX
        } else {
            total - header_len
        };
        if is_moov && self.moov.is_none() {
            self.capturing = true;
            self.moov = Some(Vec::new());
        }
        self.left = (left > 0).then_some(left);
        if self.left.is_none() {
            self.capturing = false;
        }
    }

    /// The video's content identifier, once the stream has ended.
    pub fn content_identifier(&self) -> Option<String> {
        video_identifier(self.moov.as_deref()?)
    }
}

/// The content identifier in a `moov` box's contents: its `meta` box's
/// `keys` name the key, `ilst` holds the value under the key's number.
pub(crate) fn video_identifier(moov: &[u8]) -> Option<String> {
    let meta = child(moov, b"meta")?;
    // QuickTime's `meta` has no version and flags; ISO's has: either way,
    // its first child is a `hdlr`.
    let meta = if meta.get(4..8) == Some(b"hdlr") {
        meta
    } else {
        meta.get(4..)?
    };
    let keys = child(meta, b"keys")?;
    let count = u32::from_be_bytes(keys.get(4..8)?.try_into().ok()?);
    let mut at = 8;
    let mut index = None;
    for i in 1..=count.min(1024) {
        let size = u32::from_be_bytes(keys.get(at..at + 4)?.try_into().ok()?) as usize;
        if size < 8 {
            return None;
        }
        if keys.get(at + 8..at + size)? == CONTENT_IDENTIFIER_KEY {
            index = Some(i);
            break;
        }
        at += size;
    }
    let item = child(child(meta, b"ilst")?, &index?.to_be_bytes())?;
    let data = child(item, b"data")?;
    // `data`: a type (1: UTF-8) and a locale, then the value.
    text(data.get(8..)?)
}

/// The contents of the first box of type `kind` among `boxes`.
fn child<'a>(boxes: &'a [u8], kind: &[u8]) -> Option<&'a [u8]> {
    let mut at = 0;
    while at + 8 <= boxes.len() {
        let size = u32::from_be_bytes(boxes[at..at + 4].try_into().ok()?) as usize;
        let (start, end) = match size {
            0 => (at + 8, boxes.len()),
            1 => {
                let large = u64::from_be_bytes(boxes.get(at + 8..at + 16)?.try_into().ok()?);
                (at + 16, at.checked_add(usize::try_from(large).ok()?)?)
            }
            n if n < 8 => return None,
            n => (at + 8, at.checked_add(n)?),
        };
        let contents = boxes.get(start..end)?;
        if &boxes[at + 4..at + 8] == kind {
            return Some(contents);
        }
        at = end;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{apple_maker_note, live_photo_mov};

    const ID: &str = "9A7B3C2D-1E0F-4A5B-8C7D-6E5F4A3B2C1D";

    #[test]
    fn the_still_and_the_video_name_the_same_identifier() {
        assert_eq!(still_identifier(&apple_maker_note(ID)).as_deref(), Some(ID));
        let mov = live_photo_mov(ID, 3000);
        assert!(is_quicktime(&mov));
        // Fed in awkward pieces: headers and the moov split across chunks.
        for piece in [1, 7, 13, 4096] {
            let mut capture = MoovCapture::default();
            for chunk in mov.chunks(piece) {
                capture.feed(chunk);
            }
            assert_eq!(capture.content_identifier().as_deref(), Some(ID), "{piece}");
        }
    }

    #[test]
    fn other_files_name_nothing_and_never_panic() {
        assert_eq!(still_identifier(b"Nikon\0\x02\x10\0\0MM\0*"), None);
        assert_eq!(still_identifier(b"Apple iOS\0\0\x01MM\xff\xff"), None);
        let mut capture = MoovCapture::default();
        capture.feed(&[0xFF; 100]);
        assert_eq!(capture.content_identifier(), None);
        let mov = live_photo_mov(ID, 10);
        for cut in 0..mov.len() {
            let mut capture = MoovCapture::default();
            capture.feed(&mov[..cut]);
            let _ = capture.content_identifier();
            let _ = video_identifier(&mov[cut..]);
        }
    }
}
