//! The RAW helper: camera RAW files are decoded in a child process (the same
//! `darkroom` binary, started as `darkroom raw-helper`), never in the server.
//!
//! RAW decoders can panic, loop or allocate without bound on hostile files.
//! The child caps its own address space and CPU time (`setrlimit`) before it
//! reads a byte, the parent kills it after a wall-clock timeout, and whatever
//! happens to it comes back as a [`PipelineError`]: the asset's renditions
//! fail, the server carries on.
//!
//! The protocol is small: the original on the child's standard input; on its
//! standard output one JSON line — the renditions' descriptions, or an error
//! — followed by the renditions' bytes in order.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use darkroom_pipeline::edit::{EditRecipe, WorkingCopy, render_edited};
use darkroom_pipeline::{
    Limits, PipelineError, Rendered, RenditionSpec, ShrinkOnLoad, SourceFormat,
};
use serde::{Deserialize, Serialize};

/// How to start the helper and what it may use.
#[derive(Clone, Debug)]
pub struct RawHelper {
    /// The `darkroom` executable (started with the `raw-helper` subcommand).
    pub program: PathBuf,
    /// Wall-clock time before the helper is killed.
    pub timeout: Duration,
    /// Address-space limit for the helper, in bytes.
    pub memory_bytes: u64,
}

impl RawHelper {
    /// The running `darkroom` executable as its own helper, with limits that
    /// fit a 100 MP RAW developed at full size (about 1.2 GB in f32) and a
    /// minute of work.
    pub fn current_exe() -> Option<Self> {
        Some(RawHelper {
            program: std::env::current_exe().ok()?,
            timeout: Duration::from_secs(60),
            memory_bytes: 4 << 30,
        })
    }
}

/// One rendition as the helper describes it (its bytes follow the line).
#[derive(Debug, Serialize, Deserialize)]
struct RenditionHeader {
    spec: String,
    width: u32,
    height: u32,
    source_width: u32,
    source_height: u32,
    bytes: usize,
    decode_warning: Option<String>,
}

/// The helper's first output line.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reply {
    Renditions(Vec<RenditionHeader>),
    /// A working copy for editing ([`WorkingCopy::to_bytes`]) of this many
    /// bytes follows.
    WorkingCopy(usize),
    Error(HelperError),
}

/// A [`PipelineError`] across the process boundary.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum HelperError {
    Unsupported {
        message: String,
    },
    NoDecoder {
        format: String,
    },
    Corrupt {
        format: String,
        reason: String,
    },
    Limit {
        what: String,
        limit: u64,
        actual: u64,
    },
    Encode {
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
            other => HelperError::Encode {
                message: other.to_string(),
            },
        }
    }
}

impl HelperError {
    fn into_pipeline_error(self, format: SourceFormat) -> PipelineError {
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
            HelperError::Encode { message } => PipelineError::Encode(message),
        }
    }
}

/// What the helper is asked for, besides the renditions' specs.
#[derive(Clone, Copy, Debug)]
pub struct HelperJob<'a> {
    /// Decode limits.
    pub limits: &'a Limits,
    /// Shrink-on-load (for RAWs whose embedded previews are JPEGs).
    pub shrink: ShrinkOnLoad,
    /// The edit to render with (`None`: unedited).
    pub recipe: Option<&'a EditRecipe>,
}

/// Renders `original`, sniffed as `format`, in a helper process (see the
/// module documentation), as `job.recipe` edits it.
/// Blocks the calling thread until the helper is done or killed.
pub fn render_in_helper(
    helper: &RawHelper,
    format: SourceFormat,
    original: &[u8],
    specs: &[RenditionSpec],
    job: HelperJob<'_>,
) -> Result<Vec<Rendered>, PipelineError> {
    let failed = |reason: String| PipelineError::Corrupt { format, reason };
    match run_helper(helper, format, original, specs, job, false)? {
        (Reply::Renditions(headers), bodies) => headers
            .into_iter()
            .zip(bodies)
            .map(|(h, bytes)| {
                Ok(Rendered {
                    spec: h
                        .spec
                        .parse()
                        .map_err(|e| failed(format!("RAW helper: {e}")))?,
                    bytes,
                    width: h.width,
                    height: h.height,
                    source_width: h.source_width,
                    source_height: h.source_height,
                    decode_warning: h.decode_warning,
                })
            })
            .collect(),
        _ => Err(failed("the RAW helper answered out of turn".into())),
    }
}

