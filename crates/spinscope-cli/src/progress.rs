//! Progress on stderr while `analyze` or `extract` works through its inputs: the full tier reads
//! about a thousand tokens a second on two cores, so a folder of articles takes minutes. Drawn
//! only when stderr is a terminal and the output goes elsewhere (a file, a pipe), so it never
//! mixes with a table on the same screen; warnings and errors print above it.

use std::io::{self, IsTerminal};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// Shown when stderr is a terminal and stdout is not; `done` says what happened to the
    /// documents counted ("analysed").
    pub fn for_output(done: &str) -> Progress {
        let show = io::stderr().is_terminal() && !io::stdout().is_terminal();
        Progress::new(show, done)
    }

    pub fn new(show: bool, done: &str) -> Progress {
        let bar = if show {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(&format!(
                "{{spinner}} {{elapsed_precise}} documents {done}: {{human_pos}}; reading {{wide_msg}}"
            )) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        } else {
            ProgressBar::hidden()
        };
        Progress { bar }
    }

    /// The input now being read, the `index`-th (from 0) of `inputs`.
    pub fn file(&self, index: usize, inputs: usize, path: &str) {
        let name = if path == "-" { "stdin" } else { path };
        self.bar.set_message(if inputs > 1 {
            format!("{name} (input {} of {inputs})", index + 1)
        } else {
            name.to_string()
        });
    }

    pub fn document_done(&self) {
        self.bar.inc(1);
    }

    #[cfg(test)]
    pub fn documents(&self) -> u64 {
        self.bar.position()
    }

    /// One line on stderr, above the bar.
    pub fn say(&self, line: &str) {
        self.bar.suspend(|| eprintln!("spinscope: {line}"));
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
