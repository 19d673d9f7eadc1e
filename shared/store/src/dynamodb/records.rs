//! The items ingestion keeps, as Rust values, and their attribute mapping: an identity's
//! traits and link, its activity (times, event days, lifetime counts), its daily usage,
//! accounts, memberships and the message-id log.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use pulse_core::{Day, FlatMap};

use super::attrs::{
    self, Item, b, get_n, get_s, item, item_size, n, opt_b, opt_bool, opt_n, opt_s, s,
};
use super::keys::{self, entity};
use super::pending::Pending;
use crate::error::StoreError;

const VERSION: &str = "v";
const PENDING: &str = "pend";

fn version_of(item: &Item) -> Result<u64, StoreError> {
    Ok(opt_n(item, VERSION)?.unwrap_or(0))
}

fn pending_of(item: &Item) -> Result<Pending, StoreError> {
    opt_b(item, PENDING)?
        .map(Pending::decode)
        .transpose()
        .map(Option::unwrap_or_default)
}

fn put_pending(item: &mut Item, pending: &Pending) {
    if !pending.is_empty() {
        item.insert(PENDING.into(), b(pending.encode()));
    }
}

fn traits_of(item: &Item, name: &str) -> Result<FlatMap, StoreError> {
    Ok(attrs::json(item, name)?.unwrap_or_default())
}

fn traits_text(traits: &FlatMap) -> AttributeValue {
    s(serde_json::to_string(traits).expect("traits serialize"))
}

/// A raw identity's traits and link (`I#`): written by identify and alias calls only.
#[derive(Clone, Debug, Default)]
pub struct IdentityItem {
    pub identity: String,
    pub traits: FlatMap,
    pub linked_to: Option<String>,
    pub pending: Pending,
    /// 0 when the item does not exist yet.
    pub version: u64,
    pub size: usize,
}

impl IdentityItem {
    pub fn new(identity: &str) -> IdentityItem {
        IdentityItem {
            identity: identity.to_string(),
            ..Default::default()
        }
    }

    pub fn from_item(item: &Item) -> Result<IdentityItem, StoreError> {
        Ok(IdentityItem {
            identity: get_s(item, "identity")?.to_string(),
            traits: traits_of(item, "traits")?,
            linked_to: opt_s(item, "linked_to")?.map(str::to_string),
            pending: pending_of(item)?,
            version: version_of(item)?,
            size: item_size(item),
        })
    }

    pub fn to_item(&self, workspace: &str) -> Item {
        let mut item = item(&keys::identity(workspace, &self.identity), entity::IDENTITY);
        item.insert("identity".into(), s(&self.identity));
        item.insert("traits".into(), traits_text(&self.traits));
        if let Some(linked_to) = &self.linked_to {
            item.insert("linked_to".into(), s(linked_to));
        }
        put_pending(&mut item, &self.pending);
        item.insert(VERSION.into(), n(self.version + 1));
        item
    }
}

/// All-time count of one event with its first and last day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lifetime {
    pub count: u64,
    pub first_day: Day,
    pub last_day: Day,
}

/// A raw identity's activity (`A#`): rewritten by every batch that brings it events.
#[derive(Clone, Debug, Default)]
pub struct ActivityItem {
    pub identity: String,
    pub first_seen: Option<i64>,
    pub last_event: Option<i64>,
    pub days: BTreeSet<Day>,
    pub lifetime: BTreeMap<String, Lifetime>,
    pub pending: Pending,
    pub version: u64,
    pub size: usize,
}

impl ActivityItem {
    pub fn new(identity: &str) -> ActivityItem {
        ActivityItem {
            identity: identity.to_string(),
            ..Default::default()
        }
    }

    pub fn from_item(item: &Item) -> Result<ActivityItem, StoreError> {
        let lifetime: BTreeMap<String, (u64, i32, i32)> =
            attrs::json(item, "lt")?.unwrap_or_default();
        let day = |number: i32| {
            Day::from_number(number).ok_or_else(|| StoreError::corrupt(format!("day {number}")))
        };
        Ok(ActivityItem {
            identity: get_s(item, "identity")?.to_string(),
            first_seen: opt_n(item, "fs")?,
            last_event: opt_n(item, "le")?,
            days: decode_days(opt_n(item, "db")?, opt_b(item, "dm")?.unwrap_or_default())?,
            lifetime: lifetime
                .into_iter()
                .map(|(event, (count, first, last))| {
                    Ok((
                        event,
                        Lifetime {
                            count,
                            first_day: day(first)?,
                            last_day: day(last)?,
                        },
                    ))
                })
                .collect::<Result<_, StoreError>>()?,
            pending: pending_of(item)?,
            version: version_of(item)?,
            size: item_size(item),
        })
    }

