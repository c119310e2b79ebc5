//! The `spinscope` binary: argument parsing and wiring; the work happens in the library crates.

mod corpus;
mod eval;
mod extraction;
mod output;
mod progress;
mod train;

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use spinscope_core::ingest::{self, Input};
use spinscope_core::{analyze_with, Annotator, Document, Options};

use output::{Format, Sink};
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
    /// (`article_id<TAB>?<TAB>start<TAB>end`), one label per line, in template order.
    #[arg(long, value_name = "TEMPLATE")]
    spans: Option<String>,
    /// `fast`: rules and the small linear models; `full`: adds the multilingual encoder's
    /// findings [default: full when the encoder is installed (scripts/fetch-model), else fast
    /// with a notice; SPINSCOPE_TIER overrides]
    #[arg(long, value_enum, env = "SPINSCOPE_TIER")]
    tier: Option<Tier>,
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
    /// `fast`: rules and linear models; `full`: adds the multilingual encoder [default: full
    /// when the encoder is installed, else fast with a notice; SPINSCOPE_TIER overrides]
    #[arg(long, value_enum, env = "SPINSCOPE_TIER")]
    tier: Option<Tier>,
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

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Tier {
    Fast,
    Full,
}

/// The learned tier when asked for (or by default) and installed; otherwise `None`, with a
/// one-line notice saying why the rules run alone.
fn learned_tier(asked: Option<Tier>, default: Tier) -> Option<Arc<dyn Annotator>> {
    if asked.unwrap_or(default) == Tier::Fast {
        return None;
    }
    match spinscope_model::FullTier::load() {
        Ok(tier) => Some(Arc::new(tier)),
        Err(e) => {
            eprintln!("spinscope: note: {e}; using the fast tier (rules and linear models)");
            None
        }
    }
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
    if let Some(template) = &args.spans {
        if args.format != Some(FormatArg::Ptc) {
            eprintln!("spinscope: --spans needs --format ptc");
            return Ok(false);
        }
        return classify_template(template, &args.files);
    }
    let tier = learned_tier(args.tier, Tier::Full);
    let progress = Progress::for_output("analysed");
    let analyse = |doc: &spinscope_core::Document, options: &Options| {
        let (report, warning) = analyze_with(doc, options, tier.as_deref());
        if let Some(w) = warning {
            progress.say(&format!(
                "warning: {}: the full tier failed ({w}); the report holds the rules' findings",
                doc.source
            ));
        }
        report
    };
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    let format = match args.format {
        // One page for all documents: written at the end, not streamed.
        Some(FormatArg::Html) => return analyze_html(&args.files, &analyse, &progress),
        Some(FormatArg::Json) => Format::Json,
        Some(FormatArg::Jsonl) => Format::Jsonl,
        Some(FormatArg::Table) => Format::Table,
        Some(FormatArg::Ptc) => Format::Ptc,
        None if terminal => Format::Table,
        None => Format::Auto,
    };
    let options = Options {
        include_text: args.include_text,
        for_scoring: format == Format::Ptc,
    };
    let mut sink = Sink::new(io::BufWriter::new(stdout.lock()), format);
    let all_ok = each_document(&args.files, &progress, |read| match read {
        Read::Document(doc) => Ok(sink.write(&analyse(&doc, &options))?),
        // Streaming outputs reach the reader file by file, not only at exit.
        Read::EndOfFile if terminal => Ok(sink.flush()?),
        Read::EndOfFile => Ok(()),
    })?;
    sink.finish()?;
    Ok(all_ok)
}

