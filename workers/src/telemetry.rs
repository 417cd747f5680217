//! What the workers report to the metrics: where render time goes, and what
//! became of each job attempt. (The process installs the recorder; without
//! one these calls cost next to nothing.)

use std::time::Duration;

use darkroom_pipeline::timings::Stage;
use darkroom_storage::catalog::LeasedJob;

use crate::JobOutcome;

/// `darkroom_pipeline_stage_seconds{stage, format}` for the stages one piece
/// of pipeline work went through (from `darkroom_pipeline::timings::collect`),
/// `format` being the source's (`SourceFormat::name`). The one place these are
/// recorded: the workers' renders and the API's probes both come here.
pub fn record_stages(format: &str, stages: Vec<(Stage, Duration)>) {
    for (stage, spent) in stages {
        metrics::histogram!(
            "darkroom_pipeline_stage_seconds",
            "stage" => stage.name(),
            "format" => format.to_string(),
        )
        .record(spent.as_secs_f64());
    }
}

/// A job was leased: counts a takeover from a worker whose lease ran out.
pub(crate) fn record_lease(job: &LeasedJob) {
    if job.taken_over {
        metrics::counter!("darkroom_job_lease_expiries_total", "outcome" => "taken_over")
            .increment(1);
        tracing::warn!(
            attempt = job.attempt,
            "took over a job whose worker's lease ran out"
        );
    }
}

/// `darkroom_job_attempts_total{kind, outcome}` (jobs failed for good are the
/// `failed` ones) and `darkroom_job_seconds{kind}`.
pub(crate) fn record_attempt(kind: &str, outcome: &JobOutcome, spent: Duration) {
    let kind = kind.to_string();
    let label = match outcome {
        JobOutcome::Done => "done",
        JobOutcome::Retrying { .. } => "retrying",
        JobOutcome::Failed { .. } => "failed",
        JobOutcome::LostLease => "lost_lease",
        JobOutcome::Released => "released",
    };
    metrics::counter!("darkroom_job_attempts_total", "kind" => kind.clone(), "outcome" => label)
        .increment(1);
    metrics::histogram!("darkroom_job_seconds", "kind" => kind).record(spent.as_secs_f64());
}