    pub fn to_item(&self, workspace: &str) -> Item {
        let mut item = item(&keys::activity(workspace, &self.identity), entity::ACTIVITY);
        item.insert("identity".into(), s(&self.identity));
        if let Some(first_seen) = self.first_seen {
            item.insert("fs".into(), n(first_seen));
        }
        if let Some(last_event) = self.last_event {
            item.insert("le".into(), n(last_event));
        }
        if let Some((base, bitmap)) = encode_days(&self.days) {
            item.insert("db".into(), n(base));
            item.insert("dm".into(), b(bitmap));
        }
        if !self.lifetime.is_empty() {
            let lifetime: BTreeMap<&str, (u64, i32, i32)> = self
                .lifetime
                .iter()
                .map(|(event, life)| {
                    (
                        event.as_str(),
                        (life.count, life.first_day.number(), life.last_day.number()),
                    )
                })
                .collect();
            item.insert(
                "lt".into(),
                s(serde_json::to_string(&lifetime).expect("counts serialize")),
            );
        }
        put_pending(&mut item, &self.pending);
        item.insert(VERSION.into(), n(self.version + 1));
        item
    }
}

/// Event days as a bitmap from the first day: a year of activity in 46 bytes.
fn encode_days(days: &BTreeSet<Day>) -> Option<(i32, Vec<u8>)> {
    let base = days.first()?.number();
    let span = (days.last()?.number() - base) as usize + 1;
    let mut bitmap = vec![0u8; span.div_ceil(8)];
    for day in days {
        let offset = (day.number() - base) as usize;
        bitmap[offset / 8] |= 1 << (offset % 8);
    }
    Some((base, bitmap))
}

fn decode_days(base: Option<i32>, bitmap: &[u8]) -> Result<BTreeSet<Day>, StoreError> {
    let Some(base) = base else {
        return Ok(BTreeSet::new());
    };
    let mut days = BTreeSet::new();
    for (index, byte) in bitmap.iter().enumerate() {
        for bit in 0..8 {
            if byte & (1 << bit) != 0 {
                let number = base + (index * 8 + bit) as i32;
                days.insert(
                    Day::from_number(number)
                        .ok_or_else(|| StoreError::corrupt(format!("event day {number}")))?,
                );
            }
        }
    }
    Ok(days)
}

/// One identity's event counts on one day.
#[derive(Clone, Debug)]
pub struct UsageItem {
    pub identity: String,
    pub day: Day,
    pub counts: BTreeMap<String, u64>,
    pub pending: Pending,
    pub version: u64,
    pub size: usize,
}

impl UsageItem {
    pub fn new(identity: &str, day: Day) -> UsageItem {
        UsageItem {
            identity: identity.to_string(),
            day,
            counts: BTreeMap::new(),
            pending: Pending::default(),
            version: 0,
            size: 0,
        }
    }

    pub fn from_item(item: &Item) -> Result<UsageItem, StoreError> {
        Ok(UsageItem {
            identity: get_s(item, "identity")?.to_string(),
            day: attrs::get_day(item, "day")?,
            counts: attrs::number_map(item, "c")?.into_iter().collect(),
            pending: pending_of(item)?,
            version: version_of(item)?,
            size: item_size(item),
        })
    }

    pub fn to_item(&self, workspace: &str) -> Item {
        let mut item = item(
            &keys::usage(workspace, &self.identity, self.day),
            entity::USAGE,
        );
        item.insert("identity".into(), s(&self.identity));
        item.insert("day".into(), s(self.day.to_string()));
        item.insert(
            "c".into(),
            AttributeValue::M(
                self.counts
                    .iter()
                    .map(|(event, count)| (event.clone(), n(count)))
                    .collect(),
            ),
        );
        put_pending(&mut item, &self.pending);
        item.insert(VERSION.into(), n(self.version + 1));
        item
    }
}

/// An account: traits from group calls, first seen, and the call that created it.
#[derive(Clone, Debug, Default)]
pub struct AccountItem {
    pub account: String,
    pub traits: FlatMap,
    pub first_seen: Option<i64>,
    /// The message id of the call that created it: a retry of that call reports the
    /// creation again instead of losing it.
    pub created_by: Option<String>,
    pub version: u64,
    pub size: usize,
}

impl AccountItem {
    pub fn from_item(item: &Item) -> Result<AccountItem, StoreError> {
        Ok(AccountItem {
            account: get_s(item, "account")?.to_string(),
            traits: traits_of(item, "traits")?,
            first_seen: opt_n(item, "fs")?,
            created_by: opt_s(item, "by")?.map(str::to_string),
            version: version_of(item)?,
            size: item_size(item),
        })
    }

