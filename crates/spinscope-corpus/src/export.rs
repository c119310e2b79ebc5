//! `export`: every document of a corpus with its metadata and summary, streamed in key order —
//! no caps, no sampling.
//!
//! CSV and Parquet share one column list (`COLUMNS`, the names of the Python binding's
//! `SUMMARY_COLUMNS` where they overlap); JSONL keeps the summary as the report's object.

use std::io::Write;
use std::sync::Arc;

use parquet::basic::{Compression, ZstdLevel};
use parquet::data_type::{ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use serde_json::{json, Value};

use crate::store::{meta_of, Meta, Store, META_COLUMNS};
use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Parquet,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ExportOptions {
    /// Add each document's text.
    pub text: bool,
    /// Add each document's findings (JSON).
    pub findings: bool,
}

/// One stored document as exported.
#[derive(Debug, Clone)]
pub struct Row {
    pub meta: Meta,
    pub chars: i64,
    pub words: i64,
    pub techniques: i64,
    pub attributions: i64,
    pub named: i64,
    pub anonymous: i64,
    pub self_citations: i64,
    pub scare_quotes: i64,
    pub claims: i64,
    pub summary: Value,
    pub findings: Option<String>,
    pub text: Option<String>,
}

impl Row {
    fn float(&self, name: &str) -> f64 {
        self.summary
            .get(name)
            .and_then(Value::as_f64)
            .unwrap_or(0.0)
    }
    fn technique_counts(&self) -> String {
        self.summary
            .get("techniques")
            .map_or_else(|| "{}".to_string(), Value::to_string)
    }
}

enum Cell<'r> {
    Int(i64),
    Float(f64),
    Str(Option<std::borrow::Cow<'r, str>>),
}

type Column = (&'static str, fn(&Row) -> Cell<'_>);

fn s(v: &str) -> Cell<'_> {
    Cell::Str(Some(v.into()))
}
fn opt(v: &Option<String>) -> Cell<'_> {
    Cell::Str(v.as_deref().map(Into::into))
}

/// The flat columns of CSV and Parquet, in order.
const COLUMNS: &[Column] = &[
    ("key", |r| Cell::Int(r.meta.key)),
    ("id", |r| s(&r.meta.id)),
    ("source", |r| s(&r.meta.source)),
    ("outlet", |r| opt(&r.meta.outlet)),
    ("published", |r| opt(&r.meta.published)),
    ("url", |r| opt(&r.meta.url)),
    ("title", |r| opt(&r.meta.title)),
    ("author", |r| opt(&r.meta.author)),
    ("lang", |r| s(&r.meta.lang)),
    ("chars", |r| Cell::Int(r.chars)),
    ("words", |r| Cell::Int(r.words)),
    ("techniques", |r| Cell::Int(r.techniques)),
    ("techniques_per_1k_words", |r| {
        Cell::Float(r.float("techniques_per_1k_words"))
    }),
    ("attributions", |r| Cell::Int(r.attributions)),
    ("attributions_named", |r| Cell::Int(r.named)),
    ("attributions_anonymous", |r| Cell::Int(r.anonymous)),
    ("self_citations", |r| Cell::Int(r.self_citations)),
    ("anonymous_share", |r| {
        Cell::Float(r.float("anonymous_share"))
    }),
    ("scare_quotes", |r| Cell::Int(r.scare_quotes)),
    ("claims", |r| Cell::Int(r.claims)),
    ("technique_counts", |r| {
        Cell::Str(Some(r.technique_counts().into()))
    }),
];
const FINDINGS: Column = ("findings", |r| opt(&r.findings));
const TEXT: Column = ("text", |r| opt(&r.text));

fn columns(options: ExportOptions) -> Vec<Column> {
    let mut cols = COLUMNS.to_vec();
    if options.findings {
        cols.push(FINDINGS);
    }
    if options.text {
        cols.push(TEXT);
    }
    cols
}

