//! `spinscope train calibration`: runs the product on the tune split of PTC, PolNeAR,
//! CheckThat! and CAOD with raw scores, checks every finding against the annotations, and
//! writes the maps and thresholds of `analyze::calibration` (models/calibration.txt).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use spinscope_core::analyze::calibration::{self, Calibration, Group, Map, Tier, KINDS};
use spinscope_core::eval::attribution_relations as polnear;
use spinscope_core::eval::ptc::score_si;
use spinscope_core::eval::reliability::{judge_attribution, technique_right};
use spinscope_core::eval::spans::Prf;
use spinscope_core::eval::splits::Split;
use spinscope_core::report::{technique_uses, Finding};
use spinscope_core::{Document, Span};

use crate::eval::{agitative, checkworthy, polnear as polnear_eval, ptc as ptc_eval};
use crate::product::{self, each_document, Product, Read};
use crate::progress::Progress;

#[derive(clap::Args, Debug)]
pub struct CalibrationArgs {
    /// The data folder holding `ptc/`, `polnear/data/train/`, `checkworthy/` and `zh-agitative/`
    /// (e.g. ../shared/data).
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Where calibration.txt goes; rebuild spinscope to ship it.
    #[arg(long, value_name = "DIR", default_value = "models")]
    out: PathBuf,
    /// The precision a report's default threshold keeps on the tune split, per kind.
    #[arg(long, default_value_t = 0.7)]
    precision: f32,
    /// The lowest threshold of any kind: a finding is shown only when its calibrated score says
    /// it is more likely right than wrong, whatever the kind's precision allows.
    #[arg(long, default_value_t = 0.5)]
    min_probability: f32,
    /// The least SI precision of `--format ptc` on the tune split: its threshold is the one of
    /// best SI F1 among those that keep this precision.
    #[arg(long, default_value_t = 0.35)]
    ptc_precision: f64,
    /// A group of findings gets a map of its own from this many tune examples on.
    #[arg(long, default_value_t = 40)]
    min_examples: usize,
}

/// The detectors of Chinese techniques that CAOD's sentence labels (agitative or not) can
/// judge: the sentence model and the encoder. A phrase list's or a pattern's technique is a
/// claim about a phrase that those labels neither confirm nor refute; it stays uncalibrated.
const JUDGED_BY_CAOD: [&str; 2] = [
    spinscope_core::analyze::techniques::agitation::DETECTOR,
    "model",
];

/// A PTC tune technique finding and the spans `--format ptc` writes for it.
struct Exported {
    article: String,
    example: Example,
    spans: Vec<Span>,
}

/// The threshold (0.01 steps) at which the SemEval export of the tune articles has its best
/// SI F1 (the highest one of equals) with SI precision at least `precision`, and its scores.
fn ptc_threshold(
    c: &Calibration,
    exported: &[&Exported],
    gold: &BTreeMap<String, Vec<Span>>,
    precision: f64,
) -> (f32, Prf) {
    let scored: Vec<(f32, &Exported)> = exported
        .iter()
        .map(|x| (calibrated(c, &x.example), *x))
        .collect();
    let si_at = |t: f32| {
        let mut predicted: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        for (score, x) in &scored {
            if *score >= t {
                let spans = predicted.entry(x.article.clone()).or_default();
                spans.extend(x.spans.iter().copied());
            }
        }
        score_si(&predicted, gold)
    };
    (0..=100)
        .rev()
        .map(|i| i as f32 / 100.0)
        .map(|t| (t, si_at(t)))
        .fold((1.01, Prf::new(0.0, 0.0)), |best, (t, si)| {
            if si.f1 > best.1.f1 && si.precision >= precision {
                (t, si)
            } else {
                best
            }
        })
}

/// One finding of the tune split: its group, raw score, and whether the annotations agree.
struct Example {
    group: Group,
    raw: f32,
    right: bool,
}

