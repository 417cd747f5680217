//! Edits planned on an original's bytes, applied as the bytes stream past.
//!
//! Formats whose structure points at absolute offsets (TIFF, and WebP's
//! RIFF size) are planned up front from a few reads, then rewritten in one
//! pass that holds only the chunk in hand: memory does not grow with the
//! file.

use std::ops::Range;

/// One change to the original, at absolute offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Edit {
    /// These bytes become zeros (same length: no offset moves).
    Zero(Range<u64>),
    /// These bytes are overwritten with `bytes` (same length).
    Write { at: u64, bytes: Vec<u8> },
    /// These bytes are left out of the output.
    Drop(Range<u64>),
}

impl Edit {
    fn span(&self) -> Range<u64> {
        match self {
            Edit::Zero(r) | Edit::Drop(r) => r.clone(),
            Edit::Write { at, bytes } => *at..at + bytes.len() as u64,
        }
    }

    /// The same edit `by` bytes further on (for edits planned inside an
    /// embedded block).
    pub(crate) fn shifted(self, by: u64) -> Edit {
        match self {
            Edit::Zero(r) => Edit::Zero(r.start + by..r.end + by),
            Edit::Drop(r) => Edit::Drop(r.start + by..r.end + by),
            Edit::Write { at, bytes } => Edit::Write { at: at + by, bytes },
        }
    }
}

/// Applies edits to bytes that stream past, in order.
pub(crate) struct EditStream {
    edits: Vec<Edit>,
    /// Absolute offset of the next input byte.
    position: u64,
    /// Where the output ends (bytes past it are not sent), if anywhere.
    end: Option<u64>,
}

impl EditStream {
    pub(crate) fn new(mut edits: Vec<Edit>, end: Option<u64>) -> Self {
        edits.sort_by_key(|e| e.span().start);
        EditStream {
            edits,
            position: 0,
            end,
        }
    }

    /// Rewrites the next `input` bytes of the original into `out`.
    pub(crate) fn push(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let start = self.position;
        self.position += input.len() as u64;
        let stop = self.end.map_or(self.position, |end| end.min(self.position));
        if stop <= start {
            return;
        }
        let mut chunk = input[..(stop - start) as usize].to_vec();
        let here = start..stop;
        let mut dropped: Vec<Range<usize>> = Vec::new();
        for edit in &self.edits {
            let span = edit.span();
            if span.start >= here.end {
                break;
            }
            let from = span.start.max(here.start);
            let to = span.end.min(here.end);
            if from >= to {
                continue;
            }
            let local = (from - start) as usize..(to - start) as usize;
            match edit {
                Edit::Zero(_) => chunk[local].fill(0),
                Edit::Write { at, bytes } => {
                    let skip = (from - at) as usize;
                    chunk[local.clone()].copy_from_slice(&bytes[skip..skip + local.len()]);
                }
                Edit::Drop(_) => dropped.push(local),
            }
        }
        // Edits wholly behind us will not be needed again.
        self.edits.retain(|e| e.span().end > stop);
        if dropped.is_empty() {
            out.extend_from_slice(&chunk);
            return;
        }
        dropped.sort_by_key(|r| r.start);
        let mut at = 0;
        for range in dropped {
            if range.start > at {
                out.extend_from_slice(&chunk[at..range.start]);
            }
            at = at.max(range.end);
        }
        out.extend_from_slice(&chunk[at.min(chunk.len())..]);
    }
}

/// `bytes` with `edits` applied (offsets relative to its start).
pub(crate) fn apply(bytes: &[u8], edits: Vec<Edit>) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    EditStream::new(edits, None).push(bytes, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_apply_the_same_whatever_the_chunking() {
        let original: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
        let edits = vec![
            Edit::Drop(500..520),
            Edit::Zero(10..30),
            Edit::Write {
                at: 95,
                bytes: vec![7; 10],
            },
            Edit::Zero(25..40),
        ];
        let whole = apply(&original, edits.clone());
        assert_eq!(whole.len(), 980);
        assert!(whole[10..40].iter().all(|b| *b == 0));
        assert_eq!(&whole[95..105], &[7; 10]);
        assert_eq!(whole[500], original[520]);
        for size in [1, 3, 64, 999] {
            let mut stream = EditStream::new(edits.clone(), Some(900));
            let mut out = Vec::new();
            for chunk in original.chunks(size) {
                stream.push(chunk, &mut out);
            }
            assert_eq!(out, whole[..880], "chunks of {size}");
        }
    }
}
