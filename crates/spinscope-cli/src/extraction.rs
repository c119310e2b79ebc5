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
    serde_json::to_writer(&mut *out, &value)?;
    writeln!(out)
}
