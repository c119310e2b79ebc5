//! The int8 products on the encoder's shapes (e5-small: 384 hidden, 1536 intermediate, a batch
//! of 2,048 tokens), VNNI against the portable kernel in the same run:
//! `cargo bench -p spinscope-int8`. Criterion reports each as elements (multiply-adds) per second.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use spinscope_kernels::testing::values;
use spinscope_kernels::{int8::Linear, Kernel};

fn products(c: &mut Criterion) {
    let rows = 2048;
    let mut group = c.benchmark_group("linear");
    group.sample_size(10);
    for (outputs, inputs) in [(384, 384), (1152, 384), (1536, 384), (384, 1536)] {
        let linear = Linear::new(
            &values(outputs * inputs, 1),
            &values(outputs, 2),
            outputs,
            inputs,
        );
        let x = values(rows * inputs, 3);
        let mut y = vec![0f32; rows * outputs];
        group.throughput(Throughput::Elements((rows * outputs * inputs) as u64));
        let kernels = [Some(Kernel::portable()), Kernel::vnni()];
        for kernel in kernels.into_iter().flatten() {
            let id = BenchmarkId::new(kernel.name(), format!("{outputs}x{inputs}"));
            group.bench_function(id, |b| b.iter(|| linear.forward_with(kernel, &x, &mut y)));
        }
    }
    group.finish();
}

criterion_group!(benches, products);
criterion_main!(benches);
