//! What a rule reads: the values it compares, the fields it names, and the
//! [`Subject`] (a user or an account) that supplies them.

use std::fmt;

/// A value a rule compares. Traits arrive as JSON; scores and counts as numbers.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Value>),
}

impl Value {
    /// Objects become `Null`: traits are flattened with `.` before they reach a rule, so an
    /// object left over has no field a rule could name.
    pub fn from_json(value: &serde_json::Value) -> Value {
        match value {
            serde_json::Value::Null | serde_json::Value::Object(_) => Value::Null,
            serde_json::Value::Bool(flag) => Value::Bool(*flag),
            serde_json::Value::Number(number) => number.as_f64().map_or(Value::Null, Value::Number),
            serde_json::Value::String(text) => Value::String(text.clone()),
            serde_json::Value::Array(items) => {
                Value::List(items.iter().map(Value::from_json).collect())
            }
        }
    }
}

impl From<f64> for Value {
    fn from(number: f64) -> Self {
        Value::Number(number)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Self {
        Value::Bool(flag)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Self {
        Value::String(text)
    }
}

/// A field a rule may read from a subject. `account.` is not part of the field: it says
/// *whose* field is read, see [`Subject::accounts`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Score,
    RawScore,
    ScoreChange,
    Frequency,
    Adoption,
    AdoptionAllTime,
    Activation,
    UsersTotal,
    UsersActive,
    UsersActivePct,
    FirstSeenDays,
    LastSeenDays,
    Trait(String),
}

/// The fields with a fixed name, as written in rules.
pub(super) const NAMED_FIELDS: [(&str, Field); 12] = [
    ("score", Field::Score),
    ("raw_score", Field::RawScore),
    ("score_change", Field::ScoreChange),
    ("frequency", Field::Frequency),
    ("adoption", Field::Adoption),
    ("adoption_all_time", Field::AdoptionAllTime),
    ("activation", Field::Activation),
    ("users.total", Field::UsersTotal),
    ("users.active", Field::UsersActive),
    ("users.active_pct", Field::UsersActivePct),
    ("first_seen_days", Field::FirstSeenDays),
    ("last_seen_days", Field::LastSeenDays),
];

impl Field {
    /// The account-level aggregates over members, which only an account has.
    pub fn is_member_aggregate(&self) -> bool {
        matches!(
            self,
            Field::UsersTotal | Field::UsersActive | Field::UsersActivePct
        )
    }

    /// Whether the field is known before scoring, so a profile's population filter may use it.
    pub fn is_known_before_scoring(&self) -> bool {
        matches!(
            self,
            Field::Trait(_) | Field::FirstSeenDays | Field::LastSeenDays
        )
    }
}

/// Writes the field as a rule would name it; trait names that the dotted form cannot
/// carry (spaces, quotes…) use the quoted form `traits['Company Size']`.
impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Trait(name) if is_plain_trait_name(name) => write!(f, "traits.{name}"),
            Field::Trait(name) => write!(f, "traits[{}]", quoted_string(name)),
            named => {
                let name = NAMED_FIELDS
                    .iter()
                    .find(|(_, field)| field == named)
                    .map_or("", |(name, _)| name);
                f.write_str(name)
            }
        }
    }
}

/// A trait name that can follow `traits.` without quotes: letters, digits, `_`, `-`,
/// and dots between non-empty parts (flattened traits look like `company.size`).
pub(super) fn is_plain_trait_name(name: &str) -> bool {
    name.split('.').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    })
}

/// A single-quoted rule string literal that reads back as `text`.
pub(super) fn quoted_string(text: &str) -> String {
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('\'');
    for c in text.chars() {
        if c == '\'' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('\'');
    quoted
}

/// A user or an account, as seen by a rule. `None` means "missing": rules treat a
/// missing value as something that compares false, never as an error.
pub trait Subject {
    fn field(&self, field: &Field) -> Option<Value>;

    /// `None` for a segment the subject has not been evaluated for.
    fn in_segment(&self, segment_id: &str) -> Option<bool>;

    /// How often the subject did `event` in the last `days` days, or ever when `None`.
    fn event_count(&self, event: &str, days: Option<u32>) -> Option<f64>;

    /// A user's accounts, read by `account.<field>`; accounts themselves have none.
    fn accounts(&self) -> Vec<&dyn Subject> {
        Vec::new()
    }
}
