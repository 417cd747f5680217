use darkroom_pipeline::PipelineError;
use darkroom_storage::StorageError;

/// Why a job attempt failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// Storage failed; a later attempt may succeed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The pipeline refused the input; retrying the same bytes cannot help.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    /// The job's payload is not one this worker understands.
    #[error("bad job: {0}")]
    BadJob(String),
    /// A webhook receiver did not take a delivery; the queue retries it.
    #[error("webhook delivery failed: {0}")]
    Delivery(String),
    /// The CPU pool went away (shutting down).
    #[error("cpu pool stopped")]
    PoolStopped,
    /// The attempt ran past the job's time budget and was abandoned.
    #[error("the job ran past its time budget of {} s and was abandoned", .0.as_secs())]
    TimedOut(std::time::Duration),
}

impl WorkerError {
    /// True when another attempt may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            WorkerError::Storage(e) => e.is_retryable() || e.is_not_found(),
            WorkerError::PoolStopped | WorkerError::Delivery(_) | WorkerError::TimedOut(_) => true,
            WorkerError::Pipeline(_) | WorkerError::BadJob(_) => false,
        }
    }
}
