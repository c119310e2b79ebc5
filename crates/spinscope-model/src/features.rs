//! Text → the encoder's hidden states, token by token, with byte offsets: what every head reads.
//!
//! Each sentence is one window (longer ones are cut into windows of [`crate::encoder::MAX_WINDOW`] tokens), so
//! a document costs one forward pass per sentence whatever the heads; windows are batched by
//! length to waste little on padding.

use candle_core::Tensor;

use crate::encoder::Encoder;
use crate::tokenizer::Tokenizer;

/// Windows per forward pass.
pub const BATCH: usize = 16;

/// One sentence's tokens within [`Encoded`].
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceStates {
    /// Bytes of the document.
    pub start: usize,
    pub end: usize,
    /// Index range into [`Encoded::spans`].
    pub tokens: std::ops::Range<usize>,
}

/// A document's token states.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Encoded {
    pub hidden_size: usize,
    /// Byte range of each token in the document.
    pub spans: Vec<(usize, usize)>,
    /// `spans.len() × hidden_size` values, the last layer's states.
    pub states: Vec<f32>,
    pub sentences: Vec<SentenceStates>,
}

impl Encoded {
    pub fn state(&self, token: usize) -> &[f32] {
        &self.states[token * self.hidden_size..(token + 1) * self.hidden_size]
    }

    /// Mean of the states of a token range (zeros when empty).
    pub fn mean(&self, tokens: std::ops::Range<usize>) -> Vec<f32> {
        let mut out = vec![0.0; self.hidden_size];
        let n = tokens.len();
        for t in tokens {
            for (o, x) in out.iter_mut().zip(self.state(t)) {
                *o += x;
            }
        }
        if n > 0 {
            out.iter_mut().for_each(|o| *o /= n as f32);
        }
        out
    }

    /// The tokens overlapping bytes `start..end` of the document.
    pub fn tokens_in(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        let first = self.spans.partition_point(|s| s.1 <= start);
        let last = self.spans.partition_point(|s| s.0 < end);
        first..last.max(first)
    }
}

/// Encodes the sentences (`(start, end)` bytes of `text`, in order) of one document.
pub fn encode(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    text: &str,
    sentences: &[(usize, usize)],
) -> candle_core::Result<Encoded> {
    // Windows of content tokens, with offsets made absolute.
    let mut windows: Vec<Vec<crate::tokenizer::Token>> = Vec::new();
    let mut owner = Vec::new();
    for (i, &(start, end)) in sentences.iter().enumerate() {
        let Some(sentence) = text.get(start..end) else {
            continue;
        };
        let tokens: Vec<_> = tokenizer
            .encode(sentence)
            .into_iter()
            .map(|mut t| {
                t.start += start;
                t.end += start;
                t
            })
            .collect();
        for chunk in tokens.chunks(encoder.max_window() - 2) {
            windows.push(chunk.to_vec());
            owner.push(i);
        }
    }
    let mut order: Vec<usize> = (0..windows.len()).collect();
    order.sort_by_key(|&w| windows[w].len());
    // Batches go to one thread per core: candle's matrix products on these small shapes use
    // little more than one core on their own.
    let batches: Vec<&[usize]> = order.chunks(BATCH).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(batches.len().max(1));
    let run = |mine: Vec<&[usize]>| -> candle_core::Result<Vec<(usize, Tensor)>> {
        let mut out = Vec::new();
        for group in mine {
            let ids: Vec<Vec<u32>> = group
                .iter()
                .map(|&w| {
                    let mut ids = Vec::with_capacity(windows[w].len() + 2);
                    ids.push(tokenizer.bos);
                    ids.extend(windows[w].iter().map(|t| t.id));
                    ids.push(tokenizer.eos);
                    ids
                })
                .collect();
            out.extend(group.iter().copied().zip(encoder.forward(&ids)?));
        }
        Ok(out)
    };
    let mut hidden: Vec<Option<Tensor>> = vec![None; windows.len()];
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|k| {
                let mine: Vec<&[usize]> =
                    batches.iter().skip(k).step_by(threads).copied().collect();
                scope.spawn(move || run(mine))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(candle_core::Error::Msg("encoder thread panicked".into()))
                })
            })
            .collect::<Vec<_>>()
    });
    for result in results {
        for (w, states) in result? {
            hidden[w] = Some(states);
        }
    }

    let h = encoder.config.hidden;
    let mut out = Encoded {
        hidden_size: h,
        ..Encoded::default()
    };
    for (w, states) in hidden.into_iter().enumerate() {
        let Some(states) = states else { continue };
        let n = windows[w].len();
        // Drop <s> and </s>: heads read content tokens.
        let values = states.narrow(0, 1, n)?.flatten_all()?.to_vec1::<f32>()?;
        let first = out.spans.len();
        out.spans
            .extend(windows[w].iter().map(|t| (t.start, t.end)));
        out.states.extend(values);
        let (start, end) = sentences[owner[w]];
        match out.sentences.last_mut() {
            Some(last) if last.start == start && last.end == end => last.tokens.end = first + n,
            _ => out.sentences.push(SentenceStates {
                start,
                end,
                tokens: first..first + n,
            }),
        }
    }
    Ok(out)
}
