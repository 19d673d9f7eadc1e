//! Snapshots and rules built in one line each, for the decision tests.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::AlertRule;
use crate::day::Day;
use crate::profile::Profile;
use crate::snapshot::{
    AccountScore, AccountScoreSummary, Activation, Adoption, SnapshotKeys, UserScore, UsersSummary,
};

pub(super) fn day(text: &str) -> Day {
    text.parse().unwrap()
}

pub(super) fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

pub(super) fn profile() -> Profile {
    Profile::parse(
        "id: cs\nevents: {Report Created: 10, Dashboard Shared: 8, Viewed Page: 1}\n\
         core_features: [Report Created, Dashboard Shared]",
    )
    .unwrap()
}

pub(super) fn rule(yaml: &str) -> AlertRule {
    AlertRule::parse(&format!("profile: cs\n{yaml}"), Some("r")).unwrap()
}

fn activation(rate: Option<f64>) -> Activation {
    Activation {
        rate,
        activated: rate == Some(100.0),
        criteria: Vec::new(),
    }
}

/// An account of profile `cs` as of 2026-12-01, named after its id ("acme" → "Acme").
pub(super) fn account(
    id: &str,
    average: f64,
    rate: Option<f64>,
    segments: &[&str],
) -> AccountScore {
    let mut name = id.to_string();
    name[..1].make_ascii_uppercase();
    AccountScore {
        id: id.into(),
        profile: "cs".into(),
        as_of: day("2026-12-01"),
        traits: [("name".to_string(), json!(name))].into_iter().collect(),
        users: UsersSummary {
            total: 12,
            active: 7,
            active_pct: 58.3,
            members: 12,
        },
        score: AccountScoreSummary {
            average,
            total: 444,
            change: Some(-3.5),
        },
        frequency: 6,
        adoption: Adoption {
            period: 45.5,
            all_time: 72.7,
        },
        activation: activation(rate),
        segments: segments.iter().map(|s| s.to_string()).collect(),
        first_seen: at("2026-03-02T10:00:00Z"),
        last_seen: Some(at("2026-12-01T16:20:11Z")),
        breakdown: Vec::new(),
        members: Vec::new(),
    }
}

/// A user of profile `cs` as of 2026-12-01, without a name unless given one.
pub(super) fn user(id: &str, score: u32, rate: Option<f64>, segments: &[&str]) -> UserScore {
    UserScore {
        id: id.into(),
        profile: "cs".into(),
        as_of: day("2026-12-01"),
        anonymous: false,
        accounts: vec!["acme".into()],
        traits: Default::default(),
        raw_score: u64::from(score),
        score,
        score_change: Some(-4),
        frequency: 5,
        adoption: Adoption {
            period: 50.0,
            all_time: 83.3,
        },
        activation: activation(rate),
        segments: segments.iter().map(|s| s.to_string()).collect(),
        first_seen: at("2026-03-02T10:00:00Z"),
        last_seen: Some(at("2026-12-01T16:20:11Z")),
        breakdown: Vec::new(),
    }
}

pub(super) fn keys(score: f64, activation: Option<f64>) -> SnapshotKeys {
    SnapshotKeys {
        score,
        raw_score: score,
        score_change: None,
        activation,
        frequency: 1.0,
        last_seen: None,
        accounts: Vec::new(),
        segments: Vec::new(),
    }
}
