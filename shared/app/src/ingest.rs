//! The ingestion use case (SPEC §2): a decoded request body in, calls validated one by
//! one, the valid ones stored together, and a report of what was accepted and rejected.

use chrono::{DateTime, Utc};
use pulse_bus::DomainEvent;
use pulse_core::{BatchDefaults, CallType, WorkspaceId, parse_call};
use pulse_store::{AcceptedCall, Announce, IngestBatch, IngestChange, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::App;
use crate::config::Limits;
use crate::error::AppError;

/// Which endpoint a body came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v1/batch` and `/v1/import`.
    Batch,
    /// `/v1/track`, `/v1/identify`, …
    Single(CallType),
}

impl Endpoint {
    pub fn from_path(path: &str) -> Option<Endpoint> {
        let name = path.strip_prefix("/v1/")?;
        match name {
            "batch" | "import" => Some(Endpoint::Batch),
            other => CallType::parse(other).map(Endpoint::Single),
        }
    }
}

/// A parsed (not yet validated) ingestion body.
#[derive(Debug)]
pub struct IngestBody {
    /// `writeKey` given in the body, if any.
    pub write_key: Option<String>,
    pub defaults: BatchDefaults,
    /// Each call, or why it was refused before parsing (too large).
    pub calls: Vec<Result<Value, Rejection>>,
    pub fixed_type: Option<CallType>,
}

/// One refused call of a batch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rejection {
    pub index: usize,
    #[serde(rename = "messageId")]
    pub message_id: Option<String>,
    pub error: String,
    pub code: &'static str,
}

/// What happened to a request's calls.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngestReport {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<Rejection>,
    pub changes: Vec<IngestChange>,
}

#[derive(Deserialize)]
struct BatchEnvelope<'a> {
    #[serde(borrow)]
    batch: Vec<&'a RawValue>,
    #[serde(default)]
    context: Option<Value>,
    #[serde(default, rename = "sentAt")]
    sent_at: Option<Value>,
    #[serde(default, rename = "writeKey")]
    write_key: Option<Value>,
}

/// Parses a decompressed body. Shape errors are `400`, size errors `413`.
pub fn parse_body(
    endpoint: Endpoint,
    bytes: &[u8],
    limits: &Limits,
) -> Result<IngestBody, AppError> {
    match endpoint {
        Endpoint::Batch => parse_batch(bytes, limits),
        Endpoint::Single(call_type) => {
            if bytes.len() > limits.max_call_bytes {
                return Err(AppError::TooLarge {
                    code: "call_too_large",
                    message: format!(
                        "the call is {} bytes; one call may be at most {} bytes",
                        bytes.len(),
                        limits.max_call_bytes
                    ),
                });
            }
            let call: Value = serde_json::from_slice(bytes).map_err(|error| {
                AppError::bad_request(
                    "invalid_json",
                    format!("the body is not valid JSON: {error}"),
                )
            })?;
            if !call.is_object() {
                return Err(AppError::bad_request(
                    "invalid_body",
                    format!("expected one {} call as a JSON object", call_type.as_str()),
                ));
            }
            Ok(IngestBody {
                write_key: call
                    .get("writeKey")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                defaults: BatchDefaults::default(),
                calls: vec![Ok(call)],
                fixed_type: Some(call_type),
            })
        }
    }
}

fn parse_batch(bytes: &[u8], limits: &Limits) -> Result<IngestBody, AppError> {
    let value_check: Result<&RawValue, _> = serde_json::from_slice(bytes);
    if let Err(error) = value_check {
        return Err(AppError::bad_request(
            "invalid_json",
            format!("the body is not valid JSON: {error}"),
        ));
    }
    let envelope: BatchEnvelope = serde_json::from_slice(bytes).map_err(|error| {
        AppError::bad_request(
            "invalid_body",
            format!(
                "expected {{\"batch\": [call, …]}} with optional context, sentAt, writeKey: {error}"
            ),
        )
    })?;
    if envelope.batch.len() > limits.max_calls {
        return Err(AppError::TooLarge {
            code: "too_many_calls",
            message: format!(
                "the batch has {} calls; at most {} are allowed per request — split it",
                envelope.batch.len(),
                limits.max_calls
            ),
        });
    }
    let context = match envelope.context {
        None | Some(Value::Null) => None,
        Some(Value::Object(context)) => Some(context),
        Some(_) => {
            return Err(AppError::bad_request(
                "invalid_body",
                "`context` must be a JSON object",
            ));
        }
    };
    let calls = envelope
        .batch
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            let text = raw.get();
            if text.len() > limits.max_call_bytes {
                return Err(Rejection {
                    index,
                    message_id: serde_json::from_str::<Value>(text)
                        .ok()
                        .as_ref()
                        .and_then(message_id_of),
                    error: format!(
                        "the call is {} bytes; at most {} are allowed",
                        text.len(),
                        limits.max_call_bytes
                    ),
                    code: "call_too_large",
                });
            }
            serde_json::from_str(text).map_err(|error| Rejection {
                index,
                message_id: None,
                error: error.to_string(),
                code: "invalid_json",
            })
        })
        .collect();
    Ok(IngestBody {
        write_key: envelope
            .write_key
            .as_ref()
            .and_then(Value::as_str)
            .map(str::to_string),
        defaults: BatchDefaults {
            context,
            sent_at: envelope.sent_at,
        },
        calls,
        fixed_type: None,
    })
}

