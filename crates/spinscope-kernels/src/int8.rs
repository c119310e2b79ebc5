//! Int8 matrix products for the encoder's linear layers: `y = x Wᵀ + b` with `W` in int8.
//!
//! Weights are symmetric int8, one scale per output row. Each input row (a token) is quantised
//! when it arrives to u8 over its own range, `x ≈ low + step · q` — the unsigned operand the
//! VNNI instruction `vpdpbusd` takes, and twice the resolution of symmetric int8 for rows that
//! are mostly of one sign (GELU's outputs); `low` comes back through each weight row's sum. Sums of integers are exact, so the VNNI kernel and the portable
//! one give the same bits and a model scores the same on every CPU.
//!
//! Written here rather than taken from a crate: candle's quantized matmul is a dot product per
//! (token, output) built for one-token generation, and no kept crate has VNNI GEMM kernels
//! (issue 32 measured the candidates; see ARCHITECTURE.md).

use crate::{Choice, Kernel};

/// Outputs per block: one 512-bit register of i32 sums.
const LANES: usize = 16;
/// Inputs per lane of a block: `vpdpbusd` adds four byte products into each i32.
const GROUP: usize = 4;
/// Blocks side by side in one tile of the kernel (outputs per tile: `BLOCKS * LANES`).
const BLOCKS: usize = 2;
/// Input rows (tokens) in one tile: each weight block loaded is used this many times.
const ROWS: usize = 12;
/// Outputs per tile.
const TILE: usize = BLOCKS * LANES;

/// Sixteen outputs' weights for four consecutive inputs, output-major: the operand of one
/// `vpdpbusd`, aligned so that loading it never splits a cache line.
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C, align(64))]
struct Block([i8; LANES * GROUP]);

/// A linear layer with int8 weights.
#[derive(Clone)]
pub struct Linear {
    inputs: usize,
    outputs: usize,
    /// Groups of [`GROUP`] inputs (the inputs padded with zero weights).
    groups: usize,
    /// `[outputs / LANES][groups]`, outputs padded to whole tiles with zero rows.
    blocks: Vec<Block>,
    /// Per output (padded): the weight row's scale, the sum of its integers, its bias.
    scales: Vec<f32>,
    sums: Vec<f32>,
    bias: Vec<f32>,
}

impl std::fmt::Debug for Linear {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "int8::Linear({} → {})", self.inputs, self.outputs)
    }
}

/// Symmetric int8 of `values`: the scale and a function from value to its integer.
fn symmetric(values: &[f32]) -> (f32, impl Fn(f32) -> i32) {
    let amax = values.iter().fold(0f32, |m, v| m.max(v.abs()));
    // An all-zero (or non-finite) row: any scale gives zeros, and 1 keeps it finite.
    let scale = if amax > 0.0 && amax.is_finite() {
        amax / 127.0
    } else {
        1.0
    };
    let inverse = 1.0 / scale;
    // Half away from zero, then truncation: `f32::round` is a library call on baseline x86_64.
    (scale, move |v: f32| {
        let x = v * inverse;
        ((x + 0.5f32.copysign(x)) as i32).clamp(-127, 127)
    })
}

impl Linear {
    /// From row-major `weight` (`outputs × inputs`, the layout of PyTorch and candle) and `bias`.
    pub fn new(weight: &[f32], bias: &[f32], outputs: usize, inputs: usize) -> Linear {
        assert_eq!(weight.len(), outputs * inputs, "weight is outputs × inputs");
        assert_eq!(bias.len(), outputs, "one bias per output");
        let groups = inputs.div_ceil(GROUP);
        let padded = outputs.div_ceil(TILE) * TILE;
        let mut blocks = vec![Block([0; LANES * GROUP]); padded / LANES * groups];
        let mut scales = vec![0f32; padded];
        let mut sums = vec![0f32; padded];
        let mut padded_bias = vec![0f32; padded];
        for (o, row) in weight.chunks_exact(inputs.max(1)).take(outputs).enumerate() {
            let (scale, quantise) = symmetric(row);
            let (block_row, lane) = (o / LANES, o % LANES);
            let mut sum = 0i32;
            for (i, &w) in row.iter().enumerate() {
                let q = quantise(w);
                sum += q;
                blocks[block_row * groups + i / GROUP].0[lane * GROUP + i % GROUP] = q as i8;
            }
            scales[o] = scale;
            sums[o] = sum as f32;
            padded_bias[o] = bias[o];
        }
        Linear {
            inputs,
            outputs,
            groups,
            blocks,
            scales,
            sums,
            bias: padded_bias,
        }
    }

