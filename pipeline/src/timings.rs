//! Where a render's time goes, stage by stage, for the workers' metrics
//! (`darkroom_pipeline_stage_seconds`).
//!
//! The pipeline stays free of I/O and of any metrics library: whoever wants
//! the figures runs the work inside [`collect`], and each stage notes its time
//! on the current thread while a collection is open there. Outside one (the
//! `render` command, the benchmarks, the helper process) [`timed`] runs the
//! step and notes nothing, so nothing piles up on threads nobody reads. One
//! render runs on one thread, so the notes are that render's. A stage timed
//! inside another counts once, in the inner stage: the outer one gets its
//! own time only (an edit's time excludes the encode it calls).

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
    /// The open collection on this thread, if any.
    static NOTES: RefCell<Option<Notes>> = const { RefCell::new(None) };
}

/// Runs `work` and returns, with its result, the stages it went through on
/// this thread, in order.
pub fn collect<T>(work: impl FnOnce() -> T) -> (T, Vec<(Stage, Duration)>) {
    // A collection opened inside another keeps its own notes.
    let outer = NOTES.with(|n| n.replace(Some(Notes::default())));
    let result = work();
    let notes = NOTES.with(|n| n.replace(outer)).unwrap_or_default();
    (result, notes.spent)
}

/// Runs `step` as `stage`, noting its time when a collection is open.
pub fn timed<T>(stage: Stage, step: impl FnOnce() -> T) -> T {
    let collecting = NOTES.with(|n| match n.borrow_mut().as_mut() {
        Some(notes) => {
            notes.inner.push(Duration::ZERO);
            true
        }
        None => false,
    });
    if !collecting {
        return step();
    }
    let started = Instant::now();
    let result = step();
    let elapsed = started.elapsed();
    NOTES.with(|n| {
        if let Some(notes) = n.borrow_mut().as_mut() {
            let inner = notes.inner.pop().unwrap_or_default();
            if let Some(outer) = notes.inner.last_mut() {
                *outer += elapsed;
            }
            notes.spent.push((stage, elapsed.saturating_sub(inner)));
        }
    });
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_stages_count_once_and_only_inside_a_collection() {
        let ((), notes) = collect(|| {
            timed(Stage::Edit, || {
                std::thread::sleep(Duration::from_millis(20));
                timed(Stage::Encode, || {
                    std::thread::sleep(Duration::from_millis(30))
                });
            })
        });
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
        // Outside a collection nothing is noted, so nothing is left over.
        timed(Stage::Resize, || ());
        let ((), later) = collect(|| ());
        assert!(later.is_empty());
    }
}
