//! Seeded synthetic news articles for the corpus benchmarks, one JSONL record per line:
//!
//!     cargo run --release -p spinscope-corpus --example synth -- N [SEED] > articles.jsonl
//!
//! English and Chinese articles (3:1) from twelve outlets over two years, written from word
//! lists with the cues the analysers look for (anonymous sources, scare quotes, loaded words),
//! so ingest does real work. One article in ten is a reprint of an earlier one by another
//! outlet: a new header, one sentence dropped, one word in forty changed. Its id,
//! `r<i>-of-<j>`, names the original, so benchmarks can score recall.

use std::io::{self, BufWriter, Write};

const EN_OUTLETS: &[&str] = &[
    "Harbor Wire",
    "Daily Gazette",
    "Coastal Tribune",
    "Capital Times",
    "Evening Courier",
    "Global Ledger",
    "Northern Star",
    "Metro Post",
];
const ZH_OUTLETS: &[&str] = &["海港新闻社", "东方日报", "环球观察", "新民晚報"];

const EN_SUBJECTS: &[&str] = &[
    "officials",
    "the ministry",
    "analysts",
    "sources familiar with the talks",
    "the governor",
    "the opposition",
    "critics",
    "the central bank",
    "local residents",
    "the union",
    "a senior diplomat",
    "experts",
    "the company",
    "investors",
    "the committee",
];
const EN_VERBS: &[&str] = &[
    "said",
    "warned",
    "claimed",
    "told reporters",
    "denied",
    "insisted",
    "argued",
    "admitted",
    "suggested",
    "announced",
];
const EN_WORDS: &[&str] = &[
    "the",
    "plan",
    "would",
    "raise",
    "taxes",
    "on",
    "imports",
    "prices",
    "could",
    "rise",
    "sharply",
    "next",
    "year",
    "while",
    "wages",
    "stay",
    "flat",
    "in",
    "most",
    "regions",
    "port",
    "expansion",
    "budget",
    "deficit",
    "election",
    "reform",
    "border",
    "security",
    "trade",
    "talks",
    "collapsed",
    "after",
    "weeks",
    "of",
    "negotiation",
    "and",
    "a",
    "new",
    "round",
    "sanctions",
    "was",
    "announced",
    "by",
    "western",
    "governments",
    "pipeline",
    "energy",
    "supply",
    "winter",
    "shortage",
    "hospital",
    "strike",
    "teachers",
    "protest",
    "court",
    "ruling",
    "appeal",
    "vaccine",
    "rollout",
    "inflation",
    "housing",
    "market",
    "rents",
    "farmers",
    "drought",
    "harvest",
    "exports",
    "fell",
    "rose",
    "percent",
    "million",
    "billion",
    "dollars",
    "shameful",
    "disastrous",
    "reckless",
    "so-called",
    "crisis",
    "chaos",
    "success",
    "historic",
    "record",
    "scandal",
    "corruption",
    "investigation",
    "military",
    "drills",
    "coast",
    "guard",
    "vessels",
    "airspace",
    "satellite",
    "data",
    "report",
    "survey",
    "poll",
    "showed",
    "support",
    "for",
    "the",
    "measure",
    "among",
    "voters",
    "under",
    "forty",
];
const EN_SCARE: &[&str] = &[
    "“report”",
    "“experts”",
    "“democracy”",
    "“evidence”",
    "“independent”",
];
const ZH_SUBJECTS: &[&str] = &[
    "消息人士",
    "分析人士",
    "外交部发言人",
    "专家",
    "知情人士",
    "有关部门",
    "业内人士",
    "记者",
];
const ZH_VERBS: &[&str] = &["表示", "指出", "透露", "称", "认为", "强调"];
const ZH_WORDS: &[&str] = &[
    "经济",
    "增长",
    "出口",
    "新能源",
    "汽车",
    "港口",
    "贸易",
    "谈判",
    "美国",
    "欧洲",
    "市场",
    "政策",
    "改革",
    "发展",
    "合作",
    "安全",
    "所谓的“人权”",
    "制裁",
    "关税",
    "供应链",
    "企业",
    "投资",
    "消费",
    "就业",
    "物价",
    "房地产",
    "农业",
    "粮食",
    "能源",
    "天然气",
    "电力",
    "技术",
    "芯片",
    "数据",
    "调查",
    "报告",
    "民调",
    "选举",
    "抗议",
    "军演",
    "海警",
    "船只",
    "领空",
    "今年",
    "去年",
    "同比",
    "增长了",
    "下降了",
    "百分之",
    "十二",
    "三十",
    "亿元",
    "万辆",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: tiny, seeded, the same on every machine.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

fn en_sentence(rng: &mut Rng) -> String {
    let mut s = format!("{} {} that", rng.pick(EN_SUBJECTS), rng.pick(EN_VERBS));
    for _ in 0..10 + rng.below(14) {
        s.push(' ');
        if rng.below(60) == 0 {
            s.push_str(rng.pick(EN_SCARE));
        } else {
            s.push_str(rng.pick(EN_WORDS));
        }
    }
    let mut chars = s.chars();
    let first = chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

fn zh_sentence(rng: &mut Rng) -> String {
    let mut s = format!("{}{}，", rng.pick(ZH_SUBJECTS), rng.pick(ZH_VERBS));
    for _ in 0..8 + rng.below(10) {
        s.push_str(rng.pick(ZH_WORDS));
    }
    s.push('。');
    s
}

/// Sentences grouped into paragraphs.
fn article(rng: &mut Rng, zh: bool) -> Vec<String> {
    let n = if zh {
        10 + rng.below(10)
    } else {
        12 + rng.below(12)
    };
    (0..n)
        .map(|_| {
            if zh {
                zh_sentence(rng)
            } else {
                en_sentence(rng)
            }
        })
        .collect()
}

fn join(sentences: &[String], zh: bool) -> String {
    let mut text = String::new();
    for (i, s) in sentences.iter().enumerate() {
        if i > 0 {
            text.push_str(if i % 4 == 0 {
                "\n\n"
            } else if zh {
                ""
            } else {
                " "
            });
        }
        text.push_str(s);
    }
    text
}

/// A reprint: new header, one sentence dropped, one word (or Han character) in forty changed.
fn reprint(rng: &mut Rng, original: &[String], zh: bool) -> String {
    let drop = rng.below(original.len());
    let kept: Vec<String> = original
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != drop)
        .map(|(_, s)| s.clone())
        .collect();
    let body = join(&kept, zh);
    let edited: String = if zh {
        body.chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 40 == 39 && c > '\u{4e00}' {
                    '新'
                } else {
                    c
                }
            })
            .collect()
    } else {
        body.split(' ')
            .enumerate()
            .map(|(i, w)| if i % 40 == 39 { "new" } else { w })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let header = if zh {
        "本文转载自合作媒体，版权归原作者所有。\n"
    } else {
        "Republished with permission from our partners.\n\n"
    };
    format!("{header}{edited}")
}

