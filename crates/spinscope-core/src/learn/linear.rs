//! Multinomial logistic regression over hashed features, trained with AdaGrad and L2, and a
//! compact file format (only non-zero weights are stored).

use std::io::{self, Read, Write};

use super::features::Features;

/// A linear classifier: `2^bits` weights per class plus a bias each.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    pub bits: u32,
    pub classes: usize,
    /// Feature-major (`weights[feature * classes + class]`): scoring a sparse vector touches one
    /// cache line per feature instead of one per feature and class. Files stay class-major.
    weights: Vec<f32>,
    bias: Vec<f32>,
}

#[derive(Debug, Clone, Copy)]
pub struct TrainConfig {
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
    /// Multiplies the loss of examples of each class (for rare classes); 1.0 when empty.
    pub balance: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 8,
            learning_rate: 0.2,
            l2: 1e-6,
            seed: 7,
            balance: false,
        }
    }
}

const MAGIC: &[u8; 8] = b"SSLIN001";

impl Linear {
    pub fn new(bits: u32, classes: usize) -> Self {
        Linear {
            bits,
            classes,
            weights: vec![0.0; classes << bits],
            bias: vec![0.0; classes],
        }
    }

    /// Raw scores, one per class.
    pub fn scores(&self, x: &Features) -> Vec<f32> {
        let classes = self.classes;
        let mut out = self.bias.clone();
        for (&i, &v) in x.index.iter().zip(&x.value) {
            let at = i as usize * classes;
            for (o, w) in out.iter_mut().zip(&self.weights[at..at + classes]) {
                *o += w * v;
            }
        }
        out
    }

    /// The raw score of one class: what [`Linear::scores`] gives for it, without the others.
    pub fn score(&self, x: &Features, class: usize) -> f32 {
        x.index
            .iter()
            .zip(&x.value)
            .fold(self.bias[class], |acc, (&i, &v)| {
                acc + self.weight(i, class) * v
            })
    }

    /// The weight of feature bucket `feature` for `class` (0 outside the model).
    pub fn weight(&self, feature: u32, class: usize) -> f32 {
        self.weights
            .get(feature as usize * self.classes + class)
            .copied()
            .unwrap_or(0.0)
    }

    /// Class probabilities (softmax; for one class, the sigmoid of its score).
    pub fn probabilities(&self, x: &Features) -> Vec<f32> {
        let s = self.scores(x);
        if self.classes == 1 {
            return vec![sigmoid(s[0])];
        }
        softmax(&s)
    }

    /// The features that pushed class `c` up the most, with their contributions.
    pub fn explain(&self, x: &Features, c: usize, top: usize) -> Vec<(String, f32)> {
        let Some(names) = &x.names else {
            return Vec::new();
        };
        let mut parts: Vec<(&str, f32)> = names
            .iter()
            .zip(x.index.iter().zip(&x.value))
            .map(|(n, (&i, &v))| (n, self.weight(i, c) * v))
            .filter(|(_, w)| *w > 0.0)
            .collect();
        parts.sort_by(|a, b| b.1.total_cmp(&a.1));
        parts.truncate(top);
        parts.into_iter().map(|(n, w)| (n.to_string(), w)).collect()
    }

    /// Trains on `(features, class)` pairs; one class means a binary model whose label is
    /// `class == 1` given as 0 or 1.
    pub fn train(
        bits: u32,
        classes: usize,
        data: &[(Features, usize)],
        cfg: &TrainConfig,
    ) -> Linear {
        let mut model = Linear::new(bits, classes);
        let dim = 1usize << bits;
        let outputs = classes.max(1);
        let mut g2 = vec![1e-6f32; outputs * dim];
        let mut g2_bias = vec![1e-6f32; outputs];
        let weight_of = class_weights(data, classes, cfg.balance);
        let mut order: Vec<usize> = (0..data.len()).collect();
        let mut rng = cfg.seed.max(1);
        for _ in 0..cfg.epochs {
            shuffle(&mut order, &mut rng);
            for &k in &order {
                let (x, y) = &data[k];
                let scale = weight_of[(*y).min(weight_of.len() - 1)];
                let p = model.probabilities(x);
                for c in 0..outputs {
                    let target = if classes == 1 {
                        (*y == 1) as u8 as f32
                    } else {
                        (*y == c) as u8 as f32
                    };
                    let grad = (p[c] - target) * scale;
                    if grad.abs() < 1e-7 {
                        continue;
                    }
                    for (&i, &v) in x.index.iter().zip(&x.value) {
                        let j = i as usize * outputs + c;
                        let g = grad * v + cfg.l2 * model.weights[j];
                        g2[j] += g * g;
                        model.weights[j] -= cfg.learning_rate * g / g2[j].sqrt();
                    }
                    g2_bias[c] += grad * grad;
                    model.bias[c] -= cfg.learning_rate * grad / g2_bias[c].sqrt();
                }
            }
        }
        model
    }

