//! The one error type of the engine. Every message names the input it is about.

use std::io;

/// What went wrong with one input (a file, stdin, or one record of a JSONL file).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {}", describe_io(.source))]
    Io { path: String, source: io::Error },
    #[error("{path}: is a directory")]
    Directory { path: String },
    #[error("{path}: binary, not text")]
    Binary { path: String },
    /// One bad line of a JSONL file; the other lines are still read.
    #[error("{path}:{line}: {message}")]
    Record {
        path: String,
        line: usize,
        message: String,
    },
    /// Fitting was handed ids of a held-out part (`eval::splits`): sealed ones are kept for
    /// reporting only, tune ones for calibration.
    #[error("{set}: {count} of the ids to fit on ({first}{}) are in the {part} split (data/splits/{set}-{part}.txt), held out from fitting; fit on the train part", if *.count > 1 { ", …" } else { "" })]
    HeldOut {
        set: &'static str,
        part: &'static str,
        count: usize,
        first: String,
    },
}

impl Error {
    pub fn io(path: &str, source: io::Error) -> Self {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }
}

/// A short, lower-case reason without Rust's "(os error N)" suffix.
fn describe_io(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "no such file".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => {
            let s = e.to_string();
            let s = s.find(" (os error").map_or(s.as_str(), |i| &s[..i]);
            let mut chars = s.chars();
            chars.next().map_or(String::new(), |first| {
                first.to_lowercase().chain(chars).collect()
            })
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
