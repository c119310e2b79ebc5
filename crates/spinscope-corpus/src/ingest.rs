//! `ingest`: read inputs, analyse new documents on every core, store them.
//!
//! One reader thread walks the inputs and drops documents whose content hash is already stored;
//! analysis workers run in parallel; the calling thread writes batches in input order, each batch
//! one SQLite transaction, then feeds the search index. Files read to the end are recorded with
//! their size and time and skipped next time; a killed run leaves whole batches only, and the
//! rerun stores the rest.

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use spinscope_core::ingest::{documents, Input};
use spinscope_core::{analyze_with, Annotator, Document, Options};
use xxhash_rust::xxh3::Xxh3;

use crate::shingles;
use crate::store::{InputStamp, Meta, NewDocument};
use crate::{Corpus, Result};

/// Documents per SQLite transaction.
const BATCH: usize = 512;
/// Longest wait before a partial batch is written, so a slow input still makes progress.
const BATCH_WAIT: Duration = Duration::from_secs(2);
/// Documents between search-index commits.
const INDEX_COMMIT: usize = 20_000;

#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Analysis threads (0: one per core).
    pub threads: usize,
    /// A tier run after the rules (the learned tier); `None`: rules only.
    pub annotator: Option<Arc<dyn Annotator>>,
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// Documents stored by this run.
    pub added: u64,
    /// Documents read whose content was already stored.
    pub known: u64,
    /// Input files skipped whole: read to the end by an earlier run and unchanged since.
    pub inputs_skipped: u64,
    /// Inputs or records that could not be read (each reported).
    pub failed: u64,
}

/// The content hash that makes ingest idempotent: the same text from the same outlet under the
/// same id and URL is the same document, wherever the file lies.
pub fn content_hash(doc: &Document) -> u128 {
    let mut h = Xxh3::new();
    for part in [
        Some(doc.id.as_str()),
        doc.outlet.as_deref(),
        doc.url.as_deref(),
        Some(doc.text.as_str()),
    ] {
        h.update(part.unwrap_or("").as_bytes());
        h.update(&[0x1f]);
    }
    h.digest128()
}

/// One input to read: a file (with its stamp) or stdin.
#[derive(Debug)]
struct Source {
    /// As the user named it (messages, `document.source`).
    name: String,
    /// Canonical path and stamp of a regular file; `None` for stdin.
    file: Option<(String, InputStamp)>,
}

enum Work {
    Document {
        seq: u64,
        // Boxed: a document is large next to the other message.
        doc: Box<Document>,
        hash: u128,
    },
    InputDone {
        seq: u64,
        path: String,
        stamp: InputStamp,
        documents: usize,
    },
}

enum Done {
    Document(Box<NewDocument>),
    InputDone(String, InputStamp, usize),
}

/// Ingests every document under `paths` (files, folders recursively, `-` for stdin) into the
/// corpus. Unreadable inputs and records go to `report` one line each and the run goes on.
pub fn ingest(
    corpus: &mut Corpus,
    paths: &[String],
    options: &IngestOptions,
    report: &(dyn Fn(&str) + Sync),
) -> Result<IngestStats> {
    let mut writer = corpus.index.writer()?;
    corpus.index.catch_up(&corpus.store, &mut writer)?;

    let failed = AtomicU64::new(0);
    let fail = |msg: &str| {
        failed.fetch_add(1, Ordering::Relaxed);
        report(msg);
    };
    let sources = expand(paths, corpus.dir(), &fail);
    let finished = corpus.store.finished_inputs()?;
    let mut known = corpus.store.hashes()?;

    let total: u64 = sources
        .iter()
        .filter_map(|s| s.file.as_ref())
        .map(|f| f.1.size)
        .sum();
    let bar = progress_bar(options.progress, total);
    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };

    let known_count = AtomicU64::new(0);
    let skipped = AtomicU64::new(0);
    let mut added = 0u64;
    let (work_tx, work_rx) = sync_channel::<Work>(threads * 64);
    let (done_tx, done_rx) = sync_channel::<(u64, Done)>(threads * 64);
    let work_rx = Arc::new(Mutex::new(work_rx));

    let written = std::thread::scope(|scope| {
        let (bar_r, known_count, skipped, fail) = (&bar, &known_count, &skipped, &fail);
        let finished = &finished;
        let known = &mut known;
        scope.spawn(move || {
            let mut seq = 0u64;
            for source in &sources {
                if let Some((path, stamp)) = &source.file {
                    if finished.get(path) == Some(stamp) {
                        skipped.fetch_add(1, Ordering::Relaxed);
                        bar_r.inc(stamp.size);
                        continue;
                    }
                }
                let input = match open(source, bar_r) {
                    Ok(input) => input,
                    Err(e) => {
                        fail(&e.to_string());
                        continue;
                    }
                };
                let docs = match documents(input) {
                    Ok(docs) => docs,
                    Err(e) => {
                        fail(&e.to_string());
                        continue;
                    }
                };
                let mut count = 0;
                for loaded in docs {
                    match loaded {
                        Ok(loaded) => {
                            if let Some(w) = &loaded.warning {
                                report(&format!("warning: {w}"));
                            }
                            count += 1;
                            let hash = content_hash(&loaded.document);
                            if !known.insert(hash) {
                                known_count.fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                            let work = Work::Document {
                                seq,
                                doc: Box::new(loaded.document),
                                hash,
                            };
                            seq += 1;
                            if work_tx.send(work).is_err() {
                                return; // the writer stopped on an error
                            }
                        }
                        Err(e) => fail(&e.to_string()),
                    }
                }
                if let Some((path, stamp)) = &source.file {
                    let work = Work::InputDone {
                        seq,
                        path: path.clone(),
                        stamp: *stamp,
                        documents: count,
                    };
                    seq += 1;
                    if work_tx.send(work).is_err() {
                        return;
                    }
                }
            }
        });
        for _ in 0..threads {
            let (work_rx, done_tx) = (Arc::clone(&work_rx), done_tx.clone());
            let extra = options.annotator.as_deref();
            scope.spawn(move || analyse_loop(&work_rx, &done_tx, extra, report));
        }
        // Only the workers hold these now: when the writer stops, everything upstream stops too.
        drop(done_tx);
        drop(work_rx);
        write_in_order(corpus, &mut writer, done_rx, &bar, known_count, &mut added)
    });
    bar.finish_and_clear();
    written?;
    writer.commit()?;
    writer.close()?;
    Ok(IngestStats {
        added,
        known: known_count.into_inner(),
        inputs_skipped: skipped.into_inner(),
        failed: failed.into_inner(),
    })
}

