//! Segment calls (SPEC §2): turning one JSON call, as any Segment or RudderStack client
//! library sends it, into a validated [`Call`] — ids, event name, memberships, flattened
//! traits and the stored time after clock-skew correction. Pure: the caller supplies
//! `receivedAt`; size limits and message-id generation belong to the caller.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value};

use crate::ids::{EventName, IdentityKey, MAX_ID_CHARS, VIEWED_PAGE, VIEWED_SCREEN};

/// Longest accepted `messageId`.
pub const MAX_MESSAGE_ID_CHARS: usize = 100;
/// A corrected time further than this in the future is replaced by `receivedAt`.
pub const MAX_FUTURE_HOURS: i64 = 24;

/// Flattened traits: `{"a":{"b":1}}` becomes `{"a.b": 1}`; arrays stay values.
pub type FlatMap = BTreeMap<String, Value>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallType {
    Track,
    Identify,
    Group,
    Page,
    Screen,
    Alias,
}

impl CallType {
    pub fn parse(text: &str) -> Option<CallType> {
        Some(match text {
            "track" => CallType::Track,
            "identify" => CallType::Identify,
            "group" => CallType::Group,
            "page" => CallType::Page,
            "screen" => CallType::Screen,
            "alias" => CallType::Alias,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallType::Track => "track",
            CallType::Identify => "identify",
            CallType::Group => "group",
            CallType::Page => "page",
            CallType::Screen => "screen",
            CallType::Alias => "alias",
        }
    }
}

/// One validated call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub call_type: CallType,
    /// The client's `messageId`; `None` when absent (the caller generates one).
    pub message_id: Option<String>,
    pub user_id: Option<String>,
    pub anonymous_id: Option<String>,
    /// The usage event: a track call's `event`, `Viewed Page` or `Viewed Screen`.
    pub event: Option<EventName>,
    /// A `group` call's `groupId`, or any call's `context.groupId`.
    pub group_id: Option<String>,
    /// An `alias` call's `previousId`.
    pub previous_id: Option<String>,
    /// User traits (identify) or account traits (group), flattened.
    pub traits: FlatMap,
    /// The stored time of the call (SPEC §2 "Time").
    pub timestamp: DateTime<Utc>,
}

impl Call {
    /// Whom the call is about: the user when `userId` is set, else the anonymous visitor.
    pub fn identity(&self) -> IdentityKey {
        match (&self.user_id, &self.anonymous_id) {
            (Some(user), _) => IdentityKey::User(user.clone()),
            (None, Some(anonymous)) => IdentityKey::Anonymous(anonymous.clone()),
            (None, None) => unreachable!("a parsed call always has userId or anonymousId"),
        }
    }
}

/// Why a call was refused; the message is shown to the client as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("a call must be a JSON object")]
    NotAnObject,
    #[error("`type` is missing or not one of track, identify, group, page, screen, alias")]
    UnknownType,
    #[error("the call needs a `userId` or an `anonymousId`")]
    MissingIdentity,
    #[error("`{field}` must be a string or a number of at most {max} characters")]
    InvalidId { field: &'static str, max: usize },
    #[error("a track call needs a non-empty `event` name of at most 255 characters")]
    MissingEvent,
    #[error("a group call needs a `groupId`")]
    MissingGroupId,
    #[error("an alias call needs a `previousId` and a `userId`")]
    MissingAliasIds,
    #[error("`messageId` must be a string of at most {MAX_MESSAGE_ID_CHARS} characters")]
    InvalidMessageId,
    #[error("`{field}` is not an RFC 3339 / ISO 8601 time with `Z` or an offset: {value}")]
    InvalidTime { field: &'static str, value: String },
    #[error("`{0}` must be a JSON object")]
    NotAnObjectField(&'static str),
}

impl CallError {
    /// A stable machine-readable code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            CallError::NotAnObject | CallError::NotAnObjectField(_) => "invalid_shape",
            CallError::UnknownType => "invalid_type",
            CallError::MissingIdentity => "missing_id",
            CallError::InvalidId { .. } => "invalid_id",
            CallError::MissingEvent => "missing_event",
            CallError::MissingGroupId => "missing_group_id",
            CallError::MissingAliasIds => "missing_alias_ids",
            CallError::InvalidMessageId => "invalid_message_id",
            CallError::InvalidTime { .. } => "invalid_timestamp",
        }
    }
}

/// What a batch gives every call it carries.
#[derive(Clone, Debug, Default)]
pub struct BatchDefaults {
    pub context: Option<Map<String, Value>>,
    pub sent_at: Option<Value>,
}

