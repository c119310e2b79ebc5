//! The BERT encoder (multilingual-e5-small's architecture: post-LayerNorm, erf GELU).
//!
//! Two ways to run it. [`Precision::Int8`], the default on the CPU: int8 matrix products on the
//! CPU's dot-product units and the steps between them in plain f32 ([`spinscope_kernels`]), every
//! sequence at its own length (no padding). [`Precision::F32`]: candle, f32 throughout, padded
//! batches; kept to check the int8 path against and for GPUs.
//!
//! Written against candle-core/candle-nn rather than candle-transformers' `BertModel`: that crate
//! compiles every model it carries (minutes on two cores), and ours must read 4-bit weights.

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{LayerNorm, Linear};
use spinscope_kernels::{float, int8, Kernel};

use crate::base::{Base, Config, Weights};

/// How the encoder's matrices are stored and multiplied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// Int8 weights (one scale per row) and activations (one scale per token).
    Int8,
    /// f32 through candle.
    F32,
}

impl Precision {
    /// `$SPINSCOPE_PRECISION` (`int8` or `f32`), else int8 on the CPU and f32 on a GPU.
    pub fn for_device(device: &Device) -> candle_core::Result<Precision> {
        match std::env::var("SPINSCOPE_PRECISION").as_deref() {
            Ok("int8") => Ok(Precision::Int8),
            Ok("f32") => Ok(Precision::F32),
            Ok(other) => candle_core::bail!("SPINSCOPE_PRECISION={other}: expected int8 or f32"),
            Err(_) if device.is_cpu() => Ok(Precision::Int8),
            Err(_) => Ok(Precision::F32),
        }
    }
}

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

/// A layer of the int8 path: query, key and value in one product.
#[derive(Debug)]
struct Int8Layer {
    qkv: int8::Linear,
    out: int8::Linear,
    attention_norm: Norm,
    up: int8::Linear,
    down: int8::Linear,
    output_norm: Norm,
}

#[derive(Debug)]
struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

#[derive(Debug)]
enum Layers {
    Int8(Vec<Int8Layer>),
    F32(Vec<Layer>),
}

impl Layers {
    fn len(&self) -> usize {
        match self {
            Layers::Int8(l) => l.len(),
            Layers::F32(l) => l.len(),
        }
    }
}