/// `analyze --format html`: every document in one self-contained page.
fn analyze_html(
    files: &[String],
    analyse: &dyn Fn(&spinscope_core::Document, &Options) -> spinscope_core::Report,
    progress: &Progress,
) -> anyhow::Result<bool> {
    let mut reports = Vec::new();
    let all_ok = each_document(files, progress, |read| {
        if let Read::Document(doc) = read {
            let report = analyse(&doc, &Options::default());
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
        annotator: learned_tier(args.tier, Tier::Full),
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
fn classify_template(template: &str, files: &[String]) -> anyhow::Result<bool> {
    use spinscope_core::analyze::techniques::classify_spans;
    use spinscope_core::eval::ptc::parse_labels;
    use spinscope_core::report::ptc_article_id;

    let data =
        std::fs::read_to_string(template).map_err(|e| spinscope_core::Error::io(template, e))?;
    let lines = parse_labels(template, &data)?;
    let mut labels: Vec<Option<&'static str>> = vec![None; lines.len()];
    let mut all_ok = each_document(files, &Progress::for_output("read"), |read| {
        if let Read::Document(doc) = read {
            let id = ptc_article_id(&doc.id);
            let wanted: Vec<usize> = (0..lines.len()).filter(|&i| lines[i].0 == id).collect();
            let spans: Vec<_> = wanted.iter().map(|&i| lines[i].2).collect();
            for (i, t) in wanted.into_iter().zip(classify_spans(&doc, &spans)) {
                labels[i] = Some(t.label());
            }
        }
        Ok(())
    })?;
    let mut out = io::BufWriter::new(io::stdout().lock());
    for ((id, _, span), label) in lines.iter().zip(&labels) {
        match label {
            Some(l) => writeln!(out, "{id}\t{l}\t{}\t{}", span.start, span.end)?,
            None => {
                eprintln!("spinscope: {template}: no article {id} among the inputs");
                all_ok = false;
            }
        }
    }
    out.flush()?;
    Ok(all_ok)
}

/// What [`each_document`] hands its caller.
enum Read {
    Document(Document),
    /// The current input has no more documents.
    EndOfFile,
}

/// Reads every document of every input in order, counting them on `progress`. A bad input or
/// record is reported on one line with its name and reading goes on; returns whether
/// everything was read.
fn each_document(
    files: &[String],
    progress: &Progress,
    mut handle: impl FnMut(Read) -> anyhow::Result<()>,
) -> anyhow::Result<bool> {
    let mut all_ok = true;
    for (index, path) in files.iter().enumerate() {
        progress.file(index, files.len(), path);
        match Input::open(path).and_then(ingest::documents) {
            Ok(docs) => {
                for loaded in docs {
                    match loaded {
                        Ok(loaded) => {
                            if let Some(w) = &loaded.warning {
                                progress.say(&format!("warning: {w}"));
                            }
                            handle(Read::Document(loaded.document))?;
                            progress.document_done();
                        }
                        Err(e) => {
                            progress.say(&e.to_string());
                            all_ok = false;
                        }
                    }
                }
            }
            Err(e) => {
                progress.say(&e.to_string());
                all_ok = false;
            }
        }
        handle(Read::EndOfFile)?;
    }
    progress.finish();
    Ok(all_ok)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_is_counted_and_a_bad_input_does_not_stop_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let text = dir.path().join("story.txt");
        std::fs::write(&text, "Officials said the report was wrong.").expect("write");
        let feed = dir.path().join("feed.jsonl");
        std::fs::write(
            &feed,
            "{\"id\": \"a\", \"text\": \"One.\"}\nnot json\n{\"id\": \"b\", \"text\": \"Two.\"}\n",
        )
        .expect("write");
        let missing = dir.path().join("missing.txt");
        let files: Vec<String> = [&missing, &text, &feed]
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let progress = Progress::new(false, "read");
        let (mut ids, mut ends) = (Vec::new(), 0);
        let all_ok = each_document(&files, &progress, |read| {
            match read {
                Read::Document(doc) => ids.push(doc.id),
                Read::EndOfFile => ends += 1,
            }
            Ok(())
        })
        .expect("reading");
        assert!(!all_ok, "a missing file and a bad line are failures");
        assert_eq!(ids, vec!["story", "a", "b"]);
        assert_eq!(ends, 3, "one end per input, the missing one included");
        assert_eq!(progress.documents(), 3);
    }
}
