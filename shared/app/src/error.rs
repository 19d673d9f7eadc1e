//! Application errors: what went wrong, in words a client can act on, and the HTTP status
//! each maps to. Store failures become 503 with a generic message; details go to the log.

use pulse_store::StoreError;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        details: Option<Value>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    TooLarge { code: &'static str, message: String },
    /// Storage is unavailable: the client should retry (503 + Retry-After).
    #[error("storage is unavailable; retry shortly")]
    Unavailable(#[source] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::BadRequest {
            code,
            message: message.into(),
            details: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::NotFound(message.into())
    }

    /// The stable machine-readable code sent as `error`.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } | AppError::TooLarge { code, .. } => code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::Unavailable(_) => "storage_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid(message) => AppError::bad_request("invalid_request", message),
            StoreError::AlreadyExists(message) => {
                AppError::bad_request("already_exists", format!("{message} already exists"))
            }
            other => AppError::Unavailable(other),
        }
    }
}
