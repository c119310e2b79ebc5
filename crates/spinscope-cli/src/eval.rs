//! `spinscope eval …`: scores on public benchmark layouts.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use spinscope_core::eval::attribution_relations::{self as polnear, Subset};
use spinscope_core::eval::ptc::{self, training};
use spinscope_core::eval::spans::{Counts, Prf};
use spinscope_core::learn::TrainConfig;

#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// Attribution (source, cue, content) against PolNeAR brat files: DIR holds `text/` and
    /// `attributions/`; one annotator per article. Exact and overlap precision/recall/F1.
    Polnear {
        /// The folder, e.g. ../shared/data/polnear/data/train
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Articles to score, in file-name order (halves for a tune/held-out split).
        #[arg(long, value_enum, default_value_t = SubsetArg::All)]
        subset: SubsetArg,
        #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
        format: EvalFormat,
    },
    /// Persuasion techniques on a PTC folder (`*-articles/` and labels): SemEval-2020 Task 11 SI
    /// and TC scores, k-fold cross-validated by article for the learned tier, and the rules alone.
    Ptc {
        /// The folder, e.g. ../shared/data/ptc
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        #[arg(long, default_value_t = 5)]
        folds: usize,
        #[arg(long, default_value_t = 7)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
        format: EvalFormat,
    },
    /// Article extraction from HTML: the Zyte benchmark layout (`ground-truth.json`, `html/`;
    /// 4-token shingle P/R/F1) and trafilatura's (`evaldata*.json`, `html/`; with/without
    /// snippets, title/author/date). DIR is either layout or a folder holding both.
    Extraction {
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Also list the pages scoring worst, with their scores.
        #[arg(long, value_name = "N", default_value_t = 0)]
        worst: usize,
        #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
        format: EvalFormat,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum SubsetArg {
    All,
    FirstHalf,
    SecondHalf,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalFormat {
    Table,
    Json,
}

/// Runs an evaluation and prints its scores.
pub fn run(cmd: EvalCommand) -> anyhow::Result<bool> {
    match cmd {
        EvalCommand::Extraction {
            data,
            worst,
            format,
        } => crate::extraction::evaluate(&data, worst, format == EvalFormat::Json),
        EvalCommand::Polnear {
            data,
            subset,
            format,
        } => {
            let subset = match subset {
                SubsetArg::All => Subset::All,
                SubsetArg::FirstHalf => Subset::FirstHalf,
                SubsetArg::SecondHalf => Subset::SecondHalf,
            };
            let scores = polnear::evaluate(&data, subset)?;
            if format == EvalFormat::Json {
                let roles = [
                    ("source", &scores.source),
                    ("cue", &scores.cue),
                    ("content", &scores.content),
                ];
                let json: serde_json::Map<String, serde_json::Value> = roles
                    .iter()
                    .map(|(name, c)| {
                        (
                            name.to_string(),
                            serde_json::json!({"exact": c.exact(), "overlap": c.overlap(), "counts": c}),
                        )
                    })
                    .chain([("documents".to_string(), scores.documents.into())])
                    .collect();
                println!("{}", serde_json::to_string_pretty(&json)?);
            } else {
                println!(
                    "PolNeAR attribution, {} articles ({subset:?})",
                    scores.documents
                );
                println!(
                    "{:<8} {:>24}   {:>24}",
                    "", "exact P / R / F1", "overlap P / R / F1"
                );
                for (name, c) in [
                    ("source", &scores.source),
                    ("cue", &scores.cue),
                    ("content", &scores.content),
                ] {
                    println!(
                        "{name:<8} {}   {}",
                        counts_prf(c, true),
                        counts_prf(c, false)
                    );
                }
            }
            Ok(true)
        }
        EvalCommand::Ptc {
            data,
            folds,
            seed,
            format,
        } => {
            let articles = crate::train::load_ptc(&data)?;
            if folds < 2 || articles.len() < folds {
                anyhow::bail!(
                    "{}: need at least {folds} articles and --folds >= 2",
                    data.display()
                );
            }
            let census = ptc::census(&articles);
            let prepared: Vec<training::Prepared<'_>> =
                articles.iter().map(training::prepare).collect();
            let cfg = TrainConfig {
                seed,
                ..TrainConfig::default()
            };
            let scores = training::cross_validate(&prepared, folds, &cfg, |k| {
                eprintln!("spinscope: fold {}/{folds} done", k + 1);
            });
            if format == EvalFormat::Json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"census": census, "folds": scores})
                    )?
                );
                return Ok(true);
            }
            println!(
                "PTC, {} articles, {} spans, {folds}-fold cross-validation by article",
                census.articles, census.spans
            );
            println!(
                "{:<6} {:>22} {:>9}   {:>22} {:>9}",
                "fold", "SI P / R / F1", "TC F1", "rules SI P / R / F1", "rules TC"
            );
            let best = best_threshold(&scores);
            for f in &scores {
                let si =
                    f.si.iter()
                        .find(|(t, _)| *t == best)
                        .map(|x| x.1)
                        .unwrap_or_default();
                println!(
                    "{:<6} {} {:>9.1}   {} {:>9.1}",
                    f.fold + 1,
                    prf(&si),
                    f.tc.f1 * 100.0,
                    prf(&f.rules_si),
                    f.rules_tc.f1 * 100.0
                );
            }
            let mean = |g: &dyn Fn(&training::FoldScore) -> f64| {
                scores.iter().map(g).sum::<f64>() / scores.len() as f64
            };
            let si_mean = Prf {
                precision: mean(&|f| {
                    f.si.iter()
                        .find(|(t, _)| *t == best)
                        .map_or(0.0, |x| x.1.precision)
                }),
                recall: mean(&|f| {
                    f.si.iter()
                        .find(|(t, _)| *t == best)
                        .map_or(0.0, |x| x.1.recall)
                }),
                f1: mean(&|f| {
                    f.si.iter()
                        .find(|(t, _)| *t == best)
                        .map_or(0.0, |x| x.1.f1)
                }),
            };
            let rules_mean = Prf {
                precision: mean(&|f| f.rules_si.precision),
                recall: mean(&|f| f.rules_si.recall),
                f1: mean(&|f| f.rules_si.f1),
            };
            println!(
                "{:<6} {} {:>9.1}   {} {:>9.1}",
                "mean",
                prf(&si_mean),
                mean(&|f| f.tc.f1) * 100.0,
                prf(&rules_mean),
                mean(&|f| f.rules_tc.f1) * 100.0
            );
            let per_threshold: Vec<String> = training::THRESHOLDS
                .iter()
                .map(|&t| {
                    format!(
                        "{t}: {:.1}",
                        mean(&|f| f.si.iter().find(|(x, _)| *x == t).map_or(0.0, |x| x.1.f1))
                            * 100.0
                    )
                })
                .collect();
            println!(
                "SI F1 by tagger threshold (mean): {} (table uses {best})",
                per_threshold.join(", ")
            );
            Ok(true)
        }
    }
}

/// The tagger threshold with the best mean SI F1 across folds.
fn best_threshold(scores: &[training::FoldScore]) -> f32 {
    training::THRESHOLDS
        .iter()
        .copied()
        .max_by(|a, b| {
            let f = |t: f32| {
                scores
                    .iter()
                    .map(|s| s.si.iter().find(|(x, _)| *x == t).map_or(0.0, |x| x.1.f1))
                    .sum::<f64>()
            };
            f(*a).total_cmp(&f(*b))
        })
        .unwrap_or(0.35)
}

fn prf(p: &Prf) -> String {
    format!(
        "{:>6.1} / {:>5.1} / {:>5.1}",
        p.precision * 100.0,
        p.recall * 100.0,
        p.f1 * 100.0
    )
}

fn counts_prf(c: &Counts, exact: bool) -> String {
    let p = if exact { c.exact() } else { c.overlap() };
    format!(
        "{:>6.1} / {:>5.1} / {:>5.1}",
        p.precision * 100.0,
        p.recall * 100.0,
        p.f1 * 100.0
    )
}
