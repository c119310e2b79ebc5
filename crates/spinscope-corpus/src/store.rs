//! The SQLite half of a corpus: every document, its metadata, its report and its MinHash
//! signature. SQLite is the source of truth; the search index is rebuilt from it when behind.
//!
//! WAL journal: a transaction either reached the log whole or not at all, so an ingest killed
//! at any point leaves a database that opens, and the content hash makes the rerun skip what
//! was stored.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, Value, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};

use crate::Result;

/// Bumped when the tables change incompatibly.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS documents (
    key            INTEGER PRIMARY KEY AUTOINCREMENT,
    hash           BLOB NOT NULL UNIQUE,
    id             TEXT NOT NULL,
    source         TEXT NOT NULL,
    outlet         TEXT,
    published      TEXT,
    month          TEXT,
    url            TEXT,
    title          TEXT,
    author         TEXT,
    lang           TEXT NOT NULL,
    chars          INTEGER NOT NULL,
    words          INTEGER NOT NULL,
    techniques     INTEGER NOT NULL,
    attributions   INTEGER NOT NULL,
    named          INTEGER NOT NULL,
    anonymous      INTEGER NOT NULL,
    self_citations INTEGER NOT NULL,
    scare_quotes   INTEGER NOT NULL,
    claims         INTEGER NOT NULL,
    summary        TEXT NOT NULL,
    findings       TEXT NOT NULL, -- JSON, zstd-compressed as a BLOB (plain TEXT before 2026-11-30)
    signature      BLOB,
    text           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_outlet_month ON documents (outlet, month);
CREATE TABLE IF NOT EXISTS inputs (
    path      TEXT PRIMARY KEY,
    size      INTEGER NOT NULL,
    modified  INTEGER NOT NULL,
    documents INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
";

/// One analysed document, ready to store.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub hash: u128,
    /// Its metadata; `key` is 0 until the database assigns one.
    pub meta: Meta,
    pub chars: usize,
    pub words: usize,
    pub techniques: usize,
    pub attributions: usize,
    pub named: usize,
    pub anonymous: usize,
    pub self_citations: usize,
    pub scare_quotes: usize,
    pub claims: usize,
    /// The report's `summary` and `findings` as JSON.
    pub summary: String,
    pub findings: String,
    pub signature: Option<Vec<u8>>,
    pub text: String,
}

/// A stored document's metadata (no text, no findings).
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub key: i64,
    pub id: String,
    pub source: String,
    pub outlet: Option<String>,
    pub published: Option<String>,
    pub url: Option<String>,
    pub title: Option<String>,
    pub author: Option<String>,
    pub lang: String,
}

pub const META_COLUMNS: &str = "key, id, source, outlet, published, url, title, author, lang";

pub fn meta_of(row: &rusqlite::Row<'_>) -> rusqlite::Result<Meta> {
    Ok(Meta {
        key: row.get(0)?,
        id: row.get(1)?,
        source: row.get(2)?,
        outlet: row.get(3)?,
        published: row.get(4)?,
        url: row.get(5)?,
        title: row.get(6)?,
        author: row.get(7)?,
        lang: row.get(8)?,
    })
}

/// A finished input file, skipped on the next run while its size and time are unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputStamp {
    pub size: u64,
    pub modified: i64,
}

#[derive(Debug)]
pub struct Store {
    pub(crate) conn: Connection,
}

impl Store {
    /// Opens the database file, creating it (and its tables) when `create` is set.
    pub fn open(path: &Path, create: bool) -> Result<Store> {
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // In WAL mode NORMAL loses nothing when the process dies, only on power loss.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        // OR IGNORE: two processes opening a new corpus at once both get here.
        conn.execute(
            "INSERT OR IGNORE INTO meta (name, value) VALUES ('schema', ?1)",
            [SCHEMA_VERSION.to_string()],
        )?;
        let version: String =
            conn.query_row("SELECT value FROM meta WHERE name = 'schema'", [], |r| {
                r.get(0)
            })?;
        if version != SCHEMA_VERSION.to_string() {
            return Err(crate::Error::Version {
                found: version,
                expected: SCHEMA_VERSION,
            });
        }
        Ok(Store { conn })
    }

    /// The content hashes of every stored document.
    pub fn hashes(&self) -> Result<HashSet<u128>> {
        let mut stmt = self.conn.prepare("SELECT hash FROM documents")?;
        let rows = stmt.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = HashSet::new();
        for h in rows {
            if let Ok(bytes) = <[u8; 16]>::try_from(h?.as_slice()) {
                out.insert(u128::from_le_bytes(bytes));
            }
        }
        Ok(out)
    }

