//! Where a render's time goes, stage by stage, for the workers' metrics
//! (`darkroom_pipeline_stage_seconds`).
//!
//! The pipeline stays free of I/O and of any metrics library: each stage
//! notes its time on the current thread, and whoever called the pipeline on
//! that thread collects the notes with [`take`] afterwards. One render runs
//! on one thread, so the notes are that render's. A stage timed inside
//! another counts once, in the inner stage: the outer one gets its own time
//! only (an edit's time excludes the encode it calls).

use std::cell::RefCell;
use std::time::{Duration, Instant};

/// A step of the pipeline, as labelled in the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Reading the header and metadata of an upload.
    Probe,
    /// Decoding compressed pixels (at a DCT scale where it can).
    Decode,
    /// Developing a camera RAW (in the helper process, timed from outside).
    Develop,
    /// Turning pixels upright.
    Orient,
    /// Applying an edit recipe.
    Edit,
    /// Resampling to a rendition's size.
    Resize,
    /// Converting an ICC-tagged source to sRGB.
    Colour,
    /// Compressing a rendition.
    Encode,
}

impl Stage {
    /// The metrics label.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Probe => "probe",
            Stage::Decode => "decode",
            Stage::Develop => "develop",
            Stage::Orient => "orient",
            Stage::Edit => "edit",
            Stage::Resize => "resize",
            Stage::Colour => "colour",
            Stage::Encode => "encode",
        }
    }
}

#[derive(Default)]
struct Notes {
    spent: Vec<(Stage, Duration)>,
    /// For each stage running on this thread, the time of the stages inside it.
    inner: Vec<Duration>,
}

thread_local! {
    static NOTES: RefCell<Notes> = RefCell::default();
}

/// Runs `step` as `stage`, noting its time on this thread.
pub fn timed<T>(stage: Stage, step: impl FnOnce() -> T) -> T {
    NOTES.with(|n| n.borrow_mut().inner.push(Duration::ZERO));
    let started = Instant::now();
    let result = step();
    let elapsed = started.elapsed();
    NOTES.with(|n| {
        let mut notes = n.borrow_mut();
        let inner = notes.inner.pop().unwrap_or_default();
        if let Some(outer) = notes.inner.last_mut() {
            *outer += elapsed;
        }
        notes.spent.push((stage, elapsed.saturating_sub(inner)));
    });
    result
}

/// The stages noted on this thread since the last call, in order.
pub fn take() -> Vec<(Stage, Duration)> {
    NOTES.with(|n| std::mem::take(&mut n.borrow_mut().spent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_stages_count_once_and_take_empties_the_notes() {
        take();
        timed(Stage::Edit, || {
            std::thread::sleep(Duration::from_millis(20));
            timed(Stage::Encode, || {
                std::thread::sleep(Duration::from_millis(30))
            });
        });
        let notes = take();
        assert_eq!(
            notes.iter().map(|(s, _)| *s).collect::<Vec<_>>(),
            [Stage::Encode, Stage::Edit]
        );
        let (encode, edit) = (notes[0].1, notes[1].1);
        assert!(encode >= Duration::from_millis(30), "{encode:?}");
        assert!(edit >= Duration::from_millis(20), "{edit:?}");
        assert!(
            edit < Duration::from_millis(30) + Duration::from_millis(20),
            "{edit:?} counted the encode too"
        );
        assert!(take().is_empty());
    }
}
