//! Decisions after a recompute: which rules fire for which subjects between two computed
//! days. The semantics are written down in [`super`]; this file follows them line by line.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, TimeDelta, Utc};

use super::message::{FactKind, Facts, Scored, percent, segment_name};
use super::rule::{AlertRule, custom_key, where_key};
use super::trigger::Trigger;
use super::{Alert, alert_id};
use crate::day::Day;
use crate::metrics::change1;
use crate::profile::Profile;
use crate::scoring::ScoreSet;
use crate::segment_defs::SegmentDefinition;
use crate::snapshot::{SnapshotKeys, SubjectKind};

/// When a rule last fired for a subject: `(rule id, subject id)` → time.
pub type LastFired = HashMap<(String, String), DateTime<Utc>>;

/// What a recompute decision reads besides the rules.
pub struct RecomputeContext<'a> {
    pub profile: &'a Profile,
    pub day: Day,
    /// The computed day before `day`; `None` on a profile's first computation.
    pub previous_day: Option<Day>,
    pub now: DateTime<Utc>,
    /// This day's users and accounts (with their segments) and rule matches.
    pub current: &'a ScoreSet,
    /// The previous computed day's keys per subject; empty when there is none.
    pub previous_keys: &'a HashMap<(SubjectKind, String), SnapshotKeys>,
    /// Segment entries recorded for this day: (kind, segment, subject).
    pub entered: &'a [(SubjectKind, String, String)],
    /// `rule_matches` of the previous computed day.
    pub previous_matches: &'a BTreeMap<String, BTreeSet<String>>,
    pub last_fired: &'a LastFired,
    /// The profile's custom segments, so messages show their names.
    pub segments: &'a [SegmentDefinition],
}

/// Why one rule fires for one subject, before `where` and cooldown have their say.
struct Firing<'a> {
    subject: Scored<'a>,
    occurrence: String,
    headline: String,
    facts: Vec<(String, String)>,
}

pub fn decide_after_recompute(rules: &[AlertRule], context: &RecomputeContext) -> Vec<Alert> {
    let Some(previous_day) = context.previous_day else {
        return Vec::new();
    };
    let mut alerts = Vec::new();
    let considered = rules
        .iter()
        .filter(|rule| rule.profile == context.profile.id && !rule.trigger.fires_from_ingestion());
    for rule in considered {
        for firing in firings(rule, context, previous_day) {
            let subject = firing.subject.id();
            if !where_matched(rule, context.current, subject)
                || cooling_down(rule, subject, context.last_fired, context.now)
            {
                continue;
            }
            alerts.push(Alert {
                id: alert_id(rule.id.as_str(), rule.scope, subject, &firing.occurrence),
                rule: rule.id.to_string(),
                trigger: rule.trigger.name().to_string(),
                profile: rule.profile.to_string(),
                kind: rule.scope,
                subject: subject.to_string(),
                subject_name: firing.subject.name(),
                occurrence: firing.occurrence,
                headline: firing.headline,
                facts: firing.facts,
                channel: rule.channel.clone(),
                raised_at: context.now,
            });
        }
    }
    alerts
}

