//! The BERT encoder (multilingual-e5-small's architecture: post-LayerNorm, erf GELU) in candle.
//!
//! Written against candle-core/candle-nn rather than candle-transformers' `BertModel`: that crate
//! compiles every model it carries (minutes on two cores), and ours must read 4-bit weights.

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{LayerNorm, Linear};

use crate::base::{Base, Config, Weights};

/// Longest token sequence one window may hold, `<s>` and `</s>` included.
pub const MAX_WINDOW: usize = 256;

#[derive(Debug)]
struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    attention_norm: LayerNorm,
    up: Linear,
    down: Linear,
    output_norm: LayerNorm,
}

#[derive(Debug)]
pub struct Encoder {
    pub config: Config,
    /// 4-bit rows, de-quantised when looked up.
    word: Weights,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    device: Device,
}

/// Low-rank updates of the encoder's matrices (`lora.l{layer}.{q,k,v,ao,fi,fo}.{a,b}`, the
/// scale folded into `b`), as `scripts/finetune.py` trains them.
pub type Adapter = std::collections::HashMap<String, Tensor>;

/// A fingerprint of an adapter's values (sha256, hex): equal adapters give equal states, so
/// caches of states are named by it.
pub fn adapter_digest(adapter: &Adapter) -> candle_core::Result<String> {
    use sha2::{Digest, Sha256};
    let mut names: Vec<&String> = adapter.keys().collect();
    names.sort();
    let mut hash = Sha256::new();
    for name in names {
        hash.update(name.as_bytes());
        for x in adapter[name]
            .flatten_all()?
            .to_dtype(DType::F32)?
            .to_vec1::<f32>()?
        {
            hash.update(x.to_le_bytes());
        }
    }
    Ok(crate::base::hex(&hash.finalize()))
}

impl Encoder {
    pub fn new(base: &Base, device: &Device) -> candle_core::Result<Encoder> {
        Encoder::adapted(base, None, device)
    }

