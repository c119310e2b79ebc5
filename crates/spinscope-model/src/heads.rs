//! Small classifiers over the encoder's states: one hidden layer, trained with AdamW on frozen
//! features. Initialisation and batch order come from a seed, so training is repeatable.

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor, Var, D};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

/// A two-layer perceptron: `in → hidden (tanh) → classes`.
#[derive(Debug)]
pub struct Mlp {
    w1: Var,
    b1: Var,
    w2: Var,
    b2: Var,
}

/// How to train a head.
#[derive(Debug, Clone, Copy)]
pub struct Training {
    pub epochs: usize,
    pub batch: usize,
    pub learning_rate: f64,
    pub weight_decay: f64,
    pub seed: u64,
}

impl Default for Training {
    fn default() -> Self {
        Training {
            epochs: 8,
            batch: 256,
            learning_rate: 1e-3,
            weight_decay: 1e-2,
            seed: 7,
        }
    }
}

impl Mlp {
    /// Random weights (uniform, Glorot-scaled) from `seed`.
    pub fn new(
        inputs: usize,
        hidden: usize,
        classes: usize,
        seed: u64,
        device: &Device,
    ) -> candle_core::Result<Mlp> {
        let mut rng = SplitMix(seed);
        let mut uniform = |rows: usize, cols: usize| {
            let bound = (6.0 / (rows + cols) as f64).sqrt();
            let values: Vec<f32> = (0..rows * cols)
                .map(|_| ((rng.unit() * 2.0 - 1.0) * bound) as f32)
                .collect();
            Tensor::from_vec(values, (rows, cols), device)
        };
        Ok(Mlp {
            w1: Var::from_tensor(&uniform(hidden, inputs)?)?,
            b1: Var::zeros(hidden, DType::F32, device)?,
            w2: Var::from_tensor(&uniform(classes, hidden)?)?,
            b2: Var::zeros(classes, DType::F32, device)?,
        })
    }

    /// One perceptron whose logits are the mean of `members`' logits (same inputs and classes):
    /// their hidden units side by side, each output layer scaled by 1/k. An ensemble of seeds
    /// ships as one head of the same shape.
    pub fn ensemble(members: &[Mlp]) -> candle_core::Result<Mlp> {
        let Some(first) = members.first() else {
            candle_core::bail!("an ensemble of no heads");
        };
        let k = members.len() as f64;
        let cat = |part: fn(&Mlp) -> &Var, dim: usize| -> candle_core::Result<Tensor> {
            let parts: Vec<&Tensor> = members.iter().map(|m| part(m).as_tensor()).collect();
            Tensor::cat(&parts, dim)
        };
        let mut b2 = first.b2.as_tensor().zeros_like()?;
        for m in members {
            b2 = (b2 + m.b2.as_tensor())?;
        }
        Ok(Mlp {
            w1: Var::from_tensor(&cat(|m| &m.w1, 0)?)?,
            b1: Var::from_tensor(&cat(|m| &m.b1, 0)?)?,
            w2: Var::from_tensor(&(cat(|m| &m.w2, 1)? / k)?)?,
            b2: Var::from_tensor(&(b2 / k)?)?,
        })
    }

