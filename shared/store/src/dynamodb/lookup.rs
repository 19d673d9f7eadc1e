//! One account or one raw identity as stored, read by key (what an alert raised at
//! ingestion describes): the same records `scoring_data` assembles, without reading a
//! whole workspace.

use chrono::DateTime;
use pulse_core::records::{AccountRecord, IdentityRecord, Membership};

use super::db::{Db, QuerySpec, Range};
use super::keys;
use super::records::{AccountItem, ActivityItem, IdentityItem, MembershipItem};
use crate::error::StoreError;

pub(crate) async fn account_record(
    db: &Db,
    workspace: &str,
    account: &str,
) -> Result<Option<AccountRecord>, StoreError> {
    let Some(item) = db.get(&keys::account(workspace, account)).await? else {
        return Ok(None);
    };
    let account = AccountItem::from_item(&item)?;
    Ok(Some(AccountRecord {
        id: account.account,
        traits: account.traits,
        first_seen: account.first_seen.and_then(DateTime::from_timestamp_millis),
    }))
}

/// Traits and link (`I#`), activity (`A#`) and memberships (`M#…`) of one identity: one
/// BatchGetItem and one Query of its shard partition.
pub(crate) async fn identity_record(
    db: &Db,
    workspace: &str,
    identity: &str,
) -> Result<Option<IdentityRecord>, StoreError> {
    let identity_key = keys::identity(workspace, identity);
    let activity_key = keys::activity(workspace, identity);
    let memberships_spec = QuerySpec::table(
        identity_key.pk.clone(),
        Range::Prefix(keys::memberships_prefix(identity)),
    );
    let both = [identity_key.clone(), activity_key.clone()];
    let (found, memberships) = tokio::try_join!(db.batch_get(&both), db.query(&memberships_spec),)?;
    let traits = found
        .get(&identity_key)
        .map(IdentityItem::from_item)
        .transpose()?;
    let activity = found
        .get(&activity_key)
        .map(ActivityItem::from_item)
        .transpose()?;
    if traits.is_none() && activity.is_none() && memberships.is_empty() {
        return Ok(None);
    }
    let mut record = IdentityRecord {
        key: identity.to_string(),
        ..Default::default()
    };
    if let Some(traits) = traits {
        record.traits = traits.traits;
        record.linked_to = traits.linked_to;
    }
    if let Some(activity) = activity {
        record.first_seen = activity
            .first_seen
            .and_then(DateTime::from_timestamp_millis);
        record.last_event = activity
            .last_event
            .and_then(DateTime::from_timestamp_millis);
        record.event_days = activity.days.into_iter().collect();
    }
    for item in &memberships {
        let membership = MembershipItem::from_item(item)?;
        record.accounts.push(Membership {
            account: membership.account,
            joined_at: DateTime::from_timestamp_millis(membership.joined_ms).ok_or_else(|| {
                StoreError::corrupt(format!("membership time {}", membership.joined_ms))
            })?,
        });
    }
    Ok(Some(record))
}