fn firings<'a>(
    rule: &AlertRule,
    context: &RecomputeContext<'a>,
    previous_day: Day,
) -> Vec<Firing<'a>> {
    let day = context.day.to_string();
    let facts = |subject: Scored<'a>, change: Option<(f64, String)>, kinds: &[FactKind]| {
        Facts {
            subject,
            window_days: context.profile.window_days,
            custom_segments: context.segments,
            change,
        }
        .list(kinds)
    };
    let previous = |subject: Scored| {
        context
            .previous_keys
            .get(&(subject.kind(), subject.id().to_string()))
    };
    let subjects = subjects(context.current, rule.scope);
    match &rule.trigger {
        Trigger::ScoreChange { by } => subjects
            .into_iter()
            .filter_map(|subject| {
                let before = previous(subject)?.score;
                let change = change1(subject.score(), before);
                let fires = (*by > 0.0 && change >= *by) || (*by < 0.0 && change <= *by);
                fires.then(|| Firing {
                    subject,
                    occurrence: day.clone(),
                    headline: score_change_headline(subject, before, change),
                    facts: facts(
                        subject,
                        Some((change, format!("since {previous_day}"))),
                        &[
                            FactKind::Score,
                            FactKind::Change,
                            FactKind::ActiveUsers,
                            FactKind::Activation,
                            FactKind::Segments,
                        ],
                    ),
                })
            })
            .collect(),
        Trigger::ActivationAbove { percent: threshold } => subjects
            .into_iter()
            .filter_map(|subject| {
                let rate = subject.activation().filter(|rate| rate >= threshold)?;
                let was_below = match previous(subject) {
                    None => true,
                    Some(keys) => keys.activation.is_some_and(|before| before < *threshold),
                };
                was_below.then(|| Firing {
                    subject,
                    occurrence: day.clone(),
                    headline: format!("{} reached {} activation", subject.display(), percent(rate)),
                    facts: facts(
                        subject,
                        None,
                        &[
                            FactKind::Activation,
                            FactKind::Score,
                            FactKind::Adoption,
                            FactKind::ActiveUsers,
                            FactKind::Segments,
                        ],
                    ),
                })
            })
            .collect(),
        Trigger::EnteredSegment { segment } => {
            let entered: BTreeSet<&str> = context
                .entered
                .iter()
                .filter(|(kind, entered, _)| *kind == rule.scope && entered == segment)
                .map(|(_, _, subject)| subject.as_str())
                .collect();
            let name = segment_name(rule.scope, segment, context.segments);
            subjects
                .into_iter()
                .filter(|subject| entered.contains(subject.id()))
                .map(|subject| Firing {
                    subject,
                    occurrence: format!("{day}/{segment}"),
                    headline: format!("{} entered {name}", subject.display()),
                    facts: facts(
                        subject,
                        None,
                        &[
                            FactKind::Segments,
                            FactKind::Score,
                            FactKind::Change,
                            FactKind::ActiveUsers,
                            FactKind::Activation,
                        ],
                    ),
                })
                .collect()
        }
        Trigger::Custom { rule: source } => {
            let key = custom_key(rule.id.as_str());
            let (Some(before), Some(now)) = (
                context.previous_matches.get(&key),
                context.current.rule_matches.get(&key),
            ) else {
                return Vec::new();
            };
            subjects
                .into_iter()
                .filter(|subject| now.contains(subject.id()) && !before.contains(subject.id()))
                .map(|subject| Firing {
                    subject,
                    occurrence: day.clone(),
                    headline: format!("{} now matches {}: {source}", subject.display(), rule.id),
                    facts: facts(
                        subject,
                        None,
                        &[
                            FactKind::Score,
                            FactKind::Change,
                            FactKind::ActiveUsers,
                            FactKind::Activation,
                            FactKind::Adoption,
                            FactKind::Segments,
                        ],
                    ),
                })
                .collect()
        }
        Trigger::NewUser | Trigger::CoreFeatureAdopted => Vec::new(),
    }
}

fn subjects(set: &ScoreSet, kind: SubjectKind) -> Vec<Scored<'_>> {
    match kind {
        SubjectKind::Users => set.users.iter().map(Scored::User).collect(),
        SubjectKind::Accounts => set.accounts.iter().map(Scored::Account).collect(),
    }
}

/// "Acme is cooling off: average score fell 14.0 points (63.4 → 49.4)".
fn score_change_headline(subject: Scored, before: f64, change: f64) -> String {
    let (mood, verb) = if change < 0.0 {
        ("cooling off", "fell")
    } else {
        ("heating up", "rose")
    };
    let what = match subject {
        Scored::User(_) => "score",
        Scored::Account(_) => "average score",
    };
    format!(
        "{} is {mood}: {what} {verb} {} points ({} → {})",
        subject.display(),
        subject.format_score(change.abs()),
        subject.format_score(before),
        subject.format_score(subject.score()),
    )
}

fn where_matched(rule: &AlertRule, current: &ScoreSet, subject: &str) -> bool {
    rule.where_rule.is_none()
        || current
            .rule_matches
            .get(&where_key(rule.id.as_str()))
            .is_some_and(|matched| matched.contains(subject))
}

/// Whether the rule fired for the subject less than its cooldown before `now`.
pub(super) fn cooling_down(
    rule: &AlertRule,
    subject: &str,
    last_fired: &LastFired,
    now: DateTime<Utc>,
) -> bool {
    let Some(cooldown) = &rule.cooldown else {
        return false;
    };
    let window = TimeDelta::seconds(i64::try_from(cooldown.seconds()).unwrap_or(i64::MAX));
    last_fired
        .get(&(rule.id.to_string(), subject.to_string()))
        .is_some_and(|last| now.signed_duration_since(*last) < window)
}
