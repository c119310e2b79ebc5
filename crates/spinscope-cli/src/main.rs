//! The `spinscope` binary: argument parsing and wiring; the work happens in the library crates.

mod calibrate;
mod corpus;
mod eval;
mod extraction;
mod output;
mod product;
mod progress;
mod train;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use output::{Format, Sink};
use product::{each_document, Product, ProductArgs, Read};
use progress::Progress;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const EXAMPLES: &str = "\
Examples:
  spinscope analyze examples/en-state-media.txt            table on a terminal
  spinscope analyze --format json article.txt > report.json
  spinscope analyze --format jsonl feed.jsonl other.txt     one report per line
  cat story.txt | spinscope analyze -                      read stdin
  spinscope analyze --format ptc articles/article*.txt     SemEval-2020 Task 11 lines
  spinscope analyze page.html crawl.warc.gz                 web pages and crawl archives
  spinscope extract --format json page.html                 the text and metadata analyze sees
  spinscope ingest articles/ crawl.warc.gz --db corpus      build a corpus (resumable)
  spinscope search --db corpus 'anonymous sources'           full-text search, EN and ZH
  spinscope reuse --db corpus                               passages shared across outlets
  spinscope trends --db corpus --by month                   per outlet and month, CSV
  spinscope export --db corpus --format parquet -o all.parquet
  spinscope analyze --format html story.txt > report.html  the findings on the text, offline
  spinscope serve --db corpus                               web UI on http://127.0.0.1:8000

Exit status: 0 when every input was analysed, 1 when any failed, 2 on a usage error.";

#[derive(Parser, Debug)]
#[command(
    name = "spinscope",
    version,
    about = "Shows, with evidence, how news text tries to persuade (English and Chinese).",
    after_help = EXAMPLES
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Analyse documents: plain text, JSONL (one {"id", "text", ...} object per line), HTML,
    /// WARC (gzipped or not), or stdin.
    #[command(after_help = EXAMPLES)]
    Analyze(AnalyzeArgs),
    /// Print the text and metadata `analyze` sees: the article body of an HTML page (or of each
    /// WARC response), or a text/JSONL document as read.
    Extract(ExtractArgs),
    /// Add documents to a corpus (a folder with a database and a search index): analysed once,
    /// stored with their reports; re-running adds only what is new.
    Ingest(corpus::IngestArgs),
    /// Full-text search over a corpus (English stemming, Chinese words and substrings).
    Search(corpus::SearchArgs),
    /// Clusters of documents that reprint each other, with the shared passages.
    Reuse(corpus::ReuseArgs),
    /// Per outlet and period: technique density, anonymous and self-citation shares, scare
    /// quotes.
    Trends(corpus::TrendsArgs),
    /// Every document of a corpus with its metadata and summary.
    Export(corpus::ExportArgs),
    /// A local web UI and JSON API: paste or upload an article and see the findings on the
    /// text; with --db, search, trends and reuse pages over a corpus.
    Serve(ServeArgs),
    /// Score spinscope on a public benchmark layout.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
    /// Rebuild a shipped model from public data.
    #[command(subcommand)]
    Train(train::TrainCommand),
}

#[derive(clap::Args, Debug)]
struct AnalyzeArgs {
    /// Files to analyse; `-` reads stdin. The kind (text, JSONL, HTML, WARC, gzip) is told from
    /// the content.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output format [default: table on a terminal; json for one document, jsonl for several]
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Include the document text in each report (`document.text`).
    #[arg(long)]
    include_text: bool,
    /// With `--format ptc`: classify the spans of this SemEval TC template
    /// (`article_id<TAB>?<TAB>start<TAB>end`), one label per line, in template order, by the
    /// same tier as the findings.
    #[arg(long, value_name = "TEMPLATE")]
    spans: Option<String>,
    #[command(flatten)]
    product: ProductArgs,
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// A corpus (from `spinscope ingest`) to search and chart.
    #[arg(long, value_name = "DB")]
    db: Option<std::path::PathBuf>,
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// The address to listen on; anything but loopback exposes the server to the network.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Largest request body in bytes; larger ones get HTTP 413.
    #[arg(long, default_value_t = spinscope_server::DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    #[command(flatten)]
    product: ProductArgs,
}

