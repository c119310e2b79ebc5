//! The product path: how `analyze` reads inputs and turns each document into a report. `eval`
//! runs exactly this, so the figures it prints are the scores of what users get.

use std::sync::Arc;

use clap::ValueEnum;
use spinscope_core::analyze::calibration::{Thresholds, Tier as CalibrationTier};
use spinscope_core::analyze::techniques;
use spinscope_core::ingest::{self, Input};
use spinscope_core::{analyze_with, Annotator, Document, Options, Report, Span, Technique};

use crate::progress::Progress;

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    Fast,
    Full,
}

/// How a document is analysed: the flags `analyze`, `serve` and every `eval` share.
#[derive(clap::Args, Debug, Clone)]
pub struct ProductArgs {
    /// `fast`: rules and the small linear models; `full`: adds the multilingual encoder's
    /// findings [default: full when the encoder is installed (scripts/fetch-model), else fast
    /// with a notice; SPINSCOPE_TIER overrides]
    #[arg(long, value_enum, env = "SPINSCOPE_TIER")]
    pub tier: Option<Tier>,
    /// Show findings of KIND (technique, attribution, scare_quote, claim) from score P on,
    /// instead of the shipped threshold (chosen for precision on held-out text); repeatable
    #[arg(long, value_name = "KIND=P", value_parser = parse_min_score)]
    pub min_score: Vec<(String, f32)>,
    /// Show every finding, whatever its score (the summary counts them all too)
    #[arg(long, conflicts_with = "min_score")]
    pub all: bool,
}

impl ProductArgs {
    /// The analysis options these flags ask for.
    pub fn options(&self, include_text: bool) -> Options {
        Options {
            include_text,
            min_score: self.min_score.clone(),
            all: self.all,
            ..Options::default()
        }
    }
}

/// `KIND=P`, with KIND one of the scored kinds and P in [0, 1].
fn parse_min_score(s: &str) -> Result<(String, f32), String> {
    use spinscope_core::analyze::calibration::KINDS;
    let (kind, p) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected KIND=P, e.g. claim=0.8"))?;
    if !KINDS.contains(&kind) {
        return Err(format!("{kind:?}: not one of {}", KINDS.join(", ")));
    }
    let p: f32 = p
        .parse()
        .ok()
        .filter(|p: &f32| (0.0..=1.0).contains(p))
        .ok_or_else(|| format!("{p:?}: a score between 0 and 1"))?;
    Ok((kind.to_string(), p))
}

/// The learned tier when asked for (or by `default`) and installed; otherwise `None`, with a
/// one-line notice saying why the rules run alone.
pub fn learned_tier(asked: Option<Tier>, default: Tier) -> Option<Arc<dyn Annotator>> {
    if asked.unwrap_or(default) == Tier::Fast {
        return None;
    }
    match spinscope_model::FullTier::load() {
        Ok(tier) => Some(Arc::new(tier)),
        Err(e) => {
            eprintln!("spinscope: note: {e}; using the fast tier (rules and linear models)");
            None
        }
    }
}

/// The analysis users get, configured once.
#[derive(Debug)]
pub struct Product {
    tier: Option<Arc<dyn Annotator>>,
    pub options: Options,
}

impl Product {
    /// Loads the tier `args` ask for (the learned one by default, when installed), with the
    /// thresholds they ask for.
    pub fn new(args: &ProductArgs, include_text: bool) -> Product {
        Product {
            tier: learned_tier(args.tier, Tier::Full),
            options: args.options(include_text),
        }
    }

    /// What `train calibration` fits on: `tier` (when installed), every finding, raw scores.
    pub fn raw(tier: Tier) -> Product {
        Product {
            tier: learned_tier(Some(tier), Tier::Full),
            options: Options {
                raw_scores: true,
                ..Options::default()
            },
        }
    }

    /// The same, writing for SemEval's scorer (`--format ptc`): techniques from the threshold
    /// chosen for its F1 on the tune split, unless `--min-score technique=…` or `--all` say.
    pub fn for_ptc(mut self) -> Product {
        self.options.ptc = true;
        self
    }

    /// The thresholds a report (not a `--format ptc` export) of this product shows from.
    pub fn report_thresholds(&self) -> Thresholds {
        let tier = if self.tier.is_some() {
            CalibrationTier::Full
        } else {
            CalibrationTier::Fast
        };
        let options = Options {
            ptc: false,
            ..self.options.clone()
        };
        options.thresholds(tier)
    }

