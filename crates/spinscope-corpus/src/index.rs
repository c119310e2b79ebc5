//! The full-text half of a corpus (tantivy): title and body with English stemming and jieba
//! words, Chinese bigrams for substring queries, outlet and language for filters.
//!
//! Each commit carries the highest document key it holds as its payload; opening for writing
//! indexes whatever the database has beyond it, so a crash between the two stores heals itself.

use std::ops::Range;
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED,
    STRING,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexWriter, TantivyDocument, Term};

use crate::store::{Meta, Store};
use crate::tokenizer::{Bigrams, Words};
use crate::{Error, Result};

/// Memory the index writer may buffer before it flushes a segment.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy)]
struct Fields {
    key: Field,
    outlet: Field,
    lang: Field,
    title: Field,
    body: Field,
    body_bigrams: Field,
}

pub struct SearchIndex {
    index: Index,
    fields: Fields,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SearchIndex")
    }
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        key: b.add_u64_field("key", INDEXED | STORED | FAST),
        outlet: b.add_text_field("outlet", STRING),
        lang: b.add_text_field("lang", STRING),
        title: b.add_text_field("title", text("spinscope_words")),
        body: b.add_text_field("body", text("spinscope_words")),
        body_bigrams: b.add_text_field("body_bigrams", text("spinscope_bigrams")),
    };
    (b.build(), fields)
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when absent.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir)?;
        let (schema, fields) = schema();
        let directory = tantivy::directory::MmapDirectory::open(dir)
            .map_err(|e| Error::Index(e.to_string()))?;
        let index = Index::open_or_create(directory, schema)?;
        index.tokenizers().register(
            "spinscope_words",
            TextAnalyzer::builder(Words::default()).build(),
        );
        index
            .tokenizers()
            .register("spinscope_bigrams", TextAnalyzer::builder(Bigrams).build());
        Ok(SearchIndex { index, fields })
    }

    /// The highest document key the last commit holds (0 for an empty index).
    pub fn indexed_up_to(&self) -> Result<i64> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .and_then(|p| p.parse().ok())
            .unwrap_or_default())
    }

    pub fn writer(&self) -> Result<Writer> {
        let writer = self
            .index
            .writer_with_num_threads(1, WRITER_MEMORY)
            .map_err(|e| match e {
                tantivy::TantivyError::LockFailure(..) => Error::Busy,
                e => e.into(),
            })?;
        Ok(Writer {
            writer,
            fields: self.fields,
            last_key: self.indexed_up_to()?,
        })
    }

    /// Indexes the documents the database has beyond the last commit.
    pub fn catch_up(&self, store: &Store, writer: &mut Writer) -> Result<u64> {
        let after = self.indexed_up_to()?;
        if after >= store.max_key()? {
            return Ok(0);
        }
        // Documents added after the last commit but never committed are gone from the index;
        // drop whatever of them a previous writer left half-done and add them again.
        writer.writer.rollback()?;
        let mut n = 0;
        store.each_after(after, |meta, text| {
            writer.add(meta, text)?;
            n += 1;
            Ok(())
        })?;
        writer.commit()?;
        Ok(n)
    }

    /// Searches title and body; `outlet` and `lang` filter exactly.
    pub fn search(
        &self,
        store: &Store,
        query: &str,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<Hit>> {
        let f = self.fields;
        let mut parser = QueryParser::for_index(&self.index, vec![f.title, f.body, f.body_bigrams]);
        parser.set_field_boost(f.title, 2.0);
        let (parsed, errors) = parser.parse_query_lenient(query);
        if let Some(e) = errors.first() {
            if query.trim().is_empty() {
                return Err(Error::Query(format!("empty query ({e})")));
            }
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, parsed.box_clone())];
        for (field, value) in [(f.outlet, &filter.outlet), (f.lang, &filter.lang)] {
            if let Some(v) = value {
                clauses.push((
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, v),
                        IndexRecordOption::Basic,
                    )),
                ));
            }
        }
        let query = BooleanQuery::new(clauses);
        let reader = self.index.reader()?;
        let searcher = reader.searcher();
        let top = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?;
        let mut words = SnippetGenerator::create(&searcher, &*parsed, f.body)?;
        let mut bigrams = SnippetGenerator::create(&searcher, &*parsed, f.body_bigrams)?;
        words.set_max_num_chars(SNIPPET_BYTES);
        bigrams.set_max_num_chars(SNIPPET_BYTES);
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let Some(key) = doc.get_first(f.key).and_then(|v| v.as_u64()) else {
                continue;
            };
            let Some((meta, text)) = store.document(key as i64)? else {
                continue;
            };
            // Whichever field highlights more of the query makes the snippet.
            let a = words.snippet(&text);
            let b = bigrams.snippet(&text);
            let best = if b.highlighted().len() > a.highlighted().len() {
                b
            } else {
                a
            };
            let fragment = if best.fragment().is_empty() {
                lead(&text, SNIPPET_BYTES)
            } else {
                best.fragment()
            };
            hits.push(Hit {
                meta,
                score,
                snippet: fragment.to_string(),
                highlights: best
                    .highlighted()
                    .iter()
                    .map(|r| char_range(best.fragment(), r))
                    .collect(),
            });
        }
        Ok(hits)
    }
}

/// Longest snippet, in bytes (about two lines of English, 80 Chinese characters).
const SNIPPET_BYTES: usize = 240;

/// The start of a text, cut at a char boundary, for hits matched on the title alone.
fn lead(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn char_range(text: &str, r: &Range<usize>) -> Range<usize> {
    let start = text[..r.start].chars().count();
    start..start + text[r.start..r.end].chars().count()
}

/// Exact-match filters on a search.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub outlet: Option<String>,
    pub lang: Option<String>,
}

/// One search result: the document, its score and a snippet whose `highlights` are code point
/// ranges into `snippet`.
#[derive(Debug, Clone)]
pub struct Hit {
    pub meta: Meta,
    pub score: f32,
    pub snippet: String,
    pub highlights: Vec<Range<usize>>,
}

/// A hit as JSON, the shape of `search --format json` and the server's `/api/search`.
pub fn hit_json(h: &Hit) -> serde_json::Value {
    serde_json::json!({
        "id": h.meta.id, "key": h.meta.key, "outlet": h.meta.outlet, "title": h.meta.title,
        "published": h.meta.published, "url": h.meta.url, "lang": h.meta.lang,
        "score": h.score, "snippet": h.snippet,
        "highlights": h.highlights.iter().map(|r| [r.start, r.end]).collect::<Vec<_>>(),
    })
}

/// Adds documents; `commit` records how far it got.
pub struct Writer {
    writer: IndexWriter<TantivyDocument>,
    fields: Fields,
    last_key: i64,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("last_key", &self.last_key)
            .finish()
    }
}

impl Writer {
    pub fn add(&mut self, meta: &Meta, text: &str) -> Result<()> {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_u64(f.key, meta.key as u64);
        if let Some(outlet) = &meta.outlet {
            doc.add_text(f.outlet, outlet);
        }
        doc.add_text(f.lang, &meta.lang);
        if let Some(title) = &meta.title {
            doc.add_text(f.title, title);
        }
        doc.add_text(f.body, text);
        doc.add_text(f.body_bigrams, text);
        self.writer.add_document(doc)?;
        self.last_key = self.last_key.max(meta.key);
        Ok(())
    }

    /// Makes everything added so far searchable and durable.
    pub fn commit(&mut self) -> Result<()> {
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&self.last_key.to_string());
        prepared.commit()?;
        Ok(())
    }

    /// Waits for the indexing threads to finish.
    pub fn close(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}
