//! Shingles and MinHash signatures for finding reprints.
//!
//! A token is a lower-cased Latin/digit word or one Han character (Simplified view, so a
//! Traditional reprint of a Simplified story matches it). A shingle is [`K`] consecutive tokens:
//! word shingles for English and character shingles for Chinese in one sequence, so mixed pages
//! need no special case.

use spinscope_core::text::script::{script, Script};
use spinscope_core::text::zh::simplify_char;
use xxhash_rust::xxh3::xxh3_64;

/// Tokens per shingle. Five keeps common phrases ("the foreign ministry said that") from tying
/// unrelated stories together, while one changed word still leaves most shingles intact.
pub const K: usize = 5;
/// Hash functions per signature: [`BANDS`] × [`ROWS`].
pub const PERMUTATIONS: usize = BANDS * ROWS;
/// LSH bands and rows per band: the S-curve rises at Jaccard ≈ (1/16)^(1/4) = 0.5, so a reprint
/// with a new header and light edits (Jaccard 0.6–0.9) is a candidate with probability ≥ 0.89,
/// and two stories that share only a footer almost never are.
pub const BANDS: usize = 16;
pub const ROWS: usize = 4;

/// One token: its hash and byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    pub hash: u64,
    pub start: usize,
    pub end: usize,
}

/// The tokens of a text, in order.
pub fn tokens(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut word_start = 0;
    let flush = |word: &mut String, start: usize, end: usize, out: &mut Vec<Tok>| {
        if !word.is_empty() {
            out.push(Tok {
                hash: xxh3_64(word.as_bytes()),
                start,
                end,
            });
            word.clear();
        }
    };
    for (i, c) in text.char_indices() {
        // ASCII first, as `script` classes it: most text, and `extend(to_lowercase)` per
        // character was half of this function.
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                if word.is_empty() {
                    word_start = i;
                }
                word.push(c.to_ascii_lowercase());
            } else {
                flush(&mut word, word_start, i, &mut out);
            }
            continue;
        }
        match script(c) {
            Script::Han => {
                flush(&mut word, word_start, i, &mut out);
                let mut buf = [0u8; 4];
                let s = simplify_char(c).encode_utf8(&mut buf);
                out.push(Tok {
                    hash: xxh3_64(s.as_bytes()),
                    start: i,
                    end: i + c.len_utf8(),
                });
            }
            Script::Latin | Script::Digit | Script::OtherLetter | Script::Kana | Script::Hangul => {
                if word.is_empty() {
                    word_start = i;
                }
                word.extend(c.to_lowercase());
            }
            Script::Space | Script::Other => flush(&mut word, word_start, i, &mut out),
        }
    }
    flush(&mut word, word_start, text.len(), &mut out);
    out
}

/// The hash of each shingle: entry `i` covers tokens `i..i + K`. Empty when there are fewer
/// than `K` tokens.
pub fn shingles(tokens: &[Tok]) -> Vec<u64> {
    tokens
        .windows(K)
        .map(|w| {
            w.iter().fold(0x9E37_79B9_7F4A_7C15u64, |h, t| {
                (h.rotate_left(23) ^ t.hash).wrapping_mul(0xA24B_AED4_963E_E407)
            })
        })
        .collect()
}

/// A 64-bit mixer (splitmix64's finaliser): one multiply-xorshift permutation per seed.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Seeds of the permutations, fixed so that signatures stored by one run match the next.
fn seeds() -> [u64; PERMUTATIONS] {
    let mut s = [0u64; PERMUTATIONS];
    let mut x = 0x5EED_5EED_u64;
    for seed in &mut s {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        *seed = mix(x);
    }
    s
}