pub fn run(args: &CalibrationArgs) -> anyhow::Result<bool> {
    let ptc = ptc_eval::articles(&args.data.join("ptc"), Split::Tune)?;
    let pol = polnear_eval::articles(&args.data.join("polnear/data/train"), Split::Tune)?;
    let ct = checkworthy::rows(
        &args
            .data
            .join("checkworthy/CT24_checkworthy_english_train.tsv"),
        Split::Tune,
    )?;
    let caod = balanced_caod(&args.data.join("zh-agitative"))?;
    eprintln!(
        "spinscope: tune split: PTC {} articles, PolNeAR {} articles, CheckThat! {} sentences, CAOD {} sentences (half agitative)",
        ptc.len(),
        pol.len(),
        ct.len(),
        caod.len()
    );
    let mut examples: Vec<Example> = Vec::new();
    // Each PTC tune technique finding as the SemEval export writes it, for that export's threshold.
    let mut exported: Vec<Exported> = Vec::new();
    for (tier, name) in [
        (Tier::Full, product::Tier::Full),
        (Tier::Fast, product::Tier::Fast),
    ] {
        let product = Product::raw(name);
        if product.tier_name() != tier.name() {
            anyhow::bail!(
                "the full tier is not installed (scripts/fetch-model): both tiers are calibrated"
            );
        }
        let progress = Progress::for_output(&format!("analysed ({})", tier.name()));
        let say = |l: &str| progress.say(l);
        // Techniques on PTC.
        for a in &ptc {
            let gold: Vec<Span> = a.spans.iter().map(|(_, s)| *s).collect();
            for report in reports(&product, &a.path, &progress)? {
                for f in &report.findings {
                    if let Finding::Technique { extent, score, .. } = f {
                        let right = technique_right(Span::new(extent.start, extent.end), &gold);
                        push(&mut examples, f, (tier, false), *score, right);
                        if let Some(group) = Group::of(f, tier, false) {
                            exported.push(Exported {
                                article: a.id.clone(),
                                example: Example {
                                    group,
                                    raw: *score,
                                    right,
                                },
                                spans: technique_uses(f),
                            });
                        }
                    }
                }
            }
        }
        // Attributions on PolNeAR.
        for (text, ann) in &pol {
            let gold = polnear::gold(ann)?;
            for report in reports(&product, text, &progress)? {
                for f in &report.findings {
                    if let Some((score, right)) = judge_attribution(f, &gold) {
                        push(&mut examples, f, (tier, false), score, right);
                    }
                }
            }
        }
        // Claims on CheckThat!.
        for row in &ct {
            let doc = Document::from_text(row.id.clone(), row.text.clone());
            let report = product.report(&doc, &say);
            for f in &report.findings {
                if let Finding::Claim { checkworthy, .. } = f {
                    push(&mut examples, f, (tier, false), *checkworthy, row.yes);
                }
            }
            progress.document_done();
        }
        // Chinese techniques on CAOD: right when the sentence is agitative.
        for row in &caod {
            let doc = Document::from_text(row.id.clone(), row.text.clone());
            let report = product.report(&doc, &say);
            let view = spinscope_core::TextView::new(&doc.text);
            let bytes = spinscope_core::doc::byte_offsets(&doc.text);
            for f in &report.findings {
                if let Finding::Technique {
                    extent,
                    score,
                    detector,
                    ..
                } = f
                {
                    let at = bytes.get(extent.start).copied().unwrap_or(doc.text.len());
                    if JUDGED_BY_CAOD.contains(&detector.as_str()) && view.is_chinese_at(at) {
                        push(&mut examples, f, (tier, true), *score, row.agitative);
                    }
                }
            }
            progress.document_done();
        }
        progress.finish();
    }

    let mut c = fit_maps(&examples, args.min_examples);
    for tier in [Tier::Full, Tier::Fast] {
        for kind in KINDS {
            let scored: Vec<(f32, bool)> = examples
                .iter()
                .filter(|e| e.group.tier == tier && e.group.kind == kind)
                .map(|e| (calibrated(&c, e), e.right))
                .collect();
            if scored.is_empty() {
                // No annotations to check it against (scare quotes): shown as found.
                continue;
            }
            let t = threshold(&scored, args.precision).max(args.min_probability);
            let shown: Vec<&(f32, bool)> = scored.iter().filter(|s| s.0 >= t).collect();
            let right = shown.iter().filter(|s| s.1).count();
            eprintln!(
                "spinscope: {} {kind}: threshold {t:.2} shows {} of {} tune findings, {:.2} of them right (all: {:.2})",
                tier.name(),
                shown.len(),
                scored.len(),
                right as f64 / shown.len().max(1) as f64,
                scored.iter().filter(|s| s.1).count() as f64 / scored.len() as f64
            );
            c.set_threshold(tier, kind, t);
        }
        // `--format ptc` is read by SemEval's scorer, so it gets the threshold its F1 is best at.
        let gold: BTreeMap<String, Vec<Span>> = ptc
            .iter()
            .map(|a| (a.id.clone(), a.spans.iter().map(|(_, s)| *s).collect()))
            .collect();
        let ours: Vec<&Exported> = exported
            .iter()
            .filter(|x| x.example.group.tier == tier)
            .collect();
        let (t, si) = ptc_threshold(&c, &ours, &gold, args.ptc_precision);
        eprintln!(
            "spinscope: {} technique, --format ptc: threshold {t:.2}, SI P / R / F1 {:.1} / {:.1} / {:.1} on the tune split",
            tier.name(),
            si.precision * 100.0,
            si.recall * 100.0,
            si.f1 * 100.0
        );
        c.set_threshold(tier, calibration::PTC_TECHNIQUE, t);
        // Chinese findings are shown from the same thresholds; what that keeps on CAOD:
        let kind = format!("technique{}", calibration::CHINESE);
        let t = c.thresholds(tier).get("technique");
        let scored: Vec<(f32, bool)> = examples
            .iter()
            .filter(|e| e.group.tier == tier && e.group.kind == kind)
            .map(|e| (calibrated(&c, e), e.right))
            .collect();
        let shown: Vec<&(f32, bool)> = scored.iter().filter(|s| s.0 >= t).collect();
        eprintln!(
            "spinscope: {} {kind} (CAOD): threshold {t:.2} shows {} of {} tune findings, {:.2} of them right",
            tier.name(),
            shown.len(),
            scored.len(),
            shown.iter().filter(|s| s.1).count() as f64 / shown.len().max(1) as f64,
        );
    }
    std::fs::create_dir_all(&args.out).with_context(|| format!("{}", args.out.display()))?;
    let path = args.out.join("calibration.txt");
    let header = format!(
        "spinscope calibration, written by `spinscope train calibration` (spinscope {}): maps fitted\n\
         on the tune split (PTC {} articles: techniques; PolNeAR {} articles: attributions;\n\
         CheckThat! train {} sentences: claims; CAOD {} sentences, half agitative: Chinese\n\
         techniques of the sentence model and the encoder), thresholds for precision {:.2} on\n\
         the English sets and never under {:.2}. Scare quotes have no annotated data: their\n\
         scores are the rules' own.",
        env!("CARGO_PKG_VERSION"),
        ptc.len(),
        pol.len(),
        ct.len(),
        caod.len(),
        args.precision,
        args.min_probability
    );
    std::fs::write(&path, c.write(&header)).with_context(|| format!("{}", path.display()))?;
    eprintln!(
        "spinscope: wrote {}; rebuild spinscope to ship it",
        path.display()
    );
    Ok(true)
}

