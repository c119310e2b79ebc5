//! Scores that mean what they say, and the thresholds a report shows findings from.
//!
//! Every finding leaves its detector with a raw score. Here it becomes a probability that the
//! finding is right, read off a map fitted by `spinscope train calibration` on the tune split
//! (text no model was fitted on), by running the product there and checking each finding
//! against the annotations: a technique is right when annotators marked a technique over it, an
//! attribution when its source and cue are annotated ones, a claim when the sentence is
//! check-worthy. Maps are isotonic (the raw score's order is kept) per group of findings — the
//! tier, a detector, and whether the encoder agreed — falling back to coarser groups where the
//! tune split has too few examples of one. The file also holds, per tier and kind, the least
//! score a report shows: the lowest that kept precision at or above the target on the tune
//! split.
//!
//! Findings in Chinese sentences are calibrated apart, under the kind with [`CHINESE`] appended
//! (`technique.zh`), and only by a map of their own detector: the Chinese data (CAOD's tune
//! part) labels whole sentences agitative or not, which judges a sentence-level model or the
//! encoder but says nothing about a phrase list's or pattern's technique. Those keep their raw
//! score and say so.
//!
//! The file (`models/calibration.txt`) is plain text, compiled into the binary:
//!
//! ```text
//! threshold <tier> <kind> <score>
//! map <tier> <kind> <detector|family:*|*> <agrees: yes|no|*> <examples> <raw>:<p> ...
//! ```
//!
//! A space in a detector's name ("rules:headline colon") is written `%20`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::report::Finding;

/// What the evidence of a rule finding says when the encoder found the same thing.
pub const ENCODER_AGREES: &str = "the encoder agrees";
/// What the evidence of a model finding says when the rules found the same thing.
pub const RULES_AGREE: &str = "the rules agree";

const SHIPPED: &str = include_str!("../../../../models/calibration.txt");

/// The tier a report comes from: thresholds differ, since the full tier adds findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    Fast,
    Full,
}

impl Tier {
    pub const fn name(self) -> &'static str {
        match self {
            Tier::Fast => "fast",
            Tier::Full => "full",
        }
    }
}

/// What a finding's evidence says when no annotated data could calibrate its score.
pub const UNCALIBRATED: &str =
    "; the score is the detector's own, not calibrated: no annotated Chinese data judges this detector yet";

/// Appended to a kind for findings in Chinese sentences: their maps are filed apart.
pub const CHINESE: &str = ".zh";

/// The threshold entry of the techniques `--format ptc` writes: chosen for SemEval's SI F1 on
/// the tune split, where a report's are chosen for precision.
pub const PTC_TECHNIQUE: &str = "technique.ptc";

/// The kinds of finding that carry a score.
pub const KINDS: [&str; 4] = ["technique", "attribution", "scare_quote", "claim"];

/// Least scores a report shows, per kind.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Thresholds(BTreeMap<String, f32>);

impl Thresholds {
    /// Shows everything.
    pub fn none() -> Thresholds {
        Thresholds::default()
    }

    pub fn get(&self, kind: &str) -> f32 {
        self.0.get(kind).copied().unwrap_or(0.0)
    }

    /// Sets one kind's threshold (`--min-score KIND=P`).
    pub fn set(&mut self, kind: &str, score: f32) {
        self.0.insert(kind.to_string(), score);
    }

    /// Whether a report shows `f`.
    pub fn shows(&self, f: &Finding) -> bool {
        score(f).is_none_or(|s| s >= self.get(f.kind_name()))
    }

    /// The thresholds of a report written for SemEval's scorer: techniques from
    /// [`PTC_TECHNIQUE`]'s threshold where one is shipped.
    pub fn for_ptc(mut self) -> Thresholds {
        if let Some(&t) = self.0.get(PTC_TECHNIQUE) {
            self.set("technique", t);
        }
        self
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, f32)> {
        self.0.iter().map(|(k, v)| (k.as_str(), *v))
    }
}

/// A finding's score: `score`, or `checkworthy` for a claim; none for reuse.
pub fn score(f: &Finding) -> Option<f32> {
    match f {
        Finding::Technique { score, .. }
        | Finding::Attribution { score, .. }
        | Finding::ScareQuote { score, .. } => Some(*score),
        Finding::Claim { checkworthy, .. } => Some(*checkworthy),
        Finding::Reuse { .. } => None,
    }
}

fn score_mut(f: &mut Finding) -> Option<&mut f32> {
    match f {
        Finding::Technique { score, .. }
        | Finding::Attribution { score, .. }
        | Finding::ScareQuote { score, .. } => Some(score),
        Finding::Claim { checkworthy, .. } => Some(checkworthy),
        Finding::Reuse { .. } => None,
    }
}

