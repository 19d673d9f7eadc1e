//! The idempotent part of a batch: identity links (in identity order, refusing cycles),
//! accounts and memberships, with the changes they report in call order.

use std::collections::{BTreeMap, HashMap, HashSet};

use pulse_core::call::CallType;
use pulse_core::{FlatMap, IdentityKey};

use super::{Retry, identity_item};
use crate::dynamodb::attrs::{Item, check_size, item, item_size, n, s};
use crate::dynamodb::db::{Condition, Db, TransactWrite, WriteError};
use crate::dynamodb::keys::{self, Key, entity};
use crate::dynamodb::records::{AccountItem, IdentityItem, MembershipItem};
use crate::error::StoreError;
use crate::types::{AcceptedCall, IngestChange};

/// The links a call makes: identify (or any call) with both ids links the anonymous
/// identity to the user; alias links the previous id in both forms.
pub(super) fn links_of(call: &pulse_core::Call) -> Vec<(String, String)> {
    let mut links = Vec::new();
    if let (Some(user), Some(anonymous)) = (&call.user_id, &call.anonymous_id) {
        links.push((
            IdentityKey::Anonymous(anonymous.clone()).storage_key(),
            IdentityKey::User(user.clone()).storage_key(),
        ));
    }
    if let (Some(previous), Some(user)) = (&call.previous_id, &call.user_id) {
        let target = IdentityKey::User(user.clone()).storage_key();
        links.push((
            IdentityKey::Anonymous(previous.clone()).storage_key(),
            target.clone(),
        ));
        if previous != user {
            links.push((IdentityKey::User(previous.clone()).storage_key(), target));
        }
    }
    links
}

/// Sets each source's link (the batch's last one wins), in identity order, unless it would
/// close a cycle, with its reverse link item. Idempotent: a retry sets the same link again.
pub(super) async fn apply_links(
    db: &Db,
    workspace: &str,
    calls: &[&AcceptedCall],
    found: &HashMap<Key, Item>,
    identities: &mut HashMap<String, IdentityItem>,
) -> Result<(), Retry> {
    let mut links: BTreeMap<String, String> = BTreeMap::new();
    for accepted in calls {
        for (source, target) in links_of(&accepted.call) {
            links.insert(source, target);
        }
    }
    for (source, target) in links {
        let mut record = match identities.remove(&source) {
            Some(record) => record,
            None => identity_item(found, workspace, &source)?,
        };
        let acceptable = target != source
            && !links_back(db, workspace, &target, &source, found, identities).await?;
        if acceptable && record.linked_to.as_deref() != Some(target.as_str()) {
            // The reverse link (who is linked to a user, for first uses) moves with the link
            // itself, in one transaction.
            let mut writes = Vec::with_capacity(3);
            if let Some(previous) = &record.linked_to {
                writes.push(TransactWrite::Delete(keys::link(
                    workspace, previous, &source,
                )));
            }
            writes.push(TransactWrite::Put(
                link_item(workspace, &target, &source),
                Condition::Always,
            ));
            record.linked_to = Some(target);
            let item = record.to_item(workspace);
            check_size(&item, &format!("the link of `{source}`"))?;
            record.size = item_size(&item);
            writes.push(TransactWrite::Put(
                item,
                Condition::from_version(record.version),
            ));
            db.transact_write(writes).await?;
            record.version += 1;
        }
        identities.insert(source, record);
    }
    Ok(())
}

/// `source` is linked to `target`: the reverse of `linked_to`, under the target.
fn link_item(workspace: &str, target: &str, source: &str) -> Item {
    let mut record = item(&keys::link(workspace, target, source), entity::LINK);
    record.insert("source".into(), s(source));
    record.insert("target".into(), s(target));
    record
}

/// Whether following links from `start` reaches `target` (linking would make a cycle).
async fn links_back(
    db: &Db,
    workspace: &str,
    start: &str,
    target: &str,
    found: &HashMap<Key, Item>,
    identities: &HashMap<String, IdentityItem>,
) -> Result<bool, StoreError> {
    let mut current = start.to_string();
    for _ in 0..64 {
        let next = match identities.get(&current) {
            Some(record) => record.linked_to.clone(),
            None => {
                let key = keys::identity(workspace, &current);
                let item = match found.get(&key) {
                    Some(item) => Some(item.clone()),
                    None => db.get(&key).await?,
                };
                item.map(|item| IdentityItem::from_item(&item))
                    .transpose()?
                    .and_then(|record| record.linked_to)
            }
        };
        match next {
            Some(next) if next == target => return Ok(true),
            Some(next) => current = next,
            None => return Ok(false),
        }
    }
    Ok(true)
}

