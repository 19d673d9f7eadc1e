//! What the store keeps about identities, accounts and usage, in the shape the store port
//! returns it. Identity resolution and the assembly of [`UserActivity`] from these records
//! are pure, so they live here and every store adapter shares them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use crate::activity::{AccountInfo, UserActivity};
use crate::call::FlatMap;
use crate::day::Day;
use crate::ids::IdentityKey;
use crate::rules::EventNeed;

pub use crate::extras::event_needs;

/// One raw identity (`u:<userId>` or `a:<anonymousId>`) as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityRecord {
    pub key: String,
    /// Set by `identify` (both ids) or `alias`: this identity's usage belongs to that one.
    pub linked_to: Option<String>,
    pub traits: FlatMap,
    pub first_seen: Option<DateTime<Utc>>,
    pub last_event: Option<DateTime<Utc>>,
    /// Days with at least one event, ascending.
    pub event_days: Vec<Day>,
    pub accounts: Vec<Membership>,
}

/// Membership of an account, since the first call that named it for this identity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Membership {
    pub account: String,
    pub joined_at: DateTime<Utc>,
}

impl IdentityRecord {
    /// The accounts, without the times.
    pub fn account_ids(&self) -> Vec<String> {
        self.accounts
            .iter()
            .map(|membership| membership.account.clone())
            .collect()
    }
}

/// An account as stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccountRecord {
    pub id: String,
    pub traits: FlatMap,
    pub first_seen: Option<DateTime<Utc>>,
}

/// Counts of one identity's events on one day.
#[derive(Clone, Debug, PartialEq)]
pub struct DailyUsage {
    pub identity: String,
    pub day: Day,
    pub event: String,
    pub count: u64,
}

/// All-time count of one identity's event, with the first and last day it happened.
#[derive(Clone, Debug, PartialEq)]
pub struct LifetimeUsage {
    pub identity: String,
    pub event: String,
    pub count: u64,
    pub first_day: Day,
    pub last_day: Day,
}

/// Everything a computation as of a day reads from the store.
#[derive(Clone, Debug, Default)]
pub struct ScoringData {
    pub identities: Vec<IdentityRecord>,
    pub accounts: Vec<AccountRecord>,
    /// Daily usage from the first day of interest on (including days after the day, so
    /// that all-time counts can be taken back to it).
    pub usage: Vec<DailyUsage>,
    pub lifetime: Vec<LifetimeUsage>,
}

/// How far back the app needs daily usage for a computation as of `as_of`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageRange {
    pub from: Day,
}

/// Follows `linked_to` chains to the identity that owns each raw identity. Cycles (which
/// conflicting aliases can create) stop at the first identity seen twice.
pub fn resolve_identities(records: &[IdentityRecord]) -> HashMap<String, String> {
    let links: HashMap<&str, &str> = records
        .iter()
        .filter_map(|record| {
            record
                .linked_to
                .as_deref()
                .map(|to| (record.key.as_str(), to))
        })
        .collect();
    let mut owners = HashMap::with_capacity(records.len());
    for record in records {
        let mut current = record.key.as_str();
        let mut seen = vec![current];
        while let Some(next) = links.get(current) {
            if seen.contains(next) {
                break;
            }
            seen.push(next);
            current = next;
        }
        owners.insert(record.key.clone(), current.to_string());
    }
    owners
}

/// The first day of daily usage a computation needs: the engagement period's first day,
/// or earlier when a rule counts events over a longer window.
pub fn usage_from(as_of: Day, period_from: Day, needs: &[EventNeed]) -> Day {
    needs
        .iter()
        .filter_map(|need| need.days)
        .map(|days| as_of.plus(1 - days as i32))
        .fold(period_from, Day::min)
}

