//! The corpus commands: `ingest`, `search`, `reuse`, `trends`, `export`.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::ValueEnum;
use serde_json::json;
use spinscope_corpus::export::{self, ExportOptions};
use spinscope_corpus::ingest::{ingest, IngestOptions};
use spinscope_corpus::reuse::{self, ReuseOptions};
use spinscope_corpus::trends::{self, By};
use spinscope_corpus::{Corpus, Filter};

use crate::product::{learned_tier, Tier};

#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// Files and folders (read recursively) to add: text, JSONL, HTML, WARC, gzipped or not;
    /// `-` reads stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// The corpus folder (created when absent).
    #[arg(long, value_name = "DB")]
    db: PathBuf,
    /// `fast` (the default for corpora): rules and linear models; `full` adds the multilingual
    /// encoder's findings (about 700 tokens/s on two cores: hours for a large corpus).
    #[arg(long, value_enum)]
    tier: Option<Tier>,
    /// Analysis threads [default: one per core].
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(clap::Args, Debug)]
pub struct SearchArgs {
    #[arg(long, value_name = "DB")]
    db: PathBuf,
    /// Words or phrases ("..."), English or Chinese; AND, OR, -word as in most search boxes.
    query: String,
    /// Only this outlet (exactly as stored).
    #[arg(long)]
    outlet: Option<String>,
    /// Only documents in this language (`en`, `zh`).
    #[arg(long)]
    lang: Option<String>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    format: Option<ListFormat>,
}

#[derive(clap::Args, Debug)]
pub struct ReuseArgs {
    #[arg(long, value_name = "DB")]
    db: PathBuf,
    /// [default: table on a terminal, json otherwise]
    #[arg(long, value_enum)]
    format: Option<ListFormat>,
    /// Share of the shorter document that shared passages must cover.
    #[arg(long, default_value_t = 0.5)]
    min_share: f64,
}

#[derive(clap::Args, Debug)]
pub struct TrendsArgs {
    #[arg(long, value_name = "DB")]
    db: PathBuf,
    /// `outlet`: one row per outlet; `month`: one per outlet and month.
    #[arg(long, value_enum, default_value_t = ByArg::Month)]
    by: ByArg,
    #[arg(long, value_enum, default_value_t = TrendsFormat::Csv)]
    format: TrendsFormat,
}

