//! The Propaganda Techniques Corpus layout and SemEval-2020 Task 11 scoring.
//!
//! SI (span identification): overlapping spans of one article are merged, labels ignored, and
//! precision and recall give partial credit for partial overlap:
//! P = Σ_{s∈S,t∈T} |s∩t| / |s| / |S|,  R = Σ_{s∈S,t∈T} |s∩t| / |t| / |T|.
//! TC (technique classification): one label per given gold span; micro precision, recall and F1
//! over (article, span, label) with repeated spans counted as multisets.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::spans::Prf;
use crate::doc::Span;
use crate::error::{Error, Result};
use crate::report::Technique;

/// One article with its gold technique spans (code point offsets).
#[derive(Debug, Clone)]
pub struct Article {
    /// The numeric id used in label files ("111111111").
    pub id: String,
    /// The article's file, as `analyze` reads it.
    pub path: PathBuf,
    pub text: String,
    /// Code points of `text`, as the label files count them.
    pub spans: Vec<(Technique, Span)>,
}

impl Article {
    /// The gold spans in bytes of `text`, as spinscope's analysers count.
    pub fn byte_spans(&self) -> Vec<(Technique, Span)> {
        let bytes = crate::doc::byte_offsets(&self.text);
        let to_byte = |c: usize| bytes.get(c).copied().unwrap_or(self.text.len());
        self.spans
            .iter()
            .map(|(t, s)| (*t, Span::new(to_byte(s.start), to_byte(s.end))))
            .collect()
    }
}

/// Reads a PTC folder: `*-articles/articleNNN.txt` and labels from `*-labels-task-flc-tc/`
/// or an aggregate `*-task-flc-tc.labels` (falling back to SI-only files, labelled
/// `Loaded_Language` as a placeholder since SI ignores labels).
pub fn load(dir: &Path) -> Result<Vec<Article>> {
    let entries = read_dir_sorted(dir)?;
    let articles_dir = entries
        .iter()
        .find(|p| p.is_dir() && name(p).ends_with("-articles"))
        .ok_or_else(|| Error::Record {
            path: dir.display().to_string(),
            line: 0,
            message: "no *-articles folder".into(),
        })?;
    let mut labels: HashMap<String, Vec<(Technique, Span)>> = HashMap::new();
    let tc_folder = entries
        .iter()
        .find(|p| p.is_dir() && name(p).ends_with("-labels-task-flc-tc"));
    let tc_file = entries
        .iter()
        .find(|p| p.is_file() && name(p).ends_with("-task-flc-tc.labels"));
    let si_file = entries
        .iter()
        .find(|p| p.is_file() && name(p).ends_with("-task-si.labels"));
    let label_files: Vec<PathBuf> = match (tc_folder, tc_file, si_file) {
        (Some(folder), _, _) => read_dir_sorted(folder)?,
        (None, Some(file), _) => vec![file.clone()],
        (None, None, Some(file)) => vec![file.clone()],
        _ => Vec::new(),
    };
    for file in &label_files {
        let path = file.display().to_string();
        let data = std::fs::read_to_string(file).map_err(|e| Error::io(&path, e))?;
        for (id, technique, span) in parse_labels(&path, &data)? {
            labels
                .entry(id)
                .or_default()
                .push((technique.unwrap_or(Technique::LoadedLanguage), span));
        }
    }
    let mut out = Vec::new();
    for path in read_dir_sorted(articles_dir)? {
        let file = name(&path);
        let Some(id) = file
            .strip_prefix("article")
            .and_then(|f| f.strip_suffix(".txt"))
        else {
            continue;
        };
        let p = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&p, e))?;
        let spans = labels.remove(id).unwrap_or_default();
        out.push(Article {
            id: id.to_string(),
            path: path.clone(),
            text,
            spans,
        });
    }
    Ok(out)
}