/// The reports of one file, read as `analyze` reads it.
fn reports(
    product: &Product,
    path: &std::path::Path,
    progress: &Progress,
) -> anyhow::Result<Vec<spinscope_core::Report>> {
    let mut out = Vec::new();
    each_document(&[path.display().to_string()], progress, |read| {
        if let Read::Document(doc) = read {
            out.push(product.report(&doc, &|l| progress.say(l)));
        }
        Ok(())
    })?;
    Ok(out)
}

/// Files `f` as an example of its group; `chinese`: it lies in a Chinese sentence.
fn push(
    examples: &mut Vec<Example>,
    f: &Finding,
    (tier, chinese): (Tier, bool),
    raw: f32,
    right: bool,
) {
    if let Some(group) = Group::of(f, tier, chinese) {
        examples.push(Example { group, raw, right });
    }
}

/// CAOD's tune part as an even mix: every agitative sentence and as many neutral ones, those
/// of the smallest ids (ids are hashes, so this is a fixed random pick). Calibrated on it, a
/// Chinese score reads as the probability of an agitative sentence where half are, the mix
/// the sealed sample is scored on; CAOD's own (one in fourteen, from negative-sentiment
/// articles) is no better a prior for news.
fn balanced_caod(
    data: &std::path::Path,
) -> anyhow::Result<Vec<spinscope_core::eval::agitative::Row>> {
    use spinscope_core::eval::splits::DataSet;
    let rows: Vec<_> = agitative::read(data)?
        .into_iter()
        .filter(|r| Split::Tune.keeps(DataSet::Caod, &r.id))
        .collect();
    let (mut yes, mut no): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| r.agitative);
    no.sort_by(|a, b| a.id.cmp(&b.id));
    no.truncate(yes.len());
    yes.extend(no);
    Ok(yes)
}

