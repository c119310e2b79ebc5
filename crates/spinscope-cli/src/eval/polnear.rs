//! `eval polnear`: the report's attribution findings (source, cue, content) against PolNeAR.

use std::path::{Path, PathBuf};

use spinscope_core::eval::attribution_relations::{self as polnear, Roles, Scores};
use spinscope_core::eval::splits::{DataSet, Split};
use spinscope_core::report::Finding;
use spinscope_core::Span;

use super::{nothing_to_score, prf, print_reliability, Common, EvalFormat, Scored};
use crate::product::{each_document, Product, Read};
use crate::progress::Progress;
use spinscope_core::eval::reliability::{judge_attribution, Reliability};

/// The (text, annotation) files of `split` in the PolNeAR folder `data`; an error when there
/// are none.
pub(crate) fn articles(data: &Path, split: Split) -> anyhow::Result<Vec<(PathBuf, PathBuf)>> {
    let articles: Vec<_> = polnear::annotated(data)?
        .into_iter()
        .filter(|(text, _)| split.keeps(DataSet::Polnear, &stem(text)))
        .collect();
    if articles.is_empty() {
        return Err(nothing_to_score("articles", data, split));
    }
    Ok(articles)
}

pub fn run(data: &Path, common: &Common) -> anyhow::Result<bool> {
    let split: Split = common.split.into();
    let articles = articles(data, split)?;
    let product = Product::new(&common.product, false);
    let progress = Progress::for_output("analysed");
    let mut scores = Scores::default();
    let mut reliability = Reliability::default();
    let mut all_ok = true;
    for (text, ann) in &articles {
        let gold = polnear::gold(ann)?;
        let mut predicted = None;
        all_ok &= each_document(&[text.display().to_string()], &progress, |read| {
            if let Read::Document(doc) = read {
                let report = product.report(&doc, &|l| progress.say(l));
                for (score, right) in report
                    .findings
                    .iter()
                    .filter_map(|f| judge_attribution(f, &gold))
                {
                    reliability.add(score, right);
                }
                predicted = Some(roles(&report));
            }
            Ok(())
        })?;
        // An article that could not be read scores as one with nothing found.
        scores.add(&predicted.unwrap_or_default(), &gold);
    }
    let scored = Scored::new(
        DataSet::Polnear,
        split,
        scores.documents,
        product.tier_name(),
    );
    let roles = [
        ("source", &scores.source),
        ("cue", &scores.cue),
        ("content", &scores.content),
    ];
    if common.format == EvalFormat::Json {
        let mut json = serde_json::Map::new();
        json.insert("scored".into(), serde_json::to_value(&scored)?);
        for (name, c) in roles {
            json.insert(
                name.into(),
                serde_json::json!({"exact": c.exact(), "overlap": c.overlap(), "counts": c}),
            );
        }
        json.insert(
            "findings".into(),
            serde_json::json!({"shown": reliability.findings(), "right": reliability.precision(),
                               "ece": reliability.ece(), "reliability": reliability}),
        );
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{}", scored.line("articles"));
        println!(
            "{:<8} {:>21}   {:>21}",
            "", "exact P / R / F1", "overlap P / R / F1"
        );
        for (name, c) in roles {
            println!("{name:<8} {}   {}", prf(&c.exact()), prf(&c.overlap()));
        }
        print_reliability("attribution", &reliability);
    }
    Ok(all_ok)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The source, cue and content of every attribution finding (code points).
pub(crate) fn roles(report: &spinscope_core::Report) -> Roles {
    let mut roles = Roles::default();
    for f in &report.findings {
        if let Finding::Attribution {
            source,
            cue,
            content,
            ..
        } = f
        {
            roles
                .source
                .push(Span::new(source.extent.start, source.extent.end));
            if let Some(c) = cue {
                roles.cue.push(Span::new(c.start, c.end));
            }
            if let Some(c) = content {
                roles.content.push(Span::new(c.start, c.end));
            }
        }
    }
    roles
}
