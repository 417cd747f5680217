//! Progress of an operator's task on standard error (fsck, backup,
//! restore), drawn from the storage crate's [`Progress`] reports.

use std::io::IsTerminal;
use std::time::Duration;

use darkroom_storage::progress::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// One progress bar on standard error, one phase after another (hidden
/// when standard error is not a terminal; the phases are still named).
pub struct Bars {
    pub bar: ProgressBar,
    drawn: bool,
    /// The command, naming each phase when no bar is drawn.
    task: &'static str,
}

impl Bars {
    pub fn new(task: &'static str) -> Self {
        let drawn = std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            None,
            if drawn {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Bars { bar, drawn, task }
    }
}

impl Progress for Bars {
    fn phase(&self, name: &'static str, steps: Option<u64>) {
        if !self.drawn {
            eprintln!("{}: {name}", self.task);
        }
        let template = match steps {
            Some(_) => "{msg} [{bar:30}] {pos}/{len} ({eta})",
            None => "{spinner} {msg} {pos}",
        };
        self.bar
            .set_style(ProgressStyle::with_template(template).expect("a valid template"));
        self.bar.set_message(name);
        self.bar.set_length(steps.unwrap_or(0));
        self.bar.set_position(0);
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
}
