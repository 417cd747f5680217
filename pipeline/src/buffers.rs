//! Per-thread reuse of pixel buffers.
//!
//! A fresh multi-megabyte buffer costs its page faults on first touch (about
//! 0.5 ms per MB on this project's VM: a 24 MP photo's 1/4-scale decode and
//! its preview are ~9 MB). Rendering threads live long (rayon pools), so each
//! keeps a few buffers from one photo to the next: W1 ran 7 % faster with
//! freed memory kept mapped. At most [`KEEP`] buffers of at most
//! [`KEEP_MAX_BYTES`] are kept, which bounds what an idle thread holds.

use std::cell::RefCell;

use image::DynamicImage;

/// Buffers kept per thread: a decode, a preview and a thumb.
const KEEP: usize = 3;
/// Larger buffers (full decodes of big photos) go back to the allocator.
const KEEP_MAX_BYTES: usize = 16 << 20;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// A zeroed buffer of `len` bytes, reusing a kept one when there is one: the
/// smallest that fits, else the largest (grown).
pub(crate) fn take(len: usize) -> Vec<u8> {
    let kept = POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        let fitting = (0..pool.len())
            .filter(|&i| pool[i].capacity() >= len)
            .min_by_key(|&i| pool[i].capacity());
        let pick = fitting.or_else(|| (0..pool.len()).max_by_key(|&i| pool[i].capacity()));
        pick.map(|i| pool.swap_remove(i))
    });
    let mut buffer = kept.unwrap_or_default();
    buffer.clear();
    buffer.resize(len, 0);
    buffer
}

/// Hands a buffer back for reuse on this thread.
pub(crate) fn give(buffer: Vec<u8>) {
    if buffer.capacity() == 0 || buffer.capacity() > KEEP_MAX_BYTES {
        return;
    }
    POOL.with(|pool| {
        let mut pool = pool.borrow_mut();
        pool.push(buffer);
        if pool.len() > KEEP
            && let Some(smallest) = (0..pool.len()).min_by_key(|&i| pool[i].capacity())
        {
            pool.swap_remove(smallest);
        }
    });
}

/// Hands an image's pixel buffer back for reuse.
pub(crate) fn recycle(image: DynamicImage) {
    match image {
        DynamicImage::ImageRgb8(i) => give(i.into_raw()),
        DynamicImage::ImageLuma8(i) => give(i.into_raw()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_the_smallest_fitting_buffer_and_zeroes_it() {
        let mut big = take(1000);
        big.fill(7);
        let big_ptr = big.as_ptr();
        give(big);
        give(Vec::with_capacity(100));
        let again = take(500);
        assert_eq!(
            again.as_ptr(),
            big_ptr,
            "the kept 1000-byte buffer is reused"
        );
        assert_eq!(again.len(), 500);
        assert!(again.iter().all(|&b| b == 0));
        let small = take(50);
        assert!(small.capacity() >= 50 && small.capacity() < 1000);
    }

    #[test]
    fn keeps_a_bounded_number_of_modest_buffers() {
        for _ in 0..10 {
            give(Vec::with_capacity(64));
        }
        give(Vec::with_capacity(KEEP_MAX_BYTES + 1));
        POOL.with(|pool| {
            let pool = pool.borrow();
            assert_eq!(pool.len(), KEEP);
            assert!(pool.iter().all(|b| b.capacity() <= KEEP_MAX_BYTES));
        });
    }
}
