//! `spinscope extract --format json`: one object per document.

use std::io::{self, Write};

/// One document as `extract --format json` prints it.
pub fn write_json(out: &mut impl Write, doc: &spinscope_core::Document) -> io::Result<()> {
    let lang = spinscope_core::TextView::new(&doc.text)
        .main_lang()
        .map_or("und", |l| l.code());
    let value = serde_json::json!({
        "id": doc.id, "text": doc.text, "title": doc.title, "author": doc.author,
        "published": doc.published, "outlet": doc.outlet, "url": doc.url, "lang": lang,
    });
    let mut value = value;
    // Where each field came from, for web pages: a user judges a date from a URL differently
    // from one in JSON-LD.
    for (key, from) in [
        ("title_from", doc.provenance.title),
        ("author_from", doc.provenance.author),
        ("published_from", doc.provenance.published),
    ] {
        if let Some(from) = from {
            value[key] = from.name().into();
        }
    }
    serde_json::to_writer(&mut *out, &value)?;
    writeln!(out)
}