    /// Writes the model: a header, the biases, then (index, weight) for non-zero weights.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        out.write_all(MAGIC)?;
        out.write_all(&self.bits.to_le_bytes())?;
        out.write_all(&(self.classes as u32).to_le_bytes())?;
        for b in &self.bias {
            out.write_all(&b.to_le_bytes())?;
        }
        // Class-major indices (class * 2^bits + feature), as files have always been.
        let dim = 1usize << self.bits;
        let nonzero: Vec<(usize, f32)> = (0..self.classes)
            .flat_map(|c| (0..dim).map(move |i| (c, i)))
            .map(|(c, i)| (c * dim + i, self.weights[i * self.classes + c]))
            .filter(|(_, w)| w.abs() > 1e-4)
            .collect();
        out.write_all(&(nonzero.len() as u32).to_le_bytes())?;
        for (i, w) in nonzero {
            out.write_all(&(i as u32).to_le_bytes())?;
            out.write_all(&w.to_le_bytes())?;
        }
        Ok(())
    }

    /// Reads a model written by [`Linear::write`]; a damaged file is an error, not a panic.
    pub fn read(mut input: &[u8]) -> io::Result<Linear> {
        let bad = |why: &str| io::Error::new(io::ErrorKind::InvalidData, why.to_string());
        let mut magic = [0u8; 8];
        input.read_exact(&mut magic)?;
        if &magic != MAGIC {
            return Err(bad("not a spinscope linear model"));
        }
        let bits = read_u32(&mut input)?;
        let classes = read_u32(&mut input)? as usize;
        if bits > 24 || classes == 0 || classes > 64 {
            return Err(bad("implausible model shape"));
        }
        let mut model = Linear::new(bits, classes);
        for b in model.bias.iter_mut() {
            *b = read_f32(&mut input)?;
        }
        let n = read_u32(&mut input)? as usize;
        let dim = 1usize << bits;
        for _ in 0..n {
            let at = read_u32(&mut input)? as usize;
            let (c, i) = (at / dim, at % dim);
            if c >= classes {
                return Err(bad("weight index out of range"));
            }
            model.weights[i * classes + c] = read_f32(&mut input)?;
        }
        Ok(model)
    }
}

fn read_u32(input: &mut &[u8]) -> io::Result<u32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_f32(input: &mut &[u8]) -> io::Result<f32> {
    let mut b = [0u8; 4];
    input.read_exact(&mut b)?;
    Ok(f32::from_le_bytes(b))
}

fn class_weights(data: &[(Features, usize)], classes: usize, balance: bool) -> Vec<f32> {
    let n = classes.max(2);
    if !balance {
        return vec![1.0; n];
    }
    let mut counts = vec![0usize; n];
    for (_, y) in data {
        counts[(*y).min(n - 1)] += 1;
    }
    let total = data.len().max(1) as f32;
    counts
        .iter()
        .map(|&c| {
            if c == 0 {
                1.0
            } else {
                (total / (n as f32 * c as f32)).sqrt()
            }
        })
        .collect()
}

pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

fn softmax(s: &[f32]) -> Vec<f32> {
    let max = s.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = s.iter().map(|x| (x - max).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.iter().map(|x| x / sum).collect()
}

/// Fisher-Yates with xorshift64: the same seed gives the same order everywhere.
fn shuffle(v: &mut [usize], state: &mut u64) {
    for i in (1..v.len()).rev() {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        let j = (*state % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(words: &[&str]) -> Features {
        let mut f = Features::new(8, true);
        for w in words {
            f.set("w=", w);
        }
        f
    }

    #[test]
    fn learns_a_separable_problem_and_round_trips() {
        let data: Vec<(Features, usize)> = (0..40)
            .map(|i| match i % 3 {
                0 => (example(&["farce", "lie"]), 0),
                1 => (example(&["so-called", "alleged"]), 1),
                _ => (example(&["country", "flag"]), 2),
            })
            .collect();
        let model = Linear::train(8, 3, &data, &TrainConfig::default());
        let p = model.probabilities(&example(&["alleged"]));
        assert!(p[1] > 0.8, "{p:?}");
        let why = model.explain(&example(&["alleged", "unrelated"]), 1, 1);
        assert_eq!(why[0].0, "w=alleged");
        let mut bytes = Vec::new();
        model.write(&mut bytes).expect("writes");
        let back = Linear::read(&bytes).expect("reads");
        let q = back.probabilities(&example(&["alleged"]));
        assert!((p[1] - q[1]).abs() < 1e-3);
        assert!(Linear::read(&bytes[..bytes.len() - 3]).is_err());
        assert!(Linear::read(b"garbage!").is_err());
    }

    #[test]
    fn binary_model_and_determinism() {
        let data: Vec<(Features, usize)> = (0..30)
            .map(|i| {
                if i % 2 == 0 {
                    (example(&["yes"]), 1)
                } else {
                    (example(&["no"]), 0)
                }
            })
            .collect();
        let a = Linear::train(8, 1, &data, &TrainConfig::default());
        let b = Linear::train(8, 1, &data, &TrainConfig::default());
        assert_eq!(a, b);
        assert!(a.probabilities(&example(&["yes"]))[0] > 0.8);
        assert!(a.probabilities(&example(&["no"]))[0] < 0.2);
    }
}