    /// The tier that runs: `full` or `fast`.
    pub fn tier_name(&self) -> &'static str {
        if self.tier.is_some() {
            "full"
        } else {
            "fast"
        }
    }

    /// One document's report; when the learned tier fails on it, the rules' findings, with a
    /// warning through `say`.
    pub fn report(&self, doc: &Document, say: &dyn Fn(&str)) -> Report {
        let (report, warning) = analyze_with(doc, &self.options, self.tier.as_deref());
        if let Some(w) = warning {
            say(&format!(
                "warning: {}: the full tier failed ({w}); the report holds the rules' findings",
                doc.source
            ));
        }
        report
    }

    /// The technique of each span (code points of `doc.text`), as `analyze --spans` labels
    /// them: by the learned tier when it runs, else by the rule tier's classifier.
    pub fn classify(&self, doc: &Document, spans: &[Span], say: &dyn Fn(&str)) -> Vec<Technique> {
        let (labels, warning) = techniques::classify_spans(doc, spans, self.tier.as_deref());
        if let Some(w) = warning {
            say(&format!(
                "warning: {}: the full tier failed ({w}); the rules' classifier labelled its spans",
                doc.source
            ));
        }
        labels
    }
}

/// What [`each_document`] hands its caller.
pub enum Read {
    Document(Document),
    /// The current input has no more documents.
    EndOfFile,
}

/// Reads every document of every input in order, counting them on `progress`. A bad input or
/// record is reported on one line with its name and reading goes on; returns whether
/// everything was read.
pub fn each_document(
    files: &[String],
    progress: &Progress,
    mut handle: impl FnMut(Read) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    let mut all_ok = true;
    for (index, path) in files.iter().enumerate() {
        progress.file(index, files.len(), path);
        match Input::open(path).and_then(ingest::documents) {
            Ok(docs) => {
                for loaded in docs {
                    match loaded {
                        Ok(loaded) => {
                            if let Some(w) = &loaded.warning {
                                progress.say(&format!("warning: {w}"));
                            }
                            handle(Read::Document(loaded.document))?;
                            progress.document_done();
                        }
                        Err(e) => {
                            progress.say(&e.to_string());
                            all_ok = false;
                        }
                    }
                }
            }
            Err(e) => {
                progress.say(&e.to_string());
                all_ok = false;
            }
        }
        handle(Read::EndOfFile)?;
    }
    progress.finish();
    Ok(all_ok)
}

/// The label of each template line (article id, span in code points), in template order, as
/// `analyze --format ptc --spans` writes them; `None` for a line whose article is not among
/// `files`. Returns whether every input was read.
pub fn label_template(
    lines: &[(String, Span)],
    files: &[String],
    product: &Product,
    progress: &Progress,
) -> anyhow::Result<(Vec<Option<Technique>>, bool)> {
    use spinscope_core::report::ptc_article_id;
    let mut labels: Vec<Option<Technique>> = vec![None; lines.len()];
    let all_ok = each_document(files, progress, |read| {
        if let Read::Document(doc) = read {
            let id = ptc_article_id(&doc.id);
            let wanted: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].0 == id).collect();
            let spans: Vec<Span> = wanted.iter().map(|&i| lines[i].1).collect();
            let found = product.classify(&doc, &spans, &|line| progress.say(line));
            for (i, t) in wanted.into_iter().zip(found) {
                labels[i] = Some(t);
            }
        }
        Ok(())
    })?;
    Ok((labels, all_ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_is_counted_and_a_bad_input_does_not_stop_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = dir.path().join("story.txt");
        std::fs::write(&text, "Officials said the report was wrong.").expect("write");
        let feed = dir.path().join("feed.jsonl");
        std::fs::write(
            &feed,
            "{\"id\": \"a\", \"text\": \"One.\"}\nnot json\n{\"id\": \"b\", \"text\": \"Two.\"}\n",
        )
        .expect("write");
        let missing = dir.path().join("missing.txt");
        let files: Vec<String> = [&missing, &text, &feed]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let progress = Progress::new(false, "read");
        let (mut ids, mut ends) = (Vec::new(), 0);
        let all_ok = each_document(&files, &progress, |read| {
            match read {
                Read::Document(doc) => ids.push(doc.id),
                Read::EndOfFile => ends += 1,
            }
            Ok(())
        })
        .expect("reading");
        assert!(!all_ok, "a missing file and a bad line are failures");
        assert_eq!(ids, vec!["story", "a", "b"]);
        assert_eq!(ends, 3, "one end per input, the missing one included");
        assert_eq!(progress.documents(), 3);
    }
}
