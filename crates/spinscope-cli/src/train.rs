//! `spinscope train …`: rebuild the shipped models from public data.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use spinscope_core::eval::ptc::{self, training};
use spinscope_core::eval::spans::Prf;
use spinscope_core::eval::splits::{self, DataSet};
use spinscope_core::learn::TrainConfig;

#[derive(Subcommand, Debug)]
pub enum TrainCommand {
    /// The check-worthiness model, from CheckThat! 2024 English (e.g. ../shared/data/checkworthy):
    /// trains on CT24_checkworthy_english_train.tsv, scores the dev file, writes claims.bin.
    Claims(TrainArgs),
    /// The Chinese agitative-sentence model, from CAOD (e.g. ../shared/data/zh-agitative, its
    /// train part): writes agitation-zh.bin; rebuild spinscope to ship it.
    Agitation(TrainArgs),
    /// The mined Chinese word list, from CAOD (e.g. ../shared/data/zh-agitative, its train
    /// part): the jieba words found far more often in agitative sentences than in neutral ones,
    /// with their counts. Writes agitative_words.tsv into --out (ship it by writing into
    /// crates/spinscope-core/data/zh and rebuilding).
    LexiconZh(LexiconArgs),
    /// The technique span tagger and classifier, from a PTC folder (e.g. ../shared/data/ptc, all
    /// its articles). Writes techniques-si.bin and techniques-tc.bin; rebuild spinscope to ship
    /// them.
    Techniques(TrainArgs),
    /// The calibration of every score and the report thresholds (models/calibration.txt): runs
    /// the product, both tiers, on the tune split of a data folder holding `ptc/`,
    /// `polnear/data/train/` and `checkworthy/` (e.g. ../shared/data), which no model was
    /// fitted on, and checks each finding against the annotations. Run it after the models.
    Calibration(crate::calibrate::CalibrationArgs),
    /// The `full` tier's heads over the multilingual encoder (scripts/fetch-model installs it),
    /// from a data folder holding `ptc/` and `checkworthy/` (e.g. ../shared/data): encodes the
    /// data once (cached), scores the heads by 5-fold cross-validation by article, trains them on
    /// everything, writes encoder-heads.safetensors, encoder-scores.json and train-model.log.
    Model(ModelArgs),
}

#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// The data folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Where the heads, the scores and the log go.
    #[arg(long, value_name = "DIR", default_value = "models")]
    out: PathBuf,
    /// The encoded training data, kept for later runs [default: train-cache in the model folder].
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Pack consecutive sentences of an article into windows of up to N tokens, so each token
    /// sees its neighbours' sentences (training, export and import alike; the heads remember
    /// it) [default: a window per sentence].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(8..=254))]
    window_pack: Option<u64>,
    /// Fine-tuning, step 1: write the training data as the encoder's windows (token ids and
    /// labels) and the base weights they need into DIR, for scripts/finetune.py (on a GPU); its
    /// log goes there too (export.log).
    #[arg(long, value_name = "DIR", conflicts_with = "import")]
    export: Option<PathBuf>,
    /// Fine-tuning, step 3: score the out-of-fold predictions scripts/finetune.py wrote into DIR
    /// and write the adapted encoder's file, its scores and check values into --out.
    #[arg(long, value_name = "DIR")]
    import: Option<PathBuf>,
    /// Retrain only the technique span and label heads, on CPU, over the fine-tuned encoder in
    /// FILE (e.g. models/encoder-heads.safetensors), keeping its adapter, attribution and claim
    /// heads; writes the heads file, encoder-refit-scores.json and refit-techniques.log.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["export", "import"])]
    refit_techniques: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
pub struct LexiconArgs {
    /// The data folder.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Where agitative_words.tsv goes.
    #[arg(
        long,
        value_name = "DIR",
        default_value = "crates/spinscope-core/data/zh"
    )]
    out: PathBuf,
    /// Keep words in at least this many agitative sentences (default: the shipped rule's).
    #[arg(long, value_name = "N")]
    min_agitative: Option<u32>,
    /// Keep words whose smoothed share of agitative sentences under an even mix is at least
    /// this (default: the shipped rule's).
    #[arg(long, value_name = "SHARE")]
    min_share: Option<f32>,
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
    /// Also estimate the recipe by K-fold cross-validation on the fit split (by article or
    /// row; 0: none). An estimate of the training recipe, not of the shipped model: `spinscope
    /// eval` scores that.
    #[arg(long, value_name = "K", default_value_t = 5)]
    folds: usize,
}

