//! `spinscope train …`: rebuild the shipped models from public data.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use spinscope_core::eval::ptc::{self, training};
use spinscope_core::learn::TrainConfig;

#[derive(Subcommand, Debug)]
pub enum TrainCommand {
    /// The check-worthiness model, from CheckThat! 2024 English (e.g. ../shared/data/checkworthy):
    /// trains on CT24_checkworthy_english_train.tsv, scores the dev file, writes claims.bin.
    Claims(TrainArgs),
    /// The technique span tagger and classifier, from a PTC folder (e.g. ../shared/data/ptc, all
    /// its articles). Writes techniques-si.bin and techniques-tc.bin; rebuild spinscope to ship
    /// them.
    Techniques(TrainArgs),
}

#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// The data folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Where the weights go.
    #[arg(long, value_name = "DIR", default_value = "models")]
    out: PathBuf,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// Reads a PTC folder and says what it holds.
pub fn load_ptc(data: &std::path::Path) -> anyhow::Result<Vec<ptc::Article>> {
    let articles = ptc::load(data)?;
    let census = ptc::census(&articles);
    eprintln!(
        "spinscope: {}: {} articles, {} spans",
        data.display(),
        census.articles,
        census.spans
    );
    Ok(articles)
}

/// Trains a model and writes its weights.
pub fn run(cmd: TrainCommand) -> anyhow::Result<bool> {
    match cmd {
        TrainCommand::Claims(TrainArgs { data, out, seed }) => {
            use spinscope_core::analyze::claims;
            use spinscope_core::eval::checkworthy;
            let mut sets = Vec::new();
            for name in [
                "CT24_checkworthy_english_train.tsv",
                "CT24_checkworthy_english_dev.tsv",
            ] {
                let path = data.join(name);
                let (rows, skipped) = checkworthy::load(&path)?;
                for line in skipped {
                    eprintln!(
                        "spinscope: warning: {}:{line}: not 3 tab-separated fields, skipped",
                        path.display()
                    );
                }
                sets.push(rows);
            }
            let (train, dev) = (&sets[0], &sets[1]);
            eprintln!("spinscope: training on {} sentences", train.len());
            let model = claims::train(train, seed);
            let s = checkworthy::score(&model, dev, claims::THRESHOLD);
            println!(
                "CheckThat! 2024 English dev ({} sentences), Yes class at {}: P {:.3} R {:.3} F1 {:.3}",
                dev.len(),
                claims::THRESHOLD,
                s.precision,
                s.recall,
                s.f1
            );
            write_model(&out, "claims.bin", &model)?;
            Ok(true)
        }
        TrainCommand::Techniques(TrainArgs { data, out, seed }) => {
            let articles = load_ptc(&data)?;
            let prepared: Vec<training::Prepared<'_>> =
                articles.iter().map(training::prepare).collect();
            let all: Vec<&training::Prepared<'_>> = prepared.iter().collect();
            let cfg = TrainConfig {
                seed,
                ..TrainConfig::default()
            };
            let models = training::train_on(&all, &cfg);
            write_model(&out, "techniques-tc.bin", &models.tc)?;
            write_model(&out, "techniques-si.bin", &models.si)?;
            Ok(true)
        }
    }
}

/// Writes one model's weights into `dir`.
fn write_model(
    dir: &std::path::Path,
    name: &str,
    model: &spinscope_core::learn::Linear,
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let path = dir.join(name);
    let mut bytes = Vec::new();
    model.write(&mut bytes)?;
    std::fs::write(&path, &bytes).with_context(|| format!("{}: cannot write", path.display()))?;
    eprintln!(
        "spinscope: wrote {} ({:.1} MB)",
        path.display(),
        bytes.len() as f64 / 1e6
    );
    Ok(())
}
