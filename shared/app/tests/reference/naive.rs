//! The naive reference: SPEC §4 and the default segments of §5, computed for every user
//! and account straight from the accepted calls of [`World`] — every metric re-scans the
//! subject's individual events, with integer arithmetic for p90, scores, percentages and
//! averages. Nothing here calls pulse-core.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::world::{Call, World};

/// A profile as the reference understands it; [`RefProfile::yaml`] is what the pipeline
/// is given.
pub struct RefProfile {
    pub id: &'static str,
    pub window: i64,
    /// Listed events and weights (0 = listed, not scored).
    pub events: Vec<(&'static str, u32)>,
    pub criteria: Vec<(&'static str, Criterion)>,
    /// `traits.plan != 'trial'`, evaluated by hand: a missing plan does not match.
    pub paid_only: bool,
}

pub enum Criterion {
    Event(&'static str, u64),
    TraitNe(&'static str, &'static str),
    TraitGte(&'static str, f64),
}

impl RefProfile {
    pub fn yaml(&self) -> String {
        let mut text = format!("id: {}\nwindow_days: {}\n", self.id, self.window);
        if self.paid_only {
            text.push_str("population:\n  where: \"traits.plan != 'trial'\"\n");
        }
        text.push_str("events:\n");
        for (event, weight) in &self.events {
            text.push_str(&format!("  {event}: {weight}\n"));
        }
        text.push_str("activation:\n");
        for (name, criterion) in &self.criteria {
            text.push_str(&format!("  - name: {name}\n"));
            text.push_str(&match criterion {
                Criterion::Event(event, min) => {
                    format!("    event: {event}\n    min_count: {min}\n")
                }
                Criterion::TraitNe(name, value) => {
                    format!("    trait: {name}\n    op: ne\n    value: {value}\n")
                }
                Criterion::TraitGte(name, value) => {
                    format!("    trait: {name}\n    op: gte\n    value: {value}\n")
                }
            });
        }
        text
    }

    fn weight(&self, event: &str) -> u32 {
        self.events
            .iter()
            .find(|(name, _)| *name == event)
            .map_or(0, |(_, weight)| *weight)
    }

    fn scored(&self) -> Vec<&'static str> {
        self.events
            .iter()
            .filter(|(_, weight)| *weight >= 1)
            .map(|(name, _)| *name)
            .collect()
    }
}

/// Percentages, averages and changes are kept in tenths (SPEC: one decimal).
pub type Tenths = i64;

#[derive(Clone, Debug)]
pub struct UserRow {
    pub accounts: BTreeSet<String>,
    pub traits: BTreeMap<String, Value>,
    pub raw: u64,
    pub score: i64,
    pub change: Option<i64>,
    pub frequency: usize,
    pub adoption: (Tenths, Tenths),
    pub activation: (Tenths, Vec<(String, bool)>),
    pub segments: BTreeSet<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
    /// Whether the user has events after the day (then the pipeline's aggregates only
    /// know the day of the last event on or before it).
    pub events_after: bool,
}

#[derive(Clone, Debug)]
pub struct AccountRow {
    pub traits: BTreeMap<String, Value>,
    /// Member id → (score, raw score).
    pub members: BTreeMap<String, (i64, u64)>,
    pub total: usize,
    pub active: usize,
    pub active_pct: Tenths,
    pub average: Tenths,
    pub total_score: i64,
    pub change: Option<Tenths>,
    pub frequency: usize,
    pub adoption: (Tenths, Tenths),
    pub activation: (Tenths, Vec<(String, bool)>),
    pub segments: BTreeSet<String>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: Option<DateTime<Utc>>,
    pub events_after: bool,
}

/// Everything the reference expects for one profile and day.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    pub users: BTreeMap<String, UserRow>,
    pub accounts: BTreeMap<String, AccountRow>,
}

/// A user's events (on or before the day) as the reference scans them.
struct Usage<'a> {
    events: Vec<&'a Call>,
}

impl Usage<'_> {
    fn in_days(&self, from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = &&Call> {
        self.events
            .iter()
            .filter(move |call| from <= call.day() && call.day() <= to)
    }
}

/// Computes `profile` as of `day`; `previous` is the reference's own result for
/// `day − window` when that day was computed.
pub fn compute(
    world: &World,
    profile: &RefProfile,
    day: NaiveDate,
    previous: Option<&Expected>,
) -> Expected {
    let period_from = day - Duration::days(profile.window - 1);
    let recent_from = day - Duration::days(89);
    let account_ids: BTreeSet<&str> = world
        .calls
        .iter()
        .filter_map(|call| call.group_id.as_deref())
        .collect();
    // Like a user, an account exists as of the day once a call on or before it named it.
    let existing: BTreeSet<&str> = account_ids
        .iter()
        .copied()
        .filter(|account| world.account(account).1.date_naive() <= day)
        .collect();
    let mut usage: BTreeMap<String, Usage> = BTreeMap::new();
    let mut rows: BTreeMap<String, UserRow> = BTreeMap::new();
    for (id, calls) in world.subjects() {
        let first_seen = calls
            .iter()
            .map(|call| call.at)
            .min()
            .expect("subjects have calls");
        if first_seen.date_naive() > day {
            continue;
        }
        let traits = World::user_traits(&calls);
        let plan = traits.get("plan").filter(|plan| !plan.is_null());
        let paying = plan.is_some_and(|plan| plan.as_str() != Some("trial"));
        if profile.paid_only && !paying {
            continue;
        }
        let events: Vec<&Call> = calls
            .iter()
            .copied()
            .filter(|call| call.event.is_some())
            .collect();
        let events_after = events.iter().any(|call| call.day() > day);
        let mine = Usage {
            events: events
                .into_iter()
                .filter(|call| call.day() <= day)
                .collect(),
        };
        let in_period: Vec<&&Call> = mine.in_days(period_from, day).collect();
        let raw: u64 = in_period
            .iter()
            .map(|call| u64::from(profile.weight(name(call))))
            .sum();
        let count = |event: &str| {
            mine.events
                .iter()
                .filter(|call| name(call) == event)
                .count() as u64
        };
        let activation = activation(profile, count, &traits);
        rows.insert(
            id.to_string(),
            UserRow {
                accounts: World::user_accounts(&calls, day)
                    .into_iter()
                    .filter(|account| existing.contains(account.as_str()))
                    .collect(),
                raw,
                score: 0,
                change: None,
                frequency: scored_days(profile, &in_period).len(),
                adoption: adoption(profile, &in_period, &mine.events.iter().collect::<Vec<_>>()),
                activation,
                segments: BTreeSet::new(),
                first_seen,
                last_seen: mine.events.iter().map(|call| call.at).max(),
                events_after,
                traits,
            },
        );
        usage.insert(id.to_string(), mine);
    }

    let p90_tenths = p90_tenths(
        rows.values()
            .map(|row| row.raw)
            .filter(|raw| *raw > 0)
            .collect(),
    );
    for (id, row) in &mut rows {
        row.score = score(row.raw, p90_tenths);
        row.change = previous
            .and_then(|previous| previous.users.get(id))
            .map(|before| row.score - before.score);
        let facts = Facts {
            score_tenths: row.score * 10,
            change_tenths: row.change.map(|change| change * 10),
            created: created(&row.traits, row.first_seen),
            first_seen: row.first_seen.date_naive(),
            last_event: row.last_seen.map(|at| at.date_naive()),
            activation: row.activation.0,
            members: None,
        };
        row.segments = facts.segments(day, profile.window);
    }

    let mut accounts = BTreeMap::new();
    for account in existing {
        let members: Vec<(&String, &UserRow)> = rows
            .iter()
            .filter(|(_, row)| row.accounts.contains(account))
            .collect();
        if members.is_empty() {
            continue;
        }
        let (traits, first_named) = world.account(account);
        let member_usage: Vec<&Usage> = members.iter().map(|(id, _)| &usage[*id]).collect();
        let all_events: Vec<&&Call> = member_usage
            .iter()
            .flat_map(|usage| usage.events.iter())
            .collect();
        let in_period: Vec<&&Call> = all_events
            .iter()
            .copied()
            .filter(|call| period_from <= call.day() && call.day() <= day)
            .collect();
        let total = member_usage
            .iter()
            .filter(|usage| usage.in_days(recent_from, day).next().is_some())
            .count();
        let active: Vec<i64> = members
            .iter()
            .filter(|(_, row)| row.raw > 0)
            .map(|(_, row)| row.score)
            .collect();
        let average = if active.is_empty() {
            0
        } else {
            div_half_away(10 * active.iter().sum::<i64>(), active.len() as i64)
        };
        let count =
            |event: &str| all_events.iter().filter(|call| name(call) == event).count() as u64;
        let activation = activation(profile, count, &traits);
        let change = previous
            .and_then(|previous| previous.accounts.get(account))
            .map(|before| average - before.average);
        let last_seen = members.iter().filter_map(|(_, row)| row.last_seen).max();
        let facts = Facts {
            score_tenths: average,
            change_tenths: change,
            created: created(&traits, first_named),
            first_seen: first_named.date_naive(),
            last_event: last_seen.map(|at| at.date_naive()),
            activation: activation.0,
            members: Some(members.len()),
        };
        accounts.insert(
            account.to_string(),
            AccountRow {
                members: members
                    .iter()
                    .map(|(id, row)| ((*id).clone(), (row.score, row.raw)))
                    .collect(),
                total,
                active: active.len(),
                active_pct: percent(active.len(), total),
                average,
                total_score: members.iter().map(|(_, row)| row.score).sum(),
                change,
                frequency: scored_days(profile, &in_period).len(),
                adoption: adoption(profile, &in_period, &all_events),
                activation,
                segments: facts.segments(day, profile.window),
                first_seen: first_named,
                last_seen,
                events_after: members.iter().any(|(_, row)| row.events_after),
                traits,
            },
        );
    }
    Expected {
        users: rows,
        accounts,
    }
}

fn name(call: &Call) -> &str {
    call.event.as_deref().expect("usage calls have an event")
}

fn scored_days(profile: &RefProfile, events: &[&&Call]) -> BTreeSet<NaiveDate> {
    events
        .iter()
        .filter(|call| profile.weight(name(call)) >= 1)
        .map(|call| call.day())
        .collect()
}

fn adoption(profile: &RefProfile, in_period: &[&&Call], ever: &[&&Call]) -> (Tenths, Tenths) {
    let scored = profile.scored();
    let done = |events: &[&&Call]| {
        scored
            .iter()
            .filter(|event| events.iter().any(|call| name(call) == **event))
            .count()
    };
    (
        percent(done(in_period), scored.len()),
        percent(done(ever), scored.len()),
    )
}

fn activation(
    profile: &RefProfile,
    count: impl Fn(&str) -> u64,
    traits: &BTreeMap<String, Value>,
) -> (Tenths, Vec<(String, bool)>) {
    let trait_of = |name: &str| traits.get(name).filter(|value| !value.is_null());
    let results: Vec<(String, bool)> = profile
        .criteria
        .iter()
        .map(|(name, criterion)| {
            let met = match criterion {
                Criterion::Event(event, min) => count(event) >= *min,
                Criterion::TraitNe(name, value) => {
                    trait_of(name).is_some_and(|actual| actual.as_str() != Some(value))
                }
                Criterion::TraitGte(name, value) => trait_of(name)
                    .and_then(Value::as_f64)
                    .is_some_and(|actual| actual >= *value),
            };
            (name.to_string(), met)
        })
        .collect();
    let met = results.iter().filter(|(_, met)| *met).count();
    (percent(met, results.len()), results)
}

/// 10 × the 90th percentile of the active raw scores (NumPy's linear method), exactly:
/// `h = 0.9·(n−1)` has tenths `9·(n−1) mod 10`, so `10·p90` is an integer.
fn p90_tenths(mut active: Vec<u64>) -> Option<u64> {
    if active.is_empty() {
        return None;
    }
    active.sort_unstable();
    let nine_h = 9 * (active.len() as u64 - 1);
    let (below, fraction) = ((nine_h / 10) as usize, nine_h % 10);
    let above = if fraction > 0 { below + 1 } else { below };
    Some(10 * active[below] + fraction * (active[above] - active[below]))
}

/// `min(100, max(1, round(100·raw/p90)))`, halves away from zero, exactly in integers.
fn score(raw: u64, p90_tenths: Option<u64>) -> i64 {
    match p90_tenths {
        Some(p90) if raw > 0 => div_half_away(1000 * raw as i64, p90 as i64).clamp(1, 100),
        _ => 0,
    }
}

/// `round(a / b)` with halves away from zero, for `b > 0`.
fn div_half_away(a: i64, b: i64) -> i64 {
    let rounded = (2 * a.abs() + b) / (2 * b);
    if a < 0 { -rounded } else { rounded }
}

/// `part / whole × 100` in tenths; 0 when `whole` is 0.
fn percent(part: usize, whole: usize) -> Tenths {
    if whole == 0 {
        return 0;
    }
    div_half_away(1000 * part as i64, whole as i64)
}

/// The `createdAt` trait's day when it is a date, else the first call's.
fn created(traits: &BTreeMap<String, Value>, first_seen: DateTime<Utc>) -> NaiveDate {
    let text = traits.get("createdAt").and_then(Value::as_str);
    text.and_then(|text| {
        DateTime::parse_from_rfc3339(text)
            .map(|at| at.with_timezone(&Utc).date_naive())
            .ok()
            .or_else(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
    })
    .unwrap_or(first_seen.date_naive())
}

/// What SPEC §5's default segments look at.
struct Facts {
    score_tenths: Tenths,
    change_tenths: Option<Tenths>,
    created: NaiveDate,
    first_seen: NaiveDate,
    last_event: Option<NaiveDate>,
    activation: Tenths,
    members: Option<usize>,
}

impl Facts {
    fn segments(&self, day: NaiveDate, window: i64) -> BTreeSet<String> {
        let ago = |then: NaiveDate| (day - then).num_days();
        let score = self.score_tenths;
        let mut ids = vec![match score {
            s if s > 750 => "most_engaged",
            s if s >= 500 => "engaged",
            s if s >= 250 => "passive",
            _ => "least_engaged",
        }];
        if (0..window).contains(&ago(self.created)) {
            ids.push("new");
        }
        if self.change_tenths.is_some_and(|change| change >= 100) {
            ids.push("red_hot");
        }
        if self.change_tenths.is_some_and(|change| change <= -100) {
            ids.push("ice_cold");
        }
        if self
            .last_event
            .is_some_and(|last| (30..=60).contains(&ago(last)))
        {
            ids.push("recently_inactive");
        }
        if ago(self.created) > 180 {
            ids.push("mature");
        }
        if self.members.is_some_and(|members| members > 1) {
            ids.push("multi_user");
        }
        // SPEC: "first seen within the last 30 days" (not createdAt, unlike new/mature).
        if (0..30).contains(&ago(self.first_seen)) && self.activation < 1000 {
            ids.push("onboarding");
        }
        if self.activation == 1000 {
            ids.push("activated");
        }
        ids.into_iter().map(str::to_string).collect()
    }
}