fn analyse_loop(
    work: &Mutex<Receiver<Work>>,
    done: &std::sync::mpsc::SyncSender<(u64, Done)>,
    extra: Option<&dyn Annotator>,
    report: &(dyn Fn(&str) + Sync),
) {
    loop {
        let next = match work.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let item = match next {
            Ok(Work::Document { seq, doc, hash }) => {
                let id = doc.id.clone();
                let (new, warning) = analysed_with(*doc, hash, extra);
                if let Some(w) = warning {
                    report(&format!(
                        "{id}: the learned tier failed ({w}); stored the rules' findings"
                    ));
                }
                (seq, Done::Document(Box::new(new)))
            }
            Ok(Work::InputDone {
                seq,
                path,
                stamp,
                documents,
            }) => (seq, Done::InputDone(path, stamp, documents)),
            Err(_) => return,
        };
        if done.send(item).is_err() {
            return;
        }
    }
}

/// Analyses one document with the rule tier and signs it for reuse detection.
pub fn analysed(doc: Document, hash: u128) -> NewDocument {
    analysed_with(doc, hash, None).0
}

/// As [`analysed`], with a further tier after the rules; a warning when that tier failed.
pub fn analysed_with(
    doc: Document,
    hash: u128,
    extra: Option<&dyn Annotator>,
) -> (NewDocument, Option<String>) {
    let (report, warning) = analyze_with(&doc, &Options::default(), extra);
    let s = &report.summary;
    let signature = shingles::signature(&shingles::shingles(&shingles::tokens(&doc.text)))
        .map(|sig| shingles::to_bytes(&sig));
    let new = NewDocument {
        hash,
        meta: Meta {
            key: 0,
            id: doc.id,
            source: doc.source,
            outlet: doc.outlet,
            published: doc.published,
            url: doc.url,
            title: doc.title,
            author: doc.author,
            lang: report.document.lang.clone(),
        },
        chars: report.document.chars,
        words: report.words,
        techniques: s.techniques.values().sum(),
        attributions: s.attributions.total,
        named: s.attributions.named,
        anonymous: s.attributions.anonymous,
        self_citations: s.attributions.self_citation,
        scare_quotes: s.scare_quotes,
        claims: s.claims,
        summary: serde_json::to_string(&report.summary).unwrap_or_default(),
        findings: serde_json::to_string(&report.findings).unwrap_or_default(),
        signature,
        text: doc.text,
    };
    (new, warning)
}

