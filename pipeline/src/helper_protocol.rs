//! How the workers and the `darkroom-helper` executable talk: both sides of
//! the conversation, kept in one place so that they cannot drift apart. Data
//! only; the pipes and the process are the workers' (`workers/src/helper_process.rs`)
//! and the helper's (`helper/src/serve.rs`).
//!
//! * The request is the helper's command line ([`HelperRequest::to_args`]).
//! * The original arrives on its standard input.
//! * Its standard output carries one JSON line, a [`Reply`], followed by the
//!   bytes it announces, in order.

use serde::{Deserialize, Serialize};

use crate::edit::EditRecipe;
use crate::{Limits, PipelineError, RenditionSpec, ShrinkOnLoad, SourceFormat};

/// The helper's address-space limit unless told otherwise: enough for a
/// 100 MP RAW developed at full size (about 1.2 GB in f32).
pub const DEFAULT_MEMORY_BYTES: u64 = 4 << 30;
/// The helper's CPU-time limit (and the workers' wall-clock timeout for it)
/// unless told otherwise: a minute of work.
pub const DEFAULT_CPU_SECS: u64 = 60;

/// What the helper is asked to do.
#[derive(Clone, Debug, PartialEq)]
pub struct HelperRequest {
    /// Renditions to make (for a working copy: the outputs it must cover;
    /// none for full size).
    pub specs: Vec<RenditionSpec>,
    /// Decode limits.
    pub limits: Limits,
    /// Shrink-on-load (for RAWs whose embedded previews are JPEGs).
    pub shrink: ShrinkOnLoad,
    /// Address-space limit the helper sets on itself.
    pub memory_bytes: u64,
    /// CPU-time limit the helper sets on itself.
    pub cpu_secs: u64,
    /// The edit to render with (`None`: unedited).
    pub recipe: Option<EditRecipe>,
    /// Answer with a working copy for editing instead of renditions.
    pub working_copy: bool,
}

impl HelperRequest {
    /// The request as the helper's arguments.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec![
            "--max-pixels".to_string(),
            self.limits.max_pixels.to_string(),
            "--max-edge".to_string(),
            self.limits.max_edge.to_string(),
            "--max-upload-bytes".to_string(),
            self.limits.max_upload_bytes.to_string(),
            "--shrink-on-load".to_string(),
            self.shrink.to_string(),
            "--memory-bytes".to_string(),
            self.memory_bytes.to_string(),
            "--cpu-secs".to_string(),
            self.cpu_secs.to_string(),
        ];
        for spec in &self.specs {
            args.extend(["--rendition".to_string(), spec.key()]);
        }
        if let Some(recipe) = &self.recipe {
            args.extend(["--recipe".to_string(), recipe.canonical_json()]);
        }
        if self.working_copy {
            args.push("--working-copy".to_string());
        }
        args
    }

    /// Reads the request back from the helper's arguments.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Result<Self, String> {
        let mut request = HelperRequest {
            specs: Vec::new(),
            limits: Limits::default(),
            shrink: ShrinkOnLoad::default(),
            memory_bytes: DEFAULT_MEMORY_BYTES,
            cpu_secs: DEFAULT_CPU_SECS,
            recipe: None,
            working_copy: false,
        };
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            if flag == "--working-copy" {
                request.working_copy = true;
                continue;
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let invalid = |e: &dyn std::fmt::Display| format!("{flag} {value:?}: {e}");
            let number = |value: &str| value.parse::<u64>().map_err(|e| invalid(&e));
            match flag.as_str() {
                "--max-pixels" => request.limits.max_pixels = number(&value)?,
                "--max-edge" => {
                    request.limits.max_edge = value.parse().map_err(|e| invalid(&e))?;
                }
                "--max-upload-bytes" => request.limits.max_upload_bytes = number(&value)?,
                "--shrink-on-load" => request.shrink = value.parse().map_err(|e| invalid(&e))?,
                "--memory-bytes" => request.memory_bytes = number(&value)?,
                "--cpu-secs" => request.cpu_secs = number(&value)?,
                "--rendition" => request.specs.push(value.parse().map_err(|e| invalid(&e))?),
                "--recipe" => {
                    let recipe =
                        EditRecipe::from_json(value.as_bytes()).map_err(|e| invalid(&e))?;
                    request.recipe = Some(recipe);
                }
                _ => return Err(format!("unknown argument {flag}")),
            }
        }
        Ok(request)
    }
}

/// One rendition as the helper describes it (its bytes follow the line).
#[derive(Debug, Serialize, Deserialize)]
pub struct RenditionHeader {
    /// The spec's key ([`RenditionSpec::key`]).
    pub spec: String,
    /// Displayed width.
    pub width: u32,
    /// Displayed height.
    pub height: u32,
    /// The original's stored width.
    pub source_width: u32,
    /// The original's stored height.
    pub source_height: u32,
    /// How many bytes of the rendition follow.
    pub bytes: usize,
    /// What the decoder went past, if anything.
    pub decode_warning: Option<String>,
}

/// The helper's first output line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Renditions, in order; their bytes follow.
    Renditions(Vec<RenditionHeader>),
    /// A working copy for editing ([`crate::edit::WorkingCopy::to_bytes`])
    /// of this many bytes follows.
    WorkingCopy(usize),
    /// The file could not be rendered; nothing follows.
    Error(HelperError),
}

