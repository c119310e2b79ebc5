//! spinscope corpora: documents analysed once and kept in a folder that holds an SQLite
//! database (documents, metadata, reports, MinHash signatures) and a tantivy full-text index.
//!
//! ```no_run
//! use spinscope_corpus::{Corpus, ingest::{ingest, IngestOptions}};
//! let mut corpus = Corpus::create_or_open("corpus".as_ref())?;
//! let stats = ingest(&mut corpus, &["articles/".to_string()], &IngestOptions::default(), &|e| eprintln!("{e}"))?;
//! println!("{} new documents", stats.added);
//! # Ok::<(), spinscope_corpus::Error>(())
//! ```

pub mod export;
pub mod index;
pub mod ingest;
pub mod reuse;
pub mod shingles;
pub mod store;
mod tokenizer;
pub mod trends;

use std::path::{Path, PathBuf};

use index::SearchIndex;
pub use index::{Filter, Hit};
use store::Store;

const DATABASE: &str = "corpus.sqlite";
const INDEX: &str = "index";

/// What can go wrong with a corpus as a whole (bad inputs are reported one by one instead).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}: not a spinscope corpus (no {DATABASE}); create one with `spinscope ingest PATH --db {0}`")]
    NotACorpus(String),
    #[error("{0}: exists and is not a folder")]
    NotAFolder(String),
    #[error("database: {0}")]
    Sqlite(rusqlite::Error),
    /// Out of space in the database or the index; whatever was committed before stays intact.
    #[error("the disk is full; free some space (or move the corpus folder) and run the same ingest again: it resumes where it stopped")]
    DiskFull,
    #[error("database schema {found} is not the {expected} this version reads; re-ingest into a new folder")]
    Version { found: String, expected: i64 },
    #[error("search index: {0}")]
    Index(String),
    #[error("another spinscope process is writing to this corpus")]
    Busy,
    #[error("query: {0}")]
    Query(String),
    #[error("{0}")]
    Io(std::io::Error),
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        match &e {
            tantivy::TantivyError::IoError(io) if no_space(io) => Error::DiskFull,
            // tantivy wraps some write errors in its own types; their text keeps the OS message.
            _ if e.to_string().contains("No space left on device") => Error::DiskFull,
            _ => Error::Index(e.to_string()),
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => Error::DiskFull,
            _ => Error::Sqlite(e),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if no_space(&e) {
            Error::DiskFull
        } else {
            Error::Io(e)
        }
    }
}

/// ENOSPC on Linux and macOS (ErrorKind::StorageFull is newer than the crate's minimum Rust).
fn no_space(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(28)
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An opened corpus folder.
#[derive(Debug)]
pub struct Corpus {
    dir: PathBuf,
    pub store: Store,
    index: SearchIndex,
}

impl Corpus {
    /// Opens the corpus in `dir`, creating the folder and its stores when absent.
    pub fn create_or_open(dir: &Path) -> Result<Corpus> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::NotAFolder(dir.display().to_string()));
        }
        std::fs::create_dir_all(dir)?;
        Self::open_in(dir, true)
    }

    /// Opens an existing corpus.
    pub fn open(dir: &Path) -> Result<Corpus> {
        if !Self::exists(dir) {
            return Err(Error::NotACorpus(dir.display().to_string()));
        }
        Self::open_in(dir, false)
    }

    fn open_in(dir: &Path, create: bool) -> Result<Corpus> {
        Ok(Corpus {
            dir: dir.to_path_buf(),
            store: Store::open(&dir.join(DATABASE), create)?,
            index: SearchIndex::open(&dir.join(INDEX))?,
        })
    }

    /// Whether `dir` holds a corpus database.
    pub fn exists(dir: &Path) -> bool {
        dir.join(DATABASE).is_file()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Full-text search over titles and bodies, best first.
    pub fn search(&self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<Hit>> {
        self.index.search(&self.store, query, filter, limit)
    }

    /// Brings the search index level with the database (after a crash between the two).
    pub fn catch_up_index(&self) -> Result<u64> {
        let mut writer = self.index.writer()?;
        let n = self.index.catch_up(&self.store, &mut writer)?;
        writer.close()?;
        Ok(n)
    }
}
