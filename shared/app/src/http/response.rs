//! Error and success bodies: every error is `{"success":false,"error":code,"message":text}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::AppError;

/// Seconds a client should wait before retrying after a `503`.
pub const RETRY_AFTER_SECONDS: u32 = 5;

pub fn error_response(error: &AppError) -> Response {
    let status = match error {
        AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
        AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let message = match error {
        // The cause stays in the log: clients get a generic, actionable message.
        AppError::Unavailable(cause) => {
            tracing::error!(error = %cause, "storage unavailable");
            error.to_string()
        }
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "internal error");
            "internal error; it has been logged".to_string()
        }
        other => other.to_string(),
    };
    let mut body = json!({"success": false, "error": error.code(), "message": message});
    if let AppError::BadRequest {
        details: Some(details),
        ..
    } = error
        && let (Value::Object(body), Value::Object(details)) = (&mut body, details)
    {
        for (key, value) in details {
            body.insert(key.clone(), value.clone());
        }
    }
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        error_response(&self)
    }
}

pub async fn unknown_route() -> Response {
    error_response(&AppError::not_found(
        "no such endpoint; see the README for the API (ingestion under /v1/batch, admin under /v1/…)",
    ))
}

pub async fn method_not_allowed() -> Response {
    let mut response = error_response(&AppError::bad_request(
        "method_not_allowed",
        "this endpoint does not take that HTTP method; see the README for the API",
    ));
    *response.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
    response
}
