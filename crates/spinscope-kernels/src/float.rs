//! The encoder's f32 steps between its matrix products: residual + layer norm, GELU, attention.
//!
//! Each is written once, as plain Rust the compiler can vectorise, and compiled twice: for any
//! x86_64 and for AVX-512. Sums run over a fixed number of lanes ([`LANES`]) in a fixed order
//! rather than left to the compiler, so both builds give the same bits. `exp` and `erf` are
//! polynomials here, not the library's, because a library call per element cannot be
//! vectorised and GELU and softmax take one per element.

/// Partial sums kept side by side: one 512-bit register of f32.
const LANES: usize = 16;

/// `Σ values` in [`LANES`] partial sums, added up in a fixed order.
#[inline(always)]
fn sum(values: impl Iterator<Item = f32>) -> f32 {
    let mut lanes = [0f32; LANES];
    for (k, v) in values.enumerate() {
        lanes[k % LANES] += v;
    }
    lanes.iter().fold(0.0, |a, &b| a + b)
}

/// `Σ values` of a slice, vectorisable: whole chunks of [`LANES`] lane by lane, then the rest.
#[inline(always)]
fn sum_slice(values: &[f32]) -> f32 {
    let mut lanes = [0f32; LANES];
    let chunks = values.chunks_exact(LANES);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    for (l, &v) in lanes.iter_mut().zip(rest) {
        *l += v;
    }
    lanes.iter().fold(0.0, |a, &b| a + b)
}

/// 1.5 × 2²³: a float between 2²² and 2²³ added to it keeps no fraction bits, so adding and
/// taking it back rounds to the nearest integer (ties to even), and the integer sits in the low
/// bits of the sum. `f32::round` is a library call on baseline x86_64 and `as i32` does not
/// vectorise as well.
pub(crate) const MAGIC: f32 = 12_582_912.0;

/// `eˣ`, relative error under 2e-7 (Cephes' `expf` polynomial on x − n·ln 2, scaled by 2ⁿ
/// through the exponent bits); inputs clamped to [−87, 88], where f32 still holds the result.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts, so that n·ln 2 is taken off without losing x's low bits.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let t = x * LOG2E + MAGIC;
    let n = t - MAGIC;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5e-1;
    let e = p * r * r + r + 1.0;
    // 2ⁿ: n + 127 in the exponent field; n is in t's low bits, offset by MAGIC's own.
    let two_n = f32::from_bits(t.to_bits().wrapping_sub(MAGIC.to_bits() - 127) << 23);
    e * two_n
}

/// `erf(x)`, absolute error under 1.5e-7 (Abramowitz & Stegun 7.1.26).
#[inline(always)]
pub(crate) fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_72 + t * (1.421_413_8 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

dispatched! {
    /// Each row of `x` (`width = weight.len()` wide) becomes `LayerNorm(x + add)` (`add` the
    /// same shape as `x`, or empty for a plain layer norm).
    pub fn add_layer_norm(x: &mut [f32], add: &[f32], weight: &[f32], bias: &[f32], eps: f32) {
        let width = weight.len();
        if width == 0 {
            return;
        }
        for (r, row) in x.chunks_exact_mut(width).enumerate() {
            if let Some(add) = add.get(r * width..(r + 1) * width) {
                for (v, &a) in row.iter_mut().zip(add) {
                    *v += a;
                }
            }
            let mean = sum_slice(row) / width as f32;
            for v in row.iter_mut() {
                *v -= mean;
            }
            let variance = sum(row.iter().map(|v| v * v)) / width as f32;
            let inverse = 1.0 / (variance + eps).sqrt();
            for ((v, &w), &b) in row.iter_mut().zip(weight).zip(bias) {
                *v = *v * inverse * w + b;
            }
        }
    }
}

dispatched! {
    /// GELU in place, the erf form (BERT's): `x · (1 + erf(x / √2)) / 2`.
    pub fn gelu(x: &mut [f32]) {
        for v in x.iter_mut() {
            *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
        }
    }
}

/// One vector's worth of f32: the loops below run over these so that the compiler keeps each in
/// a register instead of adding into memory.
type Lanes = [f32; LANES];

#[inline(always)]
fn lanes(values: &[f32]) -> &Lanes {
    values[..LANES].try_into().expect("LANES values")
}

dispatched! {
    /// Self-attention of one sequence of `len` tokens over those tokens only. `qkv` is
    /// `len × 3·width`, each row the token's query, key and value (`heads` heads each); `out`
    /// is `len × width`. `scratch` is working room kept between calls.
    pub fn attention(qkv: &[f32], len: usize, heads: usize, out: &mut [f32], scratch: &mut Vec<f32>) {
        if len == 0 || heads == 0 {
            return;
        }
        let width = out.len() / len;
        let dim = width / heads;
        let scale = 1.0 / (dim as f32).sqrt();
        assert_eq!(qkv.len(), len * 3 * width, "qkv is len × 3·width");
        // One head's keys transposed (`dim × keys`) and values (`len × dims`), then one query's
        // scores and context, padded with zeros to whole `Lanes`.
        let keys_wide = len.div_ceil(LANES) * LANES;
        let dims_wide = dim.div_ceil(LANES) * LANES;
        scratch.clear();
        scratch.resize(dim * keys_wide + len * dims_wide + keys_wide, 0.0);
        let (keys, rest) = scratch.split_at_mut(dim * keys_wide);
        let (values, scores) = rest.split_at_mut(len * dims_wide);
        for h in 0..heads {
            for (j, row) in qkv.chunks_exact(3 * width).enumerate() {
                let k = &row[width + h * dim..width + (h + 1) * dim];
                for (d, &v) in k.iter().enumerate() {
                    keys[d * keys_wide + j] = v;
                }
                values[j * dims_wide..j * dims_wide + dim]
                    .copy_from_slice(&row[2 * width + h * dim..2 * width + (h + 1) * dim]);
            }
            for (i, row) in qkv.chunks_exact(3 * width).enumerate() {
                let q = &row[h * dim..(h + 1) * dim];
                for (c, chunk) in scores.chunks_exact_mut(LANES).enumerate() {
                    let mut acc: Lanes = [0.0; LANES];
                    for (&qd, key) in q.iter().zip(keys.chunks_exact(keys_wide)) {
                        let qd = qd * scale;
                        for (a, &k) in acc.iter_mut().zip(lanes(&key[c * LANES..])) {
                            *a += qd * k;
                        }
                    }
                    chunk.copy_from_slice(&acc);
                }
                let real = &mut scores[..len];
                let max = real.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s));
                for s in real.iter_mut() {
                    *s = exp(*s - max);
                }
                scores[len..].fill(0.0);
                let inverse = 1.0 / sum_slice(scores);
                let out = &mut out[i * width + h * dim..i * width + (h + 1) * dim];
                for (c, out) in out.chunks_mut(LANES).enumerate() {
                    let mut acc: Lanes = [0.0; LANES];
                    for (&p, value) in scores[..len].iter().zip(values.chunks_exact(dims_wide)) {
                        for (a, &v) in acc.iter_mut().zip(lanes(&value[c * LANES..])) {
                            *a += p * v;
                        }
                    }
                    for (o, &a) in out.iter_mut().zip(&acc) {
                        *o = a * inverse;
                    }
                }
            }
        }
    }
}