    pub fn inputs(&self) -> usize {
        self.inputs
    }

    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// `y = x Wᵀ + b` for every row of `x` (`rows × inputs`, row-major) into `y`
    /// (`rows × outputs`), with [`Kernel::best`].
    pub fn forward(&self, x: &[f32], y: &mut [f32]) {
        self.forward_with(Kernel::best(), x, y)
    }

    /// [`Linear::forward`] with a chosen kernel.
    pub fn forward_with(&self, kernel: Kernel, x: &[f32], y: &mut [f32]) {
        // A layer with no inputs takes its row count from `y`.
        let rows = x
            .len()
            .checked_div(self.inputs)
            .unwrap_or(y.len() / self.outputs.max(1));
        assert_eq!(x.len(), rows * self.inputs, "x is rows × inputs");
        assert_eq!(y.len(), rows * self.outputs, "y is rows × outputs");
        let (packed, ranges) = self.quantise_rows(kernel, x, rows);
        let tiles = Tiles {
            linear: self,
            packed: &packed,
            ranges: &ranges,
        };
        match kernel.0 {
            Choice::Portable => tiles.run(y, portable::tile),
            #[cfg(target_arch = "x86_64")]
            Choice::Vnni => {
                // SAFETY: a `Choice::Vnni` is only made by `Kernel::vnni`, after the CPU was
                // seen to have every feature `vnni::run` is compiled for.
                #[allow(unsafe_code)]
                unsafe {
                    vnni::run(&tiles, y)
                }
            }
            #[cfg(not(target_arch = "x86_64"))]
            Choice::Vnni => unreachable!("Kernel::vnni is None off x86_64"),
        }
    }

    /// Each row of `x` as u8 over its range, four to an i32 (little-endian, as `vpdpbusd`
    /// reads them), `rows × groups`; and each row's range.
    fn quantise_rows(&self, kernel: Kernel, x: &[f32], rows: usize) -> (Vec<i32>, Vec<Range>) {
        let mut packed = vec![0i32; rows * self.groups];
        let mut ranges = vec![
            Range {
                low: 0.0,
                step: 1.0
            };
            rows
        ];
        if self.inputs > 0 && rows > 0 {
            quantise(kernel, x, self.inputs, &mut packed, &mut ranges);
        }
        (packed, ranges)
    }
}

dispatched! {
    /// The rows of `x` (`inputs` wide) into `packed` (each row padded to whole groups) and
    /// `ranges`.
    fn quantise(x: &[f32], inputs: usize, packed: &mut [i32], ranges: &mut [Range]) {
        let width = packed.len() / ranges.len().max(1);
        let bytes: &mut [u8] = bytemuck::cast_slice_mut(packed);
        for ((row, out), range) in x
            .chunks_exact(inputs)
            .zip(bytes.chunks_exact_mut(4 * width))
            .zip(ranges.iter_mut())
        {
            let (mut lows, mut highs) = ([f32::INFINITY; 16], [f32::NEG_INFINITY; 16]);
            for chunk in row.chunks(16) {
                for ((l, h), &v) in lows.iter_mut().zip(highs.iter_mut()).zip(chunk) {
                    *l = l.min(v);
                    *h = h.max(v);
                }
            }
            let low = lows.iter().fold(f32::INFINITY, |a, &b| a.min(b));
            let high = highs.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b));
            let step = (high - low) / 255.0;
            // A constant (or non-finite) row: every q is 0 and `low` carries the value.
            *range = if step > 0.0 && step.is_finite() {
                Range { low, step }
            } else {
                Range {
                    low: if low.is_finite() { low } else { 0.0 },
                    step: 1.0,
                }
            };
            let (low, inverse) = (range.low, 1.0 / range.step);
            for (b, &v) in out.iter_mut().zip(row) {
                // Rounded as `float::exp` rounds (MAGIC's integer bits), which vectorises
                // where `as u8` does not; `v - low ≥ 0`.
                let t = ((v - low) * inverse).min(255.0) + crate::float::MAGIC;
                *b = t.to_bits() as u8;
            }
        }
    }
}

/// One input row's quantisation: `x ≈ low + step · q`, `q` in `0..=255`.
#[derive(Clone, Copy)]
struct Range {
    low: f32,
    step: f32,
}

/// One product's operands, walked tile by tile by either kernel.
struct Tiles<'a> {
    linear: &'a Linear,
    packed: &'a [i32],
    ranges: &'a [Range],
}

/// The integer sums of one tile: `[row][output in tile]`.
type Sums<const R: usize> = [[i32; TILE]; R];

