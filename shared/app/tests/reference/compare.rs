//! Field-by-field comparison of the reference's expectations with the resources the
//! pipeline stored: every user and account, every SPEC §4 number (one-decimal values
//! exactly as `tenths / 10`), segments as sets, times to the millisecond.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::naive::{AccountRow, Expected, Tenths, UserRow};
use super::pipeline::Resources;

/// One disagreement.
#[derive(Clone, Debug)]
pub struct Difference {
    pub case: String,
    pub subject: String,
    pub field: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} `{}`: expected {}, pipeline {}",
            self.case, self.subject, self.field, self.expected, self.actual
        )
    }
}

/// What a field should hold.
enum Want {
    Int(i64),
    OptInt(Option<i64>),
    Tenths(Tenths),
    OptTenths(Option<Tenths>),
    Bool(bool),
    Set(BTreeSet<String>),
    Json(Value),
    Time(DateTime<Utc>),
    OptTime(Option<DateTime<Utc>>),
    /// Only the day is checked (see [`Comparison`] on `last_seen`).
    DayOf(Option<DateTime<Utc>>),
}

impl Want {
    fn matches(&self, actual: &Value) -> bool {
        let number = |value: &Value| value.as_f64();
        let time = |value: &Value| {
            value
                .as_str()
                .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
                .map(|at| at.with_timezone(&Utc))
        };
        match self {
            Want::Int(want) => number(actual) == Some(*want as f64),
            Want::OptInt(None)
            | Want::OptTenths(None)
            | Want::OptTime(None)
            | Want::DayOf(None) => actual.is_null(),
            Want::OptInt(Some(want)) => number(actual) == Some(*want as f64),
            Want::Tenths(want) | Want::OptTenths(Some(want)) => {
                number(actual) == Some(*want as f64 / 10.0)
            }
            Want::Bool(want) => actual.as_bool() == Some(*want),
            Want::Set(want) => {
                let items: Option<BTreeSet<String>> = actual.as_array().map(|items| {
                    items
                        .iter()
                        .filter_map(|item| item.as_str().map(str::to_string))
                        .collect()
                });
                items.as_ref() == Some(want) && actual.as_array().map(Vec::len) == Some(want.len())
            }
            Want::Json(want) => actual == want,
            Want::Time(want) | Want::OptTime(Some(want)) => time(actual) == Some(*want),
            Want::DayOf(Some(want)) => {
                time(actual).map(|at| at.date_naive()) == Some(want.date_naive())
            }
        }
    }

    fn show(&self) -> String {
        let tenths = |value: Tenths| format!("{:.1}", value as f64 / 10.0);
        match self {
            Want::Int(value) => value.to_string(),
            Want::OptInt(value) => value.map_or("null".into(), |value| value.to_string()),
            Want::Tenths(value) => tenths(*value),
            Want::OptTenths(value) => value.map_or("null".into(), tenths),
            Want::Bool(value) => value.to_string(),
            Want::Set(value) => format!("{value:?}"),
            Want::Json(value) => value.to_string(),
            Want::Time(value) => value.to_rfc3339(),
            Want::OptTime(value) => value.map_or("null".into(), |value| value.to_rfc3339()),
            Want::DayOf(value) => {
                value.map_or("null".into(), |value| format!("day {}", value.date_naive()))
            }
        }
    }
}

/// Collects the differences of one case (profile × day).
pub struct Comparison {
    pub case: String,
    pub differences: Vec<Difference>,
    /// Fields compared, to show the check did something.
    pub checked: usize,
    /// `last_seen` values that could only be checked to the day: when a subject has
    /// events after the day, the per-day aggregates no longer know the last instant before it.
    pub last_seen_to_the_day: usize,
    /// Of those, how many the pipeline reported at another instant of the right day.
    pub last_seen_other_instant: usize,
}

impl Comparison {
    pub fn new(case: String) -> Comparison {
        Comparison {
            case,
            differences: Vec::new(),
            checked: 0,
            last_seen_to_the_day: 0,
            last_seen_other_instant: 0,
        }
    }

    fn field(&mut self, subject: &str, resource: &Value, path: &str, want: Want) {
        let actual = path
            .split('.')
            .try_fold(resource, |value, key| value.get(key))
            .cloned()
            .unwrap_or(Value::Null);
        self.checked += 1;
        if !want.matches(&actual) {
            self.differences.push(Difference {
                case: self.case.clone(),
                subject: subject.to_string(),
                field: path.to_string(),
                expected: want.show(),
                actual: actual.to_string(),
            });
        }
    }

    fn missing(&mut self, subject: &str, expected: &str, actual: &str) {
        self.differences.push(Difference {
            case: self.case.clone(),
            subject: subject.to_string(),
            field: "(presence)".into(),
            expected: expected.into(),
            actual: actual.into(),
        });
    }

    fn last_seen(
        &mut self,
        subject: &str,
        resource: &Value,
        at: Option<DateTime<Utc>>,
        events_after: bool,
    ) {
        if events_after {
            self.last_seen_to_the_day += 1;
            if !Want::OptTime(at).matches(&resource["last_seen"]) {
                self.last_seen_other_instant += 1;
            }
            self.field(subject, resource, "last_seen", Want::DayOf(at));
        } else {
            self.field(subject, resource, "last_seen", Want::OptTime(at));
        }
    }