/// Where a map is filed: (tier, kind, detector key, agrees key).
type Key = (Tier, String, String, String);

/// A map for every key with enough examples, and for every (tier, kind) whatever its count.
fn fit_maps(examples: &[Example], min_examples: usize) -> Calibration {
    let mut by_key: BTreeMap<Key, Vec<(f32, bool)>> = BTreeMap::new();
    for e in examples {
        for (detector, agrees) in e.group.keys() {
            by_key
                .entry((e.group.tier, e.group.kind.clone(), detector, agrees))
                .or_default()
                .push((e.raw, e.right));
        }
    }
    let mut c = Calibration::default();
    for ((tier, kind, detector, agrees), xs) in &by_key {
        let tier = *tier;
        let whole_kind = detector == "*" && agrees == "*";
        if xs.len() < min_examples && !whole_kind {
            continue;
        }
        let coarser = if agrees != "*" {
            Some((tier, kind.clone(), detector.clone(), "*".to_string()))
        } else if !detector.ends_with(":*") && detector != "*" {
            Some((
                tier,
                kind.clone(),
                format!("{}:*", calibration::family(detector)),
                "*".to_string(),
            ))
        } else if detector != "*" {
            Some((tier, kind.clone(), "*".to_string(), "*".to_string()))
        } else {
            None
        };
        // A key whose examples are all its next coarser key's says nothing new: left out.
        if coarser.is_some_and(|k| by_key.get(&k).map(Vec::len) == Some(xs.len())) {
            continue;
        }
        // Blocks of a tenth of the examples, 10 to 50 each.
        let block = (xs.len() / 10).clamp(10, 50);
        if let Some(map) = Map::fit(xs, block) {
            c.insert_map(tier, kind, detector, agrees, map);
        }
    }
    for (group, map) in small_rule_groups(&by_key, min_examples, &c) {
        c.insert_map(
            group.tier,
            &group.kind,
            &group.detector,
            group.agrees_key(),
            map,
        );
    }
    c
}

/// Pseudo-examples of the coarser group that a small group's share right is drawn toward.
const PRIOR_EXAMPLES: f32 = 10.0;

