//! `spinscope train …`: rebuild the shipped models from public data.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use spinscope_core::eval::ptc::{self, training};
use spinscope_core::learn::TrainConfig;

#[derive(Subcommand, Debug)]
pub enum TrainCommand {
    /// The technique span tagger and classifier, from a PTC folder (all its articles). Writes
    /// techniques-si.bin and techniques-tc.bin; rebuild spinscope to ship them.
    Techniques {
        /// The folder, e.g. ../shared/data/ptc
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Where the weights go.
        #[arg(long, value_name = "DIR", default_value = "models")]
        out: PathBuf,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
}

/// Trains a model and writes its weights.
pub fn run(cmd: TrainCommand) -> anyhow::Result<bool> {
    match cmd {
        TrainCommand::Techniques { data, out, seed } => {
            let articles = ptc::load(&data)?;
            let census = ptc::census(&articles);
            eprintln!(
                "spinscope: training on {} articles, {} spans",
                census.articles, census.spans
            );
            let prepared: Vec<training::Prepared<'_>> =
                articles.iter().map(training::prepare).collect();
            let all: Vec<&training::Prepared<'_>> = prepared.iter().collect();
            let cfg = TrainConfig {
                seed,
                ..TrainConfig::default()
            };
            let models = training::train_on(&all, &cfg);
            std::fs::create_dir_all(&out)
                .with_context(|| format!("{}: cannot create", out.display()))?;
            for (name, model) in [
                ("techniques-tc.bin", &models.tc),
                ("techniques-si.bin", &models.si),
            ] {
                let path = out.join(name);
                let mut bytes = Vec::new();
                model.write(&mut bytes)?;
                std::fs::write(&path, &bytes)
                    .with_context(|| format!("{}: cannot write", path.display()))?;
                eprintln!(
                    "spinscope: wrote {} ({:.1} MB)",
                    path.display(),
                    bytes.len() as f64 / 1e6
                );
            }
            Ok(true)
        }
    }
}
