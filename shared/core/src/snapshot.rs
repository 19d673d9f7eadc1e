//! The results of a computation as of a day: [`UserScore`] and [`AccountScore`], the
//! resources the admin API returns (SPEC §7) and the score history stores.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::call::FlatMap;
use crate::day::Day;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Adoption {
    /// % of the profile's scored events done at least once in the period.
    pub period: f64,
    /// The same over all history up to and including the day.
    pub all_time: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activation {
    /// % of criteria met; `None` when the profile defines no criteria.
    pub rate: Option<f64>,
    pub activated: bool,
    pub criteria: Vec<CriterionResult>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriterionResult {
    pub name: String,
    pub met: bool,
}

/// What made a score: one line per scored event done in the period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BreakdownLine {
    pub event: String,
    pub count: u64,
    pub weight: u32,
    pub points: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserScore {
    pub id: String,
    pub profile: String,
    pub as_of: Day,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub anonymous: bool,
    pub accounts: Vec<String>,
    pub traits: FlatMap,
    pub raw_score: u64,
    pub score: u32,
    pub score_change: Option<i64>,
    pub frequency: u32,
    pub adoption: Adoption,
    pub activation: Activation,
    pub segments: Vec<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
    pub breakdown: Vec<BreakdownLine>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsersSummary {
    /// Members with any event in the 90 days ending with the day.
    pub total: u32,
    /// Members that are active (raw score > 0).
    pub active: u32,
    pub active_pct: f64,
    /// Members in the profile's population, active or not.
    pub members: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountScoreSummary {
    pub average: f64,
    pub total: u64,
    pub change: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberLine {
    pub id: String,
    pub score: u32,
    pub raw_score: u64,
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountScore {
    pub id: String,
    pub profile: String,
    pub as_of: Day,
    pub traits: FlatMap,
    pub users: UsersSummary,
    pub score: AccountScoreSummary,
    pub frequency: u32,
    pub adoption: Adoption,
    pub activation: Activation,
    pub segments: Vec<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
    pub breakdown: Vec<BreakdownLine>,
    pub members: Vec<MemberLine>,
}

/// Which kind of subject a snapshot, segment or alert is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Users,
    Accounts,
}

impl SubjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::Users => "users",
            SubjectKind::Accounts => "accounts",
        }
    }

    pub fn parse(text: &str) -> Option<SubjectKind> {
        match text {
            "users" => Some(SubjectKind::Users),
            "accounts" => Some(SubjectKind::Accounts),
            _ => None,
        }
    }
}

/// The sortable numbers of a snapshot, kept beside it so that stores can sort and filter
/// lists without decoding every resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SnapshotKeys {
    pub score: f64,
    pub raw_score: f64,
    pub score_change: Option<f64>,
    pub activation: Option<f64>,
    pub frequency: f64,
    pub last_seen: Option<DateTime<Utc>>,
    pub accounts: Vec<String>,
    pub segments: Vec<String>,
}

impl UserScore {
    pub fn keys(&self) -> SnapshotKeys {
        SnapshotKeys {
            score: f64::from(self.score),
            raw_score: self.raw_score as f64,
            score_change: self.score_change.map(|change| change as f64),
            activation: self.activation.rate,
            frequency: f64::from(self.frequency),
            last_seen: self.last_seen,
            accounts: self.accounts.clone(),
            segments: self.segments.clone(),
        }
    }
}

impl AccountScore {
    pub fn keys(&self) -> SnapshotKeys {
        SnapshotKeys {
            score: self.score.average,
            raw_score: self.breakdown.iter().map(|line| line.points).sum::<u64>() as f64,
            score_change: self.score.change,
            activation: self.activation.rate,
            frequency: f64::from(self.frequency),
            last_seen: self.last_seen,
            accounts: Vec::new(),
            segments: self.segments.clone(),
        }
    }
}

/// Sums breakdown lines by event (an account's breakdown is its members' summed).
pub fn merge_breakdowns<'a>(
    lines: impl IntoIterator<Item = &'a BreakdownLine>,
) -> Vec<BreakdownLine> {
    let mut merged: BTreeMap<&str, BreakdownLine> = BTreeMap::new();
    for line in lines {
        let entry = merged
            .entry(line.event.as_str())
            .or_insert_with(|| BreakdownLine {
                event: line.event.clone(),
                count: 0,
                weight: line.weight,
                points: 0,
            });
        entry.count += line.count;
        entry.points += line.points;
    }
    let mut lines: Vec<BreakdownLine> = merged.into_values().collect();
    lines.sort_by(|a, b| b.points.cmp(&a.points).then_with(|| a.event.cmp(&b.event)));
    lines
}
