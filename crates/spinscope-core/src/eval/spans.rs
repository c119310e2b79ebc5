//! Precision, recall and F1 over spans: exact boundaries, or any overlap.

use serde::Serialize;

use crate::doc::Span;

/// Counts for one kind of span, summed over documents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub predicted: usize,
    pub gold: usize,
    /// Predicted spans equal to a gold span.
    pub exact_hits: usize,
    /// Predicted spans overlapping some gold span.
    pub overlap_predicted_hits: usize,
    /// Gold spans overlapping some predicted span.
    pub overlap_gold_hits: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    pub fn new(precision: f64, recall: f64) -> Prf {
        let f1 = if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        };
        Prf {
            precision,
            recall,
            f1,
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

impl Counts {
    /// Adds one document's spans. Duplicate spans count once on each side.
    pub fn add(&mut self, predicted: &[Span], gold: &[Span]) {
        let mut p: Vec<Span> = predicted.to_vec();
        let mut g: Vec<Span> = gold.to_vec();
        p.sort();
        p.dedup();
        g.sort();
        g.dedup();
        self.predicted += p.len();
        self.gold += g.len();
        self.exact_hits += p.iter().filter(|s| g.binary_search(s).is_ok()).count();
        self.overlap_predicted_hits += p.iter().filter(|s| g.iter().any(|x| x.overlaps(s))).count();
        self.overlap_gold_hits += g.iter().filter(|s| p.iter().any(|x| x.overlaps(s))).count();
    }

    pub fn exact(&self) -> Prf {
        Prf::new(
            ratio(self.exact_hits, self.predicted),
            ratio(self.exact_hits, self.gold),
        )
    }

    pub fn overlap(&self) -> Prf {
        Prf::new(
            ratio(self.overlap_predicted_hits, self.predicted),
            ratio(self.overlap_gold_hits, self.gold),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_overlap_by_hand() {
        // Gold: [0,5) [10,20). Predicted: [0,5) exact, [12,15) overlaps, [30,31) misses.
        let mut c = Counts::default();
        c.add(
            &[Span::new(0, 5), Span::new(12, 15), Span::new(30, 31)],
            &[Span::new(0, 5), Span::new(10, 20)],
        );
        let e = c.exact();
        assert!((e.precision - 1.0 / 3.0).abs() < 1e-9);
        assert!((e.recall - 0.5).abs() < 1e-9);
        assert!((e.f1 - 0.4).abs() < 1e-9);
        let o = c.overlap();
        assert!((o.precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((o.recall - 1.0).abs() < 1e-9);
        assert!((o.f1 - 0.8).abs() < 1e-9);
    }

    #[test]
    fn nothing_predicted_scores_zero() {
        let mut c = Counts::default();
        c.add(&[], &[Span::new(0, 1)]);
        assert_eq!(c.exact(), Prf::new(0.0, 0.0));
    }
}