/// The MinHash signature of a set of shingle hashes; `None` for a text too short to have any.
pub fn signature(shingles: &[u64]) -> Option<[u32; PERMUTATIONS]> {
    if shingles.is_empty() {
        return None;
    }
    let mut min = [u64::MAX; PERMUTATIONS];
    for (m, seed) in min.iter_mut().zip(seeds()) {
        // Four independent minima per seed keep both multipliers busy; shingle-major order
        // (the obvious loop) was vectorised into slow emulated 64-bit multiplies, 1.3-1.6x slower.
        let mut lanes = [u64::MAX; 4];
        let chunks = shingles.chunks_exact(4);
        for &h in chunks.remainder() {
            lanes[0] = lanes[0].min(mix(h ^ seed));
        }
        for chunk in chunks {
            for (lane, &h) in lanes.iter_mut().zip(chunk) {
                *lane = (*lane).min(mix(h ^ seed));
            }
        }
        *m = lanes.into_iter().fold(u64::MAX, u64::min);
    }
    Some(min.map(|m| (m >> 32) as u32))
}

/// The signature as stored: little-endian `u32`s.
pub fn to_bytes(sig: &[u32; PERMUTATIONS]) -> Vec<u8> {
    sig.iter().flat_map(|v| v.to_le_bytes()).collect()
}

pub fn from_bytes(bytes: &[u8]) -> Option<[u32; PERMUTATIONS]> {
    if bytes.len() != PERMUTATIONS * 4 {
        return None;
    }
    let mut sig = [0u32; PERMUTATIONS];
    for (v, chunk) in sig.iter_mut().zip(bytes.chunks_exact(4)) {
        *v = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
    }
    Some(sig)
}

/// The hash of one band of a signature, the LSH bucket key.
pub fn band_key(sig: &[u32; PERMUTATIONS], band: usize) -> u64 {
    sig[band * ROWS..(band + 1) * ROWS]
        .iter()
        .fold(mix(band as u64), |h, &v| {
            mix(h.rotate_left(32) ^ u64::from(v))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jaccard_estimate(a: &str, b: &str) -> f64 {
        let sa = signature(&shingles(&tokens(a))).expect("signed");
        let sb = signature(&shingles(&tokens(b))).expect("signed");
        sa.iter().zip(&sb).filter(|(x, y)| x == y).count() as f64 / PERMUTATIONS as f64
    }

    #[test]
    fn tokens_are_words_and_han_characters() {
        let text = "The “report”, 美國 said.";
        let toks = tokens(text);
        let words: Vec<&str> = toks.iter().map(|t| &text[t.start..t.end]).collect();
        assert_eq!(words, ["The", "report", "美", "國", "said"]);
        // Case and script do not matter.
        assert_eq!(tokens("the")[0].hash, toks[0].hash);
        assert_eq!(tokens("美国")[1].hash, toks[3].hash);
    }

    #[test]
    fn signatures_estimate_overlap() {
        let a = "one two three four five six seven eight nine ten eleven twelve thirteen";
        assert_eq!(jaccard_estimate(a, a), 1.0);
        let b = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu";
        assert!(jaccard_estimate(a, b) < 0.1);
        assert!(signature(&shingles(&tokens("too short"))).is_none());
    }

    #[test]
    fn signatures_are_the_minhash_definition() {
        // Stored signatures must keep matching new ones: each entry is the least mixed hash.
        let mut x = 7u64;
        let all: Vec<u64> = (0..23)
            .map(|_| {
                x = mix(x + 1);
                x
            })
            .collect();
        for n in 1..all.len() {
            let shingles = &all[..n];
            let expected: Vec<u32> = seeds()
                .iter()
                .map(|&seed| {
                    let least = shingles.iter().map(|&h| mix(h ^ seed)).min();
                    (least.unwrap_or(u64::MAX) >> 32) as u32
                })
                .collect();
            assert_eq!(signature(shingles).map(|s| s.to_vec()), Some(expected));
        }
    }

    #[test]
    fn signature_bytes_round_trip() {
        let sig = signature(&[1, 2, 3]).expect("signed");
        assert_eq!(from_bytes(&to_bytes(&sig)), Some(sig));
        assert_eq!(from_bytes(&[0; 3]), None);
    }
}