/// Parses one call. `fixed_type` is the type implied by a single-call endpoint
/// (`/v1/track`…); in a batch the call's own `type` decides.
pub fn parse_call(
    value: &Value,
    fixed_type: Option<CallType>,
    defaults: &BatchDefaults,
    received_at: DateTime<Utc>,
) -> Result<Call, CallError> {
    let object = value.as_object().ok_or(CallError::NotAnObject)?;
    let call_type = match fixed_type {
        Some(call_type) => call_type,
        None => object
            .get("type")
            .and_then(Value::as_str)
            .and_then(CallType::parse)
            .ok_or(CallError::UnknownType)?,
    };
    let user_id = optional_id(object, "userId")?;
    let anonymous_id = optional_id(object, "anonymousId")?;
    if user_id.is_none() && anonymous_id.is_none() {
        return Err(CallError::MissingIdentity);
    }
    let message_id = message_id(object)?;
    let timestamp = stored_time(object, defaults, received_at)?;

    let event = match call_type {
        CallType::Track => Some(
            object
                .get("event")
                .and_then(Value::as_str)
                .and_then(|name| EventName::parse(name).ok())
                .ok_or(CallError::MissingEvent)?,
        ),
        CallType::Page => Some(EventName::parse(VIEWED_PAGE).expect("constant is valid")),
        CallType::Screen => Some(EventName::parse(VIEWED_SCREEN).expect("constant is valid")),
        _ => None,
    };
    let group_id = match call_type {
        CallType::Group => Some(optional_id(object, "groupId")?.ok_or(CallError::MissingGroupId)?),
        _ => context_group_id(object, defaults)?,
    };
    let previous_id = match call_type {
        CallType::Alias => {
            let previous = optional_id(object, "previousId")?;
            if previous.is_none() || user_id.is_none() {
                return Err(CallError::MissingAliasIds);
            }
            previous
        }
        _ => None,
    };
    let traits = match call_type {
        CallType::Identify | CallType::Group => flattened_object(object, "traits")?,
        _ => FlatMap::new(),
    };
    // Properties are not scored (usage is aggregated per event name), only checked.
    if !matches!(
        object.get("properties"),
        None | Some(Value::Null) | Some(Value::Object(_))
    ) {
        return Err(CallError::NotAnObjectField("properties"));
    }

    Ok(Call {
        call_type,
        message_id,
        user_id,
        anonymous_id,
        event,
        group_id,
        previous_id,
        traits,
        timestamp,
    })
}

/// `context.groupId`: the call's own context wins over the batch's.
fn context_group_id(
    object: &Map<String, Value>,
    defaults: &BatchDefaults,
) -> Result<Option<String>, CallError> {
    match object.get("context") {
        None | Some(Value::Null) => {}
        Some(Value::Object(own)) if own.contains_key("groupId") => {
            return optional_id(own, "groupId");
        }
        Some(Value::Object(_)) => {}
        Some(_) => return Err(CallError::NotAnObjectField("context")),
    }
    match &defaults.context {
        Some(batch) => optional_id(batch, "groupId"),
        None => Ok(None),
    }
}

/// An id field: a string or a number, at most 255 characters; `null`, absent or empty
/// count as missing.
fn optional_id(
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<Option<String>, CallError> {
    let invalid = || CallError::InvalidId {
        field,
        max: MAX_ID_CHARS,
    };
    let text = match object.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(_) => return Err(invalid()),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_ID_CHARS {
        return Err(invalid());
    }
    Ok(Some(text))
}

fn message_id(object: &Map<String, Value>) -> Result<Option<String>, CallError> {
    let text = match object.get("messageId") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(_) => return Err(CallError::InvalidMessageId),
    };
    if text.chars().count() > MAX_MESSAGE_ID_CHARS {
        return Err(CallError::InvalidMessageId);
    }
    Ok((!text.is_empty()).then_some(text))
}

/// SPEC §2 "Time": `receivedAt − (sentAt − timestamp)` when both are known, `timestamp`
/// alone, or `receivedAt`; never more than 24 h ahead of `receivedAt`.
fn stored_time(
    object: &Map<String, Value>,
    defaults: &BatchDefaults,
    received_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, CallError> {
    let timestamp = optional_time(object.get("timestamp"), "timestamp")?;
    let sent_at = match object.get("sentAt") {
        None | Some(Value::Null) => optional_time(defaults.sent_at.as_ref(), "sentAt")?,
        own => optional_time(own, "sentAt")?,
    };
    let stored = match (timestamp, sent_at) {
        (Some(timestamp), Some(sent_at)) => received_at - (sent_at - timestamp),
        (Some(timestamp), None) => timestamp,
        (None, _) => received_at,
    };
    if stored - received_at > Duration::hours(MAX_FUTURE_HOURS) {
        return Ok(received_at);
    }
    Ok(stored)
}

fn optional_time(
    value: Option<&Value>,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, CallError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => {
            parse_time(text)
                .map(Some)
                .ok_or_else(|| CallError::InvalidTime {
                    field,
                    value: text.chars().take(64).collect(),
                })
        }
        Some(other) => Err(CallError::InvalidTime {
            field,
            value: other.to_string().chars().take(64).collect(),
        }),
    }
}

/// RFC 3339 / ISO 8601 with `Z` or an offset (`+00:00` or `+0000`), any fraction.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(parsed) = DateTime::parse_from_rfc3339(text) {
        return Some(parsed.with_timezone(&Utc));
    }
    DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
        .ok()
        .map(|parsed| parsed.with_timezone(&Utc))
}

fn flattened_object(
    object: &Map<String, Value>,
    field: &'static str,
) -> Result<FlatMap, CallError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(FlatMap::new()),
        Some(Value::Object(inner)) => Ok(flatten(inner)),
        Some(_) => Err(CallError::NotAnObjectField(field)),
    }
}

/// Flattens nested objects with `.`: `{"a":{"b":1}}` → `a.b = 1`. Arrays are kept as values.
pub fn flatten(object: &Map<String, Value>) -> FlatMap {
    let mut flat = FlatMap::new();
    flatten_into(&mut flat, "", object);
    flat
}

fn flatten_into(flat: &mut FlatMap, prefix: &str, object: &Map<String, Value>) {
    for (key, value) in object {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) => flatten_into(flat, &path, inner),
            other => {
                flat.insert(path, other.clone());
            }
        }
    }
}

#[cfg(test)]
#[path = "call_tests.rs"]
mod tests;
