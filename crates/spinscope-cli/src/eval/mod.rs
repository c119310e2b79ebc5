//! `spinscope eval …`: the product's own output, scored on a labelled layout with the official
//! metric. Each evaluation reads its documents and analyses them exactly as `analyze` (or
//! `extract`) does — same tier and default, same filters, same writer — and trains nothing.
//! By default it scores the sealed split ([`spinscope_core::eval::splits`]): text that no
//! fitting or tuning has seen.

pub(crate) mod checkworthy;
mod extraction;
pub(crate) mod polnear;
pub(crate) mod ptc;

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use serde::Serialize;
use spinscope_core::eval::spans::Prf;
use spinscope_core::eval::splits::{DataSet, Split};

use crate::product::ProductArgs;

#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// Persuasion techniques on a PTC folder (`*-articles/` and labels): SemEval-2020 Task 11
    /// SI of `analyze --format ptc` and TC of `analyze --format ptc --spans` with the gold
    /// spans as the template, official metrics.
    Ptc {
        /// The folder, e.g. ../shared/data/ptc
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Attribution (source, cue, content) of `analyze`'s attribution findings against PolNeAR
    /// brat files: DIR holds `text/` and `attributions/`, one annotator per article (the first
    /// file by name). Exact and overlap precision/recall/F1 per role.
    Polnear {
        /// The folder, e.g. ../shared/data/polnear/data/train
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Check-worthiness on CheckThat! 2024 Task 1 files (`Sentence_id<TAB>Text<TAB>class_label`):
    /// each sentence is analysed as a document and is Yes when the report holds a claim
    /// finding. F1 of the Yes class, as the lab scores it.
    Checkworthy {
        /// A .tsv file, or a folder of them (e.g. ../shared/data/checkworthy)
        #[arg(long, value_name = "FILE|DIR")]
        data: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Article extraction of `extract` from HTML: the Zyte benchmark layout (`ground-truth.json`,
    /// `html/`; 4-token shingle P/R/F1) and trafilatura's (`evaldata*.json`, `html/`;
    /// with/without snippets, title/author/date). DIR is either layout or a folder holding both.
    Extraction {
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Also list the pages scoring worst, with their scores.
        #[arg(long, value_name = "N", default_value_t = 0)]
        worst: usize,
        #[arg(long, value_enum, default_value_t = SplitArg::Sealed)]
        split: SplitArg,
        #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
        format: EvalFormat,
    },
}

/// What every evaluation of `analyze` takes.
#[derive(clap::Args, Debug, Clone)]
pub struct Common {
    /// Which part of the data set: `sealed` (kept for reporting, never fitted or tuned on),
    /// `tune` (calibration and thresholds), `train` (the models), `fit` (both), or `all`.
    #[arg(long, value_enum, default_value_t = SplitArg::Sealed)]
    split: SplitArg,
    #[command(flatten)]
    product: ProductArgs,
    #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
    format: EvalFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SplitArg {
    Sealed,
    /// Where calibration and thresholds are fitted (no model saw it).
    Tune,
    /// What the models are fitted on.
    Train,
    /// Tune and train: everything but the sealed split.
    Fit,
    All,
}

impl From<SplitArg> for Split {
    fn from(s: SplitArg) -> Split {
        match s {
            SplitArg::Sealed => Split::Sealed,
            SplitArg::Tune => Split::Tune,
            SplitArg::Train => Split::Train,
            SplitArg::Fit => Split::Fit,
            SplitArg::All => Split::All,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalFormat {
    Table,
    Json,
}

/// Runs an evaluation and prints its scores.
pub fn run(cmd: EvalCommand) -> anyhow::Result<bool> {
    match cmd {
        EvalCommand::Ptc { data, common } => ptc::run(&data, &common),
        EvalCommand::Polnear { data, common } => polnear::run(&data, &common),
        EvalCommand::Checkworthy { data, common } => checkworthy::run(&data, &common),
        EvalCommand::Extraction {
            data,
            worst,
            split,
            format,
        } => extraction::run(&data, worst, split.into(), format == EvalFormat::Json),
    }
}

/// What was scored: printed above every table and at the top of every JSON result.
#[derive(Debug, Serialize)]
struct Scored {
    dataset: &'static str,
    split: &'static str,
    /// Articles, sentences or pages scored.
    items: usize,
    /// The tier that ran (`full`, `fast`), or `extract` for extraction.
    tier: &'static str,
    spinscope: &'static str,
}

impl Scored {
    fn new(set: DataSet, split: Split, items: usize, tier: &'static str) -> Scored {
        Scored {
            dataset: set.name(),
            split: split.name(),
            items,
            tier,
            spinscope: env!("CARGO_PKG_VERSION"),
        }
    }

    fn line(&self, what: &str) -> String {
        format!(
            "{} ({}), {} split: {} {what}, tier {}",
            self.dataset,
            match self.dataset {
                "ptc" => "SemEval-2020 Task 11",
                "polnear" => "PolNeAR attribution",
                "checkworthy" => "CheckThat! 2024 Task 1 English",
                _ => "article extraction",
            },
            self.split,
            self.items,
            self.tier
        )
    }
}

/// An error when a split leaves nothing to score.
fn nothing_to_score(what: &str, data: &std::path::Path, split: Split) -> anyhow::Error {
    anyhow::anyhow!(
        "{}: no {what} of the {} split{}",
        data.display(),
        split.name(),
        if split == Split::Sealed {
            " (the sealed lists name ids of the shared data sets; try --split all for other data)"
        } else {
            ""
        }
    )
}

/// The reliability table of one kind's findings: right as often as their scores say?
fn print_reliability(kind: &str, r: &spinscope_core::eval::reliability::Reliability) {
    println!(
        "{kind} findings shown: {}, right {:.2}, expected calibration error {:.3}",
        r.findings(),
        r.precision(),
        r.ece()
    );
    for line in r.lines() {
        println!("  {line}");
    }
}

/// "P / R / F1" in percent.
fn prf(p: &Prf) -> String {
    format!(
        "{:>5.1} / {:>5.1} / {:>5.1}",
        p.precision * 100.0,
        p.recall * 100.0,
        p.f1 * 100.0
    )
}