/// Reads a PTC folder for fitting: its train part, the held-out articles left out and said so.
pub fn load_ptc_train(data: &std::path::Path) -> anyhow::Result<Vec<ptc::Article>> {
    let (articles, left_out) = splits::train_part(DataSet::Ptc, ptc::load(data)?, |a| &a.id);
    let census = ptc::census(&articles);
    eprintln!(
        "spinscope: {}: fitting on {} articles, {} spans ({left_out})",
        data.display(),
        census.articles,
        census.spans
    );
    Ok(articles)
}

/// Trains a model and writes its weights.
pub fn run(cmd: TrainCommand) -> anyhow::Result<bool> {
    match cmd {
        TrainCommand::Model(args) => train_model(args),
        TrainCommand::Claims(args) => train_claims(&args),
        TrainCommand::Agitation(args) => train_agitation(&args),
        TrainCommand::LexiconZh(args) => train_lexicon_zh(&args),
        TrainCommand::Techniques(args) => train_techniques(&args),
        TrainCommand::Calibration(args) => crate::calibrate::run(&args),
    }
}

/// `train claims`: the linear check-worthiness model on CheckThat! train (dev is sealed).
fn train_claims(args: &TrainArgs) -> anyhow::Result<bool> {
    use spinscope_core::analyze::claims;
    use spinscope_core::eval::checkworthy;
    let path = args.data.join("CT24_checkworthy_english_train.tsv");
    let (train, skipped, left_out) = checkworthy::load(&path)?;
    for line in skipped {
        eprintln!(
            "spinscope: warning: {}:{line}: not 3 tab-separated fields, skipped",
            path.display()
        );
    }
    eprintln!(
        "spinscope: training on {} sentences ({left_out})",
        train.len()
    );
    if args.folds >= 2 {
        let s = cross_validate_sentences(&train, args.folds, |fit| {
            let model = claims::train(fit, args.seed);
            move |text: &str| claims::probability(&model, text) >= claims::THRESHOLD
        });
        println!(
            "recipe estimate, {}-fold cross-validation on the train part, Yes class at {}: P {:.3} R {:.3} F1 {:.3}",
            args.folds,
            claims::THRESHOLD,
            s.precision,
            s.recall,
            s.f1
        );
    }
    let model = claims::train(&train, args.seed);
    write_model(&args.out, "claims.bin", &model)?;
    Ok(true)
}

/// `train agitation`: the Chinese agitative-sentence model on CAOD's train part.
fn train_agitation(args: &TrainArgs) -> anyhow::Result<bool> {
    use spinscope_core::analyze::techniques::agitation;
    let rows = crate::eval::agitative::read(&args.data)?;
    let (rows, left_out) = splits::train_part(DataSet::Caod, rows, |r| &r.id);
    let train: Vec<(String, bool)> = rows.into_iter().map(|r| (r.text, r.agitative)).collect();
    eprintln!(
        "spinscope: training on {} sentences, {} agitative ({left_out})",
        train.len(),
        train.iter().filter(|r| r.1).count()
    );
    if args.folds >= 2 {
        let s = cross_validate_sentences(&train, args.folds, |fit| {
            let model = agitation::train(fit, args.seed);
            move |text: &str| agitation::probability(&model, text) >= 0.5
        });
        println!(
            "recipe estimate, {}-fold cross-validation on the train part (CAOD's own mix, one agitative in fourteen), agitative at 0.5: P {:.3} R {:.3} F1 {:.3}",
            args.folds, s.precision, s.recall, s.f1
        );
    }
    let model = agitation::train(&train, args.seed);
    write_model(&args.out, "agitation-zh.bin", &model)?;
    Ok(true)
}

