//! The ingestion endpoints: read the body within limits, find the write key, store the
//! calls and answer as Segment's clients expect.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use pulse_store::KeyKind;
use serde_json::json;

use super::auth::basic_write_key;
use super::body::read_limited;
use crate::App;
use crate::error::AppError;
use crate::ingest::{Endpoint, parse_body};

pub async fn receive(State(app): State<App>, uri: Uri, headers: HeaderMap, body: Body) -> Response {
    match receive_inner(&app, &uri, &headers, body).await {
        Ok(response) => response,
        Err(error) => {
            let mut response = error.into_response();
            if response.status() == StatusCode::UNAUTHORIZED {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"pulse\""),
                );
            }
            response
        }
    }
}

async fn receive_inner(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, AppError> {
    let received_at = app.clock.now();
    let endpoint = Endpoint::from_path(uri.path())
        .ok_or_else(|| AppError::not_found("unknown ingestion endpoint"))?;
    let header_key = basic_write_key(headers)?;
    let limits = &app.config.limits;
    let bytes = read_limited(headers, body, limits.max_body_bytes).await?;
    let parsed = parse_body(endpoint, &bytes, limits);
    let key = match (&header_key, &parsed) {
        (Some(key), _) => key.clone(),
        (None, Ok(body)) => body.write_key.clone().ok_or_else(missing_key)?,
        (None, Err(_)) => return Err(missing_key()),
    };
    let workspace = app
        .authenticate(&key, KeyKind::Write)
        .await
        .map_err(|error| match error {
            // Admin keys are not write keys: to ingestion they are unknown keys.
            AppError::Forbidden(message) => AppError::Unauthorized(message),
            other => other,
        })?;
    let parsed = parsed?;
    let total = parsed.calls.len();
    let report = app.ingest(&workspace, parsed, received_at).await?;
    tracing::debug!(workspace = %workspace, total, accepted = report.accepted, duplicates = report.duplicates,
        rejected = report.rejected.len(), "ingested");
    if report.rejected.is_empty() {
        return Ok(Json(json!({"success": true})).into_response());
    }
    if report.accepted == 0 {
        return Err(AppError::BadRequest {
            code: "invalid_calls",
            message: format!(
                "none of the {total} call(s) was valid; see `rejected` for each call's problem"
            ),
            details: Some(json!({"rejected": report.rejected})),
        });
    }
    Ok(
        Json(json!({"success": true, "accepted": report.accepted, "rejected": report.rejected}))
            .into_response(),
    )
}

fn missing_key() -> AppError {
    AppError::Unauthorized(
        "missing write key: send `Authorization: Basic base64(<write key>:)` or a `writeKey` field"
            .into(),
    )
}
