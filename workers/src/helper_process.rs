//! The helper process: camera RAW (and HEIF) files are decoded in a child
//! process, the `darkroom-helper` executable beside `darkroom` (`helper/`),
//! never in the server, and the main binary links no RAW decoder at all.
//!
//! RAW decoders can panic, loop or allocate without bound on hostile files.
//! The child caps its own address space and CPU time (`setrlimit`) before it
//! reads the original, the parent kills it after a wall-clock timeout, and
//! whatever happens to it comes back as a [`PipelineError`]: the asset's
//! renditions fail, the server carries on.
//!
//! What is said across the pipes is `darkroom_pipeline::helper_protocol`;
//! this module starts the process, feeds it and reads its reply.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use darkroom_pipeline::edit::{EditRecipe, WorkingCopy};
use darkroom_pipeline::helper_protocol::{
    DEFAULT_CPU_SECS, DEFAULT_MEMORY_BYTES, HelperRequest, Reply,
};
use darkroom_pipeline::plan::HelperRenderer;
use darkroom_pipeline::{
    Limits, PipelineError, Rendered, RenditionSpec, ShrinkOnLoad, SourceFormat,
};

/// How to start the helper and what it may use.
#[derive(Clone, Debug)]
pub struct RawHelper {
    /// The `darkroom-helper` executable.
    pub program: PathBuf,
    /// Wall-clock time before the helper is killed.
    pub timeout: Duration,
    /// Address-space limit for the helper, in bytes.
    pub memory_bytes: u64,
}

/// Helper processes running now, in this process.
static HELPERS_RUNNING: AtomicUsize = AtomicUsize::new(0);

/// One running helper, counted in [`HELPERS_RUNNING`] while it lives.
struct RunningHelper;

impl RunningHelper {
    fn start() -> Self {
        HELPERS_RUNNING.fetch_add(1, Ordering::SeqCst);
        RunningHelper
    }

    /// This helper's share of the cores (at least one).
    fn threads(&self) -> usize {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / HELPERS_RUNNING.load(Ordering::SeqCst).max(1)).max(1)
    }
}

impl Drop for RunningHelper {
    fn drop(&mut self) {
        HELPERS_RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The helper executable's name, as built beside `darkroom`.
const HELPER_EXECUTABLE: &str = "darkroom-helper";

impl RawHelper {
    /// The `darkroom-helper` executable beside the running one (`Err`: the
    /// path where it was looked for), with the protocol's default limits.
    pub fn beside_current_exe() -> Result<Self, PathBuf> {
        let exe = std::env::current_exe().unwrap_or_default();
        let program = exe.with_file_name(HELPER_EXECUTABLE);
        if !program.is_file() {
            return Err(program);
        }
        Ok(RawHelper {
            program,
            timeout: Duration::from_secs(DEFAULT_CPU_SECS),
            memory_bytes: DEFAULT_MEMORY_BYTES,
        })
    }
}

/// What the helper is asked for, besides the renditions' specs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HelperJob<'a> {
    /// Decode limits.
    pub limits: &'a Limits,
    /// Shrink-on-load (for RAWs whose embedded previews are JPEGs).
    pub shrink: ShrinkOnLoad,
    /// The edit to render with (`None`: unedited).
    pub recipe: Option<&'a EditRecipe>,
}

/// What a render plan sends to the helper: renders there, blocking the
/// calling thread until the helper is done or killed.
impl HelperRenderer for RawHelper {
    fn render_in_helper(
        &self,
        format: SourceFormat,
        original: &[u8],
        specs: &[RenditionSpec],
        edit: Option<&EditRecipe>,
        limits: &Limits,
        shrink: ShrinkOnLoad,
    ) -> Result<Vec<Rendered>, PipelineError> {
        let job = HelperJob {
            limits,
            shrink,
            recipe: edit,
        };
        let failed = |reason: String| PipelineError::Corrupt { format, reason };
        match run_helper(self, format, original, specs, job, false)? {
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
}

/// Decodes `original` for editing in a helper process: a working copy
/// large enough for `specs` after `job.recipe`'s geometry.
pub(crate) fn working_copy_in_helper(
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
    let request = HelperRequest {
        specs: specs.to_vec(),
        limits: *job.limits,
        shrink: job.shrink,
        memory_bytes: helper.memory_bytes,
        cpu_secs: helper.timeout.as_secs().max(1),
        recipe: job.recipe.cloned(),
        working_copy,
    };
    let running = RunningHelper::start();
    let mut command = Command::new(&helper.program);
    command
        .args(request.to_args())
        // The helper parallelises inside one image (rawler, and the
        // half-size develop's rows). The workers run one image per core, so
        // the cores are shared among the helpers running now: a file alone
        // develops on all of them, a full queue gives each helper one.
        .env("RAYON_NUM_THREADS", running.threads().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
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
    let lengths = reply.body_lengths();
    let mut bodies = Vec::with_capacity(lengths.len());
    for length in lengths {
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        bodies.push(body);
    }
    Ok((reply, bodies))
}
