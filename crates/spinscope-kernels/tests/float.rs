//! The f32 steps against f64 arithmetic, and the two builds against each other.

use proptest::prelude::*;
use spinscope_kernels::{float, Kernel};

fn kernels() -> Vec<Kernel> {
    [Some(Kernel::portable()), Kernel::vnni()]
        .into_iter()
        .flatten()
        .collect()
}

fn erf64(x: f64) -> f64 {
    // Taylor series while its terms stay small enough for f64, else erfc's asymptotic series:
    // either has digits to spare for judging an f32 erf.
    if x.abs() > 4.0 {
        let a = x.abs();
        let erfc = (-a * a).exp() / (a * std::f64::consts::PI.sqrt())
            * (1.0 - 1.0 / (2.0 * a * a) + 3.0 / (4.0 * a.powi(4)) - 15.0 / (8.0 * a.powi(6)));
        return x.signum() * (1.0 - erfc);
    }
    let (mut term, mut total, mut n) = (x, x, 0.0);
    while term.abs() > 1e-17 {
        n += 1.0;
        term *= -x * x / n;
        total += term / (2.0 * n + 1.0);
    }
    total * 2.0 / std::f64::consts::PI.sqrt()
}

#[test]
fn gelu_is_close_to_the_erf_form() {
    let xs: Vec<f32> = (-4000..=4000).map(|k| k as f32 / 500.0).collect();
    for kernel in kernels() {
        let mut y = xs.clone();
        float::gelu(kernel, &mut y);
        for (&x, &g) in xs.iter().zip(&y) {
            let want = 0.5 * x as f64 * (1.0 + erf64(x as f64 / 2f64.sqrt()));
            assert!(
                (g as f64 - want).abs() < 2e-6,
                "{} gelu({x}) = {g}, want {want}",
                kernel.name()
            );
        }
    }
}

#[test]
fn layer_norm_matches_the_definition() {
    let width = 384;
    let x: Vec<f32> = (0..3 * width)
        .map(|k| ((k * 37 % 101) as f32 - 50.0) / 7.0)
        .collect();
    let add: Vec<f32> = (0..3 * width).map(|k| (k % 13) as f32 / 3.0).collect();
    let weight: Vec<f32> = (0..width).map(|k| 0.5 + k as f32 / width as f32).collect();
    let bias: Vec<f32> = (0..width).map(|k| k as f32 / 1000.0).collect();
    for kernel in kernels() {
        let mut y = x.clone();
        float::add_layer_norm(kernel, &mut y, &add, &weight, &bias, 1e-12);
        for r in 0..3 {
            let row: Vec<f64> = (0..width)
                .map(|k| (x[r * width + k] + add[r * width + k]) as f64)
                .collect();
            let mean = row.iter().sum::<f64>() / width as f64;
            let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / width as f64;
            for k in 0..width {
                let want =
                    (row[k] - mean) / (var + 1e-12).sqrt() * weight[k] as f64 + bias[k] as f64;
                let got = y[r * width + k] as f64;
                assert!(
                    (got - want).abs() < 1e-5,
                    "row {r} col {k}: {got} vs {want}"
                );
            }
        }
    }
}

/// Attention in f64, the textbook way.
fn attention64(qkv: &[f32], len: usize, heads: usize, width: usize) -> Vec<f64> {
    let dim = width / heads;
    let at = |i: usize, part: usize, h: usize, d: usize| {
        qkv[i * 3 * width + part * width + h * dim + d] as f64
    };
    let mut out = vec![0f64; len * width];
    for h in 0..heads {
        for i in 0..len {
            let scores: Vec<f64> = (0..len)
                .map(|j| {
                    (0..dim)
                        .map(|d| at(i, 0, h, d) * at(j, 1, h, d))
                        .sum::<f64>()
                        / (dim as f64).sqrt()
                })
                .collect();
            let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let e: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
            let total: f64 = e.iter().sum();
            for d in 0..dim {
                out[i * width + h * dim + d] =
                    (0..len).map(|j| e[j] * at(j, 2, h, d)).sum::<f64>() / total;
            }
        }
    }
    out
}

#[test]
fn attention_matches_the_definition() {
    let (len, heads, width) = (37, 12, 384);
    let qkv: Vec<f32> = (0..len * 3 * width)
        .map(|k| ((k * 7919 % 2003) as f32 - 1001.0) / 250.0)
        .collect();
    let want = attention64(&qkv, len, heads, width);
    let mut scratch = Vec::new();
    for kernel in kernels() {
        let mut out = vec![0f32; len * width];
        float::attention(kernel, &qkv, len, heads, &mut out, &mut scratch);
        for (k, (&g, &w)) in out.iter().zip(&want).enumerate() {
            assert!(
                (g as f64 - w).abs() < 1e-4 * (1.0 + w.abs()),
                "{} at {k}: {g} vs {w}",
                kernel.name()
            );
        }
    }
}

#[test]
fn exp_saturates_instead_of_overflowing() {
    let mut y = vec![-1e30f32, -200.0, 200.0, f32::MAX];
    float::gelu(Kernel::best(), &mut y);
    assert!(y.iter().all(|v| v.is_finite()), "{y:?}");
}

proptest! {
    #[test]
    fn builds_give_the_same_bits(
        len in 1usize..20,
        heads in 1usize..4,
        dim in 1usize..20,
        seed in any::<u32>(),
    ) {
        let Some(wide) = Kernel::vnni() else { return Ok(()) };
        let width = heads * dim;
        let mut s = seed;
        let qkv: Vec<f32> = (0..len * 3 * width)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 20) as f32 - 8.0
            })
            .collect();
        let run = |kernel: Kernel| {
            let mut out = vec![0f32; len * width];
            float::attention(kernel, &qkv, len, heads, &mut out, &mut Vec::new());
            let weight = vec![1.5f32; width];
            let bias = vec![0.25f32; width];
            let add = qkv[..len * width].to_vec();
            float::add_layer_norm(kernel, &mut out, &add, &weight, &bias, 1e-12);
            float::gelu(kernel, &mut out);
            out.iter().map(|v| v.to_bits()).collect::<Vec<u32>>()
        };
        prop_assert_eq!(run(Kernel::portable()), run(wide));
    }
}
