//! `spinscope eval …`: scores on public benchmark layouts.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use spinscope_core::eval::polnear::{self, Subset};
use spinscope_core::eval::spans::Counts;

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
                    println!("{name:<8} {}   {}", prf(c, true), prf(c, false));
                }
            }
            Ok(true)
        }
    }
}

fn prf(c: &Counts, exact: bool) -> String {
    let p = if exact { c.exact() } else { c.overlap() };
    format!(
        "{:>6.1} / {:>5.1} / {:>5.1}",
        p.precision * 100.0,
        p.recall * 100.0,
        p.f1 * 100.0
    )
}
