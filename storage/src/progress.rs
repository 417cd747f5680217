//! How long operator tasks (fsck, backup, restore, copying blobs) say where
//! they have got to; the CLI draws it as progress bars.

/// Where a long task has got to.
pub trait Progress: Send + Sync {
    /// A new phase, with its number of steps when known.
    fn phase(&self, name: &'static str, steps: Option<u64>);
    /// `n` more steps of the current phase done.
    fn advance(&self, n: u64);
}

/// No progress shown.
impl Progress for () {
    fn phase(&self, _: &'static str, _: Option<u64>) {}
    fn advance(&self, _: u64) {}
}