impl Tiles<'_> {
    fn rows(&self) -> usize {
        self.ranges.len()
    }

    /// Row `r`'s packed inputs.
    fn row(&self, r: usize) -> &[i32] {
        let g = self.linear.groups;
        &self.packed[r * g..(r + 1) * g]
    }

    /// The weight blocks of tile column `t` (outputs `t * TILE ..`), one slice per block.
    fn columns(&self, t: usize) -> [&[Block]; BLOCKS] {
        let g = self.linear.groups;
        std::array::from_fn(|b| {
            let start = (t * BLOCKS + b) * g;
            &self.linear.blocks[start..start + g]
        })
    }

    fn tile_columns(&self) -> usize {
        self.linear.scales.len() / TILE
    }

    /// Sums to outputs: `Σ w·x ≈ w_scale · (step · Σ q_w q_x + low · Σ q_w)`, plus the bias.
    /// The same arithmetic for both kernels, so equal sums give equal bits.
    fn write<const R: usize>(&self, y: &mut [f32], first_row: usize, t: usize, sums: &Sums<R>) {
        let l = self.linear;
        for (r, row_sums) in sums.iter().enumerate() {
            let row = first_row + r;
            let Range { low, step } = self.ranges[row];
            let out = &mut y[row * l.outputs..(row + 1) * l.outputs];
            for (k, &sum) in row_sums.iter().enumerate() {
                let o = t * TILE + k;
                if o < l.outputs {
                    out[o] = (sum as f32 * step + low * l.sums[o]) * l.scales[o] + l.bias[o];
                }
            }
        }
    }

    /// Every tile through `tile`: [`ROWS`] rows at a time, then the rest one by one.
    fn run(&self, y: &mut [f32], tile: impl Fn(&Self, [&[i32]; 1], usize) -> Sums<1>) {
        for t in 0..self.tile_columns() {
            for r in 0..self.rows() {
                let sums = tile(self, [self.row(r)], t);
                self.write(y, r, t, &sums);
            }
        }
    }
}

mod portable {
    use super::*;

    /// One row's sums against tile column `t`.
    pub(super) fn tile(tiles: &Tiles, rows: [&[i32]; 1], t: usize) -> Sums<1> {
        let mut sums = [[0i32; TILE]; 1];
        for (b, blocks) in tiles.columns(t).into_iter().enumerate() {
            for (&word, block) in rows[0].iter().zip(blocks) {
                let x = word.to_le_bytes();
                for lane in 0..LANES {
                    let w = &block.0[lane * GROUP..(lane + 1) * GROUP];
                    let dot: i32 = x.iter().zip(w).map(|(&a, &b)| a as i32 * b as i32).sum();
                    sums[0][b * LANES + lane] += dot;
                }
            }
        }
        sums
    }
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::*;

    /// Every tile of the product, [`ROWS`] rows at a time.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn run(tiles: &Tiles, y: &mut [f32]) {
        let rows = tiles.rows();
        let full = rows / ROWS * ROWS;
        // Rows outer: the ROWS rows stay in L1 while the weights stream from L2.
        let mut r = 0;
        while r < full {
            let x: [&[i32]; ROWS] = std::array::from_fn(|k| tiles.row(r + k));
            for t in 0..tiles.tile_columns() {
                tiles.write(y, r, t, &tile(x, tiles.columns(t)));
            }
            r += ROWS;
        }
        for t in 0..tiles.tile_columns() {
            let columns = tiles.columns(t);
            for r in full..rows {
                tiles.write(y, r, t, &tile([tiles.row(r)], columns));
            }
        }
    }

    /// `R` rows against one tile column: each block loaded once, used `R` times.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    fn tile<const R: usize>(x: [&[i32]; R], columns: [&[Block]; BLOCKS]) -> Sums<R> {
        let groups = columns[0].len();
        let x = x.map(|row| &row[..groups]);
        let columns = columns.map(|c| &c[..groups]);
        let mut acc = [[_mm512_setzero_si512(); BLOCKS]; R];
        for g in 0..groups {
            let w: [__m512i; BLOCKS] = std::array::from_fn(|b| bytemuck::cast(columns[b][g]));
            for (row, acc) in x.iter().zip(acc.iter_mut()) {
                let a = _mm512_set1_epi32(row[g]);
                for (acc, &w) in acc.iter_mut().zip(&w) {
                    *acc = _mm512_dpbusd_epi32(*acc, a, w);
                }
            }
        }
        acc.map(|blocks| {
            let mut sums = [0i32; TILE];
            for (b, v) in blocks.into_iter().enumerate() {
                let lanes: [i32; LANES] = bytemuck::cast(v);
                sums[b * LANES..(b + 1) * LANES].copy_from_slice(&lanes);
            }
            sums
        })
    }
}