/// `train lexicon-zh`: Chinese loaded words mined from CAOD's train part.
fn train_lexicon_zh(args: &LexiconArgs) -> anyhow::Result<bool> {
    use spinscope_core::analyze::techniques::mined;
    let rows = crate::eval::agitative::read(&args.data)?;
    let (rows, left_out) = splits::train_part(DataSet::Caod, rows, |r| &r.id);
    let train: Vec<(String, bool)> = rows.into_iter().map(|r| (r.text, r.agitative)).collect();
    let agitative = train.iter().filter(|r| r.1).count();
    let default = mined::Rule::default();
    let rule = mined::Rule {
        min_agitative: args.min_agitative.unwrap_or(default.min_agitative),
        min_share: args.min_share.unwrap_or(default.min_share),
    };
    let words = mined::mine(&train, rule);
    eprintln!(
        "spinscope: mined {} words from {} sentences, {agitative} agitative ({left_out}): in at least {} agitative sentences, share under an even mix at least {}",
        words.len(),
        train.len(),
        rule.min_agitative,
        rule.min_share
    );
    let made_from = format!(
        "CAOD's train part ({} sentences, {agitative} agitative; sealed and tune ids left out): \
         words in at least {} agitative sentences whose share of agitative sentences under an even \
         mix, one neutral sentence added, is at least {}",
        train.len(),
        rule.min_agitative,
        rule.min_share
    );
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create", args.out.display()))?;
    let path = args.out.join("agitative_words.tsv");
    std::fs::write(&path, mined::to_tsv(&words, &made_from))
        .with_context(|| format!("{}: cannot write", path.display()))?;
    eprintln!("spinscope: wrote {}", path.display());
    Ok(true)
}

/// K-fold cross-validation of a sentence classifier (row i in fold i mod K): P/R/F1 of the
/// positive class over the held-out folds. `fit` trains on a fold's complement and returns the
/// decision.
fn cross_validate_sentences<D: Fn(&str) -> bool>(
    rows: &[(String, bool)],
    folds: usize,
    fit: impl Fn(&[(String, bool)]) -> D,
) -> Prf {
    let mut flags = crate::eval::Confusion::default();
    for k in 0..folds {
        let train: Vec<(String, bool)> = (0..rows.len())
            .filter(|i| i % folds != k)
            .map(|i| rows[i].clone())
            .collect();
        let decide = fit(&train);
        for (text, yes) in (0..rows.len()).filter(|i| i % folds == k).map(|i| &rows[i]) {
            flags.add(decide(text), *yes);
        }
    }
    flags.prf()
}

/// `train techniques`: the linear span tagger and technique classifier on PTC's fit split.
fn train_techniques(args: &TrainArgs) -> anyhow::Result<bool> {
    let articles = load_ptc_train(&args.data)?;
    let prepared: Vec<training::Prepared<'_>> = articles.iter().map(training::prepare).collect();
    let cfg = TrainConfig {
        seed: args.seed,
        ..TrainConfig::default()
    };
    if args.folds >= 2 {
        if articles.len() < args.folds {
            anyhow::bail!(
                "{}: {} articles to fit on, fewer than --folds {}",
                args.data.display(),
                articles.len(),
                args.folds
            );
        }
        let folds = args.folds;
        let scores = training::cross_validate(&prepared, folds, &cfg, |k| {
            eprintln!("spinscope: fold {}/{folds} done", k + 1);
        })?;
        print_folds(&scores, articles.len());
    }
    let all: Vec<&training::Prepared<'_>> = prepared.iter().collect();
    let models = training::train_on(&all, &cfg)?;
    write_model(&args.out, "techniques-tc.bin", &models.tc)?;
    write_model(&args.out, "techniques-si.bin", &models.si)?;
    Ok(true)
}

/// The cross-validation table: each fold, and the mean, at the best tagger threshold.
fn print_folds(scores: &[training::FoldScore], articles: usize) {
    println!(
        "recipe estimate: {}-fold cross-validation by article on the train part ({articles} articles); the shipped models are scored by `spinscope eval ptc`",
        scores.len()
    );
    println!(
        "{:<6} {:>22} {:>9}   {:>22} {:>9}",
        "fold", "SI P / R / F1", "TC F1", "rules SI P / R / F1", "rules TC"
    );
    let best = best_threshold(scores);
    let si_at = |f: &training::FoldScore| {
        f.si.iter()
            .find(|(t, _)| *t == best)
            .map(|x| x.1)
            .unwrap_or_default()
    };
    for f in scores {
        println!(
            "{:<6} {} {:>9.1}   {} {:>9.1}",
            f.fold + 1,
            prf(&si_at(f)),
            f.tc.f1 * 100.0,
            prf(&f.rules_si),
            f.rules_tc.f1 * 100.0
        );
    }
    let mean = |g: &dyn Fn(&training::FoldScore) -> f64| {
        scores.iter().map(g).sum::<f64>() / scores.len() as f64
    };
    let si_mean = Prf {
        precision: mean(&|f| si_at(f).precision),
        recall: mean(&|f| si_at(f).recall),
        f1: mean(&|f| si_at(f).f1),
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
                mean(&|f| f.si.iter().find(|(x, _)| *x == t).map_or(0.0, |x| x.1.f1)) * 100.0
            )
        })
        .collect();
    println!(
        "SI F1 by tagger threshold (mean): {} (table uses {best})",
        per_threshold.join(", ")
    );
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

