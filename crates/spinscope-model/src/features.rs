//! Text → the encoder's hidden states, token by token, with byte offsets: what every head reads.
//!
//! Each sentence is one window (longer ones are cut into windows of [`crate::encoder::MAX_WINDOW`]
//! tokens), or consecutive sentences share one when packed, so a document costs one forward pass
//! per window whatever the heads; windows are batched by length to waste little on padding.

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

    /// The elementwise max of the states of `tokens` (zeros when there are none).
    pub fn max(&self, tokens: std::ops::Range<usize>) -> Vec<f32> {
        if tokens.is_empty() {
            return vec![0.0; self.hidden_size];
        }
        let mut out = vec![f32::MIN; self.hidden_size];
        for t in tokens {
            for (o, &x) in out.iter_mut().zip(self.state(t)) {
                *o = o.max(x);
            }
        }
        out
    }

    /// The tokens overlapping bytes `start..end` of the document.
    pub fn tokens_in(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        let first = self.spans.partition_point(|s| s.1 <= start);
        let last = self.spans.partition_point(|s| s.0 < end);
        first..last.max(first)
    }

    /// The tokens of the sentences that `tokens` touch (`tokens` itself when none do).
    pub fn context(&self, tokens: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let first = self
            .sentences
            .iter()
            .position(|s| s.tokens.end > tokens.start);
        let last = self
            .sentences
            .iter()
            .rposition(|s| s.tokens.start < tokens.end.max(tokens.start + 1));
        match (first, last) {
            (Some(f), Some(l)) if f <= l => {
                self.sentences[f].tokens.start..self.sentences[l].tokens.end
            }
            _ => tokens,
        }
    }
}

/// The byte ranges of a view's sentences: what every caller of [`encode`] windows.
pub fn sentence_spans(view: &spinscope_core::TextView<'_>) -> Vec<(usize, usize)> {
    view.sentences
        .iter()
        .map(|s| (s.span.start, s.span.end))
        .collect()
}

/// One window of the encoder: a sentence's tokens (or a piece of a long sentence), or several
/// whole sentences packed ([`windows`]); offsets absolute in the document.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub tokens: Vec<crate::tokenizer::Token>,
    /// Each token's sentence, an index into the document's sentences.
    pub sentence_of: Vec<usize>,
}

/// The windows of a document's sentences, in order: what [`encode`] runs and what fine-tuning
/// exports, so token positions agree between the two. Each sentence is a window of its own
/// (cut into windows of `max_tokens` when longer) unless `pack` is given: then consecutive
/// whole sentences share a window of up to `pack` tokens, so each token sees its neighbours'
/// sentences too (a quote's second sentence, the claim a "he said" refers to).
pub fn windows(
    tokenizer: &Tokenizer,
    text: &str,
    sentences: &[(usize, usize)],
    max_tokens: usize,
    pack: Option<usize>,
) -> Vec<Window> {
    let max_tokens = max_tokens.max(1);
    let budget = pack.map_or(0, |p| p.min(max_tokens));
    let mut out = Vec::new();
    let mut open = Window::default();
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
        if !open.tokens.is_empty() && open.tokens.len() + tokens.len() > budget {
            out.push(std::mem::take(&mut open));
        }
        if open.tokens.len() + tokens.len() <= budget {
            open.sentence_of
                .extend(std::iter::repeat(i).take(tokens.len()));
            open.tokens.extend(tokens);
            continue;
        }
        for chunk in tokens.chunks(max_tokens) {
            out.push(Window {
                tokens: chunk.to_vec(),
                sentence_of: vec![i; chunk.len()],
            });
        }
    }
    if !open.tokens.is_empty() {
        out.push(open);
    }
    out
}

/// A window's ids as the encoder reads them: `<s>`, the pieces, `</s>`.
pub fn window_ids(tokenizer: &Tokenizer, window: &Window) -> Vec<u32> {
    let mut ids = Vec::with_capacity(window.tokens.len() + 2);
    ids.push(tokenizer.bos);
    ids.extend(window.tokens.iter().map(|t| t.id));
    ids.push(tokenizer.eos);
    ids
}