/// Builds each canonical user's [`UserActivity`] as of `as_of`, for a profile whose
/// engagement period starts on `period_from`. Daily usage after `as_of` is subtracted from
/// lifetime counts so that a past day sees the all-time counts it had then. `needs` are the
/// `count(event, days)` values rules will ask for; `data.usage` must start early enough
/// (see [`usage_from`]).
pub fn assemble(
    data: &ScoringData,
    as_of: Day,
    period_from: Day,
    needs: &[EventNeed],
) -> (Vec<UserActivity>, HashMap<String, AccountInfo>) {
    let owners = resolve_identities(&data.identities);
    let mut users: BTreeMap<&str, UserActivity> = BTreeMap::new();
    let recent_from = as_of.plus(1 - crate::scoring::TOTAL_USERS_DAYS);
    // Owners first so their own traits win over merged anonymous ones.
    let mut ordered: Vec<&IdentityRecord> = data.identities.iter().collect();
    ordered.sort_by_key(|record| owners.get(&record.key) != Some(&record.key));
    for record in ordered {
        let owner = owners
            .get(&record.key)
            .map_or(record.key.as_str(), String::as_str);
        let user = users.entry(owner).or_insert_with(|| UserActivity {
            identity: IdentityKey::from_storage_key(owner),
            ..Default::default()
        });
        for (name, value) in &record.traits {
            user.traits
                .entry(name.clone())
                .or_insert_with(|| value.clone());
        }
        // Memberships are as of the day: an account a user joins later is not theirs yet.
        let day_end = as_of.end_exclusive();
        user.accounts.extend(
            record
                .accounts
                .iter()
                .filter(|membership| membership.joined_at < day_end)
                .map(|membership| membership.account.clone()),
        );
        user.first_seen = min_opt(user.first_seen, record.first_seen);
        let last_by_day = last_event_on_or_before(record, as_of);
        user.last_seen = max_opt(user.last_seen, last_by_day);
        user.recent_days.extend(
            record
                .event_days
                .iter()
                .copied()
                .filter(|day| recent_from <= *day && *day <= as_of),
        );
    }
    for user in users.values_mut() {
        user.recent_days.sort_unstable();
        user.recent_days.dedup();
    }
    for usage in &data.lifetime {
        if let Some(user) = owner_of(&owners, &mut users, &usage.identity) {
            *user.all_time.entry(usage.event.clone()).or_default() += usage.count;
        }
    }
    for usage in &data.usage {
        let Some(user) = owner_of(&owners, &mut users, &usage.identity) else {
            continue;
        };
        if usage.day > as_of {
            let count = user.all_time.entry(usage.event.clone()).or_default();
            *count = count.saturating_sub(usage.count);
            continue;
        }
        if usage.day >= period_from {
            *user
                .period
                .entry(usage.event.clone())
                .or_default()
                .entry(usage.day)
                .or_default() += usage.count;
        }
        for need in needs {
            if let Some(days) = need.days
                && need.event == usage.event
                && usage.day >= as_of.plus(1 - days as i32)
            {
                *user
                    .rule_counts
                    .entry((need.event.clone(), Some(days)))
                    .or_default() += usage.count;
            }
        }
    }
    for user in users.values_mut() {
        for need in needs {
            let count = match need.days {
                None => user.all_time.get(&need.event).copied().unwrap_or(0),
                Some(_) => 0,
            };
            *user
                .rule_counts
                .entry((need.event.clone(), need.days))
                .or_default() += count;
        }
    }
    let accounts = data
        .accounts
        .iter()
        .map(|account| {
            (
                account.id.clone(),
                AccountInfo {
                    id: account.id.clone(),
                    traits: account.traits.clone(),
                    first_seen: account.first_seen,
                },
            )
        })
        .collect();
    (users.into_values().collect(), accounts)
}

fn owner_of<'a>(
    owners: &HashMap<String, String>,
    users: &'a mut BTreeMap<&str, UserActivity>,
    identity: &str,
) -> Option<&'a mut UserActivity> {
    let owner = owners.get(identity).map_or(identity, String::as_str);
    users.get_mut(owner)
}

