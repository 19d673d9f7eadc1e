//! Scored users and accounts as rule [`Subject`]s, so that custom segments, alert filters
//! and custom alert rules read the very numbers the API shows (SPEC §5 fields).

use std::collections::BTreeSet;

use crate::activity::UserActivity;
use crate::day::Day;
use crate::rules::{Field, Subject, Value};
use crate::segments::default_segment;
use crate::snapshot::{AccountScore, SubjectKind, UserScore};

/// No custom segments: a subject seen before (or without) any custom segment evaluation.
static NO_SEGMENTS: BTreeSet<String> = BTreeSet::new();

/// Which segments a subject is in while custom segments are still being evaluated one
/// after the other: those in its snapshot plus the custom ones `matched` so far.
#[derive(Clone, Copy, Debug)]
pub struct SegmentView<'a> {
    pub matched: &'a [String],
    /// The custom segments (of this kind and profile) evaluated so far, member or not:
    /// `segment()` of one the subject is not in is `false`, of an unknown one "missing".
    pub evaluated: &'a BTreeSet<String>,
}

impl Default for SegmentView<'_> {
    fn default() -> Self {
        SegmentView {
            matched: &[],
            evaluated: &NO_SEGMENTS,
        }
    }
}

impl SegmentView<'_> {
    fn contains(&self, kind: SubjectKind, listed: &[String], id: &str) -> Option<bool> {
        if listed.iter().chain(self.matched).any(|member| member == id) {
            Some(true)
        } else if default_segment(id, kind).is_some() || self.evaluated.contains(id) {
            Some(false)
        } else {
            None
        }
    }
}

/// A scored user: its snapshot, its activity (for `count()`/`did()`), and its accounts
/// (for `account.<field>`).
pub struct ScoredUser<'a> {
    pub score: &'a UserScore,
    /// `None` when the activity is not at hand: `count()` and `did()` are then missing.
    pub activity: Option<&'a UserActivity>,
    pub accounts: Vec<ScoredAccount<'a>>,
    pub segments: SegmentView<'a>,
}

/// A scored account: its snapshot and its members' activity (for `count()`/`did()`,
/// which sum the members' counts).
#[derive(Clone)]
pub struct ScoredAccount<'a> {
    pub score: &'a AccountScore,
    pub members: Vec<&'a UserActivity>,
    pub segments: SegmentView<'a>,
}

impl<'a> ScoredUser<'a> {
    pub fn new(score: &'a UserScore) -> Self {
        ScoredUser {
            score,
            activity: None,
            accounts: Vec::new(),
            segments: SegmentView::default(),
        }
    }
}

impl<'a> ScoredAccount<'a> {
    pub fn new(score: &'a AccountScore) -> Self {
        ScoredAccount {
            score,
            members: Vec::new(),
            segments: SegmentView::default(),
        }
    }
}

fn number(value: f64) -> Option<Value> {
    Some(Value::Number(value))
}

/// Whole days from `since` to `as_of`.
fn days_between(as_of: Day, since: Option<chrono::DateTime<chrono::Utc>>) -> Option<Value> {
    since.and_then(|since| number(f64::from(as_of.days_since(Day::of(since)))))
}

fn user_count(user: &UserActivity, event: &str, days: Option<u32>) -> Option<u64> {
    user.rule_counts.get(&(event.to_string(), days)).copied()
}

impl Subject for ScoredUser<'_> {
    fn field(&self, field: &Field) -> Option<Value> {
        let score = self.score;
        match field {
            Field::Score => number(f64::from(score.score)),
            Field::RawScore => number(score.raw_score as f64),
            Field::ScoreChange => score.score_change.and_then(|change| number(change as f64)),
            Field::Frequency => number(f64::from(score.frequency)),
            Field::Adoption => number(score.adoption.period),
            Field::AdoptionAllTime => number(score.adoption.all_time),
            Field::Activation => score.activation.rate.and_then(number),
            Field::UsersTotal | Field::UsersActive | Field::UsersActivePct => None,
            Field::FirstSeenDays => days_between(score.as_of, Some(score.first_seen)),
            Field::LastSeenDays => days_between(score.as_of, score.last_seen),
            Field::Trait(name) => score.traits.get(name).map(Value::from_json),
        }
    }

    fn in_segment(&self, segment_id: &str) -> Option<bool> {
        self.segments
            .contains(SubjectKind::Users, &self.score.segments, segment_id)
    }

    fn event_count(&self, event: &str, days: Option<u32>) -> Option<f64> {
        user_count(self.activity?, event, days).map(|count| count as f64)
    }

    fn accounts(&self) -> Vec<&dyn Subject> {
        self.accounts
            .iter()
            .map(|account| account as &dyn Subject)
            .collect()
    }
}

impl Subject for ScoredAccount<'_> {
    fn field(&self, field: &Field) -> Option<Value> {
        let score = self.score;
        match field {
            Field::Score => number(score.score.average),
            Field::RawScore => {
                number(score.breakdown.iter().map(|line| line.points).sum::<u64>() as f64)
            }
            Field::ScoreChange => score.score.change.and_then(number),
            Field::Frequency => number(f64::from(score.frequency)),
            Field::Adoption => number(score.adoption.period),
            Field::AdoptionAllTime => number(score.adoption.all_time),
            Field::Activation => score.activation.rate.and_then(number),
            Field::UsersTotal => number(f64::from(score.users.total)),
            Field::UsersActive => number(f64::from(score.users.active)),
            Field::UsersActivePct => number(score.users.active_pct),
            Field::FirstSeenDays => days_between(score.as_of, Some(score.first_seen)),
            Field::LastSeenDays => days_between(score.as_of, score.last_seen),
            Field::Trait(name) => score.traits.get(name).map(Value::from_json),
        }
    }

    fn in_segment(&self, segment_id: &str) -> Option<bool> {
        self.segments
            .contains(SubjectKind::Accounts, &self.score.segments, segment_id)
    }

    /// The members' summed counts; missing when no member's count is known.
    fn event_count(&self, event: &str, days: Option<u32>) -> Option<f64> {
        self.members
            .iter()
            .filter_map(|member| user_count(member, event, days))
            .reduce(|sum, count| sum + count)
            .map(|sum| sum as f64)
    }
}
