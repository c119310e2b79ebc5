//! `eval zh-spans`: our Chinese technique span set ([`spinscope_core::eval::zh_spans`]), each
//! passage analysed as a document of its own and scored as PTC is: SI of the report's technique
//! spans, TC of `--spans` with the gold spans as the template. Simplified and Traditional
//! passages are scored apart, and the Simplified ones once more converted to Traditional
//! character by character, a check that the two scripts read alike.

use std::collections::BTreeMap;
use std::path::Path;

use spinscope_core::eval::ptc::{score_si, score_tc};
use spinscope_core::eval::reliability::{technique_right, Reliability};
use spinscope_core::eval::spans::Prf;
use spinscope_core::eval::splits::{DataSet, Split};
use spinscope_core::eval::zh_spans::{self, Passage, Script};
use spinscope_core::report::{technique_spans, technique_uses};
use spinscope_core::text::zh::traditional_view;
use spinscope_core::{Document, Span, Technique};

use super::{nothing_to_score, prf, print_reliability, Common, EvalFormat, Scored};
use crate::product::Product;
use crate::progress::Progress;

/// What one passage, as read, got: its technique spans and the labels of its gold spans.
struct PassageResult {
    id: String,
    gold: Vec<(Technique, Span)>,
    predicted: Vec<Span>,
    labels: Vec<Technique>,
}

/// SI and TC of a group of passages.
struct GroupScore {
    name: String,
    passages: usize,
    gold: usize,
    predicted: usize,
    si: Prf,
    tc: Prf,
}

impl GroupScore {
    fn of(name: &str, group: &[&PassageResult]) -> GroupScore {
        let map = |f: &dyn Fn(&PassageResult) -> Vec<Span>| -> BTreeMap<String, Vec<Span>> {
            group.iter().map(|p| (p.id.clone(), f(p))).collect()
        };
        let gold_si = map(&|p| p.gold.iter().map(|&(_, s)| s).collect());
        let predicted_si = map(&|p| p.predicted.clone());
        let gold_tc: Vec<(String, Span, Technique)> = group
            .iter()
            .flat_map(|p| p.gold.iter().map(|&(t, s)| (p.id.clone(), s, t)))
            .collect();
        let predicted_tc: Vec<(String, Span, Technique)> = group
            .iter()
            .flat_map(|p| {
                p.gold
                    .iter()
                    .zip(&p.labels)
                    .map(|(&(_, s), &l)| (p.id.clone(), s, l))
            })
            .collect();
        GroupScore {
            name: name.to_string(),
            passages: group.len(),
            gold: gold_tc.len(),
            predicted: predicted_si.values().map(Vec::len).sum(),
            si: score_si(&predicted_si, &gold_si),
            tc: score_tc(&predicted_tc, &gold_tc),
        }
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "passages": self.passages, "gold_spans": self.gold, "predicted_spans": self.predicted,
            "si": self.si, "tc": self.tc,
        })
    }
}