struct AccountDelta<'a> {
    first_seen: i64,
    traits: FlatMap,
    first_call: &'a str,
}

/// Creates or updates accounts and memberships, reporting new accounts and new members in
/// call order exactly as the SQLite store does.
pub(super) async fn apply_accounts(
    db: &Db,
    workspace: &str,
    calls: &[&AcceptedCall],
    found: &HashMap<Key, Item>,
    new_ids: &HashSet<&str>,
) -> Result<Vec<IngestChange>, Retry> {
    let mut accounts: BTreeMap<&str, AccountDelta> = BTreeMap::new();
    let mut memberships: Vec<(String, &str, i64, &str)> = Vec::new();
    let mut membership_index: HashMap<(String, &str), usize> = HashMap::new();
    for accepted in calls {
        let call = &accepted.call;
        let Some(account) = call.group_id.as_deref() else {
            continue;
        };
        let at = call.timestamp.timestamp_millis();
        let delta = accounts.entry(account).or_insert(AccountDelta {
            first_seen: at,
            traits: FlatMap::new(),
            first_call: &accepted.message_id,
        });
        delta.first_seen = delta.first_seen.min(at);
        if call.call_type == CallType::Group {
            delta.traits.extend(call.traits.clone());
        }
        let identity = call.identity().storage_key();
        match membership_index.get(&(identity.clone(), account)) {
            Some(position) => {
                let earliest = &mut memberships[*position].2;
                *earliest = (*earliest).min(at);
            }
            None => {
                membership_index.insert((identity.clone(), account), memberships.len());
                memberships.push((identity, account, at, &accepted.message_id));
            }
        }
    }
    let mut existed: HashMap<&str, bool> = HashMap::new();
    for (account, delta) in &accounts {
        let current = found
            .get(&keys::account(workspace, account))
            .map(AccountItem::from_item)
            .transpose()?;
        match current {
            None => {
                let created = AccountItem {
                    account: account.to_string(),
                    traits: delta.traits.clone(),
                    first_seen: Some(delta.first_seen),
                    created_by: Some(delta.first_call.to_string()),
                    version: 0,
                    size: 0,
                };
                let item = created.to_item(workspace);
                check_size(&item, &format!("account `{account}`"))?;
                db.put(item, Condition::New, 0).await?;
                existed.insert(account, false);
            }
            Some(mut current) => {
                // Created by a call of this batch whose earlier attempt crashed: report it.
                let created_now = current
                    .created_by
                    .as_deref()
                    .is_some_and(|by| new_ids.contains(by));
                existed.insert(account, !created_now);
                let mut traits = current.traits.clone();
                traits.extend(delta.traits.clone());
                let first_seen = current
                    .first_seen
                    .map_or(delta.first_seen, |seen| seen.min(delta.first_seen));
                if traits != current.traits || Some(first_seen) != current.first_seen {
                    current.traits = traits;
                    current.first_seen = Some(first_seen);
                    let item = current.to_item(workspace);
                    check_size(&item, &format!("account `{account}`"))?;
                    db.put(item, Condition::Version(current.version), current.size)
                        .await?;
                }
            }
        }
    }
    let mut changes = Vec::new();
    for (identity, account, at, first_call) in memberships {
        let key = keys::membership(workspace, &identity, account);
        let current = found.get(&key).map(MembershipItem::from_item).transpose()?;
        let account_existed = match current {
            None => {
                let account_existed = existed.get(account).copied().unwrap_or(true);
                let membership = MembershipItem {
                    identity: identity.clone(),
                    account: account.to_string(),
                    joined_ms: at,
                    created_by: first_call.to_string(),
                    account_existed,
                };
                db.put(membership.to_item(workspace), Condition::New, 0)
                    .await?;
                account_existed
            }
            Some(current) => {
                if current.joined_ms > at {
                    // A late call reveals an earlier membership: keep the earliest time.
                    let result = db
                        .update(
                            &key,
                            "SET joined = :at",
                            Some("joined > :at"),
                            HashMap::from([(":at".to_string(), n(at))]),
                            false,
                        )
                        .await;
                    match result {
                        Ok(_) | Err(WriteError::ConditionFailed) => {}
                        Err(WriteError::Store(error)) => return Err(Retry::Failed(error)),
                    }
                }
                if !new_ids.contains(current.created_by.as_str()) {
                    continue;
                }
                current.account_existed
            }
        };
        if !account_existed {
            changes.push(IngestChange::AccountCreated {
                account: account.to_string(),
                identity: identity.clone(),
            });
        }
        changes.push(IngestChange::UserJoinedAccount {
            identity,
            account: account.to_string(),
            account_existed,
        });
        existed.insert(account, true);
    }
    Ok(changes)
}