    /// Logits, `[n, classes]`.
    pub fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let h = x
            .matmul(&self.w1.t()?)?
            .broadcast_add(self.b1.as_tensor())?
            .tanh()?;
        h.matmul(&self.w2.t()?)?.broadcast_add(self.b2.as_tensor())
    }

    /// Class probabilities of each row of `x` (`[n, inputs]`).
    pub fn probabilities(&self, x: &Tensor) -> candle_core::Result<Vec<Vec<f32>>> {
        candle_nn::ops::softmax(&self.forward(x)?, D::Minus1)?.to_vec2()
    }

    /// Trains on rows `x` (`[n, inputs]`) with class `labels`; `weights` scales each class's
    /// loss (rare classes count more). Returns the mean loss of each epoch.
    pub fn train(
        &self,
        x: &Tensor,
        labels: &[u32],
        weights: &[f32],
        t: &Training,
    ) -> candle_core::Result<Vec<f32>> {
        let device = x.device();
        let n = labels.len();
        let mut opt = AdamW::new(
            vec![
                self.w1.clone(),
                self.b1.clone(),
                self.w2.clone(),
                self.b2.clone(),
            ],
            ParamsAdamW {
                lr: t.learning_rate,
                weight_decay: t.weight_decay,
                ..ParamsAdamW::default()
            },
        )?;
        let class_weights = Tensor::new(weights, device)?;
        let mut rng = SplitMix(t.seed ^ 0x9e37_79b9);
        let mut order: Vec<u32> = (0..n as u32).collect();
        let mut losses = Vec::with_capacity(t.epochs);
        for _ in 0..t.epochs {
            // Fisher–Yates with our seeded generator.
            for i in (1..order.len()).rev() {
                let j = (rng.next_u64() % (i as u64 + 1)) as usize;
                order.swap(i, j);
            }
            let (mut sum, mut batches) = (0.0f32, 0usize);
            for chunk in order.chunks(t.batch.max(1)) {
                let index = Tensor::new(chunk, device)?;
                let xb = x.index_select(&index, 0)?;
                let yb: Vec<u32> = chunk.iter().map(|&i| labels[i as usize]).collect();
                let yb = Tensor::new(yb.as_slice(), device)?;
                let log_p = candle_nn::ops::log_softmax(&self.forward(&xb)?, D::Minus1)?;
                let picked = log_p.gather(&yb.unsqueeze(1)?, 1)?.squeeze(1)?;
                let w = class_weights.index_select(&yb, 0)?;
                let loss = ((picked * &w)?.sum_all()? / w.sum_all()?)?.neg()?;
                opt.backward_step(&loss)?;
                sum += loss.to_scalar::<f32>()?;
                batches += 1;
            }
            losses.push(sum / batches.max(1) as f32);
        }
        Ok(losses)
    }

    /// The weights under `prefix.` names.
    pub fn tensors(&self, prefix: &str, out: &mut HashMap<String, Tensor>) {
        for (name, var) in [
            ("w1", &self.w1),
            ("b1", &self.b1),
            ("w2", &self.w2),
            ("b2", &self.b2),
        ] {
            out.insert(format!("{prefix}.{name}"), var.as_tensor().clone());
        }
    }

    /// Reads weights written by [`Mlp::tensors`].
    pub fn from_tensors(
        prefix: &str,
        tensors: &HashMap<String, Tensor>,
    ) -> candle_core::Result<Mlp> {
        let get = |name: &str| -> candle_core::Result<Var> {
            let t = tensors.get(&format!("{prefix}.{name}")).ok_or_else(|| {
                candle_core::Error::Msg(format!("head tensor {prefix}.{name} missing"))
            })?;
            Var::from_tensor(&t.to_dtype(DType::F32)?)
        };
        let mlp = Mlp {
            w1: get("w1")?,
            b1: get("b1")?,
            w2: get("w2")?,
            b2: get("b2")?,
        };
        let (hidden, _) = mlp.w1.dims2()?;
        let (_, hidden2) = mlp.w2.dims2()?;
        if hidden != hidden2 || mlp.b1.dims1()? != hidden || mlp.b2.dims1()? != mlp.w2.dims2()?.0 {
            candle_core::bail!("head {prefix}: inconsistent shapes");
        }
        Ok(mlp)
    }

    pub fn inputs(&self) -> usize {
        self.w1.dims()[1]
    }
}

/// A small seeded generator (SplitMix64): enough for initialisation and shuffling, and the same
/// on every platform.
#[derive(Debug, Clone)]
pub struct SplitMix(pub u64);

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ensemble_is_one_head_giving_the_mean_of_its_members_logits() {
        let device = Device::Cpu;
        let members: Vec<Mlp> = (0..3)
            .map(|seed| Mlp::new(4, 5, 2, seed, &device).expect("mlp"))
            .collect();
        let x =
            Tensor::new(&[[0.5f32, -1.0, 2.0, 0.1], [1.0, 0.0, -0.3, 0.7]], &device).expect("x");
        let one = Mlp::ensemble(&members).expect("ensemble");
        assert_eq!(one.inputs(), 4);
        assert_eq!(one.w1.dims(), &[15, 4]);
        let mut mean = vec![vec![0f32; 2]; 2];
        for m in &members {
            let logits: Vec<Vec<f32>> = m.forward(&x).and_then(|l| l.to_vec2()).expect("l");
            for (row, l) in mean.iter_mut().zip(logits) {
                for (o, v) in row.iter_mut().zip(l) {
                    *o += v / 3.0;
                }
            }
        }
        let got: Vec<Vec<f32>> = one.forward(&x).and_then(|l| l.to_vec2()).expect("l");
        for (a, b) in got.iter().flatten().zip(mean.iter().flatten()) {
            assert!((a - b).abs() < 1e-5, "{got:?} vs {mean:?}");
        }
        assert!(Mlp::ensemble(&[]).is_err());
    }
}