/// Decodes `original` for editing in a helper process: a working copy
/// large enough for `specs` after `job.recipe`'s geometry.
pub fn working_copy_in_helper(
    helper: &RawHelper,
    format: SourceFormat,
    original: &[u8],
    specs: &[RenditionSpec],
    job: HelperJob<'_>,
) -> Result<WorkingCopy, PipelineError> {
    match run_helper(helper, format, original, specs, job, true)? {
        (Reply::WorkingCopy(_), mut bodies) if bodies.len() == 1 => {
            WorkingCopy::from_bytes(&bodies.remove(0))
        }
        _ => Err(PipelineError::Corrupt {
            format,
            reason: "the RAW helper answered out of turn".into(),
        }),
    }
}

/// Starts the helper, feeds it `original`, waits (killing it at the
/// timeout) and reads its reply; an error reply or a crash becomes the
/// [`PipelineError`] it stands for.
fn run_helper(
    helper: &RawHelper,
    format: SourceFormat,
    original: &[u8],
    specs: &[RenditionSpec],
    job: HelperJob<'_>,
    working_copy: bool,
) -> Result<(Reply, Vec<Vec<u8>>), PipelineError> {
    let failed = |reason: String| PipelineError::Corrupt { format, reason };
    let limits = job.limits;
    let mut command = Command::new(&helper.program);
    command
        .arg("raw-helper")
        .args(["--max-pixels", &limits.max_pixels.to_string()])
        .args(["--max-edge", &limits.max_edge.to_string()])
        .args(["--shrink-on-load", &job.shrink.to_string()])
        .args(["--memory-bytes", &helper.memory_bytes.to_string()])
        .args(["--cpu-secs", &helper.timeout.as_secs().max(1).to_string()])
        // rawler parallelises inside one image; the workers already run one
        // image per core, so the helper keeps to one thread.
        .env("RAYON_NUM_THREADS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for spec in specs {
        command.args(["--rendition", &spec.key()]);
    }
    if let Some(recipe) = job.recipe {
        command.args(["--recipe", &recipe.canonical_json()]);
    }
    if working_copy {
        command.arg("--working-copy");
    }
    let mut child = command.spawn().map_err(|e| {
        failed(format!(
            "starting the RAW helper {}: {e}",
            helper.program.display()
        ))
    })?;
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let reply = std::thread::scope(|scope| {
        // Feed and drain on their own threads so neither pipe can fill up
        // and stall the other; the helper may answer before reading it all.
        scope.spawn(move || stdin.map(|mut s| s.write_all(original)));
        let errors = scope.spawn(move || {
            let mut text = String::new();
            stderr.map(|mut s| s.read_to_string(&mut text));
            text
        });
        let output = scope.spawn(move || stdout.map(read_reply));
        let deadline = Instant::now() + helper.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(_) => break None,
            }
        };
        let output = output.join().ok().flatten();
        let errors = errors.join().unwrap_or_default();
        (status, output, errors)
    });
    let (status, output, errors) = reply;
    let Some(status) = status else {
        metrics::counter!("darkroom_helper_failures_total", "reason" => "timeout").increment(1);
        return Err(failed(format!(
            "the RAW helper took longer than {} s and was stopped",
            helper.timeout.as_secs()
        )));
    };
    match output {
        Some(Ok((Reply::Error(e), _))) => Err(e.into_pipeline_error(format)),
        Some(Ok(reply)) if status.success() => Ok(reply),
        _ => {
            let last_words = errors
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            metrics::counter!("darkroom_helper_failures_total", "reason" => "crash").increment(1);
            Err(failed(
                format!("the RAW helper crashed ({status}) {last_words}")
                    .trim_end()
                    .to_string(),
            ))
        }
    }
}