    /// Input files read to the end by earlier runs.
    pub fn finished_inputs(&self) -> Result<HashMap<String, InputStamp>> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, size, modified FROM inputs")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                InputStamp {
                    size: r.get::<_, i64>(1)? as u64,
                    modified: r.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Writes documents and finished inputs in one transaction; returns the new keys in order.
    pub fn write(
        &mut self,
        documents: &[NewDocument],
        finished: &[(String, InputStamp, usize)],
    ) -> Result<Vec<i64>> {
        let tx = self.conn.transaction()?;
        let mut keys = Vec::with_capacity(documents.len());
        {
            let mut insert = tx.prepare_cached(
                "INSERT OR IGNORE INTO documents (hash, id, source, outlet, published, month, url,
                 title, author, lang, chars, words, techniques, attributions, named, anonymous,
                 self_citations, scare_quotes, claims, summary, findings, signature, text)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )?;
            for d in documents {
                let m = &d.meta;
                let changed = insert.execute(params![
                    d.hash.to_le_bytes().as_slice(),
                    m.id,
                    m.source,
                    m.outlet,
                    m.published,
                    m.published.as_deref().and_then(month),
                    m.url,
                    m.title,
                    m.author,
                    m.lang,
                    d.chars as i64,
                    d.words as i64,
                    d.techniques as i64,
                    d.attributions as i64,
                    d.named as i64,
                    d.anonymous as i64,
                    d.self_citations as i64,
                    d.scare_quotes as i64,
                    d.claims as i64,
                    d.summary,
                    pack(&d.findings),
                    d.signature,
                    d.text,
                ])?;
                if changed == 1 {
                    keys.push(tx.last_insert_rowid());
                }
            }
            let mut mark = tx.prepare_cached(
                "INSERT OR REPLACE INTO inputs (path, size, modified, documents) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for (path, stamp, n) in finished {
                mark.execute(params![path, stamp.size as i64, stamp.modified, *n as i64])?;
            }
        }
        tx.commit()?;
        Ok(keys)
    }

    pub fn count(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM documents", [], |r| r.get::<_, i64>(0))?
            as u64)
    }

    pub fn max_key(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT coalesce(max(key), 0) FROM documents", [], |r| {
                r.get(0)
            })?)
    }

    /// Calls `each` with the metadata and text of every document with a key above `after`, in
    /// key order.
    pub fn each_after(
        &self,
        after: i64,
        mut each: impl FnMut(&Meta, &str) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {META_COLUMNS}, text FROM documents WHERE key > ?1 ORDER BY key"
        ))?;
        let mut rows = stmt.query([after])?;
        while let Some(row) = rows.next()? {
            let meta = meta_of(row)?;
            let text: String = row.get(9)?;
            each(&meta, &text)?;
        }
        Ok(())
    }

    /// One document's metadata and text.
    pub fn document(&self, key: i64) -> Result<Option<(Meta, String)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {META_COLUMNS}, text FROM documents WHERE key = ?1"
        ))?;
        Ok(stmt
            .query_row([key], |row| Ok((meta_of(row)?, row.get(9)?)))
            .optional()?)
    }

    /// One document's metadata, text, and report parts (summary and findings JSON).
    pub fn stored_report(&self, key: i64) -> Result<Option<(Meta, String, String, String)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {META_COLUMNS}, text, summary, findings FROM documents WHERE key = ?1"
        ))?;
        Ok(stmt
            .query_row([key], |row| {
                let findings: StoredJson = row.get(11)?;
                Ok((meta_of(row)?, row.get(9)?, row.get(10)?, findings.0))
            })
            .optional()?)
    }

    /// The text of one document.
    pub fn text(&self, key: i64) -> Result<Option<String>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT text FROM documents WHERE key = ?1")?;
        Ok(stmt.query_row([key], |row| row.get(0)).optional()?)
    }
}

/// Findings JSON as stored: repetitive (every finding repeats its text), so zstd shrinks it
/// about tenfold and a corpus of a million articles fits on a laptop's disk.
/// Kept as plain TEXT in the unlikely case compression fails; [`StoredJson`] reads both.
fn pack(json: &str) -> Value {
    thread_local! {
        // One compression context per thread: a fresh one per document allocated and zeroed
        // its tables every time.
        static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> =
            RefCell::new(zstd::bulk::Compressor::new(3).ok());
    }
    let packed = COMPRESSOR.with_borrow_mut(|c| c.as_mut().map(|c| c.compress(json.as_bytes())));
    match packed {
        Some(Ok(bytes)) => Value::Blob(bytes),
        _ => Value::Text(json.to_string()),
    }
}

/// Stored JSON, read back from either a compressed BLOB or (older corpora) plain TEXT.
#[derive(Debug)]
pub struct StoredJson(pub String);

impl FromSql for StoredJson {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let bytes = match value {
            ValueRef::Text(text) => text.to_vec(),
            ValueRef::Blob(blob) => {
                zstd::decode_all(blob).map_err(|e| FromSqlError::Other(Box::new(e)))?
            }
            _ => return Err(FromSqlError::InvalidType),
        };
        String::from_utf8(bytes)
            .map(StoredJson)
            .map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

/// `YYYY-MM` of an ISO date, the period trends group by.
pub fn month(published: &str) -> Option<String> {
    let b = published.as_bytes();
    let ok = b.len() >= 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit);
    ok.then(|| published[..7].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_of_iso_dates_only() {
        assert_eq!(month("2024-03-05T10:00:00Z").as_deref(), Some("2024-03"));
        assert_eq!(month("2024-03").as_deref(), Some("2024-03"));
        assert_eq!(month("March 2024"), None);
        assert_eq!(month("2024"), None);
    }
}