/// Maps for a rule's findings, with or without the other tier's agreement, where there are too
/// few for a map of their own (10 or more, under `min_examples`) and the rule gives one raw
/// score: one knot, their share right drawn toward what the coarser group's map says, as if
/// `PRIOR_EXAMPLES` more findings had been right at that rate. Without it a small group that
/// is right nearly always (quotations "…," an expert told …, unconfirmed by the tagger) takes
/// its family's far lower rate.
fn small_rule_groups(
    by_key: &BTreeMap<Key, Vec<(f32, bool)>>,
    min_examples: usize,
    c: &Calibration,
) -> Vec<(Group, Map)> {
    let mut out = Vec::new();
    for ((tier, kind, detector, agrees), xs) in by_key {
        if agrees == "*" || detector.ends_with('*') || !(10..min_examples).contains(&xs.len()) {
            continue;
        }
        let raw = xs[0].0;
        if xs.iter().any(|x| x.0 != raw) {
            continue;
        }
        let group = Group {
            tier: *tier,
            kind: kind.clone(),
            detector: detector.clone(),
            agrees: agrees == "yes",
        };
        // The group has no map yet, so this is the next coarser one its findings would read.
        let Some((parent, _)) = c.map_for(&group) else {
            continue;
        };
        let right = xs.iter().filter(|x| x.1).count() as f32;
        let p = (right + PRIOR_EXAMPLES * parent.at(raw)) / (xs.len() as f32 + PRIOR_EXAMPLES);
        out.push((
            group,
            Map {
                examples: xs.len(),
                knots: vec![(raw, p)],
            },
        ));
    }
    out
}

fn calibrated(c: &Calibration, e: &Example) -> f32 {
    c.map_for(&e.group).map_or(e.raw, |(m, _)| m.at(e.raw))
}

/// The lowest threshold (0.01 steps) at which the findings it shows are right at least
/// `precision` of the time, ten of them at least; when none is, one above every score.
fn threshold(scored: &[(f32, bool)], precision: f32) -> f32 {
    (0..=100)
        .map(|i| i as f32 / 100.0)
        .find(|&t| {
            let shown: Vec<_> = scored.iter().filter(|s| s.0 >= t).collect();
            shown.len() >= 10
                && shown.iter().filter(|s| s.1).count() as f32 >= precision * shown.len() as f32
        })
        .unwrap_or(1.01)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(detector: &str, agrees: bool, raw: f32, right: bool) -> Example {
        Example {
            group: Group {
                tier: Tier::Full,
                kind: "attribution".into(),
                detector: detector.into(),
                agrees,
            },
            raw,
            right,
        }
    }

    #[test]
    fn a_small_rule_group_is_drawn_toward_its_family_not_replaced_by_it() {
        // rules:common, unconfirmed: 200 findings, a quarter right; rules:rare, unconfirmed:
        // 17 findings, 16 right; rules:vary: 17 findings of varying raw scores.
        let mut xs: Vec<Example> = (0..200)
            .map(|i| example("rules:common", false, 0.8, i % 4 == 0))
            .collect();
        xs.extend((0..17).map(|i| example("rules:rare", false, 0.8, i != 0)));
        xs.extend((0..17).map(|i| example("rules:vary", false, 0.5 + i as f32 / 100.0, true)));
        let c = fit_maps(&xs, 40);
        let at = |e: &Example| calibrated(&c, e);
        // The family's unconfirmed findings, all three rules together.
        let family = at(&example("rules:other", false, 0.8, true));
        assert!((family - 0.37).abs() < 0.05, "{family}");
        assert!(
            (at(&xs[0]) - 0.25).abs() < 0.01,
            "a large group keeps its own map"
        );
        let rare = at(&example("rules:rare", false, 0.8, true));
        let expected = (16.0 + PRIOR_EXAMPLES * family) / (17.0 + PRIOR_EXAMPLES);
        assert!((rare - expected).abs() < 1e-4, "{rare} vs {expected}");
        assert!(rare > 0.5);
        // A group of varying scores keeps the family's map: one number would flatten it.
        let vary = example("rules:vary", false, 0.6, true);
        let name = |e: &Example| c.map_for(&e.group).map(|(_, name)| name);
        assert_eq!(name(&vary), name(&example("rules:other", false, 0.8, true)));
    }
}
