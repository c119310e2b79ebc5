//! Scorers for public benchmark layouts, so spinscope's figures compare with published ones.

pub mod agitative;
pub mod attribution_relations;
pub mod brat;
pub mod checkworthy;
pub mod extraction;
pub mod ptc;
pub mod reliability;
pub mod spans;
pub mod splits;
pub mod zh_spans;
