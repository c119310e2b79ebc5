//! Whether a finding is right, by the annotations of a labelled set, and reliability tables:
//! of the findings scored about 0.8, how many were right. Shared by `train calibration` (which
//! fits the scores on the tune split) and `eval` (which checks them on the sealed one).

use serde::Serialize;

use super::attribution_relations::Roles;
use crate::doc::Span;
use crate::report::Finding;

/// Whether `span` overlaps any of `gold` (code points).
pub fn overlaps_any(span: Span, gold: &[Span]) -> bool {
    gold.iter()
        .any(|g| span.start < g.end && g.start < span.end)
}

/// A technique finding is right when annotators marked a technique (any of the 14) over part of
/// it: the event SemEval's span score counts. Its label is scored apart (TC).
pub fn technique_right(span: Span, gold: &[Span]) -> bool {
    overlaps_any(span, gold)
}

/// An attribution finding is right when its source overlaps an annotated source and its cue
/// (when it has one) an annotated cue.
pub fn attribution_right(source: Span, cue: Option<Span>, gold: &Roles) -> bool {
    overlaps_any(source, &gold.source) && cue.is_none_or(|c| overlaps_any(c, &gold.cue))
}

/// The score of an attribution finding and whether it is right; `None` for other kinds.
pub fn judge_attribution(finding: &Finding, gold: &Roles) -> Option<(f32, bool)> {
    let Finding::Attribution {
        source, cue, score, ..
    } = finding
    else {
        return None;
    };
    let source = Span::new(source.extent.start, source.extent.end);
    let cue = cue.as_ref().map(|c| Span::new(c.start, c.end));
    Some((*score, attribution_right(source, cue, gold)))
}

/// Findings counted by score, in ten bins of width 0.1.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reliability {
    pub bins: [Bin; 10],
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Bin {
    pub findings: usize,
    pub right: usize,
    /// Sum of the scores, for the bin's mean.
    pub score_sum: f64,
}

impl Bin {
    pub fn mean_score(&self) -> f64 {
        self.score_sum / self.findings.max(1) as f64
    }

    pub fn precision(&self) -> f64 {
        self.right as f64 / self.findings.max(1) as f64
    }
}

impl Reliability {
    pub fn add(&mut self, score: f32, right: bool) {
        let i = ((score.clamp(0.0, 1.0) * 10.0) as usize).min(9);
        let b = &mut self.bins[i];
        b.findings += 1;
        b.right += usize::from(right);
        b.score_sum += f64::from(score);
    }

    pub fn findings(&self) -> usize {
        self.bins.iter().map(|b| b.findings).sum()
    }

    /// The share of findings that are right.
    pub fn precision(&self) -> f64 {
        let right: usize = self.bins.iter().map(|b| b.right).sum();
        right as f64 / self.findings().max(1) as f64
    }

    /// Expected calibration error: the bins' |precision − mean score|, weighted by findings.
    pub fn ece(&self) -> f64 {
        let n = self.findings().max(1) as f64;
        self.bins
            .iter()
            .map(|b| b.findings as f64 / n * (b.precision() - b.mean_score()).abs())
            .sum()
    }

    /// One line per non-empty bin: "0.7–0.8  n=31  mean 0.74  right 0.71".
    pub fn lines(&self) -> Vec<String> {
        self.bins
            .iter()
            .enumerate()
            .filter(|(_, b)| b.findings > 0)
            .map(|(i, b)| {
                format!(
                    "{:.1}–{:.1}  {:>5} findings  mean score {:.2}  right {:.2}",
                    i as f64 / 10.0,
                    (i + 1) as f64 / 10.0,
                    b.findings,
                    b.mean_score(),
                    b.precision()
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calibrated_table_has_a_small_error_and_an_overconfident_one_a_large_one() {
        let mut good = Reliability::default();
        let mut bad = Reliability::default();
        for i in 0..100 {
            // Scored 0.8, right 8 times in 10.
            good.add(0.8, i % 10 < 8);
            // Scored 0.95, right half the time.
            bad.add(0.95, i % 2 == 0);
        }
        assert!(good.ece() < 1e-6, "{}", good.ece());
        assert!((bad.ece() - 0.45).abs() < 1e-6, "{}", bad.ece());
        assert_eq!(good.findings(), 100);
        assert!((good.precision() - 0.8).abs() < 1e-9);
        assert_eq!(good.lines().len(), 1);
    }

    #[test]
    fn rightness_by_overlap() {
        let gold = Roles {
            source: vec![Span::new(0, 9)],
            cue: vec![Span::new(10, 14)],
            content: vec![Span::new(15, 30)],
        };
        assert!(attribution_right(
            Span::new(0, 9),
            Some(Span::new(10, 14)),
            &gold
        ));
        assert!(attribution_right(Span::new(4, 9), None, &gold));
        assert!(!attribution_right(
            Span::new(0, 9),
            Some(Span::new(15, 20)),
            &gold
        ));
        assert!(!attribution_right(
            Span::new(30, 40),
            Some(Span::new(10, 14)),
            &gold
        ));
        assert!(technique_right(Span::new(5, 12), &[Span::new(10, 20)]));
        assert!(!technique_right(Span::new(5, 10), &[Span::new(10, 20)]));
    }
}