fn name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>> {
    let d = dir.display().to_string();
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(&d, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// Label lines: `id<TAB>technique<TAB>start<TAB>end` (TC) or `id<TAB>start<TAB>end` (SI).
/// A TC template's `?` label reads as no technique.
pub fn parse_labels(path: &str, data: &str) -> Result<Vec<(String, Option<Technique>, Span)>> {
    let mut out = Vec::new();
    for (n, line) in data.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |why: String| Error::Record {
            path: path.to_string(),
            line: n + 1,
            message: why,
        };
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let (id, label, start, end) = match fields.as_slice() {
            [id, label, s, e] => (*id, Some(*label), *s, *e),
            [id, s, e] => (*id, None, *s, *e),
            _ => {
                return Err(bad(format!(
                    "expected 3 or 4 tab-separated fields, got {}",
                    fields.len()
                )))
            }
        };
        let technique = match label {
            None | Some("?") => None,
            Some(l) => Some(
                Technique::from_label(l).ok_or_else(|| bad(format!("unknown technique {l:?}")))?,
            ),
        };
        let start: usize = start
            .parse()
            .map_err(|_| bad(format!("bad start {start:?}")))?;
        let end: usize = end.parse().map_err(|_| bad(format!("bad end {end:?}")))?;
        if end < start {
            return Err(bad("end before start".into()));
        }
        out.push((id.to_string(), technique, Span::new(start, end)));
    }
    Ok(out)
}

/// Sorted, with overlapping spans merged.
fn merged(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| !s.is_empty());
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start < last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// SI score over articles: `predicted` and `gold` map an article id to its spans.
pub fn score_si(
    predicted: &BTreeMap<String, Vec<Span>>,
    gold: &BTreeMap<String, Vec<Span>>,
) -> Prf {
    let empty = Vec::new();
    let ids: std::collections::BTreeSet<&String> = predicted.keys().chain(gold.keys()).collect();
    ids.into_iter()
        .map(|id| {
            SiCounts::of(
                predicted.get(id).unwrap_or(&empty),
                gold.get(id).unwrap_or(&empty),
            )
        })
        .sum::<SiCounts>()
        .prf()
}

/// One article's share of the SI score: SemEval's overlap sums and span counts, which add up
/// over articles, so a set of articles can be scored without decoding them again.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SiCounts {
    pub precision_sum: f64,
    pub recall_sum: f64,
    pub predicted: usize,
    pub gold: usize,
}

impl SiCounts {
    /// The counts of one article's predicted and gold spans (each set's overlaps merged).
    pub fn of(predicted: &[Span], gold: &[Span]) -> SiCounts {
        let s = merged(predicted.to_vec());
        let t = merged(gold.to_vec());
        let mut counts = SiCounts {
            predicted: s.len(),
            gold: t.len(),
            ..SiCounts::default()
        };
        for a in &s {
            for b in &t {
                let i = a.overlap(b) as f64;
                if i > 0.0 {
                    counts.precision_sum += i / a.len() as f64;
                    counts.recall_sum += i / b.len() as f64;
                }
            }
        }
        counts
    }

    pub fn prf(&self) -> Prf {
        let ratio = |sum: f64, n: usize| if n > 0 { sum / n as f64 } else { 0.0 };
        Prf::new(
            ratio(self.precision_sum, self.predicted),
            ratio(self.recall_sum, self.gold),
        )
    }
}

impl std::ops::Add for SiCounts {
    type Output = SiCounts;
    fn add(self, o: SiCounts) -> SiCounts {
        SiCounts {
            precision_sum: self.precision_sum + o.precision_sum,
            recall_sum: self.recall_sum + o.recall_sum,
            predicted: self.predicted + o.predicted,
            gold: self.gold + o.gold,
        }
    }
}

impl std::iter::Sum for SiCounts {
    fn sum<I: Iterator<Item = SiCounts>>(iter: I) -> SiCounts {
        iter.fold(SiCounts::default(), |a, b| a + b)
    }
}

