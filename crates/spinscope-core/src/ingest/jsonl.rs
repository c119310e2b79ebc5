//! JSONL: one object per line with `text` and optional `id`, `title`, `outlet`, `published`, `url`,
//! `author`.

use std::io::BufRead;

use serde_json::{Map, Value};

use super::{id_from_source, lossy_warning, Loaded};
use crate::doc::Document;
use crate::error::{Error, Result};

/// Reads records line by line; a bad line is an error for that line only.
pub struct Records {
    source: String,
    stem: String,
    reader: Box<dyn BufRead + Send>,
    line: usize,
    buf: Vec<u8>,
    warned: bool,
    done: bool,
}

impl Records {
    pub fn new(source: String, reader: Box<dyn BufRead + Send>) -> Self {
        Records {
            stem: id_from_source(&source),
            source,
            reader,
            line: 0,
            buf: Vec::new(),
            warned: false,
            done: false,
        }
    }

    fn error(&self, message: impl Into<String>) -> Error {
        Error::Record {
            path: self.source.clone(),
            line: self.line,
            message: message.into(),
        }
    }

    fn parse(&mut self, line: &str) -> Result<Document> {
        let value: Value =
            serde_json::from_str(line).map_err(|e| self.error(format!("invalid JSON: {e}")))?;
        let Value::Object(map) = value else {
            return Err(self.error("not a JSON object"));
        };
        let text = match map.get("text") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => return Err(self.error("\"text\" is not a string")),
            None => return Err(self.error("no \"text\" field")),
        };
        let id = match map.get("id") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Null) | None => format!("{}:{}", self.stem, self.line),
            Some(_) => return Err(self.error("\"id\" is not a string or number")),
        };
        Ok(Document {
            id,
            source: self.source.clone(),
            title: self.optional(&map, "title")?,
            published: self.optional(&map, "published")?,
            outlet: self.optional(&map, "outlet")?,
            url: self.optional(&map, "url")?,
            author: self.optional(&map, "author")?,
            text,
            provenance: Default::default(),
        })
    }

    fn optional(&self, map: &Map<String, Value>, key: &str) -> Result<Option<String>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(self.error(format!("\"{key}\" is not a string"))),
        }
    }
}

impl Iterator for Records {
    type Item = Result<Loaded>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            self.buf.clear();
            self.line += 1;
            match self.reader.read_until(b'\n', &mut self.buf) {
                Ok(0) => {
                    self.done = true;
                    return None;
                }
                Ok(_) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(Error::io(&self.source, e)));
                }
            }
            let bytes = std::mem::take(&mut self.buf);
            let (line, lossy) = super::decode_utf8(bytes);
            let line = line.trim_start_matches('\u{feff}');
            if line.trim().is_empty() {
                continue;
            }
            let warning = (lossy && !self.warned).then(|| lossy_warning(&self.source));
            self.warned |= lossy;
            return Some(
                self.parse(line)
                    .map(|document| Loaded { document, warning }),
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn read(s: &str) -> Vec<std::result::Result<Document, String>> {
        Records::new(
            "feed.jsonl".into(),
            Box::new(Cursor::new(s.as_bytes().to_vec())),
        )
        .map(|r| r.map(|l| l.document).map_err(|e| e.to_string()))
        .collect()
    }

    #[test]
    fn records_and_bad_lines() {
        let out = read(concat!(
            "{\"id\": \"a1\", \"text\": \"Hello.\", \"outlet\": \"Daily\", \"published\": \"2024-01-02\"}\n",
            "\n",
            "{\"text\": \"no id\"}\n",
            "{broken\n",
            "[1,2]\n",
            "{\"id\": 7, \"title\": \"t\"}\n",
            "{\"id\": 8, \"text\": \"last\"}",
        ));
        assert_eq!(out.len(), 6);
        let first = out[0].as_ref().expect("first record");
        assert_eq!(first.id, "a1");
        assert_eq!(first.outlet.as_deref(), Some("Daily"));
        assert_eq!(out[1].as_ref().map(|d| d.id.as_str()), Ok("feed:3"));
        assert!(out[2]
            .as_ref()
            .is_err_and(|e| e.starts_with("feed.jsonl:4: invalid JSON")));
        assert_eq!(
            out[3].as_ref().err().map(String::as_str),
            Some("feed.jsonl:5: not a JSON object")
        );
        assert_eq!(
            out[4].as_ref().err().map(String::as_str),
            Some("feed.jsonl:6: no \"text\" field")
        );
        assert_eq!(out[5].as_ref().map(|d| d.id.as_str()), Ok("8"));
    }
}
