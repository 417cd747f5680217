//! The CPU pool: decode/resize/encode run here, never on async threads.

use std::sync::Arc;

use crate::WorkerError;

/// A rayon pool sized to the machine's cores, shared by all jobs.
#[derive(Clone)]
pub struct CpuPool {
    pool: Arc<rayon::ThreadPool>,
}

impl CpuPool {
    /// A pool with one thread per core (or `threads`).
    pub fn new(threads: Option<usize>) -> Self {
        let threads =
            threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("darkroom-cpu-{i}"))
            .build()
            .expect("invariant: a thread pool can be built at start-up");
        CpuPool {
            pool: Arc::new(pool),
        }
    }

    /// Runs `work` on the pool and awaits its result without blocking the
    /// async runtime. A panic in `work` becomes an error, not a dead thread.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, WorkerError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(result);
        });
        match rx.await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_panic)) => Err(WorkerError::BadJob("cpu task panicked".into())),
            Err(_) => Err(WorkerError::PoolStopped),
        }
    }
}
