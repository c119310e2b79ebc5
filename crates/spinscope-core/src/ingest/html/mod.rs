//! Web pages: decode the bytes, parse them, extract the article body and its metadata.
//!
//! `dom` parses, `charset` decodes, `extract` finds the body, `meta` reads title, author, date,
//! outlet and URL. [`read`] ties them together; `analyze` and `spinscope extract` both use it, so
//! offsets in a report index exactly the text `extract` prints.

pub mod charset;
pub mod dom;
pub mod extract;
pub mod meta;

use serde::Serialize;

use crate::doc::Document;

/// What a page holds for us: its article text and metadata. (Its language is the text's, found
/// when the text is analysed, not here: the pipeline runs once per document.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Page {
    /// The article body, paragraphs separated by blank lines.
    pub text: String,
    pub title: Option<String>,
    pub author: Option<String>,
    /// ISO 8601 (`YYYY-MM-DD`, with time and offset when the page gives both).
    pub published: Option<String>,
    pub outlet: Option<String>,
    pub url: Option<String>,
    /// Where title, author and date came from.
    #[serde(skip)]
    pub provenance: crate::doc::Provenance,
    /// Set when decoding needed a guess or replacement characters.
    #[serde(skip)]
    pub warning: Option<String>,
}

/// Reads a page from its bytes. `http_charset` is the charset of an HTTP `Content-Type` header
/// (from a WARC record) and `url` the address it was fetched from, when known.
pub fn read(bytes: &[u8], http_charset: Option<&str>, url: Option<&str>) -> Page {
    let decoded = charset::decode(bytes, http_charset);
    let dom = dom::Dom::parse(&decoded.text);
    let text = extract::main_text(&dom);
    let meta = meta::metadata(&dom, url);
    Page {
        text,
        title: meta.title,
        author: meta.author,
        published: meta.published,
        outlet: meta.outlet,
        url: meta.url,
        provenance: meta.from,
        warning: decoded.warning,
    }
}

impl Page {
    /// The page as a document for `analyze`, named by `id` and `source`.
    pub fn into_document(self, id: String, source: String) -> Document {
        Document {
            id,
            source,
            title: self.title,
            published: self.published,
            outlet: self.outlet,
            url: self.url,
            author: self.author,
            text: self.text,
            provenance: self.provenance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_state_media_page() {
        let page = "<html><head><meta charset=\"gb2312\"><title>武汉的声音：有英勇的你，才有英雄的城！_新华网</title>\
            <meta name=\"description\" content=\"x\"></head><body>\
            <div class=\"nav\"><a href=/>首页</a> <a href=/a>时政</a> <a href=/b>国际</a></div>\
            <div class=\"h-title\">武汉的声音：有英勇的你，才有英雄的城！</div>\
            <div class=\"h-info\"><span>2020-02-19 09:35:19</span> <span>来源：新华网</span></div>\
            <div id=\"detail\"><p>新华社武汉2月19日电 越是到疫情防控最为吃劲的时候，越是需要汇聚信心与力量。武汉“封城”27天后，湖北以外地区新冠肺炎每日确诊病例迎来15连降。</p>\
            <p>疫情虽在持续，但希望就在继续努力之中。正是有了英勇的你们，才有这座英雄的城！记者在采访中了解到，许多市民自发组织起来，为社区服务。</p>\
            <p>【责任编辑:焦鹏】</p></div><div class=\"footer\">Copyright © 2000-2020 XINHUANET.com All Rights Reserved.</div></body></html>";
        let bytes = encoding_rs::GBK.encode(page).0.into_owned();
        let p = read(
            &bytes,
            None,
            Some("http://www.xinhuanet.com/local/2020-02/19/c_1125597921.htm"),
        );
        assert!(p.text.starts_with("新华社武汉2月19日电"), "{}", p.text);
        assert!(p.text.contains("\n\n疫情虽在持续"));
        assert!(!p.text.contains("首页") && !p.text.contains("Copyright"));
        assert_eq!(p.published.as_deref(), Some("2020-02-19"));
        assert_eq!(
            p.title.as_deref(),
            Some("武汉的声音：有英勇的你，才有英雄的城！")
        );
    }
}