/// TC micro scores: predicted and gold (article, span, technique) triples.
pub fn score_tc(
    predicted: &[(String, Span, Technique)],
    gold: &[(String, Span, Technique)],
) -> Prf {
    let mut gold_bag: HashMap<(&str, Span), Vec<Technique>> = HashMap::new();
    for (id, s, t) in gold {
        gold_bag.entry((id.as_str(), *s)).or_default().push(*t);
    }
    let mut correct = 0usize;
    for (id, s, t) in predicted {
        if let Some(bag) = gold_bag.get_mut(&(id.as_str(), *s)) {
            if let Some(i) = bag.iter().position(|g| g == t) {
                bag.swap_remove(i);
                correct += 1;
            }
        }
    }
    let p = if predicted.is_empty() {
        0.0
    } else {
        correct as f64 / predicted.len() as f64
    };
    let r = if gold.is_empty() {
        0.0
    } else {
        correct as f64 / gold.len() as f64
    };
    Prf::new(p, r)
}

/// Per-technique counts of a corpus, for reports.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Census {
    pub articles: usize,
    pub spans: usize,
    pub by_technique: BTreeMap<Technique, usize>,
}

pub fn census(articles: &[Article]) -> Census {
    let mut c = Census {
        articles: articles.len(),
        ..Census::default()
    };
    for a in articles {
        for (t, _) in &a.spans {
            c.spans += 1;
            *c.by_technique.entry(*t).or_default() += 1;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: &[(&str, usize, usize)]) -> BTreeMap<String, Vec<Span>> {
        let mut m: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        for (id, s, e) in v {
            m.entry(id.to_string()).or_default().push(Span::new(*s, *e));
        }
        m
    }

    #[test]
    fn si_partial_overlap_by_hand() {
        // Gold [0,10), predicted [5,15): half of each is shared.
        let prf = score_si(&map(&[("a", 5, 15)]), &map(&[("a", 0, 10)]));
        assert!((prf.precision - 0.5).abs() < 1e-9 && (prf.recall - 0.5).abs() < 1e-9);
        assert!((prf.f1 - 0.5).abs() < 1e-9);
    }

    #[test]
    fn si_merges_overlapping_spans() {
        // [0,4) and [2,6) merge into [0,6), all inside gold [0,10): P = 1, R = 0.6.
        let prf = score_si(&map(&[("a", 0, 4), ("a", 2, 6)]), &map(&[("a", 0, 10)]));
        assert!((prf.precision - 1.0).abs() < 1e-9);
        assert!((prf.recall - 0.6).abs() < 1e-9);
        assert!((prf.f1 - 0.75).abs() < 1e-9);
        // Two gold spans that overlap count as one.
        let prf = score_si(&map(&[("a", 0, 10)]), &map(&[("a", 0, 6), ("a", 4, 10)]));
        assert!((prf.recall - 1.0).abs() < 1e-9);
    }

    #[test]
    fn si_counts_misses_in_other_articles() {
        // Article b has a gold span and no prediction: recall halves.
        let prf = score_si(&map(&[("a", 0, 10)]), &map(&[("a", 0, 10), ("b", 0, 5)]));
        assert!((prf.precision - 1.0).abs() < 1e-9);
        assert!((prf.recall - 0.5).abs() < 1e-9);
    }

    #[test]
    fn si_counts_of_articles_add_up_to_their_score() {
        let predicted = map(&[("a", 5, 15), ("b", 0, 4), ("b", 2, 6)]);
        let gold = map(&[("a", 0, 10), ("b", 0, 10), ("b", 20, 25)]);
        let sum: SiCounts = ["a", "b"]
            .iter()
            .map(|id| SiCounts::of(&predicted[*id], &gold[*id]))
            .sum();
        assert_eq!(sum.prf(), score_si(&predicted, &gold));
        // a: P 0.5 of 1 span, R 0.5 of 1; b: P 1 of 1 merged span, R 0.6 of 2.
        assert_eq!((sum.predicted, sum.gold), (2, 3));
        assert!((sum.prf().precision - 0.75).abs() < 1e-9);
        assert!((sum.prf().recall - 1.1 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn tc_micro_with_repeated_spans() {
        use Technique::*;
        let s = Span::new(0, 5);
        let gold = vec![
            ("a".to_string(), s, LoadedLanguage),
            ("a".to_string(), s, NameCallingLabeling),
            ("a".to_string(), Span::new(9, 12), Doubt),
        ];
        // Both predictions for the repeated span say Loaded_Language: only one can match.
        let pred = vec![
            ("a".to_string(), s, LoadedLanguage),
            ("a".to_string(), s, LoadedLanguage),
            ("a".to_string(), Span::new(9, 12), Doubt),
        ];
        let prf = score_tc(&pred, &gold);
        assert!((prf.f1 - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn label_lines() {
        let v = parse_labels("x", "1\tDoubt\t3\t9\n2\t?\t0\t4\n3\t5\t8\n").expect("parses");
        assert_eq!(v[0].1, Some(Technique::Doubt));
        assert_eq!(v[1].1, None);
        assert_eq!(v[2].2, Span::new(5, 8));
        assert!(parse_labels("x", "1\tNope\t3\t9").is_err());
        assert!(parse_labels("x", "1\tDoubt\t9\t3").is_err());
    }
}

/// Cross-validation and training of the technique models on PTC articles.
pub mod training {
    use std::collections::BTreeMap;

    use serde::Serialize;

    use super::{score_si, score_tc, Article};
    use crate::analyze::techniques::model::RuleIndex;
    use crate::analyze::techniques::{self, model::TechniqueModels, Hit};
    use crate::doc::{OffsetMap, Span};
    use crate::error::Result;
    use crate::eval::spans::Prf;
    use crate::eval::splits::{self, DataSet};
    use crate::learn::TrainConfig;
    use crate::report::Technique;
    use crate::text::TextView;

    /// An article segmented once: its view, the rule hits, and gold spans in bytes.
    #[derive(Debug)]
    pub struct Prepared<'a> {
        pub id: String,
        pub view: TextView<'a>,
        pub rules: Vec<Hit>,
        pub gold: Vec<(Technique, Span)>,
        map: OffsetMap<'a>,
    }

    pub fn prepare(a: &Article) -> Prepared<'_> {
        let view = TextView::new(&a.text);
        let rules = techniques::rule_hits(&view);
        let gold = a.byte_spans();
        Prepared {
            id: a.id.clone(),
            view,
            rules,
            gold,
            map: OffsetMap::new(&a.text),
        }
    }

    impl Prepared<'_> {
        fn chars(&self, s: Span) -> Span {
            Span::new(self.map.char_index(s.start), self.map.char_index(s.end))
        }
    }

    /// Scores of one fold: the learned tier at each tagger threshold, and the rules alone.
    #[derive(Debug, Clone, Serialize)]
    pub struct FoldScore {
        pub fold: usize,
        pub test_articles: usize,
        /// (threshold, SI with model spans and rule spans merged)
        pub si: Vec<(f32, Prf)>,
        pub tc: Prf,
        pub rules_si: Prf,
        pub rules_tc: Prf,
    }

    pub const THRESHOLDS: [f32; 6] = [0.1, 0.15, 0.2, 0.25, 0.3, 0.4];

    /// K-fold cross-validation by article (article i is in fold i mod k): an estimate of the
    /// training recipe, not of the shipped models. Refuses held-out articles.
    pub fn cross_validate(
        prepared: &[Prepared<'_>],
        folds: usize,
        cfg: &TrainConfig,
        mut progress: impl FnMut(usize),
    ) -> Result<Vec<FoldScore>> {
        splits::refuse_held_out(DataSet::Ptc, prepared.iter().map(|p| p.id.as_str()))?;
        (0..folds)
            .map(|k| {
                let train: Vec<&Prepared<'_>> = prepared
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % folds != k)
                    .map(|(_, p)| p)
                    .collect();
                let test: Vec<&Prepared<'_>> = prepared
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % folds == k)
                    .map(|(_, p)| p)
                    .collect();
                let models = train_on(&train, cfg)?;
                let score = score_fold(k, &models, &test);
                progress(k);
                Ok(score)
            })
            .collect()
    }

    /// The tagger and classifier fitted on `docs`; refuses held-out (sealed, tune) articles.
    pub fn train_on(docs: &[&Prepared<'_>], cfg: &TrainConfig) -> Result<TechniqueModels> {
        splits::refuse_held_out(DataSet::Ptc, docs.iter().map(|p| p.id.as_str()))?;
        let data: Vec<techniques::model::TrainingDoc<'_>> = docs
            .iter()
            .map(|p| (p.view.clone(), p.rules.clone(), p.gold.clone()))
            .collect();
        Ok(TechniqueModels::train(&data, cfg))
    }

    fn score_fold(fold: usize, models: &TechniqueModels, test: &[&Prepared<'_>]) -> FoldScore {
        let mut gold_si: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        let mut rules_si: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        let mut gold_tc = Vec::new();
        let mut pred_tc = Vec::new();
        let mut rules_tc = Vec::new();
        for p in test {
            gold_si.insert(
                p.id.clone(),
                p.gold.iter().map(|(_, s)| p.chars(*s)).collect(),
            );
            rules_si.insert(
                p.id.clone(),
                p.rules.iter().map(|h| p.chars(h.span)).collect(),
            );
            let index = RuleIndex::new(&p.rules);
            for (t, s) in &p.gold {
                let cs = p.chars(*s);
                gold_tc.push((p.id.clone(), cs, *t));
                pred_tc.push((p.id.clone(), cs, models.technique_of(&p.view, *s, &index)));
                let by_rule = p
                    .rules
                    .iter()
                    .filter(|h| h.span.overlaps(s))
                    .max_by_key(|h| {
                        h.span
                            .end
                            .min(s.end)
                            .saturating_sub(h.span.start.max(s.start))
                    })
                    .map_or(Technique::LoadedLanguage, |h| h.technique);
                rules_tc.push((p.id.clone(), cs, by_rule));
            }
        }
        let si = THRESHOLDS
            .iter()
            .map(|&threshold| {
                let m = TechniqueModels {
                    threshold,
                    ..models.clone()
                };
                let predicted: BTreeMap<String, Vec<Span>> = test
                    .iter()
                    .map(|p| {
                        let hits = techniques::merge(m.find(&p.view, &p.rules, 0.0));
                        (p.id.clone(), hits.iter().map(|h| p.chars(h.span)).collect())
                    })
                    .collect();
                (threshold, score_si(&predicted, &gold_si))
            })
            .collect();
        FoldScore {
            fold,
            test_articles: test.len(),
            si,
            tc: score_tc(&pred_tc, &gold_tc),
            rules_si: score_si(&rules_si, &gold_si),
            rules_tc: score_tc(&rules_tc, &gold_tc),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn fitting_refuses_a_held_out_article() {
            let sealed = DataSet::Ptc.sealed().iter().next().expect("a sealed id");
            let article = |id: &str| Article {
                id: id.to_string(),
                path: std::path::PathBuf::new(),
                text: "They lied. A total disaster, a farce.".into(),
                spans: vec![(Technique::LoadedLanguage, Span::new(11, 25))],
            };
            let (open, closed) = (article("fit-1"), article(sealed));
            let (open, closed) = (prepare(&open), prepare(&closed));
            let cfg = TrainConfig::default();
            assert!(train_on(&[&open], &cfg).is_ok());
            let e = train_on(&[&open, &closed], &cfg).expect_err("a sealed article is refused");
            assert!(e.to_string().contains(sealed.as_str()), "{e}");
            assert!(cross_validate(&[open, closed], 2, &cfg, |_| {}).is_err());
        }
    }
}