#[derive(Debug)]
pub struct Encoder {
    pub config: Config,
    /// 4-bit rows, de-quantised when looked up.
    word: Weights,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    embedding_norm: Norm,
    layers: Layers,
    kernel: Kernel,
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
        Encoder::with_precision(base, adapter, device, Precision::for_device(device)?)
    }

    /// [`Encoder::adapted`] at a chosen precision (int8 runs on the CPU only).
    pub fn with_precision(
        base: &Base,
        adapter: Option<&Adapter>,
        device: &Device,
        precision: Precision,
    ) -> candle_core::Result<Encoder> {
        if precision == Precision::Int8 && !device.is_cpu() {
            candle_core::bail!("the int8 encoder runs on the CPU only");
        }
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
        let vector = |name: &str| -> Vec<f32> { base.tensor(name).to_f32()[..h].to_vec() };
        let norm = |name: &str| Norm {
            weight: vector(&format!("{name}.w")),
            bias: vector(&format!("{name}.b")),
        };
        let candle_norm = |name: &str| -> candle_core::Result<LayerNorm> {
            Ok(LayerNorm::new(
                tensor(&format!("{name}.w"), &[h])?,
                tensor(&format!("{name}.b"), &[h])?,
                c.layer_norm_eps,
            ))
        };
        // The int8 form of one or more linear layers stacked by outputs (same inputs); the f32
        // weights go once they are quantised.
        let quantised = |names: &[&str], outputs: usize, inputs: usize| {
            let (mut weight, mut bias) = (Vec::new(), Vec::new());
            for name in names {
                let l = linear(name, outputs, inputs)?;
                weight.extend(l.weight().flatten_all()?.to_vec1::<f32>()?);
                if let Some(b) = l.bias() {
                    bias.extend(b.to_vec1::<f32>()?);
                }
            }
            candle_core::Result::Ok(int8::Linear::new(&weight, &bias, bias.len(), inputs))
        };
        let layers = match precision {
            Precision::Int8 => Layers::Int8(
                (0..c.layers)
                    .map(|l| {
                        let name = |part: &str| format!("l{l}.{part}");
                        Ok(Int8Layer {
                            qkv: quantised(&[&name("q"), &name("k"), &name("v")], h, h)?,
                            out: quantised(&[&name("ao")], h, h)?,
                            attention_norm: norm(&name("aln")),
                            up: quantised(&[&name("fi")], c.intermediate, h)?,
                            down: quantised(&[&name("fo")], h, c.intermediate)?,
                            output_norm: norm(&name("oln")),
                        })
                    })
                    .collect::<candle_core::Result<Vec<_>>>()?,
            ),
            Precision::F32 => Layers::F32(
                (0..c.layers)
                    .map(|l| {
                        Ok(Layer {
                            q: linear(&format!("l{l}.q"), h, h)?,
                            k: linear(&format!("l{l}.k"), h, h)?,
                            v: linear(&format!("l{l}.v"), h, h)?,
                            out: linear(&format!("l{l}.ao"), h, h)?,
                            attention_norm: candle_norm(&format!("l{l}.aln"))?,
                            up: linear(&format!("l{l}.fi"), c.intermediate, h)?,
                            down: linear(&format!("l{l}.fo"), h, c.intermediate)?,
                            output_norm: candle_norm(&format!("l{l}.oln"))?,
                        })
                    })
                    .collect::<candle_core::Result<Vec<_>>>()?,
            ),
        };
        Ok(Encoder {
            config: c,
            word: base.tensor("emb.word").clone(),
            positions: base.tensor("emb.pos").to_f32(),
            token_type: base.tensor("emb.type").to_f32()[..h].to_vec(),
            embedding_norm: norm("emb.ln"),
            layers,
            kernel: Kernel::best(),
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
        let t = batch.iter().map(Vec::len).max().unwrap_or(0);
        if batch.is_empty() || t == 0 {
            return Ok(vec![Vec::new(); layers.len()]);
        }
        if t > self.max_window() {
            candle_core::bail!("window of {t} tokens, more than {}", self.max_window());
        }
        if batch
            .iter()
            .flatten()
            .any(|&id| id as usize >= self.config.embedding_rows)
        {
            candle_core::bail!("token id out of range");
        }
        match &self.layers {
            Layers::Int8(stack) => self.forward_int8(stack, batch, layers),
            Layers::F32(stack) => self.forward_f32(stack, batch, layers, t),
        }
    }

    /// Token `id` at position `p` into `row`: word + position + token type, before the norm.
    fn embed(&self, id: u32, p: usize, row: &mut [f32]) {
        let h = self.config.hidden;
        self.word.row(id as usize, row);
        let pos = &self.positions[p * h..(p + 1) * h];
        for ((r, a), ty) in row.iter_mut().zip(pos).zip(&self.token_type) {
            *r += a + ty;
        }
    }

    fn layer_norm(&self, x: &mut [f32], add: &[f32], norm: &Norm) {
        let eps = self.config.layer_norm_eps as f32;
        float::add_layer_norm(self.kernel, x, add, &norm.weight, &norm.bias, eps);
    }

    /// The int8 path: the batch's tokens end to end, `[tokens, hidden]`, each sequence's
    /// attention over its own tokens, so no work is spent on padding.
    fn forward_int8(
        &self,
        stack: &[Int8Layer],
        batch: &[Vec<u32>],
        layers: &[usize],
    ) -> candle_core::Result<Vec<Vec<Tensor>>> {
        let c = &self.config;
        let h = c.hidden;
        let tokens: usize = batch.iter().map(Vec::len).sum();
        let mut x = vec![0f32; tokens * h];
        let mut rows = x.chunks_exact_mut(h);
        for ids in batch {
            for (p, (&id, row)) in ids.iter().zip(rows.by_ref()).enumerate() {
                self.embed(id, p, row);
            }
        }
        self.layer_norm(&mut x, &[], &self.embedding_norm);
        let sequences = |x: &[f32]| -> candle_core::Result<Vec<Tensor>> {
            let mut at = 0;
            batch
                .iter()
                .map(|ids| {
                    let part = &x[at * h..(at + ids.len()) * h];
                    at += ids.len();
                    Tensor::from_slice(part, (ids.len(), h), &self.device)
                })
                .collect()
        };
        let mut out = vec![Vec::new(); layers.len()];
        let deepest = layers.iter().copied().max().unwrap_or(0);
        let (mut qkv, mut context, mut projected) = (Vec::new(), Vec::new(), Vec::new());
        let mut up = Vec::new();
        let mut scratch = Vec::new();
        for done in 0..=stack.len() {
            for (o, _) in out.iter_mut().zip(layers).filter(|(_, &l)| l == done) {
                *o = sequences(&x)?;
            }
            if done >= deepest {
                break;
            }
            let Some(layer) = stack.get(done) else { break };
            linear(self.kernel, &layer.qkv, &x, &mut qkv);
            context.resize(tokens * h, 0.0);
            let mut at = 0;
            for ids in batch {
                let n = ids.len();
                float::attention(
                    self.kernel,
                    &qkv[at * 3 * h..(at + n) * 3 * h],
                    n,
                    c.heads,
                    &mut context[at * h..(at + n) * h],
                    &mut scratch,
                );
                at += n;
            }
            linear(self.kernel, &layer.out, &context, &mut projected);
            self.layer_norm(&mut x, &projected, &layer.attention_norm);
            linear(self.kernel, &layer.up, &x, &mut up);
            float::gelu(self.kernel, &mut up);
            linear(self.kernel, &layer.down, &up, &mut projected);
            self.layer_norm(&mut x, &projected, &layer.output_norm);
        }
        Ok(out)
    }

    /// The f32 path in candle: sequences padded to the longest and masked.
    fn forward_f32(
        &self,
        stack: &[Layer],
        batch: &[Vec<u32>],
        layers: &[usize],
        t: usize,
    ) -> candle_core::Result<Vec<Vec<Tensor>>> {
        let h = self.config.hidden;
        let b = batch.len();
        let mut x = vec![0f32; b * t * h];
        let mut mask = vec![0f32; b * t];
        for (s, ids) in batch.iter().enumerate() {
            for p in 0..t {
                let at = (s * t + p) * h;
                match ids.get(p) {
                    Some(&id) => self.embed(id, p, &mut x[at..at + h]),
                    None => mask[s * t + p] = -1e9,
                }
            }
        }
        self.layer_norm(&mut x, &[], &self.embedding_norm);
        let mut x = Tensor::from_vec(x, (b, t, h), &self.device)?;
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
        for done in 0..=stack.len() {
            for (o, _) in out.iter_mut().zip(layers).filter(|(_, &l)| l == done) {
                *o = sequences(&x)?;
            }
            if done >= deepest {
                break;
            }
            let Some(layer) = stack.get(done) else { break };
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

/// `y = linear(x)`, `y` resized to the rows of `x` times the layer's outputs.
fn linear(kernel: Kernel, layer: &int8::Linear, x: &[f32], y: &mut Vec<f32>) {
    let rows = x.len() / layer.inputs().max(1);
    y.resize(rows * layer.outputs(), 0.0);
    layer.forward_with(kernel, x, y);
}
