//! The `Store` port (everything Pulse keeps) and its adapters.
//!
//! - [`sqlite::SqliteStore`]: the embedded default, one WAL-mode file per data directory.
//! - [`dynamodb::DynamoStore`]: one DynamoDB table, single-table design (see README.md).
//!
//! [`conformance`] is the one test suite every adapter passes.

pub mod conformance;
pub mod dynamodb;
pub mod error;
pub mod port;
pub mod recompute;
pub mod sqlite;
pub mod types;

pub use error::StoreError;
pub use port::{Announce, SpanFilter, Store, StoreResult};
pub use recompute::{
    MAX_RECOMPUTE_CHUNK_BYTES, MAX_RECOMPUTE_SHARDS, MAX_RUN_ID_CHARS, recompute_shard_of,
};
pub use types::*;