/// Reads the helper's reply line and then each rendition's bytes.
fn read_reply(stdout: impl Read) -> std::io::Result<(Reply, Vec<Vec<u8>>)> {
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let reply: Reply = serde_json::from_str(&line).map_err(std::io::Error::other)?;
    let lengths: Vec<usize> = match &reply {
        Reply::Renditions(headers) => headers.iter().map(|h| h.bytes).collect(),
        Reply::WorkingCopy(bytes) => vec![*bytes],
        Reply::Error(_) => Vec::new(),
    };
    let mut bodies = Vec::with_capacity(lengths.len());
    for length in lengths {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        bodies.push(body);
    }
    Ok((reply, bodies))
}

/// What `darkroom raw-helper` was asked to do.
#[derive(Clone, Debug)]
pub struct HelperRequest {
    /// Renditions to make.
    pub specs: Vec<RenditionSpec>,
    /// Decode limits.
    pub limits: Limits,
    /// Shrink-on-load (for RAWs whose embedded previews are JPEGs).
    pub shrink: ShrinkOnLoad,
    /// Address-space limit to set on itself.
    pub memory_bytes: u64,
    /// CPU-time limit to set on itself.
    pub cpu_secs: u64,
    /// The edit to render with.
    pub recipe: Option<EditRecipe>,
    /// Answer with a working copy for editing instead of renditions.
    pub working_copy: bool,
}

/// The helper's side: limits itself, reads the original from standard
/// input, renders, and writes the reply to standard output. Returns the
/// process exit status (0 rendered, 2 refused).
pub fn serve_helper(request: &HelperRequest) -> std::io::Result<i32> {
    // Before reading a byte: a runaway decoder hits these, not the machine.
    rlimit::setrlimit(
        rlimit::Resource::AS,
        request.memory_bytes,
        request.memory_bytes,
    )?;
    rlimit::setrlimit(
        rlimit::Resource::CPU,
        request.cpu_secs,
        request.cpu_secs + 1,
    )?;
    let mut original = Vec::new();
    std::io::stdin()
        .take(request.limits.max_upload_bytes.saturating_add(1))
        .read_to_end(&mut original)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let recipe = request.recipe.clone().unwrap_or_default();
    if request.working_copy {
        // No specs: full size, for an export.
        let specs = Some(request.specs.as_slice()).filter(|s| !s.is_empty());
        let copy = WorkingCopy::decode(&original, &recipe, specs, &request.limits, request.shrink);
        let code = match copy {
            Ok(copy) => {
                let bytes = copy.to_bytes();
                serde_json::to_writer(&mut out, &Reply::WorkingCopy(bytes.len()))?;
                out.write_all(b"\n")?;
                out.write_all(&bytes)?;
                0
            }
            Err(e) => {
                serde_json::to_writer(&mut out, &Reply::Error(HelperError::from(&e)))?;
                out.write_all(b"\n")?;
                2
            }
        };
        out.flush()?;
        return Ok(code);
    }
    let result = render_edited(
        &original,
        &request.specs,
        &recipe,
        &request.limits,
        request.shrink,
    );
    let code = match result {
        Ok(rendered) => {
            let headers = rendered
                .iter()
                .map(|r| RenditionHeader {
                    spec: r.spec.key(),
                    width: r.width,
                    height: r.height,
                    source_width: r.source_width,
                    source_height: r.source_height,
                    bytes: r.bytes.len(),
                    decode_warning: r.decode_warning.clone(),
                })
                .collect();
            serde_json::to_writer(&mut out, &Reply::Renditions(headers))?;
            out.write_all(b"\n")?;
            for r in &rendered {
                out.write_all(&r.bytes)?;
            }
            0
        }
        Err(e) => {
            serde_json::to_writer(&mut out, &Reply::Error(HelperError::from(&e)))?;
            out.write_all(b"\n")?;
            2
        }
    };
    out.flush()?;
    Ok(code)
}