/// The last event on or before `as_of`: exact when the last event is not later; otherwise
/// known to the day only (the start of the latest event day on or before `as_of`).
fn last_event_on_or_before(record: &IdentityRecord, as_of: Day) -> Option<DateTime<Utc>> {
    let last = record.last_event?;
    if Day::of(last) <= as_of {
        return Some(last);
    }
    record
        .event_days
        .iter()
        .rev()
        .find(|day| **day <= as_of)
        .map(|day| day.start())
}

fn min_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn record(key: &str, linked_to: Option<&str>) -> IdentityRecord {
        IdentityRecord {
            key: key.into(),
            linked_to: linked_to.map(str::to_string),
            first_seen: Some(
                DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
                    .unwrap()
                    .to_utc(),
            ),
            ..Default::default()
        }
    }

    #[test]
    fn links_are_followed_to_the_end_of_the_chain() {
        let owners = resolve_identities(&[
            record("a:x", Some("u:old")),
            record("u:old", Some("u:new")),
            record("u:new", None),
        ]);
        assert_eq!(owners["a:x"], "u:new");
        assert_eq!(owners["u:old"], "u:new");
        assert_eq!(owners["u:new"], "u:new");
    }

    #[test]
    fn a_cycle_of_links_ends_instead_of_looping() {
        let owners = resolve_identities(&[record("u:a", Some("u:b")), record("u:b", Some("u:a"))]);
        assert_eq!(owners.len(), 2);
    }

    #[test]
    fn anonymous_history_counts_for_the_linked_user() {
        let day = |text: &str| text.parse::<Day>().unwrap();
        let mut anonymous = record("a:x", Some("u:1"));
        anonymous.traits.insert("plan".into(), json!("free"));
        anonymous.accounts = vec![Membership {
            account: "acme".into(),
            joined_at: DateTime::parse_from_rfc3339("2026-11-30T00:00:00Z")
                .unwrap()
                .to_utc(),
        }];
        let mut user = record("u:1", None);
        user.traits.insert("plan".into(), json!("pro"));
        let data = ScoringData {
            identities: vec![anonymous, user],
            usage: vec![
                DailyUsage {
                    identity: "a:x".into(),
                    day: day("2026-11-30"),
                    event: "A".into(),
                    count: 2,
                },
                DailyUsage {
                    identity: "u:1".into(),
                    day: day("2026-11-30"),
                    event: "A".into(),
                    count: 1,
                },
                DailyUsage {
                    identity: "u:1".into(),
                    day: day("2026-12-02"),
                    event: "A".into(),
                    count: 4,
                },
            ],
            lifetime: vec![
                LifetimeUsage {
                    identity: "a:x".into(),
                    event: "A".into(),
                    count: 2,
                    first_day: day("2026-11-30"),
                    last_day: day("2026-11-30"),
                },
                LifetimeUsage {
                    identity: "u:1".into(),
                    event: "A".into(),
                    count: 5,
                    first_day: day("2026-11-30"),
                    last_day: day("2026-12-02"),
                },
            ],
            ..Default::default()
        };
        let needs = [
            EventNeed {
                event: "A".into(),
                days: None,
            },
            EventNeed {
                event: "A".into(),
                days: Some(2),
            },
        ];
        let (users, _) = assemble(&data, day("2026-12-01"), day("2026-11-25"), &needs);
        assert_eq!(users.len(), 1);
        let user = &users[0];
        assert_eq!(user.public_id(), "1");
        assert_eq!(user.period["A"][&day("2026-11-30")], 3);
        assert_eq!(user.all_time["A"], 3, "7 ever, minus the 4 after the day");
        assert_eq!(
            user.traits["plan"],
            json!("pro"),
            "the user's own trait wins"
        );
        assert!(user.accounts.contains("acme"));
    }
}