fn detector_and_evidence(f: &Finding) -> Option<(&str, &str)> {
    match f {
        Finding::Technique {
            detector, evidence, ..
        }
        | Finding::Attribution {
            detector, evidence, ..
        }
        | Finding::ScareQuote {
            detector, evidence, ..
        }
        | Finding::Claim {
            detector, evidence, ..
        } => Some((detector, evidence)),
        Finding::Reuse { .. } => None,
    }
}

fn evidence_mut(f: &mut Finding) -> Option<&mut String> {
    match f {
        Finding::Technique { evidence, .. }
        | Finding::Attribution { evidence, .. }
        | Finding::ScareQuote { evidence, .. }
        | Finding::Claim { evidence, .. } => Some(evidence),
        Finding::Reuse { .. } => None,
    }
}

/// The group a finding is calibrated in: the tier that found it, its kind, detector, and
/// whether the other tier agreed (the encoder with a rule finding, the rules with a model one).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Group {
    pub tier: Tier,
    pub kind: String,
    pub detector: String,
    pub agrees: bool,
}

impl Group {
    /// `chinese`: the finding lies in a Chinese sentence.
    pub fn of(f: &Finding, tier: Tier, chinese: bool) -> Option<Group> {
        let (detector, evidence) = detector_and_evidence(f)?;
        let kind = f.kind_name();
        Some(Group {
            tier,
            kind: if chinese {
                format!("{kind}{CHINESE}")
            } else {
                kind.to_string()
            },
            detector: detector.to_string(),
            agrees: evidence.contains(ENCODER_AGREES) || evidence.contains(RULES_AGREE),
        })
    }

    pub fn is_chinese(&self) -> bool {
        self.kind.ends_with(CHINESE)
    }

    /// How the file writes `agrees`: "yes" or "no".
    pub fn agrees_key(&self) -> &'static str {
        if self.agrees {
            "yes"
        } else {
            "no"
        }
    }

    /// The keys a map may be filed under, most specific first; a Chinese finding's are its
    /// detector's only (module docs).
    pub fn keys(&self) -> Vec<(String, String)> {
        let agrees = self.agrees_key();
        let own = |agrees: &str| (self.detector.clone(), agrees.to_string());
        if self.is_chinese() {
            return vec![own(agrees), own("*")];
        }
        // Whether the other tier agreed says more than which rule fired (on PolNeAR's tune
        // split, rule attributions the encoder agrees with are right 95 % of the time, the
        // others 25 %, whatever the rule), so the family's agreement map comes before the
        // detector's map of both.
        let family = |agrees: &str| (format!("{}:*", family(&self.detector)), agrees.to_string());
        vec![
            own(agrees),
            family(agrees),
            own("*"),
            family("*"),
            ("*".to_string(), "*".to_string()),
        ]
    }
}

/// A detector's family: the part before the first `:` ("lexicon" of "lexicon:en"), or the
/// detector itself ("model", "rules+model").
pub fn family(detector: &str) -> &str {
    detector.split(':').next().unwrap_or(detector)
}

/// An isotonic map from a raw score to a probability: knots (raw, p), raw and p both
/// non-decreasing, read by linear interpolation and flat beyond the ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Map {
    pub examples: usize,
    pub knots: Vec<(f32, f32)>,
}

impl Map {
    pub fn at(&self, raw: f32) -> f32 {
        let k = &self.knots;
        match k.iter().position(|&(x, _)| x >= raw) {
            None => k.last().map_or(raw, |&(_, p)| p),
            Some(0) => k[0].1,
            Some(i) => {
                let ((x0, p0), (x1, p1)) = (k[i - 1], k[i]);
                if x1 <= x0 {
                    p1
                } else {
                    p0 + (p1 - p0) * (raw - x0) / (x1 - x0)
                }
            }
        }
    }