    pub fn to_item(&self, workspace: &str) -> Item {
        let mut item = item(&keys::account(workspace, &self.account), entity::ACCOUNT);
        item.insert("account".into(), s(&self.account));
        item.insert("traits".into(), traits_text(&self.traits));
        if let Some(first_seen) = self.first_seen {
            item.insert("fs".into(), n(first_seen));
        }
        if let Some(by) = &self.created_by {
            item.insert("by".into(), s(by));
        }
        item.insert(VERSION.into(), n(self.version + 1));
        item
    }
}

/// An identity's membership of an account.
#[derive(Clone, Debug)]
pub struct MembershipItem {
    pub identity: String,
    pub account: String,
    pub joined_ms: i64,
    pub created_by: String,
    /// Whether the account existed when this membership was created (what was reported).
    pub account_existed: bool,
}

impl MembershipItem {
    pub fn from_item(item: &Item) -> Result<MembershipItem, StoreError> {
        Ok(MembershipItem {
            identity: get_s(item, "identity")?.to_string(),
            account: get_s(item, "account")?.to_string(),
            joined_ms: get_n(item, "joined")?,
            created_by: opt_s(item, "by")?.unwrap_or_default().to_string(),
            account_existed: opt_bool(item, "ae")?.unwrap_or(true),
        })
    }

    pub fn to_item(&self, workspace: &str) -> Item {
        let mut item = item(
            &keys::membership(workspace, &self.identity, &self.account),
            entity::MEMBERSHIP,
        );
        item.insert("identity".into(), s(&self.identity));
        item.insert("account".into(), s(&self.account));
        item.insert("joined".into(), n(self.joined_ms));
        item.insert("by".into(), s(&self.created_by));
        item.insert("ae".into(), AttributeValue::Bool(self.account_existed));
        item.insert(
            keys::GSI1PK.into(),
            s(keys::members_of(workspace, &self.account)),
        );
        item.insert(
            keys::GSI1SK.into(),
            s(format!("{}{}", keys::MEMBERSHIP_PREFIX, self.identity)),
        );
        item
    }
}

/// One stored group of calls of an identity: the message ids it accepted, and when.
pub fn message_log_item(
    workspace: &str,
    identity: &str,
    accepted_ms: i64,
    token: &str,
    message_ids: &[String],
    expires_at_seconds: i64,
) -> Item {
    let mut item = item(
        &keys::messages(workspace, identity, accepted_ms, token),
        entity::MESSAGES,
    );
    item.insert("ws".into(), s(workspace));
    item.insert("at".into(), n(accepted_ms));
    item.insert("ids".into(), AttributeValue::Ss(message_ids.to_vec()));
    item.insert(keys::EXPIRES_AT.into(), n(expires_at_seconds));
    item
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamodb::pending::{Marker, fingerprint};

    fn day(text: &str) -> Day {
        text.parse().unwrap()
    }

    #[test]
    fn an_activity_item_round_trips_with_its_days_as_a_bitmap() {
        let mut activity = ActivityItem::new("u:u-1");
        activity.first_seen = Some(1_764_000_000_123);
        activity.last_event = Some(1_764_100_000_000);
        activity.days = [day("2026-11-28"), day("2026-12-01"), day("2026-12-03")].into();
        activity.lifetime.insert(
            "Report Created".into(),
            Lifetime {
                count: 5,
                first_day: day("2026-11-28"),
                last_day: day("2026-12-03"),
            },
        );
        activity.pending.push(Marker {
            fingerprint: fingerprint("m1"),
            day: day("2026-12-03"),
            accepted_ms: 7,
        });

        let item = activity.to_item("acme");
        let back = ActivityItem::from_item(&item).unwrap();

        assert_eq!(back.days, activity.days);
        assert_eq!(back.lifetime, activity.lifetime);
        assert_eq!(back.pending, activity.pending);
        assert_eq!(
            (back.first_seen, back.last_event),
            (activity.first_seen, activity.last_event)
        );
        assert_eq!(back.version, 1, "written items carry the next version");
        assert!(
            item_size(&item) < 300,
            "a small activity stays far under 1 KB"
        );
    }

    #[test]
    fn a_year_of_event_days_takes_46_bytes() {
        let start = day("2026-01-01");
        let days: BTreeSet<Day> = (0..365).map(|offset| start.plus(offset)).collect();
        let (_, bitmap) = encode_days(&days).unwrap();
        assert_eq!(bitmap.len(), 46);
        assert_eq!(decode_days(Some(start.number()), &bitmap).unwrap(), days);
    }
}
