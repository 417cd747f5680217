use crate::SourceFormat;

/// Why the pipeline could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The bytes are not a format darkroom accepts at all.
    #[error("unsupported file type: {0}")]
    UnsupportedType(String),
    /// The format is accepted and stored, but this build cannot decode it.
    #[error("no decoder for {0} in this build")]
    NoDecoder(SourceFormat),
    /// The file claims to be `format` but cannot be read.
    #[error("corrupt {format} file: {reason}")]
    Corrupt {
        /// The sniffed format.
        format: SourceFormat,
        /// What the decoder said.
        reason: String,
    },
    /// The image exceeds a configured limit.
    #[error("image too large: {what} is {actual}, the limit is {limit}")]
    LimitExceeded {
        /// Which limit.
        what: &'static str,
        /// The limit.
        limit: u64,
        /// The image's value.
        actual: u64,
    },
    /// Encoding the output failed.
    #[error("encoding failed: {0}")]
    Encode(String),
    /// The decoder for `format` is a system library this machine lacks
    /// (libheif): the photo is kept, and renders once it is installed.
    #[error("decoder unavailable: {reason}")]
    DecoderUnavailable {
        /// The photo's format.
        format: SourceFormat,
        /// What is missing, and how to install it.
        reason: String,
    },
}

impl PipelineError {
    /// How a [`PipelineError::DecoderUnavailable`] begins as text (a failed
    /// job's `last_error`), so that readers of job records can tell it.
    pub const UNAVAILABLE_PREFIX: &'static str = "decoder unavailable: ";
}
