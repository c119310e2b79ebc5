//! Small learned models: hashed sparse features and linear classifiers trained here, in Rust,
//! deterministic given a seed. Written rather than taken from a crate: a softmax regression
//! over hashed features is a hundred lines, trains the whole PTC corpus in seconds, and its
//! weights explain each prediction (the features that pushed it).

pub mod features;
pub mod linear;

pub use features::Features;
pub use linear::{Linear, TrainConfig};