    /// The base with `adapter`'s updates merged into its matrices (W + B A), so an adapted
    /// encoder runs as fast as the base.
    pub fn adapted(
        base: &Base,
        adapter: Option<&Adapter>,
        device: &Device,
    ) -> candle_core::Result<Encoder> {
        let c = base.config;
        let h = c.hidden;
        let tensor = |name: &str, shape: &[usize]| -> candle_core::Result<Tensor> {
            let values = base.tensor(name).to_f32();
            let size: usize = shape.iter().product();
            Tensor::from_slice(&values[..size], shape, device)
        };
        let linear = |name: &str, out: usize, inp: usize| -> candle_core::Result<Linear> {
            let mut w = tensor(&format!("{name}.w"), &[out, inp])?;
            if let Some(adapter) = adapter {
                let part = |p: &str| adapter.get(&format!("lora.{name}.{p}"));
                match (part("a"), part("b")) {
                    (Some(a), Some(b)) => {
                        let update = b.to_dtype(DType::F32)?.matmul(&a.to_dtype(DType::F32)?)?;
                        w = (w + update.to_device(device)?)?;
                    }
                    (None, None) => {}
                    _ => candle_core::bail!("adapter for {name}: one of a and b missing"),
                }
            }
            Ok(Linear::new(w, Some(tensor(&format!("{name}.b"), &[out])?)))
        };
        let norm = |name: &str| -> candle_core::Result<LayerNorm> {
            Ok(LayerNorm::new(
                tensor(&format!("{name}.w"), &[h])?,
                tensor(&format!("{name}.b"), &[h])?,
                c.layer_norm_eps,
            ))
        };
        let layers = (0..c.layers)
            .map(|l| {
                Ok(Layer {
                    q: linear(&format!("l{l}.q"), h, h)?,
                    k: linear(&format!("l{l}.k"), h, h)?,
                    v: linear(&format!("l{l}.v"), h, h)?,
                    out: linear(&format!("l{l}.ao"), h, h)?,
                    attention_norm: norm(&format!("l{l}.aln"))?,
                    up: linear(&format!("l{l}.fi"), c.intermediate, h)?,
                    down: linear(&format!("l{l}.fo"), h, c.intermediate)?,
                    output_norm: norm(&format!("l{l}.oln"))?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Encoder {
            config: c,
            word: base.tensor("emb.word").clone(),
            positions: base.tensor("emb.pos").to_f32(),
            token_type: base.tensor("emb.type").to_f32()[..h].to_vec(),
            embedding_norm: norm("emb.ln")?,
            layers,
            device: device.clone(),
        })
    }

    /// The last hidden states of each sequence (`<s>` … `</s>` included), `[len, hidden]` each.
    /// Sequences are padded to the longest of the batch and masked.
    pub fn forward(&self, batch: &[Vec<u32>]) -> candle_core::Result<Vec<Tensor>> {
        let mut by_layer = self.forward_layers(batch, &[self.config.layers])?;
        Ok(by_layer.pop().unwrap_or_default())
    }

    /// The states after each of `layers` (the output of layer `l`, counted from 1; 0: the
    /// embeddings), `[layers.len()][sequence]`, each `[len, hidden]`: heads may read a middle
    /// layer, which keeps more of the words than the last (tuned for e5's sentence embedding).
    pub fn forward_layers(
        &self,
        batch: &[Vec<u32>],
        layers: &[usize],
    ) -> candle_core::Result<Vec<Vec<Tensor>>> {
        if let Some(&l) = layers.iter().find(|&&l| l > self.layers.len()) {
            candle_core::bail!("no layer {l}: the encoder has {}", self.layers.len());
        }
        let h = self.config.hidden;
        let b = batch.len();
        let t = batch.iter().map(Vec::len).max().unwrap_or(0);
        if b == 0 || t == 0 {
            return Ok(vec![Vec::new(); layers.len()]);
        }
        if t > self.max_window() {
            candle_core::bail!("window of {t} tokens, more than {}", self.max_window());
        }
        let mut x = vec![0f32; b * t * h];
        let mut mask = vec![0f32; b * t];
        for (s, ids) in batch.iter().enumerate() {
            for p in 0..t {
                let at = (s * t + p) * h;
                let row = &mut x[at..at + h];
                match ids.get(p) {
                    Some(&id) if (id as usize) < self.config.embedding_rows => {
                        self.word.row(id as usize, row)
                    }
                    Some(_) => candle_core::bail!("token id out of range"),
                    None => mask[s * t + p] = -1e9,
                }
                let pos = &self.positions[p * h..(p + 1) * h];
                for ((r, a), ty) in row.iter_mut().zip(pos).zip(&self.token_type) {
                    *r += a + ty;
                }
            }
        }
        let mut x = self
            .embedding_norm
            .forward(&Tensor::from_vec(x, (b, t, h), &self.device)?)?;
        let mask = Tensor::from_vec(mask, (b, 1, 1, t), &self.device)?;
        let heads = self.config.heads;
        let hd = h / heads;
        let scale = 1.0 / (hd as f64).sqrt();
        let split = |y: Tensor| -> candle_core::Result<Tensor> {
            y.reshape((b, t, heads, hd))?.transpose(1, 2)?.contiguous()
        };
        let sequences = |x: &Tensor| -> candle_core::Result<Vec<Tensor>> {
            (0..b)
                .map(|s| x.get(s)?.narrow(0, 0, batch[s].len()))
                .collect()
        };
        let mut out = vec![Vec::new(); layers.len()];
        let deepest = layers.iter().copied().max().unwrap_or(0);
        // `done` layers have run; the last pass only takes the output of the last layer.
        for done in 0..=self.layers.len() {
            for (o, _) in out.iter_mut().zip(layers).filter(|(_, &l)| l == done) {
                *o = sequences(&x)?;
            }
            if done >= deepest {
                break;
            }
            let layer = &self.layers[done];
            let q = split(layer.q.forward(&x)?)?;
            let k = split(layer.k.forward(&x)?)?;
            let v = split(layer.v.forward(&x)?)?;
            let scores = (q.matmul(&k.t()?)? * scale)?.broadcast_add(&mask)?;
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let context = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b, t, h))?;
            x = layer
                .attention_norm
                .forward(&(layer.out.forward(&context)? + &x)?)?;
            let up = layer.up.forward(&x)?.gelu_erf()?;
            x = layer
                .output_norm
                .forward(&(layer.down.forward(&up)? + &x)?)?;
        }
        Ok(out)
    }

    /// Longest window this encoder takes, `<s>` and `</s>` included.
    pub fn max_window(&self) -> usize {
        MAX_WINDOW.min(self.config.max_positions)
    }

    /// Mean of the hidden states over each sequence (e5's sentence embedding, before L2).
    pub fn mean_pool(hidden: &Tensor) -> candle_core::Result<Tensor> {
        hidden.mean(D::Minus2)
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn dtype(&self) -> DType {
        DType::F32
    }
}