#[derive(clap::Args, Debug)]
struct ExtractArgs {
    /// Files to read; `-` reads stdin.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// `text`: the body alone, documents separated by a blank line; `json`: one object per
    /// document and line, {"id", "text", "title", "author", "published", "outlet", "url", "lang"}.
    #[arg(long, value_enum, default_value_t = ExtractFormat::Text)]
    format: ExtractFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ExtractFormat {
    Text,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum FormatArg {
    Json,
    Jsonl,
    Table,
    Ptc,
    /// One self-contained page: the text with its findings highlighted, charts, sourcing.
    Html,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => analyze(args),
        Command::Extract(args) => extract(args),
        Command::Ingest(args) => corpus::ingest_cmd(args),
        Command::Search(args) => corpus::search_cmd(args),
        Command::Reuse(args) => corpus::reuse_cmd(args),
        Command::Trends(args) => corpus::trends_cmd(args),
        Command::Export(args) => corpus::export_cmd(args),
        Command::Serve(args) => serve(args),
        Command::Eval(cmd) => eval::run(cmd),
        Command::Train(cmd) => train::run(cmd),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spinscope: {e:#}");
            ExitCode::from(1)
        }
    }
}

/// Analyses every input; returns whether all of them were analysed.
fn analyze(args: AnalyzeArgs) -> anyhow::Result<bool> {
    if args.spans.is_some() && args.format != Some(FormatArg::Ptc) {
        eprintln!("spinscope: --spans needs --format ptc");
        return Ok(false);
    }
    let mut product = Product::new(&args.product, args.include_text);
    if args.format == Some(FormatArg::Ptc) {
        product = product.for_ptc();
    }
    if let Some(template) = &args.spans {
        return classify_template(template, &args.files, &product);
    }
    let progress = Progress::for_output("analysed");
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let format = match args.format {
        // One page for all documents: written at the end, not streamed.
        Some(FormatArg::Html) => return analyze_html(&args.files, &product, &progress),
        Some(FormatArg::Json) => Format::Json,
        Some(FormatArg::Jsonl) => Format::Jsonl,
        Some(FormatArg::Table) => Format::Table,
        Some(FormatArg::Ptc) => Format::Ptc,
        None if terminal => Format::Table,
        None => Format::Auto,
    };
    let mut sink = Sink::new(io::BufWriter::new(stdout.lock()), format);
    let all_ok = each_document(&args.files, &progress, |read| match read {
        Read::Document(doc) => Ok(sink.write(&product.report(&doc, &|l| progress.say(l)))?),
        // Streaming outputs reach the reader file by file, not only at exit.
        Read::EndOfFile if terminal => Ok(sink.flush()?),
        Read::EndOfFile => Ok(()),
    })?;
    sink.finish()?;
    Ok(all_ok)
}

/// `analyze --format html`: every document in one self-contained page.
fn analyze_html(files: &[String], product: &Product, progress: &Progress) -> anyhow::Result<bool> {
    let mut reports = Vec::new();
    let all_ok = each_document(files, progress, |read| {
        if let Read::Document(doc) = read {
            let report = product.report(&doc, &|l| progress.say(l));
            reports.push((serde_json::to_value(&report)?, doc.text));
        }
        Ok(())
    })?;
    if !reports.is_empty() {
        let mut out = io::BufWriter::new(io::stdout().lock());
        out.write_all(spinscope_server::standalone_report(&reports).as_bytes())?;
        out.flush()?;
    }
    Ok(all_ok)
}

fn serve(args: ServeArgs) -> anyhow::Result<bool> {
    let config = spinscope_server::Config {
        host: args.host,
        port: args.port,
        db: args.db,
        body_limit: args.body_limit,
        annotator: product::learned_tier(args.product.tier, product::Tier::Full),
        ..spinscope_server::Config::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let loopback = matches!(config.host.as_str(), "127.0.0.1" | "localhost" | "::1");
    runtime.block_on(spinscope_server::serve(config, |addr| {
        eprintln!("spinscope: serving on http://{addr} (Ctrl-C stops)");
        if !loopback {
            eprintln!("spinscope: warning: listening beyond this machine; anyone who can reach {addr} can use it");
        }
    }))?;
    Ok(true)
}

fn extract(args: ExtractArgs) -> anyhow::Result<bool> {
    let mut out = io::BufWriter::new(io::stdout().lock());
    let mut first = true;
    let all_ok = each_document(&args.files, &Progress::for_output("extracted"), |read| {
        if let Read::Document(doc) = read {
            match args.format {
                ExtractFormat::Json => extraction::write_json(&mut out, &doc)?,
                ExtractFormat::Text => {
                    if !first {
                        writeln!(out)?;
                    }
                    writeln!(out, "{}", doc.text.trim_end())?;
                }
            }
            first = false;
        }
        Ok(())
    })?;
    out.flush()?;
    Ok(all_ok)
}

/// `analyze --format ptc --spans TEMPLATE`: one technique per template line, in its order.
fn classify_template(template: &str, files: &[String], product: &Product) -> anyhow::Result<bool> {
    use spinscope_core::eval::ptc::parse_labels;

    let data =
        std::fs::read_to_string(template).map_err(|e| spinscope_core::Error::io(template, e))?;
    let lines: Vec<_> = parse_labels(template, &data)?
        .into_iter()
        .map(|(id, _, span)| (id, span))
        .collect();
    let progress = Progress::for_output("read");
    let (labels, mut all_ok) = product::label_template(&lines, files, product, &progress)?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    for ((id, span), label) in lines.iter().zip(&labels) {
        match label {
            Some(l) => writeln!(out, "{id}\t{}\t{}\t{}", l.label(), span.start, span.end)?,
            None => {
                eprintln!("spinscope: {template}: no article {id} among the inputs");
                all_ok = false;
            }
        }
    }
    out.flush()?;
    Ok(all_ok)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