pub fn run(data: &Path, common: &Common) -> anyhow::Result<bool> {
    let split: Split = common.split.into();
    let entries: Vec<zh_spans::Entry> = zh_spans::entries()
        .map_err(|e| anyhow::anyhow!("the committed Chinese span set: {e}"))?
        .into_iter()
        .filter(|e| split.keeps(DataSet::ZhSpans, &e.id))
        .collect();
    let mut all_read = true;
    let mut passages: Vec<Passage> = Vec::new();
    for entry in &entries {
        match zh_spans::read(data, entry) {
            Ok(p) => passages.push(p),
            Err(e) => {
                eprintln!("spinscope: {e}");
                all_read = false;
            }
        }
    }
    if passages.is_empty() {
        return Err(nothing_to_score("annotated passages", data, split));
    }

    // SI scores the spans `--format ptc` writes, as `eval ptc` does.
    let product = Product::new(&common.product, false).for_ptc();
    let progress = Progress::for_output("analysed");
    let mut reliability = Reliability::default();
    let mut read: Vec<(Script, PassageResult)> = Vec::new();
    let mut converted: Vec<PassageResult> = Vec::new();
    for (i, p) in passages.iter().enumerate() {
        progress.file(i, passages.len(), &p.entry.id);
        let original = score_passage(&product, &progress, p, &p.text, Some(&mut reliability));
        read.push((p.entry.script, original));
        if p.entry.script == Script::Simplified {
            let text = traditional_view(&p.text);
            converted.push(score_passage(&product, &progress, p, &text, None));
        }
        progress.document_done();
    }
    progress.finish();

    let of_script = |s: Script| -> Vec<&PassageResult> {
        read.iter()
            .filter(|(script, _)| *script == s)
            .map(|(_, p)| p)
            .collect()
    };
    let everything: Vec<&PassageResult> = read.iter().map(|(_, p)| p).collect();
    let groups = [
        GroupScore::of("all", &everything),
        GroupScore::of("Simplified", &of_script(Script::Simplified)),
        GroupScore::of("Traditional", &of_script(Script::Traditional)),
        GroupScore::of(
            "Simplified as Traditional",
            &converted.iter().collect::<Vec<_>>(),
        ),
    ];
    let scored = Scored::new(DataSet::ZhSpans, split, passages.len(), product.tier_name());
    if common.format == EvalFormat::Json {
        let json = serde_json::json!({
            "scored": scored,
            "groups": groups.iter().map(|g| (g.name.clone(), g.json()))
                .collect::<serde_json::Map<_, _>>(),
            "findings": {"shown": reliability.findings(), "right": reliability.precision(),
                         "ece": reliability.ece(), "reliability": reliability},
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{}", scored.line("passages"));
        println!(
            "{:<27} {:>8} {:>6}   SI P / R / F1          TC micro-F1",
            "", "passages", "gold"
        );
        for g in &groups {
            println!(
                "{:<27} {:>8} {:>6}   {}   {:>5.1}   ({} spans predicted)",
                g.name,
                g.passages,
                g.gold,
                prf(&g.si),
                g.tc.f1 * 100.0,
                g.predicted
            );
        }
        println!(
            "(\"Simplified as Traditional\": the Simplified passages converted character by \
             character, a check that both scripts read alike)"
        );
        print_reliability("technique", &reliability);
    }
    Ok(all_read)
}

/// Analyses `text` (the passage `p`'s, or a conversion of it with the same code points) as the
/// product does; `reliability` collects how often its technique findings were right.
fn score_passage(
    product: &Product,
    progress: &Progress,
    p: &Passage,
    text: &str,
    reliability: Option<&mut Reliability>,
) -> PassageResult {
    let doc = Document::from_text(p.entry.id.clone(), text.to_string());
    let report = product.report(&doc, &|l| progress.say(l));
    let gold: Vec<Span> = p.entry.spans.iter().map(|&(_, s)| s).collect();
    if let Some(reliability) = reliability {
        // The reliability table is that of the findings a report shows.
        let shown = product.report_thresholds();
        for f in report.findings.iter().filter(|f| shown.shows(f)) {
            if let spinscope_core::report::Finding::Technique { score, .. } = f {
                let uses = technique_uses(f);
                reliability.add(*score, uses.iter().any(|&s| technique_right(s, &gold)));
            }
        }
    }
    PassageResult {
        id: p.entry.id.clone(),
        gold: p.entry.spans.clone(),
        predicted: technique_spans(&report)
            .into_iter()
            .map(|(_, start, end)| Span::new(start, end))
            .collect(),
        labels: product.classify(&doc, &gold, &|l| progress.say(l)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_scored_as_ptc_scores_articles() {
        let loaded = Technique::from_label("Loaded_Language").expect("a label");
        let slogan = Technique::from_label("Slogans").expect("a label");
        let found = PassageResult {
            id: "a".into(),
            gold: vec![(loaded, Span::new(0, 4)), (slogan, Span::new(10, 20))],
            predicted: vec![Span::new(0, 4)],
            labels: vec![loaded, loaded],
        };
        let missed = PassageResult {
            id: "b".into(),
            gold: vec![(slogan, Span::new(0, 8))],
            predicted: vec![],
            labels: vec![slogan],
        };
        let g = GroupScore::of("all", &[&found, &missed]);
        assert_eq!((g.passages, g.gold, g.predicted), (2, 3, 1));
        assert!((g.si.precision - 1.0).abs() < 1e-9, "{:?}", g.si);
        assert!((g.si.recall - 1.0 / 3.0).abs() < 1e-9, "{:?}", g.si);
        assert!((g.tc.f1 - 2.0 / 3.0).abs() < 1e-9, "{:?}", g.tc);
    }
}
