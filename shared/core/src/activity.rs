//! The inputs of a computation as of a day: what the store knows about each (canonical)
//! user and account, gathered by the app and handed to [`crate::scoring`].

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::call::FlatMap;
use crate::day::Day;
use crate::ids::IdentityKey;
use crate::rules::{Field, Subject, Value as RuleValue};

/// Everything known about one user, after anonymous identities were merged into it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UserActivity {
    pub identity: Option<IdentityKey>,
    pub traits: FlatMap,
    pub accounts: BTreeSet<String>,
    /// The user's first call of any kind.
    pub first_seen: Option<DateTime<Utc>>,
    /// The user's last event (track/page/screen) on or before the day.
    pub last_seen: Option<DateTime<Utc>>,
    /// Days with any event in the 90 days ending with the day, ascending.
    pub recent_days: Vec<Day>,
    /// Per event, per day counts inside the engagement period.
    pub period: BTreeMap<String, BTreeMap<Day, u64>>,
    /// All-time counts up to and including the day, for the events the profile needs.
    pub all_time: BTreeMap<String, u64>,
    /// Counts for rule functions `count(event, days)` (None = all time).
    pub rule_counts: HashMap<(String, Option<u32>), u64>,
}

impl UserActivity {
    pub fn public_id(&self) -> String {
        self.identity
            .as_ref()
            .map(IdentityKey::public_id)
            .unwrap_or_default()
    }
}

/// An account as the store knows it.
#[derive(Clone, Debug, Default)]
pub struct AccountInfo {
    pub id: String,
    pub traits: FlatMap,
    /// The first `group` call or membership naming the account.
    pub first_seen: Option<DateTime<Utc>>,
}

/// The scores of the day `D − window_days`, for the score change.
#[derive(Clone, Debug, Default)]
pub struct PreviousScores {
    pub users: HashMap<String, u32>,
    pub accounts: HashMap<String, f64>,
}

/// When a subject was created: the `createdAt` trait when present (RFC 3339 time,
/// `YYYY-MM-DD`, or Unix seconds/milliseconds), else its first call.
pub fn created_day(traits: &FlatMap, first_seen: Option<DateTime<Utc>>) -> Option<Day> {
    traits
        .get("createdAt")
        .or_else(|| traits.get("created_at"))
        .and_then(parse_created_at)
        .or_else(|| first_seen.map(Day::of))
}

fn parse_created_at(value: &Value) -> Option<Day> {
    match value {
        Value::String(text) => crate::call::parse_time(text)
            .map(Day::of)
            .or_else(|| text.get(..10).and_then(|date| date.parse().ok())),
        Value::Number(number) => {
            let seconds = number.as_f64()?;
            let seconds = if seconds > 1e11 {
                seconds / 1000.0
            } else {
                seconds
            };
            DateTime::from_timestamp(seconds as i64, 0).map(Day::of)
        }
        _ => None,
    }
}

/// A user seen by a population rule, before any score exists.
pub(crate) struct PopulationSubject<'a> {
    pub user: &'a UserActivity,
    pub as_of: Day,
}

impl Subject for PopulationSubject<'_> {
    fn field(&self, field: &Field) -> Option<RuleValue> {
        match field {
            Field::Trait(name) => self.user.traits.get(name).map(RuleValue::from_json),
            Field::FirstSeenDays => self
                .user
                .first_seen
                .map(|seen| RuleValue::Number(f64::from(self.as_of.days_since(Day::of(seen))))),
            Field::LastSeenDays => self
                .user
                .last_seen
                .map(|seen| RuleValue::Number(f64::from(self.as_of.days_since(Day::of(seen))))),
            _ => None,
        }
    }

    fn in_segment(&self, _segment_id: &str) -> Option<bool> {
        None
    }

    fn event_count(&self, event: &str, days: Option<u32>) -> Option<f64> {
        self.user
            .rule_counts
            .get(&(event.to_string(), days))
            .map(|count| *count as f64)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn created_day_prefers_the_created_at_trait_in_any_common_form() {
        let first = DateTime::parse_from_rfc3339("2026-11-30T10:00:00Z")
            .unwrap()
            .to_utc();
        let mut traits = FlatMap::new();
        assert_eq!(created_day(&traits, Some(first)), "2026-11-30".parse().ok());
        traits.insert("createdAt".into(), json!("2025-01-02T03:04:05+01:00"));
        assert_eq!(created_day(&traits, Some(first)), "2025-01-02".parse().ok());
        traits.insert("createdAt".into(), json!("2024-06-07"));
        assert_eq!(created_day(&traits, Some(first)), "2024-06-07".parse().ok());
        traits.insert("createdAt".into(), json!(1_700_000_000));
        assert_eq!(created_day(&traits, Some(first)), "2023-11-14".parse().ok());
        traits.insert("createdAt".into(), json!(1_700_000_000_000_i64));
        assert_eq!(created_day(&traits, Some(first)), "2023-11-14".parse().ok());
        traits.insert("createdAt".into(), json!("not a date"));
        assert_eq!(created_day(&traits, Some(first)), "2026-11-30".parse().ok());
    }
}