/// A call's `messageId` as text (clients send strings or numbers), for rejections.
fn message_id_of(call: &Value) -> Option<String> {
    match call.get("messageId")? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

impl App {
    /// Validates and stores the calls of a body for a workspace.
    pub async fn ingest(
        &self,
        workspace: &WorkspaceId,
        body: IngestBody,
        received_at: DateTime<Utc>,
    ) -> Result<IngestReport, AppError> {
        let mut report = IngestReport::default();
        let mut accepted = Vec::with_capacity(body.calls.len());
        for (index, call) in body.calls.into_iter().enumerate() {
            let value = match call {
                Ok(value) => value,
                Err(rejection) => {
                    report.rejected.push(rejection);
                    continue;
                }
            };
            match parse_call(&value, body.fixed_type, &body.defaults, received_at) {
                Ok(call) => {
                    let message_id = call
                        .message_id
                        .clone()
                        .unwrap_or_else(|| format!("pulse-{}", uuid::Uuid::new_v4()));
                    accepted.push(AcceptedCall { message_id, call });
                }
                Err(error) => report.rejected.push(Rejection {
                    index,
                    message_id: message_id_of(&value),
                    error: error.to_string(),
                    code: error.code(),
                }),
            }
        }
        if accepted.is_empty() {
            return Ok(report);
        }
        let announcer = Announcer {
            app: self,
            workspace,
            received_at,
        };
        let batch = IngestBatch {
            received_at,
            calls: accepted,
            first_use_events: self.core_features(workspace).await?,
        };
        let outcome = self
            .store
            .ingest_announcing(workspace, batch, &announcer)
            .await?;
        report.accepted = outcome.stored + outcome.duplicates;
        report.duplicates = outcome.duplicates;
        report.changes = outcome.changes;
        Ok(report)
    }
}

/// Tells the rest of Pulse what ingestion changed, when the store says so: before its
/// commit on DynamoDB (a bus failure then fails the batch, uncommitted, and the client's
/// retry announces again), after it on SQLite (see `Store::ingest_announcing`).
struct Announcer<'a> {
    app: &'a App,
    workspace: &'a WorkspaceId,
    received_at: DateTime<Utc>,
}

#[async_trait::async_trait]
impl Announce for Announcer<'_> {
    async fn announce(&self, changes: &[IngestChange]) -> Result<(), StoreError> {
        let workspace = self.workspace.to_string();
        let at = self.received_at;
        let events: Vec<DomainEvent> = changes
            .iter()
            .map(|change| match change.clone() {
                IngestChange::AccountCreated { account, identity } => DomainEvent::AccountCreated {
                    workspace: workspace.clone(),
                    account,
                    identity,
                    at,
                },
                IngestChange::UserJoinedAccount {
                    identity,
                    account,
                    account_existed,
                } => DomainEvent::UserJoinedAccount {
                    workspace: workspace.clone(),
                    account,
                    identity,
                    account_existed,
                    at,
                },
                IngestChange::FeatureFirstUsed {
                    account,
                    event,
                    identity,
                    at,
                } => DomainEvent::FeatureFirstUsed {
                    workspace: workspace.clone(),
                    account,
                    event,
                    identity,
                    at,
                },
            })
            .collect();
        self.app.bus.publish(events).await.map_err(|error| {
            StoreError::Unavailable(format!(
                "the event bus did not take the batch's events: {error}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_map_from_paths() {
        assert_eq!(Endpoint::from_path("/v1/batch"), Some(Endpoint::Batch));
        assert_eq!(Endpoint::from_path("/v1/import"), Some(Endpoint::Batch));
        assert_eq!(
            Endpoint::from_path("/v1/page"),
            Some(Endpoint::Single(CallType::Page))
        );
        assert_eq!(Endpoint::from_path("/v1/jump"), None);
    }

    #[test]
    fn a_batch_body_keeps_its_context_sent_at_and_write_key() {
        let body = br#"{"batch":[{"type":"track"}],"context":{"groupId":"g"},"sentAt":"2026-12-01T00:00:00Z","writeKey":"k"}"#;
        let parsed = parse_body(Endpoint::Batch, body, &Limits::default()).unwrap();
        assert_eq!(parsed.write_key.as_deref(), Some("k"));
        assert!(parsed.defaults.context.unwrap().contains_key("groupId"));
        assert_eq!(parsed.calls.len(), 1);
    }

    #[test]
    fn shapes_and_sizes_are_checked_before_anything_is_stored() {
        let limits = Limits {
            max_calls: 2,
            max_call_bytes: 40,
            ..Limits::default()
        };
        assert_eq!(
            parse_body(Endpoint::Batch, b"nope", &limits)
                .unwrap_err()
                .code(),
            "invalid_json"
        );
        assert_eq!(
            parse_body(Endpoint::Batch, b"[1]", &limits)
                .unwrap_err()
                .code(),
            "invalid_body"
        );
        assert_eq!(
            parse_body(Endpoint::Batch, br#"{"batch":{}}"#, &limits)
                .unwrap_err()
                .code(),
            "invalid_body"
        );
        assert_eq!(
            parse_body(Endpoint::Batch, br#"{"batch":[1,2,3]}"#, &limits)
                .unwrap_err()
                .code(),
            "too_many_calls"
        );
        let big = format!(
            r#"{{"batch":[{{"type":"track","event":"{}"}}]}}"#,
            "x".repeat(50)
        );
        let parsed = parse_body(Endpoint::Batch, big.as_bytes(), &limits).unwrap();
        assert_eq!(parsed.calls[0].as_ref().unwrap_err().code, "call_too_large");
        let single = format!(r#"{{"event":"{}"}}"#, "x".repeat(50));
        assert_eq!(
            parse_body(
                Endpoint::Single(CallType::Track),
                single.as_bytes(),
                &limits
            )
            .unwrap_err()
            .code(),
            "call_too_large"
        );
    }
}