/// Puts the workers' results back in reading order and writes them in batches.
fn write_in_order(
    corpus: &mut Corpus,
    writer: &mut crate::index::Writer,
    done: Receiver<(u64, Done)>,
    bar: &ProgressBar,
    known: &AtomicU64,
    added: &mut u64,
) -> Result<()> {
    let mut pending = BTreeMap::new();
    let mut next = 0u64;
    let mut docs = Vec::with_capacity(BATCH);
    let mut inputs = Vec::new();
    let mut since_commit = 0usize;
    let mut last_write = Instant::now();
    let mut flush =
        |docs: &mut Vec<NewDocument>, inputs: &mut Vec<_>, added: &mut u64| -> Result<()> {
            let keys = corpus.store.write(docs, inputs)?;
            // INSERT OR IGNORE skipped nothing here (the reader filters hashes), so keys and
            // documents pair up; a mismatch would mean a concurrent writer, and then the index
            // catches up from the database on the next run.
            if keys.len() == docs.len() {
                for (key, d) in keys.iter().zip(docs.iter()) {
                    let meta = Meta {
                        key: *key,
                        ..d.meta.clone()
                    };
                    writer.add(&meta, &d.text)?;
                }
            }
            *added += keys.len() as u64;
            since_commit += keys.len();
            if since_commit >= INDEX_COMMIT {
                writer.commit()?;
                since_commit = 0;
            }
            docs.clear();
            inputs.clear();
            Ok(())
        };
    loop {
        let received = done.recv_timeout(BATCH_WAIT);
        let finished = match received {
            Ok((seq, item)) => {
                pending.insert(seq, item);
                false
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => false,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => true,
        };
        while let Some(item) = pending.remove(&next) {
            next += 1;
            match item {
                Done::Document(d) => docs.push(*d),
                Done::InputDone(path, stamp, n) => inputs.push((path, stamp, n)),
            }
        }
        if docs.len() >= BATCH || finished || last_write.elapsed() >= BATCH_WAIT {
            if !docs.is_empty() || !inputs.is_empty() {
                flush(&mut docs, &mut inputs, added)?;
            }
            last_write = Instant::now();
            bar.set_message(format!(
                "{} new, {} already stored",
                *added,
                known.load(Ordering::Relaxed)
            ));
        }
        if finished {
            return Ok(());
        }
    }
}

fn progress_bar(show: bool, total: u64) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {elapsed_precise} [{bar:30}] {bytes}/{total_bytes} ({eta}) {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Counts the bytes a reader hands out on the progress bar.
struct Counting<R> {
    inner: R,
    bar: ProgressBar,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

fn open(source: &Source, bar: &ProgressBar) -> spinscope_core::Result<Input> {
    if source.file.is_none() {
        return Input::open(&source.name);
    }
    let file = File::open(&source.name).map_err(|e| spinscope_core::Error::io(&source.name, e))?;
    Ok(Input::from_reader(
        &source.name,
        Counting {
            inner: file,
            bar: bar.clone(),
        },
    ))
}

/// Files under the given paths: folders walked recursively in name order, hidden entries and
/// the corpus folder itself left out.
fn expand(paths: &[String], corpus_dir: &Path, fail: &dyn Fn(&str)) -> Vec<Source> {
    let corpus_dir = std::fs::canonicalize(corpus_dir).ok();
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        if path == "-" {
            out.push(Source {
                name: "-".into(),
                file: None,
            });
            continue;
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(
                Path::new(path),
                corpus_dir.as_deref(),
                &mut out,
                &mut seen,
                fail,
            ),
            Ok(_) => push_file(PathBuf::from(path), &mut out, &mut seen, fail),
            Err(e) => fail(&spinscope_core::Error::io(path, e).to_string()),
        }
    }
    out
}

fn walk(
    dir: &Path,
    skip: Option<&Path>,
    out: &mut Vec<Source>,
    seen: &mut HashSet<String>,
    fail: &dyn Fn(&str),
) {
    if skip.is_some() && std::fs::canonicalize(dir).ok().as_deref() == skip {
        return;
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) => {
            return fail(&spinscope_core::Error::io(&dir.display().to_string(), e).to_string())
        }
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        })
        .collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, skip, out, seen, fail);
        } else if p.is_file() {
            push_file(p, out, seen, fail);
        }
    }
}

fn push_file(
    path: PathBuf,
    out: &mut Vec<Source>,
    seen: &mut HashSet<String>,
    fail: &dyn Fn(&str),
) {
    let name = path.display().to_string();
    let stamp = std::fs::metadata(&path).and_then(|m| {
        let modified = m.modified()?.duration_since(UNIX_EPOCH).unwrap_or_default();
        Ok(InputStamp {
            size: m.len(),
            modified: modified.as_nanos() as i64,
        })
    });
    let canonical = std::fs::canonicalize(&path);
    match (stamp, canonical) {
        (Ok(stamp), Ok(canonical)) => {
            let canonical = canonical.display().to_string();
            // The same file named twice is read once.
            if seen.insert(canonical.clone()) {
                out.push(Source {
                    name,
                    file: Some((canonical, stamp)),
                });
            }
        }
        (Err(e), _) | (_, Err(e)) => fail(&spinscope_core::Error::io(&name, e).to_string()),
    }
}