/// The token spans and sentences of `windows` laid end to end, without states: the layout
/// [`encode`] fills.
pub fn layout(windows: &[Window], sentences: &[(usize, usize)]) -> Encoded {
    let mut out = Encoded::default();
    for w in windows {
        for (t, &i) in w.tokens.iter().zip(&w.sentence_of) {
            let at = out.spans.len();
            out.spans.push((t.start, t.end));
            let (start, end) = sentences[i];
            match out.sentences.last_mut() {
                Some(last) if last.start == start && last.end == end => last.tokens.end = at + 1,
                _ => out.sentences.push(SentenceStates {
                    start,
                    end,
                    tokens: at..at + 1,
                }),
            }
        }
    }
    out
}

/// Encodes the sentences (`(start, end)` bytes of `text`, in order) of one document: the last
/// layer's states.
pub fn encode(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    text: &str,
    sentences: &[(usize, usize)],
) -> candle_core::Result<Encoded> {
    encode_layer(encoder, tokenizer, text, sentences, encoder.config.layers)
}

/// Like [`encode`], the states after `layer` ([`Encoder::forward_layers`]).
pub fn encode_layer(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    text: &str,
    sentences: &[(usize, usize)],
    layer: usize,
) -> candle_core::Result<Encoded> {
    encode_layers(encoder, tokenizer, text, sentences, None, &[layer])?
        .pop()
        .ok_or_else(|| candle_core::Error::Msg("no layer encoded".into()))
}

/// Like [`encode`], the states after each of `layers` ([`Encoder::forward_layers`]) from one
/// pass, in that order, with sentences packed into windows as `pack` says ([`windows`]).
pub fn encode_layers(
    encoder: &Encoder,
    tokenizer: &Tokenizer,
    text: &str,
    sentences: &[(usize, usize)],
    pack: Option<usize>,
    layers: &[usize],
) -> candle_core::Result<Vec<Encoded>> {
    let windows = windows(tokenizer, text, sentences, encoder.max_window() - 2, pack);
    let mut order: Vec<usize> = (0..windows.len()).collect();
    order.sort_by_key(|&w| windows[w].tokens.len());
    // Batches go to one thread per core: the int8 path runs on the calling thread, and candle's
    // f32 products on these small shapes use little more than one core on their own.
    let batches: Vec<&[usize]> = order.chunks(BATCH).collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(batches.len().max(1));
    let run = |mine: Vec<&[usize]>| -> candle_core::Result<Vec<(usize, Vec<Tensor>)>> {
        let mut out = Vec::new();
        for group in mine {
            let ids: Vec<Vec<u32>> = group
                .iter()
                .map(|&w| window_ids(tokenizer, &windows[w]))
                .collect();
            let by_layer = encoder.forward_layers(&ids, layers)?;
            for (k, &w) in group.iter().enumerate() {
                let states = by_layer.iter().map(|l| l[k].clone()).collect();
                out.push((w, states));
            }
        }
        Ok(out)
    };
    let mut hidden: Vec<Option<Vec<Tensor>>> = vec![None; windows.len()];
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
            .map(|h| crate::joined(h, "encoder"))
            .collect::<Vec<_>>()
    });
    for result in results {
        for (w, states) in result? {
            hidden[w] = Some(states);
        }
    }

    let mut first = layout(&windows, sentences);
    first.hidden_size = encoder.config.hidden;
    let mut out = vec![first; layers.len()];
    for (w, states) in hidden.into_iter().enumerate() {
        let states = states.ok_or_else(|| candle_core::Error::Msg("window not encoded".into()))?;
        // Drop <s> and </s>: heads read content tokens.
        let n = windows[w].tokens.len();
        for (o, s) in out.iter_mut().zip(states) {
            o.states
                .extend(s.narrow(0, 1, n)?.flatten_all()?.to_vec1::<f32>()?);
        }
    }
    Ok(out)
}