/// Calls `each` with every document, in key order.
pub fn each_row(
    store: &Store,
    options: ExportOptions,
    mut each: impl FnMut(Row) -> Result<()>,
) -> Result<()> {
    let mut stmt = store.conn.prepare(&format!(
        "SELECT {META_COLUMNS}, chars, words, techniques, attributions, named, anonymous,
         self_citations, scare_quotes, claims, summary, {}, {} FROM documents ORDER BY key",
        if options.findings { "findings" } else { "NULL" },
        if options.text { "text" } else { "NULL" },
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let summary: String = r.get(18)?;
        each(Row {
            meta: meta_of(r)?,
            chars: r.get(9)?,
            words: r.get(10)?,
            techniques: r.get(11)?,
            attributions: r.get(12)?,
            named: r.get(13)?,
            anonymous: r.get(14)?,
            self_citations: r.get(15)?,
            scare_quotes: r.get(16)?,
            claims: r.get(17)?,
            summary: serde_json::from_str(&summary)?,
            findings: r
                .get::<_, Option<crate::store::StoredJson>>(19)?
                .map(|f| f.0),
            text: r.get(20)?,
        })?;
    }
    Ok(())
}

/// Writes the whole corpus; returns the number of documents.
pub fn export<W: Write + Send>(
    store: &Store,
    format: Format,
    options: ExportOptions,
    out: W,
) -> Result<u64> {
    match format {
        Format::Jsonl => jsonl(store, options, out),
        Format::Csv => csv(store, options, out),
        Format::Parquet => parquet(store, options, out),
    }
}

fn jsonl(store: &Store, options: ExportOptions, mut out: impl Write) -> Result<u64> {
    let mut n = 0;
    each_row(store, options, |r| {
        let mut obj = json!({
            "key": r.meta.key, "id": r.meta.id, "source": r.meta.source,
            "outlet": r.meta.outlet, "published": r.meta.published, "url": r.meta.url,
            "title": r.meta.title, "author": r.meta.author, "lang": r.meta.lang, "chars": r.chars, "words": r.words, "summary": r.summary,
        });
        if let Some(f) = &r.findings {
            obj["findings"] = serde_json::from_str(f)?;
        }
        if let Some(t) = r.text {
            obj["text"] = Value::String(t);
        }
        serde_json::to_writer(&mut out, &obj)?;
        out.write_all(b"\n")?;
        n += 1;
        Ok(())
    })?;
    out.flush()?;
    Ok(n)
}

/// RFC 4180 quoting: fields with a comma, quote or line break are quoted, quotes doubled.
/// (A dependency for one function was not worth it.)
pub(crate) fn csv_field(out: &mut impl Write, field: &str) -> std::io::Result<()> {
    if field.contains([',', '"', '\n', '\r']) {
        write!(out, "\"{}\"", field.replace('"', "\"\""))
    } else {
        out.write_all(field.as_bytes())
    }
}

fn csv(store: &Store, options: ExportOptions, mut out: impl Write) -> Result<u64> {
    let cols = columns(options);
    let header: Vec<&str> = cols.iter().map(|c| c.0).collect();
    write!(out, "{}\r\n", header.join(","))?;
    let mut n = 0;
    each_row(store, options, |r| {
        for (i, (_, get)) in cols.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            match get(&r) {
                Cell::Int(v) => write!(out, "{v}")?,
                Cell::Float(v) => write!(out, "{v}")?,
                Cell::Str(Some(v)) => csv_field(&mut out, &v)?,
                Cell::Str(None) => {}
            }
        }
        out.write_all(b"\r\n")?;
        n += 1;
        Ok(())
    })?;
    out.flush()?;
    Ok(n)
}

/// Rows per Parquet row group: bounded memory with texts included.
const ROW_GROUP: usize = 16_384;

fn parquet<W: Write + Send>(store: &Store, options: ExportOptions, out: W) -> Result<u64> {
    let cols = columns(options);
    let sample = Row {
        meta: Meta {
            key: 0,
            id: String::new(),
            source: String::new(),
            outlet: None,
            published: None,
            url: None,
            title: None,
            author: None,
            lang: String::new(),
        },
        chars: 0,
        words: 0,
        techniques: 0,
        attributions: 0,
        named: 0,
        anonymous: 0,
        self_citations: 0,
        scare_quotes: 0,
        claims: 0,
        summary: Value::Null,
        findings: None,
        text: None,
    };
    let required: Vec<bool> = cols
        .iter()
        .map(|(name, _)| matches!(*name, "id" | "source" | "lang" | "technique_counts"))
        .collect();
    let mut message = String::from("message spinscope_document {\n");
    for ((name, get), &required) in cols.iter().zip(&required) {
        let line = match get(&sample) {
            Cell::Int(_) => format!("  REQUIRED INT64 {name};\n"),
            Cell::Float(_) => format!("  REQUIRED DOUBLE {name};\n"),
            Cell::Str(_) if required => format!("  REQUIRED BYTE_ARRAY {name} (UTF8);\n"),
            Cell::Str(_) => format!("  OPTIONAL BYTE_ARRAY {name} (UTF8);\n"),
        };
        message.push_str(&line);
    }
    message.push('}');
    let schema = Arc::new(parse_message_type(&message)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, schema, props)?;
    let mut group = Vec::with_capacity(ROW_GROUP);
    let mut n = 0u64;
    let mut write_group = |group: &mut Vec<Row>| -> Result<()> {
        if group.is_empty() {
            return Ok(());
        }
        let mut rg = writer.next_row_group()?;
        for ((_, get), &required) in cols.iter().zip(&required) {
            let Some(mut col) = rg.next_column()? else {
                break;
            };
            let cells: Vec<Cell> = group.iter().map(get).collect();
            match cells.first() {
                Some(Cell::Int(_)) => {
                    let v: Vec<i64> = cells
                        .iter()
                        .map(|c| if let Cell::Int(v) = c { *v } else { 0 })
                        .collect();
                    col.typed::<Int64Type>().write_batch(&v, None, None)?;
                }
                Some(Cell::Float(_)) => {
                    let v: Vec<f64> = cells
                        .iter()
                        .map(|c| if let Cell::Float(v) = c { *v } else { 0.0 })
                        .collect();
                    col.typed::<DoubleType>().write_batch(&v, None, None)?;
                }
                _ => {
                    let mut values = Vec::with_capacity(cells.len());
                    let mut levels = Vec::with_capacity(cells.len());
                    for c in &cells {
                        match c {
                            Cell::Str(Some(v)) => {
                                values.push(ByteArray::from(v.as_bytes().to_vec()));
                                levels.push(1);
                            }
                            _ => levels.push(0),
                        }
                    }
                    col.typed::<ByteArrayType>().write_batch(
                        &values,
                        (!required).then_some(levels.as_slice()),
                        None,
                    )?;
                }
            }
            col.close()?;
        }
        rg.close()?;
        group.clear();
        Ok(())
    };
    each_row(store, options, |r| {
        group.push(r);
        n += 1;
        if group.len() == ROW_GROUP {
            write_group(&mut group)?;
        }
        Ok(())
    })?;
    write_group(&mut group)?;
    writer.close()?;
    Ok(n)
}
