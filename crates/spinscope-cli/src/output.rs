//! Writing reports as they are made, in the chosen format.

use std::io::{self, Write};

use spinscope_core::report::{write_ptc, write_table};
use spinscope_core::Report;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One report as a JSON object, several as an array.
    Json,
    Jsonl,
    Table,
    Ptc,
    /// `json` for a single document, `jsonl` for several: decided once a second report arrives.
    Auto,
}

/// Streams reports to `out`. JSON and auto formats hold back the first report until they know
/// whether a second one follows.
pub struct Sink<W: Write> {
    out: W,
    format: Format,
    pending: Option<Report>,
    written: usize,
}

impl<W: Write> Sink<W> {
    pub fn new(out: W, format: Format) -> Self {
        Sink {
            out,
            format,
            pending: None,
            written: 0,
        }
    }

    pub fn write(&mut self, report: &Report) -> io::Result<()> {
        match self.format {
            Format::Jsonl => self.jsonl(report),
            Format::Table => write_table(&mut self.out, report),
            Format::Ptc => write_ptc(&mut self.out, report),
            Format::Json | Format::Auto => {
                if self.written == 0 {
                    if self.pending.is_none() {
                        self.pending = Some(report.clone());
                        return Ok(());
                    }
                    // A second report: several documents.
                    if let Some(first) = self.pending.take() {
                        self.several(&first)?;
                    }
                }
                self.several(report)
            }
        }
    }

    fn jsonl(&mut self, report: &Report) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, report)?;
        self.out.write_all(b"\n")
    }

    /// One of several reports: an array element for `json`, a line for `auto`.
    fn several(&mut self, report: &Report) -> io::Result<()> {
        if self.format == Format::Auto {
            self.written += 1;
            return self.jsonl(report);
        }
        self.out
            .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
        serde_json::to_writer_pretty(&mut self.out, report)?;
        self.written += 1;
        Ok(())
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Closes the array or writes the single held-back report.
    pub fn finish(mut self) -> io::Result<()> {
        if let Some(only) = self.pending.take() {
            serde_json::to_writer_pretty(&mut self.out, &only)?;
            self.out.write_all(b"\n")?;
        } else if self.format == Format::Json {
            if self.written > 0 {
                self.out.write_all(b"\n]\n")?;
            } else {
                self.out.write_all(b"[]\n")?;
            }
        }
        self.out.flush()
    }
}
