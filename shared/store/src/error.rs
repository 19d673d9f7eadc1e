//! Store errors. No driver or SDK types cross this boundary: adapters convert their errors
//! into these, keeping the message (and the cause's text) for the logs.

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The storage is unreachable, overloaded or read-only: retry later (HTTP 503).
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A record exists already (e.g. a workspace id).
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// A stored record could not be read back (bad JSON, unknown enum value…).
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A request the store refuses (e.g. a malformed cursor).
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl StoreError {
    pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(what.to_string())
    }
}
