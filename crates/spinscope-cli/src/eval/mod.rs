//! `spinscope eval …`: the product's own output, scored on a labelled layout with the official
//! metric. Each evaluation reads its documents and analyses them exactly as `analyze` (or
//! `extract`) does — same tier and default, same filters, same writer — and trains nothing.
//! By default it scores the sealed split ([`spinscope_core::eval::splits`]): text that no
//! fitting or tuning has seen.

pub(crate) mod agitative;
pub(crate) mod checkworthy;
mod extraction;
pub(crate) mod polnear;
pub(crate) mod ptc;
mod zh_spans;

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
    /// Chinese persuasion on CAOD (`text<TAB>label`, label 1 when agitative): each sentence is
    /// analysed as a document and is flagged when the report holds a technique finding.
    /// Precision/recall/F1 of the flags against the label, on a balanced sealed sample.
    Agitative {
        /// The CAOD file, or a folder holding caod.tsv (e.g. ../shared/data/zh-agitative)
        #[arg(long, value_name = "FILE|DIR")]
        data: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Persuasion techniques in Chinese on our own span set (passages of CCTV bulletins and
    /// terminus2049 commentary, offsets committed in the repo, text read from DIR): SI and TC as
    /// for PTC, Simplified and Traditional passages apart.
    ZhSpans {
        /// The corpora folder the passages point into, e.g. ../shared/data/corpora
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Article extraction of `extract` from HTML: the Zyte benchmark layout (`ground-truth.json`,
    /// `html/`; 4-token shingle P/R/F1), trafilatura's (`evaldata*.json`, `html/`;
    /// with/without snippets, title/author/date) and Mozilla Readability's test pages
    /// (`pages/<name>/`: body shingles against Readability.js's output, title/byline/date).
    /// DIR is one layout or a folder holding several.
    Extraction {
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Score another tool's extraction instead of running `extract`: JSON lines with
        /// `layout` (zyte, snippets, readability), `id`, `text`, `title`, `author`, `published`.
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
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
        EvalCommand::Agitative { data, common } => agitative::run(&data, &common),
        EvalCommand::ZhSpans { data, common } => zh_spans::run(&data, &common),
        EvalCommand::Extraction {
            data,
            predictions,
            worst,
            split,
            format,
        } => {
            let extractor = match predictions {
                Some(path) => extraction::Extractor::predictions(&path)?,
                None => extraction::Extractor::Product,
            };
            extraction::run(
                &data,
                worst,
                split.into(),
                format == EvalFormat::Json,
                &extractor,
            )
        }
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
                "caod" => "CAOD Chinese agitative sentences",
                "zh-spans" => "our Chinese technique spans",
                _ => "article extraction",
            },
            self.split,
            self.items,
            self.tier
        )
    }
}

/// Yes/no decisions against a binary label: the F1 of the positive class, as CheckThat! and
/// CAOD are scored.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Confusion {
    tp: usize,
    fp: usize,
    fneg: usize,
}

impl Confusion {
    pub(crate) fn add(&mut self, predicted: bool, gold: bool) {
        match (predicted, gold) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fneg += 1,
            (false, false) => {}
        }
    }

    pub(crate) fn prf(&self) -> Prf {
        let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        Prf::new(
            ratio(self.tp, self.tp + self.fp),
            ratio(self.tp, self.tp + self.fneg),
        )
    }

    fn json(&self) -> serde_json::Value {
        let p = self.prf();
        serde_json::json!({"precision": p.precision, "recall": p.recall, "f1": p.f1,
                           "true_positives": self.tp, "false_positives": self.fp,
                           "false_negatives": self.fneg})
    }

    fn line(&self) -> String {
        format!(
            "P / R / F1 {}   ({} right, {} wrongly flagged, {} missed)",
            prf(&self.prf()),
            self.tp,
            self.fp,
            self.fneg
        )
    }
}

/// A sentence-level evaluation: each labelled sentence `(id, text, label)` analysed as a
/// document of its own is flagged when its report holds a finding that `score_of` scores;
/// prints the flags' P/R/F1 against the labels (under `class`) and the reliability of those
/// findings' scores (`kind`).
fn run_sentences(
    set: DataSet,
    common: &Common,
    sentences: &[(&str, &str, bool)],
    (class, kind): (&str, &str),
    score_of: impl Fn(&spinscope_core::report::Finding) -> Option<f32>,
) -> anyhow::Result<bool> {
    let product = crate::product::Product::new(&common.product, false);
    let progress = crate::progress::Progress::for_output("analysed");
    let mut flags = Confusion::default();
    let mut reliability = spinscope_core::eval::reliability::Reliability::default();
    for (i, &(id, text, label)) in sentences.iter().enumerate() {
        progress.file(i, sentences.len(), id);
        let doc = spinscope_core::Document::from_text(id.to_string(), text.to_string());
        let report = product.report(&doc, &|l| progress.say(l));
        let mut flagged = false;
        for score in report.findings.iter().filter_map(&score_of) {
            reliability.add(score, label);
            flagged = true;
        }
        flags.add(flagged, label);
        progress.document_done();
    }
    progress.finish();
    let scored = Scored::new(
        set,
        common.split.into(),
        sentences.len(),
        product.tier_name(),
    );
    if common.format == EvalFormat::Json {
        let json = serde_json::json!({
            "scored": scored,
            class: flags.json(),
            "findings": {"shown": reliability.findings(), "right": reliability.precision(),
                         "ece": reliability.ece(), "reliability": reliability},
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{}", scored.line("sentences"));
        println!("{class}: {}", flags.line());
        print_reliability(kind, &reliability);
    }
    Ok(true)
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
