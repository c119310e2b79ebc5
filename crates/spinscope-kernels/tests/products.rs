//! The int8 product against f32 arithmetic, and the kernels against each other.

use proptest::prelude::*;
use spinscope_kernels::{int8::Linear, Kernel};

/// `x Wᵀ + b` in f64.
fn reference(x: &[f32], w: &[f32], b: &[f32], outputs: usize, inputs: usize) -> Vec<f32> {
    x.chunks_exact(inputs)
        .flat_map(|row| {
            (0..outputs).map(move |o| {
                let dot: f64 = row
                    .iter()
                    .zip(&w[o * inputs..(o + 1) * inputs])
                    .map(|(&a, &b)| a as f64 * b as f64)
                    .sum();
                (dot + b[o] as f64) as f32
            })
        })
        .collect()
}

/// Deterministic values in [-1, 1) (a small LCG: the test owns its inputs).
fn values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn run(kernel: Kernel, linear: &Linear, x: &[f32], rows: usize) -> Vec<f32> {
    let mut y = vec![f32::NAN; rows * linear.outputs()];
    linear.forward_with(kernel, x, &mut y);
    y
}

#[test]
fn close_to_f32_on_encoder_shapes() {
    for (outputs, inputs, rows) in [(384, 384, 37), (1536, 384, 9), (384, 1536, 16)] {
        let w = values(outputs * inputs, 1);
        let b = values(outputs, 2);
        let x = values(rows * inputs, 3);
        let linear = Linear::new(&w, &b, outputs, inputs);
        let want = reference(&x, &w, &b, outputs, inputs);
        let got = run(Kernel::best(), &linear, &x, rows);
        // Two roundings of ±1/254 of each row's range: the error of a sum of `inputs` products
        // grows like its square root; 4 standard deviations of it.
        let bound = 4.0 * (inputs as f32).sqrt() * (1.0 / 127.0) * 0.6;
        let worst = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).abs())
            .fold(0f32, f32::max);
        assert!(
            worst < bound,
            "{outputs}×{inputs}: worst error {worst}, bound {bound}"
        );
    }
}

#[test]
fn the_best_kernel_is_named() {
    let name = Kernel::best().name();
    assert!(name == "portable" || name == "avx512-vnni", "{name}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Integer sums are exact, so every kernel gives the same bits, on any shape (tails of
    /// rows, inputs not a multiple of 4, outputs not a whole tile).
    #[test]
    fn kernels_agree_bit_for_bit(outputs in 1usize..70, inputs in 1usize..70, rows in 0usize..20, seed in 0u64..1000) {
        let w = values(outputs * inputs, seed);
        let b = values(outputs, seed + 1);
        let x: Vec<f32> = values(rows * inputs, seed + 2).iter().map(|v| v * 30.0).collect();
        let linear = Linear::new(&w, &b, outputs, inputs);
        let portable = run(Kernel::portable(), &linear, &x, rows);
        if let Some(vnni) = Kernel::vnni() {
            let fast = run(vnni, &linear, &x, rows);
            prop_assert_eq!(
                portable.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                fast.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            );
        }
        let want = reference(&x, &w, &b, outputs, inputs);
        for (a, b) in want.iter().zip(&portable) {
            prop_assert!((a - b).abs() <= 0.05 * 30.0 * (inputs as f32).sqrt().max(1.0), "{} vs {}", a, b);
        }
    }
}

#[test]
fn zero_rows_and_zero_weights_are_finite() {
    let linear = Linear::new(&[0.0; 12], &[0.5, -0.5, 1.0], 3, 4);
    let y = run(Kernel::best(), &linear, &[0.0; 8], 2);
    assert_eq!(y, vec![0.5, -0.5, 1.0, 0.5, -0.5, 1.0]);
}
