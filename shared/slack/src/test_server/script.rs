//! What the test server answers: scripted responses and Slack's own payload checks.

use std::time::Duration;

use axum::http::{StatusCode, header::RETRY_AFTER};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::limits::check_limits;

/// One queued answer for a webhook path. Codes and bodies are the ones Slack sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptedResponse {
    /// 200 `ok` (after Slack's payload checks).
    Ok,
    /// 429 `rate_limited` with `Retry-After: retry_after_secs`.
    TooManyRequests { retry_after_secs: u64 },
    /// 500 `rollup_error`.
    ServerError,
    /// 503 `service_unavailable`.
    ServiceUnavailable,
    /// 400 `invalid_payload`, whatever was sent.
    InvalidPayload,
    /// 403 `action_prohibited`.
    Forbidden,
    /// 404 `channel_not_found`.
    ChannelNotFound,
    /// 410 `channel_is_archived`.
    ChannelIsArchived,
    /// Waits this long, then answers like `Ok` (the request is recorded on arrival).
    Slow(Duration),
    /// Any other answer.
    Status { status: u16, body: String },
}

impl ScriptedResponse {
    /// The delay before answering, if any.
    pub(crate) fn delay(&self) -> Option<Duration> {
        match self {
            ScriptedResponse::Slow(delay) => Some(*delay),
            _ => None,
        }
    }

    /// The answer, given the payload as received (`None` when it was not JSON).
    pub(crate) fn answer(&self, payload: Option<&Value>) -> Response {
        match self {
            ScriptedResponse::Ok | ScriptedResponse::Slow(_) => validate(payload),
            ScriptedResponse::TooManyRequests { retry_after_secs } => (
                StatusCode::TOO_MANY_REQUESTS,
                [(RETRY_AFTER, retry_after_secs.to_string())],
                "rate_limited",
            )
                .into_response(),
            ScriptedResponse::ServerError => plain(500, "rollup_error"),
            ScriptedResponse::ServiceUnavailable => plain(503, "service_unavailable"),
            ScriptedResponse::InvalidPayload => plain(400, "invalid_payload"),
            ScriptedResponse::Forbidden => plain(403, "action_prohibited"),
            ScriptedResponse::ChannelNotFound => plain(404, "channel_not_found"),
            ScriptedResponse::ChannelIsArchived => plain(410, "channel_is_archived"),
            ScriptedResponse::Status { status, body } => plain(*status, body),
        }
    }
}

/// Slack's checks on a message it would otherwise accept.
fn validate(payload: Option<&Value>) -> Response {
    let Some(Value::Object(message)) = payload else {
        return plain(400, "invalid_payload");
    };
    let has_text = message
        .get("text")
        .and_then(Value::as_str)
        .is_some_and(|text| !text.trim().is_empty());
    if !has_text && !message.contains_key("blocks") {
        return plain(400, "no_text");
    }
    // Slack does not insist on a fallback text next to blocks (we do), so only the
    // block limits are checked here.
    let mut blocks_only = message.clone();
    blocks_only.insert("text".into(), Value::from("fallback"));
    if check_limits(&Value::Object(blocks_only)).is_err() {
        return plain(400, "invalid_blocks");
    }
    plain(200, "ok")
}

pub(crate) fn plain(status: u16, body: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, body.to_owned()).into_response()
}
