//! The native half of the `spinscope` Python package: reports as JSON strings, built by the same
//! engine and serializer as the CLI, so `spinscope.analyze` and `spinscope analyze --format json`
//! agree byte for byte. The Python half (`python/spinscope/`) turns them into dicts and Arrow.

use std::sync::atomic::{AtomicUsize, Ordering};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use spinscope_core::{analyze, Document, Options};

fn document(id: String, text: String, outlet: Option<String>, title: Option<String>) -> Document {
    Document {
        outlet,
        title,
        ..Document::from_text(id, text)
    }
}

fn report_json(doc: &Document) -> PyResult<String> {
    serde_json::to_string(&analyze(doc, &Options::default()))
        .map_err(|e| PyRuntimeError::new_err(format!("could not serialize the report: {e}")))
}

/// `lang` is a hint the engine does not need: it detects the language of every sentence.
fn check_lang(lang: &str) -> PyResult<()> {
    match lang {
        "auto" | "en" | "zh" => Ok(()),
        other => Err(PyValueError::new_err(format!(
            "lang must be 'auto', 'en' or 'zh', not {other:?}"
        ))),
    }
}

/// The tier to run; `full` (the learned encoder) is not in this build and falls back to `fast`.
fn check_tier(tier: Option<&str>) -> PyResult<bool> {
    match tier {
        None | Some("fast") => Ok(false),
        Some("full") => Ok(true),
        Some(other) => Err(PyValueError::new_err(format!(
            "tier must be 'fast' or 'full', not {other:?}"
        ))),
    }
}

/// Analyses one text; returns the `spinscope/report@1` JSON and whether the full tier was asked
/// for (so the Python side can warn that it fell back).
#[pyfunction]
#[pyo3(signature = (text, *, id = "text".to_string(), lang = "auto", outlet = None, title = None, tier = None))]
fn analyze_json(
    py: Python<'_>,
    text: String,
    id: String,
    lang: &str,
    outlet: Option<String>,
    title: Option<String>,
    tier: Option<&str>,
) -> PyResult<(String, bool)> {
    check_lang(lang)?;
    let full = check_tier(tier)?;
    let doc = document(id, text, outlet, title);
    let json = py.detach(|| report_json(&doc))?;
    Ok((json, full))
}

/// Analyses many texts on `threads` threads (default: all cores) with the GIL released; reports
/// come back in input order.
#[pyfunction]
#[pyo3(signature = (texts, *, threads = None))]
fn analyze_many_json(
    py: Python<'_>,
    texts: Vec<String>,
    threads: Option<usize>,
) -> PyResult<Vec<String>> {
    let threads = match threads {
        Some(0) => return Err(PyValueError::new_err("threads must be at least 1")),
        Some(n) => n,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    // Named as `analyze` names them, so a loop of `analyze` gives identical reports.
    let docs: Vec<Document> = texts
        .into_iter()
        .map(|text| Document::from_text("text", text))
        .collect();
    py.detach(|| {
        let next = AtomicUsize::new(0);
        let mut slots: Vec<Option<PyResult<String>>> = Vec::new();
        slots.resize_with(docs.len(), || None);
        let results = std::sync::Mutex::new(slots);
        std::thread::scope(|scope| {
            for _ in 0..threads.min(docs.len().max(1)) {
                scope.spawn(|| loop {
                    // Work stealing by index: long and short articles even out across threads.
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(doc) = docs.get(i) else { break };
                    let report = report_json(doc);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(report);
                    }
                });
            }
        });
        let slots = results
            .into_inner()
            .map_err(|_| PyRuntimeError::new_err("a worker thread failed"))?;
        slots
            .into_iter()
            .map(|s| {
                s.unwrap_or_else(|| Err(PyRuntimeError::new_err("a document was not analysed")))
            })
            .collect()
    })
}

#[pymodule]
fn _spinscope(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyze_json, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_many_json, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