fn main() -> io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = BufWriter::new(io::stdout().lock());
    // Originals that later reprints may copy: the last few thousand, as news travels fast.
    let mut recent: Vec<(usize, bool, &str, Vec<String>)> = Vec::new();
    for i in 0..n {
        let day = i * 730 / n.max(1);
        let published = format!(
            "{}-{:02}-{:02}",
            2023 + day / 365,
            1 + (day % 365) / 31 % 12,
            1 + day % 28
        );
        let (id, outlet, text) = if i % 10 == 9 && !recent.is_empty() {
            let (j, zh, source, original) = &recent[rng.below(recent.len())];
            let outlets = if *zh { ZH_OUTLETS } else { EN_OUTLETS };
            let mut outlet = rng.pick(outlets);
            while outlet == *source {
                outlet = rng.pick(outlets);
            }
            (
                format!("r{i}-of-{j}"),
                outlet,
                reprint(&mut rng, original, *zh),
            )
        } else {
            let zh = rng.below(4) == 0;
            let outlet = rng.pick(if zh { ZH_OUTLETS } else { EN_OUTLETS });
            let sentences = article(&mut rng, zh);
            let text = join(&sentences, zh);
            if recent.len() == 4096 {
                recent.swap_remove(rng.below(4096));
            }
            recent.push((i, zh, outlet, sentences));
            (format!("a{i}"), outlet, text)
        };
        let record = serde_json::json!({
            "id": id, "outlet": outlet, "published": published,
            "title": text.chars().take(60).collect::<String>(), "text": text,
        });
        serde_json::to_writer(&mut out, &record)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
