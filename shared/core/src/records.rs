//! What the store keeps about identities, accounts and usage, in the shape the store port
//! returns it. Identity resolution and the assembly of [`UserActivity`] from these records
//! are pure, so they live here and every store adapter shares them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::activity::{AccountInfo, UserActivity};
use crate::call::FlatMap;
use crate::day::Day;
use crate::rules::EventNeed;

pub use crate::extras::event_needs;
pub use crate::parts::{
    IdentityPart, PartsError, assemble_parts, decode_parts, encode_parts, merge_parts,
};

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
    resolve_links(
        records
            .iter()
            .map(|record| (record.key.as_str(), record.linked_to.as_deref())),
    )
}

/// [`resolve_identities`] over `(key, linked_to)` pairs, shared with the merge of parts.
pub(crate) fn resolve_links<'a>(
    identities: impl Iterator<Item = (&'a str, Option<&'a str>)> + Clone,
) -> HashMap<String, String> {
    let links: HashMap<&str, &str> = identities
        .clone()
        .filter_map(|(key, linked_to)| linked_to.map(|to| (key, to)))
        .collect();
    let mut owners = HashMap::new();
    for (key, _) in identities {
        let mut current = key;
        let mut seen = vec![current];
        while let Some(next) = links.get(current) {
            if seen.contains(next) {
                break;
            }
            seen.push(next);
            current = next;
        }
        owners.insert(key.to_string(), current.to_string());
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
/// engagement period starts on `period_from`, sorted by owner key. Daily usage after
/// `as_of` is subtracted from lifetime counts so that a past day sees the all-time counts
/// it had then. `needs` are the `count(event, days)` values rules will ask for;
/// `data.usage` must start early enough (see [`usage_from`]). Usage rows of identities
/// without a record are ignored.
///
/// This is [`merge_parts`] of [`assemble_parts`] over the whole data set, so a recompute
/// split into shards gives the same users. Traits are taken from the owner's own record
/// first, then from the others by ascending key, whatever order `data.identities` is in.
pub fn assemble(
    data: &ScoringData,
    as_of: Day,
    period_from: Day,
    needs: &[EventNeed],
) -> (Vec<UserActivity>, HashMap<String, AccountInfo>) {
    let users = merge_parts(assemble_parts(data, as_of, period_from, needs));
    let accounts = account_infos(data.accounts.iter().cloned());
    (users, accounts)
}

/// The accounts as the computation reads them, by id.
pub fn account_infos(
    records: impl IntoIterator<Item = AccountRecord>,
) -> HashMap<String, AccountInfo> {
    records
        .into_iter()
        .map(|record| {
            (
                record.id.clone(),
                AccountInfo {
                    id: record.id,
                    traits: record.traits,
                    first_seen: record.first_seen,
                },
            )
        })
        .collect()
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