    /// Segments one by one, so that a difference names the segment.
    fn segments(&mut self, subject: &str, resource: &Value, expected: &BTreeSet<String>) {
        let actual: Vec<&str> = resource["segments"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        self.checked += 1;
        let named: BTreeSet<&str> = expected
            .iter()
            .map(String::as_str)
            .chain(actual.iter().copied())
            .collect();
        for segment in named {
            let want = expected.contains(segment);
            let got = actual.iter().filter(|id| **id == segment).count();
            if got != usize::from(want) {
                self.differences.push(Difference {
                    case: self.case.clone(),
                    subject: subject.to_string(),
                    field: format!("segments[{segment}]"),
                    expected: if want { "member" } else { "not a member" }.into(),
                    actual: format!(
                        "{} (segments {actual:?})",
                        if got > 0 { "member" } else { "not a member" }
                    ),
                });
            }
        }
    }

    fn activation(
        &mut self,
        subject: &str,
        resource: &Value,
        rate: Tenths,
        criteria: &[(String, bool)],
    ) {
        self.field(subject, resource, "activation.rate", Want::Tenths(rate));
        self.field(
            subject,
            resource,
            "activation.activated",
            Want::Bool(rate == 1000),
        );
        let criteria: Vec<Value> = criteria
            .iter()
            .map(|(name, met)| json!({"name": name, "met": met}))
            .collect();
        self.field(
            subject,
            resource,
            "activation.criteria",
            Want::Json(Value::Array(criteria)),
        );
    }

    pub fn compare(&mut self, expected: &Expected, actual: &Resources) {
        for (id, row) in &expected.users {
            match actual.users.get(id) {
                Some(resource) => self.user(&format!("user {id}"), row, resource),
                None => self.missing(&format!("user {id}"), "scored", "absent"),
            }
        }
        for id in actual
            .users
            .keys()
            .filter(|id| !expected.users.contains_key(*id))
        {
            self.missing(&format!("user {id}"), "absent", "scored");
        }
        for (id, row) in &expected.accounts {
            match actual.accounts.get(id) {
                Some(resource) => self.account(&format!("account {id}"), row, resource),
                None => self.missing(&format!("account {id}"), "scored", "absent"),
            }
        }
        for id in actual
            .accounts
            .keys()
            .filter(|id| !expected.accounts.contains_key(*id))
        {
            self.missing(&format!("account {id}"), "absent", "scored");
        }
    }

    fn user(&mut self, subject: &str, row: &UserRow, resource: &Value) {
        self.field(
            subject,
            resource,
            "accounts",
            Want::Set(row.accounts.clone()),
        );
        self.field(subject, resource, "traits", Want::Json(json!(row.traits)));
        self.field(subject, resource, "raw_score", Want::Int(row.raw as i64));
        self.field(subject, resource, "score", Want::Int(row.score));
        self.field(subject, resource, "score_change", Want::OptInt(row.change));
        self.field(
            subject,
            resource,
            "frequency",
            Want::Int(row.frequency as i64),
        );
        self.field(
            subject,
            resource,
            "adoption.period",
            Want::Tenths(row.adoption.0),
        );
        self.field(
            subject,
            resource,
            "adoption.all_time",
            Want::Tenths(row.adoption.1),
        );
        self.activation(subject, resource, row.activation.0, &row.activation.1);
        self.segments(subject, resource, &row.segments);
        self.field(subject, resource, "first_seen", Want::Time(row.first_seen));
        self.last_seen(subject, resource, row.last_seen, row.events_after);
    }

    fn account(&mut self, subject: &str, row: &AccountRow, resource: &Value) {
        self.field(subject, resource, "traits", Want::Json(json!(row.traits)));
        self.field(
            subject,
            resource,
            "users.members",
            Want::Int(row.members.len() as i64),
        );
        self.field(
            subject,
            resource,
            "users.total",
            Want::Int(row.total as i64),
        );
        self.field(
            subject,
            resource,
            "users.active",
            Want::Int(row.active as i64),
        );
        self.field(
            subject,
            resource,
            "users.active_pct",
            Want::Tenths(row.active_pct),
        );
        self.field(
            subject,
            resource,
            "score.average",
            Want::Tenths(row.average),
        );
        self.field(subject, resource, "score.total", Want::Int(row.total_score));
        self.field(
            subject,
            resource,
            "score.change",
            Want::OptTenths(row.change),
        );
        self.field(
            subject,
            resource,
            "frequency",
            Want::Int(row.frequency as i64),
        );
        self.field(
            subject,
            resource,
            "adoption.period",
            Want::Tenths(row.adoption.0),
        );
        self.field(
            subject,
            resource,
            "adoption.all_time",
            Want::Tenths(row.adoption.1),
        );
        self.activation(subject, resource, row.activation.0, &row.activation.1);
        self.segments(subject, resource, &row.segments);
        self.field(subject, resource, "first_seen", Want::Time(row.first_seen));
        self.last_seen(subject, resource, row.last_seen, row.events_after);
        let members: BTreeMap<String, (i64, u64)> = resource["members"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|member| {
                let id = member["id"].as_str().unwrap_or_default().to_string();
                (
                    id,
                    (
                        member["score"].as_i64().unwrap_or(-1),
                        member["raw_score"].as_u64().unwrap_or(0),
                    ),
                )
            })
            .collect();
        self.checked += 1;
        if members != row.members {
            self.differences.push(Difference {
                case: self.case.clone(),
                subject: subject.to_string(),
                field: "members (id → score, raw)".into(),
                expected: format!("{:?}", row.members),
                actual: format!("{members:?}"),
            });
        }
    }
}
