//! The native half of the `spinscope` Python package: reports as JSON strings, built by the same
//! engine and serializer as the CLI, so `spinscope.analyze` and `spinscope analyze --format json`
//! agree byte for byte. The Python half (`python/spinscope/`) turns them into dicts and Arrow.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, OnceLock};

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use spinscope_core::{analyze, analyze_with, Document, Options};
use spinscope_model::FullTier;

fn document(id: String, text: String, outlet: Option<String>, title: Option<String>) -> Document {
    Document {
        outlet,
        title,
        ..Document::from_text(id, text)
    }
}

fn report_json(doc: &Document, options: &Options) -> PyResult<String> {
    to_json(&analyze(doc, options))
}

/// The thresholds asked for: `min_score` (kind → least score) replaces the shipped ones, `all`
/// shows everything, as `--min-score KIND=P` and `--all` do.
fn options(min_score: Option<Vec<(String, f32)>>, all: bool) -> PyResult<Options> {
    use spinscope_core::analyze::calibration::KINDS;
    let min_score = min_score.unwrap_or_default();
    for (kind, p) in &min_score {
        if !KINDS.contains(&kind.as_str()) {
            return Err(PyValueError::new_err(format!(
                "min_score: {kind:?} is not one of {}",
                KINDS.join(", ")
            )));
        }
        if !(0.0..=1.0).contains(p) {
            return Err(PyValueError::new_err(format!(
                "min_score: {kind}={p} is not between 0 and 1"
            )));
        }
    }
    Ok(Options {
        min_score,
        all,
        ..Options::default()
    })
}

fn to_json(report: &spinscope_core::Report) -> PyResult<String> {
    serde_json::to_string(report)
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

/// Whether the full tier (the learned encoder) was asked for.
fn check_tier(tier: Option<&str>) -> PyResult<bool> {
    match tier {
        None | Some("fast") => Ok(false),
        Some("full") => Ok(true),
        Some(other) => Err(PyValueError::new_err(format!(
            "tier must be 'fast' or 'full', not {other:?}"
        ))),
    }
}

/// The full tier, loaded on first use and kept for the process (the encoder is memory-mapped
/// once, as the CLI does), or why it could not load.
fn full_tier() -> Result<&'static FullTier, String> {
    static TIER: OnceLock<Result<FullTier, String>> = OnceLock::new();
    TIER.get_or_init(|| FullTier::load().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(Clone::clone)
}

/// Analyses one text; returns the `spinscope/report@1` JSON and, where the full tier was asked
/// for and could not run, why (the Python side warns with it).
#[pyfunction]
#[pyo3(signature = (text, *, id = "text".to_string(), lang = "auto", outlet = None, title = None, tier = None, min_score = None, all = false))]
#[allow(clippy::too_many_arguments)] // keyword arguments of one Python function
fn analyze_json(
    py: Python<'_>,
    text: String,
    id: String,
    lang: &str,
    outlet: Option<String>,
    title: Option<String>,
    tier: Option<&str>,
    min_score: Option<Vec<(String, f32)>>,
    all: bool,
) -> PyResult<(String, Option<String>)> {
    check_lang(lang)?;
    let full = check_tier(tier)?;
    let options = options(min_score, all)?;
    let doc = document(id, text, outlet, title);
    if !full {
        return Ok((py.detach(|| report_json(&doc, &options))?, None));
    }
    py.detach(|| match full_tier() {
        Ok(tier) => {
            let (report, failed) = analyze_with(&doc, &options, Some(tier));
            let note = failed.map(|w| {
                format!(
                    "the full tier failed on this text ({w}); the report holds the rules' findings"
                )
            });
            Ok((to_json(&report)?, note))
        }
        Err(why) => Ok((
            report_json(&doc, &options)?,
            Some(format!(
                "{why}; using the fast tier (rules and linear models)"
            )),
        )),
    })
}

/// Analyses many texts on `threads` threads (default: all cores) with the GIL released; the
/// reports come back as dicts, in input order. This thread turns each finished report into a
/// dict (`json.loads`, which needs the GIL) while the workers go on analysing, so the
/// conversion overlaps the analysis instead of following it.
#[pyfunction]
#[pyo3(signature = (texts, *, threads = None))]
fn analyze_many(
    py: Python<'_>,
    texts: Vec<String>,
    threads: Option<usize>,
) -> PyResult<Vec<Py<PyAny>>> {
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
    let loads = py.import("json")?.getattr("loads")?;
    let mut out: Vec<Option<Py<PyAny>>> = Vec::new();
    out.resize_with(docs.len(), || None);
    let next = AtomicUsize::new(0);
    let (sender, mut receiver) = mpsc::channel::<(usize, PyResult<String>)>();
    std::thread::scope(|scope| -> PyResult<()> {
        for _ in 0..threads.min(docs.len()) {
            let sender = sender.clone();
            let (docs, next) = (&docs, &next);
            scope.spawn(move || loop {
                // Work stealing by index: long and short articles even out across threads.
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(doc) = docs.get(i) else { break };
                if sender
                    .send((i, report_json(doc, &Options::default())))
                    .is_err()
                {
                    break; // the caller stopped on an error
                }
            });
        }
        drop(sender);
        loop {
            // Wait without the GIL, so Python threads run meanwhile.
            let (back, message) = py.detach(move || {
                let message = receiver.recv();
                (receiver, message)
            });
            receiver = back;
            let Ok((i, report)) = message else { break };
            out[i] = Some(loads.call1((report?,))?.unbind());
        }
        Ok(())
    })?;
    out.into_iter()
        .map(|r| r.ok_or_else(|| PyRuntimeError::new_err("a document was not analysed")))
        .collect()
}

#[pymodule]
fn _spinscope(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(analyze_json, m)?)?;
    m.add_function(wrap_pyfunction!(analyze_many, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
