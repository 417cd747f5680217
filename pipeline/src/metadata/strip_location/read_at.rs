//! Random access to an original that may not be in memory.
//!
//! Planning a TIFF's edits follows offsets anywhere in the file; the caller
//! supplies the reads (from a buffer, a file or an object store) and
//! [`Paged`] keeps the few pages a plan revisits, so a RAW of 80 MB is
//! planned from a handful of small reads.

use std::borrow::Cow;
use std::cell::RefCell;

use crate::PipelineError;

/// Reads of a byte source at any offset.
pub trait ReadAt {
    /// The source's length in bytes.
    fn size(&self) -> u64;
    /// Up to `len` bytes from `offset` (fewer at the end, none past it).
    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, PipelineError>;
}

impl ReadAt for [u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, PipelineError> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let end = start.saturating_add(len).min(self.len());
        Ok(Cow::Borrowed(&self[start..end]))
    }
}

impl<T: ReadAt + ?Sized> ReadAt for &T {
    fn size(&self) -> u64 {
        (**self).size()
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, PipelineError> {
        (**self).read_at(offset, len)
    }
}

/// Page size of [`Paged`]: one read brings a whole IFD and its values.
const PAGE: u64 = 64 * 1024;
/// Pages kept (4 MiB): the bound on a plan's memory.
const KEPT_PAGES: usize = 64;

/// A [`ReadAt`] that reads whole pages and keeps the latest ones.
pub struct Paged<R> {
    inner: R,
    pages: RefCell<Vec<(u64, Vec<u8>)>>,
}

impl<R: ReadAt> Paged<R> {
    /// Caches reads of `inner`.
    pub fn new(inner: R) -> Self {
        Paged {
            inner,
            pages: RefCell::new(Vec::new()),
        }
    }

    fn with_page<T>(&self, page: u64, f: impl FnOnce(&[u8]) -> T) -> Result<T, PipelineError> {
        if let Some((_, bytes)) = self.pages.borrow().iter().find(|(p, _)| *p == page) {
            return Ok(f(bytes));
        }
        let bytes = self.inner.read_at(page * PAGE, PAGE as usize)?.into_owned();
        let answer = f(&bytes);
        let mut pages = self.pages.borrow_mut();
        if pages.len() >= KEPT_PAGES {
            pages.remove(0);
        }
        pages.push((page, bytes));
        Ok(answer)
    }
}

impl<R: ReadAt> ReadAt for Paged<R> {
    fn size(&self) -> u64 {
        self.inner.size()
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Cow<'_, [u8]>, PipelineError> {
        let end = offset.saturating_add(len as u64).min(self.size());
        let mut out = Vec::with_capacity(end.saturating_sub(offset) as usize);
        let mut at = offset;
        while at < end {
            let page = at / PAGE;
            let within = (at - page * PAGE) as usize;
            let want = ((end - at) as usize).min(PAGE as usize - within);
            let got = self.with_page(page, |bytes| {
                let piece = bytes.get(within..(within + want).min(bytes.len()));
                out.extend_from_slice(piece.unwrap_or_default());
                piece.map_or(0, <[u8]>::len)
            })?;
            if got == 0 {
                break;
            }
            at += got as u64;
        }
        Ok(Cow::Owned(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paged_reads_match_the_bytes_across_page_edges() {
        let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let paged = Paged::new(bytes.as_slice());
        for (offset, len) in [(0, 10), (65_530, 20), (131_000, 70_000), (299_990, 50)] {
            let want = &bytes[offset..(offset + len).min(bytes.len())];
            assert_eq!(&*paged.read_at(offset as u64, len).unwrap(), want);
        }
        assert!(paged.read_at(400_000, 10).unwrap().is_empty());
    }
}