    /// Fits the map to (raw score, right) examples: pool-adjacent-violators over the examples
    /// sorted by score (equal scores always in one block), each block at least `min_block`
    /// examples (so a lucky run of three does not read as certainty), each block's rate shrunk
    /// towards the group's with one example's weight.
    pub fn fit(examples: &[(f32, bool)], min_block: usize) -> Option<Map> {
        if examples.is_empty() {
            return None;
        }
        let mut sorted = examples.to_vec();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        let overall = sorted.iter().filter(|e| e.1).count() as f64 / sorted.len() as f64;
        // Blocks: (sum of raw, sum of right, count), cut only between different scores.
        let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
        let mut current = (0.0, 0.0, 0usize);
        for (i, e) in sorted.iter().enumerate() {
            current = (
                current.0 + f64::from(e.0),
                current.1 + f64::from(u8::from(e.1)),
                current.2 + 1,
            );
            let next_differs = sorted.get(i + 1).is_none_or(|n| n.0 != e.0);
            if current.2 >= min_block.max(1) && next_differs {
                blocks.push(current);
                current = (0.0, 0.0, 0);
            }
        }
        if current.2 > 0 {
            blocks.push(current);
        }
        // A short last chunk joins the one before it.
        if blocks.len() > 1 && blocks.last().is_some_and(|b| b.2 < min_block) {
            if let Some(last) = blocks.pop() {
                if let Some(prev) = blocks.last_mut() {
                    *prev = (prev.0 + last.0, prev.1 + last.1, prev.2 + last.2);
                }
            }
        }
        // Pool adjacent violators.
        let rate = |b: &(f64, f64, usize)| b.1 / b.2 as f64;
        let mut pooled: Vec<(f64, f64, usize)> = Vec::new();
        for b in blocks {
            pooled.push(b);
            while pooled.len() > 1
                && rate(&pooled[pooled.len() - 2]) >= rate(&pooled[pooled.len() - 1])
            {
                let last = pooled.pop().unwrap_or_default();
                if let Some(prev) = pooled.last_mut() {
                    *prev = (prev.0 + last.0, prev.1 + last.1, prev.2 + last.2);
                }
            }
        }
        let knots = pooled
            .iter()
            .map(|&(raw, right, n)| {
                let p = (right + overall) / (n as f64 + 1.0);
                ((raw / n as f64) as f32, p as f32)
            })
            .collect();
        Some(Map {
            examples: sorted.len(),
            knots,
        })
    }
}

/// The shipped maps and thresholds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Calibration {
    /// (tier, kind, detector key, agrees key) → map.
    maps: BTreeMap<(Tier, String, String, String), Map>,
    thresholds: BTreeMap<(Tier, String), f32>,
}

impl Calibration {
    /// The calibration compiled into this binary; empty (raw scores, no thresholds) when the
    /// file holds none or does not parse.
    pub fn shipped() -> &'static Calibration {
        static SHIPPED_CALIBRATION: OnceLock<Calibration> = OnceLock::new();
        SHIPPED_CALIBRATION.get_or_init(|| Calibration::parse(SHIPPED).unwrap_or_default())
    }

    pub fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    pub fn insert_map(&mut self, tier: Tier, kind: &str, detector: &str, agrees: &str, map: Map) {
        self.maps
            .insert((tier, kind.into(), detector.into(), agrees.into()), map);
    }

    pub fn set_threshold(&mut self, tier: Tier, kind: &str, score: f32) {
        self.thresholds.insert((tier, kind.to_string()), score);
    }

    /// The report thresholds of `tier`.
    pub fn thresholds(&self, tier: Tier) -> Thresholds {
        let mut t = Thresholds::none();
        for ((at, kind), &score) in &self.thresholds {
            if *at == tier {
                t.set(kind, score);
            }
        }
        t
    }

    /// The map a finding of `group` is read through, with the key it was found under.
    pub fn map_for(&self, group: &Group) -> Option<(&Map, String)> {
        group.keys().into_iter().find_map(|(detector, agrees)| {
            let key = (group.tier, group.kind.clone(), detector, agrees);
            self.maps.get(&key).map(|m| {
                let name = if group.is_chinese() {
                    format!(
                        "{} in Chinese (CAOD sentences, half of them agitative)",
                        key.2
                    )
                } else if key.2 == "*" {
                    format!("all {}s", group.kind)
                } else {
                    key.2.clone()
                };
                (m, name)
            })
        })
    }

    /// Replaces the raw score of every finding of `tier` with its calibrated probability and
    /// says so in its evidence. Findings without a map keep their raw score; those `chinese`
    /// picks by their start (findings in Chinese sentences) are read through Chinese maps only,
    /// since an English map would claim a precision nobody measured, and say so when there is
    /// none.
    pub fn apply(&self, findings: &mut [Finding], tier: Tier, chinese: &dyn Fn(usize) -> bool) {
        if self.is_empty() {
            return;
        }
        for f in findings.iter_mut() {
            let Some(group) = Group::of(f, tier, chinese(f.extent().start)) else {
                continue;
            };
            let Some((map, name)) = self.map_for(&group) else {
                if group.is_chinese() {
                    if let Some(evidence) = evidence_mut(f) {
                        evidence.push_str(UNCALIBRATED);
                    }
                }
                continue;
            };
            let Some(score) = score_mut(f) else { continue };
            let raw = *score;
            *score = (map.at(raw) * 1000.0).round() / 1000.0;
            if let Some(evidence) = evidence_mut(f) {
                evidence.push_str(&format!(
                    "; score calibrated on {} tune-split findings of {name} (raw {raw:.2})",
                    map.examples
                ));
            }
        }
    }

    /// Reads the text format (module docs).
    pub fn parse(text: &str) -> Result<Calibration, String> {
        let mut c = Calibration::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |why: &str| format!("models/calibration.txt:{}: {why}", n + 1);
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                ["threshold", tier, kind, score] => {
                    let tier = tier_named(tier).ok_or_else(|| bad("tier is fast or full"))?;
                    let score: f32 = score.parse().map_err(|_| bad("bad threshold"))?;
                    c.set_threshold(tier, kind, score);
                }
                ["map", tier, kind, detector, agrees, examples, knots @ ..]
                    if !knots.is_empty() =>
                {
                    let tier = tier_named(tier).ok_or_else(|| bad("tier is fast or full"))?;
                    let examples: usize = examples.parse().map_err(|_| bad("bad count"))?;
                    let knots = knots
                        .iter()
                        .map(|k| {
                            let (x, p) = k.split_once(':')?;
                            Some((x.parse().ok()?, p.parse().ok()?))
                        })
                        .collect::<Option<Vec<(f32, f32)>>>()
                        .ok_or_else(|| bad("knots are raw:p"))?;
                    let detector = detector.replace("%20", " ");
                    c.insert_map(tier, kind, &detector, agrees, Map { examples, knots });
                }
                _ => return Err(bad("expected `threshold …` or `map …`")),
            }
        }
        Ok(c)
    }

    /// The text format, maps then thresholds, in a stable order.
    pub fn write(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        for ((tier, kind), score) in &self.thresholds {
            out.push_str(&format!("threshold {} {kind} {score:.3}\n", tier.name()));
        }
        for ((tier, kind, detector, agrees), map) in &self.maps {
            out.push_str(&format!(
                "map {} {kind} {} {agrees} {}",
                tier.name(),
                detector.replace(' ', "%20"),
                map.examples
            ));
            for (x, p) in &map.knots {
                out.push_str(&format!(" {x:.3}:{p:.3}"));
            }
            out.push('\n');
        }
        out
    }
}

