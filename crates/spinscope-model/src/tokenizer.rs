//! The XLM-R Unigram tokeniser (SentencePiece, as multilingual-e5 uses it), with every piece
//! mapped back to a byte range of the original text so model findings carry offsets.
//!
//! Written here rather than built from the `tokenizers` crate: the package ships its own tables
//! (pieces, scores, a per-code-point normalisation map), not a `tokenizer.json`, and this
//! reproduces the package's own engine exactly (whole-text Viterbi) in a hundred lines.

use std::collections::HashMap;

use crate::base::Vocabulary;

/// SentencePiece's word-boundary marker, U+2581.
const META: char = '\u{2581}';

/// One piece of the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub id: u32,
    /// Bytes of the original text the piece stands for (empty for a lone `▁`).
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone)]
pub struct Tokenizer {
    ids: HashMap<String, u32>,
    scores: Vec<f32>,
    normalise: HashMap<char, String>,
    max_piece_bytes: usize,
    unk_score: f32,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
}

impl Tokenizer {
    pub fn new(v: &Vocabulary) -> Tokenizer {
        let mut ids = HashMap::with_capacity(v.pieces.len());
        for (i, p) in v.pieces.iter().enumerate() {
            let id = i as u32;
            // Control pieces (<s>, <pad> …) never match text.
            if !p.is_empty() && ![v.bos, v.eos, v.pad, v.unk].contains(&id) {
                ids.entry(p.clone()).or_insert(id);
            }
        }
        let min = v.scores.iter().copied().fold(f32::INFINITY, f32::min);
        Tokenizer {
            max_piece_bytes: v.pieces.iter().map(String::len).max().unwrap_or(1),
            ids,
            scores: v.scores.clone(),
            normalise: v.normalise.clone(),
            // As SentencePiece: an unknown character costs more than any piece.
            unk_score: if min.is_finite() { min - 10.0 } else { -10.0 },
            bos: v.bos,
            eos: v.eos,
            pad: v.pad,
            unk: v.unk,
        }
    }

    /// The pieces of `text` (no `<s>`/`</s>`), with byte offsets into `text`.
    pub fn encode(&self, text: &str) -> Vec<Token> {
        // Normalise code point by code point, keeping where each output char came from;
        // runs of spaces collapse to one, and spaces become the metaspace marker.
        let mut chars: Vec<(char, usize, usize)> = Vec::with_capacity(text.len() + 1);
        for (at, c) in text.char_indices() {
            let end = at + c.len_utf8();
            let mut push = |n: char| {
                if n == ' ' && chars.last().is_some_and(|l| l.0 == META) {
                    return;
                }
                chars.push((if n == ' ' { META } else { n }, at, end));
            };
            match self.normalise.get(&c) {
                Some(to) => to.chars().for_each(&mut push),
                None => push(c),
            }
        }
        if chars.first().map_or(true, |c| c.0 != META) {
            chars.insert(0, (META, 0, 0));
        }
        let mut normalised = String::with_capacity(chars.len() * 3);
        let mut char_at = Vec::with_capacity(chars.len() + 1);
        for &(c, _, _) in &chars {
            char_at.push(normalised.len());
            normalised.push(c);
        }
        char_at.push(normalised.len());

        // Viterbi over the pieces: best[i] is the best score of the first i chars.
        let n = chars.len();
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut back: Vec<(usize, u32)> = vec![(0, self.unk); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let piece = &normalised[char_at[i]..char_at[e]];
                if piece.len() > self.max_piece_bytes {
                    break;
                }
                if let Some(&id) = self.ids.get(piece) {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        back[e] = (i, id);
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                back[i + 1] = (i, self.unk);
            }
        }
        let mut tokens = Vec::new();
        let mut e = n;
        while e > 0 {
            let (i, id) = back[e];
            // The span: from the first char that is not the boundary marker.
            let (start, end) = match (i..e).find(|&k| chars[k].0 != META) {
                Some(k) => (chars[k].1, chars[e - 1].2),
                None => (chars[e - 1].2, chars[e - 1].2),
            };
            tokens.push(Token { id, start, end });
            e = i;
        }
        tokens.reverse();
        tokens
    }
}
