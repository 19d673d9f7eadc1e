//! The independent-computation check's parts: the simulated product, the reference's
//! reading of the calls, the naive metrics, the pipeline route and the comparison.

pub mod compare;
pub mod generator;
pub mod naive;
pub mod pipeline;
pub mod world;
