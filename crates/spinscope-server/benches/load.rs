//! Load on loopback: 200 concurrent clients against one in-process server, bounded in count and
//! time. Each client sends a few small analyses (an example article as JSON); ten of them also
//! post a 5 MB text. Prints errors, latency percentiles, and the ratio to the same small
//! request sent alone in the same run (the reference).
//!
//!     cargo bench -p spinscope-server --bench load [-- CLIENTS REQUESTS]

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let clients = args.first().copied().unwrap_or(200);
    let per_client = args.get(1).copied().unwrap_or(5);
    let addr = support::start(None, spinscope_server::DEFAULT_BODY_LIMIT);
    let article = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/en-state-media.txt"),
    )
    .expect("example");
    let small = serde_json::json!({ "text": article })
        .to_string()
        .into_bytes();
    let mut big = Vec::with_capacity(5 << 20);
    while big.len() < 5 << 20 {
        big.extend_from_slice(article.as_bytes());
        big.push(b'\n');
    }

    // Reference: the small request alone, after a warm-up.
    let mut alone = Vec::new();
    for i in 0..25 {
        let t = Instant::now();
        let r = support::request(addr, "POST", "/api/analyze", "application/json", &small)
            .expect("reference");
        assert_eq!(r.status, 200);
        if i >= 5 {
            alone.push(t.elapsed());
        }
    }
    alone.sort();

    let small = Arc::new(small);
    let big = Arc::new(big);
    let latencies = Arc::new(Mutex::new((Vec::new(), Vec::new())));
    let errors = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|c| {
            let (small, big, latencies, errors) = (
                small.clone(),
                big.clone(),
                latencies.clone(),
                errors.clone(),
            );
            std::thread::spawn(move || {
                for i in 0..per_client {
                    let large = c % 20 == 0 && i == 0;
                    let (body, kind) = if large {
                        (&big[..], "text/plain")
                    } else {
                        (&small[..], "application/json")
                    };
                    let t = Instant::now();
                    match support::request(addr, "POST", "/api/analyze", kind, body) {
                        Ok(r) if r.status == 200 => {
                            let mut l = latencies.lock().expect("lock");
                            if large {
                                l.1.push(t.elapsed())
                            } else {
                                l.0.push(t.elapsed())
                            }
                        }
                        Ok(r) => errors
                            .lock()
                            .expect("lock")
                            .push(format!("HTTP {}", r.status)),
                        Err(e) => errors.lock().expect("lock").push(e.to_string()),
                    }
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    let wall = started.elapsed();
    let (mut small_l, mut big_l) = latencies.lock().expect("lock").clone();
    small_l.sort();
    big_l.sort();
    let errors = errors.lock().expect("lock").clone();
    let total = small_l.len() + big_l.len() + errors.len();
    println!(
        "{clients} concurrent clients, {total} requests in {:.1} s, {} errors{}",
        wall.as_secs_f64(),
        errors.len(),
        errors
            .first()
            .map(|e| format!(" (first: {e})"))
            .unwrap_or_default()
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let reference = percentile(&alone, 0.5);
    println!(
        "reference: one small request alone, median {:.1} ms",
        ms(reference)
    );
    println!(
        "small requests under load: p50 {:.0} ms, p99 {:.0} ms ({:.0}x the reference)",
        ms(percentile(&small_l, 0.5)),
        ms(percentile(&small_l, 0.99)),
        ms(percentile(&small_l, 0.99)) / ms(reference).max(1e-9)
    );
    println!(
        "5 MB requests under load: {} done, max {:.1} s",
        big_l.len(),
        percentile(&big_l, 1.0).as_secs_f64()
    );
    if !errors.is_empty() {
        std::process::exit(1);
    }
}