fn tier_named(name: &str) -> Option<Tier> {
    match name {
        "fast" => Some(Tier::Fast),
        "full" => Some(Tier::Full),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn isotonic_maps_keep_order_and_shrink_small_blocks() {
        // Right more often as the score rises, with one inversion.
        let mut examples = Vec::new();
        for i in 0..100 {
            let raw = i as f32 / 100.0;
            examples.push((raw, i % 10 < i / 10 || i == 15));
        }
        let map = Map::fit(&examples, 10).expect("a map");
        assert_eq!(map.examples, 100);
        let ps: Vec<f32> = map.knots.iter().map(|k| k.1).collect();
        assert!(ps.windows(2).all(|w| w[0] <= w[1]), "{ps:?}");
        assert!(map.at(0.0) < 0.2 && map.at(0.99) > 0.8, "{map:?}");
        assert!(map.at(0.99) < 1.0, "never certain from a finite block");
        // Between knots it interpolates; beyond them it is flat.
        assert!(map.at(-1.0) == map.knots[0].1 && map.at(2.0) == ps[ps.len() - 1]);
    }

    #[test]
    fn the_text_format_reads_back_and_groups_fall_back() {
        let mut c = Calibration::default();
        c.set_threshold(Tier::Full, "technique", 0.55);
        c.insert_map(
            Tier::Full,
            "technique",
            "lexicon:en",
            "*",
            Map {
                examples: 40,
                knots: vec![(0.5, 0.6), (0.9, 0.8)],
            },
        );
        c.insert_map(
            Tier::Full,
            "attribution",
            "rules:headline colon",
            "no",
            Map {
                examples: 36,
                knots: vec![(0.8, 0.3)],
            },
        );
        c.insert_map(
            Tier::Full,
            "technique",
            "*",
            "*",
            Map {
                examples: 400,
                knots: vec![(0.5, 0.3)],
            },
        );
        let text = c.write("a test");
        let back = Calibration::parse(&text).expect("parses");
        assert_eq!(back, c);
        assert_eq!(back.thresholds(Tier::Full).get("technique"), 0.55);
        assert_eq!(back.thresholds(Tier::Fast).get("technique"), 0.0);
        let group = |detector: &str| Group {
            tier: Tier::Full,
            kind: "technique".into(),
            detector: detector.into(),
            agrees: true,
        };
        let (m, name) = back.map_for(&group("lexicon:en")).expect("its own map");
        assert_eq!((m.examples, name.as_str()), (40, "lexicon:en"));
        assert!((m.at(0.7) - 0.7).abs() < 1e-6);
        let (m, name) = back
            .map_for(&group("pattern:either-or"))
            .expect("the kind's map");
        assert_eq!((m.examples, name.as_str()), (400, "all techniques"));
        assert!(back
            .map_for(&Group {
                tier: Tier::Fast,
                ..group("lexicon:en")
            })
            .is_none());
        assert!(Calibration::parse("map full technique x").is_err());
    }

    #[test]
    fn the_shipped_file_parses() {
        // `shipped` falls back to raw scores on a bad file; the file must never be one.
        let c = Calibration::parse(SHIPPED).expect("models/calibration.txt parses");
        assert!(!c.is_empty());
    }

    #[test]
    fn agreement_outranks_the_rule_that_fired() {
        let map = |p: f32| Map {
            examples: 40,
            knots: vec![(0.8, p)],
        };
        let mut c = Calibration::default();
        c.insert_map(Tier::Full, "attribution", "rules:a", "*", map(0.9));
        c.insert_map(Tier::Full, "attribution", "rules:*", "no", map(0.25));
        let group = |agrees| Group {
            tier: Tier::Full,
            kind: "attribution".into(),
            detector: "rules:a".into(),
            agrees,
        };
        let (m, _) = c.map_for(&group(false)).expect("a map");
        assert_eq!(m.at(0.8), 0.25, "the family's unagreed map");
        let (m, _) = c.map_for(&group(true)).expect("a map");
        assert_eq!(m.at(0.8), 0.9, "no agreed map: the rule's own");
    }

    #[test]
    fn the_semeval_export_reads_techniques_from_its_own_threshold() {
        let mut c = Calibration::default();
        c.set_threshold(Tier::Full, "technique", 0.55);
        c.set_threshold(Tier::Full, "claim", 0.5);
        let plain = c.thresholds(Tier::Full);
        assert_eq!(plain.clone().for_ptc(), plain, "none shipped: the report's");
        c.set_threshold(Tier::Full, PTC_TECHNIQUE, 0.34);
        let t = c.thresholds(Tier::Full);
        assert_eq!(t.get("technique"), 0.55);
        let ptc = t.for_ptc();
        assert_eq!((ptc.get("technique"), ptc.get("claim")), (0.34, 0.5));
        // The shipped file has one for each tier, under the report's.
        let shipped = Calibration::shipped();
        for tier in [Tier::Fast, Tier::Full] {
            let t = shipped.thresholds(tier);
            assert!(t.clone().for_ptc().get("technique") < t.get("technique"));
        }
    }

    #[test]
    fn chinese_findings_use_their_own_detectors_maps_or_stay_raw() {
        use crate::report::{Extent, Technique};
        let mut c = Calibration::default();
        let map = |p: f32| Map {
            examples: 100,
            knots: vec![(0.0, p), (1.0, p)],
        };
        c.insert_map(Tier::Fast, "technique", "*", "*", map(0.3));
        c.insert_map(Tier::Fast, "technique.zh", "model:agitation", "*", map(0.8));
        let finding = |detector: &str, start: usize| Finding::Technique {
            label: Technique::LoadedLanguage,
            extent: Extent::new(crate::Span::new(start, start + 3)),
            score: 0.5,
            detector: detector.into(),
            evidence: String::new(),
            occurrences: Vec::new(),
        };
        // Bytes from 10 on are Chinese.
        let mut fs = vec![
            finding("model:agitation", 10),
            finding("lexicon:zh", 10),
            finding("lexicon:en", 0),
        ];
        c.apply(&mut fs, Tier::Fast, &|at| at >= 10);
        let scores: Vec<f32> = fs.iter().filter_map(score).collect();
        assert_eq!(
            scores,
            [0.8, 0.5, 0.3],
            "own map, none (raw), the English kind's"
        );
        let evidence = |f: &Finding| {
            detector_and_evidence(f)
                .expect("a scored kind")
                .1
                .to_string()
        };
        assert!(
            evidence(&fs[0]).contains("in Chinese (CAOD"),
            "{}",
            evidence(&fs[0])
        );
        assert!(evidence(&fs[1]).contains("not calibrated"));
        assert!(!evidence(&fs[2]).contains("Chinese"));
    }
}