#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    #[arg(long, value_name = "DB")]
    db: PathBuf,
    #[arg(long, value_enum)]
    format: ExportFormat,
    /// Write here instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Add each document's text.
    #[arg(long)]
    include_text: bool,
    /// Add each document's findings (JSON).
    #[arg(long)]
    include_findings: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Json,
    Table,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByArg {
    Outlet,
    Month,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrendsFormat {
    Csv,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Jsonl,
    Csv,
    Parquet,
}

fn open(db: &std::path::Path) -> anyhow::Result<Corpus> {
    Corpus::open(db).with_context(|| format!("{}", db.display()))
}

fn list_format(format: Option<ListFormat>) -> ListFormat {
    format.unwrap_or(if io::stdout().is_terminal() {
        ListFormat::Table
    } else {
        ListFormat::Json
    })
}

pub fn ingest_cmd(args: IngestArgs) -> anyhow::Result<bool> {
    let annotator = learned_tier(args.tier, Tier::Fast);
    let terminal = io::stderr().is_terminal();
    let started = Instant::now();
    let mut corpus =
        Corpus::create_or_open(&args.db).with_context(|| format!("{}", args.db.display()))?;
    let options = IngestOptions {
        progress: terminal,
        threads: args.threads,
        annotator,
    };
    let report = |msg: &str| {
        eprintln!("spinscope: {msg}");
    };
    let stats = ingest(&mut corpus, &args.paths, &options, &report)
        .with_context(|| format!("{}", args.db.display()))?;
    if terminal {
        let secs = started.elapsed().as_secs_f64();
        eprintln!(
            "spinscope: {}: {} new documents, {} already stored, {} unchanged files skipped, {} failed ({:.1} s, {:.0} new documents/s)",
            args.db.display(),
            stats.added,
            stats.known,
            stats.inputs_skipped,
            stats.failed,
            secs,
            stats.added as f64 / secs.max(1e-9)
        );
    }
    Ok(stats.failed == 0)
}

pub fn search_cmd(args: SearchArgs) -> anyhow::Result<bool> {
    let corpus = open(&args.db)?;
    let filter = Filter {
        outlet: args.outlet,
        lang: args.lang,
    };
    let hits = corpus
        .search(&args.query, &filter, args.limit)
        .with_context(|| format!("{}", args.db.display()))?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match list_format(args.format) {
        ListFormat::Json => {
            let hits: Vec<_> = hits.iter().map(spinscope_corpus::index::hit_json).collect();
            serde_json::to_writer_pretty(&mut out, &json!({ "hits": hits }))?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            if hits.is_empty() {
                writeln!(out, "no documents match {:?}", args.query)?;
            }
            let bold = io::stdout().is_terminal();
            for (i, h) in hits.iter().enumerate() {
                writeln!(
                    out,
                    "{:>3}. {:.2}  {}  {}  {}",
                    i + 1,
                    h.score,
                    h.meta.outlet.as_deref().unwrap_or("-"),
                    h.meta.id,
                    h.meta.title.as_deref().unwrap_or("")
                )?;
                writeln!(out, "     {}", highlight(&h.snippet, &h.highlights, bold))?;
            }
        }
    }
    out.flush()?;
    Ok(true)
}

/// The snippet with its matches in bold (a terminal) or between « » (a pipe).
fn highlight(snippet: &str, ranges: &[std::ops::Range<usize>], bold: bool) -> String {
    let (open, close) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    let mut out = String::new();
    for (i, c) in snippet.chars().enumerate() {
        if ranges.iter().any(|r| r.start == i) {
            out.push_str(open);
        }
        out.push(if c == '\n' { ' ' } else { c });
        if ranges.iter().any(|r| r.end == i + 1) {
            out.push_str(close);
        }
    }
    out
}

pub fn reuse_cmd(args: ReuseArgs) -> anyhow::Result<bool> {
    let corpus = open(&args.db)?;
    let options = ReuseOptions {
        min_share: args.min_share,
        ..ReuseOptions::default()
    };
    let (clusters, stats) =
        reuse::clusters(&corpus, &options).with_context(|| format!("{}", args.db.display()))?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match list_format(args.format) {
        ListFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &json!({ "clusters": clusters, "stats": stats }),
            )?;
            writeln!(out)?;
        }
        ListFormat::Table => {
            writeln!(
                out,
                "{} clusters among {} documents ({} candidate pairs, {} confirmed)",
                stats.clusters, stats.documents, stats.candidate_pairs, stats.verified_pairs
            )?;
            for c in &clusters {
                writeln!(
                    out,
                    "\n{}  {} documents, {} shared characters",
                    c.id,
                    c.members.len(),
                    c.shared_chars
                )?;
                for m in &c.members {
                    writeln!(
                        out,
                        "  {:<20} {:<12} {:>6}-{:<6} {}  {}",
                        m.outlet.as_deref().unwrap_or("-"),
                        m.published
                            .as_deref()
                            .map_or("-", |p| &p[..p.len().min(10)]),
                        m.start,
                        m.end,
                        m.document,
                        m.title.as_deref().unwrap_or("")
                    )?;
                }
            }
        }
    }
    out.flush()?;
    Ok(true)
}

pub fn trends_cmd(args: TrendsArgs) -> anyhow::Result<bool> {
    let corpus = open(&args.db)?;
    let by = match args.by {
        ByArg::Outlet => By::Outlet,
        ByArg::Month => By::Month,
    };
    let rows =
        trends::trends(&corpus.store, by).with_context(|| format!("{}", args.db.display()))?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    match args.format {
        TrendsFormat::Csv => trends::write_csv(&mut out, &rows)?,
        TrendsFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &json!({ "trends": rows }))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(true)
}

pub fn export_cmd(args: ExportArgs) -> anyhow::Result<bool> {
    let corpus = open(&args.db)?;
    let format = match args.format {
        ExportFormat::Jsonl => export::Format::Jsonl,
        ExportFormat::Csv => export::Format::Csv,
        ExportFormat::Parquet => export::Format::Parquet,
    };
    let options = ExportOptions {
        text: args.include_text,
        findings: args.include_findings,
    };
    let n = match &args.output {
        Some(path) => {
            let file =
                std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
            export::export(&corpus.store, format, options, io::BufWriter::new(file))
                .with_context(|| format!("{}", path.display()))?
        }
        None => {
            if format == export::Format::Parquet && io::stdout().is_terminal() {
                anyhow::bail!("Parquet is binary: give --output FILE or redirect stdout");
            }
            export::export(
                &corpus.store,
                format,
                options,
                io::BufWriter::new(io::stdout()),
            )?
        }
    };
    if io::stderr().is_terminal() {
        eprintln!("spinscope: exported {n} documents");
    }
    Ok(true)
}
