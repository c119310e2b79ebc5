//! `eval ptc`: SI from the report's technique findings as `--format ptc` writes them, TC from the
//! `--spans` path with the gold spans as the template.

use std::collections::BTreeMap;
use std::path::Path;

use spinscope_core::eval::ptc::{self, parse_labels, score_si, score_tc};
use spinscope_core::eval::spans::Prf;
use spinscope_core::eval::splits::{DataSet, Split};
use spinscope_core::report::{ptc_article_id, technique_uses, write_ptc, Finding};
use spinscope_core::{Span, Technique};

use super::{nothing_to_score, prf, print_reliability, Common, EvalFormat, Scored};
use crate::product::{each_document, label_template, Product, Read};
use crate::progress::Progress;
use spinscope_core::eval::reliability::{technique_right, Reliability};

/// The articles of `split` in the PTC folder `data`; an error when there are none.
pub(crate) fn articles(data: &Path, split: Split) -> anyhow::Result<Vec<ptc::Article>> {
    let articles: Vec<ptc::Article> = ptc::load(data)?
        .into_iter()
        .filter(|a| split.keeps(DataSet::Ptc, &a.id))
        .collect();
    if articles.is_empty() {
        return Err(nothing_to_score("articles", data, split));
    }
    Ok(articles)
}

pub fn run(data: &Path, common: &Common) -> anyhow::Result<bool> {
    let split: Split = common.split.into();
    let articles = articles(data, split)?;
    let files: Vec<String> = articles
        .iter()
        .map(|a| a.path.display().to_string())
        .collect();
    let product = Product::new(&common.product, false).for_ptc();
    // The reliability table is that of the findings a report shows.
    let shown = product.report_thresholds();
    let gold_si: BTreeMap<String, Vec<Span>> = articles
        .iter()
        .map(|a| (a.id.clone(), a.spans.iter().map(|(_, s)| *s).collect()))
        .collect();

    // SI: the lines `analyze --format ptc` prints, read back as any SemEval file is read.
    let progress = Progress::for_output("analysed");
    let mut lines = Vec::new();
    let mut by_detector: BTreeMap<String, BTreeMap<String, Vec<Span>>> = BTreeMap::new();
    let mut reliability = Reliability::default();
    let read_all = each_document(&files, &progress, |read| {
        if let Read::Document(doc) = read {
            let report = product.report(&doc, &|l| progress.say(l));
            write_ptc(&mut lines, &report)?;
            let id = ptc_article_id(&report.document.id).to_string();
            let gold = gold_si.get(&id).map_or(&[][..], Vec::as_slice);
            for f in &report.findings {
                if let Finding::Technique {
                    detector, score, ..
                } = f
                {
                    // A repeated message is its every use.
                    let uses = technique_uses(f);
                    let right = uses.iter().any(|&s| technique_right(s, gold));
                    if shown.shows(f) {
                        reliability.add(*score, right);
                    }
                    by_detector
                        .entry(detector.clone())
                        .or_default()
                        .entry(id.clone())
                        .or_default()
                        .extend(uses);
                }
            }
        }
        Ok(())
    })?;
    let mut predicted: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    for (id, _, span) in parse_labels("analyze --format ptc", &String::from_utf8(lines)?)? {
        predicted.entry(id).or_default().push(span);
    }
    let si = score_si(&predicted, &gold_si);
    let spans = |m: &BTreeMap<String, Vec<Span>>| m.values().map(Vec::len).sum::<usize>();

    // TC: the gold spans as a template, labelled as `--spans` labels them.
    let template: Vec<(String, Span)> = articles
        .iter()
        .flat_map(|a| a.spans.iter().map(|(_, s)| (a.id.clone(), *s)))
        .collect();
    let (labels, read_again) = label_template(
        &template,
        &files,
        &product,
        &Progress::for_output("labelled"),
    )?;
    let gold_tc: Vec<(String, Span, Technique)> = articles
        .iter()
        .flat_map(|a| a.spans.iter().map(|(t, s)| (a.id.clone(), *s, *t)))
        .collect();
    let predicted_tc: Vec<(String, Span, Technique)> = template
        .iter()
        .zip(&labels)
        .filter_map(|((id, s), l)| l.map(|l| (id.clone(), *s, l)))
        .collect();
    let tc = score_tc(&predicted_tc, &gold_tc);

    let detectors: Vec<(String, usize, Prf)> = by_detector
        .iter()
        .map(|(d, m)| (d.clone(), spans(m), score_si(m, &gold_si)))
        .collect();
    let scored = Scored::new(DataSet::Ptc, split, articles.len(), product.tier_name());
    if common.format == EvalFormat::Json {
        let json = serde_json::json!({
            "scored": scored,
            "si": {"precision": si.precision, "recall": si.recall, "f1": si.f1,
                   "predicted_spans": spans(&predicted), "gold_spans": spans(&gold_si)},
            "tc": {"precision": tc.precision, "recall": tc.recall, "f1": tc.f1,
                   "spans": gold_tc.len()},
            "si_by_detector": detectors.iter().map(|(d, n, p)| (d.clone(), serde_json::json!(
                {"spans": n, "precision": p.precision, "recall": p.recall, "f1": p.f1}
            ))).collect::<serde_json::Map<_, _>>(),
            "findings": {"shown": reliability.findings(), "right": reliability.precision(),
                         "ece": reliability.ece(), "reliability": reliability},
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{}", scored.line("articles"));
        println!(
            "SI  P / R / F1 {}   ({} spans predicted, {} gold)",
            prf(&si),
            spans(&predicted),
            spans(&gold_si)
        );
        println!(
            "TC  micro-F1 {:.1}   ({} gold spans labelled)",
            tc.f1 * 100.0,
            gold_tc.len()
        );
        println!("SI of each detector's spans alone:");
        for (d, n, p) in &detectors {
            println!("  {d:<32} {}   ({n} spans)", prf(p));
        }
        print_reliability("technique", &reliability);
    }
    Ok(read_all && read_again)
}