impl Reply {
    /// How many bytes follow the line, body by body.
    pub fn body_lengths(&self) -> Vec<usize> {
        match self {
            Reply::Renditions(headers) => headers.iter().map(|h| h.bytes).collect(),
            Reply::WorkingCopy(bytes) => vec![*bytes],
            Reply::Error(_) => Vec::new(),
        }
    }
}

/// A [`PipelineError`] across the process boundary.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HelperError {
    /// [`PipelineError::UnsupportedType`].
    Unsupported {
        /// Why.
        message: String,
    },
    /// [`PipelineError::NoDecoder`].
    NoDecoder {
        /// The format's name.
        format: String,
    },
    /// [`PipelineError::Corrupt`].
    Corrupt {
        /// The format's name.
        format: String,
        /// What the decoder said.
        reason: String,
    },
    /// [`PipelineError::LimitExceeded`].
    Limit {
        /// Which limit.
        what: String,
        /// Its value.
        limit: u64,
        /// What the file asked for.
        actual: u64,
    },
    /// [`PipelineError::DecoderUnavailable`].
    Unavailable {
        /// The format's name.
        format: String,
        /// What is missing.
        reason: String,
    },
    /// Any other error, as text.
    Encode {
        /// The error's message.
        message: String,
    },
}

impl From<&PipelineError> for HelperError {
    fn from(e: &PipelineError) -> Self {
        match e {
            PipelineError::UnsupportedType(m) => HelperError::Unsupported { message: m.clone() },
            PipelineError::NoDecoder(f) => HelperError::NoDecoder {
                format: f.name().into(),
            },
            PipelineError::Corrupt { format, reason } => HelperError::Corrupt {
                format: format.name().into(),
                reason: reason.clone(),
            },
            PipelineError::LimitExceeded {
                what,
                limit,
                actual,
            } => HelperError::Limit {
                what: (*what).into(),
                limit: *limit,
                actual: *actual,
            },
            PipelineError::DecoderUnavailable { format, reason } => HelperError::Unavailable {
                format: format.name().into(),
                reason: reason.clone(),
            },
            other => HelperError::Encode {
                message: other.to_string(),
            },
        }
    }
}

impl HelperError {
    /// The error as the pipeline names it; `format` is the file's, for
    /// names the helper gave that this side does not know.
    pub fn into_pipeline_error(self, format: SourceFormat) -> PipelineError {
        let format_named = |name: &str| SourceFormat::from_name(name).unwrap_or(format);
        match self {
            HelperError::Unsupported { message } => PipelineError::UnsupportedType(message),
            HelperError::NoDecoder { format: name } => {
                PipelineError::NoDecoder(format_named(&name))
            }
            HelperError::Corrupt {
                format: name,
                reason,
            } => PipelineError::Corrupt {
                format: format_named(&name),
                reason,
            },
            HelperError::Limit {
                what,
                limit,
                actual,
            } => PipelineError::LimitExceeded {
                // The pipeline names its limits with static strings.
                what: ["longest edge", "pixel count", "decoded size"]
                    .into_iter()
                    .find(|known| *known == what)
                    .unwrap_or("size"),
                limit,
                actual,
            },
            HelperError::Unavailable {
                format: name,
                reason,
            } => PipelineError::DecoderUnavailable {
                format: format_named(&name),
                reason,
            },
            HelperError::Encode { message } => PipelineError::Encode(message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_survives_the_command_line() {
        let request = HelperRequest {
            specs: vec!["thumb:256".parse().unwrap(), "p:1440".parse().unwrap()],
            limits: Limits {
                max_upload_bytes: 123,
                max_pixels: 456,
                max_edge: 789,
            },
            shrink: ShrinkOnLoad::Exact,
            memory_bytes: 1 << 30,
            cpu_secs: 7,
            recipe: Some(EditRecipe::from_json(br#"{"exposure": 0.5}"#).unwrap()),
            working_copy: true,
        };
        assert_eq!(HelperRequest::from_args(request.to_args()), Ok(request));
        let unknown = HelperRequest::from_args(["--fast".to_string()]);
        assert_eq!(unknown, Err("--fast needs a value".to_string()));
        let bad = HelperRequest::from_args(["--max-edge".to_string(), "x".to_string()]);
        assert!(bad.unwrap_err().starts_with("--max-edge \"x\""));
    }

    #[test]
    fn errors_cross_the_boundary_as_the_same_errors() {
        let limit = PipelineError::LimitExceeded {
            what: "pixel count",
            limit: 10,
            actual: 20,
        };
        let back = HelperError::from(&limit).into_pipeline_error(SourceFormat::Dng);
        assert!(matches!(
            back,
            PipelineError::LimitExceeded {
                what: "pixel count",
                limit: 10,
                actual: 20
            }
        ));
        let corrupt = PipelineError::Corrupt {
            format: SourceFormat::Dng,
            reason: "short".into(),
        };
        let json = serde_json::to_string(&Reply::Error(HelperError::from(&corrupt))).unwrap();
        let Reply::Error(e) = serde_json::from_str(&json).unwrap() else {
            panic!("{json}");
        };
        assert!(matches!(
            e.into_pipeline_error(SourceFormat::Jpeg),
            PipelineError::Corrupt { format: SourceFormat::Dng, reason } if reason == "short"
        ));
    }
}
