//! `eval checkworthy`: each CheckThat! sentence analysed as a document of its own; it is Yes
//! when the report holds a claim finding (shown at the report's default threshold).

use std::path::{Path, PathBuf};

use spinscope_core::eval::checkworthy::{self, Row};
use spinscope_core::eval::spans::Prf;
use spinscope_core::eval::splits::{DataSet, Split};
use spinscope_core::report::Finding;
use spinscope_core::Document;

use super::{nothing_to_score, prf, print_reliability, Common, EvalFormat, Scored};
use crate::product::Product;
use crate::progress::Progress;
use spinscope_core::eval::reliability::Reliability;

/// The rows of `split` in the CheckThat! file or folder `data`; an error when there are none.
pub(crate) fn rows(data: &Path, split: Split) -> anyhow::Result<Vec<Row>> {
    let mut rows: Vec<Row> = Vec::new();
    for file in tsv_files(data)? {
        let (read, skipped) = checkworthy::read(&file)?;
        for line in skipped {
            eprintln!(
                "spinscope: warning: {}:{line}: not 3 tab-separated fields, skipped",
                file.display()
            );
        }
        rows.extend(
            read.into_iter()
                .filter(|r| split.keeps(DataSet::Checkworthy, &r.id)),
        );
    }
    if rows.is_empty() {
        return Err(nothing_to_score("sentences", data, split));
    }
    Ok(rows)
}

pub fn run(data: &Path, common: &Common) -> anyhow::Result<bool> {
    let split: Split = common.split.into();
    let rows = rows(data, split)?;
    let product = Product::new(&common.product, false);
    let progress = Progress::for_output("analysed");
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    let mut reliability = Reliability::default();
    for (i, row) in rows.iter().enumerate() {
        progress.file(i, rows.len(), &row.id);
        let doc = Document::from_text(row.id.clone(), row.text.clone());
        let report = product.report(&doc, &|l| progress.say(l));
        for f in &report.findings {
            if let Finding::Claim { checkworthy, .. } = f {
                reliability.add(*checkworthy, row.yes);
            }
        }
        let yes = report
            .findings
            .iter()
            .any(|f| matches!(f, Finding::Claim { .. }));
        match (yes, row.yes) {
            (true, true) => tp += 1,
            (true, false) => fp += 1,
            (false, true) => fneg += 1,
            _ => {}
        }
        progress.document_done();
    }
    progress.finish();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let score = Prf::new(ratio(tp, tp + fp), ratio(tp, tp + fneg));
    let scored = Scored::new(DataSet::Checkworthy, split, rows.len(), product.tier_name());
    if common.format == EvalFormat::Json {
        let json = serde_json::json!({
            "scored": scored,
            "yes": {"precision": score.precision, "recall": score.recall, "f1": score.f1,
                    "true_positives": tp, "false_positives": fp, "false_negatives": fneg},
            "findings": {"shown": reliability.findings(), "right": reliability.precision(),
                         "ece": reliability.ece(), "reliability": reliability},
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("{}", scored.line("sentences"));
        println!(
            "Yes class  P / R / F1 {}   ({tp} right, {fp} wrongly flagged, {fneg} missed)",
            prf(&score)
        );
        print_reliability("claim", &reliability);
    }
    Ok(true)
}

/// `data` itself when it is a file, else the `.tsv` files in it, by name.
fn tsv_files(data: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if data.is_file() {
        return Ok(vec![data.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(data)
        .map_err(|e| spinscope_core::Error::io(&data.display().to_string(), e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
        .collect();
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{}: no .tsv files", data.display());
    }
    Ok(files)
}
