//! The records the Store port takes and returns, besides the domain types of `pulse-core`.

use chrono::{DateTime, Utc};
use pulse_core::snapshot::SnapshotKeys;
use pulse_core::{Call, Day, WorkspaceId};
use serde::{Deserialize, Serialize};

/// How long a `messageId` de-duplicates (SPEC §2).
pub const DEDUPLICATION_DAYS: i64 = 7;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// May only send events.
    Write,
    /// May read scores and change configuration.
    Admin,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Write => "write",
            KeyKind::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<KeyKind> {
        match text {
            "write" => Some(KeyKind::Write),
            "admin" => Some(KeyKind::Admin),
            _ => None,
        }
    }
}

/// A key as stored: only its SHA-256 hash, never the key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRecord {
    /// Lowercase hex SHA-256 of the key.
    pub hash: String,
    pub workspace: WorkspaceId,
    pub kind: KeyKind,
    pub created_at: DateTime<Utc>,
}

/// One accepted call with its (client or server) message id.
#[derive(Clone, Debug, PartialEq)]
pub struct AcceptedCall {
    pub message_id: String,
    pub call: Call,
}

/// The valid calls of one request, to be stored together.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct IngestBatch {
    pub received_at: DateTime<Utc>,
    pub calls: Vec<AcceptedCall>,
    /// Events whose first use by an account is reported (`IngestChange::FeatureFirstUsed`):
    /// the core features of the workspace's profiles.
    pub first_use_events: Vec<String>,
}

/// Something ingestion changed that other parts of Pulse react to (alerts, the bus).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum IngestChange {
    /// An account was named for the first time.
    AccountCreated { account: String, identity: String },
    /// An identity became a member of an account. `account_existed` tells a new user
    /// joining an existing account from the first member of a new one.
    UserJoinedAccount {
        identity: String,
        account: String,
        account_existed: bool,
    },
    /// An account (through one of its members) did an event for the first time.
    FeatureFirstUsed {
        account: String,
        event: String,
        identity: String,
        at: DateTime<Utc>,
    },
}

/// What storing a batch did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IngestOutcome {
    /// Calls stored now.
    pub stored: usize,
    /// Calls whose message id was already accepted (nothing changed for them).
    pub duplicates: usize,
    pub changes: Vec<IngestChange>,
}

/// One subject's result as stored: the resource and the keys lists sort and filter by.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSnapshot {
    pub subject: String,
    pub keys: SnapshotKeys,
    /// The resource as JSON text (serialized once, by the computation).
    pub body: String,
}

/// The whole result of one computation (profile × day), saved at once; saving a day
/// again replaces it.
#[derive(Clone, Debug, PartialEq)]
pub struct Computation {
    pub profile: String,
    pub day: Day,
    pub computed_at: DateTime<Utc>,
    pub p90: Option<f64>,
    pub users: Vec<StoredSnapshot>,
    pub accounts: Vec<StoredSnapshot>,
}

/// A subject entering or leaving a segment on a day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentTransition {
    pub kind: pulse_core::SubjectKind,
    pub segment: String,
    pub subject: String,
    pub day: Day,
    pub entered: bool,
}

/// A stretch of segment membership: entered on a day, left on a later one (or not yet).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentSpan {
    pub segment: String,
    pub subject: String,
    pub entered: Day,
    pub left: Option<Day>,
}

/// What lists sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    Score,
    RawScore,
    ScoreChange,
    Activation,
    Frequency,
    LastSeen,
    Id,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Sort {
    /// Parses `score`, `-score`, `raw_score`, `score_change`, `activation`, `frequency`,
    /// `last_seen`, `id` (a leading `-` sorts descending).
    pub fn parse(text: &str) -> Option<Sort> {
        let (descending, name) = match text.strip_prefix('-') {
            Some(name) => (true, name),
            None => (false, text),
        };
        let field = match name {
            "score" => SortField::Score,
            "raw_score" => SortField::RawScore,
            "score_change" => SortField::ScoreChange,
            "activation" => SortField::Activation,
            "frequency" => SortField::Frequency,
            "last_seen" => SortField::LastSeen,
            "id" => SortField::Id,
            _ => return None,
        };
        Some(Sort { field, descending })
    }

    pub const ALLOWED: &'static str = "score, raw_score, score_change, activation, frequency, last_seen, id (prefix - for descending)";
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            field: SortField::Score,
            descending: true,
        }
    }
}

/// A list request: optional filters, order and a page.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ListQuery {
    pub segment: Option<String>,
    pub account: Option<String>,
    pub sort: Sort,
    pub limit: usize,
    pub cursor: Option<String>,
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// A subject's numbers on one computed day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    pub day: Day,
    pub score: f64,
    pub score_change: Option<f64>,
    pub activation: Option<f64>,
    pub segments: Vec<String>,
}

/// Offset cursors: a computed day never changes under a reader (a recompute replaces it
/// whole), so an offset is stable, and opaque text keeps adapters free to change it.
pub fn encode_offset_cursor(offset: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

pub fn decode_offset_cursor(cursor: &str) -> Option<usize> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("o:")?
        .parse()
        .ok()
}

/// The documents a workspace defines besides profiles (custom segments, alert rules),
/// stored as JSON by id.
pub use pulse_core::DefinitionKind;

/// Where an alert is in its delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Raised, not yet sent.
    Pending,
    /// Posted to Slack.
    Delivered,
    /// A transient failure (429 beyond the wait, 5xx, timeout): tried again at `next_attempt_at`.
    Retrying,
    /// Refused for good by Slack (e.g. `channel_not_found`): needs a person.
    Failed,
    /// No webhook configured for its channel: written to the log/console instead.
    Logged,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Pending => "pending",
            AlertStatus::Delivered => "delivered",
            AlertStatus::Retrying => "retrying",
            AlertStatus::Failed => "failed",
            AlertStatus::Logged => "logged",
        }
    }

    pub fn parse(text: &str) -> Option<AlertStatus> {
        Some(match text {
            "pending" => AlertStatus::Pending,
            "delivered" => AlertStatus::Delivered,
            "retrying" => AlertStatus::Retrying,
            "failed" => AlertStatus::Failed,
            "logged" => AlertStatus::Logged,
            _ => return None,
        })
    }
}

/// An alert and its delivery history, as stored.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Derived from (rule, subject, occurrence): the same occurrence always has this id.
    pub id: String,
    pub rule: String,
    pub subject: String,
    pub channel: Option<String>,
    pub raised_at: DateTime<Utc>,
    pub status: AlertStatus,
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The alert as the domain describes it (headline, facts, …).
    pub alert: serde_json::Value,
    /// Every delivery attempt, oldest first.
    pub attempts: Vec<serde_json::Value>,
}

/// A page request over alerts (newest first).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AlertQuery {
    pub status: Option<AlertStatus>,
    pub rule: Option<String>,
    pub limit: usize,
    pub cursor: Option<String>,
}
