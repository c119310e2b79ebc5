//! The candidates for the encoder's linear layers side by side, in one run, on e5-small's largest
//! shape (384 → 1536, a batch of 512 tokens, one thread as `features::encode` gives each core):
//! candle's f32 matmul (the checking path), candle's quantized matmul on Q8_0 weights, and
//! `spinscope_kernels::int8` (shipped). `cargo bench -p spinscope-model --bench linear`; criterion
//! reports multiply-adds per second, so the ratios read off directly.

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{Device, Module, Tensor};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spinscope_kernels::int8;
use spinscope_kernels::testing::values;

fn candidates(c: &mut Criterion) {
    let (rows, inputs, outputs) = (512, 384, 1536);
    let cpu = Device::Cpu;
    let weight = values(outputs * inputs, 1);
    let bias = values(outputs, 2);
    let x = values(rows * inputs, 3);
    let w = Tensor::from_slice(&weight, (outputs, inputs), &cpu).expect("weight");
    let xt = Tensor::from_slice(&x, (rows, inputs), &cpu).expect("x");
    let f32_linear = candle_nn::Linear::new(
        w.clone(),
        Some(Tensor::from_slice(&bias, outputs, &cpu).expect("bias")),
    );
    let q8 = QMatMul::from_qtensor(QTensor::quantize(&w, GgmlDType::Q8_0).expect("q8_0"))
        .expect("qmatmul");
    let ours = int8::Linear::new(&weight, &bias, outputs, inputs);
    let mut y = vec![0f32; rows * outputs];

    let mut group = c.benchmark_group("linear 384x1536");
    group.sample_size(10);
    group.throughput(Throughput::Elements((rows * inputs * outputs) as u64));
    group.bench_function("candle f32", |b| {
        b.iter(|| f32_linear.forward(&xt).expect("f32"))
    });
    group.bench_function("candle q8_0", |b| b.iter(|| q8.forward(&xt).expect("q8_0")));
    group.bench_function("spinscope int8", |b| b.iter(|| ours.forward(&x, &mut y)));
    group.finish();
}

criterion_group!(benches, candidates);
criterion_main!(benches);