fn train_model(args: ModelArgs) -> anyhow::Result<bool> {
    use spinscope_model::train;
    let path = spinscope_model::model_dir().join(spinscope_model::base::FILE_NAME);
    if !path.exists() {
        anyhow::bail!(spinscope_model::Error::Missing(path.display().to_string()));
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("{}: cannot create", args.out.display()))?;
    if let Some(file) = &args.refit_techniques {
        return refit_techniques(&args, file, &path);
    }
    let model = spinscope_model::Model::load(&path)?;
    // The export logs into its bundle: --out's log is the shipped model's, kept as it is.
    let log_path = match &args.export {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("{}: cannot create", dir.display()))?;
            dir.join("export.log")
        }
        None => args.out.join("train-model.log"),
    };
    let mut log = train::Log::create(&log_path)
        .with_context(|| format!("{}: cannot create", log_path.display()))?;
    let cfg = train::Config {
        data: args.data,
        out: args.out,
        cache: args
            .cache
            .unwrap_or_else(|| spinscope_model::model_dir().join("train-cache")),
        seed: args.seed,
        folds: args.folds,
        window_pack: args.window_pack.map(|n| n as usize),
    };
    if args.export.is_some() || args.import.is_some() {
        use spinscope_model::finetune;
        let data = finetune::Data::load(&model, &cfg.data, cfg.window_pack, &mut log)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if let Some(dir) = args.export {
            let base = spinscope_model::base::Base::load(&path)?;
            finetune::export(&base, &data, &dir, cfg.folds).map_err(|e| anyhow::anyhow!("{e}"))?;
            log.line(&format!(
                "wrote the fine-tuning data into {}",
                dir.display()
            ));
            return Ok(true);
        }
        if let Some(dir) = args.import {
            let scores = finetune::import(
                &spinscope_model::base::Base::load(&path)?,
                &data,
                &dir,
                &cfg.out,
                cfg.folds,
                &mut log,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{}", serde_json::to_string_pretty(&scores)?);
            return Ok(true);
        }
    }
    let scores = train::run(&model, &cfg, &mut log).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&scores)?);
    Ok(true)
}

/// `train model --refit-techniques FILE`: new technique heads over FILE's adapted encoder.
fn refit_techniques(
    args: &ModelArgs,
    file: &std::path::Path,
    base_path: &std::path::Path,
) -> anyhow::Result<bool> {
    use spinscope_model::{base::Base, tier::Heads, train, Model};
    let bytes = std::fs::read(file).with_context(|| format!("{}: cannot read", file.display()))?;
    let kept = Heads::from_bytes(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not a heads file: {e}", file.display()))?;
    let Some(adapter) = kept.adapter.as_ref() else {
        anyhow::bail!(
            "{}: holds no adapter; train its heads with `spinscope train model`",
            file.display()
        );
    };
    // States of the adapted encoder differ from the base's: their own cache, named by the adapter.
    let digest = spinscope_model::encoder::adapter_digest(adapter)?;
    let model = Model::adapted(&Base::load(base_path)?, Some(adapter))?;
    let log_path = args.out.join("refit-techniques.log");
    let mut log = train::Log::create(&log_path)
        .with_context(|| format!("{}: cannot create", log_path.display()))?;
    let cache = args
        .cache
        .clone()
        .unwrap_or_else(|| spinscope_model::model_dir().join("train-cache"))
        .join(format!("adapted-{}", &digest[..12]));
    let cfg = train::Config {
        data: args.data.clone(),
        out: args.out.clone(),
        cache,
        seed: args.seed,
        folds: args.folds,
        // As the kept heads were trained.
        window_pack: kept.window_pack,
    };
    let scores = train::refit(&model, kept, &cfg, &mut log).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", serde_json::to_string_pretty(&scores)?);
    Ok(true)
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
